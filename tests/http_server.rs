//! End-to-end tests of `examples/http_server.rs` (and, with the same
//! checks, its tokio twin `examples/tokio_http_server.rs`): each test
//! starts the example binary on a free port with two threads and talks to
//! it through real `std::net::TcpStream` clients, parsing answers with
//! httparse. Every read has a 10 s timeout, so a broken server fails a
//! test instead of hanging it; the child is killed when the test ends.
//!
//! No assertion depends on timing: `/delay/N` is checked by the order of
//! pipelined answers, not by a clock.

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Both servers: every test runs against each.
const SERVERS: [&str; 2] = ["http_server", "tokio_http_server"];

/// A running server; dropping it kills the child process.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(example: &str, threads: usize) -> Server {
        let path = util::examples::example(example);
        let mut child = Command::new(&path)
            .args(["--threads", &threads.to_string(), "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
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

    fn connect(&self) -> Client {
        let stream = TcpStream::connect(self.addr).expect("connect to the server");
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        Client {
            stream,
            buf: Vec::new(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One answer as the tests look at it.
#[derive(Debug)]
struct Answer {
    status: u16,
    connection: String,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("a UTF-8 body")
    }
}

/// A keep-alive client: sends raw bytes, reads answers one at a time.
struct Client {
    stream: TcpStream,
    /// Bytes read and not yet part of an answer.
    buf: Vec<u8>,
}

impl Client {
    fn send(&mut self, raw: &[u8]) {
        self.stream.write_all(raw).expect("send a request");
    }

    fn get(&mut self, path: &str) -> Answer {
        self.send(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes());
        self.answer()
    }

    /// Reads one whole answer (head and `Content-Length` body).
    fn answer(&mut self) -> Answer {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut response = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(head_len) =
                response.parse(&self.buf).expect("a well-formed answer")
            {
                let header = |name: &str| {
                    response
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .map(|h| String::from_utf8_lossy(h.value).into_owned())
                        .unwrap_or_default()
                };
                let len: usize = header("content-length").parse().expect("Content-Length");
                let connection = header("connection");
                let status = response.code.expect("a status code");
                if self.buf.len() >= head_len + len {
                    let body = self.buf[head_len..head_len + len].to_vec();
                    self.buf.drain(..head_len + len);
                    return Answer {
                        status,
                        connection,
                        body,
                    };
                }
            }
            self.fill();
        }
    }

    fn fill(&mut self) {
        let mut chunk = [0; 4096];
        let n = self.stream.read(&mut chunk).expect("read from the server");
        assert!(n > 0, "the server closed the connection mid-answer");
        self.buf.extend_from_slice(&chunk[..n]);
    }

    /// True once the server has closed the connection (after what was
    /// already buffered).
    fn closed_by_server(&mut self) -> bool {
        let mut rest = Vec::new();
        match self.stream.read_to_end(&mut rest) {
            Ok(_) => rest.is_empty() && self.buf.is_empty(),
            // A reset also ends it; the tests read the answer first.
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        }
    }
}

#[test]
fn the_routes_answer_on_one_keep_alive_connection() {
    for example in SERVERS {
        let server = Server::start(example, 2);
        let mut client = server.connect();

        let hello = client.get("/");
        assert_eq!(
            (hello.status, hello.text()),
            (200, "Hello, World!"),
            "{example}"
        );
        assert_eq!(hello.connection, "keep-alive");

        let json = client.get("/json?pretty=no");
        assert_eq!(json.status, 200);
        let value: serde_json::Value = serde_json::from_slice(&json.body).expect("a JSON body");
        assert_eq!(value, serde_json::json!({ "message": "Hello, World!" }));

        let delayed = client.get("/delay/30");
        assert_eq!(delayed.status, 200);
        let value: serde_json::Value = serde_json::from_slice(&delayed.body).unwrap();
        assert_eq!(value, serde_json::json!({ "delay_ms": 30 }));

        for missing in ["/nope", "/delay/abc", "/delay/99999999", "/json/extra"] {
            assert_eq!(client.get(missing).status, 404, "{example} {missing}");
        }
        // Still the same connection, still served.
        assert_eq!(client.get("/").status, 200);
    }
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    for example in SERVERS {
        let server = Server::start(example, 2);
        let mut client = server.connect();
        // One write, five requests; the slow one first: the later answers
        // must wait for it.
        client.send(
            b"GET /delay/50 HTTP/1.1\r\n\r\n\
              GET /json HTTP/1.1\r\n\r\n\
              GET /missing HTTP/1.1\r\n\r\n\
              POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello\
              GET / HTTP/1.1\r\n\r\n",
        );
        let answers: Vec<(u16, String)> = (0..5)
            .map(|_| {
                let a = client.answer();
                (a.status, a.text().to_owned())
            })
            .collect();
        assert_eq!(
            answers,
            [
                (200, "{\"delay_ms\":50}\n".to_owned()),
                (200, "{\"message\":\"Hello, World!\"}".to_owned()),
                (404, "not found\n".to_owned()),
                (200, "Hello, World!".to_owned()),
                (200, "Hello, World!".to_owned()),
            ],
            "{example}"
        );
    }
}

#[test]
fn ten_thousand_pipelined_requests_in_one_write_are_all_answered_in_order() {
    // The server reads them in buffer-sized pieces, some ending inside a
    // request; the answers fill the client's receive buffer long before
    // the requests are all sent, so a thread sends while this one reads.
    let count = util::scaled(10_000);
    let paths = ["/", "/json", "/missing"];
    let mut requests = Vec::new();
    for i in 0..count {
        let path = paths[i % paths.len()];
        requests.extend_from_slice(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
    }
    for example in SERVERS {
        let server = Server::start(example, 2);
        let mut client = server.connect();
        let mut writer = client.stream.try_clone().unwrap();
        let all = requests.clone();
        let sending = thread::spawn(move || writer.write_all(&all));
        for i in 0..count {
            let answer = client.answer();
            let expected = if i % paths.len() == 2 { 404 } else { 200 };
            assert_eq!(answer.status, expected, "{example}: answer {i}");
            if i % paths.len() == 1 {
                assert_eq!(
                    answer.text(),
                    "{\"message\":\"Hello, World!\"}",
                    "{example}: answer {i}"
                );
            }
        }
        sending.join().unwrap().expect("all requests sent");
        // And the connection is still good.
        assert_eq!(client.get("/").status, 200, "{example}");
    }
}

#[test]
fn malformed_requests_get_400_and_the_connection_is_closed() {
    let oversized = format!(
        "GET / HTTP/1.1\r\nX-Filler: {}\r\n\r\n",
        "a".repeat(9 * 1024)
    );
    let too_many_headers = format!("GET / HTTP/1.1\r\n{}\r\n", "X-A: b\r\n".repeat(40));
    let bad: [&[u8]; 6] = [
        b"this is not http\r\n\r\n",
        b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: lots\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        oversized.as_bytes(),
        too_many_headers.as_bytes(),
    ];
    for example in SERVERS {
        let server = Server::start(example, 2);
        for raw in bad {
            let mut client = server.connect();
            // A good request first: the bad one ends a live connection.
            assert_eq!(client.get("/").status, 200);
            client.send(raw);
            let answer = client.answer();
            assert_eq!(
                answer.status,
                400,
                "{example}: {:?}",
                String::from_utf8_lossy(raw)
            );
            assert!(
                answer.text().starts_with("bad request: "),
                "{}",
                answer.text()
            );
            assert_eq!(answer.connection, "close");
            assert!(
                client.closed_by_server(),
                "{example}: still open after a 400"
            );
        }
        // Binary garbage and a client that vanishes mid-request harm no
        // one: the server still answers.
        let mut noise = server.connect();
        noise.send(&[0xff, 0x00, 0x13, 0x37, b'\r', b'\n', b'\r', b'\n']);
        assert_eq!(noise.answer().status, 400);
        let mut half = server.connect();
        half.send(b"GET / HT");
        drop(half);
        assert_eq!(server.connect().get("/").status, 200, "{example}");
    }
}

#[test]
fn connection_close_is_honoured_and_http_1_0_closes_by_default() {
    for example in SERVERS {
        let server = Server::start(example, 1);
        let mut client = server.connect();
        client.send(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
        let answer = client.answer();
        assert_eq!((answer.status, answer.connection.as_str()), (200, "close"));
        assert!(client.closed_by_server(), "{example}");

        let mut old = server.connect();
        old.send(b"GET /json HTTP/1.0\r\n\r\n");
        assert_eq!(old.answer().connection, "close");
        assert!(old.closed_by_server(), "{example}");

        let mut kept = server.connect();
        kept.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assert_eq!(kept.answer().connection, "keep-alive");
        assert_eq!(kept.get("/").status, 200, "{example}");
    }
}

#[test]
fn many_connections_at_once_are_all_served() {
    // Enough connections that both of the corio server's listeners get
    // some (the kernel hashes each connection to one of them).
    let clients = util::scaled(200).max(20);
    for example in SERVERS {
        let server = Server::start(example, 2);
        let mut open: Vec<Client> = (0..clients).map(|_| server.connect()).collect();
        for client in &mut open {
            client.send(b"GET /delay/1 HTTP/1.1\r\n\r\n");
        }
        for client in &mut open {
            assert_eq!(client.answer().status, 200, "{example}");
        }
    }
}
