//! [`Completion`]: a result that one thread delivers and another waits
//! for, as a `Future`. Remote spawns and `unblock` jobs both end in one.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// A value delivered once, from any thread, to whoever polls for it.
pub(crate) struct Completion<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    /// The value, once delivered and until taken.
    value: Option<T>,
    delivered: bool,
    /// Who to wake on delivery (the last poll's waker).
    waiter: Option<Waker>,
}

impl<T> Completion<T> {
    pub(crate) fn new() -> Self {
        Completion {
            state: Mutex::new(State {
                value: None,
                delivered: false,
                waiter: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing user-supplied runs under this lock but `Waker::clone`;
        // the state is consistent whether or not that panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Delivers `value` and wakes the waiter; later deliveries are
    /// dropped (the first one wins).
    pub(crate) fn deliver(&self, value: T) {
        let waiter = {
            let mut state = self.lock();
            if state.delivered {
                return;
            }
            state.delivered = true;
            state.value = Some(value);
            state.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    /// True once delivered (even if already taken).
    pub(crate) fn is_delivered(&self) -> bool {
        self.lock().delivered
    }

    /// The value, if delivered and not yet taken.
    pub(crate) fn try_take(&self) -> Option<T> {
        self.lock().value.take()
    }

    /// Takes the value if delivered, or keeps `waker` to wake on delivery.
    ///
    /// # Panics
    ///
    /// If the value was delivered and already taken.
    pub(crate) fn poll_take(&self, waker: &Waker, what: &str) -> Poll<T> {
        let mut state = self.lock();
        if let Some(value) = state.value.take() {
            return Poll::Ready(value);
        }
        assert!(
            !state.delivered,
            "corio: {what} polled again after it returned its result"
        );
        match &state.waiter {
            Some(waiter) if waiter.will_wake(waker) => {}
            _ => state.waiter = Some(waker.clone()),
        }
        Poll::Pending
    }
}

/// Waits for a [`Completion`] it borrows.
pub(crate) struct Delivery<'a, T>(pub(crate) &'a Completion<T>);

impl<T> Future for Delivery<'_, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.0.poll_take(cx.waker(), "a completion")
    }
}
