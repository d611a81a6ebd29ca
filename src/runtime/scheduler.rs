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
use std::time::{Duration, Instant};

use super::task::{AnyTask, Cancelled, TaskRef, TaskState};
use super::timer::{TimerAction, Timers};
use crate::reactor::Reactor;
use crate::stack;

/// Ready tasks run per turn before I/O and timers are checked, so a busy
/// queue cannot starve sockets.
const TASKS_PER_TURN: usize = 128;

/// One thread's runtime; lives on the stack of [`crate::run`].
pub(crate) struct Runtime {
    ready: RefCell<VecDeque<TaskRef>>,
    /// The task whose stack is executing now, if any.
    current: RefCell<Option<TaskRef>>,
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

/// The task running now.
pub(crate) fn current_task() -> TaskRef {
    with("this operation", |rt| rt.current.borrow().clone())
        .expect("corio: no task is running (called from the scheduler itself?)")
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
            .field("task", &self.task.header().id)
            .finish()
    }
}

impl Waker {
    /// Makes the task ready if it is still in the park this waker was made for.
    pub(crate) fn wake(&self) {
        if !self.is_stale() {
            make_ready(&self.task);
        }
    }

    pub(crate) fn is_stale(&self) -> bool {
        let header = self.task.header();
        header.state.get() != TaskState::Parked || header.park_seq.get() != self.park_seq
    }
}

/// A waker for the current task's next park.
pub(crate) fn current_waker() -> Waker {
    let task = current_task();
    let park_seq = task.header().park_seq.get();
    Waker { task, park_seq }
}

fn make_ready(task: &TaskRef) {
    task.header().state.set(TaskState::Ready);
    with("waking a task", |rt| {
        rt.ready.borrow_mut().push_back(task.clone())
    });
}

/// Suspends the current task until a waker made for this park fires (or
/// it is cancelled, or a `timeout` around it expires, in which case this
/// unwinds). Called while unwinding, it returns at once: a stack that is
/// unwinding must not switch away (the panic state is per thread).
pub(crate) fn park() {
    if std::thread::panicking() {
        return;
    }
    let task = current_task();
    let header = task.header();
    check_interrupts(header);
    header.state.set(TaskState::Parked);
    drop(task);
    suspend_current();
    let task = current_task();
    let header = task.header();
    header.park_seq.set(header.park_seq.get().wrapping_add(1));
    check_interrupts(header);
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
    if !in_runtime() {
        std::thread::yield_now();
        return;
    }
    if std::thread::panicking() {
        return;
    }
    let task = current_task();
    check_interrupts(task.header());
    make_ready(&task);
    drop(task);
    suspend_current();
    check_interrupts(current_task().header());
}

/// Unwinds to the right place if the current task was cancelled or one of
/// its `timeout`s expired.
fn check_interrupts(header: &super::task::TaskHeader) {
    if header.cancel_requested.get() {
        panic::resume_unwind(Box::new(Cancelled));
    }
    if let Some(id) = header.expired_deadline.get() {
        panic::resume_unwind(Box::new(super::combinators::DeadlineExpired(id)));
    }
}

/// Switches from whatever stack is executing to the scheduler, as a park of
/// the current task. On the task's own stack that is its yielder; on the
/// stack of a generator the task is running, the switch is made from the
/// generator's parent stack (recursively), so the generator stays suspended
/// mid-call and resumes transparently when the task does.
fn suspend_current() {
    let here = 0u8;
    let sp = &here as *const u8 as usize;
    let task = current_task();
    let header = task.header();
    let (low, high) = header.stack_bounds;
    if (low..high).contains(&sp) {
        let yielder = header.yielder.get().expect("a running task has a yielder");
        drop(task);
        // SAFETY: the yielder is the current task's and we are on its stack.
        unsafe { yielder.as_ref() }.suspend(());
        return;
    }
    drop(task);
    let hook = stack::header_containing(sp)
        // SAFETY: header_containing returns the header of a live slot: we
        // are executing on that slot's stack right now.
        .and_then(|slot| unsafe { slot.as_ref() }.on_parent.get())
        .expect("corio: a task parked from a stack corio did not create");
    // SAFETY: the hook belongs to the generator whose stack we are on.
    unsafe { (hook.call)(hook.yielder, suspend_current) };
}

/// Requests cancellation: the task unwinds at its park point when it next
/// runs. A parked task is made ready so that happens soon.
pub(crate) fn cancel(task: &TaskRef) {
    let header = task.header();
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
            if task.header().state.get() == TaskState::Done {
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
            current: RefCell::new(None),
            tasks: RefCell::new(Vec::new()),
            free_slots: RefCell::new(Vec::new()),
            timers: RefCell::new(Timers::default()),
            reactor: Reactor::new()?,
            next_id: Cell::new(0),
        })
    }

    /// Registers a new task and queues it.
    pub(crate) fn schedule_new(&self, task_ref: TaskRef) {
        let slot = self.free_slots.borrow_mut().pop().unwrap_or_else(|| {
            let mut tasks = self.tasks.borrow_mut();
            tasks.push(None);
            tasks.len() - 1
        });
        task_ref.header().slot.set(slot);
        self.tasks.borrow_mut()[slot] = Some(task_ref.clone());
        self.ready.borrow_mut().push_back(task_ref);
    }

    pub(crate) fn next_task_id(&self) -> u64 {
        let id = self.next_id.get() + 1;
        self.next_id.set(id);
        id
    }

    /// Runs one task until it parks, yields or finishes.
    fn run_task(&self, task: TaskRef) {
        let header = task.header();
        let previous = self.current.replace(Some(task.clone()));
        header.state.set(TaskState::Running);
        let finished = (header.cancel_requested.get() && task.discard_unstarted()) || task.step();
        *self.current.borrow_mut() = previous;
        if finished {
            self.retire(&task);
        }
    }

    /// Bookkeeping for a task that just finished.
    fn retire(&self, task: &TaskRef) {
        let header = task.header();
        let slot = header.slot.replace(usize::MAX);
        if slot != usize::MAX {
            self.tasks.borrow_mut()[slot] = None;
            self.free_slots.borrow_mut().push(slot);
        }
        let waiters = std::mem::take(&mut *header.join_waiters.borrow_mut());
        for waiter in waiters {
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
                self.run_task(task);
                if main.header().state.get() == TaskState::Done {
                    return;
                }
            }
            let idle = self.ready.borrow().is_empty();
            let now = Instant::now();
            let wait = if idle {
                self.timers
                    .borrow()
                    .next_deadline()
                    .map(|at| at.saturating_duration_since(now))
            } else {
                Some(Duration::ZERO)
            };
            if idle && wait.is_none() && !self.reactor.has_waiters() {
                panic!(
                    "corio: deadlock: the main task is parked and no task can ever wake \
                     (nothing is ready, no timer is pending, no task waits for I/O)"
                );
            }
            if !idle && !self.reactor.has_waiters() && self.timers.borrow().is_empty() {
                continue; // nothing outside could have happened; skip the syscall
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
                    super::combinators::expire_deadline(&task, id);
                    if task.header().state.get() == TaskState::Parked {
                        make_ready(&task);
                    }
                }
            }
        }
    }

    /// Cancels every unfinished task and unwinds it, oldest first.
    pub(crate) fn shutdown(&self) {
        loop {
            let next = self.tasks.borrow().iter().flatten().next().cloned();
            let Some(task) = next else { break };
            cancel_now(&task);
            if task.header().state.get() != TaskState::Done {
                // It caught every cancellation; give up on unwinding it and
                // retire it so shutdown ends (its stack is dropped with it).
                self.retire(&task);
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
