//! Scenarios the integration tests run in a child process, because they end
//! the process (a stack overflow, an abort) or need one of their own (an
//! address-space limit, `CORIO_TRACE` read when the program starts).
//!
//! Not a program to run by hand: without a scenario name it prints the
//! list and exits with status 2. The tests start it through
//! `tests/util/process.rs`, e.g. `test_child overflow_default`.

mod debug;
mod faults;
mod signals;
mod soundness;
mod stacks;
mod stall;
mod support;
mod threads;
mod throw;
mod unwinding;
mod virtual_time;

use std::hint::black_box;

use corio::{Generator, GeneratorState, Yielder};

/// Every scenario, by the name the tests pass, with what it does.
const SCENARIOS: &[(&str, fn())] = &[
    ("overflow_default", overflow_default),
    ("overflow_64k", overflow_64k),
    ("overflow_nested", overflow_nested),
    ("overflow_task", overflow_task),
    ("wild_write", wild_write),
    ("thread_overflow", thread_overflow),
    ("yield_in_destructor", yield_in_destructor),
    ("big_stacks", big_stacks),
    ("small_program", small_program),
    ("stack_decay", stacks::stack_decay),
    ("overflow_recycled", stacks::overflow_recycled),
    ("own_recording", own_recording),
    ("yield_from_join_child", soundness::yield_from_join_child),
    (
        "yield_from_gather_after_sleep",
        soundness::yield_from_gather_after_sleep,
    ),
    ("yield_from_scope_child", soundness::yield_from_scope_child),
    (
        "scoped_output_after_timeout",
        soundness::scoped_output_after_timeout,
    ),
    ("race_loser_output", soundness::race_loser_output),
    (
        "event_wait_after_long_timeout",
        soundness::event_wait_after_long_timeout,
    ),
    (
        "deadlock_after_timed_out_read",
        soundness::deadlock_after_timed_out_read,
    ),
    (
        "timeout_in_generator_spares_resumer",
        soundness::timeout_in_generator_spares_resumer,
    ),
    (
        "join_in_drop_of_aborted_task",
        unwinding::join_in_drop_of_aborted_task,
    ),
    (
        "gather_in_drop_after_timeout",
        unwinding::gather_in_drop_after_timeout,
    ),
    (
        "bufwriter_flush_in_drop_on_full_socket",
        unwinding::bufwriter_flush_in_drop_on_full_socket,
    ),
    (
        "fresh_run_in_unrelated_panic_destructor",
        unwinding::fresh_run_in_unrelated_panic_destructor,
    ),
    (
        "generator_yields_in_destructor_while_panicking",
        unwinding::generator_yields_in_destructor_while_panicking,
    ),
    ("accept_loop_out_of_fds", unwinding::accept_loop_out_of_fds),
    (
        "deadlock_among_unwinding_stacks",
        unwinding::deadlock_among_unwinding_stacks,
    ),
    (
        "scope_child_closes_its_generator",
        unwinding::scope_child_closes_its_generator,
    ),
    (
        "task_local_of_an_abandoned_task",
        unwinding::task_local_of_an_abandoned_task,
    ),
    (
        "block_on_in_thread_local_destructor",
        threads::block_on_in_thread_local_destructor,
    ),
    (
        "unblock_after_panicking_result_drops",
        threads::unblock_after_panicking_result_drops,
    ),
    (
        "catches_its_cancellation_in_a_loop",
        threads::catches_its_cancellation_in_a_loop,
    ),
    (
        "ctrl_c_in_a_task_and_outside_run",
        signals::ctrl_c_in_a_task_and_outside_run,
    ),
    ("dump_on_sigquit", debug::dump_on_sigquit),
    ("named_task_panics", debug::named_task_panics),
    (
        "dump_while_a_task_holds_the_symbol_cache",
        debug::dump_while_a_task_holds_the_symbol_cache,
    ),
    (
        "yield_while_throw_unwinds",
        throw::yield_while_throw_unwinds,
    ),
    (
        "yield_while_throw_unwinds_in_task",
        throw::yield_while_throw_unwinds_in_task,
    ),
    (
        "catch_then_yield_while_another_stack_unwinds",
        throw::catch_then_yield_while_another_stack_unwinds,
    ),
    ("stall_once", stall::one_long_stall),
    ("stall_three_times", stall::three_stalls),
    ("stall_after_busy", stall::busy_then_one_stall),
    ("stall_with_env", stall::stall_with_env),
    ("stall_monitor_thread", stall::monitor_thread),
    ("stall_in_destructors", stall::stalls_in_destructors),
    (
        "accept_serves_after_fd_exhaustion",
        faults::accept_serves_after_fd_exhaustion,
    ),
    ("virtual_coffee_shop", virtual_time::coffee_shop),
    ("virtual_say_after", virtual_time::say_after),
    ("virtual_resource_manager", virtual_time::resource_manager),
];

fn main() {
    let wanted = std::env::args().nth(1);
    match SCENARIOS
        .iter()
        .find(|(name, _)| Some(*name) == wanted.as_deref())
    {
        Some((_, scenario)) => scenario(),
        None => {
            let names: Vec<&str> = SCENARIOS.iter().map(|(name, _)| *name).collect();
            eprintln!(
                "test_child: a helper of corio's tests; usage: test_child <scenario>, one of: {}",
                names.join(", ")
            );
            std::process::exit(2);
        }
    }
}

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

/// Recurses `depth` frames of at least 1 KiB each, writing to every frame
/// and reading it back after the call below returns; returns `depth`.
fn recurse(depth: u64) -> u64 {
    let mut frame = [0u8; 1024];
    frame[(depth % 1024) as usize] = 1;
    black_box(&mut frame);
    if depth == 0 {
        return 0;
    }
    recurse(depth - 1) + u64::from(frame.contains(&1))
}

fn overflow_on(mut g: Generator<(), (), u64>) {
    let depth = g.resume(());
    eprintln!("child: recursion finished ({depth:?}); expected a stack overflow");
}

/// Overflows a generator's default 256 KiB stack.
fn overflow_default() {
    overflow_on(Generator::new(|_, ()| recurse_forever(0)));
}

/// Overflows a generator's 64 KiB stack.
fn overflow_64k() {
    overflow_on(Generator::with_stack_size(64 * 1024, |_, ()| {
        recurse_forever(0)
    }));
}

/// Overflows a 32 KiB stack resumed from another coroutine's stack.
fn overflow_nested() {
    overflow_on(Generator::new(|_, ()| {
        let mut inner =
            Generator::<(), (), u64>::with_stack_size(32 * 1024, |_, ()| recurse_forever(0));
        match inner.resume(()) {
            GeneratorState::Yielded(()) => 0,
            GeneratorState::Complete(depth) => depth,
        }
    }));
}

/// Overflows a task's 48 KiB stack.
fn overflow_task() {
    corio::run(|| {
        let h = corio::spawn_with_stack_size(48 * 1024, || recurse_forever(0));
        black_box(h.join().ok());
    });
}

/// A segmentation fault that is not a stack overflow.
fn wild_write() {
    let mut g = Generator::<(), (), ()>::new(|_, ()| {
        let address = black_box(std::ptr::null_mut::<u8>());
        // SAFETY: not safe at all, deliberately: this writes through a null
        // pointer to provoke a genuine segmentation fault, in a child
        // process that is expected to die of it.
        unsafe { address.write_volatile(1) };
    });
    g.resume(());
    eprintln!("child: the invalid write did not fault");
}

/// Installs corio's handler, then overflows an ordinary thread's stack: the
/// fault must go on to std's own handler.
fn thread_overflow() {
    drop(Generator::<(), (), ()>::new(|_, ()| {}));
    let recursion = std::thread::Builder::new()
        .name("plain-thread".into())
        .stack_size(256 * 1024)
        .spawn(|| recurse_forever(0))
        .expect("cannot spawn a thread");
    let depth = recursion.join();
    eprintln!("child: thread recursion finished ({depth:?})");
}

/// Yields from a destructor while the generator is being closed.
fn yield_in_destructor() {
    struct YieldsWhenDropped<'a>(&'a Yielder<(), u32>);
    impl Drop for YieldsWhenDropped<'_> {
        fn drop(&mut self) {
            self.0.yield_(99);
        }
    }
    let mut g = Generator::<(), u32, ()>::new(|y, ()| {
        let _bad = YieldsWhenDropped(y);
        y.yield_(1);
    });
    assert_eq!(g.resume(()), GeneratorState::Yielded(1));
    g.close();
    eprintln!("child: close returned; the process should have aborted");
}

/// Runs a 256 MiB and a 1 GiB stack generator, each recursing 32 MiB
/// deep, and prints `big stacks: ok` (the test runs this under an
/// address-space limit, as `ulimit -v` sets).
fn big_stacks() {
    for bytes in [256 << 20, 1 << 30] {
        let mut g =
            Generator::<(), (), u64>::try_with_stack_size(bytes, |_, ()| recurse(32 * 1024))
                .unwrap_or_else(|e| panic!("a stack of {bytes} bytes: {e}"));
        assert_eq!(g.resume(()), GeneratorState::Complete(32 * 1024));
    }
    println!("big stacks: ok");
}

/// A tiny program, so that `CORIO_TRACE` has events to print.
fn small_program() {
    corio::run(|| {
        corio::spawn(|| corio::sleep(std::time::Duration::from_millis(1)))
            .join()
            .expect("the sleeper finishes");
    });
}

/// Starts a recording inside `run` (with `CORIO_TRACE=1` set by the test)
/// and prints how many events it kept.
fn own_recording() {
    corio::run(|| {
        corio::trace::start();
        corio::sleep(std::time::Duration::from_millis(1));
    });
    let kept = corio::trace::finish().len();
    println!("events kept: {kept}");
}
