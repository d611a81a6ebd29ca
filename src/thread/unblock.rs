//! [`unblock`]: run blocking code on a pool of threads while the task
//! that asked for it parks.
//!
//! The pool is one per process, shared by every runtime. It starts empty,
//! adds a thread whenever a job arrives and no thread is idle (up to
//! [`MAX_THREADS`]; beyond that jobs queue), and a thread idle for
//! [`KEEP_ALIVE`] exits. A job is a `'static + Send` closure: nothing
//! borrowed from the waiting task's stack crosses, since that stack may
//! unwind (a cancellation) while the job still runs.

use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use super::block_on::block_on;
use super::completion::{Completion, Delivery};
use crate::runtime::unwind::{self, Place};

/// Threads the pool grows to at most (tokio's default is 512 too).
const MAX_THREADS: usize = 512;

/// How long a pool thread waits for work before it exits.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// Runs blocking `f` on a pool thread and parks the calling task until it
/// returns, so the event loop goes on running other tasks meanwhile
/// (Python's `await asyncio.to_thread(f)` / `loop.run_in_executor`).
///
/// Use it for anything that would block the loop's thread: std file and
/// process calls, a crate that does its own blocking I/O, a CPU-heavy
/// computation, a `std::sync::Mutex` that may be held long, a
/// `std::thread::JoinHandle::join`.
///
/// - A panic in `f` comes out of `unblock`, in the calling task.
/// - `f` cannot be interrupted: if the waiting task is cancelled, its
///   stack unwinds at once while `f` runs on to completion on its thread,
///   and the result is dropped there (as with tokio's `spawn_blocking`).
///   In a destructor of a task being cancelled, `unblock` waits as usual.
/// - Outside [`run`](crate::run), and on the event loop's own stack
///   outside any task (a destructor run by the loop), it calls `f` right
///   there.
///
/// The pool, one per process, grows a thread whenever a job finds none
/// idle, up to 512 threads (more jobs than that wait in a queue); a
/// thread idle for 5 s exits.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let (sum, ticks) = corio::run(|| {
///     let ticker = corio::spawn(|| {
///         let mut ticks = 0;
///         for _ in 0..5 {
///             corio::sleep(Duration::from_millis(2));
///             ticks += 1;
///         }
///         ticks
///     });
///     // Blocks a pool thread for 30 ms; this task parks, the ticker ticks.
///     let sum = corio::unblock(|| {
///         std::thread::sleep(Duration::from_millis(30));
///         (1..=100u32).sum::<u32>()
///     });
///     (sum, ticker.join().unwrap())
/// });
/// assert_eq!((sum, ticks), (5050, 5));
/// ```
#[doc(alias = "spawn_blocking")]
pub fn unblock<T, F>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match unwind::place() {
        Place::Outside | Place::Loop => return f(),
        Place::Task(_) => {}
    }
    let done = Arc::new(Completion::new());
    // Delivers a failure if the job is dropped unrun (the pool could not
    // start a thread), so no waiter waits forever; after the job ran, the
    // first delivery wins and this one is ignored.
    let deliver = DeliverOnDrop(done.clone());
    pool().submit(Box::new(move || {
        deliver.0.deliver(panic::catch_unwind(AssertUnwindSafe(f)));
    }));
    match block_on(Delivery(&done)) {
        Ok(value) => value,
        Err(payload) => unwind::resume_unwind(payload),
    }
}

/// The result of a job: its value, or its panic's payload.
type Outcome<T> = std::thread::Result<T>;

/// See `unblock`.
struct DeliverOnDrop<T>(Arc<Completion<Outcome<T>>>);

impl<T> Drop for DeliverOnDrop<T> {
    fn drop(&mut self) {
        let payload =
            Box::new("corio: the blocking pool dropped this job unrun (no thread could start)");
        self.0.deliver(Err(payload));
    }
}

/// A job for the pool: it catches the panics of the closure it runs, but
/// not of the destructors of what it leaves behind (see [`run_job`]).
type Job = Box<dyn FnOnce() + Send>;

/// Runs `job` on a pool thread, which must survive it: a thread that died
/// would stay counted in `PoolState::threads`, and once 512 had, the pool
/// would queue every later job forever.
///
/// A job catches the panic of its closure, but a result nobody waits for
/// any more (its waiter was cancelled) is dropped here, with the job, and
/// its destructor may panic too. That panic is dropped; if dropping its
/// payload panics yet again, that payload is leaked rather than let loose.
fn run_job(job: Job) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(job))
        && let Err(again) = panic::catch_unwind(AssertUnwindSafe(|| drop(payload)))
    {
        std::mem::forget(again);
    }
}

/// The process's blocking pool.
struct Pool {
    state: Mutex<PoolState>,
    /// Idle threads wait here for jobs.
    work: Condvar,
}

struct PoolState {
    jobs: VecDeque<Job>,
    /// Threads alive.
    threads: usize,
    /// Threads waiting on `work`, including ones notified but not yet
    /// awake (they count themselves out when they wake).
    idle: usize,
    /// The threads started, for [`retire_blocking_threads`]; finished
    /// ones are dropped whenever a thread starts.
    started: Vec<JoinHandle<()>>,
    /// Callers of [`retire_blocking_threads`] under way: while non-zero, a
    /// thread that finds no job exits instead of waiting for one.
    retiring: usize,
}

fn pool() -> &'static Pool {
    static POOL: Pool = Pool {
        state: Mutex::new(PoolState {
            jobs: VecDeque::new(),
            threads: 0,
            idle: 0,
            started: Vec::new(),
            retiring: 0,
        }),
        work: Condvar::new(),
    };
    &POOL
}

/// Test support, not part of the API: makes every pool thread exit once
/// it has no job, and returns when the threads alive at the call have
/// ended (jobs queued meanwhile still run; later jobs start new threads).
///
/// A thread's end releases what the C library keeps per thread, such as
/// glibc's resolver state after a host-name lookup, which a leak checker
/// run at process exit would otherwise report as lost while the thread
/// still lives. corio's tests call this before the process ends.
#[doc(hidden)]
pub fn retire_blocking_threads() {
    let pool = pool();
    let started = {
        let mut state = pool.lock();
        state.retiring += 1;
        std::mem::take(&mut state.started)
    };
    pool.work.notify_all();
    for thread in started {
        // A pool thread catches its jobs' panics; nothing to report.
        let _ = thread.join();
    }
    pool.lock().retiring -= 1;
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // Jobs run outside the lock and catch their own panics, so the
        // state under it is always consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `job`, waking an idle thread or starting one.
    fn submit(&'static self, job: Job) {
        let mut state = self.lock();
        state.jobs.push_back(job);
        if state.jobs.len() <= state.idle {
            drop(state);
            self.work.notify_one();
            return;
        }
        if state.threads >= MAX_THREADS {
            return; // a busy thread takes it when done
        }
        // Started with the lock held, so the new thread's handle is in
        // `started` before it can take any job (it takes the lock first):
        // `retire_blocking_threads` then joins every thread that may have
        // run a job queued before the call. Starting a thread is rare (the
        // pool keeps its threads for `KEEP_ALIVE`), so holding the lock
        // across it costs little.
        let started = std::thread::Builder::new()
            .name("corio-blocking".into())
            .spawn(move || self.serve());
        match started {
            Ok(thread) => {
                state.threads += 1;
                state.started.retain(|t| !t.is_finished());
                state.started.push(thread);
            }
            Err(e) => {
                if state.threads == 0 {
                    // Nothing would ever run the queue.
                    let jobs = std::mem::take(&mut state.jobs);
                    drop(state);
                    drop(jobs);
                    panic!("corio: cannot start a thread for corio::unblock: {e}");
                }
            }
        }
    }

    /// A pool thread: runs jobs until idle for [`KEEP_ALIVE`].
    fn serve(&self) {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.jobs.pop_front() {
                drop(state);
                run_job(job);
                state = self.lock();
                continue;
            }
            if state.retiring > 0 {
                state.threads -= 1;
                return;
            }
            state.idle += 1;
            let (woken, waited) = self
                .work
                .wait_timeout(state, KEEP_ALIVE)
                .unwrap_or_else(|e| e.into_inner());
            state = woken;
            state.idle -= 1;
            if waited.timed_out() && state.jobs.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }
}
