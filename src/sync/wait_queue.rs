//! The FIFO queue of parked tasks that every primitive in this module waits
//! in, and the grant protocol that keeps hand-offs fair and
//! cancellation-safe.
//!
//! A waiter joins the back of the queue and parks. Whoever frees something
//! (a permit, a channel slot, a value, the event flag) *grants* it: pops the
//! front waiter, marks it granted and wakes it. From that moment the thing
//! belongs to the waiter, even though it has not run yet, so a newcomer
//! that arrives before it runs cannot overtake it.
//!
//! A waiter can vanish instead of returning: `park` unwinds when its task
//! is aborted or a `timeout` around it expires. Its [`Registration`] is
//! dropped by that unwinding and cleans up after it:
//!
//! ```text
//!   queued --grant--> granted --wait returns--> owner of the grant
//!     |                  |
//!     | unwinds          | unwinds
//!     v                  v
//!   removed from       on_abandoned_grant(): the grant is passed on
//!   the queue          (next waiter, or back to the pool)
//! ```
//!
//! The queue tracks its waiters explicitly (the `Registration` above):
//! an entry exists exactly while its task waits.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use crate::context::Unwinding;
use crate::runtime::TaskRef;
use crate::runtime::unwind::{self, Place};
use crate::runtime::waiting::Waiting;
use crate::runtime::{current, park};

/// Tasks parked until something is granted to them, oldest first.
pub(super) struct WaitQueue {
    /// Waiters not granted yet. A waiter leaves when it is granted (popped
    /// by [`WaitQueue::grant_one`] / [`WaitQueue::grant_all`]) or when its
    /// [`Registration`] is dropped before that.
    waiters: RefCell<VecDeque<Rc<Waiter>>>,
}

/// One parked task's place in a [`WaitQueue`], shared by the queue and the
/// task's [`Registration`].
struct Waiter {
    /// The waiting task, taken by the grant to wake it.
    waker: RefCell<Option<TaskRef>>,
    /// Set, once, by the grant that pops this waiter from the queue.
    granted: Cell<bool>,
}

impl WaitQueue {
    /// An empty queue.
    pub(super) const fn new() -> Self {
        WaitQueue {
            waiters: RefCell::new(VecDeque::new()),
        }
    }

    /// True when no task waits.
    pub(super) fn is_empty(&self) -> bool {
        self.waiters.borrow().is_empty()
    }

    /// How many tasks wait (for `Debug`).
    pub(super) fn len(&self) -> usize {
        self.waiters.borrow().len()
    }

    /// Grants the oldest waiter and wakes it; false if nobody waits.
    pub(super) fn grant_one(&self) -> bool {
        // The borrow ends with this statement: waking runs no user code
        // today, but a queue must not be borrowed while anyone is woken.
        let front = self.waiters.borrow_mut().pop_front();
        match front {
            Some(waiter) => {
                waiter.grant();
                true
            }
            None => false,
        }
    }

    /// Grants every waiter and wakes them all, oldest first.
    pub(super) fn grant_all(&self) {
        let all = std::mem::take(&mut *self.waiters.borrow_mut());
        for waiter in all {
            waiter.grant();
        }
    }

    /// Parks the current task at the back of the queue until it is
    /// granted; true once it is. `waiting` says what for, for a dump.
    ///
    /// Returns false, without a grant and without waiting, where waiting
    /// would be wrong: on a cancel-unwinding stack (a destructor of a
    /// cancelled task) when `policy` says [`Policy::GiveUp`], and on the
    /// event loop's own stack outside any task. If the park unwinds after
    /// a grant, `on_abandoned_grant` runs (during the unwinding) so the
    /// grant is not lost; it must not park.
    ///
    /// # Panics
    ///
    /// Outside [`crate::run`], naming `what`: nothing could ever grant;
    /// and on the loop's own stack with [`Policy::Wait`].
    pub(super) fn wait(
        &self,
        what: &str,
        policy: Policy,
        waiting: Waiting,
        on_abandoned_grant: impl FnOnce(),
    ) -> bool {
        match unwind::place() {
            Place::Outside => panic!(
                "corio: {what} has to wait, and waiting needs a runtime; \
                 call it inside corio::run(|| ...)"
            ),
            Place::Loop => match policy {
                Policy::GiveUp => return false,
                Policy::Wait => panic!(
                    "corio: {what} has to wait, but it was called on the event loop outside \
                     any task (a destructor the loop ran, e.g. at shutdown), where nothing \
                     can park"
                ),
            },
            Place::Task(Unwinding::Cancelled) if policy == Policy::GiveUp => return false,
            Place::Task(_) => {}
        }
        let mut registration = Registration {
            queue: self,
            waiter: Rc::new(Waiter {
                waker: RefCell::new(Some(current::current_task(what))),
                granted: Cell::new(false),
            }),
            on_abandoned_grant: Some(on_abandoned_grant),
        };
        self.waiters
            .borrow_mut()
            .push_back(Rc::clone(&registration.waiter));
        loop {
            park::park_on(waiting);
            if registration.waiter.granted.get() {
                registration.on_abandoned_grant = None; // ours now
                return true;
            }
            // Woken without a grant (a stray wake): keep our place.
        }
    }
}

/// What a wait does on a stack that is cancel-unwinding (see the outcome
/// table in the crate docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Policy {
    /// Give up at once (channels, `Event`): the wait may never end.
    GiveUp,
    /// Wait as usual (`Mutex`, `Semaphore`): locks are held briefly, and
    /// cleanup like `room.lock().remove(id)` must work.
    Wait,
}

impl Waiter {
    /// Marks the waiter granted and wakes its task.
    fn grant(&self) {
        self.granted.set(true);
        let waker = self.waker.borrow_mut().take();
        if let Some(task) = waker {
            park::wake(&task);
        }
    }
}

/// A waiter's stake in the queue for the duration of one
/// [`WaitQueue::wait`]; its destructor is what makes unwinding safe.
struct Registration<'q, F: FnOnce()> {
    queue: &'q WaitQueue,
    waiter: Rc<Waiter>,
    /// Runs if the waiter was granted but unwinds instead of taking the
    /// grant; `None` once the grant is taken.
    on_abandoned_grant: Option<F>,
}

impl<F: FnOnce()> Drop for Registration<'_, F> {
    fn drop(&mut self) {
        if self.waiter.granted.get() {
            if let Some(pass_on) = self.on_abandoned_grant.take() {
                pass_on();
            }
            return;
        }
        let mut waiters = self.queue.waiters.borrow_mut();
        if let Some(index) = waiters.iter().position(|w| Rc::ptr_eq(w, &self.waiter)) {
            waiters.remove(index);
        }
    }
}
