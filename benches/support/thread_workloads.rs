//! Cross-thread workloads for `benches/runtime_ratios.rs`: corio's
//! `Handle`, `RemoteJoinHandle` and `block_on` against tokio doing the
//! same through its own handle and `.await`.
//!
//! - remote spawn + join: a plain thread spawns a task that returns at
//!   once onto a runtime serving on another thread, and blocks until it
//!   is done. Both sides block the same way (a thread parker: corio's
//!   `RemoteJoinHandle::join`, `futures::executor::block_on` for tokio's
//!   `JoinHandle`).
//! - `block_on` of a ready future, inside a task, against `.await` of
//!   the same future inside a tokio task.
//! - `unblock(|| ())` in a task, against `spawn_blocking(|| ()).await` in
//!   a tokio task: a round trip through each one's blocking pool.
//! - `block_on` of a future a thread completes: each operation hands a
//!   oneshot's sender to a helper thread (the same helper code on both
//!   sides), which completes it; the task parks until its waker fires.
//! - channel ping-pong between two runtimes on two threads: a task of a
//!   runtime on a second thread echoes every value it receives (capacity
//!   1 both ways), a task of a runtime on the bench thread sends and
//!   waits for the echo. corio uses `corio::sync::shared::channel`, tokio
//!   its `mpsc` between two current_thread runtimes, and for context
//!   `std::sync::mpsc::sync_channel` between two plain threads. Both
//!   threads are pinned to one CPU ([`on_one_cpu`]).

use std::hint::black_box;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A corio runtime serving on its own thread until `shutdown`.
pub struct CorioServer {
    pub handle: corio::Handle,
    thread: Option<JoinHandle<()>>,
}

impl CorioServer {
    pub fn start() -> Self {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let _ = std::panic::catch_unwind(move || {
                corio::run(move || {
                    tx.send(corio::handle()).unwrap();
                    corio::sleep(Duration::from_secs(24 * 3600));
                })
            });
        });
        CorioServer {
            handle: rx.recv().unwrap(),
            thread: Some(thread),
        }
    }
}

impl Drop for CorioServer {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

/// A tokio current_thread runtime serving on its own thread until dropped.
pub struct TokioServer {
    pub handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TokioServer {
    /// With the timer driver only, like the other tokio anchors: an idle
    /// tokio loop then sleeps on a futex, which another thread wakes.
    pub fn start() -> Self {
        Self::start_with(super::workloads::tokio_runtime)
    }

    /// With the I/O driver too: an idle loop then sleeps in epoll and is
    /// woken through an eventfd (a `mio::Waker`), as corio's always is.
    pub fn start_with_io() -> Self {
        Self::start_with(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("build a tokio current_thread runtime")
        })
    }

    fn start_with(build: fn() -> tokio::runtime::Runtime) -> Self {
        let (tx, rx) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = build();
            tx.send(rt.handle().clone()).unwrap();
            let _ = rt.block_on(stopped);
        });
        TokioServer {
            handle: rx.recv().unwrap(),
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for TokioServer {
    fn drop(&mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.thread.take().unwrap().join().unwrap();
    }
}

pub fn corio_remote_spawn_join(server: &CorioServer, n: u64) -> Duration {
    let start = Instant::now();
    for i in 0..n {
        black_box(server.handle.spawn(move || i).join().unwrap());
    }
    start.elapsed()
}

pub fn tokio_remote_spawn_join(server: &TokioServer, n: u64) -> Duration {
    let start = Instant::now();
    for i in 0..n {
        let task = server.handle.spawn(async move { i });
        black_box(futures::executor::block_on(task).unwrap());
    }
    start.elapsed()
}

pub fn corio_block_on_ready(n: u64) -> Duration {
    corio::run(|| {
        corio::spawn(move || {
            let start = Instant::now();
            for i in 0..n {
                black_box(corio::block_on(std::future::ready(black_box(i))));
            }
            start.elapsed()
        })
        .join()
        .unwrap()
    })
}

pub fn tokio_block_on_ready(rt: &tokio::runtime::Runtime, n: u64) -> Duration {
    rt.block_on(async move {
        tokio::spawn(async move {
            let start = Instant::now();
            for i in 0..n {
                black_box(std::future::ready(black_box(i)).await);
            }
            start.elapsed()
        })
        .await
        .unwrap()
    })
}

/// The helper thread of the woken-by-a-thread measure: completes every
/// oneshot it is handed, until the channel closes.
fn completer() -> (
    mpsc::Sender<futures::channel::oneshot::Sender<u64>>,
    JoinHandle<()>,
) {
    let (tx, rx) = mpsc::channel::<futures::channel::oneshot::Sender<u64>>();
    let thread = std::thread::spawn(move || {
        for (i, reply) in rx.into_iter().enumerate() {
            let _ = reply.send(i as u64);
        }
    });
    (tx, thread)
}

pub fn corio_block_on_woken(n: u64) -> Duration {
    let (requests, helper) = completer();
    let elapsed = corio::run(move || {
        let start = Instant::now();
        for _ in 0..n {
            let (tx, rx) = futures::channel::oneshot::channel();
            requests.send(tx).unwrap();
            black_box(corio::block_on(rx).unwrap());
        }
        start.elapsed()
    });
    helper.join().unwrap();
    elapsed
}

pub fn tokio_block_on_woken(rt: &tokio::runtime::Runtime, n: u64) -> Duration {
    let (requests, helper) = completer();
    let elapsed = rt.block_on(async move {
        tokio::spawn(async move {
            let start = Instant::now();
            for _ in 0..n {
                let (tx, rx) = futures::channel::oneshot::channel();
                requests.send(tx).unwrap();
                black_box(rx.await.unwrap());
            }
            start.elapsed()
        })
        .await
        .unwrap()
    });
    helper.join().unwrap();
    elapsed
}

pub fn corio_unblock(n: u64) -> Duration {
    corio::run(|| {
        corio::spawn(move || {
            let start = Instant::now();
            for i in 0..n {
                black_box(corio::unblock(move || black_box(i)));
            }
            start.elapsed()
        })
        .join()
        .unwrap()
    })
}

pub fn tokio_unblock(rt: &tokio::runtime::Runtime, n: u64) -> Duration {
    rt.block_on(async move {
        tokio::spawn(async move {
            let start = Instant::now();
            for i in 0..n {
                black_box(
                    tokio::task::spawn_blocking(move || black_box(i))
                        .await
                        .unwrap(),
                );
            }
            start.elapsed()
        })
        .await
        .unwrap()
    })
}

/// Runs `f` with the calling thread pinned to the CPU it is on, then
/// restores its affinity; threads spawned meanwhile inherit the pin.
///
/// The ping-pong measures run both threads on one CPU: on this VM a
/// wake-up of an idle second vCPU costs tens of microseconds, the same for
/// every contender, and would drown the cost of the runtimes' own paths
/// (see the note printed under the table).
pub fn on_one_cpu<T>(f: impl FnOnce() -> T) -> T {
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `cpu_set_t` is an array of integers: all zeroes is the
    // empty set.
    let mut before: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `before` is a writable set of `size` bytes; pid 0 is the
    // calling thread.
    let got = unsafe { libc::sched_getaffinity(0, size, &mut before) };
    assert_eq!(
        got,
        0,
        "sched_getaffinity: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: no arguments; it returns the CPU this thread runs on.
    let cpu = unsafe { libc::sched_getcpu() };
    let cpu = usize::try_from(cpu).expect("sched_getcpu failed");
    // SAFETY: as above, the empty set.
    let mut one: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` came from the kernel, so it is below CPU_SETSIZE and
    // its bit lies inside `one`.
    unsafe { libc::CPU_SET(cpu, &mut one) };
    let set = |mask: &libc::cpu_set_t| {
        // SAFETY: `mask` is a valid set of `size` bytes; pid 0 is the
        // calling thread.
        let done = unsafe { libc::sched_setaffinity(0, size, mask) };
        assert_eq!(
            done,
            0,
            "sched_setaffinity: {}",
            std::io::Error::last_os_error()
        );
    };
    set(&one);
    let out = f();
    set(&before);
    out
}

/// One value to an echo and back, `n` times, over
/// `corio::sync::shared::channel(1)`: the pinger is the main task of a
/// runtime on this thread, the echo the main task of a runtime on another.
pub fn corio_shared_ping_pong(n: u64) -> Duration {
    use corio::sync::shared::channel;
    on_one_cpu(|| {
        let (to_echo, from_pinger) = channel::<u64>(1);
        let (to_pinger, from_echo) = channel::<u64>(1);
        let echo = std::thread::spawn(move || {
            corio::run(move || {
                for value in from_pinger {
                    if to_pinger.send(value).is_err() {
                        break;
                    }
                }
            })
        });
        let elapsed = corio::run(move || {
            let start = Instant::now();
            for i in 0..n {
                to_echo.send(i).expect("echo alive");
                black_box(from_echo.recv().expect("echo alive"));
            }
            start.elapsed()
        });
        echo.join().expect("echo thread");
        elapsed
    })
}

/// [`corio_shared_ping_pong`] with tokio's `mpsc(1)`: the pinger is a
/// task of `rt` (a current_thread runtime on this thread), the echo a
/// task of a current_thread runtime on another thread.
pub fn tokio_mpsc_ping_pong(rt: &tokio::runtime::Runtime, n: u64) -> Duration {
    use tokio::sync::mpsc;
    on_one_cpu(|| {
        let (to_echo, mut from_pinger) = mpsc::channel::<u64>(1);
        let (to_pinger, mut from_echo) = mpsc::channel::<u64>(1);
        let echo = std::thread::spawn(move || {
            super::workloads::tokio_runtime().block_on(async move {
                tokio::spawn(async move {
                    while let Some(value) = from_pinger.recv().await {
                        if to_pinger.send(value).await.is_err() {
                            break;
                        }
                    }
                })
                .await
                .expect("echo task")
            })
        });
        let elapsed = rt.block_on(async move {
            tokio::spawn(async move {
                let start = Instant::now();
                for i in 0..n {
                    to_echo.send(i).await.expect("echo alive");
                    black_box(from_echo.recv().await.expect("echo alive"));
                }
                start.elapsed()
            })
            .await
            .expect("pinger task")
        });
        echo.join().expect("echo thread");
        elapsed
    })
}

/// The same ping-pong between two plain threads over
/// `std::sync::mpsc::sync_channel(1)`.
pub fn std_mpsc_ping_pong(n: u64) -> Duration {
    on_one_cpu(|| {
        let (to_echo, from_pinger) = mpsc::sync_channel::<u64>(1);
        let (to_pinger, from_echo) = mpsc::sync_channel::<u64>(1);
        let echo = std::thread::spawn(move || {
            for value in from_pinger {
                if to_pinger.send(value).is_err() {
                    break;
                }
            }
        });
        let start = Instant::now();
        for i in 0..n {
            to_echo.send(i).expect("echo alive");
            black_box(from_echo.recv().expect("echo alive"));
        }
        let elapsed = start.elapsed();
        drop(to_echo);
        echo.join().expect("echo thread");
        elapsed
    })
}
