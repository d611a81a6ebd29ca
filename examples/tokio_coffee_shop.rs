//! A coffee shop with one barista, written with tokio futures.
//!
//! Alice, Bob and Charlie order at the same moment: `tokio::join!` polls
//! the three `order_coffee` futures on one single-threaded runtime. Each
//! prints that the customer ordered, awaits a 2 s brew, and prints that the
//! coffee is ready, so all three orders come first, all three cups are
//! ready about 2 s later, and serving everyone takes about 2 s, not 6 s.
//!
//! `join!` is told `biased;` so that it always polls the futures in the
//! order written, as `asyncio.gather` and `corio::gather` start theirs.
//! Without it, `join!` starts each poll at the next future in turn, and
//! when the three brews finish in the same timer tick the cups would be
//! announced Bob, Charlie, Alice.
//!
//! Run it with `cargo run --release --example tokio_coffee_shop`.
//! Twins: `examples/coffee_shop.rs` (corio) and
//! `examples/python/coffee_shop.py` (asyncio); all three print the same lines.

use std::time::{Duration, Instant};

/// How long one cup takes to brew.
const BREW_TIME: Duration = Duration::from_secs(2);

/// One customer's visit: order, wait for the brew, collect the cup.
async fn order_coffee(customer: &str) {
    println!("{customer} ordered coffee");
    tokio::time::sleep(BREW_TIME).await;
    println!("{customer}'s coffee is ready");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let start = Instant::now();
    tokio::join!(
        biased;
        order_coffee("Alice"),
        order_coffee("Bob"),
        order_coffee("Charlie"),
    );
    let seconds = start.elapsed().as_secs_f64().round() as u64;
    println!("served 3 customers in {seconds} s");
}
