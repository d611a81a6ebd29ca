//! I/O readiness: a `mio::Poll` and, per registered source, the tasks
//! parked waiting for it to become readable or writable.
//!
//! Sockets are always non-blocking. An operation that would block parks the
//! task after leaving a [`Waker`] in the source's slot; the scheduler's poll
//! turns each readiness event into wakes. mio is edge-triggered, so a task
//! retries its operation until it would block again before parking.
//! Outside [`crate::run`] the same operations block the thread in `poll(2)`,
//! so corio's sockets behave like std's there.

use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use crate::runtime::scheduler::{self, Waker};
use crate::runtime::timer::TimerAction;
/// Which readiness an operation waits for; the trace reports the same value.
pub(crate) use crate::trace::Direction;
use crate::trace::{self, ParkReason, What};

/// The tasks waiting on one registered source. Several tasks may share a
/// socket (`&TcpStream` and `UdpSocket` work through `&self`), so each
/// direction holds a list; the vectors keep their capacity between events.
struct Waiters {
    /// The registered descriptor, for the trace.
    fd: RawFd,
    readers: Vec<Waker>,
    writers: Vec<Waker>,
}

/// The runtime's I/O half.
pub(crate) struct Reactor {
    /// Distinguishes runtimes, so a socket registered with a finished `run`
    /// registers again with the next one.
    generation: u64,
    poll: RefCell<Poll>,
    events: RefCell<Events>,
    /// Indexed by token; `None` for free tokens.
    sources: RefCell<Vec<Option<Waiters>>>,
    free_tokens: RefCell<Vec<usize>>,
    /// Wakers stored in `sources`: zero means no task waits for I/O.
    waiting: Cell<usize>,
}

static GENERATIONS: AtomicU64 = AtomicU64::new(1);

impl Reactor {
    pub(crate) fn new() -> io::Result<Self> {
        Ok(Reactor {
            generation: GENERATIONS.fetch_add(1, Ordering::Relaxed),
            poll: RefCell::new(Poll::new()?),
            events: RefCell::new(Events::with_capacity(1024)),
            sources: RefCell::new(Vec::new()),
            free_tokens: RefCell::new(Vec::new()),
            waiting: Cell::new(0),
        })
    }

    pub(crate) fn has_waiters(&self) -> bool {
        self.waiting.get() > 0
    }

    /// Registers a file descriptor (by number, so shared sockets need no
    /// `&mut`) for both directions, edge-triggered.
    fn register(&self, fd: RawFd) -> io::Result<Token> {
        let index = self.free_tokens.borrow_mut().pop().unwrap_or_else(|| {
            let mut sources = self.sources.borrow_mut();
            sources.push(None);
            sources.len() - 1
        });
        let token = Token(index);
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(e) = self
            .poll
            .borrow()
            .registry()
            .register(&mut SourceFd(&fd), token, interest)
        {
            self.free_tokens.borrow_mut().push(index);
            return Err(e);
        }
        self.sources.borrow_mut()[index] = Some(Waiters {
            fd,
            readers: Vec::new(),
            writers: Vec::new(),
        });
        Ok(token)
    }

    fn deregister(&self, fd: RawFd, token: Token) {
        let _ = self.poll.borrow().registry().deregister(&mut SourceFd(&fd));
        if let Some(waiters) = self.sources.borrow_mut()[token.0].take() {
            let stored = waiters.readers.len() + waiters.writers.len();
            self.waiting.set(self.waiting.get() - stored);
        }
        self.free_tokens.borrow_mut().push(token.0);
    }

    fn set_waiter(&self, token: Token, direction: Direction, waker: Waker) {
        let mut sources = self.sources.borrow_mut();
        let waiters = sources[token.0].as_mut().expect("token is registered");
        let list = match direction {
            Direction::Read => &mut waiters.readers,
            Direction::Write => &mut waiters.writers,
        };
        // Waiters that left by another route (a read timeout, cancellation)
        // would otherwise pile up on an idle socket.
        let before = list.len();
        list.retain(|w| !w.is_stale());
        list.push(waker);
        self.waiting.set(self.waiting.get() - before + list.len());
    }

    /// Waits up to `timeout` (forever if `None`) for readiness and wakes the
    /// tasks waiting for it.
    pub(crate) fn poll(&self, timeout: Option<Duration>) {
        if timeout != Some(Duration::ZERO) {
            trace::record(None, || What::LoopWaits { timeout });
        }
        let mut events = self.events.borrow_mut();
        if let Err(e) = self.poll.borrow_mut().poll(&mut events, timeout) {
            if e.kind() == io::ErrorKind::Interrupted {
                return;
            }
            panic!("corio: polling for I/O failed: {e}");
        }
        let mut to_wake = Vec::new();
        {
            let mut sources = self.sources.borrow_mut();
            for event in events.iter() {
                let Some(Some(waiters)) = sources.get_mut(event.token().0) else {
                    continue;
                };
                let failed = event.is_error();
                trace::record(None, || What::IoReady {
                    fd: waiters.fd,
                    readable: event.is_readable() || event.is_read_closed(),
                    writable: event.is_writable() || event.is_write_closed(),
                });
                // Edge-triggered: wake every waiter; each retries and those
                // that would still block register again.
                if event.is_readable() || event.is_read_closed() || failed {
                    to_wake.append(&mut waiters.readers);
                }
                if event.is_writable() || event.is_write_closed() || failed {
                    to_wake.append(&mut waiters.writers);
                }
            }
        }
        self.waiting.set(self.waiting.get() - to_wake.len());
        drop(events);
        // Wake only after every borrow is released.
        for waker in to_wake {
            waker.wake();
        }
    }
}

/// A non-blocking socket (any type with a file descriptor) plus its registration with the current
/// runtime, made on first need.
pub(crate) struct Async<S: AsRawFd> {
    io: S,
    /// `(reactor generation, token)` once registered.
    registration: Cell<Option<(u64, Token)>>,
}

impl<S: AsRawFd> Async<S> {
    pub(crate) fn new(io: S) -> Self {
        Async {
            io,
            registration: Cell::new(None),
        }
    }

    pub(crate) fn get_ref(&self) -> &S {
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
        mut op: impl FnMut(&S) -> io::Result<R>,
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
            if scheduler::in_runtime() {
                self.park_until_ready(direction, deadline)?;
            } else {
                block_until_ready(self.io.as_raw_fd(), direction, deadline)?;
            }
        }
    }

    fn park_until_ready(&self, direction: Direction, deadline: Option<Instant>) -> io::Result<()> {
        let fd = self.io.as_raw_fd();
        scheduler::with("socket I/O", |rt| -> io::Result<()> {
            let token = match self.registration.get() {
                Some((generation, token)) if generation == rt.reactor.generation => token,
                _ => {
                    let token = rt.reactor.register(fd)?;
                    self.registration.set(Some((rt.reactor.generation, token)));
                    token
                }
            };
            let waker = scheduler::current_waker();
            if let Some(at) = deadline {
                rt.timers
                    .borrow_mut()
                    .insert(at, TimerAction::Wake(waker.clone()));
            }
            trace::record(Some(scheduler::current_header().id), || What::IoInterest {
                fd,
                direction,
            });
            rt.reactor.set_waiter(token, direction, waker);
            Ok(())
        })?;
        scheduler::park_because(|| ParkReason::Io { fd, direction });
        if std::thread::panicking() {
            // A cancelled task's destructors must not wait for I/O.
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "corio: task is being cancelled",
            ));
        }
        Ok(())
    }

    fn deregister(&self) {
        if let Some((generation, token)) = self.registration.take() {
            scheduler::try_with(|rt| {
                if rt.reactor.generation == generation {
                    rt.reactor.deregister(self.io.as_raw_fd(), token);
                }
            });
        }
    }
}

impl<S: AsRawFd> Drop for Async<S> {
    fn drop(&mut self) {
        self.deregister();
    }
}

impl<S: AsRawFd + std::fmt::Debug> std::fmt::Debug for Async<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.io.fmt(f)
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
