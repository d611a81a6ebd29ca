//! Bugs the model found, each pinned by a direct test.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A `timeout` that expired while its task waited in a `scope` unwound
/// through the scope (which cancels its children and waits for them); the
/// deadline, seen again at that wait, was "deferred" for a retry, and the
/// retry's wake later hit the task while it was parked somewhere else: a
/// stray wake that queued it early, so it ran ahead of a task woken
/// before its real wake. Here `main`'s second scope must end after the
/// task spawned before its child finished has run.
#[test]
fn a_deadline_unwound_through_a_scope_leaves_no_stray_wake() {
    let log = corio::test::run(|| {
        let log = Rc::new(RefCell::new(Vec::new()));
        let expired = corio::timeout(ms(1), || {
            corio::scope(|s| {
                s.spawn(|| corio::sleep(ms(1)));
            })
        });
        assert!(expired.is_err());
        let l = log.clone();
        corio::spawn(move || {
            corio::spawn(move || l.borrow_mut().push("spawned task ran"));
        });
        corio::scope(|s| {
            s.spawn(|| {});
        });
        log.borrow_mut().push("scope ended");
        corio::sleep(ms(1));
        log.take()
    });
    assert_eq!(log, ["spawned task ran", "scope ended"]);
}
