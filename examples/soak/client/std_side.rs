//! The outside peer: plain std threads with blocking sockets, each serving
//! a group of connections in turn (one message per connection per round),
//! so a thousand connections need only a few dozen threads.

use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Instant;

use super::Shared;
use super::exchange::{self, IO_TIMEOUT, Messages, count, count_close};
use super::misbehave;
use crate::soak::config::Misbehavers;
use crate::soak::stats::{ClientStats, Misbehaviour};

/// The misbehaviours a thread runs without a second thread: all but the
/// slow reader (which needs to write and read at once; the corio side has it).
const KINDS: [Misbehaviour; 3] = [
    Misbehaviour::Reset,
    Misbehaviour::HalfClose,
    Misbehaviour::Vanish,
];

/// Index of the std side in `ClientStats`.
const SIDE: usize = 1;

/// One connection of a thread's group.
struct Slot {
    messages: Messages,
    /// The open connection: a well-behaved slot's for the whole run (gone
    /// after a failure), a misbehaver's first one until its first session.
    stream: Option<TcpStream>,
    /// `Some(n)` for the n-th misbehaver of the side.
    misbehaver: Option<usize>,
    /// Misbehaviours run so far.
    sessions: usize,
}

/// Starts the std threads; each returns its group's counts.
pub fn spawn(shared: &Arc<Shared>) -> Vec<JoinHandle<ClientStats>> {
    let config = &shared.config;
    let count = config.std_count();
    let misbehavers = Misbehavers::new(count, config.misbehave_every, KINDS.len());
    (0..count)
        .step_by(config.per_thread)
        .map(|first| {
            let shared = Arc::clone(shared);
            let slots = first..(first + shared.config.per_thread).min(count);
            std::thread::Builder::new()
                .name(format!("std-clients-{first}"))
                .spawn(move || run_group(&shared, slots, misbehavers))
                .expect("spawn a client thread")
        })
        .collect()
}

/// A connected blocking stream with the clients' timeouts, or `None`.
fn open(shared: &Shared) -> Option<TcpStream> {
    let stream = TcpStream::connect(shared.addr).ok()?;
    stream.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(IO_TIMEOUT)).ok()?;
    stream.set_nodelay(true).ok()?;
    Some(stream)
}

fn run_group(
    shared: &Shared,
    slots: std::ops::Range<usize>,
    misbehavers: Misbehavers,
) -> ClientStats {
    let mut stats = ClientStats::default();
    let conn_base = shared.config.corio_count();
    let mut group: Vec<Slot> = slots
        .map(|slot| Slot {
            messages: Messages::new((conn_base + slot) as u32, SIDE, shared.config.seed),
            stream: None,
            misbehaver: misbehavers.ordinal(slot),
            sessions: 0,
        })
        .collect();
    for slot in &mut group {
        slot.stream = open(shared);
        match &slot.stream {
            None => stats.connect_failures += 1,
            Some(stream) => {
                let outcome = slot.messages.exchange(stream);
                if !count(&mut stats, SIDE, slot.messages.frame.len(), outcome) {
                    slot.stream = None;
                }
            }
        }
        shared.ready.fetch_add(1, Ordering::AcqRel);
    }
    let connected: Vec<bool> = group.iter().map(|slot| slot.stream.is_some()).collect();
    let deadline = shared.go.wait();
    for slot in &mut group {
        slot.messages.start_timing(deadline, &shared.config);
    }
    let mut pauses = Messages::new(u32::MAX - conn_base as u32, SIDE, shared.config.seed);
    loop {
        // Pause first, so that the threads do not all start at once.
        std::thread::sleep(pauses.pause(shared.config.pause_ms));
        if Instant::now() >= deadline {
            break;
        }
        for (slot, &connected) in group.iter_mut().zip(&connected) {
            if connected {
                round(shared, slot, &mut stats);
            }
        }
    }
    shared.settled.fetch_add(group.len(), Ordering::AcqRel);
    shared.close.wait();
    for slot in &group {
        if let (None, Some(stream)) = (slot.misbehaver, &slot.stream) {
            stats.held += 1;
            count_close(&mut stats, exchange::close(stream));
        }
    }
    stats
}

/// A slot's turn: one message, or one misbehaviour on a (fresh) connection.
fn round(shared: &Shared, slot: &mut Slot, stats: &mut ClientStats) {
    let Some(ordinal) = slot.misbehaver else {
        if let Some(stream) = &slot.stream {
            let outcome = slot.messages.exchange(stream);
            if !count(stats, SIDE, slot.messages.frame.len(), outcome) {
                slot.stream = None; // no longer held; no more traffic
            }
        }
        return;
    };
    let Some(stream) = slot.stream.take().or_else(|| open(shared)) else {
        stats.connect_failures += 1;
        return;
    };
    let kind = KINDS[(ordinal + slot.sessions) % KINDS.len()];
    match kind {
        Misbehaviour::Reset => misbehave::reset(stream, &mut slot.messages, stats),
        Misbehaviour::HalfClose => misbehave::half_close(stream, &mut slot.messages, stats),
        _ => misbehave::vanish(stream, &mut slot.messages),
    }
    stats.misbehaviours[kind.index()] += 1;
    slot.sessions += 1;
}
