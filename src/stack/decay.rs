//! When the memory of freed stacks goes back to the kernel: once a free
//! slot beyond the warm cache has stayed unused for the *decay time*, as
//! jemalloc's decay does for dirty pages. A burst of tasks that ends and
//! starts again within the decay time reuses resident pages instead of
//! faulting every one in again; an idle program's RSS still falls.
//!
//! Free slots are stamped with a coarse per-thread clock, read for real
//! once every [`CLOCK_READS_PER_REFRESH`] stamps and whenever an event loop
//! is about to wait: reading the clock costs about as much as a whole
//! task switch, so not on every stack freed.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The decay time unless [`set_decay`] says otherwise.
pub const DEFAULT_DECAY: Duration = Duration::from_secs(10);

/// Stamps taken between two real clock reads.
const CLOCK_READS_PER_REFRESH: u32 = 64;

/// The decay time in nanoseconds, for every thread of the process.
static DECAY_NANOS: AtomicU64 = AtomicU64::new(DEFAULT_DECAY.as_nanos() as u64);

thread_local! {
    /// The coarse clock: the last real reading and stamps taken since.
    static CLOCK: Cell<(Option<Instant>, u32)> = const { Cell::new((None, 0)) };
}

/// Sets how long a free stack slot beyond the warm cache keeps its memory
/// before it is returned to the kernel (`MADV_DONTNEED`), for every thread
/// of the process. `Duration::ZERO` returns it at once (the lowest RSS,
/// and a page fault per page for every burst of new tasks).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::stack::set_decay(Duration::from_secs(2));
/// assert_eq!(corio::stack::decay(), Duration::from_secs(2));
/// corio::stack::set_decay(corio::stack::DEFAULT_DECAY);
/// ```
pub fn set_decay(decay: Duration) {
    let nanos = u64::try_from(decay.as_nanos()).unwrap_or(u64::MAX);
    DECAY_NANOS.store(nanos, Ordering::Relaxed);
}

/// The current decay time (see [`set_decay`]).
pub fn decay() -> Duration {
    Duration::from_nanos(DECAY_NANOS.load(Ordering::Relaxed))
}

/// The time to stamp a freed slot with: at most
/// [`CLOCK_READS_PER_REFRESH`] stamps old, or the last loop's wait.
#[inline]
pub(crate) fn stamp() -> Instant {
    let (last, reads) = CLOCK.get();
    match last {
        Some(at) if reads < CLOCK_READS_PER_REFRESH => {
            CLOCK.set((Some(at), reads + 1));
            at
        }
        _ => now(),
    }
}

/// Reads the clock for real and makes it the coarse clock's value.
pub(crate) fn now() -> Instant {
    let now = Instant::now();
    CLOCK.set((Some(now), 0));
    now
}
