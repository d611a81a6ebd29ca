//! Criterion benchmarks: corio's runtime against tokio (current_thread),
//! may (one worker) and, where it makes sense, `std::thread` and bare
//! corosensei, each group measuring corio and its anchors side by side.
//!
//! - `spawn_join`: start a task that returns at once and wait for it.
//! - `yield_switch`: two tasks alternate with `yield_now`; the time is per
//!   switch (one yield). `corosensei_floor` resumes two raw coroutines in
//!   turn: what a switch costs with no scheduler at all.
//! - `channel_ping_pong`: one round trip of a number over two capacity-1
//!   channels between two tasks (may's channel is unbounded; with one
//!   value in flight that makes no difference).
//!
//! The runtimes are set up outside the timed loop: each measurement is an
//! `iter_custom` whose iterations all run inside one `corio::run`, one
//! tokio `block_on` or one may coroutine (see `support/runtime_workloads.rs`,
//! shared with `benches/runtime_ratios.rs`, which prints the ratios).
//!
//! Run with `cargo bench --bench runtime`; times are kept short (2 s per
//! function) because the machine is small and shared.

#[path = "support/runtime_workloads.rs"]
mod workloads;

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

fn spawn_join(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_join");
    let rt = workloads::tokio_runtime();
    group.bench_function("corio", |b| b.iter_custom(workloads::corio_spawn_join));
    group.bench_function("tokio_current_thread", |b| {
        b.iter_custom(|n| workloads::tokio_spawn_join(&rt, n))
    });
    group.bench_function("may_1_worker", |b| b.iter_custom(workloads::may_spawn_join));
    group.bench_function("std_thread", |b| {
        b.iter_custom(workloads::thread_spawn_join)
    });
    group.finish();
}

fn yield_switch(c: &mut Criterion) {
    let mut group = c.benchmark_group("yield_switch");
    let rt = workloads::tokio_runtime();
    group.bench_function("corio", |b| b.iter_custom(workloads::corio_switches));
    group.bench_function("tokio_current_thread", |b| {
        b.iter_custom(|n| workloads::tokio_switches(&rt, n))
    });
    group.bench_function("may_1_worker", |b| b.iter_custom(workloads::may_switches));
    group.bench_function("corosensei_floor", |b| {
        b.iter_custom(|n| workloads::corosensei_round_robin(2, n))
    });
    group.finish();
}

fn channel_ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("channel_ping_pong");
    let rt = workloads::tokio_runtime();
    group.bench_function("corio", |b| b.iter_custom(workloads::corio_round_trips));
    group.bench_function("tokio_current_thread", |b| {
        b.iter_custom(|n| workloads::tokio_round_trips(&rt, n))
    });
    group.bench_function("may_1_worker", |b| {
        b.iter_custom(workloads::may_round_trips)
    });
    group.finish();
}

/// Tasks alive at once in one burst; each criterion iteration is a burst.
const BURST: u64 = 10_000;

fn burst(c: &mut Criterion) {
    let mut group = c.benchmark_group("burst_10k_spawn_then_join");
    let rt = workloads::tokio_runtime();
    group.bench_function("corio", |b| {
        b.iter_custom(|n| (0..n).map(|_| workloads::corio_burst(BURST)).sum())
    });
    group.bench_function("tokio_current_thread", |b| {
        b.iter_custom(|n| (0..n).map(|_| workloads::tokio_burst(&rt, BURST)).sum())
    });
    group.finish();
}

fn short_config() -> Criterion {
    workloads::may_single_worker();
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = short_config();
    targets = spawn_join, burst, yield_switch, channel_ping_pong
}
criterion_main!(benches);
