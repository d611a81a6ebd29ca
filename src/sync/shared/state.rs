//! What both ends of a shared channel lock: the buffer, the counts of
//! ends, the two waiter lists, and every transition between them.
//!
//! Each transition runs under the lock and returns the [`Wakes`] it
//! caused; the caller unlocks first and wakes after, so no waker (whose
//! code may be anyone's) runs under the lock.
//!
//! Values are never moved into a waiter. A waiting receiver is granted a
//! *claim*, a promise of one buffered value, so that a `try_recv` that
//! comes later cannot take it first; a waiting sender is granted a
//! *reservation*, one free slot, for the same reason. The claim or
//! reservation is redeemed when the waiter next runs, or passed on to the
//! next waiter if it never does (it was aborted or timed out).

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::task::Waker;

use super::waiters::{Ticket, Waiters};
use crate::sync::TrySendError;

/// The shared half of a channel, behind an `Arc` in every end.
pub(super) struct Shared<T> {
    state: Mutex<State<T>>,
    /// The most values the buffer holds.
    pub(super) capacity: usize,
}

/// The channel's state; see the field docs for the invariants.
pub(super) struct State<T> {
    /// Sent, not yet received values, oldest first.
    ///
    /// # Invariant
    ///
    /// `buffer.len() + reserved <= capacity`, with equality while
    /// `send_waiters` is non-empty and a receiver is alive (a sender
    /// waits only on a full buffer, and each freed slot is reserved for
    /// the oldest waiting sender).
    buffer: VecDeque<T>,
    /// Slots granted to waiting senders that have not sent into them yet.
    /// Meaningless once every receiver is gone.
    reserved: usize,
    /// Buffered values granted to waiting receivers that have not taken
    /// one yet.
    ///
    /// # Invariant
    ///
    /// `claimed <= buffer.len()`, with equality while `recv_waiters` is
    /// non-empty and a sender is alive (each value sent while receivers
    /// wait is claimed by the oldest).
    claimed: usize,
    /// Live `Sender`s; at zero, receivers drain the buffer, then get `None`.
    pub(super) senders: usize,
    /// Live `Receiver`s; at zero, `send` fails and the buffer is empty.
    pub(super) receivers: usize,
    /// Senders waiting for a slot; a grant is a reservation.
    pub(super) send_waiters: Waiters,
    /// Receivers waiting for a value; a grant is a claim.
    pub(super) recv_waiters: Waiters,
}

impl<T> Shared<T> {
    pub(super) fn new(capacity: usize) -> Self {
        Shared {
            state: Mutex::new(State {
                buffer: VecDeque::with_capacity(capacity.min(1024)),
                reserved: 0,
                claimed: 0,
                senders: 1,
                receivers: 1,
                send_waiters: Waiters::default(),
                recv_waiters: Waiters::default(),
            }),
            capacity,
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State<T>> {
        // The only foreign code run under the lock is `Waker::clone` (and
        // `will_wake`), before any change: a panic there leaves the state
        // as it was.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T> State<T> {
    /// Sends `value` if a slot is free and no sender queued earlier.
    pub(super) fn try_send(
        &mut self,
        value: T,
        capacity: usize,
        wakes: &mut Wakes,
    ) -> Result<(), TrySendError<T>> {
        if self.receivers == 0 {
            return Err(TrySendError::Disconnected(value));
        }
        // Queued senders came first; by the invariant the buffer is full
        // then anyway.
        if self.buffer.len() + self.reserved >= capacity || !self.send_waiters.is_empty() {
            return Err(TrySendError::Full(value));
        }
        self.push(value, wakes);
        Ok(())
    }

    /// A waiting sender redeems its reservation. Only while a receiver
    /// is alive.
    pub(super) fn send_reserved(&mut self, value: T, wakes: &mut Wakes) {
        self.reserved -= 1;
        self.push(value, wakes);
    }

    /// Appends a value there is room for; the oldest waiting receiver
    /// claims it.
    fn push(&mut self, value: T, wakes: &mut Wakes) {
        self.buffer.push_back(value);
        if let Some(waker) = self.recv_waiters.grant_front() {
            self.claimed += 1;
            wakes.add(waker);
        }
    }

    /// Takes the oldest value that nobody has claimed.
    pub(super) fn try_take(&mut self, wakes: &mut Wakes) -> Option<T> {
        if self.buffer.len() > self.claimed {
            Some(self.take(wakes))
        } else {
            None
        }
    }

    /// A granted receiver redeems its claim.
    pub(super) fn take_claimed(&mut self, wakes: &mut Wakes) -> T {
        self.claimed -= 1;
        self.take(wakes)
    }

    /// Pops the oldest value: its slot goes to the oldest waiting sender,
    /// and if that was the last value the last sender left behind, the
    /// receivers still waiting learn that nothing more comes.
    fn take(&mut self, wakes: &mut Wakes) -> T {
        let value = self
            .buffer
            .pop_front()
            .expect("corio: shared channel: a claimed or unclaimed value is buffered");
        if let Some(waker) = self.send_waiters.grant_front() {
            self.reserved += 1;
            wakes.add(waker);
        }
        if self.senders == 0 && self.buffer.is_empty() {
            wakes.extend(self.recv_waiters.wakers());
        }
        value
    }

    /// True when a receiver finding nothing unclaimed should get `None`
    /// rather than wait: every sender is gone and nothing is buffered. (A
    /// claimed value may still be passed on, so claims keep it waiting.)
    pub(super) fn is_drained(&self) -> bool {
        self.senders == 0 && self.buffer.is_empty()
    }

    /// A sender holding a reservation vanished without using it: the slot
    /// goes to the next waiting sender, or back to the buffer.
    pub(super) fn pass_on_reservation(&mut self, wakes: &mut Wakes) {
        if self.receivers == 0 {
            return; // reservations mean nothing any more
        }
        match self.send_waiters.grant_front() {
            Some(waker) => wakes.add(waker),
            None => self.reserved -= 1,
        }
    }

    /// A receiver holding a claim vanished without using it: the value
    /// goes to the next waiting receiver, or back to anyone's `try_recv`.
    pub(super) fn pass_on_claim(&mut self, wakes: &mut Wakes) {
        match self.recv_waiters.grant_front() {
            Some(waker) => wakes.add(waker),
            None => self.claimed -= 1,
        }
    }

    /// The last `Sender` is gone: every waiting receiver looks again (and
    /// gets `None` once the buffer is drained).
    pub(super) fn last_sender_gone(&mut self, wakes: &mut Wakes) {
        wakes.extend(self.recv_waiters.wakers());
    }

    /// The last `Receiver` is gone: every waiting sender looks again (and
    /// gets its value back). Returns the values nobody will receive, to
    /// be dropped once the lock is released.
    pub(super) fn last_receiver_gone(&mut self, wakes: &mut Wakes) -> VecDeque<T> {
        wakes.extend(self.send_waiters.wakers());
        // A waiting receiver borrows a live `Receiver`: none is left.
        debug_assert!(self.recv_waiters.is_empty() && self.claimed == 0);
        std::mem::take(&mut self.buffer)
    }

    /// Removes queued sender `ticket` (it gives up); returns its waker,
    /// to be dropped (not woken) once the lock is released.
    #[must_use]
    pub(super) fn forget_sender(&mut self, ticket: Ticket) -> Option<Waker> {
        self.send_waiters.remove(ticket)
    }

    /// Removes queued receiver `ticket`, as [`State::forget_sender`].
    #[must_use]
    pub(super) fn forget_receiver(&mut self, ticket: Ticket) -> Option<Waker> {
        self.recv_waiters.remove(ticket)
    }
}

impl<T> fmt::Debug for State<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("len", &self.buffer.len())
            .field("reserved", &self.reserved)
            .field("claimed", &self.claimed)
            .field("senders", &self.senders)
            .field("receivers", &self.receivers)
            .field("waiting_senders", &self.send_waiters.len())
            .field("waiting_receivers", &self.recv_waiters.len())
            .finish()
    }
}

/// Wakers collected under the lock, called (or just dropped) after it.
///
/// The common case is one waker (the other side's oldest waiter), kept
/// inline; only "everyone look again" fills the vector.
#[derive(Default)]
pub(super) struct Wakes {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl Wakes {
    pub(super) fn add(&mut self, waker: Waker) {
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.rest.push(waker);
        }
    }

    fn extend(&mut self, wakers: Vec<Waker>) {
        for waker in wakers {
            self.add(waker);
        }
    }

    /// Wakes them all, oldest first. Call with the lock released.
    pub(super) fn wake(self) {
        if let Some(waker) = self.first {
            waker.wake();
        }
        for waker in self.rest {
            waker.wake();
        }
    }
}
