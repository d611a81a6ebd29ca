//! Structured concurrency: tasks that may borrow from the enclosing stack
//! frame, all finished, and their results dropped, before [`scope`]
//! returns.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};

use super::current;
use super::join::{JoinHandle, wait_until_done};
use super::outcome::{CancelReason, JoinError};
use super::scheduler::Spawned;
use super::spawn::{SpawnOptions, make_task};
use super::task::TaskRef;
use super::unwind;

/// A set of tasks that must all finish before [`scope`] returns, so they
/// may borrow anything that outlives the `scope` call. See [`scope`].
pub struct Scope<'scope, 'env: 'scope> {
    /// Children not yet released: every unfinished one, and finished ones
    /// whose result may still be joined.
    ///
    /// # Invariant
    ///
    /// Before `scope` returns or unwinds past its frame, each child here
    /// is done and its output dropped (`ScopeGuard`); children released
    /// earlier (`compact`) were done, unreachable by any handle, and had
    /// their output dropped then.
    children: RefCell<Vec<TaskRef>>,
    /// `children[..settled]` are known to be done. Cleared by `compact`,
    /// which reorders the list.
    settled: Cell<usize>,
    /// `compact` runs when `children` reaches this length.
    compact_at: Cell<usize>,
    /// The id of the task that called `scope`: its children's parent.
    owner: u64,
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
/// returns only after every one of them has finished and every result
/// nobody joined has been dropped: the runtime analogue of
/// `std::thread::scope` (and of Python's `asyncio.TaskGroup`).
///
/// If `f` or the wait for the children unwinds (a panic, a cancellation of
/// the calling task, an expired [`crate::timeout`]), children still running
/// are cancelled and unwound before the unwinding continues. If a child
/// panics and nobody joined it, the scope panics with that child's payload
/// after all children finished. If dropping a result nobody joined panics,
/// the other results are still dropped, and then the scope panics with
/// the first such payload (or, when the scope is already unwinding, says
/// so on stderr and lets the first panic go on).
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
    scope_named("corio::scope", f)
}

/// [`scope`], naming `what` (`corio::gather`, ...) in its panics.
pub(crate) fn scope_named<'env, F, T>(what: &'static str, f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    // A scope parks until its children finish: it needs a task to park.
    let owner = current::current_task(what).header.id;
    let scope = Scope {
        children: RefCell::new(Vec::new()),
        settled: Cell::new(0),
        compact_at: Cell::new(MIN_COMPACT),
        owner,
        _scope: PhantomData,
        _env: PhantomData,
    };
    let mut guard = ScopeGuard {
        scope: &scope,
        completed: false,
    };
    let result = f(&scope);
    scope.wait_for_all();
    guard.completed = true;
    let first_panic = scope.first_panic();
    drop(guard);
    if let Some(payload) = first_panic {
        unwind::resume_unwind(payload);
    }
    result
}

/// A scope compacts its list of children no more often than this.
const MIN_COMPACT: usize = 64;

impl Scope<'_, '_> {
    /// The first child that may be unfinished, advancing `settled`.
    fn first_unfinished(&self) -> Option<TaskRef> {
        let children = self.children.borrow();
        let from = self.settled.get();
        let pending = children[from..].iter().position(|c| !c.header.is_done());
        self.settled
            .set(pending.map_or(children.len(), |i| from + i));
        pending.map(|i| children[from + i].clone())
    }

    /// Parks until every child is done, including children spawned while
    /// waiting. It parks also on a stack that is unwinding: a scope (or
    /// `gather`...) in a destructor runs its children as usual.
    ///
    /// Where nothing can park (the event loop's own stack, or no runtime at
    /// all: a generator suspended inside a scope, closed there), a scope
    /// with unfinished children can neither wait nor return (they may
    /// borrow what it guards), so the process aborts, saying so.
    fn wait_for_all(&self) {
        while let Some(child) = self.first_unfinished() {
            let can_wait = current::try_with(|rt| rt.scheduler.current().is_some()) == Some(true);
            if !can_wait || !wait_until_done(&child.header, "corio::scope", false) {
                cannot_wait_for_children();
            }
        }
    }

    /// The panic of the first child (in spawn order) nobody joined.
    fn first_panic(&self) -> Option<Box<dyn std::any::Any + Send>> {
        let children = self.children.borrow();
        children.iter().find_map(|child| child.take_panic())
    }

    /// Cancels every unfinished child, then parks until all of them have
    /// unwound (the caller's stack is unwinding: corio does not raise into
    /// it, so the waits only wait).
    fn cancel_and_wait(&self) {
        let me = current::try_with(|rt| rt.scheduler.current_ref()).flatten();
        let children: Vec<TaskRef> = self.children.borrow().clone();
        for child in &children {
            if me.as_ref().is_some_and(|me| TaskRef::ptr_eq(child, me)) {
                // Unwinding this scope needs all its children finished, and
                // the one doing the unwinding is one of them.
                eprintln!(
                    "corio: a task spawned by a corio::scope (or gather, join, race, select) \
                     resumed, closed or dropped the generator that owns that scope, which then \
                     had to end the scope; the scope cannot end while its own child is still \
                     running, so the process aborts"
                );
                std::process::abort();
            }
            if !child.header.is_done() {
                current::try_with(|rt| rt.scheduler.cancel(child, CancelReason::Aborted));
            }
        }
        // Unwinding children may spawn more; those run as usual.
        self.wait_for_all();
    }

    /// Releases finished children that no handle can reach any more,
    /// dropping their results, so a long-lived scope does not grow.
    fn compact(&self) {
        let released: Vec<TaskRef> = {
            let mut children = self.children.borrow_mut();
            let (keep, release): (Vec<_>, Vec<_>) = std::mem::take(&mut *children)
                .into_iter()
                .partition(|c| !c.header.is_done() || TaskRef::strong_count(c) > 1);
            *children = keep;
            self.settled.set(0);
            self.compact_at.set((children.len() * 2).max(MIN_COMPACT));
            release
        };
        for child in released {
            child.discard_output();
        }
    }
}

#[cold]
fn cannot_wait_for_children() -> ! {
    eprintln!(
        "corio: a corio::scope (or gather, join, race, select) has unfinished tasks but must end \
         where nothing can wait for them (outside any task: a generator suspended inside the \
         scope was closed or resumed on the event loop's own stack or outside corio::run); \
         they may borrow from it, so the process aborts"
    );
    std::process::abort();
}

/// Makes `scope` keep its promise on every path out of it.
struct ScopeGuard<'a, 'scope, 'env> {
    scope: &'a Scope<'scope, 'env>,
    /// Set once every child finished; until then, dropping the guard means
    /// we are unwinding and must cancel the children first.
    completed: bool,
}

impl Drop for ScopeGuard<'_, '_, '_> {
    fn drop(&mut self) {
        if !self.completed {
            self.scope.cancel_and_wait();
        }
        // Every child is done: drop each result nobody took (and with it
        // anything borrowed it holds) now, before `scope` returns. Such a
        // destructor may spawn into the scope again: wait for those too,
        // and drop their results, until nothing is left.
        //
        // Every one of them, even when one destructor panics: a reference
        // to a child may outlive the scope (the scheduler's deferred list
        // holds one for a while), and a result left in it would be dropped
        // then, reading what it borrowed after it is gone. The first panic
        // is raised once all are dropped.
        let mut first_panic = None;
        loop {
            let children = self.scope.children.take();
            self.scope.settled.set(0);
            if children.is_empty() {
                break;
            }
            for child in &children {
                debug_assert!(child.header.is_done() && child.coroutine_dropped());
                let discarded = panic::catch_unwind(AssertUnwindSafe(|| child.discard_output()));
                if let Err(payload) = discarded {
                    first_panic.get_or_insert(payload);
                }
            }
            drop(children);
            self.scope.wait_for_all();
        }
        if let Some(payload) = first_panic {
            // `completed` tells the two ways here apart: `scope`'s own
            // `drop(guard)` on its normal path, or unwinding out of the
            // scope (`std::thread::panicking()` cannot say: it is true
            // whenever any stack of the thread is paused mid-unwind).
            if !self.completed {
                // Raising now, during unwinding, would abort the process;
                // the panic that is unwinding goes on instead.
                eprintln!(
                    "corio: a scope's child result panicked in its destructor while the scope \
                     was unwinding; that second panic is dropped"
                );
            } else {
                unwind::resume_unwind(payload);
            }
        }
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
    ///
    /// The caller's location is the task's spawn site; to name the task or
    /// choose its stack size, use [`crate::TaskBuilder::spawn_scoped`].
    #[track_caller]
    pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + 'scope,
        T: 'scope,
    {
        self.spawn_with(SpawnOptions::at(std::panic::Location::caller()), f)
    }

    /// [`Scope::spawn`] with `options`.
    pub(crate) fn spawn_with<F, T>(
        &'scope self,
        options: SpawnOptions,
        f: F,
    ) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + 'scope,
        T: 'scope,
    {
        if self.children.borrow().len() >= self.compact_at.get() {
            self.compact();
        }
        let task = current::with("Scope::spawn", |rt| {
            // SAFETY: `scope` does not return, nor unwind past its frame,
            // before this task is done and its output taken or dropped
            // (`ScopeGuard`, `compact`), and `'scope` (which `f` and `T`
            // outlive) lasts until then.
            let task = unsafe { make_task(rt, options, self.owner, f) };
            let task_ref = task.erased();
            rt.scheduler
                .schedule_new(task_ref.clone(), Spawned::ScopeChild);
            self.children.borrow_mut().push(task_ref);
            task
        });
        ScopedJoinHandle {
            inner: JoinHandle::new(task),
            _scope: PhantomData,
        }
    }
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the task; see [`JoinHandle::join`]. Unlike that, it
    /// waits also in a destructor of a task being cancelled: a scope
    /// there runs its children as usual.
    ///
    /// # Errors
    ///
    /// As [`JoinHandle::join`].
    pub fn join(self) -> Result<T, JoinError> {
        self.inner.join_with("ScopedJoinHandle::join", false)
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
