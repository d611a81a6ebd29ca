//! Running several pieces of work concurrently and combining the results:
//! `gather`, `join`, `race` and `select`, all built on [`scope`].
//! (`timeout` is in `time.rs`, with the rest of time.)

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe, Location};

use super::current;
use super::outcome::JoinError;
use super::park;
use super::scope::scope_named;
use super::spawn::SpawnOptions;
use super::task::TaskRef;
use super::unwind;
use super::waiting::Waiting as WaitingOn;

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
#[track_caller]
pub fn gather<T, F>(work: Vec<F>) -> Vec<T>
where
    F: FnOnce() -> T,
{
    let at = Location::caller();
    scope_named("corio::gather", |s| {
        let handles: Vec<_> = work
            .into_iter()
            .map(|f| s.spawn_with(SpawnOptions::at(at), f))
            .collect();
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
#[track_caller]
pub fn join<A, B, FA, FB>(a: FA, b: FB) -> (A, B)
where
    FA: FnOnce() -> A,
    FB: FnOnce() -> B,
{
    let at = Location::caller();
    scope_named("corio::join", |s| {
        let a = s.spawn_with(SpawnOptions::at(at), a);
        let b = s.spawn_with(SpawnOptions::at(at), b);
        (unwrap_or_propagate(a.join()), unwrap_or_propagate(b.join()))
    })
}

fn unwrap_or_propagate<T>(result: Result<T, JoinError>) -> T {
    match result {
        Ok(value) => value,
        Err(JoinError::Panicked(payload)) => unwind::resume_unwind(payload),
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
#[track_caller]
pub fn race<T, F>(work: Vec<F>) -> (usize, T)
where
    F: FnOnce() -> T,
{
    assert!(!work.is_empty(), "corio::race needs at least one closure");
    race_named("corio::race", Location::caller(), work)
}

/// [`race`], naming `what` in its panics, its children spawned `at`.
fn race_named<T, F>(what: &'static str, at: &'static Location<'static>, work: Vec<F>) -> (usize, T)
where
    F: FnOnce() -> T,
{
    let finish = FinishLine::default();
    scope_named(what, |s| {
        let handles: Vec<_> = work
            .into_iter()
            .enumerate()
            .map(|(index, f)| {
                let finish = &finish;
                s.spawn_with(SpawnOptions::at(at), move || {
                    // A closure that panics has finished too: it wins, and
                    // its panic comes out of `race`.
                    let value = panic::catch_unwind(AssertUnwindSafe(f));
                    finish.cross(index);
                    value.unwrap_or_else(|payload| unwind::resume_unwind(payload))
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
#[track_caller]
pub fn select<A, B, FA, FB>(a: FA, b: FB) -> Either<A, B>
where
    FA: FnOnce() -> A,
    FB: FnOnce() -> B,
{
    let work: Vec<Box<dyn FnOnce() -> Either<A, B> + '_>> = vec![
        Box::new(|| Either::Left(a())),
        Box::new(|| Either::Right(b())),
    ];
    race_named("corio::select", Location::caller(), work).1
}

/// Where racing tasks report finishing; the first report wins.
#[derive(Default)]
struct FinishLine {
    winner: Cell<Option<usize>>,
    /// The task parked in `wait`, while it waits.
    waiter: RefCell<Option<TaskRef>>,
}

impl FinishLine {
    fn cross(&self, index: usize) {
        if self.winner.get().is_none() {
            self.winner.set(Some(index));
            let waiter = self.waiter.borrow_mut().take();
            if let Some(waiter) = waiter {
                park::wake(waiter);
            }
        }
    }

    fn wait(&self) -> usize {
        let _registration = Waiting(self);
        loop {
            if let Some(index) = self.winner.get() {
                return index;
            }
            let me = current::current_task("corio::race");
            *self.waiter.borrow_mut() = Some(me);
            park::park_on(WaitingOn::Race);
        }
    }
}

/// Clears the finish line's waiter when its wait ends, however it ends.
struct Waiting<'a>(&'a FinishLine);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let waiter = self.0.waiter.borrow_mut().take();
        drop(waiter);
    }
}
