//! The echo server under test: plain corio code, a task per connection
//! that writes back every byte it reads, until the peer's end of stream.
//! It knows nothing of frames; the clients check every byte.

use std::cell::{Cell, RefCell};
use std::io::{self, ErrorKind, Read, Write};
use std::rc::Rc;

use corio::net::{TcpListener, TcpStream};

/// What the server counted (one runtime, so plain cells).
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Connections open now (a connection task is running).
    pub open: Cell<u64>,
    /// The most connections open at once.
    pub peak: Cell<u64>,
    /// Connections accepted.
    pub accepted: Cell<u64>,
    /// Bytes written back.
    pub bytes: Cell<u64>,
    /// Connections ended by a reset from the peer (`ECONNRESET`).
    pub resets: Cell<u64>,
    /// Connections whose write found the peer gone (`EPIPE`).
    pub broken_pipes: Cell<u64>,
    /// Connections ended by any other error (a failure of the run).
    pub other_errors: Cell<u64>,
    /// The first of those errors, for the report.
    pub first_other_error: RefCell<Option<String>>,
    /// Failed accepts (the server keeps accepting).
    pub accept_errors: Cell<u64>,
}

fn bump(cell: &Cell<u64>, by: u64) {
    cell.set(cell.get() + by);
}

/// Accepts connections forever, a task each. Returns only by cancellation
/// (the end of the `run` it is in).
pub fn serve(listener: TcpListener, stats: Rc<ServerStats>) {
    loop {
        match listener.accept() {
            Ok((stream, _peer)) => {
                bump(&stats.accepted, 1);
                // Echoes are small replies: without this, Nagle's algorithm
                // holds a reply's tail until the client's delayed ACK (40 ms).
                let _ = stream.set_nodelay(true);
                let open = Open::new(Rc::clone(&stats));
                corio::spawn(move || {
                    if let Err(error) = echo(&stream, &open.0) {
                        count_error(&open.0, &error);
                    }
                });
            }
            // `accept` itself waits before returning EMFILE/ENFILE, so
            // retrying at once does not spin.
            Err(_) => bump(&stats.accept_errors, 1),
        }
    }
}

/// Writes back what `stream` sends until its end of stream, then returns
/// (dropping the stream closes it).
fn echo(stream: &TcpStream, stats: &ServerStats) -> io::Result<()> {
    // On the task's stack: a pooled stack costs no allocation.
    let mut buf = [0u8; 4096];
    let mut stream = stream;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        stream.write_all(&buf[..n])?;
        bump(&stats.bytes, n as u64);
    }
}

fn count_error(stats: &ServerStats, error: &io::Error) {
    match error.kind() {
        ErrorKind::ConnectionReset => bump(&stats.resets, 1),
        ErrorKind::BrokenPipe => bump(&stats.broken_pipes, 1),
        _ => {
            bump(&stats.other_errors, 1);
            let mut first = stats.first_other_error.borrow_mut();
            first.get_or_insert_with(|| format!("{:?}: {error}", error.kind()));
        }
    }
}

/// One open connection in [`ServerStats::open`], for as long as it lives
/// (also when its task ends by an error or cancellation).
struct Open(Rc<ServerStats>);

impl Open {
    fn new(stats: Rc<ServerStats>) -> Open {
        bump(&stats.open, 1);
        stats.peak.set(stats.peak.get().max(stats.open.get()));
        Open(stats)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.set(self.0.open.get() - 1);
    }
}
