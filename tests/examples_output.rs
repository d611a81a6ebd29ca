//! Runs the example programs `say_after`, `coffee_shop` and
//! `resource_manager` in all their versions (corio, tokio and, when `python3`
//! is on the PATH, asyncio) and checks what they print: the lines come in the
//! right order, the waits overlap (time bounds are generous margins against
//! serial execution, never exact timings), and the versions print the same
//! lines once the HH:MM:SS clock readings are masked.
//!
//! The examples are built by a nested `cargo build`, so that
//! `cargo test --test examples_output` works on its own (a plain `cargo test`
//! would build them anyway). The binaries are found next to this test's:
//! `target/<profile>/deps/<test>` -> `target/<profile>/examples/<name>`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// The programs, each with a corio, a `tokio_` and a Python version.
const PROGRAMS: [&str; 3] = ["say_after", "coffee_shop", "resource_manager"];

/// What one version of a program printed, and how long it ran.
struct Run {
    who: String,
    lines: Vec<String>,
    wall: Duration,
}

impl Run {
    /// Index of the first line equal to `line`, or a failure naming it.
    fn find(&self, line: &str) -> usize {
        self.find_from(0, line)
    }

    /// Index of the first line equal to `line` at or after `from`.
    fn find_from(&self, from: usize, line: &str) -> usize {
        self.lines[from..]
            .iter()
            .position(|l| l == line)
            .map(|i| from + i)
            .unwrap_or_else(|| panic!("{}: no line {line:?} in\n{}", self.who, self.text()))
    }

    /// Asserts that `wanted` appear in this order (other lines may interleave).
    fn assert_in_order(&self, wanted: &[&str]) {
        let mut from = 0;
        for line in wanted {
            from = self.find_from(from, line) + 1;
        }
    }

    /// The whole seconds reported on the line starting with `prefix`,
    /// e.g. `"part 1 took "` in `"part 1 took 4 s"`.
    fn seconds_after(&self, from: usize, prefix: &str) -> u64 {
        let line = self.lines[from..]
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("{}: no line starting {prefix:?}", self.who));
        let number = line.strip_suffix(" s").unwrap_or(line);
        number
            .parse()
            .unwrap_or_else(|_| panic!("{}: {prefix:?} not followed by seconds", self.who))
    }

    fn text(&self) -> String {
        self.lines.join("\n")
    }
}

/// Replaces every `dd:dd:dd` clock reading with `HH:MM:SS`.
fn mask_clock(line: &str) -> String {
    let mut chars: Vec<char> = line.chars().collect();
    let shape = "dd:dd:dd";
    let mut i = 0;
    while i + shape.len() <= chars.len() {
        let window = &chars[i..i + shape.len()];
        let matches = shape.chars().zip(window).all(|(s, &c)| match s {
            'd' => c.is_ascii_digit(),
            _ => c == s,
        });
        if matches {
            chars.splice(i..i + shape.len(), "HH:MM:SS".chars());
            i += shape.len();
        } else {
            i += 1;
        }
    }
    chars.into_iter().collect()
}

/// The directory of the example binaries that belong with this test binary.
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let profile_dir = exe.parent().and_then(Path::parent);
    profile_dir
        .expect("the test binary lives in target/<profile>/deps")
        .join("examples")
}

/// Builds the six Rust examples once per test process, in this test's profile.
fn build_examples() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--quiet"]);
        let profile = examples_dir()
            .parent()
            .and_then(Path::file_name)
            .map(|p| p.to_owned());
        if profile.is_some_and(|p| p == "release") {
            command.arg("--release");
        }
        for name in PROGRAMS.iter().chain([&"fetch_urls"]) {
            command.args(["--example", name, "--example", &format!("tokio_{name}")]);
        }
        let out = command.output().expect("cargo can be started");
        assert!(
            out.status.success(),
            "building the examples failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

/// Runs `program` with `args`, checks it succeeded, and records its output.
fn run(who: String, program: impl AsRef<std::ffi::OsStr>, args: &[&Path]) -> Run {
    let start = Instant::now();
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{who}: cannot start: {e}"));
    let wall = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{who} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = stdout.lines().map(mask_clock).collect();
    Run { who, lines, wall }
}

fn python_available() -> bool {
    let version = Command::new("python3").arg("--version").output();
    version.is_ok_and(|out| out.status.success())
}

/// Runs every version of `name` at once (corio first, then tokio, then
/// Python if there is one) and checks that they all print the same lines.
fn run_versions(name: &str) -> Vec<Run> {
    build_examples();
    let dir = examples_dir();
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/python")
        .join(format!("{name}.py"));
    let with_python = python_available();
    if !with_python {
        println!("note: python3 is not on the PATH; skipping examples/python/{name}.py");
    }
    let runs: Vec<Run> = thread::scope(|s| {
        let mut handles = vec![
            s.spawn(|| run(format!("corio {name}"), dir.join(name), &[])),
            s.spawn(|| {
                run(
                    format!("tokio_{name}"),
                    dir.join(format!("tokio_{name}")),
                    &[],
                )
            }),
        ];
        if with_python {
            let script = script.as_path();
            handles.push(s.spawn(move || run(format!("{name}.py"), "python3", &[script])));
        }
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for other in &runs[1..] {
        assert_same_lines(&runs[0], other);
    }
    runs
}

fn assert_same_lines(reference: &Run, other: &Run) {
    if reference.lines == other.lines {
        return;
    }
    let first_difference = reference
        .lines
        .iter()
        .zip(&other.lines)
        .position(|(a, b)| a != b)
        .unwrap_or(reference.lines.len().min(other.lines.len()));
    panic!(
        "{} and {} differ from line {}:\n--- {}\n{}\n--- {}\n{}",
        reference.who,
        other.who,
        first_difference + 1,
        reference.who,
        reference.text(),
        other.who,
        other.text()
    );
}

#[test]
fn say_after_waits_in_sequence_then_side_by_side() {
    for run in run_versions("say_after") {
        let part2 = run.find("-- concurrently --");
        for from in [0, part2] {
            let first = run.find_from(from, "started at HH:MM:SS UTC");
            let hello = run.find_from(first, "hello");
            let world = run.find_from(hello, "world");
            run.find_from(world, "finished at HH:MM:SS UTC");
        }
        let sequential = run.seconds_after(0, "took ");
        let concurrent = run.seconds_after(part2, "took ");
        assert!(sequential >= 3, "{}: part 1 took {sequential} s", run.who);
        assert!(concurrent >= 2, "{}: part 2 took {concurrent} s", run.who);
        assert!(concurrent < sequential, "{}: no overlap in part 2", run.who);
        // Serial execution would take 6 s in all.
        assert!(
            run.wall < Duration::from_millis(5_800),
            "{}: {:?}",
            run.who,
            run.wall
        );
    }
}

#[test]
fn coffee_shop_brews_three_cups_at_once() {
    for run in run_versions("coffee_shop") {
        let customers = ["Alice", "Bob", "Charlie"];
        let orders: Vec<usize> = customers
            .iter()
            .map(|c| run.find(&format!("{c} ordered coffee")))
            .collect();
        let cups: Vec<usize> = customers
            .iter()
            .map(|c| run.find(&format!("{c}'s coffee is ready")))
            .collect();
        assert!(orders.is_sorted() && cups.is_sorted(), "{}", run.text());
        assert!(orders[2] < cups[0], "{}: a cup before every order", run.who);
        let served = run.seconds_after(0, "served 3 customers in ");
        assert!(
            (2..=3).contains(&served),
            "{}: served in {served} s",
            run.who
        );
        // Serial brewing would take 6 s.
        assert!(
            run.wall < Duration::from_secs(5),
            "{}: {:?}",
            run.who,
            run.wall
        );
    }
}

#[test]
fn resource_manager_overlaps_then_limits_holders_to_two() {
    for run in run_versions("resource_manager") {
        let part2 = run.find("-- part 2: at most two holders --");

        // Part 1: every resource is in use before any is released.
        let used: Vec<usize> = (0..5)
            .map(|id| run.find(&format!("Using resource {id}")))
            .collect();
        let released = run.find("Released resource 0");
        assert!(used.is_sorted() && used[4] < released, "{}", run.text());
        for id in 0..5 {
            let line = format!("Released resource {id}");
            let twice = run.find_from(run.find(&line) + 1, &line);
            assert!(
                twice < part2,
                "{}: resource {id} not released twice",
                run.who
            );
        }
        let took = run.seconds_after(0, "part 1 took ");
        assert!(
            (4..=6).contains(&took),
            "{}: part 1 took {took} s (20 s serially)",
            run.who
        );

        // Part 2: permits go first come, first served, two at a time.
        let got: Vec<usize> = (0..5)
            .map(|id| run.find_from(part2, &format!("task {id} got a permit")))
            .collect();
        assert!(got.is_sorted(), "{}: permits out of order", run.who);
        let waiters: Vec<&str> = run.lines[part2..]
            .iter()
            .filter(|l| l.ends_with("waits for a permit"))
            .map(String::as_str)
            .collect();
        assert_eq!(
            waiters,
            [
                "task 2 waits for a permit",
                "task 3 waits for a permit",
                "task 4 waits for a permit"
            ]
        );
        for (giver, taker) in [(0, 2), (1, 3), (2, 4)] {
            let gave = run.find_from(part2, &format!("task {giver} gave its permit back"));
            assert!(
                gave < got[taker],
                "{}: task {taker} did not wait for {giver}",
                run.who
            );
        }
        let mut holders = 0;
        for line in &run.lines[part2..] {
            if line.ends_with("got a permit") {
                holders += 1;
                assert!(
                    holders <= 2,
                    "{}: three holders at once:\n{}",
                    run.who,
                    run.text()
                );
            } else if line.ends_with("gave its permit back") {
                holders -= 1;
            }
        }
        for id in 0..5 {
            run.assert_in_order(&[
                &format!("task {id} got a permit"),
                &format!("Acquired resource {id}"),
                &format!("Using resource {id}"),
                &format!("Released resource {id}"),
                &format!("task {id} gave its permit back"),
            ]);
        }
        // Two permits: 3 s; one permit would take 5 s, no limit about 1.4 s.
        let took = run.seconds_after(part2, "part 2 took ");
        assert!((3..=4).contains(&took), "{}: part 2 took {took} s", run.who);
        assert!(
            run.wall < Duration::from_secs(11),
            "{}: {:?}",
            run.who,
            run.wall
        );
    }
}

#[test]
fn clock_readings_are_masked() {
    assert_eq!(
        mask_clock("started at 09:05:59 UTC"),
        "started at HH:MM:SS UTC"
    );
    assert_eq!(mask_clock("took 3 s"), "took 3 s");
}

/// Every run of digits as `#`: ports and timings differ between runs.
fn mask_numbers(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if !c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('#') {
            out.push('#');
        }
    }
    out
}

#[test]
fn fetch_urls_starts_all_three_then_the_slow_one_finishes_last_in_every_version() {
    build_examples();
    let dir = examples_dir();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python/fetch_urls.py");
    let with_python = python_available();
    let runs: Vec<Run> = thread::scope(|s| {
        let mut handles = vec![
            s.spawn(|| run("corio fetch_urls".into(), dir.join("fetch_urls"), &[])),
            s.spawn(|| run("tokio_fetch_urls".into(), dir.join("tokio_fetch_urls"), &[])),
        ];
        if with_python {
            let script = script.as_path();
            handles.push(s.spawn(move || run("fetch_urls.py".into(), "python3", &[script])));
        }
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut reference: Option<Vec<String>> = None;
    for run in &runs {
        let starts: Vec<usize> = positions(&run.lines, "Starting: ");
        let dones: Vec<usize> = positions(&run.lines, "Done: ");
        assert_eq!(
            (starts.len(), dones.len()),
            (3, 3),
            "{}:\n{}",
            run.who,
            run.text()
        );
        assert!(
            starts.iter().max() < dones.iter().min(),
            "{}: a fetch finished before all started",
            run.who
        );
        let last_done = &run.lines[*dones.last().unwrap()];
        assert!(
            last_done.contains("/delay/2"),
            "{}: the 2 s fetch must finish last",
            run.who
        );
        assert!(
            run.wall < Duration::from_millis(4_500),
            "{}: took {:?}, not ~2 s",
            run.who,
            run.wall
        );
        // The two fast fetches may finish in either order; compare as sets.
        let mut masked: Vec<String> = run.lines.iter().map(|l| mask_numbers(l)).collect();
        masked.sort();
        match &reference {
            None => reference = Some(masked),
            Some(expected) => assert_eq!(
                &masked, expected,
                "{} prints other lines than corio",
                run.who
            ),
        }
    }
}

fn positions(lines: &[String], needle: &str) -> Vec<usize> {
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .map(|(i, _)| i)
        .collect()
}
