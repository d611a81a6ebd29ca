//! Fault 5: tasks aborted at pseudo-random moments, wherever they are
//! parked.
//!
//! Each worker takes eight steps; each step parks at one of ten points
//! chosen by its own seeded PRNG: a sleep, a channel `recv`, a contended
//! `Mutex::lock` (and a sleep while holding it), a contended
//! `Semaphore::acquire` (and a sleep while holding the permit), a Unix
//! socket read (a helper task writes the byte later), an `Event::wait`
//! (a helper sets it later), a `join` of a child task, a `scope` waiting
//! for two sleeping children, a sleep inside a `timeout`, and a sleep
//! inside a generator the worker resumes (guards inside the children, the
//! timeout and the generator count their drops too). A guard created
//! before each park point
//! counts its drop, and records the point if the step never completed
//! (the task was cancelled there). Half the workers get an aborter that
//! waits a PRNG-chosen number of yields or milliseconds and then aborts
//! it. Where the random aborts land depends on timing (under valgrind,
//! mostly on the contended points), so the test then aborts one worker
//! at each of the ten points for certain, parked there first. Afterwards:
//! every guard dropped (created == dropped), each forced abort recorded at
//! its point, the semaphore has all its permits back,
//! the mutex is free, no channel value was lost (sent == received +
//! left in the buffer) and the channel still passes values, and no
//! descriptor leaked.
//!
//! The seed is printed; `CORIO_FAULT_SEED=<n>` replays its choices (the
//! moments still depend on the machine's timing, so a replay is close,
//! not exact).

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::rc::Rc;

use corio::net::UnixStream;
use corio::sync::{Event, Mutex, Semaphore, channel};
use corio::{Generator, GeneratorState};

use crate::util::{ms, scaled};

/// xorshift64*: small, seedable, good enough to pick park points.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) % n
    }
}

const POINTS: [&str; 10] = [
    "sleep",
    "recv",
    "lock",
    "acquire",
    "read",
    "event",
    "join",
    "scope",
    "timeout",
    "generator",
];

/// The point of a guard that only counts its drop (one inside a child or
/// a generator, whose cancellation is its worker's).
const INNER: usize = usize::MAX;
const PERMITS: usize = 3;

/// Guards created and dropped, and where cancellations landed.
#[derive(Default)]
struct Tally {
    created: Cell<usize>,
    dropped: Cell<usize>,
    cancelled_at: RefCell<[usize; POINTS.len()]>,
    /// Helper tasks (children, late writers) not yet finished.
    helpers: Cell<usize>,
}

/// Alive across one park point.
struct Held {
    point: usize,
    completed: bool,
    tally: Rc<Tally>,
}

impl Held {
    fn new(point: usize, tally: &Rc<Tally>) -> Self {
        tally.created.set(tally.created.get() + 1);
        Held {
            point,
            completed: false,
            tally: Rc::clone(tally),
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let t = &self.tally;
        t.dropped.set(t.dropped.get() + 1);
        if !self.completed && self.point != INNER {
            t.cancelled_at.borrow_mut()[self.point] += 1;
        }
    }
}

/// Counts a helper task as finished when dropped (also if cancelled).
struct HelperDone(Rc<Tally>);

impl HelperDone {
    fn start(tally: &Rc<Tally>) -> Self {
        tally.helpers.set(tally.helpers.get() + 1);
        HelperDone(Rc::clone(tally))
    }
}

impl Drop for HelperDone {
    fn drop(&mut self) {
        self.0.helpers.set(self.0.helpers.get() - 1);
    }
}

/// What the workers share.
struct World {
    tally: Rc<Tally>,
    mutex: Mutex<u64>,
    semaphore: Semaphore,
    rx: corio::sync::Receiver<u64>,
    received: Cell<u64>,
}

/// Eight steps, each parked at a point the PRNG picks (the first at
/// `first`, if given).
fn worker(world: Rc<World>, seed: u64, first: Option<usize>) {
    let mut rng = Rng::new(seed);
    for step in 0..8 {
        let random = rng.below(POINTS.len() as u64) as usize;
        let point = first.filter(|_| step == 0).unwrap_or(random);
        let mut held = Held::new(point, &world.tally);
        let nap = ms(rng.below(3));
        // The read's writer, the event's setter and the joined child take
        // a little longer; in a forced first step, far longer than main
        // takes to abort the worker.
        let later = if first.is_some() && step == 0 {
            ms(200)
        } else {
            ms(1 + rng.below(4))
        };
        match POINTS[point] {
            "sleep" => corio::sleep(ms(10 + rng.below(30))),
            "recv" => {
                if world.rx.recv().is_some() {
                    world.received.set(world.received.get() + 1);
                }
            }
            "lock" => {
                let mut value = world.mutex.lock();
                *value += 1;
                corio::sleep(nap);
            }
            "acquire" => {
                let _permit = world.semaphore.acquire();
                corio::sleep(nap);
            }
            "read" => {
                let (mut mine, mut theirs) = UnixStream::pair().expect("a Unix pair");
                let done = HelperDone::start(&world.tally);
                corio::spawn(move || {
                    let _done = done;
                    corio::sleep(later);
                    // The reader may be gone (cancelled): then an error.
                    let _ = theirs.write_all(b"x");
                });
                let mut byte = [0u8; 1];
                mine.read_exact(&mut byte).expect("read the byte");
            }
            "event" => {
                let event = Rc::new(Event::new());
                let setter = Rc::clone(&event);
                let done = HelperDone::start(&world.tally);
                corio::spawn(move || {
                    let _done = done;
                    corio::sleep(later);
                    setter.set();
                });
                event.wait();
            }
            "join" => {
                let child_tally = Rc::clone(&world.tally);
                let done = HelperDone::start(&world.tally);
                let child = corio::spawn(move || {
                    let _done = done;
                    let mut own = Held::new(0, &child_tally);
                    corio::sleep(later);
                    own.completed = true;
                });
                // A cancelled worker drops the handle here: the child is
                // detached and finishes on its own.
                child.join().expect("the child");
            }
            "scope" => corio::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| {
                        let _inner = Held::new(INNER, &world.tally);
                        corio::sleep(later);
                    });
                }
            }),
            "timeout" => {
                let inner = corio::timeout(later, || {
                    let _inner = Held::new(INNER, &world.tally);
                    corio::sleep(ms(3_600_000));
                });
                // An abort inside the timeout is a cancellation, never
                // taken for the deadline.
                assert!(inner.is_err(), "an hour passed");
            }
            "generator" => {
                let tally = Rc::clone(&world.tally);
                let mut g = Generator::<(), u32, ()>::new(move |y, ()| {
                    let _inner = Held::new(INNER, &tally);
                    corio::sleep(later); // parks the worker inside the generator
                    y.yield_(1);
                });
                assert_eq!(g.resume(()), GeneratorState::Yielded(1));
            }
            other => unreachable!("no park point {other}"),
        }
        held.completed = true;
    }
}

#[test]
fn aborts_at_random_park_points_run_every_destructor_and_leak_nothing() {
    let _serial = crate::serial();
    let seed = std::env::var("CORIO_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("random_cancel seed: {seed} (CORIO_FAULT_SEED={seed} to replay)");
    let workers = scaled(600).max(100);
    let fds_before = crate::open_fds();
    let tally = Rc::new(Tally::default());
    let outcome = {
        let tally = Rc::clone(&tally);
        corio::run(move || {
            let (tx, rx) = channel(4);
            let world = Rc::new(World {
                tally: Rc::clone(&tally),
                mutex: Mutex::new(0),
                semaphore: Semaphore::new(PERMITS),
                rx,
                received: Cell::new(0),
            });
            let sent = Rc::new(Cell::new(0u64));
            let feeder = {
                let (tx, sent) = (tx.clone(), Rc::clone(&sent));
                corio::spawn(move || {
                    for value in 0.. {
                        tx.send(value).expect("the receiver lives in main");
                        sent.set(sent.get() + 1);
                        corio::sleep(ms(1));
                    }
                })
            };
            let mut rng = Rng::new(seed);
            let handles: Vec<_> = (0..workers)
                .map(|i| {
                    let world = Rc::clone(&world);
                    let worker_seed = seed ^ (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    Rc::new(corio::spawn(move || worker(world, worker_seed, None)))
                })
                .collect();
            let mut aborters = Vec::new();
            for h in &handles {
                if rng.below(2) == 0 {
                    continue;
                }
                let h = Rc::clone(h);
                let (yields, nap) = (rng.below(40), ms(rng.below(40)));
                let by_yields = rng.below(2) == 0;
                aborters.push(corio::spawn(move || {
                    if by_yields {
                        for _ in 0..yields {
                            corio::yield_now();
                        }
                    } else {
                        corio::sleep(nap);
                    }
                    h.abort();
                }));
            }
            for a in aborters {
                a.join().expect("an aborter");
            }
            let (mut finished, mut cancelled) = (0, 0);
            for h in handles {
                let h = Rc::into_inner(h).expect("the aborters are done");
                match h.join() {
                    Ok(()) => finished += 1,
                    Err(e) if e.is_cancelled() => cancelled += 1,
                    Err(e) => panic!("a worker panicked: {:?}", e.panic_message()),
                }
            }
            // Children and late writers of cancelled workers end on their own.
            while tally.helpers.get() > 0 {
                corio::sleep(ms(1));
            }
            let random_phase = *tally.cancelled_at.borrow();
            feeder.abort();
            assert!(feeder.join().unwrap_err().is_cancelled());
            // Nothing fed any more: drain the buffer, so `recv` will park.
            let mut left = 0;
            while world.rx.try_recv().is_ok() {
                left += 1;
            }
            // Then one abort at each point for certain, whatever the
            // timing: a worker made to park there first, which cannot get
            // past it before main aborts it (the lock and every permit
            // held by main, the channel empty, the helpers 200 ms away),
            // aborted once its guard for that point exists.
            for (point, name) in POINTS.iter().enumerate() {
                let before = tally.cancelled_at.borrow()[point];
                let _lock = (*name == "lock").then(|| world.mutex.lock());
                let _permits: Vec<_> = (0..PERMITS)
                    .filter(|_| *name == "acquire")
                    .map(|_| world.semaphore.acquire())
                    .collect();
                let world = Rc::clone(&world);
                let created = tally.created.get();
                let h = corio::spawn(move || worker(world, seed, Some(point)));
                while tally.created.get() == created {
                    corio::yield_now();
                }
                h.abort();
                assert!(h.join().unwrap_err().is_cancelled());
                let after = tally.cancelled_at.borrow()[point];
                assert_eq!(after, before + 1, "an abort at `{name}`");
            }
            while tally.helpers.get() > 0 {
                corio::sleep(ms(1));
            }
            // Nothing leaked: permits, the lock, the channel's values.
            let permits = world.semaphore.available_permits();
            let lock_free = world.mutex.try_lock().is_some();
            let channel_balanced = sent.get() == world.received.get() + left;
            tx.try_send(42).expect("the channel takes a value");
            let still_works = world.rx.try_recv() == Ok(42);
            (
                random_phase,
                finished,
                cancelled,
                permits,
                lock_free,
                (sent.get(), world.received.get(), left),
                channel_balanced,
                still_works,
            )
        })
    };
    let (at, finished, cancelled, permits, lock_free, flow, balanced, still_works) = outcome;
    let by_point: Vec<String> = POINTS
        .iter()
        .zip(at)
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    println!(
        "fault random cancellation (seed {seed}): {workers} workers, {cancelled} cancelled, \
         {finished} finished; cancelled at: {}; then one forced abort at each point; guards dropped {}/{}; permits back {permits}/{PERMITS}, \
         mutex free: {lock_free}, channel sent {} = received {} + left {}, still works: \
         {still_works}",
        by_point.join(", "),
        tally.dropped.get(),
        tally.created.get(),
        flow.0,
        flow.1,
        flow.2,
    );
    assert_eq!(finished + cancelled, workers);
    assert_eq!(
        tally.dropped.get(),
        tally.created.get(),
        "a destructor did not run"
    );
    assert_eq!(permits, PERMITS, "semaphore permits leaked");
    assert!(lock_free, "the mutex stayed locked");
    assert!(balanced, "a channel value was lost: {flow:?}");
    assert!(still_works);
    assert_eq!(crate::open_fds(), fds_before, "descriptors leaked");
}
