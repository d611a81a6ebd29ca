//! Seeing inside a running server: `corio::dump()` lists every task, what
//! it waits on (a socket and its peer, a channel, a mutex and who holds
//! it, a timer), for how long, where it was spawned, and the backtrace of
//! the very line it is parked at.
//!
//! The server: an acceptor, one task per connection that reads lines and
//! hands them to a worker over a channel, a worker that records them in a
//! shared `Mutex`, a ticker that wakes once a second and an alerter
//! waiting on a channel of alerts. A client
//! connects and says nothing; the main task holds the stats lock while
//! it dumps, so the worker is caught waiting for it.
//!
//! Run it with `cargo run --example dump` (a debug build has file and
//! line numbers for every frame). In a server of your own,
//! `corio::dump_on_sigquit()` prints the same on `kill -QUIT <pid>`.

use std::io::{BufRead, BufReader, Write};
use std::rc::Rc;
use std::time::Duration;

use corio::TaskBuilder;
use corio::net::{TcpListener, TcpStream};
use corio::sync::{Mutex, Receiver, Sender, channel};

/// What the worker records.
#[derive(Debug, Default)]
struct Stats {
    lines: usize,
}

#[inline(never)]
fn accept_loop(listener: TcpListener, lines: Sender<String>) {
    loop {
        let Ok((stream, peer)) = listener.accept() else {
            return;
        };
        let lines = lines.clone();
        TaskBuilder::new()
            .name(format!("conn {peer}"))
            .spawn(move || serve(stream, lines));
    }
}

#[inline(never)]
fn serve(stream: TcpStream, lines: Sender<String>) {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
        if lines.send(std::mem::take(&mut line)).is_err() {
            return;
        }
    }
}

#[inline(never)]
fn record(lines: Receiver<String>, stats: Rc<Mutex<Stats>>) {
    while let Some(_line) = lines.recv() {
        stats.lock().lines += 1;
    }
}

#[inline(never)]
fn alert(alerts: Receiver<String>) {
    for alert in alerts {
        eprintln!("ALERT: {alert}");
    }
}

#[inline(never)]
fn tick() {
    loop {
        corio::sleep(Duration::from_secs(1));
    }
}

fn main() {
    corio::run(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let stats = Rc::new(Mutex::new(Stats::default()));
        let (tx, rx) = channel::<String>(8);
        // Nobody raises an alert in this run: the alerter waits on its channel.
        let (alerts, alert_rx) = channel::<String>(1);

        TaskBuilder::new()
            .name("acceptor")
            .spawn(move || accept_loop(listener, tx));
        let s = stats.clone();
        TaskBuilder::new()
            .name("worker")
            .spawn(move || record(rx, s));
        TaskBuilder::new().name("ticker").spawn(tick);
        TaskBuilder::new()
            .name("alerter")
            .spawn(move || alert(alert_rx));

        // A quiet client: its connection task parks reading it.
        let quiet = TcpStream::connect(addr).expect("connect over loopback");
        // A chatty one: its line goes to the worker, which then needs the
        // stats lock that main is about to hold.
        let mut chatty = TcpStream::connect(addr).expect("connect over loopback");
        let held = stats.lock();
        chatty.write_all(b"hello\n").expect("write over loopback");
        corio::sleep(Duration::from_millis(50)); // everyone gets to park

        println!("{}", corio::dump());

        drop(held);
        drop((quiet, chatty, alerts));
        corio::sleep(Duration::from_millis(10));
        println!("lines recorded: {}", stats.lock().lines);
        // Returning ends `run`: the tasks still parked are cancelled.
    });
}
