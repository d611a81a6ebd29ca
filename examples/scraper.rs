//! A web scraper, the seed article's "data fetching: parallel API calls,
//! scrapers", on corio: run it with `cargo run --release --example scraper`.
//!
//! It starts a local site (the same every run: 200 pages that link to each
//! other, a few slow ones, links to missing pages, one page that answers
//! with garbage and one that never answers), then crawls it from `/`:
//! every link is followed once, at most 8 requests are in flight
//! (`Semaphore`), and each request gets a `timeout`. The crawl is a
//! `Generator` that streams each result out as it arrives, while it parks
//! on a channel inside the event loop: Python's async generator, with no
//! `async` anywhere. It prints a summary; the tokio twin
//! (`examples/tokio_scraper.rs`) and the asyncio one
//! (`examples/python/scraper.py`) print the same lines, apart from the time.

use std::cell::Cell;
use std::collections::{BTreeMap, HashSet};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::net::{TcpListener, TcpStream};
use corio::sync::{Semaphore, channel};
use corio::{Generator, GeneratorState};

/// How many pages the site has, `/page/0` to `/page/199`.
const PAGES: usize = 200;
/// The most requests the crawler has in flight at once.
const MAX_IN_FLIGHT: usize = 8;
/// How long one request may take before the crawler gives up on it.
const REQUEST_TIMEOUT: Duration = Duration::from_millis(1000);
/// How long a slow page makes the crawler wait.
const SLOW_PAGE_DELAY: Duration = Duration::from_millis(100);

fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let fetched = corio::run(move || {
        corio::spawn(move || serve_site(listener));
        let t0 = Instant::now();
        let gauge = Rc::new(Gauge::default());
        let (mut fetched, mut requests) = (0, 0);
        let mut errors: BTreeMap<String, usize> = BTreeMap::new();
        // `async for result in crawl(...)`: each resume parks this task until
        // the crawl has its next result.
        let mut results = crawl(addr, Rc::clone(&gauge));
        while let GeneratorState::Yielded(result) = results.resume(()) {
            requests += 1;
            match result {
                Ok(()) => fetched += 1,
                Err(kind) => *errors.entry(kind).or_default() += 1,
            }
        }
        let kinds: Vec<String> = errors.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        let total: usize = errors.values().sum();
        println!("crawled the local site from / with at most {MAX_IN_FLIGHT} requests in flight");
        println!("requests: {requests}, one per distinct link");
        println!("pages fetched: {fetched}");
        println!("errors: {total} ({})", kinds.join(", "));
        println!(
            "peak concurrency: {} (limit {MAX_IN_FLIGHT})",
            gauge.peak.get()
        );
        println!("wall time: {:.2} s", t0.elapsed().as_secs_f64());
        fetched
    });
    if fetched == 0 {
        std::process::exit(1);
    }
}

// --- the crawler -------------------------------------------------------------

/// Requests in flight now, and the most there ever were.
#[derive(Default)]
struct Gauge {
    now: Cell<usize>,
    peak: Cell<usize>,
}

/// The crawl as a stream: a generator that yields each request's outcome
/// (`Ok`, or the kind of error) as soon as it is known.
fn crawl(addr: SocketAddr, gauge: Rc<Gauge>) -> Generator<(), Result<(), String>, ()> {
    Generator::new(move |y, ()| {
        let permits = Rc::new(Semaphore::new(MAX_IN_FLIGHT));
        let (done_tx, done_rx) = channel(MAX_IN_FLIGHT);
        let mut seen = HashSet::from(["/".to_string()]);
        let mut pending = vec!["/".to_string()];
        let mut running = 0;
        loop {
            // One task per link; each waits for a permit before it connects.
            for path in pending.drain(..) {
                let (permits, gauge, done_tx) = (permits.clone(), gauge.clone(), done_tx.clone());
                running += 1;
                corio::spawn(move || {
                    let permit = permits.acquire();
                    gauge.now.set(gauge.now.get() + 1);
                    gauge.peak.set(gauge.peak.get().max(gauge.now.get()));
                    let outcome = corio::timeout(REQUEST_TIMEOUT, || fetch(addr, &path));
                    gauge.now.set(gauge.now.get() - 1);
                    drop(permit);
                    let outcome = outcome.unwrap_or_else(|_| Err("timed out".to_string()));
                    let _ = done_tx.send(outcome);
                });
            }
            if running == 0 {
                return;
            }
            // This parks the task that resumed us; the fetches run meanwhile.
            let outcome = done_rx.recv().expect("the crawl holds a sender");
            running -= 1;
            let outcome = outcome.map(|body| {
                let links = links_in(&body);
                pending.extend(links.into_iter().filter(|link| seen.insert(link.clone())));
            });
            y.yield_(outcome);
        }
    })
}

/// GETs `path` and returns the body of a `200` answer, or the kind of error.
fn fetch(addr: SocketAddr, path: &str) -> Result<String, String> {
    let io_error = |e: io::Error| format!("connection error ({:?})", e.kind());
    let mut stream = TcpStream::connect(addr).map_err(io_error)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(io_error)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(io_error)?;
    let text = String::from_utf8_lossy(&raw);
    let malformed = || "malformed response".to_string();
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(malformed)?;
    let status = head
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(malformed)?;
    match status {
        200 => Ok(body.to_string()),
        other => Err(format!("http {other}")),
    }
}

/// The targets of the `href="..."` links in `html`, in order.
fn links_in(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .map(|(link, _)| link.to_string())
        .collect()
}

// --- the site ------------------------------------------------------------------

/// What the site answers for a path.
enum Answer {
    /// A page, after a delay if it is one of the slow ones.
    Page {
        html: String,
        slow: bool,
    },
    NotFound,
    /// Bytes that are not an HTTP response.
    Garbage,
    /// Nothing, ever: the client has to give up.
    Silence,
}

/// The links on page `i`: the next page, a far one, and on some pages a
/// missing page, the garbage one or the silent one. Every page is
/// reachable from `/` through the "next" links.
fn links_of(i: usize) -> Vec<String> {
    let mut links = vec![
        format!("/page/{}", (i + 1) % PAGES),
        format!("/page/{}", (i * 7 + 3) % PAGES),
    ];
    if i % 10 == 3 {
        links.push(format!("/missing/{i}"));
    }
    match i {
        50 => links.push("/garbage".into()),
        100 => links.push("/silent".into()),
        _ => {}
    }
    links
}

/// The page at `path`, if the site has one: `/` or `/page/<i>`.
fn route(path: &str) -> Answer {
    let (title, links, slow) = match path {
        "/" => (
            "home".to_string(),
            vec!["/page/0".to_string(), "/page/100".into()],
            false,
        ),
        "/garbage" => return Answer::Garbage,
        "/silent" => return Answer::Silence,
        _ => match path
            .strip_prefix("/page/")
            .and_then(|i| i.parse::<usize>().ok())
        {
            Some(i) if i < PAGES => (format!("page {i}"), links_of(i), i % 20 == 7),
            _ => return Answer::NotFound,
        },
    };
    let anchors: String = links
        .iter()
        .map(|l| format!("<a href=\"{l}\">{l}</a>\n"))
        .collect();
    let html = format!("<html><body><h1>{title}</h1>\n{anchors}</body></html>\n");
    Answer::Page { html, slow }
}

/// Accepts connections until the program ends, a task for each.
fn serve_site(listener: TcpListener) {
    while let Ok((stream, _)) = listener.accept() {
        corio::spawn(move || serve(stream));
    }
}

/// Answers one request (one per connection) and closes.
fn serve(mut stream: TcpStream) {
    let Some(path) = read_request_path(&mut stream) else {
        return;
    };
    let (status, body) = match route(&path) {
        Answer::Page { html, slow } => {
            if slow {
                corio::sleep(SLOW_PAGE_DELAY);
            }
            ("200 OK", html)
        }
        Answer::NotFound => ("404 Not Found", format!("no page at {path}\n")),
        Answer::Garbage => {
            let _ = stream.write_all(b"HTTP/1.1 two hundred-ish\r\n\r\n<html>");
            return;
        }
        Answer::Silence => {
            // Read until the client gives up and closes its end.
            let _ = stream.read_to_end(&mut Vec::new());
            return;
        }
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(format!("{head}{body}").as_bytes());
}

/// Reads a request head and returns the path of its `GET` line; `None`
/// if the client sends anything else or goes away.
fn read_request_path(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut chunk = [0; 1024];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        let n = stream.read(&mut chunk).ok().filter(|&n| n > 0)?;
        head.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut words = text.lines().next()?.split(' ');
    match (words.next(), words.next()) {
        (Some("GET"), Some(path)) => Some(path.to_string()),
        _ => None,
    }
}
