//! [`dump_on_sigquit`]: a dump on stderr when the process gets `SIGQUIT`.
//!
//! The signal handler only flags the delivery (it is `corio::signal`'s:
//! a flag and a byte down a pipe); its dispatcher thread wakes a `Waker`
//! that posts a message to this runtime's inbox; the loop, reading its
//! mail between turns, takes the dump on its own stack and prints it. No
//! task waits for the signal, so it keeps no loop alive and hides no
//! deadlock.

use std::io::{self, Write};
use std::sync::Arc;
use std::task::{Wake, Waker};

use crate::runtime::current::{self, Runtime};
use crate::runtime::remote::{Message, Remote};
use crate::signal::Watch;

/// A runtime's watch for `SIGQUIT` (in `Runtime::sigquit`).
pub(crate) struct SigquitWatch {
    watch: Watch,
    waker: Waker,
}

/// Posts `Message::Dump` to its runtime when the dispatcher wakes it.
struct DumpWaker(Arc<Remote>);

impl Wake for DumpWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Refused once the runtime has ended: then there is nothing to dump.
        let _ = self.0.post(Message::Dump);
    }
}

/// From now until this runtime's [`run`](crate::run) returns, prints a
/// [`dump`](crate::dump) of it to stderr each time the process receives
/// `SIGQUIT` (Ctrl-\ in a terminal), and goes on running, like Go (which
/// then exits; corio does not). Calling it again does nothing more.
///
/// This installs corio's handler for `SIGQUIT` (see [`crate::signal`]),
/// so the signal no longer ends the process with a core dump. With
/// several runtimes, each one that called this prints its own dump.
///
/// # Errors
///
/// If the handler or the signal dispatcher cannot be set up.
///
/// # Panics
///
/// Outside [`run`](crate::run).
///
/// # Examples
///
/// ```
/// corio::run(|| -> std::io::Result<()> {
///     corio::dump_on_sigquit()?;
///     // ... serve; `kill -QUIT <pid>` prints every task and where it waits.
///     Ok(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn dump_on_sigquit() -> io::Result<()> {
    current::with("corio::dump_on_sigquit", |rt| {
        if rt.sigquit.borrow().is_some() {
            return Ok(());
        }
        let mut watch = Watch::new(libc::SIGQUIT)?;
        let waker = Waker::from(Arc::new(DumpWaker(rt.remote.clone())));
        // Registers the waker; a delivery already counted is not ours.
        watch.poll(&waker);
        *rt.sigquit.borrow_mut() = Some(SigquitWatch { watch, waker });
        Ok(())
    })
}

/// The loop's handling of `Message::Dump`: if `SIGQUIT` came, prints the
/// dump; either way the watch waits for the next one.
pub(crate) fn on_message(rt: &Runtime) {
    let delivered = match &mut *rt.sigquit.borrow_mut() {
        Some(quit) => quit.watch.poll(&quit.waker),
        None => false,
    };
    if delivered {
        let dump = super::dump();
        let _ = writeln!(io::stderr(), "corio: SIGQUIT\n{dump}");
    }
}
