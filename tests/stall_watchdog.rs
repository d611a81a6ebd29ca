//! The stall watchdog (`Builder::stall_threshold`, `CORIO_STALL_MS`): a
//! task that blocks its loop with `std::thread::sleep` is named on stderr,
//! with its spawn site and for how long, once per stall; a loop busy with
//! short resumes is not reported; the variable works, the builder wins,
//! and nothing runs when it is off.
//!
//! Each scenario runs in a child process (`examples/test_child/stall.rs`):
//! the reports come from a thread of the child, on its stderr. The
//! child's stalls last 1.5 s or more against thresholds of 200 ms (1 s for
//! the busy loop, whose resumes each take microseconds), so load on the
//! machine cannot flip a result; the only durations checked are lower
//! bounds that hold by construction.

mod util;

use std::process::{Command, Output};
use std::time::Duration;

use util::process::{assert_success, output_of, scenario, stderr_text, stdout_text};

const PREFIX: &str = "corio: stall watchdog: ";

/// A scenario's command, with the variables of the test's own
/// environment that would change it removed.
fn child(name: &str) -> Command {
    let mut command = scenario(name);
    command
        .env_remove("CORIO_STALL_MS")
        .env_remove("TEST_STALL_BUILDER_MS");
    command
}

/// Runs `command`, checks it succeeded, and returns its stdout and stderr.
fn run(command: &mut Command) -> (String, String) {
    let output: Output = output_of(command);
    assert_success(&output);
    (stdout_text(&output), stderr_text(&output))
}

/// The watchdog's reports of a stall, in order.
fn reports(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with(PREFIX) && l.contains(" has run for over "))
        .collect()
}

/// The watchdog's lines saying a stall ended, in order.
fn ends(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with(PREFIX) && l.contains(" gave the loop "))
        .collect()
}

/// `(id, spawn site)` of the child's task `sleepy`, as the child printed
/// them (`sleepy: task 2 spawned at examples/test_child/stall.rs:31`).
fn sleepy(stdout: &str) -> (u64, String) {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("sleepy: task "))
        .unwrap_or_else(|| panic!("the child did not say where sleepy is:\n{stdout}"));
    let (id, site) = line.split_once(" spawned at ").expect("id and site");
    (id.parse().expect("a task id"), site.to_owned())
}

/// The duration in a line after `after` (`205 ms`, `1.5 s`).
fn duration_after(line: &str, after: &str) -> Duration {
    let rest = &line[line
        .find(after)
        .unwrap_or_else(|| panic!("{after:?} in {line}"))
        + after.len()..];
    let mut words = rest.split(' ');
    let number: f64 = words
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    match words.next() {
        Some("ms") => Duration::from_secs_f64(number / 1000.0),
        Some("s") => Duration::from_secs_f64(number),
        _ => panic!("no unit in {line}"),
    }
}

/// What a report of `sleepy` must say: who, where spawned, on which loop.
fn assert_names_sleepy(report: &str, stdout: &str, thread: &str) {
    let (id, site) = sleepy(stdout);
    assert!(
        report.contains(&format!("task {id} 'sleepy' (spawned at {site}:")),
        "{report}"
    );
    assert!(report.contains(&format!("(thread '{thread}')")), "{report}");
}

#[test]
fn a_blocking_task_is_named_once_with_its_spawn_site_and_how_long() {
    let (stdout, stderr) = run(&mut child("stall_once"));
    let reports = reports(&stderr);
    assert_eq!(reports.len(), 1, "one stall, one report:\n{stderr}");
    assert_names_sleepy(reports[0], &stdout, "main");
    // It is reported once past the threshold, and says so.
    assert!(
        duration_after(reports[0], "has run for over ") >= Duration::from_millis(200),
        "{}",
        reports[0]
    );
    let ends = ends(&stderr);
    assert_eq!(ends.len(), 1, "{stderr}");
    let (id, _) = sleepy(&stdout);
    assert!(ends[0].contains(&format!("task {id} 'sleepy' gave the loop (thread 'main')")));
    // It slept 1.5 s; the watchdog's clock starts at most 50 ms late.
    assert!(
        duration_after(ends[0], "back after about ") >= Duration::from_secs(1),
        "{}",
        ends[0]
    );
    let at = |line: &str| stderr.find(line).expect("a line of stderr");
    assert!(at(reports[0]) < at(ends[0]), "{stderr}");
}

#[test]
fn each_stall_is_reported_once_including_the_main_task_in_a_generator() {
    let (stdout, stderr) = run(&mut child("stall_three_times"));
    let reports = reports(&stderr);
    assert_eq!(reports.len(), 3, "three stalls, three reports:\n{stderr}");
    assert_names_sleepy(reports[0], &stdout, "main");
    assert_names_sleepy(reports[1], &stdout, "main");
    // The third blocks in a generator the main task resumes: the task is
    // what stalls the loop, and the main task's site is `run_local`'s.
    assert!(
        reports[2].contains("task 1 'main' (spawned at examples/test_child/stall.rs:"),
        "{}",
        reports[2]
    );
    assert_eq!(ends(&stderr).len(), 3, "{stderr}");
}

#[test]
fn a_loop_busy_with_short_resumes_is_not_a_stall() {
    let (stdout, stderr) = run(&mut child("stall_after_busy"));
    assert!(stdout.contains("busy tasks done"), "{stdout}");
    // The only report is of the deliberate stall at the end, which shows
    // the watchdog was watching while the busy tasks ran.
    let reports = reports(&stderr);
    assert_eq!(reports.len(), 1, "{stderr}");
    assert_names_sleepy(reports[0], &stdout, "main");
    assert!(!stderr.contains("'busy "), "{stderr}");
}

#[test]
fn off_by_default() {
    let (stdout, stderr) = run(&mut child("stall_with_env"));
    assert!(stdout.contains("finished"), "{stdout}");
    assert!(!stderr.contains(PREFIX), "{stderr}");
}

#[test]
fn corio_stall_ms_turns_it_on() {
    let (stdout, stderr) = run(child("stall_with_env").env("CORIO_STALL_MS", "200"));
    let reports = reports(&stderr);
    assert_eq!(reports.len(), 1, "{stderr}");
    assert_names_sleepy(reports[0], &stdout, "main");
}

#[test]
fn an_invalid_corio_stall_ms_is_a_warning_not_a_panic() {
    let (stdout, stderr) = run(child("stall_with_env").env("CORIO_STALL_MS", "soon"));
    assert!(stdout.contains("finished"), "{stdout}");
    let warnings: Vec<_> = stderr
        .lines()
        .filter(|l| l.starts_with("corio: ignoring CORIO_STALL_MS=\"soon\""))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(reports(&stderr).is_empty(), "{stderr}");
}

#[test]
fn the_builder_setting_wins_over_the_variable() {
    // The variable's 10 minutes would never report a 1.5 s stall.
    let (stdout, stderr) = run(child("stall_with_env")
        .env("CORIO_STALL_MS", "600000")
        .env("TEST_STALL_BUILDER_MS", "200"));
    let reports = reports(&stderr);
    assert_eq!(reports.len(), 1, "{stderr}");
    assert_names_sleepy(reports[0], &stdout, "main");
    // And a zero threshold turns it off whatever the variable says.
    let (_, stderr) = run(child("stall_with_env")
        .env("CORIO_STALL_MS", "200")
        .env("TEST_STALL_BUILDER_MS", "0"));
    assert!(!stderr.contains(PREFIX), "{stderr}");
}

#[test]
fn one_monitor_thread_for_all_runtimes_and_none_when_off() {
    let (stdout, stderr) = run(&mut child("stall_monitor_thread"));
    let lines: Vec<_> = stdout.lines().collect();
    assert_eq!(
        lines,
        ["off: 0 new, 0 watchdog", "two runtimes: 1", "after: 0"],
        "{stdout}"
    );
    // The second runtime of `Builder::run` stalled in its main task.
    let reports = reports(&stderr);
    assert_eq!(reports.len(), 1, "{stderr}");
    assert!(
        reports[0].contains("task 1 'main'") && reports[0].contains("(thread 'corio-1')"),
        "{}",
        reports[0]
    );
}

#[test]
fn destructors_the_loop_runs_are_watched_as_their_tasks_code() {
    let (stdout, stderr) = run(&mut child("stall_in_destructors"));
    assert!(stdout.contains("detached: task "), "{stdout}");
    let reports = reports(&stderr);
    assert_eq!(reports.len(), 2, "two blocking destructors:\n{stderr}");
    assert!(reports[0].contains("'unrun'"), "{}", reports[0]);
    assert!(reports[1].contains("'detached'"), "{}", reports[1]);
    assert_eq!(ends(&stderr).len(), 2, "{stderr}");
}
