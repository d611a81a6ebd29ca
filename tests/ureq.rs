//! The `ureq` feature: corio's transport and resolver for the ureq HTTP
//! client (`corio::ureq`), against HTTP servers in tasks of the same
//! runtime, on loopback. Run with `cargo test --features ureq --test ureq`.
//!
//! Concurrency is shown by events, not clocks: a server that answers only
//! once all three requests have arrived, a request that completes only
//! after another task has run. The one name looked up is `localhost`.
#![cfg(feature = "ureq")]

mod util;

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Mutex;
use std::thread::ThreadId;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::sync::Event;
use corio::ureq::{CorioConnector, CorioResolver, CorioTransport};

/// Generous limits: a broken transport fails a test instead of hanging it.
fn agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .proxy(None) // whatever HTTP_PROXY says: loopback only
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build();
    corio::ureq::agent_with(config)
}

/// Reads one request head (up to the blank line) and returns its path;
/// `None` at end of stream.
fn read_head(stream: &TcpStream) -> io::Result<Option<String>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if (&*stream).read(&mut byte)? == 0 {
            return Ok(None);
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let path = text.split(' ').nth(1).unwrap_or_default().to_owned();
    Ok(Some(path))
}

/// Writes a keep-alive `200` with `body`.
fn respond(stream: &TcpStream, body: &str) -> io::Result<()> {
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    (&*stream).write_all(reply.as_bytes())
}

fn local_listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

#[test]
fn transport_resolver_and_connector_meet_ureqs_bounds() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<CorioTransport>();
    send_sync::<CorioConnector>();
    send_sync::<CorioResolver>();
}

#[test]
fn three_gets_in_three_tasks_are_in_flight_at_once() {
    corio::run(|| {
        let (listener, addr) = local_listener();
        let arrived = Rc::new(Cell::new(0));
        let all_in = Rc::new(Event::new());
        corio::spawn({
            let (arrived, all_in) = (arrived.clone(), all_in.clone());
            move || {
                for _ in 0..3 {
                    let (stream, _) = listener.accept().unwrap();
                    let (arrived, all_in) = (arrived.clone(), all_in.clone());
                    corio::spawn(move || {
                        let path = read_head(&stream).unwrap().expect("a request");
                        arrived.set(arrived.get() + 1);
                        if arrived.get() == 3 {
                            all_in.set();
                        }
                        // No answer until every request is in: blocking
                        // requests, one after the other, would never get one.
                        all_in.wait();
                        respond(&stream, &format!("answer to {path}")).unwrap();
                    });
                }
            }
        });
        let agent = agent();
        let fetch = |path: &'static str| {
            let agent = agent.clone();
            move || {
                let url = format!("http://{addr}{path}");
                let mut response = agent.get(&url).call().expect("the GET");
                response.body_mut().read_to_string().expect("the body")
            }
        };
        let bodies = corio::gather(vec![fetch("/a"), fetch("/b"), fetch("/c")]);
        assert_eq!(bodies, ["answer to /a", "answer to /b", "answer to /c"]);
        assert_eq!(arrived.get(), 3);
    });
}

#[test]
fn a_request_parks_its_task_and_other_tasks_run() {
    corio::run(|| {
        let (listener, addr) = local_listener();
        let other_ran = Rc::new(Event::new());
        corio::spawn({
            let other_ran = other_ran.clone();
            move || {
                let (stream, _) = listener.accept().unwrap();
                read_head(&stream).unwrap().expect("a request");
                other_ran.wait(); // set by a task that runs only if we park
                respond(&stream, "after the other task").unwrap();
            }
        });
        let requester = corio::spawn(move || {
            let mut response = agent().get(&format!("http://{addr}/")).call().unwrap();
            response.body_mut().read_to_string().unwrap()
        });
        corio::spawn({
            let other_ran = other_ran.clone();
            move || other_ran.set()
        });
        assert_eq!(requester.join().unwrap(), "after the other task");
    });
}

/// The docs' warning, shown: ureq's own transport blocks the loop's thread.
#[test]
fn ureqs_default_transport_in_a_task_freezes_every_task() {
    corio::run(|| {
        let (listener, addr) = local_listener();
        let answered = Rc::new(Cell::new(false));
        corio::spawn({
            let answered = answered.clone();
            move || {
                let (stream, _) = listener.accept().unwrap();
                if read_head(&stream).is_ok_and(|r| r.is_some()) {
                    let _ = respond(&stream, "too late");
                    answered.set(true);
                }
            }
        });
        corio::yield_now(); // the server task is parked in accept now
        let plain = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .proxy(None)
                .timeout_global(Some(Duration::from_millis(300)))
                .build(),
        );
        // The kernel accepts the connection, but the server task cannot
        // run while ureq blocks the thread in read(2): the request times out.
        let result = plain.get(&format!("http://{addr}/")).call();
        assert!(
            matches!(result, Err(ureq::Error::Timeout(_))),
            "expected a timeout, got {result:?}"
        );
        assert!(!answered.get(), "the server ran during a blocking call");
    });
}

#[test]
fn keep_alive_reuses_a_connection_and_try_peek_retires_stale_ones() {
    corio::run(|| {
        let (listener, addr) = local_listener();
        let accepted = Rc::new(Cell::new(0));
        // `go` lets the server spoil the connection once the client has
        // read the whole answer (bytes sent with the answer could land in
        // ureq's buffer, not the socket); `stale` says it has: it closed
        // its side, or sent bytes nobody asked for.
        let (go, stale) = (Rc::new(Event::new()), Rc::new(Event::new()));
        corio::spawn({
            let (accepted, go, stale) = (accepted.clone(), go.clone(), stale.clone());
            move || loop {
                let (stream, _) = listener.accept().unwrap();
                accepted.set(accepted.get() + 1);
                // Without it, Nagle would hold the unasked bytes back until
                // the client's delayed ACK of the answer.
                stream.set_nodelay(true).unwrap();
                let (go, stale) = (go.clone(), stale.clone());
                corio::spawn(move || {
                    while let Ok(Some(path)) = read_head(&stream) {
                        respond(&stream, &path).unwrap();
                        let spoil: &dyn Fn() = match path.as_str() {
                            "/close-after" => {
                                &|| stream.shutdown(std::net::Shutdown::Write).unwrap()
                            }
                            "/garbage-after" => &|| (&stream).write_all(b"unasked").unwrap(),
                            _ => continue,
                        };
                        go.wait();
                        go.clear();
                        spoil();
                        stale.set();
                    }
                });
            }
        });
        let agent = agent();
        let get = |path: &str| {
            let mut response = agent.get(&format!("http://{addr}{path}")).call().unwrap();
            response.body_mut().read_to_string().unwrap()
        };
        assert_eq!(get("/one"), "/one");
        assert_eq!(get("/two"), "/two");
        assert_eq!(
            accepted.get(),
            1,
            "the second GET did not reuse the connection"
        );

        for spoiler in ["/close-after", "/garbage-after"] {
            assert_eq!(get(spoiler), spoiler);
            go.set();
            stale.wait();
            stale.clear();
            let before = accepted.get();
            assert_eq!(get("/after"), "/after"); // not an error: a fresh connection
            assert_eq!(accepted.get(), before + 1, "a stale connection was reused");
        }
    });
}

/// Which thread looked `localhost` up, recorded by corio's resolver hook.
static LOOKUPS: Mutex<Vec<(String, u16, ThreadId)>> = Mutex::new(Vec::new());

fn record_lookup(host: &str, port: u16) {
    let me = std::thread::current().id();
    LOOKUPS.lock().unwrap().push((host.to_owned(), port, me));
}

#[test]
fn host_names_are_resolved_on_the_blocking_pool() {
    corio::net::set_resolve_hook(Some(record_lookup));
    let loop_thread = std::thread::current().id();
    let port = corio::run(|| {
        let (listener, addr) = local_listener();
        corio::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            read_head(&stream).unwrap().expect("a request");
            respond(&stream, "by name").unwrap();
        });
        // `localhost` may also name ::1, where nothing listens: the
        // connector goes on to the next address.
        let url = format!("http://localhost:{}/", addr.port());
        let mut response = agent().get(&url).call().unwrap();
        assert_eq!(response.body_mut().read_to_string().unwrap(), "by name");
        addr.port()
    });
    corio::net::set_resolve_hook(None);
    corio::retire_blocking_threads(); // glibc's per-thread resolver state
    let lookups = LOOKUPS.lock().unwrap();
    let ours: Vec<_> = lookups.iter().filter(|(_, p, _)| *p == port).collect();
    assert_eq!(ours.len(), 1, "{lookups:?}");
    assert_eq!(ours[0].0, "localhost");
    assert_ne!(
        ours[0].2, loop_thread,
        "the lookup ran on the loop's thread"
    );
}

#[test]
fn a_silent_server_gives_ureqs_timeout_while_the_loop_runs_on() {
    corio::run(|| {
        let (listener, addr) = local_listener();
        corio::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let _ = read_head(&stream);
            corio::sleep(Duration::from_secs(3600)); // never answers
        });
        let ticks = Rc::new(Cell::new(0u32));
        let ticker = corio::spawn({
            let ticks = ticks.clone();
            move || {
                loop {
                    ticks.set(ticks.get() + 1);
                    corio::sleep(Duration::from_millis(1));
                }
            }
        });
        let config = ureq::Agent::config_builder()
            .proxy(None)
            .timeout_recv_response(Some(Duration::from_millis(200)))
            .build();
        let result = corio::ureq::agent_with(config)
            .get(&format!("http://{addr}/"))
            .call();
        assert!(
            matches!(
                result,
                Err(ureq::Error::Timeout(ureq::Timeout::RecvResponse))
            ),
            "{result:?}"
        );
        // 200 ms of 1 ms sleeps: the ticker ran meanwhile (any count > 1
        // shows it; no bound on how many).
        assert!(ticks.get() > 1, "the loop stood still during the request");
        ticker.abort();
    });
}

#[test]
fn agent_shutdown_from_another_task_ends_a_parked_request() {
    corio::run(|| {
        let (listener, addr) = local_listener();
        let request_in = Rc::new(Event::new());
        corio::spawn({
            let request_in = request_in.clone();
            move || {
                let (stream, _) = listener.accept().unwrap();
                let _ = read_head(&stream);
                request_in.set();
                corio::sleep(Duration::from_secs(3600)); // never answers
            }
        });
        let agent = agent();
        let requester = corio::spawn({
            let agent = agent.clone();
            move || agent.get(&format!("http://{addr}/")).call().map(|_| ())
        });
        request_in.wait();
        agent.shutdown(); // through the duplicate descriptor ureq holds
        let result = requester.join().unwrap();
        assert!(result.is_err(), "the request survived Agent::shutdown");
    });
}

#[test]
fn refused_connections_tls_and_bad_urls_are_errors_not_panics() {
    corio::run(|| {
        // A port that was free a moment ago: nothing listens there now.
        let port = local_listener().1.port();
        let agent = agent();
        let refused = agent.get(&format!("http://127.0.0.1:{port}/")).call();
        assert!(
            matches!(&refused, Err(ureq::Error::Io(e)) if e.kind() == io::ErrorKind::ConnectionRefused),
            "{refused:?}"
        );
        // corio builds ureq without TLS: an https URL is refused cleanly.
        let (listener, addr) = local_listener();
        corio::spawn(move || drop(listener.accept()));
        assert!(agent.get(&format!("https://{addr}/")).call().is_err());
        assert!(agent.get("ftp://127.0.0.1/").call().is_err());
        // A proxy it cannot tunnel through is refused, not bypassed.
        let proxy = ureq::Proxy::new(&format!("http://{addr}")).unwrap();
        let config = ureq::Agent::config_builder().proxy(Some(proxy)).build();
        let proxied = corio::ureq::agent_with(config)
            .get(&format!("http://{addr}/"))
            .call();
        assert!(
            matches!(&proxied, Err(ureq::Error::Io(e)) if e.kind() == io::ErrorKind::Unsupported),
            "{proxied:?}"
        );
        assert!(agent.get("not a url").call().is_err());
    });
}

/// The outcome table's socket row, for a ureq request made in a
/// destructor of a task being cancelled: an error at once, no hang.
#[test]
fn a_request_in_a_cancelled_tasks_destructor_fails_at_once() {
    struct RequestOnDrop(SocketAddr, Rc<Cell<Option<bool>>>);
    impl Drop for RequestOnDrop {
        fn drop(&mut self) {
            let result = agent().get(&format!("http://{}/", self.0)).call();
            self.1.set(Some(result.is_err()));
        }
    }
    corio::run(|| {
        let (listener, addr) = local_listener();
        corio::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let _ = read_head(&stream);
            corio::sleep(Duration::from_secs(3600)); // never answers
        });
        let failed = Rc::new(Cell::new(None));
        let victim = corio::spawn({
            let failed = failed.clone();
            move || {
                let _guard = RequestOnDrop(addr, failed);
                corio::sleep(Duration::from_secs(3600));
            }
        });
        corio::yield_now(); // the victim parks in its sleep
        victim.abort();
        assert!(victim.join().is_err());
        assert_eq!(failed.get(), Some(true));
    });
}

#[test]
fn the_example_prints_fetch_urls_timeline() {
    use std::process::Command;
    let run = |path: std::path::PathBuf| {
        let output = Command::new(&path).output().expect("run the example");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "{}:\n{stdout}", path.display());
        stdout.lines().map(str::to_owned).collect::<Vec<_>>()
    };
    let with_ureq = run(util::examples::example_with_features(
        "fetch_urls_ureq",
        "ureq",
    ));
    let hand_rolled = run(util::examples::example("fetch_urls"));
    assert!(
        util::output::same_output("fetch_urls", &hand_rolled, &with_ureq),
        "fetch_urls:\n{}\nfetch_urls_ureq:\n{}",
        hand_rolled.join("\n"),
        with_ureq.join("\n")
    );
    // And the timeline itself: three starts before any finish, the 2 s
    // fetch last.
    let position = |what: &str| with_ureq.iter().position(|l| l.contains(what));
    let last_start = with_ureq
        .iter()
        .rposition(|l| l.contains("] Starting: "))
        .expect("Starting lines");
    let first_done = position("] Done: ").expect("Done lines");
    assert!(last_start < first_done, "{with_ureq:?}");
    let last_done = with_ureq
        .iter()
        .rposition(|l| l.contains("] Done: "))
        .unwrap();
    assert!(
        with_ureq[last_done].contains("/delay/2 -> "),
        "{with_ureq:?}"
    );
}
