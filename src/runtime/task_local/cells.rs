//! `LocalKey<Cell<T>>` and `LocalKey<RefCell<T>>` conveniences, as std's
//! `LocalKey` has them: the usual task-local is a `Cell` or a `RefCell`.

use std::cell::{Cell, RefCell};

use super::{AccessError, LocalKey};

impl<T: 'static> LocalKey<Cell<T>> {
    /// Sets the current task's value; a key with no value yet gets this
    /// one without running its initialiser.
    ///
    /// # Panics
    ///
    /// If the value is being dropped or already was.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    ///
    /// corio::task_local! {
    ///     static ID: Cell<u64> = panic!("never made: `set` came first");
    /// }
    ///
    /// corio::run(|| {
    ///     ID.set(3);
    ///     assert_eq!(ID.get(), 3);
    /// });
    /// ```
    #[track_caller]
    pub fn set(&'static self, value: T) {
        let mut value = Some(value);
        match self.task_value(|| Cell::new(value.take().expect("made once"))) {
            None => self.outside_tasks.set(value.take().expect("not used yet")),
            Some(Ok(cell)) => {
                if let Some(value) = value.take() {
                    Self::downcast(&cell).set(value);
                }
            }
            Some(Err(AccessError)) => self.destroyed(),
        }
    }

    /// A copy of the current task's value.
    ///
    /// # Panics
    ///
    /// As [`with`](Self::with).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    ///
    /// corio::task_local! {
    ///     static ID: Cell<u64> = Cell::new(9);
    /// }
    ///
    /// corio::run(|| assert_eq!(ID.get(), 9));
    /// ```
    #[track_caller]
    pub fn get(&'static self) -> T
    where
        T: Copy,
    {
        self.with(Cell::get)
    }

    /// Takes the current task's value, leaving `T::default()`.
    ///
    /// # Panics
    ///
    /// As [`with`](Self::with).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    ///
    /// corio::task_local! {
    ///     static PENDING: Cell<Option<u32>> = Cell::new(Some(1));
    /// }
    ///
    /// corio::run(|| {
    ///     assert_eq!(PENDING.take(), Some(1));
    ///     assert_eq!(PENDING.take(), None);
    /// });
    /// ```
    #[track_caller]
    pub fn take(&'static self) -> T
    where
        T: Default,
    {
        self.with(Cell::take)
    }

    /// Replaces the current task's value, returning the old one.
    ///
    /// # Panics
    ///
    /// As [`with`](Self::with).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::Cell;
    ///
    /// corio::task_local! {
    ///     static LEVEL: Cell<u8> = Cell::new(1);
    /// }
    ///
    /// corio::run(|| {
    ///     assert_eq!(LEVEL.replace(2), 1);
    ///     assert_eq!(LEVEL.get(), 2);
    /// });
    /// ```
    #[track_caller]
    pub fn replace(&'static self, value: T) -> T {
        self.with(|cell| cell.replace(value))
    }
}

impl<T: 'static> LocalKey<RefCell<T>> {
    /// Calls `f` with a shared borrow of the current task's value.
    ///
    /// # Panics
    ///
    /// As [`with`](Self::with), and if the value is mutably borrowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    ///
    /// corio::task_local! {
    ///     static SPAN: RefCell<Vec<&'static str>> = RefCell::new(vec!["root"]);
    /// }
    ///
    /// corio::run(|| assert_eq!(SPAN.with_borrow(|span| span.len()), 1));
    /// ```
    #[track_caller]
    pub fn with_borrow<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        self.with(|cell| f(&cell.borrow()))
    }

    /// Calls `f` with a mutable borrow of the current task's value.
    ///
    /// # Panics
    ///
    /// As [`with`](Self::with), and if the value is borrowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    ///
    /// corio::task_local! {
    ///     static SPAN: RefCell<Vec<&'static str>> = RefCell::new(Vec::new());
    /// }
    ///
    /// corio::run(|| {
    ///     SPAN.with_borrow_mut(|span| span.push("request"));
    ///     assert_eq!(SPAN.with_borrow(|span| span.clone()), ["request"]);
    /// });
    /// ```
    #[track_caller]
    pub fn with_borrow_mut<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&mut T) -> R,
    {
        self.with(|cell| f(&mut cell.borrow_mut()))
    }

    /// Sets the current task's value; a key with no value yet gets this
    /// one without running its initialiser.
    ///
    /// # Panics
    ///
    /// As [`with`](Self::with), and if the value is borrowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    ///
    /// corio::task_local! {
    ///     static USER: RefCell<String> = RefCell::new(String::new());
    /// }
    ///
    /// corio::run(|| {
    ///     USER.set("ada".to_string());
    ///     assert_eq!(USER.with_borrow(String::clone), "ada");
    /// });
    /// ```
    #[track_caller]
    pub fn set(&'static self, value: T) {
        let mut value = Some(value);
        match self.task_value(|| RefCell::new(value.take().expect("made once"))) {
            None => self.outside_tasks.set(value.take().expect("not used yet")),
            Some(Ok(cell)) => {
                if let Some(value) = value.take() {
                    *Self::downcast(&cell).borrow_mut() = value;
                }
            }
            Some(Err(AccessError)) => self.destroyed(),
        }
    }

    /// Takes the current task's value, leaving `T::default()`.
    ///
    /// # Panics
    ///
    /// As [`with`](Self::with), and if the value is borrowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    ///
    /// corio::task_local! {
    ///     static SPAN: RefCell<Vec<u8>> = RefCell::new(vec![1, 2]);
    /// }
    ///
    /// corio::run(|| {
    ///     assert_eq!(SPAN.take(), [1, 2]);
    ///     assert!(SPAN.take().is_empty());
    /// });
    /// ```
    #[track_caller]
    pub fn take(&'static self) -> T
    where
        T: Default,
    {
        self.with(RefCell::take)
    }

    /// Replaces the current task's value, returning the old one.
    ///
    /// # Panics
    ///
    /// As [`with`](Self::with), and if the value is borrowed.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    ///
    /// corio::task_local! {
    ///     static NAME: RefCell<&'static str> = RefCell::new("first");
    /// }
    ///
    /// corio::run(|| {
    ///     assert_eq!(NAME.replace("second"), "first");
    ///     assert_eq!(NAME.with_borrow(|name| *name), "second");
    /// });
    /// ```
    #[track_caller]
    pub fn replace(&'static self, value: T) -> T {
        self.with(|cell| cell.replace(value))
    }
}
