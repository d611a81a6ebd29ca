//! End-to-end tests of `examples/chat.rs`: each test starts the example
//! binary as a child process on a free port and talks to it through real
//! `std::net::TcpStream` clients. Every read has a 5 s timeout, so a broken
//! server fails a test instead of hanging it, and the child is killed when
//! the test ends, also when it fails.
//!
//! No assertion depends on timing: "X did not receive Y" is checked by
//! asking the server something afterwards (`/who`) and seeing that its
//! answer is the next line, since the room handles events in order and each
//! client's lines arrive in order.

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::thread::{self, JoinHandle};
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(5);

/// The chat example's binary, built if needed.
fn chat_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| util::examples::example("chat"))
}

/// A running chat server; dropping it kills the child process.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// Collects the child's stderr until it exits.
    stderr: Option<JoinHandle<String>>,
}

impl Server {
    fn start() -> Server {
        let path = chat_binary();
        let mut child = Command::new(path)
            .arg("127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        // Guard first: from here on a failure kills the child.
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr: Some(thread::spawn(move || {
                let mut text = String::new();
                let _ = BufReader::new(stderr).read_to_string(&mut text);
                text
            })),
        };
        // The first stdout line names the port; read it on a thread so a
        // silent child cannot hang the test.
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(TIMEOUT)
            .expect("the server printed nothing");
        let addr = line
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        server.addr = addr.parse().expect("a socket address");
        server
    }

    /// Kills the server and returns everything it wrote to stderr.
    fn stop(mut self) -> String {
        self.kill();
        let stderr = self.stderr.take().expect("stderr not collected yet");
        stderr.join().expect("the stderr reader thread")
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends the server `SIGINT`, as Ctrl-C in its terminal would.
    fn interrupt(&self) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        // SAFETY: kill(2) on our own child, not waited for yet (so the pid
        // is still its); the server handles SIGINT from before it printed
        // its address.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    }

    /// Waits for the server to exit on its own (killing it after a minute,
    /// the harness's guard against a hang, not a timed assertion) and
    /// returns how it ended and its stderr.
    fn wait(mut self) -> (std::process::ExitStatus, String) {
        let limit = std::time::Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("poll the server") {
                break status;
            }
            assert!(std::time::Instant::now() < limit, "the server did not exit");
            thread::sleep(Duration::from_millis(10));
        };
        let stderr = self.stderr.take().expect("stderr not collected yet");
        (status, stderr.join().expect("the stderr reader thread"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One chat participant.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    /// Connects and reads the first nickname prompt.
    fn connect(server: &Server) -> Client {
        let stream = TcpStream::connect(server.addr).expect("connect to the chat server");
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(TIMEOUT)).unwrap();
        let writer = stream.try_clone().unwrap();
        let mut client = Client {
            reader: BufReader::new(stream),
            writer,
        };
        client.expect_prompt();
        client
    }

    /// Connects and joins as `nick`, reading the join announcement.
    fn join(server: &Server, nick: &str) -> Client {
        let mut client = Client::connect(server);
        client.send(nick);
        client.expect(&format!("* {nick} joined"));
        client
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write to the server");
    }

    fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\n").as_bytes());
    }

    fn expect_prompt(&mut self) {
        let mut prompt = [0; 6];
        self.reader.read_exact(&mut prompt).expect("a nick prompt");
        assert_eq!(String::from_utf8_lossy(&prompt), "nick? ");
    }

    /// The next line, without its newline.
    fn line(&mut self) -> String {
        let mut line = String::new();
        let n = self
            .reader
            .read_line(&mut line)
            .expect("a line from the server");
        assert!(n > 0, "the server closed the connection");
        assert!(line.ends_with('\n'), "unterminated line {line:?}");
        line.pop();
        line
    }

    fn expect(&mut self, want: &str) {
        assert_eq!(self.line(), want);
    }

    /// Asks `/who` and checks the answer is the very next line: nothing
    /// else was queued for this client before it.
    fn expect_nothing_before_who(&mut self, online: &str) {
        self.send("/who");
        self.expect(&format!("* online: {online}"));
    }

    /// Reads until end of stream, ignoring what is left.
    fn expect_closed(&mut self) {
        let mut rest = Vec::new();
        self.reader
            .read_to_end(&mut rest)
            .expect("the server closes the connection");
    }
}

#[test]
fn nicknames_joins_messages_who_and_quit() {
    let server = Server::start();
    let mut alice = Client::join(&server, "alice");

    let mut bob = Client::connect(&server);
    let refusals = [
        ("alice", "! nickname taken"),
        ("", "! nickname must not be empty"),
        (&"b".repeat(33), "! nickname too long (at most 32 bytes)"),
        (
            "bob smith",
            "! nickname must be printable, without spaces or a leading '/'",
        ),
        (
            "bob\u{7}",
            "! nickname must be printable, without spaces or a leading '/'",
        ),
        (
            "/who",
            "! nickname must be printable, without spaces or a leading '/'",
        ),
    ];
    for (nick, error) in refusals {
        bob.send(nick);
        bob.expect(error);
        bob.expect_prompt();
    }
    bob.send(&"b".repeat(32)); // exactly the limit is fine
    bob.expect(&format!("* {} joined", "b".repeat(32)));
    alice.expect(&format!("* {} joined", "b".repeat(32)));
    bob.send("/quit");
    bob.expect("* bye");
    bob.expect_closed();
    alice.expect(&format!("* {} left", "b".repeat(32)));

    let mut bob = Client::join(&server, "bob"); // a nickname is free again after leaving
    alice.expect("* bob joined");
    let mut carol = Client::join(&server, "carol");
    alice.expect("* carol joined");
    bob.expect("* carol joined");

    alice.send("hello, room");
    bob.expect("alice: hello, room");
    carol.expect("alice: hello, room");
    alice.expect_nothing_before_who("alice, bob, carol"); // not echoed to the sender

    carol.send("crlf line\r");
    carol.send("  spaced  ");
    carol.send(""); // empty lines are ignored
    carol.send("bell\u{7} and escape\u{1b}[31m");
    for reader in [&mut alice, &mut bob] {
        reader.expect("carol: crlf line");
        reader.expect("carol:   spaced  ");
        reader.expect("carol: bell\u{fffd} and escape\u{fffd}[31m");
    }
    carol.send("/nonsense");
    carol.expect("! unknown command (try /who or /quit)");
    carol.expect_nothing_before_who("alice, bob, carol");

    bob.send("/quit");
    bob.expect("* bye");
    bob.expect_closed();
    alice.expect("* bob left");
    carol.expect("* bob left");
    alice.expect_nothing_before_who("alice, carol");
    carol.expect_nothing_before_who("alice, carol");
}

#[test]
fn overlong_lines_and_invalid_utf8_keep_the_connection() {
    let server = Server::start();

    // At the nickname prompt first.
    let mut alice = Client::connect(&server);
    alice.send(&"a".repeat(5000));
    alice.expect("! line too long");
    alice.expect_prompt();
    alice.send_raw(b"al\xffice\n");
    alice.expect("! invalid UTF-8");
    alice.expect_prompt();
    alice.send("alice");
    alice.expect("* alice joined");
    let mut bob = Client::join(&server, "bob");
    alice.expect("* bob joined");

    // A line of exactly 1024 bytes passes (with or without "\r"); 1025 does not.
    let longest = "x".repeat(1024);
    alice.send(&longest);
    alice.send(&format!("{longest}\r"));
    alice.send(&format!("{longest}y"));
    alice.expect("! line too long");
    bob.expect(&format!("alice: {longest}"));
    bob.expect(&format!("alice: {longest}"));

    // A 4 MiB line (sent from a thread: the server answers before it has
    // read it all) is skipped without being stored; the connection lives on.
    let mut writer = alice.writer.try_clone().unwrap();
    let flood = thread::spawn(move || {
        let mut huge = vec![b'z'; 4 << 20];
        huge.extend_from_slice(b"\nstill here\n");
        writer.write_all(&huge).expect("send the huge line");
    });
    alice.expect("! line too long");
    flood.join().unwrap();
    bob.expect("alice: still here");

    // Invalid UTF-8 in the middle, at the start, and a lone continuation byte.
    for bad in [&b"caf\xc3\x28\n"[..], b"\xff\xfe\n", b"\x80\n"] {
        alice.send_raw(bad);
        alice.expect("! invalid UTF-8");
    }
    alice.send("caf\u{e9} is fine");
    bob.expect("alice: caf\u{e9} is fine");
    alice.expect_nothing_before_who("alice, bob");
    bob.expect_nothing_before_who("alice, bob");
}

#[test]
fn abrupt_disconnects_do_not_disturb_others() {
    let server = Server::start();
    let mut alice = Client::join(&server, "alice");
    let mut bob = Client::join(&server, "bob");
    alice.expect("* bob joined");

    // Gone while being asked for a nickname, with and without half a line.
    drop(Client::connect(&server));
    let mut half_nick = Client::connect(&server);
    half_nick.send_raw(b"caro");
    drop(half_nick);

    // Gone in the middle of a message, with unread lines (so the close is
    // likely a reset): the half line is not broadcast.
    let mut carol = Client::join(&server, "carol");
    alice.expect("* carol joined");
    bob.expect("* carol joined");
    bob.send("hi carol");
    alice.expect("bob: hi carol");
    carol.send_raw(b"this line never ends");
    drop(carol);
    alice.expect("* carol left");
    bob.expect("* carol left");

    // Gone in the middle of an overlong line.
    let mut dave = Client::join(&server, "dave");
    alice.expect("* dave joined");
    bob.expect("* dave joined");
    dave.send_raw(&[b'd'; 3000]);
    dave.expect("! line too long");
    drop(dave);
    alice.expect("* dave left");
    bob.expect("* dave left");

    alice.send("anyone there?");
    bob.expect("alice: anyone there?");
    bob.send("yes");
    alice.expect("bob: yes");
    alice.expect_nothing_before_who("alice, bob");
    bob.expect_nothing_before_who("alice, bob");
}

#[test]
fn a_client_that_stops_reading_is_dropped_not_waited_for() {
    let server = Server::start();
    let mut slow = Client::join(&server, "slow");
    let mut alice = Client::join(&server, "alice");
    slow.expect("* alice joined"); // the last line `slow` reads
    let mut bob = Client::join(&server, "bob");
    alice.expect("* bob joined");

    // Alice talks in rounds of 32 lines, and bob reads each round before
    // the next, so bob's own outbox stays far from full. `slow` reads
    // nothing; once its socket buffers and its outbox are full, the server
    // must drop it rather than stop delivering to bob.
    let text = "m".repeat(1000);
    let mut dropped = false;
    for _round in 0..3000 {
        for _ in 0..32 {
            alice.send(&text);
        }
        for _ in 0..32 {
            let line = bob.line();
            if line == "* slow left" {
                dropped = true;
                bob.expect(&format!("alice: {text}"));
            } else {
                assert_eq!(line, format!("alice: {text}"));
            }
        }
        if dropped {
            break;
        }
    }
    assert!(dropped, "a client that never reads was never dropped");
    alice.expect("* slow left");
    alice.expect_nothing_before_who("alice, bob");
    bob.expect_nothing_before_who("alice, bob");
    slow.expect_closed(); // after the lines already on their way

    let stderr = server.stop();
    assert!(
        stderr.contains("dropped slow"),
        "no note about dropping `slow` on stderr:\n{stderr}"
    );
}

#[test]
fn ctrl_c_says_goodbye_to_every_connection_and_exits_with_0() {
    let server = Server::start();
    let mut alice = Client::join(&server, "alice");
    let mut bob = Client::join(&server, "bob");
    alice.expect("* bob joined");
    alice.send("see you");
    bob.expect("alice: see you");
    // Still choosing a nickname: told as well.
    let mut carol = Client::connect(&server);

    server.interrupt();
    for client in [&mut alice, &mut bob, &mut carol] {
        client.expect("* server shutting down");
        client.expect_closed();
    }
    let (status, stderr) = server.wait();
    assert_eq!(status.code(), Some(0), "{status:?}; stderr:\n{stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
    // Printed after `run` returned: every task ended, destructors ran.
    assert!(stderr.ends_with("chat: stopped\n"), "{stderr}");
}

// ---------------------------------------------------------------------------
// The browser side: the page on `/` and WebSocket members on `/ws`, driven
// by tungstenite's client over std sockets (every read has the 5 s timeout).

use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, Role};
use tungstenite::{Message, WebSocket};

/// A browser in the room: a WebSocket client.
struct Browser {
    socket: WebSocket<TcpStream>,
}

impl Browser {
    /// Connects to `/ws` and reads the first nickname prompt.
    ///
    /// The handshake request is written right after the connect, in one
    /// write, as a browser does: the server takes a connection that stays
    /// silent for its first 250 ms for a terminal (a client built with
    /// `tungstenite::client` can take longer than that to write its
    /// request under valgrind). The answer is checked as tungstenite's
    /// client would check it.
    fn connect(server: &Server) -> Browser {
        const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n",
            server.addr
        );
        let mut stream = TcpStream::connect(server.addr).expect("connect to the chat server");
        stream
            .write_all(request.as_bytes())
            .expect("send the handshake");
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(TIMEOUT)).unwrap();
        // The head, byte by byte: nothing after it may be consumed here.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).expect("the handshake answer");
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).expect("a text head");
        assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
        let accept = tungstenite::handshake::derive_accept_key(KEY.as_bytes());
        assert!(
            head.contains(&format!("Sec-WebSocket-Accept: {accept}\r\n")),
            "{head}"
        );
        let socket = WebSocket::from_raw_socket(stream, Role::Client, None);
        let mut browser = Browser { socket };
        browser.expect("nick? ");
        browser
    }

    /// Connects and joins as `nick`, reading the join announcement.
    fn join(server: &Server, nick: &str) -> Browser {
        let mut browser = Browser::connect(server);
        browser.send(nick);
        browser.expect(&format!("* {nick} joined"));
        browser
    }

    fn send(&mut self, text: &str) {
        self.socket
            .send(Message::text(text))
            .expect("send a message");
    }

    /// The next text message.
    fn text(&mut self) -> String {
        loop {
            match self.socket.read().expect("a message from the server") {
                Message::Text(text) => return text.as_str().to_owned(),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a text message, got {other:?}"),
            }
        }
    }

    fn expect(&mut self, want: &str) {
        assert_eq!(self.text(), want);
    }

    fn expect_nothing_before_who(&mut self, online: &str) {
        self.send("/who");
        self.expect(&format!("* online: {online}"));
    }

    /// Reads up to the server's close frame and returns it; text messages
    /// before it must be `before`, in order.
    fn expect_close(&mut self, before: &[&str]) -> CloseFrame {
        let mut texts = Vec::new();
        loop {
            match self.socket.read() {
                Ok(Message::Text(text)) => texts.push(text.as_str().to_owned()),
                Ok(Message::Close(Some(frame))) => {
                    assert_eq!(texts, before, "text messages before the close");
                    return frame;
                }
                Ok(other) => panic!("expected a close frame, got {other:?}"),
                Err(e) => panic!("no close frame (after {texts:?}): {e}"),
            }
        }
    }

    /// Writes raw bytes (frames tungstenite's client would never make).
    fn send_raw(&mut self, bytes: &[u8]) {
        self.socket
            .get_mut()
            .write_all(bytes)
            .expect("write raw bytes");
    }
}

/// A whole HTTP exchange over a raw socket: the request as given, the
/// response read to the end.
fn http(server: &Server, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(server.addr).expect("connect to the chat server");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.write_all(request).expect("send the request");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .expect("read the response");
    String::from_utf8_lossy(&response).into_owned()
}

/// A client-to-server frame with a zero mask key (so the payload is sent
/// as is): what tungstenite's client would send for `payload`, except
/// that `opcode` and the payload need not be valid.
fn masked_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut frame = vec![0x80 | opcode, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(payload);
    frame
}

#[test]
fn the_page_is_one_self_contained_html_file_on_slash() {
    let server = Server::start();
    let page = http(&server, b"GET / HTTP/1.1\r\nHost: chat\r\n\r\n");
    let (head, body) = page.split_once("\r\n\r\n").expect("a response head");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Type: text/html"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("a Content-Length");
    assert_eq!(body.len(), length);
    assert!(body.starts_with("<!doctype html>"));
    assert!(body.contains("new WebSocket(`ws://${location.host}/ws`)"));
    // Nothing loaded from elsewhere: no external scripts, styles or images.
    for external in ["src=", "href=", "@import", "url("] {
        assert!(!body.contains(external), "the page refers to {external}");
    }

    let missing = http(&server, b"GET /nope HTTP/1.1\r\nHost: chat\r\n\r\n");
    assert!(missing.starts_with("HTTP/1.1 404 "), "{missing}");
    let not_upgrade = http(&server, b"GET /ws HTTP/1.1\r\nHost: chat\r\n\r\n");
    assert!(not_upgrade.starts_with("HTTP/1.1 400 "), "{not_upgrade}");
    let garbage = http(&server, b"GET \x01\x02 nonsense\r\n\r\n");
    assert!(garbage.starts_with("HTTP/1.1 400 "), "{garbage}");
    let huge = [&b"GET / HTTP/1.1\r\nX: "[..], &[b'x'; 20_000], b"\r\n\r\n"].concat();
    assert!(http(&server, &huge).starts_with("HTTP/1.1 400 "));

    // The server is still there for everyone.
    let mut alice = Client::join(&server, "alice");
    alice.expect_nothing_before_who("alice");
}

#[test]
fn browsers_and_terminals_talk_to_each_other() {
    let server = Server::start();
    let mut alice = Client::join(&server, "alice"); // nc
    let mut bob = Browser::join(&server, "bob");
    alice.expect("* bob joined");

    bob.send("hello from the browser");
    alice.expect("bob: hello from the browser");
    alice.send("hello from the terminal");
    bob.expect("alice: hello from the terminal");
    bob.expect_nothing_before_who("alice, bob"); // not echoed to the sender

    // The same rules as on TCP: refusals, control characters, long lines.
    let mut carol = Browser::connect(&server);
    carol.send("bob");
    carol.expect("! nickname taken");
    carol.expect("nick? ");
    carol.send("carol");
    carol.expect("* carol joined");
    alice.expect("* carol joined");
    bob.expect("* carol joined");
    carol.send("two\nlines\u{1b}[31m");
    alice.expect("carol: two\u{fffd}lines\u{fffd}[31m");
    bob.expect("carol: two\u{fffd}lines\u{fffd}[31m");
    carol.send(&"y".repeat(2000));
    carol.expect("! line too long");
    carol.send("/nonsense");
    carol.expect("! unknown command (try /who or /quit)");

    // Leaving by closing the WebSocket, and by /quit.
    bob.socket.close(None).expect("start a close");
    let _ = bob.expect_close(&[]); // the server's answer to our close
    alice.expect("* bob left");
    carol.expect("* bob left");
    carol.send("/quit");
    let frame = carol.expect_close(&["* bye"]);
    assert_eq!(frame.code, CloseCode::Normal);
    alice.expect("* carol left");
    alice.expect_nothing_before_who("alice");
}

#[test]
fn bad_frames_and_oversized_messages_get_a_close_not_a_crash() {
    let server = Server::start();
    let mut alice = Client::join(&server, "alice");

    // An unmasked frame from a client breaks RFC 6455.
    let mut unmasked = Browser::join(&server, "unmasked");
    alice.expect("* unmasked joined");
    unmasked.send_raw(&[0x81, 0x02, b'h', b'i']);
    assert_eq!(unmasked.expect_close(&[]).code, CloseCode::Protocol);
    alice.expect("* unmasked left");

    // A reserved opcode, before joining.
    let mut reserved = Browser::connect(&server);
    reserved.send_raw(&masked_frame(0x3, b"?"));
    assert_eq!(reserved.expect_close(&[]).code, CloseCode::Protocol);

    // A text frame that is not UTF-8.
    let mut latin1 = Browser::join(&server, "latin1");
    alice.expect("* latin1 joined");
    latin1.send_raw(&masked_frame(0x1, b"caf\xe9"));
    assert_eq!(latin1.expect_close(&[]).code, CloseCode::Invalid);
    alice.expect("* latin1 left");

    // Binary messages are not part of the protocol.
    let mut binary = Browser::join(&server, "binary");
    alice.expect("* binary joined");
    binary.socket.send(Message::binary(vec![1, 2, 3])).unwrap();
    assert_eq!(binary.expect_close(&[]).code, CloseCode::Unsupported);
    alice.expect("* binary left");

    // Over the 64 KiB limit: refused from its header, never stored.
    let mut huge = Browser::join(&server, "huge");
    alice.expect("* huge joined");
    huge.send(&"z".repeat(100 * 1024));
    assert_eq!(huge.expect_close(&[]).code, CloseCode::Size);
    alice.expect("* huge left");

    // Garbage that is not a frame at all, then the connection just drops.
    let mut noise = Browser::join(&server, "noise");
    alice.expect("* noise joined");
    noise.send_raw(&[0xff; 64]);
    drop(noise);
    alice.expect("* noise left");

    // The room lives on.
    let mut bob = Browser::join(&server, "bob");
    alice.expect("* bob joined");
    bob.send("still here");
    alice.expect("bob: still here");
    alice.expect_nothing_before_who("alice, bob");
    let stderr = server.stop();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_browser_that_stops_reading_is_dropped_not_waited_for() {
    let server = Server::start();
    let mut slow = Browser::join(&server, "slow");
    let mut alice = Client::join(&server, "alice");
    slow.expect("* alice joined"); // the last message `slow` reads
    let mut bob = Browser::join(&server, "bob");
    alice.expect("* bob joined");

    // As in the TCP test: alice talks in rounds that bob (a browser too)
    // reads; `slow` reads nothing and must be dropped, not waited for.
    let text = "m".repeat(1000);
    let mut dropped = false;
    for _round in 0..3000 {
        for _ in 0..32 {
            alice.send(&text);
        }
        for _ in 0..32 {
            let line = bob.text();
            if line == "* slow left" {
                dropped = true;
                bob.expect(&format!("alice: {text}"));
            } else {
                assert_eq!(line, format!("alice: {text}"));
            }
        }
        if dropped {
            break;
        }
    }
    assert!(dropped, "a browser that never reads was never dropped");
    alice.expect("* slow left");
    alice.expect_nothing_before_who("alice, bob");
    bob.expect_nothing_before_who("alice, bob");
    let stderr = server.stop();
    assert!(stderr.contains("dropped slow"), "{stderr}");
}

#[test]
fn ctrl_c_says_goodbye_to_browsers_with_a_going_away_close() {
    let server = Server::start();
    let mut alice = Browser::join(&server, "alice");
    let mut waiting = Browser::connect(&server); // still choosing a nickname
    let mut bob = Client::join(&server, "bob");
    alice.expect("* bob joined");

    server.interrupt();
    for browser in [&mut alice, &mut waiting] {
        let frame = browser.expect_close(&["* server shutting down"]);
        assert_eq!(frame.code, CloseCode::Away);
    }
    bob.expect("* server shutting down");
    bob.expect_closed();
    let (status, stderr) = server.wait();
    assert_eq!(status.code(), Some(0), "{status:?}; stderr:\n{stderr}");
    assert!(stderr.ends_with("chat: stopped\n"), "{stderr}");
}
