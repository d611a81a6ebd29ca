//! `Handle` and `RemoteJoinHandle`: spawning onto a runtime from other
//! threads and runtimes, waiting from anywhere, aborting, shutting down.

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use corio::{Handle, JoinError, RemoteJoinHandle};
use util::{background_runtime, ms};

/// Sets its flag when dropped: "this destructor ran", across threads.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_plain_thread_spawns_onto_a_runtime_and_blocks_for_the_result() {
    let (runtime, thread) = background_runtime();
    let task = runtime.spawn(|| {
        corio::sleep(ms(5));
        let inner = corio::spawn(|| 20); // a real task: it can spawn and join
        inner.join().unwrap() + 22
    });
    assert_eq!(task.join().unwrap(), 42);
    runtime.shutdown();
    thread.join().unwrap();
}

#[test]
fn a_task_on_one_runtime_waits_for_a_task_on_another_without_blocking_its_loop() {
    let (there, thread) = background_runtime();
    let ticks = corio::run(|| {
        let ticks = std::rc::Rc::new(std::cell::Cell::new(0));
        let t = ticks.clone();
        let ticker = corio::spawn(move || {
            for _ in 0..3 {
                corio::sleep(ms(1));
                t.set(t.get() + 1);
            }
        });
        // The remote task waits until this loop has ticked three times:
        // only possible if the join below parks the task, not the thread.
        let seen = Arc::new(AtomicUsize::new(0));
        let seen_there = seen.clone();
        let remote = there.spawn(move || {
            while seen_there.load(Ordering::SeqCst) < 3 {
                corio::sleep(ms(1));
            }
            "the other runtime answered"
        });
        let watcher = corio::spawn({
            let ticks = ticks.clone();
            move || {
                while ticks.get() < 3 {
                    corio::sleep(ms(1));
                }
                seen.store(3, Ordering::SeqCst);
            }
        });
        assert_eq!(remote.join().unwrap(), "the other runtime answered");
        ticker.join().unwrap();
        watcher.join().unwrap();
        ticks.get()
    });
    assert_eq!(ticks, 3);
    there.shutdown();
    thread.join().unwrap();
}

#[test]
fn main_waiting_on_a_slow_remote_job_is_not_a_deadlock() {
    // Nothing local can wake main: only the other runtime's wake can. The
    // loop must wait for it instead of reporting a deadlock.
    let (there, thread) = background_runtime();
    let value = corio::run(|| {
        there
            .spawn(|| {
                corio::sleep(ms(200));
                7
            })
            .join()
    });
    assert_eq!(value.unwrap(), 7);
    there.shutdown();
    thread.join().unwrap();
}

#[test]
fn spawning_on_a_runtime_that_has_ended_resolves_at_once_as_cancelled() {
    let handle = corio::run(corio::handle);
    assert!(handle.is_closed());
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = SetOnDrop(dropped.clone());
    let task = handle.spawn(move || {
        let _guard = guard;
        r.store(true, Ordering::SeqCst);
    });
    assert!(task.is_finished());
    assert!(matches!(task.join(), Err(JoinError::Cancelled)));
    assert!(!ran.load(Ordering::SeqCst));
    assert!(
        dropped.load(Ordering::SeqCst),
        "the closure is dropped unrun"
    );
    handle.shutdown(); // does nothing, does not panic
}

#[test]
fn a_remote_panic_comes_out_of_join_as_panicked() {
    let (runtime, thread) = background_runtime();
    let error = runtime
        .spawn(|| -> u32 { panic!("remote disk full") })
        .join()
        .unwrap_err();
    assert_eq!(error.panic_message(), Some("remote disk full"));
    // The runtime is unharmed.
    assert_eq!(runtime.spawn(|| 5).join().unwrap(), 5);
    runtime.shutdown();
    thread.join().unwrap();
}

#[test]
fn abort_from_another_thread_unwinds_a_parked_remote_task() {
    let (runtime, thread) = background_runtime();
    let dropped = Arc::new(AtomicBool::new(false));
    let parked = Arc::new(AtomicBool::new(false));
    let (d, p) = (dropped.clone(), parked.clone());
    let task = runtime.spawn(move || {
        let _guard = SetOnDrop(d);
        p.store(true, Ordering::SeqCst);
        corio::sleep(Duration::from_secs(3600));
    });
    while !parked.load(Ordering::SeqCst) {
        std::thread::sleep(ms(1));
    }
    task.abort();
    assert!(matches!(task.join(), Err(JoinError::Cancelled)));
    assert!(dropped.load(Ordering::SeqCst), "its destructors ran");
    runtime.shutdown();
    thread.join().unwrap();
}

#[test]
fn abort_before_the_task_starts_means_it_never_runs() {
    corio::run(|| {
        let handle = corio::handle();
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        // Posted from a plain thread, so it is still in the inbox (this
        // task has not parked) when the abort comes.
        let task = std::thread::spawn(move || {
            let task = handle.spawn(move || r.store(true, Ordering::SeqCst));
            task.abort();
            task
        })
        .join()
        .unwrap();
        assert!(matches!(task.join(), Err(JoinError::Cancelled)));
        assert!(!ran.load(Ordering::SeqCst));
    });
}

#[test]
fn spawning_on_the_current_runtime_runs_it_as_an_ordinary_task() {
    let order = corio::run(|| {
        let task = corio::handle().spawn(|| "spawned on my own runtime");
        assert!(!task.is_finished(), "it first runs when main parks");
        task.join().unwrap()
    });
    assert_eq!(order, "spawned on my own runtime");
}

#[test]
fn shutdown_from_another_thread_cancels_every_task_and_unwinds_run() {
    let main_dropped = Arc::new(AtomicBool::new(false));
    let child_dropped = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel::<Handle>();
    let stopper = std::thread::spawn(move || rx.recv().unwrap().shutdown());
    let (m, c) = (main_dropped.clone(), child_dropped.clone());
    let ended = std::panic::catch_unwind(move || {
        corio::run(move || {
            let _guard = SetOnDrop(m);
            corio::spawn(move || {
                let _guard = SetOnDrop(c);
                corio::sleep(Duration::from_secs(3600));
            });
            tx.send(corio::handle()).unwrap();
            corio::sleep(Duration::from_secs(3600));
        })
    });
    stopper.join().unwrap();
    let payload = ended.unwrap_err();
    let cancelled = payload
        .downcast_ref::<corio::Cancelled>()
        .expect("run unwinds with corio::Cancelled");
    assert!(
        cancelled.to_string().contains("runtime shut down"),
        "{cancelled}"
    );
    assert!(main_dropped.load(Ordering::SeqCst));
    assert!(child_dropped.load(Ordering::SeqCst));
}

#[test]
fn shutdown_from_inside_the_runtime_cancels_main_at_its_next_park() {
    let ended = std::panic::catch_unwind(|| {
        corio::run(|| {
            corio::handle().shutdown();
            corio::sleep(Duration::from_secs(3600));
            unreachable!("the sleep is cancelled");
        })
    });
    assert!(ended.unwrap_err().is::<corio::Cancelled>());
}

#[test]
fn a_remote_join_handle_is_a_future_tokio_can_await() {
    let (runtime, thread) = background_runtime();
    let task: RemoteJoinHandle<&str> = runtime.spawn(|| {
        corio::sleep(ms(2));
        "corio work, awaited by tokio"
    });
    let tokio_rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let got = tokio_rt.block_on(task);
    assert_eq!(got.unwrap(), "corio work, awaited by tokio");
    runtime.shutdown();
    thread.join().unwrap();
}

#[test]
fn many_threads_spawn_onto_one_runtime_and_every_result_comes_back() {
    let (runtime, thread) = background_runtime();
    let per_thread = util::scaled(2_000) as u64;
    let senders: Vec<_> = (0..4u64)
        .map(|t| {
            let runtime = runtime.clone();
            std::thread::spawn(move || {
                let tasks: Vec<_> = (0..per_thread)
                    .map(|i| runtime.spawn(move || t * 1_000_000 + i))
                    .collect();
                tasks
                    .into_iter()
                    .map(|task| task.join().unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for (t, sender) in senders.into_iter().enumerate() {
        let got = sender.join().unwrap();
        let want: Vec<u64> = (0..per_thread).map(|i| t as u64 * 1_000_000 + i).collect();
        assert_eq!(got, want);
    }
    runtime.shutdown();
    thread.join().unwrap();
}

#[test]
fn handles_and_remote_join_handles_are_send_and_sync_where_promised() {
    fn send_sync_clone<T: Send + Sync + Clone>() {}
    fn send<T: Send>() {}
    send_sync_clone::<Handle>();
    send::<RemoteJoinHandle<String>>();
}
