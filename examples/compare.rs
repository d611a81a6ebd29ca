//! Runs each program from the articles in its three versions (corio,
//! tokio, Python asyncio) and prints one table: wall time, peak memory, and
//! whether the output matches corio's line for line once numbers (clock
//! times, timings) are masked.
//!
//! ```sh
//! cargo run --release --example compare
//! ```
//!
//! The Rust versions are built first (`cargo build --examples`, in the
//! target directory and profile this program runs from, so
//! `CARGO_TARGET_DIR` is honoured); the Python ones are skipped when
//! `python3` is not installed. The three versions of a program run at the
//! same time: they mostly sleep, so running them side by side does not
//! change their timings, and the whole comparison takes about as long as
//! the slowest program.
//!
//! It exits with status 1 if any version fails or prints other lines than
//! corio's ("no" in the last column), so CI can run it. `fetch_urls`'s two
//! fast fetches finish together and may be printed in either order.

// The helpers the tests use, so both build, find and compare the same way.
#[allow(dead_code)]
#[path = "../tests/util/examples.rs"]
mod examples;
#[allow(dead_code)]
#[path = "../tests/util/output.rs"]
mod output;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The programs compared, by example name (tokio twin: `tokio_<name>`,
/// Python twin: `examples/python/<name>.py`).
const PROGRAMS: [&str; 4] = ["say_after", "coffee_shop", "resource_manager", "fetch_urls"];

/// What one run of one version produced.
struct Outcome {
    wall: Duration,
    peak_rss_kib: i64,
    lines: Vec<String>,
    success: bool,
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    examples::build_examples();
    let python = has_python();
    if !python {
        println!("python3 not found: the Python versions are skipped\n");
    }

    println!(
        "{:<18} {:<7} {:>9} {:>12}  same output as corio",
        "program", "version", "wall", "peak RSS"
    );
    println!("{}", "-".repeat(72));
    let mut failures = 0;
    for program in PROGRAMS {
        let mut commands = vec![
            ("corio", Command::new(examples::example(program))),
            (
                "tokio",
                Command::new(examples::example(&format!("tokio_{program}"))),
            ),
        ];
        if python {
            let mut command = Command::new("python3");
            command.arg(root.join("examples/python").join(format!("{program}.py")));
            commands.push(("python", command));
        }
        // Side by side: each thread runs one version.
        let runs: Vec<(&str, Outcome)> = thread::scope(|s| {
            let handles: Vec<_> = commands
                .into_iter()
                .map(|(version, command)| s.spawn(move || (version, run(command))))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("runner thread"))
                .collect()
        });
        let reference = &runs[0].1.lines;
        for (version, outcome) in &runs {
            let same = if !outcome.success {
                failures += 1;
                "FAILED (non-zero exit)"
            } else if output::same_output(program, reference, &outcome.lines) {
                "yes"
            } else {
                failures += 1;
                "no"
            };
            println!(
                "{:<18} {:<7} {:>7.2} s {:>8} KiB  {}",
                program,
                version,
                outcome.wall.as_secs_f64(),
                outcome.peak_rss_kib,
                same
            );
        }
    }
    if failures > 0 {
        eprintln!("{failures} run(s) failed or printed other lines than corio");
        std::process::exit(1);
    }
}

fn has_python() -> bool {
    Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `command` to completion, collecting its output, wall time and the
/// peak resident memory the kernel reports for it (`wait4`'s `ru_maxrss`).
#[expect(
    clippy::zombie_processes,
    reason = "reaped with wait4, which also reports its memory"
)]
fn run(mut command: Command) -> Outcome {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start");
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_string(&mut stdout)
        .expect("child output is UTF-8");
    let pid = i32::try_from(child.id()).expect("pid fits in i32");
    let mut status = 0;
    // SAFETY: rusage is plain old data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our unreaped child; the out-pointers are valid. After
    // this the child is reaped, so `child` is never waited on again.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    let success = reaped == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    Outcome {
        wall,
        peak_rss_kib: usage.ru_maxrss,
        lines: stdout.lines().map(str::to_owned).collect(),
        success,
    }
}
