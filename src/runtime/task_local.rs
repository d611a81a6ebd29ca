//! `task_local!`: storage per task, where a `thread_local!` would be
//! shared by every task of the thread.
//!
//! A [`LocalKey`] finds its value in the current task's storage
//! (`super::locals`), reached through the thread's runtime and its current
//! task, and falls back to a `std::thread_local!` of its own wherever no
//! task runs: outside [`crate::run`], and on the event loop's own stack.
//! The `Cell` and `RefCell` conveniences are in `task_local/cells.rs`.

use std::fmt;
use std::rc::Rc;

use super::current;
use super::locals::{KeyId, Slot, TaskLocals, Value};

mod cells;

/// Declares task-local keys, as `std::thread_local!` declares thread-local
/// ones: each `static NAME: T = init;` item becomes a
/// [`LocalKey<T>`](LocalKey), whose value is made by `init` the first time
/// a task reaches it, once per task, and dropped when that task ends.
///
/// Items take attributes and a visibility; several may follow each other,
/// and the last `;` is optional. Outside any task a key holds one value
/// per thread, like a thread-local (see [`LocalKey`] for the whole story).
///
/// # Examples
///
/// ```
/// use std::cell::{Cell, RefCell};
///
/// corio::task_local! {
///     /// The id of the request the current task serves.
///     static REQUEST_ID: Cell<u64> = Cell::new(0);
///     pub static SPAN: RefCell<Vec<String>> = RefCell::new(Vec::new())
/// }
///
/// corio::run(|| {
///     REQUEST_ID.set(7);
///     SPAN.with_borrow_mut(|span| span.push("handler".to_string()));
///     let other = corio::spawn(|| (REQUEST_ID.get(), SPAN.with_borrow(Vec::len)));
///     assert_eq!(other.join().unwrap(), (0, 0)); // a task of its own, values of its own
///     assert_eq!(REQUEST_ID.get(), 7);
/// });
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr; $($rest:tt)*) => {
        $crate::__task_local_item!($(#[$attr])* $vis $name, $t, $init);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr) => {
        $crate::__task_local_item!($(#[$attr])* $vis $name, $t, $init);
    };
}

/// One item of [`task_local!`]: the key, its initialiser and the
/// thread-local it falls back to outside tasks.
#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_item {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty, $init:expr) => {
        $(#[$attr])*
        $vis static $name: $crate::LocalKey<$t> = {
            fn __corio_init() -> $t {
                $init
            }
            ::std::thread_local! {
                static __CORIO_OUTSIDE_TASKS: $t = __corio_init();
            }
            $crate::LocalKey::__new(
                ::std::stringify!($name),
                __corio_init,
                &__CORIO_OUTSIDE_TASKS,
            )
        };
    };
}

/// A key to a value each task has its own of, declared with
/// [`task_local!`].
///
/// Thread-locals are a trap in a runtime of many tasks per thread: a
/// request id or a tracing span kept in a `thread_local!` is shared by
/// every task of the thread, so a task that parks finds it overwritten by
/// whichever task ran meanwhile. A task-local is not:
///
/// ```
/// use std::cell::Cell;
/// use std::time::Duration;
///
/// thread_local! {
///     static SHARED_ID: Cell<u64> = const { Cell::new(0) };
/// }
/// corio::task_local! {
///     static REQUEST_ID: Cell<u64> = Cell::new(0);
/// }
///
/// fn handle(id: u64) -> (u64, u64) {
///     SHARED_ID.set(id);
///     REQUEST_ID.set(id);
///     corio::sleep(Duration::from_millis(5)); // the other task runs meanwhile
///     (SHARED_ID.get(), REQUEST_ID.get())
/// }
///
/// corio::run(|| {
///     let first = corio::spawn(|| handle(1));
///     let second = corio::spawn(|| handle(2));
///     // The thread-local holds whatever was set last; each task kept its own id.
///     assert_eq!(first.join().unwrap(), (2, 1));
///     assert_eq!(second.join().unwrap(), (2, 2));
/// });
/// ```
///
/// # Where a key finds its value
///
/// - In a task (the closure given to [`crate::run`] is one too): the
///   task's own value, made by the key's initialiser the first time the
///   task reaches the key. Other tasks' values, and the thread's, are
///   never touched. A new task starts with none: nothing is inherited
///   from the task that spawned it (Python's `contextvars` copy the
///   context into a new asyncio task; here, pass what the child needs and
///   set it there).
/// - In a [`crate::Generator`] resumed by a task: that task's value. A
///   generator runs on the task's chain of stacks, so it sees the values
///   of whichever task resumes it, not of the one that made it.
/// - Anywhere else (a plain thread, code before or after `run`, the event
///   loop's own stack: destructors of a task cancelled before it ever
///   ran, say): one value per thread, exactly like a `std::thread_local!`
///   (made on first use there, dropped when the thread exits).
///
/// # When values are dropped
///
/// A task's values are dropped when it ends: on the task's own stack,
/// after its body returned, panicked or was cancelled and unwound, and
/// before its result is stored and its joiners are woken. So a destructor
/// may still park, spawn or join, and whoever joins the task sees all
/// that the destructors did. They are dropped newest first (a value
/// made from another one in its initialiser goes before it), and they
/// behave like destructors of locals of the body: in a cancelled task,
/// blocking calls in them take the outcomes the
/// [crate docs](crate#blocking-calls-while-a-task-is-cancelled) list for
/// a stack being cancelled.
///
/// While a task's values are being dropped, the keys whose values were
/// dropped already (or are being dropped) give [`AccessError`] from
/// [`try_with`](Self::try_with), and so do keys the task never used: no
/// new value is made then. (std gives the same error for a thread-local
/// already destroyed as its thread exits, but may make a fresh value for a
/// key first used then; a value made after its task's end would have no
/// place left to be dropped on.) Values not dropped yet can still be used.
///
/// If a destructor panics, the task's other values are still dropped and
/// the task ends as panicked (its output, if it had returned one, is
/// dropped); if the task was unwinding already, the process aborts, as a
/// panic escaping any destructor during unwinding does.
///
/// A task cancelled before it ever ran never made a value. A task that
/// can never finish unwinding when `run` ends is abandoned, its stack
/// leaked (see the crate docs): its values are leaked with it, and their
/// destructors never run.
///
/// One corner: a generator that yields from inside the closure given to
/// [`with`](Self::with) keeps the value borrowed while it is suspended.
/// The value then stays alive until that `with` returns, even if its task
/// ends first, and is dropped there.
pub struct LocalKey<T: 'static> {
    /// The key's name in `task_local!`, for messages.
    name: &'static str,
    init: fn() -> T,
    /// The value wherever no task runs.
    outside_tasks: &'static std::thread::LocalKey<T>,
}

/// What [`LocalKey::try_with`] gives when the value is being dropped or
/// already was (at the end of its task, or of its thread outside tasks).
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
///
/// struct Report;
///
/// impl Drop for Report {
///     fn drop(&mut self) {
///         // COUNT was made after REPORT, so it was dropped first.
///         assert!(COUNT.try_with(Cell::get).is_err());
///         // And REPORT's own value is the one being dropped.
///         let error = REPORT.try_with(|_| ()).unwrap_err();
///         assert_eq!(
///             error.to_string(),
///             "cannot access a task-local value during or after its destruction"
///         );
///     }
/// }
///
/// corio::task_local! {
///     static REPORT: Report = Report;
///     static COUNT: Cell<u32> = Cell::new(0);
/// }
///
/// corio::run(|| {
///     REPORT.with(|_| ());
///     COUNT.set(1);
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessError;

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot access a task-local value during or after its destruction")
    }
}

impl std::error::Error for AccessError {}

impl<T: 'static> LocalKey<T> {
    /// The key [`task_local!`] makes; not for direct use.
    #[doc(hidden)]
    pub const fn __new(
        name: &'static str,
        init: fn() -> T,
        outside_tasks: &'static std::thread::LocalKey<T>,
    ) -> Self {
        LocalKey {
            name,
            init,
            outside_tasks,
        }
    }

    /// Calls `f` with this key's value in the current task (or thread,
    /// outside tasks), made by the key's initialiser first if there is
    /// none yet.
    ///
    /// `f` may park: the value is the task's for as long as it runs.
    ///
    /// # Panics
    ///
    /// If the value is being dropped or already was (see
    /// [`try_with`](Self::try_with)), and if the initialiser panics.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    ///
    /// corio::task_local! {
    ///     static LOG: RefCell<Vec<&'static str>> = RefCell::new(Vec::new());
    /// }
    ///
    /// corio::run(|| {
    ///     LOG.with(|log| log.borrow_mut().push("started"));
    ///     corio::yield_now();
    ///     LOG.with(|log| assert_eq!(*log.borrow(), ["started"]));
    /// });
    /// ```
    #[track_caller]
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        match self.try_with(f) {
            Ok(result) => result,
            Err(AccessError) => self.destroyed(),
        }
    }

    /// Like [`with`](Self::with), but an error instead of a panic when the
    /// value is being dropped or already was.
    ///
    /// # Errors
    ///
    /// [`AccessError`] in a destructor run while the task's values are
    /// being dropped, for this key's value if it is the one being dropped
    /// or was dropped already, and for a key the task never used (no new
    /// value is made then). Outside tasks, when std's `try_with` fails on
    /// the thread's value (during the thread's exit).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    ///
    /// corio::task_local! {
    ///     static DEPTH: Cell<u32> = Cell::new(1);
    /// }
    ///
    /// corio::run(|| assert_eq!(DEPTH.try_with(Cell::get), Ok(1)));
    /// ```
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        match self.task_value(self.init) {
            None => self.outside_tasks.try_with(f).map_err(|_| AccessError),
            Some(Ok(value)) => Ok(f(Self::downcast(&value))),
            Some(Err(error)) => Err(error),
        }
    }

    /// This key's value in the current task, made by `init` if it has
    /// none yet; `None` where no task runs.
    #[inline]
    fn task_value(&'static self, init: impl FnOnce() -> T) -> Option<Result<Value, AccessError>> {
        match with_task_locals(|locals| locals.get(self.id()))? {
            Slot::Live(value) => Some(Ok(value)),
            Slot::Gone => Some(Err(AccessError)),
            Slot::Vacant => Some(self.make_value(init)),
        }
    }

    /// The first access of this key in the current task: runs `init` and
    /// keeps its value.
    #[cold]
    #[inline(never)]
    fn make_value(&'static self, init: impl FnOnce() -> T) -> Result<Value, AccessError> {
        let fresh: Value = Rc::new(init());
        // The initialiser is user code: it may have reached this key itself
        // (the value it made stays), or parked. A generator may even have
        // yielded from it and be resumed by another task, or by no task:
        // then the value serves this one call and is dropped after it.
        match with_task_locals(|locals| locals.get_or_insert(self.id(), &fresh)) {
            None => Ok(fresh),
            Some(Some(value)) => Ok(value),
            Some(None) => Err(AccessError), // `fresh` is dropped here
        }
    }

    fn id(&'static self) -> KeyId {
        self as *const Self as KeyId
    }

    /// The `T` in a value of this key.
    fn downcast(value: &Value) -> &T {
        (**value)
            .downcast_ref::<T>()
            .expect("corio: a task_local value of another type under this key")
    }

    #[cold]
    #[inline(never)]
    #[track_caller]
    fn destroyed(&'static self) -> ! {
        panic!(
            "corio: cannot access the task_local `{}`: its value is being dropped or \
             already was (its task is ending, or its thread outside tasks)",
            self.name
        )
    }
}

/// Runs `f` on the current task's storage; `None` where no task runs.
#[inline]
fn with_task_locals<R>(f: impl FnOnce(&TaskLocals) -> R) -> Option<R> {
    current::try_with(|rt| rt.scheduler.current().map(|task| f(task.header.locals())))?
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
