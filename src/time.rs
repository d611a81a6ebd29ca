//! The clock corio's timers read: [`now`].
//!
//! Every deadline of a runtime ([`sleep`](crate::sleep),
//! [`sleep_until`](crate::sleep_until), [`timeout`](crate::timeout), the
//! read, write and connect timeouts of [`crate::net`]) is an instant of
//! its clock. That is the real clock, unless the runtime was built with
//! [`Builder::virtual_time`](crate::Builder::virtual_time) (as
//! [`crate::test::run`] does): then it is a virtual one, which stands still
//! while tasks run and jumps to the next timer whenever every task is
//! parked on time alone.
//!
//! `std::time::Instant::now()` and `SystemTime::now()` are not virtual:
//! code that should see virtual time under test reads [`now`] instead
//! (which is `Instant::now()` without virtual time, so nothing changes
//! for it in production).

use std::time::Instant;

/// The current time by the clock of this thread's runtime: under
/// [`Builder::virtual_time`](crate::Builder::virtual_time), the instant the
/// runtime started plus the virtual time elapsed since; otherwise (and
/// outside any runtime) `Instant::now()`.
///
/// Deadlines for [`sleep_until`](crate::sleep_until) are instants of this
/// clock. Under virtual time, `Instant::now()` itself is not virtualised:
/// it goes on reading the real clock, so durations measured with it show
/// the real time a test took, not the virtual time its code slept.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// corio::test::run(|| {
///     let start = corio::time::now();
///     let real_start = Instant::now();
///     corio::sleep(Duration::from_secs(3600));
///     assert_eq!(corio::time::now() - start, Duration::from_secs(3600));
///     // The real clock did not wait that hour.
///     assert!(real_start.elapsed() < Duration::from_secs(3600));
/// });
///
/// // Without virtual time it is the real clock.
/// let before = Instant::now();
/// let now = corio::run(corio::time::now);
/// assert!(before <= now && now <= Instant::now());
/// ```
pub fn now() -> Instant {
    crate::runtime::clock::now()
}
