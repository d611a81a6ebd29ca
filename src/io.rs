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

use crate::reactor::{Direction, Shared};
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
        let fd = self.io.as_raw_fd();
        let (_waiter, task) = current::with("socket I/O", |rt| -> io::Result<_> {
            let Some(task) = rt.scheduler.current_ref() else {
                return Err(io::Error::other(
                    "corio: cannot wait for I/O outside a task (the runtime is shutting down)",
                ));
            };
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
        if std::thread::panicking() {
            // A cancelled task's destructors must not wait for I/O.
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "corio: task is being cancelled",
            ));
        }
        Ok(())
    }
}

impl<T: AsRawFd> Drop for Registered<T> {
    fn drop(&mut self) {
        if let Some(r) = self.registration.take() {
            r.reactor.release(self.io.as_raw_fd(), r.token);
        }
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
