//! A resource manager whose acquire and release take time, with corio tasks.
//!
//! `ResourceManager::acquire(id)` and `release(id)` each take a while
//! (a sleep stands in for the real work) and print what they did.
//!
//! Part 1: five tasks (resources 0 to 4) each acquire their resource (1 s),
//! use it (2 s) and release it (1 s). `corio::gather` runs them together,
//! so the part takes about 4 s, not 20 s. As in the asyncio original, the
//! task prints "Released resource N" a second time after `release` returns.
//!
//! Part 2: at most two tasks may hold a resource at once, enforced by a
//! `corio::sync::Semaphore::new(2)`, which hands out permits first come,
//! first served. With part 1's timings this would take three waves of 4 s
//! (12 s), so part 2 runs at a quarter of the pace: 250 ms to acquire,
//! 500 ms of use, 250 ms to release. Tasks arrive 100 ms apart so that no
//! two events fall on the same instant and the order is fixed: tasks 0 and
//! 1 get permits at once; 2, 3 and 4 wait; 2 and 3 get the permits given
//! back by 0 and 1 (at 1.0 s and 1.1 s); 4 gets the permit of 2 (at 2.0 s)
//! and is done at 3.0 s, so part 2 takes about 3 s.
//!
//! Run it with `cargo run --release --example resource_manager`. Its test
//! runs `both_parts` on corio's virtual clock too (`corio::test::run`, in
//! `tests/virtual_time.rs`): the same lines, at once.
//! Twins: `examples/tokio_resource_manager.rs` (tokio) and
//! `examples/python/resource_manager.py` (asyncio); all three print the same
//! lines.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use corio::sync::Semaphore;

/// Hands out resources; taking or giving one back costs `handling` time.
struct ResourceManager {
    handling: Duration,
    held: RefCell<BTreeSet<u32>>,
}

impl ResourceManager {
    fn new(handling: Duration) -> Self {
        ResourceManager {
            handling,
            held: RefCell::default(),
        }
    }

    fn acquire(&self, id: u32) {
        corio::sleep(self.handling);
        println!("Acquired resource {id}");
        self.held.borrow_mut().insert(id);
    }

    fn release(&self, id: u32) {
        corio::sleep(self.handling);
        println!("Released resource {id}");
        self.held.borrow_mut().remove(&id);
    }
}

/// Acquire resource `id`, work with it for `busy`, release it.
fn use_resource(manager: &ResourceManager, id: u32, busy: Duration) {
    manager.acquire(id);
    println!("Using resource {id}");
    corio::sleep(busy);
    manager.release(id);
    println!("Released resource {id}");
}

/// Arrive `id` × 100 ms late, queue for a permit, then use resource `id`.
fn use_with_permit(manager: &ResourceManager, permits: &Semaphore, id: u32) {
    corio::sleep(Duration::from_millis(100) * id);
    if permits.available_permits() == 0 {
        println!("task {id} waits for a permit");
    }
    let permit = permits.acquire();
    println!("task {id} got a permit");
    use_resource(manager, id, Duration::from_millis(500));
    drop(permit);
    println!("task {id} gave its permit back");
}

/// Whole seconds since `start`, an instant of `corio::time::now` (the
/// clock corio's sleeps use: virtual under `corio::test::run`,
/// `Instant::now` otherwise).
fn seconds_since(start: Instant) -> u64 {
    (corio::time::now() - start).as_secs_f64().round() as u64
}

/// Both parts. Public so that the virtual-time test can run it (see
/// `examples/test_child/virtual_time.rs`).
pub fn both_parts() {
    println!("-- part 1: five tasks at once --");
    let start = corio::time::now();
    let manager = &ResourceManager::new(Duration::from_secs(1));
    let busy = Duration::from_secs(2);
    corio::gather(
        (0..5)
            .map(|id| move || use_resource(manager, id, busy))
            .collect(),
    );
    assert!(manager.held.borrow().is_empty());
    println!("part 1 took {} s", seconds_since(start));

    println!("-- part 2: at most two holders --");
    let start = corio::time::now();
    let manager = &ResourceManager::new(Duration::from_millis(250));
    let permits = &Semaphore::new(2);
    corio::gather(
        (0..5)
            .map(|id| move || use_with_permit(manager, permits, id))
            .collect(),
    );
    assert!(manager.held.borrow().is_empty());
    println!("part 2 took {} s", seconds_since(start));
}

fn main() {
    corio::run(both_parts);
}
