//! Waiting in sequence versus waiting side by side, with tokio futures.
//!
//! `say_after(delay, what)` sleeps, then prints a word. Part 1 awaits it twice
//! in a row (1 s for "hello", then 2 s for "world": about 3 s in all). Part 2
//! polls both calls together with `tokio::join!`, so the delays overlap and
//! the part takes about 2 s. Everything runs on a single-threaded
//! (`current_thread`) runtime, like corio's event loop and asyncio's.
//!
//! Clock readings are the UTC time of day (HH:MM:SS) and elapsed times are
//! rounded to whole seconds, so that the three versions print the same lines.
//!
//! Run it with `cargo run --release --example tokio_say_after`.
//! Twins: `examples/say_after.rs` (corio) and `examples/python/say_after.py`
//! (asyncio); all three print the same lines.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Sleeps for `delay`, then prints `what`; callers must `.await` it.
async fn say_after(delay: Duration, what: &str) {
    tokio::time::sleep(delay).await;
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

/// Prints the closing clock reading and the whole seconds since `start`.
fn finish(start: Instant) {
    println!("finished at {}", clock());
    println!("took {} s", start.elapsed().as_secs_f64().round() as u64);
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("-- one after the other --");
    let start = Instant::now();
    println!("started at {}", clock());
    say_after(Duration::from_secs(1), "hello").await;
    say_after(Duration::from_secs(2), "world").await;
    finish(start);

    println!("-- concurrently --");
    let start = Instant::now();
    println!("started at {}", clock());
    tokio::join!(
        say_after(Duration::from_secs(1), "hello"),
        say_after(Duration::from_secs(2), "world"),
    );
    finish(start);
}
