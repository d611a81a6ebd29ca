//! How a task ended without a value: the public [`JoinError`], and the
//! [`Cancelled`] payload a cancelled task unwinds with.

use std::any::Any;
use std::fmt;

use crate::context::RaisedMarks;

/// Why a task was cancelled, for [`Cancelled`]'s message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CancelReason {
    /// `JoinHandle::abort`, a lost race, or an enclosing scope unwinding.
    Aborted,
    /// Its `run` ended with the task still pending.
    Shutdown,
    /// `Handle::shutdown` cancelled every task of its runtime.
    RuntimeShutDown,
}

/// The payload a cancelled task unwinds with from its park point, caught
/// at the task's root (and reported there as [`JoinError::Cancelled`]).
///
/// Code that catches unwinding with `std::panic::catch_unwind` can
/// recognise it with `payload.is::<corio::Cancelled>()`; it should let it
/// go on (`resume_unwind`): cancellation is sticky, and the task's next
/// park point raises it again.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(|| {
///     let h = corio::spawn(|| {
///         let caught = std::panic::catch_unwind(|| corio::sleep(Duration::from_secs(60)));
///         let payload = caught.unwrap_err();
///         let cancelled = payload.downcast_ref::<corio::Cancelled>().unwrap();
///         assert!(cancelled.to_string().contains("aborted"));
///         std::panic::resume_unwind(payload);
///     });
///     corio::yield_now(); // let it start and park
///     h.abort();
///     assert!(h.join().unwrap_err().is_cancelled());
/// });
/// ```
pub struct Cancelled {
    task: u64,
    reason: CancelReason,
    /// Keeps the stacks it unwinds marked cancel-unwinding while alive.
    _marks: RaisedMarks,
}

impl Cancelled {
    pub(crate) fn new(task: u64, reason: CancelReason, marks: RaisedMarks) -> Self {
        Cancelled {
            task,
            reason,
            _marks: marks,
        }
    }

    /// The id of the cancelled task (as [`crate::JoinHandle::id`] gives it).
    pub fn task_id(&self) -> u64 {
        self.task
    }
}

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.reason {
            CancelReason::Aborted => {
                "aborted (JoinHandle::abort, a lost race or select, or an \
                 enclosing scope that unwound)"
            }
            CancelReason::Shutdown => "its corio::run ended while it was still pending",
            CancelReason::RuntimeShutDown => "runtime shut down (Handle::shutdown)",
        };
        write!(f, "corio: task {} was cancelled: {why}", self.task)
    }
}

impl fmt::Debug for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancelled")
            .field("task", &self.task)
            .field("reason", &self.reason)
            .finish()
    }
}

impl std::error::Error for Cancelled {}

/// Why [`JoinHandle::join`](crate::JoinHandle::join) has no value.
pub enum JoinError {
    /// The task panicked; this is the payload, as `catch_unwind` returns it.
    Panicked(Box<dyn Any + Send>),
    /// The task was cancelled (aborted, lost a race, or still pending when
    /// `run` returned) and its stack unwound.
    Cancelled,
}

impl JoinError {
    pub(crate) fn from_panic(payload: Box<dyn Any + Send>) -> Self {
        if payload.is::<Cancelled>() {
            JoinError::Cancelled
        } else {
            JoinError::Panicked(payload)
        }
    }

    /// True if the task was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let h = corio::spawn(|| corio::sleep(std::time::Duration::from_secs(60)));
    ///     h.abort();
    ///     assert!(h.join().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, JoinError::Cancelled)
    }

    /// The panic message, when the task panicked with a string.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let h = corio::spawn(|| panic!("disk full"));
    ///     assert_eq!(h.join().unwrap_err().panic_message(), Some("disk full"));
    /// });
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            JoinError::Panicked(p) => p
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| p.downcast_ref::<String>().map(String::as_str)),
            JoinError::Cancelled => None,
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Panicked(_) => f
                .debug_tuple("Panicked")
                .field(&self.panic_message().unwrap_or("<non-string payload>"))
                .finish(),
            JoinError::Cancelled => f.write_str("Cancelled"),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Panicked(_) => match self.panic_message() {
                Some(message) => write!(f, "task panicked: {message}"),
                None => f.write_str("task panicked"),
            },
            JoinError::Cancelled => f.write_str("task was cancelled"),
        }
    }
}

impl std::error::Error for JoinError {}
