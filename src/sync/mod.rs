//! Synchronisation between tasks: a bounded channel, a semaphore, a mutex
//! and an event, whose waits park the task instead of the thread; and in
//! [`shared`], channels that cross threads and runtimes.
//!
//! | Python asyncio | corio | tokio |
//! |---|---|---|
//! | `q = asyncio.Queue(maxsize=n)` | `let (tx, rx) = sync::channel(n)` | `mpsc::channel(n)` |
//! | `await q.put(x)` / `q.put_nowait(x)` | `tx.send(x)` / `tx.try_send(x)` | `tx.send(x).await` / `tx.try_send(x)` |
//! | `await q.get()` / `q.get_nowait()` | `rx.recv()` / `rx.try_recv()` | `rx.recv().await` / `rx.try_recv()` |
//! | `asyncio.Semaphore(n)` | `Semaphore::new(n)` | `Semaphore::new(n)` |
//! | `async with sem:` | `let _permit = sem.acquire();` | `let _permit = sem.acquire().await?;` |
//! | `asyncio.Lock()` + the data it guards | `Mutex::new(data)` | `Mutex::new(data)` |
//! | `async with lock:` | `let mut data = mutex.lock();` | `let mut data = mutex.lock().await;` |
//! | `asyncio.Event()` / `set` / `clear` / `await e.wait()` | `Event::new()` / `set` / `clear` / `wait` | `Notify` (roughly) |
//!
//! Unlike an `asyncio.Queue`, a channel closes: `send` fails once the
//! [`Receiver`] is dropped, and `recv` returns `None` (ending iteration)
//! once every [`Sender`] is dropped and the buffer is drained.
//!
//! # Common rules
//!
//! - **Fair.** Waiting tasks are served first come, first served. What a
//!   task waits for (a permit, the lock, a channel slot) is handed straight
//!   to the oldest waiter, so a task arriving later cannot overtake it.
//! - **Cancellation-safe.** Every wait is a park point: if the task is
//!   aborted ([`JoinHandle::abort`](crate::JoinHandle::abort)) or a
//!   [`timeout`](crate::timeout) around it expires, the wait unwinds, the
//!   task leaves the queue, and anything already handed to it goes to the
//!   next waiter. Nothing leaks.
//! - **`try_*` never parks** and works anywhere, also outside
//!   [`run`](crate::run). A blocking call works outside `run` when it need
//!   not wait, and panics when it would, since nothing could wake it.
//! - **In destructors of a task being cancelled**, waits that may never
//!   end give up at once: `recv` returns `None`, `send` returns the value,
//!   `Event::wait` returns. `Semaphore::acquire` and `Mutex::lock` park as
//!   usual, so cleanup like `room.lock().remove(id)` works there. The whole
//!   table is in the [crate docs](crate#blocking-calls-while-a-task-is-cancelled).
//! - **One thread.** Every type here is `!Send` and `!Sync`: tasks share
//!   them through `Rc` or by borrowing in a [`scope`](crate::scope). To
//!   talk to other threads, runtimes or async code, use the `Send`
//!   channels of [`shared`].
//!
//! # Examples
//!
//! A producer and a pool of two consumers that take turns on a shared
//! receiver, and a mutex-guarded total:
//!
//! ```
//! use std::{rc::Rc, time::Duration};
//! use corio::sync::{Mutex, channel};
//!
//! let total = corio::run(|| {
//!     let (tx, rx) = channel(2);
//!     let rx = Rc::new(rx);
//!     let total = Rc::new(Mutex::new(0));
//!     let consumers: Vec<_> = (0..2).map(|_| {
//!         let (rx, total) = (rx.clone(), total.clone());
//!         corio::spawn(move || {
//!             while let Some(n) = rx.recv() {
//!                 corio::sleep(Duration::from_millis(1)); // "work"
//!                 *total.lock() += n;
//!             }
//!         })
//!     }).collect();
//!     for n in 1..=10 {
//!         tx.send(n).unwrap(); // parks while both consumers are busy
//!     }
//!     drop(tx);
//!     for c in consumers {
//!         c.join().unwrap();
//!     }
//!     let total = *total.lock();
//!     total
//! });
//! assert_eq!(total, 55);
//! ```

mod channel;
mod event;
mod mutex;
mod semaphore;
pub mod shared;
mod wait_queue;

pub use channel::{Receiver, SendError, Sender, TryRecvError, TrySendError, channel};
pub use event::Event;
pub use mutex::{Mutex, MutexGuard};
pub use semaphore::{Semaphore, SemaphorePermit};
