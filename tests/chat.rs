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
