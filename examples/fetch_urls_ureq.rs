//! `fetch_urls` again, with a real HTTP client library: the asyncio
//! article's three concurrent fetches as three `ureq` GETs in three corio
//! tasks. Run it with
//! `cargo run --release --features ureq --example fetch_urls_ureq`.
//!
//! ureq is a *blocking* client, written with no async runtime in mind.
//! The only change it needs is where its sockets come from: the agent
//! [`corio::ureq::agent`] builds opens corio `TcpStream`s and resolves
//! host names on corio's blocking pool, so each request parks its own task
//! while it waits and the other fetches (and the local server, in the same
//! runtime) go on. Everything else is ureq as its docs show it.
//!
//! Try `ureq::get(url).call()` instead of `agent.get(url).call()`: ureq
//! then uses blocking std sockets on the loop's thread, the first request
//! waits for a server that can no longer run, and the program hangs.
//!
//! It prints the same timeline as `examples/fetch_urls.rs` (the same local
//! server from `examples/common/http_server.rs`): all three start at T=0,
//! the two fast ones finish at once, the delayed one at T=2 s.

#[path = "common/http_server.rs"]
mod http_server;

use std::time::Instant;

fn main() {
    let all_ok = corio::run(|| {
        let addr = match http_server::start() {
            Ok(addr) => addr,
            Err(e) => {
                eprintln!("cannot start the local server: {e}");
                return false;
            }
        };
        let urls = ["/", "/delay/2", "/big"].map(|path| format!("http://{addr}{path}"));
        // aiohttp's ClientSession: one agent, its connection pool shared.
        let agent = corio::ureq::agent();

        let t0 = Instant::now();
        let results = corio::gather(
            urls.iter()
                .map(|url| {
                    let agent = &agent;
                    move || fetch_and_report(agent, url, t0)
                })
                .collect(),
        );
        let fetched = results.iter().filter(|ok| **ok).count();
        println!(
            "fetched {fetched} URLs in {:.1} s",
            t0.elapsed().as_secs_f64()
        );
        fetched == urls.len()
    });
    if !all_ok {
        std::process::exit(1);
    }
}

/// The article's `fetch`: log the start, get the body with ureq, log its size.
fn fetch_and_report(agent: &ureq::Agent, url: &str, t0: Instant) -> bool {
    let stamp = || format!("[T+{:.2}s]", t0.elapsed().as_secs_f64());
    println!("{} Starting: {url}", stamp());
    let text = agent
        .get(url)
        .call()
        .and_then(|mut response| response.body_mut().read_to_string());
    match text {
        Ok(text) => {
            println!(
                "{} Done: {url} -> {} characters",
                stamp(),
                text.chars().count()
            );
            true
        }
        Err(e) => {
            println!("{} Failed: {url} -> {e}", stamp());
            false
        }
    }
}
