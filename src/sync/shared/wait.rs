//! The waits of a shared channel as `Future`s: [`SendFuture`] and
//! [`RecvFuture`]. The blocking `send` and `recv` run them through
//! [`crate::block_on`], so a corio task parks, a plain thread blocks, and
//! any async runtime can `.await` them directly.
//!
//! Each future is in one of three states, and its `Drop` is what makes
//! cancellation safe:
//!
//! ```text
//!   not queued --poll: must wait--> queued --grant--> granted --poll--> done
//!                                     |                  |
//!                           dropped:  | leaves the list  | passes its grant on
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::state::{Shared, Wakes};
use super::waiters::Ticket;
use crate::sync::{SendError, TrySendError};

/// The future of [`Sender::send_async`](super::Sender::send_async):
/// resolves once `value` is in the channel, or hands it back once every
/// receiver is gone.
///
/// Dropping it before it resolves withdraws the send: `value` is dropped,
/// not sent, and a slot already reserved for it goes to the next waiting
/// sender.
///
/// # Examples
///
/// ```
/// let (tx, rx) = corio::sync::shared::channel(1);
/// tx.send(1).unwrap(); // full now
/// let reader = std::thread::spawn(move || (rx.recv(), rx.recv()));
/// corio::block_on(tx.send_async(2)).unwrap(); // waits until the reader takes 1
/// assert_eq!(reader.join().unwrap(), (Some(1), Some(2)));
/// ```
#[must_use = "a future does nothing unless polled (or run with corio::block_on)"]
pub struct SendFuture<'a, T> {
    shared: &'a Shared<T>,
    /// The value, until it is sent or handed back.
    value: Option<T>,
    /// Our place in the senders' list while queued or granted a slot we
    /// have not used yet.
    ticket: Option<Ticket>,
}

impl<'a, T> SendFuture<'a, T> {
    pub(super) fn new(shared: &'a Shared<T>, value: T) -> Self {
        SendFuture {
            shared,
            value: Some(value),
            ticket: None,
        }
    }
}

// Nothing here is pinned structurally: the value is only ever moved as a
// whole, never borrowed across polls.
impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let value = this
            .value
            .take()
            .expect("corio: a shared channel's SendFuture was polled after it completed");
        let mut wakes = Wakes::default();
        let mut old_waker = None;
        let mut state = this.shared.lock();
        let outcome = if state.receivers == 0 {
            if let Some(ticket) = this.ticket.take()
                && !state.send_waiters.is_granted(ticket)
            {
                old_waker = state.forget_sender(ticket);
            }
            Poll::Ready(Err(SendError(value)))
        } else {
            match this.ticket {
                Some(ticket) if state.send_waiters.is_granted(ticket) => {
                    this.ticket = None;
                    state.send_reserved(value, &mut wakes);
                    Poll::Ready(Ok(()))
                }
                Some(ticket) => {
                    old_waker = state.send_waiters.update_waker(ticket, cx.waker());
                    this.value = Some(value);
                    Poll::Pending
                }
                None => match state.try_send(value, this.shared.capacity, &mut wakes) {
                    Ok(()) => Poll::Ready(Ok(())),
                    Err(TrySendError::Full(value)) => {
                        this.ticket = Some(state.send_waiters.push(cx.waker()));
                        this.value = Some(value);
                        Poll::Pending
                    }
                    Err(TrySendError::Disconnected(value)) => Poll::Ready(Err(SendError(value))),
                },
            }
        };
        drop(state);
        wakes.wake();
        drop(old_waker);
        outcome
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        let Some(ticket) = self.ticket.take() else {
            return;
        };
        let mut wakes = Wakes::default();
        let mut state = self.shared.lock();
        let old_waker = if state.send_waiters.is_granted(ticket) {
            state.pass_on_reservation(&mut wakes);
            None
        } else {
            state.forget_sender(ticket)
        };
        drop(state);
        wakes.wake();
        drop(old_waker);
        // `value`, if still here, is dropped after this, unlocked.
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("done", &self.value.is_none())
            .field("ticket", &self.ticket)
            .finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv_async`](super::Receiver::recv_async):
/// resolves to the oldest value, or to `None` once every sender is gone
/// and the buffer is drained.
///
/// Dropping it before it resolves loses nothing: a value already claimed
/// for it goes to the next waiting receiver (or stays buffered).
///
/// # Examples
///
/// ```
/// let (tx, rx) = corio::sync::shared::channel(4);
/// let writer = std::thread::spawn(move || tx.send("from a thread").unwrap());
/// assert_eq!(corio::block_on(rx.recv_async()), Some("from a thread"));
/// writer.join().unwrap();
/// assert_eq!(corio::block_on(rx.recv_async()), None); // the sender is gone
/// ```
#[must_use = "a future does nothing unless polled (or run with corio::block_on)"]
pub struct RecvFuture<'a, T> {
    shared: &'a Shared<T>,
    /// Our place in the receivers' list while queued or granted a value
    /// we have not taken yet.
    ticket: Option<Ticket>,
    /// Set once it has resolved.
    done: bool,
}

impl<'a, T> RecvFuture<'a, T> {
    pub(super) fn new(shared: &'a Shared<T>) -> Self {
        RecvFuture {
            shared,
            ticket: None,
            done: false,
        }
    }
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        assert!(
            !self.done,
            "corio: a shared channel's RecvFuture was polled after it completed"
        );
        let mut wakes = Wakes::default();
        let mut old_waker = None;
        let mut state = self.shared.lock();
        let granted = self
            .ticket
            .filter(|&ticket| state.recv_waiters.is_granted(ticket));
        let outcome = if granted.is_some() {
            self.ticket = None;
            Poll::Ready(Some(state.take_claimed(&mut wakes)))
        } else if let Some(value) = state.try_take(&mut wakes) {
            // Not reached while we are queued (queued receivers claim
            // every value), but harmless.
            if let Some(ticket) = self.ticket.take() {
                old_waker = state.forget_receiver(ticket);
            }
            Poll::Ready(Some(value))
        } else if state.is_drained() {
            if let Some(ticket) = self.ticket.take() {
                old_waker = state.forget_receiver(ticket);
            }
            Poll::Ready(None)
        } else {
            match self.ticket {
                Some(ticket) => old_waker = state.recv_waiters.update_waker(ticket, cx.waker()),
                None => self.ticket = Some(state.recv_waiters.push(cx.waker())),
            }
            Poll::Pending
        };
        drop(state);
        self.done = outcome.is_ready();
        wakes.wake();
        drop(old_waker);
        outcome
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    fn drop(&mut self) {
        let Some(ticket) = self.ticket.take() else {
            return;
        };
        let mut wakes = Wakes::default();
        let mut state = self.shared.lock();
        let old_waker = if state.recv_waiters.is_granted(ticket) {
            state.pass_on_claim(&mut wakes);
            None
        } else {
            state.forget_receiver(ticket)
        };
        drop(state);
        wakes.wake();
        drop(old_waker);
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture")
            .field("done", &self.done)
            .field("ticket", &self.ticket)
            .finish_non_exhaustive()
    }
}
