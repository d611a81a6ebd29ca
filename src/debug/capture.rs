//! Taking the backtrace of a parked task where it stands, without running
//! any of its code: the *capture resume*.
//!
//! A parked task's frames are on its own stack (and on the stacks of the
//! generators it was running when it parked), below a corosensei switch.
//! No unwinder can walk a stack that is not executing, so `dump()` makes
//! each parked task's stack execute for a moment:
//!
//! ```text
//!   dump() ---sets header.capture, CAPTURE_INTO---> resume_for_capture(task)
//!     the task's suspension (park::suspend_current_task), on the innermost
//!     stack, sees `capture` instead of a wake:
//!       answer(): walk the frames from here into *CAPTURE_INTO, then
//!       suspend again (the same loop, the same `waiting`)
//!   dump() <---------------------------------------- clears header.capture
//! ```
//!
//! # What a capture resume may and may not touch
//!
//! The resume runs on the task's stack inside corio's park loop, so it
//! must be invisible to the task and to everything else:
//!
//! - **No user code.** Between the switch and `answer` only corio's own
//!   return path runs: corosensei's switch, and for a task parked inside
//!   generators, `context::step_down` restoring the chain of active
//!   stacks one link at a time (`ACTIVE`, nothing else). `answer` walks
//!   the stack with `_Unwind_Backtrace`, which reads unwind tables and
//!   registers only: no destructor, no landing pad, no personality
//!   routine runs (it is not an unwinding). Then the same loop suspends
//!   again the way it did before.
//! - **No interrupts.** The loop in `suspend_current_task` answers and
//!   suspends again before `park_on`'s `check_interrupts`: a pending
//!   cancellation or an expired `timeout` is not raised by a dump; it
//!   waits for the task's next real resume.
//! - **No budget.** The scheduler's coop budget is refilled only by
//!   `run_task`, which a capture resume bypasses, and nothing on the
//!   capture path spends it.
//! - **No trace events.** Neither `Resumed` nor `Parked` is recorded:
//!   for the trace the task never left its park point.
//! - **The wake state is unchanged.** The task's `state` (`Parked` or
//!   `Ready`), `queued` flag, cancellation request, joiners and
//!   registrations (timers, I/O, wait queues) are not read or written;
//!   `waiting` and `suspended_at` stay as the park wrote them.
//! - **Nothing that can panic or allocate.** A panic here would surface
//!   in the task as its own (or abort the process, for a task parked in
//!   a destructor while unwinding). `answer` writes into a fixed array
//!   the dumping side provides, through a thread-local pointer.
//!
//! What the resume does change, and restores: the scheduler's current
//! task (set to the captured task for the resume, since the suspension
//! path looks it up to find its yielder), and the chain of active stacks
//! (`context::enter_task`, undone when the guard drops). The thread's
//! panic count is per thread, not per stack, so a task parked mid-unwind
//! (a destructor of a cancelled task waiting for a `Mutex`) is resumed
//! and suspended exactly as a wake would, and its unwinding is not
//! disturbed: walking the frames reads them, it does not unwind them.
//!
//! Tasks that are never resumed for a capture: one that has not started
//! (it has no frames yet), the task calling `dump()` (its backtrace is
//! taken directly, [`capture_here`]), and a task that is neither parked
//! nor ready (running further up this thread's stack).

use std::cell::Cell;
use std::ptr;

use crate::context;
use crate::runtime::current::Runtime;
use crate::runtime::task::{TaskHeader, TaskRef};

/// Frames kept per task; a deeper stack is cut at its innermost frames
/// and said to be truncated.
pub(super) const MAX_FRAMES: usize = 96;

/// The frames of one stack, innermost first, as instruction pointers
/// not yet resolved to names (that happens once per distinct address, for
/// all tasks, in `symbols`).
pub(super) struct RawTrace {
    pub(super) ips: [usize; MAX_FRAMES],
    pub(super) len: usize,
    /// More frames were on the task's stack than `MAX_FRAMES`.
    pub(super) truncated: bool,
    /// How many generators the task was running at its park point.
    pub(super) generators: usize,
    /// Too little stack was left at the park point to walk it safely.
    pub(super) no_room: bool,
}

impl RawTrace {
    pub(super) const fn new() -> Self {
        RawTrace {
            ips: [0; MAX_FRAMES],
            len: 0,
            truncated: false,
            generators: 0,
            no_room: false,
        }
    }

    /// The frames recorded.
    pub(super) fn frames(&self) -> &[usize] {
        &self.ips[..self.len]
    }
}

thread_local! {
    /// Where the task being capture-resumed writes its frames: set by
    /// [`capture_parked`] for exactly the duration of the resume.
    static CAPTURE_INTO: Cell<*mut RawTrace> = const { Cell::new(ptr::null_mut()) };
}

/// Stack the walk may use: `_Unwind_Backtrace` keeps its cursor and a
/// frame's unwind state (a few hundred bytes each) on the stack it walks,
/// and reads unwind tables through the dynamic loader. A task parked with
/// less room than this left (deep recursion on a small stack) is not
/// walked, rather than overflow into its guard page. (Measured: a walk in
/// a debug build completed with 2.2 KiB left; this is four times that.)
const WALK_HEADROOM: usize = 8 * 1024;

/// Walks the frames of the stack executing now into `into`, keeping those
/// of the task whose stack slot is `stack` (and of the generators above
/// it): the walk stops at the first frame past the task's root, which
/// belongs to whoever resumed the task.
fn walk(into: &mut RawTrace, stack: (usize, usize)) {
    into.len = 0;
    into.truncated = false;
    into.no_room = false;
    if context::stack_room(stack.0) < WALK_HEADROOM {
        into.no_room = true;
        return;
    }
    let on_task_stack = |sp: usize| (stack.0..stack.1).contains(&sp);
    let mut seen_task_stack = false;
    // SAFETY: `trace_unsynchronized` is unsafe only because some
    // platforms' unwinders are not thread-safe (dbghelp on Windows); on
    // Linux it is `_Unwind_Backtrace`, which is, and which std calls from
    // any thread at any time for panics. It touches none of the backtrace
    // crate's shared state (the symbol cache is used by `resolve` only).
    // The callback neither panics nor allocates.
    unsafe {
        backtrace::trace_unsynchronized(|frame| {
            let sp = frame.sp() as usize;
            if on_task_stack(sp) {
                seen_task_stack = true;
            } else if seen_task_stack {
                return false; // past the task's root
            }
            if into.len == MAX_FRAMES {
                into.truncated = true;
                return false;
            }
            into.ips[into.len] = frame.ip() as usize;
            into.len += 1;
            true
        });
    }
}

/// A suspended task's answer to a capture request (called by
/// `park::suspend_current_task` on the innermost stack of the task, when
/// it finds `header.capture` set after a resume): records its frames
/// where the dump asked, then returns so the suspension suspends again.
/// See the module docs for what this may touch.
#[cold]
#[inline(never)]
pub(crate) fn answer(header: &TaskHeader) {
    let into = CAPTURE_INTO.get();
    if into.is_null() {
        return; // not reached: `capture` is set only with a target
    }
    // SAFETY: `capture_parked` set the pointer to a `RawTrace` on its own
    // frame for the duration of the resume that brought us here; the
    // dumping stack is suspended below us, so nothing else uses it now.
    let into = unsafe { &mut *into };
    walk(into, header.about.stack());
    into.generators = context::generator_depth();
}

/// Takes the backtrace of `task`, suspended at a park point (parked or
/// ready, started, and not the current task), with a capture resume.
pub(super) fn capture_parked(rt: &Runtime, task: &TaskRef, into: &mut RawTrace) {
    let header = &task.header;
    debug_assert!(header.is_suspended() && task.started());
    into.len = 0;
    into.generators = 0;
    let previous = CAPTURE_INTO.replace(into);
    header.capture.set(true);
    rt.scheduler.while_current(task, || {
        // The task's own stack is the bottom of its chain while it
        // executes, as in `run_task`.
        let _chain = context::enter_task(&header.context);
        task.resume_for_capture();
    });
    header.capture.set(false);
    CAPTURE_INTO.set(previous);
}

/// The backtrace of the caller itself, for the task that calls `dump()`
/// (its stack slot is `stack`).
#[inline(never)]
pub(super) fn capture_here(stack: (usize, usize), into: &mut RawTrace) {
    walk(into, stack);
    into.generators = context::generator_depth();
}
