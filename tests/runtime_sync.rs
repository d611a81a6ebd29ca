//! `corio::sync`: channel, semaphore, mutex and event between tasks.
//!
//! Interleavings are checked through event logs, never through timing:
//! sleeps only give other tasks a chance to run.

mod util;

use std::cell::Cell;
use std::rc::Rc;

use corio::sync::{Event, Mutex, Semaphore, TryRecvError, TrySendError, channel};
use util::{DropCounter, counter, expect_panic, log, ms};

// ---------------------------------------------------------------- channel

#[test]
fn channel_delivers_in_send_order() {
    let received = corio::run(|| {
        let (tx, rx) = channel(3);
        let producer = corio::spawn(move || {
            for n in 0..20 {
                tx.send(n).unwrap();
            }
        });
        let received: Vec<i32> = std::iter::from_fn(|| rx.recv()).collect();
        producer.join().unwrap();
        received
    });
    assert_eq!(received, (0..20).collect::<Vec<_>>());
}

#[test]
fn full_channel_parks_the_sender_until_the_receiver_takes_one() {
    let events = log();
    corio::run(|| {
        let (tx, rx) = channel(2);
        let l = events.clone();
        let producer = corio::spawn(move || {
            for n in 0..3 {
                l.borrow_mut().push(format!("send {n}"));
                tx.send(n).unwrap();
                l.borrow_mut().push(format!("sent {n}"));
            }
        });
        corio::yield_now(); // the producer fills the buffer and parks
        events
            .borrow_mut()
            .push("main: producer parked".to_string());
        corio::yield_now(); // still parked: nothing made room
        assert!(!producer.is_finished());
        let first = rx.recv().unwrap();
        events.borrow_mut().push(format!("recv {first}"));
        producer.join().unwrap();
        events.borrow_mut().push("producer done".to_string());
        let rest: Vec<_> = rx.collect();
        assert_eq!(rest, [1, 2]);
    });
    assert_eq!(
        *events.borrow(),
        [
            "send 0",
            "sent 0",
            "send 1",
            "sent 1",
            "send 2",
            "main: producer parked",
            "recv 0",
            "sent 2",
            "producer done",
        ]
    );
}

#[test]
fn waiting_senders_are_served_in_arrival_order() {
    let received = corio::run(|| {
        let (tx, rx) = channel(1);
        tx.send(0).unwrap(); // full from here on
        let senders: Vec<_> = (1..=5)
            .map(|n| {
                let tx = tx.clone();
                corio::spawn(move || tx.send(n).unwrap())
            })
            .collect();
        drop(tx);
        corio::yield_now(); // all five park, in spawn order
        let received: Vec<i32> = rx.collect();
        for s in senders {
            s.join().unwrap();
        }
        received
    });
    assert_eq!(received, [0, 1, 2, 3, 4, 5]);
}

#[test]
fn try_send_does_not_take_a_slot_reserved_for_a_waiting_sender() {
    corio::run(|| {
        let (tx, rx) = channel(1);
        tx.send("first").unwrap();
        let t = tx.clone();
        let waiting = corio::spawn(move || t.send("waited").unwrap());
        corio::yield_now(); // `waiting` parks on the full buffer
        assert_eq!(rx.try_recv(), Ok("first")); // frees a slot for `waiting`
        assert_eq!(tx.try_send("newcomer"), Err(TrySendError::Full("newcomer")));
        waiting.join().unwrap();
        assert_eq!(rx.try_recv(), Ok("waited"));
    });
}

#[test]
fn send_fails_once_the_receiver_is_dropped() {
    corio::run(|| {
        let (tx, rx) = channel(1);
        tx.send(1).unwrap();
        let t = tx.clone();
        let parked = corio::spawn(move || t.send(2).map_err(|e| e.into_inner()));
        corio::yield_now(); // parked on the full buffer
        drop(rx);
        assert_eq!(
            parked.join().unwrap(),
            Err(2),
            "the waiting sender gets its value back"
        );
        assert_eq!(tx.send(3).unwrap_err().0, 3);
        assert_eq!(tx.try_send(4), Err(TrySendError::Disconnected(4)));
    });
}

#[test]
fn recv_ends_once_every_sender_is_dropped() {
    corio::run(|| {
        let (tx, rx) = channel::<i32>(4);
        let rx = Rc::new(rx);
        let r = rx.clone();
        let receiver = corio::spawn(move || r.recv());
        corio::yield_now(); // parked on the empty buffer
        let tx2 = tx.clone();
        drop(tx);
        corio::yield_now();
        assert!(!receiver.is_finished(), "one sender is still alive");
        drop(tx2);
        assert_eq!(receiver.join().unwrap(), None);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    });
}

#[test]
fn buffered_values_are_received_after_the_senders_are_gone() {
    corio::run(|| {
        let (tx, rx) = channel(4);
        tx.send('a').unwrap();
        tx.send('b').unwrap();
        drop(tx);
        assert_eq!(rx.try_recv(), Ok('a'));
        assert_eq!(rx.recv(), Some('b'));
        assert_eq!(rx.recv(), None);
    });
}

#[test]
fn receiver_is_an_iterator_until_the_channel_closes() {
    let words = corio::run(|| {
        let (tx, rx) = channel(2);
        for id in 0..3 {
            let tx = tx.clone();
            corio::spawn(move || {
                for word in ["x", "y"] {
                    corio::sleep(ms(1));
                    tx.send(format!("{id}{word}")).unwrap();
                }
            });
        }
        drop(tx);
        let mut words: Vec<String> = rx.into_iter().collect();
        words.sort();
        words
    });
    assert_eq!(words, ["0x", "0y", "1x", "1y", "2x", "2y"]);
}

#[test]
fn dropping_the_receiver_drops_buffered_values_even_those_holding_a_sender() {
    /// A value that may own a sender of its own channel.
    struct Item {
        _drops: DropCounter,
        _sender: Option<corio::sync::Sender<Item>>,
    }

    let drops = counter();
    corio::run(|| {
        let (tx, rx) = channel::<Item>(4);
        tx.send(Item {
            _drops: DropCounter::new(&drops),
            _sender: None,
        })
        .unwrap();
        // Kept alive only by the buffer: it would leak if the buffer lived
        // until the last sender is dropped.
        tx.send(Item {
            _drops: DropCounter::new(&drops),
            _sender: Some(tx.clone()),
        })
        .unwrap();
        drop(tx);
        drop(rx);
    });
    assert_eq!(drops.get(), 2);
}

#[test]
fn an_aborted_waiting_sender_leaves_no_trace() {
    corio::run(|| {
        let (tx, rx) = channel(1);
        tx.send(1).unwrap();
        let t = tx.clone();
        let doomed = corio::spawn(move || t.send(2).unwrap());
        corio::yield_now(); // parked on the full buffer
        doomed.abort();
        assert!(doomed.join().unwrap_err().is_cancelled());
        assert_eq!(rx.recv(), Some(1));
        assert_eq!(
            tx.try_send(3),
            Ok(()),
            "the freed slot is free, not reserved"
        );
        assert_eq!(rx.recv(), Some(3));
    });
}

#[test]
fn a_slot_reserved_for_an_aborted_sender_goes_to_the_next_one() {
    let drops = counter();
    corio::run(|| {
        let (tx, rx) = channel(1);
        tx.send((0, None)).unwrap();
        let t = tx.clone();
        let d = drops.clone();
        let doomed = corio::spawn(move || t.send((1, Some(DropCounter::new(&d)))).unwrap());
        let t = tx.clone();
        let next = corio::spawn(move || t.send((2, None)).unwrap());
        corio::yield_now(); // both park, `doomed` first
        assert_eq!(rx.try_recv().unwrap().0, 0); // reserves the slot for `doomed`
        doomed.abort(); // ...which unwinds before using it
        next.join().unwrap();
        assert!(doomed.join().unwrap_err().is_cancelled());
        assert_eq!(drops.get(), 1, "the aborted send's value was dropped");
        assert_eq!(rx.try_recv().unwrap().0, 2);
        drop(tx);
        assert_eq!(rx.try_recv().map(|v| v.0), Err(TryRecvError::Disconnected));
    });
}

#[test]
fn a_receiver_that_times_out_can_receive_later() {
    corio::run(|| {
        let (tx, rx) = channel(1);
        assert!(corio::timeout(ms(2), || rx.recv()).is_err());
        tx.send(5).unwrap();
        assert_eq!(corio::timeout(ms(1000), || rx.recv()), Ok(Some(5)));
    });
}

#[test]
fn channel_with_zero_capacity_panics() {
    let message = expect_panic(|| channel::<()>(0));
    assert!(message.contains("capacity must be at least 1"), "{message}");
}

#[test]
fn channel_outside_a_runtime_works_until_it_would_wait() {
    let (tx, rx) = channel(1);
    tx.send(1).unwrap();
    assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    let message = expect_panic(|| tx.send(2));
    assert!(message.contains("inside corio::run"), "{message}");
    assert_eq!(rx.recv(), Some(1));
    let message = expect_panic(|| rx.recv());
    assert!(message.contains("inside corio::run"), "{message}");
    drop(tx);
    assert_eq!(rx.recv(), None);
}

// -------------------------------------------------------------- semaphore

#[test]
fn semaphore_waiters_acquire_in_arrival_order() {
    let order = log();
    corio::run(|| {
        let semaphore = Rc::new(Semaphore::new(1));
        let held = semaphore.acquire();
        let waiters: Vec<_> = (0..5)
            .map(|n| {
                let (semaphore, order) = (semaphore.clone(), order.clone());
                corio::spawn(move || {
                    let _permit = semaphore.acquire();
                    order.borrow_mut().push(n);
                    corio::sleep(ms(1)); // hold it while others arrive
                })
            })
            .collect();
        corio::yield_now(); // all five queue, in spawn order
        drop(held);
        for w in waiters {
            w.join().unwrap();
        }
        assert_eq!(semaphore.available_permits(), 1);
    });
    assert_eq!(*order.borrow(), [0, 1, 2, 3, 4]);
}

#[test]
fn a_newcomer_does_not_overtake_queued_waiters() {
    let order = log();
    corio::run(|| {
        let semaphore = Rc::new(Semaphore::new(1));
        let held = semaphore.acquire();
        let (s, o) = (semaphore.clone(), order.clone());
        let queued = corio::spawn(move || {
            let _permit = s.acquire();
            o.borrow_mut().push("queued");
        });
        corio::yield_now();
        drop(held); // handed to `queued`, which has not run yet
        assert_eq!(semaphore.available_permits(), 0);
        assert!(semaphore.try_acquire().is_none());
        let _permit = semaphore.acquire(); // parks behind `queued`
        order.borrow_mut().push("newcomer");
        queued.join().unwrap();
    });
    assert_eq!(*order.borrow(), ["queued", "newcomer"]);
}

#[test]
fn holders_never_exceed_the_permit_count() {
    let max_seen = corio::run(|| {
        let semaphore = Rc::new(Semaphore::new(3));
        let holding = Rc::new(Cell::new(0));
        let max_seen = Rc::new(Cell::new(0));
        let workers: Vec<_> = (0..20)
            .map(|n| {
                let (semaphore, holding, max_seen) =
                    (semaphore.clone(), holding.clone(), max_seen.clone());
                corio::spawn(move || {
                    corio::sleep(ms(n % 3));
                    let _permit = semaphore.acquire();
                    holding.set(holding.get() + 1);
                    max_seen.set(max_seen.get().max(holding.get()));
                    corio::sleep(ms(1 + n % 2));
                    holding.set(holding.get() - 1);
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(semaphore.available_permits(), 3);
        max_seen.get()
    });
    assert_eq!(max_seen, 3);
}

#[test]
fn a_waiter_aborted_while_queued_does_not_leak_a_permit() {
    corio::run(|| {
        let semaphore = Rc::new(Semaphore::new(1));
        let held = semaphore.acquire();
        let s = semaphore.clone();
        let doomed = corio::spawn(move || drop(s.acquire()));
        corio::yield_now(); // queued
        doomed.abort();
        assert!(doomed.join().unwrap_err().is_cancelled());
        drop(held);
        assert_eq!(semaphore.available_permits(), 1);
        assert!(semaphore.try_acquire().is_some());
    });
}

#[test]
fn a_permit_handed_to_an_aborted_waiter_goes_to_the_next_one() {
    let order = log();
    corio::run(|| {
        let semaphore = Rc::new(Semaphore::new(1));
        let held = semaphore.acquire();
        let spawn_waiter = |name: &'static str| {
            let (s, o) = (semaphore.clone(), order.clone());
            corio::spawn(move || {
                let _permit = s.acquire();
                o.borrow_mut().push(name);
            })
        };
        let doomed = spawn_waiter("doomed");
        let next = spawn_waiter("next");
        corio::yield_now(); // both queued, `doomed` first
        drop(held); // granted to `doomed`, which is now ready but has not run
        doomed.abort(); // it unwinds in `acquire` holding the grant
        next.join().unwrap();
        assert!(doomed.join().unwrap_err().is_cancelled());
        assert_eq!(semaphore.available_permits(), 1);
    });
    assert_eq!(*order.borrow(), ["next"]);
}

#[test]
fn a_timed_out_waiter_leaves_the_queue() {
    corio::run(|| {
        let semaphore = Semaphore::new(1);
        let held = semaphore.acquire();
        assert!(corio::timeout(ms(2), || semaphore.acquire()).is_err());
        drop(held);
        assert_eq!(semaphore.available_permits(), 1);
        let permit = corio::timeout(ms(1000), || semaphore.acquire());
        assert!(permit.is_ok());
    });
}

#[test]
fn a_spuriously_woken_waiter_keeps_its_place() {
    let order = log();
    corio::run(|| {
        let semaphore = Rc::new(Semaphore::new(1));
        let held = semaphore.acquire();
        let spawn_waiter = |name: &'static str, early_wakeup: bool| {
            let (s, o) = (semaphore.clone(), order.clone());
            corio::spawn(move || {
                if early_wakeup {
                    // A `timeout` that finishes early leaves its deadline
                    // timer behind; when it fires, it wakes this task in
                    // whatever park it is in by then: the acquire below.
                    corio::timeout(ms(1), || ()).unwrap();
                }
                let _permit = s.acquire();
                o.borrow_mut().push(name);
            })
        };
        let first = spawn_waiter("first", true);
        let second = spawn_waiter("second", false);
        corio::sleep(ms(10)); // both queue; the stale deadline fires
        drop(held);
        first.join().unwrap();
        second.join().unwrap();
        assert_eq!(semaphore.available_permits(), 1);
    });
    assert_eq!(*order.borrow(), ["first", "second"]);
}

#[test]
fn added_permits_go_to_waiters_first() {
    let order = log();
    corio::run(|| {
        let gate = Rc::new(Semaphore::new(0));
        let waiters: Vec<_> = (0..3)
            .map(|n| {
                let (gate, order) = (gate.clone(), order.clone());
                corio::spawn(move || {
                    let permit = gate.acquire();
                    order.borrow_mut().push(n);
                    std::mem::forget(permit); // consumed, like a one-shot ticket
                })
            })
            .collect();
        corio::yield_now();
        gate.add_permits(5);
        assert_eq!(gate.available_permits(), 2, "three went to the waiters");
        for w in waiters {
            w.join().unwrap();
        }
    });
    assert_eq!(*order.borrow(), [0, 1, 2]);
}

#[test]
fn semaphore_outside_a_runtime_works_until_it_would_wait() {
    let semaphore = Semaphore::new(1);
    let permit = semaphore.acquire();
    assert!(semaphore.try_acquire().is_none());
    let message = expect_panic(|| semaphore.acquire());
    assert!(message.contains("inside corio::run"), "{message}");
    drop(permit);
    assert_eq!(semaphore.available_permits(), 1);
}

// ------------------------------------------------------------------ mutex

#[test]
fn mutex_excludes_tasks_that_park_while_holding_it() {
    let total = corio::run(|| {
        let counter = Rc::new(Mutex::new(0));
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let counter = counter.clone();
                corio::spawn(move || {
                    for _ in 0..3 {
                        let mut guard = counter.lock();
                        let seen = *guard;
                        corio::sleep(ms(1)); // others run and try to lock
                        *guard = seen + 1;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.join().unwrap();
        }
        Rc::try_unwrap(counter).unwrap().into_inner()
    });
    assert_eq!(total, 30, "no update was lost");
}

#[test]
fn mutex_is_granted_in_arrival_order() {
    let order = log();
    corio::run(|| {
        let mutex = Rc::new(Mutex::new(()));
        let guard = mutex.lock();
        let tasks: Vec<_> = (0..4)
            .map(|n| {
                let (mutex, order) = (mutex.clone(), order.clone());
                corio::spawn(move || {
                    let _guard = mutex.lock();
                    order.borrow_mut().push(n);
                })
            })
            .collect();
        corio::yield_now();
        assert!(mutex.try_lock().is_none());
        drop(guard);
        for t in tasks {
            t.join().unwrap();
        }
    });
    assert_eq!(*order.borrow(), [0, 1, 2, 3]);
}

#[test]
fn a_task_that_panics_holding_the_lock_releases_it() {
    corio::run(|| {
        let mutex = Rc::new(Mutex::new(1));
        let m = mutex.clone();
        let failing = corio::spawn(move || {
            let mut guard = m.lock();
            *guard = 2;
            corio::sleep(ms(1));
            panic!("while holding the lock");
        });
        corio::yield_now();
        assert_eq!(*mutex.lock(), 2, "lock parks until the panic releases it");
        assert!(failing.join().is_err());
    });
}

#[test]
fn mutex_without_locking_through_exclusive_access() {
    let mut mutex = Mutex::new(vec![1]);
    mutex.get_mut().push(2);
    assert_eq!(format!("{mutex:?}"), "Mutex { value: [1, 2] }");
    {
        let _guard = mutex.try_lock().unwrap();
        assert_eq!(format!("{mutex:?}"), "Mutex { value: <locked> }");
    }
    assert_eq!(mutex.into_inner(), [1, 2]);
}

// ------------------------------------------------------------------ event

#[test]
fn set_wakes_every_waiter_and_clear_makes_them_wait_again() {
    let events = log();
    corio::run(|| {
        let event = Rc::new(Event::new());
        let spawn_waiter = |n: u32| {
            let (event, events) = (event.clone(), events.clone());
            corio::spawn(move || {
                event.wait();
                events.borrow_mut().push(format!("woke {n}"));
            })
        };
        let first_round: Vec<_> = (0..3).map(spawn_waiter).collect();
        corio::yield_now(); // all three park
        events.borrow_mut().push("set".to_string());
        event.set();
        for w in first_round {
            w.join().unwrap();
        }
        event.wait(); // set: returns at once
        event.clear();
        assert!(!event.is_set());
        let late = spawn_waiter(3);
        corio::sleep(ms(2));
        assert!(!late.is_finished(), "cleared: the new waiter parks");
        events.borrow_mut().push("set again".to_string());
        event.set();
        late.join().unwrap();
    });
    assert_eq!(
        *events.borrow(),
        ["set", "woke 0", "woke 1", "woke 2", "set again", "woke 3"]
    );
}

#[test]
fn a_set_is_not_missed_when_cleared_before_the_waiter_runs() {
    corio::run(|| {
        let event = Rc::new(Event::new());
        let e = event.clone();
        let waiter = corio::spawn(move || e.wait());
        corio::yield_now();
        event.set();
        event.clear(); // the waiter has not run yet
        waiter.join().unwrap();
    });
}

#[test]
fn an_event_wait_can_time_out() {
    corio::run(|| {
        let event = Event::new();
        assert!(corio::timeout(ms(2), || event.wait()).is_err());
        event.set();
        assert_eq!(corio::timeout(ms(2), || event.wait()), Ok(()));
    });
}

#[test]
fn event_outside_a_runtime() {
    let event = Event::new();
    let message = expect_panic(|| event.wait());
    assert!(message.contains("inside corio::run"), "{message}");
    event.set();
    event.wait();
}

// ------------------------------------------------------ cancellation paths

/// What `recv` returned and whether `send` succeeded, in a destructor.
type DestructorOutcome = Rc<Cell<Option<(Option<i32>, bool)>>>;

/// Waits in its destructor, which runs while a cancelled task unwinds and
/// cannot park.
struct WaitsWhenDropped {
    rx: corio::sync::Receiver<i32>,
    tx: corio::sync::Sender<i32>,
    event: Rc<Event>,
    outcome: DestructorOutcome,
}

impl Drop for WaitsWhenDropped {
    fn drop(&mut self) {
        self.event.wait(); // not set: gives up instead of spinning
        let received = self.rx.recv(); // empty: gives up with None
        let sent = self.tx.send(1).is_ok(); // full: gives up with the value
        self.outcome.set(Some((received, sent)));
    }
}

#[test]
fn waits_in_destructors_of_a_cancelled_task_give_up() {
    let outcome = Rc::new(Cell::new(None));
    corio::run(|| {
        let (_keep_rx_open_tx, rx) = channel(1);
        let (tx, _keep_tx_open_rx) = channel(1);
        tx.send(0).unwrap();
        let guard = WaitsWhenDropped {
            rx,
            tx,
            event: Rc::new(Event::new()),
            outcome: outcome.clone(),
        };
        let task = corio::spawn(move || {
            let _guard = guard;
            corio::sleep(ms(60_000));
        });
        corio::yield_now();
        task.abort();
        assert!(task.join().unwrap_err().is_cancelled());
    });
    assert_eq!(outcome.get(), Some((None, false)));
}

#[test]
fn run_returns_while_tasks_are_still_queued_on_primitives() {
    let semaphore = Rc::new(Semaphore::new(0));
    let (tx, rx) = channel::<u8>(1);
    let event = Rc::new(Event::new());
    corio::run(|| {
        let s = semaphore.clone();
        corio::spawn(move || drop(s.acquire()));
        let e = event.clone();
        corio::spawn(move || e.wait());
        corio::spawn(move || rx.recv());
        corio::yield_now();
        // main returns: the three parked tasks are cancelled and unwound
    });
    semaphore.add_permits(1); // no task left to wake, and none woken
    assert_eq!(semaphore.available_permits(), 1);
    event.set();
    assert_eq!(tx.try_send(1), Err(TrySendError::Disconnected(1)));
}
