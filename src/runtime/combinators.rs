//! Running several pieces of work concurrently and combining the results:
//! `gather`, `join`, `race`, `select`, and `timeout`.

use std::cell::Cell;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use super::scheduler::{self, Waker};
use super::scope::scope;
use super::task::{JoinError, TaskRef};
use super::timer::TimerAction;

/// Runs every closure as its own task and returns their results in input
/// order once all have finished, like `asyncio.gather`. The closures may
/// borrow from the caller.
///
/// # Panics
///
/// If a closure panics, with its payload (the first in input order), after
/// the closures before it finished; the ones still running are cancelled.
/// Outside [`crate::run`].
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::time::Duration;
///
/// let started = &Cell::new(0);
/// let names = corio::run(|| {
///     corio::gather(["ana", "bo", "cy"].map(|name| move || {
///         started.set(started.get() + 1);
///         corio::sleep(Duration::from_millis(50));
///         // Concurrent, not one after another: all three have started.
///         assert_eq!(started.get(), 3);
///         name.to_uppercase()
///     }).to_vec())
/// });
/// assert_eq!(names, ["ANA", "BO", "CY"]);
/// ```
pub fn gather<T, F>(work: Vec<F>) -> Vec<T>
where
    F: FnOnce() -> T,
{
    scope(|s| {
        let handles: Vec<_> = work.into_iter().map(|f| s.spawn(f)).collect();
        handles
            .into_iter()
            .map(|h| unwrap_or_propagate(h.join()))
            .collect()
    })
}

/// Runs two closures concurrently and returns both results.
///
/// # Panics
///
/// As [`gather`].
///
/// # Examples
///
/// ```
/// let (a, b) = corio::run(|| corio::join(|| 1 + 1, || "two"));
/// assert_eq!((a, b), (2, "two"));
/// ```
pub fn join<A, B, FA, FB>(a: FA, b: FB) -> (A, B)
where
    FA: FnOnce() -> A,
    FB: FnOnce() -> B,
{
    scope(|s| {
        let a = s.spawn(a);
        let b = s.spawn(b);
        (unwrap_or_propagate(a.join()), unwrap_or_propagate(b.join()))
    })
}

fn unwrap_or_propagate<T>(result: Result<T, JoinError>) -> T {
    match result {
        Ok(value) => value,
        Err(JoinError::Panicked(payload)) => panic::resume_unwind(payload),
        // Only the enclosing scope cancels its children, and it does so
        // while unwinding, after which nobody joins.
        Err(JoinError::Cancelled) => panic!("corio: a task was cancelled while being gathered"),
    }
}

/// Runs every closure as its own task; the first to finish wins and the
/// others are cancelled (unwound at their park points). Returns the
/// winner's index and value.
///
/// # Panics
///
/// If `work` is empty; if the first closure to finish panicked (with its
/// payload); outside [`crate::run`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let (index, value) = corio::run(|| {
///     corio::race(vec![
///         Box::new(|| { corio::sleep(Duration::from_secs(10)); "slow" }) as Box<dyn FnOnce() -> &'static str>,
///         Box::new(|| { corio::sleep(Duration::from_millis(5)); "fast" }),
///     ])
/// });
/// assert_eq!((index, value), (1, "fast"));
/// ```
pub fn race<T, F>(work: Vec<F>) -> (usize, T)
where
    F: FnOnce() -> T,
{
    assert!(!work.is_empty(), "corio::race needs at least one closure");
    let finish = FinishLine::default();
    scope(|s| {
        let handles: Vec<_> = work
            .into_iter()
            .enumerate()
            .map(|(index, f)| {
                let finish = &finish;
                s.spawn(move || {
                    let value = f();
                    finish.cross(index);
                    value
                })
            })
            .collect();
        let winner = finish.wait();
        for (index, handle) in handles.iter().enumerate() {
            if index != winner {
                handle.abort();
            }
        }
        let value = handles
            .into_iter()
            .nth(winner)
            .expect("winner index is in range")
            .join();
        (winner, unwrap_or_propagate(value))
    })
}

/// One of two values, from [`select`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Either<A, B> {
    /// The first closure finished first.
    Left(A),
    /// The second closure finished first.
    Right(B),
}

/// Runs two closures concurrently; the first to finish wins and the other is
/// cancelled. Like `race` for two closures of different result types.
///
/// # Panics
///
/// As [`race`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use corio::Either;
///
/// let first = corio::run(|| {
///     corio::select(
///         || { corio::sleep(Duration::from_millis(5)); 42 },
///         || { corio::sleep(Duration::from_secs(10)); "late" },
///     )
/// });
/// assert_eq!(first, Either::Left(42));
/// ```
pub fn select<A, B, FA, FB>(a: FA, b: FB) -> Either<A, B>
where
    FA: FnOnce() -> A,
    FB: FnOnce() -> B,
{
    let work: Vec<Box<dyn FnOnce() -> Either<A, B> + '_>> = vec![
        Box::new(|| Either::Left(a())),
        Box::new(|| Either::Right(b())),
    ];
    race(work).1
}

/// Where racing tasks report finishing; the first report wins.
#[derive(Default)]
struct FinishLine {
    winner: Cell<Option<usize>>,
    waiter: Cell<Option<Waker>>,
}

impl FinishLine {
    fn cross(&self, index: usize) {
        if self.winner.get().is_none() {
            self.winner.set(Some(index));
            if let Some(waiter) = self.waiter.take() {
                waiter.wake();
            }
        }
    }

    fn wait(&self) -> usize {
        loop {
            if let Some(index) = self.winner.get() {
                return index;
            }
            self.waiter.set(Some(scheduler::current_waker()));
            scheduler::park();
        }
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

/// The unwinding payload that carries a `timeout`'s expiry from the park
/// point up to its `timeout` call.
pub(crate) struct DeadlineExpired(pub(crate) u64);

/// Runs `f` on the current task, giving up after `limit`: if `f` is still
/// running then, it is unwound from the point where it is parked (its
/// destructors run) and `Err(Elapsed)` is returned, like `asyncio.timeout`
/// / `asyncio.wait_for`. `f` is interrupted only where it parks (sleep,
/// I/O, join, sync waits); code that never parks cannot be interrupted.
///
/// # Errors
///
/// [`Elapsed`] when the limit passed before `f` finished.
///
/// # Panics
///
/// Outside [`crate::run`]; and as `f` panics.
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
    let task = scheduler::current_task();
    let header = task.header();
    let id = scheduler::with("corio::timeout", |rt| {
        let id = rt.next_task_id();
        // Active before its timer exists: a timer heap sweep treats
        // deadlines that are not active as stale.
        header.deadlines.borrow_mut().push(id);
        let at = Instant::now().checked_add(limit).unwrap_or_else(far_future);
        rt.timers.borrow_mut().insert(
            at,
            TimerAction::Deadline {
                task: task.clone(),
                id,
            },
        );
        id
    });
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    header.deadlines.borrow_mut().retain(|&d| d != id);
    if header.expired_deadline.get() == Some(id) {
        header.expired_deadline.set(None);
    }
    match result {
        Ok(value) => Ok(value),
        Err(payload) => match payload.downcast::<DeadlineExpired>() {
            Ok(expired) if expired.0 == id => Err(Elapsed(())),
            Ok(other) => panic::resume_unwind(other),
            Err(payload) => panic::resume_unwind(payload),
        },
    }
}

/// An instant far enough ahead to mean "never" for a timer.
pub(crate) fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// Records that deadline `id` of `task` passed; the task unwinds to the
/// outermost expired `timeout` at its next park check. False if that
/// `timeout` already returned (the timer entry was stale).
pub(crate) fn expire_deadline(task: &TaskRef, id: u64) -> bool {
    let header = task.header();
    let deadlines = header.deadlines.borrow();
    let Some(position) = deadlines.iter().position(|&d| d == id) else {
        return false; // that timeout already returned
    };
    let outer = header
        .expired_deadline
        .get()
        .and_then(|current| deadlines.iter().position(|&d| d == current))
        .is_some_and(|current| current < position);
    if !outer {
        header.expired_deadline.set(Some(id));
    }
    true
}
