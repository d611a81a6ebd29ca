//! Fetching three URLs at once, the asyncio article's `aiohttp` +
//! `asyncio.gather` program, on corio: run it with
//! `cargo run --release --example fetch_urls`.
//!
//! The article fetches example.com, httpbin.org/delay/2 and python.org; to
//! run offline and give the same timeline every time, this program starts a
//! local server in corio tasks (`examples/common/http_server.rs`) with a
//! small page, a reply that takes 2 s, and a 100 KB body. All three fetches
//! start at T=0, the fast two finish at once, the delayed one at T=2 s, and
//! the whole run takes about 2 s, not the sum of the three.
//!
//! The fetch is ordinary blocking-style Rust: `connect`, `write_all`,
//! `read`, with `httparse` for the response head. Where a call would block,
//! the task parks and the event loop runs the other fetches and the server.
//! Nothing is marked `async` and nothing is awaited.
//!
//! Twins: `examples/tokio_fetch_urls.rs` (tokio) and
//! `examples/python/fetch_urls.py` (asyncio) print the same lines; only the
//! timings and the server's port differ.

#[path = "common/http_client.rs"]
mod http_client;
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

        let t0 = Instant::now();
        // asyncio.gather: one task per fetch, results in the order given.
        let results = corio::gather(
            urls.iter()
                .map(|url| move || fetch_and_report(url, t0))
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

/// The article's `fetch`: log the start, get the body, log its size.
fn fetch_and_report(url: &str, t0: Instant) -> bool {
    let stamp = || format!("[T+{:.2}s]", t0.elapsed().as_secs_f64());
    println!("{} Starting: {url}", stamp());
    match http_client::get(url) {
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
