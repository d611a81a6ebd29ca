//! [`UnixDatagram`]: a Unix datagram socket whose receives park the task.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;
use std::time::Duration;

use super::retry_with_backoff;
use crate::io::Registered;
use crate::net::Timeouts;
use crate::reactor::Direction;

/// A Unix datagram socket; receives park the task until a datagram
/// arrives, sends park while the peer's queue is full.
///
/// # Examples
///
/// ```
/// use corio::net::UnixDatagram;
///
/// corio::run(|| -> std::io::Result<()> {
///     let (left, right) = UnixDatagram::pair()?;
///     let replier = corio::spawn(move || -> std::io::Result<()> {
///         let mut buf = [0u8; 64];
///         let n = right.recv(&mut buf)?;
///         right.send(&buf[..n].to_ascii_uppercase())?;
///         Ok(())
///     });
///     left.send(b"whisper")?;
///     let mut buf = [0u8; 64];
///     let n = left.recv(&mut buf)?;
///     assert_eq!(&buf[..n], b"WHISPER");
///     replier.join().unwrap()
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixDatagram {
    inner: Registered<net::UnixDatagram>,
    timeouts: Timeouts,
}

impl UnixDatagram {
    /// Binds to the socket file `path`, which must not exist yet.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixDatagram::bind`.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<Self> {
        Self::from_std(net::UnixDatagram::bind(path)?)
    }

    /// Binds to `addr`: a path, or on Linux an abstract name.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixDatagram::bind_addr`.
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<Self> {
        Self::from_std(net::UnixDatagram::bind_addr(addr)?)
    }

    /// A socket bound to no address: it can send, and receive replies
    /// only once connected.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixDatagram::unbound`.
    pub fn unbound() -> io::Result<Self> {
        Self::from_std(net::UnixDatagram::unbound()?)
    }

    /// Two sockets connected to each other (`socketpair(2)`).
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixDatagram::pair`.
    pub fn pair() -> io::Result<(Self, Self)> {
        let (a, b) = net::UnixDatagram::pair()?;
        Ok((Self::from_std(a)?, Self::from_std(b)?))
    }

    /// Wraps a std socket, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking.
    pub fn from_std(socket: net::UnixDatagram) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        Ok(Self::from_nonblocking(socket))
    }

    fn from_nonblocking(socket: net::UnixDatagram) -> Self {
        UnixDatagram {
            inner: Registered::from_nonblocking(socket),
            timeouts: Timeouts::default(),
        }
    }

    /// A second handle to the same socket (a `dup` of its descriptor),
    /// registered on its own. The clone starts with this handle's
    /// timeouts.
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

    /// Sets the only peer `send` and `recv` talk to (it never waits).
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixDatagram::connect`.
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.inner.get_ref().connect(path)
    }

    /// Sets the only peer, by address (a path or an abstract name).
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixDatagram::connect_addr`.
    pub fn connect_addr(&self, addr: &SocketAddr) -> io::Result<()> {
        self.inner.get_ref().connect_addr(addr)
    }

    /// Sends one datagram to the connected peer, parking while its queue
    /// is full.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixDatagram::send`, or `TimedOut`.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        let until = self.timeouts.write_deadline();
        self.inner.do_io(Direction::Write, until, |s| s.send(buf))
    }

    /// Sends one datagram to the socket file `path`.
    ///
    /// While the receiver's queue is full this retries with a growing
    /// pause (1 to 50 ms): for a datagram to a peer it is not connected
    /// to, the kernel reports no readiness that says when there is room.
    /// The write timeout does not apply to these retries.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixDatagram::send_to`.
    pub fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let path = path.as_ref();
        crate::runtime::park::spend_budget();
        retry_with_backoff(|| self.inner.get_ref().send_to(buf, path))
    }

    /// Sends one datagram to `addr`; see [`UnixDatagram::send_to`].
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixDatagram::send_to_addr`.
    pub fn send_to_addr(&self, buf: &[u8], addr: &SocketAddr) -> io::Result<usize> {
        crate::runtime::park::spend_budget();
        retry_with_backoff(|| self.inner.get_ref().send_to_addr(buf, addr))
    }

    /// Receives one datagram from the connected peer. Bytes beyond `buf`'s
    /// length are discarded.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixDatagram::recv`, or `TimedOut`.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let until = self.timeouts.read_deadline();
        self.inner.do_io(Direction::Read, until, |s| s.recv(buf))
    }

    /// Receives one datagram and its sender's address (unnamed if the
    /// sender did not bind).
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixDatagram::recv_from`, or `TimedOut`.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let until = self.timeouts.read_deadline();
        self.inner
            .do_io(Direction::Read, until, |s| s.recv_from(buf))
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixDatagram::local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` if `connect` was not called.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// Shuts down receiving, sending, or both.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixDatagram::shutdown`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get_ref().shutdown(how)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixDatagram::take_error`.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.get_ref().take_error()
    }

    /// Limits how long one receive may wait; `None` waits forever.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a zero duration, as std.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.timeouts.set_read(timeout)
    }

    /// Limits how long one `send` may wait; `None` waits forever.
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

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("inner", &self.inner)
            .finish()
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.get_ref().as_fd()
    }
}
