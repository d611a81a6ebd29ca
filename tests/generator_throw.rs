//! `Generator::throw`, Python's `g.throw(exc)` (PEP 342, and PEP 380 for
//! delegation), case by case: a `finally`-like guard runs, the body
//! catches and yields or returns, the payload escapes, two levels of
//! `yield_from`, unstarted and completed generators; then inside tasks: a
//! body that parks, a throw during a cancellation, a thrown `Cancelled`.
//! Yields in the middle of a throw's unwinding end the process, so those
//! run in a child (`examples/test_child/throw.rs`).

mod util;

use std::any::Any;
use std::panic::{self, AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use corio::{Generator, GeneratorState, Status, Yielder};
use util::limited::run_limited;
use util::support::{OnDrop, new_log, note};
use util::{DropCounter, ms};

/// What the tests throw: an error value with a number, like a Python
/// exception instance.
#[derive(Debug, PartialEq)]
struct Oops(u32);

fn oops(n: u32) -> Box<dyn Any + Send> {
    Box::new(Oops(n))
}

/// The `Oops` a panic payload carries.
fn oops_in(payload: Box<dyn Any + Send>) -> Oops {
    *payload
        .downcast::<Oops>()
        .unwrap_or_else(|other| panic!("not an Oops: {:?}", util::panic_message(&*other)))
}

/// Runs `f`, which must unwind with an `Oops`, and returns it.
fn expect_oops<T>(f: impl FnOnce() -> T) -> Oops {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected the thrown payload to come back out"),
        Err(payload) => oops_in(payload),
    }
}

/// `y.yield_(value)`, with a thrown `Oops` caught and returned (Python:
/// `try: yield value` / `except Oops as e: ...`); anything else unwinds on.
fn yield_catching(y: &Yielder<(), String>, value: String) -> Result<(), Oops> {
    match catch_unwind(AssertUnwindSafe(|| y.yield_(value))) {
        Ok(()) => Ok(()),
        Err(payload) if payload.is::<Oops>() => Err(oops_in(payload)),
        Err(other) => panic::resume_unwind(other),
    }
}

#[test]
fn an_uncaught_throw_runs_the_finally_guards_and_comes_back_out() {
    let dropped = util::counter();
    let counted = dropped.clone();
    let mut g = Generator::<(), u32, ()>::new(move |y, ()| {
        let _finally = DropCounter::new(&counted);
        let nested = |y: &Yielder<(), u32>| {
            let _inner = DropCounter::new(&counted);
            loop {
                y.yield_(1);
            }
        };
        nested(y);
    });
    assert_eq!(g.resume(()), GeneratorState::Yielded(1));
    assert_eq!(dropped.get(), 0);
    assert_eq!(expect_oops(|| g.throw(oops(7))), Oops(7));
    assert_eq!(dropped.get(), 2, "both guards on the stack ran");
    assert_eq!(g.status(), Status::Complete);
    let message = util::expect_panic(|| g.resume(()));
    assert!(message.contains("cannot resume"), "{message}");
}

#[test]
fn a_body_that_catches_the_throw_and_yields_goes_on() {
    let mut g = Generator::<(), String, &str>::new(|y, ()| {
        let mut n = 0;
        loop {
            n += 1;
            if let Err(Oops(k)) = yield_catching(y, format!("value {n}")) {
                y.yield_(format!("caught {k}"));
                if k == 0 {
                    return "asked to stop";
                }
            }
        }
    });
    assert_eq!(g.resume(()), GeneratorState::Yielded("value 1".into()));
    assert_eq!(g.throw(oops(5)), GeneratorState::Yielded("caught 5".into()));
    assert_eq!(g.status(), Status::Suspended);
    assert_eq!(g.resume(()), GeneratorState::Yielded("value 2".into()));
    assert_eq!(g.throw(oops(6)), GeneratorState::Yielded("caught 6".into()));
    assert_eq!(g.resume(()), GeneratorState::Yielded("value 3".into()));
    assert_eq!(g.throw(oops(0)), GeneratorState::Yielded("caught 0".into()));
    assert_eq!(g.resume(()), GeneratorState::Complete("asked to stop"));
}

#[test]
fn a_body_that_catches_the_throw_and_returns_completes() {
    let mut g = Generator::<(), String, u32>::new(|y, ()| {
        for n in 1.. {
            if let Err(Oops(k)) = yield_catching(y, n.to_string()) {
                return k * 10;
            }
        }
        unreachable!("the loop runs until a throw")
    });
    assert_eq!(g.resume(()), GeneratorState::Yielded("1".into()));
    assert_eq!(g.resume(()), GeneratorState::Yielded("2".into()));
    assert_eq!(g.throw(oops(4)), GeneratorState::Complete(40));
    assert_eq!(g.status(), Status::Complete);
}

#[test]
fn a_body_may_answer_a_throw_with_a_panic_of_its_own() {
    let mut g = Generator::<(), String, ()>::new(|y, ()| {
        if let Err(Oops(k)) = yield_catching(y, "ready".into()) {
            panic!("could not handle oops {k}");
        }
    });
    g.resume(());
    let message = util::expect_panic(|| g.throw(oops(3)));
    assert_eq!(message, "could not handle oops 3");
    assert_eq!(g.status(), Status::Complete);
}

#[test]
fn a_throw_into_an_unstarted_generator_raises_in_the_caller_without_running_it() {
    let ran = util::flag();
    let dropped = util::counter();
    let (ran_in_body, capture) = (ran.clone(), DropCounter::new(&dropped));
    let mut g = Generator::<(), u32, ()>::new(move |y, ()| {
        let _capture = capture;
        ran_in_body.set(true);
        y.yield_(1);
    });
    assert_eq!(g.status(), Status::Created);
    assert_eq!(expect_oops(|| g.throw(oops(1))), Oops(1));
    assert!(!ran.get(), "the body never ran");
    assert_eq!(dropped.get(), 1, "its captures were dropped once");
    assert_eq!(g.status(), Status::Complete);
    drop(g);
    assert_eq!(dropped.get(), 1);
}

#[test]
fn a_throw_into_a_completed_generator_panics_as_resume_does_and_drops_the_payload() {
    /// A payload that counts its drops (payloads are `Send`).
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let mut g = Generator::<(), u32, u32>::new(|_, ()| 9);
    assert_eq!(g.resume(()), GeneratorState::Complete(9));
    let drops = Arc::new(AtomicUsize::new(0));
    let payload = Box::new(Counted(Arc::clone(&drops)));
    let message = util::expect_panic(|| g.throw(payload));
    assert!(message.contains("cannot resume a generator that has completed"));
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn a_throw_does_not_run_the_panic_hook() {
    /// Hook calls that saw an `Oops` payload, in this test binary.
    static OOPS_HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if info.payload().is::<Oops>() {
            OOPS_HOOK_CALLS.fetch_add(1, Ordering::SeqCst);
        }
        previous(info);
    }));
    let mut g = Generator::<(), u32, ()>::new(|y, ()| {
        loop {
            y.yield_(0);
        }
    });
    g.resume(());
    assert_eq!(expect_oops(|| g.throw(oops(2))), Oops(2));
    // The hook itself works: a real panic with that payload reaches it.
    let _ = catch_unwind(|| panic::panic_any(Oops(3)));
    assert_eq!(OOPS_HOOK_CALLS.load(Ordering::SeqCst), 1);
}

/// The three generators of the delegation tests: `outer` delegates to
/// `middle`, which delegates to `inner`; each logs what it sees.
fn three_levels(log: &util::Log<String>) -> Generator<(), String, String> {
    let log = log.clone();
    Generator::new(move |y, ()| {
        let middle_log = log.clone();
        let middle = Generator::new(move |y: &Yielder<(), String>, ()| {
            let inner_log = middle_log.clone();
            let inner = Generator::new(move |y: &Yielder<(), String>, ()| {
                let _finally = OnDrop(move || inner_log.borrow_mut().push("inner finally".into()));
                // Catches the first throw and yields; lets the second escape.
                if let Err(Oops(k)) = yield_catching(y, "inner 1".into()) {
                    y.yield_(format!("inner caught {k}"));
                }
                y.yield_("inner 2".into());
                "inner returned".to_string()
            });
            match catch_unwind(AssertUnwindSafe(|| y.yield_from(inner))) {
                Ok(said) => said,
                Err(payload) if payload.is::<Oops>() => {
                    let Oops(k) = oops_in(payload);
                    middle_log.borrow_mut().push(format!("middle caught {k}"));
                    format!("middle recovered from {k}")
                }
                Err(other) => panic::resume_unwind(other),
            }
        });
        let said = y.yield_from(middle);
        log.borrow_mut().push(format!("outer got {said:?}"));
        y.yield_(format!("outer saw: {said}"));
        said
    })
}

#[test]
fn a_throw_goes_to_the_innermost_delegate_and_its_escape_continues_in_the_delegator() {
    let log = util::log();
    let mut g = three_levels(&log);
    assert_eq!(g.resume(()), GeneratorState::Yielded("inner 1".into()));
    // First throw: the innermost generator catches it and yields through
    // both delegators.
    assert_eq!(
        g.throw(oops(1)),
        GeneratorState::Yielded("inner caught 1".into())
    );
    assert_eq!(g.resume(()), GeneratorState::Yielded("inner 2".into()));
    assert!(log.borrow().is_empty());
    // Second throw: it escapes the inner one (its finally runs), and the
    // middle one catches it around its `yield_from` and returns.
    assert_eq!(
        g.throw(oops(2)),
        GeneratorState::Yielded("outer saw: middle recovered from 2".into())
    );
    assert_eq!(
        *log.borrow(),
        [
            "inner finally",
            "middle caught 2",
            "outer got \"middle recovered from 2\""
        ]
    );
    assert_eq!(
        g.resume(()),
        GeneratorState::Complete("middle recovered from 2".into())
    );
}

#[test]
fn a_delegates_return_after_a_throw_is_the_value_of_yield_from() {
    let mut outer = Generator::<(), u32, u32>::new(|y, ()| {
        let inner = Generator::new(|y: &Yielder<(), u32>, ()| {
            match catch_unwind(AssertUnwindSafe(|| y.yield_(1))) {
                Ok(()) => 0,
                Err(payload) => oops_in(payload).0 + 100,
            }
        });
        let got = y.yield_from(inner);
        y.yield_(got);
        got * 2
    });
    assert_eq!(outer.resume(()), GeneratorState::Yielded(1));
    assert_eq!(outer.throw(oops(5)), GeneratorState::Yielded(105));
    assert_eq!(outer.resume(()), GeneratorState::Complete(210));
}

#[test]
fn an_escape_through_two_delegators_completes_all_three() {
    let log = util::log();
    let mut g = three_levels(&log);
    g.resume(());
    g.throw(oops(1));
    g.resume(());
    // A payload the middle generator does not catch: it passes through the
    // outer one too.
    let escaped = catch_unwind(AssertUnwindSafe(|| g.throw(Box::new("not an Oops"))));
    let payload = escaped.expect_err("the payload comes out of throw");
    assert_eq!(
        util::panic_message(&*payload).as_deref(),
        Some("not an Oops")
    );
    assert_eq!(*log.borrow(), ["inner finally"]);
    assert_eq!(g.status(), Status::Complete);
}

#[test]
fn after_a_caught_throw_close_still_refuses_a_body_that_yields_while_unwinding() {
    let mut g = Generator::<(), String, ()>::new(|y, ()| {
        let _ = yield_catching(y, "first".into());
        y.yield_("after the throw".into());
        // Swallow the close's unwinding and yield again: a bug in a body.
        let _ = catch_unwind(AssertUnwindSafe(|| y.yield_("suspended".into())));
        y.yield_("stubborn".into());
    });
    g.resume(());
    assert_eq!(
        g.throw(oops(1)),
        GeneratorState::Yielded("after the throw".into())
    );
    assert_eq!(g.resume(()), GeneratorState::Yielded("suspended".into()));
    let message = util::expect_panic(|| g.close());
    assert!(message.contains("yielded while being closed"), "{message}");
    assert_eq!(g.status(), Status::Complete);
}

// --- inside tasks ---------------------------------------------------------

/// A generator whose body sleeps between yields and whose `finally` guard
/// sleeps too: every step of it parks the task.
fn sleepy(log: &util::support::Log, catch: bool) -> Generator<(), String, String> {
    let log = log.clone();
    Generator::new(move |y, ()| {
        let guard_log = log.clone();
        let _finally = OnDrop(move || {
            corio::sleep(ms(20));
            note(&guard_log, "generator finally slept");
        });
        corio::sleep(ms(20));
        if !catch {
            y.yield_("slept once".into());
            return "not thrown into".into();
        }
        if let Err(Oops(k)) = yield_catching(y, "slept once".into()) {
            note(&log, format!("generator caught {k}"));
            corio::sleep(ms(20));
            note(&log, "generator slept after the catch");
            y.yield_(format!("recovered from {k}"));
        }
        "not thrown into".into()
    })
}

/// A task that notes each of a few short sleeps, to show the loop kept
/// running other tasks while the generator's task was parked.
fn ticker(log: &util::support::Log) -> corio::JoinHandle<()> {
    let log = log.clone();
    corio::spawn(move || {
        for _ in 0..3 {
            corio::sleep(ms(5));
            note(&log, "tick");
        }
    })
}

#[test]
fn a_throw_into_a_generator_whose_body_parks_parks_the_task_and_resumes_it() {
    let log = new_log();
    corio::run(|| {
        let mut g = sleepy(&log, true);
        assert_eq!(g.resume(()), GeneratorState::Yielded("slept once".into()));
        let ticks = ticker(&log);
        assert_eq!(
            g.throw(oops(8)),
            GeneratorState::Yielded("recovered from 8".into())
        );
        note(&log, "throw returned");
        ticks.join().unwrap();
        drop(g); // the guard sleeps here, during the close
        note(&log, "dropped");
    });
    let log = log.borrow();
    let at = |line: &str| log.iter().position(|l| l == line).unwrap();
    assert!(at("generator caught 8") < at("generator slept after the catch"));
    assert!(at("generator slept after the catch") < at("throw returned"));
    assert!(
        at("tick") < at("throw returned"),
        "the other task ran while the throw was parked: {log:?}"
    );
    assert!(at("generator finally slept") < at("dropped"));
}

#[test]
fn an_escaping_throw_parks_in_the_generators_destructors_then_comes_out() {
    let log = new_log();
    corio::run(|| {
        let mut g = sleepy(&log, false);
        g.resume(());
        let ticks = ticker(&log);
        assert_eq!(expect_oops(|| g.throw(oops(9))), Oops(9));
        note(&log, "throw unwound");
        assert_eq!(g.status(), Status::Complete);
        ticks.join().unwrap();
    });
    let log = log.borrow();
    let at = |line: &str| log.iter().position(|l| l == line).unwrap();
    assert!(at("generator finally slept") < at("throw unwound"));
    assert!(at("tick") < at("generator finally slept"), "{log:?}");
}

#[test]
fn a_task_cancelled_while_a_throw_is_parked_in_the_generator_unwinds_it() {
    let log = new_log();
    corio::run(|| {
        let task_log = log.clone();
        let task = corio::spawn(move || {
            let guard_log = task_log.clone();
            let mut g = Generator::<(), String, ()>::new(move |y, ()| {
                let finally_log = guard_log.clone();
                let _finally = OnDrop(move || note(&finally_log, "generator finally"));
                if yield_catching(y, "ready".into()).is_err() {
                    // Parks inside the throw; the task is cancelled here.
                    corio::sleep(Duration::from_secs(5));
                    note(&guard_log, "slept through the cancellation");
                }
            });
            g.resume(());
            let state = g.throw(oops(1));
            note(&task_log, format!("throw returned {state:?}"));
        });
        corio::sleep(ms(10)); // the task is parked inside the throw
        task.abort();
        let joined = task.join();
        assert!(
            joined.as_ref().is_err_and(corio::JoinError::is_cancelled),
            "{joined:?}"
        );
    });
    assert_eq!(*log.borrow(), ["generator finally"]);
}

#[test]
fn a_task_aborted_while_a_throw_unwinds_its_generator_finishes_the_unwinding_first() {
    // The throw's unwinding is the task's own, like a panic: a destructor
    // on the way parks as usual, and an abort meanwhile is not raised into
    // it (a panic out of a destructor that runs during unwinding would
    // abort the process); it takes effect at the next park after.
    let log = new_log();
    let asleep = std::rc::Rc::new(corio::sync::Event::new());
    corio::run(|| {
        let (task_log, task_asleep) = (log.clone(), asleep.clone());
        let task = corio::spawn(move || {
            let guard_log = task_log.clone();
            let mut g = Generator::<(), (), ()>::new(move |y, ()| {
                let _finally = OnDrop(move || {
                    task_asleep.set();
                    corio::sleep(ms(50));
                    note(&guard_log, "generator finally slept");
                });
                y.yield_(());
            });
            g.resume(());
            let escaped = catch_unwind(AssertUnwindSafe(|| g.throw(oops(3))));
            note(
                &task_log,
                format!("throw came back {:?}", escaped.map_err(oops_in)),
            );
            corio::sleep(Duration::from_secs(5));
            note(&task_log, "slept through its cancellation");
        });
        asleep.wait(); // the generator's guard is asleep mid-unwinding
        task.abort();
        assert!(task.join().unwrap_err().is_cancelled());
    });
    assert_eq!(
        *log.borrow(),
        ["generator finally slept", "throw came back Err(Oops(3))"]
    );
}

/// A task that, after 200 ms, notes that its timer fired: a waiting
/// destructor that should have returned at once notes itself after it.
fn timer_witness(log: &util::support::Log) -> corio::JoinHandle<()> {
    let log = log.clone();
    corio::spawn(move || {
        corio::sleep(ms(200));
        note(&log, "200 ms timer fired");
    })
}

/// A generator suspended at a yield, whose `finally` guard sleeps 5 s: in a
/// cancel-unwinding task that sleep returns at once.
fn sleeps_in_finally(log: &util::support::Log, catch: bool) -> Generator<(), String, u32> {
    let log = log.clone();
    let mut g = Generator::new(move |y, ()| {
        let guard_log = log.clone();
        let _finally = OnDrop(move || {
            corio::sleep(Duration::from_secs(5));
            note(&guard_log, "generator finally done");
        });
        if !catch {
            y.yield_("ready".into());
            return 0;
        }
        match yield_catching(y, "ready".into()) {
            Err(Oops(k)) => k,
            Ok(()) => 0,
        }
    });
    assert_eq!(g.resume(()), GeneratorState::Yielded("ready".into()));
    g
}

#[test]
fn a_throw_from_a_cancelled_tasks_destructor_runs_the_generator_as_cancel_unwinding() {
    let log = new_log();
    corio::run(|| {
        let witness = timer_witness(&log);
        let (escape_log, return_log) = (log.clone(), log.clone());
        let joined = util::support::cancel_while_holding(move || {
            let mut g = sleeps_in_finally(&escape_log, false);
            let escaped = catch_unwind(AssertUnwindSafe(|| g.throw(oops(4))));
            note(
                &escape_log,
                format!("escaped {:?}", escaped.map_err(oops_in)),
            );
        });
        assert!(joined.unwrap_err().is_cancelled());
        let joined = util::support::cancel_while_holding(move || {
            let mut g = sleeps_in_finally(&return_log, true);
            let state = catch_unwind(AssertUnwindSafe(|| g.throw(oops(5))));
            note(&return_log, format!("caught and returned {:?}", state.ok()));
        });
        assert!(joined.unwrap_err().is_cancelled());
        witness.join().unwrap();
    });
    assert_eq!(
        *log.borrow(),
        [
            "generator finally done",
            "escaped Err(Oops(4))",
            "generator finally done",
            "caught and returned Some(Complete(5))",
            "200 ms timer fired",
        ]
    );
}

#[test]
fn a_thrown_cancelled_keeps_its_task_cancel_unwinding_and_comes_back_out() {
    let log = new_log();
    corio::run(|| {
        let witness = timer_witness(&log);
        let task_log = log.clone();
        let task = corio::spawn(move || {
            let mut g = sleeps_in_finally(&task_log, false);
            let caught = catch_unwind(|| corio::sleep(Duration::from_secs(3600)));
            let cancelled = caught.expect_err("the task is aborted in its sleep");
            assert!(cancelled.is::<corio::Cancelled>());
            // asyncio's way: throw the cancellation into the coroutine.
            let escaped = catch_unwind(AssertUnwindSafe(|| g.throw(cancelled)));
            let payload = escaped.expect_err("the generator does not catch it");
            note(
                &task_log,
                format!(
                    "came back a Cancelled: {}",
                    payload.is::<corio::Cancelled>()
                ),
            );
            panic::resume_unwind(payload);
        });
        corio::yield_now(); // it parks in its sleep
        task.abort();
        assert!(task.join().unwrap_err().is_cancelled());
        witness.join().unwrap();
    });
    assert_eq!(
        *log.borrow(),
        [
            "generator finally done",
            "came back a Cancelled: true",
            "200 ms timer fired"
        ]
    );
}

#[test]
fn a_generator_that_swallows_a_thrown_cancelled_does_not_end_the_cancellation() {
    let log = new_log();
    corio::run(|| {
        let task_log = log.clone();
        let task = corio::spawn(move || {
            let mut g = Generator::<(), (), bool>::new(|y, ()| {
                let caught = catch_unwind(AssertUnwindSafe(|| y.yield_(())));
                caught.is_err_and(|payload| payload.is::<corio::Cancelled>())
            });
            g.resume(());
            let caught = catch_unwind(|| corio::sleep(Duration::from_secs(3600)));
            let cancelled = caught.expect_err("the task is aborted in its sleep");
            let state = g.throw(cancelled); // swallowed and dropped in there
            note(&task_log, format!("throw returned {state:?}"));
            // Cancellation is sticky: the next park raises it again.
            corio::sleep(Duration::from_secs(5));
            note(&task_log, "slept through its cancellation");
        });
        corio::yield_now();
        task.abort();
        assert!(task.join().unwrap_err().is_cancelled());
        // The runtime's waits still wait: nothing was left marked.
        let ticks = ticker(&log);
        ticks.join().unwrap();
    });
    assert_eq!(
        *log.borrow(),
        ["throw returned Complete(true)", "tick", "tick", "tick"]
    );
}

// --- yields in the middle of a throw's unwinding ---------------------------

#[test]
fn a_destructor_that_yields_while_a_throw_unwinds_aborts_with_a_message() {
    for scenario in [
        "yield_while_throw_unwinds",
        "yield_while_throw_unwinds_in_task",
    ] {
        let ended = run_limited(scenario);
        assert_eq!(ended.signal, Some(util::SIGABRT), "{scenario}: {ended:#?}");
        assert!(
            ended.stderr.contains(
                "corio: a generator yielded while std::thread::panicking() is true and its stack may"
            ),
            "{scenario}: {ended:#?}"
        );
        assert!(
            ended.reports().is_empty(),
            "{scenario}: the throw must not come back: {ended:#?}"
        );
    }
}

#[test]
fn a_yield_after_a_caught_throw_while_another_stack_unwinds_panics_clearly() {
    let ended = run_limited("catch_then_yield_while_another_stack_unwinds");
    let refused = "corio: a generator yielded while std::thread::panicking() is true and its \
                   stack may still be unwinding";
    let reports = ended.expect_success();
    assert_eq!(reports.len(), 5, "{ended:#?}");
    assert_eq!(reports[0], "another stack unwinds: true");
    assert!(reports[1].starts_with(refused), "the throw: {ended:#?}");
    assert!(
        reports[2].starts_with(refused),
        "the caught panic: {ended:#?}"
    );
    assert_eq!(reports[3..], ["the paused task: Err(true)", "run returned"]);
}
