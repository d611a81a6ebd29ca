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

/// The shrunk program of seed 4242 (`PROPTEST_CASES=30000`): task 2's
/// `timeout` expired and was caught while main was paused mid-unwind (its
/// own deadline unwinding through a `scope`, which waits for its child),
/// so the "may unwind" mark of that panic stayed on task 2's stack: marks
/// are cleared at a park only while no stack of the thread unwinds, and
/// one did. The mark then held back task 2's cancellation whenever the
/// thread was panicking, and in `run`'s teardown after the deadlock
/// panic, with main again paused mid-unwind in a scope, for ever: task 2
/// was abandoned ("could never finish unwinding", its stack leaked)
/// instead of cancelled, and its `Cancelled` line was missing from the
/// log. `timeout` now takes the mark back when it catches its own
/// deadline on a stack that had none.
#[test]
fn a_deadline_caught_while_another_task_unwinds_does_not_block_its_later_cancel() {
    use crate::program::{Kind, Kind::*, Op, Program};
    fn op(id: usize, kind: Kind) -> Op {
        Op { id, kind }
    }
    let program = Program {
        channel_capacity: vec![1, 1],
        semaphore_permits: vec![1, 1],
        main: vec![
            op(
                1,
                Spawn(vec![
                    op(2, Scope(vec![vec![op(3, Acquire(1)), op(4, Clear)]])),
                    op(5, Recv(0)),
                    op(6, Sleep(1)),
                    op(7, Sleep(1)),
                ]),
            ),
            op(8, Release(0)),
            op(
                9,
                Spawn(vec![
                    op(10, Timeout(6, vec![op(11, Acquire(1)), op(12, Recv(0))])),
                    op(13, Recv(1)),
                    op(14, Sleep(1)),
                    op(15, Sleep(1)),
                ]),
            ),
            op(
                16,
                Timeout(6, vec![op(17, Scope(vec![vec![op(18, Wait)]]))]),
            ),
            op(
                19,
                Spawn(vec![
                    op(20, Sleep(1)),
                    op(21, Sleep(1)),
                    op(22, Sleep(1)),
                    op(23, Recv(0)),
                ]),
            ),
            op(24, Recv(0)),
            op(25, Sleep(1)),
            op(26, Sleep(1)),
            op(27, Sleep(1)),
        ],
    };
    crate::model_check::quiet_expected_panics();
    let expected = crate::model::run(&program);
    let seen = crate::on_corio::run(&program);
    assert!(expected.deadlock, "the program deadlocks");
    assert!(
        seen == expected,
        "corio: {:#?}\nmodel: {:#?}",
        seen.log,
        expected.log
    );
}
