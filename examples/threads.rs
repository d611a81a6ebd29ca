//! What blocks the loop, and what to do instead: `corio::unblock` and
//! shared channels between runtimes on different threads.
//!
//! A ticker task wants to run every 5 ms and records its worst gap. A
//! blocking call made directly in a task (here `std::fs::read` of a big
//! file) freezes the whole loop, so the ticker's gap grows to the length
//! of the call. The same call handed to `corio::unblock` runs on a pool
//! thread while the task parks, and the ticker keeps its pace. The same
//! goes for a CPU-heavy computation.
//!
//! Then two runtimes on two threads share work through
//! `corio::sync::shared` channels: the main runtime sends numbers, a
//! worker runtime squares them and sends them back.
//!
//! Python's asyncio twin: `examples/python/threads.py` (`asyncio.to_thread`,
//! `loop.run_in_executor`, `asyncio.run_coroutine_threadsafe`).
//!
//! Run it with `cargo run --release --example threads`. The file is
//! 512 MiB unless `CORIO_THREADS_FILE_MIB` says otherwise; it is written to
//! the system's temporary directory and removed at the end.

use std::cell::Cell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::sync::shared;

const TICK: Duration = Duration::from_millis(5);

/// A task ticking every [`TICK`] until stopped; returns its worst gap.
fn ticker(stop: Rc<Cell<bool>>) -> corio::JoinHandle<Duration> {
    corio::spawn(move || {
        let mut worst = Duration::ZERO;
        let mut last = Instant::now();
        while !stop.get() {
            corio::sleep(TICK);
            let now = Instant::now();
            worst = worst.max(now - last);
            last = now;
        }
        worst
    })
}

/// Runs `work` in a task while the ticker ticks; returns what `work`
/// returned and the ticker's worst gap.
fn with_ticker<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let stop = Rc::new(Cell::new(false));
    let ticks = ticker(stop.clone());
    corio::sleep(TICK * 3); // let the ticker settle into its pace
    let out = work();
    stop.set(true);
    (out, ticks.join().expect("the ticker finished"))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The primes below `limit`, counted the slow way: a CPU-heavy job.
fn count_primes(limit: u64) -> usize {
    (2..limit)
        .filter(|&n| (2..).take_while(|d| d * d <= n).all(|d| n % d != 0))
        .count()
}

fn file_size_mib() -> usize {
    std::env::var("CORIO_THREADS_FILE_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

fn main() {
    let mib = file_size_mib();
    let path: PathBuf =
        std::env::temp_dir().join(format!("corio-threads-{}.bin", std::process::id()));

    corio::run(|| {
        // Writing the file is blocking work too: off the loop it goes.
        let file = path.clone();
        corio::unblock(move || std::fs::write(&file, vec![7u8; mib << 20]))
            .expect("write the test file");

        // 1. Blocking the loop: std::fs::read straight in a task.
        let file = path.clone();
        let (bytes, worst) = with_ticker(move || std::fs::read(&file).expect("read").len());
        println!(
            "std::fs::read of {} MiB in a task:       ticker's worst gap {} (the loop was frozen)",
            bytes >> 20,
            ms(worst)
        );

        // 2. The same read through corio::unblock.
        let file = path.clone();
        let (bytes, worst) =
            with_ticker(move || corio::unblock(move || std::fs::read(&file).expect("read").len()));
        println!(
            "the same read through corio::unblock:   ticker's worst gap {}",
            ms(worst)
        );
        assert_eq!(bytes, mib << 20);

        // 3. CPU-heavy work through corio::unblock.
        let (primes, worst) = with_ticker(|| corio::unblock(|| count_primes(2_000_000)));
        println!(
            "{primes} primes below 2,000,000 via unblock: ticker's worst gap {}",
            ms(worst)
        );

        let file = path.clone();
        corio::unblock(move || std::fs::remove_file(file)).expect("remove the test file");
    });

    // 4. Two runtimes on two threads, talking through shared channels.
    let (jobs_tx, jobs_rx) = shared::channel::<u64>(16);
    let (results_tx, results_rx) = shared::channel::<u64>(16);
    let worker = std::thread::spawn(move || {
        corio::run(move || {
            // Each job is a task of the worker runtime, in a scope so that
            // all have sent their answer before the runtime ends (tasks
            // still pending at the end of `run` are cancelled). The
            // receive parks the worker's main task.
            corio::scope(|s| {
                let mut served = 0;
                for n in jobs_rx {
                    let results = &results_tx;
                    s.spawn(move || results.send(n * n).expect("main listens"));
                    served += 1;
                }
                served
            })
        })
    });
    let total = corio::run(move || {
        let sender = corio::spawn(move || {
            for n in 1..=1000 {
                jobs_tx.send(n).expect("the worker listens"); // parks when full
            }
        });
        let total: u64 = results_rx.take(1000).sum();
        sender.join().expect("all jobs sent");
        total
    });
    let served = worker.join().expect("the worker runtime finished");
    println!("two runtimes: the worker squared {served} numbers, their sum is {total}");
    assert_eq!(total, (1..=1000u64).map(|n| n * n).sum::<u64>());
}
