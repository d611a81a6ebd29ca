//! The harness itself: each target runs clean on the examples as they
//! are, and (with the `test-faults` feature) reports each deliberate bug
//! of examples/common/faults.rs. `.ci/run` runs this with the feature.

use corio_fuzz::driver::{Limit, fuzz};
use corio_fuzz::targets::{CHAT_LINES, HTTP, WEBSOCKET};

/// A fixed seed: CI tries the same inputs every time (the binaries take
/// fresh seeds for longer runs).
const SEED: u64 = 0x5eed_2026;

#[test]
fn every_target_passes_on_the_examples_as_they_are() {
    for (target, inputs) in [(&CHAT_LINES, 20_000), (&WEBSOCKET, 20_000), (&HTTP, 3_000)] {
        let report = fuzz(target, SEED, Limit::Inputs(inputs), u64::MAX);
        assert_eq!(report.inputs, inputs, "{}", target.name);
        assert!(
            report.findings.is_empty(),
            "{} with seed {SEED}: {:?}",
            target.name,
            report.findings.first()
        );
    }
}

#[cfg(feature = "test-faults")]
#[test]
fn every_target_reports_its_deliberate_bug() {
    use corio_fuzz::targets::set_fault;
    // What each fault's finding must say: the reference model's verdict
    // for the lost reply, the panic's own message for the other two.
    let cases = [
        (&CHAT_LINES, "the model Some(Err(\"! invalid UTF-8\"))"),
        (&WEBSOCKET, "the PanicOnProtocolError fault"),
        (&HTTP, "the PanicOnHugeBody fault"),
    ];
    for (target, expected) in cases {
        set_fault(target, true);
        let report = fuzz(target, SEED, Limit::Inputs(50_000), 1);
        set_fault(target, false);
        let finding = report.findings.first().unwrap_or_else(|| {
            panic!(
                "{}: the fault went unreported in {} inputs",
                target.name, report.inputs
            )
        });
        assert!(
            finding.message.contains(expected),
            "{}: reported {:?}, expected it to mention {expected:?}",
            target.name,
            finding.message
        );
        // And the same input passes once the fault is off: the finding is
        // the fault's, not a bug of the example.
        let clean = fuzz(target, SEED, Limit::Inputs(finding.index + 1), 1);
        assert!(
            clean.findings.is_empty(),
            "{}: {:?}",
            target.name,
            clean.findings
        );
    }
}
