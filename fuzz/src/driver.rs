//! Runs a target on mutated inputs, catching panics, and reports what it
//! tried and found. Input `i` of a run with seed `s` is made from the PRNG
//! seeded with `input_seed(s, i)` alone, so any finding is replayed from
//! the pair.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crate::mutate;
use crate::rng::Rng;

/// One protocol's fuzz target.
pub struct Target {
    pub name: &'static str,
    /// The seed corpus the mutations start from.
    pub seeds: fn() -> Vec<Vec<u8>>,
    /// Inputs are cut to this length.
    pub max_len: usize,
    /// Feeds one input (and a seed for how reads split it) to the code
    /// under test: `Err` names a failed check; a panic is caught.
    pub run: fn(&[u8], u64) -> Result<(), String>,
}

/// When to stop.
#[derive(Clone, Copy, Debug)]
pub enum Limit {
    Inputs(u64),
    Time(Duration),
}

/// A failed check or a panic, and the input that caused it.
#[derive(Debug)]
pub struct Finding {
    /// The input's number in the run (replay with the run's seed).
    pub index: u64,
    pub message: String,
    pub input: Vec<u8>,
}

/// What a run did.
#[derive(Debug)]
pub struct Report {
    pub target: &'static str,
    pub seed: u64,
    pub inputs: u64,
    pub elapsed: Duration,
    /// The first finding of each distinct message (the first 20 of them).
    pub findings: Vec<Finding>,
    /// All findings, duplicates included.
    pub failures: u64,
}

/// The PRNG seed of input `index` of a run seeded with `seed`.
pub fn input_seed(seed: u64, index: u64) -> u64 {
    Rng::new(seed ^ index.wrapping_mul(0xd6e8_feb8_6659_fd93)).next_u64()
}

/// Input `index` of a run of `target` seeded with `seed`, and the seed of
/// its read splitting.
pub fn make_input(target: &Target, seeds: &[Vec<u8>], seed: u64, index: u64) -> (Vec<u8>, u64) {
    let mut rng = Rng::new(input_seed(seed, index));
    let input = mutate::mutate(&mut rng, seeds, target.max_len);
    (input, rng.next_u64())
}

thread_local! {
    /// The message of the last panic on this thread, while fuzzing.
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Whether this thread is inside [`fuzz`] (its panics are findings).
    static FUZZING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs (once per process) a panic hook that records the panics of
/// fuzzing threads instead of printing them, and leaves the others to the
/// hook that was there before.
fn quiet_panics() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !FUZZING.get() {
                return previous(info);
            }
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let what = info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            PANIC.with(|p| *p.borrow_mut() = Some(format!("panic{at}: {what}")));
        }));
    });
}

/// Runs one input, turning a panic into an `Err` naming it.
pub fn run_one(target: &Target, input: &[u8], split: u64) -> Result<(), String> {
    match panic::catch_unwind(AssertUnwindSafe(|| (target.run)(input, split))) {
        Ok(result) => result,
        Err(_) => Err(PANIC
            .with(|p| p.borrow_mut().take())
            .unwrap_or_else(|| "panic".into())),
    }
}

/// Fuzzes `target` from `seed` until `limit`, or until `stop_after`
/// findings (duplicates counted).
pub fn fuzz(target: &Target, seed: u64, limit: Limit, stop_after: u64) -> Report {
    let seeds = (target.seeds)();
    quiet_panics();
    FUZZING.set(true);
    let start = Instant::now();
    let mut report = Report {
        target: target.name,
        seed,
        inputs: 0,
        elapsed: Duration::ZERO,
        findings: Vec::new(),
        failures: 0,
    };
    loop {
        let done = match limit {
            Limit::Inputs(n) => report.inputs >= n,
            Limit::Time(t) => report.inputs.is_multiple_of(64) && start.elapsed() >= t,
        };
        if done || report.failures >= stop_after {
            break;
        }
        let index = report.inputs;
        let (input, split) = make_input(target, &seeds, seed, index);
        report.inputs += 1;
        if let Err(message) = run_one(target, &input, split) {
            report.failures += 1;
            if report.findings.len() < 20 && report.findings.iter().all(|f| f.message != message) {
                report.findings.push(Finding {
                    index,
                    message,
                    input,
                });
            }
        }
    }
    report.elapsed = start.elapsed();
    FUZZING.set(false);
    report
}

/// The command line of the target binaries (see README.md).
pub fn main(target: &Target) {
    let mut seed = None;
    let mut limit = Limit::Time(Duration::from_secs(60));
    let mut replay = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--seed" => seed = value.parse().ok(),
            "--time" => limit = Limit::Time(Duration::from_secs(value.parse().unwrap_or(60))),
            "--inputs" => limit = Limit::Inputs(value.parse().unwrap_or(1_000_000)),
            "--replay" => replay = value.parse().ok(),
            #[cfg(feature = "test-faults")]
            "--fault" => crate::targets::set_fault(target, value == "on"),
            _ => {
                eprintln!(
                    "usage: {} [--seed N] [--time SECONDS | --inputs N] [--replay INDEX]",
                    target.name
                );
                std::process::exit(2);
            }
        }
    }
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    if let Some(index) = replay {
        let (input, split) = make_input(target, &(target.seeds)(), seed, index);
        println!(
            "input {index} of seed {seed}: {:?}",
            String::from_utf8_lossy(&input)
        );
        match run_one(target, &input, split) {
            Ok(()) => println!("passes"),
            Err(message) => println!("FAILS: {message}"),
        }
        return;
    }
    println!("fuzzing {} with seed {seed}", target.name);
    let report = fuzz(target, seed, limit, u64::MAX);
    let rate = report.inputs as f64 / report.elapsed.as_secs_f64().max(1e-9);
    println!(
        "{}: {} inputs in {:.1} s ({:.0}/s), {} failing, {} distinct",
        report.target,
        report.inputs,
        report.elapsed.as_secs_f64(),
        rate,
        report.failures,
        report.findings.len()
    );
    for finding in &report.findings {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("findings");
        let file = dir.join(format!("{}-{seed}-{}.bin", report.target, finding.index));
        let saved =
            std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, &finding.input));
        println!(
            "  input {} ({} bytes{}): {}\n  replay: --seed {seed} --replay {}",
            finding.index,
            finding.input.len(),
            saved.map_or(String::new(), |()| format!(", saved to {}", file.display())),
            finding.message,
            finding.index
        );
    }
    if !report.findings.is_empty() {
        std::process::exit(1);
    }
}
