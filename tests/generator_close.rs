//! Closing and dropping generators (Python's `close()` / `GeneratorExit`):
//! every destructor on a suspended generator's stack runs, bodies that never
//! started never run, finished generators are left alone, and bodies that
//! yield while being closed are reported (by a panic, or by aborting the
//! process when the yield comes from a destructor).

mod util;

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use corio::{Generator, GeneratorState, Status, Yielder};
use util::DropCounter;

fn second_frame(y: &Yielder<(), u32>, dropped: &Rc<Cell<usize>>) {
    let _two = DropCounter::new(dropped);
    third_frame(y, dropped);
    unreachable!("closed generators never get past their pending yield");
}

fn third_frame(y: &Yielder<(), u32>, dropped: &Rc<Cell<usize>>) {
    let _three = DropCounter::new(dropped);
    y.yield_(3);
    y.yield_(4);
}

/// A generator suspended with one guard in each of three nested frames.
fn suspended_with_three_guards(dropped: &Rc<Cell<usize>>) -> Generator<(), u32, ()> {
    let dropped = Rc::clone(dropped);
    let mut g = Generator::new(move |y, ()| {
        let _one = DropCounter::new(&dropped);
        second_frame(y, &dropped);
    });
    assert_eq!(g.resume(()), GeneratorState::Yielded(3));
    g
}

#[test]
fn dropping_a_suspended_generator_runs_every_destructor() {
    let dropped = util::counter();
    let g = suspended_with_three_guards(&dropped);
    assert_eq!(dropped.get(), 0);
    drop(g);
    assert_eq!(dropped.get(), 3);
}

#[test]
fn close_runs_every_destructor_and_completes() {
    let dropped = util::counter();
    let mut g = suspended_with_three_guards(&dropped);
    g.close();
    assert_eq!(dropped.get(), 3);
    assert_eq!(g.status(), Status::Complete);
    g.close();
    drop(g);
    assert_eq!(
        dropped.get(),
        3,
        "closing twice and dropping must not drop again"
    );
}

#[test]
fn closed_generator_cannot_be_resumed() {
    let dropped = util::counter();
    let mut g = suspended_with_three_guards(&dropped);
    g.close();
    let message = util::expect_panic(|| g.resume(()));
    assert!(
        message.contains("cannot resume"),
        "unexpected message: {message}"
    );
}

/// An outer generator suspended while a nested generator, itself suspended
/// with two guards, lives on the outer's stack next to one guard of its own.
fn suspended_with_nested_generator(dropped: &Rc<Cell<usize>>) -> Generator<(), &'static str, ()> {
    let dropped = Rc::clone(dropped);
    let mut outer = Generator::new(move |y, ()| {
        let _outer_guard = DropCounter::new(&dropped);
        let inner_dropped = Rc::clone(&dropped);
        let mut inner = Generator::<(), (), ()>::new(move |y, ()| {
            let _a = DropCounter::new(&inner_dropped);
            let _b = DropCounter::new(&inner_dropped);
            y.yield_(());
        });
        assert_eq!(inner.resume(()), GeneratorState::Yielded(()));
        y.yield_("outer suspended");
        drop(inner);
    });
    assert_eq!(outer.resume(()), GeneratorState::Yielded("outer suspended"));
    outer
}

#[test]
fn dropping_unwinds_nested_generators_on_the_stack() {
    let dropped = util::counter();
    drop(suspended_with_nested_generator(&dropped));
    assert_eq!(dropped.get(), 3);
}

#[test]
fn closing_unwinds_nested_generators_on_the_stack() {
    let dropped = util::counter();
    let mut outer = suspended_with_nested_generator(&dropped);
    outer.close();
    assert_eq!(dropped.get(), 3);
    assert_eq!(outer.status(), Status::Complete);
}

#[test]
fn closing_a_never_started_generator_only_drops_its_captures() {
    let (ran, dropped) = (util::flag(), util::counter());
    let captured = DropCounter::new(&dropped);
    let ran_in = Rc::clone(&ran);
    let mut g = Generator::<(), (), ()>::new(move |y, ()| {
        ran_in.set(true);
        let _keep = &captured;
        y.yield_(());
    });
    assert_eq!(g.status(), Status::Created);
    g.close();
    assert!(!ran.get(), "close must not run the body");
    assert_eq!(dropped.get(), 1, "the closure's captures are dropped");
    assert_eq!(g.status(), Status::Complete);
    drop(g);
    assert_eq!(dropped.get(), 1);
}

#[test]
fn dropping_a_never_started_generator_only_drops_its_captures() {
    let (ran, dropped) = (util::flag(), util::counter());
    let captured = DropCounter::new(&dropped);
    let ran_in = Rc::clone(&ran);
    let g = Generator::<(), (), ()>::new(move |_, ()| {
        ran_in.set(true);
        drop(captured);
    });
    drop(g);
    assert!(!ran.get());
    assert_eq!(dropped.get(), 1);
}

#[test]
fn closing_a_complete_generator_does_nothing() {
    let dropped = util::counter();
    let captured = DropCounter::new(&dropped);
    let mut g = Generator::<(), u8, u8>::new(move |y, ()| {
        let _guard = DropCounter::new(&captured.0);
        y.yield_(1);
        2
    });
    assert_eq!(g.resume(()), GeneratorState::Yielded(1));
    assert_eq!(g.resume(()), GeneratorState::Complete(2));
    assert_eq!(
        dropped.get(),
        2,
        "the guard and the captured counter are gone"
    );
    g.close();
    g.close();
    assert_eq!(g.status(), Status::Complete);
    drop(g);
    assert_eq!(dropped.get(), 2);
}

/// A body that swallows the close unwind and then yields again.
fn stubborn(dropped: &Rc<Cell<usize>>) -> Generator<(), u32, ()> {
    let dropped = Rc::clone(dropped);
    let mut g = Generator::new(move |y, ()| {
        let _outer = DropCounter::new(&dropped);
        let caught = catch_unwind(AssertUnwindSafe(|| {
            let _inner = DropCounter::new(&dropped);
            y.yield_(1);
        }));
        assert!(caught.is_err(), "the close arrives as an unwind");
        y.yield_(2);
    });
    assert_eq!(g.resume(()), GeneratorState::Yielded(1));
    g
}

#[test]
fn yielding_while_being_closed_makes_close_panic() {
    let dropped = util::counter();
    let mut g = stubborn(&dropped);
    let message = util::expect_panic(|| g.close());
    assert!(
        message.contains("yielded while being closed"),
        "unexpected message: {message}"
    );
    assert_eq!(
        dropped.get(),
        2,
        "both guards are still dropped on the way out"
    );
    assert_eq!(g.status(), Status::Complete);
}

#[test]
fn yielding_while_being_dropped_makes_drop_panic() {
    let dropped = util::counter();
    let g = stubborn(&dropped);
    let message = util::expect_panic(move || drop(g));
    assert!(
        message.contains("yielded while being closed"),
        "unexpected message: {message}"
    );
    assert_eq!(dropped.get(), 2);
}

/// The scenario (in `examples/test_child/main.rs`) closes a generator whose
/// destructor yields; that kills the process, so it runs in a child.
#[test]
fn yielding_from_a_destructor_during_close_aborts() {
    let stderr = util::process::child_killed_by("yield_in_destructor", util::SIGABRT);
    assert!(
        stderr.contains("yielded while being closed"),
        "stderr:\n{stderr}"
    );
    assert!(!stderr.contains("close returned"), "stderr:\n{stderr}");
}

#[test]
fn generator_dropped_by_an_unrelated_panic_still_unwinds() {
    let dropped = util::counter();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let _g = suspended_with_three_guards(&dropped);
        let _nested = suspended_with_nested_generator(&dropped);
        panic!("caller failed while generators were suspended");
    }));
    let message = util::panic_message(outcome.expect_err("the caller panics").as_ref());
    assert_eq!(
        message.as_deref(),
        Some("caller failed while generators were suspended")
    );
    assert_eq!(
        dropped.get(),
        6,
        "both generators were unwound during the panic"
    );
}

#[test]
fn body_that_swallows_the_close_and_returns_is_fine() {
    let finished_cleanup = util::flag();
    let cleanup = Rc::clone(&finished_cleanup);
    let mut g = Generator::<(), u8, ()>::new(move |y, ()| {
        let caught = catch_unwind(AssertUnwindSafe(|| y.yield_(1)));
        // Like Python code that catches GeneratorExit and then returns.
        cleanup.set(caught.is_err());
    });
    assert_eq!(g.resume(()), GeneratorState::Yielded(1));
    g.close();
    assert!(
        finished_cleanup.get(),
        "the body saw the close as an unwind and finished"
    );
    assert_eq!(g.status(), Status::Complete);
}
