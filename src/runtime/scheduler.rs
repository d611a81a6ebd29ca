//! The ready queue and the table of unfinished tasks: which task runs
//! next, how one is resumed, and what happens when it finishes.
//!
//! This file knows nothing of time or I/O; [`super::driver`] turns the
//! loop around it (run ready tasks, then poll, then fire timers).

use std::cell::{Cell, RefCell};
use std::ptr::NonNull;

use super::outcome::CancelReason;
use super::ready::ReadyQueue;
use super::task::{AnyTask, TaskRef};
use crate::context;
use crate::debug::stall::Watch;
use crate::trace::{self, What};

/// How a task came to be, which decides how the end of `run` treats it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Spawned {
    /// `run`'s main task.
    Main,
    /// `spawn`: nobody is bound to wait for it.
    Detached,
    /// `Scope::spawn`: its scope waits for it (and cancels it if the scope
    /// unwinds).
    ScopeChild,
}

/// The runnable tasks and every unfinished one, of one runtime.
pub(crate) struct Scheduler {
    /// Tasks to run, oldest first. A task is in here at most once (its
    /// `queued` flag), possibly as a stale entry of a task already done.
    ready: ReadyQueue,
    /// The task whose stack is executing now, if any. A raw pointer (from
    /// `TaskRef::raw`), not a `TaskRef`, because it is read on every
    /// switch; `run_task` (or `while_current`, for a dump's capture
    /// resume) holds the `TaskRef` for exactly as long as this is set.
    current: Cell<Option<NonNull<AnyTask>>>,
    /// Every unfinished task, so `run` can cancel what is left and
    /// `abort` can find a parked task to queue. A task's index here is
    /// `TaskHeader::slot`.
    tasks: RefCell<Vec<Option<TaskRef>>>,
    free_slots: RefCell<Vec<usize>>,
    next_id: Cell<u64>,
    /// Set when `run`'s main task is done and the rest are being cancelled
    /// (or `Handle::shutdown` cancelled them all): why.
    shutting_down: Cell<Option<CancelReason>>,
    /// Tasks whose cancellation or expired deadline was not raised at a
    /// park point because their stack might be unwinding (a stale mark
    /// cannot be told from a live one while `thread::panicking()` is true,
    /// and raising into an unwinding stack aborts). Nothing else would
    /// raise it again (the wake that brought them there is spent), so they
    /// are woken once the thread is seen not unwinding at all: then every
    /// mark is known stale. See [`Scheduler::retry_deferred`].
    deferred: RefCell<Vec<TaskRef>>,
    /// `!deferred.is_empty()`, read on every switch back to the loop.
    any_deferred: Cell<bool>,
    /// The stall watchdog's view of this loop, when it is on
    /// (`Builder::stall_threshold`, `CORIO_STALL_MS`): told of every
    /// resume and return, and of named tasks' spawns and ends. `None`, the
    /// default, costs a resume two predictable branches.
    stall: Option<Watch>,
}

impl Scheduler {
    pub(crate) fn new(stall: Option<Watch>) -> Self {
        Scheduler {
            ready: ReadyQueue::new(),
            current: Cell::new(None),
            tasks: RefCell::new(Vec::new()),
            free_slots: RefCell::new(Vec::new()),
            next_id: Cell::new(0),
            shutting_down: Cell::new(None),
            deferred: RefCell::new(Vec::new()),
            any_deferred: Cell::new(false),
            stall,
        }
    }

    /// The stall watch, for its own tests.
    #[cfg(test)]
    pub(crate) fn stall(&self) -> Option<&Watch> {
        self.stall.as_ref()
    }

    pub(crate) fn next_task_id(&self) -> u64 {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        id
    }

    /// Registers a new task and queues it. A detached task spawned while
    /// the runtime shuts down is cancelled at once (it never runs); a
    /// scope's child is not (see `begin_shutdown`).
    pub(crate) fn schedule_new(&self, task: TaskRef, kind: Spawned) {
        task.header.set_scope_child(kind == Spawned::ScopeChild);
        trace::record(Some(task.header.id), || What::Spawned);
        if let Some(name) = task.header.about.name() {
            trace::record(Some(task.header.id), || What::Named(name.to_string()));
            if let Some(watch) = &self.stall {
                watch.named(task.header.id, name);
            }
        }
        let slot = self.free_slots.borrow_mut().pop().unwrap_or_else(|| {
            let mut tasks = self.tasks.borrow_mut();
            tasks.push(None);
            tasks.len() - 1
        });
        task.header.slot.set(slot);
        self.tasks.borrow_mut()[slot] = Some(task.clone());
        if kind == Spawned::Detached
            && let Some(reason) = self.shutting_down.get()
        {
            task.header.request_cancel(reason);
        }
        self.enqueue(task);
    }

    /// The task running now, if the caller runs on a task's stack (or on a
    /// generator a task is running).
    #[inline]
    pub(crate) fn current(&self) -> Option<&AnyTask> {
        // SAFETY: `current` is set only while `run_task` (or
        // `while_current`) holds a `TaskRef` of this task, so it is live
        // now. Only the task's own code asks, and it may keep the
        // reference across its own park (`park_because`): the task is
        // unfinished then, so the task table holds a `TaskRef` too,
        // until the task finishes, on this very stack. (A task abandoned at
        // shutdown leaves the table, but its stack is never resumed, so the
        // reference on it is never used again.)
        self.current.get().map(|task| unsafe { task.as_ref() })
    }

    /// True if `task` is the running task.
    #[inline]
    pub(crate) fn is_current(&self, task: &AnyTask) -> bool {
        self.current
            .get()
            .is_some_and(|current| std::ptr::eq(current.as_ptr(), task))
    }

    /// Runs `f` with `task` as the current task, then restores the one
    /// before: for `crate::debug`'s capture resume, whose suspension path
    /// looks the current task up as a park does.
    pub(crate) fn while_current(&self, task: &TaskRef, f: impl FnOnce()) {
        let previous = self.current.replace(Some(TaskRef::raw(task)));
        f();
        self.current.set(previous);
    }

    /// A new reference to the running task.
    pub(crate) fn current_ref(&self) -> Option<TaskRef> {
        let task = self.current.get()?;
        // SAFETY: as in `current`: `run_task` holds a reference, whose
        // `TaskRef::raw` this is, so the task is live.
        Some(unsafe { TaskRef::clone_raw(task) })
    }

    /// The unfinished task with table index `slot`.
    pub(crate) fn task_in_slot(&self, slot: usize) -> Option<TaskRef> {
        self.tasks.borrow().get(slot).cloned().flatten()
    }

    /// The unfinished task with table index `slot`, if its id is `id` (a
    /// slot is reused once its task is done).
    pub(crate) fn task_with(&self, slot: usize, id: u64) -> Option<TaskRef> {
        self.task_in_slot(slot).filter(|task| task.header.id == id)
    }

    /// Wakes a parked task: it is queued to run. Always inlined: a wake
    /// is a test, a flag and a queue push, less than the call around it.
    /// Takes the reference the waker holds (a wait queue's, a timer's) so
    /// the queue can keep it: no count changes on the way.
    #[inline(always)]
    pub(crate) fn wake(&self, task: TaskRef) {
        if task.header.wake() {
            trace::record(Some(task.header.id), || What::Woken);
            self.enqueue(task);
        }
    }

    /// Asks `task` to unwind at its next park point, queueing it if parked.
    pub(crate) fn cancel(&self, task: &TaskRef, reason: CancelReason) {
        if task.header.request_cancel(reason) {
            trace::record(Some(task.header.id), || What::Woken);
            self.enqueue(task.clone());
        }
    }

    /// Notes that an interrupt (a cancellation, an expired deadline) of
    /// `task`, the running task, was left unraised because its stack may be
    /// unwinding; it is retried by [`Scheduler::retry_deferred`].
    pub(crate) fn defer_interrupt(&self, task: TaskRef) {
        let mut deferred = self.deferred.borrow_mut();
        // Tasks that finished meanwhile need no retry: let their `TaskRef` go.
        deferred.retain(|t| !t.header.is_done());
        if !deferred.iter().any(|t| TaskRef::ptr_eq(t, &task)) {
            deferred.push(task);
        }
        self.any_deferred.set(true);
    }

    /// Wakes the tasks of [`Scheduler::defer_interrupt`] once no stack of
    /// the thread unwinds (`thread::panicking()` is false): their marks are
    /// stale then, and their next park point raises what was left. Called
    /// whenever a task switches back to the loop, the moment an unwinding
    /// stack can have finished.
    #[inline(always)]
    fn retry_deferred(&self) {
        // One load and a branch on every switch back: the rest is cold.
        if self.any_deferred.get() {
            self.retry_deferred_slow();
        }
    }

    /// [`Scheduler::retry_deferred`] once some task was deferred.
    #[cold]
    #[inline(never)]
    fn retry_deferred_slow(&self) {
        if std::thread::panicking() {
            return;
        }
        self.any_deferred.set(false);
        let deferred = std::mem::take(&mut *self.deferred.borrow_mut());
        for task in deferred {
            self.wake(task); // one that is not parked runs into it anyway
        }
    }

    /// Appends `task` to the ready queue unless it is already in it.
    #[inline]
    fn enqueue(&self, task: TaskRef) {
        self.ready.push(task);
    }

    #[inline]
    pub(crate) fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// How many entries the ready queue holds (stale ones included).
    pub(crate) fn ready_len(&self) -> usize {
        self.ready.len()
    }

    /// Runs up to `max` queued tasks, each until it parks, yields or
    /// finishes (a stale entry of a finished task counts as one); true as
    /// soon as `main` (when given) has finished.
    ///
    /// The resume itself is inlined into this loop, so a batch of switches
    /// pays one call and one save of the loop's registers, not one each.
    /// Only a task's own resume can finish it (`run_task`), so `main` is
    /// checked only then.
    pub(crate) fn run_ready(&self, max: usize, main: Option<&TaskRef>) -> bool {
        for _ in 0..max {
            let Some(task) = self.ready.pop() else {
                break;
            };
            let is_main = main.is_some_and(|main| TaskRef::ptr_eq(main, &task));
            if self.run_task(task) && is_main {
                return true;
            }
        }
        false
    }

    /// Runs one task until it parks, yields or finishes; true if it
    /// finished. Does nothing for a task that is done (a stale queue
    /// entry) or already running further up this thread's stack.
    #[inline(always)]
    fn run_task(&self, task: TaskRef) -> bool {
        let header = &task.header;
        if !header.start_running() {
            return false;
        }
        trace::record(Some(header.id), || What::Resumed);
        // A cancelled task that never started is dropped unrun, here on
        // the loop's stack: what its closure captured is dropped outside
        // any task.
        let finished = if header.cancel_reason().is_some() && task.discard_unstarted() {
            true
        } else {
            let _budget = fresh_budget();
            let previous = self.current.replace(Some(TaskRef::raw(&task)));
            if let Some(watch) = &self.stall {
                watch.resumed(header.id, header.about.spawned_at);
            }
            let finished = {
                // The task starts on its own stack, with no generator active.
                let _chain = context::enter_task(&header.context);
                task.step()
            };
            if let Some(watch) = &self.stall {
                watch.returned();
            }
            self.current.set(previous);
            finished
        };
        if finished {
            self.finish(task);
        } else if header.state() == super::task::TaskState::Ready {
            self.enqueue(task); // it called yield_now
        }
        self.retry_deferred();
        finished
    }

    /// What follows a task's last resume, on the loop's stack: the trace,
    /// the task table and its joiners, and the drops of what it left.
    #[inline(never)]
    fn finish(&self, task: TaskRef) {
        let header = &task.header;
        trace::record(Some(header.id), || What::Finished(task.outcome()));
        // What is dropped from here on runs the task's code on the
        // loop's stack (a body dropped unrun, a detached task's output
        // when this is its last reference): the watchdog watches it as
        // the task's, so a destructor that blocks is named too.
        // The task's name is forgotten only after them, so a report
        // still names it.
        let _watched = (self.stall.as_ref()).map(|watch| {
            watch.finishing(
                header.id,
                header.about.spawned_at,
                header.about.name.is_some(),
            )
        });
        self.retire(&task);
        // A body dropped unrun is dropped here, on the loop's stack,
        // after the bookkeeping (its destructors may panic).
        crate::unstarted::drop_handed_over();
        drop(task);
    }

    /// Bookkeeping for a task that just finished: out of the table, and
    /// its joiners woken. (The stall watchdog forgets its name separately:
    /// a finished task's destructors still run under it.)
    fn retire(&self, task: &TaskRef) {
        let slot = task.header.slot.replace(usize::MAX);
        if slot != usize::MAX {
            self.tasks.borrow_mut()[slot] = None;
            self.free_slots.borrow_mut().push(slot);
        }
        task.header.wake_joiners(|waiter| self.wake(waiter));
    }

    /// Starts the end of the runtime: every unfinished task is cancelled,
    /// and so is every detached task spawned from now on (a scope's
    /// children still run: a destructor's `gather` must finish).
    ///
    /// A scope's children are left to their scope: when its task unwinds,
    /// the scope cancels them and waits; a scope in a destructor runs them
    /// as usual. Only once no other task is left are they cancelled here
    /// ([`Scheduler::cancel_orphans`]).
    pub(crate) fn begin_shutdown(&self, reason: CancelReason) {
        if self.shutting_down.get().is_none() {
            self.shutting_down.set(Some(reason));
        }
        for task in self.unfinished() {
            if !task.header.is_scope_child() {
                self.cancel(&task, reason);
            }
        }
    }

    /// At shutdown, when every one of `unfinished` is a scope's child
    /// (their scopes are in generators nobody will resume or close),
    /// cancels them too; false if some other task is still unfinished.
    pub(crate) fn cancel_orphans(&self, unfinished: &[TaskRef]) -> bool {
        if unfinished.iter().any(|t| !t.header.is_scope_child()) {
            return false;
        }
        for task in unfinished {
            self.cancel(task, CancelReason::Shutdown);
        }
        true
    }

    /// Every unfinished task, oldest slot first.
    pub(crate) fn unfinished(&self) -> Vec<TaskRef> {
        self.tasks.borrow().iter().flatten().cloned().collect()
    }

    /// Gives up on an unfinished task for good: its stack is never resumed
    /// again and never reused (resuming or dropping a stack paused in the
    /// middle of unwinding would abort the process), and it leaves the
    /// table. The one deliberate leak; see `driver::shut_down`.
    pub(crate) fn abandon(&self, task: &TaskRef) {
        task.leak_coroutine();
        self.retire(task);
        if let Some(watch) = &self.stall
            && task.header.about.name.is_some()
        {
            watch.unnamed(task.header.id);
        }
    }
}

/// Operations that complete without parking a task may do before it
/// yields to the others (tokio's coop budget is 128 too).
const BUDGET: u32 = 128;

thread_local! {
    /// What is left of the running task's budget. One task runs at a time
    /// on a thread, so the budget lives here rather than in the task: one
    /// thread-local read per operation. Outside tasks it is never spent.
    static BUDGET_LEFT: Cell<u32> = const { Cell::new(u32::MAX) };
}

/// Gives the task about to be resumed a full budget, until the guard
/// drops (then nothing is spent: the loop's own stack has no budget).
#[inline]
fn fresh_budget() -> FreshBudget {
    FreshBudget(BUDGET_LEFT.replace(BUDGET))
}

/// Restores the budget of whoever resumed the task; see [`fresh_budget`].
struct FreshBudget(u32);

impl Drop for FreshBudget {
    fn drop(&mut self) {
        BUDGET_LEFT.set(self.0);
    }
}

/// Spends one unit of the running task's budget; true when it ran out
/// (it is refilled, and the caller yields: see `park::spend_budget`).
#[inline]
pub(crate) fn spend_budget() -> bool {
    let left = BUDGET_LEFT.get();
    if left > 1 {
        BUDGET_LEFT.set(left - 1);
        false
    } else {
        BUDGET_LEFT.set(BUDGET);
        true
    }
}
