//! `Generator::throw` scenarios that end the process: a destructor that
//! yields while a thrown payload unwinds its generator (a stack cannot be
//! suspended in the middle of unwinding, so corio aborts with a message).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::Duration;

use corio::sync::Mutex;
use corio::{Generator, GeneratorState, Yielder};

use super::support::{OnDrop, caught_message, report};

/// Yields from its destructor: fine in normal code, fatal while unwinding.
struct YieldsWhenDropped<'a>(&'a Yielder<(), u32>);

impl Drop for YieldsWhenDropped<'_> {
    fn drop(&mut self) {
        self.0.yield_(99);
    }
}

/// Throws into a generator whose destructor yields; reports only if the
/// throw came back, which it must not.
fn throw_into_one_that_yields_while_unwinding() {
    let mut g = Generator::<(), u32, ()>::new(|y, ()| {
        let _bad = YieldsWhenDropped(y);
        y.yield_(1);
    });
    assert_eq!(g.resume(()), GeneratorState::Yielded(1));
    let outcome = catch_unwind(AssertUnwindSafe(|| g.throw(Box::new(7_u32))));
    report(format!("throw came back: {}", outcome.is_ok()));
}

/// Outside any task.
pub fn yield_while_throw_unwinds() {
    throw_into_one_that_yields_while_unwinding();
}

/// The same inside a corio task.
pub fn yield_while_throw_unwinds_in_task() {
    corio::run(throw_into_one_that_yields_while_unwinding);
}

/// Inside a task, while another task is parked mid-unwind (so
/// `thread::panicking()` reads true on every stack of the thread): a
/// generator that caught a thrown payload, and one that caught a panic of
/// its own, each yield afterwards. corio cannot tell either yield from one
/// in the middle of unwinding, so each is refused with a panic that names
/// the reason (it used to abort the process); the run then ends normally.
pub fn catch_then_yield_while_another_stack_unwinds() {
    corio::run(|| {
        let lock = Rc::new(Mutex::new(()));
        let held = lock.lock();
        let l = Rc::clone(&lock);
        let paused = corio::spawn(move || {
            let _g = OnDrop(move || drop(l.lock()));
            corio::sleep(Duration::from_secs(3600));
        });
        corio::yield_now();
        paused.abort();
        corio::yield_now(); // it unwinds up to the lock and parks there
        report(format!(
            "another stack unwinds: {}",
            std::thread::panicking()
        ));

        struct Reset;
        let mut thrown_into = Generator::<(), u32, ()>::new(|y, ()| {
            let mut n = 0;
            loop {
                n += 1;
                match catch_unwind(AssertUnwindSafe(|| y.yield_(n))) {
                    Ok(()) => {}
                    Err(payload) if payload.is::<Reset>() => n = 0, // and yield again
                    Err(other) => std::panic::resume_unwind(other),
                }
            }
        });
        assert_eq!(thrown_into.resume(()), GeneratorState::Yielded(1));
        report(caught_message(|| thrown_into.throw(Box::new(Reset))));

        let mut panicked_in = Generator::<(), u32, ()>::new(|y, ()| {
            let _ = catch_unwind(|| panic!("caught inside"));
            y.yield_(1);
        });
        report(caught_message(|| panicked_in.resume(())));

        drop(held);
        report(format!(
            "the paused task: {:?}",
            paused.join().map_err(|e| e.is_cancelled())
        ));
    });
    report("run returned");
}
