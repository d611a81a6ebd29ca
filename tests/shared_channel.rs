//! `corio::sync::shared`: the bounded MPMC channel and the oneshot that
//! cross threads. Tasks of two runtimes on two threads, plain threads and
//! a tokio runtime pass values; order per sender, exactly-once delivery,
//! disconnection, capacity, FIFO service of waiters and cancellation while
//! waiting are checked through events, never through timing.

mod util;

use std::cell::Cell;
use std::collections::BTreeSet;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use corio::sync::shared::{Receiver, Sender, channel, oneshot};
use corio::sync::{TryRecvError, TrySendError};
use util::ms;

/// Runs `main` as the main task of a runtime on a thread of its own.
fn on_a_runtime<T: Send + 'static>(
    main: impl FnOnce() -> T + Send + 'static,
) -> thread::JoinHandle<T> {
    thread::spawn(move || corio::run(main))
}

/// Waits (yielding the thread) until the channel's `Debug` shows `what`,
/// such as `waiting_senders: 1`: an event, not a timing.
fn wait_for_state<T>(tx: &Sender<T>, what: &str) {
    while !format!("{tx:?}").contains(what) {
        thread::yield_now();
    }
}

// ---- Many values, many ends, several threads.

#[test]
fn values_from_two_runtimes_and_a_plain_thread_arrive_in_order_per_sender() {
    const SENDERS: usize = 3; // two tasks on runtime A, one plain thread
    let per_sender = util::scaled(1_000_000) / SENDERS;
    let (tx, rx) = channel::<(usize, usize)>(64);
    let receiver = on_a_runtime(move || {
        let mut next = [0; SENDERS];
        for (id, seq) in rx {
            assert_eq!(seq, next[id], "sender {id}'s values out of order");
            next[id] += 1;
        }
        next
    });
    let runtime_a = {
        let tx = tx.clone();
        on_a_runtime(move || {
            let tasks: Vec<_> = (0..2)
                .map(|id| {
                    let tx = tx.clone();
                    corio::spawn(move || {
                        for seq in 0..per_sender {
                            tx.send((id, seq)).unwrap();
                        }
                    })
                })
                .collect();
            drop(tx);
            for task in tasks {
                task.join().unwrap();
            }
        })
    };
    let plain = thread::spawn(move || {
        for seq in 0..per_sender {
            tx.send((2, seq)).unwrap();
        }
    });
    runtime_a.join().unwrap();
    plain.join().unwrap();
    assert_eq!(receiver.join().unwrap(), [per_sender; SENDERS]);
}

#[test]
fn cloned_receivers_on_runtimes_and_a_thread_get_every_value_exactly_once() {
    let n = util::scaled(200_000) as u64;
    let (tx, rx) = channel::<u64>(16);
    // Two sender threads: evens and odds.
    let senders: Vec<_> = (0..2)
        .map(|parity| {
            let tx = tx.clone();
            thread::spawn(move || {
                for v in (parity..n).step_by(2) {
                    tx.send(v).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    // Receivers: two tasks on runtime A, one on runtime B, a plain thread.
    let rx_a = rx.clone();
    let runtime_a = on_a_runtime(move || {
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx_a.clone();
                corio::spawn(move || rx.collect::<Vec<_>>())
            })
            .collect();
        drop(rx_a);
        tasks
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    });
    let rx_b = rx.clone();
    let runtime_b = on_a_runtime(move || rx_b.collect::<Vec<_>>());
    let plain = thread::spawn(move || rx.collect::<Vec<_>>());

    let mut parts = runtime_a.join().unwrap();
    parts.push(runtime_b.join().unwrap());
    parts.push(plain.join().unwrap());
    for s in senders {
        s.join().unwrap();
    }
    for part in &parts {
        // Each receiver sees each sender's values in the order sent.
        for parity in 0..2 {
            let mine: Vec<_> = part.iter().filter(|v| *v % 2 == parity).collect();
            assert!(mine.windows(2).all(|w| w[0] < w[1]));
        }
    }
    let mut all: Vec<u64> = parts.concat();
    assert_eq!(all.len() as u64, n, "no value lost or duplicated");
    all.sort_unstable();
    assert!(all.iter().copied().eq(0..n));
}

// ---- Disconnection.

#[test]
fn values_buffered_when_the_last_sender_goes_are_all_received() {
    let (tx, rx) = channel(8);
    let tx2 = tx.clone();
    thread::spawn(move || {
        for n in 0..3 {
            tx2.send(n).unwrap();
        }
    })
    .join()
    .unwrap();
    tx.send(3).unwrap();
    drop(tx);
    let got = on_a_runtime(move || rx.collect::<Vec<_>>()).join().unwrap();
    assert_eq!(got, [0, 1, 2, 3]);
}

#[test]
fn a_receiver_racing_the_last_senders_exit_loses_nothing() {
    let n = util::scaled(100_000);
    let (tx, rx) = channel(4);
    let sender = thread::spawn(move || {
        for v in 0..n {
            tx.send(v).unwrap();
        }
        // Dropped here, with values still buffered.
    });
    let (count, sum) = on_a_runtime(move || {
        let mut count = 0;
        let mut sum = 0;
        while let Some(v) = rx.recv() {
            count += 1;
            sum += v;
            if v % 1000 == 0 {
                corio::yield_now();
            }
        }
        (count, sum)
    })
    .join()
    .unwrap();
    sender.join().unwrap();
    assert_eq!(count, n);
    assert_eq!(sum, n * (n - 1) / 2);
}

#[test]
fn send_fails_with_the_value_once_every_receiver_is_gone() {
    let (tx, rx) = channel(1);
    let rx2 = rx.clone();
    drop(rx);
    tx.send(1).unwrap(); // one receiver is left
    drop(rx2);
    assert_eq!(tx.send(2).unwrap_err().into_inner(), 2);
    assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
    let sent_from_a_task = corio::run(move || tx.send(4).map_err(|e| e.0));
    assert_eq!(sent_from_a_task, Err(4));
}

#[test]
fn a_thread_waiting_in_send_when_the_last_receiver_goes_gets_its_value_back() {
    let (tx, rx) = channel(1);
    tx.send("fills it").unwrap();
    let tx = Arc::new(tx);
    let t = Arc::clone(&tx);
    let waiting = thread::spawn(move || t.send("handed back").map_err(|e| e.0));
    wait_for_state(&tx, "waiting_senders: 1");
    drop(rx);
    assert_eq!(waiting.join().unwrap(), Err("handed back"));
}

#[test]
fn receivers_waiting_when_the_last_sender_goes_get_none() {
    let (tx, rx) = channel::<u8>(1);
    let rx2 = rx.clone();
    let thread_side = thread::spawn(move || rx2.recv());
    let task_side = on_a_runtime(move || rx.recv());
    wait_for_state(&tx, "waiting_receivers: 2");
    drop(tx);
    assert_eq!(thread_side.join().unwrap(), None);
    assert_eq!(task_side.join().unwrap(), None);
}

// ---- Capacity and fairness.

#[test]
fn a_sender_waits_while_the_buffer_is_full_and_goes_on_as_slots_free() {
    let log = util::log();
    corio::run(|| {
        let (tx, rx) = channel(2);
        let l = Rc::clone(&log);
        let producer = corio::spawn(move || {
            for n in 0..4 {
                tx.send(n).unwrap();
                l.borrow_mut().push(n);
            }
        });
        corio::yield_now(); // it runs until its third send waits
        assert_eq!(*log.borrow(), [0, 1]);
        assert_eq!(rx.try_recv(), Ok(0)); // frees a slot, reserved for it
        assert_eq!(*log.borrow(), [0, 1], "woken, but not run yet");
        corio::yield_now();
        assert_eq!(*log.borrow(), [0, 1, 2]);
        assert_eq!(rx.collect::<Vec<_>>(), [1, 2, 3]);
        producer.join().unwrap();
    });
    assert_eq!(*log.borrow(), [0, 1, 2, 3]);
}

#[test]
fn a_sender_on_another_thread_never_gets_more_than_capacity_ahead() {
    const CAPACITY: usize = 3;
    let n = util::scaled(50_000);
    let (tx, rx) = channel(CAPACITY);
    let sent = Arc::new(AtomicUsize::new(0));
    let s = Arc::clone(&sent);
    let sender = thread::spawn(move || {
        for v in 0..n {
            tx.send(v).unwrap();
            s.fetch_add(1, Ordering::SeqCst);
        }
    });
    let worst = on_a_runtime(move || {
        let mut received = 0;
        let mut worst = 0;
        while rx.recv().is_some() {
            received += 1;
            // Sends that returned, minus values taken: at most CAPACITY
            // can be buffered.
            worst = worst.max(sent.load(Ordering::SeqCst).saturating_sub(received));
        }
        worst
    })
    .join()
    .unwrap();
    sender.join().unwrap();
    assert!(worst <= CAPACITY, "the sender got {worst} values ahead");
}

#[test]
fn waiting_receivers_are_served_first_come_first_served() {
    let got = corio::run(|| {
        let (tx, rx) = channel(1);
        let receivers: Vec<_> = (0..3)
            .map(|_| {
                let rx = rx.clone();
                let h = corio::spawn(move || rx.recv());
                corio::yield_now(); // it queues before the next one
                h
            })
            .collect();
        for v in ["first", "second", "third"] {
            tx.send(v).unwrap();
            // Promised to the oldest waiter, which has not run yet.
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
            corio::yield_now();
        }
        receivers
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(got, [Some("first"), Some("second"), Some("third")]);
}

#[test]
fn waiting_senders_are_served_first_come_first_served() {
    let got = corio::run(|| {
        let (tx, rx) = channel(1);
        tx.send(0).unwrap(); // full
        let senders: Vec<_> = (1..=3)
            .map(|n| {
                let tx = tx.clone();
                let h = corio::spawn(move || tx.send(n).unwrap());
                corio::yield_now(); // it queues before the next one
                h
            })
            .collect();
        assert_eq!(rx.try_recv(), Ok(0));
        // The freed slot is reserved for the oldest waiting sender.
        assert_eq!(tx.try_send(99), Err(TrySendError::Full(99)));
        drop(tx);
        let order: Vec<_> = rx.collect();
        for h in senders {
            h.join().unwrap();
        }
        order
    });
    assert_eq!(got, [1, 2, 3]);
}

// ---- Cancellation while waiting.

#[test]
fn an_aborted_receiver_leaves_the_queue_and_its_value_goes_to_the_next() {
    let (first, second) = corio::run(|| {
        let (tx, rx) = channel(1);
        let waiting = |rx: &Receiver<&'static str>| {
            let rx = rx.clone();
            let h = corio::spawn(move || rx.recv());
            corio::yield_now(); // it runs and waits
            h
        };
        // Aborted while queued: it simply leaves.
        let gone = waiting(&rx);
        gone.abort();
        assert!(gone.join().unwrap_err().is_cancelled());
        // Aborted after a value was promised to it, before it ran.
        let r1 = waiting(&rx);
        let r2 = waiting(&rx);
        tx.send("promised to r1").unwrap();
        r1.abort();
        let first = r1.join();
        let second = r2.join().unwrap();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty), "nothing left over");
        (first.map_err(|e| e.is_cancelled()), second)
    });
    assert_eq!(first, Err(true));
    assert_eq!(second, Some("promised to r1"));
}

#[test]
fn an_aborted_sender_drops_its_value_and_its_slot_goes_to_the_next() {
    let log = util::log();
    let got = corio::run(|| {
        let (tx, rx) = channel::<Noted>(1);
        tx.send(Noted(0, Rc::clone(&log))).unwrap(); // full
        let waiting = |n: u32| {
            let (tx, log) = (tx.clone(), Rc::clone(&log));
            let h = corio::spawn(move || tx.send(Noted(n, log)).is_ok());
            corio::yield_now(); // it runs and waits
            h
        };
        let s1 = waiting(1);
        let s2 = waiting(2);
        let first = rx.try_recv().unwrap(); // a slot is reserved for s1 ...
        drop(first);
        s1.abort(); // ... which is aborted before it runs
        assert!(s1.join().unwrap_err().is_cancelled());
        assert!(s2.join().unwrap());
        drop(tx);
        rx.map(|Noted(n, _)| n).collect::<Vec<_>>()
    });
    assert_eq!(got, [2], "s2 got the slot");
    // Value 1 was dropped with its aborted sender, not sent; the others
    // were dropped as they were received.
    assert_eq!(*log.borrow(), ["dropped 0", "dropped 1", "dropped 2"]);
}

/// A value that notes its drop in a log.
struct Noted(u32, util::Log<String>);

impl Drop for Noted {
    fn drop(&mut self) {
        self.1.borrow_mut().push(format!("dropped {}", self.0));
    }
}

#[test]
fn a_timeout_around_recv_leaves_no_stale_waiter_behind() {
    let got = corio::run(|| {
        let (tx, rx) = channel(1);
        let timed_out = corio::timeout(ms(5), || rx.recv()).is_err();
        // A waiter left in the queue would claim this value.
        tx.try_send("after the timeout").unwrap();
        (timed_out, rx.try_recv())
    });
    assert_eq!(got, (true, Ok("after the timeout")));
}

#[test]
fn receivers_timing_out_under_load_lose_no_value() {
    let n = util::scaled(20_000) as u64;
    let (tx, rx) = channel(2);
    let sender = thread::spawn(move || {
        for v in 0..n {
            tx.send(v).unwrap();
            if v % 64 == 0 {
                thread::sleep(Duration::from_micros(200)); // let timeouts fire
            }
        }
    });
    let parts = on_a_runtime(move || {
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let rx = rx.clone();
                corio::spawn(move || {
                    let mut got = Vec::new();
                    loop {
                        match corio::timeout(Duration::from_micros(100), || rx.recv()) {
                            Ok(Some(v)) => got.push(v),
                            Ok(None) => return got,
                            Err(_elapsed) => {}
                        }
                    }
                })
            })
            .collect();
        drop(rx);
        tasks
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    })
    .join()
    .unwrap();
    sender.join().unwrap();
    let all: BTreeSet<u64> = parts.iter().flatten().copied().collect();
    assert_eq!(parts.iter().map(Vec::len).sum::<usize>() as u64, n);
    assert!(all.iter().copied().eq(0..n));
}

#[test]
fn senders_timing_out_under_load_send_exactly_what_they_report() {
    let n = util::scaled(20_000) as u64;
    let (tx, rx) = channel(1);
    let receiver = thread::spawn(move || {
        let mut got = Vec::new();
        for v in rx {
            got.push(v);
            if got.len() % 64 == 0 {
                thread::sleep(Duration::from_micros(200)); // let timeouts fire
            }
        }
        got
    });
    let reported = on_a_runtime(move || {
        let tasks: Vec<_> = (0..4)
            .map(|id| {
                let tx = tx.clone();
                corio::spawn(move || {
                    let mut sent = Vec::new();
                    for v in (id..n).step_by(4) {
                        let outcome = corio::timeout(Duration::from_micros(100), || tx.send(v));
                        if let Ok(result) = outcome {
                            result.unwrap();
                            sent.push(v);
                        }
                    }
                    sent
                })
            })
            .collect();
        drop(tx);
        tasks
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect::<BTreeSet<_>>()
    })
    .join()
    .unwrap();
    let got = receiver.join().unwrap();
    // A lost reservation would have left the channel full for good (a
    // hang); a timed-out send must not have delivered its value.
    assert_eq!(got.len(), reported.len());
    assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), reported);
}

#[test]
fn a_task_on_another_runtime_aborted_in_recv_passes_its_value_on() {
    let (there, thread) = util::background_runtime();
    let (tx, rx) = channel::<u32>(1);
    let started = Arc::new(Barrier::new(2));
    let victim = {
        let (rx, started) = (rx.clone(), Arc::clone(&started));
        there.spawn(move || {
            started.wait();
            rx.recv()
        })
    };
    started.wait();
    wait_for_state(&tx, "waiting_receivers: 1");
    victim.abort();
    assert!(victim.join().unwrap_err().is_cancelled());
    tx.send(7).unwrap();
    assert_eq!(rx.recv(), Some(7), "no stale waiter claimed it");
    there.shutdown();
    thread.join().unwrap();
}

// ---- Not a deadlock, and async code.

#[test]
fn a_task_waiting_for_a_value_from_another_thread_is_not_a_deadlock() {
    let (tx, rx) = channel(1);
    let (reply, answer) = oneshot();
    let late = thread::spawn(move || {
        thread::sleep(ms(200));
        tx.send("late value").unwrap();
        thread::sleep(ms(200));
        reply.send("late reply").unwrap();
    });
    // Nothing else runs on this runtime: only the other thread's wake can
    // end either wait.
    let got = corio::run(move || (rx.recv(), answer.recv()));
    assert_eq!(got, (Some("late value"), Some("late reply")));
    late.join().unwrap();
}

#[test]
fn tokio_tasks_and_corio_tasks_talk_through_the_futures() {
    let (to_tokio, from_corio) = channel::<u32>(2);
    let (to_corio, from_tokio) = channel::<u32>(2);
    let corio_side = on_a_runtime(move || {
        for n in 0..100 {
            to_tokio.send(n).unwrap();
            assert_eq!(from_tokio.recv(), Some(n * 2));
        }
    });
    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let echoed = tokio_rt.block_on(async move {
        tokio::spawn(async move {
            let mut echoed = 0;
            while let Some(n) = from_corio.recv_async().await {
                to_corio.send_async(n * 2).await.unwrap();
                echoed += 1;
            }
            echoed
        })
        .await
        .unwrap()
    });
    corio_side.join().unwrap();
    assert_eq!(echoed, 100);
}

#[test]
fn a_send_future_dropped_after_its_slot_was_reserved_gives_the_slot_back() {
    let (tx, rx) = channel(1);
    tx.send(1).unwrap();
    {
        let mut pending = std::pin::pin!(tx.send_async(2));
        let woke = Arc::new(AtomicUsize::new(0));
        let waker = std::task::Waker::from(Arc::new(CountWakes(Arc::clone(&woke))));
        let mut cx = std::task::Context::from_waker(&waker);
        assert!(pending.as_mut().poll(&mut cx).is_pending());
        assert_eq!(rx.try_recv(), Ok(1)); // reserves the slot for it, wakes it
        assert_eq!(woke.load(Ordering::SeqCst), 1);
    } // dropped unpolled: the reservation is given back
    assert_eq!(tx.try_send(3), Ok(()));
    drop(tx);
    assert_eq!(rx.collect::<Vec<_>>(), [3]);
}

/// A waker that counts its wakes.
struct CountWakes(Arc<AtomicUsize>);

impl std::task::Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

// ---- Oneshot.

#[test]
fn a_oneshot_carries_a_value_from_a_thread_to_a_task_on_another_runtime() {
    let (tx, rx) = oneshot();
    let waiter = on_a_runtime(move || {
        let ticks = Rc::new(Cell::new(0));
        let t = Rc::clone(&ticks);
        // The loop keeps running other tasks while main waits.
        let ticker = corio::spawn(move || {
            for _ in 0..3 {
                corio::yield_now();
                t.set(t.get() + 1);
            }
        });
        let got = rx.recv();
        ticker.join().unwrap();
        (got, ticks.get())
    });
    tx.send(String::from("across threads")).unwrap();
    assert_eq!(waiter.join().unwrap(), (Some("across threads".into()), 3));
}

#[test]
fn a_oneshot_whose_sender_is_dropped_unsent_gives_none() {
    let (tx, rx) = oneshot::<u8>();
    let waiter = on_a_runtime(move || rx.recv());
    thread::spawn(move || drop(tx)).join().unwrap();
    assert_eq!(waiter.join().unwrap(), None);

    let (tx, mut rx) = oneshot::<u8>();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn a_oneshot_whose_receiver_is_gone_hands_the_value_back() {
    let (tx, rx) = oneshot();
    thread::spawn(move || drop(rx)).join().unwrap();
    assert_eq!(tx.send(vec![1, 2]), Err(vec![1, 2]));
}

#[test]
fn a_tokio_runtime_awaits_a_oneshot_a_corio_task_completes() {
    let (tx, rx) = oneshot();
    let corio_side = on_a_runtime(move || {
        corio::sleep(ms(5));
        tx.send("from a corio task").unwrap();
    });
    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // Awaited by a tokio task: the receiver is a `Send + 'static` future.
    let got = tokio_rt.block_on(async move { tokio::spawn(rx).await.unwrap() });
    assert_eq!(got, Some("from a corio task"));
    corio_side.join().unwrap();
}

#[test]
fn a_oneshot_value_nobody_receives_is_dropped_with_the_receiver() {
    let log = util::log();
    let got = corio::run(|| {
        let (tx, rx) = oneshot();
        tx.send(Noted(9, Rc::clone(&log))).ok();
        let before = log.borrow().len();
        drop(rx);
        before
    });
    assert_eq!(got, 0);
    assert_eq!(*log.borrow(), ["dropped 9"]);
}

#[test]
fn a_oneshot_receiver_aborted_while_waiting_drops_cleanly() {
    let (there, thread) = util::background_runtime();
    let (tx, rx) = oneshot::<u8>();
    let started = Arc::new(Barrier::new(2));
    let s = Arc::clone(&started);
    let waiting = there.spawn(move || {
        s.wait();
        rx.recv()
    });
    started.wait();
    // Raised at its park in `recv` (or at once if it is parked already);
    // the receiver is dropped as its stack unwinds, before the join.
    waiting.abort();
    assert!(waiting.join().unwrap_err().is_cancelled());
    assert_eq!(tx.send(1), Err(1));
    there.shutdown();
    thread.join().unwrap();
}

#[test]
fn debug_shows_the_state_of_both_ends() {
    let (tx, rx) = channel::<u8>(3);
    tx.send(1).unwrap();
    let shown = format!("{tx:?} {rx:?}");
    assert!(shown.contains("capacity: 3"), "{shown}");
    assert!(shown.contains("len: 1"), "{shown}");
    let (otx, orx) = oneshot::<u8>();
    let shown = format!("{otx:?} {orx:?}");
    assert!(shown.contains("OneshotSender"), "{shown}");
    assert!(shown.contains("sent: false"), "{shown}");
}
