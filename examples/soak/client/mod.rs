//! The clients' process: corio tasks on this thread's runtime and plain
//! std threads beside it, all against the server at one address, in three
//! phases the server's process follows on this process's standard output:
//!
//! 1. every slot connects and exchanges a first message, then `connected N`;
//! 2. traffic for the run's duration (`warm` after the warm-up), until
//!    every slot has stopped and stands idle with its connection open:
//!    `end`; the server's process then samples its memory and answers
//!    `close` on our standard input;
//! 3. every well-behaved connection closes in order, and the counts are
//!    printed (`ClientStats::to_lines`), then `done`.

mod corio_side;
mod exchange;
mod misbehave;
mod slow_reader;
mod std_side;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::config::Config;
use super::os;

/// A one-time signal from the control task to std threads, with a value.
#[derive(Debug)]
pub struct Gate<T: Copy> {
    value: Mutex<Option<T>>,
    opened: Condvar,
}

impl<T: Copy> Gate<T> {
    /// A closed gate.
    pub fn new() -> Gate<T> {
        Gate {
            value: Mutex::new(None),
            opened: Condvar::new(),
        }
    }

    /// Opens the gate: every waiter, now and later, gets `value`.
    pub fn open(&self, value: T) {
        *self.value.lock().expect("gate lock") = Some(value);
        self.opened.notify_all();
    }

    /// Blocks the thread until the gate is open (std threads only).
    pub fn wait(&self) -> T {
        let mut value = self.value.lock().expect("gate lock");
        loop {
            if let Some(value) = *value {
                return value;
            }
            value = self.opened.wait(value).expect("gate lock");
        }
    }
}

/// What both kinds of client share with the control task.
#[derive(Debug)]
pub struct Shared {
    /// The run's parameters.
    pub config: Config,
    /// The server.
    pub addr: SocketAddr,
    /// Slots that have set up their first connection (or failed to).
    pub ready: AtomicUsize,
    /// Slots that have stopped their traffic after the deadline.
    pub settled: AtomicUsize,
    /// Opened at the start of traffic, with its deadline.
    pub go: Gate<Instant>,
    /// Opened when the well-behaved connections are to close.
    pub close: Gate<()>,
}

/// Runs the clients against `addr` and prints their counts; the process's
/// exit status is the server process's business (it judges the counts).
pub fn run(config: Config, addr: SocketAddr) {
    let fd_limit = os::raise_fd_limit().unwrap_or((0, 0));
    let shared = Arc::new(Shared {
        config,
        addr,
        ready: AtomicUsize::new(0),
        settled: AtomicUsize::new(0),
        go: Gate::new(),
        close: Gate::new(),
    });
    let threads = std_side::spawn(&shared);
    let mut stats = corio::run(|| corio_side::run(&shared));
    for thread in threads {
        match thread.join() {
            Ok(counts) => stats.merge(&counts),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    stats.fd_limit = fd_limit;
    for line in stats.to_lines() {
        println!("{line}");
    }
    println!("done");
}

/// The phases, run by the corio side's control task: `go` and `close`
/// open the corio tasks' side of each gate.
fn control(shared: &Shared, go: impl FnOnce(Instant), close: impl FnOnce()) {
    let everyone = shared.config.connections;
    wait_for(&shared.ready, everyone);
    println!("connected {everyone}");
    wait_for_answer();
    let deadline = Instant::now() + shared.config.duration();
    shared.go.open(deadline);
    go(deadline);
    corio::sleep(shared.config.warm_up());
    println!("warm");
    wait_for(&shared.settled, everyone);
    println!("end");
    wait_for_answer();
    shared.close.open(());
    close();
}

/// Parks until the server's process answers a line on our standard input
/// (after it has counted or sampled what it needs); an end of file (that
/// process is gone) goes on as well.
fn wait_for_answer() {
    let _answer = corio::unblock(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    });
}

/// Parks until `counter` reaches `target` (checked every few milliseconds:
/// it is bumped by threads as well as tasks).
fn wait_for(counter: &AtomicUsize, target: usize) {
    while counter.load(Ordering::Acquire) < target {
        corio::sleep(Duration::from_millis(5));
    }
}
