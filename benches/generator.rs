//! Criterion benchmarks: corio generators against raw corosensei coroutines.
//!
//! - `resume_yield_round_trip`: one resume of an already-running coroutine
//!   that yields a counter straight back, i.e. the cost of two stack switches
//!   plus whatever bookkeeping each side adds.
//! - `create_and_finish`: build a coroutine, resume it once so its body
//!   returns, drop it. corio takes its stack from the per-thread pool;
//!   corosensei maps a fresh `DefaultStack` each time (what a pool saves),
//!   and corosensei on one reused stack is the floor.
//!
//! Run with `cargo bench --bench generator`; times are kept short so the
//! whole file finishes in well under a minute. For ratios printed in one
//! run see `benches/generator_ratios.rs`.

use std::hint::black_box;
use std::time::Duration;

use corio::{Generator, GeneratorState};
use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult};
use criterion::{Criterion, criterion_group, criterion_main};

/// Same usable size as corio's default slot, so both sides get equal stacks.
const STACK_BYTES: usize = 256 * 1024;

fn resume_yield_round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("resume_yield_round_trip");

    group.bench_function("corio", |b| {
        let mut counter = Generator::<(), u64, ()>::new(|y, ()| {
            let mut n = 0u64;
            loop {
                y.yield_(n);
                n = n.wrapping_add(1);
            }
        });
        b.iter(|| match counter.resume(()) {
            GeneratorState::Yielded(n) => black_box(n),
            GeneratorState::Complete(()) => unreachable!("the counter never returns"),
        });
    });

    group.bench_function("corosensei", |b| {
        let stack = DefaultStack::new(STACK_BYTES).expect("map a corosensei stack");
        let mut counter = Coroutine::<(), u64, (), _>::with_stack(stack, |y, ()| {
            let mut n = 0u64;
            loop {
                y.suspend(n);
                n = n.wrapping_add(1);
            }
        });
        b.iter(|| match counter.resume(()) {
            CoroutineResult::Yield(n) => black_box(n),
            CoroutineResult::Return(()) => unreachable!("the counter never returns"),
        });
    });

    group.finish();
}

fn create_and_finish(c: &mut Criterion) {
    let mut group = c.benchmark_group("create_and_finish");

    group.bench_function("corio_pooled", |b| {
        b.iter(|| {
            let mut g = Generator::<(), (), u64>::new(|_, ()| black_box(7));
            black_box(g.resume(()));
        });
    });

    group.bench_function("corosensei_fresh_stack", |b| {
        b.iter(|| {
            let stack = DefaultStack::new(STACK_BYTES).expect("map a corosensei stack");
            let mut co = Coroutine::<(), (), u64, _>::with_stack(stack, |_, ()| black_box(7));
            black_box(co.resume(()));
        });
    });

    group.bench_function("corosensei_reused_stack", |b| {
        let mut stack = DefaultStack::new(STACK_BYTES).expect("map a corosensei stack");
        b.iter(|| {
            // `Coroutine::with_stack` wants a `'static` stack, which `&mut
            // stack` is not; the unchecked constructor only drops that bound.
            // SAFETY: the body borrows nothing, and the coroutine (with its
            // `&mut` borrow of `stack`) is dropped at the end of this closure.
            let mut co = unsafe {
                Coroutine::<(), (), u64, _>::with_stack_unchecked(&mut stack, |_, ()| black_box(7))
            };
            black_box(co.resume(()));
        });
    });

    group.finish();
}

fn short_config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = short_config();
    targets = resume_yield_round_trip, create_and_finish
}
criterion_main!(benches);
