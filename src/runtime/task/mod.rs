//! Tasks: a coroutine, its header (the state machine the scheduler
//! drives) and the slot its result lands in.
//!
//! A task is one allocation, a [`Task<T>`]: its type-erased part, an
//! [`AnyTask`] (header, coroutine, reference count, and a table of the
//! few functions that need `T`), then the output slot. The scheduler's
//! tables hold [`TaskRef`]s: thin counted pointers to the `AnyTask` at the
//! start of the allocation (see [`reference`]), so reaching the header is
//! a plain load, with no alignment arithmetic on a vtable's layout as an
//! `Rc<dyn ..>` needs, and a queue link is one word.
//!
//! # States
//!
//! ```text
//!  Ready --start--> Running --park--> Parked --wake--> Ready
//!    ^                 |  \---yield_now----------------^
//!    |                 v
//!    +-- (never)      Done (returned, panicked or cancelled; terminal)
//! ```
//!
//! Beside the state, two flags:
//!
//! - `queued`: the task has an entry in the ready queue. Set only by the
//!   queue's `push` (so a task woken twice is queued once) and cleared by
//!   its `pop`. A `Done` task may still be `queued` when something
//!   finished it directly (`cancel_now`); the entry is skipped when popped.
//!   A `Parked` task is never `queued` except in that same stale way.
//! - `cancel`: set once by `request_cancel`, never cleared: cancellation is
//!   sticky, raised again at every park point until the task is done.
//!
//! Only the methods below change these; everything else reads them.

use std::alloc::Layout;
use std::any::Any;
use std::cell::{Cell, OnceCell, RefCell, UnsafeCell};
use std::fmt;
use std::mem::ManuallyDrop;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::Arc;

use corosensei::{Coroutine, CoroutineResult};

pub(crate) use super::about::About;
use super::locals::TaskLocals;
use super::outcome::{CancelReason, JoinError};
use super::remote::TaskWaker;
use super::waiting::Waiting;
use crate::context::StackContext;
use crate::stack::PooledStack;
use crate::trace::Outcome;
use crate::unstarted::{MAX_INLINE_BODY, Unstarted};

/// corosensei's yielder as a task body sees it: no values cross a switch.
pub(crate) type TaskYielder = corosensei::Yielder<(), ()>;

/// The coroutine of any task: its root stores the result in the task's
/// output slot, so nothing crosses the final switch either.
type TaskCoroutine = Coroutine<(), (), (), PooledStack>;

mod reference;
mod spare;

pub(crate) use reference::{TaskRef, TypedTaskRef};

/// Where a task is in its life; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// The two states a resume starts from come first, so `start_running`
// tests them with one comparison.
pub(crate) enum TaskState {
    /// Runnable: in the ready queue, or about to be put there.
    Ready,
    /// Suspended at a park point until something wakes it.
    Parked,
    /// Its stack is executing now.
    Running,
    /// Finished; its coroutine and stack are gone.
    Done,
}

/// The part of a task that does not depend on its output type.
pub(crate) struct TaskHeader {
    /// Unique within the runtime, for traces and `Debug`.
    pub(crate) id: u64,
    state: Cell<TaskState>,
    queued: Cell<bool>,
    /// The next task in the ready queue while this one is queued; see
    /// `super::ready`, the only code that reads or writes it.
    next_ready: Cell<Option<NonNull<AnyTask>>>,
    cancel: Cell<Option<CancelReason>>,
    /// How many times `Cancelled` was raised in the task: more than one
    /// means it caught it; shutdown gives up on a task that keeps doing so.
    cancel_raises: Cell<u32>,
    /// The task's own stack in the chain of executing stacks; `timeout`s
    /// set by frames on it are listed here.
    pub(crate) context: StackContext,
    /// The task's corosensei yielder, set when its body starts.
    yielder: Cell<Option<NonNull<TaskYielder>>>,
    /// Index in the runtime's task table while the task is unfinished.
    pub(crate) slot: Cell<usize>,
    /// Spawned into a scope (which cancels it if it unwinds), rather than
    /// detached or `run`'s main task.
    scope_child: Cell<bool>,
    /// Tasks parked until this one is done. Each entry belongs to a
    /// `JoinWait` registration of the waiting task, which removes it when
    /// its wait ends; the finish takes all that are left and wakes them.
    /// The first is kept apart so the usual single `join` allocates
    /// nothing. The rest are dropped by hand (see `Drop`), so a task that
    /// never had a second joiner pays one test for them, not a call.
    first_joiner: RefCell<Option<TaskRef>>,
    more_joiners: ManuallyDrop<RefCell<Vec<TaskRef>>>,
    /// The target of the task's `std::task::Waker`, made on its first
    /// `block_on` and reused by the later ones.
    waker: OnceCell<Arc<TaskWaker>>,
    /// The values of the task's `task_local!` keys: made on the first
    /// access of any key in the task, destroyed on the task's own stack as
    /// its body ends (see [`DestroyLocals`]), leaked if it is abandoned.
    /// Boxed, so a task that never uses one pays a null pointer; freed by
    /// hand (see `Drop`), so the header's drop glue stays small.
    locals: ManuallyDrop<OnceCell<Box<TaskLocals>>>,
    /// What the task waits for: written by every suspension of its stack
    /// (`park::suspend_current_task`), just before it switches away.
    ///
    /// # Invariant
    ///
    /// While the task's stack is suspended (it is `Parked`, or `Ready`
    /// after it started), this describes the call it is suspended in, and
    /// whatever a pointer in it refers to is borrowed by that call's
    /// frame, so it is live: `crate::debug` reads it only then.
    pub(crate) waiting: Cell<Waiting>,
    /// When the task last suspended (in `waiting::ticks`, 0 for never),
    /// as the loop's clock read it at its latest turn (`Runtime::clock`):
    /// no clock is read on the park path.
    pub(crate) suspended_at: Cell<u64>,
    /// Set by `crate::debug` for exactly the duration of a capture resume
    /// (see `crate::debug::capture`): the suspension the task is resumed
    /// in answers it and suspends again, running none of its own code.
    pub(crate) capture: Cell<bool>,
    /// Name, spawn site, parent and stack bounds: what `crate::debug`
    /// shows about the task.
    pub(crate) about: About,
}

impl TaskHeader {
    fn new(id: u64, about: About) -> Self {
        TaskHeader {
            id,
            state: Cell::new(TaskState::Ready),
            queued: Cell::new(false),
            next_ready: Cell::new(None),
            cancel: Cell::new(None),
            cancel_raises: Cell::new(0),
            context: StackContext::default(),
            yielder: Cell::new(None),
            slot: Cell::new(usize::MAX),
            scope_child: Cell::new(false),
            first_joiner: RefCell::new(None),
            more_joiners: ManuallyDrop::new(RefCell::new(Vec::new())),
            waker: OnceCell::new(),
            locals: ManuallyDrop::new(OnceCell::new()),
            waiting: Cell::new(Waiting::Nothing),
            suspended_at: Cell::new(0),
            capture: Cell::new(false),
            about,
        }
    }

    /// `task 7 'name'` (or `task 7`).
    pub(crate) fn label(&self) -> String {
        self.about.label(self.id)
    }

    /// True while the task's stack is suspended at one of its park points
    /// (parked, or ready to run again), so its frames stand there.
    pub(crate) fn is_suspended(&self) -> bool {
        match self.state.get() {
            TaskState::Parked => true,
            // A ready task may not have started yet: the caller checks.
            TaskState::Ready => true,
            TaskState::Running | TaskState::Done => false,
        }
    }

    /// The task's `task_local!` storage, made on first use.
    pub(crate) fn locals(&self) -> &TaskLocals {
        self.locals.get_or_init(Box::default)
    }

    #[inline]
    pub(crate) fn state(&self) -> TaskState {
        self.state.get()
    }

    #[inline]
    pub(crate) fn is_done(&self) -> bool {
        self.state.get() == TaskState::Done
    }

    /// Ready or Parked -> Running; false (and no change) for a task that
    /// is running further up this thread's stack or is done.
    #[inline]
    pub(crate) fn start_running(&self) -> bool {
        // `Ready` and `Parked` are the two lowest (see the enum).
        if self.state.get() as u8 <= TaskState::Parked as u8 {
            self.state.set(TaskState::Running);
            true
        } else {
            false
        }
    }

    /// Running -> Parked, just before the task's stack is suspended.
    #[inline]
    pub(crate) fn park(&self) {
        debug_assert_eq!(self.state.get(), TaskState::Running);
        self.state.set(TaskState::Parked);
    }

    /// Running -> Ready, for `yield_now`: the scheduler requeues it.
    #[inline]
    pub(crate) fn yield_now(&self) {
        debug_assert_eq!(self.state.get(), TaskState::Running);
        self.state.set(TaskState::Ready);
    }

    /// Parked -> Ready; true if the task must now be queued. Waking a task
    /// that is not parked does nothing.
    #[inline]
    pub(crate) fn wake(&self) -> bool {
        if self.state.get() == TaskState::Parked {
            self.state.set(TaskState::Ready);
            true
        } else {
            false
        }
    }

    /// Sets `queued`; false if it was already set (do not queue twice).
    #[inline]
    pub(crate) fn mark_queued(&self) -> bool {
        !self.queued.replace(true)
    }

    /// Clears `queued` as the queue entry is popped.
    #[inline]
    pub(crate) fn unqueue(&self) {
        self.queued.set(false);
    }

    /// Links the task that follows this one in the ready queue.
    #[inline]
    pub(crate) fn set_next_ready(&self, next: Option<NonNull<AnyTask>>) {
        self.next_ready.set(next);
    }

    /// Unlinks and returns the task that follows this one in the ready
    /// queue.
    #[inline]
    pub(crate) fn take_next_ready(&self) -> Option<NonNull<AnyTask>> {
        self.next_ready.take()
    }

    /// Asks the task to unwind at its next park point; true if it is
    /// parked and must be woken for that. Does nothing to a finished task
    /// or one already cancelled.
    pub(crate) fn request_cancel(&self, reason: CancelReason) -> bool {
        if self.is_done() || self.cancel.get().is_some() {
            return false;
        }
        self.cancel.set(Some(reason));
        self.wake()
    }

    /// Records whether the task is a scope's child.
    pub(crate) fn set_scope_child(&self, yes: bool) {
        self.scope_child.set(yes);
    }

    /// True for a scope's child.
    pub(crate) fn is_scope_child(&self) -> bool {
        self.scope_child.get()
    }

    /// Counts a raise of `Cancelled` in this task.
    pub(crate) fn count_cancel_raise(&self) {
        self.cancel_raises
            .set(self.cancel_raises.get().saturating_add(1));
    }

    /// How many times `Cancelled` was raised in this task.
    pub(crate) fn cancel_raises(&self) -> u32 {
        self.cancel_raises.get()
    }

    /// The pending cancellation, if any.
    #[inline]
    pub(crate) fn cancel_reason(&self) -> Option<CancelReason> {
        self.cancel.get()
    }

    /// The task's corosensei yielder.
    #[inline]
    pub(crate) fn yielder(&self) -> NonNull<TaskYielder> {
        self.yielder.get().expect("a running task has a yielder")
    }

    /// The task's waker target, if a `block_on` made one.
    pub(crate) fn made_waker(&self) -> Option<&Arc<TaskWaker>> {
        self.waker.get()
    }

    /// The task's waker target, made by `make` the first time.
    pub(crate) fn waker(&self, make: impl FnOnce() -> TaskWaker) -> &Arc<TaskWaker> {
        self.waker.get_or_init(|| Arc::new(make()))
    }

    /// Adds a task to wake when this one is done.
    #[inline]
    pub(crate) fn add_joiner(&self, waiter: TaskRef) {
        let mut first = self.first_joiner.borrow_mut();
        if first.is_none() {
            *first = Some(waiter);
        } else {
            self.more_joiners.borrow_mut().push(waiter);
        }
    }

    /// Removes the entry of the task at `waiter`, if still there. (After
    /// the finish woke the joiners, the usual case, there is none.)
    #[inline]
    pub(crate) fn remove_joiner(&self, waiter: *const AnyTask) {
        let removed = {
            let mut first = self.first_joiner.borrow_mut();
            if first
                .as_ref()
                .is_some_and(|w| std::ptr::eq(TaskRef::as_ptr(w), waiter))
            {
                first.take()
            } else {
                let mut more = self.more_joiners.borrow_mut();
                if more.is_empty() {
                    return;
                }
                let at = more
                    .iter()
                    .position(|w| std::ptr::eq(TaskRef::as_ptr(w), waiter));
                at.map(|i| more.swap_remove(i))
            }
        };
        drop(removed); // outside the borrows
    }

    /// Takes every task waiting for this one and passes each to `wake`,
    /// the first joiner first. The usual single joiner touches no `Vec`.
    #[inline]
    pub(crate) fn wake_joiners(&self, mut wake: impl FnMut(TaskRef)) {
        let first = self.first_joiner.borrow_mut().take();
        if let Some(waiter) = first {
            wake(waiter);
        }
        if !self.more_joiners.borrow().is_empty() {
            let more = std::mem::take(&mut *self.more_joiners.borrow_mut());
            for waiter in more {
                wake(waiter);
            }
        }
    }
}

impl Drop for TaskHeader {
    /// Frees the storage of the task's values (they were destroyed as the
    /// task ended, or leaked with it); a task that never had any costs one
    /// test. Taken out, the cell left behind owns nothing, so not dropping
    /// it (it is `ManuallyDrop`) leaks nothing.
    #[inline]
    fn drop(&mut self) {
        if let Some(locals) = self.locals.take() {
            free_locals(locals);
        }
        // An empty `Vec` that never allocated owns nothing: leaving it
        // undropped leaks nothing.
        if self.more_joiners.get_mut().capacity() != 0 {
            free_joiners(std::mem::take(self.more_joiners.get_mut()));
        }
    }
}

/// The rare half of dropping a [`TaskHeader`]'s extra joiners.
#[cold]
#[inline(never)]
fn free_joiners(joiners: Vec<TaskRef>) {
    drop(joiners);
}

/// The rare half of dropping a [`TaskHeader`].
#[cold]
#[inline(never)]
fn free_locals(locals: Box<TaskLocals>) {
    drop(locals);
}

impl fmt::Debug for TaskHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Task");
        d.field("id", &self.id);
        if let Some(name) = self.about.name() {
            d.field("name", &name);
        }
        d.field("state", &self.state.get())
            .field("cancelled", &self.cancel.get().is_some())
            .field("spawned_at", &format_args!("{}", self.about.spawned_at))
            .finish_non_exhaustive()
    }
}

/// The part of every task that does not depend on its output type: what
/// a [`TaskRef`] points to, at the start of the task's allocation.
pub(crate) struct AnyTask {
    pub(crate) header: TaskHeader,
    /// `None` before it is built and once the task is done.
    ///
    /// # Invariant
    ///
    /// Accessed only by `step`, `discard_unstarted`, `build`, drop, and
    /// `resume_for_capture` and `started`. The scheduler calls
    /// `step`/`discard_unstarted` only after `start_running` succeeded,
    /// which it cannot for a task already running, so no access overlaps
    /// the one resuming the coroutine. `crate::debug` calls
    /// `resume_for_capture` only for a task that is suspended (`Parked`
    /// or `Ready`, never `Running`: see `TaskHeader::is_suspended`) and
    /// not current, so no `step` is in progress for it either; and the
    /// capture resume itself never calls `step` on that task.
    coroutine: UnsafeCell<Option<TaskCoroutine>>,
    /// How many [`TaskRef`]s point here; see [`reference`].
    refs: Cell<usize>,
    /// The functions of the output type the task was made with.
    fns: &'static OutputFns,
}

/// What the scheduler and `scope` can do with a task's result without
/// knowing its type, and how the allocation is freed: one table per
/// output type, made by [`Task::FNS`].
///
/// Each function takes a live task's pointer from [`TaskRef::raw`], to the
/// `AnyTask` at the start of a [`Task<T>`] of the `T` the table was made
/// for (the only tasks that point to it).
struct OutputFns {
    /// How the task ended, for the trace (`Returned` until it is known).
    outcome: unsafe fn(NonNull<AnyTask>) -> Outcome,
    /// The panic payload of a finished task, unless `join` took it.
    take_panic: unsafe fn(NonNull<AnyTask>) -> Option<Box<dyn Any + Send>>,
    /// Drops the result now, whatever it is (`scope` does this for every
    /// child before it returns, so no borrowed value outlives it).
    discard: unsafe fn(NonNull<AnyTask>),
    /// Records that the task was cancelled before it ever ran (or was
    /// abandoned).
    set_cancelled: unsafe fn(NonNull<AnyTask>),
    /// Drops the whole task and frees its allocation; see [`reference`].
    free: unsafe fn(NonNull<AnyTask>),
}

/// A task whose body returns `T`: one allocation, the type-erased part
/// first, so a pointer to the task is a pointer to its [`AnyTask`].
#[repr(C)]
pub(crate) struct Task<T> {
    any: AnyTask,
    output: Output<T>,
}

/// A task's result until `join` takes it.
pub(crate) struct Output<T>(RefCell<Option<Result<T, JoinError>>>);

impl<T> Output<T> {
    fn outcome(&self) -> Outcome {
        match &*self.0.borrow() {
            Some(Ok(_)) | None => Outcome::Returned,
            Some(Err(JoinError::Panicked(_))) => Outcome::Panicked,
            Some(Err(JoinError::Cancelled)) => Outcome::Cancelled,
        }
    }

    fn take_panic(&self) -> Option<Box<dyn Any + Send>> {
        let mut output = self.0.borrow_mut();
        match output.take() {
            Some(Err(JoinError::Panicked(payload))) => Some(payload),
            other => {
                *output = other;
                None
            }
        }
    }

    fn discard(&self) {
        let value = self.0.borrow_mut().take();
        drop(value); // outside the borrow: its destructor may do anything
    }

    fn set_cancelled(&self) {
        *self.0.borrow_mut() = Some(Err(JoinError::Cancelled));
    }
}

impl<T> Task<T> {
    /// The output functions of tasks of this type.
    const FNS: OutputFns = OutputFns {
        outcome: |task| {
            // SAFETY: `OutputFns`' contract: `task` is a live task's
            // pointer, of a `Task<T>` of this `T` (as are the ones below).
            unsafe { Self::of(task) }.output.outcome()
        },
        take_panic: |task| {
            // SAFETY: as for `outcome`.
            unsafe { Self::of(task) }.output.take_panic()
        },
        discard: |task| {
            // SAFETY: as for `outcome`.
            unsafe { Self::of(task) }.output.discard()
        },
        set_cancelled: |task| {
            // SAFETY: as for `outcome`.
            unsafe { Self::of(task) }.output.set_cancelled()
        },
        free: |task| {
            /// Gives the block back when dropped, also if a destructor
            /// of the task panics.
            struct GiveBack(NonNull<u8>, Layout);
            impl Drop for GiveBack {
                fn drop(&mut self) {
                    // SAFETY: the block was made by `spare::allocate` with
                    // this layout (`Task::allocate`), and the task in it
                    // has been dropped.
                    unsafe { spare::free(self.0, self.1) };
                }
            }
            let block = GiveBack(task.cast(), Layout::new::<Self>());
            // SAFETY: as above; the last reference is going (`reference`),
            // so nothing uses the task after this.
            unsafe { std::ptr::drop_in_place(task.cast::<Self>().as_ptr()) };
            drop(block);
        },
    };

    /// The `Task<T>` that `task` starts.
    ///
    /// # Safety
    ///
    /// `task` is a live task's pointer from [`TaskRef::raw`], and that
    /// task is a `Task<T>` of this very `T`.
    unsafe fn of<'a>(task: NonNull<AnyTask>) -> &'a Self {
        // SAFETY: our caller's; `Task<T>` is `repr(C)` with the `AnyTask`
        // first, so both start at the same address, and the pointer is
        // valid for the whole allocation.
        unsafe { task.cast::<Self>().as_ref() }
    }

    /// Makes a task that runs `body` on a stack of at least `stack_size`
    /// bytes; the caller registers and schedules it.
    ///
    /// # Safety
    ///
    /// Everything `body` and `T` borrow must outlive the task's completion
    /// (or cancellation) *and* the dropping of its output: `spawn` requires
    /// `'static`; `run` and `scope` wait for the task and then drop its
    /// output (or take it) before they return. References to the task
    /// (its [`TaskRef`]s in the scheduler's tables) may outlive that: by
    /// then the task is inert (no coroutine, no output), and they only
    /// read its header and free it.
    ///
    /// # Panics
    ///
    /// If no stack of that size can be mapped.
    pub(crate) unsafe fn allocate<F>(
        id: u64,
        stack_size: usize,
        mut about: About,
        body: F,
    ) -> TypedTaskRef<T>
    where
        F: FnOnce() -> T,
    {
        let stack = PooledStack::take(stack_size)
            .unwrap_or_else(|e| panic!("corio: cannot map a {stack_size}-byte task stack: {e}"));
        let (low, high) = stack.bounds();
        about.stack_high = high;
        // A slot is at most MAX_STACK_SIZE (1 GiB) plus a guard page.
        about.stack_len = u32::try_from(high - low).expect("a stack slot is under 4 GiB");
        // Allocated first and then written, so the task is built in its
        // heap slot (`Box::new` of the task would build it on the stack and
        // copy it over); a spare block of a finished task is reused (see
        // `spare`). From here on only references (`TaskRef`) reach it,
        // none of them unique.
        let task = spare::allocate(Layout::new::<Self>()).cast::<Self>();
        // SAFETY: `task` is the fresh allocation, sized and aligned for a
        // `Task<T>`, and nothing else refers to it yet.
        unsafe {
            task.write(Task {
                any: AnyTask {
                    header: TaskHeader::new(id, about),
                    coroutine: UnsafeCell::new(None),
                    refs: Cell::new(1),
                    fns: &Self::FNS,
                },
                output: Output(RefCell::new(None)),
            });
        }
        // SAFETY: made by `spare::allocate` for a `Task<T>` and initialised
        // just above, with the one count this reference owns.
        let task = unsafe { TypedTaskRef::from_new(task) };
        if size_of::<F>() > MAX_INLINE_BODY {
            // SAFETY: forwarded from our caller; the task never moves.
            unsafe { task.typed().build(stack, Box::new(body)) };
        } else {
            // SAFETY: forwarded from our caller; the task never moves.
            unsafe { task.typed().build(stack, body) };
        }
        task
    }

    /// Puts the coroutine running `body` into the task.
    ///
    /// # Safety
    ///
    /// As [`Task::allocate`]; and the task stays at this address (its own
    /// block from `spare::allocate`, never moved) for as long as its
    /// coroutine exists.
    unsafe fn build<F: FnOnce() -> T>(&self, stack: PooledStack, body: F) {
        let header = NonNull::from(&self.any.header);
        let output = NonNull::from(&self.output);
        // Dropped unrun, the body goes back to the loop's stack (see
        // `crate::unstarted`): `discard_unstarted` and drop drop it there.
        let mut body = Unstarted::new(body);
        let root = move |yielder: &TaskYielder, ()| {
            let body = body.take();
            // SAFETY: the coroutine is a field of the task that `header`
            // and `output` point into, which does not move (our caller),
            // and it runs only through a reference to that task (see
            // `step`), so both are live here.
            let (header, output) = unsafe { (header.as_ref(), output.as_ref()) };
            header.yielder.set(Some(NonNull::from(yielder)));
            let result = panic::catch_unwind(AssertUnwindSafe(|| {
                // Destroys the task's values after `body` unwound, or
                // returned: then explicitly, while `value` is a local, so a
                // destructor's panic drops it (a return value in flight
                // would leak: rust-lang/rust#47949) and the task panics.
                let locals = DestroyLocals(header);
                let value = body();
                drop(locals);
                value
            }));
            *output.0.borrow_mut() = Some(result.map_err(JoinError::from_panic));
        };
        // SAFETY: what `body` borrows outlives the coroutine (our caller's
        // contract), and `root` owns nothing else but two pointers into
        // the task, which outlives its own field.
        let coroutine = unsafe { Coroutine::with_stack_unchecked(stack, root) };
        // SAFETY: the task was just made; nothing else can reach the cell.
        // It holds `None`, which owns nothing, so writing over it without
        // dropping it leaks nothing.
        unsafe { self.any.coroutine.get().write(Some(coroutine)) };
    }

    /// Takes the result, once the task is done.
    pub(crate) fn take_output(&self) -> Option<Result<T, JoinError>> {
        self.output.0.borrow_mut().take()
    }
}

impl TaskRef {
    /// How the task ended, for the trace (`Returned` until it is known).
    pub(crate) fn outcome(&self) -> Outcome {
        // SAFETY: a live task's pointer, and the table of its own output
        // type (`OutputFns`' contract).
        unsafe { (self.fns.outcome)(TaskRef::raw(self)) }
    }

    /// The panic payload of a finished task, unless `join` took it.
    pub(crate) fn take_panic(&self) -> Option<Box<dyn Any + Send>> {
        // SAFETY: as in `outcome`.
        unsafe { (self.fns.take_panic)(TaskRef::raw(self)) }
    }

    /// Drops the result now, whatever it is.
    pub(crate) fn discard_output(&self) {
        // SAFETY: as in `outcome`.
        unsafe { (self.fns.discard)(TaskRef::raw(self)) }
    }

    /// Records a cancelled result.
    fn set_cancelled(&self) {
        // SAFETY: as in `outcome`.
        unsafe { (self.fns.set_cancelled)(TaskRef::raw(self)) }
    }

    /// Drops a task that never started without running it; true if it had
    /// not started (it is now done, with a cancelled result). The caller
    /// then calls `crate::unstarted::drop_handed_over` to drop the body.
    pub(crate) fn discard_unstarted(&self) -> bool {
        // SAFETY: as in `AnyTask::step`.
        let slot = unsafe { &mut *self.coroutine.get() };
        if slot.as_ref().is_some_and(|c| !c.started()) {
            // The closure never ran: corosensei hands it back, and the
            // caller drops it (`crate::unstarted::drop_handed_over`) once
            // its bookkeeping is done, since its destructors may panic.
            *slot = None;
            self.set_cancelled();
            self.header.state.set(TaskState::Done);
            return true;
        }
        false
    }

    /// Forgets the coroutine without dropping it: its stack slot is never
    /// resumed or reused. For a task that can never finish unwinding.
    pub(crate) fn leak_coroutine(&self) {
        // SAFETY: as in `AnyTask::step`; the scheduler calls this only for
        // a task that is not running.
        let slot = unsafe { &mut *self.coroutine.get() };
        if let Some(coroutine) = slot.take() {
            std::mem::forget(coroutine);
        }
        // Its values' destructors would have run on that stack: they
        // never run (and none run on the loop's stack in their place).
        self.header.state.set(TaskState::Done);
        // Its result, for whoever still holds its `JoinHandle`.
        self.set_cancelled();
        if let Some(locals) = self.header.locals.get() {
            locals.leak();
        }
    }
}

impl AnyTask {
    /// Resumes the task until it parks or finishes; true when finished.
    /// The caller made it `Running` with `start_running`. Inlined into
    /// the scheduler's loop, its one caller: a call here would save and
    /// restore every register the switch already clobbers.
    #[inline(always)]
    pub(crate) fn step(&self) -> bool {
        // SAFETY: see the field's invariant: `start_running` succeeded, so
        // no other access to the cell is in progress.
        let slot = unsafe { &mut *self.coroutine.get() };
        let Some(coroutine) = slot else {
            return true;
        };
        match coroutine.resume(()) {
            CoroutineResult::Yield(()) => false,
            CoroutineResult::Return(()) => {
                *slot = None; // the stack goes back to the pool now
                self.header.state.set(TaskState::Done);
                true
            }
        }
    }

    /// True once the task's body has started running on its stack.
    pub(crate) fn started(&self) -> bool {
        // SAFETY: a shared read of the coroutine's flags; see the field's
        // invariant: callers ask about tasks that are not running (a
        // `step` in progress would be on this thread's stack, and callers
        // are not inside one for this task).
        unsafe { (*self.coroutine.get()).as_ref() }.is_some_and(|c| c.started() && !c.done())
    }

    /// Resumes a suspended task so that the suspension it stands in
    /// answers the capture request `crate::debug` set in its header, and
    /// suspends again; see `crate::debug::capture` for what that resume
    /// may touch. Does nothing to a task that has not started or is done.
    ///
    /// The caller made the task current and entered its chain, exactly
    /// as `Scheduler::run_task` does, and set `header.capture`.
    pub(crate) fn resume_for_capture(&self) {
        debug_assert!(self.header.is_suspended() && self.header.capture.get());
        // SAFETY: see the field's invariant: the task is suspended and not
        // current, so no other access to the cell is in progress.
        let slot = unsafe { &mut *self.coroutine.get() };
        let Some(coroutine) = slot else { return };
        if !coroutine.started() || coroutine.done() {
            return;
        }
        if let CoroutineResult::Return(()) = coroutine.resume(()) {
            // The suspension answers and suspends again without returning
            // to the task's code: reaching the task's end is impossible,
            // and going on would leave the scheduler's books wrong.
            eprintln!("corio: a task finished during a dump's capture resume; aborting");
            std::process::abort();
        }
    }

    /// True once the coroutine (and so the body and its captures) is gone.
    pub(crate) fn coroutine_dropped(&self) -> bool {
        // SAFETY: a shared read of the discriminant; callers ask only about
        // tasks that are done, whose cell nobody accesses any more.
        unsafe { (*self.coroutine.get()).is_none() }
    }
}

impl Drop for AnyTask {
    fn drop(&mut self) {
        // A task dropped with a coroutine that never started: its body is
        // handed back (see `crate::unstarted`) and dropped here.
        let coroutine = self.coroutine.get_mut().take();
        let unstarted = coroutine.as_ref().is_some_and(|c| !c.started());
        drop(coroutine);
        if unstarted {
            crate::unstarted::drop_handed_over();
        }
    }
}

/// Destroys a task's `task_local!` values when dropped: at the root of the
/// task's stack, after its body returned or unwound, before its output is
/// stored and its joiners are woken. Blocking calls in the destructors
/// behave as in the body's own destructors: when the task is cancelled,
/// they see a cancel-unwinding stack.
struct DestroyLocals<'a>(&'a TaskHeader);

impl Drop for DestroyLocals<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(locals) = self.0.locals.get() {
            destroy_locals(locals);
        }
    }
}

/// The part of [`DestroyLocals`] for a task that used task-locals.
#[cold]
#[inline(never)]
fn destroy_locals(locals: &TaskLocals) {
    locals.destroy();
}
