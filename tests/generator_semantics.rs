//! The core generator protocol: values flowing in and out in order, when the
//! body starts, return values, status transitions, yielding from nested plain
//! functions, the `Iterator` adapters, a chained-generator pipeline and
//! custom stack sizes.

mod util;

use std::cell::RefCell;
use std::hint::black_box;
use std::iter::FusedIterator;
use std::rc::Rc;

use corio::{Generator, GeneratorState, Status, Yielder};

#[test]
fn inputs_and_outputs_flow_in_order() {
    let received = Rc::new(RefCell::new(Vec::new()));
    let log = Rc::clone(&received);
    let mut g = Generator::new(move |y: &Yielder<i32, String>, first: i32| {
        log.borrow_mut().push(first);
        let mut input = first;
        for round in 0..3 {
            input = y.yield_(format!("round {round} saw {input}"));
            log.borrow_mut().push(input);
        }
        input * 10
    });

    assert_eq!(
        g.resume(7),
        GeneratorState::Yielded("round 0 saw 7".to_string())
    );
    assert_eq!(
        g.resume(8),
        GeneratorState::Yielded("round 1 saw 8".to_string())
    );
    assert_eq!(
        g.resume(9),
        GeneratorState::Yielded("round 2 saw 9".to_string())
    );
    assert_eq!(g.resume(10), GeneratorState::Complete(100));
    assert_eq!(*received.borrow(), [7, 8, 9, 10]);
}

#[test]
fn body_starts_only_on_first_resume_with_its_input() {
    let started = util::flag();
    let first_input = Rc::new(RefCell::new(None));
    let (started_in, first_in) = (Rc::clone(&started), Rc::clone(&first_input));
    let mut g = Generator::new(move |y: &Yielder<&'static str, ()>, input| {
        started_in.set(true);
        *first_in.borrow_mut() = Some(input);
        y.yield_(());
    });

    assert!(!started.get(), "the body ran before the first resume");
    assert_eq!(g.status(), Status::Created);
    assert_eq!(g.resume("hello"), GeneratorState::Yielded(()));
    assert!(started.get());
    assert_eq!(*first_input.borrow(), Some("hello"));
}

#[test]
fn return_value_arrives_as_complete() {
    let mut g = Generator::<(), u8, Vec<&str>>::new(|y, ()| {
        y.yield_(1);
        vec!["done", "and", "dusted"]
    });
    assert_eq!(g.resume(()), GeneratorState::Yielded(1));
    assert_eq!(
        g.resume(()),
        GeneratorState::Complete(vec!["done", "and", "dusted"])
    );
}

#[test]
fn body_that_never_yields_completes_on_first_resume() {
    let mut g = Generator::<u32, (), u32>::new(|_, x| x + 1);
    assert_eq!(g.status(), Status::Created);
    assert_eq!(g.resume(41), GeneratorState::Complete(42));
    assert_eq!(g.status(), Status::Complete);
}

#[test]
fn status_moves_created_suspended_complete() {
    let mut g = Generator::<(), u32, ()>::new(|y, ()| {
        y.yield_(1);
        y.yield_(2);
    });
    assert_eq!(g.status(), Status::Created);
    assert_eq!(g.resume(()), GeneratorState::Yielded(1));
    assert_eq!(g.status(), Status::Suspended);
    assert_eq!(g.resume(()), GeneratorState::Yielded(2));
    assert_eq!(g.status(), Status::Suspended);
    assert_eq!(g.resume(()), GeneratorState::Complete(()));
    assert_eq!(g.status(), Status::Complete);
    assert!(format!("{g:?}").contains("Complete"));
}

fn level_one(y: &Yielder<u32, u32>, seed: u32) -> u32 {
    let got = level_two(y, seed + 1);
    got + 1000
}

fn level_two(y: &Yielder<u32, u32>, seed: u32) -> u32 {
    let got = level_three(y, seed + 1);
    got + 100
}

fn level_three(y: &Yielder<u32, u32>, seed: u32) -> u32 {
    let a = y.yield_(seed);
    let b = y.yield_(seed + a);
    a + b
}

#[test]
fn plain_function_three_calls_deep_can_yield() {
    let mut g = Generator::new(|y, start: u32| level_one(y, start));
    assert_eq!(g.resume(1), GeneratorState::Yielded(3));
    assert_eq!(g.resume(5), GeneratorState::Yielded(8));
    assert_eq!(g.resume(6), GeneratorState::Complete(5 + 6 + 100 + 1000));
}

#[test]
fn generator_is_an_iterator() {
    let g = Generator::new(|y, ()| {
        for word in ["alpha", "beta", "gamma"] {
            y.yield_(word.to_uppercase());
        }
    });
    assert_eq!(g.collect::<Vec<_>>(), ["ALPHA", "BETA", "GAMMA"]);
}

#[test]
fn gen_helper_builds_an_infinite_iterator() {
    let odds = corio::r#gen(|y| {
        let mut n = 1u64;
        loop {
            y.yield_(n);
            n += 2;
        }
    });
    assert_eq!(odds.skip(2).take(4).collect::<Vec<_>>(), [5, 7, 9, 11]);
}

fn assert_fused<I: FusedIterator>(_: &I) {}

#[test]
fn iterator_stays_finished_after_the_end() {
    let mut it = corio::r#gen(|y| {
        y.yield_('a');
        y.yield_('b');
    });
    assert_fused(&it);
    assert_eq!(it.next(), Some('a'));
    assert_eq!(it.next(), Some('b'));
    assert_eq!(it.next(), None);
    assert_eq!(it.status(), Status::Complete);
    // Unlike `resume`, `next` on a finished generator does not panic.
    for _ in 0..3 {
        assert_eq!(it.next(), None);
    }
}

/// Yields 2, 3, 4, ... forever.
fn counting_from_two() -> Generator<(), u32, ()> {
    corio::r#gen(|y| {
        let mut n = 2;
        loop {
            y.yield_(n);
            n += 1;
        }
    })
}

/// Passes on what `source` yields, minus the multiples of `prime`.
fn without_multiples(prime: u32, mut source: Generator<(), u32, ()>) -> Generator<(), u32, ()> {
    corio::r#gen(move |y| {
        for n in &mut source {
            if n % prime != 0 {
                y.yield_(n);
            }
        }
    })
}

#[test]
fn prime_sieve_of_chained_generators() {
    let limit = 80;
    let filters_built = Rc::new(RefCell::new(0));
    let built = Rc::clone(&filters_built);
    let primes = corio::r#gen(move |y| {
        let mut source = counting_from_two();
        // Each resume of `source` resumes the whole chain of filters.
        while let Some(prime) = source.next() {
            if prime > limit {
                break;
            }
            y.yield_(prime);
            source = without_multiples(prime, source);
            *built.borrow_mut() += 1;
        }
    });
    let found: Vec<u32> = primes.collect();
    assert_eq!(
        found,
        [
            2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79
        ]
    );
    assert_eq!(found.len(), 22);
    assert_eq!(*filters_built.borrow(), 22);
}

/// Recurses `depth` times with a 128-byte local per frame, yielding once at
/// the bottom, and returns the sum of the bytes it wrote.
fn deep(y: &Yielder<(), usize>, depth: usize) -> usize {
    let mut frame = [0u8; 128];
    frame[depth % 128] = 1;
    black_box(&mut frame);
    let below = if depth == 0 {
        y.yield_(0);
        0
    } else {
        deep(y, depth - 1)
    };
    below + frame.iter().map(|&b| usize::from(b)).sum::<usize>()
}

#[test]
fn larger_stack_allows_deep_recursion() {
    let depth = 20_000; // well over the default 256 KiB at >= 128 B a frame
    let mut g =
        Generator::<(), usize, usize>::with_stack_size(16 << 20, move |y, ()| deep(y, depth));
    // The yield at the bottom of the recursion suspends the whole deep stack.
    assert_eq!(g.resume(()), GeneratorState::Yielded(0));
    assert_eq!(g.status(), Status::Suspended);
    assert_eq!(g.resume(()), GeneratorState::Complete(depth + 1));
}

#[test]
fn tiny_requested_stack_is_rounded_up_and_works() {
    let mut g = Generator::<(), usize, usize>::with_stack_size(1, |y, ()| deep(y, 10));
    assert_eq!(g.resume(()), GeneratorState::Yielded(0));
    assert_eq!(g.resume(()), GeneratorState::Complete(11));
    let made =
        Generator::<(), (), ()>::try_with_stack_size(corio::stack::MIN_STACK_SIZE, |_, ()| {});
    assert!(made.is_ok());
}
