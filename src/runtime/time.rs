//! All of time: the runtime's timers, `sleep`, `sleep_until` and
//! `timeout`. Deadlines are instants of the runtime's clock
//! (`super::clock`: real, or virtual), never read from `Instant::now()`
//! directly.
//!
//! Timers are kept in a binary min-heap ordered by `(deadline,
//! sequence)`, so equal deadlines fire first-in first-out. Each pending
//! timer's action lives in a slot of its own, owned by an RAII
//! [`TimerEntry`] held by the frame that waits: its drop (on return or
//! unwind) empties the slot at once, so the slots hold exactly the waits
//! in progress, finished tasks are never referenced, and "no timer is
//! pending" means what it says. The heap entry it leaves behind is stale
//! (its slot no longer holds that sequence number) and is thrown away
//! when it reaches the top, or when stale entries outnumber live ones
//! twice over and the heap is rebuilt without them.
//!
//! Why not an ordered map: most timers are cancelled, not fired (an I/O
//! wait's read timeout, on every wait of a keep-alive connection), and
//! their deadlines mostly come after every pending one. A heap push of
//! such a deadline compares with one parent and a cancel writes one slot;
//! the stale entry costs one pop later. In the HTTP server's profile
//! (callgrind, `wrk -c50`) that took corio's user-space instructions per
//! request from 4,596 with a `BTreeMap` to 4,384.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use super::clock;
use super::current;
use super::park::{self, yield_now};
use super::task::TaskRef;
use super::unwind::{self, Elsewhere};
use super::waiting::{self, Waiting};
use crate::context::{self, Deadline, DeadlineExpired, Unwinding};

/// What happens when a timer fires.
enum TimerAction {
    /// Wake a task parked in `sleep` (or an I/O wait with a deadline).
    Wake(TaskRef),
    /// A `timeout`'s deadline passed: mark it expired, then wake the task
    /// that set it so it unwinds at its park point.
    Expire {
        task: TaskRef,
        /// Lives in the `timeout` frame, which removes this entry before
        /// the deadline goes away.
        deadline: NonNull<Deadline>,
    },
}

/// A heap entry: when, the timer's sequence number (unique, so also the
/// FIFO order of equal deadlines), and the slot of its action.
type HeapEntry = Reverse<(Instant, u64, u32)>;

/// One pending timer's action, under the sequence number of the timer
/// that holds the slot; `None` once fired or cancelled.
struct Slot {
    seq: u64,
    action: Option<TimerAction>,
}

/// The pending timers of the thread's runtime.
struct Timers {
    /// The runtime these belong to (see `current::Runtime::id`).
    runtime: u64,
    heap: BinaryHeap<HeapEntry>,
    slots: Vec<Slot>,
    /// Indices of empty slots.
    free: Vec<u32>,
    /// Slots holding an action: the pending timers.
    live: usize,
    next_seq: u64,
}

impl Timers {
    /// True if the heap entry still stands for a pending timer.
    fn is_live(&self, &Reverse((_, seq, slot)): &HeapEntry) -> bool {
        let slot = &self.slots[slot as usize];
        slot.seq == seq && slot.action.is_some()
    }

    /// Drops stale entries off the top of the heap, so that its top (if
    /// any) is the earliest pending timer.
    fn settle(&mut self) {
        while let Some(top) = self.heap.peek() {
            if self.is_live(top) {
                return;
            }
            self.heap.pop();
        }
    }

    /// Takes the action out of `slot` (of the timer `seq`), if still
    /// there, and frees the slot.
    fn take(&mut self, slot: u32, seq: u64) -> Option<TimerAction> {
        let entry = self.slots.get_mut(slot as usize)?;
        if entry.seq != seq {
            return None;
        }
        let action = entry.action.take()?;
        self.free.push(slot);
        self.live -= 1;
        Some(action)
    }

    /// Rebuilds the heap without its stale entries once they outnumber
    /// the live ones twice over: amortised, one step per cancel, and the
    /// heap stays within three times the pending timers (plus a little).
    fn compact_if_stale(&mut self) {
        if self.heap.len() <= 3 * self.live + 64 {
            return;
        }
        let mut heap = std::mem::take(&mut self.heap).into_vec();
        heap.retain(|entry| self.is_live(entry));
        self.heap = BinaryHeap::from(heap);
    }
}

thread_local! {
    /// Present while a runtime is active on this thread.
    static TIMERS: RefCell<Option<Timers>> = const { RefCell::new(None) };
    /// Ids for `timeout` calls (their own counter, unrelated to task ids).
    static NEXT_DEADLINE: Cell<u64> = const { Cell::new(1) };
}

/// Makes timers available for the runtime `runtime` until the guard drops.
pub(crate) fn install(runtime: u64) -> Installed {
    TIMERS.set(Some(Timers {
        runtime,
        heap: BinaryHeap::new(),
        slots: Vec::new(),
        free: Vec::new(),
        live: 0,
        next_seq: 0,
    }));
    Installed
}

/// Removes the thread's timers when dropped (after shutdown, when no
/// registration is left).
pub(crate) struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let left = TIMERS.take();
        drop(left); // outside the borrow: dropping task references
    }
}

/// One pending timer, cancelled when this is dropped.
#[must_use]
pub(crate) struct TimerEntry {
    runtime: u64,
    slot: u32,
    seq: u64,
}

/// Adds a timer for `at`.
///
/// # Panics
///
/// Outside a runtime.
fn add(at: Instant, action: TimerAction) -> TimerEntry {
    TIMERS.with_borrow_mut(|timers| {
        let timers = timers
            .as_mut()
            .expect("corio: timers need a runtime; call this inside corio::run(|| ...)");
        timers.next_seq += 1;
        let seq = timers.next_seq;
        let entry = Slot {
            seq,
            action: Some(action),
        };
        let slot = match timers.free.pop() {
            Some(slot) => {
                timers.slots[slot as usize] = entry;
                slot
            }
            None => {
                let slot = u32::try_from(timers.slots.len())
                    .expect("corio: more than 4 billion timers pending");
                timers.slots.push(entry);
                slot
            }
        };
        timers.live += 1;
        timers.heap.push(Reverse((at, seq, slot)));
        TimerEntry {
            runtime: timers.runtime,
            slot,
            seq,
        }
    })
}

impl Drop for TimerEntry {
    fn drop(&mut self) {
        let removed = TIMERS.with_borrow_mut(|timers| match timers {
            Some(timers) if timers.runtime == self.runtime => {
                let removed = timers.take(self.slot, self.seq);
                if removed.is_some() {
                    timers.compact_if_stale();
                }
                removed
            }
            _ => None, // its runtime is gone
        });
        drop(removed); // outside the borrow
    }
}

/// A timer that wakes `task` at `at`, for waits with a deadline.
pub(crate) fn wake_at(at: Instant, task: TaskRef) -> TimerEntry {
    add(at, TimerAction::Wake(task))
}

/// When the earliest timer fires, if any.
pub(crate) fn next_deadline() -> Option<Instant> {
    TIMERS.with_borrow_mut(|timers| {
        let timers = timers.as_mut()?;
        timers.settle();
        timers.heap.peek().map(|&Reverse((at, _, _))| at)
    })
}

/// True if any timer is pending.
pub(crate) fn any_pending() -> bool {
    TIMERS.with_borrow(|timers| timers.as_ref().is_some_and(|t| t.live > 0))
}

/// Fires every timer due at `now`, earliest first.
pub(crate) fn fire_due(now: Instant) {
    loop {
        let due = TIMERS.with_borrow_mut(|timers| {
            let timers = timers.as_mut()?;
            timers.settle();
            let &Reverse((at, seq, slot)) = timers.heap.peek()?;
            if at > now {
                return None;
            }
            timers.heap.pop();
            timers.take(slot, seq)
        });
        match due {
            None => break,
            Some(TimerAction::Wake(task)) => park::wake(task),
            Some(TimerAction::Expire { task, deadline }) => {
                // SAFETY: the action was still in its slot, and the
                // `timeout` frame owning the deadline cancels its timer
                // (emptying the slot) before the deadline goes away.
                unsafe { deadline.as_ref() }.expired.set(true);
                park::wake(task);
            }
        }
    }
}

/// Parks the current task for `duration` (`asyncio.sleep`); other tasks run
/// meanwhile. Outside [`run`](crate::run) it sleeps the thread, like
/// `std::thread::sleep`. A zero duration still lets other tasks run once.
/// Sleeps (and timeouts) that end at the same instant fire in the order
/// they were started, and the tasks they wake run in that order.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// // Two 30 ms sleeps in two tasks overlap: the second starts before the
/// // first ends.
/// let order = corio::run(|| {
///     let log = std::cell::RefCell::new(Vec::new());
///     corio::join(
///         || { log.borrow_mut().push("a starts"); corio::sleep(Duration::from_millis(30)); log.borrow_mut().push("a ends") },
///         || { log.borrow_mut().push("b starts"); corio::sleep(Duration::from_millis(30)); log.borrow_mut().push("b ends") },
///     );
///     log.into_inner()
/// });
/// assert_eq!(order, ["a starts", "b starts", "a ends", "b ends"]);
/// ```
pub fn sleep(duration: Duration) {
    let deadline = clock::now()
        .checked_add(duration)
        .unwrap_or_else(far_future);
    sleep_until(deadline);
}

/// Parks the current task until `deadline`; see [`sleep`].
///
/// The deadline is read on the runtime's clock, [`crate::time::now`]:
/// under [virtual time](crate::Builder::virtual_time), take it from
/// `corio::time::now()`, not `Instant::now()`, which stays real (a
/// deadline from the real clock may lie behind a clock that has jumped
/// ahead, and then the sleep returns at once).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let wake_at = Instant::now() + Duration::from_millis(5);
/// corio::run(|| corio::sleep_until(wake_at));
/// assert!(Instant::now() >= wake_at);
/// ```
pub fn sleep_until(deadline: Instant) {
    unwind::in_task_or(
        |rt, task, unwinding| {
            // A cancelled task's destructors do not wait.
            if unwinding == Unwinding::Cancelled {
                return;
            }
            let me = rt
                .scheduler
                .current_ref()
                .expect("a sleeping task is running");
            let mut parked = false;
            while clock::now() < deadline {
                let _timer = add(deadline, TimerAction::Wake(me.clone()));
                park::park_in(
                    rt,
                    task,
                    Waiting::Timer {
                        deadline: waiting::ticks(deadline),
                    },
                );
                parked = true;
            }
            if !parked {
                // Already due (a zero duration, or a slow machine): still a
                // scheduling point, so the other ready tasks run first.
                yield_now();
            }
        },
        |elsewhere| match elsewhere {
            Elsewhere::Outside => {
                std::thread::sleep(deadline.saturating_duration_since(clock::now()));
            }
            // The loop's own stack cannot wait.
            Elsewhere::Loop => {}
        },
    );
}

/// The error of a [`timeout`] whose deadline passed first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// Runs `f` on the current task, giving up after `limit`: if `f` is still
/// running then, it is unwound from the point where it is parked (its
/// destructors run) and `Err(Elapsed)` is returned, like `asyncio.timeout`
/// / `asyncio.wait_for`. `f` is interrupted only where it parks (sleep,
/// I/O, join, sync waits); code that never parks cannot be interrupted.
///
/// The deadline belongs to the stack that called `timeout`: inside a
/// generator, if `f` yields out of the generator, the deadline can only
/// interrupt the generator (at its next park point once it is resumed),
/// never the code that resumed it.
///
/// A limit that ends at the same instant as the wait inside `f` (say
/// `timeout(d, || sleep(d))`) expires: every timer due at an instant
/// fires before any task runs again, and a task resuming from a park
/// checks its deadlines before the call it was parked in returns. So a
/// wake that another task makes at that instant (a grant, a value, the end
/// of a joined task) comes too late as well. Under virtual time this is
/// exact, not a race:
///
/// ```
/// use std::time::Duration;
///
/// corio::test::run(|| {
///     let d = Duration::from_secs(1);
///     assert!(corio::timeout(d, || corio::sleep(d)).is_err());
/// });
/// ```
///
/// # Errors
///
/// [`Elapsed`] when the limit passed before `f` finished.
///
/// # Panics
///
/// Outside a task of [`crate::run`]; and as `f` panics.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(|| {
///     let slow = corio::timeout(Duration::from_millis(10), || corio::sleep(Duration::from_secs(60)));
///     assert!(slow.is_err());
///     let quick = corio::timeout(Duration::from_secs(60), || 7);
///     assert_eq!(quick, Ok(7));
/// });
/// ```
pub fn timeout<T>(limit: Duration, f: impl FnOnce() -> T) -> Result<T, Elapsed> {
    let task = current::current_task("corio::timeout");
    let id = NEXT_DEADLINE.get();
    NEXT_DEADLINE.set(id + 1);
    let mut deadline = Deadline::new(id);
    let stack = context::current_or(&task.header.context);
    // SAFETY: `deadline` is a local that is not moved again, and `_linked`
    // is declared after it, so it is dropped first; both live in this
    // frame, which runs on `stack`'s coroutine stack, so `stack` (a task
    // header or a generator's slot header) outlives them.
    let _linked = unsafe { context::link_deadline(stack, &mut deadline) };
    let at = clock::now().checked_add(limit).unwrap_or_else(far_future);
    let timer = add(
        at,
        TimerAction::Expire {
            task: task.clone(),
            deadline: NonNull::from(&deadline),
        },
    );
    // Unmarked now means this stack is not unwinding (a panic marks the
    // stacks it starts on, and marks are cleared only while no stack of
    // the thread unwinds).
    let unwinding_before = stack.marked_may_unwind();
    drop(task); // the timer holds the reference it needs
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    drop(timer);
    match result {
        Ok(value) => Ok(value),
        Err(payload) => match payload.downcast::<DeadlineExpired>() {
            Ok(expired) if expired.id == id => {
                // The deadline's unwinding ended here, and it was the only
                // one on this stack: take its mark back. Left in place while
                // another stack is paused mid-unwind (so the mark cannot be
                // seen to be stale), it would hold back a later cancel of
                // this task for as long as the thread panics, for ever in
                // `run`'s teardown after a deadlock panic.
                if !unwinding_before {
                    let task = current::current_task("corio::timeout");
                    context::current_or(&task.header.context).clear_mark_after_catch();
                }
                drop(expired);
                Err(Elapsed(()))
            }
            Ok(other) => unwind::resume_unwind(other),
            Err(payload) => unwind::resume_unwind(payload),
        },
    }
}

/// An instant far enough ahead to mean "never" for a timer.
pub(crate) fn far_future() -> Instant {
    clock::now() + Duration::from_secs(86_400 * 365 * 30)
}
