//! Virtual time (`Builder::virtual_time`, `corio::test::run`,
//! `corio::time::now`): the clock jumps to the next timer when every task
//! is parked on time alone, and a wait on anything outside the runtime
//! stops the jump.
//!
//! The "stops the jump" tests all have the same shape: one task sleeps an
//! hour of virtual time while another waits for something a thread (or
//! the kernel, or a child process) does after a short real delay. With
//! the rule right, the sleeper cannot finish first: the hour could only
//! pass by really waiting it. A clock that jumps whenever every task is
//! parked (tokio's `time::pause` auto-advance) jumps the hour as soon as
//! both tasks are parked, so the sleeper finishes first and the log comes
//! out in the other order: each of those tests fails for it. The order
//! is seen through events; no assertion bounds a wall-clock time from
//! above except "an hour of virtual sleep finishes in less than an hour".

mod util;

use std::cell::RefCell;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use corio::sync::{Event, Mutex, Semaphore, channel};
use util::expect_panic;
use util::output::mask_numbers;
use util::process::{run_scenario, stderr_text, stdout_text};

/// The virtual sleep the outside waits race against.
const HOUR: Duration = Duration::from_secs(3600);

/// How long the thread (or child) on the other side takes before it acts:
/// long enough for the loop to have parked every task by then.
const OUTSIDE_DELAY: Duration = Duration::from_millis(100);

/// Under virtual time, runs a task that sleeps [`HOUR`] beside a task that
/// calls `outside_wait`, and returns the order in which they finished and
/// the virtual time the pair took.
fn sleep_beside(outside_wait: impl FnOnce()) -> (Vec<&'static str>, Duration) {
    corio::test::run(|| {
        let log = RefCell::new(Vec::new());
        let start = corio::time::now();
        corio::join(
            || {
                corio::sleep(HOUR);
                log.borrow_mut().push("slept");
            },
            || {
                outside_wait();
                log.borrow_mut().push("outside event");
            },
        );
        (log.into_inner(), corio::time::now() - start)
    })
}

/// The outside event came first; then the clock jumped to the sleeper's
/// deadline, exactly an hour after the start.
fn assert_outside_first((log, took): (Vec<&'static str>, Duration)) {
    assert_eq!(log, ["outside event", "slept"]);
    assert_eq!(took, HOUR);
}

// ---- the jump itself ------------------------------------------------------

#[test]
fn sleeps_jump_and_the_clock_reads_exactly_what_was_slept() {
    let real_start = Instant::now();
    let (took, order) = corio::test::run(|| {
        let start = corio::time::now();
        let log = RefCell::new(Vec::new());
        corio::gather(vec![
            Box::new(|| {
                corio::sleep(Duration::from_secs(3));
                log.borrow_mut().push(("c", corio::time::now() - start));
            }) as Box<dyn FnOnce()>,
            Box::new(|| {
                corio::sleep(Duration::from_secs(1));
                log.borrow_mut().push(("a", corio::time::now() - start));
                corio::sleep(HOUR);
                log.borrow_mut().push(("d", corio::time::now() - start));
            }),
            Box::new(|| {
                corio::sleep_until(start + Duration::from_secs(2));
                log.borrow_mut().push(("b", corio::time::now() - start));
            }),
        ]);
        (corio::time::now() - start, log.into_inner())
    });
    let secs = Duration::from_secs;
    assert_eq!(
        order,
        [
            ("a", secs(1)),
            ("b", secs(2)),
            ("c", secs(3)),
            ("d", secs(1) + HOUR)
        ]
    );
    assert_eq!(took, secs(1) + HOUR);
    // `Instant::now()` is not virtual: it read the real time, which did
    // not wait an hour.
    assert!(real_start.elapsed() < HOUR);
}

#[test]
fn timeout_expires_on_the_virtual_clock() {
    let (result, took) = corio::test::run(|| {
        let start = corio::time::now();
        let result = corio::timeout(Duration::from_secs(30), || {
            corio::sleep(Duration::from_secs(60));
        });
        (result, corio::time::now() - start)
    });
    assert!(result.is_err());
    assert_eq!(took, Duration::from_secs(30));
}

#[test]
fn waits_between_local_tasks_do_not_stop_the_jump() {
    // Every task here waits on another task of the runtime, or on time:
    // the clock still jumps, and each hand-over happens at its virtual
    // instant.
    let stamps = corio::test::run(|| {
        let start = corio::time::now();
        let at = || corio::time::now() - start;
        let (tx, rx) = channel(1);
        let mutex = Mutex::new(0);
        let permits = Semaphore::new(1);
        let event = Event::new();
        let producer = corio::spawn(move || {
            corio::sleep(Duration::from_secs(10));
            tx.send(1).unwrap();
        });
        let stamps = RefCell::new(Vec::new());
        corio::scope(|s| {
            s.spawn(|| {
                let _guard = mutex.lock();
                let _permit = permits.acquire();
                corio::sleep(Duration::from_secs(5));
                event.set();
            });
            s.spawn(|| {
                event.wait();
                stamps.borrow_mut().push(("event", at()));
                *mutex.lock() += 1;
                stamps.borrow_mut().push(("mutex", at()));
                drop(permits.acquire());
                stamps.borrow_mut().push(("permit", at()));
            });
            s.spawn(|| {
                let value = rx.recv();
                stamps.borrow_mut().push(("channel", at()));
                assert_eq!(value, Some(1));
            });
        });
        producer.join().unwrap();
        stamps.borrow_mut().push(("joined", at()));
        stamps.into_inner()
    });
    let secs = Duration::from_secs;
    assert_eq!(
        stamps,
        [
            ("event", secs(5)),
            ("mutex", secs(5)),
            ("permit", secs(5)),
            ("channel", secs(10)),
            ("joined", secs(10)),
        ]
    );
}

#[test]
fn a_deadlock_is_still_reported_under_virtual_time() {
    // A sleeper first: the clock jumps past it; then only a wait nobody
    // can end is left, and that is the deadlock panic, as without
    // virtual time.
    let message = expect_panic(|| {
        corio::test::run(|| {
            corio::sleep(HOUR);
            Event::new().wait();
        })
    });
    assert!(message.starts_with("corio: deadlock:"), "{message}");
}

#[test]
fn each_runtime_of_builder_run_has_its_own_virtual_clock() {
    let took = corio::Builder::new().threads(2).virtual_time(true).run(|| {
        let start = corio::time::now();
        corio::sleep(HOUR * (corio::thread_index() as u32 + 1));
        corio::time::now() - start
    });
    assert_eq!(took, [HOUR, HOUR * 2]);
}

#[test]
fn without_virtual_time_the_clock_is_the_real_one() {
    let before = Instant::now();
    let (inside, slept) = corio::Builder::new().virtual_time(false).run_local(|| {
        let inside = corio::time::now();
        corio::sleep(Duration::from_millis(20));
        (inside, corio::time::now() - inside)
    });
    assert!(before <= inside && inside <= Instant::now());
    assert!(slept >= Duration::from_millis(20), "{slept:?}");
    // Outside any runtime too.
    let outside = corio::time::now();
    assert!(inside <= outside && outside <= Instant::now());
}

// ---- socket timeouts on the virtual clock ---------------------------------

#[test]
fn a_read_timeout_after_a_jump_is_measured_on_the_virtual_clock() {
    // The read deadline is an instant of the virtual clock, an hour ahead
    // of the real one by then. Checked against `Instant::now()`, the
    // deadline would never be seen to pass (the read would wait again
    // each time its timer fired, and this test would hang); set from
    // `Instant::now()`, it would be an hour in the virtual past and the
    // read would fail before waiting at all. Here the read waits on a silent peer
    // (an outside wait: no jump) and gives up once its timeout has passed,
    // on the virtual clock, which ran at real speed meanwhile.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut rest = Vec::new();
        let _ = conn.read_to_end(&mut rest); // silent until the client goes
    });
    let (error, waited) = corio::test::run(|| {
        corio::sleep(HOUR);
        let mut stream = corio::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let before = corio::time::now();
        let error = stream.read(&mut [0; 8]).unwrap_err();
        (error.kind(), corio::time::now() - before)
    });
    assert_eq!(error, std::io::ErrorKind::TimedOut);
    assert!(waited >= Duration::from_millis(50), "{waited:?}");
    peer.join().unwrap();
}

// ---- waits on the outside world stop the jump -----------------------------

#[test]
fn socket_io_stops_the_jump() {
    // A jump-when-all-parked clock would finish the hour while the read
    // waits for the peer thread, which answers only after a real delay.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        std::thread::sleep(OUTSIDE_DELAY);
        conn.write_all(b"hi").unwrap();
    });
    assert_outside_first(sleep_beside(|| {
        let mut stream = corio::net::TcpStream::connect(addr).unwrap();
        let mut answer = [0; 2];
        stream.read_exact(&mut answer).unwrap();
        assert_eq!(&answer, b"hi");
    }));
    peer.join().unwrap();
}

#[test]
fn unblock_stops_the_jump() {
    // A jump-when-all-parked clock would finish the hour while the pool
    // thread is still in its real sleep.
    assert_outside_first(sleep_beside(|| {
        corio::unblock(|| std::thread::sleep(OUTSIDE_DELAY));
    }));
}

#[test]
fn a_shared_channel_fed_from_a_thread_stops_the_jump() {
    // A jump-when-all-parked clock would finish the hour while `recv`
    // waits for the thread's send.
    let (tx, rx) = corio::sync::shared::channel(1);
    let feeder = std::thread::spawn(move || {
        std::thread::sleep(OUTSIDE_DELAY);
        tx.send(7).unwrap();
    });
    assert_outside_first(sleep_beside(|| assert_eq!(rx.recv(), Some(7))));
    feeder.join().unwrap();
}

#[test]
fn block_on_a_future_woken_from_a_thread_stops_the_jump() {
    // A jump-when-all-parked clock would finish the hour while `block_on`
    // waits for the thread's wake.
    let done = Arc::new(AtomicBool::new(false));
    let (waker_tx, waker_rx) = std::sync::mpsc::channel::<Waker>();
    let flag = done.clone();
    let waker_thread = std::thread::spawn(move || {
        let waker = waker_rx.recv().unwrap();
        std::thread::sleep(OUTSIDE_DELAY);
        flag.store(true, Ordering::Release);
        waker.wake();
    });
    let mut waker_tx = Some(waker_tx);
    let future = std::future::poll_fn(move |cx| {
        if done.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        if let Some(tx) = waker_tx.take() {
            tx.send(cx.waker().clone()).unwrap();
        }
        Poll::Pending
    });
    assert_outside_first(sleep_beside(|| corio::block_on(future)));
    waker_thread.join().unwrap();
}

#[test]
fn a_child_process_stops_the_jump() {
    // A jump-when-all-parked clock would finish the hour while `wait`
    // waits for the child's real sleep to end.
    assert_outside_first(sleep_beside(|| {
        let status = corio::process::Command::new("sleep")
            .arg("0.1")
            .status()
            .unwrap();
        assert!(status.success());
    }));
}

#[test]
fn a_signal_stops_the_jump() {
    // A jump-when-all-parked clock would finish the hour while `recv`
    // waits for the signal the thread raises. Only this test of this
    // binary uses SIGUSR1; its handler is installed (by `Signals::new`)
    // before anything raises it.
    let mut signals = corio::signal::Signals::new([libc::SIGUSR1]).unwrap();
    let raiser = std::thread::spawn(|| {
        std::thread::sleep(OUTSIDE_DELAY);
        // SAFETY: kill(2) on our own process, with a signal whose handler
        // is installed above.
        assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) }, 0);
    });
    assert_outside_first(sleep_beside(|| {
        assert_eq!(signals.recv(), Some(libc::SIGUSR1));
    }));
    raiser.join().unwrap();
}

// ---- the example programs, on the virtual clock -----------------------------

/// Runs example `name`'s body on the virtual clock (the `virtual_<name>`
/// scenario of `test_child`, which includes the example's own file): its
/// stdout lines, and the virtual time it reports on stderr.
fn run_virtually(name: &str) -> (Vec<String>, String) {
    let out = run_scenario(&format!("virtual_{name}"));
    let (stdout, stderr) = (stdout_text(&out), stderr_text(&out));
    assert!(
        out.status.success(),
        "{name}: {}\n{stdout}\n{stderr}",
        out.status
    );
    let took = stderr
        .lines()
        .find_map(|l| l.strip_prefix("virtual time: "))
        .unwrap_or_else(|| panic!("{name}: no virtual time on stderr:\n{stderr}"))
        .to_owned();
    (stdout.lines().map(str::to_owned).collect(), took)
}

#[test]
fn the_coffee_shop_serves_everyone_in_two_virtual_seconds() {
    let (lines, took) = run_virtually("coffee_shop");
    // The lines its real run (and its tokio and Python twins) prints.
    assert_eq!(
        lines,
        [
            "Alice ordered coffee",
            "Bob ordered coffee",
            "Charlie ordered coffee",
            "Alice's coffee is ready",
            "Bob's coffee is ready",
            "Charlie's coffee is ready",
            "served 3 customers in 2 s",
        ]
    );
    // Exactly the brew time: the clock jumped (a real one is never exact).
    assert_eq!(took, "2s");
}

#[test]
fn say_after_takes_three_then_two_virtual_seconds() {
    let (lines, took) = run_virtually("say_after");
    // The time-of-day lines read `SystemTime`, which is not virtual: only
    // their shape is checked; every other line exactly.
    let expected = [
        "-- one after the other --",
        "started at 00:00:00 UTC",
        "hello",
        "world",
        "finished at 00:00:00 UTC",
        "took 3 s",
        "-- concurrently --",
        "started at 00:00:00 UTC",
        "hello",
        "world",
        "finished at 00:00:00 UTC",
        "took 2 s",
    ];
    assert_eq!(lines.len(), expected.len(), "{lines:#?}");
    for (line, wanted) in lines.iter().zip(expected) {
        if wanted.ends_with(" UTC") {
            assert_eq!(mask_numbers(line), mask_numbers(wanted), "{lines:#?}");
        } else {
            assert_eq!(line, wanted, "{lines:#?}");
        }
    }
    assert_eq!(took, "5s");
}

#[test]
fn the_resource_manager_takes_four_then_three_virtual_seconds() {
    let (lines, took) = run_virtually("resource_manager");
    let mut expected = vec!["-- part 1: five tasks at once --".to_owned()];
    for id in 0..5 {
        expected.push(format!("Acquired resource {id}"));
        expected.push(format!("Using resource {id}"));
    }
    for id in 0..5 {
        // Printed by `release`, then again by the task (as in asyncio's).
        expected.push(format!("Released resource {id}"));
        expected.push(format!("Released resource {id}"));
    }
    expected.push("part 1 took 4 s".to_owned());
    expected.extend(
        [
            "-- part 2: at most two holders --",
            "task 0 got a permit",
            "task 1 got a permit",
            "task 2 waits for a permit",
            "Acquired resource 0",
            "Using resource 0",
            "task 3 waits for a permit",
            "Acquired resource 1",
            "Using resource 1",
            "task 4 waits for a permit",
            "Released resource 0",
            "Released resource 0",
            "task 0 gave its permit back",
            "task 2 got a permit",
            "Released resource 1",
            "Released resource 1",
            "task 1 gave its permit back",
            "task 3 got a permit",
            "Acquired resource 2",
            "Using resource 2",
            "Acquired resource 3",
            "Using resource 3",
            "Released resource 2",
            "Released resource 2",
            "task 2 gave its permit back",
            "task 4 got a permit",
            "Released resource 3",
            "Released resource 3",
            "task 3 gave its permit back",
            "Acquired resource 4",
            "Using resource 4",
            "Released resource 4",
            "Released resource 4",
            "task 4 gave its permit back",
            "part 2 took 3 s",
        ]
        .map(str::to_owned),
    );
    assert_eq!(lines, expected);
    assert_eq!(took, "7s");
}

#[test]
fn test_run_inside_a_runtime_panics_as_run_does() {
    let message = expect_panic(|| corio::run(|| corio::test::run(|| ())));
    assert!(
        message.contains("corio::run called inside corio::run"),
        "{message}"
    );
}

#[test]
fn a_dump_shows_the_virtual_time_left_on_a_timer() {
    corio::test::run(|| {
        let napper = corio::spawn(|| corio::sleep(HOUR));
        corio::sleep(Duration::from_secs(60)); // the clock jumps a minute
        let dump = corio::dump();
        let task = dump.task(napper.id()).unwrap();
        let Some(corio::debug::WaitsOn::Timer { deadline }) = task.waits_on() else {
            panic!("not on a timer: {:?}", task.waits_on());
        };
        // Due in the virtual time left, on the real clock of the dump.
        let left = deadline.saturating_duration_since(dump.taken_at());
        assert_eq!(left, HOUR - Duration::from_secs(60));
        napper.abort();
    });
}

#[test]
fn timers_fire_by_deadline_then_first_come_among_many_cancelled_ones() {
    // 300 sleepers on 7 distinct deadlines, spawned in a scrambled order,
    // while a churner sets and cancels many thousands of `timeout`s (each
    // body finishes at once, so its timer is cancelled, never fired): the
    // cancelled timers' leftovers are thrown away on the way (by the
    // heap's rebuilds, which this many trigger), and the sleepers wake
    // sorted by deadline, ties in the order they went to sleep.
    let sleepers = 300;
    let churn = util::scaled(50_000);
    let (woke, expected) = corio::test::run(move || {
        let woke = std::rc::Rc::new(RefCell::new(Vec::new()));
        let mut expected = Vec::new();
        for i in 0..sleepers {
            let millis = ((i * 37) % 7) as u64 * 10 + 10;
            expected.push((millis, i));
            let woke = std::rc::Rc::clone(&woke);
            corio::spawn(move || {
                corio::sleep(Duration::from_millis(millis));
                woke.borrow_mut().push((millis, i));
            });
        }
        let churner = corio::spawn(move || {
            for n in 0..churn {
                let limit = Duration::from_millis(5 + (n % 90) as u64);
                assert_eq!(corio::timeout(limit, || n), Ok(n));
                if n % 1000 == 0 {
                    corio::yield_now(); // the sleepers went to sleep first
                }
            }
        });
        churner.join().unwrap();
        corio::sleep(Duration::from_millis(200));
        expected.sort();
        (
            std::rc::Rc::try_unwrap(woke).unwrap().into_inner(),
            expected,
        )
    });
    assert_eq!(woke.len(), sleepers);
    assert!(woke == expected, "wake order: {woke:?}");
}
