//! How a task waiting for a child learns that it ended: a pidfd registered
//! with the reactor where the kernel has `pidfd_open(2)` (Linux 5.3), and
//! polling with a growing pause where it does not.
//!
//! A pidfd becomes readable when its process ends, and stays so; the
//! reactor watches it edge-triggered like any descriptor, and a wait is
//! [`Registered::read_with`] retrying `try_wait` (which reaps through
//! `waitpid(pid, WNOHANG)`) until it returns a status. The pid cannot be
//! reused before that: a child that has not been reaped keeps it, and only
//! its `Child` reaps it.
//!
//! Where `pidfd_open` fails (an old kernel, a sandbox that lacks it or
//! filters it, no free descriptor), a wait calls `try_wait` with pauses
//! that grow from [`POLL_MIN`] to [`POLL_MAX`], parking the task on a timer
//! in between. That was preferred to a blocking `waitpid` on the
//! blocking pool: a cancelled waiter could not take back such a job, so a
//! child that never exits would hold a pool thread for ever, while a
//! polling task holds nothing once its wait ends. The cost is up to
//! [`POLL_MAX`] of delay in noticing an exit, and a wake-up per pause.

use std::fmt;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::io::Registered;

/// The first pause of the polling fallback; each next one doubles.
const POLL_MIN: Duration = Duration::from_millis(1);

/// The longest pause of the polling fallback.
const POLL_MAX: Duration = Duration::from_millis(50);

/// Set once `pidfd_open` failed in a way that will not change for this
/// process (the kernel lacks it, or a seccomp filter refuses it): later
/// waits poll without trying it again.
static PIDFD_UNAVAILABLE: AtomicBool = AtomicBool::new(false);

/// What a child's waits learn its end from. Starts [`ExitWatch::Unopened`];
/// the first wait that has to park picks one of the others, for good.
pub(super) enum ExitWatch {
    /// No wait has parked yet (most children are waited for once, and many
    /// have exited by then: no descriptor is spent on those).
    Unopened,
    /// A pidfd of the child, registered with the reactor of the runtime
    /// waiting on it (per runtime, as for sockets).
    Pidfd(Registered<OwnedFd>),
    /// No pidfd: `try_wait` with pauses in between.
    Polling,
}

impl ExitWatch {
    /// Parks the task until `child` has ended, and reaps it.
    ///
    /// For a task where waiting is allowed (the caller checked that with
    /// `refuse_to_wait`; a cancellation raised while parked unwinds out of
    /// here as usual). A pidfd the reactor cannot register turns this
    /// child's watch into polling.
    pub(super) fn wait(&mut self, child: &mut std::process::Child) -> io::Result<ExitStatus> {
        if let ExitWatch::Unopened = self {
            *self = open(child.id());
        }
        if let ExitWatch::Pidfd(pidfd) = self {
            let mut op_failed = false;
            let waited = pidfd.read_with(|_| {
                exited(child).inspect_err(|e| op_failed |= e.kind() != io::ErrorKind::WouldBlock)
            });
            match waited {
                // The reactor refused the pidfd (a sandbox whose epoll
                // cannot watch one): poll instead, for this child.
                Err(_) if !op_failed => *self = ExitWatch::Polling,
                done => return done,
            }
        }
        poll_until_exit(child)
    }
}

/// `try_wait` as an I/O operation: the status, or `WouldBlock` while the
/// child runs (exactly while its pidfd is not readable).
fn exited(child: &mut std::process::Child) -> io::Result<ExitStatus> {
    child
        .try_wait()?
        .ok_or_else(|| io::ErrorKind::WouldBlock.into())
}

/// A watch for process `pid`: a pidfd if one can be opened, else polling.
fn open(pid: u32) -> ExitWatch {
    if PIDFD_UNAVAILABLE.load(Ordering::Relaxed) {
        return ExitWatch::Polling;
    }
    match pidfd_open(pid) {
        // A pidfd is never read, only watched, so its blocking mode does
        // not matter: `try_wait` never blocks.
        Ok(pidfd) => ExitWatch::Pidfd(Registered::from_nonblocking(pidfd)),
        Err(e) => {
            if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) {
                PIDFD_UNAVAILABLE.store(true, Ordering::Relaxed);
            }
            ExitWatch::Polling
        }
    }
}

/// `pidfd_open(pid, 0)`: a descriptor (close-on-exec) that becomes
/// readable when process `pid` ends.
fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid =
        libc::pid_t::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: pidfd_open takes a pid and a flags word and returns a new
    // descriptor or -1; it touches no memory of ours.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd =
        i32::try_from(fd).map_err(|_| io::Error::other("pidfd_open returned no descriptor"))?;
    // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The fallback wait: `try_wait` until it returns a status, with a timer
/// park of a growing pause in between.
fn poll_until_exit(child: &mut std::process::Child) -> io::Result<ExitStatus> {
    let mut pause = POLL_MIN;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if let Some(refused) = crate::io::refuse_to_wait() {
            return Err(refused);
        }
        // The child ends on its own: an outside wait, which virtual time
        // must not jump past.
        crate::runtime::clock::poll_pause(pause);
        pause = (pause * 2).min(POLL_MAX);
    }
}

impl fmt::Debug for ExitWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitWatch::Unopened => f.write_str("Unopened"),
            ExitWatch::Pidfd(pidfd) => f.debug_tuple("Pidfd").field(pidfd.get_ref()).finish(),
            ExitWatch::Polling => f.write_str("Polling"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    fn sleeper() -> std::process::Child {
        Command::new("sleep")
            .arg("0.05")
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn sleep")
    }

    #[test]
    fn the_polling_fallback_parks_on_timers_and_reaps_the_child() {
        let (status, ticks) = crate::run(|| {
            let ticks = std::rc::Rc::new(std::cell::Cell::new(0));
            let t = ticks.clone();
            let ticker = crate::spawn(move || {
                loop {
                    crate::sleep(Duration::from_millis(1));
                    t.set(t.get() + 1);
                }
            });
            let mut child = sleeper();
            let mut watch = ExitWatch::Polling;
            let status = watch.wait(&mut child).unwrap();
            ticker.abort();
            (status, ticks.get())
        });
        assert!(status.success());
        assert!(ticks > 0, "the loop ran other tasks while polling");
    }

    #[test]
    fn the_polling_fallback_stops_virtual_time_from_jumping() {
        // Its pauses are timers, but what it waits for is the child: a
        // clock that jumped over them would run through the 10 s sleep in
        // 200 pauses of at most 50 ms, far less real time than the
        // child's 50 ms, and finish it first. With the pauses counted as
        // outside waits the 10 s pass at real speed until the child ends.
        let order = crate::test::run(|| {
            let log = std::cell::RefCell::new(Vec::new());
            crate::join(
                || {
                    crate::sleep(Duration::from_secs(10));
                    log.borrow_mut().push("slept");
                },
                || {
                    let mut child = sleeper();
                    let status = ExitWatch::Polling.wait(&mut child).unwrap();
                    assert!(status.success());
                    log.borrow_mut().push("child ended");
                },
            );
            log.into_inner()
        });
        assert_eq!(order, ["child ended", "slept"]);
    }

    #[test]
    fn a_pidfd_is_opened_where_the_kernel_has_one_and_polling_otherwise() {
        let mut child = sleeper();
        let watch = open(child.id());
        let kernel_has_it = pidfd_open(child.id()).is_ok();
        match (&watch, kernel_has_it) {
            (ExitWatch::Pidfd(_), true) | (ExitWatch::Polling, false) => {}
            (watch, _) => panic!("{watch:?} with pidfd_open working: {kernel_has_it}"),
        }
        let status = crate::run(move || {
            let mut watch = watch;
            watch.wait(&mut child)
        });
        assert!(status.unwrap().success());
    }
}
