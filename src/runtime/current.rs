//! The runtime of this thread's `run`, reached through one thread-local.
//!
//! Every operation that needs the runtime (park, wake, spawn, register a
//! socket) goes through [`try_with`] or [`with`] once and does all its
//! work inside that call.

use std::cell::Cell;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

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
}

static NEXT_RUNTIME_ID: AtomicU64 = AtomicU64::new(1);

impl Runtime {
    pub(crate) fn new() -> std::io::Result<Self> {
        Ok(Runtime {
            id: NEXT_RUNTIME_ID.fetch_add(1, Ordering::Relaxed),
            scheduler: Scheduler::new(),
            reactor: Reactor::new()?,
            loop_context: StackContext::default(),
        })
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

#[cold]
#[inline(never)]
fn no_runtime(what: &str) -> ! {
    panic!("corio: {what} needs a runtime; call it inside corio::run(|| ...)")
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
pub(crate) fn current_task(what: &str) -> TaskRef {
    with(what, |rt| rt.scheduler.current_ref()).unwrap_or_else(|| {
        panic!("corio: {what} must be called from a task, not from the event loop itself")
    })
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
