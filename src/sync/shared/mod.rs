//! Channels that cross threads: a bounded multi-producer, multi-consumer
//! [`channel`] and a single-value [`oneshot`], for tasks on different
//! runtimes, plain threads and async code to talk to each other.
//!
//! Every end is `Send + Sync` when `T: Send`. A blocking call that has to
//! wait parks a corio task (of any runtime) and blocks a plain thread, so
//! the same code works on both; async code awaits
//! [`Sender::send_async`], [`Receiver::recv_async`] or the
//! [`OneshotReceiver`] itself. The method shapes are those of the
//! thread-local [`corio::sync::channel`](crate::sync::channel), which
//! stays the fast path between tasks of one runtime.
//!
//! | Python | corio | tokio |
//! |---|---|---|
//! | `q = queue.Queue(maxsize=n)` (threads) | `let (tx, rx) = sync::shared::channel(n)` | `mpsc::channel(n)` (one consumer) |
//! | `q.put(x)` from a thread, `await loop.run_in_executor(None, q.get)` in a coroutine | `tx.send(x)` / `rx.recv()`, the same calls in a thread and in a task | `tx.blocking_send(x)` / `rx.recv().await` |
//! | `q.put_nowait(x)` / `q.get_nowait()` | `tx.try_send(x)` / `rx.try_recv()` | `tx.try_send(x)` / `rx.try_recv()` |
//! | `fut = asyncio.run_coroutine_threadsafe(c(), loop)`; `fut.result()` | `let (tx, rx) = sync::shared::oneshot()`; the task calls `tx.send(v)`, the thread `rx.recv()` | `oneshot::channel()`; `rx.blocking_recv()` |
//! | `await asyncio.wrap_future(fut)` | `rx.recv()` in a task, or `rx.await` in async code | `rx.await` |
//!
//! Unlike a `queue.Queue`, a channel closes: `send` fails once every
//! [`Receiver`] is dropped (and hands the value back), and `recv` returns
//! `None` (ending iteration) once every [`Sender`] is dropped and every
//! value sent before has been received. Unlike tokio's, one function
//! serves threads and tasks alike: there is no `blocking_send` twin.
//!
//! # Rules
//!
//! The common rules of [`corio::sync`](crate::sync#common-rules) hold,
//! across threads:
//!
//! - **Fair.** Waiting senders and waiting receivers are each served first
//!   come, first served, wherever they wait: a freed slot is reserved for
//!   the oldest waiting sender, a sent value is promised to the oldest
//!   waiting receiver, and a `try_*` that comes later cannot take either.
//! - **Cancellation-safe.** A task aborted, or timed out by
//!   [`timeout`](crate::timeout), while it waits leaves the queue; a slot
//!   or value already promised to it goes to the next waiter. Nothing is
//!   lost and no wake-up is missed.
//! - **In destructors of a task being cancelled**, and on an event loop
//!   outside any task, a call that would wait gives up at once: `recv`
//!   returns `None`, `send` hands the value back (see the
//!   [crate docs](crate#blocking-calls-while-a-task-is-cancelled)).
//!   Outside any runtime the calls block the thread, as std's do.
//! - **Not a deadlock.** A task waiting here counts as waiting for another
//!   thread: its loop sleeps until the wake-up comes instead of reporting
//!   a deadlock. The flip side: two tasks of one runtime deadlocked on a
//!   shared channel are not reported either.
//!
//! # Examples
//!
//! A job queue served by a runtime on its own thread, with a oneshot
//! reply per job (Python's `run_coroutine_threadsafe` pattern, from the
//! other side):
//!
//! ```
//! use corio::sync::shared::{OneshotSender, channel, oneshot};
//!
//! let (jobs, queue) = channel::<(u64, OneshotSender<u64>)>(8);
//! let server = std::thread::spawn(move || {
//!     corio::run(move || {
//!         for (n, reply) in queue {
//!             // Each job is a task of this runtime.
//!             corio::spawn(move || {
//!                 corio::yield_now();
//!                 let _ = reply.send(n * n);
//!             });
//!         }
//!     })
//! });
//! let replies: Vec<_> = (1..=3)
//!     .map(|n| {
//!         let (tx, rx) = oneshot();
//!         jobs.send((n, tx)).unwrap();
//!         rx
//!     })
//!     .collect();
//! let squares: Vec<_> = replies.into_iter().map(|rx| rx.recv().unwrap()).collect();
//! assert_eq!(squares, [1, 4, 9]);
//! drop(jobs); // the server's loop ends
//! server.join().unwrap();
//! ```

mod channel;
mod oneshot;
mod state;
mod wait;
mod waiters;

pub use channel::{Receiver, Sender, channel};
pub use oneshot::{OneshotReceiver, OneshotSender, oneshot};
pub use wait::{RecvFuture, SendFuture};

/// True where a shared wait is allowed: not in a destructor of a stack
/// being cancelled, and not on an event loop outside any task (the crate
/// docs' outcome table).
fn may_wait() -> bool {
    use crate::context::Unwinding;
    use crate::runtime::unwind::{self, Place};
    !matches!(
        unwind::place(),
        Place::Loop | Place::Task(Unwinding::Cancelled)
    )
}
