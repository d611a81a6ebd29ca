//! A soak test of corio: an echo server under thousands of connections
//! for as long as you like, checking every byte.
//!
//! ```text
//! cargo run --release --example soak -- --connections 10000 --seconds 30
//! ```
//!
//! This process serves on a loopback port (a corio task per connection,
//! writing back what it reads) and starts itself again as the clients'
//! process (`--role client`), so the server's file descriptors are its
//! own: both raise their soft `RLIMIT_NOFILE` to the hard limit and say
//! what they got. The clients are corio tasks and, as an outside peer,
//! plain std threads with blocking sockets (`--std-share`, default 10%,
//! `--per-thread` sockets each). Each well-behaved connection stays open
//! for the whole run, sending length-prefixed, checksummed frames of
//! random length (0 to 16 KiB) and checking every byte of each echo, with
//! a random pause between messages (`--pause-ms`, the mean). One slot in
//! `--misbehave-every` misbehaves instead, over and over on fresh
//! connections: resets (`SO_LINGER` 0), half-closes (then reads every
//! echo), slow readers (reading at a tenth of the rate they write), and
//! clients that vanish mid-message. The server must survive all of them,
//! and every message of a well-behaved (or half-closing) client must come
//! back intact.
//!
//! The last lines give the counts: connections held, messages and bytes
//! echoed, corrupt and lost (both must be 0), the server's RSS after the
//! warm-up (a fifth of the run, at most 5 s), its peak and at the end, the
//! echo latency the clients measured after the warm-up (per kind of
//! client), the CPU both processes used and the machine's load average,
//! and how many of each misbehaviour ran. The corio clients' latency
//! includes their own loop's queue: all of them share one thread, which
//! the default `--pause-ms 20` keeps saturated (a stress test); the std
//! threads' figure is closer to the server's own echo time. The exit status is non-zero if anything
//! was lost or corrupted, or a connection failed or leaked.
//!
//! The code is in `examples/soak/`; `tests/soak.rs` runs it at a small
//! scale.

#[path = "soak/mod.rs"]
mod soak;

use std::process::ExitCode;

use soak::config::{Config, Role};

fn main() -> ExitCode {
    let (role, config) = match Config::parse(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("soak: {message}");
            return ExitCode::from(2);
        }
    };
    match role {
        Role::Client(addr) => {
            soak::client::run(config, addr);
            ExitCode::SUCCESS
        }
        Role::Server => {
            let exe = std::env::current_exe().expect("the running binary's path");
            let report = soak::parent::run(&config, &exe);
            for line in report.lines() {
                println!("soak: {line}");
            }
            if report.failures().is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
