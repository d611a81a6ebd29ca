//! Helpers for testing code that uses corio: [`run`], a runtime on a
//! virtual clock.

/// Runs `f` as the main task of a runtime on this thread whose clock is
/// virtual: `Builder::new().virtual_time(true).run_local(f)` (see
/// [`Builder::virtual_time`](crate::Builder::virtual_time) for the rule by
/// which the clock jumps). Sleeps and timeouts then take no real time
/// while every task is parked on time alone, so a test of code with
/// seconds-long timeouts runs in microseconds, and [`crate::time::now`]
/// reads exactly the time the code slept.
///
/// # Panics
///
/// As [`crate::run`]: if `f` panics (with its payload), inside another
/// runtime, and on a deadlock (every task parked with no timer pending
/// and nothing outside the runtime to wait for).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// // Code with a 30 s timeout, tested without waiting 30 s.
/// fn fetch_or_give_up() -> Result<&'static str, corio::Elapsed> {
///     corio::timeout(Duration::from_secs(30), || {
///         corio::sleep(Duration::from_secs(60)); // a server that never answers
///         "answer"
///     })
/// }
///
/// let (result, took) = corio::test::run(|| {
///     let start = corio::time::now();
///     let result = fetch_or_give_up();
///     (result, corio::time::now() - start)
/// });
/// assert!(result.is_err());
/// assert_eq!(took, Duration::from_secs(30));
/// ```
#[track_caller]
pub fn run<T, F: FnOnce() -> T>(f: F) -> T {
    crate::Builder::new().virtual_time(true).run_local(f)
}
