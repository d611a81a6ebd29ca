//! Non-blocking descriptors that park the task, not the thread.
//!
//! [`Registered`] wraps anything with a file descriptor. An operation on
//! it that would block (`WouldBlock`) parks the calling task until the
//! runtime's reactor reports the descriptor ready, then retries; outside
//! [`crate::run`] it blocks the thread in `poll(2)` instead, so corio's
//! sockets behave like std's there.
//!
//! The descriptor is registered with the runtime it is first used in. A
//! value moved to another thread's runtime (sockets are `Send`) releases
//! that registration, from the new thread, and registers with the new
//! runtime; see [`crate::reactor::Shared::release`].

use std::cell::Cell;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Instant;

use mio::Token;

use crate::context::Unwinding;
use crate::reactor::{Direction, Shared};
use crate::runtime::unwind::{self, Place};
use crate::runtime::{current, park, time};
use crate::trace::{self, ParkReason, What};

/// A non-blocking descriptor plus its registration with a runtime's
/// reactor, made on first need.
pub(crate) struct Registered<T: AsRawFd> {
    io: T,
    /// Set once registered; taken and replaced when the value is used in
    /// another runtime, released when it is dropped.
    registration: Cell<Option<Registration>>,
}

/// Which reactor a descriptor is registered with, under which token.
struct Registration {
    reactor: Arc<Shared>,
    token: Token,
}

impl<T: AsRawFd> Registered<T> {
    /// Wraps `io`, which must already be in non-blocking mode.
    pub(crate) fn new(io: T) -> Self {
        Registered {
            io,
            registration: Cell::new(None),
        }
    }

    pub(crate) fn get_ref(&self) -> &T {
        &self.io
    }

    /// Runs `op` until it succeeds or fails with anything but `WouldBlock`,
    /// waiting for `direction` readiness in between: parking the task inside
    /// `run`, blocking the thread outside it. With a `deadline`, waiting
    /// past it fails with `ErrorKind::TimedOut`.
    pub(crate) fn do_io<R>(
        &self,
        direction: Direction,
        deadline: Option<Instant>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        // Before the attempt, not after: a yield there loses no result.
        park::spend_budget();
        loop {
            match op(&self.io) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                result => return result,
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "corio: I/O timed out",
                ));
            }
            if current::in_runtime() {
                self.park_until_ready(direction, deadline)?;
            } else {
                block_until_ready(self.io.as_raw_fd(), direction, deadline)?;
            }
        }
    }

    /// The token of this descriptor in the current runtime's reactor,
    /// registering it there (and releasing any older registration) first
    /// if needed.
    fn token_in(&self, rt: &current::Runtime) -> io::Result<Token> {
        let fd = self.io.as_raw_fd();
        let ours = rt.reactor.shared();
        match self.registration.take() {
            Some(r) if Arc::ptr_eq(&r.reactor, ours) => {
                let token = r.token;
                self.registration.set(Some(r));
                Ok(token)
            }
            previous => {
                if let Some(old) = previous {
                    old.reactor.release(fd, old.token);
                }
                let token = rt.reactor.register(fd)?;
                self.registration.set(Some(Registration {
                    reactor: Arc::clone(ours),
                    token,
                }));
                Ok(token)
            }
        }
    }

    fn park_until_ready(&self, direction: Direction, deadline: Option<Instant>) -> io::Result<()> {
        match unwind::place() {
            Place::Loop => {
                return Err(io::Error::other(
                    "corio: cannot wait for I/O on the event loop outside any task \
                     (a destructor the loop ran, e.g. at shutdown)",
                ));
            }
            // Not `Interrupted`: std's retry loops (`write_all`, `read_exact`)
            // would retry that forever.
            Place::Task(Unwinding::Cancelled) => {
                return Err(io::Error::other(
                    "corio: the task is being cancelled; its destructors do not wait for I/O",
                ));
            }
            Place::Outside | Place::Task(_) => {}
        }
        let fd = self.io.as_raw_fd();
        let (_waiter, task) = current::with("socket I/O", |rt| -> io::Result<_> {
            let task = rt
                .scheduler
                .current_ref()
                .expect("place() said we run in a task");
            let token = self.token_in(rt)?;
            trace::record(Some(task.header.id), || What::IoInterest { fd, direction });
            let key = rt.reactor.add_waiter(token, direction, task.clone());
            let waiter = IoWaiter {
                runtime: rt.id,
                token,
                direction,
                key,
            };
            Ok((waiter, task))
        })?;
        let _timer = deadline.map(|at| time::wake_at(at, task));
        park::park_because(|| ParkReason::Io { fd, direction });
        Ok(())
    }
}

impl<T: AsRawFd> Drop for Registered<T> {
    fn drop(&mut self) {
        if let Some(r) = self.registration.take() {
            r.reactor.release(self.io.as_raw_fd(), r.token);
        }
        // The descriptor closes after this: tasks waiting for one to be
        // free (an `accept` that hit the fd limit) can try again.
        current::try_with(|rt| {
            for task in rt.reactor.take_fd_waiters() {
                rt.scheduler.wake(&task);
            }
        });
    }
}

/// How long an operation that failed for want of file descriptors waits
/// before its caller may retry, unless this runtime closes one sooner.
pub(crate) const FD_BACKOFF: std::time::Duration = std::time::Duration::from_millis(50);

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
    let _timer = time::wake_at(Instant::now() + FD_BACKOFF, task);
    park::park_because(|| ParkReason::Other);
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

impl<T: AsRawFd + std::fmt::Debug> std::fmt::Debug for Registered<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.io.fmt(f)
    }
}

/// A task's place among a descriptor's waiters, removed when dropped.
struct IoWaiter {
    runtime: u64,
    token: Token,
    direction: Direction,
    key: u64,
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

/// Blocks the thread until `fd` is ready for `direction` or `deadline` passes.
fn block_until_ready(fd: RawFd, direction: Direction, deadline: Option<Instant>) -> io::Result<()> {
    let events = match direction {
        Direction::Read => libc::POLLIN,
        Direction::Write => libc::POLLOUT,
    };
    let mut pollfd = libc::pollfd {
        fd,
        events,
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
