//! Hostile input through real loopback sockets to the three servers the
//! examples run: the chat's line protocol, its WebSocket side, and the
//! HTTP server. Each server runs in this process (the examples' own code,
//! included with `#[path]`), a corio runtime on a thread of its own, so a
//! counting allocator can see how much it buffers and a panic hook can
//! see whether it panicked.
//!
//! Every case asserts an error reply or a clean close; never a panic (the
//! hook counts panics on the servers' threads), never a hang (every read
//! has a generous timeout; the watchdog aborts a stuck test), and bounded
//! memory (the live heap may not grow by more than [`MEMORY_BOUND`] while
//! a client sends 100 MiB without a newline). After its cases each server
//! must still answer a normal request.
//!
//! Waiting on partial input is bounded where it must be and a documented
//! choice where it is not: the chat's HTTP head must arrive within 10 s
//! (checked here: the server closes); the HTTP server closes a connection
//! idle for 60 s (too long to wait for here; checked instead that such a
//! connection holds nothing else up); a chat member (terminal or
//! WebSocket) may stay silent in the middle of a line forever, as a
//! person at `nc` may, with at most 1025 bytes of it buffered.
//!
//! The last test turns on the examples' fault switches
//! (examples/common/faults.rs, compiled in for tests only) and asserts
//! that the same cases report each deliberate bug.

// The chat and the HTTP server each include examples/common/faults.rs,
// as their own binaries do: two copies, one switch for each server.
#![allow(clippy::duplicate_mod)]

mod util;

#[allow(dead_code)]
#[path = "../examples/chat.rs"]
mod chat;
#[allow(dead_code)]
#[path = "../examples/http_server.rs"]
mod http_server;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock, mpsc};
use std::thread;
use std::time::Duration;

use chat::faults::Fault as ChatFault;
use http_server::http_routes::faults::Fault as HttpFault;

/// How long one read may wait for the server: a guard against a hang,
/// far above any answer's time (10 s of it is the chat's head timeout).
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How much the live heap may grow while one hostile client is served.
const MEMORY_BOUND: usize = 4 << 20;

// ---- the counting allocator and the panic counter ---------------------

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the same arguments, so
// the allocator contract is `System`'s; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is; `ptr` came from `alloc` with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `realloc`'s contract.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The memory test holds this exclusively, the other tests shared, so
/// that no other test's heap (a flood it builds, a panic's backtrace) is
/// counted against a server.
static EXCLUSIVE: RwLock<()> = RwLock::new(());

fn shared() -> std::sync::RwLockReadGuard<'static, ()> {
    EXCLUSIVE.read().unwrap_or_else(|e| e.into_inner())
}

/// Panics on each server thread, by the thread's name.
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn count_server_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Some(name) = thread::current()
                .name()
                .filter(|n| n.starts_with("server "))
            {
                PANICS
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(name.to_owned());
            }
            previous(info);
        }));
    });
}

fn panics_of(name: &str) -> usize {
    let panics = PANICS.lock().unwrap_or_else(|e| e.into_inner());
    panics.iter().filter(|n| *n == name).count()
}

// ---- the servers ----------------------------------------------------------

/// A server running on a thread of its own (until the process ends).
struct Server {
    addr: SocketAddr,
    /// Its thread's name, for the panic count.
    name: String,
}

/// The chat (`examples/chat.rs`), with `fault` on for its thread.
fn chat_server(name: &str, fault: Option<ChatFault>) -> Server {
    spawn_server(name, move |tx| {
        chat::faults::set(fault);
        let listener = corio::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        tx.send(listener.local_addr().expect("an address")).unwrap();
        // A signal never sent here: the server runs until the process ends.
        let mut stop = corio::signal::Signals::new([libc::SIGUSR2]).expect("signals");
        corio::run(|| chat::serve(listener, &mut stop));
    })
}

/// The HTTP server (`examples/http_server.rs`, one loop), with `fault` on.
fn http_server(name: &str, fault: Option<HttpFault>) -> Server {
    spawn_server(name, move |tx| {
        http_server::http_routes::faults::set(fault);
        let listener = corio::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        tx.send(listener.local_addr().expect("an address")).unwrap();
        corio::run(|| http_server::accept_loop(listener));
    })
}

fn spawn_server(
    name: &str,
    body: impl FnOnce(mpsc::Sender<SocketAddr>) + Send + 'static,
) -> Server {
    count_server_panics();
    let name = format!("server {name}");
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name(name.clone())
        .spawn(move || body(tx))
        .expect("spawn a server thread");
    let addr = rx.recv().expect("the server's address");
    Server { addr, name }
}

// ---- one hostile exchange -------------------------------------------------

/// What a client sends: `head`, then `fill_len` copies of `fill`, then
/// `tail`, in one stream; then it shuts its sending side unless `linger`.
#[derive(Clone, Default)]
struct Input {
    head: Vec<u8>,
    fill: u8,
    fill_len: usize,
    tail: Vec<u8>,
    /// Keep the sending side open (partial input a client never finishes).
    linger: bool,
}

fn bytes(b: impl AsRef<[u8]>) -> Input {
    Input {
        head: b.as_ref().to_vec(),
        ..Input::default()
    }
}

/// What the server did.
#[derive(Debug)]
struct Outcome {
    reply: Vec<u8>,
    /// The server closed (end of stream or reset) rather than went silent.
    closed: bool,
    /// The close was a reset.
    reset: bool,
}

/// Sends `input` from a thread of its own and reads until the server
/// closes, or (for a lingering input) until the reply contains `until`.
/// `Err` if the server neither answers nor closes within [`READ_TIMEOUT`],
/// or if `panicked()` says the server panicked while this waited (a task
/// that panics may leave its socket open, so waiting on would only hang).
fn exchange(
    addr: SocketAddr,
    input: &Input,
    until: &[u8],
    panicked: &dyn Fn() -> bool,
) -> Result<Outcome, String> {
    let stream = TcpStream::connect(addr).expect("connect");
    // Short reads, to look at `panicked` in between; the limit is the
    // deadline below.
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let deadline = std::time::Instant::now() + READ_TIMEOUT;
    let mut writer = stream.try_clone().unwrap();
    let input = input.clone();
    let sender = thread::spawn(move || {
        // A small input goes out in one write (the chat tells a browser
        // by its first bytes within 250 ms); a big one in 64 KiB pieces.
        let mut first = input.head.clone();
        let inline = input.fill_len.min(64 * 1024);
        first.extend(std::iter::repeat_n(input.fill, inline));
        if inline == input.fill_len {
            first.extend_from_slice(&input.tail);
        }
        let mut ok = writer.write_all(&first).is_ok();
        let piece = vec![input.fill; 64 * 1024];
        let mut left = input.fill_len - inline;
        while ok && left > 0 {
            let n = left.min(piece.len());
            ok = writer.write_all(&piece[..n]).is_ok();
            left -= n;
        }
        if ok && inline < input.fill_len {
            ok = writer.write_all(&input.tail).is_ok();
        }
        // Errors are fine: the server may close before reading it all.
        if ok && !input.linger {
            let _ = writer.shutdown(Shutdown::Write);
        }
        writer // kept open until joined, for a lingering input
    });
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut reader = &stream;
    let mut reset = false;
    let closed = loop {
        if !until.is_empty() && contains(&reply, until) {
            break false;
        }
        match reader.read(&mut chunk) {
            Ok(0) => break true,
            Ok(n) => reply.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                let shown: String = String::from_utf8_lossy(&reply).chars().take(300).collect();
                if panicked() {
                    return Err(format!(
                        "the server panicked (the connection hangs); got {shown:?}"
                    ));
                }
                if std::time::Instant::now() > deadline {
                    return Err(format!(
                        "no answer and no close in {READ_TIMEOUT:?} (a hang); got {shown:?}"
                    ));
                }
            }
            Err(_) => {
                reset = true; // a reset is a close too
                break true;
            }
        }
    };
    let _ = sender.join();
    Ok(Outcome {
        reply,
        closed,
        reset,
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// What a case must see.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// The reply contains this, and the server then closes.
    ReplyThenClose(&'static str),
    /// An HTTP answer with this status, then the close.
    Status(u16),
    /// The same, or a reset: for inputs far bigger than the server reads
    /// before it answers. It closes after the answer and a little draining,
    /// and a close with unread input makes the kernel send a reset, which
    /// may destroy the answer before this client has read it.
    StatusOrReset(u16),
    /// A WebSocket close frame with this code (after the 101), then the
    /// close.
    WsClose(u16),
    /// Any reply (the input was noise), then the close.
    Close,
    /// The reply contains this; the connection stays open.
    ReplyOpen(&'static str),
}

/// One hostile input and what it must get.
struct Case {
    name: String,
    input: Input,
    expect: Expect,
    /// Check the heap bound while it runs.
    memory: bool,
}

fn case(name: impl Into<String>, input: Input, expect: Expect) -> Case {
    Case {
        name: name.into(),
        input,
        expect,
        memory: false,
    }
}

/// Runs `cases` against `server`: the failures, each naming its case.
fn run_cases(server: &Server, cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for c in cases {
        let before = panics_of(&server.name);
        let base = c.memory.then(|| {
            let base = LIVE.load(Ordering::Relaxed);
            PEAK.store(base, Ordering::Relaxed);
            base
        });
        let until = match c.expect {
            Expect::ReplyOpen(text) => text.as_bytes(),
            _ => b"",
        };
        let panicked = || panics_of(&server.name) > before;
        let outcome = exchange(server.addr, &c.input, until, &panicked);
        if let Some(base) = base {
            let growth = PEAK.load(Ordering::Relaxed).saturating_sub(base);
            if growth > MEMORY_BOUND {
                failures.push(format!("{}: the heap grew by {growth} bytes", c.name));
            }
        }
        if let Err(why) = outcome.and_then(|outcome| check(c.expect, &outcome)) {
            failures.push(format!("{}: {why}", c.name));
        }
        // A panic hook runs before the unwinding ends the connection, so
        // the count is up to date once the close was seen.
        if panicked() {
            failures.push(format!("{}: the server panicked", c.name));
        }
    }
    failures
}

fn check(expect: Expect, outcome: &Outcome) -> Result<(), String> {
    let text = String::from_utf8_lossy(&outcome.reply);
    let shown: String = text.chars().take(300).collect();
    let closed = || {
        if outcome.closed {
            Ok(())
        } else {
            Err(format!("still open after {shown:?}"))
        }
    };
    match expect {
        Expect::ReplyThenClose(want) | Expect::ReplyOpen(want) => {
            if !text.contains(want) {
                return Err(format!("expected {want:?} in the reply, got {shown:?}"));
            }
            if matches!(expect, Expect::ReplyThenClose(_)) {
                closed()?;
            }
            Ok(())
        }
        Expect::StatusOrReset(_) if outcome.reset => Ok(()),
        Expect::Status(status) | Expect::StatusOrReset(status) => {
            if !text.starts_with(&format!("HTTP/1.1 {status} ")) {
                return Err(format!("expected status {status}, got {shown:?}"));
            }
            closed()
        }
        Expect::WsClose(code) => {
            let got = close_code(&outcome.reply);
            if got != Some(code) {
                return Err(format!(
                    "expected close code {code}, got {got:?} in {shown:?}"
                ));
            }
            closed()
        }
        Expect::Close => closed(),
    }
}

/// The code of the first close frame the server sent after its 101 head.
fn close_code(reply: &[u8]) -> Option<u16> {
    let start = reply.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let mut frames = &reply[start..];
    while frames.len() >= 2 {
        let opcode = frames[0] & 0x0f;
        let (len, header) = match frames[1] & 0x7f {
            126 => (
                usize::from(u16::from_be_bytes([*frames.get(2)?, *frames.get(3)?])),
                4,
            ),
            127 => return None, // the server never sends frames that big
            n => (usize::from(n), 2),
        };
        let payload = frames.get(header..header + len)?;
        if opcode == 8 {
            return Some(u16::from_be_bytes([*payload.first()?, *payload.get(1)?]));
        }
        frames = &frames[header + len..];
    }
    None
}

/// A seeded PRNG for the random blobs (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn blob(&mut self, max: usize) -> Vec<u8> {
        let len = (self.next() as usize) % (max + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// The seed of the random blobs: `HOSTILE_SEED` if set, else a fixed
/// one; printed, so a failure can be replayed.
fn blob_seed() -> u64 {
    let seed = std::env::var("HOSTILE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x2026_1201);
    println!("random blobs from seed {seed} (HOSTILE_SEED={seed} replays them)");
    seed
}

/// 100 MiB (a tenth of it under valgrind's `CORIO_TEST_SCALE=10`, and
/// never under 16 MiB, four times the heap bound).
fn huge() -> usize {
    util::scaled(100 << 20).max(16 << 20)
}

// ---- the cases ------------------------------------------------------------

/// 100 MiB without a newline to the chat (a terminal member).
fn chat_memory_case() -> Case {
    Case {
        memory: true,
        ..case(
            "a 100 MiB line without a newline",
            Input {
                fill: b'a',
                fill_len: huge(),
                ..Input::default()
            },
            Expect::ReplyThenClose(chat::TOO_LONG),
        )
    }
}

/// A 100 MiB request line to the HTTP server.
fn http_memory_case() -> Case {
    Case {
        memory: true,
        ..case(
            "a 100 MiB request line",
            Input {
                head: b"GET /".to_vec(),
                fill: b'a',
                fill_len: huge(),
                ..Input::default()
            },
            Expect::StatusOrReset(400),
        )
    }
}

fn chat_line_cases() -> Vec<Case> {
    let mut cases = vec![
        case(
            "a line one byte over the limit",
            Input {
                fill: b'x',
                fill_len: chat::MAX_LINE + 1,
                tail: b"\n".to_vec(),
                ..Input::default()
            },
            Expect::ReplyThenClose(chat::TOO_LONG),
        ),
        case(
            "an invalid UTF-8 nickname",
            bytes(b"\xff\xfe\xc3\x28\n"),
            Expect::ReplyThenClose(chat::BAD_UTF8),
        ),
        case(
            "an invalid UTF-8 line from a member",
            bytes(b"hostile1\nhello \xc0\xaf\n"),
            Expect::ReplyThenClose(chat::BAD_UTF8),
        ),
        case(
            "NUL and escape bytes in a nickname",
            bytes(b"a\0b\x1b[2J\n"),
            Expect::ReplyThenClose("! nickname must be printable"),
        ),
        case(
            "a truncated last line",
            bytes(b"hostile2\nno newline at the end"),
            Expect::ReplyThenClose("* hostile2 joined"),
        ),
        case("an empty connection", bytes(b""), Expect::Close),
        case(
            "half a line, then silence (a member may idle)",
            Input {
                linger: true,
                ..bytes(b"hostile3\nhalf a li")
            },
            Expect::ReplyOpen("* hostile3 joined"),
        ),
    ];
    let mut rng = Rng(blob_seed());
    for i in 0..util::scaled(40).max(4) {
        // Not `GET `: that is a browser, which the WebSocket cases cover.
        let mut blob = rng.blob(4096);
        if blob.starts_with(b"G") {
            blob[0] = b'g';
        }
        cases.push(case(format!("random blob {i}"), bytes(blob), Expect::Close));
    }
    cases
}

const WS_HANDSHAKE: &[u8] = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

/// A masked client frame with a zero mask (the payload goes as is).
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n @ 126..=65535 => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(payload);
    out
}

/// The handshake, then `frames`.
fn ws(frames: &[u8]) -> Input {
    bytes([WS_HANDSHAKE, frames].concat())
}

/// A request line of 1 MB: both HTTP heads (the chat's and the HTTP
/// server's) must refuse it with a 400, or reset.
fn a_request_line_of_1_mb() -> Case {
    case(
        "a request line of 1 MB",
        Input {
            head: b"GET /".to_vec(),
            fill: b'a',
            fill_len: 1 << 20,
            tail: b" HTTP/1.1\r\n\r\n".to_vec(),
            ..Input::default()
        },
        Expect::StatusOrReset(400),
    )
}

/// 40 headers, over the 32 both HTTP heads parse: a 400.
fn forty_headers() -> Case {
    let mut many_headers = b"GET / HTTP/1.1\r\n".to_vec();
    for i in 0..40 {
        many_headers.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
    }
    many_headers.extend_from_slice(b"\r\n");
    case(
        "40 headers (over the 32 parsed)",
        bytes(many_headers),
        Expect::Status(400),
    )
}

fn websocket_cases() -> Vec<Case> {
    let head_flood: Vec<u8> = b"GET / HTTP/1.1\r\n"
        .iter()
        .copied()
        .chain(b"X-Flood: y\r\n".iter().copied().cycle().take(12 * 100_000))
        .chain(*b"\r\n")
        .collect();
    let mut cases = vec![
        a_request_line_of_1_mb(),
        case(
            "a flood of 100 000 headers",
            bytes(head_flood),
            Expect::StatusOrReset(400),
        ),
        forty_headers(),
        case(
            "an upgrade without a key",
            bytes(b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
            Expect::Status(400),
        ),
        case(
            "a truncated handshake",
            bytes(&WS_HANDSHAKE[..60]),
            Expect::Close,
        ),
        case(
            "a head that never ends (closed after 10 s)",
            Input {
                linger: true,
                ..bytes(b"GET / HTTP/1.1\r\nHost: slow")
            },
            Expect::Close,
        ),
        case(
            "a bad opcode",
            ws(&frame(0x83, b"x")),
            Expect::WsClose(1002),
        ),
        case(
            "a length of 2^63 bytes",
            ws(b"\x81\xff\x7f\xff\xff\xff\xff\xff\xff\xff\0\0\0\0"),
            Expect::WsClose(1009),
        ),
        case(
            "a 70 000-byte text frame",
            ws(&frame(0x81, &[b'y'; 70_000])),
            Expect::WsClose(1009),
        ),
        case(
            "an unmasked client frame",
            ws(b"\x81\x05hello"),
            Expect::WsClose(1002),
        ),
        case(
            "a fragmented ping",
            ws(&[frame(0x09, b"frag"), frame(0x80, b"ment")].concat()),
            Expect::WsClose(1002),
        ),
        case(
            "a ping longer than 125 bytes",
            ws(&frame(0x89, &[b'p'; 200])),
            Expect::WsClose(1002),
        ),
        case(
            "invalid UTF-8 text",
            ws(&frame(0x81, b"\xff\xfe")),
            Expect::WsClose(1007),
        ),
        case(
            "a binary message",
            ws(&frame(0x82, b"bin")),
            Expect::WsClose(1003),
        ),
        case(
            "reserved bits set",
            ws(&frame(0xf1, b"rsv")),
            Expect::WsClose(1002),
        ),
        case(
            "a continuation with nothing to continue",
            ws(&frame(0x80, b"cont")),
            Expect::WsClose(1002),
        ),
        case(
            "a frame cut short",
            ws(&frame(0x81, b"hostile-ws")[..8]),
            Expect::Close,
        ),
    ];
    let mut rng = Rng(blob_seed() ^ 1);
    for i in 0..util::scaled(40).max(4) {
        cases.push(case(
            format!("random frames {i}"),
            ws(&rng.blob(4096)),
            Expect::Close,
        ));
    }
    cases
}

fn http_cases() -> Vec<Case> {
    let mut cases = vec![
        a_request_line_of_1_mb(),
        case(
            "a flood of 100 000 headers",
            Input {
                head: b"GET / HTTP/1.1\r\n".to_vec(),
                fill: b'X',
                fill_len: 0,
                tail: b"X: y\r\n".repeat(100_000),
                ..Input::default()
            },
            Expect::StatusOrReset(400),
        ),
        forty_headers(),
        case(
            "a Content-Length of 10^20",
            bytes(b"POST / HTTP/1.1\r\nContent-Length: 100000000000000000000\r\n\r\n"),
            Expect::Status(400),
        ),
        case(
            "a Content-Length over the limit",
            bytes(b"POST / HTTP/1.1\r\nContent-Length: 70000\r\n\r\n"),
            Expect::Status(400),
        ),
        case(
            "a negative Content-Length",
            bytes(b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
            Expect::Status(400),
        ),
        case(
            "a chunked body",
            bytes(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
            Expect::Status(400),
        ),
        case(
            "binary instead of a method",
            bytes(b"\x16\x03\x01\x02\0\x01\0\r\n\r\n"),
            Expect::Status(400),
        ),
        case(
            "a truncated request",
            bytes(b"GET /json HTTP/1.1\r\nHo"),
            Expect::Close,
        ),
        case(
            "a body cut short",
            bytes(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort"),
            Expect::Close,
        ),
        case(
            "a body, then a bad request pipelined",
            bytes(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcNOT HTTP\r\n\r\n"),
            Expect::ReplyThenClose("HTTP/1.1 400 "),
        ),
    ];
    let mut rng = Rng(blob_seed() ^ 2);
    for i in 0..util::scaled(40).max(4) {
        cases.push(case(
            format!("random blob {i}"),
            bytes(rng.blob(4096)),
            Expect::Close,
        ));
    }
    cases
}

/// A normal exchange that must still work after the hostile ones.
fn still_serves(server: &Server, request: &[u8], want: &str) {
    let outcome = exchange(server.addr, &bytes(request), b"", &|| false)
        .unwrap_or_else(|why| panic!("a normal request after the hostile input: {why}"));
    let text = String::from_utf8_lossy(&outcome.reply);
    assert!(text.contains(want), "after the hostile input: {text:?}");
}

fn assert_clean(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---- the tests ------------------------------------------------------------

#[test]
fn the_chat_line_protocol_survives_hostile_input() {
    let _watchdog = util::watchdog("the chat line protocol's hostile input");
    let _shared = shared();
    let server = chat_server("chat", None);
    assert_clean(run_cases(&server, &chat_line_cases()));
    still_serves(&server, b"hostile-ok\n/who\n", "* online: ");
    assert_eq!(panics_of(&server.name), 0);
}

#[test]
fn the_websocket_chat_survives_hostile_input() {
    let _watchdog = util::watchdog("the WebSocket chat's hostile input");
    let _shared = shared();
    let server = chat_server("websocket", None);
    assert_clean(run_cases(&server, &websocket_cases()));
    still_serves(&server, b"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 200 ");
    assert_eq!(panics_of(&server.name), 0);
}

#[test]
fn the_http_server_survives_hostile_input() {
    let _watchdog = util::watchdog("the HTTP server's hostile input");
    let _shared = shared();
    let server = http_server("http", None);
    // Half a request left hanging (the server waits up to its 60 s idle
    // timeout for the rest) holds nothing else up.
    let mut slow = TcpStream::connect(server.addr).expect("connect");
    slow.write_all(b"GET / HTTP/1.1\r\nHost: slow")
        .expect("send half a request");
    assert_clean(run_cases(&server, &http_cases()));
    still_serves(
        &server,
        b"GET /json HTTP/1.1\r\nConnection: close\r\n\r\n",
        "Hello, World!",
    );
    assert_eq!(panics_of(&server.name), 0);
    drop(slow);
}

#[test]
fn a_100_mib_line_is_not_buffered() {
    let _watchdog = util::watchdog("the 100 MiB lines");
    let _alone = EXCLUSIVE.write().unwrap_or_else(|e| e.into_inner());
    let chat = chat_server("chat memory", None);
    assert_clean(run_cases(&chat, &[chat_memory_case()]));
    let http = http_server("http memory", None);
    assert_clean(run_cases(&http, &[http_memory_case()]));
}

#[test]
fn the_hostile_input_cases_report_a_broken_server() {
    let _watchdog = util::watchdog("the hostile input cases against broken servers");
    let _shared = shared();
    let broken = [
        (
            chat_server("broken chat", Some(ChatFault::SilentBadUtf8)),
            chat_line_cases(),
            "an invalid UTF-8 nickname: expected \"! invalid UTF-8\"",
        ),
        (
            chat_server("broken websocket", Some(ChatFault::PanicOnProtocolError)),
            websocket_cases(),
            "a bad opcode: the server panicked",
        ),
        (
            http_server("broken http", Some(HttpFault::PanicOnHugeBody)),
            http_cases(),
            "a Content-Length over the limit: the server panicked",
        ),
    ];
    for (server, cases, expected) in broken {
        let failures = run_cases(&server, &cases);
        assert!(
            failures.iter().any(|f| f.starts_with(expected)),
            "{}: the fault went unreported; failures: {failures:?}",
            server.name
        );
    }
}
