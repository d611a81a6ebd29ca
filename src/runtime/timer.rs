//! The runtime's timers: a binary heap of deadlines, earliest first.
//!
//! A heap keeps `sleep` at O(log n) with 100k+ timers. Entries are not
//! removed when their task is woken some other way; they go stale, are
//! skipped when they fire, and are swept out whenever the heap doubles.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

use super::scheduler::Waker;
use super::task::TaskRef;

/// What happens when a timer fires.
pub(crate) enum TimerAction {
    /// Wake a task parked in `sleep` (or anything else with a deadline).
    Wake(Waker),
    /// A `timeout` deadline: the task unwinds to that `timeout` call.
    Deadline { task: TaskRef, id: u64 },
}

impl TimerAction {
    fn is_stale(&self) -> bool {
        match self {
            TimerAction::Wake(waker) => waker.is_stale(),
            TimerAction::Deadline { task, id } => !task.header().deadlines.borrow().contains(id),
        }
    }
}

struct Entry {
    at: Instant,
    /// Insertion order, so equal deadlines fire first-in first-out.
    seq: u64,
    action: TimerAction,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed: `BinaryHeap` is a max-heap and we want the earliest on top.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Pending deadlines of one runtime.
#[derive(Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Entry>,
    next_seq: u64,
    /// Sweep stale entries when the heap grows past this.
    sweep_at: usize,
}

impl Timers {
    pub(crate) fn insert(&mut self, at: Instant, action: TimerAction) {
        self.next_seq += 1;
        self.heap.push(Entry {
            at,
            seq: self.next_seq,
            action,
        });
        if self.heap.len() > self.sweep_at.max(1024) {
            self.heap.retain(|entry| !entry.action.is_stale());
            self.sweep_at = self.heap.len() * 2;
        }
    }

    /// When the earliest timer fires, if any.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|entry| entry.at)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<TimerAction> {
        if self.heap.peek()?.at > now {
            return None;
        }
        self.heap.pop().map(|entry| entry.action)
    }
}
