//! Model-based property test of generators: random bodies nesting
//! `yield from` chains three deep, with `try`/`except` and `finally`
//! (drop guards that log their drop), driven by random sequences of
//! resume / throw / close / drop, on corio and on a model of Python's
//! generator semantics (PEP 342 and PEP 380, `model.rs`). Every value in
//! and out, every exception caught or escaping, and every cleanup, in
//! order, must agree. Half the cases drive the generator from a corio
//! task, half from plain code.
//!
//! `program.rs` makes the cases, `on_corio.rs` runs them on corio. A
//! failure prints the seed and the shrunk case (see
//! `tests/util/model_check.rs`).

mod model;
#[path = "../util/model_check.rs"]
mod model_check;
mod on_corio;
mod program;
#[path = "../util/mod.rs"]
mod util;

use program::Case;

/// Cases per run; divided by `CORIO_TEST_SCALE` (valgrind runs a tenth).
const CASES: usize = 5000;

/// Runs `cases` random cases on both sides; `Err` with the report of the
/// first disagreement (shrunk).
pub fn check_cases(cases: usize) -> Result<(), String> {
    model_check::quiet_expected_panics();
    model_check::check("model_generator", cases as u32, program::case(), compare)
}

fn compare(case: &Case) -> Result<(), String> {
    let expected = model::run(case);
    let seen = on_corio::run(case);
    if seen == expected {
        return Ok(());
    }
    let first = seen
        .iter()
        .zip(&expected)
        .position(|(a, b)| a != b)
        .unwrap_or(seen.len().min(expected.len()));
    Err(format!(
        "corio and the model disagree from log line {first}\n corio: {:#?}\n model: {:#?}",
        &seen[first.min(seen.len())..],
        &expected[first.min(expected.len())..],
    ))
}

#[test]
fn random_generator_programs_agree_with_pythons_semantics() {
    check_cases(util::scaled(CASES)).unwrap_or_else(|report| panic!("{report}"));
}

/// Proves the harness can fail: with a deliberate bug switched on in the
/// library (`cargo test --features test-faults --test model_generator`),
/// it must report a failing case.
#[cfg(feature = "test-faults")]
mod faults {
    use corio::model_faults::{Fault, inject};

    #[test]
    fn reports_a_delegation_that_skips_the_inner_cleanup() {
        let _fault = inject(Fault::SkipDelegateCleanup);
        let report = super::check_cases(5000).expect_err("the model check passed with the fault");
        eprintln!("{report}");
        assert!(report.contains("disagree"), "{report}");
    }
}
