//! The runtime: stackful tasks on a single-threaded, mio-driven event loop.
//!
//! A task is a coroutine with its own pooled stack. Code in a task calls
//! blocking-style functions ([`sleep`], socket reads, [`JoinHandle::join`],
//! channel receives); when one of them would block, the task *parks*: its
//! stack is suspended where it stands and the loop runs another task. When
//! the timer fires or the socket becomes ready, the task is resumed exactly
//! there. This is what Python's `await` does, without colouring: no
//! function needs to be marked `async`.
//!
//! | Python asyncio | corio | tokio |
//! |---|---|---|
//! | `asyncio.run(main())` | `corio::run(main)` | `Runtime::block_on(main())` |
//! | `asyncio.create_task(c())` | `corio::spawn(c)` | `tokio::spawn(c())` |
//! | `await task` | `handle.join()` | `handle.await` |
//! | `await asyncio.sleep(s)` | `corio::sleep(d)` | `tokio::time::sleep(d).await` |
//! | `await asyncio.gather(a(), b())` | `corio::gather(vec![a, b])` | `tokio::join!(a(), b())` |
//! | `asyncio.wait_for(c(), t)` | `corio::timeout(t, c)` | `tokio::time::timeout(t, c()).await` |
//! | `asyncio.TaskGroup()` | `corio::scope(\|s\| ...)` | `JoinSet` (no borrowing) |
//! | `task.cancel()` | `handle.abort()` | `handle.abort()` |

mod combinators;
pub(crate) mod scheduler;
mod scope;
pub(crate) mod task;
pub(crate) mod timer;

use std::time::{Duration, Instant};

pub use combinators::{Either, Elapsed, gather, join, race, select, timeout};
pub use scheduler::yield_now;
pub use scope::{Scope, ScopedJoinHandle, scope};
pub use task::{JoinError, JoinHandle};

use crate::trace::ParkReason;
use scheduler::{Runtime, RuntimeGuard};
use task::{Task, TaskRef};
use timer::TimerAction;

/// Runs `main` as the first task of a new event loop on this thread and
/// returns its result once it finishes (`asyncio.run`). Tasks still pending
/// then are cancelled: their stacks unwind and their destructors run.
///
/// # Panics
///
/// - If `main` panics, with its payload.
/// - If called inside another `run` on the same thread.
/// - On a deadlock: every task parked with no timer or I/O to wake one.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let answer = corio::run(|| {
///     let worker = corio::spawn(|| {
///         corio::sleep(Duration::from_millis(10));
///         6 * 7
///     });
///     worker.join().unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
pub fn run<T, F: FnOnce() -> T>(main: F) -> T {
    if scheduler::in_runtime() {
        panic!("corio: corio::run called inside corio::run; spawn a task instead");
    }
    let runtime =
        Runtime::new().unwrap_or_else(|e| panic!("corio: cannot create the event loop: {e}"));
    let guard = RuntimeGuard::enter(&runtime);
    let traced_from_env = crate::trace::begin_from_env();
    // SAFETY: `main` may borrow from our caller; `run` does not return (nor
    // unwind past the guard) before the task finished or was cancelled.
    let task = unsafe { Task::new(runtime.next_task_id(), main) };
    // SAFETY: as above.
    let task_ref: TaskRef = unsafe { scheduler::erase(task.clone()) };
    runtime.schedule_new(task_ref.clone());
    runtime.run_until(&task_ref);
    drop(guard);
    if let Some(recording) = traced_from_env {
        crate::trace::end_from_env(recording);
    }
    match task.take_output() {
        Some(Ok(value)) => value,
        Some(Err(JoinError::Panicked(payload))) => std::panic::resume_unwind(payload),
        Some(Err(JoinError::Cancelled)) | None => panic!("corio: the main task was cancelled"),
    }
}

/// Starts `f` as a new task (`asyncio.create_task`); it first runs when
/// the current task parks or yields. Dropping the handle detaches it.
///
/// # Panics
///
/// Outside [`run`], with a message saying to call it inside `corio::run`.
///
/// # Examples
///
/// ```
/// corio::run(|| {
///     let h = corio::spawn(|| "from a task");
///     assert_eq!(h.join().unwrap(), "from a task");
/// });
/// ```
pub fn spawn<T: 'static, F: FnOnce() -> T + 'static>(f: F) -> JoinHandle<T> {
    spawn_with_stack_size(crate::stack::DEFAULT_STACK_SIZE, f)
}

/// Like [`spawn`], on a stack of at least `bytes` usable bytes (rounded up
/// to whole pages), for tasks that recurse deeply or keep large arrays on
/// the stack. Stacks of one size share a pool.
///
/// # Panics
///
/// Outside [`run`]; if `bytes` exceeds [`crate::stack::MAX_STACK_SIZE`] or
/// no stack can be mapped.
///
/// # Examples
///
/// ```
/// fn depth(n: u64) -> u64 { if n == 0 { 0 } else { 1 + depth(n - 1) } }
///
/// let d = corio::run(|| corio::spawn_with_stack_size(8 << 20, || depth(50_000)).join().unwrap());
/// assert_eq!(d, 50_000);
/// ```
pub fn spawn_with_stack_size<T: 'static, F: FnOnce() -> T + 'static>(
    bytes: usize,
    f: F,
) -> JoinHandle<T> {
    scheduler::with("corio::spawn", |rt| {
        // SAFETY: `f` and `T` are 'static; the task borrows nothing.
        let task = unsafe { Task::with_stack_size(rt.next_task_id(), bytes, f) };
        rt.schedule_new(task.clone());
        JoinHandle::new(task)
    })
}

/// Parks the current task for `duration` (`asyncio.sleep`); other tasks run
/// meanwhile. Outside [`run`] it sleeps the thread, like
/// `std::thread::sleep`. A zero duration still lets other tasks run once.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::time::Duration;
///
/// let log = &RefCell::new(Vec::new());
/// corio::run(|| corio::gather(["a", "b"].map(|name| move || {
///     log.borrow_mut().push(format!("{name} sleeps"));
///     corio::sleep(Duration::from_millis(30));
///     log.borrow_mut().push(format!("{name} wakes"));
/// }).to_vec()));
/// // While one task slept the other ran: both slept before either woke.
/// let log = log.borrow();
/// assert_eq!(log.len(), 4);
/// assert!(log[..2].iter().all(|event| event.ends_with("sleeps")), "{log:?}");
/// ```
pub fn sleep(duration: Duration) {
    let deadline = Instant::now()
        .checked_add(duration)
        .unwrap_or_else(combinators::far_future);
    sleep_until(deadline);
}

/// Parks the current task until `deadline`; see [`sleep`].
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let wake_at = Instant::now() + Duration::from_millis(5);
/// corio::run(|| corio::sleep_until(wake_at));
/// assert!(Instant::now() >= wake_at);
/// ```
pub fn sleep_until(deadline: Instant) {
    if !scheduler::in_runtime() {
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
        return;
    }
    if Instant::now() >= deadline {
        yield_now();
        return;
    }
    while Instant::now() < deadline {
        let waker = scheduler::current_waker();
        scheduler::with("corio::sleep", |rt| {
            rt.timers
                .borrow_mut()
                .insert(deadline, TimerAction::Wake(waker))
        });
        scheduler::park_because(|| ParkReason::Timer {
            until: crate::trace::since_start(deadline),
        });
        if std::thread::panicking() {
            return; // unwinding: destructors do not wait
        }
    }
}
