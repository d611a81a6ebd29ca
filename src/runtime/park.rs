//! How a task parks, and how it is woken and interrupted.
//!
//! A blocking-style operation that cannot go on registers what would wake
//! the task (a timer, an I/O waiter, a place in a wait queue: each an RAII
//! registration that removes itself when the wait ends), then calls
//! [`park_on`]. That suspends the task's stack, from wherever it is (on the
//! task's own stack, or inside generators the task is running), and the
//! scheduler runs something else. A wake queues the task; when it runs
//! again, `park` returns and the operation checks its condition again.
//!
//! `park` is also where interrupts surface: a cancellation request or an
//! expired `timeout` unwinds the task from the park point.

use std::panic;

use super::current::{self, Runtime};
use super::outcome::Cancelled;
use super::scheduler;
use super::task::{AnyTask, TaskHeader, TaskRef};
use super::waiting::Waiting;
use crate::context::{self, DeadlineExpired, Unwinding};
use crate::trace::{self, What};

/// Suspends the current task until something wakes it, or unwinds if it
/// is cancelled or a `timeout` around the call (set on a stack in the
/// current chain) expires, unless the current stack is already
/// unwinding: then it only parks (corio never raises into an unwinding
/// stack), and callers that should not wait there check
/// [`super::unwind::place`] first.
///
/// `waiting` says what the task waits for: kept in its header for
/// `corio::dump` (one small write), and recorded in the trace when one is
/// being recorded.
///
/// # Panics
///
/// Outside a task.
pub(crate) fn park_on(waiting: Waiting) {
    current::with("parking a task", |rt| {
        let task = rt
            .scheduler
            .current()
            .expect("corio: only a task can park (called from the event loop?)");
        park_in(rt, task, waiting);
    });
}

/// [`park_on`], for a caller that already has its runtime and the running
/// task (from `unwind::in_task_or`).
///
/// # Panics
///
/// If `task` is not `rt`'s running task: suspending with another task's
/// yielder would switch away from the wrong stack.
#[inline]
pub(crate) fn park_in(rt: &Runtime, task: &AnyTask, waiting: Waiting) {
    assert!(
        rt.scheduler.is_current(task),
        "corio: park_in called for a task that is not running"
    );
    let header = &task.header;
    check_interrupts(header);
    trace::record(Some(header.id), || What::Parked(waiting.park_reason()));
    header.park();
    header.suspended_at.set(rt.clock.get());
    suspend_current_task(header, waiting);
    check_interrupts(header);
}

/// Gives other ready tasks a turn, then continues (`asyncio.sleep(0)`).
/// Outside `run` it yields the thread.
///
/// # Examples
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// corio::run(|| {
///     let l = log.clone();
///     let other = corio::spawn(move || l.borrow_mut().push("other"));
///     log.borrow_mut().push("main before");
///     corio::yield_now(); // `other` runs here
///     log.borrow_mut().push("main after");
///     other.join().unwrap();
/// });
/// assert_eq!(*log.borrow(), ["main before", "other", "main after"]);
/// ```
pub fn yield_now() {
    let in_task = current::try_with(|rt| {
        let Some(task) = rt.scheduler.current() else {
            return false;
        };
        let header = &task.header;
        if std::thread::panicking()
            && context::unwinding_here(&header.context) == Unwinding::Cancelled
        {
            return true; // a cancelled task's destructors do not wait
        }
        check_interrupts(header);
        trace::record(Some(header.id), || {
            What::Parked(Waiting::Yield.park_reason())
        });
        // `run_task` requeues the task when the switch lands there: it
        // already holds the `TaskRef`, so no reference count changes hands here.
        header.yield_now();
        header.suspended_at.set(rt.clock.get());
        suspend_current_task(header, Waiting::Yield);
        check_interrupts(header);
        true
    });
    if in_task != Some(true) {
        std::thread::yield_now();
    }
}

/// Unwinds from here if the current task was cancelled or a `timeout`
/// whose frames are on a stack in the current chain has expired, unless
/// the current stack is unwinding already. The payload marks the stack
/// cancel-unwinding for as long as it is alive.
#[inline]
fn check_interrupts(header: &TaskHeader) {
    // The common case, on every park and yield: no cancellation, and no
    // `timeout` at all on the task's stack or an active generator's.
    if header.cancel_reason().is_none() && context::no_deadlines(&header.context) {
        return;
    }
    raise_interrupts(header);
}

/// [`check_interrupts`] once there may be something to raise.
#[cold]
#[inline(never)]
fn raise_interrupts(header: &TaskHeader) {
    let cancel = header.cancel_reason();
    let expired = context::expired_deadline(&header.context);
    if cancel.is_none() && expired.is_none() {
        return; // deadlines in force, none of them expired
    }
    match context::unwinding_here(&header.context) {
        Unwinding::No => {}
        // Not now, and no retry needed: the stack unwinds a cancellation
        // or deadline corio raised, whose payload is alive. Its unwinding
        // ends while the task runs (at its root, or where the payload is
        // caught and dropped), and the task's next park checks again
        // before it suspends. A retry's wake would be a stray one: it
        // queued the task early, ahead of tasks woken before its real
        // wake (found by tests/model_scheduler).
        Unwinding::Cancelled => return,
        // Not now: a stale "may unwind" mark (a panic this stack caught
        // long ago) looks the same as a live one while any stack of the
        // thread is paused mid-unwind. The scheduler wakes the task again
        // once no stack unwinds, and this check raises it then.
        Unwinding::Maybe => {
            defer();
            return;
        }
    }
    if let Some(reason) = cancel {
        if header.cancel_raises() > 0 {
            // The task caught its cancellation and went on to park again.
            // Give the loop a turn before raising once more: a task that
            // catches in a loop (`loop { let _ = catch_unwind(serve_one); }`)
            // would otherwise raise and catch forever without ever
            // switching away, freezing every other task and the end of
            // `run` (which abandons it after `MAX_CANCEL_RAISES`).
            header.yield_now();
            suspend_current_task(header, Waiting::Yield);
        }
        header.count_cancel_raise();
        let marks = context::raise_marks(&header.context);
        panic::resume_unwind(Box::new(Cancelled::new(header.id, reason, marks)));
    }
    if let Some(id) = expired {
        let payload = DeadlineExpired {
            id,
            _marks: context::raise_marks(&header.context),
        };
        panic::resume_unwind(Box::new(payload));
    }
}

/// Notes that an interrupt of the running task was held back because its
/// stack may be unwinding; see [`raise_interrupts`].
#[cold]
fn defer() {
    current::try_with(|rt| {
        if let Some(task) = rt.scheduler.current_ref() {
            rt.scheduler.defer_interrupt(task);
        }
    });
}

/// Switches to the scheduler as a park of the current task: from the
/// bottom of the chain of executing stacks, which is the task's own, so
/// generators the task is running stay suspended mid-call and resume
/// transparently when the task does. `waiting` says what for (see
/// `TaskHeader::waiting`: every suspension writes it, so it always
/// describes the one the task stands in).
///
/// A resume may be a dump's capture request rather than a wake: then the
/// task answers it here, on the innermost stack (where the frames of the
/// call that parked stand), and suspends again, before any of its own
/// code runs; see `crate::debug::capture`.
#[inline(always)]
fn suspend_current_task(header: &TaskHeader, waiting: Waiting) {
    header.waiting.set(waiting);
    // The usual case, read once: the task parks from its own stack, no
    // generator active (its context is the active one).
    let own_stack = context::is_active(&header.context);
    context::clear_stale_marks(&header.context, own_stack);
    loop {
        if own_stack {
            // SAFETY: no generator is active, so we run on the current
            // task's own stack, and `header` is that task's: its yielder
            // (set by the task's root) is the one to suspend with.
            unsafe { header.yielder().as_ref() }.suspend(());
        } else {
            context::on_bottom_stack(suspend_on_task_stack);
        }
        if !header.capture.get() {
            return;
        }
        crate::debug::capture::answer(header);
    }
}

/// The switch itself, on the task's own stack.
fn suspend_on_task_stack() {
    let yielder = current::with("parking a task", |rt| {
        rt.scheduler
            .current()
            .expect("a parking task is current")
            .header
            .yielder()
    });
    // SAFETY: `on_bottom_stack` runs us on the bottom stack of the chain,
    // which is the current task's own stack, and the yielder is that
    // task's (set by its root, live while the task's body runs).
    unsafe { yielder.as_ref() }.suspend(());
}

/// Spends one unit of the current task's budget on an operation about to
/// be attempted (a read that may be ready, a send into a channel that may
/// have room); when it is spent, the task yields first, so a loop of
/// operations that never park cannot starve the other tasks.
#[inline]
pub(crate) fn spend_budget() {
    if scheduler::spend_budget() {
        yield_now();
    }
}

/// Makes a parked task ready to run; does nothing to one that is not
/// parked, or outside the task's runtime.
#[inline]
pub(crate) fn wake(task: TaskRef) {
    current::try_with(|rt| rt.scheduler.wake(task));
}
