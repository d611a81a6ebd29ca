//! Runs each program from the articles in its three versions (corio,
//! tokio, Python asyncio) and prints one table: wall time, peak memory,
//! the lines of code of the version's own source file (counted here, from
//! the file: lines that are neither blank nor comments, that is Rust `//`
//! lines, Python `#` lines and docstrings), and whether the output matches
//! corio's line for line once numbers (clock times, timings) are masked.
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
//! With `--html DIR`, each corio version also draws its run as an HTML
//! timeline, `DIR/<program>.html` (corio's `CORIO_TRACE_HTML`: the
//! programs themselves are unchanged).
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
const PROGRAMS: [&str; 5] = [
    "say_after",
    "coffee_shop",
    "resource_manager",
    "fetch_urls",
    "scraper",
];

/// What one run of one version produced.
struct Outcome {
    wall: Duration,
    peak_rss_kib: i64,
    lines: Vec<String>,
    success: bool,
}

/// The directory of `--html DIR`, created, if given.
fn html_dir() -> Option<std::path::PathBuf> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = match &args[..] {
        [] => return None,
        [flag, dir] if flag == "--html" => std::path::PathBuf::from(dir),
        _ => {
            eprintln!("usage: compare [--html DIR]");
            std::process::exit(2);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        std::process::exit(2);
    }
    Some(dir)
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let html = html_dir();
    examples::build_examples();
    let python = has_python();
    if !python {
        println!("python3 not found: the Python versions are skipped\n");
    }

    println!(
        "{:<18} {:<7} {:>9} {:>12} {:>22}  same output as corio",
        "program", "version", "wall", "peak RSS", "code lines, own file*"
    );
    println!("{}", "-".repeat(96));
    let mut failures = 0;
    let mut not_counted = Vec::new();
    for program in PROGRAMS {
        let sources = [
            root.join("examples").join(format!("{program}.rs")),
            root.join("examples").join(format!("tokio_{program}.rs")),
            root.join("examples/python").join(format!("{program}.py")),
        ];
        let mut corio = Command::new(examples::example(program));
        if let Some(dir) = &html {
            corio.env("CORIO_TRACE_HTML", dir.join(format!("{program}.html")));
        }
        let mut commands = vec![
            ("corio", corio),
            (
                "tokio",
                Command::new(examples::example(&format!("tokio_{program}"))),
            ),
        ];
        if python {
            let mut command = Command::new("python3");
            command.arg(&sources[2]);
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
        for ((version, outcome), source) in runs.iter().zip(&sources) {
            let counted = match code_lines(source) {
                Ok(n) => n.to_string(),
                Err(e) => format!("? ({e})"),
            };
            for included in included_files(source) {
                let n = code_lines(&included).map_or("?".to_string(), |n| n.to_string());
                let name = included.strip_prefix(root).unwrap_or(&included).display();
                not_counted.push(format!("{program} ({version}) includes {name}: {n} more"));
            }
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
                "{:<18} {:<7} {:>7.2} s {:>8} KiB {:>22}  {}",
                program,
                version,
                outcome.wall.as_secs_f64(),
                outcome.peak_rss_kib,
                counted,
                same
            );
        }
    }
    println!(
        "\n* code lines: lines of the version's own source file that are neither blank \
         nor comments (Rust `//`, `///`, `//!` lines; Python `#` lines and docstrings)"
    );
    for line in &not_counted {
        println!("  not counted above: {line}");
    }
    if let Some(dir) = &html {
        println!(
            "  HTML timelines of the corio versions: {}/<program>.html",
            dir.display()
        );
    }
    if failures > 0 {
        eprintln!("{failures} run(s) failed or printed other lines than corio");
        std::process::exit(1);
    }
}

/// Three double quotes: a Python docstring's delimiter.
const TRIPLE_QUOTE: &str = "\"\"\"";

/// The lines of the source file at `path` that are code: not blank, and
/// not comments (Rust: lines starting with `//`; Python: lines starting
/// with `#`, and docstrings, the string literals that open a line with
/// triple quotes). The examples use no `/* */` block comments.
fn code_lines(path: &Path) -> std::io::Result<usize> {
    let text = std::fs::read_to_string(path)?;
    let python = path.extension().is_some_and(|e| e == "py");
    let mut count = 0;
    let mut in_docstring = false;
    for line in text.lines().map(str::trim) {
        if in_docstring {
            in_docstring = !line.contains(TRIPLE_QUOTE);
            continue;
        }
        if line.is_empty() || (!python && line.starts_with("//")) {
            continue;
        }
        if python && line.starts_with('#') {
            continue;
        }
        if python && line.starts_with(TRIPLE_QUOTE) {
            // One line (`"""Does this."""`) or the first of several.
            in_docstring = !line[3..].contains(TRIPLE_QUOTE);
            continue;
        }
        count += 1;
    }
    Ok(count)
}

/// The other source files a Rust example pulls in with `#[path = "..."]`:
/// their lines are not in its count, and the table says so below it.
fn included_files(path: &Path) -> Vec<std::path::PathBuf> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("#[path = \""))
        .filter_map(|rest| rest.split_once('"'))
        .map(|(file, _)| dir.join(file))
        .collect()
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
