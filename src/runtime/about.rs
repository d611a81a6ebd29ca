//! What a task is for the people looking at it: its name, where it was
//! spawned, by whom, and where its stack lies. Kept in the task's header
//! (see `task.rs`), shown by `Debug`, `corio::dump`, the trace and the
//! line corio's panic hook prints for a task that panics.

use std::panic::Location;

/// What a task is, for people reading a dump, a `Debug` or a panic.
pub(crate) struct About {
    /// Given with `TaskBuilder::name`. Boxed twice so that an unnamed
    /// task pays one pointer (a `Box<str>` is two), on every one of a
    /// million sleeping tasks.
    #[allow(clippy::box_collection)]
    pub(crate) name: Option<Box<String>>,
    /// Where `spawn` (or `run`, `Scope::spawn`, `gather`...) was called.
    pub(crate) spawned_at: &'static Location<'static>,
    /// The task that spawned it (for a scope's child: the task whose
    /// scope it is), 0 for none (`run`'s main, a spawn from the loop).
    pub(crate) parent: u64,
    /// The end of the task's stack slot, and the slot's length (guard
    /// page included): see [`About::stack`].
    pub(crate) stack_high: usize,
    pub(crate) stack_len: u32,
}

impl About {
    /// The task's stack slot, `low..high` (guard page included): frames
    /// whose stack pointer lies here are the task's own.
    pub(crate) fn stack(&self) -> (usize, usize) {
        (self.stack_high - self.stack_len as usize, self.stack_high)
    }

    /// The task's name, if it has one.
    pub(crate) fn name(&self) -> Option<&str> {
        self.name.as_deref().map(String::as_str)
    }

    /// `task 7 'conn 127.0.0.1:5512'`, or `task 7` for a task without a
    /// name.
    pub(crate) fn label(&self, id: u64) -> String {
        match self.name() {
            Some(name) => format!("task {id} '{name}'"),
            None => format!("task {id}"),
        }
    }
}
