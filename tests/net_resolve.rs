//! `corio::net::ToSocketAddrs`: std-style address arguments compile
//! unchanged; host names are resolved by std's resolver on the blocking
//! pool while the loop runs other tasks; IP literals and socket addresses
//! never reach the resolver; outside `run` a lookup runs on the caller's
//! thread. Only `localhost` is ever looked up (from /etc/hosts).
//!
//! The resolver hook (`corio::net::set_resolve_hook`, test support) runs
//! inside the lookup job, just before std's resolver: it records which
//! thread did each lookup, and holds the lookup of one chosen port until
//! the test releases it from the loop.

mod util;

use std::io::{self, ErrorKind};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Condvar, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use util::{local_listener, ms};

/// A lookup the hook saw: its port, and the thread that ran it.
#[derive(Clone, Debug)]
struct Seen {
    port: u16,
    thread: ThreadId,
    thread_name: Option<String>,
}

static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

/// The port whose lookup the hook holds; `NOBODY` for none.
static HELD_PORT: AtomicU32 = AtomicU32::new(NOBODY);
const NOBODY: u32 = u32::MAX;

/// The held lookup's progress, under one lock.
#[derive(Debug, Default)]
struct Gate {
    entered: bool,
    released: bool,
    gave_up: bool,
}

static GATE: Mutex<Gate> = Mutex::new(Gate {
    entered: false,
    released: false,
    gave_up: false,
});
static GATE_CHANGED: Condvar = Condvar::new();

/// How long the hook holds a lookup at most: far beyond any wait of the
/// test, only so a broken build fails instead of hanging.
const HOLD_LIMIT: Duration = Duration::from_secs(60);

fn hook(_host: &str, port: u16) {
    let me = std::thread::current();
    SEEN.lock().unwrap().push(Seen {
        port,
        thread: me.id(),
        thread_name: me.name().map(str::to_owned),
    });
    if u32::from(port) != HELD_PORT.load(Ordering::SeqCst) {
        return;
    }
    let mut gate = GATE.lock().unwrap();
    gate.entered = true;
    GATE_CHANGED.notify_all();
    let (mut gate, waited) = GATE_CHANGED
        .wait_timeout_while(gate, HOLD_LIMIT, |g| !g.released)
        .unwrap();
    gate.gave_up = waited.timed_out();
}

fn install_hook() {
    corio::net::set_resolve_hook(Some(hook));
}

/// Ends the blocking pool's threads once a test's lookups are done.
///
/// glibc keeps resolver state per thread that looked a name up, released
/// when the thread ends; valgrind's leak check at process exit reports it
/// as lost while an idle pool thread still holds it. Tests that look
/// names up on the pool end with this, so memcheck stays quiet.
struct RetirePoolAtEnd;

impl Drop for RetirePoolAtEnd {
    fn drop(&mut self) {
        corio::retire_blocking_threads();
    }
}

/// The lookups the hook saw for `port`.
fn seen_for(port: u16) -> Vec<Seen> {
    let seen = SEEN.lock().unwrap();
    seen.iter().filter(|s| s.port == port).cloned().collect()
}

#[test]
fn a_host_name_resolves_on_the_pool_while_other_tasks_run() {
    install_hook();
    let _retire = RetirePoolAtEnd;
    let loop_thread = std::thread::current().id();
    let (listener, addr) = local_listener();
    let port = addr.port();
    HELD_PORT.store(u32::from(port), Ordering::SeqCst);
    let (ticks, other_task) = corio::run(move || {
        let connecting = corio::spawn(move || TcpStream::connect(("localhost", port)));
        // The lookup is held inside the pool job; this task goes on.
        let mut ticks = 0u32;
        while !GATE.lock().unwrap().entered {
            corio::sleep(ms(1));
            ticks += 1;
        }
        let other_task = corio::spawn(|| "ran while the lookup was held")
            .join()
            .unwrap();
        assert!(
            !connecting.is_finished(),
            "the connect waits for its lookup"
        );
        GATE.lock().unwrap().released = true;
        GATE_CHANGED.notify_all();
        let stream = connecting.join().unwrap().expect("connect to localhost");
        let (accepted, _) = listener.accept().unwrap();
        assert_eq!(stream.local_addr().unwrap(), accepted.peer_addr().unwrap());
        (ticks, other_task)
    });
    assert!(
        !GATE.lock().unwrap().gave_up,
        "the loop released the lookup"
    );
    assert!(ticks >= 1);
    assert_eq!(other_task, "ran while the lookup was held");
    let seen = seen_for(port);
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_ne!(
        seen[0].thread, loop_thread,
        "the lookup left the loop's thread"
    );
    assert_eq!(seen[0].thread_name.as_deref(), Some("corio-blocking"));
}

/// Code generic over the address, as std-style code is (bound switched
/// from `std::net::ToSocketAddrs`).
fn dial<A: ToSocketAddrs>(addr: A) -> io::Result<SocketAddr> {
    TcpStream::connect(addr)?.peer_addr()
}

#[test]
// The borrowed forms (`&addr`, `&&str`) are the point: std takes them too.
#[allow(clippy::needless_borrows_for_generic_args)]
fn literals_and_addresses_connect_without_the_resolver() {
    install_hook();
    let (listener, addr) = local_listener();
    let port = addr.port();
    let v6_listener = TcpListener::bind("[::1]:0").unwrap();
    let v6_addr = v6_listener.local_addr().unwrap();
    let v6_port = v6_addr.port();
    let SocketAddr::V6(v6_exact) = v6_addr else {
        panic!("bound to ::1")
    };
    // Nothing listens on a port just freed: a first address that fails.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let text = format!("127.0.0.1:{port}");
    let (v4_peers, v6_peers) = corio::run(move || -> io::Result<_> {
        let accepting = corio::spawn(move || {
            for _ in 0..12 {
                listener.accept().unwrap();
            }
        });
        let v6_accepting = corio::spawn(move || {
            for _ in 0..4 {
                v6_listener.accept().unwrap();
            }
        });
        let v4_peers = [
            dial(addr)?,
            dial(&addr)?,
            dial(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))?,
            dial((IpAddr::V4(Ipv4Addr::LOCALHOST), port))?,
            dial((Ipv4Addr::LOCALHOST, port))?,
            dial(("127.0.0.1", port))?,
            dial((String::from("127.0.0.1"), port))?,
            dial(text.as_str())?,
            dial(&text)?,
            dial(text.clone())?,
            dial(&&*text)?,
            dial(&[dead, addr][..])?, // the refused one first: each is tried
        ];
        let v6_peers = [
            dial(v6_exact)?,
            dial((Ipv6Addr::LOCALHOST, v6_port))?,
            dial(format!("[::1]:{v6_port}"))?,
            dial(("::1", v6_port))?,
        ];
        accepting.join().unwrap();
        v6_accepting.join().unwrap();
        Ok((v4_peers, v6_peers))
    })
    .unwrap();
    assert!(v4_peers.iter().all(|&p| p == addr), "{v4_peers:?}");
    assert!(v6_peers.iter().all(|&p| p == v6_addr), "{v6_peers:?}");
    assert!(seen_for(port).is_empty(), "{:?}", seen_for(port));
    assert!(seen_for(v6_port).is_empty(), "{:?}", seen_for(v6_port));
}

#[test]
fn udp_takes_the_same_addresses_and_names_resolve_off_the_loop() {
    install_hook();
    let _retire = RetirePoolAtEnd;
    let (port, from) = corio::run(|| -> io::Result<(u16, SocketAddr)> {
        let server = UdpSocket::bind(("127.0.0.1", 0))?;
        let port = server.local_addr()?.port();
        let client = UdpSocket::bind("localhost:0")?; // a lookup, on the pool
        client.send_to(b"by name", ("localhost", port))?;
        client.connect(format!("localhost:{port}"))?;
        client.send(b"connected by name")?;
        let mut buf = [0u8; 64];
        let (n, from) = server.recv_from(&mut buf)?;
        assert_eq!(&buf[..n], b"by name");
        let n = server.recv(&mut buf)?;
        assert_eq!(&buf[..n], b"connected by name");
        assert_eq!(client.peer_addr()?.port(), port);
        Ok((port, from))
    })
    .unwrap();
    assert_eq!(from.ip(), Ipv4Addr::LOCALHOST);
    let names = seen_for(port);
    assert_eq!(names.len(), 2, "send_to and connect: {names:?}");
    assert!(
        names
            .iter()
            .all(|s| s.thread_name.as_deref() == Some("corio-blocking")),
        "{names:?}"
    );
}

#[test]
fn outside_run_a_lookup_runs_on_the_calling_thread() {
    install_hook();
    let (listener, addr) = local_listener();
    let port = addr.port();
    let stream = TcpStream::connect(format!("localhost:{port}")).unwrap();
    let (accepted, _) = listener.accept().unwrap();
    assert_eq!(stream.local_addr().unwrap(), accepted.peer_addr().unwrap());
    let seen = seen_for(port);
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].thread, std::thread::current().id());
}

#[test]
fn malformed_addresses_fail_with_std_errors_before_any_lookup() {
    install_hook();
    for (bad, message) in [
        ("localhost", "invalid socket address"),
        ("localhost:http", "invalid port value"),
        ("127.0.0.1:65536", "invalid port value"),
    ] {
        let outside = TcpStream::connect(bad).unwrap_err();
        let inside = corio::run(|| TcpStream::connect(bad).unwrap_err());
        for e in [outside, inside] {
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
            assert_eq!(e.to_string(), message, "{bad}");
        }
    }
    let none: &[SocketAddr] = &[];
    let empty = corio::run(|| TcpListener::bind(none).unwrap_err());
    assert_eq!(empty.kind(), ErrorKind::InvalidInput);
}
