//! What corio prints on stderr for people, checked in child processes
//! (`test_child`): the dump `SIGQUIT` prints with `dump_on_sigquit` (the
//! signal must never reach the test runner), and the line naming a task
//! that panics.

mod util;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use util::process::{assert_success, run_scenario, scenario, stderr_text, stdout_text};

#[test]
fn sigquit_prints_a_dump_and_the_program_goes_on() {
    let mut child = scenario("dump_on_sigquit")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start test_child");
    let stderr = child.stderr.take().expect("piped stderr");
    // Read the dump as it comes; the child waits on stdin until then.
    let mut printed = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("read the child's stderr");
        let last = line.contains("waits_for_quit");
        printed.push(line);
        if last {
            break;
        }
    }
    drop(child.stdin.take()); // the child's main task reads EOF and ends
    let output = child.wait_with_output().expect("wait for test_child");
    assert_success(&output);
    let printed = printed.join("\n");
    assert!(printed.contains("corio: SIGQUIT"), "{printed}");
    assert!(
        printed.contains("task 2 'sigquit-waiter', parked") && printed.contains("to be set"),
        "{printed}"
    );
    assert!(printed.contains("waits_for_quit"), "{printed}");
    // The main task was in it too, waiting on the blocking pool.
    assert!(printed.contains("task 1 'main', parked"), "{printed}");
    assert_eq!(stdout_text(&output).trim(), "stdin: Ok(true)");
}

#[test]
fn a_panicking_task_is_named_with_its_spawn_site() {
    let output = run_scenario("named_task_panics");
    assert_success(&output);
    let stderr = stderr_text(&output);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("task 2 'conn 127.0.0.1:5512' spawned at "))
        .unwrap_or_else(|| panic!("no line naming the task:\n{stderr}"));
    assert!(
        line.contains("examples/test_child/debug.rs:")
            && line.contains(" panicked at examples/test_child/debug.rs:"),
        "{line}"
    );
    // The program's own hook (std's here) still prints the message.
    assert!(stderr.contains("the client hung up"), "{stderr}");
    assert_eq!(stdout_text(&output).trim(), "joined: Err(true)");
}

#[test]
fn dump_does_not_share_the_symbol_cache_with_a_task_parked_inside_it() {
    // In a process of its own: the scenario leaves backtrace's global lock
    // held (and, once the task is cancelled through it, poisoned).
    let output = run_scenario("dump_while_a_task_holds_the_symbol_cache");
    assert_success(&output);
    assert_eq!(
        stdout_text(&output).trim(),
        "listed: true, symbols unavailable: true"
    );
}
