//! Stack overflow reporting, checked in child processes because the
//! scenarios kill the process: running into a coroutine's guard page prints
//! `corio: coroutine stack overflow (stack size N KiB)` and aborts, while an
//! unrelated segmentation fault is left to kill the process as usual. The
//! scenarios are in `examples/test_child/main.rs`.

mod util;

fn assert_reported_overflow(scenario: &str, expected: &str) {
    let stderr = util::process::child_killed_by(scenario, util::SIGABRT);
    assert!(
        stderr.contains(expected),
        "missing {expected:?} in stderr:\n{stderr}"
    );
}

#[test]
fn overflow_of_a_default_stack_is_reported() {
    assert_reported_overflow(
        "overflow_default",
        "corio: coroutine stack overflow (stack size 256 KiB)",
    );
}

#[test]
fn overflow_of_a_recycled_and_discarded_slot_is_reported() {
    // The slot's pages went back to the kernel (MADV_DONTNEED) while it was
    // free; the guard must still be there when it is used again.
    assert_reported_overflow(
        "overflow_recycled",
        "corio: coroutine stack overflow (stack size 256 KiB)",
    );
}

#[test]
fn overflow_of_a_custom_stack_reports_its_size() {
    assert_reported_overflow(
        "overflow_64k",
        "corio: coroutine stack overflow (stack size 64 KiB)",
    );
}

#[test]
fn overflow_of_a_nested_generator_names_the_inner_stack() {
    assert_reported_overflow(
        "overflow_nested",
        "corio: coroutine stack overflow (stack size 32 KiB)",
    );
}

#[test]
fn unrelated_segfault_is_not_called_a_stack_overflow() {
    let stderr = util::process::child_killed_by("wild_write", util::SIGSEGV);
    assert!(!stderr.contains("stack overflow"), "stderr:\n{stderr}");
}

#[test]
fn overflow_of_a_thread_stack_is_left_to_std() {
    let stderr = util::process::child_killed_by("thread_overflow", util::SIGABRT);
    // std prints "thread 'plain-thread' (<id>) has overflowed its stack".
    let std_report = stderr
        .lines()
        .any(|line| line.contains("'plain-thread'") && line.contains("has overflowed its stack"));
    assert!(std_report, "stderr:\n{stderr}");
    assert!(!stderr.contains("corio:"), "stderr:\n{stderr}");
}

#[test]
fn overflow_of_a_task_stack_is_reported_with_its_size() {
    assert_reported_overflow(
        "overflow_task",
        "corio: coroutine stack overflow (stack size 48 KiB)",
    );
}
