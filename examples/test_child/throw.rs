//! `Generator::throw` scenarios that end the process: a destructor that
//! yields while a thrown payload unwinds its generator (a stack cannot be
//! suspended in the middle of unwinding, so corio aborts with a message).

use std::panic::{AssertUnwindSafe, catch_unwind};

use corio::{Generator, GeneratorState, Yielder};

use super::support::report;

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
