//! What a parked task waits for, as its suspension records it: one small
//! `Copy` value written into the task's header on the park path (no
//! clock, no allocation, no backtrace), read only by `crate::debug` (a
//! dump, the deadlock report) and turned into a trace `ParkReason` only
//! while a trace is being recorded.

use std::cell::Cell;
use std::os::fd::RawFd;
use std::ptr::NonNull;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use crate::reactor::Direction;
use crate::trace::ParkReason;

/// What a task's stack is suspended in; see `TaskHeader::waiting`.
///
/// The addresses identify an object (a channel, a semaphore, an event)
/// in a dump, so two tasks waiting on the same one show the same number;
/// they are never dereferenced. The one pointer that is, `Mutex::holder`,
/// is borrowed by the frame of the suspended `Mutex::lock` call, so it is
/// live whenever the task is suspended there (the header field's
/// invariant).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Waiting {
    /// Never suspended yet.
    Nothing,
    /// `yield_now` (or the turn a cancelled task that caught its
    /// cancellation is given): ready again at once.
    Yield,
    /// A socket, pipe or other descriptor.
    Io { fd: RawFd, direction: Direction },
    /// `sleep` (or a wait with a deadline) until `deadline` (in [`ticks`]).
    Timer { deadline: u64 },
    /// Another task's end (`JoinHandle::join`, a scope waiting for a child).
    Join { task: u64 },
    /// Room to send on a local channel.
    ChannelSend { channel: usize },
    /// A value to receive from a local channel.
    ChannelRecv { channel: usize },
    /// A permit of a `Semaphore`.
    Semaphore { semaphore: usize },
    /// A `Mutex`, whose holder's task id (0: none known) is in `holder`.
    Mutex { holder: NonNull<Cell<u64>> },
    /// An `Event` to be set.
    Event { event: usize },
    /// A `Future` or another thread (`block_on`, a `RemoteJoinHandle`, a
    /// shared channel, `unblock`, a signal, a child process).
    Future,
    /// The first of a `race`/`select` to finish.
    Race,
    /// A free file descriptor after `accept` ran out of them.
    FreeFd,
}

impl Waiting {
    /// The trace's view of the same wait.
    pub(crate) fn park_reason(self) -> ParkReason {
        match self {
            Waiting::Io { fd, direction } => ParkReason::Io { fd, direction },
            Waiting::Timer { deadline } => ParkReason::Timer {
                until: crate::trace::since_start(instant(deadline)),
            },
            Waiting::Join { task } => ParkReason::Join { task },
            Waiting::Yield => ParkReason::Yield,
            Waiting::ChannelSend { .. }
            | Waiting::ChannelRecv { .. }
            | Waiting::Semaphore { .. }
            | Waiting::Mutex { .. }
            | Waiting::Event { .. } => ParkReason::Sync,
            Waiting::Future => ParkReason::Future,
            Waiting::Nothing | Waiting::Race | Waiting::FreeFd => ParkReason::Other,
        }
    }
}

/// The address of `object`, to tell objects apart in a dump.
pub(crate) fn id_of<T: ?Sized>(object: &T) -> usize {
    (object as *const T).cast::<u8>() as usize
}

/// The instant [`ticks`] count from: the first time anyone asked.
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

/// `at` as nanoseconds since [`EPOCH`], at least 1 (0 means "never" where
/// a tick count is optional): 8 bytes where an `Instant` takes 16, so a
/// parked task's header stays small.
pub(crate) fn ticks(at: Instant) -> u64 {
    let nanos = at.saturating_duration_since(*EPOCH).as_nanos();
    u64::try_from(nanos).unwrap_or(u64::MAX).max(1)
}

/// The instant of a tick count from [`ticks`].
pub(crate) fn instant(ticks: u64) -> Instant {
    *EPOCH + Duration::from_nanos(ticks)
}
