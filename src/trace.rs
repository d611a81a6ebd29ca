//! Lifecycle events of tasks, recorded from the scheduler and reactor as
//! they happen: spawn, resume, park (and why), wake, finish, plus the
//! event loop's own steps (registering I/O interest with mio, waiting in
//! epoll, readiness arriving).
//!
//! This is the coroutine lifecycle the asyncio articles draw (start ->
//! await I/O -> yield control to the event loop -> the loop waits -> I/O
//! ready -> resume -> done), taken from a real run rather than a diagram.
//!
//! Recording is per thread and off by default; when off it costs one
//! thread-local flag check per event site. Turn it on with [`start`] (and
//! collect with [`finish`]), or set `CORIO_TRACE=1` to have every
//! [`crate::run`] print its events to stderr as they happen.
//!
//! A recording renders three ways: [`timeline`] (ASCII lanes for a
//! terminal), [`html`] (a self-contained page with an SVG lane per task,
//! coloured by what it waited for, wake arrows and the lifecycle steps of
//! [`lifecycle`]) and [`chrome_json`] (for Perfetto). Setting
//! `CORIO_TRACE_HTML=page.html` makes [`crate::run`] record and write that
//! page when it returns, for any program, unchanged (under
//! [`crate::Builder::run`], one page per loop: `page-0.html`, ...).
//!
//! # The `tracing` feature
//!
//! With `features = ["tracing"]`, every task is also a span of the
//! [`tracing`](https://docs.rs/tracing) crate (`task`, target
//! `corio::task`, field `task.id`), created where the task is spawned (so
//! it nests under the spawning task's span), entered exactly while the task
//! runs and exited when it parks; events mark its spawn, park (with the
//! reason), wake and finish. So a subscriber shows a task's own log lines
//! inside its span, across parks, as it would for a thread. This is fed
//! whether or not a recording is under way.
//!
//! One rule follows from `tracing` keeping the entered spans per thread:
//! a span the task's code enters itself with a guard (`span.enter()`) and
//! holds across a park stays entered while *other* tasks run, so their
//! events would appear inside it. Enter spans around code that does not
//! park (`span.in_scope(|| ...)`), or rely on the task's own span.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use corio::trace::{self, What};
//!
//! trace::start();
//! corio::run(|| corio::spawn(|| corio::sleep(Duration::from_millis(5))).join().unwrap());
//! let events = trace::finish();
//! assert!(events.iter().any(|e| matches!(e.what, What::Parked(trace::ParkReason::Timer { .. }))));
//! println!("{}", trace::timeline(&events, 40));
//! let json = trace::chrome_json(&events); // load in chrome://tracing or Perfetto
//! assert!(json.starts_with('['));
//! ```

#[cfg(feature = "tracing")]
pub(crate) mod bridge;
mod html;
mod lifecycle;

pub use html::{Html, html};
pub use lifecycle::{LifecycleStep, lifecycle};

use std::cell::{Cell, RefCell};
use std::fmt::{self, Write as _};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// One recorded moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Time since recording started.
    pub at: Duration,
    /// The task concerned, or `None` for the event loop itself.
    pub task: Option<u64>,
    /// What happened.
    pub what: What,
}

/// What happened at an [`Event`].
#[derive(Clone, Debug, PartialEq)]
pub enum What {
    /// The task was created (`spawn`, `scope`, `gather`, or `run`'s main).
    Spawned,
    /// The task has this name ([`crate::TaskBuilder::name`]; `run`'s task
    /// is `main`): recorded right after its `Spawned`.
    Named(String),
    /// The scheduler switched to the task's stack.
    Resumed,
    /// The task's stack was suspended; control went back to the loop.
    Parked(ParkReason),
    /// Something made the parked task ready to run again.
    Woken,
    /// The task finished.
    Finished(Outcome),
    /// The task registered interest in a socket with mio (epoll).
    IoInterest {
        /// The socket's file descriptor.
        fd: i32,
        /// What the task waits for.
        direction: Direction,
    },
    /// The loop had nothing to run and waited for I/O or a timer.
    LoopWaits {
        /// How long it was prepared to wait (`None`: until I/O arrives).
        timeout: Option<Duration>,
    },
    /// epoll reported a socket ready.
    IoReady {
        /// The socket's file descriptor.
        fd: i32,
        /// Readable (or closed for reading).
        readable: bool,
        /// Writable (or closed for writing).
        writable: bool,
    },
}

/// Why a task parked.
#[derive(Clone, Debug, PartialEq)]
pub enum ParkReason {
    /// Waiting for a socket.
    Io {
        /// The socket's file descriptor.
        fd: i32,
        /// What it waits for.
        direction: Direction,
    },
    /// `sleep` (or an I/O timeout) until this long after recording began.
    Timer {
        /// The wake-up time, relative to the start of recording.
        until: Duration,
    },
    /// Waiting for another task to finish.
    Join {
        /// The awaited task.
        task: u64,
    },
    /// `yield_now`: ready again at once, behind the other ready tasks.
    Yield,
    /// A channel, semaphore, mutex or event.
    Sync,
    /// A `Future` or another thread: `block_on`, `RemoteJoinHandle::join`.
    Future,
    /// Anything else (a `race`, a `scope` waiting for children).
    Other,
}

pub use crate::reactor::Direction;

/// How a task finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Its closure returned.
    Returned,
    /// Its closure panicked.
    Panicked,
    /// It was cancelled and unwound.
    Cancelled,
}

struct Recorder {
    /// Distinguishes recordings, so `run` ends only the one it began.
    id: u64,
    start: Instant,
    events: Vec<Event>,
    /// Print each event to stderr as it is recorded (`CORIO_TRACE=1`).
    echo: bool,
    /// Where `run` writes the HTML page when it ends (`CORIO_TRACE_HTML`).
    html: Option<PathBuf>,
}

thread_local! {
    /// Mirrors `RECORDER.is_some()`, read on every event site.
    static ENABLED: Cell<bool> = const { Cell::new(false) };
    static RECORDER: RefCell<Option<Recorder>> = const { RefCell::new(None) };
    static NEXT_RECORDING: Cell<u64> = const { Cell::new(1) };
}

/// Starts recording this thread's events (discarding any not yet taken).
/// Inside a `run` traced with `CORIO_TRACE=1`, events keep being printed.
pub fn start() {
    let echo = RECORDER.with_borrow(|r| r.as_ref().is_some_and(|r| r.echo));
    begin(echo, None);
}

fn begin(echo: bool, html: Option<PathBuf>) -> u64 {
    let id = NEXT_RECORDING.get();
    NEXT_RECORDING.set(id + 1);
    RECORDER.set(Some(Recorder {
        id,
        start: Instant::now(),
        events: Vec::new(),
        echo,
        html,
    }));
    ENABLED.set(true);
    id
}

/// Stops recording and returns the events, oldest first.
pub fn finish() -> Vec<Event> {
    ENABLED.set(false);
    RECORDER.take().map(|r| r.events).unwrap_or_default()
}

/// True while this thread records.
pub fn is_recording() -> bool {
    ENABLED.get()
}

/// Called by `run`: with `CORIO_TRACE=1` or `CORIO_TRACE_HTML=path` and no
/// recording under way, start one (echoing to stderr for the former),
/// returning its id for [`end_from_env`].
pub(crate) fn begin_from_env() -> Option<u64> {
    if is_recording() {
        return None;
    }
    let echo = std::env::var_os("CORIO_TRACE").is_some_and(|v| v != "0");
    let html = std::env::var_os("CORIO_TRACE_HTML")
        .filter(|path| !path.is_empty())
        .map(|path| per_thread_path(PathBuf::from(path)));
    (echo || html.is_some()).then(|| begin(echo, html))
}

/// `CORIO_TRACE_HTML`'s path for this runtime: as given for one loop; for
/// the loops of a `Builder::run`, each its own file, `page-0.html`,
/// `page-1.html`, ... (recordings are per thread).
fn per_thread_path(path: PathBuf) -> PathBuf {
    if crate::thread_count() <= 1 {
        return path;
    }
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let mut name = format!("{stem}-{}", crate::thread_index());
    if let Some(extension) = path.extension() {
        name.push('.');
        name.push_str(&extension.to_string_lossy());
    }
    path.with_file_name(name)
}

/// Ends the recording `run` began from the environment, unless the program
/// replaced it with its own (`start` inside `run`), which it keeps; writes
/// its HTML page if one was asked for.
pub(crate) fn end_from_env(id: u64) {
    if !RECORDER.with_borrow(|r| r.as_ref().is_some_and(|r| r.id == id)) {
        return;
    }
    let html = RECORDER.with_borrow_mut(|r| r.as_mut().and_then(|r| r.html.take()));
    let events = finish(); // every event was already printed, if echoed
    if let Some(path) = html
        && let Err(e) = std::fs::write(&path, self::html(&events))
    {
        eprintln!(
            "corio: cannot write CORIO_TRACE_HTML={}: {e}",
            path.display()
        );
    }
}

/// Records `what` for `task` if this thread is recording.
#[inline]
pub(crate) fn record(task: Option<u64>, what: impl FnOnce() -> What) {
    #[cfg(feature = "tracing")]
    {
        let what = what();
        bridge::forward(task, &what);
        if ENABLED.get() {
            record_slow(task, what);
        }
    }
    #[cfg(not(feature = "tracing"))]
    if ENABLED.get() {
        record_slow(task, what());
    }
}

#[cold]
fn record_slow(task: Option<u64>, what: What) {
    RECORDER.with_borrow_mut(|recorder| {
        let Some(recorder) = recorder else { return };
        let event = Event {
            at: recorder.start.elapsed(),
            task,
            what,
        };
        if recorder.echo {
            eprintln!("corio trace: {event}");
        }
        recorder.events.push(event);
    });
}

/// The time since recording began for an instant, for timer reasons.
pub(crate) fn since_start(at: Instant) -> Duration {
    RECORDER.with_borrow(|r| {
        r.as_ref()
            .map_or(Duration::ZERO, |r| at.saturating_duration_since(r.start))
    })
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.at.as_secs_f64() * 1000.0;
        match self.task {
            Some(task) => write!(f, "{ms:10.3} ms  task {task:<4} {}", self.what),
            None => write!(f, "{ms:10.3} ms  loop      {}", self.what),
        }
    }
}

impl fmt::Display for What {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            What::Spawned => f.write_str("spawned"),
            What::Named(name) => write!(f, "is named '{name}'"),
            What::Resumed => f.write_str("resumed (the loop switches to its stack)"),
            What::Parked(reason) => {
                write!(f, "parked: {reason} (yields control to the event loop)")
            }
            What::Woken => f.write_str("woken (ready to run)"),
            What::Finished(outcome) => write!(f, "finished: {outcome:?}"),
            What::IoInterest { fd, direction } => {
                write!(f, "registers interest in fd {fd} ({direction:?}) with mio")
            }
            What::LoopWaits { timeout: Some(t) } => write!(f, "waits in epoll for up to {t:?}"),
            What::LoopWaits { timeout: None } => f.write_str("waits in epoll until I/O arrives"),
            What::IoReady {
                fd,
                readable,
                writable,
            } => {
                write!(
                    f,
                    "I/O ready: fd {fd} readable={readable} writable={writable}"
                )
            }
        }
    }
}

impl fmt::Display for ParkReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParkReason::Io { fd, direction } => write!(f, "awaits I/O on fd {fd} ({direction:?})"),
            ParkReason::Timer { until } => {
                write!(f, "sleeps until {:.3} ms", until.as_secs_f64() * 1e3)
            }
            ParkReason::Join { task } => write!(f, "awaits task {task}"),
            ParkReason::Yield => f.write_str("yields"),
            ParkReason::Sync => f.write_str("awaits a channel/lock/event"),
            ParkReason::Future => f.write_str("awaits a future/another thread"),
            ParkReason::Other => f.write_str("waits"),
        }
    }
}

/// Renders one lane per task, `width` columns for the whole recording:
/// `#` running, `.` parked or ready, blank before spawn and after finish;
/// a named task's name follows its lane.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::trace::start();
/// corio::run(|| corio::sleep(Duration::from_millis(2)));
/// let chart = corio::trace::timeline(&corio::trace::finish(), 20);
/// assert!(chart.contains("task 1"));
/// ```
pub fn timeline(events: &[Event], width: usize) -> String {
    let width = width.max(1);
    let end = events
        .last()
        .map_or(Duration::ZERO, |e| e.at)
        .max(Duration::from_nanos(1));
    let column =
        |at: Duration| ((at.as_secs_f64() / end.as_secs_f64()) * (width - 1) as f64) as usize;
    let mut tasks: Vec<u64> = events.iter().filter_map(|e| e.task).collect();
    tasks.sort_unstable();
    tasks.dedup();
    let mut out = format!(
        "{:>9} 0 ms{:>w$.1} ms\n",
        "",
        end.as_secs_f64() * 1e3,
        w = width.saturating_sub(2)
    );
    for task in tasks {
        let mut lane = vec![b' '; width];
        let mut running_since: Option<usize> = None;
        let mut alive_since: Option<usize> = None;
        let mut first = true;
        for event in events.iter().filter(|e| e.task == Some(task)) {
            let col = column(event.at);
            if std::mem::take(&mut first) && !matches!(event.what, What::Spawned) {
                // Spawned before recording began: alive from the start, and
                // running until now if this is where it stops running.
                alive_since = Some(0);
                if matches!(event.what, What::Parked(_) | What::Finished(_)) {
                    running_since = Some(0);
                }
            }
            match event.what {
                What::Spawned => alive_since = Some(col),
                What::Resumed => running_since = Some(col),
                What::Parked(_) | What::Finished(_) => {
                    if let Some(from) = running_since.take() {
                        lane[from..=col].fill(b'#');
                    }
                    if matches!(event.what, What::Finished(_)) {
                        alive_since = None;
                    }
                }
                _ => {}
            }
            if let Some(from) = alive_since {
                for cell in &mut lane[from..=col] {
                    if *cell == b' ' {
                        *cell = b'.';
                    }
                }
            }
        }
        let name = events.iter().find_map(|e| match &e.what {
            What::Named(name) if e.task == Some(task) => Some(name.as_str()),
            _ => None,
        });
        let lane = String::from_utf8_lossy(&lane);
        let _ = match name {
            Some(name) => writeln!(out, "task {task:<4} |{lane}| {name}"),
            None => writeln!(out, "task {task:<4} |{lane}|"),
        };
    }
    out
}

/// Exports events in the Chrome trace event format (a JSON array), which
/// `chrome://tracing` and Perfetto open: one row per task, a slice for each
/// stretch it ran, an instant for everything else.
pub fn chrome_json(events: &[Event]) -> String {
    let mut out = String::from("[");
    let mut first = true;
    let mut push = |out: &mut String, entry: String| {
        if !first {
            out.push(',');
        }
        first = false;
        out.push('\n');
        out.push_str(&entry);
    };
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let mut running: Vec<(u64, Duration)> = Vec::new();
    for event in events {
        let tid = event.task.unwrap_or(0);
        match &event.what {
            What::Resumed => running.push((tid, event.at)),
            What::Parked(_) | What::Finished(_) => {
                if let Some(i) = running.iter().position(|&(t, _)| t == tid) {
                    let (_, from) = running.swap_remove(i);
                    let entry = format!(
                        r#"{{"name":"run","ph":"X","pid":1,"tid":{tid},"ts":{:.3},"dur":{:.3}}}"#,
                        micros(from),
                        micros(event.at.saturating_sub(from))
                    );
                    push(&mut out, entry);
                }
            }
            _ => {}
        }
        if !matches!(event.what, What::Resumed) {
            let name = json_escape(&event.what.to_string());
            let entry = format!(
                r#"{{"name":"{name}","ph":"i","s":"t","pid":1,"tid":{tid},"ts":{:.3}}}"#,
                micros(event.at)
            );
            push(&mut out, entry);
        }
    }
    out.push_str("\n]\n");
    out
}

fn json_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => escaped.push_str("\\\""),
            '\\' => escaped.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(escaped, "\\u{:04x}", u32::from(c));
            }
            c => escaped.push(c),
        }
    }
    escaped
}
