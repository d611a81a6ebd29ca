//! A mutex whose `lock` parks the task instead of the thread: a
//! one-permit [`Semaphore`] guarding an `UnsafeCell`.

use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use super::semaphore::{Semaphore, SemaphorePermit};
use crate::runtime::waiting::Waiting;

/// Mutual exclusion for a value shared by tasks, like `asyncio.Lock` with
/// the data it protects inside: the guard may be held across parks
/// (sleeps, I/O, joins), which `RefCell` cannot do safely.
///
/// Fair: tasks get the lock in the order they asked, and an unlocked mutex
/// goes straight to the oldest waiter. Not reentrant: a task that locks it
/// twice waits for itself forever. Not poisoned: a task that panics while
/// holding the guard releases it, and the value stays as the task left it.
///
/// The mutex belongs to one thread's runtime (share it with `Rc` or
/// borrow it from a [`corio::scope`](crate::scope)):
///
/// ```compile_fail,E0277
/// let mutex = corio::sync::Mutex::new(0);
/// std::thread::spawn(move || mutex.into_inner());
/// ```
///
/// # Examples
///
/// ```
/// use std::{rc::Rc, time::Duration};
/// use corio::sync::Mutex;
///
/// corio::run(|| {
///     let balance = Rc::new(Mutex::new(100));
///     let withdrawals: Vec<_> = (0..4).map(|_| {
///         let balance = balance.clone();
///         corio::spawn(move || {
///             let mut balance = balance.lock();
///             let seen = *balance;
///             corio::sleep(Duration::from_millis(1)); // e.g. ask a server
///             *balance = seen - 10; // no other task ran in between
///         })
///     }).collect();
///     for w in withdrawals {
///         w.join().unwrap();
///     }
///     assert_eq!(*balance.lock(), 60);
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    /// One permit; whoever holds it may touch `value`. Its `PhantomData`
    /// makes the mutex `!Send` and `!Sync`: waiters are this thread's tasks.
    lock: Semaphore,
    /// The id of the task holding the guard, 0 when unlocked (or locked
    /// outside any task): what a dump and the deadlock report name as the
    /// one a waiter waits for.
    holder: Cell<u64>,
    /// # Invariant
    ///
    /// Reached only through a [`MutexGuard`] (which holds `lock`'s single
    /// permit) or through `&mut self` / `self`, which no live guard allows.
    value: UnsafeCell<T>,
}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let names = corio::sync::Mutex::new(Vec::<String>::new());
    ///     names.lock().push("ana".into());
    ///     assert_eq!(names.lock().len(), 1);
    /// });
    /// ```
    pub const fn new(value: T) -> Self {
        Mutex {
            lock: Semaphore::new(1),
            holder: Cell::new(0),
            value: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex and returns the value; no locking is needed.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let counter = corio::sync::Mutex::new(1);
    ///     *counter.lock() += 1;
    ///     assert_eq!(counter.into_inner(), 2);
    /// });
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, parking until every task that asked earlier has had
    /// its turn; the lock is released when the guard is dropped.
    ///
    /// If the task is aborted or a `timeout` expires while it waits, this
    /// unwinds like any park point and the lock passes to the next waiter.
    ///
    /// # Panics
    ///
    /// If it has to wait and was called outside [`crate::run`], or on the
    /// event loop outside any task (a destructor the loop itself runs),
    /// where nothing can park. In a destructor of a task being cancelled it
    /// parks as usual (see the crate docs' outcome table).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    /// use corio::sync::Mutex;
    ///
    /// corio::run(|| {
    ///     let log = Rc::new(Mutex::new(String::new()));
    ///     let l = log.clone();
    ///     let writer = corio::spawn(move || l.lock().push_str("task "));
    ///     log.lock().push_str("main ");
    ///     writer.join().unwrap();
    ///     assert_eq!(*log.lock(), "main task ");
    /// });
    /// ```
    pub fn lock(&self) -> MutexGuard<'_, T> {
        let waiting = Waiting::Mutex {
            holder: NonNull::from(&self.holder),
        };
        let permit = self.lock.acquire_for("Mutex::lock", waiting);
        MutexGuard::new(self, permit)
    }

    /// Locks the mutex if it is free and nobody is queued for it; never
    /// parks, and works outside a runtime too.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let mutex = corio::sync::Mutex::new(5);
    ///     let guard = mutex.try_lock().unwrap();
    ///     assert!(mutex.try_lock().is_none());
    ///     drop(guard);
    ///     assert_eq!(*mutex.try_lock().unwrap(), 5);
    /// });
    /// ```
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let permit = self.lock.try_acquire()?;
        Some(MutexGuard::new(self, permit))
    }

    /// The value, through an exclusive borrow of the mutex: no locking is
    /// needed, since no guard can exist.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let mut mutex = corio::sync::Mutex::new(1);
    ///     *mutex.get_mut() = 10;
    ///     assert_eq!(*mutex.lock(), 10);
    /// });
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(guard) => d.field("value", &&*guard),
            None => d.field("value", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Exclusive access to a [`Mutex`]'s value; dropping it unlocks the mutex
/// (and hands it to the oldest waiting task).
///
/// # Examples
///
/// ```
/// corio::run(|| {
///     let mutex = corio::sync::Mutex::new(vec![1, 2]);
///     let mut guard = mutex.lock();
///     guard.push(3); // DerefMut
///     assert_eq!(guard.len(), 3); // Deref
/// });
/// ```
#[must_use = "the mutex is unlocked as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    /// # Invariant
    ///
    /// The only permit of `mutex.lock`: while this guard lives, no other
    /// guard exists. Dropped (released) after the guard's last use.
    _permit: SemaphorePermit<'a>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The guard of `mutex`, whose only permit is `permit`; records the
    /// running task as the holder.
    fn new(mutex: &'a Mutex<T>, permit: SemaphorePermit<'a>) -> Self {
        mutex.holder.set(crate::runtime::current_task_id());
        MutexGuard {
            mutex,
            _permit: permit,
        }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    /// Clears the holder; the permit, dropped right after, unlocks.
    fn drop(&mut self) {
        self.mutex.holder.set(0);
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds the mutex's only permit (`_permit`'s
        // invariant), so no other guard, and thus no `&mut T`, exists; and
        // `get_mut`/`into_inner` need the mutex unborrowed, which `self.mutex`
        // prevents. The `&T` cannot outlive `&self`, hence the permit.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, no other access path to the value exists
        // while this guard lives, and `&mut self` rules out other borrows
        // through this guard for the lifetime of the result.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
