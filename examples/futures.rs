//! Waiting for `Future`s from plain corio code, and corio work awaited by
//! tokio.
//!
//! The seed article describes Python's `Future` as "an object
//! representing a result that may not exist yet". Rust has the same
//! object: a type implementing `std::future::Future`, which something
//! *polls* and which calls a `Waker` once polling again may get further.
//! Who waits on it decides the rest:
//!
//! - An `async fn` (tokio's side) is *stackless*: the compiler turns the
//!   whole function into a state machine, and each caller up the chain
//!   must be `async` too, so `.await` can hand control back by returning.
//! - A corio task is *stackful*: it has a stack of its own, so any plain
//!   function several calls deep can call `corio::block_on(fut)`. The task
//!   parks right there, the event loop runs other tasks, and the future's
//!   `Waker` (from any thread) makes the task ready again.
//!
//! This program:
//! 1. waits, in a plain function three calls deep in a corio task, for a
//!    tokio task running on a tokio runtime of its own threads;
//! 2. waits for a `futures` oneshot that a std thread completes;
//! 3. turns the direction around: a tokio task `.await`s work spawned onto
//!    the corio runtime through its `Handle` (a `RemoteJoinHandle` is a
//!    `Future`).
//!
//! A ticker task keeps ticking throughout, showing that no wait blocks
//! the loop.
//!
//! Run it with `cargo run --release --example futures`.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Three plain functions, none of them `async`, the last of which waits
/// for a future: only a stackful task can do this.
fn load_report(tokio: &tokio::runtime::Handle) -> String {
    let summary = summarise(tokio);
    format!("report: {summary}")
}

fn summarise(tokio: &tokio::runtime::Handle) -> String {
    let figure = fetch_figure(tokio);
    format!("the figure is {figure}")
}

fn fetch_figure(tokio: &tokio::runtime::Handle) -> u64 {
    let job = tokio.spawn(async {
        // tokio's own timer: this future needs tokio's runtime, so it runs
        // there; corio only waits for its JoinHandle.
        tokio::time::sleep(Duration::from_millis(60)).await;
        42
    });
    corio::block_on(job).expect("the tokio task finished")
}

fn main() {
    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let tokio = tokio_rt.handle().clone();
    let start = Instant::now();

    corio::run(|| {
        let ticks = Rc::new(Cell::new(0u32));
        let counted = ticks.clone();
        let ticker = corio::spawn(move || {
            loop {
                corio::sleep(Duration::from_millis(10));
                counted.set(counted.get() + 1);
            }
        });

        // 1. A tokio task, awaited from plain code three calls deep.
        let before = ticks.get();
        let report = load_report(&tokio);
        println!(
            "1. {report} (the ticker ticked {} times meanwhile)",
            ticks.get() - before
        );

        // 2. A futures oneshot, completed by a std thread.
        let (tx, rx) = futures::channel::oneshot::channel::<&str>();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(40));
            tx.send("hello from a std thread")
                .expect("the receiver waits");
        });
        let before = ticks.get();
        let message = corio::block_on(rx).expect("the sender sent");
        println!(
            "2. oneshot: {message} (the ticker ticked {} times meanwhile)",
            ticks.get() - before
        );
        thread.join().expect("the std thread finished");

        // 3. The other way round: tokio awaits corio work.
        let corio_handle = corio::handle();
        let awaited_by_tokio = tokio.spawn(async move {
            let work = corio_handle.spawn(|| {
                corio::sleep(Duration::from_millis(20)); // a corio task: it parks
                "corio work"
            });
            let got = work.await.expect("the corio task finished");
            format!("{got}, awaited by a tokio task")
        });
        let answer = corio::block_on(awaited_by_tokio).expect("the tokio task finished");
        println!("3. {answer}");

        ticker.abort();
        assert!(ticks.get() >= 5, "the loop kept running during every wait");
    });
    println!(
        "all three waits parked a task, never the thread; {:.2} s in all",
        start.elapsed().as_secs_f64()
    );
}
