//! Runs the example programs `say_after`, `coffee_shop`, `resource_manager`,
//! `fetch_urls` and `scraper` in all their versions (corio, tokio and, when
//! `python3` is on the PATH, asyncio), and the generators tour with its
//! Python twin, and checks what they print: the lines come in the
//! right order, the waits overlap (shown by the order of the lines: every
//! order is placed before any cup is ready), and the versions print the same
//! lines once numbers (clock readings, timings, ports) are masked, with
//! `tests/util/output.rs`, the masker `examples/compare.rs` uses too.
//!
//! No assertion bounds a wall-clock time from above: a loaded machine or
//! valgrind must not fail them. Lower bounds (a 2 s sleep took 2 s) stay.

mod util;

use std::path::Path;
use std::process::Command;
use std::thread;

use util::examples::example;
use util::output::{mask_numbers, same_output};

/// What one version of a program printed.
struct Run {
    who: String,
    lines: Vec<String>,
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

    /// Index of the first line at or after `from` that equals `pattern`
    /// once numbers are masked (for lines that print the time of day).
    fn find_masked_from(&self, from: usize, pattern: &str) -> usize {
        let pattern = mask_numbers(pattern);
        self.lines[from..]
            .iter()
            .position(|l| mask_numbers(l) == pattern)
            .map(|i| from + i)
            .unwrap_or_else(|| panic!("{}: no line like {pattern:?} in\n{}", self.who, self.text()))
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

/// Runs `program` with `args`, checks it succeeded, and records its output.
fn run(who: String, program: impl AsRef<std::ffi::OsStr>, args: &[&Path]) -> Run {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{who}: cannot start: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{who} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = stdout.lines().map(str::to_owned).collect();
    Run { who, lines }
}

fn python_available() -> bool {
    let version = Command::new("python3").arg("--version").output();
    version.is_ok_and(|out| out.status.success())
}

/// Runs every version of `name` at once (corio first, then tokio, then
/// Python if there is one) and checks that they all print the same lines.
fn run_versions(name: &str) -> Vec<Run> {
    let (corio, tokio) = (example(name), example(&format!("tokio_{name}")));
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/python")
        .join(format!("{name}.py"));
    let with_python = python_available();
    if !with_python {
        println!("note: python3 is not on the PATH; skipping examples/python/{name}.py");
    }
    let runs: Vec<Run> = thread::scope(|s| {
        let mut handles = vec![
            s.spawn(|| run(format!("corio {name}"), &corio, &[])),
            s.spawn(|| run(format!("tokio_{name}"), &tokio, &[])),
        ];
        if with_python {
            let script = script.as_path();
            handles.push(s.spawn(move || run(format!("{name}.py"), "python3", &[script])));
        }
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for other in &runs[1..] {
        assert_same_lines(name, &runs[0], other);
    }
    runs
}

/// Asserts that `other` printed what `reference` did (see [`same_output`]).
fn assert_same_lines(program: &str, reference: &Run, other: &Run) {
    if same_output(program, &reference.lines, &other.lines) {
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
            let first = run.find_masked_from(from, "started at 00:00:00 UTC");
            let hello = run.find_from(first, "hello");
            let world = run.find_from(hello, "world");
            run.find_masked_from(world, "finished at 00:00:00 UTC");
        }
        let sequential = run.seconds_after(0, "took ");
        let concurrent = run.seconds_after(part2, "took ");
        assert!(sequential >= 3, "{}: part 1 took {sequential} s", run.who);
        assert!(concurrent >= 2, "{}: part 2 took {concurrent} s", run.who);
        // The program's output has no order that shows the overlap, so it is
        // a comparison of the two parts' own timings (both lower-bounded by
        // their sleeps, under the same load), not a bound on wall time.
        assert!(concurrent < sequential, "{}: no overlap in part 2", run.who);
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
        // Every cup takes its 2 s; the overlap is shown by the order above.
        let served = run.seconds_after(0, "served 3 customers in ");
        assert!(served >= 2, "{}: served in {served} s", run.who);
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
        // The waits overlap (the order above shows it; serially they would
        // take 20 s); the longest alone takes 4 s.
        let took = run.seconds_after(0, "part 1 took ");
        assert!(took >= 4, "{}: part 1 took {took} s", run.who);

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
        // Two permits: at least 3 s (the order checks above show the limit).
        let took = run.seconds_after(part2, "part 2 took ");
        assert!(took >= 3, "{}: part 2 took {took} s", run.who);
    }
}

#[test]
fn the_masker_hides_numbers_and_lets_only_the_fast_fetches_swap() {
    assert_eq!(
        mask_numbers("[T+0.02s] started at 09:05:59 UTC, port 41234"),
        "[T+#.#s] started at #:#:# UTC, port #"
    );
    let lines = |order: [&str; 3]| -> Vec<String> {
        order
            .iter()
            .map(|path| format!("[T+0.01s] Done: http://127.0.0.1:8/{path} -> 5 characters"))
            .collect()
    };
    let reference = lines(["", "big", "delay/2"]);
    let fast_swapped = lines(["big", "", "delay/2"]);
    let slow_moved = lines(["delay/2", "", "big"]);
    assert!(same_output("fetch_urls", &reference, &fast_swapped));
    assert!(!same_output("fetch_urls", &reference, &slow_moved));
    assert!(!same_output("say_after", &reference, &fast_swapped));
}

#[test]
fn fetch_urls_starts_all_three_then_the_slow_one_finishes_last_in_every_version() {
    // The versions print the same lines, the fast fetches in either order.
    for run in run_versions("fetch_urls") {
        let starts: Vec<usize> = positions(&run.lines, "] Starting: ");
        let dones: Vec<usize> = positions(&run.lines, "] Done: ");
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

/// The lines of the generators tour both programs print: without the Rust
/// program's `|` lines (the Python it mirrors) and either's `#` notes.
fn tour_lines(run: &Run) -> Vec<&str> {
    run.lines
        .iter()
        .map(String::as_str)
        .filter(|l| !l.starts_with("  |") && !l.starts_with("  #"))
        .collect()
}

#[test]
fn the_generators_tour_and_its_python_twin_print_the_same_text() {
    let corio = run("generators".into(), example("generators"), &[]);
    let sections = corio.lines.iter().filter(|l| l.starts_with("== ")).count();
    assert_eq!(sections, 8, "sections a to h:\n{}", corio.text());
    corio.assert_in_order(&[
        "== h. throw: raising at the paused yield ==",
        "  counter caught Reset",
        "  throw(Reset) -> yielded 1",
        "  cleanup: counter",
        "  throw(Stop) -> came back out: Stop",
        "  delegate caught Reset",
        "  throw(Reset) before the first resume -> came back out: Reset",
    ]);
    if !python_available() {
        println!("note: python3 is not on the PATH; skipping examples/python/generators.py");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python/generators.py");
    let python = run("generators.py".into(), "python3", &[&script]);
    assert_eq!(
        tour_lines(&corio),
        tour_lines(&python),
        "the two tours differ:\n--- corio\n{}\n--- python\n{}",
        corio.text(),
        python.text()
    );
}

/// The number in a `peak concurrency: N (limit 8)` line.
fn peak_concurrency(run: &Run) -> usize {
    let line = run.lines[run.find_masked_from(0, "peak concurrency: 0 (limit 8)")].clone();
    let number = line
        .strip_prefix("peak concurrency: ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok());
    number.unwrap_or_else(|| panic!("{}: no number in {line:?}", run.who))
}

#[test]
fn scraper_follows_every_link_once_within_eight_in_flight_in_every_version() {
    // Same lines in every version once numbers are masked...
    let runs = run_versions("scraper");
    for run in &runs {
        // ...and the same counts: the site is the same every run.
        run.assert_in_order(&[
            "crawled the local site from / with at most 8 requests in flight",
            "requests: 223, one per distinct link",
            "pages fetched: 201",
            "errors: 22 (http 404: 20, malformed response: 1, timed out: 1)",
        ]);
        let peak = peak_concurrency(run);
        assert!(
            (1..=8).contains(&peak),
            "{}: peak concurrency {peak} with a limit of 8",
            run.who
        );
        run.find_masked_from(0, "wall time: 0.00 s");
        // Only the wall time and the peak may differ between versions.
        let summary = |run: &Run| -> Vec<String> {
            run.lines
                .iter()
                .filter(|l| !l.starts_with("wall time: ") && !l.starts_with("peak concurrency: "))
                .cloned()
                .collect()
        };
        assert_eq!(
            summary(run),
            summary(&runs[0]),
            "{} and {}",
            run.who,
            runs[0].who
        );
    }
}
