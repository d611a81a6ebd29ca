//! The soak harness of `examples/soak.rs` at CI size: a corio echo server
//! in this process, its clients (corio tasks and std threads) in the
//! example binary as a child process, with every misbehaviour mixed in.
//! The server's code runs here, so under valgrind it runs under memcheck
//! too (the clients then run natively).
//!
//! Also checks that the harness's own checks can fail: a flipped byte, a
//! wrong length or connection id is corrupt; a report with a loss fails.

mod util;

// Only part of the harness runs here (the clients' side runs in the child).
#[allow(dead_code)]
#[path = "../examples/soak/mod.rs"]
mod soak;

use soak::config::{Config, Role};
use soak::frame::{self, Rng};
use soak::histogram::Histogram;
use soak::stats::Misbehaviour;

#[test]
fn every_message_comes_back_intact_through_misbehaving_clients() {
    let _watchdog = util::watchdog("the soak run");
    let config = Config {
        connections: util::scaled(300).max(30),
        seconds: 2.5,
        ..Config::default()
    };
    let report = soak::parent::run(&config, &util::examples::example("soak"));
    let lines = report.lines().join("\n");
    eprintln!("{lines}");
    let c = &report.clients;
    assert_eq!(c.corrupt, 0, "{lines}");
    assert_eq!(c.lost, 0, "{lines}");
    assert!(report.failures().is_empty(), "{lines}");
    // Every connection was up at once, and each carried a first message.
    assert_eq!(report.connected, config.connections as u64, "{lines}");
    assert_eq!(report.open_at_start, config.connections as u64, "{lines}");
    assert!(report.server.peak >= config.connections as u64, "{lines}");
    assert!(report.messages() >= config.connections as u64, "{lines}");
    assert!(
        c.messages[0] > 0 && c.messages[1] > 0,
        "both kinds of client: {lines}"
    );
    assert!(c.bytes > 0 && report.server.bytes >= c.bytes, "{lines}");
    for kind in Misbehaviour::ALL {
        assert!(
            c.misbehaviours[kind.index()] > 0,
            "no {} ran: {lines}",
            kind.name()
        );
    }
    assert!(c.slow_bytes > 0, "the slow readers read nothing: {lines}");
    // The resets reached the server, which survived them and kept serving.
    assert!(report.server.resets > 0, "{lines}");
    assert_eq!(report.server.left_open, 0, "{lines}");
    // Every well-behaved connection still open at the end of traffic (a
    // misbehaver's last one may not have ended at the server yet).
    assert!(c.held > 0 && report.open_at_end >= c.held, "{lines}");
}

#[test]
fn a_changed_byte_length_or_connection_is_corrupt() {
    let mut rng = Rng::new(7);
    let mut sent = Vec::new();
    frame::encode(&mut sent, 3, 9, 100, &mut rng);
    assert_eq!(sent.len(), frame::HEADER + 100 + frame::TRAILER);
    assert!(frame::intact(&sent.clone(), &sent));
    for at in [0, 4, 8, frame::HEADER + 50, sent.len() - 1] {
        let mut echo = sent.clone();
        echo[at] ^= 0x10;
        assert!(
            !frame::intact(&echo, &sent),
            "byte {at} flipped went unnoticed"
        );
    }
    assert!(!frame::intact(&sent[..sent.len() - 1], &sent));
    // Another connection's frame with the same payload and a valid checksum.
    let mut other = Vec::new();
    frame::encode(&mut other, 4, 9, 100, &mut Rng::new(7));
    assert!(!frame::intact(&other, &sent));
}

#[test]
fn a_report_with_a_loss_or_corruption_fails() {
    let config = Config::default();
    let mut report = soak::report::Report::new(config.clone(), (1, 1));
    report.complete = true;
    report.connected = config.connections as u64;
    report.clients.messages = [5, 5];
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    report.clients.lost = 1;
    assert_eq!(report.failures().len(), 1);
    report.clients.lost = 0;
    report.clients.corrupt = 1;
    assert_eq!(report.failures().len(), 1);
    assert!(report.lines().last().unwrap().starts_with("FAIL"));
}

#[test]
fn latency_quantiles_are_within_a_sixteenth() {
    let mut histogram = Histogram::default();
    for micros in 1..=10_000u64 {
        histogram.record(micros);
    }
    for (q, exact) in [(0.5, 5_000.0), (0.99, 9_900.0), (0.999, 9_990.0)] {
        let got = histogram.quantile(q) as f64;
        assert!(
            got >= exact && got <= exact * (1.0 + 1.0 / 16.0),
            "q {q}: {got}"
        );
    }
    assert_eq!(histogram.quantile(1.0), 10_000);
    let copy = Histogram::from_line(&histogram.to_line()).unwrap();
    assert_eq!(copy.count(), 10_000);
    assert_eq!(copy.quantile(0.99), histogram.quantile(0.99));
}

#[test]
fn the_clients_command_line_carries_the_whole_config() {
    let config = Config {
        connections: 1234,
        seconds: 1.5,
        pause_ms: 7,
        seed: 99,
        ..Config::default()
    };
    let addr = "127.0.0.1:4567".parse().unwrap();
    let (role, parsed) = Config::parse(config.client_args(addr)).unwrap();
    assert_eq!(role, Role::Client(addr));
    assert_eq!(parsed, config);
    assert!(Config::parse(["--connections".to_string(), "x".to_string()]).is_err());
}
