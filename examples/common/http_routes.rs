//! The HTTP/1.1 side of `examples/http_server.rs` and its tokio twin
//! `examples/tokio_http_server.rs`: request parsing, routing and response
//! bytes, with no runtime in it, so both servers answer byte for byte
//! alike and differ only in how they wait. Include it with
//! `#[path = "common/http_routes.rs"] mod http_routes;`.
//!
//! | path | answer |
//! |---|---|
//! | `/` | `200`, [`HELLO`] as `text/plain` |
//! | `/json` | `200`, `{"message":"Hello, World!"}` (serde_json) |
//! | `/delay/<ms>` | `200`, a one-line JSON body, sent after `<ms>` milliseconds (at most [`MAX_DELAY_MS`]) |
//! | anything else | `404` |
//! | a malformed request | `400`, then the connection is closed |
//!
//! A [`Connection`] holds the bytes read so far and hands out complete
//! requests in the order they arrived, so pipelined requests are answered
//! in order. Its buffer is [`MAX_HEAD_BYTES`]: a request head that does
//! not fit is refused with `400`, so no client can make a connection hold
//! more. A body announced with `Content-Length` (at most [`MAX_BODY_BYTES`])
//! is read and ignored; `Transfer-Encoding` bodies are refused. Nothing a
//! client sends can make this code panic.

use std::mem::MaybeUninit;
use std::time::Duration;

#[path = "faults.rs"]
pub mod faults;

/// The body of `/`.
pub const HELLO: &str = "Hello, World!";

/// The largest request head accepted, in bytes (and the buffer size of a
/// connection).
pub const MAX_HEAD_BYTES: usize = 8 * 1024;

/// The largest request body accepted (and skipped), in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The most headers a request may carry.
const MAX_HEADERS: usize = 32;

/// The longest `/delay/<ms>` honoured, in milliseconds.
pub const MAX_DELAY_MS: u64 = 10_000;

/// How long a connection may stay silent (between requests, or in the
/// middle of one) before the server closes it.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Hello,
    Json,
    /// Answer after this long.
    Delay(Duration),
    NotFound,
}

/// One complete request, as far as the server cares.
#[derive(Debug)]
pub struct Request {
    pub route: Route,
    /// The connection stays open after the answer.
    pub keep_alive: bool,
    /// `HEAD`: the answer has no body.
    head_only: bool,
}

/// What [`Connection::next_request`] found in the bytes read so far.
#[derive(Debug)]
pub enum Next {
    /// A complete request, removed from the buffer.
    Request(Request),
    /// Read more bytes (into [`Connection::spare`]) first.
    NeedMore,
    /// Not an acceptable request: answer with [`bad_request`] and close.
    Bad(&'static str),
}

/// The bytes one connection has sent and not yet been answered for.
#[derive(Debug)]
pub struct Connection {
    buf: Box<[u8]>,
    /// `buf[..filled]` holds bytes read and not consumed.
    filled: usize,
    /// Body bytes of the last request still to arrive and be dropped.
    body_left: usize,
}

impl Default for Connection {
    fn default() -> Self {
        Connection {
            buf: vec![0; MAX_HEAD_BYTES].into_boxed_slice(),
            filled: 0,
            body_left: 0,
        }
    }
}

impl Connection {
    /// Where the next read goes. Empty when the buffer is full, which
    /// [`next_request`](Connection::next_request) reports as `Bad` first.
    pub fn spare(&mut self) -> &mut [u8] {
        &mut self.buf[self.filled..]
    }

    /// Records that a read put `n` bytes at the start of `spare()`.
    pub fn filled(&mut self, n: usize) {
        self.filled = (self.filled + n).min(self.buf.len());
    }

    /// The next complete request, if the buffer holds one.
    pub fn next_request(&mut self) -> Next {
        // First drop the rest of the last request's body.
        let skip = self.body_left.min(self.filled);
        self.consume(skip);
        self.body_left -= skip;
        if self.body_left > 0 {
            return Next::NeedMore;
        }
        // Left uninitialised, so a request writes only the headers it has
        // (wrk sends two) instead of all 32 slots (1 KiB, 16 cache lines)
        // first. In a corio task these frames are on the task's own stack,
        // cold after the other connections' tasks ran: at 500 connections
        // those writes were the largest source of cache misses per request
        // (cachegrind: 9 of corio's 28 write misses).
        let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut []);
        let head_len =
            match parsed.parse_with_uninit_headers(&self.buf[..self.filled], &mut headers) {
                Ok(httparse::Status::Complete(len)) => len,
                Ok(httparse::Status::Partial) if self.filled == self.buf.len() => {
                    return Next::Bad("request head too large");
                }
                Ok(httparse::Status::Partial) => return Next::NeedMore,
                Err(httparse::Error::TooManyHeaders) => return Next::Bad("too many headers"),
                Err(_) => return Next::Bad("malformed request"),
            };
        // A complete head has its method, path and version.
        let (Some(method), Some(path), Some(version)) =
            (parsed.method, parsed.path, parsed.version)
        else {
            return Next::Bad("malformed request");
        };
        let mut keep_alive = version == 1;
        let mut body_len = 0usize;
        for header in parsed.headers.iter() {
            if header.name.eq_ignore_ascii_case("content-length") {
                let Some(len) = std::str::from_utf8(header.value)
                    .ok()
                    .and_then(|v| v.trim().parse::<usize>().ok())
                else {
                    return Next::Bad("bad Content-Length");
                };
                if len > MAX_BODY_BYTES {
                    if faults::broken(faults::Fault::PanicOnHugeBody) {
                        panic!("the PanicOnHugeBody fault: Content-Length {len}");
                    }
                    return Next::Bad("body too large");
                }
                body_len = len;
            } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
                return Next::Bad("Transfer-Encoding is not supported");
            } else if header.name.eq_ignore_ascii_case("connection") {
                let value = header.value;
                if has_token(value, b"close") {
                    keep_alive = false;
                } else if has_token(value, b"keep-alive") {
                    keep_alive = true;
                }
            }
        }
        let request = Request {
            route: route(path),
            keep_alive,
            head_only: method == "HEAD",
        };
        self.consume(head_len);
        self.body_left = body_len;
        Next::Request(request)
    }

    /// Drops the first `n` buffered bytes.
    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.filled, 0);
        self.filled -= n;
    }
}

/// True if the comma-separated header `value` lists `token` (any case).
fn has_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}

/// The route of a request target (its query string ignored).
pub fn route(target: &str) -> Route {
    let path = target.split('?').next().unwrap_or(target);
    match path {
        "/" => Route::Hello,
        "/json" => Route::Json,
        _ => match path.strip_prefix("/delay/").map(str::parse::<u64>) {
            Some(Ok(ms)) if ms <= MAX_DELAY_MS => Route::Delay(Duration::from_millis(ms)),
            _ => Route::NotFound,
        },
    }
}

/// Appends the answer to `request` (after any delay it asked for) to
/// `out`.
pub fn respond(request: &Request, out: &mut Vec<u8>) {
    let (status, content_type, body) = match &request.route {
        Route::Hello => (200, "text/plain", HELLO.as_bytes().to_vec()),
        Route::Json => (
            200,
            "application/json",
            serde_json::to_vec(&serde_json::json!({ "message": HELLO }))
                .expect("a JSON object of a string serializes"),
        ),
        Route::Delay(d) => (
            200,
            "application/json",
            format!("{{\"delay_ms\":{}}}\n", d.as_millis()).into_bytes(),
        ),
        Route::NotFound => (404, "text/plain", b"not found\n".to_vec()),
    };
    let body: &[u8] = if request.head_only { &[] } else { &body };
    write_response(out, status, content_type, body, request.keep_alive);
}

/// Appends a `400` answer naming `why`; the connection closes after it.
pub fn bad_request(why: &str, out: &mut Vec<u8>) {
    write_response(
        out,
        400,
        "text/plain",
        format!("bad request: {why}\n").as_bytes(),
        false,
    );
}

fn write_response(
    out: &mut Vec<u8>,
    status: u16,
    content_type: &str,
    body: &[u8],
    keep_alive: bool,
) {
    use std::io::Write;
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let connection = if keep_alive { "keep-alive" } else { "close" };
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: {connection}\r\n\r\n",
        body.len()
    );
    out.extend_from_slice(body);
}

/// `--threads N` (0: one per core; default 1) and `--port P` (0: any free
/// port; default 8080), shared by both servers.
#[derive(Debug)]
pub struct Options {
    pub threads: usize,
    pub port: u16,
}

impl Options {
    /// Parses the command line, exiting with a usage line on a bad one.
    pub fn from_args() -> Options {
        let mut options = Options {
            threads: 1,
            port: 8080,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let value = args.next();
            let ok = match (flag.as_str(), value.as_deref().map(str::parse::<u64>)) {
                ("--threads", Some(Ok(n))) if n <= 1024 => {
                    options.threads = n as usize;
                    true
                }
                ("--port", Some(Ok(p))) if p <= u64::from(u16::MAX) => {
                    options.port = p as u16;
                    true
                }
                _ => false,
            };
            if !ok {
                eprintln!(
                    "usage: [--threads N] [--port P]   (N <= 1024, 0: one per core; P = 0: any port)"
                );
                std::process::exit(2);
            }
        }
        if options.threads == 0 {
            options.threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        }
        options
    }
}
