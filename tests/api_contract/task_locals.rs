//! Task-local storage: `task_local!` (std's `thread_local!` syntax),
//! `LocalKey` and its `Cell` / `RefCell` conveniences, `AccessError`.

use super::*;
use std::cell::{Cell, RefCell};

corio::task_local! {
    /// Attributes, visibility, several items, no trailing `;`.
    pub static NUMBER: Cell<u64> = Cell::new(0);
    static WORDS: RefCell<Vec<String>> = RefCell::new(Vec::new())
}

pub fn with<T: 'static, R, F: FnOnce(&T) -> R>(key: &'static LocalKey<T>, f: F) -> R {
    key.with(f)
}

pub fn try_with<T: 'static, R, F: FnOnce(&T) -> R>(
    key: &'static LocalKey<T>,
    f: F,
) -> Result<R, AccessError> {
    key.try_with(f)
}

pub fn with_borrow<T: 'static, R, F: FnOnce(&T) -> R>(
    key: &'static LocalKey<RefCell<T>>,
    f: F,
) -> R {
    key.with_borrow(f)
}

pub fn with_borrow_mut<T: 'static, R, F: FnOnce(&mut T) -> R>(
    key: &'static LocalKey<RefCell<T>>,
    f: F,
) -> R {
    key.with_borrow_mut(f)
}

pub fn items() {
    let _: &'static LocalKey<Cell<u64>> = &NUMBER;
    let _: &'static LocalKey<RefCell<Vec<String>>> = &WORDS;
    let _: fn(&'static LocalKey<Cell<u64>>, u64) = LocalKey::<Cell<u64>>::set;
    let _: fn(&'static LocalKey<Cell<u64>>) -> u64 = LocalKey::<Cell<u64>>::get;
    let _: fn(&'static LocalKey<Cell<u64>>) -> u64 = LocalKey::<Cell<u64>>::take;
    let _: fn(&'static LocalKey<Cell<u64>>, u64) -> u64 = LocalKey::<Cell<u64>>::replace;
    let _: fn(&'static LocalKey<RefCell<u8>>, u8) = LocalKey::<RefCell<u8>>::set;
    let _: fn(&'static LocalKey<RefCell<u8>>) -> u8 = LocalKey::<RefCell<u8>>::take;
    let _: fn(&'static LocalKey<RefCell<u8>>, u8) -> u8 = LocalKey::<RefCell<u8>>::replace;
    assert_error::<AccessError>();
    fn copy_eq<T: Copy + Eq + Debug>() {}
    copy_eq::<AccessError>();
    assert_debug::<LocalKey<Cell<u64>>>();
    // A key is a `static`, so it is `Sync` whatever its value type.
    fn sync<T: Sync>() {}
    sync::<LocalKey<std::rc::Rc<u8>>>();
}

/// Two tasks, each with its own number and words.
pub fn program() -> Vec<(u64, Vec<String>)> {
    corio::run(|| {
        let tasks: Vec<_> = (1..=2u64)
            .map(|n| {
                runtime::spawn(move || {
                    NUMBER.set(n);
                    corio::yield_now();
                    with_borrow_mut(&WORDS, |words| words.push(format!("task {n}")));
                    let number = with(&NUMBER, Cell::get);
                    let words = try_with(&WORDS, |w| w.borrow().clone()).unwrap();
                    assert_eq!(with_borrow(&WORDS, Vec::len), 1);
                    (number, words)
                })
            })
            .collect();
        tasks.into_iter().map(|t| t.join().unwrap()).collect()
    })
}
