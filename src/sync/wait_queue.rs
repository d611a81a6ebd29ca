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
//! an entry exists exactly while its task waits. The entry is a node of an
//! intrusive list that lives in the waiting call's own frame, on the
//! parked task's stack: a stackful task cannot move while parked, so the
//! node stays put, and a wait allocates nothing.

use std::cell::Cell;
use std::marker::PhantomPinned;
use std::pin::pin;
use std::ptr::NonNull;

use crate::context::Unwinding;
use crate::runtime::TaskRef;
use crate::runtime::current::Runtime;
use crate::runtime::park;
use crate::runtime::task::AnyTask;
use crate::runtime::unwind::{self, Elsewhere};
use crate::runtime::waiting::Waiting;

/// Tasks parked until something is granted to them, oldest first.
///
/// # Invariant
///
/// Every node reachable from `head` is a [`Waiter`] inside a live
/// [`Registration`] whose `linked` flag is set, and the `prev`/`next`
/// links of those nodes form one list from `head` to `tail`. A
/// registration unlinks its node in its destructor (if a grant has not
/// unlinked it first), and its frame does not move meanwhile (it is
/// pinned, on a stack that only runs or parks). The one exception is a
/// task abandoned at shutdown (`Scheduler::abandon`): its stack is
/// leaked, never unmapped or reused, so a node left in it stays valid
/// memory that a grant may still pop.
pub(super) struct WaitQueue {
    head: Cell<Option<NonNull<Waiter>>>,
    tail: Cell<Option<NonNull<Waiter>>>,
    /// How many nodes are linked.
    len: Cell<usize>,
}

/// One parked task's place in a [`WaitQueue`]: a node of its list, inside
/// the task's [`Registration`].
struct Waiter {
    /// The waiting task, taken by the grant to wake it.
    waker: Cell<Option<TaskRef>>,
    /// Set, once, by the grant that pops this waiter from the queue.
    granted: Cell<bool>,
    /// In the queue's list now.
    linked: Cell<bool>,
    prev: Cell<Option<NonNull<Waiter>>>,
    next: Cell<Option<NonNull<Waiter>>>,
    /// The queue links to this node by address.
    _pinned: PhantomPinned,
}

impl WaitQueue {
    /// An empty queue.
    pub(super) const fn new() -> Self {
        WaitQueue {
            head: Cell::new(None),
            tail: Cell::new(None),
            len: Cell::new(0),
        }
    }

    /// True when no task waits.
    pub(super) fn is_empty(&self) -> bool {
        self.head.get().is_none()
    }

    /// How many tasks wait (for `Debug`).
    pub(super) fn len(&self) -> usize {
        self.len.get()
    }

    /// Links `node` at the back.
    ///
    /// # Safety
    ///
    /// `node` is the waiter of a live, pinned registration of this queue,
    /// not linked yet; the registration's destructor unlinks it.
    unsafe fn push_back(&self, node: NonNull<Waiter>) {
        // SAFETY: `node` is live (our caller), and so is the old tail (the
        // queue's invariant).
        unsafe {
            let waiter = node.as_ref();
            waiter.prev.set(self.tail.get());
            waiter.next.set(None);
            waiter.linked.set(true);
            match self.tail.get() {
                Some(tail) => tail.as_ref().next.set(Some(node)),
                None => self.head.set(Some(node)),
            }
        }
        self.tail.set(Some(node));
        self.len.set(self.len.get() + 1);
    }

    /// Links a new waiter: at the back, or at the front with the
    /// deliberate bug of `Fault::LifoWaitQueue` (feature `test-faults`).
    ///
    /// # Safety
    ///
    /// As [`WaitQueue::push_back`].
    unsafe fn push_new(&self, node: NonNull<Waiter>) {
        #[cfg(feature = "test-faults")]
        if crate::model_faults::active(crate::model_faults::Fault::LifoWaitQueue) {
            // SAFETY: as `push_back`, which our caller upholds.
            return unsafe { self.push_front(node) };
        }
        // SAFETY: our caller upholds `push_back`'s contract.
        unsafe { self.push_back(node) }
    }

    /// Links `node` at the front: the deliberate bug of
    /// `Fault::LifoWaitQueue`.
    ///
    /// # Safety
    ///
    /// As [`WaitQueue::push_back`].
    #[cfg(feature = "test-faults")]
    unsafe fn push_front(&self, node: NonNull<Waiter>) {
        // SAFETY: `node` is live (our caller), and so is the old head (the
        // queue's invariant).
        unsafe {
            let waiter = node.as_ref();
            waiter.next.set(self.head.get());
            waiter.prev.set(None);
            waiter.linked.set(true);
            match self.head.get() {
                Some(head) => head.as_ref().prev.set(Some(node)),
                None => self.tail.set(Some(node)),
            }
        }
        self.head.set(Some(node));
        self.len.set(self.len.get() + 1);
    }

    /// Unlinks `node` from wherever it stands in the list.
    ///
    /// # Safety
    ///
    /// `node` is linked in this queue (so it and its neighbours are live).
    unsafe fn unlink(&self, node: &Waiter) {
        let (prev, next) = (node.prev.get(), node.next.get());
        // SAFETY: the neighbours of a linked node are linked, so live (the
        // queue's invariant).
        unsafe {
            match prev {
                Some(prev) => prev.as_ref().next.set(next),
                None => self.head.set(next),
            }
            match next {
                Some(next) => next.as_ref().prev.set(prev),
                None => self.tail.set(prev),
            }
        }
        node.linked.set(false);
        node.prev.set(None);
        node.next.set(None);
        self.len.set(self.len.get() - 1);
    }

    /// Grants the oldest waiter and wakes it; false if nobody waits.
    /// Always inlined: on a channel's hot path, it is a few loads and
    /// stores, fewer than a call's saves and restores.
    #[inline(always)]
    pub(super) fn grant_one(&self) -> bool {
        let Some(front) = self.head.get() else {
            return false;
        };
        // SAFETY: a linked node is live (the queue's invariant); it is
        // unlinked before the grant, which runs no user code, so the node
        // stays live until `grant` returns (its task stays parked).
        unsafe {
            let waiter = front.as_ref();
            self.unlink(waiter);
            #[cfg(feature = "test-faults")]
            if !self.is_empty()
                && crate::model_faults::active(crate::model_faults::Fault::ForgetWake)
            {
                waiter.granted.set(true); // the bug: granted, never woken
                drop(waiter.waker.take());
                return true;
            }
            waiter.grant();
        }
        true
    }

    /// Grants every waiter and wakes them all, oldest first.
    pub(super) fn grant_all(&self) {
        while self.grant_one() {}
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
        unwind::in_task_or(
            |rt, task, unwinding| {
                if unwinding == Unwinding::Cancelled && policy == Policy::GiveUp {
                    return false;
                }
                self.wait_in(rt, task, waiting, on_abandoned_grant)
            },
            |elsewhere| match elsewhere {
                Elsewhere::Outside => panic!(
                    "corio: {what} has to wait, and waiting needs a runtime; \
                     call it inside corio::run(|| ...)"
                ),
                Elsewhere::Loop => match policy {
                    Policy::GiveUp => false,
                    Policy::Wait => panic!(
                        "corio: {what} has to wait, but it was called on the event loop outside \
                         any task (a destructor the loop ran, e.g. at shutdown), where nothing \
                         can park"
                    ),
                },
            },
        )
    }

    /// [`WaitQueue::wait`] in `task`, the running task of `rt`.
    fn wait_in(
        &self,
        rt: &Runtime,
        task: &AnyTask,
        waiting: Waiting,
        on_abandoned_grant: impl FnOnce(),
    ) -> bool {
        let me = rt
            .scheduler
            .current_ref()
            .expect("a waiting task is running");
        let registration = pin!(Registration {
            queue: self,
            waiter: Waiter {
                waker: Cell::new(Some(me)),
                granted: Cell::new(false),
                linked: Cell::new(false),
                prev: Cell::new(None),
                next: Cell::new(None),
                _pinned: PhantomPinned,
            },
            on_abandoned_grant: Cell::new(Some(on_abandoned_grant)),
        });
        let waiter = &registration.waiter;
        // SAFETY: the registration is pinned in this frame, so the node
        // does not move until its destructor (which unlinks it) has run;
        // it was not linked before.
        unsafe { self.push_new(NonNull::from(waiter)) };
        loop {
            park::park_in(rt, task, waiting);
            if waiter.granted.get() {
                drop(registration.on_abandoned_grant.take()); // ours now
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
    /// Marks the waiter granted and wakes its task; the caller unlinked it.
    #[inline]
    fn grant(&self) {
        self.granted.set(true);
        if let Some(task) = self.waker.take() {
            park::wake(task);
        }
    }
}

/// A waiter's stake in the queue for the duration of one
/// [`WaitQueue::wait`]; its destructor is what makes unwinding safe.
struct Registration<'q, F: FnOnce()> {
    queue: &'q WaitQueue,
    /// The node the queue links to; pinned with the registration.
    waiter: Waiter,
    /// Runs if the waiter was granted but unwinds instead of taking the
    /// grant; `None` once the grant is taken.
    on_abandoned_grant: Cell<Option<F>>,
}

impl<F: FnOnce()> Drop for Registration<'_, F> {
    fn drop(&mut self) {
        if self.waiter.linked.get() {
            // SAFETY: linked in `queue` (the flag), and the registration
            // has not moved since it was linked (it is pinned).
            unsafe { self.queue.unlink(&self.waiter) };
        } else if self.waiter.granted.get()
            && let Some(pass_on) = self.on_abandoned_grant.take()
        {
            pass_on();
        }
        // The task reference, if no grant took it, goes with the node.
    }
}
