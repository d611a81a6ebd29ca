//! A coroutine body that never ran is dropped on the stack of whoever drops
//! the coroutine, not on the coroutine's own stack.
//!
//! corosensei drops the initial closure of a coroutine that never started
//! on the coroutine's own stack. There a panic cannot propagate (corosensei
//! aborts the process), and a corio park would suspend the wrong stack:
//! a captured value whose destructor panics, sleeps or takes a `Mutex`
//! must not do that there. So each body is wrapped in an [`Unstarted`],
//! which, dropped unrun, hands the body over to a thread-local instead;
//! the owner drops it right after, with [`drop_handed_over`], on its own
//! stack, where that destructor behaves as anywhere else.

use std::cell::Cell;
use std::mem::ManuallyDrop;

/// Bodies up to this size are moved onto a coroutine's stack as they are;
/// larger ones are boxed first. corosensei refuses to transfer a closure
/// over 1 KiB, and the closures corio builds around a body add a few
/// pointers and this wrapper's flag.
pub(crate) const MAX_INLINE_BODY: usize = 512;

/// Anything, for a type-erased box.
trait Erased {}
impl<T: ?Sized> Erased for T {}

thread_local! {
    /// A body handed over by an [`Unstarted`] dropped unrun.
    static HANDED_OVER: Cell<Option<Box<dyn Erased>>> = const { Cell::new(None) };
}

/// A body until the coroutine starts and takes it; see the module docs.
pub(crate) struct Unstarted<F> {
    body: ManuallyDrop<F>,
    taken: bool,
}

impl<F> Unstarted<F> {
    pub(crate) fn new(body: F) -> Self {
        Unstarted {
            body: ManuallyDrop::new(body),
            taken: false,
        }
    }

    /// The body, as the coroutine starts.
    #[inline]
    pub(crate) fn take(&mut self) -> F {
        assert!(!self.taken, "a coroutine body starts once");
        self.taken = true;
        // SAFETY: not taken before (checked above), and never again.
        unsafe { ManuallyDrop::take(&mut self.body) }
    }
}

impl<F> Drop for Unstarted<F> {
    #[inline]
    fn drop(&mut self) {
        if !self.taken {
            self.hand_over();
        }
    }
}

impl<F> Unstarted<F> {
    /// The cold half of `drop`: the body never ran.
    #[cold]
    fn hand_over(&mut self) {
        // SAFETY: the body was never taken, and it is taken only here.
        let body = unsafe { ManuallyDrop::take(&mut self.body) };
        let boxed: Box<dyn Erased + '_> = Box::new(body);
        // SAFETY: only the trait object's lifetime bound changes. Every
        // owner of an `Unstarted` calls `drop_handed_over` right after the
        // drop of its coroutine returns, on the same thread, while whatever
        // the body borrows is still alive (the body's own contract: it
        // outlives the coroutine), so the box is dropped within the borrow.
        let boxed: Box<dyn Erased> =
            unsafe { std::mem::transmute::<Box<dyn Erased + '_>, Box<dyn Erased>>(boxed) };
        let earlier = HANDED_OVER.replace(Some(boxed));
        debug_assert!(earlier.is_none(), "a handed-over body is dropped at once");
        drop(earlier);
    }
}

/// Drops the body a coroutine that never started handed over, if any,
/// here on the caller's stack. Call right after dropping (or force-
/// unwinding) a coroutine built with an [`Unstarted`] body.
pub(crate) fn drop_handed_over() {
    let body = HANDED_OVER.take();
    drop(body);
}
