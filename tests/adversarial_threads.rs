//! Adversarial uses of the cross-thread machinery (`block_on`, `Handle`,
//! `RemoteJoinHandle`, `unblock`) that once broke it, kept as regression
//! tests. Scenarios that hung or aborted the process run in a child
//! (`examples/test_child`, see `tests/util/limited.rs`).

mod util;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use corio::{Generator, GeneratorState, Yielder};
use util::ms;

/// Ready once `ready` is set; each poll leaves its waker in `waker`, for
/// whoever sets the flag to wake. The first poll yields `yielder`'s
/// generator out of the middle of the poll, then asks to be polled again.
struct YieldsMidPoll<'y> {
    yielder: &'y Yielder<(), ()>,
    yielded: bool,
    ready: Arc<AtomicBool>,
    waker: Arc<Mutex<Option<Waker>>>,
}

impl Future for YieldsMidPoll<'_> {
    type Output = &'static str;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        if self.ready.load(Ordering::SeqCst) {
            return Poll::Ready("ready");
        }
        if !self.yielded {
            self.yielded = true;
            // Suspends the generator in the middle of this poll; whoever
            // resumes it next (another task, or no task at all) finishes
            // the poll.
            self.yielder.yield_(());
        }
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// A generator waiting in `block_on` for `ready`, to be left suspended in
/// the middle of a poll by its first resume.
fn waiter(
    ready: Arc<AtomicBool>,
    waker: Arc<Mutex<Option<Waker>>>,
) -> Generator<(), (), &'static str> {
    Generator::new(move |y: &Yielder<(), ()>, ()| {
        corio::block_on(YieldsMidPoll {
            yielder: y,
            yielded: false,
            ready,
            waker,
        })
    })
}

/// Sets `ready` and wakes the last waker the future kept, from a thread,
/// after a while (the waiting task has parked by then).
fn complete_later(ready: Arc<AtomicBool>, waker: Arc<Mutex<Option<Waker>>>) {
    std::thread::spawn(move || {
        std::thread::sleep(ms(20));
        ready.store(true, Ordering::SeqCst);
        if let Some(waker) = waker.lock().unwrap().take() {
            waker.wake();
        }
    });
}

/// Shuts the runtime down after a generous while, so that a task parked
/// forever fails the test (`run` unwinds) instead of hanging it.
fn watchdog(handle: corio::Handle) {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(20));
        handle.shutdown();
    });
}

#[test]
fn block_on_resumed_by_another_task_is_woken_through_that_task() {
    // Task A starts the wait and leaves it suspended mid-poll; A ends
    // (its handle is kept, so its header stays allocated). Main finishes
    // the poll and parks: the future must have been given main's waker,
    // not A's, or the wake goes to a finished task and main sleeps forever.
    let got = corio::run(|| {
        watchdog(corio::handle());
        let ready = Arc::new(AtomicBool::new(false));
        let waker = Arc::new(Mutex::new(None));
        let slot = Rc::new(RefCell::new(Some(waiter(ready.clone(), waker.clone()))));
        let a = corio::spawn({
            let slot = slot.clone();
            move || {
                let mut g = slot.borrow_mut().take().unwrap();
                assert_eq!(g.resume(()), GeneratorState::Yielded(()));
                *slot.borrow_mut() = Some(g);
            }
        });
        corio::yield_now();
        assert!(a.is_finished()); // `a` is kept: A's header stays allocated
        let mut g = slot.borrow_mut().take().unwrap();
        complete_later(ready, waker);
        let got = g.resume(());
        drop(a);
        got
    });
    assert_eq!(got, GeneratorState::Complete("ready"));
}

#[test]
fn block_on_resumed_after_its_task_was_freed_touches_nothing_of_it() {
    // As above, but task A is joined and dropped before main resumes the
    // generator: A's header (and the waker target in it) is freed. Under
    // valgrind, any use of what `block_on` saw at its start is an invalid
    // read.
    let got = corio::run(|| {
        watchdog(corio::handle());
        let ready = Arc::new(AtomicBool::new(false));
        let waker = Arc::new(Mutex::new(None));
        let mut g = waiter(ready.clone(), waker.clone());
        let mut g = corio::spawn(move || {
            assert_eq!(g.resume(()), GeneratorState::Yielded(()));
            g
        })
        .join()
        .unwrap();
        // Spawn and finish a few tasks, so A's memory is reused.
        for _ in 0..4 {
            corio::spawn(corio::yield_now).join().unwrap();
        }
        complete_later(ready, waker);
        g.resume(())
    });
    assert_eq!(got, GeneratorState::Complete("ready"));
}

#[test]
fn block_on_resumed_after_its_runtime_ended_blocks_the_thread() {
    // The wait starts in a task and is left mid-poll; `run` returns the
    // generator and its runtime is gone. Resumed on the plain thread, the
    // wait goes on as `block_on` outside `run` does: it blocks the thread.
    let ready = Arc::new(AtomicBool::new(false));
    let waker = Arc::new(Mutex::new(None));
    let mut g = corio::run({
        let (ready, waker) = (ready.clone(), waker.clone());
        move || {
            let mut g = waiter(ready, waker);
            assert_eq!(g.resume(()), GeneratorState::Yielded(()));
            g
        }
    });
    complete_later(ready, waker);
    assert_eq!(g.resume(()), GeneratorState::Complete("ready"));
}

#[test]
fn block_on_resumed_in_a_later_runtime_parks_that_runtimes_task() {
    let ready = Arc::new(AtomicBool::new(false));
    let waker = Arc::new(Mutex::new(None));
    let g = corio::run({
        let (ready, waker) = (ready.clone(), waker.clone());
        move || {
            let mut g = waiter(ready, waker);
            assert_eq!(g.resume(()), GeneratorState::Yielded(()));
            g
        }
    });
    let got = corio::run(move || {
        watchdog(corio::handle());
        let mut g = g;
        let ticker = corio::spawn(|| {
            for _ in 0..3 {
                corio::sleep(ms(1));
            }
        });
        complete_later(ready, waker);
        let got = g.resume(());
        ticker.join().unwrap();
        got
    });
    assert_eq!(got, GeneratorState::Complete("ready"));
}

#[test]
fn block_on_works_in_a_thread_local_destructor_after_its_own_was_destroyed() {
    // It used to panic on `block_on`'s destroyed thread-local, and a panic
    // escaping a thread-local's destructor aborts the process.
    let ended = util::limited::run_limited("block_on_in_thread_local_destructor");
    assert_eq!(
        ended.expect_success(),
        ["sent to a thread-local's destructor", "thread joined"]
    );
}

#[test]
fn unblock_still_runs_jobs_after_many_result_destructors_panicked_on_the_pool() {
    // Each panic used to end its pool thread without counting it out, so
    // after 512 the pool believed itself full and queued jobs forever.
    let ended = util::limited::run_limited("unblock_after_panicking_result_drops");
    assert_eq!(ended.expect_success(), ["then unblock gives 42"]);
}

#[test]
fn a_task_catching_its_cancellation_in_a_loop_neither_freezes_the_loop_nor_strands_its_joiners() {
    // Such a task used to raise and catch forever without switching away
    // (the loop froze, at an abort as at the end of `run`); abandoned at
    // the end of `run`, its local handle's `join` panicked on a missing
    // output and a remote handle's `join` blocked forever.
    let ended = util::limited::run_limited("catches_its_cancellation_in_a_loop");
    assert_eq!(
        ended.expect_success(),
        [
            "other tasks ran while an aborted task kept catching",
            "local join after run: cancelled true",
            "remote join after run: cancelled true",
        ]
    );
    assert_eq!(
        ended
            .stderr
            .matches("kept catching its cancellation")
            .count(),
        2,
        "{}",
        ended.stderr
    );
}

#[test]
fn a_thread_spawning_remotely_in_a_hot_loop_does_not_starve_the_ready_tasks() {
    // Each look at the inbox used to start every spawn in it: a thread
    // spawning faster than the loop runs tasks made each turn longer than
    // the last, and main, woken by its timer behind them, never ran again
    // (nor did `run` end, which is what stops the spawner here).
    use std::sync::atomic::AtomicUsize;
    use std::time::Instant;

    let (tx, rx) = std::sync::mpsc::channel();
    let runtime = std::thread::spawn(move || {
        corio::run(move || {
            tx.send(corio::handle()).unwrap();
            let sleeper = corio::spawn(|| corio::sleep(ms(3)));
            corio::sleep(ms(3));
            sleeper.join().unwrap();
        })
    });
    let handle: corio::Handle = rx.recv().unwrap();
    let gave_up = Arc::new(AtomicBool::new(false));
    let spawned = Arc::new(AtomicUsize::new(0));
    let spawners: Vec<_> = (0..2)
        .map(|_| {
            let (handle, gave_up, spawned) = (handle.clone(), gave_up.clone(), spawned.clone());
            std::thread::spawn(move || {
                let limit = Instant::now() + Duration::from_secs(30);
                while !handle.is_closed() {
                    if Instant::now() > limit {
                        gave_up.store(true, Ordering::SeqCst);
                        break;
                    }
                    drop(handle.spawn(|| 1));
                    spawned.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    runtime.join().unwrap();
    for spawner in spawners {
        spawner.join().unwrap();
    }
    assert!(
        !gave_up.load(Ordering::SeqCst),
        "main was still starved after 30 s ({} remote spawns)",
        spawned.load(Ordering::Relaxed)
    );
}

// ---- Held up: kept as regression tests.

#[test]
fn spawns_and_aborts_racing_the_end_of_run_all_resolve() {
    use std::sync::atomic::AtomicUsize;

    for _ in 0..util::scaled(10) {
        let (tx, rx) = std::sync::mpsc::channel();
        let runtime = std::thread::spawn(move || {
            corio::run(move || {
                tx.send(corio::handle()).unwrap();
                corio::sleep(ms(3));
            })
        });
        let handle: corio::Handle = rx.recv().unwrap();
        let cancelled = Arc::new(AtomicUsize::new(0));
        let spawners: Vec<_> = (0..2)
            .map(|_| {
                let (handle, cancelled) = (handle.clone(), cancelled.clone());
                std::thread::spawn(move || {
                    let mut handles = Vec::new();
                    while !handle.is_closed() {
                        handles.push(handle.spawn(|| {
                            corio::yield_now();
                            1
                        }));
                        let aborted = handle.spawn(|| {
                            corio::sleep(ms(1));
                            2
                        });
                        aborted.abort();
                        handles.push(aborted);
                    }
                    // After the end: resolved at once.
                    handles.extend((0..5).map(|_| handle.spawn(|| 3)));
                    for h in handles {
                        if let Err(e) = h.join() {
                            assert!(e.is_cancelled());
                            cancelled.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        runtime.join().unwrap();
        for spawner in spawners {
            spawner.join().unwrap();
        }
        assert!(cancelled.load(Ordering::Relaxed) >= 10);
    }
}

#[test]
fn wakers_woken_from_threads_across_the_end_of_their_runtime_are_harmless() {
    for round in 0..util::scaled(10) {
        let wakers: Arc<Mutex<Vec<Waker>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let hammers: Vec<_> = (0..2)
            .map(|_| {
                let (wakers, stop) = (wakers.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let now: Vec<Waker> = wakers.lock().unwrap().clone();
                        for waker in &now {
                            waker.wake_by_ref();
                            #[allow(clippy::waker_clone_wake)] // the owned path is the point
                            waker.clone().wake();
                        }
                        std::thread::yield_now();
                    }
                })
            })
            .collect();
        let kept = wakers.clone();
        corio::run(move || {
            for i in 0..10 {
                let kept = kept.clone();
                corio::spawn(move || {
                    corio::block_on(std::future::poll_fn(|cx| {
                        kept.lock().unwrap().push(cx.waker().clone());
                        if i % 2 == 0 {
                            Poll::Ready(())
                        } else {
                            Poll::Pending // cancelled at the end of run
                        }
                    }))
                });
            }
            corio::sleep(ms(round as u64 % 3));
        });
        std::thread::sleep(ms(2)); // woken after the runtime is gone, too
        stop.store(true, Ordering::Relaxed);
        for hammer in hammers {
            hammer.join().unwrap();
        }
    }
}
