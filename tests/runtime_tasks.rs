//! Task lifecycle on the runtime: the order in which spawned tasks run and
//! wake, joining and detaching, `is_finished`, panics inside tasks and in the
//! main task, misuse outside or inside `run`, what `run` does with tasks
//! that are still pending when it returns, and deadlock detection.

mod util;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::{JoinError, JoinHandle, Scope, ScopedJoinHandle};
use util::{DropCounter, counter, expect_panic, flag, log, ms, panic_message};

#[test]
fn spawned_tasks_first_run_in_spawn_order() {
    let events = log();
    corio::run(|| {
        let handles: Vec<_> = ["first", "second", "third", "fourth"]
            .into_iter()
            .map(|name| {
                let events = events.clone();
                corio::spawn(move || events.borrow_mut().push(name))
            })
            .collect();
        // Nothing runs until the main task gives up the thread.
        assert!(events.borrow().is_empty());
        for handle in handles {
            handle.join().unwrap();
        }
    });
    assert_eq!(*events.borrow(), ["first", "second", "third", "fourth"]);
}

#[test]
fn tasks_sleeping_until_the_same_instant_wake_in_the_order_they_slept() {
    const TASKS: usize = 6;
    let went_to_sleep = log();
    let woke = log();
    corio::run(|| {
        let deadline = Instant::now() + ms(40);
        let handles: Vec<_> = (0..TASKS)
            .map(|i| {
                let (went_to_sleep, woke) = (went_to_sleep.clone(), woke.clone());
                corio::spawn(move || {
                    // The later a task is spawned, the sooner it goes to
                    // sleep: sleeping order is the reverse of spawn order.
                    for _ in 0..(TASKS - i) {
                        corio::yield_now();
                    }
                    went_to_sleep.borrow_mut().push(i);
                    corio::sleep_until(deadline);
                    woke.borrow_mut().push(i);
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
    });
    let expected: Vec<usize> = (0..TASKS).rev().collect();
    assert_eq!(*went_to_sleep.borrow(), expected);
    assert_eq!(*woke.borrow(), *went_to_sleep.borrow());
}

#[test]
fn tasks_sleeping_the_same_duration_wake_first_in_first_out() {
    let woke = log();
    corio::run(|| {
        let handles: Vec<_> = (0..5)
            .map(|i| {
                let woke = woke.clone();
                corio::spawn(move || {
                    corio::sleep(ms(20));
                    woke.borrow_mut().push(i);
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
    });
    assert_eq!(*woke.borrow(), [0, 1, 2, 3, 4]);
}

#[test]
fn yield_now_alternates_strictly_between_two_tasks() {
    let events = log();
    corio::run(|| {
        let worker = |name: &'static str| {
            let events = events.clone();
            corio::spawn(move || {
                for round in 0..5 {
                    events.borrow_mut().push(format!("{name}{round}"));
                    corio::yield_now();
                }
            })
        };
        let a = worker("a");
        let b = worker("b");
        a.join().unwrap();
        b.join().unwrap();
    });
    let expected: Vec<String> = (0..5)
        .flat_map(|round| [format!("a{round}"), format!("b{round}")])
        .collect();
    assert_eq!(*events.borrow(), expected);
}

#[test]
fn join_returns_each_tasks_value() {
    corio::run(|| {
        let text = corio::spawn(|| {
            corio::sleep(ms(5));
            String::from("forty-two")
        });
        let numbers = corio::spawn(|| (1..=4).collect::<Vec<u32>>());
        let unit = corio::spawn(corio::yield_now);
        assert_eq!(numbers.join().unwrap(), [1, 2, 3, 4]);
        assert_eq!(text.join().unwrap(), "forty-two");
        unit.join().unwrap();
    });
}

#[test]
fn a_dropped_handle_detaches_the_task_which_still_runs_to_completion() {
    let finished = flag();
    corio::run(|| {
        let finished = finished.clone();
        let done = std::rc::Rc::new(corio::sync::Event::new());
        let signal = done.clone();
        drop(corio::spawn(move || {
            corio::sleep(ms(10));
            signal.set();
            finished.set(true); // after waking main: it still runs on
        }));
        // Only the main task holds the loop open, until the detached task
        // says it got past its sleep (no race of two timers under load).
        done.wait();
    });
    assert!(finished.get());
}

#[test]
fn is_finished_turns_true_once_the_task_is_done() {
    corio::run(|| {
        let handle = corio::spawn(|| {
            corio::sleep(ms(10));
            7
        });
        assert!(!handle.is_finished(), "not started yet");
        corio::yield_now();
        assert!(!handle.is_finished(), "parked in its sleep");
        corio::sleep(ms(40));
        assert!(handle.is_finished());
        assert_eq!(handle.join().unwrap(), 7);
    });
}

#[test]
fn a_panicking_task_is_contained_and_reported_by_join() {
    let ticks = counter();
    corio::run(|| {
        let ticker = {
            let ticks = ticks.clone();
            corio::spawn(move || {
                for _ in 0..5 {
                    corio::sleep(ms(2));
                    ticks.set(ticks.get() + 1);
                }
            })
        };
        let failing = corio::spawn(|| -> u32 {
            corio::sleep(ms(1));
            panic!("task failed with code {}", 42)
        });
        let literal = corio::spawn(|| -> u32 { panic!("static message") });

        let error = failing.join().unwrap_err();
        assert!(!error.is_cancelled());
        assert_eq!(error.panic_message(), Some("task failed with code 42"));
        assert!(matches!(error, JoinError::Panicked(_)));
        assert_eq!(
            literal.join().unwrap_err().panic_message(),
            Some("static message")
        );

        // The loop and the other task carried on.
        ticker.join().unwrap();
        assert_eq!(ticks.get(), 5);
        corio::sleep(ms(1));
        corio::spawn(|| "still spawning").join().unwrap()
    });
}

#[test]
fn a_panic_in_the_main_task_comes_out_of_run_and_unwinds_the_others() {
    let dropped = counter();
    let message = expect_panic(|| {
        corio::run(|| {
            let dropped = dropped.clone();
            corio::spawn(move || {
                let _guard = DropCounter::new(&dropped);
                corio::sleep(Duration::from_secs(3600));
            });
            corio::yield_now();
            panic!("main gave up");
        })
    });
    assert_eq!(message, "main gave up");
    assert_eq!(dropped.get(), 1, "the parked task was unwound");
    // The thread can host a new runtime afterwards.
    assert_eq!(corio::run(|| corio::spawn(|| 5).join().unwrap()), 5);
}

#[test]
fn spawn_outside_run_panics_and_names_run() {
    let message = expect_panic(|| corio::spawn(|| ()));
    assert!(message.contains("corio::run"), "message: {message}");
}

#[test]
fn run_inside_run_panics_with_a_clear_message() {
    let message = corio::run(|| expect_panic(|| corio::run(|| 1)));
    assert!(
        message.contains("corio::run called inside corio::run"),
        "message: {message}"
    );
    // The outer runtime is still the thread's: the nested attempt did not
    // disturb it, and another run works once it is over.
    assert_eq!(corio::run(|| 2), 2);
}

#[test]
fn sleep_and_yield_outside_run_block_the_thread() {
    let start = Instant::now();
    corio::sleep(ms(30));
    assert!(start.elapsed() >= ms(30));
    corio::yield_now();
    let wake_at = Instant::now() + ms(10);
    corio::sleep_until(wake_at);
    assert!(Instant::now() >= wake_at);
}

#[test]
fn run_returning_unwinds_pending_tasks_started_or_not() {
    let parked_dropped = counter();
    let unstarted_dropped = counter();
    let unstarted_ran = flag();
    let parked_finished = flag();
    let (parked, unstarted): (JoinHandle<()>, JoinHandle<()>) = corio::run(|| {
        let parked = {
            let (dropped, finished) = (parked_dropped.clone(), parked_finished.clone());
            corio::spawn(move || {
                let _first = DropCounter::new(&dropped);
                let _second = DropCounter::new(&dropped);
                corio::sleep(Duration::from_secs(3600));
                finished.set(true);
            })
        };
        corio::yield_now(); // it starts and parks in its sleep
        assert!(!parked.is_finished());

        let captured = DropCounter::new(&unstarted_dropped);
        let ran = unstarted_ran.clone();
        let unstarted = corio::spawn(move || {
            let _captured = captured;
            ran.set(true);
        });
        (parked, unstarted) // return without giving it a turn
    });
    assert_eq!(parked_dropped.get(), 2, "both guards on its stack dropped");
    assert!(!parked_finished.get());
    assert_eq!(unstarted_dropped.get(), 1, "its captured value was dropped");
    assert!(!unstarted_ran.get(), "its body never ran");
    assert!(parked.is_finished() && unstarted.is_finished());
    assert!(parked.join().unwrap_err().is_cancelled());
    assert!(unstarted.join().unwrap_err().is_cancelled());
}

type Slot<'scope> = Rc<RefCell<Option<ScopedJoinHandle<'scope, ()>>>>;

/// A scoped task that joins the handle found in `slot` when it first runs.
fn join_the_other<'scope>(
    s: &'scope Scope<'scope, '_>,
    slot: Slot<'scope>,
    dropped: &Rc<Cell<usize>>,
) -> ScopedJoinHandle<'scope, ()> {
    let guard = DropCounter::new(dropped);
    s.spawn(move || {
        let _guard = guard;
        let other = slot.borrow_mut().take().expect("the slot was filled");
        other.join().unwrap();
    })
}

#[test]
fn tasks_joining_each_other_are_reported_as_a_deadlock() {
    let dropped = counter();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        corio::run(|| {
            corio::sleep(ms(2)); // a pending timer is not a deadlock
            corio::scope(|s| {
                // Each task joins the other's handle, taken from a slot that
                // is filled before either of them first runs.
                let a_waits_for = Rc::new(RefCell::new(None));
                let b_waits_for = Rc::new(RefCell::new(None));
                let a = join_the_other(s, a_waits_for.clone(), &dropped);
                let b = join_the_other(s, b_waits_for.clone(), &dropped);
                *a_waits_for.borrow_mut() = Some(b);
                *b_waits_for.borrow_mut() = Some(a);
                // The main task now waits in the scope for both, forever.
            });
            "unreachable: nothing can wake the tasks"
        })
    }));
    let payload = result.expect_err("run should panic on the deadlock");
    let message = panic_message(payload.as_ref()).expect("a string message");
    assert!(message.contains("deadlock"), "message: {message}");
    assert_eq!(dropped.get(), 2, "the deadlocked tasks were unwound");
}

/// A second task joining the same task, registered after the first (the
/// scope's own wait), gives up when its `timeout` expires: its entry is
/// removed, the first joiner is still woken when the task finishes, and the
/// task's spare joiner list is freed with it (valgrind's leak check in CI
/// sees a lost one).
#[test]
fn a_second_joiner_that_gives_up_leaves_the_first_one_waiting_and_woken() {
    let events = log();
    let gave_up = Cell::new(false);
    corio::run(|| {
        let release = corio::sync::Event::new();
        corio::scope(|s| {
            let target = s.spawn(|| {
                release.wait();
                events.borrow_mut().push("target done");
            });
            s.spawn(|| {
                // The scope's end is parked on `target` by now (the scope
                // body returned at once), so this joiner is the second.
                gave_up.set(corio::timeout(ms(1), || target.join()).is_err());
                events.borrow_mut().push("quitter gave up");
                release.set();
            });
            // Nothing joined here: the scope's end waits for both children,
            // `target` first.
        });
        events.borrow_mut().push("scope done");
    });
    assert!(gave_up.get());
    assert_eq!(
        *events.borrow(),
        ["quitter gave up", "target done", "scope done"]
    );
}
