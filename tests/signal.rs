//! `corio::signal` with real signals raised at this process.
//!
//! The test harness runs tests as threads of one process, and a signal
//! whose handler is not installed yet ends that process. So each test
//! uses signals of its own, makes its `Signals` before raising anything,
//! and `SIGINT` (`ctrl_c`) is tested in a child process only.

mod util;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use corio::signal::Signals;

/// Sends `signal` to this process (any thread may run the handler).
fn raise(signal: i32) {
    // SAFETY: kill(2) with our own pid and a signal whose handler the
    // caller has installed (by making a `Signals` for it first).
    assert_eq!(unsafe { libc::kill(libc::getpid(), signal) }, 0);
}

fn rt(n: i32) -> i32 {
    libc::SIGRTMIN() + n
}

#[test]
fn a_task_parks_until_its_signal_comes() {
    let mut signals = Signals::new([libc::SIGUSR1]).unwrap();
    assert_eq!(signals.try_recv(), None);
    let (got, ticks) = corio::run(move || {
        let ticker = corio::spawn(|| {
            for _ in 0..3 {
                corio::yield_now();
            }
            raise(libc::SIGUSR1); // from a task of the same runtime
            "ticked"
        });
        let got = signals.recv(); // parks: the ticker runs
        (got, ticker.join().unwrap())
    });
    assert_eq!((got, ticks), (Some(libc::SIGUSR1), "ticked"));
}

#[test]
fn every_waiter_in_every_runtime_and_thread_sees_each_signal() {
    const WAITERS: usize = 4;
    let ready = Arc::new(Barrier::new(WAITERS + 1));
    let mut threads = Vec::new();
    for n in 0..WAITERS {
        let ready = Arc::clone(&ready);
        threads.push(std::thread::spawn(move || {
            let mut signals = Signals::new([libc::SIGUSR2]).unwrap();
            let mut second = Signals::new([libc::SIGUSR2]).unwrap();
            ready.wait();
            if n % 2 == 0 {
                // A runtime of its own, with two receivers in two tasks.
                corio::run(move || {
                    let other = corio::spawn(move || second.recv());
                    (signals.recv(), other.join().unwrap())
                })
            } else {
                // A plain thread: it blocks.
                (signals.recv(), second.recv())
            }
        }));
    }
    ready.wait(); // every receiver exists: the signal reaches each
    raise(libc::SIGUSR2);
    for thread in threads {
        let got = thread.join().unwrap();
        assert_eq!(got, (Some(libc::SIGUSR2), Some(libc::SIGUSR2)));
    }
}

#[test]
fn each_delivery_is_received_once_and_the_iterator_yields_them() {
    let mut signals = Signals::new([libc::SIGHUP, libc::SIGWINCH]).unwrap();
    raise(libc::SIGHUP);
    raise(libc::SIGWINCH);
    let mut got: Vec<i32> = corio::run(|| (&mut signals).take(2).collect());
    got.sort();
    let mut want = vec![libc::SIGHUP, libc::SIGWINCH];
    want.sort();
    assert_eq!(got, want);
    // Each was raised once: nothing more is pending, ever.
    assert_eq!(signals.try_recv(), None);
    // The same signal again, after it was received: a new delivery.
    raise(libc::SIGHUP);
    assert_eq!(signals.recv(), Some(libc::SIGHUP)); // outside run: blocks
}

#[test]
fn a_delivery_waits_for_the_next_recv_but_not_for_later_receivers() {
    let mut early = Signals::new([libc::SIGURG]).unwrap();
    raise(libc::SIGURG); // nobody is in recv now
    // Once `early` has it, the dispatcher has counted it.
    assert_eq!(corio::run(|| early.recv()), Some(libc::SIGURG));
    let mut late = Signals::new([libc::SIGURG]).unwrap();
    assert_eq!(late.try_recv(), None, "made after the delivery: not seen");
    assert_eq!(early.try_recv(), None);
}

#[test]
fn a_waiting_task_is_no_deadlock_and_a_thread_may_signal() {
    let mut signals = Signals::new([rt(2)]).unwrap();
    let got = corio::run(move || {
        // The only task parks; the loop must sleep until the thread's
        // signal, not report a deadlock.
        let thread = std::thread::spawn(|| {
            std::thread::sleep(Duration::from_millis(20));
            raise(rt(2));
        });
        let got = signals.recv();
        thread.join().unwrap();
        got
    });
    assert_eq!(got, Some(rt(2)));
}

#[test]
fn a_cancelled_or_timed_out_wait_loses_nothing() {
    let mut kept = Signals::new([rt(3)]).unwrap();
    let outcome = corio::run(|| {
        let mut aborted = Signals::new([rt(3)]).unwrap();
        let waiter = corio::spawn(move || aborted.recv());
        corio::yield_now(); // it parks in recv
        waiter.abort();
        let cancelled = waiter.join().unwrap_err().is_cancelled();
        let timed_out = corio::timeout(Duration::from_millis(5), || kept.recv()).is_err();
        raise(rt(3)); // after both waits gave up
        (cancelled, timed_out, kept.recv())
    });
    assert_eq!(outcome, (true, true, Some(rt(3))));
}

static CHAINED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_chained(_: libc::c_int) {
    CHAINED.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn a_handler_installed_before_is_chained_not_replaced() {
    let signal = rt(1);
    // SAFETY: a zeroed sigaction is a valid "no flags, empty mask"
    // value; its handler field is then set to a function of the right
    // type that only touches an atomic (async-signal-safe).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = count_chained as extern "C" fn(libc::c_int) as libc::sighandler_t;
        assert_eq!(libc::sigaction(signal, &action, std::ptr::null_mut()), 0);
    }
    let mut signals = Signals::new([signal]).unwrap();
    raise(signal);
    assert_eq!(corio::run(|| signals.recv()), Some(signal));
    assert_eq!(CHAINED.load(Ordering::SeqCst), 1, "the old handler ran too");
}

#[test]
fn signals_that_cannot_be_waited_for_are_refused() {
    for signal in [
        0,
        -1,
        1000,
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGILL,
        libc::SIGFPE,
    ] {
        let refused = Signals::new([signal]).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput, "{signal}");
    }
    let empty = Signals::new([]).unwrap_err();
    assert_eq!(empty.kind(), std::io::ErrorKind::InvalidInput);
    let debug = format!("{:?}", Signals::new([rt(4), libc::SIGUSR1]).unwrap());
    assert!(
        debug.contains(&format!("[{}, {}]", libc::SIGUSR1, rt(4))),
        "{debug}"
    );
}

#[test]
fn ctrl_c_returns_on_sigint_in_a_task_and_outside_run() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = util::process::scenario("ctrl_c_in_a_task_and_outside_run")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the child");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n", "the child's first line");
    let pid = child.id() as libc::pid_t;
    // Each ctrl_c counts a SIGINT sent after it was called, which the
    // test cannot see: it keeps sending until the child is done. The
    // limit is the harness's guard against a hang, not a timed assertion.
    let limit = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < limit, "the child still runs after 60 s");
        // SAFETY: kill(2) on our own child, which installed its handler
        // before saying "ready" (and has not been waited for yet).
        unsafe { libc::kill(pid, libc::SIGINT) };
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(status.signal(), None, "killed by a signal: {status:?}");
    assert!(status.success(), "{status:?}");
    assert_eq!(
        rest.lines().collect::<Vec<_>>(),
        [
            "in a task: (Ok(()), \"another task ran meanwhile\")",
            "outside run: Ok(())"
        ]
    );
}
