//! Waiting for a task to finish: [`JoinHandle`], and the join
//! registration `scope` uses too.

use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;

use super::current;
use super::outcome::{CancelReason, JoinError};
use super::park;
use super::task::{AnyTask, TaskHeader, TaskRef, TypedTaskRef};
use super::unwind::{self, Elsewhere};
use super::waiting::Waiting;
use crate::context::Unwinding;

/// Parks the calling task until `target` is done; true once it is.
///
/// False, at once, on the loop's own stack outside any task, and on a
/// cancel-unwinding stack when `give_up_if_cancelled` is set (a
/// `JoinHandle::join` in a destructor of a cancelled task): the caller
/// decides what that means for it.
///
/// # Panics
///
/// Outside a runtime, naming `what`, while `target` is unfinished.
pub(crate) fn wait_until_done(target: &TaskHeader, what: &str, give_up_if_cancelled: bool) -> bool {
    if target.is_done() {
        return true;
    }
    unwind::in_task_or(
        |rt, task, unwinding| {
            if unwinding == Unwinding::Cancelled && give_up_if_cancelled {
                return false;
            }
            let waiter = rt
                .scheduler
                .current_ref()
                .expect("a joining task is running");
            // The entry is known by its address: the registration needs no
            // reference count of its own.
            let _registration = JoinWait {
                target,
                waiter: TaskRef::as_ptr(&waiter),
            };
            target.add_joiner(waiter);
            while !target.is_done() {
                park::park_in(rt, task, Waiting::Join { task: target.id });
            }
            true
        },
        |elsewhere| match elsewhere {
            Elsewhere::Loop => false,
            Elsewhere::Outside => current::no_runtime(what),
        },
    )
}

/// A task's entry among another task's joiners, removed when dropped (the
/// finish of the target takes and wakes the entries still there).
struct JoinWait<'a> {
    target: &'a TaskHeader,
    /// The waiting task, only compared, never dereferenced.
    waiter: *const AnyTask,
}

impl Drop for JoinWait<'_> {
    fn drop(&mut self) {
        self.target.remove_joiner(self.waiter);
    }
}

/// An owned permission to wait for a task and take its result, like an
/// awaited `asyncio.Task`. Dropping the handle detaches the task: it keeps
/// running and its result is discarded.
///
/// # Examples
///
/// ```
/// let total = corio::run(|| {
///     let handles: Vec<_> = (1..=3).map(|n| corio::spawn(move || n * 10)).collect();
///     handles.into_iter().map(|h| h.join().unwrap()).sum::<i32>()
/// });
/// assert_eq!(total, 60);
/// ```
pub struct JoinHandle<T> {
    task: TypedTaskRef<T>,
    /// Tasks belong to one thread's runtime.
    _not_send: PhantomData<Rc<()>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: TypedTaskRef<T>) -> Self {
        JoinHandle {
            task,
            _not_send: PhantomData,
        }
    }

    /// Parks the calling task until this one finishes, then returns its
    /// value, or why there is none.
    ///
    /// # Errors
    ///
    /// [`JoinError::Panicked`] if the task panicked, [`JoinError::Cancelled`]
    /// if it was aborted or lost a race. Called in a destructor of a task
    /// that is being cancelled (or on the event loop outside any task)
    /// before the task finished: [`JoinError::Cancelled`] at once, and the
    /// task keeps running.
    ///
    /// # Panics
    ///
    /// If called outside [`crate::run`] while the task is unfinished.
    pub fn join(self) -> Result<T, JoinError> {
        self.join_with("JoinHandle::join", true)
    }

    /// `join`, giving up on a cancel-unwinding stack only if asked to: a
    /// scope's handles (`ScopedJoinHandle`, used by `gather` and the other
    /// combinators) wait there, as the scope itself does.
    pub(crate) fn join_with(self, what: &str, give_up_if_cancelled: bool) -> Result<T, JoinError> {
        if !wait_until_done(&self.task.header, what, give_up_if_cancelled) {
            return Err(JoinError::Cancelled);
        }
        self.task
            .take_output()
            .expect("a finished task's output is taken only by its one JoinHandle")
    }

    /// Asks the task to stop: it unwinds at its current or next park point
    /// (running its destructors) and `join` reports
    /// [`JoinError::Cancelled`]. A task that has not started never runs.
    /// Aborting a finished task does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corio::run(|| {
    ///     let h = corio::spawn(|| { corio::sleep(Duration::from_secs(3600)); "never" });
    ///     corio::sleep(Duration::from_millis(1)); // let it start and park
    ///     h.abort();
    ///     assert!(h.join().is_err());
    /// });
    /// ```
    pub fn abort(&self) {
        let header = &self.task.header;
        if header.is_done() {
            return;
        }
        // The runtime's table holds every unfinished task; find ours there
        // rather than forging a second handle of another lifetime.
        current::try_with(|rt| {
            if let Some(task) = rt.scheduler.task_in_slot(header.slot.get())
                && self.task.is(&task)
            {
                rt.scheduler.cancel(&task, CancelReason::Aborted);
            }
        });
    }

    /// The task's id, unique within its `run`: the id [`crate::trace`]
    /// events carry for this task.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let a = corio::spawn(|| ());
    ///     let b = corio::spawn(|| ());
    ///     assert_ne!(a.id(), b.id());
    /// });
    /// ```
    pub fn id(&self) -> u64 {
        self.task.header.id
    }

    /// The task's slot in its runtime's table and its id: how messages
    /// from other threads name it.
    pub(crate) fn slot_and_id(&self) -> (usize, u64) {
        let header = &self.task.header;
        (header.slot.get(), header.id)
    }

    /// Runs `hook` if the task is abandoned at the end of `run` (its stack
    /// leaked, so nothing on it ever runs again).
    pub(crate) fn if_abandoned(&self, hook: Box<dyn FnOnce()>) {
        self.task.header.locals().if_abandoned(hook);
    }

    /// True once the task has returned, panicked or been cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let h = corio::spawn(|| 1);
    ///     assert!(!h.is_finished());
    ///     corio::yield_now();
    ///     assert!(h.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.header.is_done()
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("task", &self.task.header)
            .finish()
    }
}
