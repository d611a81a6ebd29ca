//! An HTTP/1.1 keep-alive server on every core: one corio event loop per
//! thread, each with its own `SO_REUSEPORT` listener on the same port, so
//! the kernel spreads the connections and the loops share nothing.
//!
//! ```text
//! cargo run --release --example http_server -- --threads 0 --port 8080
//! curl http://127.0.0.1:8080/json
//! ```
//!
//! `--threads N` runs N loops (0: one per core; default 1), `--port P`
//! listens on 127.0.0.1:P (0: any free port; default 8080). The first line
//! on stdout is `listening on <addr>`. The routes, the 400s and the limits
//! are in `examples/common/http_routes.rs`, shared with the tokio twin
//! `examples/tokio_http_server.rs`; `benches/http.sh` runs both under
//! `wrk`.
//!
//! Each connection is a task running plain blocking-style code: read into
//! the connection's buffer, answer every complete request in it, in
//! order (pipelining), write, repeat. A `/delay/N` request parks its task
//! in `corio::sleep`; the other connections of the loop go on.
//!
//! Going from one core to many was one line: `corio::run(serve)` became
//! `corio::Builder::new().threads(n).run(serve)`, with `bind` turned into
//! `bind_reuseport`.

#[path = "common/http_routes.rs"]
pub mod http_routes;

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use http_routes::{Connection, IDLE_TIMEOUT, Next, Options, Route};

fn main() {
    let options = Options::from_args();
    // Every listener is bound before any loop starts, so the port is
    // known (also for port 0) and each loop's listener already receives
    // its share when the address is printed.
    let listeners = match bind_all(options.port, options.threads) {
        Ok(listeners) => listeners,
        Err(e) => {
            eprintln!("http_server: cannot listen on port {}: {e}", options.port);
            std::process::exit(1);
        }
    };
    let addr = listeners[0]
        .local_addr()
        .expect("a bound listener has an address");
    println!("listening on {addr}");
    // One slot per loop: loop i takes listener i (a `TcpListener` is
    // `Send`, and registers with the loop that first waits on it).
    let slots: Vec<Mutex<Option<TcpListener>>> =
        listeners.into_iter().map(|l| Mutex::new(Some(l))).collect();
    corio::Builder::new().threads(options.threads).run(|| {
        let listener = slots[corio::thread_index()]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .expect("each loop takes its own listener once");
        accept_loop(listener)
    });
}

/// `count` listeners on 127.0.0.1:`port`, all with `SO_REUSEPORT`; for
/// port 0, the others on the port the first one got.
fn bind_all(port: u16, count: usize) -> io::Result<Vec<TcpListener>> {
    let first = TcpListener::bind_reuseport(SocketAddr::from(([127, 0, 0, 1], port)))?;
    let addr = first.local_addr()?;
    let mut listeners = vec![first];
    for _ in 1..count {
        listeners.push(TcpListener::bind_reuseport(addr)?);
    }
    Ok(listeners)
}

/// Accepts connections forever, a task for each.
pub fn accept_loop(listener: TcpListener) {
    loop {
        match listener.accept() {
            Ok((stream, _peer)) => {
                corio::spawn(move || serve(stream));
            }
            Err(e) => {
                // For example EMFILE (accept already waited for a free
                // descriptor): say so and go on.
                eprintln!("http_server: accept failed: {e}");
                corio::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Serves one connection until the client closes it, asks to, sends a
/// malformed request, or stays silent for `IDLE_TIMEOUT`.
fn serve(stream: TcpStream) {
    // Answers are written whole: no reason to wait for more (Nagle).
    if stream.set_nodelay(true).is_err() || stream.set_read_timeout(Some(IDLE_TIMEOUT)).is_err() {
        return;
    }
    let mut conn = Connection::default();
    let mut out = Vec::with_capacity(1024);
    loop {
        // Every complete request buffered, in order.
        loop {
            match conn.next_request() {
                Next::Request(request) => {
                    if let Route::Delay(delay) = request.route {
                        // The answers before it go out first.
                        if flush(&stream, &mut out).is_err() {
                            return;
                        }
                        corio::sleep(delay); // parks this connection only
                    }
                    http_routes::respond(&request, &mut out);
                    if !request.keep_alive {
                        let _ = flush(&stream, &mut out);
                        close_gently(&stream);
                        return;
                    }
                }
                Next::NeedMore => break,
                Next::Bad(why) => {
                    http_routes::bad_request(why, &mut out);
                    let _ = flush(&stream, &mut out);
                    close_gently(&stream);
                    return;
                }
            }
        }
        if flush(&stream, &mut out).is_err() {
            return;
        }
        match (&stream).read(conn.spare()) {
            Ok(0) | Err(_) => return, // closed, reset, or idle too long
            Ok(n) => conn.filled(n),
        }
    }
}

/// Writes out the answers made so far.
fn flush(stream: &TcpStream, out: &mut Vec<u8>) -> io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    let mut writer = stream;
    let written = writer.write_all(out);
    out.clear();
    written
}

/// Closes without losing the last answer: shut the write side, then drop
/// what the client still sends (a little, for a second at most) until it
/// closes too. Closing with unread input makes the kernel send a reset,
/// which can destroy an answer the client has not read yet.
fn close_gently(stream: &TcpStream) {
    if stream.shutdown(Shutdown::Write).is_err()
        || stream
            .set_read_timeout(Some(Duration::from_secs(1)))
            .is_err()
    {
        return;
    }
    let mut sink = [0; 4096];
    let mut drained = 0;
    let mut reader = stream;
    while drained < 64 * 1024 {
        match reader.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(n) => drained += n,
        }
    }
}
