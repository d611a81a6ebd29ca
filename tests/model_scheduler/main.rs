//! Model-based property test of the scheduler and the sync primitives:
//! random programs of at least 4 tasks and 20 operations (spawn, scope,
//! sleep, yield, abort, join, timeout, channel send/receive, semaphore,
//! mutex, event) run on corio under virtual time (`corio::test::run`) and
//! on a small reference model that shares no code with corio
//! (`model.rs`, a direct simulation of the documented semantics). Every
//! run's full log (each operation's result, with its task and virtual
//! time: values received, grant order, who was cancelled where) and
//! whether it deadlocked must be the same on both.
//!
//! Bugs found so far, each fixed and pinned by a test in
//! `regressions.rs`: a stray wake after a deadline unwound through a
//! `scope`, and a task abandoned by `run`'s teardown after a deadlock
//! (seeds 4242 and 12430933110482841912 at `PROPTEST_CASES=30000`).
//!
//! `program.rs` makes the programs, `on_corio.rs` runs them on corio.
//! A failure prints the seed and the shrunk program (see
//! `tests/util/model_check.rs`).

mod model;
#[path = "../util/model_check.rs"]
mod model_check;
mod on_corio;
mod program;
mod regressions;
#[path = "../util/mod.rs"]
mod util;

use program::Program;

/// Cases per run natively. Under `CORIO_TEST_SCALE` (valgrind) they are
/// divided by the scale and by 20 more (15 cases at scale 10): a case runs
/// about ten tasks and, in half the cases, the deadlock report's dump,
/// whose backtraces valgrind makes hundreds of times slower, and making a
/// program alone takes a fifth of a second there. Valgrind is there for
/// memory errors on these paths; the native run is the one that searches.
const CASES: usize = 3000;

fn cases() -> usize {
    let scaled = util::scaled(CASES);
    if scaled < CASES {
        (scaled / 4).max(1)
    } else {
        CASES
    }
}

/// Runs `cases` random programs on both sides; `Err` with the report of
/// the first disagreement (shrunk).
pub fn check_programs(cases: usize) -> Result<(), String> {
    model_check::quiet_expected_panics();
    model_check::check("model_scheduler", cases as u32, program::program(), |p| {
        compare(p)
    })
}

/// Runs one program on both sides.
fn compare(program: &Program) -> Result<(), String> {
    let expected = model::run(program);
    let seen = on_corio::run(program);
    if seen == expected {
        return Ok(());
    }
    let first = seen
        .log
        .iter()
        .zip(&expected.log)
        .position(|(a, b)| a != b)
        .unwrap_or(seen.log.len().min(expected.log.len()));
    Err(format!(
        "corio and the model disagree from log line {first}\n corio deadlock: {}, model \
         deadlock: {}\n corio: {:#?}\n model: {:#?}",
        seen.deadlock,
        expected.deadlock,
        &seen.log[first.min(seen.log.len())..],
        &expected.log[first.min(expected.log.len())..],
    ))
}

#[test]
fn random_programs_agree_with_the_model() {
    check_programs(cases()).unwrap_or_else(|report| panic!("{report}"));
}

/// The generator keeps its promise of size, so the test means what its
/// name says.
#[test]
fn programs_have_at_least_four_tasks_and_twenty_operations() {
    use proptest::strategy::{Strategy, ValueTree};
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..util::scaled(200) {
        let p = program::program().new_tree(&mut runner).unwrap().current();
        assert!(p.op_count() >= 20, "{} operations", p.op_count());
        let spawns = p
            .main
            .iter()
            .filter(|op| matches!(op.kind, program::Kind::Spawn(_)))
            .count();
        assert!(spawns >= 3, "{spawns} spawns");
    }
}

/// Proves the harness can fail: with a deliberate bug switched on in the
/// library (`cargo test --features test-faults --test model_scheduler`),
/// it must report a failing case.
#[cfg(feature = "test-faults")]
mod faults {
    use corio::model_faults::{Fault, inject};

    fn reported(fault: Fault) -> String {
        let _fault = inject(fault);
        match super::check_programs(2000) {
            Ok(()) => panic!("the model check passed with {fault:?} injected"),
            Err(report) => report,
        }
    }

    #[test]
    fn reports_wait_queues_that_grant_last_come_first() {
        let report = reported(Fault::LifoWaitQueue);
        eprintln!("{report}");
        assert!(report.contains("disagree"), "{report}");
    }

    #[test]
    fn reports_a_grant_that_forgets_its_wake() {
        let report = reported(Fault::ForgetWake);
        assert!(report.contains("disagree"), "{report}");
    }
}
