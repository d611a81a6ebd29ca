//! UDP: [`UdpSocket`].

use std::cell::Cell;
use std::fmt;
use std::io;
use std::net::{self, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

use super::{ToSocketAddrs, check_timeout, deadline, each_addr};
use crate::io::Registered;
use crate::reactor::Direction;

/// A UDP socket; receives park the task until a datagram arrives.
///
/// # Examples
///
/// ```
/// use corio::net::UdpSocket;
///
/// corio::run(|| {
///     let server = UdpSocket::bind("127.0.0.1:0").unwrap();
///     let server_addr = server.local_addr().unwrap();
///     let echo = corio::spawn(move || {
///         let mut buf = [0; 64];
///         let (n, from) = server.recv_from(&mut buf).unwrap();
///         server.send_to(&buf[..n], from).unwrap();
///     });
///     let client = UdpSocket::bind("127.0.0.1:0").unwrap();
///     client.connect(server_addr).unwrap();
///     client.send(b"marco").unwrap();
///     let mut buf = [0; 64];
///     let n = client.recv(&mut buf).unwrap();
///     assert_eq!(&buf[..n], b"marco");
///     echo.join().unwrap();
/// });
/// ```
pub struct UdpSocket {
    inner: Registered<net::UdpSocket>,
    read_timeout: Cell<Option<Duration>>,
}

impl UdpSocket {
    /// Binds to `addr`, like `std::net::UdpSocket::bind`; a host name is
    /// resolved on the blocking pool (see [`ToSocketAddrs`]).
    ///
    /// # Errors
    ///
    /// The bind error of the last address tried, or the lookup's error.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<Self> {
        each_addr(addr, |addr| Self::from_std(net::UdpSocket::bind(addr)?))
    }

    /// Binds to `addr` with `SO_REUSEPORT` set first, so several sockets
    /// (one per event loop) share one port; the kernel hands each
    /// datagram to one of them, by a hash of the sender's address and
    /// port (so one sender's datagrams all reach the same socket). Port 0
    /// picks a free port for this socket alone; bind the others on the
    /// port it got.
    ///
    /// # Errors
    ///
    /// The bind error of the last address tried (`AddrInUse` if a socket
    /// without `SO_REUSEPORT` holds the port), or the lookup's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::UdpSocket;
    ///
    /// corio::run(|| -> std::io::Result<()> {
    ///     let first = UdpSocket::bind_reuseport("127.0.0.1:0")?;
    ///     let addr = first.local_addr()?;
    ///     let second = UdpSocket::bind_reuseport(addr)?;
    ///     let sender = UdpSocket::bind("127.0.0.1:0")?;
    ///     sender.send_to(b"ping", addr)?;
    ///     let mut buf = [0; 8];
    ///     let (n, from) = match corio::select(|| first.recv_from(&mut [0; 8]), || second.recv_from(&mut buf)) {
    ///         corio::Either::Left(got) | corio::Either::Right(got) => got?,
    ///     };
    ///     assert_eq!((n, from), (4, sender.local_addr()?));
    ///     Ok(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind_reuseport<A: ToSocketAddrs>(addr: A) -> io::Result<Self> {
        each_addr(addr, |addr| {
            let socket = crate::net::reuseport::bind(addr, libc::SOCK_DGRAM)?;
            Self::from_std(net::UdpSocket::from(socket))
        })
    }

    /// Wraps a std socket, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking.
    pub fn from_std(socket: net::UdpSocket) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            inner: Registered::from_nonblocking(socket),
            read_timeout: Cell::new(None),
        })
    }

    /// A second handle to the same socket (a `dup` of its descriptor),
    /// registered on its own, so a receiving task and a sending task can
    /// each own one. The clone starts with this handle's read timeout.
    ///
    /// # Errors
    ///
    /// If the descriptor cannot be duplicated (`EMFILE`).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::UdpSocket;
    ///
    /// corio::run(|| -> std::io::Result<()> {
    ///     let socket = UdpSocket::bind("127.0.0.1:0")?;
    ///     let addr = socket.local_addr()?;
    ///     let sender = socket.try_clone()?;
    ///     corio::spawn(move || sender.send_to(b"to myself", addr));
    ///     let mut buf = [0u8; 16];
    ///     let (n, from) = socket.recv_from(&mut buf)?;
    ///     assert_eq!((&buf[..n], from), (&b"to myself"[..], addr));
    ///     Ok(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(UdpSocket {
            inner: Registered::from_nonblocking(self.inner.get_ref().try_clone()?),
            read_timeout: Cell::new(self.read_timeout.get()),
        })
    }

    /// Sends one datagram to `addr`; returns the bytes sent. A host name is
    /// resolved on the blocking pool first (see [`ToSocketAddrs`]).
    ///
    /// # Errors
    ///
    /// As `std::net::UdpSocket::send_to`, or the lookup's error.
    pub fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        each_addr(addr, |addr| {
            self.inner
                .do_io(Direction::Write, None, |s| s.send_to(buf, addr))
        })
    }

    /// Receives one datagram; returns its length and sender. Bytes beyond
    /// `buf`'s length are discarded, as in std.
    ///
    /// # Errors
    ///
    /// As `std::net::UdpSocket::recv_from`, or `TimedOut`.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let until = deadline(self.read_timeout.get());
        self.inner
            .do_io(Direction::Read, until, |s| s.recv_from(buf))
    }

    /// Sets the only peer `send` and `recv` talk to; a host name is
    /// resolved on the blocking pool first (see [`ToSocketAddrs`]).
    ///
    /// # Errors
    ///
    /// As `std::net::UdpSocket::connect`, or the lookup's error.
    pub fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        each_addr(addr, |addr| self.inner.get_ref().connect(addr))
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// As `std::net::UdpSocket::send` (for example, not connected).
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.do_io(Direction::Write, None, |s| s.send(buf))
    }

    /// Receives one datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// As `std::net::UdpSocket::recv`, or `TimedOut`.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let until = deadline(self.read_timeout.get());
        self.inner.do_io(Direction::Read, until, |s| s.recv(buf))
    }

    /// Limits how long one receive may wait; `None` waits forever.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a zero duration, as std.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.read_timeout.set(check_timeout(timeout)?);
        Ok(())
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// As `std::net::UdpSocket::local_addr`.
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

    /// Takes the pending socket error (`SO_ERROR`), if any: for example
    /// `ConnectionRefused` after a datagram to a port nobody listens on.
    ///
    /// # Errors
    ///
    /// As `std::net::UdpSocket::take_error`.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    /// assert!(socket.take_error()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.get_ref().take_error()
    }

    /// Sets the IP time-to-live of outgoing datagrams (`IP_TTL`).
    ///
    /// # Errors
    ///
    /// As `std::net::UdpSocket::set_ttl`.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_ttl(7)?;
    /// assert_eq!(socket.ttl()?, 7);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of outgoing datagrams.
    ///
    /// # Errors
    ///
    /// As `std::net::UdpSocket::ttl`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.get_ref().ttl()
    }

    /// Allows or forbids sending to broadcast addresses (`SO_BROADCAST`).
    ///
    /// # Errors
    ///
    /// As `std::net::UdpSocket::set_broadcast`.
    ///
    /// # Examples
    ///
    /// ```
    /// let socket = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    /// socket.set_broadcast(true)?;
    /// assert!(socket.broadcast()?);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.get_ref().set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    ///
    /// # Errors
    ///
    /// As `std::net::UdpSocket::broadcast`.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.inner.get_ref().broadcast()
    }

    /// The read timeout.
    ///
    /// # Errors
    ///
    /// Never; the `Result` mirrors std.
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.read_timeout.get())
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("inner", &self.inner)
            .finish()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.get_ref().as_raw_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.get_ref().as_fd()
    }
}
