//! [`UnixStream`]: a Unix stream connection whose reads and writes park
//! the task.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;
use std::time::Duration;

use super::retry_with_backoff;
use crate::io::Registered;
use crate::net::{Timeouts, nosignal};
use crate::reactor::Direction;
use crate::runtime::current;

/// A Unix stream connection. Reads and writes park the task while the
/// socket is not ready; it implements `Read` and `Write`, also through
/// `&UnixStream`, so one task can read while another writes.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use corio::net::UnixStream;
///
/// corio::run(|| -> std::io::Result<()> {
///     let (left, mut right) = UnixStream::pair()?;
///     let echo = corio::spawn(move || std::io::copy(&mut &left, &mut &left));
///     right.write_all(b"ping")?;
///     right.shutdown(std::net::Shutdown::Write)?;
///     let mut back = String::new();
///     right.read_to_string(&mut back)?;
///     assert_eq!(back, "ping");
///     assert_eq!(echo.join().unwrap()?, 4);
///     Ok(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixStream {
    inner: Registered<net::UnixStream>,
    timeouts: Timeouts,
}

impl UnixStream {
    /// Connects to the socket file `path`.
    ///
    /// A connect never waits for the server to accept; it waits only while
    /// the listener's backlog is full, which no readiness event reports:
    /// inside a task it then retries with a growing pause (1 to 50 ms),
    /// parking the task, where a blocking std connect would block the
    /// thread.
    ///
    /// # Errors
    ///
    /// As std: `NotFound` for a missing file, `ConnectionRefused` when no
    /// one listens there.
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<Self> {
        Self::connect_addr(&SocketAddr::from_pathname(path)?)
    }

    /// Connects to `addr`: a path, or on Linux an abstract name; see
    /// [`UnixStream::connect`].
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixStream::connect_addr`.
    pub fn connect_addr(addr: &SocketAddr) -> io::Result<Self> {
        if !current::in_runtime() {
            return Self::from_std(net::UnixStream::connect_addr(addr)?);
        }
        // A Unix connect completes at once or fails with `EAGAIN` (backlog
        // full); it never reports `EINPROGRESS`, so there is no writability
        // to wait for.
        let stream = retry_with_backoff(|| mio::net::UnixStream::connect_addr(addr))?;
        Ok(Self::from_nonblocking(stream.into()))
    }

    /// Two connected streams (`socketpair(2)`).
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixStream::pair`.
    pub fn pair() -> io::Result<(Self, Self)> {
        let (a, b) = net::UnixStream::pair()?;
        Ok((Self::from_std(a)?, Self::from_std(b)?))
    }

    /// Wraps a connected std stream, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking.
    pub fn from_std(stream: net::UnixStream) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(Self::from_nonblocking(stream))
    }

    fn from_nonblocking(stream: net::UnixStream) -> Self {
        UnixStream {
            inner: Registered::from_nonblocking(stream),
            timeouts: Timeouts::default(),
        }
    }

    /// A second handle to the same connection (a `dup` of its
    /// descriptor), registered on its own, so a reading task and a
    /// writing task can each own one. The clone starts with this handle's
    /// timeouts; after that each keeps its own.
    ///
    /// # Errors
    ///
    /// If the descriptor cannot be duplicated (`EMFILE`).
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(Self {
            timeouts: self.timeouts.clone(),
            ..Self::from_nonblocking(self.inner.get_ref().try_clone()?)
        })
    }

    /// The local address (unnamed, for a client that did not bind).
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixStream::local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixStream::peer_addr`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// Shuts down the read half, the write half, or both.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixStream::shutdown`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get_ref().shutdown(how)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixStream::take_error`.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.get_ref().take_error()
    }

    /// Limits how long one read may wait; `None` waits forever. A read that
    /// waits longer fails with `ErrorKind::TimedOut`.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a zero duration, as std.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.timeouts.set_read(timeout)
    }

    /// Limits how long one write may wait; see
    /// [`UnixStream::set_read_timeout`].
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a zero duration, as std.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.timeouts.set_write(timeout)
    }

    /// The read timeout.
    ///
    /// # Errors
    ///
    /// Never; the `Result` mirrors std.
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.timeouts.read())
    }

    /// The write timeout.
    ///
    /// # Errors
    ///
    /// Never; the `Result` mirrors std.
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.timeouts.write())
    }
}

impl Read for &UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let until = self.timeouts.read_deadline();
        self.inner
            .do_io(Direction::Read, until, |mut s| s.read(buf))
    }

    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        let until = self.timeouts.read_deadline();
        self.inner
            .do_io(Direction::Read, until, |mut s| s.read_vectored(bufs))
    }
}

impl Write for &UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let until = self.timeouts.write_deadline();
        self.inner
            // std's `write` passes `MSG_NOSIGNAL` itself; its
            // `write_vectored` does not (see src/net/nosignal.rs).
            .do_io(Direction::Write, until, |mut s| s.write(buf))
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let until = self.timeouts.write_deadline();
        self.inner.do_io(Direction::Write, until, |s| {
            nosignal::send_vectored(s.as_fd(), bufs)
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(()) // no user-space buffer
    }
}

impl Read for UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("inner", &self.inner)
            .finish()
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.get_ref().as_fd()
    }
}
