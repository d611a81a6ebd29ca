//! The half of a runtime that other threads reach: its [`Inbox`] of
//! messages and the `mio::Waker` that interrupts its poll.
//!
//! Tasks are `!Send`, so nothing here holds one: a message names a task
//! by its table slot and id (a stale pair finds nothing), and a spawn
//! carries a `Send` closure that the loop turns into a task. The loop
//! reads its inbox once per turn (see `driver::deliver_mail`).
//!
//! [`TaskWaker`] is a task's `std::task::Waker` target: it wakes the task
//! directly on its own runtime's thread and through the inbox from
//! anywhere else.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{RawWaker, RawWakerVTable, Wake, Waker};

use super::inbox::{Inbox, Posted};

/// Something another thread asks of a runtime.
pub(crate) enum Message {
    /// Start a task (`Handle::spawn`).
    Spawn(Box<dyn RemoteStart>),
    /// Make a parked task ready (a cross-thread `Waker`).
    Wake { slot: usize, id: u64 },
    /// Cancel a task (`RemoteJoinHandle::abort`).
    Abort { slot: usize, id: u64 },
    /// Cancel every task, main included (`Handle::shutdown`).
    Shutdown,
    /// A watched signal came: see `corio::dump_on_sigquit`.
    Dump,
}

/// A spawn requested from another thread; dropping it unstarted must
/// resolve whoever waits for it (as cancelled).
pub(crate) trait RemoteStart: Send {
    /// Spawns the task, on the loop's thread.
    fn start(self: Box<Self>);
}

/// Wakes a task on its own runtime's thread, without the inbox: true if
/// the caller runs on the loop of runtime `runtime` (whether or not the
/// task was still there to wake).
pub(crate) type WakeHere = fn(runtime: u64, slot: usize, id: u64) -> bool;

/// What every `Handle` and cross-thread waker of one runtime shares.
pub(crate) struct Remote {
    /// The runtime's id (`Runtime::id`).
    pub(crate) id: u64,
    inbox: Inbox<Message>,
    waker: mio::Waker,
    wake_here: WakeHere,
}

impl Remote {
    pub(crate) fn new(id: u64, waker: mio::Waker, wake_here: WakeHere) -> Self {
        Remote {
            id,
            inbox: Inbox::new(),
            waker,
            wake_here,
        }
    }

    /// Hands `message` to the runtime from any thread, waking its loop if
    /// it may be asleep; `Err(message)` back once the runtime has ended.
    pub(crate) fn post(&self, message: Message) -> Result<(), Message> {
        match self.inbox.post(message)? {
            Posted::AlreadySignalled => {}
            Posted::WakeTheLoop => {
                if let Err(e) = self.waker.wake() {
                    // An eventfd write fails only if the process is out of
                    // resources in a way nothing here can recover from.
                    panic!("corio: cannot wake the event loop of another thread: {e}");
                }
            }
        }
        Ok(())
    }

    /// The messages posted since the loop last looked (its own thread).
    pub(crate) fn take_mail(&self) -> Vec<Message> {
        self.inbox.take()
    }

    /// Refuses every later message and returns those not yet delivered.
    pub(crate) fn close(&self) -> Vec<Message> {
        self.inbox.close()
    }

    /// True once the runtime has ended.
    pub(crate) fn is_closed(&self) -> bool {
        self.inbox.is_closed()
    }
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("id", &self.id)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The target of a task's `std::task::Waker` (made once per task, on its
/// first `block_on`, and kept in its header).
///
/// Wakes are *counted*, never consumed: each `block_on` notes the count
/// before it polls and parks until the count moves. So two waits of one
/// task in progress at once (a `block_on` inside a `poll`, or in
/// generators suspended mid-`poll`) each see every wake, and none can
/// swallow the other's; the cost is a spurious poll now and then.
pub(crate) struct TaskWaker {
    remote: Arc<Remote>,
    slot: usize,
    id: u64,
    wakes: AtomicU64,
    /// A `Message::Wake` for this task is in the inbox: later wakes from
    /// other threads need not post another. Cleared by the loop as it
    /// delivers the message, before it wakes the task.
    posted: AtomicBool,
}

impl TaskWaker {
    pub(crate) fn new(remote: Arc<Remote>, slot: usize, id: u64) -> Self {
        TaskWaker {
            remote,
            slot,
            id,
            wakes: AtomicU64::new(0),
            posted: AtomicBool::new(false),
        }
    }

    /// How many wakes so far.
    pub(crate) fn wakes(&self) -> u64 {
        self.wakes.load(Ordering::Acquire)
    }

    /// Called by the loop as it delivers this task's `Message::Wake`.
    pub(crate) fn delivered(&self) {
        // A read-modify-write, so that it reads the `posted` of every wake
        // that skipped posting, and their counts are visible to the task.
        self.posted.swap(false, Ordering::AcqRel);
    }
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::AcqRel);
        if (self.remote.wake_here)(self.remote.id, self.slot, self.id) {
            return;
        }
        if !self.posted.swap(true, Ordering::AcqRel) {
            // Refused once the runtime has ended: nothing is left to wake.
            let _ = self.remote.post(Message::Wake {
                slot: self.slot,
                id: self.id,
            });
        }
    }
}

/// A `Waker` of a [`TaskWaker`] that borrows its `Arc` instead of owning
/// a count of it: making one costs no atomic operation, which matters for
/// `block_on` of a future that is ready at once. Its clones are ordinary
/// owned wakers.
pub(crate) struct BorrowedWaker<'a> {
    waker: ManuallyDrop<Waker>,
    _target: PhantomData<&'a Arc<TaskWaker>>,
}

impl<'a> BorrowedWaker<'a> {
    pub(crate) fn new(target: &'a Arc<TaskWaker>) -> Self {
        let raw = RawWaker::new(Arc::as_ptr(target).cast(), &VTABLE);
        BorrowedWaker {
            // SAFETY: `VTABLE`'s functions treat the data pointer as an
            // `Arc<TaskWaker>` pointer (`Arc::as_ptr`), as it is here. This
            // waker is never dropped (`ManuallyDrop`), so it gives back no
            // count it did not take, and it cannot outlive `target`
            // (`'a`), whose count keeps the pointee alive meanwhile.
            waker: ManuallyDrop::new(unsafe { Waker::from_raw(raw) }),
            _target: PhantomData,
        }
    }
}

impl Deref for BorrowedWaker<'_> {
    type Target = Waker;

    fn deref(&self) -> &Waker {
        &self.waker
    }
}

/// The functions of a `TaskWaker` waker. Every data pointer they get is
/// `Arc::as_ptr` of a live `Arc<TaskWaker>`: from [`BorrowedWaker::new`]
/// (alive for the borrow) or from `clone_waker` (which took a count, that
/// `wake` or `drop_waker` gives back).
static VTABLE: RawWakerVTable = RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: `data` points at a live `Arc<TaskWaker>` allocation (see
    // `VTABLE`); the new waker owns the count taken here.
    unsafe { Arc::increment_strong_count(data.cast::<TaskWaker>()) };
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: `wake` consumes a waker made by `clone_waker` (the borrowed
    // one is never passed by value: it is never dropped or woken by value,
    // as `ManuallyDrop` only hands out `&Waker`), so it owns one count.
    let target = unsafe { Arc::from_raw(data.cast::<TaskWaker>()) };
    target.wake_by_ref();
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker being woken holds the pointee alive (a borrowed
    // one through its `'a`, an owned one through its count); the
    // `ManuallyDrop` keeps this temporary `Arc` from giving a count back.
    let target = ManuallyDrop::new(unsafe { Arc::from_raw(data.cast::<TaskWaker>()) });
    target.wake_by_ref();
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: only owned wakers (from `clone_waker`) are dropped; each
    // gives back the count it took.
    drop(unsafe { Arc::from_raw(data.cast::<TaskWaker>()) });
}
