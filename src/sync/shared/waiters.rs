//! The FIFO of waiters of one side of a shared channel: `Waker`s under
//! tickets, kept inside the channel's mutex.
//!
//! This is [`crate::sync`]'s grant protocol (see its `wait_queue.rs`)
//! for waiters on any thread. A waiter takes a ticket and leaves its
//! `Waker`; whoever frees something *grants* it to the oldest waiter by
//! popping that waiter from the front and waking it. From then on the
//! thing is the waiter's, even before it runs.
//!
//! Tickets grow with every push and only the front is ever granted, so
//! the tickets granted so far are exactly those up to the last one
//! granted: "was I granted?" is one comparison, and a waiter needs no
//! allocation of its own. The only other way out of the list is the
//! waiter removing itself (it gave up or was cancelled), after which it
//! never asks again.
//!
//! ```text
//!   push --> queued --grant_front--> granted --poll--> takes the grant
//!              |                        |
//!              | remove (dropped)       | dropped before taking it
//!              v                        v
//!            gone                     the owner passes the grant on
//! ```
//!
//! Waking everyone without a grant ([`Waiters::wakers`], when the other
//! side of the channel is gone) leaves them queued: each looks at the
//! channel when it polls and removes itself.

use std::collections::VecDeque;
use std::task::Waker;

/// A waiter's place in a [`Waiters`] list; tickets start at 1.
pub(super) type Ticket = u64;

/// Waiters not granted yet, oldest first.
#[derive(Debug, Default)]
pub(super) struct Waiters {
    /// Queued tickets in increasing order, each with the waker to call
    /// when it is granted.
    queue: VecDeque<(Ticket, Waker)>,
    /// The last ticket handed out by [`Waiters::push`].
    last_issued: Ticket,
    /// The last ticket granted: every ticket up to it has been granted or
    /// has removed itself.
    last_granted: Ticket,
}

impl Waiters {
    /// True when nobody waits.
    pub(super) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// How many wait (for `Debug`).
    pub(super) fn len(&self) -> usize {
        self.queue.len()
    }

    /// Queues a new waiter at the back and returns its ticket.
    pub(super) fn push(&mut self, waker: &Waker) -> Ticket {
        self.last_issued += 1;
        self.queue.push_back((self.last_issued, waker.clone()));
        self.last_issued
    }

    /// True once `ticket` has been granted.
    pub(super) fn is_granted(&self, ticket: Ticket) -> bool {
        ticket <= self.last_granted
    }

    /// Replaces the waker of queued `ticket` unless it would wake the same
    /// task anyway; returns the old one, for the caller to drop after
    /// unlocking.
    #[must_use]
    pub(super) fn update_waker(&mut self, ticket: Ticket, waker: &Waker) -> Option<Waker> {
        let index = self.position(ticket)?;
        let slot = &mut self.queue[index].1;
        if slot.will_wake(waker) {
            return None;
        }
        Some(std::mem::replace(slot, waker.clone()))
    }

    /// Takes queued `ticket` out of the list (its waiter gives up) and
    /// returns its waker, for the caller to drop after unlocking.
    pub(super) fn remove(&mut self, ticket: Ticket) -> Option<Waker> {
        let index = self.position(ticket)?;
        self.queue.remove(index).map(|(_, waker)| waker)
    }

    /// Grants the oldest waiter; its waker, to call once the lock is
    /// released, or `None` if nobody waits.
    pub(super) fn grant_front(&mut self) -> Option<Waker> {
        let (ticket, waker) = self.queue.pop_front()?;
        self.last_granted = ticket;
        Some(waker)
    }

    /// Every waiter's waker, to wake them all without a grant ("look
    /// again": the other side is gone). They stay queued, in order.
    pub(super) fn wakers(&self) -> Vec<Waker> {
        self.queue.iter().map(|(_, w)| w.clone()).collect()
    }

    /// Where `ticket` is queued (the queue is sorted by ticket).
    fn position(&self, ticket: Ticket) -> Option<usize> {
        self.queue.binary_search_by_key(&ticket, |(t, _)| *t).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_go_to_the_front_and_a_removed_ticket_is_skipped() {
        let mut list = Waiters::default();
        let [a, b, c] = [(); 3].map(|()| list.push(Waker::noop()));
        assert!(list.remove(b).is_some());
        assert!(list.grant_front().is_some());
        assert!(list.is_granted(a));
        assert!(!list.is_granted(c));
        assert!(list.grant_front().is_some());
        assert!(list.is_granted(c));
        assert!(list.is_empty());
        assert!(list.grant_front().is_none());
    }

    #[test]
    fn waking_everyone_leaves_them_queued_in_order() {
        let mut list = Waiters::default();
        let a = list.push(Waker::noop());
        let b = list.push(Waker::noop());
        assert_eq!(list.wakers().len(), 2);
        assert_eq!(list.len(), 2);
        assert!(list.grant_front().is_some());
        assert!(list.is_granted(a) && !list.is_granted(b));
        assert!(list.update_waker(a, Waker::noop()).is_none()); // granted: gone
        assert_eq!(list.len(), 1);
    }
}
