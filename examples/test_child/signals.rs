//! Scenarios of `tests/signal.rs` that need a process of their own:
//! `SIGINT` must never reach the test runner itself.

use corio::signal::{Signals, ctrl_c};

use crate::support::report;

/// `ctrl_c` in a task, then on the plain main thread outside `run`. The
/// test sends `SIGINT` again and again until this process exits, since
/// each `ctrl_c` only counts one sent after it was called.
pub fn ctrl_c_in_a_task_and_outside_run() {
    // From here on a SIGINT no longer ends this process, so the test may
    // start sending before the waits below have begun.
    let _installed = Signals::new([libc::SIGINT]).expect("install a SIGINT handler");
    report("ready");
    let in_task = corio::run(|| {
        let other = corio::spawn(|| {
            corio::yield_now();
            "another task ran meanwhile"
        });
        let got = ctrl_c();
        (got.map_err(|e| e.to_string()), other.join().unwrap())
    });
    report(format!("in a task: {in_task:?}"));
    let outside = ctrl_c().map_err(|e| e.to_string());
    report(format!("outside run: {outside:?}"));
}
