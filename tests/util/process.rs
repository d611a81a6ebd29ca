//! Child processes for scenarios that end the process (a stack overflow,
//! an abort) or need a process of their own (an address-space limit,
//! `CORIO_TRACE` read at start-up): the one child-process runner.
//!
//! The scenarios live in `examples/test_child/main.rs`, a binary that does
//! nothing unless given a scenario name, so they never count as tests.

use std::process::{Command, Output};

use super::examples::example;

/// A command that runs `scenario` of the `test_child` binary, with
/// `RUST_BACKTRACE=0` so panics print only their message. Add environment
/// or limits to it, then run it with [`output_of`].
pub fn scenario(scenario: &str) -> Command {
    let mut command = Command::new(example("test_child"));
    command.arg(scenario).env("RUST_BACKTRACE", "0");
    command
}

/// Runs `command` to completion and returns what it printed.
///
/// # Panics
///
/// If the command cannot be started.
pub fn output_of(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

/// Runs `name` (see [`scenario`]) and returns its output.
pub fn run_scenario(name: &str) -> Output {
    output_of(&mut scenario(name))
}

/// The signal that ended a child, if a signal did.
pub fn termination_signal(output: &Output) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    output.status.signal()
}

/// The child's standard error, lossily decoded.
pub fn stderr_text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The child's standard output, lossily decoded.
pub fn stdout_text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Asserts that the child exited with status 0, showing its output if not.
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "child failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        stdout_text(output),
        stderr_text(output)
    );
}

/// Runs scenario `name`, checks that the child was killed by `signal`, and
/// returns its standard error.
pub fn child_killed_by(name: &str, signal: i32) -> String {
    let output = run_scenario(name);
    let stderr = stderr_text(&output);
    assert!(
        !output.status.success(),
        "child exited successfully; stderr:\n{stderr}"
    );
    assert_eq!(
        termination_signal(&output),
        Some(signal),
        "child should die of signal {signal} ({:?}); stderr:\n{stderr}",
        output.status
    );
    stderr
}
