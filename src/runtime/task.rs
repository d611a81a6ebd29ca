//! Tasks: a coroutine plus the bookkeeping the scheduler needs, and the
//! [`JoinHandle`] that waits for one.

use std::any::Any;
use std::cell::{Cell, RefCell, UnsafeCell};
use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::rc::Rc;

use corosensei::{Coroutine, CoroutineResult};

use super::scheduler::{self, Waker};
use crate::stack::{DEFAULT_STACK_SIZE, PooledStack};
use crate::trace::{Outcome, ParkReason};

/// corosensei's yielder as a task body sees it: no values cross a switch;
/// why a task was resumed is recorded in its [`TaskHeader`].
pub(crate) type TaskYielder = corosensei::Yielder<(), ()>;

/// The payload a task unwinds with when it is cancelled at a park point.
/// Caught at the task's root and reported as [`JoinError::Cancelled`].
pub(crate) struct Cancelled;

/// Where a task is in its life.
///
/// ```text
///  Ready --scheduler--> Running --park--> Parked --wake--> Ready
///                          |  \--yield_now--------------> Ready
///                          v
///                         Done (returned, panicked or cancelled)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskState {
    /// In the ready queue (or about to be put there by `spawn`).
    Ready,
    /// Its stack is executing now.
    Running,
    /// Suspended until a [`Waker`] with the current `park_seq` fires.
    Parked,
    /// Finished; its output (if not yet taken) is in the task.
    Done,
}

/// The part of a task that does not depend on its output type.
pub(crate) struct TaskHeader {
    /// Unique within the runtime, for traces and `Debug`.
    pub(crate) id: u64,
    pub(crate) state: Cell<TaskState>,
    /// Incremented each time the task wakes from a park, so wakers handed
    /// out for an earlier park can no longer wake it.
    pub(crate) park_seq: Cell<u32>,
    /// Set by `abort` (or runtime shutdown); the task unwinds with
    /// [`Cancelled`] at its next park point.
    pub(crate) cancel_requested: Cell<bool>,
    /// The first task waiting for this one to finish (usually its `join`),
    /// kept apart so the common case allocates nothing.
    pub(crate) join_waiter: Cell<Option<Waker>>,
    /// Further waiters (a scope waiting while someone else joins).
    pub(crate) more_join_waiters: RefCell<Vec<Waker>>,
    /// The task's corosensei yielder, set when its body starts.
    pub(crate) yielder: Cell<Option<NonNull<TaskYielder>>>,
    /// `(lowest, highest)` address of the task's stack, to tell whether a
    /// park happens on it or on a generator's stack the task is running.
    pub(crate) stack_bounds: (usize, usize),
    /// True while the task has an entry in the ready queue, so a task woken
    /// twice (or cancelled while ready) is queued once.
    pub(crate) queued: Cell<bool>,
    /// Index in the runtime's task table while the task is alive.
    pub(crate) slot: Cell<usize>,
    /// Deadlines of the `timeout` calls the task is inside, outermost first.
    pub(crate) deadlines: RefCell<Vec<u64>>,
    /// The outermost of `deadlines` that has expired, if any.
    pub(crate) expired_deadline: Cell<Option<u64>>,
}

impl TaskHeader {
    /// Parks the calling task until this one is done.
    pub(crate) fn wait_until_done(&self) {
        while self.state.get() != TaskState::Done {
            self.add_join_waiter(scheduler::current_waker());
            let task = self.id;
            scheduler::park_because(|| ParkReason::Join { task });
        }
    }

    /// Registers `waker` to be woken when this task finishes.
    pub(crate) fn add_join_waiter(&self, waker: Waker) {
        match self.join_waiter.take() {
            Some(first) if !first.is_stale() => {
                self.join_waiter.set(Some(first));
                self.more_join_waiters.borrow_mut().push(waker);
            }
            _ => self.join_waiter.set(Some(waker)),
        }
    }
}

impl fmt::Debug for TaskHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.id)
            .field("state", &self.state.get())
            .field("cancel_requested", &self.cancel_requested.get())
            .finish_non_exhaustive()
    }
}

/// What the scheduler can do with any task, whatever its output type.
pub(crate) trait AnyTask {
    fn header(&self) -> &TaskHeader;
    /// Resumes the task until it parks or finishes; true when finished.
    fn step(&self) -> bool;
    /// Drops a task that never started without running it; true if it
    /// had not started (it is now done).
    fn discard_unstarted(&self) -> bool;
    /// The panic payload of a finished task, unless `join` took it.
    fn take_panic(&self) -> Option<Box<dyn Any + Send>>;
    /// How a just-finished task ended, for the trace.
    fn outcome(&self) -> Outcome;
}

pub(crate) type TaskRef = Rc<dyn AnyTask>;

/// The header of any task, without a virtual call (this is on every switch).
#[inline]
pub(crate) fn header_of(task: &TaskRef) -> &TaskHeader {
    // SAFETY: every `AnyTask` is a `Task<T>`, which is `repr(C)` with the
    // header as its first field, so the data pointer points at the header.
    unsafe { &*Rc::as_ptr(task).cast::<TaskHeader>() }
}

/// A task's coroutine: its root catches the body's panic, so a task never
/// unwinds into the scheduler.
type TaskCoroutine<T> = Coroutine<(), (), std::thread::Result<T>, PooledStack>;

/// A task whose body returns `T`.
///
/// # Invariant
///
/// `repr(C)` with `header` first: [`header_of`] reads the header of any
/// task through its erased pointer without a virtual call.
#[repr(C)]
pub(crate) struct Task<T> {
    header: TaskHeader,
    /// `None` once the task is done.
    ///
    /// # Invariant
    ///
    /// Accessed only by `step`, `discard_unstarted` and drop. The scheduler
    /// never calls those for a task whose state is `Running`, so no access
    /// overlaps the one that is resuming the coroutine.
    coroutine: UnsafeCell<Option<TaskCoroutine<T>>>,
    /// The task's result until `join` takes it.
    output: RefCell<Option<Result<T, JoinError>>>,
}

impl<T> Task<T> {
    /// Makes a task running `body`; the caller registers and schedules it.
    ///
    /// # Safety
    ///
    /// Everything `body` borrows must outlive the task's completion or
    /// cancellation (`spawn` requires `'static`; `scope` joins first).
    pub(crate) unsafe fn new<F>(id: u64, body: F) -> Rc<Self>
    where
        F: FnOnce() -> T,
    {
        // SAFETY: forwarded from our caller.
        unsafe { Self::with_stack_size(id, DEFAULT_STACK_SIZE, body) }
    }

    /// [`Task::new`] on a stack of at least `stack_size` bytes.
    ///
    /// # Safety
    ///
    /// As [`Task::new`].
    pub(crate) unsafe fn with_stack_size<F>(id: u64, stack_size: usize, body: F) -> Rc<Self>
    where
        F: FnOnce() -> T,
    {
        let stack = PooledStack::take(stack_size)
            .unwrap_or_else(|e| panic!("corio: cannot map a {stack_size}-byte task stack: {e}"));
        let stack_bounds = stack.bounds();
        let root = move |yielder: &TaskYielder, ()| {
            // The scheduler marks a task current before resuming it, so on
            // first entry the current task is this one.
            scheduler::current_header()
                .yielder
                .set(Some(NonNull::from(yielder)));
            panic::catch_unwind(AssertUnwindSafe(body))
        };
        // SAFETY: the caller guarantees what `body` borrows outlives the
        // coroutine, and `root` owns nothing else.
        let coroutine = unsafe { Coroutine::with_stack_unchecked(stack, root) };
        Rc::new(Task {
            header: TaskHeader {
                id,
                state: Cell::new(TaskState::Ready),
                park_seq: Cell::new(0),
                cancel_requested: Cell::new(false),
                join_waiter: Cell::new(None),
                more_join_waiters: RefCell::new(Vec::new()),
                yielder: Cell::new(None),
                stack_bounds,
                queued: Cell::new(false),
                slot: Cell::new(usize::MAX),
                deadlines: RefCell::new(Vec::new()),
                expired_deadline: Cell::new(None),
            },
            coroutine: UnsafeCell::new(Some(coroutine)),
            output: RefCell::new(None),
        })
    }

    /// Takes the result, once the task is done.
    pub(crate) fn take_output(&self) -> Option<Result<T, JoinError>> {
        self.output.borrow_mut().take()
    }

    fn finish(&self, output: Result<T, JoinError>) {
        *self.output.borrow_mut() = Some(output);
        self.header.state.set(TaskState::Done);
    }
}

impl<T> AnyTask for Task<T> {
    fn outcome(&self) -> Outcome {
        match &*self.output.borrow() {
            Some(Ok(_)) | None => Outcome::Returned,
            Some(Err(JoinError::Panicked(_))) => Outcome::Panicked,
            Some(Err(JoinError::Cancelled)) => Outcome::Cancelled,
        }
    }

    fn take_panic(&self) -> Option<Box<dyn Any + Send>> {
        let mut output = self.output.borrow_mut();
        match output.take() {
            Some(Err(JoinError::Panicked(payload))) => Some(payload),
            other => {
                *output = other;
                None
            }
        }
    }

    fn header(&self) -> &TaskHeader {
        &self.header
    }

    fn step(&self) -> bool {
        // SAFETY: see the field's invariant: the scheduler marked this task
        // `Running` and calls nothing else on it until the resume returns.
        let slot = unsafe { &mut *self.coroutine.get() };
        let Some(coroutine) = slot else {
            return true;
        };
        match coroutine.resume(()) {
            CoroutineResult::Yield(()) => false,
            CoroutineResult::Return(result) => {
                *slot = None; // the stack goes back to the pool now
                self.finish(result.map_err(JoinError::from_panic));
                true
            }
        }
    }

    fn discard_unstarted(&self) -> bool {
        // SAFETY: as in `step`.
        let slot = unsafe { &mut *self.coroutine.get() };
        if slot.as_ref().is_some_and(|c| !c.started()) {
            *slot = None; // drops the closure without running it
            self.finish(Err(JoinError::Cancelled));
            return true;
        }
        false
    }
}

/// Why [`JoinHandle::join`] has no value.
pub enum JoinError {
    /// The task panicked; this is the payload, as `catch_unwind` returns it.
    Panicked(Box<dyn Any + Send>),
    /// The task was cancelled (aborted, lost a race, or still pending when
    /// `run` returned) and its stack unwound.
    Cancelled,
}

impl JoinError {
    fn from_panic(payload: Box<dyn Any + Send>) -> Self {
        if payload.is::<Cancelled>() {
            JoinError::Cancelled
        } else {
            JoinError::Panicked(payload)
        }
    }

    /// True if the task was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let h = corio::spawn(|| corio::sleep(std::time::Duration::from_secs(60)));
    ///     h.abort();
    ///     assert!(h.join().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, JoinError::Cancelled)
    }

    /// The panic message, when the task panicked with a string.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let h = corio::spawn(|| panic!("disk full"));
    ///     assert_eq!(h.join().unwrap_err().panic_message(), Some("disk full"));
    /// });
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            JoinError::Panicked(p) => p
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| p.downcast_ref::<String>().map(String::as_str)),
            JoinError::Cancelled => None,
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Panicked(_) => f
                .debug_tuple("Panicked")
                .field(&self.panic_message().unwrap_or("<non-string payload>"))
                .finish(),
            JoinError::Cancelled => f.write_str("Cancelled"),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Panicked(_) => match self.panic_message() {
                Some(message) => write!(f, "task panicked: {message}"),
                None => f.write_str("task panicked"),
            },
            JoinError::Cancelled => f.write_str("task was cancelled"),
        }
    }
}

impl std::error::Error for JoinError {}

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
    task: Rc<Task<T>>,
    /// Tasks belong to one thread's runtime.
    _not_send: PhantomData<Rc<()>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: Rc<Task<T>>) -> Self {
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
    /// if it was aborted or lost a race.
    ///
    /// # Panics
    ///
    /// If called outside [`crate::run`] while the task is unfinished.
    pub fn join(self) -> Result<T, JoinError> {
        self.task.header.wait_until_done();
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
        // SAFETY: the scheduler only uses the erased handle while the task
        // is alive, and a scoped task is alive only inside its scope.
        let task = unsafe { scheduler::erase(self.task.clone()) };
        scheduler::cancel(&task);
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
        self.task.header.state.get() == TaskState::Done
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("task", &self.task.header)
            .finish()
    }
}
