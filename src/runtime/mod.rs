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

//! Files in data-flow order, each depending only on those before it:
//!
//! | file | what happens there in a task's life |
//! |---|---|
//! | `outcome.rs` | how a task ended without a value: `JoinError`, the `Cancelled` payload |
//! | `inbox.rs` | the queue other threads post to, and its "loop has mail" handshake |
//! | `remote.rs` | what other threads reach: messages (spawn, wake, abort, shut down), the loop's `mio::Waker`, a task's `Waker` target |
//! | `locals.rs` | a task's own storage: the values of its `task_local!` keys, destroyed as it ends |
//! | `task.rs` | the task: its state machine, coroutine and output slot |
//! | `scheduler.rs` | spawn registers it and queues it; resume (`run_task`, with a fresh coop budget); finish (`retire`: joiners woken); cancel requests; shutdown |
//! | `current.rs` | the thread's runtime and current task, reached once per operation |
//! | `task_local.rs` | `task_local!` and `LocalKey`: from a key to the current task's value (or the thread's, outside tasks) |
//! | `unwind.rs` | where a blocking call runs (a task, unwinding or not; the loop), which picks its outcome |
//! | `park.rs` | park (from any depth of generators), wake, interrupts (cancel, deadlines), spending the coop budget |
//! | `time.rs` | timers, `sleep`, `timeout`: parks on time |
//! | `join.rs` | `JoinHandle`: parks on another task |
//! | `scope.rs`, `combinators.rs` | structured concurrency built on join |
//! | `builder.rs`, `group.rs`, `affinity.rs` | `Builder`: its `Config`; the threads of `Builder::run`, their roll call and first panic; pinning |
//! | `driver.rs` | `run`: the loop (ready tasks, poll, timers, mail from other threads) and the shutdown at its end (cancel all, turn until all unwound) |
//!
//! Parks on I/O are in `crate::io`, on sync primitives in `crate::sync`,
//! on other threads and futures in `crate::thread`.

mod affinity;
mod builder;
mod combinators;
pub(crate) mod current;
mod driver;
mod group;
mod inbox;
mod join;
mod locals;
mod outcome;
pub(crate) mod park;
pub(crate) mod remote;
mod scheduler;
mod scope;
mod task;
mod task_local;
pub(crate) mod unwind;

pub(crate) use task::TaskRef;
pub(crate) mod time;

pub use builder::Builder;
pub use combinators::{Either, gather, join, race, select};
pub use driver::run;
pub use group::{handles, thread_count, thread_index};
pub use join::JoinHandle;
pub(crate) use outcome::CancelReason;
pub use outcome::{Cancelled, JoinError};
pub use park::yield_now;
pub use scope::{Scope, ScopedJoinHandle, scope};
pub use task_local::{AccessError, LocalKey};
pub use time::{Elapsed, sleep, sleep_until, timeout};

use std::rc::Rc;

use task::{AnyOutput, Task};

/// Starts `f` as a new task (`asyncio.create_task`); it first runs when
/// the current task parks or yields. Dropping the handle detaches it. Its
/// stack has the runtime's default size ([`Builder::stack_size`], or
/// [`crate::stack::DEFAULT_STACK_SIZE`]).
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
    spawn_with_stack_size(current::default_stack_size(), f)
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
    current::with("corio::spawn", |rt| {
        // SAFETY: `f` and `T` are 'static; the task borrows nothing.
        let task = unsafe { Task::new(rt.scheduler.next_task_id(), bytes, f) };
        let task_ref: Rc<Task<dyn AnyOutput>> = task.clone();
        rt.scheduler
            .schedule_new(task_ref, scheduler::Spawned::Detached);
        JoinHandle::new(task)
    })
}
