//! The tokio twin of `examples/fetch_urls.rs`: the same three concurrent
//! fetches on a current-thread tokio runtime, written with `async fn` and
//! `.await`. Run it with `cargo run --release --example tokio_fetch_urls`.
//!
//! The local server lives in this file too (tokio tasks instead of corio
//! ones) and behaves like `examples/common/http_server.rs`: the same routes,
//! bodies and `400` answers, so the three versions print the same lines,
//! apart from the timings and the port.
//!
//! Set it beside the corio version: every function that touches the
//! network is `async`, every call to one is followed by `.await`, and the
//! reads come from `AsyncReadExt` rather than `std::io::Read`. corio runs
//! the same straight-line code without that colouring.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The most response headers the client accepts.
const MAX_HEADERS: usize = 32;

/// The largest response head the client accepts, in bytes.
const MAX_HEAD_BYTES: usize = 16 * 1024;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let addr = match server::start().await {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("cannot start the local server: {e}");
            std::process::exit(1);
        }
    };
    let urls = ["/", "/delay/2", "/big"].map(|path| format!("http://{addr}{path}"));

    let t0 = Instant::now();
    // asyncio.gather: each coroutine becomes a task, results in the order
    // given. (`tokio::spawn` needs `'static` futures, so each task owns its
    // URL; corio's `gather` can borrow them.)
    let tasks: Vec<_> = urls
        .iter()
        .map(|url| tokio::spawn(fetch_and_report(url.clone(), t0)))
        .collect();
    let mut fetched = 0;
    for task in tasks {
        if task.await.unwrap_or(false) {
            fetched += 1;
        }
    }
    println!(
        "fetched {fetched} URLs in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    if fetched != urls.len() {
        std::process::exit(1);
    }
}

/// The article's `fetch`: log the start, get the body, log its size.
async fn fetch_and_report(url: String, t0: Instant) -> bool {
    let stamp = || format!("[T+{:.2}s]", t0.elapsed().as_secs_f64());
    println!("{} Starting: {url}", stamp());
    match fetch(&url).await {
        Ok(text) => {
            println!(
                "{} Done: {url} -> {} characters",
                stamp(),
                text.chars().count()
            );
            true
        }
        Err(e) => {
            println!("{} Failed: {url} -> {e}", stamp());
            false
        }
    }
}

/// GETs an `http://host:port/path` URL and returns the body as text.
async fn fetch(url: &str) -> io::Result<String> {
    let (authority, path) = split_url(url)?;
    let mut stream = TcpStream::connect(authority).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;

    let mut received = Vec::new();
    let mut chunk = [0; 8192];
    let (status, content_length, head_len) = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(invalid("connection closed before the response head"));
        }
        received.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut headers);
        match response.parse(&received) {
            Ok(httparse::Status::Complete(head_len)) => {
                let length = content_length(response.headers)?;
                break (response.code.unwrap_or_default(), length, head_len);
            }
            Ok(httparse::Status::Partial) if received.len() <= MAX_HEAD_BYTES => {}
            Ok(httparse::Status::Partial) => return Err(invalid("response head too large")),
            Err(e) => return Err(invalid(&format!("bad response head: {e}"))),
        }
    };
    if status != 200 {
        return Err(invalid(&format!("HTTP status {status}")));
    }

    let mut body = received.split_off(head_len);
    match content_length {
        Some(length) => {
            let missing = length.saturating_sub(body.len()) as u64;
            (&mut stream).take(missing).read_to_end(&mut body).await?;
            if body.len() < length {
                return Err(invalid("connection closed in the middle of the body"));
            }
            body.truncate(length);
        }
        None => {
            stream.read_to_end(&mut body).await?;
        }
    }
    String::from_utf8(body).map_err(|_| invalid("the body is not UTF-8"))
}

/// The `Content-Length` header's value, if there is one.
fn content_length(headers: &[httparse::Header<'_>]) -> io::Result<Option<usize>> {
    let Some(header) = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
    else {
        return Ok(None);
    };
    std::str::from_utf8(header.value)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .map(Some)
        .ok_or_else(|| invalid("bad Content-Length"))
}

/// Splits `http://host:port/path` into `("host:port", "/path")`.
fn split_url(url: &str) -> io::Result<(&str, &str)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| invalid("only http:// URLs are supported"))?;
    Ok(match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, "/"),
    })
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

/// The local server on tokio tasks; see `examples/common/http_server.rs`
/// for the corio one it mirrors, route for route.
mod server {
    use super::*;

    /// The body of `/`.
    const HOME_PAGE: &str = "<!doctype html>\n<html><head><title>Example server</title></head>\n<body><h1>Example server</h1><p>A small page, served at once.</p></body></html>\n";
    /// The length of the body of `/big`.
    const BIG_BODY_LEN: usize = 100_000;
    /// The largest request head accepted, in bytes.
    const MAX_HEAD_BYTES: usize = 8 * 1024;
    /// The most headers a request may carry.
    const MAX_HEADERS: usize = 32;
    /// The longest `/delay/<seconds>` honoured.
    const MAX_DELAY: Duration = Duration::from_secs(10);
    /// How long a connection may take to send its request head.
    const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

    const TEXT: &str = "text/plain; charset=utf-8";
    const HTML: &str = "text/html; charset=utf-8";
    const JSON: &str = "application/json";

    /// A status, content type and body.
    type Reply = (u16, &'static str, String);

    /// Binds 127.0.0.1 on an ephemeral port and serves it from a new task.
    pub async fn start() -> io::Result<SocketAddr> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(accept_loop(listener));
        Ok(addr)
    }

    async fn accept_loop(listener: TcpListener) {
        loop {
            match listener.accept().await {
                Ok((stream, _peer)) => {
                    tokio::spawn(serve(stream));
                }
                Err(e) => {
                    eprintln!("http_server: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    struct Request {
        method: String,
        path: String,
    }

    enum Failure {
        BadRequest(String),
        Gone,
    }

    /// Answers one request and closes the connection.
    async fn serve(mut stream: TcpStream) {
        let request = tokio::time::timeout(HEAD_TIMEOUT, read_request(&mut stream)).await;
        let (status, content_type, body) = match request {
            Ok(Ok(request)) => route(&request).await,
            Ok(Err(Failure::BadRequest(why))) => (400, TEXT, format!("bad request: {why}\n")),
            Ok(Err(Failure::Gone)) | Err(_) => return,
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
        if stream.write_all(head.as_bytes()).await.is_err()
            || stream.write_all(body.as_bytes()).await.is_err()
        {
            return;
        }
        linger_close(stream).await;
    }

    /// Reads until `httparse` has a complete request head.
    async fn read_request(stream: &mut TcpStream) -> Result<Request, Failure> {
        let mut buf = vec![0; MAX_HEAD_BYTES];
        let mut filled = 0;
        loop {
            if filled == buf.len() {
                return Err(Failure::BadRequest(format!(
                    "request head larger than {MAX_HEAD_BYTES} bytes"
                )));
            }
            let n = stream
                .read(&mut buf[filled..])
                .await
                .map_err(|_| Failure::Gone)?;
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
                    let method = request.method.unwrap_or_default().to_owned();
                    let path = request.path.unwrap_or_default().to_owned();
                    return Ok(Request { method, path });
                }
                Ok(httparse::Status::Partial) => continue,
                Err(e) => return Err(Failure::BadRequest(e.to_string())),
            }
        }
    }

    async fn route(request: &Request) -> Reply {
        if request.method != "GET" {
            let body = format!("method {} is not allowed\n", request.method);
            return (405, TEXT, body);
        }
        let path = request.path.split('?').next().unwrap_or_default();
        match path {
            "/" => (200, HTML, HOME_PAGE.to_owned()),
            "/big" => (200, TEXT, big_body()),
            _ => match path.strip_prefix("/delay/") {
                Some(raw) => delay(raw).await,
                None => (404, TEXT, format!("no route for {path}\n")),
            },
        }
    }

    async fn delay(raw: &str) -> Reply {
        let seconds = raw
            .parse::<f64>()
            .ok()
            .and_then(|s| Duration::try_from_secs_f64(s).ok());
        match seconds {
            Some(wait) if wait <= MAX_DELAY => {
                tokio::time::sleep(wait).await;
                let body = format!("{{\"path\": \"/delay/{raw}\", \"slept\": {raw}}}\n");
                (200, JSON, body)
            }
            _ => {
                let body = format!("bad request: delay {raw:?} is not 0 to 10 seconds\n");
                (400, TEXT, body)
            }
        }
    }

    fn big_body() -> String {
        (b'a'..=b'z')
            .cycle()
            .take(BIG_BODY_LEN)
            .map(char::from)
            .collect()
    }

    /// Shuts the write side, then drains what the client still sends (for
    /// at most a second) so closing does not reset the connection.
    async fn linger_close(mut stream: TcpStream) {
        if stream.shutdown().await.is_err() {
            return;
        }
        let drain = async {
            let mut sink = [0; 4096];
            let mut drained = 0;
            while drained < 64 * 1024 {
                match stream.read(&mut sink).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => drained += n,
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
    }
}
