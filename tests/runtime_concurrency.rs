//! Concurrency of the runtime: work under `gather` and `join` overlaps in
//! time and comes back in input order, ten thousand sleeping tasks all
//! finish, and a generator that sleeps between its yields lets other tasks
//! run meanwhile. Concurrency is shown by the order of events (every task
//! started before any finished), never by an upper bound on elapsed time,
//! which a loaded machine or valgrind would break; lower bounds (a sleep
//! lasts at least its duration) stay.

mod util;

use std::time::Instant;

use corio::Generator;
use util::{counter, flag, log, ms};

#[test]
fn gather_runs_three_sleeps_concurrently() {
    let events = log();
    let start = Instant::now();
    let results = corio::run(|| {
        let work: Vec<_> = (0..3)
            .map(|i| {
                let events = &events;
                move || {
                    events.borrow_mut().push(format!("start {i}"));
                    corio::sleep(ms(200));
                    events.borrow_mut().push(format!("end {i}"));
                    i * 10
                }
            })
            .collect();
        corio::gather(work)
    });
    assert_eq!(results, [0, 10, 20]);
    assert!(start.elapsed() >= ms(200));
    let events = events.borrow();
    assert_eq!(events.len(), 6);
    assert!(
        events[..3].iter().all(|e| e.starts_with("start")),
        "not concurrent: a sleep ended before all started: {events:?}"
    );
}

#[test]
fn gather_keeps_input_order_whatever_the_finishing_order() {
    let finished = log();
    let results = corio::run(|| {
        let work: Vec<_> = [30u64, 10, 20]
            .into_iter()
            .map(|delay| {
                let finished = &finished;
                move || {
                    corio::sleep(ms(delay));
                    finished.borrow_mut().push(delay);
                    format!("slept {delay}")
                }
            })
            .collect();
        corio::gather(work)
    });
    assert_eq!(*finished.borrow(), [10, 20, 30], "finishing order");
    assert_eq!(results, ["slept 30", "slept 10", "slept 20"], "input order");
}

#[test]
fn gather_of_nothing_is_empty() {
    let results: Vec<u8> = corio::run(|| corio::gather(Vec::<fn() -> u8>::new()));
    assert!(results.is_empty());
}

#[test]
fn join_runs_two_closures_concurrently_and_returns_both() {
    let events = log();
    let (a, b) = corio::run(|| {
        corio::join(
            || {
                events.borrow_mut().push("a starts");
                corio::sleep(ms(150));
                events.borrow_mut().push("a ends");
                "slow side"
            },
            || {
                events.borrow_mut().push("b starts");
                corio::sleep(ms(100));
                events.borrow_mut().push("b ends");
                2.5
            },
        )
    });
    assert_eq!((a, b), ("slow side", 2.5));
    // Both started before either ended, and the shorter sleep ended first.
    assert_eq!(
        *events.borrow(),
        ["a starts", "b starts", "b ends", "a ends"]
    );
}

#[test]
fn ten_thousand_sleeping_tasks_all_finish() {
    let tasks = util::scaled(10_000);
    let finished = counter();
    corio::run(|| {
        let handles: Vec<_> = (0..tasks)
            .map(|i| {
                let finished = finished.clone();
                corio::spawn(move || {
                    corio::sleep(ms(10));
                    finished.set(finished.get() + 1);
                    i
                })
            })
            .collect();
        for (i, handle) in handles.into_iter().enumerate() {
            assert_eq!(handle.join().unwrap(), i);
        }
    });
    assert_eq!(finished.get(), tasks);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Tick,
    Value(u32),
}

#[test]
fn a_generator_sleeping_between_yields_lets_other_tasks_run() {
    let events = log();
    let ticks = counter();
    let generator_done = flag();
    let values = corio::run(|| {
        let ticker = {
            let (events, ticks, done) = (events.clone(), ticks.clone(), generator_done.clone());
            corio::spawn(move || {
                while !done.get() {
                    ticks.set(ticks.get() + 1);
                    events.borrow_mut().push(Event::Tick);
                    corio::sleep(ms(1));
                }
            })
        };
        let consumer = {
            let (events, ticks, done) = (events.clone(), ticks.clone(), generator_done.clone());
            corio::spawn(move || {
                let producer = Generator::<(), u32, ()>::new(|y, ()| {
                    for n in 1..=5 {
                        corio::sleep(ms(10)); // parks the whole task
                        y.yield_(n * n);
                    }
                });
                let mut values = Vec::new();
                let mut ticks_at_last_value = ticks.get();
                for value in producer {
                    events.borrow_mut().push(Event::Value(value));
                    assert!(
                        ticks.get() > ticks_at_last_value,
                        "the ticker did not run while the generator slept"
                    );
                    ticks_at_last_value = ticks.get();
                    values.push(value);
                }
                done.set(true);
                values
            })
        };
        let values = consumer.join().unwrap();
        ticker.join().unwrap();
        values
    });
    assert_eq!(values, [1, 4, 9, 16, 25]);

    // The log has ticks before the first value and between any two values.
    let events = events.borrow();
    let seen: Vec<u32> = events
        .iter()
        .filter_map(|e| match e {
            Event::Value(v) => Some(*v),
            Event::Tick => None,
        })
        .collect();
    assert_eq!(seen, [1, 4, 9, 16, 25]);
    let mut previous = None;
    for (i, event) in events.iter().enumerate() {
        if let Event::Value(_) = event {
            let after = previous.map_or(0, |p| p + 1);
            assert!(
                events[after..i].contains(&Event::Tick),
                "no tick before value at {i}: {events:?}"
            );
            previous = Some(i);
        }
    }
}

/// Regression (found with these tests, fixed in 9c5fff4; it made the
/// 10,000-task test above fail): once 1,025 timers were pending, inserting
/// one swept the timer heap for stale entries, and the entry just inserted
/// counted as stale because its task was still running (it parks only
/// afterwards). That task never woke, and `run` reported a false deadlock.
#[test]
fn the_task_whose_sleep_triggers_the_timer_sweep_still_wakes() {
    const TASKS: usize = 1025; // one more than the heap's first sweep size
    let woke = counter();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        corio::run(|| {
            let handles: Vec<_> = (0..TASKS)
                .map(|_| {
                    let woke = woke.clone();
                    corio::spawn(move || {
                        // Long enough that no timer fires before all are set.
                        corio::sleep(ms(100));
                        woke.set(woke.get() + 1);
                    })
                })
                .collect();
            for handle in handles {
                handle.join().unwrap();
            }
        })
    }));
    assert!(outcome.is_ok(), "run panicked (a false deadlock)");
    assert_eq!(woke.get(), TASKS);
}
