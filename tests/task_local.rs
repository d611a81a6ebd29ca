//! `corio::task_local!` and `corio::LocalKey`: a value per task, made on
//! first use, dropped on the task's own stack as it ends; one value per
//! thread wherever no task runs.

mod util;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use corio::{AccessError, Generator, GeneratorState, Yielder};
use util::limited::run_limited;
use util::ms;

thread_local! {
    /// What the values' destructors (and the tests) did, in order. Each test
    /// runs on a thread of its own, so each sees only its own lines.
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// How many values the `COUNTED` key made on this thread.
    static MADE: Cell<usize> = const { Cell::new(0) };
}

fn note(line: impl Into<String>) {
    LOG.with_borrow_mut(|log| log.push(line.into()));
}

fn take_log() -> Vec<String> {
    LOG.take()
}

/// Notes its name when dropped, and whether the thread was unwinding then.
#[derive(Debug)]
struct Noisy(&'static str);

impl Drop for Noisy {
    fn drop(&mut self) {
        note(format!(
            "drop {} (unwinding: {})",
            self.0,
            std::thread::panicking()
        ));
    }
}

corio::task_local! {
    static ID: Cell<usize> = Cell::new(0);
    static TRAIL: RefCell<Vec<usize>> = RefCell::new(Vec::new());
    static COUNTED: Cell<u32> = {
        MADE.set(MADE.get() + 1);
        Cell::new(0)
    };
}

#[test]
fn each_task_keeps_its_own_value_across_parks() {
    thread_local! {
        static SHARED: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    let overwritten = Rc::new(Cell::new(0));
    let trails = corio::run(|| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let overwritten = Rc::clone(&overwritten);
                corio::spawn(move || {
                    ID.set(i);
                    for step in 0..5 {
                        SHARED.set(i);
                        if (i + step) % 2 == 0 {
                            corio::yield_now();
                        } else {
                            corio::sleep(ms(1));
                        }
                        if SHARED.get() != i {
                            overwritten.set(overwritten.get() + 1);
                        }
                        assert_eq!(ID.get(), i, "task {i} after park {step}");
                        TRAIL.with_borrow_mut(|trail| trail.push(i));
                    }
                    TRAIL.take()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    for (i, trail) in trails.iter().enumerate() {
        assert_eq!(trail, &[i; 5], "task {i}");
    }
    // The tasks really interleaved: the thread-local was not theirs alone.
    assert!(overwritten.get() > 0);
}

#[test]
fn values_are_made_lazily_once_per_task_that_uses_them() {
    MADE.set(0);
    corio::run(|| {
        let user = corio::spawn(|| {
            assert_eq!(MADE.get(), 0, "spawning makes nothing");
            for _ in 0..3 {
                COUNTED.set(COUNTED.get() + 1);
                corio::yield_now();
            }
            COUNTED.get()
        });
        let bystander = corio::spawn(corio::yield_now);
        let setter = corio::spawn(|| {
            COUNTED.set(10); // `set` first: the initialiser does not run
            COUNTED.get()
        });
        assert_eq!(user.join().unwrap(), 3);
        bystander.join().unwrap();
        assert_eq!(setter.join().unwrap(), 10);
        assert_eq!(MADE.get(), 1);
        let child = || COUNTED.replace(COUNTED.get() + 5);
        let children = corio::gather(vec![child, child]);
        assert_eq!(children, [0, 0]);
        assert_eq!(MADE.get(), 3, "each child of gather makes its own");
    });
    assert_eq!(MADE.get(), 3, "run's main task never used the key");
}

#[test]
fn an_initialiser_may_use_other_keys_and_its_value_is_dropped_first() {
    corio::task_local! {
        static BASE: Noisy = Noisy("base");
        static DERIVED: Noisy = BASE.with(|base| Noisy(if base.0 == "base" { "derived" } else { "?" }));
    }
    take_log();
    corio::run(|| {
        corio::spawn(|| DERIVED.with(|_| ())).join().unwrap();
    });
    assert_eq!(
        take_log(),
        [
            "drop derived (unwinding: false)",
            "drop base (unwinding: false)"
        ]
    );
}

/// Parks, spawns and joins from its destructor: only a task can.
struct UsesTheRuntime;

impl Drop for UsesTheRuntime {
    fn drop(&mut self) {
        corio::yield_now();
        corio::sleep(ms(2));
        let doubled = corio::spawn(|| 21).join().unwrap() * 2;
        note(format!("destructor joined {doubled}"));
    }
}

#[test]
fn values_are_dropped_on_the_task_stack_before_joiners_wake() {
    corio::task_local! {
        static RUNTIME_USER: UsesTheRuntime = UsesTheRuntime;
    }
    take_log();
    corio::run(|| {
        let h = corio::spawn(|| {
            RUNTIME_USER.with(|_| ());
            note("body returns");
            "output"
        });
        assert_eq!(h.join().unwrap(), "output");
        note("joiner woke");
    });
    assert_eq!(
        take_log(),
        ["body returns", "destructor joined 42", "joiner woke"]
    );
}

#[test]
fn the_main_task_of_run_drops_its_values_before_run_returns() {
    corio::task_local! {
        static MAIN_VALUE: Noisy = Noisy("main's");
    }
    take_log();
    corio::run(|| MAIN_VALUE.with(|_| note("main used it")));
    note("run returned");
    assert_eq!(
        take_log(),
        [
            "main used it",
            "drop main's (unwinding: false)",
            "run returned"
        ]
    );
}

#[test]
fn a_generator_sees_the_values_of_the_task_resuming_it() {
    let mut reads = Generator::new(|y: &Yielder<(), usize>, ()| {
        loop {
            let before = ID.get();
            corio::sleep(ms(1)); // parks the resuming task, when there is one
            y.yield_(before * 100 + ID.get());
        }
    });
    ID.set(7); // this thread's value, outside any task
    let reads = corio::run(move || {
        ID.set(1);
        assert_eq!(reads.resume(()), GeneratorState::Yielded(101));
        let other = corio::spawn(move || {
            ID.set(2);
            let seen = reads.resume(());
            (seen, reads)
        });
        let (seen, reads) = other.join().unwrap();
        assert_eq!(seen, GeneratorState::Yielded(202));
        assert_eq!(ID.get(), 1, "the other task's set stayed in the other task");
        reads
    });
    let mut reads = reads;
    assert_eq!(reads.resume(()), GeneratorState::Yielded(707));
}

#[test]
fn outside_tasks_a_key_holds_one_value_per_thread() {
    ID.set(41);
    let in_main_task = corio::run(|| {
        let fresh = ID.get();
        ID.set(5);
        fresh
    });
    assert_eq!(in_main_task, 0, "run's main task has a value of its own");
    assert_eq!(ID.get(), 41, "the thread's value is untouched by tasks");
    let elsewhere = std::thread::spawn(|| {
        let fresh = ID.get();
        ID.set(9);
        (fresh, ID.get())
    })
    .join()
    .unwrap();
    assert_eq!(elsewhere, (0, 9));
    assert_eq!(ID.get(), 41);

    // The event loop's own stack is outside tasks too: the closure of a task
    // cancelled before it ran is dropped there.
    struct ReadsId;
    impl Drop for ReadsId {
        fn drop(&mut self) {
            note(format!("dropped unrun, id {}", ID.get()));
        }
    }
    take_log();
    corio::run(|| {
        ID.set(3);
        let reads = ReadsId;
        let h = corio::spawn(move || drop(reads));
        h.abort();
        assert!(h.join().unwrap_err().is_cancelled());
    });
    assert_eq!(take_log(), ["dropped unrun, id 41"]);
}

#[test]
fn an_aborted_task_drops_its_values_once_while_it_unwinds() {
    corio::task_local! {
        static VICTIM: Noisy = Noisy("victim's value");
    }
    take_log();
    corio::run(|| {
        let h = corio::spawn(|| {
            VICTIM.with(|_| ());
            let _local = Noisy("body local");
            corio::sleep(Duration::from_secs(3600));
        });
        corio::yield_now(); // it starts and parks
        h.abort();
        assert!(h.join().unwrap_err().is_cancelled());
        note("joined");
    });
    assert_eq!(
        take_log(),
        [
            "drop body local (unwinding: true)",
            "drop victim's value (unwinding: true)",
            "joined"
        ]
    );
}

#[test]
fn a_task_cancelled_before_it_ran_made_no_values() {
    MADE.set(0);
    corio::run(|| {
        let h = corio::spawn(|| COUNTED.get());
        h.abort();
        assert!(h.join().unwrap_err().is_cancelled());
    });
    assert_eq!(MADE.get(), 0);
}

#[test]
fn a_panicking_task_drops_its_values() {
    corio::task_local! {
        static PANICKER: Noisy = Noisy("panicker's value");
    }
    take_log();
    corio::run(|| {
        let h = corio::spawn(|| {
            PANICKER.with(|_| ());
            panic!("body fails");
        });
        assert_eq!(h.join().unwrap_err().panic_message(), Some("body fails"));
    });
    assert_eq!(take_log(), ["drop panicker's value (unwinding: true)"]);
}

#[test]
fn a_destructor_that_panics_makes_the_task_panic_and_the_rest_are_dropped() {
    struct Fails;
    impl Drop for Fails {
        fn drop(&mut self) {
            panic!("destructor fails");
        }
    }
    corio::task_local! {
        static OLDER: Noisy = Noisy("older");
        static FAILS: Fails = Fails;
    }
    take_log();
    corio::run(|| {
        let h = corio::spawn(|| {
            OLDER.with(|_| ());
            FAILS.with(|_| ());
            Noisy("output")
        });
        let error = h.join().unwrap_err();
        assert_eq!(error.panic_message(), Some("destructor fails"));
    });
    assert_eq!(
        take_log(),
        [
            "drop older (unwinding: true)",
            "drop output (unwinding: true)"
        ]
    );
}

/// Tries every kind of key from its destructor, while its task's values
/// are being dropped.
struct Prober;

corio::task_local! {
    static MADE_BEFORE: Cell<u32> = Cell::new(1);
    static PROBER: Prober = Prober;
    static MADE_AFTER: Cell<u32> = Cell::new(2);
    static NEVER_USED: Cell<u32> = Cell::new(3);
}

impl Drop for Prober {
    fn drop(&mut self) {
        note(format!(
            "older alive: {:?}",
            MADE_BEFORE.try_with(Cell::get)
        ));
        note(format!("itself: {:?}", PROBER.try_with(|_| ())));
        note(format!("newer: {:?}", MADE_AFTER.try_with(Cell::get)));
        note(format!("never used: {:?}", NEVER_USED.try_with(Cell::get)));
        let refused = util::expect_panic(|| NEVER_USED.set(4));
        note(refused);
        let panicked = util::expect_panic(|| MADE_AFTER.with(Cell::get));
        note(panicked);
    }
}

#[test]
fn keys_reached_while_values_are_dropped_give_access_errors() {
    take_log();
    corio::run(|| {
        corio::spawn(|| {
            MADE_BEFORE.get();
            PROBER.with(|_| ());
            MADE_AFTER.get();
        })
        .join()
        .unwrap();
    });
    let destroyed = |name: &str| {
        format!(
            "corio: cannot access the task_local `{name}`: its value is being dropped or \
             already was (its task is ending, or its thread outside tasks)"
        )
    };
    assert_eq!(
        take_log(),
        [
            "older alive: Ok(1)".to_string(),
            "itself: Err(AccessError)".to_string(),
            "newer: Err(AccessError)".to_string(),
            "never used: Err(AccessError)".to_string(),
            destroyed("NEVER_USED"),
            destroyed("MADE_AFTER"),
        ]
    );
}

#[test]
fn a_value_borrowed_by_a_suspended_generator_outlives_its_task() {
    corio::task_local! {
        static BORROWED: RefCell<String> = RefCell::new("task's own".to_string());
    }
    let mut inside_with = Generator::new(|y: &Yielder<(), String>, ()| {
        BORROWED.with(|value| {
            y.yield_(value.borrow().clone());
            y.yield_(value.borrow().clone()); // after its task ended
        });
    });
    let first = corio::run(|| {
        corio::spawn(move || {
            let first = inside_with.resume(());
            (first, inside_with)
        })
        .join()
        .unwrap()
    });
    let (first, mut inside_with) = first;
    assert_eq!(first, GeneratorState::Yielded("task's own".to_string()));
    assert_eq!(
        inside_with.resume(()),
        GeneratorState::Yielded("task's own".to_string())
    );
    assert_eq!(inside_with.resume(()), GeneratorState::Complete(()));
}

#[test]
fn an_abandoned_task_leaks_its_values() {
    let ended = run_limited("task_local_of_an_abandoned_task");
    assert_eq!(ended.expect_success(), ["run returned"]);
    assert!(
        ended
            .stderr
            .contains("could never finish unwinding: it waits for something no task will ever do"),
        "{ended:#?}"
    );
}

#[test]
fn keys_and_access_errors_read_well() {
    assert_eq!(format!("{ID:?}"), "LocalKey { name: \"ID\", .. }");
    corio::task_local! {
        static ERROR_TEXT: ErrorText = ErrorText;
    }
    struct ErrorText;
    impl Drop for ErrorText {
        fn drop(&mut self) {
            let error: AccessError = ERROR_TEXT.try_with(|_| ()).unwrap_err();
            note(error.to_string());
        }
    }
    take_log();
    corio::run(|| ERROR_TEXT.with(|_| ()));
    assert_eq!(
        take_log(),
        ["cannot access a task-local value during or after its destruction"]
    );
}
