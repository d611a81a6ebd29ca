//! [`block_on`]: wait for any `Future` from plain code.
//!
//! A future is polled; when it is not ready it has kept the `Waker` of
//! the `Context` it was polled with, and calls it (from any thread) once
//! polling again may get further. A stackful task can simply park until
//! that call, so `block_on` inside a task is a park like any other, and
//! outside `run` it parks the thread instead.

use std::future::{Future, IntoFuture};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

use crate::runtime::TaskRef;
use crate::runtime::current::{self, CrossThreadWait, Runtime};
use crate::runtime::park;
use crate::runtime::remote::{BorrowedWaker, TaskWaker};
use crate::runtime::waiting::Waiting;

/// Runs `future` to completion from plain code and returns its output
/// (Python's `asyncio.run_coroutine_threadsafe(...).result()` seen from
/// the other side, or `futures::executor::block_on`).
///
/// - **In a task**, it parks the task (never the thread) until the
///   future's `Waker` is called, then polls again; other tasks run
///   meanwhile. The waker is `Send + Sync` and cheap to clone, and may be
///   called from any thread, any runtime, or before the task parks (that
///   wake is not lost). Spurious wakes only cost a poll. A future that
///   wakes itself while being polled goes behind the other ready tasks
///   first, as it would in tokio. While parked here, the task counts as
///   waiting for another thread, so the loop waits for the wake instead
///   of reporting a deadlock.
/// - **Outside [`run`](crate::run)** it blocks the thread until the
///   future completes.
/// - **On the event loop's own stack outside any task** (a destructor run
///   by the loop), it returns the output of a future that is ready at the
///   first poll, and otherwise panics: nothing else could run while it
///   waited.
///
/// If the task is cancelled while parked here, the future is dropped as
/// the task's stack unwinds. In a destructor of a task being cancelled,
/// `block_on` waits as usual (see the table in the
/// [crate docs](crate#blocking-calls-while-a-task-is-cancelled)).
///
/// Any runtime-agnostic future works (`futures` channels, a
/// [`RemoteJoinHandle`](crate::RemoteJoinHandle)), and so does a future
/// of another runtime that runs on its own threads, such as a tokio
/// `JoinHandle` of a multi-threaded tokio runtime. A future that needs
/// its own runtime's context to be polled (a tokio socket, `tokio::time`)
/// must be awaited inside that runtime: spawn it there and `block_on` its
/// `JoinHandle`.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use std::task::{Poll, Waker};
///
/// // A hand-made future: ready once a std thread has sent its result.
/// let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
/// let (done_tx, done_rx) = mpsc::channel::<u32>();
/// std::thread::spawn(move || {
///     let waker = waker_rx.recv().unwrap();
///     done_tx.send(42).unwrap();
///     waker.wake();
/// });
/// let mut waker_tx = Some(waker_tx);
/// let answer = std::future::poll_fn(move |cx| match done_rx.try_recv() {
///     Ok(v) => Poll::Ready(v),
///     Err(_) => {
///         if let Some(tx) = waker_tx.take() {
///             tx.send(cx.waker().clone()).unwrap();
///         }
///         Poll::Pending
///     }
/// });
///
/// let got = corio::run(|| {
///     let ticker = corio::spawn(|| corio::yield_now()); // runs while main waits
///     let v = corio::block_on(answer);
///     ticker.join().unwrap();
///     v
/// });
/// assert_eq!(got, 42);
///
/// // Outside `run` it blocks the thread.
/// assert_eq!(corio::block_on(async { 6 * 7 }), 42);
/// ```
pub fn block_on<F: IntoFuture>(future: F) -> F::Output {
    let mut future = pin!(future.into_future());
    loop {
        // Where this runs is looked up again for every poll: a future may
        // yield a generator from inside `poll`, and whoever resumes the
        // generator (another task, the loop, a plain thread after the
        // runtime ended) finishes that poll. Nothing seen before a poll is
        // trusted after it.
        let polled = match current::try_with(task_with_waker) {
            Some(Some(task)) => poll_in_task(&task, future.as_mut()),
            Some(None) => poll_on_loop(future.as_mut()),
            None => poll_on_thread(future.as_mut()),
        };
        if let Poll::Ready(output) = polled {
            return output;
        }
    }
}

/// The task running now, with its waker target made; `None` on the
/// loop's own stack.
fn task_with_waker(rt: &Runtime) -> Option<TaskRef> {
    let task = rt.scheduler.current_ref()?;
    let header = &task.header;
    header.waker(|| TaskWaker::new(rt.remote.clone(), header.slot.get(), header.id));
    Some(task)
}

/// One poll of `block_on` in `task`, the task running now, and the park
/// until its waker is called; `Pending` to poll again.
///
/// The task's `Rc` is held throughout, so the waker target in its header
/// outlives the poll even if the poll is finished by another task (the
/// generator it runs on was suspended mid-poll and handed over) after
/// this one ended.
fn poll_in_task<F: Future + ?Sized>(task: &TaskRef, future: Pin<&mut F>) -> Poll<F::Output> {
    let target = task
        .header
        .made_waker()
        .expect("`task_with_waker` made the waker target");
    let waker = BorrowedWaker::new(target);
    let mut cx = Context::from_waker(&waker);
    let seen = target.wakes();
    if let Poll::Ready(output) = future.poll(&mut cx) {
        return Poll::Ready(output);
    }
    let still_here = current::try_with(|rt| {
        rt.scheduler
            .current()
            .is_some_and(|now| std::ptr::eq(now, &**task))
    });
    if still_here != Some(true) {
        // The poll was finished elsewhere: the future holds a waker of
        // `task`, which may never run again. Poll again from here, so it
        // gets the waker of where it is waited for now.
        return Poll::Pending;
    }
    if target.wakes() != seen {
        // Woken during the poll (a future that yields by waking itself):
        // let the other tasks run first.
        park::yield_now();
        return Poll::Pending;
    }
    current::with("corio::block_on", |rt| {
        let _waiting = CrossThreadWait::begin(rt);
        while target.wakes() == seen {
            park::park_on(Waiting::Future);
        }
    });
    Poll::Pending
}

/// Wakes a thread blocked in `block_on` outside any runtime. Wakes are
/// counted, as for a task (see `TaskWaker`).
struct ThreadWaker {
    thread: Thread,
    wakes: AtomicU64,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::AcqRel);
        self.thread.unpark();
    }
}

impl ThreadWaker {
    fn for_this_thread() -> Self {
        ThreadWaker {
            thread: std::thread::current(),
            wakes: AtomicU64::new(0),
        }
    }
}

thread_local! {
    /// This thread's waker target for `block_on` outside `run`, made once.
    static THREAD_WAKER: Arc<ThreadWaker> = Arc::new(ThreadWaker::for_this_thread());
}

/// One poll of `block_on` outside `run`, and the wait for its waker;
/// `Pending` to poll again.
fn poll_on_thread<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    // A thread-local destroyed already (a `block_on` in another
    // thread-local's destructor, as the thread exits) is replaced by a
    // target of this call's own.
    let target = THREAD_WAKER
        .try_with(Arc::clone)
        .unwrap_or_else(|_| Arc::new(ThreadWaker::for_this_thread()));
    let waker = Waker::from(target.clone());
    let mut cx = Context::from_waker(&waker);
    let seen = target.wakes.load(Ordering::Acquire);
    if let Poll::Ready(output) = future.poll(&mut cx) {
        return Poll::Ready(output);
    }
    if current::in_runtime() {
        return Poll::Pending; // finished inside a runtime: poll again there
    }
    // `unpark` before `park` makes `park` return at once, and `park`
    // may return spuriously: the count is what counts.
    while target.wakes.load(Ordering::Acquire) == seen {
        std::thread::park();
    }
    Poll::Pending
}

/// `block_on` on the loop's own stack: one poll, since it cannot wait.
fn poll_on_loop<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    if let Poll::Ready(output) = future.poll(&mut cx) {
        return Poll::Ready(output);
    }
    let still_on_loop = current::try_with(|rt| rt.scheduler.current().is_none());
    if still_on_loop != Some(true) {
        // The poll was finished in a task or outside `run`: the noop
        // waker it holds is replaced by the next poll's.
        return Poll::Pending;
    }
    panic!(
        "corio: block_on on the event loop's own stack, outside any task (a destructor \
         run by the loop?), with a future that is not ready: nothing could run while it \
         waited"
    )
}
