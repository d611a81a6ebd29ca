//! Helpers shared by the integration tests: drop counting, panic payload
//! inspection, and re-running the current test binary as a child process
//! for scenarios that are meant to kill the process.

// Each test crate includes this module and uses only part of it.
#![allow(dead_code)]

use std::any::Any;
use std::cell::Cell;
use std::process::{Command, Output};
use std::rc::Rc;

/// Increments a shared counter when dropped, so a test can tell exactly how
/// many values on a generator's stack were destroyed.
#[derive(Debug)]
pub struct DropCounter(pub Rc<Cell<usize>>);

impl DropCounter {
    /// A new guard that bumps `count` when it goes away.
    pub fn new(count: &Rc<Cell<usize>>) -> Self {
        DropCounter(Rc::clone(count))
    }
}

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A fresh counter starting at zero.
pub fn counter() -> Rc<Cell<usize>> {
    Rc::new(Cell::new(0))
}

/// A fresh boolean flag starting at `false`.
pub fn flag() -> Rc<Cell<bool>> {
    Rc::new(Cell::new(false))
}

/// The message carried by a panic payload, if it is a `String` or `&str`
/// (what `panic!` produces); `None` for any other payload type.
pub fn panic_message(payload: &(dyn Any + Send)) -> Option<String> {
    if let Some(message) = payload.downcast_ref::<String>() {
        Some(message.clone())
    } else {
        payload
            .downcast_ref::<&'static str>()
            .map(|message| (*message).to_string())
    }
}

/// Runs `f`, expecting it to panic, and returns the panic's message.
///
/// # Panics
///
/// If `f` returns normally or panics with a payload that is not a string.
pub fn expect_panic<T>(f: impl FnOnce() -> T) -> String {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic, but the call returned normally"),
        Err(payload) => panic_message(payload.as_ref())
            .unwrap_or_else(|| panic!("panic payload is not a string")),
    }
}

/// Environment variable that tells a re-run test binary which crash
/// scenario to perform.
pub const CHILD_ENV: &str = "CORIO_CHILD";

/// The scenario this process was asked to run, if it is such a child.
pub fn child_scenario() -> Option<String> {
    std::env::var(CHILD_ENV).ok()
}

/// Re-runs the current test binary so that only the test `entry` runs, with
/// [`CHILD_ENV`] set to `scenario`, and returns what it printed and how it
/// ended. `entry` must be a test that does nothing unless [`CHILD_ENV`] is
/// set, so the crash happens in the child and never in the test run itself.
pub fn run_child(entry: &str, scenario: &str) -> Output {
    let exe = std::env::current_exe().expect("cannot locate the test binary");
    Command::new(exe)
        .args(["--exact", entry, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, scenario)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("cannot run the test binary as a child process")
}

/// The signal that ended a child, if a signal did.
pub fn termination_signal(output: &Output) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    output.status.signal()
}

/// The child's standard error, lossily decoded.
pub fn stderr_text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `scenario` in a child (see [`run_child`]), checks that the child
/// was killed by `signal`, and returns its standard error.
pub fn child_killed_by(entry: &str, scenario: &str, signal: i32) -> String {
    let output = run_child(entry, scenario);
    let stderr = stderr_text(&output);
    assert!(
        !output.status.success(),
        "child exited successfully; stderr:\n{stderr}"
    );
    assert_eq!(
        termination_signal(&output),
        Some(signal),
        "child should die of signal {signal} ({:?}); stderr:\n{stderr}",
        output.status
    );
    stderr
}

/// `SIGABRT` on Linux (the `libc` crate is not a dev-dependency).
pub const SIGABRT: i32 = 6;

/// `SIGSEGV` on Linux.
pub const SIGSEGV: i32 = 11;

/// A shared, growable record of events, for checking the order in which
/// tasks did things on one runtime.
pub type Log<T> = Rc<std::cell::RefCell<Vec<T>>>;

/// A fresh, empty [`Log`].
pub fn log<T>() -> Log<T> {
    Rc::new(std::cell::RefCell::new(Vec::new()))
}

/// `n` milliseconds.
pub fn ms(n: u64) -> std::time::Duration {
    std::time::Duration::from_millis(n)
}

/// A listener on a free loopback port, and its address.
pub fn local_listener() -> (corio::net::TcpListener, std::net::SocketAddr) {
    let listener = corio::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    (listener, addr)
}
