//! A flag tasks can wait on, like `asyncio.Event`.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;

use super::wait_queue::{Policy, WaitQueue};
use crate::runtime::waiting::{Waiting, id_of};

/// A flag that starts unset; [`wait`](Event::wait) parks until it is set,
/// and [`set`](Event::set) wakes every waiting task at once.
///
/// A task waiting when `set` is called returns from `wait` even if the
/// flag is cleared again before it runs (as in asyncio): a `set` is never
/// missed.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use corio::sync::Event;
///
/// corio::run(|| {
///     let ready = Rc::new(Event::new());
///     let workers: Vec<_> = (0..3).map(|n| {
///         let ready = ready.clone();
///         corio::spawn(move || { ready.wait(); n })
///     }).collect();
///     corio::yield_now(); // all three wait
///     ready.set();
///     let done: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
///     assert_eq!(done, [0, 1, 2]);
/// });
/// ```
pub struct Event {
    /// The flag.
    set: Cell<bool>,
    /// Tasks parked in [`Event::wait`]; a grant means "was set".
    waiters: WaitQueue,
    /// Waiters are tasks of this thread's runtime.
    _not_send: PhantomData<Rc<()>>,
}

impl Event {
    /// A new event, not set.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| assert!(!corio::sync::Event::new().is_set()));
    /// ```
    pub const fn new() -> Self {
        Event {
            set: Cell::new(false),
            waiters: WaitQueue::new(),
            _not_send: PhantomData,
        }
    }

    /// Sets the flag and wakes every waiting task; later `wait`s return at
    /// once until [`clear`](Event::clear).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// corio::run(|| {
    ///     let event = Rc::new(corio::sync::Event::new());
    ///     let e = event.clone();
    ///     let waiter = corio::spawn(move || e.wait());
    ///     corio::yield_now();
    ///     event.set();
    ///     waiter.join().unwrap();
    ///     assert!(event.is_set());
    /// });
    /// ```
    pub fn set(&self) {
        self.set.set(true);
        self.waiters.grant_all();
    }

    /// Unsets the flag; tasks calling `wait` from now on park again.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let event = corio::sync::Event::new();
    ///     event.set();
    ///     event.clear();
    ///     assert!(!event.is_set());
    /// });
    /// ```
    pub fn clear(&self) {
        self.set.set(false);
    }

    /// True while the flag is set.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let event = corio::sync::Event::new();
    ///     assert!(!event.is_set());
    ///     event.set();
    ///     assert!(event.is_set());
    /// });
    /// ```
    pub fn is_set(&self) -> bool {
        self.set.get()
    }

    /// Returns at once if the flag is set, else parks until [`set`](Event::set)
    /// is called. Works outside a runtime when the flag is set.
    ///
    /// If the task is aborted or a `timeout` expires while it waits, this
    /// unwinds like any park point. In a destructor of a task being
    /// cancelled (or on the event loop outside any task), it returns at
    /// once even if the flag is not set.
    ///
    /// # Panics
    ///
    /// Outside [`crate::run`] if the flag is not set: nothing could set it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::{rc::Rc, time::Duration};
    ///
    /// corio::run(|| {
    ///     let shutdown = Rc::new(corio::sync::Event::new());
    ///     let s = shutdown.clone();
    ///     corio::spawn(move || {
    ///         corio::sleep(Duration::from_millis(5));
    ///         s.set();
    ///     });
    ///     shutdown.wait();
    ///     assert!(shutdown.is_set());
    /// });
    /// ```
    pub fn wait(&self) {
        crate::runtime::park::spend_budget();
        if self.is_set() {
            return;
        }
        // A set is for every waiter at once; a waiter that vanishes after
        // one has nothing to pass on.
        let waiting = Waiting::Event { event: id_of(self) };
        self.waiters
            .wait("Event::wait", Policy::GiveUp, waiting, || {});
    }
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.set.get())
            .field("waiters", &self.waiters.len())
            .finish()
    }
}
