//! Counted references to tasks: [`TaskRef`], a thin pointer to a task of
//! any output type, and [`TypedTaskRef`], one that knows the type (what a
//! `JoinHandle` holds).
//!
//! They do what `Rc` would, with the count in the task's [`AnyTask`] and
//! the pointer one word wide: every switch moves a task through the ready
//! queue and reads its header, and an `Rc<dyn ..>` would compute where
//! the value starts from the alignment in its vtable each time.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;

use super::{AnyTask, Output, Task};

/// A counted reference to a task of any output type.
///
/// # Invariant
///
/// Points to the `AnyTask` at the start of a live `Task<T>` allocated by
/// `Task::allocate` (from `spare::allocate`), whose `refs` counts the `TaskRef`s (and
/// their raw forms, see [`TaskRef::into_raw`]) pointing to it; the task is
/// freed, through its output functions, when the last one goes. Not
/// `Send` (the count is a `Cell`): a task lives on its runtime's thread.
pub(crate) struct TaskRef(NonNull<AnyTask>);

impl TaskRef {
    /// The task's address: its identity.
    #[inline]
    pub(crate) fn as_ptr(this: &Self) -> *const AnyTask {
        this.0.as_ptr()
    }

    /// The pointer itself, valid for the whole task (its output too, not
    /// only the `AnyTask` a `&AnyTask` covers): for [`TaskRef::clone_raw`]
    /// and the output functions.
    #[inline]
    pub(crate) fn raw(this: &Self) -> NonNull<AnyTask> {
        this.0
    }

    /// True if both refer to the same task.
    #[inline]
    pub(crate) fn ptr_eq(a: &Self, b: &Self) -> bool {
        a.0 == b.0
    }

    /// How many references the task has.
    pub(crate) fn strong_count(this: &Self) -> usize {
        this.refs.get()
    }

    /// Gives up the reference as a raw pointer, its count included (the
    /// ready queue links tasks this way).
    #[inline]
    pub(crate) fn into_raw(this: Self) -> NonNull<AnyTask> {
        let ptr = this.0;
        std::mem::forget(this);
        ptr
    }

    /// Takes back a reference given up by [`TaskRef::into_raw`].
    ///
    /// # Safety
    ///
    /// `ptr` came from `into_raw`, and its count is not taken back twice.
    #[inline]
    pub(crate) unsafe fn from_raw(ptr: NonNull<AnyTask>) -> Self {
        TaskRef(ptr)
    }

    /// A new reference to the task at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` came from [`TaskRef::raw`] of a reference that is still
    /// alive, so the task is.
    #[inline]
    pub(crate) unsafe fn clone_raw(ptr: NonNull<AnyTask>) -> Self {
        // SAFETY: our caller's: the task is alive.
        increment(&unsafe { ptr.as_ref() }.refs);
        TaskRef(ptr)
    }
}

/// Counts one more reference; aborts rather than wrap (as `Rc` does).
#[inline]
fn increment(refs: &Cell<usize>) {
    let Some(more) = refs.get().checked_add(1) else {
        std::process::abort()
    };
    refs.set(more);
}

impl Deref for TaskRef {
    type Target = AnyTask;

    #[inline]
    fn deref(&self) -> &AnyTask {
        // SAFETY: the invariant: this reference keeps the task alive.
        unsafe { self.0.as_ref() }
    }
}

impl Clone for TaskRef {
    #[inline]
    fn clone(&self) -> Self {
        increment(&self.refs);
        TaskRef(self.0)
    }
}

impl Drop for TaskRef {
    #[inline]
    fn drop(&mut self) {
        let left = self.refs.get() - 1;
        self.refs.set(left);
        if left == 0 {
            // SAFETY: this was the last reference (the invariant), so
            // nothing reaches the task after this; `fns` is the table of
            // its own output type.
            unsafe { (self.fns.free)(self.0) };
        }
    }
}

/// A counted reference to a task whose body returns `T`.
///
/// # Invariant
///
/// `task` refers to a `Task<T>` of this very `T` (only `Task::allocate` makes
/// one).
pub(crate) struct TypedTaskRef<T> {
    task: TaskRef,
    /// Dropping the last reference may drop a `T`.
    _output: PhantomData<Output<T>>,
}

impl<T> TypedTaskRef<T> {
    /// The first reference to a task just made.
    ///
    /// # Safety
    ///
    /// `task` is an initialised `Task<T>` from `spare::allocate` whose count
    /// is 1, and nothing else refers to it: this reference owns it.
    pub(super) unsafe fn from_new(task: NonNull<Task<T>>) -> Self {
        TypedTaskRef {
            task: TaskRef(task.cast::<AnyTask>()),
            _output: PhantomData,
        }
    }

    /// A type-erased reference to the same task, for the scheduler.
    pub(crate) fn erased(&self) -> TaskRef {
        self.task.clone()
    }

    /// True if `other` refers to this task.
    pub(crate) fn is(&self, other: &TaskRef) -> bool {
        TaskRef::ptr_eq(&self.task, other)
    }

    /// The task with its output.
    pub(super) fn typed(&self) -> &Task<T> {
        // SAFETY: the invariant: `task` is a `Task<T>`, which starts with
        // the `AnyTask` it points to (`repr(C)`), and is alive while this
        // reference is.
        unsafe { &*TaskRef::as_ptr(&self.task).cast::<Task<T>>() }
    }

    /// Takes the result, once the task is done.
    pub(crate) fn take_output(&self) -> Option<Result<T, super::JoinError>> {
        self.typed().take_output()
    }
}

impl<T> Deref for TypedTaskRef<T> {
    type Target = AnyTask;

    #[inline]
    fn deref(&self) -> &AnyTask {
        &self.task
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    #[test]
    fn a_finished_tasks_output_goes_with_its_last_reference_and_not_before() {
        let marker = Rc::new(());
        crate::run(|| {
            let inside = Rc::clone(&marker);
            let handle = crate::spawn(move || inside);
            crate::yield_now(); // it runs and finishes; only the handle is left
            assert!(handle.is_finished());
            assert_eq!(Rc::strong_count(&marker), 2, "the output holds its value");
            drop(handle);
            assert_eq!(
                Rc::strong_count(&marker),
                1,
                "freed with the last reference"
            );
        });
    }

    #[test]
    fn an_unfinished_tasks_references_are_counted() {
        crate::run(|| {
            let handle = crate::spawn(|| ());
            let (slot, id) = handle.slot_and_id();
            let task = crate::runtime::current::try_with(|rt| rt.scheduler.task_with(slot, id))
                .flatten()
                .expect("an unfinished task is in the table");
            // The handle's, the runtime's table's, the ready queue's, ours.
            assert_eq!(super::TaskRef::strong_count(&task), 4);
            handle.join().unwrap();
            assert_eq!(super::TaskRef::strong_count(&task), 1);
        });
    }
}
