//! [`TcpListener`] and its [`Incoming`] iterator.

use std::fmt;
use std::io;
use std::net::{self, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use super::TcpStream;
use crate::io::Registered;
use crate::net::{ToSocketAddrs, each_addr};
use crate::reactor::Direction;

/// Connections the kernel queues for `accept`.
const BACKLOG: libc::c_int = 1024;

/// A TCP server socket; `accept` parks the task until a client arrives.
///
/// # Examples
///
/// ```
/// use corio::net::{TcpListener, TcpStream};
///
/// corio::run(|| {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = corio::spawn(move || TcpStream::connect(addr).unwrap().local_addr().unwrap());
///     let (_stream, peer) = listener.accept().unwrap();
///     assert_eq!(peer, client.join().unwrap());
/// });
/// ```
pub struct TcpListener {
    inner: Registered<net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (port 0 picks a free port), like
    /// `std::net::TcpListener::bind`, but with a listen backlog of 1024
    /// (std and mio use 128): a server of many tasks is often sent bursts
    /// of connections that arrive faster than one accept loop turn. The
    /// kernel caps it at `net.core.somaxconn` (4096 by default since Linux
    /// 5.4). A host name is resolved on the blocking pool (see
    /// [`ToSocketAddrs`]).
    ///
    /// # Errors
    ///
    /// The bind error of the last address tried, or the lookup's error.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<Self> {
        each_addr(addr, |addr| {
            // std binds with SO_REUSEADDR and listens with a backlog of 128;
            // listening again on a listening socket only changes the backlog.
            let listener = net::TcpListener::bind(addr)?;
            // SAFETY: `listen` takes a descriptor and an integer; the
            // descriptor is owned by `listener` and open during the call.
            if unsafe { libc::listen(listener.as_raw_fd(), BACKLOG) } == -1 {
                return Err(io::Error::last_os_error());
            }
            Self::from_std(listener)
        })
    }

    /// Binds to `addr` with `SO_REUSEPORT` set first, so that several
    /// listeners (one per event loop of a [`crate::Builder::run`], or
    /// per process) share one port and the kernel spreads the incoming
    /// connections over them, by a hash of each client's address and
    /// port. Every socket on the port must set the option (all made by
    /// this function, or by code that sets it), under the same user.
    /// The backlog is `bind`'s (1024).
    ///
    /// Port 0 picks a free port for this listener alone: bind the first
    /// listener on port 0, then the others on the port it got.
    ///
    /// # Errors
    ///
    /// The bind error of the last address tried (`AddrInUse` if a socket
    /// without `SO_REUSEPORT` holds the port), or the lookup's error.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::{TcpListener, TcpStream};
    ///
    /// corio::run(|| -> std::io::Result<()> {
    ///     let first = TcpListener::bind_reuseport("127.0.0.1:0")?;
    ///     let addr = first.local_addr()?;
    ///     let second = TcpListener::bind_reuseport(addr)?; // same port
    ///     assert_eq!(second.local_addr()?, addr);
    ///     // The kernel hands the connection to one of the two.
    ///     let client = TcpStream::connect(addr)?;
    ///     let (_stream, peer) = match corio::select(|| first.accept(), || second.accept()) {
    ///         corio::Either::Left(accepted) | corio::Either::Right(accepted) => accepted?,
    ///     };
    ///     assert_eq!(peer, client.local_addr()?);
    ///     Ok(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bind_reuseport<A: ToSocketAddrs>(addr: A) -> io::Result<Self> {
        each_addr(addr, |addr| {
            let socket = crate::net::reuseport::bind(addr, libc::SOCK_STREAM)?;
            // SAFETY: `listen` takes a descriptor and an integer; the
            // descriptor is owned by `socket` and open during the call.
            if unsafe { libc::listen(socket.as_raw_fd(), BACKLOG) } == -1 {
                return Err(io::Error::last_os_error());
            }
            Self::from_std(net::TcpListener::from(socket))
        })
    }

    /// Wraps a std listener, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking.
    pub fn from_std(listener: net::TcpListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            inner: Registered::from_nonblocking(listener),
        })
    }

    /// Waits for a connection and returns it with the peer's address.
    ///
    /// # Errors
    ///
    /// As `std::net::TcpListener::accept`. When the process or system is
    /// out of file descriptors (`EMFILE`, `ENFILE`), the error comes back
    /// only after the task waited until this runtime closed a socket or a
    /// short back-off passed, so a loop that retries on errors does not
    /// spin and starve the tasks that would close descriptors.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        match self.inner.do_io(Direction::Read, None, |l| l.accept()) {
            Ok((stream, peer)) => Ok((TcpStream::from_std(stream)?, peer)),
            Err(e) if crate::io::is_fd_exhaustion(&e) => {
                crate::io::wait_for_free_fd();
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// An endless iterator of accepted connections (errors included).
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The address this listener is bound to.
    ///
    /// # Errors
    ///
    /// As `std::net::TcpListener::local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("inner", &self.inner)
            .finish()
    }
}

/// The iterator of [`TcpListener::incoming`].
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.listener.accept().map(|(stream, _)| stream))
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.get_ref().as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.get_ref().as_fd()
    }
}
