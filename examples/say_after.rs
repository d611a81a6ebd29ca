//! Waiting in sequence versus waiting side by side, with corio tasks.
//!
//! `say_after(delay, what)` sleeps, then prints a word. Part 1 calls it twice
//! in a row (1 s for "hello", then 2 s for "world": about 3 s in all). Part 2
//! hands the same two calls to `corio::join`, which runs each as its own task,
//! so the delays overlap and the whole part takes about 2 s, the longer delay.
//! Neither function is `async` and nothing is awaited: `corio::sleep` parks
//! only the task that calls it, and the event loop runs the other one.
//!
//! Clock readings are the UTC time of day (HH:MM:SS) and elapsed times are
//! rounded to whole seconds, so that the three versions print the same lines.
//!
//! Run it with `cargo run --release --example say_after`. Its test runs
//! `both_parts` on corio's virtual clock too (`corio::test::run`, in
//! `tests/virtual_time.rs`): the same lines at once (the clock readings,
//! taken from `SystemTime`, stay real).
//! Twins: `examples/tokio_say_after.rs` (tokio) and
//! `examples/python/say_after.py` (asyncio); all three print the same lines.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Sleeps for `delay`, then prints `what`: plain blocking-style code.
fn say_after(delay: Duration, what: &str) {
    corio::sleep(delay);
    println!("{what}");
}

/// The time of day in UTC as `HH:MM:SS UTC`, without a date-time crate.
fn clock() -> String {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since_epoch.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Prints the closing clock reading and the whole seconds since `start`
/// (an instant of `corio::time::now`, the clock corio's sleeps use: virtual
/// under `corio::test::run`, `Instant::now` otherwise).
fn finish(start: Instant) {
    println!("finished at {}", clock());
    let took = corio::time::now() - start;
    println!("took {} s", took.as_secs_f64().round() as u64);
}

/// Both parts. Public so that the virtual-time test can run it (see
/// `examples/test_child/virtual_time.rs`).
pub fn both_parts() {
    println!("-- one after the other --");
    let start = corio::time::now();
    println!("started at {}", clock());
    say_after(Duration::from_secs(1), "hello");
    say_after(Duration::from_secs(2), "world");
    finish(start);

    println!("-- concurrently --");
    let start = corio::time::now();
    println!("started at {}", clock());
    corio::join(
        || say_after(Duration::from_secs(1), "hello"),
        || say_after(Duration::from_secs(2), "world"),
    );
    finish(start);
}

fn main() {
    corio::run(both_parts);
}
