//! The chat's browser side: the HTTP requests that arrive on the chat's
//! port, the page on `GET /`, and the WebSocket on `GET /ws` whose text
//! messages are the same lines a TCP member sends and reads.
//!
//! **One port for both.** A browser speaks first (`GET ...`); an `nc`
//! user waits for the `nick? ` prompt. So [`is_http`] peeks (without
//! consuming anything) for up to [`PROBE`]: a connection whose first four
//! bytes are `GET ` is HTTP, anything else, or silence, is a TCP member,
//! who then gets the prompt as before, a moment later. No nickname can
//! start with `GET ` (nicknames have no spaces), so no TCP member is
//! mistaken for a browser.
//!
//! **The WebSocket** is tungstenite's, over `&corio::net::TcpStream`
//! (`Read + Write`), so its blocking reads park the task. As on the TCP
//! side only the connection's writer task writes to the socket: the reader
//! uses a [`WebSocket`] whose writes are discarded (a pong to a ping, an
//! echo of a close), and tells the writer which close frame to send at the
//! end ([`Closing`]). Limits: a message over [`MAX_MESSAGE`] bytes (or a
//! frame over it) is refused by tungstenite and answered with close code
//! 1009; a malformed frame (unmasked, bad opcode, bad UTF-8) with 1002 or
//! 1007; a binary message with 1003; never a panic. A text message of more
//! than 1024 bytes gets `! line too long`, as on TCP.

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::net::TcpStream;
use corio::sync::Receiver;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, Role, WebSocket, WebSocketConfig};
use tungstenite::{Error as WsError, Message};

use super::{GOODBYE, Line, LineResult, MAX_LINE, TOO_LONG};

/// The page served on `/`: HTML, CSS and JavaScript in one file.
const PAGE: &str = include_str!("page.html");

/// How long a new connection may stay silent and still be HTTP.
pub const PROBE: Duration = Duration::from_millis(250);

/// The largest WebSocket message (and frame) accepted, in bytes.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// The largest HTTP request head accepted, in bytes.
const MAX_HEAD: usize = 8 * 1024;

/// How long a browser may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether the connection speaks HTTP: its first bytes, peeked within
/// [`PROBE`], are `GET `. Consumes nothing.
pub fn is_http(stream: &TcpStream) -> io::Result<bool> {
    let verdict = probe(stream);
    stream.set_read_timeout(None)?; // the probe's limit must not outlive it
    verdict
}

/// [`is_http`]'s peeking, under read timeouts it leaves behind.
fn probe(stream: &TcpStream) -> io::Result<bool> {
    const GET: &[u8] = b"GET ";
    let until = Instant::now() + PROBE;
    let mut first = [0u8; 4];
    loop {
        let Some(left) = until
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
        else {
            return Ok(false); // silent: a terminal waiting for the prompt
        };
        stream.set_read_timeout(Some(left))?;
        let n = match stream.peek(&mut first) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::TimedOut => return Ok(false),
            Err(e) => return Err(e),
        };
        if n == 0 || first[..n] != GET[..n] {
            return Ok(false);
        }
        if n == GET.len() {
            return Ok(true);
        }
        // "G", "GE" or "GET" so far: a peek would return the same bytes at
        // once, so wait a little for the rest instead of spinning.
        corio::sleep(Duration::from_millis(5));
    }
}

/// Answers one HTTP request: the page, an error, or (for `/ws`) the
/// WebSocket handshake, after which the connection is a chat member's.
pub fn serve(stream: &TcpStream) -> Option<Upgraded<&TcpStream>> {
    let head = match read_head(stream) {
        Ok(Some(head)) => head,
        Ok(None) => return None,
        Err(why) => {
            respond(stream, 400, "text/plain", why.as_bytes());
            return None;
        }
    };
    match answer(&head) {
        Answer::Page => {
            respond(stream, 200, "text/html; charset=utf-8", PAGE.as_bytes());
            None
        }
        Answer::Refuse(status, why) => {
            respond(stream, status, "text/plain", why);
            None
        }
        Answer::Upgrade(accept) => {
            let reply = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            );
            (&*stream).write_all(reply.as_bytes()).ok()?;
            Some(Upgraded::new(stream))
        }
    }
}

/// What to answer a complete request head with.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// `200` and the page.
    Page,
    /// `101`, with this `Sec-WebSocket-Accept` value.
    Upgrade(String),
    /// This status and plain-text body, then close.
    Refuse(u16, &'static [u8]),
}

/// The answer to a request head (through its blank line); a function of
/// the bytes alone, so that `fuzz/` can call it.
pub fn answer(head: &[u8]) -> Answer {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    if !matches!(request.parse(head), Ok(httparse::Status::Complete(n)) if n == head.len()) {
        return Answer::Refuse(400, b"bad request\n");
    }
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
            .unwrap_or("")
    };
    let path = request.path.unwrap_or("/").split('?').next().unwrap_or("/");
    match path {
        "/" => Answer::Page,
        "/ws" => {
            let upgrade = header("upgrade").eq_ignore_ascii_case("websocket")
                && header("connection")
                    .split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
                && header("sec-websocket-version") == "13";
            let key = header("sec-websocket-key");
            if !upgrade || key.is_empty() {
                return Answer::Refuse(400, b"expected a WebSocket upgrade\n");
            }
            Answer::Upgrade(tungstenite::handshake::derive_accept_key(key.as_bytes()))
        }
        _ => Answer::Refuse(404, b"not found\n"),
    }
}

/// Reads the request head (through its blank line) and nothing after it:
/// `Ok(None)` if the client went away, `Err` for a head that is too big.
fn read_head(stream: &TcpStream) -> Result<Option<Vec<u8>>, &'static str> {
    if stream.set_read_timeout(Some(HEAD_TIMEOUT)).is_err() {
        return Ok(None);
    }
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD {
            return Err("request head too large\n");
        }
        // Peek, then consume only up to the end of the head: a WebSocket
        // client may not send frames before our 101, but be exact anyway.
        let n = match stream.peek(&mut chunk) {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => n,
        };
        let mut take = n;
        for (i, &byte) in chunk[..n].iter().enumerate() {
            head.push(byte);
            if head.ends_with(b"\r\n\r\n") {
                take = i + 1;
                break;
            }
        }
        if (&*stream).read_exact(&mut chunk[..take]).is_err() {
            return Ok(None);
        }
    }
    let _ = stream.set_read_timeout(None);
    Ok(Some(head))
}

/// Sends a whole response and closes the connection gracefully.
fn respond(stream: &TcpStream, status: u16, content_type: &str, body: &[u8]) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut out = stream;
    if out.write_all(head.as_bytes()).is_ok() && out.write_all(body).is_ok() {
        linger_close(stream);
    }
}

/// Shuts the write side, then [`drain`]s: closing with unread input
/// would send a reset, which can destroy an answer the peer has not read.
fn linger_close(stream: &TcpStream) {
    if stream.shutdown(Shutdown::Write).is_ok() {
        drain(stream);
    }
}

/// Reads and drops what the peer still sends until it closes, for at most
/// a second and 256 KiB. Only for a connection nobody else reads.
pub fn drain(stream: &TcpStream) {
    if stream
        .set_read_timeout(Some(Duration::from_secs(1)))
        .is_err()
    {
        return;
    }
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    let mut input = stream;
    while drained < 256 * 1024 {
        match input.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(n) => drained += n,
        }
    }
}

/// The close frame the writer sends last, chosen by the reader (or by
/// the writer itself for the shutdown goodbye). `None`: code 1000, normal.
pub type Closing = Rc<RefCell<Option<CloseFrame>>>;

/// A connection after the WebSocket handshake: its reading half, and the
/// close frame the reading half wants sent.
pub struct Upgraded<R> {
    socket: WebSocket<ReadOnly<R>>,
    pub closing: Closing,
}

/// Reading through tungstenite; writes (a pong, a close echo) are dropped,
/// since only the writer task writes to the socket.
struct ReadOnly<R>(R);

impl<R: Read> Read for ReadOnly<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R> Write for ReadOnly<R> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// tungstenite's limits for the chat: small messages, a small buffer.
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0) // each message goes out as it is sent
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
}

impl<R: Read> Upgraded<R> {
    /// The reading half of a WebSocket over `stream`, after the handshake.
    pub fn new(stream: R) -> Self {
        Upgraded {
            socket: WebSocket::from_raw_socket(ReadOnly(stream), Role::Server, Some(config())),
            closing: Closing::default(),
        }
    }

    fn close_with(&self, code: CloseCode, reason: &str) {
        *self.closing.borrow_mut() = Some(CloseFrame {
            code,
            reason: reason.into(),
        });
    }

    /// The next text message as a line, like the TCP side's `Lines::next`:
    /// `Ok(None)` once the peer closed or broke the protocol (the close
    /// frame to answer with is then in `closing`).
    // Not an `Iterator`: a read error is returned, not a line.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> io::Result<Option<LineResult>> {
        loop {
            let error = match self.socket.read() {
                Ok(Message::Text(text)) if text.len() > MAX_LINE => return Ok(Some(Err(TOO_LONG))),
                Ok(Message::Text(text)) => return Ok(Some(Ok(text.as_str().to_owned()))),
                Ok(Message::Binary(_)) => {
                    self.close_with(CloseCode::Unsupported, "text messages only");
                    return Ok(None);
                }
                Ok(Message::Close(_)) => return Ok(None),
                Ok(_) => continue, // ping, pong
                Err(e) => e,
            };
            match error {
                WsError::ConnectionClosed | WsError::AlreadyClosed => {}
                WsError::Io(e) => return Err(e),
                WsError::Capacity(_) => self.close_with(CloseCode::Size, "message too big"),
                WsError::Utf8(_) => self.close_with(CloseCode::Invalid, "invalid UTF-8"),
                _ if super::faults::broken(super::faults::Fault::PanicOnProtocolError) => {
                    panic!("the PanicOnProtocolError fault: {error}")
                }
                _ => self.close_with(CloseCode::Protocol, "protocol error"),
            }
            return Ok(None);
        }
    }
}

/// A WebSocket member's writer task: each queued line as a text message
/// (its newline dropped), then a close frame once the queue ends or after
/// the goodbye line, and the end of its sending side.
pub fn write_out(stream: &TcpStream, queued: &Receiver<Line>, closing: &Closing) {
    let mut socket = WebSocket::from_raw_socket(stream, Role::Server, Some(config()));
    let mut healthy = true;
    while let Some(line) = queued.recv() {
        let goodbye = &*line == GOODBYE;
        let text = line.strip_suffix('\n').unwrap_or(&line);
        if socket.send(Message::text(text)).is_err() {
            healthy = false;
            break;
        }
        if goodbye {
            *closing.borrow_mut() = Some(CloseFrame {
                code: CloseCode::Away,
                reason: "server shutting down".into(),
            });
            break;
        }
    }
    if healthy {
        let frame = closing.borrow_mut().take().unwrap_or(CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        });
        let _ = socket.close(Some(frame));
        let _ = socket.flush();
        // The reader may still be reading (the peer's close reply): leave
        // the read side to it; the client task drains it at the end.
        let _ = stream.shutdown(Shutdown::Write);
    } else {
        let _ = stream.shutdown(Shutdown::Both); // wakes the reader
    }
}
