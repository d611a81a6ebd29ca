//! Beyond one thread: reaching a runtime from other threads, and waiting
//! for any `Future` from plain code.
//!
//! A runtime's tasks stay on its thread (they are `!Send`); what crosses
//! is a [`Handle`] (spawn onto the runtime from anywhere), a
//! [`RemoteJoinHandle`] (wait for such a task from anywhere) and the
//! `Waker`s [`block_on`] hands to futures. Each reaches the loop through
//! its inbox, and a `mio::Waker` interrupts its poll.
//!
//! | Python asyncio | corio | tokio |
//! |---|---|---|
//! | `loop = asyncio.get_running_loop()` | `let h = corio::handle()` | `Handle::current()` |
//! | `asyncio.run_coroutine_threadsafe(c(), loop)` | `h.spawn(f)` | `h.spawn(fut)` |
//! | `fut.result()` (concurrent future, from a thread) | `remote.join()` | `futures::executor::block_on(jh)` |
//! | `await asyncio.wrap_future(fut)` | `corio::block_on(fut)` in a task | `fut.await` |
//! | `loop.stop()` | `h.shutdown()` | `Runtime::shutdown_background` |
//! | `await asyncio.to_thread(f)` / `loop.run_in_executor(None, f)` | `corio::unblock(f)` | `spawn_blocking(f).await` |
//!
//! Here the "stackful" side shows: `block_on` is an ordinary function, so
//! code several calls deep in a task can wait for a future without any of
//! its callers being `async`.

mod block_on;
mod completion;
mod handle;
mod unblock;

pub use block_on::block_on;
pub use handle::{Handle, RemoteJoinHandle, handle};
#[doc(hidden)]
pub use unblock::retire_blocking_threads;
pub use unblock::unblock;
