//! The runtimes of one `Builder::run`, as each sees the others: which
//! thread it is ([`Seat`]), the roll call that holds every `main` back
//! until all runtimes exist ([`Group`]), and the first panic, which shuts
//! the others down. The public face: [`thread_index`], [`thread_count`],
//! [`handles`].
//!
//! Nothing here is touched once the loops run, except by a panic: the
//! loops share no state of corio's, only what the program shares.

use std::any::Any;
use std::cell::OnceCell;
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
    /// The first panic of any thread, re-raised by `run` at the end.
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
            if state.abandoned || state.first_panic.is_some() {
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

    /// Thread `index` ended with a panic: keeps the payload if it is the
    /// first, and shuts every other runtime down. A panic before the roll
    /// call completed abandons the start instead (no `main` runs yet, so
    /// there is nothing to shut down: every `main` starts only after all
    /// threads checked in).
    pub(crate) fn panicked(&self, index: usize, payload: Payload) {
        let others: Vec<Handle> = {
            let mut state = self.lock();
            if state.first_panic.is_none() {
                state.first_panic = Some(payload);
            } else {
                // A consequence of the first (most often the `Cancelled`
                // of a shutdown): dropped, outside the lock.
                drop(state);
                return;
            }
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

    /// The first panic, if any thread panicked.
    pub(crate) fn take_first_panic(&self) -> Option<Payload> {
        self.lock().first_panic.take()
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
