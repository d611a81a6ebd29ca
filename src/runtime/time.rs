//! All of time: the runtime's timers, `sleep`, `sleep_until` and
//! `timeout`. Deadlines are instants of the runtime's clock
//! (`super::clock`: real, or virtual), never read from `Instant::now()`
//! directly.
//!
//! Timers are kept ordered by `(deadline, sequence)` in a `BTreeMap`, so
//! equal deadlines fire first-in first-out and any entry can be removed in
//! O(log n). Each entry is owned by an RAII [`TimerEntry`] held by the
//! frame that waits: its drop (on return or unwind) removes the entry, so
//! the table holds exactly the waits in progress. That keeps finished
//! tasks out of it and makes "no timer is pending" mean what it says.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use super::clock;
use super::current;
use super::park::{self, yield_now};
use super::task::TaskRef;
use super::unwind::{self, Place};
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

/// The pending timers of the thread's runtime.
struct Timers {
    /// The runtime these belong to (see `current::Runtime::id`).
    runtime: u64,
    entries: BTreeMap<(Instant, u64), TimerAction>,
    next_seq: u64,
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
        entries: BTreeMap::new(),
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

/// One entry in the timer table, removed when this is dropped.
#[must_use]
pub(crate) struct TimerEntry {
    runtime: u64,
    key: (Instant, u64),
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
        let key = (at, timers.next_seq);
        timers.entries.insert(key, action);
        TimerEntry {
            runtime: timers.runtime,
            key,
        }
    })
}

impl Drop for TimerEntry {
    fn drop(&mut self) {
        let removed = TIMERS.with_borrow_mut(|timers| match timers {
            Some(timers) if timers.runtime == self.runtime => timers.entries.remove(&self.key),
            _ => None, // fired already, or its runtime is gone
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
    TIMERS.with_borrow(|timers| {
        timers
            .as_ref()?
            .entries
            .first_key_value()
            .map(|(&(at, _), _)| at)
    })
}

/// True if any timer is pending.
pub(crate) fn any_pending() -> bool {
    TIMERS.with_borrow(|timers| timers.as_ref().is_some_and(|t| !t.entries.is_empty()))
}

/// Fires every timer due at `now`, earliest first.
pub(crate) fn fire_due(now: Instant) {
    loop {
        let due = TIMERS.with_borrow_mut(|timers| {
            let entries = &mut timers.as_mut()?.entries;
            let (&(at, _), _) = entries.first_key_value()?;
            if at > now {
                return None;
            }
            entries.pop_first().map(|(_, action)| action)
        });
        match due {
            None => break,
            Some(TimerAction::Wake(task)) => park::wake(&task),
            Some(TimerAction::Expire { task, deadline }) => {
                // SAFETY: the entry was in the table, and the `timeout`
                // frame owning the deadline removes its entry before the
                // deadline goes away; we popped it while still present.
                unsafe { deadline.as_ref() }.expired.set(true);
                park::wake(&task);
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
    match unwind::place() {
        Place::Outside => {
            std::thread::sleep(deadline.saturating_duration_since(clock::now()));
            return;
        }
        // A cancelled task's destructors do not wait, and the loop's own
        // stack cannot.
        Place::Loop | Place::Task(Unwinding::Cancelled) => return,
        Place::Task(_) => {}
    }
    let task = current::current_task("corio::sleep");
    let mut parked = false;
    while clock::now() < deadline {
        let _timer = add(deadline, TimerAction::Wake(task.clone()));
        park::park_on(Waiting::Timer {
            deadline: waiting::ticks(deadline),
        });
        parked = true;
    }
    if !parked {
        // Already due (a zero duration, or a slow machine): still a
        // scheduling point, so the other ready tasks run first.
        yield_now();
    }
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
    drop(task); // the timer holds the reference it needs
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    drop(timer);
    match result {
        Ok(value) => Ok(value),
        Err(payload) => match payload.downcast::<DeadlineExpired>() {
            Ok(expired) if expired.id == id => Err(Elapsed(())),
            Ok(other) => unwind::resume_unwind(other),
            Err(payload) => unwind::resume_unwind(payload),
        },
    }
}

/// An instant far enough ahead to mean "never" for a timer.
pub(crate) fn far_future() -> Instant {
    clock::now() + Duration::from_secs(86_400 * 365 * 30)
}
