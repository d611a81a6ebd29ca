//! Scenarios of `tests/soundness_core.rs`: misuse that crashed or hung
//! the old runtime core, each run in a process of its own.

use std::cell::RefCell;
use std::io::Read;
use std::time::Duration;

use corio::sync::Event;
use corio::{Generator, GeneratorState};

use crate::support::{caught_message, local_listener, ms, report};

/// Records the borrowed string when dropped: reading it after its owner
/// is gone is the use-after-free the scope rules out.
struct Loud<'a> {
    text: &'a String,
    log: &'a RefCell<Vec<String>>,
}

impl Drop for Loud<'_> {
    fn drop(&mut self) {
        self.log.borrow_mut().push(format!("dropped {}", self.text));
    }
}

/// A closure that returns a [`Loud`] at once, boxed for `race`.
fn make_loud<'a>(
    text: &'a String,
    log: &'a RefCell<Vec<String>>,
    with_timeout: bool,
) -> Box<dyn FnOnce() -> Loud<'a> + 'a> {
    Box::new(move || {
        if with_timeout {
            let _ = corio::timeout(ms(50), || ());
        }
        Loud { text, log }
    })
}

pub fn yield_from_join_child() {
    corio::run(|| {
        let mut g = Generator::<(), i32, ()>::new(|y, ()| {
            corio::join(
                || {
                    y.yield_(1);
                },
                || (),
            );
        });
        report(caught_message(|| g.resume(())));
        report(format!("status {:?}", g.status()));
    });
}

pub fn yield_from_gather_after_sleep() {
    corio::run(|| {
        let mut g = Generator::<(), u64, ()>::new(|y, ()| {
            corio::gather(
                (1..=3)
                    .map(|n| {
                        move || {
                            corio::sleep(ms(n));
                            y.yield_(n);
                        }
                    })
                    .collect(),
            );
        });
        report(caught_message(|| g.resume(())));
    });
}

pub fn yield_from_scope_child() {
    corio::run(|| {
        let mut g = Generator::<(), u8, ()>::new(|y, ()| {
            corio::scope(|s| {
                s.spawn(|| y.yield_(7));
            });
        });
        report(caught_message(|| g.resume(())));
    });
}

pub fn scoped_output_after_timeout() {
    let log = RefCell::new(Vec::new());
    corio::run(|| {
        {
            let local = String::from("borrowed");
            corio::scope(|s| {
                s.spawn(|| {
                    let _ = corio::timeout(ms(50), || ());
                    Loud {
                        text: &local,
                        log: &log,
                    }
                });
            });
            log.borrow_mut().push("scope returned".into());
        }
        corio::sleep(ms(100));
    });
    report(log.borrow().join(", "));
}

pub fn race_loser_output() {
    let log = RefCell::new(Vec::new());
    corio::run(|| {
        {
            let local = String::from("loser");
            let winner = String::from("winner");
            // Both finish; the loser's timeout left a timer behind
            // it in the old core, which kept its output alive.
            let (index, value) = corio::race(vec![
                make_loud(&winner, &log, false),
                make_loud(&local, &log, true),
            ]);
            log.borrow_mut().push(format!("race returned {index}"));
            drop(value);
        }
        corio::sleep(ms(20));
    });
    report(log.borrow().join(", "));
}

pub fn event_wait_after_long_timeout() {
    corio::run(|| {
        assert_eq!(corio::timeout(Duration::from_secs(3600), || 5), Ok(5));
        Event::new().wait();
        report("the wait returned");
    });
}

pub fn deadlock_after_timed_out_read() {
    corio::run(|| {
        let (listener, addr) = local_listener();
        let client = corio::net::TcpStream::connect(addr).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        let mut buf = [0u8; 1];
        let read = corio::timeout(ms(10), || server.read(&mut buf));
        assert!(read.is_err(), "nothing was written, so the read times out");
        Event::new().wait();
        report("the wait returned");
        drop(client);
    });
}

pub fn timeout_in_generator_spares_resumer() {
    corio::run(|| {
        let mut g = Generator::<(), i32, String>::new(|y, ()| {
            let outcome = corio::timeout(ms(10), || {
                y.yield_(1);
                corio::sleep(Duration::from_secs(3600));
            });
            format!("inside: {outcome:?}")
        });
        assert_eq!(g.resume(()), GeneratorState::Yielded(1));
        corio::sleep(ms(50)); // well past the generator's deadline
        report("resumer slept undisturbed");
        match g.resume(()) {
            GeneratorState::Complete(text) => report(text),
            other => report(format!("unexpected {other:?}")),
        }
    });
}
