//! What a file call's hop to the blocking pool costs: one `fs::read` of a
//! small file in a corio task against `std::fs::read` inline, with the
//! bare hop (`corio::unblock(|| ())`) for reference.
//!
//! ```text
//! cargo bench --bench fs_ratios                       # a few seconds
//! CORIO_BENCH_QUICK=1 cargo bench --bench fs_ratios   # smoke
//! ```
//!
//! Each measure runs [`REPS`] times, taking turns, and the fastest
//! repetition is reported (load from elsewhere hits all of them alike).

use std::time::{Duration, Instant};

/// Timed repetitions per measure; the fastest one is reported.
const REPS: usize = 7;

/// The file's size in bytes: small enough that the read itself is cheap.
const FILE_BYTES: usize = 64;

fn main() {
    let quick = std::env::var_os("CORIO_BENCH_QUICK").is_some();
    let ops: u32 = if quick { 200 } else { 5_000 };
    let path = std::env::temp_dir().join(format!("corio-fs-ratios-{}", std::process::id()));
    std::fs::write(&path, [7u8; FILE_BYTES]).expect("write the bench file");

    let mut best = [Duration::MAX; 3];
    for _ in 0..REPS {
        best[0] = best[0].min(time(ops, || {
            assert_eq!(std::fs::read(&path).unwrap().len(), FILE_BYTES);
        }));
        best[1] = best[1].min(corio::run(|| {
            time(ops, || {
                assert_eq!(corio::fs::read(&path).unwrap().len(), FILE_BYTES);
            })
        }));
        best[2] = best[2].min(corio::run(|| time(ops, || corio::unblock(|| ()))));
    }
    std::fs::remove_file(&path).expect("remove the bench file");

    let per_op = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(ops);
    let [std_read, corio_read, hop] = best.map(per_op);
    println!("fs: one read of a {FILE_BYTES}-byte file, fastest of {REPS} x {ops}");
    println!("  std::fs::read inline            {std_read:8.2} us");
    println!(
        "  corio::fs::read in a task       {corio_read:8.2} us  ({:.1}x std)",
        corio_read / std_read
    );
    println!("  corio::unblock(|| ()) in a task {hop:8.2} us  (the hop alone)");
}

/// How long `ops` calls of `op` take.
fn time(ops: u32, mut op: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..ops {
        op();
    }
    start.elapsed()
}
