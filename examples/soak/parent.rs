//! The server's process: serves, starts the clients' process, follows its
//! phases (sampling this process's memory at the right moments), and
//! gathers everything into a [`Report`].

use std::cell::Cell;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::net::TcpListener;
use corio::process::Command;

use super::config::Config;
use super::os;
use super::report::Report;
use super::server::{self, ServerStats};

/// How long the server's connections may take to end after the clients'
/// process has exited before the ones left count as leaked.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);

/// Runs one soak: this process serves, `client_exe` (a build of
/// `examples/soak.rs`) is started as the clients.
pub fn run(config: &Config, client_exe: &Path) -> Report {
    let fd_limit = os::raise_fd_limit().unwrap_or((0, 0));
    let mut report = Report::new(config.clone(), fd_limit);
    corio::run(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("a bound listener's address");
        let stats = Rc::new(ServerStats::default());
        let accept = corio::spawn({
            let stats = Rc::clone(&stats);
            move || server::serve(listener, stats)
        });
        let started = Instant::now();
        let mut child = match Command::new(client_exe)
            .args(config.client_args(addr))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
        {
            Ok(child) => child,
            Err(error) => {
                report.child_failure =
                    Some(format!("cannot start {}: {error}", client_exe.display()));
                return;
            }
        };
        follow(&mut child, &stats, &mut report);
        let status = child.wait();
        report.clients_cpu = (os::cpu_time(true), started.elapsed());
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => {
                report.child_failure = Some(format!("the clients' process ended with {status}"))
            }
            Err(error) => report.child_failure = Some(format!("waiting for the clients: {error}")),
        }
        // Every server task ends once its peer is gone; any left is a leak.
        let until = Instant::now() + DRAIN_LIMIT;
        while stats.open.get() > 0 && Instant::now() < until {
            corio::sleep(Duration::from_millis(10));
        }
        report.rss_after_kib = os::rss_kib();
        report.take_server(&stats);
        accept.abort();
    });
    report
}

/// Reads the clients' lines until their output ends, sampling memory at
/// `warm` (and every second after it) and at `end`, and answering
/// `connected` and `end` once it has taken its counts.
fn follow(child: &mut corio::process::Child, stats: &ServerStats, report: &mut Report) {
    let (Some(stdout), Some(mut stdin)) = (child.stdout.take(), child.stdin.take()) else {
        report.child_failure = Some("the clients' pipes are missing".into());
        return;
    };
    // The largest RSS seen between `warm` and `end`, sampled each second.
    let peak = Cell::new(0u64);
    let sampling = Cell::new(false);
    corio::select(
        || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(n) = line.strip_prefix("connected ") {
                    report.connected = n.parse().unwrap_or(0);
                    report.open_at_start = stats.open.get();
                    let _ = stdin.write_all(b"go\n");
                } else if line == "warm" {
                    report.steady = Some((Instant::now(), os::cpu_time(false)));
                    report.load.0 = os::load_average();
                    report.rss_start_kib = os::rss_kib();
                    peak.set(report.rss_start_kib);
                    sampling.set(true);
                } else if line == "end" {
                    sampling.set(false);
                    if let Some((wall, cpu)) = report.steady {
                        report.server_cpu = (os::cpu_time(false) - cpu, wall.elapsed());
                    }
                    report.load.1 = os::load_average();
                    report.rss_end_kib = os::rss_kib();
                    report.open_at_end = stats.open.get();
                    let _ = stdin.write_all(b"close\n");
                } else if line == "done" {
                    report.complete = true;
                } else if !report.clients.read_line(&line) {
                    eprintln!("soak clients: {line}");
                }
            }
        },
        || loop {
            corio::sleep(Duration::from_secs(1));
            if sampling.get() {
                peak.set(peak.get().max(os::rss_kib()));
            }
        },
    );
    report.rss_peak_kib = peak.get().max(report.rss_end_kib);
}
