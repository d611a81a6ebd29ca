//! The waiting half of [`super::Registered`]: a task's place among a
//! descriptor's waiters, blocking outside a runtime, readiness checks,
//! and the wait for a free descriptor after `EMFILE`.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::time::{Duration, Instant};

use mio::Token;

use crate::context::Unwinding;
use crate::reactor::Direction;
use crate::runtime::unwind::{self, Place};
use crate::runtime::waiting::Waiting;
use crate::runtime::{current, park, time};

/// A task's place among a descriptor's waiters, removed when dropped.
pub(super) struct IoWaiter {
    pub(super) runtime: u64,
    pub(super) token: Token,
    pub(super) direction: Direction,
    pub(super) key: u64,
}

impl Drop for IoWaiter {
    fn drop(&mut self) {
        current::try_with(|rt| {
            if rt.id == self.runtime {
                rt.reactor
                    .remove_waiter(self.token, self.direction, self.key);
            }
        });
    }
}

/// The error an I/O wait returns instead of waiting, where it must not
/// wait: on the loop's own stack outside any task, and on a stack being
/// cancelled (the outcome table of the crate docs). `None` where waiting
/// is fine.
pub(crate) fn refuse_to_wait() -> Option<io::Error> {
    match unwind::place() {
        Place::Loop => Some(io::Error::other(
            "corio: cannot wait for I/O on the event loop outside any task \
             (a destructor the loop ran, e.g. at shutdown)",
        )),
        // Not `Interrupted`: std's retry loops (`write_all`, `read_exact`)
        // would retry that forever.
        Place::Task(Unwinding::Cancelled) => Some(io::Error::other(
            "corio: the task is being cancelled; its destructors do not wait for I/O",
        )),
        Place::Outside | Place::Task(_) => None,
    }
}

/// The `poll(2)` events that mean "ready" for `direction`: the one asked
/// for, or a state (error, hang-up) in which the next operation returns
/// at once with its outcome.
fn poll_events(direction: Direction) -> libc::c_short {
    match direction {
        Direction::Read => libc::POLLIN,
        Direction::Write => libc::POLLOUT,
    }
}

/// Blocks the thread until `fd` is ready for `direction` or `deadline` passes.
pub(super) fn block_until_ready(
    fd: RawFd,
    direction: Direction,
    deadline: Option<Instant>,
) -> io::Result<()> {
    let mut pollfd = libc::pollfd {
        fd,
        events: poll_events(direction),
        revents: 0,
    };
    let timeout_ms = deadline.map_or(-1, |d| {
        let left = d.saturating_duration_since(Instant::now());
        i32::try_from(left.as_millis().max(1)).unwrap_or(i32::MAX)
    });
    // SAFETY: `pollfd` is a valid array of one element for the call.
    let ready = unsafe { libc::poll(&mut pollfd, 1, timeout_ms) };
    if ready == -1 {
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    Ok(())
}

/// `Ok(())` if `fd` is ready for `direction` right now (or failed, or hung
/// up), `Err(WouldBlock)` if not: a check that never waits.
pub(super) fn ready_now(fd: BorrowedFd<'_>, direction: Direction) -> io::Result<()> {
    let wanted = poll_events(direction);
    let mut pollfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: wanted,
        revents: 0,
    };
    loop {
        // SAFETY: `pollfd` is a valid array of one element for the call.
        let ready = unsafe { libc::poll(&mut pollfd, 1, 0) };
        if ready != -1 {
            break;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    let done = wanted | libc::POLLERR | libc::POLLHUP | libc::POLLNVAL;
    if pollfd.revents & done != 0 {
        Ok(())
    } else {
        Err(io::ErrorKind::WouldBlock.into())
    }
}

/// Sets (`nonblocking`) or clears `O_NONBLOCK` on `fd`'s open file
/// description; nothing is changed if it is already so.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, nonblocking: bool) -> io::Result<()> {
    let fd = fd.as_raw_fd();
    // SAFETY: F_GETFL takes no argument; `fd` is borrowed, so open.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags == -1 {
        return Err(io::Error::last_os_error());
    }
    let wanted = if nonblocking {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    if wanted == flags {
        return Ok(());
    }
    // SAFETY: F_SETFL takes an int of flags; `fd` is open (as above).
    if unsafe { libc::fcntl(fd, libc::F_SETFL, wanted) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// How long an operation that failed for want of file descriptors waits
/// before its caller may retry, unless this runtime closes one sooner.
const FD_BACKOFF: Duration = Duration::from_millis(50);

/// True for the errors of a process (`EMFILE`) or system (`ENFILE`) out of
/// file descriptors.
pub(crate) fn is_fd_exhaustion(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// After an `accept` failed for want of file descriptors: parks until this
/// runtime closes a descriptor or [`FD_BACKOFF`] passes, so a loop that
/// retries cannot spin, even as the only runnable task. Returns at once
/// where it cannot or should not wait.
pub(crate) fn wait_for_free_fd() {
    if !matches!(
        unwind::place(),
        Place::Task(Unwinding::No | Unwinding::Maybe)
    ) {
        return;
    }
    let task = current::current_task("accept");
    let waiter = current::with("accept", |rt| FdWaiter {
        runtime: rt.id,
        key: rt.reactor.add_fd_waiter(task.clone()),
    });
    let _timer = time::wake_at(crate::time::now() + FD_BACKOFF, task);
    current::with("accept", |rt| {
        // Descriptors may be freed by other threads too: an outside wait,
        // so a virtual clock does not skip the back-off (the retries
        // would then spin).
        let _outside = current::CrossThreadWait::begin(rt);
        park::park_on(Waiting::FreeFd);
    });
    drop(waiter);
}

/// A task's place among those waiting for a free descriptor.
struct FdWaiter {
    runtime: u64,
    key: u64,
}

impl Drop for FdWaiter {
    fn drop(&mut self) {
        current::try_with(|rt| {
            if rt.id == self.runtime {
                rt.reactor.remove_fd_waiter(self.key);
            }
        });
    }
}
