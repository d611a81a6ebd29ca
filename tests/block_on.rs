//! `corio::block_on`: any `Future`, waited for from plain code; a task
//! parks between polls and is woken by the future's `Waker` from any
//! thread, and outside `run` the thread blocks.

mod util;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use util::ms;

#[test]
fn a_futures_oneshot_completed_from_a_thread_wakes_the_parked_task() {
    let (tx, rx) = futures::channel::oneshot::channel::<&str>();
    let ticks = Arc::new(AtomicUsize::new(0));
    let seen = ticks.clone();
    // The sender waits until the loop has ticked: proof that the waiting
    // task parked and did not block the thread.
    let sender = std::thread::spawn(move || {
        while seen.load(Ordering::SeqCst) < 3 {
            std::thread::sleep(ms(1));
        }
        tx.send("sent from a thread").unwrap();
    });
    let got = corio::run(|| {
        let t = ticks.clone();
        let ticker = corio::spawn(move || {
            for _ in 0..3 {
                corio::sleep(ms(1));
                t.fetch_add(1, Ordering::SeqCst);
            }
        });
        let got = corio::block_on(rx).unwrap();
        ticker.join().unwrap();
        got
    });
    assert_eq!(got, "sent from a thread");
    sender.join().unwrap();
}

#[test]
fn a_tokio_join_handle_from_a_multi_thread_runtime_is_awaited_from_a_task() {
    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .unwrap();
    let job = tokio_rt.spawn(async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        "tokio's answer"
    });
    let got = corio::run(|| corio::block_on(job).unwrap());
    assert_eq!(got, "tokio's answer");
}

/// Ready after waking itself `left` times: the shape of tokio's
/// `yield_now`, a future that polls again by asking to.
struct WakesItself {
    left: usize,
    polls: Rc<Cell<usize>>,
}

impl Future for WakesItself {
    type Output = usize;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        self.polls.set(self.polls.get() + 1);
        if self.left == 0 {
            return Poll::Ready(self.polls.get());
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn a_future_that_wakes_itself_many_times_completes_and_lets_others_run() {
    let wakes = util::scaled(100_000);
    let (polls, others) = corio::run(|| {
        let others = Rc::new(Cell::new(0usize));
        let o = others.clone();
        let stop = Rc::new(Cell::new(false));
        let s = stop.clone();
        let other = corio::spawn(move || {
            while !s.get() {
                o.set(o.get() + 1);
                corio::yield_now();
            }
        });
        let polls = corio::block_on(WakesItself {
            left: wakes,
            polls: Rc::new(Cell::new(0)),
        });
        stop.set(true);
        other.join().unwrap();
        (polls, others.get())
    });
    assert_eq!(polls, wakes + 1, "one poll per wake, and the last");
    // Each self-wake went behind the other ready task.
    assert!(others >= wakes, "the other task ran {others} times");
}

/// Never ready: hands its waker to whoever asks, and counts its drop.
struct Parked {
    wakers: mpsc::Sender<Waker>,
    dropped: Arc<AtomicBool>,
}

impl Future for Parked {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let _ = self.wakers.send(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_wake_from_a_thread_after_the_task_was_aborted_is_harmless() {
    let (wakers_tx, wakers_rx) = mpsc::channel::<Waker>();
    let dropped = Arc::new(AtomicBool::new(false));
    let d = dropped.clone();
    let kept = corio::run(move || {
        let task = corio::spawn(move || {
            corio::block_on(Parked {
                wakers: wakers_tx,
                dropped: d,
            })
        });
        corio::yield_now(); // it polls once and parks
        let waker = wakers_rx.recv().unwrap();
        task.abort();
        assert!(task.join().unwrap_err().is_cancelled());
        // The cancelled task dropped its future while unwinding.
        assert!(dropped.load(Ordering::SeqCst));
        // A thread wakes the dead task's waker, twice; the loop goes on.
        std::thread::spawn(move || {
            waker.wake_by_ref();
            waker.wake();
        })
        .join()
        .unwrap();
        corio::sleep(ms(2));
        corio::spawn(|| "the runtime still works").join().unwrap()
    });
    assert_eq!(kept, "the runtime still works");
}

/// Ready on its second poll; the first poll hands the waker to a thread
/// that calls it at once, often before the task has parked.
struct WokenRightAway {
    woken: bool,
}

impl Future for WokenRightAway {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.woken {
            return Poll::Ready(());
        }
        self.woken = true;
        let waker = cx.waker().clone();
        std::thread::spawn(move || waker.wake());
        Poll::Pending
    }
}

#[test]
fn a_wake_that_comes_before_the_park_is_not_lost() {
    let rounds = util::scaled(300);
    let done = corio::run(|| {
        for _ in 0..rounds {
            corio::block_on(WokenRightAway { woken: false });
        }
        rounds
    });
    assert_eq!(done, rounds);
}

#[test]
fn outside_run_block_on_blocks_the_thread_until_a_thread_completes_it() {
    let (tx, rx) = futures::channel::oneshot::channel::<u32>();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(ms(10));
        tx.send(9).unwrap();
    });
    assert_eq!(corio::block_on(rx).unwrap(), 9);
    assert_eq!(corio::block_on(async { 1 + 1 }), 2);
    sender.join().unwrap();
}

#[test]
fn many_tasks_block_on_futures_completed_by_one_thread() {
    let n = util::scaled(500);
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..n)
        .map(|_| futures::channel::oneshot::channel::<usize>())
        .unzip();
    let sender = std::thread::spawn(move || {
        for (i, tx) in txs.into_iter().enumerate().rev() {
            tx.send(i).unwrap();
        }
    });
    let sum = corio::run(move || {
        let tasks: Vec<_> = rxs
            .into_iter()
            .map(|rx| corio::spawn(move || corio::block_on(rx).unwrap()))
            .collect();
        tasks.into_iter().map(|t| t.join().unwrap()).sum::<usize>()
    });
    assert_eq!(sum, n * (n - 1) / 2);
    sender.join().unwrap();
}

#[test]
fn block_on_nested_inside_a_poll_does_not_lose_the_outer_wake() {
    // The outer future's poll itself calls block_on (a stackful oddity
    // nothing forbids); the outer wake arrives while the inner waits.
    let (outer_waker_tx, outer_waker_rx) = mpsc::channel::<Waker>();
    let (inner_tx, inner_rx) = futures::channel::oneshot::channel::<()>();
    let inner_rx = Mutex::new(Some(inner_rx));
    let outer_ready = Arc::new(AtomicBool::new(false));
    let ready = outer_ready.clone();
    let helper = std::thread::spawn(move || {
        let outer = outer_waker_rx.recv().unwrap();
        ready.store(true, Ordering::SeqCst);
        outer.wake(); // lands while the inner block_on is parked
        std::thread::sleep(ms(5));
        inner_tx.send(()).unwrap();
    });
    let mut outer_waker_tx = Some(outer_waker_tx);
    let polls = Rc::new(Cell::new(0));
    let p = polls.clone();
    let outer = std::future::poll_fn(move |cx| {
        p.set(p.get() + 1);
        if outer_ready.load(Ordering::SeqCst) {
            return Poll::Ready("outer done");
        }
        if let Some(tx) = outer_waker_tx.take() {
            tx.send(cx.waker().clone()).unwrap();
            let rx = inner_rx.lock().unwrap().take().unwrap();
            corio::block_on(rx).unwrap(); // parks inside the outer poll
        }
        Poll::Pending
    });
    assert_eq!(corio::run(|| corio::block_on(outer)), "outer done");
    assert!(polls.get() >= 2);
    helper.join().unwrap();
}

/// A generator whose body waits in `block_on` for `rx`, and whose future
/// yields the generator out of every poll that finds nothing: the wait is
/// left suspended in the middle of a `poll`.
fn suspended_waiter(
    mut rx: futures::channel::oneshot::Receiver<u8>,
) -> corio::Generator<(), (), u8> {
    corio::Generator::new(move |y: &corio::Yielder<(), ()>, ()| {
        corio::block_on(std::future::poll_fn(move |cx| {
            match Pin::new(&mut rx).poll(cx) {
                Poll::Ready(value) => Poll::Ready(value.unwrap()),
                Poll::Pending => {
                    y.yield_(());
                    Poll::Pending
                }
            }
        }))
    })
}

#[test]
fn waits_suspended_mid_poll_in_two_generators_each_see_their_wake() {
    use corio::GeneratorState::{Complete, Yielded};

    corio::run(|| {
        let (tx_a, rx_a) = futures::channel::oneshot::channel();
        let (tx_b, rx_b) = futures::channel::oneshot::channel();
        let mut a = suspended_waiter(rx_a);
        let mut b = suspended_waiter(rx_b);
        assert_eq!(a.resume(()), Yielded(()));
        tx_a.send(1).unwrap(); // wakes the task's waker, a's wait pending
        // b's wait starts and is left mid-poll too: it must not swallow
        // the wake a's wait has not looked at yet.
        assert_eq!(b.resume(()), Yielded(()));
        assert_eq!(a.resume(()), Complete(1));
        tx_b.send(2).unwrap();
        assert_eq!(b.resume(()), Complete(2));
    });
}
