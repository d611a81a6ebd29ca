//! A coffee shop with one barista, written with corio tasks.
//!
//! Alice, Bob and Charlie order at the same moment. Each order is a task
//! started by `corio::gather`: it prints that the customer ordered, waits
//! 2 s while the coffee brews, and prints that the coffee is ready. While
//! one cup brews the barista (the event loop) takes the next order, so all
//! three orders come first, all three cups are ready about 2 s later, and
//! serving everyone takes about 2 s rather than 6 s.
//!
//! `order_coffee` is an ordinary function: `corio::sleep` parks only the
//! task that calls it, so there is no `async` and no `.await` anywhere.
//!
//! Run it with `cargo run --release --example coffee_shop`. With
//! `-- --virtual-time` it runs on corio's virtual clock (`corio::test::run`,
//! as its test does): the same lines, at once, and the virtual time the
//! shop took on stderr.
//! Twins: `examples/tokio_coffee_shop.rs` (tokio) and
//! `examples/python/coffee_shop.py` (asyncio); all three print the same lines.

use std::time::Duration;

/// How long one cup takes to brew.
const BREW_TIME: Duration = Duration::from_secs(2);

/// One customer's visit: order, wait for the brew, collect the cup.
fn order_coffee(customer: &str) {
    println!("{customer} ordered coffee");
    corio::sleep(BREW_TIME);
    println!("{customer}'s coffee is ready");
}

/// The whole shop: every customer served at once; returns how long it took.
fn serve_everyone() -> Duration {
    let customers = ["Alice", "Bob", "Charlie"];
    // `corio::time::now`, not `Instant::now`: it reads the virtual clock
    // under `corio::test::run`, and is `Instant::now` otherwise.
    let start = corio::time::now();
    // One task per customer; gather returns when every cup is ready.
    corio::gather(customers.map(|name| move || order_coffee(name)).to_vec());
    let took = corio::time::now() - start;
    let seconds = took.as_secs_f64().round() as u64;
    println!("served {} customers in {seconds} s", customers.len());
    took
}

fn main() {
    if std::env::args().any(|arg| arg == "--virtual-time") {
        let took = corio::test::run(serve_everyone);
        eprintln!("virtual time: {took:?}");
    } else {
        corio::run(serve_everyone);
    }
}
