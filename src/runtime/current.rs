//! The runtime of this thread's `run`, reached through one thread-local.
//!
//! Every operation that needs the runtime (park, wake, spawn, register a
//! socket) goes through [`try_with`] or [`with`] once and does all its
//! work inside that call.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::builder::Config;
use super::clock::Clock;
use super::group::Seat;
use super::remote::{Remote, RemoteStart};
use super::scheduler::Scheduler;
use super::task::TaskRef;
use crate::context::StackContext;
use crate::reactor::Reactor;

/// One thread's runtime; lives on the stack of [`crate::run`].
pub(crate) struct Runtime {
    /// Unique in the process, so a registration made with one runtime is
    /// never mistaken for one of a later runtime on the same thread.
    pub(crate) id: u64,
    pub(crate) scheduler: Scheduler,
    pub(crate) reactor: Reactor<TaskRef>,
    /// The event loop's own stack in the chain of executing stacks.
    pub(crate) loop_context: StackContext,
    /// What other threads reach: the inbox and the loop's waker.
    pub(crate) remote: Arc<Remote>,
    /// Tasks parked until another thread (or any `Waker`) wakes them, or
    /// pausing in a back-off poll for an outside event
    /// (`clock::poll_pause`): while there are any, an idle loop waits for
    /// that instead of reporting a deadlock, and a virtual clock does not
    /// jump.
    pub(crate) cross_thread_waits: Cell<usize>,
    /// Set by `Handle::shutdown`: `run` then unwinds with `Cancelled`.
    pub(crate) shut_down_by_handle: Cell<bool>,
    /// Spawns from other threads taken from the inbox but not started yet,
    /// oldest first: the loop starts only as many per look as one turn
    /// runs tasks (see `driver::deliver_mail`), so a flood of remote spawns
    /// cannot starve the tasks already ready.
    pub(crate) spawn_backlog: RefCell<VecDeque<Box<dyn RemoteStart>>>,
    /// The time as the loop last read it (once per turn), in
    /// `waiting::ticks`: what a park records as its start, so that the
    /// park path reads no clock.
    pub(crate) clock: Cell<u64>,
    /// What its timers are measured against: the real clock, or a virtual
    /// one ([`crate::Builder::virtual_time`]); see `super::clock`.
    pub(crate) time_source: Clock,
    /// Set by `corio::dump_on_sigquit`: prints a dump when SIGQUIT comes.
    pub(crate) sigquit: RefCell<Option<crate::debug::SigquitWatch>>,
    /// What its `Builder` asked for (the default stack size, ...).
    pub(crate) config: Config,
    /// Which thread of its `Builder::run` it is.
    pub(crate) seat: Seat,
}

static NEXT_RUNTIME_ID: AtomicU64 = AtomicU64::new(1);

impl Runtime {
    pub(crate) fn new(config: Config, seat: Seat) -> std::io::Result<Self> {
        let id = NEXT_RUNTIME_ID.fetch_add(1, Ordering::Relaxed);
        let reactor = Reactor::new()?;
        let remote = Arc::new(Remote::new(id, reactor.waker()?, wake_here));
        let stall = crate::debug::stall::Watch::start(config.stall_threshold);
        // The tick epoch is fixed first, so a virtual clock (starting at
        // the real now) never reads before it.
        let clock = Cell::new(super::waiting::ticks(Instant::now()));
        let time_source = Clock::new(config.virtual_time);
        Ok(Runtime {
            id,
            scheduler: Scheduler::new(stall),
            reactor,
            loop_context: StackContext::default(),
            remote,
            cross_thread_waits: Cell::new(0),
            shut_down_by_handle: Cell::new(false),
            spawn_backlog: RefCell::new(VecDeque::new()),
            clock,
            time_source,
            sigquit: RefCell::new(None),
            config,
            seat,
        })
    }
}

/// Wakes task `(slot, id)` of runtime `runtime` if that is this thread's
/// runtime; false (nothing done) on any other thread. See
/// [`super::remote::WakeHere`].
fn wake_here(runtime: u64, slot: usize, id: u64) -> bool {
    try_with(|rt| {
        if rt.id != runtime {
            return false;
        }
        if let Some(task) = rt.scheduler.task_with(slot, id) {
            rt.scheduler.wake(task);
        }
        true
    })
    .unwrap_or(false)
}

/// Counts the current task among those waiting for a cross-thread wake
/// while alive (see [`Runtime::cross_thread_waits`]).
pub(crate) struct CrossThreadWait<'a>(&'a Runtime);

impl<'a> CrossThreadWait<'a> {
    pub(crate) fn begin(rt: &'a Runtime) -> Self {
        rt.cross_thread_waits.set(rt.cross_thread_waits.get() + 1);
        CrossThreadWait(rt)
    }
}

impl Drop for CrossThreadWait<'_> {
    fn drop(&mut self) {
        let waits = &self.0.cross_thread_waits;
        waits.set(waits.get() - 1);
    }
}

thread_local! {
    /// The runtime of this thread's `run` call, if one is active.
    static RUNTIME: Cell<Option<NonNull<Runtime>>> = const { Cell::new(None) };
}

/// Runs `f` with this thread's runtime, or returns `None` outside `run`.
#[inline]
pub(crate) fn try_with<R>(f: impl FnOnce(&Runtime) -> R) -> Option<R> {
    let runtime = RUNTIME.get()?;
    // SAFETY: RUNTIME points at the `Runtime` on `run`'s stack, and `run`
    // clears it (the `Entered` guard) before that value goes away.
    Some(f(unsafe { runtime.as_ref() }))
}

/// Runs `f` with this thread's runtime.
///
/// # Panics
///
/// Outside [`crate::run`], naming `what` in the message.
#[inline]
pub(crate) fn with<R>(what: &str, f: impl FnOnce(&Runtime) -> R) -> R {
    try_with(f).unwrap_or_else(|| no_runtime(what))
}

/// Panics for a call that needs a runtime outside one, naming it.
#[cold]
#[inline(never)]
pub(crate) fn no_runtime(what: &str) -> ! {
    panic!("corio: {what} needs a runtime; call it inside corio::run(|| ...)")
}

/// The stack size of a task or generator made without one: the current
/// runtime's [`crate::Builder::stack_size`], or
/// [`crate::stack::DEFAULT_STACK_SIZE`] outside any runtime.
#[inline]
pub(crate) fn default_stack_size() -> usize {
    try_with(|rt| rt.config.stack_size).unwrap_or(crate::stack::DEFAULT_STACK_SIZE)
}

/// True inside [`crate::run`] (on any of its tasks, or in its loop).
pub(crate) fn in_runtime() -> bool {
    RUNTIME.get().is_some()
}

/// The task running now.
///
/// # Panics
///
/// Outside a task, naming `what`.
#[inline]
pub(crate) fn current_task(what: &str) -> TaskRef {
    with(what, |rt| rt.scheduler.current_ref()).unwrap_or_else(|| not_in_task(what))
}

#[cold]
#[inline(never)]
fn not_in_task(what: &str) -> ! {
    panic!("corio: {what} must be called from a task, not from the event loop itself")
}

/// The id of the task running now, 0 outside tasks.
#[inline]
pub(crate) fn current_task_id() -> u64 {
    try_with(|rt| rt.scheduler.current().map(|task| task.header.id))
        .flatten()
        .unwrap_or(0)
}

/// For corio's panic hook: inside a task, writes which task panicked and
/// where it was spawned, before the previous hook prints the message.
pub(crate) fn name_panicking_task(info: &std::panic::PanicHookInfo<'_>) {
    let Some(line) = try_with(|rt| {
        let task = rt.scheduler.current()?;
        let mut line = format!(
            "{} spawned at {} panicked",
            task.header.label(),
            task.header.about.spawned_at
        );
        if let Some(at) = info.location() {
            line.push_str(&format!(" at {at}"));
        }
        line.push('\n');
        Some(line)
    })
    .flatten() else {
        return;
    };
    // Not `eprintln!`, which panics if stderr is gone: a panic in a panic
    // hook aborts.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
}

/// Makes `runtime` this thread's runtime until the guard drops.
///
/// # Panics
///
/// If the thread already has one (a `run` inside a `run`).
pub(crate) fn enter(runtime: &Runtime) -> Entered<'_> {
    if in_runtime() {
        panic!("corio: corio::run called inside corio::run; spawn a task instead");
    }
    RUNTIME.set(Some(NonNull::from(runtime)));
    Entered(std::marker::PhantomData)
}

/// Clears the thread's runtime when dropped.
pub(crate) struct Entered<'a>(std::marker::PhantomData<&'a Runtime>);

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        RUNTIME.set(None);
    }
}
