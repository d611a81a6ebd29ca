//! TCP, UDP and Unix sockets whose blocking calls park the task instead of
//! the thread.
//!
//! The types mirror `std::net` (and `std::os::unix::net`) and implement
//! `std::io::Read` / `Write` (also through `&TcpStream` and
//! `&UnixStream`), so synchronous code written for std
//! sockets (`BufReader::read_line`, `httparse`, `serde_json::from_reader`,
//! `tungstenite`) runs on them unchanged, inside tasks, thousands at a time.
//! A read that would block registers interest with the reactor (mio) and
//! parks the task; readiness resumes it where it stopped.
//!
//! Outside [`crate::run`] they block the thread like their std twins.
//!
//! Addresses are a [`ToSocketAddrs`], which takes what std's trait takes
//! (`"127.0.0.1:80"`, `("localhost", 80)`, a `SocketAddr`, ...) but
//! resolves host names on the blocking pool, so a slow DNS answer parks
//! one task rather than the loop.
//!
//! # Examples
//!
//! ```
//! use std::io::{BufRead, BufReader, Write};
//! use corio::net::{TcpListener, TcpStream};
//!
//! corio::run(|| {
//!     let listener = TcpListener::bind("127.0.0.1:0")?;
//!     let addr = listener.local_addr()?;
//!     let server = corio::spawn(move || -> std::io::Result<String> {
//!         let (stream, _) = listener.accept()?;
//!         let mut line = String::new();
//!         BufReader::new(&stream).read_line(&mut line)?; // std's BufReader
//!         (&stream).write_all(line.to_uppercase().as_bytes())?;
//!         Ok(line)
//!     });
//!     let mut client = TcpStream::connect(addr)?;
//!     client.write_all(b"hello\n")?;
//!     let mut reply = String::new();
//!     BufReader::new(&client).read_line(&mut reply)?;
//!     assert_eq!(reply, "HELLO\n");
//!     assert_eq!(server.join().unwrap()?, "hello\n");
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod addr;
mod nosignal;
mod reuseport;
mod sockopt;
mod tcp;
mod udp;
mod unix;

pub use addr::ToSocketAddrs;
#[cfg(feature = "ureq")]
pub(crate) use addr::resolve;
#[doc(hidden)]
pub use addr::set_resolve_hook;
pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixIncoming, UnixListener, UnixStream};

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Resolves `addr` (host names on the blocking pool) and tries `attempt`
/// on each address until one works, returning the last error otherwise
/// (std's behaviour).
fn each_addr<A: ToSocketAddrs, T>(
    addr: A,
    mut attempt: impl FnMut(SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last_error = None;
    for addr in addr::resolve(addr)? {
        match attempt(addr) {
            Ok(value) => return Ok(value),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        )
    }))
}

/// A timeout setting as std checks it: `Some(0)` is an error.
fn check_timeout(timeout: Option<Duration>) -> io::Result<Option<Duration>> {
    if timeout == Some(Duration::ZERO) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "cannot set a 0 duration timeout",
        ));
    }
    Ok(timeout)
}

/// When an operation started now with `timeout` must give up, by the
/// runtime's clock (virtual under `Builder::virtual_time`).
fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| crate::time::now().checked_add(t))
}

/// A socket handle's read and write timeouts. corio keeps them itself
/// (they bound how long a task parks; they are not socket options), so a
/// `try_clone` copies them once and each handle then keeps its own.
#[derive(Clone, Debug, Default)]
struct Timeouts {
    read: Cell<Option<Duration>>,
    write: Cell<Option<Duration>>,
}

impl Timeouts {
    /// Sets the read timeout; `InvalidInput` for a zero one, as std.
    fn set_read(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.read.set(check_timeout(timeout)?);
        Ok(())
    }

    /// Sets the write timeout; `InvalidInput` for a zero one, as std.
    fn set_write(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.write.set(check_timeout(timeout)?);
        Ok(())
    }

    fn read(&self) -> Option<Duration> {
        self.read.get()
    }

    fn write(&self) -> Option<Duration> {
        self.write.get()
    }

    /// When a read started now must give up.
    fn read_deadline(&self) -> Option<Instant> {
        deadline(self.read.get())
    }

    /// When a write started now must give up.
    fn write_deadline(&self) -> Option<Instant> {
        deadline(self.write.get())
    }
}
