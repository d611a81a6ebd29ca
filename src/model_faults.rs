//! Deliberate bugs for corio's own harness tests (cargo feature
//! `test-faults`, off by default; not for users): each model test of
//! `tests/model_scheduler` and `tests/model_generator` turns one of these
//! on and asserts that the harness reports a failing case, proving that
//! the harness can fail. Without the feature none of this exists, and the
//! hooks in the library compile to nothing.
//!
//! A fault is per thread, like a runtime: only the test that injects it
//! (and the runtimes and generators it drives on its thread) sees it.

use std::cell::Cell;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

use crate::Generator;

/// One deliberate bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Wait queues (semaphore, mutex, channel, event) put a new waiter at
    /// the front: grants go last-come, first-served.
    LifoWaitQueue,
    /// A grant made while other waiters remain queued marks its waiter
    /// granted but never wakes it.
    ForgetWake,
    /// `Yielder::yield_from` leaks its inner generator instead of closing
    /// it when the delegating generator unwinds (closed, dropped or
    /// raising): the inner one's cleanup never runs.
    SkipDelegateCleanup,
}

thread_local! {
    static ACTIVE: Cell<Option<Fault>> = const { Cell::new(None) };
}

/// Turns `fault` on for this thread until the guard drops.
pub fn inject(fault: Fault) -> Injected {
    ACTIVE.set(Some(fault));
    Injected(())
}

/// Turns the injected fault off when dropped.
#[derive(Debug)]
pub struct Injected(());

impl Drop for Injected {
    fn drop(&mut self) {
        ACTIVE.set(None);
    }
}

/// True while `fault` is on for this thread.
pub(crate) fn active(fault: Fault) -> bool {
    ACTIVE.get() == Some(fault)
}

/// The inner generator of a `yield_from`, leaked instead of dropped when
/// dropped during unwinding while [`Fault::SkipDelegateCleanup`] is on.
pub(crate) struct Delegate<I, Y, R>(ManuallyDrop<Generator<I, Y, R>>);

impl<I, Y, R> Delegate<I, Y, R> {
    pub(crate) fn new(inner: Generator<I, Y, R>) -> Self {
        Delegate(ManuallyDrop::new(inner))
    }
}

impl<I, Y, R> Deref for Delegate<I, Y, R> {
    type Target = Generator<I, Y, R>;

    fn deref(&self) -> &Generator<I, Y, R> {
        &self.0
    }
}

impl<I, Y, R> DerefMut for Delegate<I, Y, R> {
    fn deref_mut(&mut self) -> &mut Generator<I, Y, R> {
        &mut self.0
    }
}

impl<I, Y, R> Drop for Delegate<I, Y, R> {
    fn drop(&mut self) {
        if std::thread::panicking() && active(Fault::SkipDelegateCleanup) {
            return; // the bug: the inner generator is never closed
        }
        // SAFETY: dropped once, here; the field is not used after.
        unsafe { ManuallyDrop::drop(&mut self.0) };
    }
}
