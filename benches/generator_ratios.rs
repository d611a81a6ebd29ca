//! One-shot measurements that print ratios against corosensei and the
//! memory cost of a million live generators, as a table.
//!
//! Criterion reports each benchmark on its own; this binary times both sides
//! of a comparison in the same process, alternating between them, and prints
//! the ratio next to the design target.
//!
//! ```text
//! cargo bench --bench generator_ratios                         # full, < 60 s
//! CORIO_BENCH_QUICK=1 cargo bench --bench generator_ratios     # smoke, seconds
//! ```
//!
//! Linux only: memory figures come from `/proc/self/statm` and
//! `/proc/self/maps`.
//!
//! A round trip is only a dozen or so cycles, so the round-trip ratio moves
//! by a tenth or more with machine load and with where the linker happened to
//! put the two loops; read it over a few runs.

use std::fs;
use std::hint::black_box;
use std::time::{Duration, Instant};

use corio::stack::{DEFAULT_STACK_SIZE, default_pool_counts};
use corio::{Generator, GeneratorState, Status};
use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult};

/// Timed repetitions per measurement; the fastest one is reported.
const REPS: usize = 7;

/// Design target: a corio resume/yield round trip costs at most this many
/// times a bare corosensei one.
const ROUND_TRIP_TARGET: f64 = 1.15;

/// Design target: resident memory per suspended generator, in KiB.
const RSS_TARGET_KIB: f64 = 4.5;

/// The kernel's default `vm.max_map_count`.
const DEFAULT_MAX_MAP_COUNT: usize = 65_530;

/// corio only supports 4 KiB pages, so statm's page counts are this size.
const PAGE_BYTES: u64 = 4096;

/// How much work each measurement does.
struct Plan {
    /// Resumes per timed repetition of the round-trip loops.
    round_trips: u64,
    /// Create+finish cycles per repetition on a pooled or reused stack.
    cheap_creates: u64,
    /// Create+finish cycles per repetition with a freshly mapped stack.
    fresh_creates: u64,
    /// Generators kept alive at once for the memory measurement.
    live: usize,
}

impl Plan {
    fn from_env() -> (Plan, bool) {
        let quick = std::env::var("CORIO_BENCH_QUICK").is_ok_and(|v| v == "1");
        let plan = if quick {
            Plan {
                round_trips: 200_000,
                cheap_creates: 20_000,
                fresh_creates: 2_000,
                live: 100_000,
            }
        } else {
            Plan {
                round_trips: 5_000_000,
                cheap_creates: 500_000,
                fresh_creates: 20_000,
                live: 1_000_000,
            }
        };
        (plan, quick)
    }
}

/// Runs `op` `iters` times and returns how long that took.
#[inline(never)]
fn time_loop<F: FnMut()>(iters: u64, op: &mut F) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        op();
    }
    start.elapsed()
}

fn ns_per_op(elapsed: Duration, iters: u64) -> f64 {
    elapsed.as_nanos() as f64 / iters as f64
}

/// Best-of-[`REPS`] nanoseconds per call of `op`, after a warm-up pass.
fn best_of<F: FnMut()>(iters: u64, mut op: F) -> f64 {
    time_loop(iters / 4 + 1, &mut op);
    (0..REPS)
        .map(|_| ns_per_op(time_loop(iters, &mut op), iters))
        .fold(f64::INFINITY, f64::min)
}

/// Best-of-[`REPS`] nanoseconds per call for two operations, timed in
/// alternating repetitions so that noise from other processes on the
/// machine hits both about equally.
fn best_of_pair<A: FnMut(), B: FnMut()>(
    (iters_a, mut a): (u64, A),
    (iters_b, mut b): (u64, B),
) -> (f64, f64) {
    time_loop(iters_a / 4 + 1, &mut a);
    time_loop(iters_b / 4 + 1, &mut b);
    let (mut best_a, mut best_b) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..REPS {
        best_a = best_a.min(ns_per_op(time_loop(iters_a, &mut a), iters_a));
        best_b = best_b.min(ns_per_op(time_loop(iters_b, &mut b), iters_b));
    }
    (best_a, best_b)
}

fn yes_no(ok: bool) -> &'static str {
    if ok { "yes" } else { "NO" }
}

fn row(what: &str, value: &str, note: &str) {
    println!("  {what:<46} {value:>14}  {note}");
}

fn section(title: &str) {
    println!();
    println!("{title}");
    println!("  {}", "-".repeat(78));
}

/// Resident set size of this process, in bytes.
fn rss_bytes() -> u64 {
    let statm = fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let resident: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|field| field.parse().ok())
        .expect("statm has a resident page count");
    resident * PAGE_BYTES
}

/// Number of memory mappings (VMAs) of this process.
fn mapping_count() -> usize {
    fs::read_to_string("/proc/self/maps")
        .expect("read /proc/self/maps")
        .lines()
        .count()
}

fn max_map_count() -> Option<usize> {
    fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn round_trip(plan: &Plan) {
    let mut corio_counter = Generator::<(), u64, ()>::new(|y, ()| {
        let mut n = 0u64;
        loop {
            y.yield_(n);
            n = n.wrapping_add(1);
        }
    });
    let stack = DefaultStack::new(DEFAULT_STACK_SIZE).expect("map a corosensei stack");
    let mut raw_counter = Coroutine::<(), u64, (), _>::with_stack(stack, |y, ()| {
        let mut n = 0u64;
        loop {
            y.suspend(n);
            n = n.wrapping_add(1);
        }
    });

    let (corio_ns, raw_ns) = best_of_pair(
        (plan.round_trips, || match corio_counter.resume(()) {
            GeneratorState::Yielded(n) => {
                black_box(n);
            }
            GeneratorState::Complete(()) => unreachable!("the counter never returns"),
        }),
        (plan.round_trips, || match raw_counter.resume(()) {
            CoroutineResult::Yield(n) => {
                black_box(n);
            }
            CoroutineResult::Return(()) => unreachable!("the counter never returns"),
        }),
    );
    let ratio = corio_ns / raw_ns;

    section(&format!(
        "resume/yield round trip (best of {REPS} x {} resumes)",
        plan.round_trips
    ));
    row(
        "corio Generator::resume",
        &format!("{corio_ns:.2} ns/op"),
        "",
    );
    row(
        "corosensei Coroutine::resume",
        &format!("{raw_ns:.2} ns/op"),
        "",
    );
    row(
        "ratio corio / corosensei",
        &format!("{ratio:.3}x"),
        &format!(
            "target <= {ROUND_TRIP_TARGET:.2}x: {}",
            yes_no(ratio <= ROUND_TRIP_TARGET)
        ),
    );
}

fn create_and_finish(plan: &Plan) {
    let (pooled_ns, fresh_ns) = best_of_pair(
        (plan.cheap_creates, || {
            let mut g = Generator::<(), (), u64>::new(|_, ()| black_box(7));
            black_box(g.resume(()));
        }),
        (plan.fresh_creates, || {
            let stack = DefaultStack::new(DEFAULT_STACK_SIZE).expect("map a corosensei stack");
            let mut co = Coroutine::<(), (), u64, _>::with_stack(stack, |_, ()| black_box(7));
            black_box(co.resume(()));
        }),
    );
    let mut stack = DefaultStack::new(DEFAULT_STACK_SIZE).expect("map a corosensei stack");
    let reused_ns = best_of(plan.cheap_creates, || {
        // `with_stack` needs a `'static` stack, which `&mut stack` is not; the
        // unchecked constructor differs only in dropping that bound.
        // SAFETY: the body borrows nothing, and the coroutine holding the
        // `&mut stack` borrow is dropped before the next iteration.
        let mut co = unsafe {
            Coroutine::<(), (), u64, _>::with_stack_unchecked(&mut stack, |_, ()| black_box(7))
        };
        black_box(co.resume(()));
    });
    let ratio = pooled_ns / fresh_ns;

    section(&format!(
        "create + resume to completion + drop (best of {REPS}; {} pooled/reused, {} fresh)",
        plan.cheap_creates, plan.fresh_creates
    ));
    row("corio, pooled slot", &format!("{pooled_ns:.1} ns/op"), "");
    row(
        "corosensei, fresh 256 KiB DefaultStack",
        &format!("{fresh_ns:.1} ns/op"),
        "mmap+mprotect+munmap",
    );
    row(
        "corosensei, one reused DefaultStack (floor)",
        &format!("{reused_ns:.1} ns/op"),
        "",
    );
    row(
        "ratio corio pooled / corosensei fresh",
        &format!("{ratio:.4}x"),
        &format!("corio {:.1}x faster", fresh_ns / pooled_ns),
    );
    row(
        "ratio corio pooled / reused-stack floor",
        &format!("{:.3}x", pooled_ns / reused_ns),
        "",
    );
}

fn live_generators(plan: &Plan) {
    let n = plan.live;
    let (carved_before, free_before) = default_pool_counts();
    let maps_before = mapping_count();
    let rss_before = rss_bytes();

    let start = Instant::now();
    let mut live = Vec::with_capacity(n);
    for _ in 0..n {
        let mut g = Generator::<(), (), ()>::new(|y, ()| y.yield_(()));
        g.resume(());
        live.push(g);
    }
    let create_time = start.elapsed();

    assert!(live.iter().all(|g| g.status() == Status::Suspended));
    let rss_live = rss_bytes();
    let maps_live = mapping_count();
    let (carved_live, free_live) = default_pool_counts();

    let start = Instant::now();
    drop(live);
    let drop_time = start.elapsed();
    let rss_after = rss_bytes();
    let maps_after = mapping_count();
    let (carved_after, free_after) = default_pool_counts();

    let per_gen_kib = rss_live.saturating_sub(rss_before) as f64 / 1024.0 / n as f64;
    let maps_added = maps_live.saturating_sub(maps_before);
    let max_maps = max_map_count();
    let fits_default = maps_live <= DEFAULT_MAX_MAP_COUNT;

    section(&format!(
        "{n} live generators, each suspended at its first yield"
    ));
    row(
        "size_of::<Generator<(), (), ()>>()",
        &format!("{} B", size_of::<Generator>()),
        "",
    );
    row(
        "time to create + resume all",
        &format!("{:.3} s", create_time.as_secs_f64()),
        &format!("{:.0} ns/generator", ns_per_op(create_time, n as u64)),
    );
    row("RSS before", &format!("{:.1} MiB", mib(rss_before)), "");
    row(
        "RSS with all live",
        &format!("{:.1} MiB", mib(rss_live)),
        "",
    );
    row(
        "RSS per live generator",
        &format!("{per_gen_kib:.2} KiB"),
        &format!(
            "target <= {RSS_TARGET_KIB} KiB: {}",
            yes_no(per_gen_kib <= RSS_TARGET_KIB)
        ),
    );
    row(
        "mappings before / with all live",
        &format!("{maps_before} / {maps_live}"),
        &format!("+{maps_added}"),
    );
    row(
        "vm.max_map_count",
        &max_maps.map_or_else(|| "unknown".to_string(), |m| m.to_string()),
        &format!(
            "fits under default {DEFAULT_MAX_MAP_COUNT}: {}",
            yes_no(fits_default)
        ),
    );
    row(
        "pool slots carved / free (before)",
        &format!("{carved_before} / {free_before}"),
        "",
    );
    row(
        "pool slots carved / free (all live)",
        &format!("{carved_live} / {free_live}"),
        "",
    );
    row(
        "time to drop all (unwinds each stack)",
        &format!("{:.3} s", drop_time.as_secs_f64()),
        &format!("{:.0} ns/generator", ns_per_op(drop_time, n as u64)),
    );
    row(
        "RSS after drop",
        &format!("{:.1} MiB", mib(rss_after)),
        &format!(
            "{:.1} MiB above before; cold slots MADV_DONTNEED'd",
            mib(rss_after.saturating_sub(rss_before))
        ),
    );
    row(
        "mappings after drop",
        &maps_after.to_string(),
        "pool keeps its reservations",
    );
    row(
        "pool slots carved / free (after drop)",
        &format!("{carved_after} / {free_after}"),
        "",
    );
}

fn main() {
    let (plan, quick) = Plan::from_env();
    let total = Instant::now();
    println!(
        "corio generator ratios ({} mode; set CORIO_BENCH_QUICK=1 for a smoke run)",
        if quick { "QUICK" } else { "full" }
    );
    round_trip(&plan);
    create_and_finish(&plan);
    live_generators(&plan);
    println!();
    println!("total {:.1} s", total.elapsed().as_secs_f64());
}
