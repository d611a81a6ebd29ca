//! The corio clients: a task per slot on the clients' process's runtime.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use corio::net::TcpStream;
use corio::sync::{Event, Semaphore};

use super::exchange::{self, IO_TIMEOUT, Messages, count, count_close};
use super::{Shared, misbehave, slow_reader};
use crate::soak::config::Misbehavers;
use crate::soak::stats::{ClientStats, Misbehaviour};

/// Connections being set up at once: fewer than the listener's backlog,
/// so the first wave does not overflow it (a dropped SYN costs a second).
const CONNECTING: usize = 256;

/// The corio side's half of the gates, and its connect limit.
struct Local {
    go: Event,
    deadline: Cell<Option<Instant>>,
    close: Event,
    connecting: Semaphore,
}

impl Local {
    /// Parks until traffic starts; returns its deadline.
    fn wait_go(&self) -> Instant {
        self.go.wait();
        self.deadline.get().expect("the deadline is set before go")
    }
}

/// Runs every corio slot and the control task; returns their counts.
pub fn run(shared: &Shared) -> ClientStats {
    let config = &shared.config;
    let count = config.corio_count();
    let misbehavers = Misbehavers::new(count, config.misbehave_every, Misbehaviour::ALL.len());
    let local = Rc::new(Local {
        go: Event::new(),
        deadline: Cell::new(None),
        close: Event::new(),
        connecting: Semaphore::new(CONNECTING),
    });
    corio::scope(|s| {
        let slots: Vec<_> = (0..count)
            .map(|slot| {
                let local = &local;
                s.spawn(move || match misbehavers.ordinal(slot) {
                    None => well_behaved(shared, local, slot),
                    Some(ordinal) => misbehaving(shared, local, slot, ordinal),
                })
            })
            .collect();
        super::control(
            shared,
            |deadline| {
                local.deadline.set(Some(deadline));
                local.go.set();
            },
            || local.close.set(),
        );
        let mut stats = ClientStats::default();
        for slot in slots {
            match slot.join() {
                Ok(counts) => stats.merge(&counts),
                Err(error) => panic!("a corio client failed: {error:?}"),
            }
        }
        stats
    })
}

/// Connects (within the connect limit) and exchanges a first message, so
/// the server has accepted the connection before the next one starts.
fn connect(
    shared: &Shared,
    local: &Local,
    messages: &mut Messages,
    stats: &mut ClientStats,
) -> Option<TcpStream> {
    let _permit = local.connecting.acquire();
    let Some(stream) = open(shared) else {
        stats.connect_failures += 1;
        return None;
    };
    let outcome = messages.exchange(&stream);
    count(stats, messages.side, messages.frame.len(), outcome).then_some(stream)
}

/// A connected stream with the clients' timeouts, or `None`.
fn open(shared: &Shared) -> Option<TcpStream> {
    let stream = TcpStream::connect(shared.addr).ok()?;
    stream.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(IO_TIMEOUT)).ok()?;
    stream.set_nodelay(true).ok()?;
    Some(stream)
}

/// One connection for the whole run: a message, a pause, until the
/// deadline; then, when told, an orderly close.
fn well_behaved(shared: &Shared, local: &Local, slot: usize) -> ClientStats {
    let mut stats = ClientStats::default();
    let mut messages = Messages::new(slot as u32, 0, shared.config.seed);
    let stream = connect(shared, local, &mut messages, &mut stats);
    shared.ready.fetch_add(1, Ordering::AcqRel);
    let deadline = local.wait_go();
    messages.start_timing(deadline, &shared.config);
    let mut held = stream.is_some();
    if let Some(stream) = &stream {
        // Pause first: the connections must not all send at the start.
        loop {
            corio::sleep(messages.pause(shared.config.pause_ms));
            if !held || Instant::now() >= deadline {
                break;
            }
            let outcome = messages.exchange(stream);
            held = count(&mut stats, 0, messages.frame.len(), outcome);
        }
    }
    shared.settled.fetch_add(1, Ordering::AcqRel);
    local.close.wait();
    if let (Some(stream), true) = (&stream, held) {
        stats.held += 1;
        count_close(&mut stats, exchange::close(stream));
    }
    stats
}

/// Misbehaviour after misbehaviour, each on a fresh connection (the first
/// one set up with the others, so it counts among the connections held at
/// the start), until the deadline.
fn misbehaving(shared: &Shared, local: &Local, slot: usize, ordinal: usize) -> ClientStats {
    let mut stats = ClientStats::default();
    let mut messages = Messages::new(slot as u32, 0, shared.config.seed);
    let mut stream = connect(shared, local, &mut messages, &mut stats);
    let failed_at_start = stream.is_none();
    shared.ready.fetch_add(1, Ordering::AcqRel);
    let deadline = local.wait_go();
    messages.start_timing(deadline, &shared.config);
    let mut session = 0;
    while !failed_at_start && Instant::now() < deadline {
        corio::sleep(messages.pause(shared.config.pause_ms));
        let fresh = stream.take().or_else(|| {
            let _permit = local.connecting.acquire();
            open(shared)
        });
        let Some(conn) = fresh else {
            stats.connect_failures += 1;
            break;
        };
        let kind = Misbehaviour::ALL[(ordinal + session) % Misbehaviour::ALL.len()];
        match kind {
            Misbehaviour::Reset => misbehave::reset(conn, &mut messages, &mut stats),
            Misbehaviour::HalfClose => misbehave::half_close(conn, &mut messages, &mut stats),
            Misbehaviour::SlowReader => slow_reader::slow_reader(conn, &mut messages, &mut stats),
            Misbehaviour::Vanish => misbehave::vanish(conn, &mut messages),
        }
        stats.misbehaviours[kind.index()] += 1;
        session += 1;
    }
    shared.settled.fetch_add(1, Ordering::AcqRel);
    stats
}
