//! [`Handle`]: a runtime as other threads see it, and
//! [`RemoteJoinHandle`]: a task spawned through one.
//!
//! A remote spawn travels as a message (`Message::Spawn`) holding the
//! closure and an `Arc` of the job's shared state; the loop turns it into
//! an ordinary task whose body stores its result there and wakes whoever
//! waits. The job's state is the only thing both sides touch, under one
//! mutex, so an abort racing the start, or the end of the runtime racing
//! a spawn, always resolves one way.

use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use super::completion::Completion;

use crate::context::Unwinding;
use crate::runtime::current;
use crate::runtime::remote::{Message, Remote, RemoteStart};
use crate::runtime::unwind::{self, Place};
use crate::runtime::{CancelReason, JoinError};

/// The handle of the runtime this code runs in: a way to reach it from
/// other threads.
///
/// # Panics
///
/// Outside [`run`](crate::run), with a message saying to call it inside.
///
/// # Examples
///
/// ```
/// corio::run(|| {
///     let handle = corio::handle();
///     // A `Handle` is `Send`: a plain thread spawns a task on this runtime
///     // and hands back the task's `RemoteJoinHandle`.
///     let task = std::thread::spawn(move || handle.spawn(|| 6 * 7)).join().unwrap();
///     assert_eq!(task.join().unwrap(), 42); // parks main while the task runs
/// });
/// ```
pub fn handle() -> Handle {
    current::with("corio::handle", |rt| Handle {
        remote: rt.remote.clone(),
    })
}

/// A runtime as other threads see it: `Send + Sync + Clone`, so it can
/// be handed to plain threads, other runtimes, or async code, which then
/// [`spawn`](Handle::spawn) tasks on it.
///
/// It stays usable after its runtime has ended: spawning then resolves at
/// once as cancelled, and [`is_closed`](Handle::is_closed) says so.
#[derive(Clone)]
pub struct Handle {
    remote: Arc<Remote>,
}

impl Handle {
    /// Runs `f` as a task of this handle's runtime, from any thread
    /// (Python's `asyncio.run_coroutine_threadsafe`), and returns a handle
    /// to wait for its result from anywhere.
    ///
    /// The task first runs when its loop next looks at its inbox (at once
    /// if the loop is idle: it is woken); the loop starts remote spawns in
    /// the order they came, only as fast as it runs tasks, so a flood of
    /// them waits its turn instead of starving the tasks already ready.
    /// Called on the runtime's own
    /// thread, it spawns directly. On a runtime that has ended, the handle
    /// resolves at once to `Err(JoinError::Cancelled)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// // A runtime serving on a thread of its own, until shut down.
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let server = std::thread::spawn(move || {
    ///     let served = std::panic::catch_unwind(move || {
    ///         corio::run(move || {
    ///             tx.send(corio::handle()).unwrap();
    ///             corio::sleep(Duration::from_secs(3600));
    ///         })
    ///     });
    ///     assert!(served.is_err()); // `shutdown` below unwinds its `run`
    /// });
    /// let runtime = rx.recv().unwrap();
    ///
    /// let task = runtime.spawn(|| {
    ///     corio::sleep(Duration::from_millis(5)); // a task: it parks
    ///     "done on the loop"
    /// });
    /// assert_eq!(task.join().unwrap(), "done on the loop"); // blocks this thread
    ///
    /// runtime.shutdown();
    /// server.join().unwrap();
    /// ```
    #[track_caller]
    pub fn spawn<T, F>(&self, f: F) -> RemoteJoinHandle<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let job = Arc::new(Job {
            result: Completion::new(),
            start: Mutex::new(StartState::default()),
            remote: self.remote.clone(),
        });
        let start = Box::new(Start {
            job: job.clone(),
            body: Some(f),
            spawned_at: std::panic::Location::caller(),
        });
        if self.is_current() {
            start.start();
        } else if let Err(refused) = self.remote.post(Message::Spawn(start)) {
            drop(refused); // resolves the job as cancelled
        }
        RemoteJoinHandle { job }
    }

    /// True once the runtime has ended (its `run` returned or unwound).
    ///
    /// # Examples
    ///
    /// ```
    /// let handle = corio::run(|| {
    ///     let h = corio::handle();
    ///     assert!(!h.is_closed());
    ///     h
    /// });
    /// assert!(handle.is_closed());
    /// assert!(handle.spawn(|| 1).join().unwrap_err().is_cancelled());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.remote.is_closed()
    }

    /// Cancels every task of the runtime, its main task included, from
    /// any thread; their stacks unwind as for any cancellation, and the
    /// runtime's [`run`](crate::run) then unwinds with a
    /// [`Cancelled`](crate::Cancelled) payload ("runtime shut down")
    /// unless main still returned a value. Does nothing to a runtime that
    /// has ended. A graceful stop is main returning instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let stopper = std::thread::spawn(move || {
    ///     let handle: corio::Handle = rx.recv().unwrap();
    ///     handle.shutdown();
    /// });
    /// let ended = std::panic::catch_unwind(move || {
    ///     corio::run(move || {
    ///         tx.send(corio::handle()).unwrap();
    ///         corio::sleep(Duration::from_secs(3600)); // cancelled here
    ///     })
    /// });
    /// stopper.join().unwrap();
    /// let payload = ended.unwrap_err();
    /// let cancelled = payload.downcast_ref::<corio::Cancelled>().unwrap();
    /// assert!(cancelled.to_string().contains("runtime shut down"));
    /// ```
    pub fn shutdown(&self) {
        let shut_here = current::try_with(|rt| {
            if rt.id != self.remote.id {
                return false;
            }
            rt.shut_down_by_handle.set(true);
            rt.scheduler.begin_shutdown(CancelReason::RuntimeShutDown);
            true
        });
        if shut_here != Some(true) {
            // Refused once the runtime has ended: nothing left to cancel.
            let _ = self.remote.post(Message::Shutdown);
        }
    }

    /// True on this handle's runtime's own thread, while it runs.
    fn is_current(&self) -> bool {
        current::try_with(|rt| rt.id == self.remote.id).unwrap_or(false)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Handle").field(&self.remote).finish()
    }
}

/// The state of one remote job, shared by its task and its handle.
struct Job<T> {
    result: Completion<Result<T, JoinError>>,
    start: Mutex<StartState>,
    /// The runtime it runs on, to post an abort to.
    remote: Arc<Remote>,
}

/// Whether a job has started, under one lock with its abort request.
#[derive(Default)]
struct StartState {
    /// `abort` was called: a job not yet started never starts.
    abort_requested: bool,
    /// The task's slot and id, once started.
    task: Option<(usize, u64)>,
}

impl<T> Job<T> {
    fn lock_start(&self) -> MutexGuard<'_, StartState> {
        // Only plain fields are written under this lock.
        self.start.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn finish(&self, result: Result<T, JoinError>) {
        self.result.deliver(result);
    }
}

/// A spawn on its way to the loop. Dropped unstarted (the runtime ended,
/// or the job was aborted first), it resolves the job as cancelled.
struct Start<T, F> {
    job: Arc<Job<T>>,
    body: Option<F>,
    /// Where `Handle::spawn` was called: the task's spawn site.
    spawned_at: &'static std::panic::Location<'static>,
}

impl<T: Send + 'static, F: FnOnce() -> T + Send + 'static> RemoteStart for Start<T, F> {
    fn start(mut self: Box<Self>) {
        let body = self.body.take().expect("a remote job starts once");
        let job = self.job.clone();
        let mut state = job.lock_start();
        if state.abort_requested {
            drop(state);
            // The closure goes first: whoever sees "cancelled" may count
            // on what it captured being gone.
            drop(body);
            job.finish(Err(JoinError::Cancelled));
            return;
        }
        let resolver = Resolver(Some(job.clone()));
        let options = crate::runtime::SpawnOptions::at(self.spawned_at);
        let task = crate::runtime::spawn_detached(options, move || resolver.run(body));
        // The resolver lives on the task's stack: if the task is abandoned
        // at the end of `run` (it kept catching its cancellation, or could
        // never finish unwinding), that stack is leaked and the resolver
        // with it, so the job is resolved from outside.
        let abandoned = job.clone();
        task.if_abandoned(Box::new(move || {
            abandoned.finish(Err(JoinError::Cancelled))
        }));
        // Under the lock taken before the abort check, so an `abort` sees
        // either "not started" (and this start sees its flag) or the task.
        state.task = Some(task.slot_and_id());
    }
}

impl<T, F> Drop for Start<T, F> {
    fn drop(&mut self) {
        if self.body.is_some() {
            self.job.finish(Err(JoinError::Cancelled));
        }
    }
}

/// Carries the job into its task: stores the body's outcome, or
/// "cancelled" if the task is dropped before its body ran.
struct Resolver<T>(Option<Arc<Job<T>>>);

impl<T> Resolver<T> {
    fn run(mut self, body: impl FnOnce() -> T) {
        let outcome = panic::catch_unwind(AssertUnwindSafe(body));
        // A `Cancelled` payload is dropped here, on the task's stack (the
        // task ends right after, so nothing is left to unwind).
        let result = outcome.map_err(JoinError::from_panic);
        if let Some(job) = self.0.take() {
            job.finish(result);
        }
    }
}

impl<T> Drop for Resolver<T> {
    fn drop(&mut self) {
        if let Some(job) = self.0.take() {
            job.finish(Err(JoinError::Cancelled));
        }
    }
}

/// A task spawned with [`Handle::spawn`]: `Send`, so its result can be
/// waited for from any thread, any runtime, or async code (it is a
/// `Future`). Dropping it detaches the task.
pub struct RemoteJoinHandle<T> {
    job: Arc<Job<T>>,
}

impl<T> RemoteJoinHandle<T> {
    /// Waits for the task and returns its value, or why there is none: in
    /// a corio task (of any runtime) it parks the task, on a plain thread
    /// it blocks the thread.
    ///
    /// # Errors
    ///
    /// [`JoinError::Panicked`] if the task panicked, [`JoinError::Cancelled`]
    /// if it was aborted, its runtime shut down, or it was spawned on a
    /// runtime that had ended. Called in a destructor of a task that is
    /// being cancelled, or on an event loop outside any task, before the
    /// task finished: [`JoinError::Cancelled`] at once (the task keeps
    /// running).
    ///
    /// # Examples
    ///
    /// ```
    /// // Two runtimes on two threads: one serves, the other asks.
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let server = std::thread::spawn(move || {
    ///     corio::run(|| {
    ///         let stop = corio::handle();
    ///         tx.send(stop).unwrap();
    ///         corio::sleep(std::time::Duration::from_secs(3600));
    ///     })
    /// });
    /// let there: corio::Handle = rx.recv().unwrap();
    /// let answer = corio::run(|| {
    ///     // Parks this task until the other runtime's task is done.
    ///     there.spawn(|| corio::yield_now()).join().unwrap();
    ///     there.spawn(|| 42).join().unwrap()
    /// });
    /// assert_eq!(answer, 42);
    /// there.shutdown();
    /// assert!(server.join().is_err()); // its `run` unwound with `Cancelled`
    /// ```
    pub fn join(self) -> Result<T, JoinError> {
        match unwind::place() {
            Place::Loop | Place::Task(Unwinding::Cancelled) => {
                self.try_take().unwrap_or(Err(JoinError::Cancelled))
            }
            Place::Outside | Place::Task(_) => crate::block_on(self),
        }
    }

    /// The result, if the task has finished.
    fn try_take(&self) -> Option<Result<T, JoinError>> {
        self.job.result.try_take()
    }

    /// Asks the task to stop, from any thread: a task that has not
    /// started never runs, a running one unwinds at its current or next
    /// park point. [`join`](RemoteJoinHandle::join) then reports
    /// [`JoinError::Cancelled`]. Does nothing to a finished task.
    pub fn abort(&self) {
        if self.job.result.is_delivered() {
            return;
        }
        let task = {
            let mut state = self.job.lock_start();
            state.abort_requested = true;
            state.task
        };
        if let Some((slot, id)) = task {
            // Refused once the runtime has ended: the task is done then.
            let _ = self.job.remote.post(Message::Abort { slot, id });
        }
    }

    /// True once the task has returned, panicked or been cancelled.
    pub fn is_finished(&self) -> bool {
        self.job.result.is_delivered()
    }
}

impl<T> Future for RemoteJoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.job.result.poll_take(cx.waker(), "RemoteJoinHandle")
    }
}

impl<T> fmt::Debug for RemoteJoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteJoinHandle")
            .field("finished", &self.is_finished())
            .field("runtime", &self.job.remote.id)
            .finish()
    }
}
