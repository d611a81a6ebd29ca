//! The lifecycle trace against a real socket: the order of the events the
//! asyncio article draws, the Chrome trace export, `CORIO_TRACE=1`, and the
//! `lifecycle` and `fetch_urls` examples run as programs.

mod util;

use std::io::{Read, Write};
use std::process::{Command, Output};
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::trace::{self, Direction, Event, Outcome, ParkReason, What};

/// What the server of [`fetch_scenario`] answers, after a pause.
const REPLY: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

/// A fetch in miniature, recorded: a client task connects, sends a request
/// and reads the reply, which a server task sends 50 ms after the request
/// arrived. Returns the events and the client task's id.
fn fetch_scenario() -> (Vec<Event>, u64) {
    trace::start();
    corio::run(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        // Spawned first, so it is the second task spawned in the recording.
        let client = corio::spawn(move || {
            let mut stream = TcpStream::connect(addr)?;
            stream.write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")?;
            let mut reply = Vec::new();
            stream.read_to_end(&mut reply)?;
            Ok::<_, std::io::Error>(reply)
        });
        let server = corio::spawn(move || {
            let (mut stream, _) = listener.accept()?;
            let mut request = Vec::new();
            let mut chunk = [0; 256];
            while !request.ends_with(b"\r\n\r\n") {
                let n = stream.read(&mut chunk)?;
                assert!(n > 0, "the client closed before its request was complete");
                request.extend_from_slice(&chunk[..n]);
            }
            corio::sleep(Duration::from_millis(50));
            stream.write_all(REPLY)
        });
        server.join().expect("server task").expect("server I/O");
        let reply = client.join().expect("client task").expect("client I/O");
        assert_eq!(reply, REPLY);
    });
    let events = trace::finish();
    let spawned: Vec<u64> = events
        .iter()
        .filter(|e| e.what == What::Spawned)
        .filter_map(|e| e.task)
        .collect();
    assert_eq!(
        spawned.len(),
        3,
        "main, client and server:\n{}",
        dump(&events)
    );
    (events, spawned[1])
}

/// Every event, one a line, for assertion messages.
fn dump(events: &[Event]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

/// A named test on events.
type Stage<'a> = (&'static str, &'a dyn Fn(&Event) -> bool);

/// The index of the first event at or after `from` that satisfies `pred`.
fn find_from(events: &[Event], from: usize, pred: impl Fn(&Event) -> bool) -> Option<usize> {
    events[from..].iter().position(pred).map(|i| from + i)
}

#[test]
fn client_task_follows_the_articles_lifecycle() {
    let (events, client) = fetch_scenario();
    let all = dump(&events);
    let mine = |e: &Event| e.task == Some(client);

    // await I/O: the read of the reply would block, so the task registers
    // interest in its socket.
    let interest = find_from(&events, 0, |e| {
        mine(e)
            && matches!(
                e.what,
                What::IoInterest {
                    direction: Direction::Read,
                    ..
                }
            )
    })
    .unwrap_or_else(|| panic!("no read interest from task {client}:\n{all}"));
    let What::IoInterest { fd, .. } = events[interest].what else {
        unreachable!()
    };

    // Each later stage is the first matching event after the one before.
    let stages: [Stage<'_>; 6] = [
        ("parked on the socket", &|e| {
            mine(e)
                && e.what
                    == What::Parked(ParkReason::Io {
                        fd,
                        direction: Direction::Read,
                    })
        }),
        ("the loop waits", &|e| {
            e.task.is_none() && matches!(e.what, What::LoopWaits { .. })
        }),
        (
            "the same fd becomes readable",
            &|e| matches!(e.what, What::IoReady { fd: f, readable: true, .. } if f == fd),
        ),
        ("woken", &|e| mine(e) && e.what == What::Woken),
        ("resumed", &|e| mine(e) && e.what == What::Resumed),
        ("finished", &|e| {
            mine(e) && e.what == What::Finished(Outcome::Returned)
        }),
    ];
    let mut at = vec![interest];
    for (name, pred) in stages {
        let previous = at.last().copied().unwrap_or_default();
        let index = find_from(&events, previous + 1, pred).unwrap_or_else(|| {
            panic!(
                "stage `{name}` missing after event {previous} for task {client} (fd {fd}):\n{all}"
            )
        });
        at.push(index);
    }

    // Between parking and being woken, the task did not run.
    let (parked, woken) = (at[1], at[4]);
    assert!(
        !events[parked..woken]
            .iter()
            .any(|e| mine(e) && e.what == What::Resumed),
        "task {client} ran while parked on fd {fd}:\n{all}"
    );
    // It waited for the server's 50 ms pause, give or take.
    assert!(
        events[at[3]].at - events[parked].at >= Duration::from_millis(40),
        "woken too early:\n{all}"
    );
}

#[test]
fn chrome_json_is_a_valid_trace_event_array() {
    let (events, client) = fetch_scenario();
    let json = trace::chrome_json(&events);
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("chrome_json is JSON");
    let entries = parsed.as_array().expect("a JSON array");
    assert!(!entries.is_empty());

    let mut last_instant: std::collections::HashMap<u64, f64> = Default::default();
    let (mut slices, mut instants) = (0, 0);
    for entry in entries {
        let field = |key: &str| {
            entry
                .get(key)
                .unwrap_or_else(|| panic!("no `{key}` in {entry}"))
        };
        assert!(field("name").is_string(), "{entry}");
        let ph = field("ph").as_str().expect("ph is a string");
        assert!(field("pid").is_u64(), "{entry}");
        let tid = field("tid").as_u64().expect("tid is an integer");
        let ts = field("ts").as_f64().expect("ts is a number");
        assert!(ts >= 0.0, "{entry}");
        match ph {
            "X" => {
                let dur = field("dur").as_f64().expect("dur is a number");
                assert!(dur >= 0.0, "{entry}");
                slices += 1;
            }
            "i" => {
                let previous = last_instant.insert(tid, ts).unwrap_or(0.0);
                assert!(
                    ts >= previous,
                    "instants of tid {tid} go back in time: {entry}"
                );
                instants += 1;
            }
            other => panic!("unexpected phase {other:?} in {entry}"),
        }
    }
    assert!(slices > 0 && instants > 0, "{json}");
    // The client's stretches of running are slices on its own row.
    assert!(
        entries
            .iter()
            .any(|e| e["ph"] == "X" && e["tid"].as_u64() == Some(client)),
        "{json}"
    );
}

/// Runs the `small_program` child scenario with `CORIO_TRACE` set to
/// `value` (the variable is read when the program starts).
fn traced_child(value: &str) -> Output {
    util::process::output_of(util::process::scenario("small_program").env("CORIO_TRACE", value))
}

#[test]
fn corio_trace_env_prints_events_to_stderr() {
    let output = traced_child("1");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("corio trace:"))
        .collect();
    for expected in ["spawned", "resumed", "parked: sleeps", "woken", "finished"] {
        assert!(
            lines.iter().any(|l| l.contains(expected)),
            "no `{expected}` line in stderr:\n{stderr}"
        );
    }

    let quiet = traced_child("0");
    let stderr = String::from_utf8_lossy(&quiet.stderr);
    assert!(quiet.status.success(), "child failed:\n{stderr}");
    assert!(
        !stderr.contains("corio trace:"),
        "CORIO_TRACE=0 printed:\n{stderr}"
    );
}

#[test]
fn lifecycle_example_prints_every_stage_and_writes_the_trace() {
    let json_path =
        std::env::temp_dir().join(format!("corio-lifecycle-{}.trace.json", std::process::id()));
    let html_path = json_path.with_extension("html");
    let output = Command::new(util::examples::example("lifecycle"))
        .arg(&json_path)
        .arg("--html")
        .arg(&html_path)
        .output()
        .expect("run the lifecycle example");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "lifecycle failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for stage in [
        "Start",
        "await I/O",
        "yield control to the event loop",
        "event loop watches for the data",
        "I/O completes",
        "resume coroutine",
        "Done",
        "Chrome trace written to",
    ] {
        assert!(stdout.contains(stage), "no `{stage}` in:\n{stdout}");
    }
    assert!(!stdout.contains("no matching event"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("task ") && l.ends_with('|')),
        "no timeline in:\n{stdout}"
    );

    let json = std::fs::read_to_string(&json_path).expect("the trace file was written");
    let _ = std::fs::remove_file(&json_path);
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("the trace file is JSON");
    assert!(parsed.as_array().is_some_and(|a| !a.is_empty()));

    // tests/trace_html.rs checks pages in depth; here, that the example's
    // page has the fetch's nine steps and the two tasks' lanes.
    assert!(stdout.contains("HTML timeline written to"), "{stdout}");
    let page = std::fs::read_to_string(&html_path).expect("the page was written");
    let _ = std::fs::remove_file(&html_path);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(page.matches(r#"<g class="stage""#).count(), 9, "{page}");
    assert_eq!(page.matches(r#"<g class="lane""#).count(), 3, "{page}");
}

#[test]
fn fetch_urls_example_starts_all_three_before_any_finishes() {
    let output = Command::new(util::examples::example("fetch_urls"))
        .output()
        .expect("run the fetch_urls example");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "fetch_urls failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("] Starting: "))
        .collect();
    let dones: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("] Done: "))
        .collect();
    assert_eq!((starts.len(), dones.len()), (3, 3), "{stdout}");
    assert!(
        starts[2] < dones[0],
        "a fetch finished before all started:\n{stdout}"
    );

    // The delayed reply cannot come before its 2 s, and it finishes last:
    // the fast fetches did not wait for it (an order, not a time bound).
    let delayed = lines[*dones.last().expect("three Done lines")];
    assert!(
        delayed.contains("/delay/2 -> "),
        "the 2 s fetch must finish last:\n{stdout}"
    );
    let at: f64 = delayed
        .strip_prefix("[T+")
        .and_then(|l| l.split_once("s]"))
        .and_then(|(t, _)| t.parse().ok())
        .unwrap_or_else(|| panic!("no time in {delayed:?}"));
    assert!(at >= 1.95, "/delay/2 answered after {at} s:\n{stdout}");
    assert!(
        lines.iter().any(|l| l.starts_with("fetched 3 URLs in ")),
        "no `fetched 3 URLs in ... s` line:\n{stdout}"
    );
}

/// `CORIO_TRACE=1` must not throw away a recording the program started
/// itself inside `run` (it used to end whatever recording was current).
#[test]
fn a_recording_started_inside_a_traced_run_survives_it() {
    let output =
        util::process::output_of(util::process::scenario("own_recording").env("CORIO_TRACE", "1"));
    util::process::assert_success(&output);
    let stdout = util::process::stdout_text(&output);
    let kept: usize = stdout
        .lines()
        .find_map(|l| l.strip_prefix("events kept: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("child printed no count: {stdout}"));
    assert!(
        kept >= 3,
        "the program's own recording lost its events: {kept}"
    );
    assert!(util::process::stderr_text(&output).contains("corio trace:"));
}
