//! Unix signals, waited for like anything else: [`ctrl_c`] parks until
//! the next `SIGINT`, and [`Signals`] receives any set of signals.
//!
//! | Python asyncio | corio | tokio |
//! |---|---|---|
//! | `loop.add_signal_handler(signal.SIGINT, callback)` | `corio::signal::ctrl_c()?` in a task (then the code that follows) | `tokio::signal::ctrl_c().await?` |
//! | `loop.add_signal_handler(signal.SIGTERM, callback)` | `for n in Signals::new([SIGTERM, SIGHUP])? { ... }` | `signal(SignalKind::terminate())?.recv().await` |
//!
//! Python runs a callback on the loop; here a task waits, and what it does
//! on the signal is the straight-line code after the wait. A waiting task
//! parks; a plain thread outside [`run`](crate::run) blocks; every
//! waiter, in every runtime and thread of the process, sees every signal.
//!
//! # How
//!
//! A signal handler may do almost nothing safely (no locks, no
//! allocation), so corio's handler only sets a flag and writes a byte to
//! a pipe. A dispatcher thread, started with the first [`Signals`],
//! reads the pipe, counts the delivery and wakes the waiters, from any
//! runtime. Handlers are installed through `signal-hook-registry` (as
//! tokio's are), which chains to a handler that was there before and
//! shares the signal with other crates that use it.
//!
//! # Semantics (tokio's)
//!
//! - Before the first [`Signals`] (or [`ctrl_c`]) for a signal, it does
//!   its default action; from then on it never does again in this
//!   process, even once no receiver is left: a `SIGINT` while nobody
//!   waits is dropped, not fatal. That is what tokio and signal-hook do
//!   (a handler cannot be uninstalled safely once other code may have
//!   chained to it).
//! - A receiver sees deliveries from the moment it was made, not before,
//!   and keeps those it has not received yet for its next `recv`; several
//!   deliveries of one signal in between are one.
//! - [`ctrl_c`] makes a receiver for that one call: it returns on the
//!   first `SIGINT` after it was called. A program that must not miss a
//!   Ctrl-C pressed just before it starts waiting makes a
//!   `Signals::new([SIGINT])` up front instead.
//! - Where no wait is allowed (in a destructor of a task being
//!   cancelled, on the loop's own stack outside any task), [`ctrl_c`]
//!   returns an error at once and [`Signals::recv`] returns `None` (see
//!   the [crate docs](crate#blocking-calls-while-a-task-is-cancelled)).
//!
//! # Examples
//!
//! A server that stops cleanly on `SIGTERM` or `SIGINT` (here it signals
//! itself):
//!
//! ```
//! use corio::signal::Signals;
//!
//! let mut stop = Signals::new([libc::SIGTERM, libc::SIGINT])?; // before serving
//! let served = corio::run(move || {
//!     let server = corio::spawn(|| loop {
//!         corio::sleep(std::time::Duration::from_millis(1)); // serve ...
//!     });
//!     // SAFETY: kill(2) with our own pid; the handler is installed.
//!     unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
//!     let signal = stop.recv(); // parks until the signal comes
//!     server.abort(); // its destructors run
//!     signal
//! });
//! assert_eq!(served, Some(libc::SIGTERM));
//! # Ok::<(), std::io::Error>(())
//! ```

mod dispatch;
mod signals;

use std::io;

use crate::context::Unwinding;
use crate::runtime::unwind::{self, Place};
pub use signals::Signals;
pub(crate) use signals::Watch;

/// Waits for the next `SIGINT` (Ctrl-C in a terminal): parks the task, or
/// blocks the thread outside [`run`](crate::run). The first call installs
/// corio's handler, so from then on Ctrl-C no longer ends the process:
/// the code after `ctrl_c()` decides what happens.
///
/// Only a `SIGINT` that arrives after the call counts (see the
/// [module docs](self)).
///
/// # Errors
///
/// At once, without waiting (and without installing anything), in a
/// destructor of a task being cancelled and on the event loop's own stack
/// outside any task. Otherwise, an error installing the handler.
///
/// # Examples
///
/// A graceful stop: the main task waits for Ctrl-C, then stops the
/// workers (whose destructors run) and returns normally.
///
/// ```no_run
/// let done = corio::run(|| -> std::io::Result<&str> {
///     let worker = corio::spawn(|| loop {
///         corio::sleep(std::time::Duration::from_secs(1));
///     });
///     corio::signal::ctrl_c()?; // parks until Ctrl-C
///     worker.abort();
///     Ok("stopped cleanly")
/// })?;
/// println!("{done}");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn ctrl_c() -> io::Result<()> {
    if let Some(refused) = refusal() {
        return Err(refused);
    }
    let mut signals = Signals::new([libc::SIGINT])?;
    match signals.recv() {
        Some(_) => Ok(()),
        // `recv` refuses exactly where `refusal` does, checked above.
        None => Err(refusal().unwrap_or_else(|| io::Error::other("corio: ctrl_c gave up"))),
    }
}

/// The error a signal wait returns instead of waiting, where it must not
/// wait (the crate docs' outcome table); `None` where waiting is fine.
fn refusal() -> Option<io::Error> {
    match unwind::place() {
        Place::Loop => Some(io::Error::other(
            "corio: cannot wait for a signal on the event loop outside any task \
             (a destructor the loop ran, e.g. at shutdown)",
        )),
        Place::Task(Unwinding::Cancelled) => Some(io::Error::other(
            "corio: the task is being cancelled; its destructors do not wait for signals",
        )),
        Place::Outside | Place::Task(_) => None,
    }
}
