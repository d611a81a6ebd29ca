//! The tokio twin of `examples/http_server.rs`: the same routes, limits
//! and bytes on the wire (`examples/common/http_routes.rs`), written the
//! way a tokio server usually is: one listener, an accept loop, a task per
//! connection. One thread runs a `current_thread` runtime; `--threads N`
//! with N > 1 runs a `multi_thread` runtime of N workers, whose tasks are
//! stolen between workers (tokio's tasks are `Send`; corio's are not, so
//! corio runs one loop per core instead).
//!
//! ```text
//! cargo run --release --example tokio_http_server -- --threads 0 --port 8080
//! ```
//!
//! Same flags and first stdout line as the corio server; `benches/http.sh`
//! runs both under `wrk`.

#[path = "common/http_routes.rs"]
mod http_routes;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use http_routes::{Connection, IDLE_TIMEOUT, Next, Options, Route};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn main() {
    let options = Options::from_args();
    let mut builder = if options.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(options.threads);
        builder
    };
    let runtime = builder.enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let addr = SocketAddr::from(([127, 0, 0, 1], options.port));
        let listener = match TcpListener::bind(addr).await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!(
                    "tokio_http_server: cannot listen on port {}: {e}",
                    options.port
                );
                std::process::exit(1);
            }
        };
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        println!("listening on {addr}");
        loop {
            match listener.accept().await {
                Ok((stream, _peer)) => {
                    tokio::spawn(serve(stream));
                }
                Err(e) => {
                    eprintln!("tokio_http_server: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    });
}

/// Serves one connection until the client closes it, asks to, sends a
/// malformed request, or stays silent for `IDLE_TIMEOUT`.
async fn serve(mut stream: TcpStream) {
    if stream.set_nodelay(true).is_err() {
        return;
    }
    let mut conn = Connection::default();
    let mut out = Vec::with_capacity(1024);
    loop {
        loop {
            match conn.next_request() {
                Next::Request(request) => {
                    if let Route::Delay(delay) = request.route {
                        if flush(&mut stream, &mut out).await.is_err() {
                            return;
                        }
                        tokio::time::sleep(delay).await;
                    }
                    http_routes::respond(&request, &mut out);
                    if !request.keep_alive {
                        let _ = flush(&mut stream, &mut out).await;
                        close_gently(stream).await;
                        return;
                    }
                }
                Next::NeedMore => break,
                Next::Bad(why) => {
                    http_routes::bad_request(why, &mut out);
                    let _ = flush(&mut stream, &mut out).await;
                    close_gently(stream).await;
                    return;
                }
            }
        }
        if flush(&mut stream, &mut out).await.is_err() {
            return;
        }
        match tokio::time::timeout(IDLE_TIMEOUT, stream.read(conn.spare())).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return,
            Ok(Ok(n)) => conn.filled(n),
        }
    }
}

async fn flush(stream: &mut TcpStream, out: &mut Vec<u8>) -> io::Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    let written = stream.write_all(out).await;
    out.clear();
    written
}

/// As the corio server's: shut the write side, drain a little input for
/// at most a second, so the last answer is not destroyed by a reset.
async fn close_gently(mut stream: TcpStream) {
    if stream.shutdown().await.is_err() {
        return;
    }
    let mut sink = [0; 4096];
    let mut drained = 0;
    while drained < 64 * 1024 {
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut sink)).await {
            Ok(Ok(n)) if n > 0 => drained += n,
            _ => return,
        }
    }
}
