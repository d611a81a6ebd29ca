//! Virtual time: `Builder::virtual_time`, `corio::test::run`,
//! `corio::time::now`.

use super::*;
use corio::Builder;

pub fn test_run<T, F: FnOnce() -> T>(f: F) -> T {
    corio::test::run(f)
}

pub fn items() {
    let _: fn(&mut Builder, bool) -> &mut Builder = Builder::virtual_time;
    let _: fn() -> Instant = corio::time::now;
    let _ = test_run::<u8, fn() -> u8>;
}
