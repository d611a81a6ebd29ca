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
