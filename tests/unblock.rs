//! `corio::unblock`: blocking work on the pool while the task parks.

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use util::ms;

/// Waits (up to a generous limit) until `counter` reaches `target`;
/// true if it did.
fn wait_for(counter: &AtomicUsize, target: usize) -> bool {
    let give_up = Instant::now() + Duration::from_secs(30);
    while counter.load(Ordering::SeqCst) < target {
        if Instant::now() > give_up {
            return false;
        }
        std::thread::sleep(ms(1));
    }
    true
}

#[test]
fn the_loop_keeps_running_tasks_while_a_job_blocks_a_pool_thread() {
    let ticks = Arc::new(AtomicUsize::new(0));
    let saw_ticks = corio::run(|| {
        let t = ticks.clone();
        let ticker = corio::spawn(move || {
            for _ in 0..3 {
                corio::sleep(ms(1));
                t.fetch_add(1, Ordering::SeqCst);
            }
        });
        // The job blocks until the ticker has ticked three times: it can
        // only see that if the loop runs while the job blocks.
        let seen = ticks.clone();
        let saw = corio::unblock(move || wait_for(&seen, 3));
        ticker.join().unwrap();
        saw
    });
    assert!(saw_ticks);
}

#[test]
fn a_panic_in_the_job_comes_out_of_unblock() {
    let message = corio::run(|| {
        let task = corio::spawn(|| corio::unblock(|| -> u8 { panic!("the disk is on fire") }));
        task.join().unwrap_err().panic_message().map(str::to_owned)
    });
    assert_eq!(message.as_deref(), Some("the disk is on fire"));
}

/// Counts its drops, on whichever thread.
#[derive(Debug)]
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn a_cancelled_waiter_unwinds_at_once_and_the_job_still_finishes() {
    let started = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(AtomicUsize::new(0));
    let results_dropped = Arc::new(AtomicUsize::new(0));
    let waiter_unwound = Arc::new(AtomicUsize::new(0));
    corio::run(|| {
        let (s, r, d, w) = (
            started.clone(),
            release.clone(),
            results_dropped.clone(),
            waiter_unwound.clone(),
        );
        let task = corio::spawn(move || {
            let _guard = Counted(w);
            corio::unblock(move || {
                s.store(1, Ordering::SeqCst);
                assert!(wait_for(&r, 1), "released");
                Counted(d) // the result, dropped on the pool thread
            })
        });
        while started.load(Ordering::SeqCst) == 0 {
            corio::sleep(ms(1));
        }
        task.abort();
        assert!(task.join().unwrap_err().is_cancelled());
        assert_eq!(waiter_unwound.load(Ordering::SeqCst), 1, "unwound at once");
        assert_eq!(
            results_dropped.load(Ordering::SeqCst),
            0,
            "the job still runs"
        );
        release.store(1, Ordering::SeqCst);
        // The job finishes on its own; its result is dropped there.
        while results_dropped.load(Ordering::SeqCst) == 0 {
            corio::sleep(ms(1));
        }
    });
    assert_eq!(results_dropped.load(Ordering::SeqCst), 1);
}

#[test]
fn the_pool_grows_so_jobs_that_need_each_other_all_run() {
    // Eight jobs that each wait for all eight: only possible with eight
    // pool threads at once.
    let n = 8;
    let barrier = Arc::new(Barrier::new(n));
    let done = corio::run(|| {
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let barrier = barrier.clone();
                corio::spawn(move || {
                    corio::unblock(move || {
                        barrier.wait();
                        i
                    })
                })
            })
            .collect();
        tasks.into_iter().map(|t| t.join().unwrap()).sum::<usize>()
    });
    assert_eq!(done, n * (n - 1) / 2);
}

#[test]
fn outside_run_the_job_runs_right_here() {
    let here = std::thread::current().id();
    let ran_on = corio::unblock(|| std::thread::current().id());
    assert_eq!(ran_on, here);
}

#[test]
fn in_a_task_the_job_runs_on_another_thread_and_owned_values_cross() {
    let here = std::thread::current().id();
    let (other, text) = corio::run(|| {
        let words = ["owned".to_string(), "values".to_string()];
        corio::unblock(move || (std::thread::current().id(), words.join(" ")))
    });
    assert_ne!(other, here);
    assert_eq!(text, "owned values");
}

#[test]
fn many_jobs_from_many_tasks_all_return_their_own_result() {
    let n = util::scaled(2_000) as u64;
    let sum = corio::run(|| {
        let tasks: Vec<_> = (0..n)
            .map(|i| corio::spawn(move || corio::unblock(move || i * 2)))
            .collect();
        tasks.into_iter().map(|t| t.join().unwrap()).sum::<u64>()
    });
    assert_eq!(sum, n * (n - 1));
}

/// Test support (`corio::retire_blocking_threads`, used where a thread's
/// C-library state must be gone before the process ends): the threads
/// alive at the call end, and the pool keeps working with new ones.
#[test]
fn retiring_the_pools_threads_ends_them_and_the_pool_still_works() {
    fn gettid() -> libc::pid_t {
        // SAFETY: gettid takes no arguments and cannot fail.
        unsafe { libc::gettid() }
    }
    let tid = corio::run(|| corio::unblock(gettid));
    assert_ne!(tid, gettid());
    corio::retire_blocking_threads();
    // The join returns once the kernel has cleared the thread's id word,
    // a moment before it removes the thread's /proc entry: wait for the
    // entry to go, with a bound only a thread that never ends reaches.
    let task = format!("/proc/self/task/{tid}");
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::path::Path::new(&task).exists() {
        assert!(std::time::Instant::now() < give_up, "{task} never ended");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let again = corio::run(|| corio::unblock(|| "a job after the retirement"));
    assert_eq!(again, "a job after the retirement");
}
