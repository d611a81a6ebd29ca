//! Unix domain sockets: [`UnixListener`] (with [`UnixIncoming`]),
//! [`UnixStream`] and [`UnixDatagram`], shaped like `std::os::unix::net`'s.
//!
//! Addresses are paths (`bind("/run/app.sock")`) or, through
//! `std::os::unix::net::SocketAddr` and the `bind_addr` / `connect_addr`
//! constructors, anything std can name: on Linux that includes abstract
//! names (`SocketAddr::from_abstract_name`, from
//! `std::os::linux::net::SocketAddrExt`), which live in no file system and
//! vanish with their socket. A path stays in the file system after its
//! socket is dropped, as with std: remove it before binding again.
//!
//! # Examples
//!
//! ```
//! use std::io::{Read, Write};
//! use corio::net::{UnixListener, UnixStream};
//!
//! let path = std::env::temp_dir().join(format!("corio-doc-{}.sock", std::process::id()));
//! let _ = std::fs::remove_file(&path);
//! let got = corio::run(|| -> std::io::Result<String> {
//!     let listener = UnixListener::bind(&path)?;
//!     let server = corio::spawn(move || -> std::io::Result<()> {
//!         let (mut stream, _) = listener.accept()?;
//!         let mut name = String::new();
//!         stream.read_to_string(&mut name)?; // until the client's shutdown
//!         stream.write_all(format!("hello, {name}").as_bytes())
//!     });
//!     let mut client = UnixStream::connect(&path)?;
//!     client.write_all(b"unix")?;
//!     client.shutdown(std::net::Shutdown::Write)?;
//!     let mut reply = String::new();
//!     client.read_to_string(&mut reply)?;
//!     server.join().unwrap()?;
//!     Ok(reply)
//! })?;
//! assert_eq!(got, "hello, unix");
//! std::fs::remove_file(&path)?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod datagram;
mod listener;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::{UnixIncoming, UnixListener};
pub use stream::UnixStream;

use std::io;
use std::time::Duration;

/// The first pause of [`retry_with_backoff`]; each next one doubles, up to
/// [`BACKOFF_MAX`].
const BACKOFF_MIN: Duration = Duration::from_millis(1);

/// The longest pause of [`retry_with_backoff`].
const BACKOFF_MAX: Duration = Duration::from_millis(50);

/// Runs `op` until it returns anything but `Err(WouldBlock)`, pausing in
/// between with a growing back-off (a corio sleep in a task, a thread
/// sleep outside `run`).
///
/// For the two Unix-socket calls whose `WouldBlock` no readiness event
/// ends: a connect to a listener whose backlog is full, and a datagram to
/// an unconnected peer whose queue is full. Where a task must not wait
/// (its stack is being cancelled, or the loop runs it outside any task),
/// it fails at once with the error of any I/O wait there.
fn retry_with_backoff<R>(mut op: impl FnMut() -> io::Result<R>) -> io::Result<R> {
    let mut pause = BACKOFF_MIN;
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            result => return result,
        }
        if let Some(refused) = crate::io::refuse_to_wait() {
            return Err(refused);
        }
        // The peer drains its queue on its own: an outside wait, which
        // virtual time must not jump past.
        crate::runtime::clock::poll_pause(pause);
        pause = (pause * 2).min(BACKOFF_MAX);
    }
}
