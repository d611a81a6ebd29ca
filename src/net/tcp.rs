//! TCP: [`TcpListener`] and [`TcpStream`].

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{self, Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

use super::{ToSocketAddrs, check_timeout, deadline, each_addr};
use crate::io::Registered;
use crate::reactor::Direction;
use crate::runtime::current;

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
        /// Connections the kernel queues for `accept`.
        const BACKLOG: libc::c_int = 1024;
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

/// A TCP connection. Reads and writes park the task while the socket is
/// not ready; it implements `Read` and `Write`, also through `&TcpStream`
/// so one task can read while another writes.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use corio::net::{TcpListener, TcpStream};
///
/// corio::run(|| {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     corio::spawn(move || {
///         let (mut s, _) = listener.accept().unwrap();
///         let mut buf = [0; 4];
///         s.read_exact(&mut buf).unwrap();
///         s.write_all(&buf).unwrap(); // echo
///     });
///     let mut c = TcpStream::connect(addr).unwrap();
///     c.write_all(b"ping").unwrap();
///     let mut back = [0; 4];
///     c.read_exact(&mut back).unwrap();
///     assert_eq!(&back, b"ping");
/// });
/// ```
pub struct TcpStream {
    inner: Registered<net::TcpStream>,
    read_timeout: Cell<Option<Duration>>,
    write_timeout: Cell<Option<Duration>>,
}

impl TcpStream {
    /// Opens a connection to `addr`, trying each resolved address in turn.
    /// Inside a task the connect parks the task, not the thread, and so
    /// does the lookup of a host name (see [`ToSocketAddrs`]).
    ///
    /// # Errors
    ///
    /// The connect error of the last address tried (refused, unreachable),
    /// or the lookup's error.
    pub fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<Self> {
        if !current::in_runtime() {
            return each_addr(addr, |addr| Self::from_std(net::TcpStream::connect(addr)?));
        }
        each_addr(addr, |addr| {
            let stream = Self::from_std(mio::net::TcpStream::connect(addr)?.into())?;
            // A non-blocking connect finishes when the socket turns writable;
            // the outcome is then in SO_ERROR (and peer_addr succeeds).
            stream
                .inner
                .do_io(Direction::Write, None, |s| match s.take_error()? {
                    Some(e) => Err(e),
                    None => match s.peer_addr() {
                        Ok(_) => Ok(()),
                        Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                            Err(io::ErrorKind::WouldBlock.into())
                        }
                        Err(e) => Err(e),
                    },
                })?;
            Ok(stream)
        })
    }

    /// Wraps a connected std stream, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking.
    pub fn from_std(stream: net::TcpStream) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(TcpStream {
            inner: Registered::from_nonblocking(stream),
            read_timeout: Cell::new(None),
            write_timeout: Cell::new(None),
        })
    }

    /// The remote address.
    ///
    /// # Errors
    ///
    /// `NotConnected` if the connection is gone.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// As `std::net::TcpStream::local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Shuts down the read half, the write half, or both.
    ///
    /// # Errors
    ///
    /// As `std::net::TcpStream::shutdown`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get_ref().shutdown(how)
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    ///
    /// # Errors
    ///
    /// As `std::net::TcpStream::set_nodelay`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    ///
    /// As `std::net::TcpStream::nodelay`.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.get_ref().nodelay()
    }

    /// Limits how long one read may wait; `None` waits forever. A read that
    /// waits longer fails with `ErrorKind::TimedOut` (std says `WouldBlock`
    /// or `TimedOut` depending on the platform).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a zero duration, as std.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.read_timeout.set(check_timeout(timeout)?);
        Ok(())
    }

    /// Limits how long one write may wait; see [`TcpStream::set_read_timeout`].
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a zero duration, as std.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.write_timeout.set(check_timeout(timeout)?);
        Ok(())
    }

    /// The read timeout.
    ///
    /// # Errors
    ///
    /// Never; the `Result` mirrors std.
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.read_timeout.get())
    }

    /// The write timeout.
    ///
    /// # Errors
    ///
    /// Never; the `Result` mirrors std.
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.write_timeout.get())
    }

    /// Reads without consuming, parking until data (or end of stream) arrives.
    ///
    /// # Errors
    ///
    /// As `std::net::TcpStream::peek`, or `TimedOut`.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        let until = deadline(self.read_timeout.get());
        self.inner.do_io(Direction::Read, until, |s| s.peek(buf))
    }
}

impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let until = deadline(self.read_timeout.get());
        self.inner
            .do_io(Direction::Read, until, |mut s| s.read(buf))
    }

    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        let until = deadline(self.read_timeout.get());
        self.inner
            .do_io(Direction::Read, until, |mut s| s.read_vectored(bufs))
    }
}

impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let until = deadline(self.write_timeout.get());
        self.inner
            .do_io(Direction::Write, until, |mut s| s.write(buf))
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let until = deadline(self.write_timeout.get());
        self.inner
            .do_io(Direction::Write, until, |mut s| s.write_vectored(bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(()) // TCP sockets have no user-space buffer
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for TcpStream {
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

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("inner", &self.inner)
            .finish()
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

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.get_ref().as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.get_ref().as_fd()
    }
}
