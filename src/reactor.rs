//! I/O readiness: a `mio::Poll` and, per registered descriptor, who waits
//! for it to become readable or writable.
//!
//! The reactor does not know what a task is: it stores waiters of any
//! type `W` (the runtime uses task references) and hands the ready ones
//! back to [`Reactor::poll`]'s caller. Every waiter is added with a key
//! and removed with it by the RAII registration of whoever waits, so the
//! table holds exactly the waits in progress; readiness takes the waiters
//! it wakes out of the table.
//!
//! Descriptors are registered edge-triggered for both directions, once.
//! A descriptor may be dropped, or moved to another thread's runtime, on
//! any thread: [`Shared::release`] deregisters it from this epoll
//! instance from there and queues its token, which the owning thread
//! frees the next time it registers or polls.

use std::cell::{Cell, RefCell};
use std::io;
use std::os::fd::RawFd;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token};

/// The token of the cross-thread waker: descriptors get their index in
/// the table, which never reaches this.
const WAKER_TOKEN: Token = Token(usize::MAX);

/// Which readiness an operation waits for; the trace reports the same value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Data to read (or a connection to accept).
    Read,
    /// Room to write (or a connect to complete).
    Write,
}

/// What one readiness event reported, for the caller's trace.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Readiness {
    /// The registered descriptor.
    pub(crate) fd: RawFd,
    /// Readable, or closed for reading.
    pub(crate) readable: bool,
    /// Writable, or closed for writing.
    pub(crate) writable: bool,
}

/// The part of a reactor other threads may use: deregistering a
/// descriptor that was dropped or moved away.
#[derive(Debug)]
pub(crate) struct Shared {
    registry: Registry,
    /// Tokens released from anywhere, not yet reused by the owner.
    released: Mutex<Vec<usize>>,
}

impl Shared {
    /// Removes `fd` from this reactor's epoll set and gives its token back.
    /// Callable from any thread.
    pub(crate) fn release(&self, fd: RawFd, token: Token) {
        // Failure means the descriptor is already gone from the set.
        let _ = self.registry.deregister(&mut SourceFd(&fd));
        self.released
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(token.0);
    }
}

/// Waiters, each under the key its registration removes it with. Lists
/// are short (the tasks sharing one socket), so a vector is enough.
struct Keyed<W>(Vec<(u64, W)>);

impl<W> Keyed<W> {
    const fn new() -> Self {
        Keyed(Vec::new())
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn push(&mut self, key: u64, waiter: W) {
        self.0.push((key, waiter));
    }

    /// The waiter under `key`, taken out, if still there.
    fn remove(&mut self, key: u64) -> Option<W> {
        let at = self.0.iter().position(|(k, _)| *k == key)?;
        Some(self.0.swap_remove(at).1)
    }

    /// Moves every waiter to the end of `out`, emptying this list.
    fn drain_into(&mut self, out: &mut Vec<W>) {
        out.extend(self.0.drain(..).map(|(_, w)| w));
    }
}

/// The waiters of one registered descriptor, and the edges it has had.
struct Waiters<W> {
    /// The registered descriptor, for the trace.
    fd: RawFd,
    readers: Keyed<W>,
    writers: Keyed<W>,
    /// Readiness events seen for each direction, counted whether or not
    /// anyone waited: see [`Reactor::edges`].
    read_edges: u64,
    write_edges: u64,
    /// An event reported urgent (out-of-band) TCP data; see
    /// [`Reactor::edges`].
    urgent: bool,
    /// An event reported the read side closed (the peer's FIN, a reset,
    /// an error), or the write side: final states, which every later
    /// operation in that direction sees at once.
    read_closed: bool,
    write_closed: bool,
}

impl<W> Waiters<W> {
    fn list(&mut self, direction: Direction) -> &mut Keyed<W> {
        match direction {
            Direction::Read => &mut self.readers,
            Direction::Write => &mut self.writers,
        }
    }
}

/// One runtime's I/O half.
pub(crate) struct Reactor<W> {
    poll: RefCell<Poll>,
    events: RefCell<Events>,
    shared: Arc<Shared>,
    /// Indexed by token; `None` for free tokens.
    sources: RefCell<Vec<Option<Waiters<W>>>>,
    free_tokens: RefCell<Vec<usize>>,
    /// Waiters stored in `sources`: zero means nobody waits for I/O.
    waiting: Cell<usize>,
    next_key: Cell<u64>,
    /// Waiting for a descriptor to be closed (see `crate::io`); they also
    /// hold a timer, so they never count as "waiting for I/O".
    fd_waiters: RefCell<Keyed<W>>,
}

impl<W> Reactor<W> {
    pub(crate) fn new() -> io::Result<Self> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        Ok(Reactor {
            poll: RefCell::new(poll),
            events: RefCell::new(Events::with_capacity(1024)),
            shared: Arc::new(Shared {
                registry,
                released: Mutex::new(Vec::new()),
            }),
            sources: RefCell::new(Vec::new()),
            free_tokens: RefCell::new(Vec::new()),
            waiting: Cell::new(0),
            next_key: Cell::new(0),
            fd_waiters: RefCell::new(Keyed::new()),
        })
    }

    /// A waker that interrupts [`Reactor::poll`] from any thread. Its
    /// events carry a token no descriptor ever gets, so `poll` skips them.
    pub(crate) fn waker(&self) -> io::Result<mio::Waker> {
        mio::Waker::new(self.poll.borrow().registry(), WAKER_TOKEN)
    }

    /// What a registration keeps to release itself from any thread.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub(crate) fn has_waiters(&self) -> bool {
        self.waiting.get() > 0
    }

    /// How many readiness events `token` has had for `direction`, to tell
    /// whether one came since a moment the caller knows the descriptor
    /// was not ready (a short read on a stream socket: see
    /// `crate::io::Registered`). `None` when that proves nothing:
    /// - the token is not registered;
    /// - the direction was reported closed: its event may have come
    ///   before the short read (data and FIN arriving together), and no
    ///   other will follow, yet the next read returns 0 at once;
    /// - for reads, once urgent data was reported: a TCP read stops short
    ///   at the urgent mark with ordinary data still queued.
    pub(crate) fn edges(&self, token: Token, direction: Direction) -> Option<u64> {
        let sources = self.sources.borrow();
        let waiters = sources.get(token.0)?.as_ref()?;
        match direction {
            Direction::Read if waiters.urgent || waiters.read_closed => None,
            Direction::Read => Some(waiters.read_edges),
            Direction::Write if waiters.write_closed => None,
            Direction::Write => Some(waiters.write_edges),
        }
    }

    /// Registers `fd` for both directions, edge-triggered.
    pub(crate) fn register(&self, fd: RawFd) -> io::Result<Token> {
        self.reclaim_released();
        let index = self.free_tokens.borrow_mut().pop().unwrap_or_else(|| {
            let mut sources = self.sources.borrow_mut();
            sources.push(None);
            sources.len() - 1
        });
        let token = Token(index);
        // PRIORITY (EPOLLPRI) only so that urgent TCP data is seen: see
        // `edges`.
        let interest = Interest::READABLE | Interest::WRITABLE | Interest::PRIORITY;
        if let Err(e) = self
            .shared
            .registry
            .register(&mut SourceFd(&fd), token, interest)
        {
            self.free_tokens.borrow_mut().push(index);
            return Err(e);
        }
        self.sources.borrow_mut()[index] = Some(Waiters {
            fd,
            readers: Keyed::new(),
            writers: Keyed::new(),
            read_edges: 0,
            write_edges: 0,
            urgent: false,
            read_closed: false,
            write_closed: false,
        });
        Ok(token)
    }

    /// Frees the tokens of descriptors released since the last look.
    fn reclaim_released(&self) {
        let released = std::mem::take(
            &mut *self
                .shared
                .released
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        if released.is_empty() {
            return;
        }
        let mut dropped = Vec::new();
        {
            let mut sources = self.sources.borrow_mut();
            for index in released {
                if let Some(waiters) = sources[index].take() {
                    let left = waiters.readers.len() + waiters.writers.len();
                    self.waiting.set(self.waiting.get() - left);
                    dropped.push(waiters);
                }
                self.free_tokens.borrow_mut().push(index);
            }
        }
        drop(dropped); // outside the borrow
    }

    /// Adds a waiter for `direction` readiness of `token`; the returned
    /// key removes it again.
    pub(crate) fn add_waiter(&self, token: Token, direction: Direction, waiter: W) -> u64 {
        let key = self.next_key.get();
        self.next_key.set(key + 1);
        let mut sources = self.sources.borrow_mut();
        let waiters = sources[token.0].as_mut().expect("token is registered");
        waiters.list(direction).push(key, waiter);
        self.waiting.set(self.waiting.get() + 1);
        key
    }

    /// Removes the waiter `key`, if readiness has not taken it already.
    pub(crate) fn remove_waiter(&self, token: Token, direction: Direction, key: u64) {
        let removed = {
            let mut sources = self.sources.borrow_mut();
            let Some(Some(waiters)) = sources.get_mut(token.0) else {
                return;
            };
            waiters.list(direction).remove(key)
        };
        if removed.is_some() {
            self.waiting.set(self.waiting.get() - 1);
        }
        drop(removed); // outside the borrow
    }

    /// Adds a waiter for the next descriptor to be closed; the key removes
    /// it again.
    pub(crate) fn add_fd_waiter(&self, waiter: W) -> u64 {
        let key = self.next_key.get();
        self.next_key.set(key + 1);
        self.fd_waiters.borrow_mut().push(key, waiter);
        key
    }

    /// Removes the fd waiter `key`, if still there.
    pub(crate) fn remove_fd_waiter(&self, key: u64) {
        let removed = self.fd_waiters.borrow_mut().remove(key);
        drop(removed); // outside the borrow
    }

    /// Takes every fd waiter, to wake them: a descriptor is being closed.
    pub(crate) fn take_fd_waiters(&self) -> Vec<W> {
        let mut taken = Vec::new();
        self.fd_waiters.borrow_mut().drain_into(&mut taken);
        taken
    }

    /// Waits up to `timeout` (forever if `None`) for readiness, tells
    /// `seen` about each event, and passes each waiter of a ready
    /// descriptor to `wake`, after every borrow of the tables is released.
    pub(crate) fn poll(
        &self,
        timeout: Option<Duration>,
        mut seen: impl FnMut(Readiness),
        mut wake: impl FnMut(W),
    ) {
        self.reclaim_released();
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
                seen(Readiness {
                    fd: waiters.fd,
                    readable: event.is_readable() || event.is_read_closed(),
                    writable: event.is_writable() || event.is_write_closed(),
                });
                // Edge-triggered: wake every waiter; each retries and those
                // that would still block wait again.
                if event.is_readable() || event.is_read_closed() || failed {
                    waiters.read_edges += 1;
                    waiters.readers.drain_into(&mut to_wake);
                }
                if event.is_writable() || event.is_write_closed() || failed {
                    waiters.write_edges += 1;
                    waiters.writers.drain_into(&mut to_wake);
                }
                waiters.urgent |= event.is_priority();
                waiters.read_closed |= event.is_read_closed() || failed;
                waiters.write_closed |= event.is_write_closed() || failed;
            }
        }
        self.waiting.set(self.waiting.get() - to_wake.len());
        drop(events);
        for waiter in to_wake {
            wake(waiter);
        }
    }
}
