//! The ready queue: runnable tasks, oldest first, linked through their
//! own headers.
//!
//! A switch pushes the task that yields and pops the one to run, so this
//! is on the hottest path of the runtime. An intrusive list makes each a
//! few loads and stores: no `RefCell` borrow flag, no ring-buffer index
//! arithmetic, no capacity check, and no allocation ever (a `VecDeque`
//! grows, and then holds its peak size for the runtime's life).
//!
//! The queue owns one strong count of every task linked in it, exactly as
//! a collection of [`TaskRef`]s would: `push` turns the reference into a
//! raw pointer and `pop` turns it back.

use std::cell::Cell;
use std::ptr::NonNull;

use super::task::{AnyTask, TaskRef};

/// Runnable tasks, oldest first.
///
/// # Invariant
///
/// `head` is the first of a chain of tasks linked through
/// `TaskHeader::next_ready`, ending at `tail` (whose link is `None`),
/// `len` long. A task's link is `None` whenever it is not in the chain:
/// so it is made, and `pop` takes it on the way out. Every pointer
/// in it came from `TaskRef::into_raw` in [`ReadyQueue::push`], so the queue
/// owns that strong count: each task is live while linked. A task is
/// linked at most once (its `queued` flag, set by `push` and cleared by
/// `pop`, both here), so its one `next_ready` link is never needed twice.
pub(crate) struct ReadyQueue {
    head: Cell<Option<NonNull<AnyTask>>>,
    tail: Cell<Option<NonNull<AnyTask>>>,
    len: Cell<usize>,
}

impl ReadyQueue {
    pub(crate) const fn new() -> Self {
        ReadyQueue {
            head: Cell::new(None),
            tail: Cell::new(None),
            len: Cell::new(0),
        }
    }

    /// Appends `task` unless it is already queued (then this reference is
    /// just dropped: a task woken twice runs once).
    #[inline]
    pub(crate) fn push(&self, task: TaskRef) {
        if !task.header.mark_queued() {
            return;
        }
        // Its own link is already `None` (the invariant): it becomes the
        // tail.
        let node = TaskRef::into_raw(task);
        match self.tail.get() {
            // SAFETY: the tail is linked, so live (the invariant); it has
            // no successor yet, and `node` becomes it.
            Some(tail) => unsafe { tail.as_ref() }.header.set_next_ready(Some(node)),
            None => self.head.set(Some(node)),
        }
        self.tail.set(Some(node));
        self.len.set(self.len.get() + 1);
    }

    /// Unlinks the oldest task, handing its strong count to the caller.
    #[inline]
    pub(crate) fn pop(&self) -> Option<TaskRef> {
        let head = self.head.get()?;
        // SAFETY: `head` came from `TaskRef::into_raw` in `push`, and the
        // count it carries is the queue's until now (the invariant): it is
        // passed to the caller exactly once, as it leaves the chain below.
        let task = unsafe { TaskRef::from_raw(head) };
        let next = task.header.take_next_ready();
        self.head.set(next);
        if next.is_none() {
            self.tail.set(None);
        }
        self.len.set(self.len.get() - 1);
        task.header.unqueue();
        Some(task)
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.head.get().is_none()
    }

    /// How many tasks are queued (stale entries of finished ones too).
    pub(crate) fn len(&self) -> usize {
        self.len.get()
    }
}

impl Drop for ReadyQueue {
    /// Gives back the counts of the tasks still queued.
    fn drop(&mut self) {
        while let Some(task) = self.pop() {
            drop(task);
        }
    }
}
