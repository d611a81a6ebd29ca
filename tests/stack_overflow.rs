//! Stack overflow reporting, checked in child processes because the
//! scenarios kill the process: running into a coroutine's guard page prints
//! `corio: coroutine stack overflow (stack size N KiB)` and aborts, while an
//! unrelated segmentation fault is left to kill the process as usual.

mod util;

use std::hint::black_box;

use corio::Generator;

/// Recurses until the stack runs out. Each frame keeps a local array alive
/// across the recursive call so the compiler can neither shrink the frame
/// nor turn the recursion into a loop.
fn recurse_forever(depth: u64) -> u64 {
    let mut frame = [0u8; 256];
    frame[(depth % 256) as usize] = 1;
    black_box(&mut frame);
    // Never true; it only keeps the recursion from looking unconditional.
    if black_box(depth) == u64::MAX {
        return 0;
    }
    recurse_forever(depth + 1) + u64::from(frame[0])
}

fn overflow_on(mut g: Generator<(), (), u64>) {
    let depth = g.resume(());
    eprintln!("child: recursion finished ({depth:?}); expected a stack overflow");
}

/// Not a real test: it does nothing in a normal run. The tests below re-run
/// this binary with `CORIO_CHILD` set so that this entry performs a scenario
/// that kills the process.
#[test]
fn child_process_entry() {
    match util::child_scenario().as_deref() {
        None => {}
        Some("overflow_default") => overflow_on(Generator::new(|_, ()| recurse_forever(0))),
        Some("overflow_64k") => {
            overflow_on(Generator::with_stack_size(64 * 1024, |_, ()| {
                recurse_forever(0)
            }));
        }
        Some("overflow_nested") => {
            // The overflowing stack is resumed from another coroutine stack.
            overflow_on(Generator::new(|_, ()| {
                let mut inner = Generator::<(), (), u64>::with_stack_size(32 * 1024, |_, ()| {
                    recurse_forever(0)
                });
                match inner.resume(()) {
                    corio::GeneratorState::Yielded(()) => 0,
                    corio::GeneratorState::Complete(depth) => depth,
                }
            }));
        }
        Some("wild_write") => {
            let mut g = Generator::<(), (), ()>::new(|_, ()| {
                let address = black_box(std::ptr::null_mut::<u8>());
                // SAFETY: not safe at all, deliberately: this writes through
                // a null pointer to provoke a genuine segmentation fault, and
                // runs only in a child process that is expected to die of it.
                unsafe { address.write_volatile(1) };
            });
            g.resume(());
            eprintln!("child: the invalid write did not fault");
        }
        Some("thread_overflow") => {
            // Install corio's handler first, then overflow an ordinary
            // thread stack: the fault must go on to std's own handler.
            drop(Generator::<(), (), ()>::new(|_, ()| {}));
            let recursion = std::thread::Builder::new()
                .name("plain-thread".into())
                .stack_size(256 * 1024)
                .spawn(|| recurse_forever(0))
                .expect("cannot spawn a thread");
            let depth = recursion.join();
            eprintln!("child: thread recursion finished ({depth:?})");
        }
        Some("overflow_task") => {
            corio::run(|| {
                let h = corio::spawn_with_stack_size(48 * 1024, || recurse_forever(0));
                std::hint::black_box(h.join().ok());
            });
        }
        Some(other) => panic!("unknown child scenario {other:?}"),
    }
}

fn assert_reported_overflow(scenario: &str, expected: &str) {
    let stderr = util::child_killed_by("child_process_entry", scenario, util::SIGABRT);
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
    let stderr = util::child_killed_by("child_process_entry", "wild_write", util::SIGSEGV);
    assert!(!stderr.contains("stack overflow"), "stderr:\n{stderr}");
}

#[test]
fn overflow_of_a_thread_stack_is_left_to_std() {
    let stderr = util::child_killed_by("child_process_entry", "thread_overflow", util::SIGABRT);
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
