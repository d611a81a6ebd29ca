//! The event loop: which task runs next, how a task parks, and who wakes it.
//!
//! Data flow of one turn of [`Runtime::run_until`]: run the ready tasks (at
//! most [`TASKS_PER_TURN`] before looking at the outside world) -> poll mio
//! for I/O readiness, waiting until the next timer when nothing is ready ->
//! fire due timers. Each wake puts a parked task back in the ready queue.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::panic;
use std::ptr::NonNull;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::task::{AnyTask, Cancelled, TaskHeader, TaskRef, TaskState, header_of};
use super::timer::{TimerAction, Timers};
use crate::reactor::Reactor;
use crate::stack;
use crate::trace::{self, ParkReason, What};

/// Ready tasks run per turn before I/O and timers are checked, so a busy
/// queue cannot starve sockets.
const TASKS_PER_TURN: usize = 128;

/// One thread's runtime; lives on the stack of [`crate::run`].
pub(crate) struct Runtime {
    ready: RefCell<VecDeque<TaskRef>>,
    /// The task whose stack is executing now, if any. A raw pointer, not
    /// an `Rc`, because it is read on every switch; `run_task` holds the
    /// `Rc` for exactly as long as this is set.
    current: Cell<Option<NonNull<dyn AnyTask>>>,
    /// Every unfinished task, so `run` can cancel what is left. A task's
    /// index here is `TaskHeader::slot`.
    tasks: RefCell<Vec<Option<TaskRef>>>,
    free_slots: RefCell<Vec<usize>>,
    pub(crate) timers: RefCell<Timers>,
    pub(crate) reactor: Reactor,
    next_id: Cell<u64>,
}

thread_local! {
    /// The runtime of this thread's `run` call, if one is active.
    static RUNTIME: Cell<Option<NonNull<Runtime>>> = const { Cell::new(None) };
}

/// Runs `f` with this thread's runtime, or returns `None` outside `run`.
pub(crate) fn try_with<R>(f: impl FnOnce(&Runtime) -> R) -> Option<R> {
    let runtime = RUNTIME.get()?;
    // SAFETY: RUNTIME points at the `Runtime` on `run`'s stack, and `run`
    // clears it (RuntimeGuard) before that value goes away.
    Some(f(unsafe { runtime.as_ref() }))
}

/// Runs `f` with this thread's runtime.
///
/// # Panics
///
/// Outside [`crate::run`], naming `what` in the message.
pub(crate) fn with<R>(what: &str, f: impl FnOnce(&Runtime) -> R) -> R {
    try_with(f).unwrap_or_else(|| {
        panic!("corio: {what} needs a runtime; call it inside corio::run(|| ...)")
    })
}

/// True inside [`crate::run`] (on any of its tasks).
pub(crate) fn in_runtime() -> bool {
    RUNTIME.get().is_some()
}

/// The task running now (a new reference to it).
///
/// # Panics
///
/// Outside `run`.
pub(crate) fn current_task() -> TaskRef {
    with("this operation", |rt| rt.current_ref())
}

/// Forgets the lifetime bound of a task so the scheduler's tables, which
/// hold `'static` handles, can refer to it.
///
/// # Safety
///
/// The task must finish (or be cancelled and unwound) before anything it
/// borrows goes away, and no handle may be used after that except to look
/// at its (then inert) state. `spawn` needs no erasure (`'static`); `run`
/// and `scope` do not return before their tasks finish.
pub(crate) unsafe fn erase<'a>(task: std::rc::Rc<dyn AnyTask + 'a>) -> TaskRef {
    // SAFETY: only the trait object's lifetime bound changes; the caller
    // upholds that the task is not used past its borrows.
    unsafe { std::mem::transmute::<std::rc::Rc<dyn AnyTask + 'a>, TaskRef>(task) }
}

/// A handle that makes a parked task ready again, valid for one park: once
/// the task has woken, wakers from before are stale and do nothing.
#[derive(Clone)]
pub(crate) struct Waker {
    task: TaskRef,
    park_seq: u32,
}

impl std::fmt::Debug for Waker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Waker")
            .field("task", &header_of(&self.task).id)
            .finish()
    }
}

impl Waker {
    /// Makes the task ready if it is still in the park this waker was made for.
    pub(crate) fn wake(&self) {
        let header = header_of(&self.task);
        if header.state.get() == TaskState::Parked && header.park_seq.get() == self.park_seq {
            make_ready(&self.task);
        }
    }

    /// True once the park this waker was made for is over (or the task is
    /// done). A waker made for a park that has not begun yet is not stale.
    pub(crate) fn is_stale(&self) -> bool {
        let header = header_of(&self.task);
        header.state.get() == TaskState::Done || header.park_seq.get() != self.park_seq
    }
}

/// The header of the task running now; see `Runtime::current_header`.
pub(crate) fn current_header<'t>() -> &'t TaskHeader {
    with("this operation", |rt| rt.current_header())
}

/// A waker for the current task's next park.
pub(crate) fn current_waker() -> Waker {
    with("this operation", |rt| {
        let task = rt.current_ref();
        let park_seq = header_of(&task).park_seq.get();
        Waker { task, park_seq }
    })
}

fn make_ready(task: &TaskRef) {
    with("waking a task", |rt| rt.make_ready(task.clone()));
}

/// Suspends the current task until a waker made for this park fires (or
/// it is cancelled, or a `timeout` around it expires, in which case this
/// unwinds). Called while unwinding, it returns at once: a stack that is
/// unwinding must not switch away (the panic state is per thread).
pub(crate) fn park() {
    park_because(|| ParkReason::Other);
}

/// [`park`], recording `reason` in the trace when one is being recorded.
pub(crate) fn park_because(reason: impl FnOnce() -> ParkReason) {
    if std::thread::panicking() {
        return;
    }
    with("parking a task", |rt| {
        let header = rt.current_header();
        check_interrupts(header);
        trace::record(Some(header.id), || What::Parked(reason()));
        header.state.set(TaskState::Parked);
        suspend_current(header);
        header.park_seq.set(header.park_seq.get().wrapping_add(1));
        check_interrupts(header);
    });
}

/// Gives other ready tasks a turn, then continues (`asyncio.sleep(0)`).
/// Outside `run` it yields the thread.
///
/// # Examples
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// corio::run(|| {
///     let l = log.clone();
///     let other = corio::spawn(move || l.borrow_mut().push("other"));
///     log.borrow_mut().push("main before");
///     corio::yield_now(); // `other` runs here
///     log.borrow_mut().push("main after");
///     other.join().unwrap();
/// });
/// assert_eq!(*log.borrow(), ["main before", "other", "main after"]);
/// ```
pub fn yield_now() {
    let in_runtime = try_with(|rt| {
        if std::thread::panicking() {
            return;
        }
        let header = rt.current_header();
        check_interrupts(header);
        trace::record(Some(header.id), || What::Parked(ParkReason::Yield));
        // `run_task` requeues the task when the switch lands there: it
        // already holds the `Rc`, so no reference count changes hands here.
        header.state.set(TaskState::Ready);
        suspend_current(header);
        check_interrupts(header);
    });
    if in_runtime.is_none() {
        std::thread::yield_now();
    }
}

/// Unwinds to the right place if the current task was cancelled or one of
/// its `timeout`s expired.
///
/// Before unwinding it retires the wakers handed out for this park, which
/// would otherwise still look fresh and could wake a later, unrelated park.
fn check_interrupts(header: &TaskHeader) {
    let payload: Box<dyn std::any::Any + Send> = if header.cancel_requested.get() {
        Box::new(Cancelled)
    } else if let Some(id) = header.expired_deadline.get() {
        Box::new(super::combinators::DeadlineExpired(id))
    } else {
        return;
    };
    header.park_seq.set(header.park_seq.get().wrapping_add(1));
    panic::resume_unwind(payload);
}

/// Switches from whatever stack is executing to the scheduler, as a park of
/// the current task. On the task's own stack that is its yielder; on the
/// stack of a generator the task is running, the switch is made from the
/// generator's parent stack (recursively), so the generator stays suspended
/// mid-call and resumes transparently when the task does.
fn suspend_current(header: &TaskHeader) {
    let here = 0u8;
    let sp = &here as *const u8 as usize;
    let (low, high) = header.stack_bounds;
    if (low..high).contains(&sp) {
        let yielder = header.yielder.get().expect("a running task has a yielder");
        // SAFETY: the yielder is the current task's and we are on its stack.
        unsafe { yielder.as_ref() }.suspend(());
        return;
    }
    let hook = stack::header_containing(sp)
        // SAFETY: header_containing returns the header of a live slot: we
        // are executing on that slot's stack right now.
        .and_then(|slot| unsafe { slot.as_ref() }.on_parent.get())
        .expect("corio: a task parked from a stack corio did not create");
    // SAFETY: the hook belongs to the generator whose stack we are on.
    unsafe { (hook.call)(hook.yielder, suspend_current_task) };
}

/// [`suspend_current`] for the current task, as a plain `fn` for the hook.
fn suspend_current_task() {
    with("parking a task", |rt| suspend_current(rt.current_header()));
}

/// Requests cancellation: the task unwinds at its park point when it next
/// runs. A parked task is made ready so that happens soon.
pub(crate) fn cancel(task: &TaskRef) {
    let header = header_of(task);
    if header.state.get() == TaskState::Done || header.cancel_requested.get() {
        return;
    }
    header.cancel_requested.set(true);
    if header.state.get() == TaskState::Parked {
        make_ready(task);
    }
}

/// Cancels `task` and drives it to completion right now, from the calling
/// stack. Used where waiting is impossible: shutdown, and a scope or race
/// that is itself unwinding.
pub(crate) fn cancel_now(task: &TaskRef) {
    cancel(task);
    with("cancelling a task", |rt| {
        // A task that keeps catching its cancellation is unwound by
        // dropping its coroutine after this many tries.
        for _ in 0..64 {
            if header_of(task).state.get() == TaskState::Done {
                return;
            }
            rt.run_task(task.clone());
        }
    });
}

impl Runtime {
    pub(crate) fn new() -> std::io::Result<Self> {
        Ok(Runtime {
            ready: RefCell::new(VecDeque::new()),
            current: Cell::new(None),
            tasks: RefCell::new(Vec::new()),
            free_slots: RefCell::new(Vec::new()),
            timers: RefCell::new(Timers::default()),
            reactor: Reactor::new()?,
            next_id: Cell::new(0),
        })
    }

    /// Registers a new task and queues it.
    pub(crate) fn schedule_new(&self, task_ref: TaskRef) {
        trace::record(Some(header_of(&task_ref).id), || What::Spawned);
        let slot = self.free_slots.borrow_mut().pop().unwrap_or_else(|| {
            let mut tasks = self.tasks.borrow_mut();
            tasks.push(None);
            tasks.len() - 1
        });
        header_of(&task_ref).slot.set(slot);
        self.tasks.borrow_mut()[slot] = Some(task_ref.clone());
        self.enqueue(task_ref);
    }

    pub(crate) fn next_task_id(&self) -> u64 {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        id
    }

    /// The task running now.
    ///
    /// # Panics
    ///
    /// When called from the scheduler itself rather than from a task.
    fn current_ref(&self) -> TaskRef {
        let current = self.current_ptr();
        // SAFETY: `current` is set only while `run_task` holds an `Rc` of
        // this task, so the count is positive and the allocation is live.
        unsafe {
            Rc::increment_strong_count(current.as_ptr());
            Rc::from_raw(current.as_ptr())
        }
    }

    fn current_ptr(&self) -> NonNull<dyn AnyTask> {
        self.current
            .get()
            .expect("corio: no task is running (called from the scheduler?)")
    }

    /// The running task's header, valid for as long as that task's code
    /// runs (so across its own suspensions).
    fn current_header<'t>(&self) -> &'t TaskHeader {
        // SAFETY: every task is a `repr(C)` `Task<T>` with the header first
        // (see `header_of`), and the task table owns every unfinished task,
        // so the header outlives every use by the task's own code, which is
        // the only caller (the reference never leaves a park/yield call).
        unsafe { &*self.current_ptr().as_ptr().cast::<TaskHeader>() }
    }

    fn make_ready(&self, task: TaskRef) {
        let header = header_of(&task);
        trace::record(Some(header.id), || What::Woken);
        header.state.set(TaskState::Ready);
        self.enqueue(task);
    }

    /// Appends `task` to the ready queue unless it is already in it.
    fn enqueue(&self, task: TaskRef) {
        let header = header_of(&task);
        if !header.queued.replace(true) {
            self.ready.borrow_mut().push_back(task);
        }
    }

    /// Runs one task until it parks, yields or finishes.
    fn run_task(&self, task: TaskRef) {
        let header = header_of(&task);
        match header.state.get() {
            // A stale queue entry: `cancel_now` finished the task directly.
            TaskState::Done => return,
            // Already executing further up this stack (a task cannot be
            // resumed from inside itself).
            TaskState::Running => return,
            TaskState::Ready | TaskState::Parked => {}
        }
        header.state.set(TaskState::Running);
        trace::record(Some(header.id), || What::Resumed);
        let cancel_unstarted = header.cancel_requested.get();
        let previous = self.current.replace(Some(NonNull::from(&*task)));
        let finished = (cancel_unstarted && task.discard_unstarted()) || task.step();
        self.current.set(previous);
        if finished {
            trace::record(Some(header_of(&task).id), || What::Finished(task.outcome()));
            self.retire(&task);
        } else if header_of(&task).state.get() == TaskState::Ready {
            self.enqueue(task); // it called yield_now
        }
    }

    /// Bookkeeping for a task that just finished.
    fn retire(&self, task: &TaskRef) {
        let header = header_of(task);
        let slot = header.slot.replace(usize::MAX);
        if slot != usize::MAX {
            self.tasks.borrow_mut()[slot] = None;
            self.free_slots.borrow_mut().push(slot);
        }
        if let Some(waiter) = header.join_waiter.take() {
            waiter.wake();
        }
        let more = std::mem::take(&mut *header.more_join_waiters.borrow_mut());
        for waiter in more {
            waiter.wake();
        }
    }

    /// Runs the loop until `main` is done.
    ///
    /// # Panics
    ///
    /// If every task is parked with nothing that could wake one (no
    /// timers, no I/O interest): a deadlock.
    pub(crate) fn run_until(&self, main: &TaskRef) {
        loop {
            for _ in 0..TASKS_PER_TURN {
                let next = self.ready.borrow_mut().pop_front();
                let Some(task) = next else { break };
                header_of(&task).queued.set(false);
                self.run_task(task);
                if header_of(main).state.get() == TaskState::Done {
                    return;
                }
            }
            let idle = self.ready.borrow().is_empty();
            if !idle && !self.reactor.has_waiters() && self.timers.borrow().is_empty() {
                continue; // nothing outside could have happened; skip the syscall
            }
            let wait = if idle {
                let next = self.timers.borrow().next_deadline();
                next.map(|at| at.saturating_duration_since(Instant::now()))
            } else {
                Some(Duration::ZERO)
            };
            if idle && wait.is_none() && !self.reactor.has_waiters() {
                panic!(
                    "corio: deadlock: the main task is parked and no task can ever wake \
                     (nothing is ready, no timer is pending, no task waits for I/O)"
                );
            }
            self.reactor.poll(wait);
            self.fire_timers();
        }
    }

    fn fire_timers(&self) {
        if self.timers.borrow().is_empty() {
            return;
        }
        let now = Instant::now();
        loop {
            let due = self.timers.borrow_mut().pop_due(now);
            match due {
                None => break,
                Some(TimerAction::Wake(waker)) => waker.wake(),
                Some(TimerAction::Deadline { task, id }) => {
                    let expired = super::combinators::expire_deadline(&task, id);
                    if expired && header_of(&task).state.get() == TaskState::Parked {
                        self.make_ready(task);
                    }
                }
            }
        }
    }

    /// Cancels every unfinished task and unwinds it, oldest first.
    pub(crate) fn shutdown(&self) {
        // One pass per generation: tasks spawned by destructors during a
        // pass are picked up by the next one.
        loop {
            let pending: Vec<TaskRef> = self.tasks.borrow().iter().flatten().cloned().collect();
            if pending.is_empty() {
                break;
            }
            for task in pending {
                cancel_now(&task);
                if header_of(&task).state.get() != TaskState::Done {
                    // It caught every cancellation; give up on unwinding it
                    // and retire it so shutdown ends (its stack is dropped
                    // with it).
                    self.retire(&task);
                }
            }
        }
        self.ready.borrow_mut().clear();
    }
}

/// Makes the runtime current for the thread; undoes that (after cancelling
/// every task) when dropped, also on panic.
pub(crate) struct RuntimeGuard<'a>(&'a Runtime);

impl<'a> RuntimeGuard<'a> {
    pub(crate) fn enter(runtime: &'a Runtime) -> Self {
        if in_runtime() {
            panic!("corio: corio::run called inside corio::run; spawn a task instead");
        }
        RUNTIME.set(Some(NonNull::from(runtime)));
        RuntimeGuard(runtime)
    }
}

impl Drop for RuntimeGuard<'_> {
    fn drop(&mut self) {
        self.0.shutdown();
        RUNTIME.set(None);
    }
}
