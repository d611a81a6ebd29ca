//! Structured concurrency: tasks that may borrow from the enclosing stack
//! frame, all finished before [`scope`] returns.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;

use super::scheduler;
use super::task::{JoinError, JoinHandle, Task, TaskRef, TaskState};

/// A set of tasks that must all finish before [`scope`] returns, so they
/// may borrow anything that outlives the `scope` call. See [`scope`].
pub struct Scope<'scope, 'env: 'scope> {
    /// Every task spawned in the scope, finished or not.
    children: RefCell<Vec<TaskRef>>,
    /// `children[..finished]` are known to be done. Children are only
    /// appended and a done task stays done, so waiting for all of them
    /// scans the list once rather than once per wait.
    finished: Cell<usize>,
    /// Invariant in `'scope`, like `std::thread::Scope`, so the closure
    /// cannot pick a shorter lifetime for the handles it hands out.
    _scope: PhantomData<&'scope mut &'scope ()>,
    _env: PhantomData<&'env mut &'env ()>,
}

/// A [`JoinHandle`] for a task spawned in a [`Scope`].
pub struct ScopedJoinHandle<'scope, T> {
    inner: JoinHandle<T>,
    _scope: PhantomData<&'scope ()>,
}

/// Runs `f` with a [`Scope`] whose tasks may borrow local variables, and
/// returns only after every one of them has finished: the runtime analogue
/// of `std::thread::scope` (and of Python's `asyncio.TaskGroup`).
///
/// If `f` or the wait for the children unwinds (a panic, a cancellation of
/// the calling task, an expired [`crate::timeout`]), children still running
/// are cancelled and unwound before the unwinding continues. If a child
/// panics and nobody joined it, the scope panics with that child's payload
/// after all children finished.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let mut words = vec!["a", "b"];
/// let counted = corio::run(|| {
///     let total = std::cell::Cell::new(0);
///     corio::scope(|s| {
///         for w in &words {
///             let total = &total; // borrowed, not moved or cloned
///             s.spawn(move || {
///                 corio::sleep(Duration::from_millis(5));
///                 total.set(total.get() + w.len());
///             });
///         }
///     });
///     total.get()
/// });
/// words.push("c"); // the borrows ended with the scope
/// assert_eq!(counted, 2);
/// ```
///
/// # Panics
///
/// Outside [`crate::run`].
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    scheduler::with("corio::scope", |_| ());
    let scope = Scope {
        children: RefCell::new(Vec::new()),
        finished: Cell::new(0),
        _scope: PhantomData,
        _env: PhantomData,
    };
    // Cancels unfinished children if we unwind past this frame, including
    // while waiting below (an expired timeout, an abort of this task).
    let guard = CancelOnUnwind(&scope);
    let result = f(&scope);
    // Children may spawn more children into the scope while we wait, so
    // look again after every wait until none is unfinished.
    while let Some(child) = scope.first_unfinished() {
        child.header().wait_until_done();
    }
    drop(guard);
    let first_panic = scope
        .children
        .take()
        .iter()
        .find_map(|child| child.take_panic());
    if let Some(payload) = first_panic {
        std::panic::resume_unwind(payload);
    }
    result
}

impl Scope<'_, '_> {
    fn first_unfinished(&self) -> Option<TaskRef> {
        let children = self.children.borrow();
        let from = self.finished.get();
        let pending = children[from..]
            .iter()
            .position(|c| c.header().state.get() != TaskState::Done);
        self.finished
            .set(pending.map_or(children.len(), |i| from + i));
        pending.map(|i| children[from + i].clone())
    }
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Spawns a task that may borrow anything living longer than the scope.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let data = vec![1, 2, 3];
    ///     let sum = corio::scope(|s| s.spawn(|| data.iter().sum::<i32>()).join().unwrap());
    ///     assert_eq!(sum, 6);
    /// });
    /// ```
    pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + 'scope,
        T: 'scope,
    {
        let task = scheduler::with("Scope::spawn", |rt| {
            // SAFETY: `scope` does not return (nor unwind past its frame)
            // before this task is finished, and `'scope` ends with it.
            let task = unsafe { Task::new(rt.next_task_id(), f) };
            // SAFETY: as above, the scope outlives the task.
            rt.schedule_new(unsafe { scheduler::erase(task.clone()) });
            task
        });
        // SAFETY: as above.
        let task_ref = unsafe { scheduler::erase(task.clone()) };
        self.children.borrow_mut().push(task_ref);
        ScopedJoinHandle {
            inner: JoinHandle::new(task),
            _scope: PhantomData,
        }
    }
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the task; see [`JoinHandle::join`].
    ///
    /// # Errors
    ///
    /// As [`JoinHandle::join`].
    pub fn join(self) -> Result<T, JoinError> {
        self.inner.join()
    }

    /// Cancels the task; see [`JoinHandle::abort`].
    pub fn abort(&self) {
        self.inner.abort();
    }

    /// True once the task finished.
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}

struct CancelOnUnwind<'a, 'scope, 'env>(&'a Scope<'scope, 'env>);

impl Drop for CancelOnUnwind<'_, '_, '_> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        // Unwinding children may spawn more; cancel until none is left.
        while let Some(child) = self.0.first_unfinished() {
            scheduler::cancel_now(&child);
            if child.header().state.get() != TaskState::Done {
                // It kept catching its cancellation; its borrows must not
                // outlive the scope, so there is no safe way to go on.
                eprintln!("corio: a scoped task refused to be cancelled; aborting");
                std::process::abort();
            }
        }
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("children", &self.children.borrow().len())
            .finish()
    }
}

impl<T> fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}
