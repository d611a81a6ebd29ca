//! A counting semaphore with strictly first-come, first-served waiters.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;

use super::wait_queue::{Policy, WaitQueue};
use crate::runtime::waiting::{Waiting, id_of};

/// A pool of permits that tasks take and give back, like
/// `asyncio.Semaphore`: at most `permits` holders at once.
///
/// Fair: tasks get permits in the order they asked. A released permit goes
/// straight to the oldest waiter, so a task arriving later never takes it
/// first, not even with [`try_acquire`](Semaphore::try_acquire) while the
/// woken waiter has yet to run. A waiter that is aborted or timed out
/// leaves the queue; if a permit had already been handed to it, the permit
/// goes on to the next waiter.
///
/// The semaphore belongs to one thread's runtime; share it between tasks
/// with `Rc` (or borrow it from a [`corio::scope`](crate::scope)):
///
/// ```compile_fail,E0277
/// let semaphore = corio::sync::Semaphore::new(1);
/// std::thread::spawn(move || semaphore.available_permits());
/// ```
///
/// # Examples
///
/// ```
/// use std::{cell::Cell, rc::Rc, time::Duration};
/// use corio::sync::Semaphore;
///
/// corio::run(|| {
///     let downloads = Rc::new(Semaphore::new(2));
///     let active = Rc::new(Cell::new(0));
///     let workers: Vec<_> = (0..6).map(|_| {
///         let (downloads, active) = (downloads.clone(), active.clone());
///         corio::spawn(move || {
///             let _permit = downloads.acquire();
///             active.set(active.get() + 1);
///             assert!(active.get() <= 2);
///             corio::sleep(Duration::from_millis(1)); // the "download"
///             active.set(active.get() - 1);
///         })
///     }).collect();
///     for worker in workers {
///         worker.join().unwrap();
///     }
/// });
/// ```
pub struct Semaphore {
    /// Permits that nobody holds and nobody has been granted.
    ///
    /// # Invariant
    ///
    /// Zero whenever `waiters` is non-empty: a release grants the oldest
    /// waiter before anything is added here, and a task joins the queue
    /// only when this is zero.
    permits: Cell<usize>,
    /// Tasks parked in [`Semaphore::acquire`]; a grant is one permit.
    waiters: WaitQueue,
    /// Waiters are tasks of this thread's runtime.
    _not_send: PhantomData<Rc<()>>,
}

impl Semaphore {
    /// A semaphore with `permits` permits free.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let semaphore = corio::sync::Semaphore::new(3);
    ///     assert_eq!(semaphore.available_permits(), 3);
    /// });
    /// ```
    pub const fn new(permits: usize) -> Self {
        Semaphore {
            permits: Cell::new(permits),
            waiters: WaitQueue::new(),
            _not_send: PhantomData,
        }
    }

    /// Takes a permit, parking until one is free and every task that asked
    /// earlier has had its turn; dropping the permit gives it back.
    ///
    /// If the task is aborted or a `timeout` expires while it waits, this
    /// unwinds like any park point and no permit is lost.
    ///
    /// # Panics
    ///
    /// If it has to wait (no permit free, or other tasks queued) and:
    ///
    /// - it was called outside [`crate::run`], where nothing could release
    ///   a permit; or
    /// - it was called on the event loop outside any task (a destructor
    ///   the loop itself runs), where nothing can park.
    ///
    /// In a destructor of a task being cancelled it parks as usual.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use corio::sync::Semaphore;
    ///
    /// corio::run(|| {
    ///     let semaphore = Rc::new(Semaphore::new(1));
    ///     let permit = semaphore.acquire();
    ///     let s = semaphore.clone();
    ///     let waiter = corio::spawn(move || {
    ///         let _permit = s.acquire(); // parks until `permit` is dropped
    ///         "got it"
    ///     });
    ///     corio::yield_now();
    ///     assert!(!waiter.is_finished());
    ///     drop(permit);
    ///     assert_eq!(waiter.join().unwrap(), "got it");
    /// });
    /// ```
    pub fn acquire(&self) -> SemaphorePermit<'_> {
        let waiting = Waiting::Semaphore {
            semaphore: id_of(self),
        };
        self.acquire_for("Semaphore::acquire", waiting)
    }

    /// [`acquire`](Semaphore::acquire), naming `what` in its panics and
    /// `waiting` in a dump.
    pub(super) fn acquire_for(&self, what: &str, waiting: Waiting) -> SemaphorePermit<'_> {
        crate::runtime::park::spend_budget();
        if let Some(permit) = self.try_acquire() {
            return permit;
        }
        // A permit granted to us while we sit in the ready queue is ours;
        // if we unwind before taking it, it goes to whoever is next.
        let granted = self
            .waiters
            .wait(what, Policy::Wait, waiting, || self.release(1));
        debug_assert!(granted, "a Policy::Wait wait returns only once granted");
        SemaphorePermit::new(self)
    }

    /// Takes a permit if one is free and no task is queued for one; never
    /// parks, and works outside a runtime too.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let semaphore = corio::sync::Semaphore::new(1);
    ///     let first = semaphore.try_acquire();
    ///     assert!(first.is_some());
    ///     assert!(semaphore.try_acquire().is_none());
    ///     drop(first);
    ///     assert!(semaphore.try_acquire().is_some());
    /// });
    /// ```
    pub fn try_acquire(&self) -> Option<SemaphorePermit<'_>> {
        // With waiters queued there is no free permit (the invariant), but
        // say so: a newcomer never overtakes the queue.
        let free = self.permits.get();
        if free == 0 || !self.waiters.is_empty() {
            return None;
        }
        self.permits.set(free - 1);
        Some(SemaphorePermit::new(self))
    }

    /// How many permits are free now (not held, not handed to a waiter).
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let semaphore = corio::sync::Semaphore::new(2);
    ///     let _permit = semaphore.acquire();
    ///     assert_eq!(semaphore.available_permits(), 1);
    /// });
    /// ```
    pub fn available_permits(&self) -> usize {
        self.permits.get()
    }

    /// Adds `n` permits, handing them to queued tasks first, oldest first.
    ///
    /// # Panics
    ///
    /// If the free permits would exceed `usize::MAX`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use corio::sync::Semaphore;
    ///
    /// corio::run(|| {
    ///     let gate = Rc::new(Semaphore::new(0)); // closed until opened
    ///     let g = gate.clone();
    ///     let task = corio::spawn(move || { let _permit = g.acquire(); "through" });
    ///     corio::yield_now();
    ///     gate.add_permits(1); // goes to the waiting task, not the pool
    ///     assert_eq!(gate.available_permits(), 0);
    ///     assert_eq!(task.join().unwrap(), "through");
    ///     assert_eq!(gate.available_permits(), 1);
    /// });
    /// ```
    pub fn add_permits(&self, n: usize) {
        self.release(n);
    }

    /// Gives `n` permits back: to waiters first, then to the pool.
    fn release(&self, mut n: usize) {
        while n > 0 && self.waiters.grant_one() {
            n -= 1;
        }
        let permits = self
            .permits
            .get()
            .checked_add(n)
            .expect("corio: Semaphore permit count overflowed usize");
        self.permits.set(permits);
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available_permits", &self.permits.get())
            .field("waiters", &self.waiters.len())
            .finish()
    }
}

/// One permit of a [`Semaphore`], given back when dropped (the body of
/// `async with semaphore:`).
///
/// # Examples
///
/// ```
/// corio::run(|| {
///     let semaphore = corio::sync::Semaphore::new(1);
///     {
///         let _permit = semaphore.acquire();
///         assert_eq!(semaphore.available_permits(), 0);
///     }
///     assert_eq!(semaphore.available_permits(), 1);
/// });
/// ```
#[must_use = "the permit is released as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    /// Releasing wakes a task of this thread's runtime.
    _not_send: PhantomData<Rc<()>>,
}

impl<'a> SemaphorePermit<'a> {
    /// Wraps a permit the caller has taken out of `semaphore`'s count.
    fn new(semaphore: &'a Semaphore) -> Self {
        SemaphorePermit {
            semaphore,
            _not_send: PhantomData,
        }
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.release(1);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("semaphore", self.semaphore)
            .finish()
    }
}
