//! Helpers shared by the integration tests: drop counting, panic payload
//! inspection, event logs, the test scale knob, and (in submodules) child
//! processes, example binaries and output masking.

// Each test crate includes this module and uses only part of it.
#![allow(dead_code)]

pub mod examples;
pub mod limited;
pub mod output;
pub mod process;
#[path = "../../examples/test_child/support.rs"]
pub mod support;

use std::any::Any;
use std::cell::Cell;
use std::rc::Rc;

/// `n` divided by the `CORIO_TEST_SCALE` divisor, at least 1.
///
/// Tests that make many of something (a thousand clients, a hundred
/// thousand generators) size themselves with this, so a slow pass (under
/// valgrind, `.ci/run` sets `CORIO_TEST_SCALE=10`) runs a fraction of the
/// work. Unset, or not a number of at least 1, the divisor is 1. Counts
/// that a test's meaning depends on (one more than a sweep threshold) are
/// never scaled.
pub fn scaled(n: usize) -> usize {
    let divisor = std::env::var("CORIO_TEST_SCALE")
        .ok()
        .and_then(|value| value.trim().parse::<f64>().ok())
        .filter(|divisor| divisor.is_finite() && *divisor >= 1.0)
        .unwrap_or(1.0);
    ((n as f64 / divisor) as usize).max(1)
}

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

/// `SIGABRT`, the signal `abort()` kills with.
pub const SIGABRT: i32 = libc::SIGABRT;

/// `SIGSEGV`, the signal of an invalid memory access.
pub const SIGSEGV: i32 = libc::SIGSEGV;

/// A shared, growable record of events, for checking the order in which
/// tasks did things on one runtime.
pub type Log<T> = Rc<std::cell::RefCell<Vec<T>>>;

/// A fresh, empty [`Log`].
pub fn log<T>() -> Log<T> {
    Rc::new(std::cell::RefCell::new(Vec::new()))
}

// `ms(n)`, a loopback listener, and the destructor helpers: one copy,
// shared with the child scenarios of `examples/test_child`.
#[allow(unused_imports)] // each test crate uses only part of this module
pub use support::{local_listener, ms};

/// A corio runtime serving on a thread of its own until its handle's
/// `shutdown`: the handle, and the thread (whose `run` then unwinds with
/// `Cancelled`, which the thread catches and checks).
pub fn background_runtime() -> (corio::Handle, std::thread::JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let ended = std::panic::catch_unwind(move || {
            corio::run(move || {
                tx.send(corio::handle()).unwrap();
                corio::sleep(std::time::Duration::from_secs(24 * 3600));
            })
        });
        let payload = ended.expect_err("a background runtime ends by shutdown only");
        assert!(
            payload.is::<corio::Cancelled>(),
            "the background runtime's run ended with something else than Cancelled"
        );
    });
    (rx.recv().expect("the runtime sends its handle"), thread)
}

/// Aborts the whole test binary with a message naming `what` if the
/// guard is still alive after a generous minute: for scenarios whose old
/// behaviour was to hang forever in the test's own process (a harness's
/// limit, never a timed assertion).
pub fn watchdog(what: &'static str) -> Watchdog {
    let (done, wait) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            wait.recv_timeout(std::time::Duration::from_secs(60))
        {
            // Straight to the file: `eprintln!` is captured by the test
            // harness and would be lost with the abort.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "watchdog: {what} still running after 60 s (a hang); aborting"
            );
            std::process::abort();
        }
    });
    Watchdog(done)
}

/// Disarms the [`watchdog`] when dropped (also when the test panics).
pub struct Watchdog(std::sync::mpsc::Sender<()>);
