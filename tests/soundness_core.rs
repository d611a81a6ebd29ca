//! Regression tests for the soundness defects the runtime core was
//! reshaped to rule out: yielders used off their generator's stack,
//! scoped outputs outliving their borrows, registrations that outlive
//! their waits, and deadlines that fire in the wrong frames. Scenarios
//! that crashed or hung before run in a child process, with a generous
//! wall-clock kill as the harness's limit (not as a timed assertion).

mod util;

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::Duration;

use corio::{Generator, GeneratorState};
use util::ms;

/// Runs `scenario` of `test_child` in a limited child; see
/// [`util::limited`].
fn run_child_limited(scenario: &str) -> util::limited::Ended {
    util::limited::run_limited(scenario)
}

/// Runs `scenario` in a child and expects it to exit 0 after reporting
/// `expected`.
fn child_succeeds_with(scenario: &str, expected: &str) {
    let ended = run_child_limited(scenario);
    assert!(
        ended.expect_success().contains(&expected),
        "scenario {scenario}: no report {expected:?}: {ended:#?}"
    );
}

/// Runs `scenario` in a child and expects `run` to panic with `message`.
fn child_panics_with(scenario: &str, message: &str) {
    let ended = run_child_limited(scenario);
    assert_eq!(
        ended.code,
        Some(101),
        "scenario {scenario} should panic: {ended:#?}"
    );
    assert!(
        ended.stderr.contains(message),
        "scenario {scenario}: no {message:?} in stderr: {ended:#?}"
    );
}

const OFF_STACK: &str = "corio: Yielder::yield_ called off its generator's stack";

/// Runs `scenario`, which misuses a `Yielder` off its stack, and returns
/// its reports after checking the misuse was refused with the message.
fn refused_off_stack(scenario: &str) -> Vec<String> {
    let ended = run_child_limited(scenario);
    let lines: Vec<String> = ended
        .expect_success()
        .into_iter()
        .map(String::from)
        .collect();
    assert!(lines.iter().any(|l| l.starts_with(OFF_STACK)), "{ended:#?}");
    lines
}

#[test]
fn a_yielder_used_by_a_join_child_is_refused() {
    let lines = refused_off_stack("yield_from_join_child");
    // The panic unwound the generator's body: it is complete, not stuck.
    assert!(lines.iter().any(|l| l == "status Complete"), "{lines:?}");
}

#[test]
fn a_yielder_used_by_gather_children_after_sleeping_is_refused() {
    refused_off_stack("yield_from_gather_after_sleep");
}

#[test]
fn a_yielder_used_by_a_scope_child_is_refused() {
    refused_off_stack("yield_from_scope_child");
}

#[test]
fn a_yielder_still_works_on_its_own_stack_inside_a_task_and_a_join() {
    let got = corio::run(|| {
        let mut g = Generator::<(), i32, ()>::new(|y, ()| {
            // The children compute; the body yields what they returned.
            let (a, b) = corio::join(
                || {
                    corio::sleep(ms(1));
                    1
                },
                || 2,
            );
            y.yield_(a);
            y.yield_(b);
        });
        g.by_ref().collect::<Vec<_>>()
    });
    assert_eq!(got, [1, 2]);
}

#[test]
fn a_scoped_output_is_dropped_before_the_scope_returns() {
    child_succeeds_with(
        "scoped_output_after_timeout",
        "dropped borrowed, scope returned",
    );
}

#[test]
fn a_finished_race_losers_output_is_dropped_before_race_returns() {
    child_succeeds_with(
        "race_loser_output",
        "dropped loser, race returned 0, dropped winner",
    );
}

#[test]
fn a_long_lived_scope_frees_children_nobody_can_join() {
    let dropped = Rc::new(Cell::new(0usize));
    let (inside, total) = corio::run(|| {
        corio::scope(|s| {
            for _ in 0..5_000 {
                let d = util::DropCounter::new(&dropped);
                s.spawn(move || d); // the handle is dropped at once
                corio::yield_now(); // the child finishes
            }
            (dropped.get(), 5_000)
        })
    });
    assert_eq!(dropped.get(), total, "all outputs dropped by the end");
    assert!(
        inside >= total / 2,
        "only {inside} of {total} finished, unreachable children were freed while the scope ran"
    );
}

/// What `run` says when nothing can ever wake its main task.
const DEADLOCK: &str = "corio: deadlock: the main task is parked and no task can ever wake \
                        (nothing is ready, no timer is pending, no task waits for I/O)";

#[test]
fn a_finished_timeout_leaves_no_timer_so_a_deadlock_is_reported() {
    child_panics_with("event_wait_after_long_timeout", DEADLOCK);
}

#[test]
fn a_timed_out_read_leaves_no_io_waiter_so_a_deadlock_is_reported() {
    child_panics_with("deadlock_after_timed_out_read", DEADLOCK);
}

#[test]
fn a_timeout_inside_a_generator_never_unwinds_its_resumer() {
    let ended = run_child_limited("timeout_in_generator_spares_resumer");
    assert_eq!(
        ended.expect_success(),
        ["resumer slept undisturbed", "inside: Err(Elapsed(()))"]
    );
}

#[test]
fn a_timeout_set_by_a_task_still_interrupts_a_generator_it_resumes() {
    let outcome = corio::run(|| {
        let mut g = Generator::<(), (), ()>::new(|_, ()| corio::sleep(Duration::from_secs(3600)));
        corio::timeout(ms(10), move || g.resume(()))
    });
    assert!(outcome.is_err(), "the task's own deadline reaches into g");
}

#[test]
fn nested_timeouts_across_a_generator_boundary_unwind_to_the_outermost_expired() {
    let result = corio::run(|| {
        corio::timeout(ms(10), || {
            let mut g = Generator::<(), (), String>::new(|_, ()| {
                // The inner limit is far away; the outer one fires.
                let inner = corio::timeout(Duration::from_secs(3600), || {
                    corio::sleep(Duration::from_secs(3600))
                });
                format!("{inner:?}")
            });
            g.resume(())
        })
    });
    assert!(result.is_err(), "got {result:?}");
}

#[test]
fn a_cancelled_payload_is_public_and_says_which_task_and_why() {
    let text = corio::run(|| {
        let h = corio::spawn(|| {
            let caught = std::panic::catch_unwind(|| corio::sleep(Duration::from_secs(60)));
            let payload = caught.expect_err("the abort unwinds the sleep");
            let text = payload
                .downcast_ref::<corio::Cancelled>()
                .map(|c| (c.task_id(), c.to_string()));
            std::panic::resume_unwind(Box::new(text));
        });
        corio::yield_now();
        let id = h.id();
        h.abort();
        match h.join() {
            Err(corio::JoinError::Panicked(p)) => {
                let (task, text) = p
                    .downcast::<Option<(u64, String)>>()
                    .expect("our own payload")
                    .expect("the payload was corio::Cancelled");
                assert_eq!(task, id);
                text
            }
            other => panic!("unexpected {other:?}"),
        }
    });
    assert!(
        text.contains("was cancelled") && text.contains("aborted"),
        "{text}"
    );
}

#[test]
fn bodies_capturing_more_than_a_kib_run_everywhere() {
    let big = [7u8; 4096];
    let mut g = Generator::<(), u64, u64>::new(move |y, ()| {
        y.yield_(big.iter().map(|&b| u64::from(b)).sum());
        big.len() as u64
    });
    assert_eq!(g.resume(()), GeneratorState::Yielded(7 * 4096));
    assert_eq!(g.resume(()), GeneratorState::Complete(4096));
    let sums = corio::run(move || {
        let spawned = corio::spawn(move || big.iter().map(|&b| u32::from(b)).sum::<u32>());
        let local = [1u8; 4096];
        let scoped = corio::scope(|s| {
            s.spawn(move || local.iter().map(|&b| u32::from(b)).sum::<u32>())
                .join()
                .unwrap()
        });
        (spawned.join().unwrap(), scoped, big.len())
    });
    assert_eq!(sums, (7 * 4096, 4096, 4096));
}

#[test]
fn a_socket_moved_to_another_runtime_and_back_keeps_working() {
    let (to_b, at_b) = std::sync::mpsc::channel::<corio::net::TcpStream>();
    let (to_a, at_a) = std::sync::mpsc::channel::<(corio::net::TcpStream, u8)>();
    // The peer writes each byte only once the reader of that byte has had
    // time to park on it, so each runtime registers the socket.
    let (signal_peer, peer_signals) = std::sync::mpsc::channel::<()>();
    let signal_from_b = signal_peer.clone();
    let runtime_b = std::thread::spawn(move || {
        let mut stream = at_b.recv().expect("the stream arrives");
        signal_from_b.send(()).unwrap();
        let byte = corio::run(move || {
            let mut b = [0u8; 1];
            stream.read_exact(&mut b).expect("read in runtime B");
            (stream, b[0])
        });
        to_a.send(byte).expect("send back");
    });
    let bytes = corio::run(|| {
        let (listener, addr) = util::local_listener();
        let peer = std::thread::spawn(move || {
            let mut p = std::net::TcpStream::connect(addr).expect("connect");
            for byte in [b'1', b'2', b'3'] {
                peer_signals.recv().expect("a reader is about to park");
                std::thread::sleep(ms(50));
                p.write_all(&[byte]).expect("write");
            }
            let mut rest = Vec::new();
            let _ = p.read_to_end(&mut rest); // until the other side closes
        });
        let (mut stream, _) = listener.accept().expect("accept");
        let mut b = [0u8; 1];
        signal_peer.send(()).unwrap();
        stream.read_exact(&mut b).expect("first read in runtime A");
        let first = b[0];
        to_b.send(stream).expect("hand over to B");
        let (mut stream, second) = at_a.recv().expect("B hands it back");
        signal_peer.send(()).unwrap();
        stream
            .read_exact(&mut b)
            .expect("third read, back in runtime A");
        drop(stream);
        peer.join().expect("peer thread");
        [first, second, b[0]]
    });
    runtime_b.join().expect("runtime B");
    assert_eq!(&bytes, b"123");
}

#[test]
fn nested_generators_park_their_task_and_follow_it_between_tasks() {
    use std::cell::RefCell;
    let got = corio::run(|| {
        // An outer generator resuming an inner one that sleeps: the sleep
        // parks whichever task is resuming the pair.
        let outer = Rc::new(RefCell::new(Generator::<(), u32, ()>::new(|y, ()| {
            let mut inner = Generator::<(), u32, ()>::new(|y, ()| {
                for n in 0..4 {
                    corio::sleep(ms(1));
                    y.yield_(n);
                }
            });
            while let GeneratorState::Yielded(n) = inner.resume(()) {
                corio::yield_now();
                y.yield_(n * 10);
            }
        })));
        let mut seen = Vec::new();
        for _ in 0..2 {
            let g = Rc::clone(&outer);
            // Each resume happens in a different task.
            let h = corio::spawn(move || match g.borrow_mut().resume(()) {
                GeneratorState::Yielded(n) => n,
                GeneratorState::Complete(()) => u32::MAX,
            });
            seen.push(h.join().unwrap());
            if let GeneratorState::Yielded(n) = outer.borrow_mut().resume(()) {
                seen.push(n);
            }
        }
        seen
    });
    assert_eq!(got, [0, 10, 20, 30]);
}

#[test]
fn a_childs_result_that_spawns_into_the_scope_when_dropped_is_waited_for() {
    struct SpawnOnDrop<'s, 'e> {
        scope: &'s corio::Scope<'s, 'e>,
        log: &'e RefCell<Vec<&'static str>>,
    }
    impl Drop for SpawnOnDrop<'_, '_> {
        fn drop(&mut self) {
            let log = self.log;
            self.scope.spawn(move || {
                corio::sleep(ms(5));
                log.borrow_mut().push("late child ran");
            });
        }
    }
    let log = RefCell::new(Vec::new());
    corio::run(|| {
        corio::scope(|s| {
            let log = &log;
            s.spawn(move || SpawnOnDrop { scope: s, log }); // nobody joins it
        });
        log.borrow_mut().push("scope returned");
    });
    assert_eq!(*log.borrow(), ["late child ran", "scope returned"]);
}

#[test]
fn race_and_select_report_a_closure_that_panics_first() {
    corio::run(|| {
        let raced = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            corio::race(vec![
                Box::new(|| -> () { panic!("fast") }) as Box<dyn FnOnce()>,
                Box::new(|| corio::sleep(Duration::from_secs(3600))),
            ])
        }));
        let message = util::panic_message(raced.unwrap_err().as_ref());
        assert_eq!(message.as_deref(), Some("fast"));
        let (_tx, rx) = corio::sync::channel::<u8>(1);
        let selected = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            corio::select(|| -> u8 { panic!("first") }, || rx.recv())
        }));
        let message = util::panic_message(selected.unwrap_err().as_ref());
        assert_eq!(message.as_deref(), Some("first"));
    });
}

#[test]
fn an_unstarted_generators_captures_are_dropped_once_on_the_callers_stack() {
    // A capture whose destructor panics: the panic comes out of `close`
    // once, and the generator is complete (no second drop later).
    struct PanicsOnDrop(Rc<Cell<usize>>);
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
            panic!("capture dropped");
        }
    }
    let drops = Rc::new(Cell::new(0));
    let capture = PanicsOnDrop(Rc::clone(&drops));
    let mut g = Generator::<(), (), ()>::new(move |_, ()| drop(capture));
    let closed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.close()));
    assert!(closed.is_err());
    assert_eq!(g.status(), corio::Status::Complete);
    drop(g);
    assert_eq!(drops.get(), 1);

    // A capture whose destructor parks, dropped inside a task: it parks
    // the task like any other code would.
    struct SleepsOnDrop(Rc<Cell<bool>>);
    impl Drop for SleepsOnDrop {
        fn drop(&mut self) {
            corio::sleep(ms(2));
            self.0.set(true);
        }
    }
    let slept = Rc::new(Cell::new(false));
    let s = Rc::clone(&slept);
    corio::run(move || {
        let capture = SleepsOnDrop(s);
        let g = Generator::<(), (), ()>::new(move |_, ()| drop(capture));
        drop(g);
    });
    assert!(slept.get());
}

/// A scope must drop every child's result before it returns, even when
/// dropping one of them panics. Otherwise a result left in a finished
/// child is dropped whenever the child's last reference goes, and the
/// scheduler may hold one past the scope: here its deferred list does (a
/// cancellation held back while another task's stack is paused
/// mid-unwind). That result borrows `data`, so it read freed memory
/// (valgrind: an invalid read in `Late::drop`). Found by review.
#[test]
fn every_scoped_result_is_dropped_before_the_scope_returns_even_if_one_panics() {
    /// A result whose destructor panics.
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("PanicsOnDrop");
        }
    }
    /// A result borrowing `data`: counts its drop, and notes one that
    /// comes after the borrow ended (`alive` false) or reads garbage.
    struct Borrowing<'a> {
        data: &'a Vec<u64>,
        alive: &'a Cell<bool>,
        seen: &'a Cell<u32>,
    }
    impl Drop for Borrowing<'_> {
        fn drop(&mut self) {
            let late = if self.alive.get() { 0 } else { 100 };
            let wrong = if self.data.iter().sum::<u64>() == 45 {
                0
            } else {
                1000
            };
            self.seen.set(self.seen.get() + 1 + late + wrong);
        }
    }
    /// Takes the lock in its destructor: a cancelled task holding this
    /// parks there, mid-unwind, while the lock is held elsewhere.
    struct LockOnDrop(Rc<corio::sync::Mutex<()>>);
    impl Drop for LockOnDrop {
        fn drop(&mut self) {
            let _guard = self.0.lock();
        }
    }

    let alive = Cell::new(true);
    let seen = Cell::new(0u32);
    corio::run(|| {
        let lock = Rc::new(corio::sync::Mutex::new(()));
        let (release, released) = corio::sync::channel::<()>(1);
        let held = lock.clone();
        let holder = corio::spawn(move || {
            let _guard = held.lock();
            released.recv();
        });
        corio::yield_now();
        let taken = lock.clone();
        let paused = corio::spawn(move || {
            let _on_unwind = LockOnDrop(taken);
            corio::sleep(Duration::from_secs(3600));
        });
        corio::yield_now();
        paused.abort();
        corio::yield_now(); // `paused` now waits for the lock mid-unwind

        let data: Vec<u64> = (0..10).collect();
        let (alive, seen) = (&alive, &seen);
        let scoped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            corio::scope(|s| {
                let _panics = s.spawn(|| PanicsOnDrop);
                let (go, wait) = corio::sync::channel::<u32>(1);
                let data = &data;
                let borrowing = s.spawn(move || {
                    // A caught panic leaves this stack a stale "may
                    // unwind" mark, so its cancellation below is deferred.
                    let _ = std::panic::catch_unwind(|| panic!("caught at once"));
                    let _ = wait.recv();
                    Borrowing { data, alive, seen }
                });
                corio::yield_now();
                corio::yield_now();
                borrowing.abort();
                corio::yield_now();
                corio::yield_now();
                let _ = go.send(1);
                corio::yield_now();
                corio::yield_now();
            })
        }));
        let payload = scoped.expect_err("the panicking result's panic leaves the scope");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"PanicsOnDrop"));
        assert_eq!(
            seen.get(),
            1,
            "the borrowing result was dropped inside the scope"
        );
        alive.set(false);
        drop(data);
        let _ = release.send(()); // `paused` finishes unwinding; the deferred list is retried
        for _ in 0..20 {
            corio::yield_now();
        }
        let _ = holder.join();
        let _ = paused.join();
    });
    assert_eq!(
        seen.get(),
        1,
        "dropped once, while what it borrows was alive"
    );
}
