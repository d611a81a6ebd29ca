//! Fault 6: the runtime at the other end of a shared channel dies of a
//! panic.
//!
//! Runtime B, on a thread of its own, holds three ends: a task sending an
//! endless count into a shared channel (capacity 2), parked in `send`
//! because runtime A's receiver drains it slowly; a task holding the
//! receiver of a second channel, into which A's task has sent one value
//! and is parked sending a second; and a task holding a `OneshotSender`
//! that never sends. Once both sides are parked (seen through the
//! channels' `Debug` state, an event, not a timing), B's main task panics.
//! `run` then cancels B's tasks, their ends drop, and A must see the
//! documented outcomes: `recv` returns every value B sent and then
//! `None`, the parked `send` returns `Err` with its value, the oneshot's
//! `recv` returns `None`. Nothing hangs (a watchdog aborts after a
//! minute), and A's runtime keeps running: a ticker counted on
//! throughout, and A spawns and joins a fresh task afterwards.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use corio::sync::shared::{channel, oneshot};

use crate::util::{ms, panic_message, watchdog};

const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);

#[test]
fn a_panicking_runtime_disconnects_its_ends_and_the_other_runs_on() {
    let _serial = crate::serial();
    let _watchdog = watchdog("fault_injection shared_runtime_panics");
    let (values_tx, values_rx) = channel::<u64>(2);
    let (back_tx, back_rx) = channel::<u64>(1);
    let (once_tx, once_rx) = oneshot::<u64>();
    let sent = Arc::new(AtomicU64::new(0));
    let a_ready = Arc::new(AtomicBool::new(false));

    let runtime_b = {
        let (sent, a_ready) = (Arc::clone(&sent), Arc::clone(&a_ready));
        thread::spawn(move || {
            corio::run(move || {
                let probe = values_tx.clone();
                let counting = Arc::clone(&sent);
                corio::spawn(move || {
                    for value in 0.. {
                        if values_tx.send(value).is_err() {
                            return;
                        }
                        counting.fetch_add(1, Ordering::SeqCst);
                    }
                });
                let back_rx = Rc::new(back_rx);
                let holder = Rc::clone(&back_rx);
                corio::spawn(move || {
                    let _receiver = holder; // never receives
                    corio::sleep(HOUR);
                });
                corio::spawn(move || {
                    let _never_sends = once_tx;
                    corio::sleep(HOUR);
                });
                // Both directions parked: B's sender on the full channel
                // (after A took some values), A's sender on `back`.
                while !(sent.load(Ordering::SeqCst) >= 20
                    && format!("{probe:?}").contains("waiting_senders: 1")
                    && format!("{back_rx:?}").contains("waiting_senders: 1")
                    && a_ready.load(Ordering::SeqCst))
                {
                    corio::sleep(ms(1));
                }
                drop(probe);
                drop(back_rx);
                panic!("runtime B fails");
            })
        })
    };

    let runtime_a = thread::spawn(move || {
        corio::run(move || {
            let ticks = Rc::new(Cell::new(0u64));
            let ticker = {
                let ticks = Rc::clone(&ticks);
                corio::spawn(move || {
                    loop {
                        corio::sleep(ms(1));
                        ticks.set(ticks.get() + 1);
                    }
                })
            };
            let receiver = corio::spawn(move || {
                let mut next = 0u64;
                while let Some(value) = values_rx.recv() {
                    assert_eq!(value, next, "values out of order or lost");
                    next += 1;
                    corio::sleep(ms(1)); // slower than B: B's send parks
                }
                next
            });
            let sender = corio::spawn(move || {
                back_tx.send(1).expect("the first value fits");
                back_tx.send(2).map_err(|e| e.into_inner())
            });
            let oneshot_waiter = corio::spawn(move || once_rx.recv());
            a_ready.store(true, Ordering::SeqCst);
            let received = receiver.join().expect("the receiver");
            let send_back = sender.join().expect("the sender");
            let oneshot = oneshot_waiter.join().expect("the oneshot waiter");
            let ticks_seen = ticks.get();
            // The runtime runs on: a fresh task, a sleep, the ticker.
            let fresh = corio::spawn(|| 7).join().expect("a fresh task");
            corio::sleep(ms(5));
            let ticks_after = ticks.get();
            ticker.abort();
            (received, send_back, oneshot, ticks_seen, ticks_after, fresh)
        })
    });

    let b_ended = runtime_b.join().expect_err("runtime B panics");
    assert_eq!(
        panic_message(b_ended.as_ref()).as_deref(),
        Some("runtime B fails")
    );
    let (received, send_back, oneshot, ticks_seen, ticks_after, fresh) =
        runtime_a.join().expect("runtime A survives");
    let sent = sent.load(Ordering::SeqCst);
    assert_eq!(received, sent, "every value B sent arrives, then None");
    assert!(sent >= 20);
    assert_eq!(send_back, Err(2), "the parked send gets its value back");
    assert_eq!(oneshot, None, "the oneshot's sender is gone");
    assert!(
        ticks_seen > 0 && ticks_after > ticks_seen,
        "A's ticker stopped"
    );
    assert_eq!(fresh, 7);
    println!(
        "fault other runtime panics: A received {received}/{sent} values then None, its \
         parked send got Err(2) back, its oneshot recv got None; no hang; A's ticker \
         {ticks_seen} -> {ticks_after} ticks and a fresh task ran after B died"
    );
}

/// The same fault inside one `Builder::threads(2)` group: thread 1's
/// runtime panics while thread 0's main task is parked in a shared
/// channel's `recv` with thread 1 holding the only sender. The documented
/// outcome of a group is stronger than a disconnection: a panic on one
/// thread cancels every other runtime, and `run` re-raises it. So thread
/// 0's parked `recv` must unwind (its guard dropped, nothing received),
/// and `run` must end with thread 1's panic rather than hang.
#[test]
fn a_panic_in_a_thread_group_cancels_the_runtime_parked_on_its_channel() {
    let _serial = crate::serial();
    let _watchdog = watchdog("fault_injection thread-group panic");
    let (tx, rx) = channel::<u64>(1);
    let tx = std::sync::Mutex::new(Some(tx));
    let unwound = AtomicU64::new(0);
    let received = AtomicU64::new(0);
    struct Unwound<'a>(&'a AtomicU64);
    impl Drop for Unwound<'_> {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let ended = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        corio::Builder::new().threads(2).run(|| {
            if corio::thread_index() == 0 {
                let _guard = Unwound(&unwound);
                if rx.recv().is_some() {
                    received.fetch_add(1, Ordering::SeqCst);
                }
            } else {
                let tx = tx.lock().unwrap().take().expect("one sender");
                while !format!("{tx:?}").contains("waiting_receivers: 1") {
                    corio::sleep(ms(1));
                }
                panic!("thread 1 of the group fails");
            }
        })
    }));
    let payload = ended.expect_err("the group's run re-raises the panic");
    assert_eq!(
        panic_message(payload.as_ref()).as_deref(),
        Some("thread 1 of the group fails")
    );
    assert_eq!(
        unwound.load(Ordering::SeqCst),
        1,
        "thread 0's guard did not drop"
    );
    assert_eq!(received.load(Ordering::SeqCst), 0);
    println!(
        "fault thread-group panic: thread 1 panicked; thread 0, parked in recv, unwound (1/1 \
         guards dropped); run re-raised thread 1's panic; no hang"
    );
}
