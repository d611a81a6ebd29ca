//! The seed programs of `examples/` on corio's virtual clock, for
//! `tests/virtual_time.rs`: each scenario runs a program's body under
//! `corio::test::run`, so it prints what the program prints, and then
//! writes to stderr the virtual time the body took (exact, since a
//! virtual clock only moves by its jumps here).

use std::time::Duration;

// Each file is the example itself; its `main` (the real-clock run) is not
// used here.
#[path = "../coffee_shop.rs"]
#[allow(dead_code)]
mod coffee_shop;
#[path = "../resource_manager.rs"]
#[allow(dead_code)]
mod resource_manager;
#[path = "../say_after.rs"]
#[allow(dead_code)]
mod say_after;

/// Runs `program` as the main task of a runtime on a virtual clock and
/// reports how much virtual time it took.
fn on_the_virtual_clock(program: fn()) {
    let took: Duration = corio::test::run(|| {
        let start = corio::time::now();
        program();
        corio::time::now() - start
    });
    eprintln!("virtual time: {took:?}");
}

pub fn coffee_shop() {
    on_the_virtual_clock(coffee_shop::serve_everyone);
}

pub fn say_after() {
    on_the_virtual_clock(say_after::both_parts);
}

pub fn resource_manager() {
    on_the_virtual_clock(resource_manager::both_parts);
}
