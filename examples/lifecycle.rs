//! The "visual lifecycle" of a coroutine from the asyncio article, taken
//! from a real run instead of a drawing: run it with
//! `cargo run --release --example lifecycle [trace.json]`.
//!
//! The article draws one fetch as: start -> await I/O (yield control to the
//! event loop) -> the event loop watches for the data -> I/O completes ->
//! the coroutine resumes where it paused -> done. This program starts the
//! local server (`examples/common/http_server.rs`), switches on corio's
//! trace, fetches `/delay/1` in one task, switches the trace off, and finds
//! each of those steps among the recorded events of the fetching task and
//! of the event loop, printing its time and the raw event. Then comes the
//! ASCII timeline of the tasks started during the recording, and all the
//! events as a Chrome trace file, which chrome://tracing and
//! ui.perfetto.dev open.
//!
//! `examples/python/lifecycle.py` prints the same steps for one asyncio
//! fetch, logged from a wrapped selector and a wrapped coroutine.

#[path = "common/http_client.rs"]
mod http_client;
#[path = "common/http_server.rs"]
mod http_server;

use std::io;
use std::path::PathBuf;

use corio::trace::{self, Direction, Event, Outcome, ParkReason, What};

/// The width of the ASCII timeline, in columns.
const TIMELINE_WIDTH: usize = 60;

fn main() {
    let trace_path = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/lifecycle.trace.json".to_owned()),
    );

    let recorded = corio::run(|| -> io::Result<Vec<Event>> {
        let addr = http_server::start()?;
        let url = format!("http://{addr}/delay/1");
        trace::start();
        let fetch = corio::spawn(move || fetch_and_report(&url));
        let outcome = fetch.join();
        let events = trace::finish();
        match outcome {
            Ok(Ok(())) => Ok(events),
            Ok(Err(e)) => Err(e),
            Err(e) => Err(io::Error::other(format!("the fetch task failed: {e:?}"))),
        }
    });
    let events = match recorded {
        Ok(events) => events,
        Err(e) => {
            eprintln!("the fetch failed: {e}");
            std::process::exit(1);
        }
    };

    // The trace began just before the spawn, so the first task to be
    // spawned in it is the fetch.
    let Some(fetch_task) = events
        .iter()
        .find(|e| e.what == What::Spawned)
        .and_then(|e| e.task)
    else {
        eprintln!("the trace holds no spawn: was it recorded?");
        std::process::exit(1);
    };

    println!();
    println!("The lifecycle of task {fetch_task}, matched to its recorded events:");
    let complete = print_lifecycle(&events, fetch_task);

    // `timeline` draws a lane from a task's spawn, so tasks spawned before
    // the recording (`main`, parked in `join`, and the server's accept loop)
    // would show as empty lanes: chart the tasks born during it, with the
    // loop's own events.
    let born: Vec<u64> = events
        .iter()
        .filter(|e| e.what == What::Spawned)
        .filter_map(|e| e.task)
        .collect();
    let charted: Vec<Event> = events
        .iter()
        .filter(|e| e.task.is_none_or(|t| born.contains(&t)))
        .cloned()
        .collect();
    println!();
    println!("The tasks started during the recording (# running, . waiting):");
    for task in &born {
        let role = if *task == fetch_task {
            "the fetch"
        } else {
            "the server's task for the connection: it sleeps 1 s, then answers"
        };
        println!("  task {task}: {role}");
    }
    print!("{}", trace::timeline(&charted, TIMELINE_WIDTH));

    println!();
    match write_chrome_trace(&trace_path, &events) {
        Ok(()) => println!(
            "Chrome trace written to {}: open it in chrome://tracing or https://ui.perfetto.dev",
            trace_path.display()
        ),
        Err(e) => {
            eprintln!("cannot write {}: {e}", trace_path.display());
            std::process::exit(1);
        }
    }
    if !complete {
        std::process::exit(1);
    }
}

/// Logs like the article's fetch, around one GET.
fn fetch_and_report(url: &str) -> io::Result<()> {
    println!("Starting: {url}");
    let text = http_client::get(url)?;
    println!("Done: {url} -> {} characters", text.chars().count());
    Ok(())
}

/// One stage of the article's drawing and how to recognise its event.
struct Stage {
    /// The article's name for the step.
    name: &'static str,
    /// What corio does at that point.
    detail: &'static str,
    /// Whether an event is this stage, given the fd the task waits on.
    matches: fn(&Event, u64, Option<i32>) -> bool,
}

/// The article's steps, in order. The fd is the one of the first read the
/// task waits for (the response), learnt at the "await I/O" stage.
const STAGES: &[Stage] = &[
    Stage {
        name: "Start",
        detail: "the task is created",
        matches: |e, task, _| e.task == Some(task) && e.what == What::Spawned,
    },
    Stage {
        name: "Start",
        detail: "it runs for the first time and logs \"Starting\"",
        matches: |e, task, _| e.task == Some(task) && e.what == What::Resumed,
    },
    Stage {
        name: "await I/O",
        detail: "the read would block: register interest with mio",
        matches: |e, task, _| {
            e.task == Some(task)
                && matches!(
                    e.what,
                    What::IoInterest {
                        direction: Direction::Read,
                        ..
                    }
                )
        },
    },
    Stage {
        name: "yield control to the event loop",
        detail: "the task's stack is suspended mid-read",
        matches: |e, task, fd| {
            e.task == Some(task)
                && matches!(e.what, What::Parked(ParkReason::Io { fd: f, .. }) if Some(f) == fd)
        },
    },
    Stage {
        name: "event loop watches for the data",
        detail: "nothing to run: the loop waits in epoll",
        matches: |e, _, _| matches!(e.what, What::LoopWaits { .. }),
    },
    Stage {
        name: "I/O completes",
        detail: "epoll reports the socket readable",
        matches: |e, _, fd| matches!(e.what, What::IoReady { fd: f, readable: true, .. } if Some(f) == fd),
    },
    Stage {
        name: "resume coroutine",
        detail: "the waiting task is made ready",
        matches: |e, task, _| e.task == Some(task) && e.what == What::Woken,
    },
    Stage {
        name: "resume coroutine",
        detail: "its stack continues inside read(), which now returns data",
        matches: |e, task, _| e.task == Some(task) && e.what == What::Resumed,
    },
    Stage {
        name: "Done",
        detail: "the task returned; it logged \"Done\" just before",
        matches: |e, task, _| e.task == Some(task) && e.what == What::Finished(Outcome::Returned),
    },
];

/// Prints each stage with the first event after the previous stage's that
/// matches it. Returns whether every stage was found.
fn print_lifecycle(events: &[Event], task: u64) -> bool {
    let mut next = 0;
    let mut fd = None;
    for (i, stage) in STAGES.iter().enumerate() {
        if i > 0 {
            println!("      |");
        }
        let found = events[next..]
            .iter()
            .position(|e| (stage.matches)(e, task, fd));
        let Some(offset) = found else {
            println!("  {:<32} (no matching event recorded)", stage.name);
            return false;
        };
        let event = &events[next + offset];
        next += offset + 1;
        if let What::IoInterest { fd: f, .. } = event.what {
            fd = Some(f);
        }
        println!(
            "  {:<32} {:>9.3} ms  {}",
            stage.name,
            event.at.as_secs_f64() * 1e3,
            stage.detail
        );
        println!("      event: {}", event.to_string().trim_start());
    }
    true
}

/// Writes the Chrome trace JSON, creating the directory if needed.
fn write_chrome_trace(path: &PathBuf, events: &[Event]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, trace::chrome_json(events))
}
