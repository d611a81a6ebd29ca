//! [`TcpStream`]: a TCP connection whose reads and writes park the task.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{self, Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::{Duration, Instant};

use crate::io::Registered;
use crate::net::{Timeouts, ToSocketAddrs, check_timeout, deadline, each_addr, nosignal, sockopt};
use crate::reactor::Direction;
use crate::runtime::current;

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
    timeouts: Timeouts,
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
        each_addr(addr, |addr| Self::connect_parked(addr, None))
    }

    /// Opens a connection to `addr`, giving up after `timeout` with
    /// `ErrorKind::TimedOut` (std's `TcpStream::connect_timeout`). Inside a
    /// task it parks the task; other tasks run meanwhile.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a zero timeout (as std), `TimedOut`, or the
    /// connect error (refused, unreachable).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use corio::net::{TcpListener, TcpStream};
    ///
    /// corio::run(|| -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let addr = listener.local_addr()?;
    ///     let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    ///     assert_eq!(stream.peer_addr()?, addr);
    ///     let zero = TcpStream::connect_timeout(&addr, Duration::ZERO).unwrap_err();
    ///     assert_eq!(zero.kind(), std::io::ErrorKind::InvalidInput);
    ///     Ok(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<Self> {
        if !current::in_runtime() {
            return Self::from_std(net::TcpStream::connect_timeout(addr, timeout)?);
        }
        check_timeout(Some(timeout))?;
        Self::connect_parked(*addr, deadline(Some(timeout)))
    }

    /// A non-blocking connect to `addr`, parked on until it completes or
    /// `until` passes.
    fn connect_parked(addr: SocketAddr, until: Option<Instant>) -> io::Result<Self> {
        let stream = Self::from_nonblocking(mio::net::TcpStream::connect(addr)?.into());
        // A non-blocking connect finishes when the socket turns writable;
        // the outcome is then in SO_ERROR (and peer_addr succeeds).
        stream
            .inner
            .do_io(Direction::Write, until, |s| match s.take_error()? {
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
    }

    /// Wraps a connected std stream, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// If the socket cannot be made non-blocking.
    pub fn from_std(stream: net::TcpStream) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(Self::from_nonblocking(stream))
    }

    fn from_nonblocking(stream: net::TcpStream) -> Self {
        TcpStream {
            inner: Registered::from_nonblocking(stream),
            timeouts: Timeouts::default(),
        }
    }

    /// A second handle to the same connection (a `dup` of its
    /// descriptor), registered on its own: one task can read through one
    /// while another writes through the other, each owning its handle
    /// (moved into the task, or to another thread's runtime).
    ///
    /// The clone starts with this handle's read and write timeouts; after
    /// that each keeps its own (corio's timeouts are not socket options).
    ///
    /// # Errors
    ///
    /// If the descriptor cannot be duplicated (`EMFILE`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use corio::net::{TcpListener, TcpStream};
    ///
    /// corio::run(|| -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?)?;
    ///     let (server, _) = listener.accept()?;
    ///     let mut writer = client.try_clone()?;
    ///     let sending = corio::spawn(move || writer.write_all(b"owned by a task"));
    ///     let mut got = [0u8; 15];
    ///     (&server).read_exact(&mut got)?;
    ///     assert_eq!(&got, b"owned by a task");
    ///     sending.join().unwrap()
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(Self {
            timeouts: self.timeouts.clone(),
            ..Self::from_nonblocking(self.inner.get_ref().try_clone()?)
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
        self.timeouts.set_read(timeout)
    }

    /// Limits how long one write may wait; see [`TcpStream::set_read_timeout`].
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

    /// Reads without consuming, parking until data (or end of stream) arrives.
    ///
    /// # Errors
    ///
    /// As `std::net::TcpStream::peek`, or `TimedOut`.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        let until = self.timeouts.read_deadline();
        self.inner.do_io(Direction::Read, until, |s| s.peek(buf))
    }

    /// Reads without consuming and without ever parking: the bytes already
    /// received, `Ok(0)` at the end of the stream, or `Err(WouldBlock)`
    /// when nothing has arrived yet.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when no data is there; otherwise as `peek`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    /// use corio::net::{TcpListener, TcpStream};
    ///
    /// corio::run(|| -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?)?;
    ///     let (server, _) = listener.accept()?;
    ///     let mut buf = [0u8; 8];
    ///     let nothing = server.try_peek(&mut buf).unwrap_err();
    ///     assert_eq!(nothing.kind(), std::io::ErrorKind::WouldBlock);
    ///     client.write_all(b"hi")?;
    ///     server.peek(&mut buf)?; // parks until the bytes are there
    ///     assert_eq!(server.try_peek(&mut buf)?, 2);
    ///     Ok(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.get_ref().peek(buf)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// # Errors
    ///
    /// As `std::net::TcpStream::take_error`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let stream = TcpStream::connect(listener.local_addr()?)?;
    /// assert!(stream.take_error()?.is_none());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.get_ref().take_error()
    }

    /// Sets the IP time-to-live of outgoing packets (`IP_TTL`).
    ///
    /// # Errors
    ///
    /// As `std::net::TcpStream::set_ttl`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::{TcpListener, TcpStream};
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let stream = TcpStream::connect(listener.local_addr()?)?;
    /// stream.set_ttl(42)?;
    /// assert_eq!(stream.ttl()?, 42);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of outgoing packets.
    ///
    /// # Errors
    ///
    /// As `std::net::TcpStream::ttl`.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.get_ref().ttl()
    }

    /// Sets `SO_LINGER`. `Some(Duration::ZERO)` makes dropping the stream
    /// reset the connection (RST) instead of closing it gracefully, the
    /// usual reason to set it; `None` restores the default.
    ///
    /// A non-zero linger makes closing the socket (dropping the stream)
    /// block the thread, and with it every task of the runtime, until the
    /// unsent data is acknowledged or the linger time (whole seconds)
    /// passes: the kernel does that wait inside `close(2)`, which nothing
    /// can park. Prefer `shutdown(Write)` and reading to the end.
    ///
    /// # Errors
    ///
    /// As `setsockopt(2)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    /// use std::time::Duration;
    /// use corio::net::{TcpListener, TcpStream};
    ///
    /// corio::run(|| -> std::io::Result<()> {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?)?;
    ///     let (server, _) = listener.accept()?;
    ///     client.set_linger(Some(Duration::ZERO))?;
    ///     assert_eq!(client.linger()?, Some(Duration::ZERO));
    ///     drop(client); // a reset, not a FIN
    ///     let reset = (&server).read(&mut [0u8; 8]).unwrap_err();
    ///     assert_eq!(reset.kind(), std::io::ErrorKind::ConnectionReset);
    ///     Ok(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        sockopt::set_linger(self.inner.get_ref().as_fd(), linger)
    }

    /// The `SO_LINGER` setting; see [`TcpStream::set_linger`].
    ///
    /// # Errors
    ///
    /// As `getsockopt(2)`.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        sockopt::linger(self.inner.get_ref().as_fd())
    }
}

/// The length to judge a vectored read or write by, for
/// `Registered::do_stream_io`: 0 (never "short") when there are more
/// buffers than one call takes ([`nosignal::MAX_SLICES`]), since the call
/// then leaves some out whatever the socket's state.
fn vectored_len(lens: impl Iterator<Item = usize>, count: usize) -> usize {
    if count > nosignal::MAX_SLICES {
        return 0;
    }
    lens.fold(0, usize::saturating_add)
}

impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let until = self.timeouts.read_deadline();
        self.inner
            .do_stream_io(Direction::Read, until, buf.len(), |mut s| s.read(buf))
    }

    fn read_vectored(&mut self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        let until = self.timeouts.read_deadline();
        let len = vectored_len(bufs.iter().map(|b| b.len()), bufs.len());
        self.inner
            .do_stream_io(Direction::Read, until, len, |mut s| s.read_vectored(bufs))
    }
}

impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let until = self.timeouts.write_deadline();
        self.inner
            // std's `write` passes `MSG_NOSIGNAL` itself; its
            // `write_vectored` does not (see src/net/nosignal.rs).
            .do_stream_io(Direction::Write, until, buf.len(), |mut s| s.write(buf))
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let until = self.timeouts.write_deadline();
        let len = vectored_len(bufs.iter().map(|b| b.len()), bufs.len());
        self.inner.do_stream_io(Direction::Write, until, len, |s| {
            nosignal::send_vectored(s.as_fd(), bufs)
        })
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
