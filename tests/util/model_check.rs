//! The proptest runner the model tests share (`tests/model_scheduler`,
//! `tests/model_generator`): a fixed seed per run, printed with any
//! failure so it can be replayed, and no failure-persistence files.
//!
//! Each run takes its seed from `PROPTEST_RNG_SEED` if set, else a fresh
//! random one. A failure reports the seed, the command that replays it and
//! the shrunk (minimal) failing case. Failure persistence is off: a
//! `proptest-regressions/` file in the repository would replay old cases
//! forever; a case worth keeping becomes a named regression test instead.

use std::fmt::Debug;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

/// Runs `test` on `cases` values of `strategy` (or `PROPTEST_CASES`, if
/// set, for a longer search by hand). `Err` carries a report:
/// the seed, how to replay it, the minimal failing value and why it fails.
pub fn check<S>(
    test_binary: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(&S::Value) -> Result<(), String>,
) -> Result<(), String>
where
    S: Strategy,
    S::Value: Debug,
{
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(random_seed);
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(cases);
    let config = Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        // Shrinking a scheduler program runs both sides per step: bound it
        // so a failure reports in seconds, not minutes.
        max_shrink_iters: 2048,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let outcome = runner.run(&strategy, |value| test(&value).map_err(TestCaseError::fail));
    match outcome {
        Ok(()) => Ok(()),
        Err(TestError::Fail(why, minimal)) => Err(format!(
            "model check failed (seed {seed}; replay with `PROPTEST_RNG_SEED={seed} cargo test \
             --test {test_binary}`)\n{why}\nminimal failing case: {minimal:#?}"
        )),
        Err(TestError::Abort(why)) => Err(format!("model check aborted (seed {seed}): {why}")),
    }
}

/// A seed from the process's random hasher keys (std seeds them from the
/// OS), so no extra dependency is needed.
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(std::process::id() as u64);
    hasher.finish()
}

/// Keeps the default panic hook from printing the panics the models
/// expect by the thousand: corio's deadlock panics (each carries a full
/// dump), its "cannot resume a generator that has completed", and the
/// generator model's own exceptions ("model exception N"). The panics
/// still happen and are checked; only the printing is skipped.
///
/// Must run before anything of corio in the test binary: corio chains its
/// own hook in front of whatever is installed when it first runs, so
/// installing this one first keeps corio's in front of it.
pub fn quiet_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("");
            let expected = [
                "corio: deadlock",
                "corio: cannot resume",
                "model exception ",
            ];
            if !expected.iter().any(|prefix| message.starts_with(prefix)) {
                previous(info);
            }
        }));
    });
}
