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
//! | `about.rs` | what a task is for people: name, spawn site, parent, stack bounds |
//! | `waiting.rs` | what a parked task waits for, as its header records it (for dumps and traces) |
//! | `task/` | the task: its state machine, coroutine and output slot; `task/reference.rs`: `TaskRef`, the thin counted pointer the tables hold |
//! | `ready.rs` | the ready queue, linked through the tasks' headers |
//! | `spawn.rs` | `spawn`, `TaskBuilder`: every way to make a task, through one function that picks its stack size |
//! | `scheduler.rs` | spawn registers it and queues it; resume (`run_task`, with a fresh coop budget); finish (`retire`: joiners woken); cancel requests; shutdown |
//! | `current.rs` | the thread's runtime and current task, reached once per operation |
//! | `task_local.rs` | `task_local!` and `LocalKey`: from a key to the current task's value (or the thread's, outside tasks) |
//! | `unwind.rs` | where a blocking call runs (a task, unwinding or not; the loop), which picks its outcome |
//! | `park.rs` | park (from any depth of generators), wake, interrupts (cancel, deadlines), spending the coop budget |
//! | `clock.rs` | the clock every timer reads: real, or virtual (`Builder::virtual_time`, its jump rule) |
//! | `time.rs` | timers, `sleep`, `timeout`: parks on time |
//! | `join.rs` | `JoinHandle`: parks on another task |
//! | `scope.rs`, `combinators.rs` | structured concurrency built on join |
//! | `builder.rs`, `group.rs`, `affinity.rs` | `Builder`: its `Config`; the threads of `Builder::run`, their roll call and first panic; pinning |
//! | `driver.rs` | `run`: the loop (ready tasks, poll, timers, mail from other threads) and the shutdown at its end (cancel all, turn until all unwound) |
//!
//! Parks on I/O are in `crate::io`, on sync primitives in `crate::sync`,
//! on other threads and futures in `crate::thread`.

mod about;
mod affinity;
mod builder;
pub(crate) mod clock;
mod combinators;
pub(crate) mod current;
mod driver;
mod group;
mod inbox;
mod join;
mod locals;
mod outcome;
pub(crate) mod park;
mod ready;
pub(crate) mod remote;
mod scheduler;
mod scope;
mod spawn;
pub(crate) mod task;
mod task_local;
pub(crate) mod unwind;
pub(crate) mod waiting;

pub(crate) use current::{current_task_id, name_panicking_task};
pub(crate) use spawn::{SpawnOptions, spawn_detached};
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
pub use spawn::{TaskBuilder, spawn, spawn_with_stack_size};
pub use task_local::{AccessError, LocalKey};
pub use time::{Elapsed, sleep, sleep_until, timeout};
