//! The workloads that `benches/runtime.rs` (criterion) and
//! `benches/runtime_ratios.rs` (one-shot table) both time, so the two
//! report the same thing.
//!
//! Every function takes an operation count `n` and returns how long those
//! `n` operations took. Building the runtime (`corio::run`'s event loop,
//! entering tokio's `block_on`, the outer may coroutine) happens outside the
//! timed span, so only the operations themselves are measured.
//!
//! - spawn + join: start a task that returns at once, wait for it.
//! - switch: two tasks alternate by yielding; one operation is one yield,
//!   that is one hand-over from one task to the other.
//! - round trip: task A sends a number over a capacity-1 channel, task B
//!   echoes it back over a second one, A receives it.
//!
//! Anchors: tokio's current-thread runtime (the runtime corio is compared
//! with), may confined to one worker thread (another stackful runtime),
//! `std::thread` for spawn + join, and a bare corosensei round-robin as the
//! floor below any stackful scheduler.

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::Once;
use std::time::{Duration, Instant};

use corio::stack::DEFAULT_STACK_SIZE;
use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult};

/// The tokio anchor: one thread, the timer driver on, no I/O driver.
/// Spelled out rather than `enable_all()`, whose meaning changes with the
/// tokio features other dev code turns on: with `net`, every idle turn of
/// the loop would also poll epoll, which makes `yield_now` dearer for tokio.
pub fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("build a tokio current_thread runtime")
}

/// Confines may to one worker thread, like the other two single-threaded
/// runtimes. Must run before may's scheduler starts (its first `go!`);
/// later calls do nothing. Worker pinning is turned off: on a small shared
/// machine, pinning to core 0 only adds noise.
pub fn may_single_worker() {
    static CONFIGURE: Once = Once::new();
    CONFIGURE.call_once(|| {
        may::config().set_workers(1);
        may::config().set_worker_pin(false);
    });
}

/// Runs `body` as a may coroutine and waits for it from this thread, so
/// that the timed code itself runs on may's worker, where parking is a
/// coroutine switch and not a thread block.
fn in_may<F>(body: F) -> Duration
where
    F: FnOnce() -> Duration + Send + 'static,
{
    may_single_worker();
    may::go!(body)
        .join()
        .expect("the timed may coroutine panicked")
}

// ---------------------------------------------------------------- spawn + join

pub fn corio_spawn_join(n: u64) -> Duration {
    corio::run(|| {
        let start = Instant::now();
        for i in 0..n {
            let task = corio::spawn(move || black_box(i));
            black_box(task.join().expect("trivial task"));
        }
        start.elapsed()
    })
}

pub fn tokio_spawn_join(rt: &tokio::runtime::Runtime, n: u64) -> Duration {
    rt.block_on(async move {
        let start = Instant::now();
        for i in 0..n {
            let task = tokio::spawn(async move { black_box(i) });
            black_box(task.await.expect("trivial task"));
        }
        start.elapsed()
    })
}

/// Spawns `n` tasks, then joins them all: every task's stack is live at
/// once, so each burst takes `n` slots, and the next burst (the next
/// repetition, in the same process) finds them freed a moment ago.
pub fn corio_burst(n: u64) -> Duration {
    corio::run(|| {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n).map(|i| corio::spawn(move || black_box(i))).collect();
        for task in tasks {
            black_box(task.join().expect("trivial task"));
        }
        start.elapsed()
    })
}

pub fn tokio_burst(rt: &tokio::runtime::Runtime, n: u64) -> Duration {
    rt.block_on(async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|i| tokio::spawn(async move { black_box(i) }))
            .collect();
        for task in tasks {
            black_box(task.await.expect("trivial task"));
        }
        start.elapsed()
    })
}

pub fn may_spawn_join(n: u64) -> Duration {
    in_may(move || {
        let start = Instant::now();
        for i in 0..n {
            let task = may::go!(move || black_box(i));
            black_box(task.join().expect("trivial coroutine"));
        }
        start.elapsed()
    })
}

pub fn thread_spawn_join(n: u64) -> Duration {
    let start = Instant::now();
    for i in 0..n {
        let thread = std::thread::spawn(move || black_box(i));
        black_box(thread.join().expect("trivial thread"));
    }
    start.elapsed()
}

// ---------------------------------------------------------------- switches

/// Yields each of the two tasks does for `n` switches in all.
fn yields_per_task(n: u64) -> u64 {
    n.div_ceil(2)
}

pub fn corio_switches(n: u64) -> Duration {
    let per_task = yields_per_task(n);
    corio::run(move || {
        let start = Instant::now();
        let a = corio::spawn(move || {
            for _ in 0..per_task {
                corio::yield_now();
            }
        });
        let b = corio::spawn(move || {
            for _ in 0..per_task {
                corio::yield_now();
            }
        });
        a.join().expect("yielding task");
        b.join().expect("yielding task");
        start.elapsed()
    })
}

pub fn tokio_switches(rt: &tokio::runtime::Runtime, n: u64) -> Duration {
    let per_task = yields_per_task(n);
    rt.block_on(async move {
        let start = Instant::now();
        let a = tokio::spawn(async move {
            for _ in 0..per_task {
                tokio::task::yield_now().await;
            }
        });
        let b = tokio::spawn(async move {
            for _ in 0..per_task {
                tokio::task::yield_now().await;
            }
        });
        a.await.expect("yielding task");
        b.await.expect("yielding task");
        start.elapsed()
    })
}

pub fn may_switches(n: u64) -> Duration {
    let per_task = yields_per_task(n);
    in_may(move || {
        let start = Instant::now();
        let a = may::go!(move || {
            for _ in 0..per_task {
                may::coroutine::yield_now();
            }
        });
        let b = may::go!(move || {
            for _ in 0..per_task {
                may::coroutine::yield_now();
            }
        });
        a.join().expect("yielding coroutine");
        b.join().expect("yielding coroutine");
        start.elapsed()
    })
}

/// The floor: `coroutines` raw corosensei coroutines on their own
/// `DefaultStack`s in a queue, each resumed in turn and yielding straight
/// back; one operation is one resume (a switch in and a switch out, as a
/// scheduler's hand-over is). No runtime, no bookkeeping.
pub fn corosensei_round_robin(coroutines: usize, n: u64) -> Duration {
    let mut ring: VecDeque<_> = (0..coroutines)
        .map(|_| {
            let stack = DefaultStack::new(DEFAULT_STACK_SIZE).expect("map a corosensei stack");
            Coroutine::<(), (), (), _>::with_stack(stack, |yielder, ()| {
                loop {
                    yielder.suspend(());
                }
            })
        })
        .collect();
    let start = Instant::now();
    for _ in 0..n {
        let mut next = ring.pop_front().expect("the ring is never empty");
        match next.resume(()) {
            CoroutineResult::Yield(()) => {}
            CoroutineResult::Return(()) => unreachable!("the loop never returns"),
        }
        ring.push_back(next);
    }
    let elapsed = start.elapsed();
    black_box(&mut ring);
    elapsed
}

// ---------------------------------------------------------------- channels

pub fn corio_round_trips(n: u64) -> Duration {
    corio::run(move || {
        let (to_echo, from_pinger) = corio::sync::channel::<u64>(1);
        let (to_pinger, from_echo) = corio::sync::channel::<u64>(1);
        let echo = corio::spawn(move || {
            for value in from_pinger {
                if to_pinger.send(value).is_err() {
                    break;
                }
            }
        });
        let pinger = corio::spawn(move || {
            let start = Instant::now();
            for i in 0..n {
                to_echo.send(i).expect("echo task alive");
                black_box(from_echo.recv().expect("echo task alive"));
            }
            start.elapsed()
        });
        let elapsed = pinger.join().expect("pinger task");
        echo.join().expect("echo task");
        elapsed
    })
}

pub fn tokio_round_trips(rt: &tokio::runtime::Runtime, n: u64) -> Duration {
    use tokio::sync::mpsc;
    rt.block_on(async move {
        let (to_echo, mut from_pinger) = mpsc::channel::<u64>(1);
        let (to_pinger, mut from_echo) = mpsc::channel::<u64>(1);
        let echo = tokio::spawn(async move {
            while let Some(value) = from_pinger.recv().await {
                if to_pinger.send(value).await.is_err() {
                    break;
                }
            }
        });
        let pinger = tokio::spawn(async move {
            let start = Instant::now();
            for i in 0..n {
                to_echo.send(i).await.expect("echo task alive");
                black_box(from_echo.recv().await.expect("echo task alive"));
            }
            start.elapsed()
        });
        let elapsed = pinger.await.expect("pinger task");
        echo.await.expect("echo task");
        elapsed
    })
}

/// may has no bounded mpsc channel; with one value in flight at a time an
/// unbounded one behaves the same here.
pub fn may_round_trips(n: u64) -> Duration {
    in_may(move || {
        let (to_echo, from_pinger) = may::sync::mpsc::channel::<u64>();
        let (to_pinger, from_echo) = may::sync::mpsc::channel::<u64>();
        let echo = may::go!(move || {
            while let Ok(value) = from_pinger.recv() {
                if to_pinger.send(value).is_err() {
                    break;
                }
            }
        });
        let pinger = may::go!(move || {
            let start = Instant::now();
            for i in 0..n {
                to_echo.send(i).expect("echo coroutine alive");
                black_box(from_echo.recv().expect("echo coroutine alive"));
            }
            start.elapsed()
        });
        let elapsed = pinger.join().expect("pinger coroutine");
        echo.join().expect("echo coroutine");
        elapsed
    })
}
