//! How long `corio::dump()` takes with many parked tasks, against an
//! anchor measured in the same run: spawning those tasks and letting each
//! run until it parks.
//!
//! ```text
//! cargo bench --bench dump                        # 100,000 tasks
//! CORIO_BENCH_QUICK=1 cargo bench --bench dump    # 10,000, a smoke run
//! ```
//!
//! Each repetition spawns the tasks, parks them all on one `Event` (so they
//! share one stack shape, as a server's idle connections do), dumps, then
//! sets the event and joins them. The first dump of the process also loads
//! the binary's symbols; it is reported apart. The design target is a dump
//! of 100,000 parked tasks in under a second.

use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::sync::Event;

/// Timed repetitions; the fastest is reported.
const REPS: usize = 5;

/// Design target for a dump of 100,000 parked tasks.
const TARGET: Duration = Duration::from_secs(1);

#[inline(never)]
fn park_here(event: &Event) {
    event.wait();
}

/// One repetition: (spawn and park all, the dump).
fn once(tasks: usize) -> (Duration, Duration, usize) {
    corio::run(|| {
        let event = Rc::new(Event::new());
        let started = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let event = event.clone();
                corio::spawn(move || park_here(&event))
            })
            .collect();
        corio::yield_now(); // every task runs until it parks
        let parked = started.elapsed();
        let started = Instant::now();
        let dump = corio::dump();
        let dumped = started.elapsed();
        let shapes = dump.to_string().matches("tasks with this stack").count();
        event.set();
        for h in handles {
            h.join().expect("a parked task finishes");
        }
        (parked, dumped, shapes)
    })
}

fn main() {
    let quick = std::env::var_os("CORIO_BENCH_QUICK").is_some();
    let tasks = if quick { 10_000 } else { 100_000 };
    let (_, first, _) = once(tasks);
    let mut best_park = Duration::MAX;
    let mut best_dump = Duration::MAX;
    let mut shapes = 0;
    for _ in 0..REPS {
        let (park, dump, groups) = once(tasks);
        best_park = best_park.min(park);
        best_dump = best_dump.min(dump);
        shapes = groups;
    }
    let per_task = |d: Duration| d.as_secs_f64() * 1e9 / tasks as f64;
    println!(
        "corio::dump() of {tasks} parked tasks (one shared stack shape; {shapes} group(s) of several)"
    );
    println!(
        "  first dump of the process (loads symbols): {:>8.1} ms",
        first.as_secs_f64() * 1e3
    );
    println!(
        "  dump, best of {REPS}:                       {:>8.1} ms  ({:.0} ns/task)",
        best_dump.as_secs_f64() * 1e3,
        per_task(best_dump)
    );
    println!(
        "  anchor: spawn them, run each to its park:  {:>8.1} ms  ({:.0} ns/task)",
        best_park.as_secs_f64() * 1e3,
        per_task(best_park)
    );
    println!(
        "  ratio dump / anchor: {:.2}x",
        best_dump.as_secs_f64() / best_park.as_secs_f64()
    );
    let scaled_target = TARGET.mul_f64(tasks as f64 / 100_000.0);
    println!(
        "  target: under {:.0} ms for {tasks} tasks (1 s per 100,000): {}",
        scaled_target.as_secs_f64() * 1e3,
        if best_dump < scaled_target {
            "yes"
        } else {
            "no"
        }
    );
}
