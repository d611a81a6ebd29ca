//! [`UnixListener`] and its [`UnixIncoming`] iterator.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use super::UnixStream;
use crate::io::Registered;
use crate::reactor::Direction;

/// A Unix stream server socket; `accept` parks the task until a client
/// arrives.
///
/// # Examples
///
/// An abstract address (Linux): no file to create or remove.
///
/// ```
/// use std::os::linux::net::SocketAddrExt;
/// use std::os::unix::net::SocketAddr;
/// use corio::net::{UnixListener, UnixStream};
///
/// let name = format!("corio-doc-listener-{}", std::process::id());
/// let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
/// corio::run(|| -> std::io::Result<()> {
///     let listener = UnixListener::bind_addr(&addr)?;
///     let client = corio::spawn(move || UnixStream::connect_addr(&addr).map(drop));
///     let (_stream, _peer) = listener.accept()?;
///     client.join().unwrap()?;
///     let bound = listener.local_addr()?;
///     assert_eq!(bound.as_abstract_name(), Some(name.as_bytes()));
///     Ok(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixListener {
    inner: Registered<net::UnixListener>,
}

impl UnixListener {
    /// Binds to the socket file `path`, which must not exist yet (as
    /// `std::os::unix::net::UnixListener::bind`; std listens with the
    /// kernel's largest backlog, `net.core.somaxconn`).
    ///
    /// # Errors
    ///
    /// As std: `AddrInUse` if `path` exists, a permission error, ...
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<Self> {
        Self::from_std(net::UnixListener::bind(path)?)
    }

    /// Binds to `addr`: a path, or on Linux an abstract name.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixListener::bind_addr`.
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<Self> {
        Self::from_std(net::UnixListener::bind_addr(addr)?)
    }

    /// Wraps a std listener, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking.
    pub fn from_std(listener: net::UnixListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            inner: Registered::from_nonblocking(listener),
        })
    }

    /// Waits for a connection and returns it with the peer's address
    /// (usually unnamed: clients seldom bind).
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixListener::accept`. Out of file
    /// descriptors (`EMFILE`, `ENFILE`), the error comes back only after
    /// a wait, as for [`TcpListener::accept`](crate::net::TcpListener::accept).
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        match self.inner.do_io(Direction::Read, None, |l| l.accept()) {
            Ok((stream, peer)) => Ok((UnixStream::from_std(stream)?, peer)),
            Err(e) if crate::io::is_fd_exhaustion(&e) => {
                crate::io::wait_for_free_fd();
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// An endless iterator of accepted connections (errors included).
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming { listener: self }
    }

    /// The address this listener is bound to.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixListener::local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// # Errors
    ///
    /// As `std::os::unix::net::UnixListener::take_error`.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.get_ref().take_error()
    }

    /// A second handle to the same listening socket (a `dup` of its
    /// descriptor), registered on its own: two accept loops, in two
    /// tasks or two threads' runtimes, each owning one.
    ///
    /// # Errors
    ///
    /// If the descriptor cannot be duplicated (`EMFILE`).
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(UnixListener {
            inner: Registered::from_nonblocking(self.inner.get_ref().try_clone()?),
        })
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("inner", &self.inner)
            .finish()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.get_ref().as_fd()
    }
}

/// The iterator of [`UnixListener::incoming`].
#[derive(Debug)]
pub struct UnixIncoming<'a> {
    listener: &'a UnixListener,
}

impl Iterator for UnixIncoming<'_> {
    type Item = io::Result<UnixStream>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.listener.accept().map(|(stream, _)| stream))
    }
}
