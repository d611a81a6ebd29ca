//! `Yielder::yield_from` (Python's `yield from`): forwarding yields out and
//! inputs in, returning the inner generator's result, nesting, and closing
//! or dropping an outer generator while it is delegating.

mod util;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use corio::{Generator, GeneratorState, Status, Yielder};
use util::DropCounter;

#[test]
fn yield_from_forwards_yields_inputs_and_result() {
    let inner_inputs = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::clone(&inner_inputs);
    let mut outer = Generator::new(move |y: &Yielder<u32, String>, first: u32| {
        let after_start = y.yield_(format!("outer started with {first}"));
        let inner = Generator::new(move |y: &Yielder<u32, String>, initial: u32| {
            log.borrow_mut().push(initial);
            let a = y.yield_("inner a".to_string());
            log.borrow_mut().push(a);
            let b = y.yield_("inner b".to_string());
            log.borrow_mut().push(b);
            initial + a + b
        });
        let total = y.yield_from(inner);
        let last = y.yield_(format!("inner returned {total}"));
        (after_start, total, last)
    });

    assert_eq!(
        outer.resume(100),
        GeneratorState::Yielded("outer started with 100".into())
    );
    // This input goes to the outer's own yield; the inner starts with 0.
    assert_eq!(outer.resume(1), GeneratorState::Yielded("inner a".into()));
    assert_eq!(outer.resume(20), GeneratorState::Yielded("inner b".into()));
    assert_eq!(
        outer.resume(300),
        GeneratorState::Yielded("inner returned 320".into())
    );
    assert_eq!(outer.resume(4), GeneratorState::Complete((1, 320, 4)));
    assert_eq!(*inner_inputs.borrow(), [0, 20, 300]);
}

#[test]
fn inner_first_input_is_default() {
    let mut outer = Generator::new(|y: &Yielder<String, String>, _first: String| {
        y.yield_from(Generator::new(
            |_: &Yielder<String, String>, initial: String| initial,
        ))
    });
    assert_eq!(
        outer.resume("ignored by the inner".into()),
        GeneratorState::Complete(String::new())
    );
}

#[test]
fn yield_from_an_inner_that_never_yields_returns_at_once() {
    let mut outer = Generator::<(), u8, u8>::new(|y, ()| {
        let got = y.yield_from(Generator::new(|_, ()| 9u8));
        y.yield_(got);
        got + 1
    });
    assert_eq!(outer.resume(()), GeneratorState::Yielded(9));
    assert_eq!(outer.resume(()), GeneratorState::Complete(10));
}

fn leaf() -> Generator<i32, &'static str, i32> {
    Generator::new(|y, start: i32| {
        let a = y.yield_("leaf 1");
        let b = y.yield_("leaf 2");
        start + a * b
    })
}

fn middle() -> Generator<i32, &'static str, String> {
    Generator::new(|y, _| {
        y.yield_("middle before");
        let from_leaf = y.yield_from(leaf());
        y.yield_("middle after");
        format!("middle({from_leaf})")
    })
}

#[test]
fn delegation_nests_two_levels_deep() {
    let mut top = Generator::new(|y: &Yielder<i32, &'static str>, _| {
        let from_middle = y.yield_from(middle());
        format!("top({from_middle})")
    });
    let mut seen = Vec::new();
    let mut input = 0;
    let result = loop {
        match top.resume(input) {
            GeneratorState::Yielded(label) => seen.push(label),
            GeneratorState::Complete(result) => break result,
        }
        input += 3; // 3, 6, 9, 12 reach the yields in order
    };
    assert_eq!(seen, ["middle before", "leaf 1", "leaf 2", "middle after"]);
    // The leaf got 6 and 9 (its start value is the default 0).
    assert_eq!(result, "top(middle(54))");
}

#[test]
fn delegating_generators_iterate() {
    let outer = corio::r#gen(|y| {
        y.yield_(0);
        y.yield_from(corio::r#gen(|y| (1..=3).for_each(|n| y.yield_(n))));
        y.yield_(4);
    });
    assert_eq!(outer.collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
}

/// An outer generator suspended inside `yield_from`, with one guard on its
/// own stack and two on the inner's (in nested frames). `resumed_after`
/// records whether any code after the suspension point ran.
fn suspended_delegation(
    dropped: &Rc<Cell<usize>>,
    resumed_after: &Rc<Cell<bool>>,
) -> Generator<(), u32, ()> {
    fn inner_frame(y: &Yielder<(), u32>, dropped: &Rc<Cell<usize>>) {
        let _in_frame = DropCounter::new(dropped);
        y.yield_(1);
        y.yield_(2);
    }
    let (dropped, after) = (Rc::clone(dropped), Rc::clone(resumed_after));
    let mut outer = Generator::new(move |y, ()| {
        let _outer_guard = DropCounter::new(&dropped);
        let inner_dropped = Rc::clone(&dropped);
        let inner_after = Rc::clone(&after);
        y.yield_from(Generator::new(move |y, ()| {
            let _inner_guard = DropCounter::new(&inner_dropped);
            inner_frame(y, &inner_dropped);
            inner_after.set(true);
        }));
        after.set(true);
    });
    assert_eq!(outer.resume(()), GeneratorState::Yielded(1));
    outer
}

#[test]
fn closing_outer_while_delegating_closes_inner() {
    let (dropped, after) = (util::counter(), util::flag());
    let mut outer = suspended_delegation(&dropped, &after);
    assert_eq!(dropped.get(), 0);
    outer.close();
    assert_eq!(
        dropped.get(),
        3,
        "every guard on both stacks must be dropped"
    );
    assert!(!after.get(), "no code after the pending yields may run");
    assert_eq!(outer.status(), Status::Complete);
    drop(outer);
    assert_eq!(dropped.get(), 3, "nothing is dropped twice");
}

#[test]
fn dropping_outer_while_delegating_closes_inner() {
    let (dropped, after) = (util::counter(), util::flag());
    let outer = suspended_delegation(&dropped, &after);
    drop(outer);
    assert_eq!(
        dropped.get(),
        3,
        "every guard on both stacks must be dropped"
    );
    assert!(!after.get());
}

#[test]
fn yield_from_a_completed_generator_panics() {
    let mut outer = Generator::<(), (), ()>::new(|y, ()| {
        let mut finished = Generator::<(), (), u8>::new(|_, ()| 1);
        assert_eq!(finished.resume(()), GeneratorState::Complete(1));
        y.yield_from(finished);
    });
    let message = util::expect_panic(|| outer.resume(()));
    assert!(
        message.contains("cannot resume"),
        "unexpected message: {message}"
    );
    assert_eq!(outer.status(), Status::Complete);
}
