//! The runtimes of one `Builder::run`, as each sees the others: which
//! thread it is ([`Seat`]), the roll call that holds every `main` back
//! until all runtimes exist ([`Group`]), and the first panic, which shuts
//! the others down. The public face: [`thread_index`], [`thread_count`],
//! [`handles`].
//!
//! Nothing here is touched once the loops run, except by a panic: the
//! loops share no state of corio's, only what the program shares. A
//! panic is told to the group the moment it is caught, before its
//! runtime's teardown (see [`Seat::notice_panic`]): that teardown may wait
//! for another loop (a destructor receiving from a shared channel that
//! loop answers), which must be shut down first, not after.

use std::any::Any;
use std::cell::OnceCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::current;
use crate::thread::Handle;

/// A panic payload on its way between threads.
type Payload = Box<dyn Any + Send>;

/// Which thread of its `Builder::run` a runtime is; kept in the runtime.
#[derive(Debug)]
pub(crate) struct Seat {
    /// `0..count`, in the order `run` returns the results.
    pub(crate) index: usize,
    /// How many runtimes that `run` started (1 for `run_local`).
    pub(crate) count: usize,
    /// The roll call, for a runtime of `Builder::run`.
    group: Option<Arc<Group>>,
    /// Every runtime's handle, in thread order: set once, before `main`
    /// starts.
    handles: OnceCell<Vec<Handle>>,
}

impl Seat {
    /// The seat of `run_local` (and so of `corio::run`): thread 0 of 1.
    pub(crate) fn alone() -> Self {
        Seat {
            index: 0,
            count: 1,
            group: None,
            handles: OnceCell::new(),
        }
    }

    /// Thread `index` of `group`.
    pub(crate) fn in_group(index: usize, group: Arc<Group>) -> Self {
        Seat {
            index,
            count: group.count,
            group: Some(group),
            handles: OnceCell::new(),
        }
    }

    /// The runtime is about to end with a panic (its main task panicked,
    /// or its loop did): the group shuts the other runtimes down now,
    /// before this one's teardown, which may wait on them. The payload
    /// follows once the teardown is over ([`Group::panicked`]).
    pub(crate) fn notice_panic(&self) {
        if let Some(group) = &self.group {
            group.notice_panic(self.index);
        }
    }

    /// Called on the runtime's own thread once it is entered, before
    /// `main` is scheduled: records `me` and waits until every runtime of
    /// the group has done so. False if one of them failed to start (or
    /// one already panicked): then `main` must not run.
    pub(crate) fn take_seat(&self, me: Handle) -> bool {
        let handles = match &self.group {
            None => vec![me],
            Some(group) => match group.check_in(self.index, me) {
                Some(handles) => handles,
                None => return false,
            },
        };
        self.handles
            .set(handles)
            .expect("a seat is taken once, before main runs");
        true
    }
}

/// What the threads of one `Builder::run` share.
#[derive(Debug)]
pub(crate) struct Group {
    count: usize,
    state: Mutex<GroupState>,
    /// Signalled when a handle is added or the start is abandoned.
    roll_changed: Condvar,
}

#[derive(Debug, Default)]
struct GroupState {
    /// Slot `i` holds thread `i`'s handle once its runtime exists.
    handles: Vec<Option<Handle>>,
    /// A thread ended (or could not start) before all had checked in:
    /// the others must not start `main`.
    abandoned: bool,
    /// The thread that panicked first (noticed as soon as its panic was
    /// caught, see [`Group::notice_panic`]); the others were shut down
    /// then.
    first_panicker: Option<usize>,
    /// That thread's payload once its teardown is over, re-raised by `run`
    /// at the end.
    first_panic: Option<Payload>,
}

impl Group {
    pub(crate) fn new(count: usize) -> Self {
        Group {
            count,
            state: Mutex::new(GroupState {
                handles: (0..count).map(|_| None).collect(),
                ..GroupState::default()
            }),
            roll_changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, GroupState> {
        // Only plain fields are written under this lock, never user code.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds thread `index`'s handle and blocks until every thread has
    /// added one (all handles, in order) or the start was abandoned
    /// (`None`). Blocking is fine here: the loop has no task yet.
    fn check_in(&self, index: usize, me: Handle) -> Option<Vec<Handle>> {
        let mut state = self.lock();
        state.handles[index] = Some(me);
        self.roll_changed.notify_all();
        loop {
            if state.abandoned || state.first_panicker.is_some() {
                return None;
            }
            if state.handles.iter().all(Option::is_some) {
                return Some(state.handles.iter().flatten().cloned().collect());
            }
            state = self
                .roll_changed
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// A thread could not be spawned: the others must not wait for it.
    pub(crate) fn abandon_start(&self) {
        self.lock().abandoned = true;
        self.roll_changed.notify_all();
    }

    /// Thread `index` is ending with a panic: if it is the first, every
    /// other runtime is shut down at once. A panic before the roll call
    /// completed abandons the start instead (no `main` runs yet, so there
    /// is nothing to shut down: every `main` starts only after all threads
    /// checked in). Idempotent for one thread.
    pub(crate) fn notice_panic(&self, index: usize) {
        let others: Vec<Handle> = {
            let mut state = self.lock();
            if state.first_panicker.is_some() {
                return; // the others are being shut down already
            }
            state.first_panicker = Some(index);
            if state.handles[index].is_none() {
                state.abandoned = true;
            }
            self.roll_changed.notify_all();
            state
                .handles
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != index)
                .filter_map(|(_, h)| h.clone())
                .collect()
        };
        // Outside the lock: a shutdown posts to another loop's inbox. One
        // that has ended ignores it.
        for handle in others {
            handle.shutdown();
        }
    }

    /// Thread `index` ended with a panic: noticed (if it was not already),
    /// and its payload kept if it is the first thread's. Any other payload
    /// is a consequence of the first (most often the `Cancelled` of a
    /// shutdown) and is dropped here; a panic of that drop is swallowed,
    /// so nothing escapes the thread that would hide the first.
    pub(crate) fn panicked(&self, index: usize, payload: Payload) {
        self.notice_panic(index);
        let unwanted = {
            let mut state = self.lock();
            if state.first_panicker == Some(index) && state.first_panic.is_none() {
                state.first_panic = Some(payload);
                None
            } else {
                Some(payload)
            }
        };
        // Outside the lock; a payload whose drop panics is leaked instead.
        if let Some(payload) = unwanted
            && let Err(secondary) = panic::catch_unwind(AssertUnwindSafe(|| drop(payload)))
        {
            std::mem::forget(secondary);
        }
    }

    /// The first panic, if any thread panicked.
    pub(crate) fn take_first_panic(&self) -> Option<Payload> {
        let mut state = self.lock();
        let first = state.first_panicker?;
        // Every thread has been joined, so the first one's payload came
        // back (`run_thread` or the join hands it over) unless its drop
        // guard noticed a panic whose payload was then lost.
        Some(
            state.first_panic.take().unwrap_or_else(|| {
                Box::new(format!("corio: thread {first} of Builder::run panicked"))
            }),
        )
    }
}

/// Which of its [`Builder::run`](crate::Builder::run)'s threads this
/// runtime is, from `0` to [`thread_count`]` - 1`: the order of
/// [`handles`] and of `run`'s results. `0` under [`crate::run`] and
/// [`Builder::run_local`](crate::Builder::run_local). Tasks spawned on a
/// runtime from elsewhere ([`Handle::spawn`]) see that runtime's index.
///
/// # Panics
///
/// Outside a runtime (like [`crate::spawn`]): a plain thread has no loop
/// and so no index.
///
/// # Examples
///
/// ```
/// assert_eq!(corio::run(corio::thread_index), 0);
/// let indexes = corio::Builder::new().threads(2).run(corio::thread_index);
/// assert_eq!(indexes, [0, 1]);
/// ```
pub fn thread_index() -> usize {
    current::with("corio::thread_index", |rt| rt.seat.index)
}

/// How many runtimes this runtime's [`Builder::run`](crate::Builder::run)
/// started (its `threads`, or the core count for `threads(0)`); `1` under
/// [`crate::run`] and [`Builder::run_local`](crate::Builder::run_local).
///
/// # Panics
///
/// Outside a runtime, as [`thread_index`].
///
/// # Examples
///
/// ```
/// assert_eq!(corio::run(corio::thread_count), 1);
/// let counts = corio::Builder::new().threads(3).run(corio::thread_count);
/// assert_eq!(counts, [3, 3, 3]);
/// ```
pub fn thread_count() -> usize {
    current::with("corio::thread_count", |rt| rt.seat.count)
}

/// The [`Handle`] of every runtime of this runtime's
/// [`Builder::run`](crate::Builder::run), in thread order (entry
/// [`thread_index`] is this runtime's own); just this runtime's under
/// [`crate::run`]. All exist before any `main` starts. A handle of a
/// runtime that has ended stays usable ([`Handle::is_closed`]).
///
/// # Panics
///
/// Outside a runtime, as [`thread_index`].
///
/// # Examples
///
/// ```
/// // Loop 1 starts a task on loop 0, which hands loop 0's main a value.
/// let (tx, rx) = corio::sync::shared::channel(1);
/// let got = corio::Builder::new().threads(2).run(|| {
///     if corio::thread_index() == 0 {
///         return rx.recv(); // parks until the task from loop 1 sends
///     }
///     let tx = tx.clone();
///     let on_zero = corio::handles()[0].spawn(move || tx.send(corio::thread_index()).unwrap());
///     on_zero.join().unwrap();
///     None
/// });
/// assert_eq!(got, [Some(0), None]);
/// ```
pub fn handles() -> Vec<Handle> {
    current::with("corio::handles", |rt| {
        rt.seat
            .handles
            .get()
            .expect("every runtime takes its seat before main runs")
            .clone()
    })
}
