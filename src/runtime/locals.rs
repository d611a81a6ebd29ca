//! A task's own storage: the values its [`crate::task_local!`] keys hold
//! in it.
//!
//! A task header has one pointer-sized field for it (`TaskHeader::locals`),
//! empty until some code in the task first reaches a key: a task that never
//! does pays one null pointer, written at spawn and read once as it ends.
//! The lookup from a key to its value is in `task_local.rs`; this file only
//! keeps values and destroys them.
//!
//! # Lifecycle of one task's values
//!
//! ```text
//!   (no storage) --first access of any key--> Live --body returned or unwound--> Destroying
//!                                              |  a key's first access adds it     each value,
//!                                              |  (its initialiser runs first)     newest first
//!                                              +--task abandoned--> Leaked
//! ```
//!
//! Values are reference-counted so that no value can go away under a
//! `LocalKey::with` that is still running: a generator that yields from
//! inside `with` may be suspended past the end of the task that resumed it,
//! and then its `&T` must stay valid. Each `with` holds a count for its
//! duration; destruction drops the storage's count, so a value still
//! borrowed that way is dropped when the last such `with` returns.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Names one key: the address of its `static` (two statics never share
/// one). Values are still downcast by type, so a mix-up could only panic.
pub(crate) type KeyId = usize;

/// One value of a key, shared with the `with` calls using it.
pub(crate) type Value = Rc<dyn Any>;

/// The values of one task's keys; see the module docs.
#[derive(Default)]
pub(crate) struct TaskLocals {
    /// Each live value with its key, in the order their initialisers
    /// returned (a value made from another one comes after it, so it is
    /// destroyed before it, as with locals on a stack).
    ///
    /// # Invariant
    ///
    /// At most one entry per key. Borrowed only inside this type's
    /// methods, never across user code (an initialiser, a destructor).
    entries: RefCell<Vec<(KeyId, Value)>>,
    /// Set once destruction starts; never cleared. From then on, a key
    /// without an entry was destroyed already, or is refused a new value.
    destroying: Cell<bool>,
    /// What must still happen if the task is abandoned (see [`Self::leak`]):
    /// a remote spawn's job is resolved as cancelled, since the code that
    /// would resolve it is on the leaked stack. Dropped unrun otherwise.
    if_abandoned: Cell<Option<Box<dyn FnOnce()>>>,
}

/// What a key finds in a task's storage.
pub(crate) enum Slot {
    /// Its value.
    Live(Value),
    /// Nothing yet: the caller makes a value and offers it with
    /// [`TaskLocals::get_or_insert`].
    Vacant,
    /// Its value is being destroyed or was, or the task's values are being
    /// destroyed and no new one is made.
    Gone,
}

impl TaskLocals {
    /// The value of `key`.
    pub(crate) fn get(&self, key: KeyId) -> Slot {
        let entries = self.entries.borrow();
        match entries.iter().find(|(k, _)| *k == key) {
            Some((_, value)) => Slot::Live(Rc::clone(value)),
            None if self.destroying.get() => Slot::Gone,
            None => Slot::Vacant,
        }
    }

    /// The value of `key`, which is `fresh` unless the key got one while
    /// `fresh` was being made (its initialiser reached the key itself):
    /// then the earlier value stays, and the caller drops its `fresh`,
    /// outside any borrow here. `None` once destruction started.
    pub(crate) fn get_or_insert(&self, key: KeyId, fresh: &Value) -> Option<Value> {
        match self.get(key) {
            Slot::Live(value) => Some(value),
            Slot::Vacant => {
                self.entries.borrow_mut().push((key, Rc::clone(fresh)));
                Some(Rc::clone(fresh))
            }
            Slot::Gone => None,
        }
    }

    /// Destroys every value, newest first, on the caller's stack. Values
    /// still alive can be used by the destructors of those dropped before
    /// them; destroyed ones (and keys never used) give `Gone`.
    ///
    /// If a destructor panics, the rest are still destroyed while that
    /// panic unwinds (as a `Vec` drops its other elements); a second panic
    /// then aborts the process, as any panic escaping a destructor during
    /// unwinding does.
    pub(crate) fn destroy(&self) {
        self.destroying.set(true);
        while let Some(value) = self.pop() {
            let rest = DestroyRest(self);
            drop(value); // user code: no borrow is held
            std::mem::forget(rest);
        }
    }

    /// Takes the newest value out.
    fn pop(&self) -> Option<Value> {
        self.entries.borrow_mut().pop().map(|(_, value)| value)
    }

    /// Forgets every value without dropping it, for a task whose stack is
    /// leaked (`Scheduler::abandon`): its destructors never run. Then runs
    /// what [`Self::if_abandoned`] asked for.
    pub(crate) fn leak(&self) {
        self.destroying.set(true);
        for (_, value) in self.entries.take() {
            std::mem::forget(value);
        }
        if let Some(hook) = self.if_abandoned.take() {
            hook();
        }
    }

    /// Runs `hook` if the task is abandoned; the last call wins.
    pub(crate) fn if_abandoned(&self, hook: Box<dyn FnOnce()>) {
        drop(self.if_abandoned.replace(Some(hook)));
    }
}

/// Goes on destroying a task's values when one destructor panicked.
struct DestroyRest<'a>(&'a TaskLocals);

impl Drop for DestroyRest<'_> {
    fn drop(&mut self) {
        self.0.destroy();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(n: u32) -> Value {
        Rc::new(n)
    }

    fn number(value: &Value) -> u32 {
        *value.downcast_ref::<u32>().unwrap()
    }

    fn live(slot: Slot) -> u32 {
        match slot {
            Slot::Live(value) => number(&value),
            Slot::Vacant => panic!("vacant"),
            Slot::Gone => panic!("gone"),
        }
    }

    #[test]
    fn the_first_value_offered_stays() {
        let locals = TaskLocals::default();
        assert!(matches!(locals.get(1), Slot::Vacant));
        assert_eq!(
            locals.get_or_insert(1, &value(10)).as_ref().map(number),
            Some(10)
        );
        assert_eq!(
            locals.get_or_insert(1, &value(11)).as_ref().map(number),
            Some(10)
        );
        assert_eq!(live(locals.get(1)), 10);
    }

    #[test]
    fn destroyed_and_unused_keys_are_gone_and_stay_gone() {
        let locals = TaskLocals::default();
        let _ = locals.get_or_insert(1, &value(10));
        locals.destroy();
        assert!(matches!(locals.get(1), Slot::Gone));
        assert!(matches!(locals.get(2), Slot::Gone));
        assert!(locals.get_or_insert(2, &value(20)).is_none());
    }

    #[test]
    fn a_value_still_held_outlives_destruction() {
        let locals = TaskLocals::default();
        let fresh = value(10);
        let _ = locals.get_or_insert(1, &fresh);
        locals.destroy();
        assert_eq!(Rc::strong_count(&fresh), 1);
        assert_eq!(number(&fresh), 10);
    }

    #[test]
    fn leaked_values_are_never_dropped() {
        let locals = TaskLocals::default();
        let held = value(10);
        let _ = locals.get_or_insert(1, &held);
        locals.leak();
        drop(locals);
        assert_eq!(Rc::strong_count(&held), 2, "the storage's count was leaked");
        assert!(matches!(TaskLocals::default().get(1), Slot::Vacant));
        // SAFETY: the count leaked above is still part of `held`'s total,
        // and nothing else will ever give it back; it is given back here
        // so the allocation is freed with `held` (no leak for valgrind).
        unsafe { Rc::decrement_strong_count(Rc::as_ptr(&held)) };
        assert_eq!(Rc::strong_count(&held), 1);
    }
}
