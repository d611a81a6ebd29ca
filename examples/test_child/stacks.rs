//! The stack pool's decay, in a process of its own: the decay time is set
//! for the whole process, and RSS is a process-wide figure.

use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;

use corio::stack::{default_pool_counts, set_decay};
use corio::sync::Event;

/// Tasks alive at once in a burst, each touching [`TOUCHED`] of its stack.
const TASKS: usize = 3000;
const TOUCHED: usize = 32 * 1024;

/// This process's resident set, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

#[inline(never)]
fn touch_stack_then_wait(go: &Event) {
    let mut frame = [0u8; TOUCHED];
    black_box(&mut frame);
    go.wait();
    black_box(&frame);
}

/// `TASKS` tasks alive at once, each with `TOUCHED` bytes of its stack
/// written, then all released and joined.
fn burst() {
    let go = Rc::new(Event::new());
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let go = go.clone();
            corio::spawn(move || touch_stack_then_wait(&go))
        })
        .collect();
    corio::yield_now(); // every task runs up to its wait
    go.set();
    for task in tasks {
        task.join().expect("a burst task finishes");
    }
}

/// Prints `label kib carved` after each step, for tests/stack_pool.rs.
pub fn stack_decay() {
    set_decay(Duration::from_millis(800));
    corio::run(|| {
        let report = |label: &str| println!("{label} {} {}", rss_kib(), default_pool_counts().0);
        report("start");
        burst();
        report("burst");
        burst(); // within the decay time: the same resident slots
        report("again");
        corio::sleep(Duration::from_millis(2500)); // the loop idles past the decay
        report("decayed");
        set_decay(Duration::ZERO);
        burst();
        report("no-decay");
    });
}

/// Overflows a stack whose slot was used, freed, and had its pages handed
/// back to the kernel (decay 0) before being taken again: its guard page
/// must have survived.
pub fn overflow_recycled() {
    set_decay(Duration::ZERO);
    let touch = || {
        let mut g = corio::Generator::<(), (), ()>::new(|y, ()| {
            black_box([0u8; 8192]);
            y.yield_(());
        });
        g.resume(());
        g
    };
    // 300 slots in use, then all freed: past the warm cache, the oldest
    // freed are discarded at once.
    drop((0..300).map(|_| touch()).collect::<Vec<_>>());
    let (carved, _) = default_pool_counts();
    // Taken again (LIFO): the last ones come from the discarded slots.
    let again: Vec<_> = (0..299).map(|_| touch()).collect();
    assert_eq!(default_pool_counts().0, carved, "no new slot was carved");
    super::overflow_on(corio::Generator::new(|_, ()| super::recurse_forever(0)));
    drop(again);
}
