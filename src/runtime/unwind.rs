//! Which stack is unwinding, tracked per stack rather than read from the
//! thread, and what a blocking call does about it.
//!
//! `std::thread::panicking()` is per thread: while any one stack is
//! paused mid-unwind (a cancelled task's destructor parked on a
//! `Mutex`), it reads true on every stack of the thread. So corio marks
//! stacks itself (see [`crate::context::Unwinding`]):
//!
//! - *cancel-unwinding*: corio raised a cancellation or an expired
//!   deadline there, and that payload is alive;
//! - *may be unwinding*: a panic started there (a chained panic hook,
//!   [`crate::context::install_panic_hook`], notices), corio re-raised a
//!   payload there, or it is being closed.
//!
//! corio never raises into a stack that is unwinding: a panic escaping a
//! destructor during unwinding aborts the process. A mark is cleared only
//! once the thread is seen not unwinding at all, so a cancellation or
//! deadline held back by a stale one is retried then (the scheduler's
//! deferred list), rather than lost. Blocking calls look at
//! [`place`] to pick their outcome (the table in the crate docs).

use std::panic;

use super::current::{self, Runtime};
use super::task::AnyTask;
use crate::context::{self, Unwinding};

/// Where a blocking call is being made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// Outside any runtime: calls block the thread, like std's.
    Outside,
    /// On a loop thread outside any task (a destructor run by the loop
    /// itself): nothing can park there.
    Loop,
    /// In a task, on a stack that is (or is not) unwinding.
    Task(Unwinding),
}

/// Where the caller runs; see [`Place`]. Inlined: every wait asks, and
/// the usual answer is two loads and a test.
#[inline]
pub(crate) fn place() -> Place {
    current::try_with(|rt| match rt.scheduler.current() {
        None => Place::Loop,
        Some(task) => Place::Task(unwinding_in(task)),
    })
    .unwrap_or(Place::Outside)
}

/// Whether the running task's current stack unwinds.
#[inline]
fn unwinding_in(task: &AnyTask) -> Unwinding {
    if std::thread::panicking() {
        context::unwinding_here(&task.header.context)
    } else {
        Unwinding::No // nothing on the thread unwinds: no marks to read
    }
}

/// Where a blocking call runs when it is not in a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Elsewhere {
    /// Outside any runtime.
    Outside,
    /// On a loop's own stack, outside any task.
    Loop,
}

/// [`place`] for a call that goes on to park: in a task, runs `in_task`
/// with the runtime, the running task and its stack's [`Unwinding`], so
/// the park (`park::park_in`) reaches neither through the thread-local
/// again; anywhere else, `elsewhere`.
#[inline]
pub(crate) fn in_task_or<R>(
    in_task: impl FnOnce(&Runtime, &AnyTask, Unwinding) -> R,
    elsewhere: impl FnOnce(Elsewhere) -> R,
) -> R {
    let result = current::try_with(|rt| match rt.scheduler.current() {
        Some(task) => Ok(in_task(rt, task, unwinding_in(task))),
        None => Err(Elsewhere::Loop),
    });
    result
        .unwrap_or(Err(Elsewhere::Outside))
        .unwrap_or_else(elsewhere)
}

/// `std::panic::resume_unwind`, after marking the current stack as
/// possibly unwinding, for payloads corio passes on (a child's panic, a
/// deadline meant for an outer `timeout`): corio must not raise into the
/// destructors that run on the way.
pub(crate) fn resume_unwind(payload: Box<dyn std::any::Any + Send>) -> ! {
    current::try_with(|rt| {
        if let Some(task) = rt.scheduler.current() {
            context::mark_chain_may_unwind(&task.header.context);
        }
    });
    panic::resume_unwind(payload)
}
