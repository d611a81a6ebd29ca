//! Instructions per operation, counted by valgrind's callgrind: the
//! noise-free companion of `runtime_ratios`, whose nanoseconds swing with
//! whatever else this shared machine runs.
//!
//! ```text
//! cargo bench --bench callgrind                       # needs valgrind
//! CORIO_BENCH_QUICK=1 cargo bench --bench callgrind   # fewer operations
//! ```
//!
//! Each workload of `benches/support/runtime_workloads.rs` (switch,
//! spawn + join, channel round trip) runs in a child process (this binary
//! re-executed under `valgrind --tool=callgrind` with [`CHILD_ENV`] set),
//! once with [`Counts::small`] operations and once with [`Counts::large`].
//! The difference of the two totals, divided by the difference of the
//! counts, is the cost of one operation alone: building the runtime, the
//! process's start and exit, and anything else done once cancel out.
//!
//! Instruction counts are not time (a cache miss costs no instruction, a
//! well-predicted branch costs one), but they do not move with load, so a
//! change to the core shows up here as a number and not as a hunch.

// Only the three counted workloads are used; the rest are `runtime_ratios`'s.
#[allow(dead_code)]
#[path = "support/runtime_workloads.rs"]
mod workloads;

use std::process::Command;
use std::time::Duration;

/// Set in a child process to `workload:contender:count`.
const CHILD_ENV: &str = "CORIO_CALLGRIND_CHILD";

/// The operations counted, each by the contenders that have it, and the
/// goal for corio's count against tokio's (the same goals as
/// `runtime_ratios`' timings).
const WORKLOADS: &[(&str, &[&str], f64)] = &[
    ("switch", &["corio", "tokio", "corosensei"], 0.2),
    ("spawn+join", &["corio", "tokio"], 0.3),
    ("round trip", &["corio", "tokio"], 0.3),
];

/// The two operation counts whose totals are subtracted.
struct Counts {
    small: u64,
    large: u64,
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        run_child(&spec);
        return;
    }
    if !valgrind_present() {
        println!("callgrind: valgrind is not installed; nothing counted");
        return;
    }
    let quick = std::env::var("CORIO_BENCH_QUICK").is_ok_and(|v| v == "1");
    let counts = if quick {
        Counts {
            small: 1_000,
            large: 3_000,
        }
    } else {
        Counts {
            small: 2_000,
            large: 22_000,
        }
    };
    println!(
        "instructions per operation (callgrind; totals of {} and {} operations, subtracted)",
        counts.large, counts.small
    );
    println!(
        "{:<12} {:<11} {:>14} {:>12}  goal",
        "operation", "contender", "instructions", "vs tokio"
    );
    for (workload, contenders, goal) in WORKLOADS {
        let mut tokio = None;
        let mut rows = Vec::new();
        for contender in *contenders {
            let per_op = per_operation(workload, contender, &counts);
            if *contender == "tokio" {
                tokio = Some(per_op);
            }
            rows.push((contender, per_op));
        }
        for (contender, per_op) in rows {
            let ratio = tokio.map_or(String::new(), |t| format!("{:.2}x", per_op / t));
            let verdict = match tokio {
                Some(t) if *contender == "corio" => {
                    let met = if per_op / t <= *goal { "yes" } else { "NO" };
                    format!("  <= {goal:.2}x: {met}")
                }
                _ => String::new(),
            };
            println!("{workload:<12} {contender:<11} {per_op:>14.1} {ratio:>12}{verdict}");
        }
    }
}

fn valgrind_present() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Instructions one operation costs: the two runs' totals subtracted.
fn per_operation(workload: &str, contender: &str, counts: &Counts) -> f64 {
    let small = total_instructions(workload, contender, counts.small);
    let large = total_instructions(workload, contender, counts.large);
    (large as f64 - small as f64) / (counts.large - counts.small) as f64
}

/// Runs one child under callgrind and reads the total it wrote.
fn total_instructions(workload: &str, contender: &str, count: u64) -> u64 {
    let out_file = std::env::temp_dir().join(format!(
        "corio-callgrind-{}-{}.out",
        std::process::id(),
        count
    ));
    let me = std::env::current_exe().expect("the bench binary's path");
    // Its stderr is kept and shown only on failure: valgrind warns there
    // about the syscalls it does not know (`process_madvise`, which the
    // stack pool then stops trying).
    let child = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg("--quiet")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(&me)
        .env(CHILD_ENV, format!("{workload}:{contender}:{count}"))
        .output()
        .expect("start valgrind");
    assert!(
        child.status.success(),
        "{workload} on {contender} under callgrind: {}\n{}",
        child.status,
        String::from_utf8_lossy(&child.stderr)
    );
    let text = std::fs::read_to_string(&out_file).expect("read callgrind's output");
    let _ = std::fs::remove_file(&out_file);
    // callgrind ends its file with `totals: N` (older versions wrote
    // `summary: N`); with one event counted, N is the instructions.
    text.lines()
        .rev()
        .find_map(|line| {
            let rest = line
                .strip_prefix("totals:")
                .or_else(|| line.strip_prefix("summary:"))?;
            rest.split_whitespace().next()?.parse().ok()
        })
        .expect("callgrind's output has a total")
}

/// In the child: the one workload, `count` operations.
fn run_child(spec: &str) {
    let mut parts = spec.split(':');
    let (Some(workload), Some(contender), Some(count)) = (parts.next(), parts.next(), parts.next())
    else {
        panic!("{CHILD_ENV}={spec}: expected workload:contender:count");
    };
    let n: u64 = count.parse().expect("an operation count");
    let elapsed: Duration = match (workload, contender) {
        ("switch", "corio") => workloads::corio_switches(n),
        ("switch", "tokio") => workloads::tokio_switches(&workloads::tokio_runtime(), n),
        ("switch", "corosensei") => workloads::corosensei_round_robin(2, n),
        ("spawn+join", "corio") => workloads::corio_spawn_join(n),
        ("spawn+join", "tokio") => workloads::tokio_spawn_join(&workloads::tokio_runtime(), n),
        ("round trip", "corio") => workloads::corio_round_trips(n),
        ("round trip", "tokio") => workloads::tokio_round_trips(&workloads::tokio_runtime(), n),
        _ => panic!("{CHILD_ENV}={spec}: no such workload"),
    };
    std::hint::black_box(elapsed);
}
