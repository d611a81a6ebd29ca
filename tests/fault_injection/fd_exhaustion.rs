//! Fault 1: `accept` with the descriptor table full (`EMFILE`).
//!
//! corio's `TcpListener::accept`, on `EMFILE` or `ENFILE`, parks the task
//! until this runtime closes a descriptor or a 50 ms back-off passes, and
//! only then returns the error (src/io/wait.rs), so an accept loop that
//! retries on errors cannot spin. The scenario runs in a child process
//! (`test_child accept_serves_after_fd_exhaustion`, in
//! examples/test_child/faults.rs) because it lowers `RLIMIT_NOFILE` and
//! fills the descriptor table: 16 clients wait in the backlog, every free
//! descriptor is taken, and an accept loop that counts each call retries
//! on every error while a ticker task sleeps 2 ms per tick.
//!
//! "No busy loop" is checked by counting: every iteration of the accept
//! loop is exactly one `accept` call (one `accept4` syscall, then the
//! park), and the loop counts its iterations. Over the window the ticker
//! needs for 100 ticks (measured by the child), the back-off allows at most
//! one attempt per 50 ms, plus the first; the test allows one per 25 ms
//! plus two. A slow or loaded machine can only make fewer attempts per
//! wall-clock millisecond, never more, so the bound cannot flake; a spin
//! would make thousands of attempts in the same window. No strace or
//! timing assertion is involved.

use std::collections::HashMap;

use crate::util::process::{assert_success, run_scenario, stdout_text};

/// The child's `key value` lines.
fn figures(stdout: &str) -> HashMap<String, u64> {
    stdout
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(' ')?;
            Some((key.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

#[test]
fn accept_under_emfile_keeps_serving_without_spinning() {
    let _serial = crate::serial();
    let output = run_scenario("accept_serves_after_fd_exhaustion");
    assert_success(&output);
    let stdout = stdout_text(&output);
    let f = figures(&stdout);
    let get = |key: &str| {
        *f.get(key)
            .unwrap_or_else(|| panic!("the child printed no `{key}`:\n{stdout}"))
    };
    assert!(get("hoarded") > 0, "the descriptor table was not filled");
    // The fault happened: accept failed with EMFILE and served nobody.
    assert!(get("starved_emfile") >= 1, "{stdout}");
    assert_eq!(get("starved_served"), 0, "{stdout}");
    // The ticker ran on while accept was starved (the child waited for it).
    assert!(get("starved_ticks") >= 100, "{stdout}");
    // No busy loop: attempts bounded by the back-off (see the module docs).
    let bound = get("starved_window_ms") / 25 + 2;
    assert!(
        get("starved_attempts") <= bound,
        "{} accept attempts in {} ms: the loop spins (bound {bound})",
        get("starved_attempts"),
        get("starved_window_ms")
    );
    // Two descriptors came free: every queued client was served through
    // that gap, the accept loop recovering from EMFILE each time.
    assert_eq!(get("served"), 16, "{stdout}");
    assert_eq!(get("correct_replies"), 16, "{stdout}");
    println!(
        "fault EMFILE: {} fds hoarded; starved {} ms: {} accept attempts ({} EMFILE), {} ticks \
         of the bystander; after 2 fds freed: 16/16 clients served, 16/16 replies correct, \
         {} more EMFILE on the way",
        get("hoarded"),
        get("starved_window_ms"),
        get("starved_attempts"),
        get("starved_emfile"),
        get("starved_ticks"),
        get("recovery_emfile"),
    );
}
