//! [`Registered`]: a non-blocking descriptor plus its registration with the
//! reactor of the runtime it is used in.
//!
//! The descriptor is registered with the runtime it first parks in. A
//! value moved to another thread's runtime (it is `Send` when `T` is)
//! releases that registration, from the new thread, and registers with
//! the new runtime; see [`crate::reactor::Shared::release`].

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;
use std::time::Instant;

use mio::Token;

use super::wait::{IoWaiter, block_until_ready, ready_now, refuse_to_wait, set_nonblocking};
use crate::reactor::{Direction, Shared};
use crate::runtime::waiting::Waiting;
use crate::runtime::{current, park, time};
use crate::trace::{self, What};

/// A file descriptor in non-blocking mode whose operations park the task
/// while they would block (tokio's `AsyncFd`, async-io's `Async`).
///
/// `T` is anything that owns a descriptor: a `std::io::PipeReader`, a
/// `File` made from an eventfd, a socket of another crate. Do its I/O in
/// [`read_with`](Registered::read_with) or
/// [`write_with`](Registered::write_with); when `&T` implements `Read` or
/// `Write`, so does `&Registered<T>` (and `Registered<T>`). See the
/// [module docs](crate::io) for an example with a pipe.
///
/// The registration is made on first need, with the runtime the value is
/// used in; like corio's sockets, a `Registered<T>` is `Send` when `T` is,
/// and may move to another thread's runtime and back. It is not `Sync`:
/// tasks of one runtime share it through `Rc` or a reference.
///
/// `T::as_fd` must return the same descriptor for as long as the value is
/// wrapped (every `std` type does).
pub struct Registered<T: AsFd> {
    /// Declared before `io`, so it is released while the descriptor is
    /// still open.
    registration: Slot,
    io: T,
}

impl<T: AsFd> Registered<T> {
    /// Wraps `io`, switching its descriptor to non-blocking mode
    /// (`O_NONBLOCK`, which belongs to the open file description: other
    /// descriptors duplicated from it see it too).
    ///
    /// # Errors
    ///
    /// If `fcntl(2)` cannot read or set the descriptor's flags.
    ///
    /// # Examples
    ///
    /// ```
    /// let (reader, _writer) = std::io::pipe()?;
    /// let reader = corio::io::Registered::new(reader)?;
    /// let mut buf = [0u8; 8];
    /// // Non-blocking: outside a runtime a bare read fails at once.
    /// let error = std::io::Read::read(&mut reader.get_ref(), &mut buf).unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(io: T) -> io::Result<Self> {
        set_nonblocking(io.as_fd(), true)?;
        Ok(Self::from_nonblocking(io))
    }

    /// Wraps `io`, whose descriptor is already in non-blocking mode.
    pub(crate) fn from_nonblocking(io: T) -> Self {
        Registered {
            registration: Slot::new(),
            io,
        }
    }

    /// The wrapped value. Its own blocking-style calls fail with
    /// `WouldBlock` rather than wait: use it for calls that never wait
    /// (addresses, options), or inside `read_with` / `write_with`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    ///
    /// let (reader, _writer) = std::io::pipe()?;
    /// let fd = reader.as_raw_fd();
    /// let reader = corio::io::Registered::new(reader)?;
    /// assert_eq!(reader.get_ref().as_raw_fd(), fd);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// Deregisters the descriptor and gives the value back, still in
    /// non-blocking mode.
    ///
    /// # Examples
    ///
    /// ```
    /// let (reader, _writer) = std::io::pipe()?;
    /// let reader = corio::io::Registered::new(reader)?.into_inner();
    /// let mut buf = [0u8; 1];
    /// let error = std::io::Read::read(&mut &reader, &mut buf).unwrap_err();
    /// assert_eq!(error.kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_inner(self) -> T {
        let Registered { registration, io } = self;
        drop(registration);
        io
    }

    /// Runs `op` until it returns anything but `Err(WouldBlock)`, waiting
    /// for the descriptor to become readable in between: the task parks
    /// inside [`run`](crate::run), the thread blocks outside it.
    ///
    /// `op` runs at least once, before any wait. It should return
    /// `WouldBlock` only when the kernel did (a read or write that failed
    /// with it): readiness is reported on edges, so a `WouldBlock` that
    /// `op` makes up while data is waiting would wait for the next edge.
    ///
    /// # Errors
    ///
    /// What `op` returns, or an error of the wait (see the crate docs for
    /// the outcome in a destructor of a task being cancelled: an error,
    /// not a wait, and never `Interrupted`).
    ///
    /// # Examples
    ///
    /// An eventfd (a counter the kernel keeps) bumped by a plain thread:
    ///
    /// ```
    /// use std::fs::File;
    /// use std::io::{Read, Write};
    /// use std::os::fd::{FromRawFd, OwnedFd};
    /// use corio::io::Registered;
    ///
    /// // SAFETY: eventfd takes two integers and returns a new descriptor
    /// // or -1; nothing else owns it.
    /// let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
    /// assert!(fd >= 0, "{}", std::io::Error::last_os_error());
    /// // SAFETY: `fd` is open and owned by nobody else.
    /// let counter = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    /// let bumper = counter.try_clone()?;
    /// let counter = Registered::new(counter)?;
    ///
    /// let got = corio::run(move || -> std::io::Result<u64> {
    ///     std::thread::spawn(move || (&bumper).write_all(&7u64.to_ne_bytes()));
    ///     counter.read_with(|mut file: &File| {
    ///         let mut bytes = [0u8; 8];
    ///         file.read_exact(&mut bytes)?; // WouldBlock while it is 0
    ///         Ok(u64::from_ne_bytes(bytes))
    ///     })
    /// })?;
    /// assert_eq!(got, 7);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read_with<R>(&self, op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.do_io(Direction::Read, None, op)
    }

    /// Runs `op` until it returns anything but `Err(WouldBlock)`, waiting
    /// for the descriptor to become writable in between; see
    /// [`read_with`](Registered::read_with).
    ///
    /// # Errors
    ///
    /// What `op` returns, or an error of the wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use corio::io::Registered;
    ///
    /// let (mut reader, writer) = std::io::pipe()?;
    /// let writer = Registered::new(writer)?;
    /// let written = corio::run(move || {
    ///     // More than a pipe holds (64 KiB): the task parks until the
    ///     // reading thread makes room.
    ///     let reader = std::thread::spawn(move || {
    ///         let mut all = Vec::new();
    ///         reader.read_to_end(&mut all).map(|_| all.len())
    ///     });
    ///     let data = vec![7u8; 200_000];
    ///     let mut sent = 0;
    ///     while sent < data.len() {
    ///         sent += writer.write_with(|mut w| w.write(&data[sent..]))?;
    ///     }
    ///     drop(writer); // the reader sees the end
    ///     reader.join().unwrap()
    /// })?;
    /// assert_eq!(written, 200_000);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write_with<R>(&self, op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.do_io(Direction::Write, None, op)
    }

    /// Waits until the descriptor is readable (or at its end, or failed).
    ///
    /// Another task may take the data first: the next read can still fail
    /// with `WouldBlock`, so a loop around a plain read does what
    /// [`read_with`](Registered::read_with) does.
    ///
    /// # Errors
    ///
    /// An error of the wait (as for `read_with`), or of `poll(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    ///
    /// let (reader, mut writer) = std::io::pipe()?;
    /// let reader = corio::io::Registered::new(reader)?;
    /// corio::run(|| {
    ///     corio::spawn(move || writer.write_all(b"!"));
    ///     reader.readable() // parks until the byte is there
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn readable(&self) -> io::Result<()> {
        self.do_io(Direction::Read, None, |io| {
            ready_now(io.as_fd(), Direction::Read)
        })
    }

    /// Waits until the descriptor is writable (or failed).
    ///
    /// # Errors
    ///
    /// An error of the wait (as for `write_with`), or of `poll(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_reader, writer) = std::io::pipe()?;
    /// let writer = corio::io::Registered::new(writer)?;
    /// corio::run(|| writer.writable())?; // an empty pipe has room
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn writable(&self) -> io::Result<()> {
        self.do_io(Direction::Write, None, |io| {
            ready_now(io.as_fd(), Direction::Write)
        })
    }

    /// Runs `op` until it succeeds or fails with anything but `WouldBlock`,
    /// waiting for `direction` readiness in between: parking the task inside
    /// `run`, blocking the thread outside it. With a `deadline`, waiting
    /// past it fails with `ErrorKind::TimedOut`.
    pub(crate) fn do_io<R>(
        &self,
        direction: Direction,
        deadline: Option<Instant>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.do_io_noting(direction, deadline, op, |_| false)
    }

    /// [`do_io`](Self::do_io) for a read or write of `len` bytes on a TCP
    /// stream. A result of fewer bytes than asked, but some, means the
    /// kernel's queue was drained (nothing left to read, no room left to
    /// write): epoll(7)'s rule for edge-triggered stream sockets. The next
    /// operation in that direction then parks at once, without the
    /// `EAGAIN` attempt, unless a readiness event came in between; the
    /// event of anything that arrives after the drain is still to come,
    /// so it wakes the parked task.
    ///
    /// Only for TCP: a Unix stream read also stops short at a message
    /// carrying descriptors or credentials, with data still queued. TCP
    /// reads stop short at the urgent mark; the reactor turns the rule off
    /// for a descriptor once it reports urgent data
    /// ([`Reactor::edges`](crate::reactor::Reactor::edges)).
    pub(crate) fn do_stream_io(
        &self,
        direction: Direction,
        deadline: Option<Instant>,
        len: usize,
        op: impl FnMut(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        // One read or write moves at most this much (the kernel's
        // MAX_RW_COUNT): a bigger request is cut short whatever the state.
        const MOST_PER_CALL: usize = 0x7fff_f000;
        let len = len.min(MOST_PER_CALL);
        self.do_io_noting(
            direction,
            deadline,
            op,
            |result| matches!(result, Ok(n) if *n > 0 && *n < len),
        )
    }

    /// `do_io`, where `drained(result)` says whether a result proves the
    /// descriptor not ready for `direction` any more.
    fn do_io_noting<R>(
        &self,
        direction: Direction,
        deadline: Option<Instant>,
        mut op: impl FnMut(&T) -> io::Result<R>,
        drained: impl Fn(&io::Result<R>) -> bool,
    ) -> io::Result<R> {
        // Before the attempt, not after: a yield there loses no result.
        park::spend_budget();
        loop {
            if !self.known_not_ready(direction) {
                match op(&self.io) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    result => {
                        self.note_drained(direction, drained(&result));
                        return result;
                    }
                }
            }
            if deadline.is_some_and(|d| crate::time::now() >= d) {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "corio: I/O timed out",
                ));
            }
            if current::in_runtime() {
                self.park_until_ready(direction, deadline)?;
            } else {
                block_until_ready(self.raw_fd(), direction, deadline)?;
            }
        }
    }

    /// True if a drained queue was noted for `direction` and no readiness
    /// event has come since, in the runtime the descriptor is registered
    /// with: an attempt would fail with `WouldBlock`.
    fn known_not_ready(&self, direction: Direction) -> bool {
        let noted = self.registration.drained(direction).get();
        noted.is_some() && self.edges_now(direction) == noted
    }

    /// Remembers (`drained`) or forgets that `direction`'s queue is
    /// drained as of the reactor's latest event.
    fn note_drained(&self, direction: Direction, drained: bool) {
        let at = if drained {
            self.edges_now(direction)
        } else {
            None
        };
        self.registration.drained(direction).set(at);
    }

    /// The reactor's edge count for `direction` of this descriptor, in the
    /// current runtime if it is registered there and the count proves
    /// anything ([`Reactor::edges`](crate::reactor::Reactor::edges)).
    fn edges_now(&self, direction: Direction) -> Option<u64> {
        current::try_with(|rt| {
            self.registered_token(rt)
                .and_then(|token| rt.reactor.edges(token, direction))
        })
        .flatten()
    }

    fn raw_fd(&self) -> RawFd {
        self.io.as_fd().as_raw_fd()
    }

    /// The token of this descriptor in `rt`'s reactor, if registered there.
    fn registered_token(&self, rt: &current::Runtime) -> Option<Token> {
        let slot = &self.registration.registration;
        let registration = slot.take();
        let token = registration
            .as_ref()
            .filter(|r| Arc::ptr_eq(&r.reactor, rt.reactor.shared()))
            .map(|r| r.token);
        slot.set(registration);
        token
    }

    /// The token of this descriptor in the current runtime's reactor,
    /// registering it there (and releasing any older registration) first
    /// if needed.
    fn token_in(&self, rt: &current::Runtime) -> io::Result<Token> {
        if let Some(token) = self.registered_token(rt) {
            return Ok(token);
        }
        let fd = self.raw_fd();
        let slot = &self.registration;
        if let Some(old) = slot.registration.take() {
            old.reactor.release(old.fd, old.token);
        }
        // What was noted about the old registration's edges says nothing
        // about the new one's.
        slot.read_drained.set(None);
        slot.write_drained.set(None);
        let token = rt.reactor.register(fd)?;
        slot.registration.set(Some(Registration {
            reactor: Arc::clone(rt.reactor.shared()),
            token,
            fd,
        }));
        Ok(token)
    }

    fn park_until_ready(&self, direction: Direction, deadline: Option<Instant>) -> io::Result<()> {
        if let Some(refused) = refuse_to_wait() {
            return Err(refused);
        }
        let fd = self.raw_fd();
        let (_waiter, task) = current::with("I/O", |rt| -> io::Result<_> {
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
        park::park_on(Waiting::Io { fd, direction });
        Ok(())
    }
}

/// Where a [`Registered`] value is registered, if anywhere: set on the
/// first park, replaced when the value parks in another runtime, released
/// when dropped. With it, per direction, the reactor's edge count at the
/// last operation that drained the kernel's queue (see
/// [`Registered::do_stream_io`]).
struct Slot {
    registration: Cell<Option<Registration>>,
    read_drained: Cell<Option<u64>>,
    write_drained: Cell<Option<u64>>,
}

impl Slot {
    const fn new() -> Self {
        Slot {
            registration: Cell::new(None),
            read_drained: Cell::new(None),
            write_drained: Cell::new(None),
        }
    }

    fn drained(&self, direction: Direction) -> &Cell<Option<u64>> {
        match direction {
            Direction::Read => &self.read_drained,
            Direction::Write => &self.write_drained,
        }
    }
}

/// Which reactor a descriptor is registered with, under which token.
struct Registration {
    reactor: Arc<Shared>,
    token: Token,
    /// The descriptor registered, to deregister it by.
    fd: RawFd,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(r) = self.registration.take() {
            r.reactor.release(r.fd, r.token);
        }
        // The descriptor usually closes after this: tasks waiting for one
        // to be free (an `accept` that hit the fd limit) can try again.
        current::try_with(|rt| {
            for task in rt.reactor.take_fd_waiters() {
                rt.scheduler.wake(task);
            }
        });
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for Registered<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registered").field("io", &self.io).finish()
    }
}

impl<T: AsFd> AsFd for Registered<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl<T: AsFd> AsRawFd for Registered<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.raw_fd()
    }
}

impl<T: AsFd> Read for &Registered<T>
where
    for<'a> &'a T: Read,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_with(|mut io| io.read(buf))
    }

    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        self.read_with(|mut io| io.read_vectored(bufs))
    }
}

impl<T: AsFd> Write for &Registered<T>
where
    for<'a> &'a T: Write,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_with(|mut io| io.write(buf))
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.write_with(|mut io| io.write_vectored(bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_with(|mut io| io.flush())
    }
}

impl<T: AsFd> Read for Registered<T>
where
    for<'a> &'a T: Read,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl<T: AsFd> Write for Registered<T>
where
    for<'a> &'a T: Write,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self).flush()
    }
}
