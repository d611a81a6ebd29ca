//! The "visual lifecycle" of a coroutine from the asyncio article, taken
//! from a real run instead of a drawing: run it with
//! `cargo run --release --example lifecycle [trace.json] [--html page.html]`.
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
//! ui.perfetto.dev open. With `--html page.html` it also draws those tasks
//! and the loop as a self-contained page (`corio::trace::Html`): a lane
//! each, coloured by what they waited for, with the steps numbered on the
//! fetch's lane.
//!
//! `examples/python/lifecycle.py` prints the same steps for one asyncio
//! fetch, logged from a wrapped selector and a wrapped coroutine.

#[path = "common/http_client.rs"]
mod http_client;
#[path = "common/http_server.rs"]
mod http_server;

use std::io;
use std::path::{Path, PathBuf};

use corio::trace::{self, Event, What};

/// The width of the ASCII timeline, in columns.
const TIMELINE_WIDTH: usize = 60;

/// Where the program writes its outputs: `[trace.json] [--html page.html]`.
struct Outputs {
    chrome_trace: PathBuf,
    html: Option<PathBuf>,
}

fn parse_args() -> Outputs {
    let mut outputs = Outputs {
        chrome_trace: PathBuf::from("target/lifecycle.trace.json"),
        html: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--html" {
            let Some(path) = args.next() else {
                eprintln!("usage: lifecycle [trace.json] [--html page.html]");
                std::process::exit(2);
            };
            outputs.html = Some(PathBuf::from(path));
        } else {
            outputs.chrome_trace = PathBuf::from(arg);
        }
    }
    outputs
}

fn main() {
    let outputs = parse_args();
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
    let trace_path = &outputs.chrome_trace;
    match write_file(trace_path, &trace::chrome_json(&events)) {
        Ok(()) => println!(
            "Chrome trace written to {}: open it in chrome://tracing or https://ui.perfetto.dev",
            trace_path.display()
        ),
        Err(e) => {
            eprintln!("cannot write {}: {e}", trace_path.display());
            std::process::exit(1);
        }
    }
    if let Some(html_path) = &outputs.html {
        let page = trace::Html::new(&charted)
            .title("corio: the lifecycle of one fetch")
            .name(fetch_task, "the fetch")
            .lifecycle_of(fetch_task);
        let page = born
            .iter()
            .filter(|&&t| t != fetch_task)
            .fold(page, |page, &t| page.name(t, "server: answers after 1 s"))
            .render();
        match write_file(html_path, &page) {
            Ok(()) => println!("HTML timeline written to {}", html_path.display()),
            Err(e) => {
                eprintln!("cannot write {}: {e}", html_path.display());
                std::process::exit(1);
            }
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

/// Prints each step of the article's drawing ([`trace::lifecycle`] finds
/// them) with its time and raw event. Returns whether every step was found.
fn print_lifecycle(events: &[Event], task: u64) -> bool {
    for (i, step) in trace::lifecycle(events, task).iter().enumerate() {
        if i > 0 {
            println!("      |");
        }
        let Some(index) = step.event else {
            println!("  {:<32} (no matching event recorded)", step.name);
            return false;
        };
        let event = &events[index];
        // The library's words, plus what this program's task logs there.
        let note = match (i, step.name) {
            (1, _) => " and logs \"Starting\"",
            (_, "Done") => "; it logged \"Done\" just before",
            _ => "",
        };
        println!(
            "  {:<32} {:>9.3} ms  {}{note}",
            step.name,
            event.at.as_secs_f64() * 1e3,
            step.detail
        );
        println!("      event: {}", event.to_string().trim_start());
    }
    true
}

/// Writes one output file, creating its directory if needed.
fn write_file(path: &Path, contents: &str) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, contents)
}
