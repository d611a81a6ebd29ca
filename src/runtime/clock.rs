//! The runtime's clock: the real one, or a virtual one for tests
//! ([`crate::Builder::virtual_time`]).
//!
//! Every timer of a runtime (its `sleep`s, `timeout`s, socket deadlines)
//! is read against [`Clock::now`], through [`now`], so switching the
//! clock switches them all at once.
//!
//! A virtual clock starts at the real time its runtime was made and then
//! moves only in the loop's turn (`driver::turn`), in one of two ways:
//!
//! - **a jump**: the loop is idle (no task ready), no task waits on
//!   anything outside the runtime (a descriptor in the reactor, or a
//!   cross-thread wake: `block_on` and everything built on it, and the
//!   back-off polls for outside events no descriptor reports, see
//!   [`poll_pause`]), and a timer is pending. Only a timer can wake anyone then, so the clock is
//!   set to the earliest deadline at once (Go's `testing/synctest` rule).
//! - **real waiting**: some task waits on the outside world. The loop
//!   really waits in epoll, until that event or the next virtual deadline
//!   (its distance from the virtual now, taken as a real duration), and
//!   the clock moves on by the real time that wait took. A timeout on a
//!   socket whose peer stays silent thus fires after its real duration,
//!   as without virtual time, rather than never or at once.
//!
//! Between turns the clock stands still: code that runs without parking
//! sees the same instant throughout, so a program made of sleeps reads
//! exactly the durations it slept.

use std::cell::Cell;
use std::time::{Duration, Instant};

use super::current;

/// One runtime's clock.
#[derive(Debug)]
pub(crate) struct Clock {
    /// `None` for the real clock; for a virtual one, the virtual now,
    /// which only [`Clock::jump_to`] and [`Clock::waited`] move (forward).
    virtual_now: Option<Cell<Instant>>,
}

impl Clock {
    /// A real clock, or a virtual one starting at the real now.
    pub(crate) fn new(virtual_time: bool) -> Self {
        Clock {
            virtual_now: virtual_time.then(|| Cell::new(Instant::now())),
        }
    }

    /// The time by this clock.
    #[inline]
    pub(crate) fn now(&self) -> Instant {
        match &self.virtual_now {
            None => Instant::now(),
            Some(now) => now.get(),
        }
    }

    /// True for a virtual clock.
    #[inline]
    pub(crate) fn is_virtual(&self) -> bool {
        self.virtual_now.is_some()
    }

    /// Moves a virtual clock forward to `at` (never back); nothing for the
    /// real clock.
    pub(crate) fn jump_to(&self, at: Instant) {
        if let Some(now) = &self.virtual_now {
            now.set(now.get().max(at));
        }
    }

    /// Moves a virtual clock forward by `real`, the real time the loop
    /// just spent waiting for the outside world; nothing for the real
    /// clock.
    pub(crate) fn waited(&self, real: Duration) {
        if let Some(now) = &self.virtual_now {
            now.set(now.get().checked_add(real).unwrap_or(now.get()));
        }
    }
}

/// The time by this thread's runtime's clock (the real time outside any
/// runtime): what every timer of corio is measured against. Public as
/// [`crate::time::now`].
#[inline]
pub(crate) fn now() -> Instant {
    current::try_with(|rt| rt.time_source.now()).unwrap_or_else(Instant::now)
}

/// `sleep(pause)` as one step of polling for something outside the
/// runtime that no readiness event reports (a child's end without a
/// pidfd, room in a full Unix socket queue): the task counts as waiting
/// on the outside world meanwhile, not on time alone, so a virtual clock
/// does not jump past the outside event (it would otherwise race ahead,
/// a pause per turn). Outside a runtime it sleeps the thread.
pub(crate) fn poll_pause(pause: Duration) {
    let paused = current::try_with(|rt| {
        let _outside = current::CrossThreadWait::begin(rt);
        crate::sleep(pause);
    });
    if paused.is_none() {
        std::thread::sleep(pause);
    }
}
