//! A tiny HTTP/1.1 server on corio tasks, shared by the examples that need
//! something local to fetch (include it with
//! `#[path = "common/http_server.rs"] mod http_server;`; cargo does not
//! build files in `examples/common/` as examples of their own).
//!
//! [`start`] binds 127.0.0.1 on a port the kernel picks and spawns an accept
//! loop; each connection gets a task of its own. The routes stand in for the
//! sites the asyncio articles fetch:
//!
//! | path | answer |
//! |---|---|
//! | `/` | a short HTML page ([`HOME_PAGE`]) |
//! | `/delay/<seconds>` | a one-line JSON body, sent after sleeping that long (at most 10 s, like httpbin's) |
//! | `/big` | [`BIG_BODY_LEN`] bytes of lowercase letters |
//!
//! Requests are parsed with `httparse`, fed however many reads it takes
//! for the head to arrive. A head that is malformed, or larger than
//! [`MAX_HEAD_BYTES`], gets `400 Bad Request`; nothing a client sends can
//! make the server panic. Every answer carries `Content-Length` and
//! `Connection: close`, one request per connection.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};

/// The body of `/`.
pub const HOME_PAGE: &str = "<!doctype html>\n<html><head><title>Example server</title></head>\n<body><h1>Example server</h1><p>A small page, served at once.</p></body></html>\n";

/// The length of the body of `/big`.
pub const BIG_BODY_LEN: usize = 100_000;

/// The largest request head accepted, in bytes.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;

/// The most headers a request may carry.
const MAX_HEADERS: usize = 32;

/// The longest `/delay/<seconds>` honoured.
const MAX_DELAY: Duration = Duration::from_secs(10);

/// How long a connection may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Binds 127.0.0.1 on an ephemeral port and serves it from a new task,
/// returning the address. Call it inside `corio::run`; the server's tasks
/// are cancelled when `run` returns.
pub fn start() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    corio::spawn(move || accept_loop(listener));
    Ok(addr)
}

/// Accepts connections forever, one task per connection.
fn accept_loop(listener: TcpListener) {
    loop {
        match listener.accept() {
            Ok((stream, _peer)) => {
                corio::spawn(move || serve(stream));
            }
            Err(e) => {
                // For example EMFILE: back off instead of spinning.
                eprintln!("http_server: accept failed: {e}");
                corio::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// What a request asked for: only the parts the routes look at.
struct Request {
    method: String,
    path: String,
}

/// Why no request could be read.
enum Failure {
    /// The client sent something that is not an acceptable request head.
    BadRequest(String),
    /// The connection ended or failed; there is nobody to answer.
    Gone,
}

/// Answers one request and closes the connection.
fn serve(stream: TcpStream) {
    let (status, content_type, body) = match read_request(&stream) {
        Ok(request) => route(&request),
        Err(Failure::BadRequest(why)) => (400, TEXT, format!("bad request: {why}\n")),
        Err(Failure::Gone) => return,
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut out = &stream;
    if out.write_all(head.as_bytes()).is_err() || out.write_all(body.as_bytes()).is_err() {
        return;
    }
    linger_close(&stream);
}

/// Reads until `httparse` has a complete request head, however many reads
/// that takes.
fn read_request(stream: &TcpStream) -> Result<Request, Failure> {
    // A client that connects and says nothing must not hold a task forever.
    stream
        .set_read_timeout(Some(HEAD_TIMEOUT))
        .map_err(|_| Failure::Gone)?;
    let mut buf = vec![0; MAX_HEAD_BYTES];
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            return Err(Failure::BadRequest(format!(
                "request head larger than {MAX_HEAD_BYTES} bytes"
            )));
        }
        let mut input = stream;
        let n = input.read(&mut buf[filled..]).map_err(|_| Failure::Gone)?;
        if n == 0 {
            return Err(if filled == 0 {
                Failure::Gone
            } else {
                Failure::BadRequest("connection closed in the middle of the head".into())
            });
        }
        filled += n;
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut headers);
        match request.parse(&buf[..filled]) {
            Ok(httparse::Status::Complete(_)) => {
                // A complete parse always has both; be careful regardless.
                let method = request.method.unwrap_or_default().to_owned();
                let path = request.path.unwrap_or_default().to_owned();
                return Ok(Request { method, path });
            }
            Ok(httparse::Status::Partial) => continue,
            Err(e) => return Err(Failure::BadRequest(e.to_string())),
        }
    }
}

/// The content types the server sends.
const TEXT: &str = "text/plain; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

/// A status, content type and body.
type Reply = (u16, &'static str, String);

/// The answer to a request.
fn route(request: &Request) -> Reply {
    if request.method != "GET" {
        let body = format!("method {} is not allowed\n", request.method);
        return (405, TEXT, body);
    }
    let path = request.path.split('?').next().unwrap_or_default();
    match path {
        "/" => (200, HTML, HOME_PAGE.to_owned()),
        "/big" => (200, TEXT, big_body()),
        _ => match path.strip_prefix("/delay/") {
            Some(raw) => delay(raw),
            None => (404, TEXT, format!("no route for {path}\n")),
        },
    }
}

/// `/delay/<seconds>`: sleeps (parking this task only), then says so.
fn delay(raw: &str) -> Reply {
    let seconds = raw
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok());
    match seconds {
        Some(wait) if wait <= MAX_DELAY => {
            corio::sleep(wait);
            let body = format!("{{\"path\": \"/delay/{raw}\", \"slept\": {raw}}}\n");
            (200, JSON, body)
        }
        _ => {
            let body = format!("bad request: delay {raw:?} is not 0 to 10 seconds\n");
            (400, TEXT, body)
        }
    }
}

/// The body of `/big`: the alphabet over and over, `BIG_BODY_LEN` bytes.
fn big_body() -> String {
    (b'a'..=b'z')
        .cycle()
        .take(BIG_BODY_LEN)
        .map(char::from)
        .collect()
}

/// Closes the connection without losing the answer: shut the write side,
/// then read (and drop) whatever the client still sends until it closes
/// too. Closing a socket with unread input makes the kernel send a reset,
/// which can destroy a reply the client has not read yet.
fn linger_close(stream: &TcpStream) {
    if stream.shutdown(Shutdown::Write).is_err()
        || stream
            .set_read_timeout(Some(Duration::from_secs(1)))
            .is_err()
    {
        return;
    }
    let mut sink = [0; 4096];
    let mut drained = 0;
    let mut input = stream;
    while drained < 64 * 1024 {
        match input.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(n) => drained += n,
        }
    }
}
