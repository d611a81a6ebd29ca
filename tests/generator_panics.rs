//! Panics and generators: a panic in a body leaves through `resume` with its
//! payload intact after unwinding the generator's stack, a finished
//! generator refuses to be resumed, and panics cross `yield_from`.

mod util;

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind, panic_any};
use std::rc::Rc;

use corio::{Generator, GeneratorState, Status, Yielder};
use util::DropCounter;

#[test]
fn body_panic_comes_out_of_resume_and_completes() {
    let mut g = Generator::<u32, u32, ()>::new(|y, first| {
        let second = y.yield_(first + 1);
        panic!("body gave up after {first} and {second}");
    });
    assert_eq!(g.resume(1), GeneratorState::Yielded(2));
    let message = util::expect_panic(|| g.resume(5));
    assert_eq!(message, "body gave up after 1 and 5");
    assert_eq!(g.status(), Status::Complete);
}

#[test]
fn panic_on_the_first_resume_with_a_static_message() {
    let mut g = Generator::<(), (), ()>::new(|_, ()| panic!("immediately"));
    assert_eq!(util::expect_panic(|| g.resume(())), "immediately");
    assert_eq!(g.status(), Status::Complete);
}

#[derive(Debug, PartialEq)]
struct CustomPayload {
    code: u32,
}

#[test]
fn non_string_payload_passes_through_unchanged() {
    let mut g = Generator::<(), (), ()>::new(|_, ()| panic_any(CustomPayload { code: 7 }));
    let payload = catch_unwind(AssertUnwindSafe(|| g.resume(()))).expect_err("resume must panic");
    assert_eq!(
        payload.downcast_ref::<CustomPayload>(),
        Some(&CustomPayload { code: 7 })
    );
}

fn nested_then_panic(y: &Yielder<(), u8>, dropped: &Rc<Cell<usize>>) {
    let _middle = DropCounter::new(dropped);
    innermost_then_panic(y, dropped);
}

fn innermost_then_panic(y: &Yielder<(), u8>, dropped: &Rc<Cell<usize>>) {
    let _inner = DropCounter::new(dropped);
    y.yield_(1);
    assert_eq!(dropped.get(), 0, "nothing is dropped before the panic");
    panic!("deep failure");
}

#[test]
fn destructors_run_while_a_body_panics() {
    let dropped = util::counter();
    let in_body = Rc::clone(&dropped);
    let mut g = Generator::new(move |y, ()| {
        let _outer = DropCounter::new(&in_body);
        nested_then_panic(y, &in_body);
    });
    assert_eq!(g.resume(()), GeneratorState::Yielded(1));
    assert_eq!(util::expect_panic(|| g.resume(())), "deep failure");
    assert_eq!(dropped.get(), 3);
    drop(g);
    assert_eq!(dropped.get(), 3, "a panicked generator drops nothing twice");
}

#[test]
fn resuming_after_completion_panics() {
    let mut g = Generator::<(), u8, u8>::new(|y, ()| {
        y.yield_(1);
        2
    });
    assert_eq!(g.resume(()), GeneratorState::Yielded(1));
    assert_eq!(g.resume(()), GeneratorState::Complete(2));
    let message = util::expect_panic(|| g.resume(()));
    assert!(
        message.contains("cannot resume"),
        "unexpected message: {message}"
    );
    // Still complete, and asking again gives the same answer.
    assert_eq!(g.status(), Status::Complete);
    let again = util::expect_panic(|| g.resume(()));
    assert!(
        again.contains("cannot resume"),
        "unexpected message: {again}"
    );
}

#[test]
fn resuming_after_a_panic_panics() {
    let mut g = Generator::<(), (), ()>::new(|_, ()| panic!("first failure"));
    assert_eq!(util::expect_panic(|| g.resume(())), "first failure");
    let message = util::expect_panic(|| g.resume(()));
    assert!(
        message.contains("cannot resume"),
        "unexpected message: {message}"
    );
}

#[test]
fn panic_in_an_inner_generator_propagates_through_yield_from() {
    let dropped = util::counter();
    let outer_drops = Rc::clone(&dropped);
    let after = util::flag();
    let after_in = Rc::clone(&after);
    let mut outer = Generator::<(), &str, ()>::new(move |y, ()| {
        let _outer_guard = DropCounter::new(&outer_drops);
        let inner_drops = Rc::clone(&outer_drops);
        // The inner returns `()` on paper, so code after `yield_from` is reachable.
        y.yield_from(Generator::<(), &str, ()>::new(move |y, ()| {
            let _inner_guard = DropCounter::new(&inner_drops);
            y.yield_("inner ready");
            panic!("inner exploded");
        }));
        after_in.set(true);
    });
    assert_eq!(outer.resume(()), GeneratorState::Yielded("inner ready"));
    assert_eq!(util::expect_panic(|| outer.resume(())), "inner exploded");
    assert_eq!(outer.status(), Status::Complete);
    assert!(
        !after.get(),
        "the outer body must not continue past yield_from"
    );
    assert_eq!(dropped.get(), 2, "guards on both stacks are dropped");
}

#[test]
fn outer_body_can_catch_a_panic_from_yield_from() {
    let mut outer = Generator::<(), u32, String>::new(|y, ()| {
        let inner = Generator::<(), u32, ()>::new(|y, ()| {
            y.yield_(10);
            panic!("inner failed at 10");
        });
        let caught = catch_unwind(AssertUnwindSafe(|| y.yield_from(inner)));
        let message = util::panic_message(caught.expect_err("inner must panic").as_ref());
        y.yield_(20);
        format!("recovered from: {}", message.unwrap_or_default())
    });
    assert_eq!(outer.resume(()), GeneratorState::Yielded(10));
    assert_eq!(outer.resume(()), GeneratorState::Yielded(20));
    assert_eq!(
        outer.resume(()),
        GeneratorState::Complete("recovered from: inner failed at 10".to_string())
    );
}

#[test]
fn a_panicking_generator_does_not_disturb_others() {
    let mut healthy = corio::r#gen(|y| (0..3).for_each(|n| y.yield_(n)));
    assert_eq!(healthy.next(), Some(0));
    let mut broken = Generator::<(), (), ()>::new(|_, ()| panic!("broken"));
    assert_eq!(util::expect_panic(|| broken.resume(())), "broken");
    assert_eq!(healthy.collect::<Vec<_>>(), [1, 2]);
}
