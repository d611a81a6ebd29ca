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
//! Run it with `cargo run --release --example coffee_shop`. Its test runs
//! `serve_everyone` on corio's virtual clock too (`corio::test::run`, in
//! `tests/virtual_time.rs`): the same lines, at once.
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

/// The whole shop: every customer orders at once. Public so that the
/// virtual-time test can run it (see `examples/test_child/virtual_time.rs`).
pub fn serve_everyone() {
    let customers = ["Alice", "Bob", "Charlie"];
    // `corio::time::now`, not `Instant::now`: the clock corio's sleeps use
    // (virtual under `corio::test::run`, the real one here).
    let start = corio::time::now();
    // One task per customer; gather returns when every cup is ready.
    corio::gather(customers.map(|name| move || order_coffee(name)).to_vec());
    let seconds = (corio::time::now() - start).as_secs_f64().round() as u64;
    println!("served {} customers in {seconds} s", customers.len());
}

fn main() {
    corio::run(serve_everyone);
}
