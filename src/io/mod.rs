//! Any file descriptor, waited on by parking the task instead of blocking
//! the thread: [`Registered`].
//!
//! corio's sockets are built on [`Registered`]; it is public so other
//! descriptors get the same treatment: a pipe, an eventfd, a timerfd, a
//! terminal, a socket made by another crate. Wrap the value, then do its
//! I/O inside [`Registered::read_with`] / [`Registered::write_with`]: the
//! closure is retried, with the task parked in between, for as long as it
//! fails with `WouldBlock`. [`Registered::readable`] and
//! [`Registered::writable`] only wait.
//!
//! | Python asyncio | corio | tokio |
//! |---|---|---|
//! | `loop.add_reader(fd, callback)` | `registered.readable()`, `registered.read_with(\|io\| ...)` | `AsyncFd::readable().await` |
//! | `loop.add_writer(fd, callback)` | `registered.writable()`, `registered.write_with(\|io\| ...)` | `AsyncFd::writable().await` |
//!
//! Python and tokio hand out a readiness callback or guard and leave the
//! retry to the caller; here the retry loop is inside `read_with`, and the
//! code around it stays straight-line.
//!
//! Outside [`run`](crate::run), the same calls block the thread in
//! `poll(2)` until the descriptor is ready, so one function works in both
//! worlds. Readiness comes from epoll: descriptors it cannot watch (a
//! regular file, which is always ready) are fine as long as they never
//! fail with `WouldBlock`.
//!
//! # Examples
//!
//! A pipe written by a plain thread, read by a task (std's `PipeReader`
//! implements `Read` through `&PipeReader`, and so `&Registered<PipeReader>`
//! does):
//!
//! ```
//! use std::io::{Read, Write};
//! use corio::io::Registered;
//!
//! let (reader, mut writer) = std::io::pipe()?;
//! let reader = Registered::new(reader)?; // now non-blocking
//! let text = corio::run(move || -> std::io::Result<String> {
//!     let thread = std::thread::spawn(move || writer.write_all(b"from a thread"));
//!     let mut text = String::new();
//!     (&reader).read_to_string(&mut text)?; // parks until the writer closes
//!     thread.join().unwrap()?;
//!     Ok(text)
//! })?;
//! assert_eq!(text, "from a thread");
//! # Ok::<(), std::io::Error>(())
//! ```

mod registered;
mod wait;

pub use registered::Registered;
pub(crate) use wait::{is_fd_exhaustion, refuse_to_wait, set_nonblocking, wait_for_free_fd};
