//! A minimal HTTP/1.1 GET client over `corio::net::TcpStream`, shared by the
//! corio examples that fetch from the local server in `http_server.rs`.
//! The response head is parsed with `httparse`; the code is plain blocking
//! style, and each call that would block parks only the calling task.

use std::io::{self, Read, Write};

use corio::net::TcpStream;

/// The most response headers the client accepts.
const MAX_HEADERS: usize = 32;

/// The largest response head the client accepts, in bytes.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// GETs an `http://host:port/path` URL and returns the body as text.
/// Each blocking-looking call parks only this task.
pub fn get(url: &str) -> io::Result<String> {
    let (authority, path) = split_url(url)?;
    let mut stream = TcpStream::connect(authority)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )?;

    // Read until httparse has the whole head; the body may start in the
    // same read.
    let mut received = Vec::new();
    let mut chunk = [0; 8192];
    let (status, content_length, head_len) = loop {
        let n = stream.read(&mut chunk)?;
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
            (&stream).take(missing).read_to_end(&mut body)?;
            if body.len() < length {
                return Err(invalid("connection closed in the middle of the body"));
            }
            body.truncate(length);
        }
        // No length: the body runs to the end of the connection.
        None => {
            stream.read_to_end(&mut body)?;
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
