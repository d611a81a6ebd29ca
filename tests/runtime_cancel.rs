//! Cancellation: `abort` (before a task starts, while it sleeps, while it is
//! parked inside a generator it resumes), `timeout` (single and nested),
//! `race` and `select` cancelling the losers, and `scope` — borrowing, waiting
//! for every child, and cancelling children when the scope unwinds. Every
//! cancellation must unwind the cancelled stack so its destructors run.

mod util;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use corio::{Either, Generator, GeneratorState};
use util::{DropCounter, counter, expect_panic, flag, log, ms};

const FOREVER: Duration = Duration::from_secs(3600);

#[test]
fn abort_before_the_first_run_discards_the_body() {
    let dropped = counter();
    let ran = flag();
    corio::run(|| {
        let guard = DropCounter::new(&dropped);
        let ran = ran.clone();
        let handle = corio::spawn(move || {
            let _guard = guard;
            ran.set(true);
        });
        handle.abort();
        let error = handle.join().unwrap_err();
        assert!(error.is_cancelled());
        assert_eq!(error.panic_message(), None);
    });
    assert!(!ran.get(), "the body never ran");
    assert_eq!(dropped.get(), 1, "the captured value was dropped");
}

#[test]
fn abort_while_parked_in_sleep_unwinds_the_stack() {
    let dropped = counter();
    let reached_the_end = flag();
    corio::run(|| {
        let (dropped, reached) = (dropped.clone(), reached_the_end.clone());
        let handle = corio::spawn(move || {
            let _guard = DropCounter::new(&dropped);
            corio::sleep(FOREVER);
            reached.set(true);
        });
        corio::yield_now(); // it starts and parks
        assert!(!handle.is_finished());
        handle.abort();
        handle.abort(); // a second request changes nothing
        assert!(handle.join().unwrap_err().is_cancelled());
    });
    assert_eq!(dropped.get(), 1);
    assert!(!reached_the_end.get());
}

#[test]
fn abort_reaches_a_task_parked_inside_a_generator_it_resumes() {
    let task_dropped = counter();
    let generator_dropped = counter();
    let received = log();
    corio::run(|| {
        let (task_dropped, generator_dropped) = (task_dropped.clone(), generator_dropped.clone());
        let seen = received.clone();
        let handle = corio::spawn(move || {
            let _task_guard = DropCounter::new(&task_dropped);
            let mut numbers = Generator::<(), u32, ()>::new(move |y, ()| {
                let _generator_guard = DropCounter::new(&generator_dropped);
                y.yield_(1);
                corio::sleep(FOREVER); // parks the task from the generator's stack
                y.yield_(2);
            });
            while let GeneratorState::Yielded(n) = numbers.resume(()) {
                seen.borrow_mut().push(n);
            }
        });
        corio::sleep(ms(5));
        assert_eq!(*received.borrow(), [1]);
        handle.abort();
        assert!(handle.join().unwrap_err().is_cancelled());
    });
    assert_eq!(*received.borrow(), [1]);
    assert_eq!(generator_dropped.get(), 1, "the generator's stack unwound");
    assert_eq!(task_dropped.get(), 1, "the task's stack unwound");
}

#[test]
fn timeout_interrupts_a_slow_body_and_passes_a_fast_one() {
    let dropped = counter();
    corio::run(|| {
        let slow = corio::timeout(ms(20), || {
            let _guard = DropCounter::new(&dropped);
            corio::sleep(FOREVER);
            "never"
        });
        let elapsed: corio::Elapsed = slow.unwrap_err();
        assert_eq!(elapsed.to_string(), "deadline has elapsed");
        assert_eq!(dropped.get(), 1, "the body's stack unwound");

        assert_eq!(corio::timeout(Duration::from_secs(60), || 5), Ok(5));
        let parks_briefly = corio::timeout(Duration::from_secs(60), || {
            corio::sleep(ms(5));
            "in time"
        });
        assert_eq!(parks_briefly, Ok("in time"));

        // An expired timeout leaves nothing behind: later parks are normal.
        corio::sleep(ms(5));
        corio::yield_now();
    });
}

#[test]
fn a_shorter_inner_timeout_expires_and_the_outer_one_continues() {
    let outcome = corio::run(|| {
        corio::timeout(Duration::from_secs(60), || {
            let inner = corio::timeout(ms(10), || corio::sleep(FOREVER));
            assert!(inner.is_err());
            corio::sleep(ms(5)); // the outer timeout is still in force, not expired
            "outer finished"
        })
    });
    assert_eq!(outcome, Ok("outer finished"));
}

#[test]
fn a_shorter_outer_timeout_expires_even_while_inside_the_inner_one() {
    let dropped = counter();
    let after_inner = flag();
    let outcome = corio::run(|| {
        corio::timeout(ms(20), || {
            let inner = corio::timeout(FOREVER, || {
                let _guard = DropCounter::new(&dropped);
                corio::sleep(FOREVER);
            });
            after_inner.set(true); // not reached: the unwinding skips it
            inner
        })
    });
    assert!(outcome.is_err(), "the outer timeout reports Elapsed");
    assert!(!after_inner.get(), "the inner timeout did not swallow it");
    assert_eq!(dropped.get(), 1);
}

#[test]
fn race_returns_the_fastest_and_unwinds_the_losers() {
    let dropped = counter();
    let losers_finished = counter();
    corio::run(|| {
        let loser = |label: &'static str| {
            let (dropped, finished) = (&dropped, &losers_finished);
            Box::new(move || {
                let _guard = DropCounter::new(dropped);
                corio::sleep(FOREVER);
                finished.set(finished.get() + 1);
                label
            }) as Box<dyn FnOnce() -> &'static str + '_>
        };
        let work = vec![
            loser("slow"),
            Box::new(|| {
                corio::sleep(ms(10));
                "fast"
            }),
            loser("slower"),
        ];
        assert_eq!(corio::race(work), (1, "fast"));
        assert_eq!(dropped.get(), 2, "both losers unwound before race returned");
    });
    assert_eq!(losers_finished.get(), 0);
}

#[test]
fn select_reports_which_side_finished_first() {
    corio::run(|| {
        let left = corio::select(
            || {
                corio::sleep(ms(5));
                42
            },
            || {
                corio::sleep(FOREVER);
                "late"
            },
        );
        assert_eq!(left, Either::Left(42));
        let right: Either<u8, &str> = corio::select(
            || {
                corio::sleep(FOREVER);
                1
            },
            || "at once",
        );
        assert_eq!(right, Either::Right("at once"));
    });
}

#[test]
fn scoped_children_borrow_and_mutate_the_callers_locals() {
    let (total, text) = corio::run(|| {
        let total = Cell::new(0);
        let mut text = String::from("start");
        let words = ["a", "bb", "ccc"];
        corio::scope(|s| {
            for (i, word) in words.iter().enumerate() {
                let total = &total;
                s.spawn(move || {
                    corio::sleep(ms(3 * (3 - i as u64)));
                    total.set(total.get() + word.len());
                });
            }
            let text = &mut text; // one child gets the exclusive borrow
            s.spawn(move || {
                corio::yield_now();
                text.push_str("+child");
            });
        });
        (total.get(), text)
    });
    assert_eq!(total, 6);
    assert_eq!(text, "start+child");
}

#[test]
fn scope_waits_for_every_child_then_propagates_a_child_panic() {
    let finished = Cell::new(0);
    let message = corio::run(|| {
        expect_panic(|| {
            corio::scope(|s| {
                s.spawn(|| {
                    corio::sleep(ms(2));
                    panic!("child failed");
                });
                for _ in 0..3 {
                    s.spawn(|| {
                        corio::sleep(ms(20)); // still running when the panic happens
                        finished.set(finished.get() + 1);
                    });
                }
            })
        })
    });
    assert_eq!(message, "child failed");
    assert_eq!(finished.get(), 3, "the other children ran to completion");
}

#[test]
fn a_panicking_scope_body_cancels_the_running_children() {
    let dropped = counter();
    let reached = flag();
    let message = corio::run(|| {
        expect_panic(|| {
            corio::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| {
                        let _guard = DropCounter::new(&dropped);
                        corio::sleep(FOREVER);
                        reached.set(true);
                    });
                }
                corio::yield_now(); // both start and park
                let unstarted = DropCounter::new(&dropped);
                s.spawn(move || drop(unstarted));
                panic!("body failed");
            })
        })
    });
    assert_eq!(message, "body failed");
    assert_eq!(dropped.get(), 3, "two parked children and one unstarted");
    assert!(!reached.get());
}

/// Regression (found with these tests, fixed in 9c5fff4): `scope` used to
/// take its children out of the list its unwind guard cancels *before*
/// waiting for them, so when the wait itself unwound (an expired `timeout`
/// around the scope, or an `abort` of the task waiting in it) the children
/// were left running past the scope.
#[test]
fn a_timeout_around_a_waiting_scope_cancels_its_children() {
    let dropped = counter();
    let outcome = corio::run(|| {
        let outcome = corio::timeout(ms(20), || {
            corio::scope(|s| {
                s.spawn(|| {
                    let _guard = DropCounter::new(&dropped);
                    corio::sleep(FOREVER);
                });
            })
        });
        let unwound_in_time = dropped.get();
        (outcome, unwound_in_time)
    });
    assert!(outcome.0.is_err(), "the timeout expired");
    assert_eq!(
        outcome.1, 1,
        "the child must be unwound before the scope (and the timeout) returns"
    );
}

#[test]
fn aborting_a_task_waiting_in_a_scope_cancels_its_children() {
    let dropped = counter();
    let unwound_before_abort_returned = Rc::new(Cell::new(None));
    corio::run(|| {
        let dropped_in_task = dropped.clone();
        let handle = corio::spawn(move || {
            corio::scope(|s| {
                // The child owns what it uses, so it stays sound even when
                // it outlives the scope (the regression this test guards).
                s.spawn(move || {
                    let _guard = DropCounter::new(&dropped_in_task);
                    corio::sleep(FOREVER);
                });
            });
        });
        corio::sleep(ms(5)); // the task waits in its scope, the child sleeps
        handle.abort();
        assert!(handle.join().unwrap_err().is_cancelled());
        unwound_before_abort_returned.set(Some(dropped.get()));
    });
    assert_eq!(
        unwound_before_abort_returned.get(),
        Some(1),
        "the scope's child must be unwound when its task is cancelled"
    );
}

/// Regression (found with these tests, fixed in 9c5fff4; same root cause as
/// the timer-sweep test in `runtime_concurrency.rs`): when a `timeout`'s
/// deadline was the entry that made the timer heap sweep itself, it was
/// swept away as stale (the timeout registered it as active only after
/// inserting it), so the timeout never fired and the body ran to its end.
#[test]
fn a_timeout_whose_deadline_triggers_the_timer_sweep_still_expires() {
    const SLEEPERS: usize = 1024; // the heap sweeps when it passes 1,024
    let outcome = corio::run(|| {
        for _ in 0..SLEEPERS {
            corio::spawn(|| corio::sleep(FOREVER)); // detached; run unwinds them
        }
        corio::yield_now(); // every sleeper parks, with its timer pending
        corio::timeout(ms(10), || corio::sleep(ms(150)))
    });
    assert!(outcome.is_err(), "a 10 ms timeout let a 150 ms body finish");
}

/// Regression (found with these tests, fixed in 9c5fff4): `scope` used to
/// take its list of children before waiting for them, so a task that a
/// child spawned into the same scope after the scope's closure returned was
/// never waited for: the scope returned while it still ran (and could still
/// borrow the scope's locals).
#[test]
fn scope_waits_for_tasks_its_children_spawn_into_it() {
    let grandchild_done = flag();
    let seen_when_scope_returned = corio::run(|| {
        corio::scope(|s| {
            s.spawn(|| {
                corio::yield_now(); // the scope's closure has returned by now
                s.spawn(|| {
                    corio::sleep(ms(20));
                    grandchild_done.set(true);
                });
            });
        });
        grandchild_done.get()
    });
    assert!(
        seen_when_scope_returned,
        "the scope returned before the task spawned by its child finished"
    );
}
