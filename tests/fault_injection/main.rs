//! Fault injection: each test provokes one fault a server meets in
//! production and checks what corio does about it, with real outcomes
//! (replies compared byte for byte, destructors and descriptors counted,
//! permits and locks checked afterwards), never with timings.
//!
//! | fault | file |
//! |---|---|
//! | `accept` out of file descriptors (`EMFILE`) | `fd_exhaustion.rs` (in a child process) |
//! | the peer resets while a task writes (`ECONNRESET` / `EPIPE`) | `peer_reset.rs` |
//! | a peer that never reads: writes park, `timeout` unwinds them | `never_reads.rs` |
//! | one handler in ten panics | `handler_panics.rs` |
//! | tasks aborted at pseudo-random park points | `random_cancel.rs` |
//! | the other runtime of a shared channel panics | `shared_runtime_panics.rs` |
//!
//! Each test prints one summary line (`cargo test -- --nocapture` shows
//! them); the figures in the README's "Reliability" section come from them.

#[path = "../util/mod.rs"]
mod util;

mod fd_exhaustion;
mod handler_panics;
mod never_reads;
mod peer_reset;
mod random_cancel;
mod shared_runtime_panics;

/// Held by every test of this binary: they count the process's open
/// descriptors and live tasks before and after, so none may run beside
/// another (the harness runs tests on parallel threads).
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    // A test that failed poisons the lock; the next ones still run alone.
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How many descriptors this process has open now (`/proc/self/fd`, less
/// the one the listing itself holds while it runs).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
        - 1
}
