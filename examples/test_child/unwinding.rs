//! Scenarios of `tests/runtime_unwinding.rs`: blocking calls while a
//! stack unwinds, where the old core spun, hung or aborted; and one of
//! `tests/task_local.rs`, on what an abandoned task leaves behind.

use std::cell::{Cell, RefCell};
use std::io::{BufWriter, Write};
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::Generator;
use corio::sync::{Mutex, channel};

use crate::support::{OnDrop, cancel_while_holding, local_listener, ms, new_log, note, report};

pub fn join_in_drop_of_aborted_task() {
    corio::run(|| {
        let other = Rc::new(RefCell::new(Some(corio::spawn(|| {
            corio::sleep(ms(30));
            "other finished"
        }))));
        let o = Rc::clone(&other);
        let outcome = Rc::new(RefCell::new(String::new()));
        let out = Rc::clone(&outcome);
        let result = cancel_while_holding(move || {
            let h = o.borrow_mut().take().unwrap();
            *out.borrow_mut() = format!("{:?}", h.join().map(|_| ()));
        });
        report(format!("victim {result:?}"));
        report(format!("join in drop {}", outcome.borrow()));
    });
}

pub fn gather_in_drop_after_timeout() {
    corio::run(|| {
        let log = new_log();
        let l = Rc::clone(&log);
        let outcome = corio::timeout(ms(10), move || {
            let l2 = Rc::clone(&l);
            let _guard = OnDrop(move || {
                let sums = corio::gather(
                    (1..=2u64)
                        .map(|n| {
                            move || {
                                corio::sleep(ms(5 * n));
                                n
                            }
                        })
                        .collect(),
                );
                let picked = corio::select(
                    || {
                        corio::sleep(ms(1));
                        "first"
                    },
                    || {
                        corio::sleep(ms(50));
                        "second"
                    },
                );
                note(&l2, format!("gather {sums:?} select {picked:?}"));
            });
            corio::sleep(Duration::from_secs(3600));
        });
        report(format!("timeout {outcome:?}"));
        report(log.borrow().join(", "));
    });
}

pub fn bufwriter_flush_in_drop_on_full_socket() {
    corio::run(|| {
        let (listener, addr) = local_listener();
        let stream = corio::net::TcpStream::connect(addr).unwrap();
        let (_peer, _) = listener.accept().unwrap(); // never reads
        let stream = Rc::new(stream);
        let s = Rc::clone(&stream);
        let h = corio::spawn(move || {
            // Fill the socket until writing would wait ...
            // (long enough for the kernel's buffer autotuning to settle) ...
            let full = corio::timeout(ms(300), || {
                loop {
                    (&*s).write_all(&[7u8; 1 << 16]).unwrap();
                }
            });
            assert!(full.is_err());
            // ... then leave a megabyte in a BufWriter and park
            // elsewhere: its destructor flushes onto the full socket.
            let mut w = BufWriter::with_capacity(1 << 20, &*s);
            w.write_all(&vec![1u8; (1 << 20) - 1]).unwrap();
            corio::sleep(Duration::from_secs(3600));
        });
        corio::sleep(ms(400));
        h.abort();
        report(format!("writer {:?}", h.join().map(|_| ())));
    });
}

pub fn fresh_run_in_unrelated_panic_destructor() {
    struct RunsOnDrop;
    impl Drop for RunsOnDrop {
        fn drop(&mut self) {
            let (slept, got) = corio::run(|| {
                let start = Instant::now();
                corio::sleep(ms(100));
                let slept = start.elapsed();
                let (tx, rx) = channel(1);
                corio::spawn(move || {
                    corio::sleep(ms(10));
                    tx.send(5).unwrap();
                });
                (slept, rx.recv())
            });
            report(format!("slept at least 100 ms: {}", slept >= ms(100)));
            report(format!("received {got:?}"));
        }
    }
    let caught = std::panic::catch_unwind(|| {
        let _d = RunsOnDrop;
        panic!("unrelated");
    });
    report(format!("outer panic caught: {}", caught.is_err()));
}

pub fn generator_yields_in_destructor_while_panicking() {
    let mut g = Generator::<(), u8, ()>::new(|y, ()| {
        // A destructor of the panicking body yields: refused.
        struct Yields<'a>(&'a corio::Yielder<(), u8>);
        impl Drop for Yields<'_> {
            fn drop(&mut self) {
                self.0.yield_(9);
            }
        }
        let _y = Yields(y);
        panic!("body fails");
    });
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.resume(())));
    report("the resume came back");
}

pub fn deadlock_among_unwinding_stacks() {
    corio::run(|| {
        let lock = Rc::new(Mutex::new(()));
        std::mem::forget(lock.lock()); // held for good
        let l = Rc::clone(&lock);
        corio::spawn(move || {
            let _guard = OnDrop(move || drop(l.lock()));
            corio::sleep(Duration::from_secs(3600));
        });
        corio::yield_now();
        "main returns"
    });
    report("run returned");
}

/// A task abandoned when `run` ends (parked mid-unwind on a lock held for
/// good) leaks its task-local values with its stack: no destructor of
/// theirs runs, neither on its stack nor on the loop's.
pub fn task_local_of_an_abandoned_task() {
    struct Loud;
    impl Drop for Loud {
        fn drop(&mut self) {
            report("task-local value dropped");
        }
    }
    corio::task_local! {
        static KEPT: Loud = Loud;
    }
    corio::run(|| {
        let lock = Rc::new(Mutex::new(()));
        std::mem::forget(lock.lock()); // held for good
        let l = Rc::clone(&lock);
        corio::spawn(move || {
            KEPT.with(|_| ());
            let _guard = OnDrop(move || drop(l.lock()));
            corio::sleep(Duration::from_secs(3600));
        });
        corio::yield_now();
    });
    report("run returned");
}

pub fn scope_child_closes_its_generator() {
    corio::run(|| {
        type Slot = Rc<RefCell<Option<Generator<(), (), ()>>>>;
        let slot: Slot = Rc::new(RefCell::new(None));
        let s2 = Rc::clone(&slot);
        let mut g = Generator::<(), (), ()>::new(move |y, ()| {
            corio::scope(|s| {
                s.spawn(move || {
                    corio::sleep(ms(5));
                    drop(s2.borrow_mut().take()); // the generator owning our scope
                });
                y.yield_(()); // suspended inside the scope, its child running
            });
        });
        g.resume(());
        *slot.borrow_mut() = Some(g);
        corio::sleep(ms(50));
    });
}

/// With 40 descriptors allowed (the limit is set here, in the child, so
/// it holds also when the test itself runs under valgrind), an accept loop that retries on every
/// error must neither spin nor starve the other tasks.
pub fn accept_loop_out_of_fds() {
    let limit = libc::rlimit {
        rlim_cur: 40,
        rlim_max: 40,
    };
    // SAFETY: setrlimit reads one valid rlimit value and affects only
    // this (child) process.
    let set = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(set, 0, "setrlimit: {}", std::io::Error::last_os_error());
    corio::run(|| {
        let (listener, addr) = local_listener();
        // A connection waits in the backlog: accepting it needs a new
        // descriptor, and there will be none.
        let _client = std::net::TcpStream::connect(addr).expect("connect");
        let mut hoard = Vec::new();
        while let Ok(f) = std::fs::File::open("/dev/null") {
            hoard.push(f);
        }
        let attempts = Rc::new(Cell::new(0u64));
        let ticks = Rc::new(Cell::new(0u64));
        let t = Rc::clone(&ticks);
        corio::spawn(move || {
            loop {
                corio::sleep(ms(1));
                t.set(t.get() + 1);
            }
        });
        let a = Rc::clone(&attempts);
        let acceptor = corio::spawn(move || {
            let start = Instant::now();
            while start.elapsed() < ms(500) {
                a.set(a.get() + 1);
                let _ = listener.accept();
            }
            start.elapsed()
        });
        let elapsed = acceptor.join().unwrap();
        drop(hoard);
        let backoffs = elapsed.as_millis() as u64 / 50;
        report(format!("attempts {}", attempts.get()));
        report(format!(
            "attempts within bound: {}",
            attempts.get() <= 2 * (backoffs + 2)
        ));
        report(format!("other task ran: {}", ticks.get() > 10));
    });
}
