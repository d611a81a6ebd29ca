//! Making tasks: [`spawn`], [`spawn_with_stack_size`], [`TaskBuilder`],
//! and the one internal function that every way of starting a task goes
//! through (`run`'s main task, `Scope::spawn` and the combinators built on
//! it, `Handle::spawn`), which is where the default stack size is picked.

use std::fmt;
use std::panic::Location;

use super::current::{self, Runtime};
use super::join::JoinHandle;
use super::scheduler::Spawned;
use super::scope::{Scope, ScopedJoinHandle};
use super::task::{About, Task, TypedTaskRef};

/// How to make a task: what [`TaskBuilder`] collects, and what the plain
/// spawning functions fill in with defaults.
pub(crate) struct SpawnOptions {
    /// Boxed as `About::name` keeps it.
    #[allow(clippy::box_collection)]
    pub(crate) name: Option<Box<String>>,
    /// `None`: the default size.
    pub(crate) stack_size: Option<usize>,
    pub(crate) spawned_at: &'static Location<'static>,
}

impl SpawnOptions {
    /// Defaults, spawned at `at`.
    pub(crate) fn at(at: &'static Location<'static>) -> Self {
        SpawnOptions {
            name: None,
            stack_size: None,
            spawned_at: at,
        }
    }

    /// The size of the task's stack: the one place the default is chosen
    /// (the `Builder::stack_size` of `rt`, the runtime the task is made
    /// for, which every caller already holds).
    fn stack_size(&self, rt: &Runtime) -> usize {
        self.stack_size.unwrap_or(rt.config.stack_size)
    }
}

/// Makes a task of `rt` (not yet registered or queued) that runs `body`,
/// spawned by `parent` (a task id, 0 for none).
///
/// # Safety
///
/// As `Task::allocate`: what `body` and `T` borrow outlives the task's end
/// and the dropping of its output.
///
/// # Panics
///
/// If no stack of the size asked for can be mapped.
pub(crate) unsafe fn make_task<T, F>(
    rt: &Runtime,
    options: SpawnOptions,
    parent: u64,
    body: F,
) -> TypedTaskRef<T>
where
    F: FnOnce() -> T,
{
    let stack_size = options.stack_size(rt);
    let about = About {
        name: options.name,
        spawned_at: options.spawned_at,
        parent,
        stack_high: 0,
        stack_len: 0,
    };
    // SAFETY: forwarded from our caller.
    unsafe { Task::allocate(rt.scheduler.next_task_id(), stack_size, about, body) }
}

/// A detached task (`spawn`, `TaskBuilder::spawn`, `Handle::spawn`).
///
/// # Panics
///
/// Outside [`crate::run`]; if no stack can be mapped.
pub(crate) fn spawn_detached<T: 'static, F: FnOnce() -> T + 'static>(
    options: SpawnOptions,
    f: F,
) -> JoinHandle<T> {
    current::with("corio::spawn", |rt| {
        let parent = rt.scheduler.current().map_or(0, |t| t.header.id);
        // SAFETY: `f` and `T` are 'static; the task borrows nothing.
        let task = unsafe { make_task(rt, options, parent, f) };
        rt.scheduler.schedule_new(task.erased(), Spawned::Detached);
        JoinHandle::new(task)
    })
}

/// Starts `f` as a new task (`asyncio.create_task`); it first runs when
/// the current task parks or yields. Dropping the handle detaches it. Its
/// stack has the runtime's default size ([`crate::Builder::stack_size`],
/// or [`crate::stack::DEFAULT_STACK_SIZE`]).
/// The caller's location is recorded as the task's spawn site (shown by
/// [`crate::dump`] and in the task's panics).
///
/// # Panics
///
/// Outside [`run`](crate::run), with a message saying to call it inside
/// `corio::run`.
///
/// # Examples
///
/// ```
/// corio::run(|| {
///     let h = corio::spawn(|| "from a task");
///     assert_eq!(h.join().unwrap(), "from a task");
/// });
/// ```
#[track_caller]
pub fn spawn<T: 'static, F: FnOnce() -> T + 'static>(f: F) -> JoinHandle<T> {
    spawn_detached(SpawnOptions::at(Location::caller()), f)
}

/// Like [`spawn`], on a stack of at least `bytes` usable bytes (rounded up
/// to whole pages), for tasks that recurse deeply or keep large arrays on
/// the stack. Stacks of one size share a pool. ([`TaskBuilder`] does the
/// same, and names the task too.)
///
/// # Panics
///
/// Outside [`run`](crate::run); if `bytes` exceeds
/// [`crate::stack::MAX_STACK_SIZE`] or no stack can be mapped.
///
/// # Examples
///
/// ```
/// fn depth(n: u64) -> u64 { if n == 0 { 0 } else { 1 + depth(n - 1) } }
///
/// let d = corio::run(|| corio::spawn_with_stack_size(8 << 20, || depth(50_000)).join().unwrap());
/// assert_eq!(d, 50_000);
/// ```
#[track_caller]
pub fn spawn_with_stack_size<T: 'static, F: FnOnce() -> T + 'static>(
    bytes: usize,
    f: F,
) -> JoinHandle<T> {
    let mut options = SpawnOptions::at(Location::caller());
    options.stack_size = Some(bytes);
    spawn_detached(options, f)
}

/// Spawns a task with a name and a stack size of its choosing, like
/// `std::thread::Builder`. The name shows in the task's `Debug`, in
/// [`crate::dump`] and in a panic of the task; [`spawn_scoped`] gives a
/// scope's child (and so a `gather`ed closure's task) the same options.
///
/// [`spawn_scoped`]: TaskBuilder::spawn_scoped
///
/// # Examples
///
/// ```
/// let (name, n) = corio::run(|| {
///     let h = corio::TaskBuilder::new()
///         .name("counter")
///         .stack_size(64 * 1024)
///         .spawn(|| 42);
///     let name = format!("{h:?}");
///     (name, h.join().unwrap())
/// });
/// assert!(name.contains("counter"));
/// assert_eq!(n, 42);
/// ```
#[derive(Clone, Default)]
pub struct TaskBuilder {
    name: Option<String>,
    stack_size: Option<usize>,
}

impl TaskBuilder {
    /// A builder with no name and the default stack size.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| assert_eq!(corio::TaskBuilder::new().spawn(|| 1).join().unwrap(), 1));
    /// ```
    pub fn new() -> Self {
        TaskBuilder::default()
    }

    /// Names the task (`conn 127.0.0.1:5512`, `ticker`): a label for
    /// people, not required to be unique.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let h = corio::TaskBuilder::new().name("worker 1").spawn(|| ());
    ///     assert!(format!("{h:?}").contains("worker 1"));
    /// });
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Gives the task a stack of at least `bytes` usable bytes, as
    /// [`spawn_with_stack_size`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// fn depth(n: u64) -> u64 { if n == 0 { 0 } else { 1 + depth(n - 1) } }
    /// let d = corio::run(|| {
    ///     corio::TaskBuilder::new().stack_size(8 << 20).spawn(|| depth(50_000)).join().unwrap()
    /// });
    /// assert_eq!(d, 50_000);
    /// ```
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    #[track_caller]
    fn options(self) -> SpawnOptions {
        SpawnOptions {
            name: self.name.map(Box::new),
            stack_size: self.stack_size,
            spawned_at: Location::caller(),
        }
    }

    /// Starts `f` as a detached task with these options; see [`spawn`].
    ///
    /// # Panics
    ///
    /// As [`spawn_with_stack_size`].
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let h = corio::TaskBuilder::new().name("answer").spawn(|| 6 * 7);
    ///     assert_eq!(h.join().unwrap(), 42);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<T: 'static, F: FnOnce() -> T + 'static>(self, f: F) -> JoinHandle<T> {
        spawn_detached(self.options(), f)
    }

    /// Starts `f` as a child of `scope` with these options; see
    /// [`Scope::spawn`] (it may borrow what outlives the scope).
    ///
    /// # Panics
    ///
    /// As [`spawn_with_stack_size`].
    ///
    /// # Examples
    ///
    /// ```
    /// fn depth(n: u64) -> u64 { if n == 0 { 0 } else { 1 + depth(n - 1) } }
    /// let levels = 50_000;
    /// let d = corio::run(|| {
    ///     corio::scope(|s| {
    ///         corio::TaskBuilder::new()
    ///             .name("deep")
    ///             .stack_size(8 << 20)
    ///             .spawn_scoped(s, || depth(levels)) // borrows `levels`
    ///             .join()
    ///             .unwrap()
    ///     })
    /// });
    /// assert_eq!(d, 50_000);
    /// ```
    #[track_caller]
    pub fn spawn_scoped<'scope, 'env, F, T>(
        self,
        scope: &'scope Scope<'scope, 'env>,
        f: F,
    ) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + 'scope,
        T: 'scope,
    {
        scope.spawn_with(self.options(), f)
    }
}

impl fmt::Debug for TaskBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskBuilder")
            .field("name", &self.name)
            .field("stack_size", &self.stack_size)
            .finish()
    }
}
