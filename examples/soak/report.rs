//! The result of one soak: every figure the run prints, and its verdict.

use super::config::Config;
use super::server::ServerStats;
use super::stats::{ClientStats, Misbehaviour, SIDES};

/// The server's counts at the end of the run.
#[derive(Debug, Clone, Default)]
pub struct ServerCounts {
    /// The most connections open at once.
    pub peak: u64,
    /// Connections accepted.
    pub accepted: u64,
    /// Bytes written back.
    pub bytes: u64,
    /// Connections ended by a reset from the peer.
    pub resets: u64,
    /// Connections whose write found the peer gone.
    pub broken_pipes: u64,
    /// Connections ended by any other error, and the first of them.
    pub other_errors: (u64, Option<String>),
    /// Failed accepts.
    pub accept_errors: u64,
    /// Connections still open after the clients' process had exited (and
    /// [`super::parent`]'s grace period): leaked.
    pub left_open: u64,
}

/// Everything one soak measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// The run's parameters.
    pub config: Config,
    /// The server's process's `RLIMIT_NOFILE` after raising it (soft, hard).
    pub fd_limit: (u64, u64),
    /// Slots the clients set up before traffic started ("connected N").
    pub connected: u64,
    /// Server connections open when the clients said "connected".
    pub open_at_start: u64,
    /// Server connections open at the end of traffic (all idle, all held).
    pub open_at_end: u64,
    /// Server RSS after the warm-up, in KiB.
    pub rss_start_kib: u64,
    /// The largest server RSS sampled (each second) from then to the end.
    pub rss_peak_kib: u64,
    /// Server RSS at the end of traffic, connections still open.
    pub rss_end_kib: u64,
    /// Server RSS once every connection had closed.
    pub rss_after_kib: u64,
    /// The clients' counts.
    pub clients: ClientStats,
    /// The server's counts.
    pub server: ServerCounts,
    /// When the steady phase began (the clients' `warm`), and the
    /// server's CPU time then.
    pub steady: Option<(std::time::Instant, std::time::Duration)>,
    /// The server's CPU time over the steady phase, and that phase's length.
    pub server_cpu: (std::time::Duration, std::time::Duration),
    /// The clients' process's CPU time over its life, and that life's length.
    pub clients_cpu: (std::time::Duration, std::time::Duration),
    /// The machine's one-minute load average after the warm-up and at the
    /// end of traffic (this harness alone keeps about two cores busy).
    pub load: (f64, f64),
    /// The clients printed everything and said "done".
    pub complete: bool,
    /// Why the clients' process could not be started or did not succeed.
    pub child_failure: Option<String>,
}

impl Report {
    /// An empty report for a run of `config`.
    pub fn new(config: Config, fd_limit: (u64, u64)) -> Report {
        Report {
            config,
            fd_limit,
            connected: 0,
            open_at_start: 0,
            open_at_end: 0,
            rss_start_kib: 0,
            rss_peak_kib: 0,
            rss_end_kib: 0,
            rss_after_kib: 0,
            steady: None,
            server_cpu: Default::default(),
            clients_cpu: Default::default(),
            load: (0.0, 0.0),
            clients: ClientStats::default(),
            server: ServerCounts::default(),
            complete: false,
            child_failure: None,
        }
    }

    /// Copies the server's counts in.
    pub fn take_server(&mut self, stats: &ServerStats) {
        self.server = ServerCounts {
            peak: stats.peak.get(),
            accepted: stats.accepted.get(),
            bytes: stats.bytes.get(),
            resets: stats.resets.get(),
            broken_pipes: stats.broken_pipes.get(),
            other_errors: (
                stats.other_errors.get(),
                stats.first_other_error.borrow().clone(),
            ),
            accept_errors: stats.accept_errors.get(),
            left_open: stats.open.get(),
        };
    }

    /// Intact echoes of both sides.
    pub fn messages(&self) -> u64 {
        self.clients.messages.iter().sum()
    }

    /// Everything that went wrong; empty for a passing run.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let c = &self.clients;
        let mut check = |bad: bool, what: String| {
            if bad {
                failures.push(what);
            }
        };
        check(
            self.child_failure.is_some(),
            self.child_failure.clone().unwrap_or_default(),
        );
        check(
            !self.complete,
            "the clients did not report their counts".into(),
        );
        check(c.corrupt > 0, format!("{} corrupt echoes", c.corrupt));
        check(c.lost > 0, format!("{} lost messages", c.lost));
        check(
            c.connect_failures > 0,
            format!("{} connections failed to set up", c.connect_failures),
        );
        check(
            c.bad_closes > 0,
            format!("{} orderly closes failed", c.bad_closes),
        );
        let (errors, first) = &self.server.other_errors;
        check(
            *errors > 0,
            format!("{errors} unexpected server errors, first: {first:?}"),
        );
        check(
            self.server.left_open > 0,
            format!("{} server connections never ended", self.server.left_open),
        );
        check(
            self.connected != self.config.connections as u64,
            format!(
                "{} of {} connections set up",
                self.connected, self.config.connections
            ),
        );
        check(self.messages() == 0, "no message was echoed".into());
        failures
    }

    /// The closing lines: the counts, then `PASS` or `FAIL` with the reasons.
    pub fn lines(&self) -> Vec<String> {
        let c = &self.clients;
        let config = &self.config;
        let mib = |kib: u64| format!("{:.1} MiB", kib as f64 / 1024.0);
        let growth = |kib: u64| {
            (kib as f64 - self.rss_start_kib as f64) / (self.rss_start_kib.max(1) as f64) * 100.0
        };
        let lat = |h: &super::histogram::Histogram| {
            format!(
                "p50 {} us, p99 {} us, p99.9 {} us, max {} us ({} samples)",
                h.quantile(0.50),
                h.quantile(0.99),
                h.quantile(0.999),
                h.max(),
                h.count()
            )
        };
        let mut all = c.latency[0].clone();
        all.merge(&c.latency[1]);
        let mut lines = vec![
            format!(
                "fd limit (RLIMIT_NOFILE soft/hard): server {}/{}, clients {}/{}",
                self.fd_limit.0, self.fd_limit.1, c.fd_limit.0, c.fd_limit.1
            ),
            format!(
                "connections: {} ({} corio tasks, {} std sockets), {} set up; server held {} at start, {} at end, peak {}",
                config.connections,
                config.corio_count(),
                config.std_count(),
                self.connected,
                self.open_at_start,
                self.open_at_end,
                self.server.peak
            ),
            format!(
                "well-behaved connections held start to end: {}; accepted in all: {}",
                c.held, self.server.accepted
            ),
            format!(
                "messages echoed intact: {} ({} {}, {} {}) in {} s, {} bytes; server wrote {} bytes",
                self.messages(),
                SIDES[0],
                c.messages[0],
                SIDES[1],
                c.messages[1],
                config.seconds,
                c.bytes,
                self.server.bytes
            ),
            format!("corrupt {}, lost {}", c.corrupt, c.lost),
            format!(
                "server RSS: start {} (after {:.1} s warm-up), peak {} ({:+.1}%), end {} ({:+.1}%), after close {}",
                mib(self.rss_start_kib),
                config.warm_up().as_secs_f64(),
                mib(self.rss_peak_kib),
                growth(self.rss_peak_kib),
                mib(self.rss_end_kib),
                growth(self.rss_end_kib),
                mib(self.rss_after_kib)
            ),
            format!(
                "CPU: server {:.1} s in {:.1} s after warm-up ({:.0}% of its one loop thread); clients' process {:.1} s in {:.1} s; load average {:.1} then {:.1} on {} CPUs",
                self.server_cpu.0.as_secs_f64(),
                self.server_cpu.1.as_secs_f64(),
                self.server_cpu.0.as_secs_f64() / self.server_cpu.1.as_secs_f64().max(1e-9) * 100.0,
                self.clients_cpu.0.as_secs_f64(),
                self.clients_cpu.1.as_secs_f64(),
                self.load.0,
                self.load.1,
                std::thread::available_parallelism().map_or(0, |n| n.get())
            ),
            format!("echo latency (clients, after the warm-up): {}", lat(&all)),
            format!("  corio clients: {}", lat(&c.latency[0])),
            format!("  std clients: {}", lat(&c.latency[1])),
            format!(
                "misbehaviours: {}; slow readers checked {} bytes",
                Misbehaviour::ALL
                    .iter()
                    .map(|kind| format!("{} {}", kind.name(), c.misbehaviours[kind.index()]))
                    .collect::<Vec<_>>()
                    .join(", "),
                c.slow_bytes
            ),
            format!(
                "server saw: {} resets, {} broken pipes, {} other errors, {} accept errors, {} connections left open",
                self.server.resets,
                self.server.broken_pipes,
                self.server.other_errors.0,
                self.server.accept_errors,
                self.server.left_open
            ),
        ];
        let failures = self.failures();
        if failures.is_empty() {
            lines.push("PASS".into());
        } else {
            lines.push(format!("FAIL: {}", failures.join("; ")));
        }
        lines
    }
}
