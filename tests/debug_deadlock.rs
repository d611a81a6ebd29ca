//! The deadlock panic of `corio::run`: it carries a dump of every task,
//! and names the wait-for cycle when there is one.

mod util;

use std::cell::RefCell;
use std::rc::Rc;

use corio::sync::{Event, Mutex, channel};
use corio::{JoinHandle, TaskBuilder};
use util::expect_panic;

type Slot = Rc<RefCell<Option<JoinHandle<()>>>>;

/// A task that joins whatever handle `slot` holds when it first runs.
fn joins_the_other(name: &str, slot: Slot) -> JoinHandle<()> {
    TaskBuilder::new().name(name).spawn(move || {
        let other = slot.borrow_mut().take().expect("filled before it runs");
        let _ = other.join();
    })
}

#[test]
fn a_join_cycle_is_named() {
    let message = expect_panic(|| {
        corio::run(|| {
            let (to_b, to_a): (Slot, Slot) = Default::default();
            let a = joins_the_other("a", to_b.clone());
            let b = joins_the_other("b", to_a.clone());
            *to_a.borrow_mut() = Some(a);
            *to_b.borrow_mut() = Some(b);
            Event::new().wait(); // main waits too, for something else
        })
    });
    // Task 1 is main, so the two are 2 and 3.
    assert!(
        message
            .contains("wait-for cycle: task 2 'a' joins task 3 'b'; task 3 'b' joins task 2 'a'"),
        "{message}"
    );
    assert!(message.starts_with("corio: deadlock:"), "{message}");
}

#[inline(never)]
fn takes_the_lock(mutex: &Mutex<u32>) {
    *mutex.lock() += 1;
}

#[test]
fn a_mutex_and_join_cycle_is_named() {
    let message = expect_panic(|| {
        corio::run(|| {
            let mutex = Rc::new(Mutex::new(0));
            let _held = mutex.lock();
            let m = mutex.clone();
            let wants = TaskBuilder::new()
                .name("wants-the-lock")
                .spawn(move || takes_the_lock(&m));
            wants.join().unwrap(); // never: it waits for our lock
        })
    });
    assert!(
        message.contains(
            "wait-for cycle: task 1 'main' joins task 2 'wants-the-lock'; task 2 \
             'wants-the-lock' waits for the Mutex held by task 1 'main'"
        ),
        "{message}"
    );
    // The dump is in the message, with the frame that waits.
    assert!(message.contains("corio dump: 2 task(s)"), "{message}");
    assert!(message.contains("takes_the_lock"), "{message}");
    assert!(message.contains("Mutex held by task 1"), "{message}");
}

#[test]
fn a_channel_nobody_can_send_to_is_reported_without_a_cycle() {
    let message = expect_panic(|| {
        corio::run(|| {
            let (tx, rx) = channel::<u32>(1);
            let event = Rc::new(Event::new());
            let e = event.clone();
            let _idle = TaskBuilder::new().name("idle").spawn(move || e.wait());
            let _keep = tx; // the only sender, held by the receiver itself
            rx.recv()
        })
    });
    assert!(!message.contains("wait-for cycle"), "{message}");
    assert!(
        message.contains("task 1 'main', parked")
            && message.contains("waits for a value on channel"),
        "{message}"
    );
    assert!(
        message.contains("task 2 'idle', parked") && message.contains("to be set"),
        "{message}"
    );
}
