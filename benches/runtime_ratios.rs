//! One-shot comparison of corio's runtime with tokio (current_thread), may
//! (one worker) and, for context, `std::thread` and bare corosensei, printed
//! as one table next to the design targets.
//!
//! ```text
//! cargo bench --bench runtime_ratios                         # full, < 90 s
//! CORIO_BENCH_QUICK=1 cargo bench --bench runtime_ratios     # smoke, seconds
//! ```
//!
//! The three speed measures (spawn + join, yield switch, channel round trip)
//! time every contender in the same process, taking turns repetition by
//! repetition so load from elsewhere on the machine hits all of them about
//! equally, and keep the fastest of [`REPS`] repetitions. The workloads are
//! the ones `benches/runtime.rs` gives to criterion.
//!
//! The sleeping-tasks measure runs each runtime in a child process of its
//! own (this binary re-executed with [`CHILD_ENV`] set), so that each one's
//! peak RSS (`VmHWM`) and mapping count start from a clean process. Linux
//! only: those figures come from `/proc/self/status` and `/proc/self/maps`.

#[path = "support/runtime_workloads.rs"]
mod workloads;

#[path = "support/thread_workloads.rs"]
mod thread_workloads;

use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

/// Timed repetitions per measurement; the fastest one is reported.
const REPS: usize = 7;

/// Design target: a corio yield switch costs at most this times tokio's.
const SWITCH_TARGET: f64 = 0.2;
/// ... and at most this fraction of may's.
const SWITCH_TARGET_MAY: f64 = 0.6;

/// Design target: corio spawn + join costs at most this times tokio's.
const SPAWN_TARGET: f64 = 0.3;

/// Design target: a corio channel round trip costs at most this times tokio's.
const ROUND_TRIP_TARGET: f64 = 0.3;

/// Goal for spawning on never-used stack slots, against the floor probe
/// (fresh guarded slots made in batches, measured in the same run).
const FRESH_SLOT_TARGET: f64 = 1.5;

/// Goal for a burst of spawns then joins, against tokio (DESIGN.md): no
/// re-fault of the slots the previous burst freed.
const BURST_TARGET: f64 = 1.0;

/// Design target: the cross-thread measures cost at most this times tokio's.
const CROSS_THREAD_TARGET: f64 = 1.0;

/// Design target: peak resident memory per sleeping corio task, in KiB.
const SLEEPER_RSS_TARGET_KIB: f64 = 4.5;

/// The kernel's default `vm.max_map_count`; a million corio tasks must fit.
const DEFAULT_MAX_MAP_COUNT: usize = 65_530;

/// Set in a child process to `runtime:tasks:sleep_ms`, selecting the
/// sleeping-tasks measure instead of the table.
const CHILD_ENV: &str = "CORIO_RUNTIME_RATIOS_CHILD";

/// Raw corosensei coroutines in the round-robin floor: two, like the two
/// tasks of the yield ping-pong.
const FLOOR_COROUTINES: usize = 2;

/// How much work each measurement does.
struct Plan {
    /// Spawn + join cycles per repetition on the coroutine runtimes.
    spawns: u64,
    /// Spawn + join cycles per repetition with OS threads (each ~10+ us).
    thread_spawns: u64,
    /// Tasks alive at once in one spawn-all-then-join-all burst.
    burst: u64,
    /// Yield switches per repetition.
    switches: u64,
    /// Channel round trips per repetition.
    round_trips: u64,
    /// Remote spawn + join cycles, and futures woken by a thread, per
    /// repetition (each a few microseconds: two threads wake each other).
    remote_ops: u64,
    /// `block_on` of a ready future per repetition.
    ready_polls: u64,
    /// Round trips between two runtimes on two threads per repetition
    /// (each a few microseconds: two cross-thread wake-ups).
    cross_round_trips: u64,
    /// Tasks put to sleep at once in the sleeping-tasks measure.
    sleepers: usize,
    /// How long each of them sleeps.
    sleep: Duration,
}

impl Plan {
    fn from_env() -> (Plan, bool) {
        let quick = std::env::var("CORIO_BENCH_QUICK").is_ok_and(|v| v == "1");
        let plan = if quick {
            Plan {
                spawns: 20_000,
                burst: 10_000,
                thread_spawns: 200,
                switches: 100_000,
                round_trips: 40_000,
                remote_ops: 2_000,
                ready_polls: 1_000_000,
                cross_round_trips: 2_000,
                sleepers: 100_000,
                sleep: Duration::from_secs(1),
            }
        } else {
            Plan {
                spawns: 200_000,
                burst: 100_000,
                thread_spawns: 2_000,
                switches: 2_000_000,
                round_trips: 400_000,
                remote_ops: 20_000,
                ready_polls: 20_000_000,
                cross_round_trips: 20_000,
                sleepers: 1_000_000,
                sleep: Duration::from_secs(1),
            }
        };
        (plan, quick)
    }
}

// ---------------------------------------------------------------- timing

/// One side of a comparison: runs `n` operations, returns how long they took.
struct Contender<'a> {
    iters: u64,
    run: Box<dyn FnMut(u64) -> Duration + 'a>,
}

impl<'a> Contender<'a> {
    fn new(iters: u64, run: impl FnMut(u64) -> Duration + 'a) -> Self {
        Contender {
            iters,
            run: Box::new(run),
        }
    }
}

fn ns_per_op(elapsed: Duration, ops: u64) -> f64 {
    elapsed.as_nanos() as f64 / ops as f64
}

/// Best-of-[`REPS`] nanoseconds per operation for each contender, in the
/// order given, after one warm-up pass each; the repetitions of the
/// contenders are interleaved.
fn race(mut contenders: Vec<Contender<'_>>) -> Vec<f64> {
    for c in &mut contenders {
        (c.run)(c.iters / 4 + 1);
    }
    let mut best = vec![f64::INFINITY; contenders.len()];
    for _ in 0..REPS {
        for (c, best) in contenders.iter_mut().zip(&mut best) {
            *best = best.min(ns_per_op((c.run)(c.iters), c.iters));
        }
    }
    best
}

// ---------------------------------------------------------------- the table

/// One table row: corio, tokio, may, and a fourth context column.
struct Row {
    what: String,
    corio: String,
    tokio: String,
    may: String,
    other: String,
    ratio: String,
    target: String,
}

const HEADER: [&str; 7] = [
    "measure",
    "corio",
    "tokio",
    "may",
    "context",
    "corio/tokio",
    "target",
];

fn print_line(cells: [&str; 7]) {
    let [what, corio, tokio, may, other, ratio, target] = cells;
    let line =
        format!("  {what:<38} {corio:>11} {tokio:>11} {may:>9} {other:>18} {ratio:>11}  {target}");
    println!("{}", line.trim_end());
}

fn print_table(rows: &[Row]) {
    print_line(HEADER);
    println!("  {}", "-".repeat(132));
    for r in rows {
        print_line([
            &r.what, &r.corio, &r.tokio, &r.may, &r.other, &r.ratio, &r.target,
        ]);
    }
}

fn yes_no(ok: bool) -> &'static str {
    if ok { "yes" } else { "NO" }
}

fn ratio_target(ratio: f64, target: f64) -> (String, String) {
    (
        format!("{ratio:.3}x"),
        format!("<= {target:.2}x: {}", yes_no(ratio <= target)),
    )
}

fn ns(value: f64) -> String {
    format!("{value:.1}")
}

// ---------------------------------------------------------------- speed rows

fn spawn_join_row(plan: &Plan, rt: &tokio::runtime::Runtime) -> Row {
    let best = race(vec![
        Contender::new(plan.spawns, workloads::corio_spawn_join),
        Contender::new(plan.spawns, |n| workloads::tokio_spawn_join(rt, n)),
        Contender::new(plan.spawns, workloads::may_spawn_join),
        Contender::new(plan.thread_spawns, workloads::thread_spawn_join),
    ]);
    let [corio, tokio, may, thread] = best[..] else {
        unreachable!("four contenders")
    };
    let (ratio, target) = ratio_target(corio / tokio, SPAWN_TARGET);
    Row {
        what: "spawn + join, ns/op".into(),
        corio: ns(corio),
        tokio: ns(tokio),
        may: ns(may),
        other: format!("thread {thread:.0}"),
        ratio,
        target,
    }
}

fn burst_row(plan: &Plan, rt: &tokio::runtime::Runtime) -> Row {
    let best = race(vec![
        Contender::new(plan.burst, workloads::corio_burst),
        Contender::new(plan.burst, |n| workloads::tokio_burst(rt, n)),
    ]);
    let [corio, tokio] = best[..] else {
        unreachable!("two contenders")
    };
    let (ratio, target) = ratio_target(corio / tokio, BURST_TARGET);
    Row {
        what: format!("spawn {}k then join all, ns/task", plan.burst / 1000),
        corio: ns(corio),
        tokio: ns(tokio),
        may: "-".into(),
        other: String::new(),
        ratio,
        target,
    }
}

fn switch_row(plan: &Plan, rt: &tokio::runtime::Runtime) -> Row {
    let best = race(vec![
        Contender::new(plan.switches, workloads::corio_switches),
        Contender::new(plan.switches, |n| workloads::tokio_switches(rt, n)),
        Contender::new(plan.switches, workloads::may_switches),
        Contender::new(plan.switches, |n| {
            workloads::corosensei_round_robin(FLOOR_COROUTINES, n)
        }),
    ]);
    let [corio, tokio, may, floor] = best[..] else {
        unreachable!("four contenders")
    };
    let (ratio, tokio_target) = ratio_target(corio / tokio, SWITCH_TARGET);
    // The issue's goal has a second half, against may.
    let vs_may = corio / may;
    let target = format!(
        "{tokio_target}; vs may {vs_may:.3}x <= {SWITCH_TARGET_MAY:.2}x: {}",
        yes_no(vs_may <= SWITCH_TARGET_MAY)
    );
    Row {
        what: "yield switch (2 tasks), ns/switch".into(),
        corio: ns(corio),
        tokio: ns(tokio),
        may: ns(may),
        other: format!("corosensei {floor:.1}"),
        ratio,
        target,
    }
}

fn round_trip_row(plan: &Plan, rt: &tokio::runtime::Runtime) -> Row {
    let best = race(vec![
        Contender::new(plan.round_trips, workloads::corio_round_trips),
        Contender::new(plan.round_trips, |n| workloads::tokio_round_trips(rt, n)),
        Contender::new(plan.round_trips, workloads::may_round_trips),
    ]);
    let [corio, tokio, may] = best[..] else {
        unreachable!("three contenders")
    };
    let (ratio, target) = ratio_target(corio / tokio, ROUND_TRIP_TARGET);
    Row {
        what: "channel(1) round trip, ns/round trip".into(),
        corio: ns(corio),
        tokio: ns(tokio),
        may: format!("{may:.1}*"),
        other: String::new(),
        ratio,
        target,
    }
}

// ---------------------------------------------------------------- cross-thread rows

fn cross_thread_row(what: &str, corio: f64, tokio: f64) -> Row {
    let (ratio, target) = ratio_target(corio / tokio, CROSS_THREAD_TARGET);
    Row {
        what: what.into(),
        corio: ns(corio),
        tokio: ns(tokio),
        may: String::new(),
        other: String::new(),
        ratio,
        target,
    }
}

fn cross_thread_rows(plan: &Plan, rt: &tokio::runtime::Runtime) -> Vec<Row> {
    let corio_server = thread_workloads::CorioServer::start();
    let tokio_server = thread_workloads::TokioServer::start();
    let tokio_io_server = thread_workloads::TokioServer::start_with_io();
    let spawn = race(vec![
        Contender::new(plan.remote_ops, |n| {
            thread_workloads::corio_remote_spawn_join(&corio_server, n)
        }),
        Contender::new(plan.remote_ops, |n| {
            thread_workloads::tokio_remote_spawn_join(&tokio_server, n)
        }),
        Contender::new(plan.remote_ops, |n| {
            thread_workloads::tokio_remote_spawn_join(&tokio_io_server, n)
        }),
    ]);
    drop((corio_server, tokio_server, tokio_io_server));
    let ping_pong = race(vec![
        Contender::new(
            plan.cross_round_trips,
            thread_workloads::corio_shared_ping_pong,
        ),
        Contender::new(plan.cross_round_trips, |n| {
            thread_workloads::tokio_mpsc_ping_pong(rt, n)
        }),
        Contender::new(plan.cross_round_trips, thread_workloads::std_mpsc_ping_pong),
    ]);
    let ready = race(vec![
        Contender::new(plan.ready_polls, thread_workloads::corio_block_on_ready),
        Contender::new(plan.ready_polls, |n| {
            thread_workloads::tokio_block_on_ready(rt, n)
        }),
    ]);
    let woken = race(vec![
        Contender::new(plan.remote_ops, thread_workloads::corio_block_on_woken),
        Contender::new(plan.remote_ops, |n| {
            thread_workloads::tokio_block_on_woken(rt, n)
        }),
    ]);
    let unblock = race(vec![
        Contender::new(plan.remote_ops, thread_workloads::corio_unblock),
        Contender::new(plan.remote_ops, |n| thread_workloads::tokio_unblock(rt, n)),
    ]);
    let mut spawn_row = cross_thread_row(
        "remote spawn + join from a thread, ns/op",
        spawn[0],
        spawn[1],
    );
    spawn_row.other = format!("tokio+io {:.0}", spawn[2]);
    vec![
        spawn_row,
        cross_thread_row("unblock(|| ()) round trip, ns/op", unblock[0], unblock[1]),
        cross_thread_row("block_on(ready) in a task, ns/op", ready[0], ready[1]),
        cross_thread_row("block_on, woken by a thread, ns/op", woken[0], woken[1]),
        Row {
            other: format!("std mpsc {:.0}", ping_pong[2]),
            ..cross_thread_row(
                "2-thread shared channel round trip, ns",
                ping_pong[0],
                ping_pong[1],
            )
        },
    ]
}

// ---------------------------------------------------------------- sleepers

/// Resident-memory figure `field` (such as `VmHWM`) of this process, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix(field)?.strip_prefix(':')?;
            rest.trim().trim_end_matches("kB").trim().parse().ok()
        })
        .unwrap_or_else(|| panic!("/proc/self/status has no {field}"))
}

/// Number of memory mappings (VMAs) of this process.
fn mapping_count() -> usize {
    fs::read_to_string("/proc/self/maps")
        .expect("read /proc/self/maps")
        .lines()
        .count()
}

/// What a child reports about its sleeping tasks.
#[derive(Debug, Default)]
struct Sleepers {
    /// Time to spawn them all, in seconds.
    spawn_s: f64,
    /// From the first spawn until the last task finished, in seconds.
    total_s: f64,
    /// `VmHWM` before the first spawn and at the end, in KiB.
    hwm_before_kib: u64,
    hwm_peak_kib: u64,
    /// Mappings before the first spawn, and while every task was asleep
    /// (sampled when the first one finished).
    maps_before: usize,
    maps_asleep: usize,
}

impl Sleepers {
    fn kib_per_task(&self, tasks: usize) -> f64 {
        self.hwm_peak_kib.saturating_sub(self.hwm_before_kib) as f64 / tasks as f64
    }

    fn to_line(&self) -> String {
        format!(
            "SLEEPERS {} {} {} {} {} {}",
            self.spawn_s,
            self.total_s,
            self.hwm_before_kib,
            self.hwm_peak_kib,
            self.maps_before,
            self.maps_asleep
        )
    }

    fn from_line(line: &str) -> Option<Sleepers> {
        let mut fields = line.strip_prefix("SLEEPERS ")?.split_whitespace();
        Some(Sleepers {
            spawn_s: fields.next()?.parse().ok()?,
            total_s: fields.next()?.parse().ok()?,
            hwm_before_kib: fields.next()?.parse().ok()?,
            hwm_peak_kib: fields.next()?.parse().ok()?,
            maps_before: fields.next()?.parse().ok()?,
            maps_asleep: fields.next()?.parse().ok()?,
        })
    }
}

/// Child side: `tasks` corio tasks each sleep `sleep`.
fn corio_sleepers(tasks: usize, sleep: Duration) -> Sleepers {
    let mut report = Sleepers {
        hwm_before_kib: status_kib("VmHWM"),
        maps_before: mapping_count(),
        ..Sleepers::default()
    };
    corio::run(|| {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| corio::spawn(move || corio::sleep(sleep)))
            .collect();
        report.spawn_s = start.elapsed().as_secs_f64();
        let mut handles = handles.into_iter();
        if let Some(first) = handles.next() {
            first.join().expect("sleeping task");
        }
        report.maps_asleep = mapping_count();
        for handle in handles {
            handle.join().expect("sleeping task");
        }
        report.total_s = start.elapsed().as_secs_f64();
    });
    report.hwm_peak_kib = status_kib("VmHWM");
    report
}

/// Child side: `tasks` tokio tasks each sleep `sleep`.
fn tokio_sleepers(tasks: usize, sleep: Duration) -> Sleepers {
    let rt = workloads::tokio_runtime();
    let mut report = Sleepers {
        hwm_before_kib: status_kib("VmHWM"),
        maps_before: mapping_count(),
        ..Sleepers::default()
    };
    rt.block_on(async {
        let start = Instant::now();
        let handles: Vec<_> = (0..tasks)
            .map(|_| tokio::spawn(async move { tokio::time::sleep(sleep).await }))
            .collect();
        report.spawn_s = start.elapsed().as_secs_f64();
        let mut handles = handles.into_iter();
        if let Some(first) = handles.next() {
            first.await.expect("sleeping task");
        }
        report.maps_asleep = mapping_count();
        for handle in handles {
            handle.await.expect("sleeping task");
        }
        report.total_s = start.elapsed().as_secs_f64();
    });
    report.hwm_peak_kib = status_kib("VmHWM");
    report
}

/// The floor under spawning `tasks` tasks on fresh stacks: what any
/// guarded-stack runtime pays the kernel per slot on this machine. Maps
/// the same slots as corio's pool (256 KiB + a guard page, in 1 GiB
/// reservations), installs every guard and populates every slot's top page
/// with one `process_madvise` per 1,024 slots (per-slot `madvise` and a
/// write where the kernel refuses it), and reports the time as `spawn_s`.
fn floor_slots(tasks: usize) -> Sleepers {
    const SLOT: usize = corio::stack::DEFAULT_STACK_SIZE + 4096;
    const PER_CHUNK: usize = (1 << 30) / SLOT;
    const BATCH: usize = 1024;
    const MADV_GUARD_INSTALL: libc::c_int = 102;
    const MADV_POPULATE_WRITE: libc::c_int = 23;
    const PIDFD_SELF: libc::c_int = -10_000;
    let mut report = Sleepers {
        hwm_before_kib: status_kib("VmHWM"),
        maps_before: mapping_count(),
        ..Sleepers::default()
    };
    let start = Instant::now();
    let mut chunks = Vec::new();
    let mut left = tasks;
    while left > 0 {
        let slots = left.min(PER_CHUNK);
        let len = slots * SLOT;
        // SAFETY: a fresh anonymous mapping aliases nothing.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED, "mmap");
        let base = base.cast::<u8>();
        // SAFETY: the range is the mapping just made.
        unsafe { libc::madvise(base.cast(), len, libc::MADV_NOHUGEPAGE) };
        for first in (0..slots).step_by(BATCH) {
            let count = BATCH.min(slots - first);
            let slot = |i: usize| base.wrapping_add((first + i) * SLOT);
            let advise_all = |advice: libc::c_int, offset: usize, len: usize| {
                let iov: Vec<libc::iovec> = (0..count)
                    .map(|i| libc::iovec {
                        iov_base: slot(i).wrapping_add(offset).cast(),
                        iov_len: len,
                    })
                    .collect();
                // SAFETY: every range is a page of the mapping just made,
                // which holds no data yet; `iov` outlives the call.
                let done = unsafe {
                    libc::syscall(
                        libc::SYS_process_madvise,
                        PIDFD_SELF,
                        iov.as_ptr(),
                        iov.len(),
                        advice,
                        0,
                    )
                };
                done == (count * len) as libc::c_long
            };
            if !advise_all(MADV_GUARD_INSTALL, 0, 4096) {
                for i in 0..count {
                    // SAFETY: as above, one slot's guard page.
                    unsafe { libc::madvise(slot(i).cast(), 4096, MADV_GUARD_INSTALL) };
                }
            }
            if !advise_all(MADV_POPULATE_WRITE, SLOT - 4096, 4096) {
                for i in 0..count {
                    // SAFETY: the slot's top page is mapped, writable and
                    // not a guard.
                    unsafe { slot(i).wrapping_add(SLOT - 64).write_volatile(1) };
                }
            }
        }
        chunks.push((base, len));
        left -= slots;
    }
    report.spawn_s = start.elapsed().as_secs_f64();
    report.total_s = report.spawn_s;
    report.maps_asleep = mapping_count();
    report.hwm_peak_kib = status_kib("VmHWM");
    for (base, len) in chunks {
        // SAFETY: each is a mapping made above that nothing refers to.
        unsafe { libc::munmap(base.cast(), len) };
    }
    report
}

/// Runs in a child process: parses `runtime:tasks:sleep_ms`, measures,
/// prints one `SLEEPERS` line.
fn child_main(spec: &str) {
    let mut parts = spec.split(':');
    let (Some(runtime), Some(tasks), Some(sleep_ms)) = (parts.next(), parts.next(), parts.next())
    else {
        panic!("{CHILD_ENV} must be runtime:tasks:sleep_ms, got {spec:?}");
    };
    let tasks: usize = tasks.parse().expect("task count");
    let sleep = Duration::from_millis(sleep_ms.parse().expect("sleep in ms"));
    let report = match runtime {
        "corio" => corio_sleepers(tasks, sleep),
        "tokio" => tokio_sleepers(tasks, sleep),
        "floor" => floor_slots(tasks),
        other => panic!("unknown runtime {other:?}"),
    };
    println!("{}", report.to_line());
}

/// Parent side: re-executes this binary to measure `runtime` alone.
fn measure_sleepers(runtime: &str, plan: &Plan) -> Result<Sleepers, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let spec = format!("{runtime}:{}:{}", plan.sleepers, plan.sleep.as_millis());
    let output = Command::new(exe)
        .env(CHILD_ENV, spec)
        .output()
        .map_err(|e| format!("spawn child: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if let Some(report) = stdout.lines().find_map(Sleepers::from_line) {
        return Ok(report);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
    Err(format!(
        "child failed ({}): {}",
        output.status,
        tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
    ))
}

/// The run that spawned faster, or the one that worked.
fn better(a: Result<Sleepers, String>, b: Result<Sleepers, String>) -> Result<Sleepers, String> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok(if a.spawn_s <= b.spawn_s { a } else { b }),
        (Ok(one), Err(_)) | (Err(_), Ok(one)) => Ok(one),
        (Err(e), Err(_)) => Err(e),
    }
}

fn sleeper_rows(plan: &Plan) -> Vec<Row> {
    // The VM's first touch of guest memory costs several times a warm one
    // (seen here: the same floor child from 1.8 to 5.6 us a slot), so corio
    // and its floor each run twice, interleaved, and each keeps its better
    // run; tokio (no stacks to fault in) runs once between them.
    let floor_first = measure_sleepers("floor", plan);
    let corio_first = measure_sleepers("corio", plan);
    let tokio = measure_sleepers("tokio", plan);
    let floor = better(floor_first, measure_sleepers("floor", plan));
    let corio = better(corio_first, measure_sleepers("corio", plan));
    let n = plan.sleepers;
    let label = if n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else {
        format!("{}k", n / 1_000)
    };
    let sleep_s = plan.sleep.as_secs_f64();
    let (c, t) = match (&corio, &tokio) {
        (Ok(c), Ok(t)) => (c, t),
        _ => {
            let failure = |r: &Result<Sleepers, String>| match r {
                Ok(_) => "ok".to_string(),
                Err(e) => e.clone(),
            };
            println!("  sleeping tasks: corio: {}", failure(&corio));
            println!("  sleeping tasks: tokio: {}", failure(&tokio));
            return Vec::new();
        }
    };
    let row = |what: String, corio: String, tokio: String, ratio: String, target: String| Row {
        what,
        corio,
        tokio,
        may: "-".into(),
        other: String::new(),
        ratio,
        target,
    };
    let (c_kib, t_kib) = (c.kib_per_task(n), t.kib_per_task(n));
    let c_maps_added = c.maps_asleep.saturating_sub(c.maps_before);
    let t_maps_added = t.maps_asleep.saturating_sub(t.maps_before);
    vec![
        row(
            format!("{label} x sleep({sleep_s} s): spawn all, s"),
            format!("{:.3}", c.spawn_s),
            format!("{:.3}", t.spawn_s),
            format!("{:.3}x", c.spawn_s / t.spawn_s),
            String::new(),
        ),
        match &floor {
            Ok(floor) => {
                let (per_task, floor_per_slot) = (c.spawn_s / n as f64, floor.spawn_s / n as f64);
                let (ratio, target) = ratio_target(per_task / floor_per_slot, FRESH_SLOT_TARGET);
                Row {
                    what: format!("{label} x sleep: spawn per task, us"),
                    corio: format!("{:.2}", per_task * 1e6),
                    tokio: format!("{:.2}", t.spawn_s * 1e6 / n as f64),
                    may: "-".into(),
                    other: format!("floor {:.2}", floor_per_slot * 1e6),
                    ratio: format!("{ratio} fl"),
                    target: format!("vs floor {target}"),
                }
            }
            Err(e) => row(
                format!("{label} x sleep: spawn per task, us (floor probe failed: {e})"),
                format!("{:.2}", c.spawn_s * 1e6 / n as f64),
                format!("{:.2}", t.spawn_s * 1e6 / n as f64),
                String::new(),
                String::new(),
            ),
        },
        row(
            format!("{label} x sleep: peak RSS per task, KiB"),
            format!("{c_kib:.2}"),
            format!("{t_kib:.2}"),
            format!("{:.2}x", c_kib / t_kib),
            format!(
                "corio <= {SLEEPER_RSS_TARGET_KIB} KiB: {}",
                yes_no(c_kib <= SLEEPER_RSS_TARGET_KIB)
            ),
        ),
        row(
            format!("{label} x sleep: mappings added"),
            format!("+{c_maps_added}"),
            format!("+{t_maps_added}"),
            String::new(),
            String::new(),
        ),
        row(
            format!("{label} x sleep: mappings in all"),
            c.maps_asleep.to_string(),
            t.maps_asleep.to_string(),
            String::new(),
            format!(
                "corio <= {DEFAULT_MAX_MAP_COUNT}: {}",
                yes_no(c.maps_asleep <= DEFAULT_MAX_MAP_COUNT)
            ),
        ),
        row(
            format!("{label} x sleep: wall until all done, s"),
            format!("{:.3}", c.total_s),
            format!("{:.3}", t.total_s),
            String::new(),
            format!("(sleep itself is {sleep_s} s)"),
        ),
    ]
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child_main(&spec);
        return;
    }
    let (plan, quick) = Plan::from_env();
    let total = Instant::now();
    println!(
        "corio runtime ratios ({} mode; set CORIO_BENCH_QUICK=1 for a smoke run)",
        if quick { "QUICK" } else { "full" }
    );
    println!(
        "speed: best of {REPS}; {} spawns ({} with threads), {} switches, {} round trips",
        plan.spawns, plan.thread_spawns, plan.switches, plan.round_trips
    );
    println!();

    workloads::may_single_worker();
    let rt = workloads::tokio_runtime();
    let mut rows = vec![
        spawn_join_row(&plan, &rt),
        burst_row(&plan, &rt),
        switch_row(&plan, &rt),
        round_trip_row(&plan, &rt),
    ];
    // Every thread of these measures on one CPU (threads started inside
    // inherit the pin): see the note printed under the table.
    rows.extend(thread_workloads::on_one_cpu(|| {
        cross_thread_rows(&plan, &rt)
    }));
    drop(rt);
    rows.extend(sleeper_rows(&plan));
    print_table(&rows);

    println!();
    println!(
        "  tokio: current_thread runtime, timer driver only (no I/O driver); may: 1 worker, unpinned;"
    );
    println!("  corio and tokio run their whole workload inside one run/block_on per repetition.");
    println!(
        "  cross-thread: each runtime serves on its own thread; the spawning thread blocks on a \
         thread parker (futures' block_on for tokio); tokio+io: tokio with its I/O driver, \
         whose idle loop sleeps in epoll like corio's;"
    );
    println!(
        "  ready: `.await` of std::future::ready in a tokio task; woken: a helper thread \
         completes a futures oneshot per op."
    );
    println!(
        "  2-thread round trip: corio::sync::shared::channel(1) vs tokio mpsc(1), pinger and echo \
         each the task of a runtime on its own thread; context: std sync_channel(1) between two \
         plain threads;"
    );
    println!(
        "  every cross-thread row runs all its threads pinned to one CPU: on this VM waking an \
         idle second vCPU costs tens of microseconds, the same for every contender, and would \
         hide the runtimes' own cost."
    );
    println!(
        "  context: std::thread::spawn + join; a bare corosensei round-robin of \
         {FLOOR_COROUTINES} coroutines (one resume = one switch)."
    );
    println!(
        "  * may's mpsc is unbounded (it has no bounded one); one value is in flight at a time."
    );
    println!(
        "  sleeping tasks: one child process per run (corio and the floor: the better of two interleaved runs); peak RSS is VmHWM growth / tasks \
         (includes the JoinHandle Vec); floor: a child that only maps as many 256 KiB slots, \
         installs their guards and populates their top pages, one process_madvise per 1,024 \
         slots;"
    );
    println!(
        "  mappings sampled when the first task finishes, all others still asleep; \
         vm.max_map_count here: {}.",
        fs::read_to_string("/proc/sys/vm/max_map_count")
            .map_or_else(|_| "unknown".to_string(), |s| s.trim().to_string())
    );
    println!();
    println!("total {:.1} s", total.elapsed().as_secs_f64());
}
