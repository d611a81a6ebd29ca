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
