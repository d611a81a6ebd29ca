//! A resource manager whose acquire and release take time, with tokio.
//!
//! `ResourceManager::acquire(id)` and `release(id)` are `async` methods that
//! take a while (a sleep stands in for the real work) and print what they did.
//!
//! Part 1: five futures (resources 0 to 4) each acquire their resource (1 s),
//! use it (2 s) and release it (1 s). `tokio::join!` polls them together on
//! one thread, so the part takes about 4 s, not 20 s. As in the asyncio
//! original, "Released resource N" is printed a second time by the caller.
//!
//! Part 2: at most two may hold a resource at once, enforced by a
//! `tokio::sync::Semaphore::new(2)`, whose permits go first come, first
//! served. Part 1's timings would give three waves of 4 s (12 s), so part 2
//! runs at a quarter of the pace: 250 ms to acquire, 500 ms of use, 250 ms to
//! release, with arrivals 100 ms apart so no two events coincide. Tasks 0
//! and 1 get permits at once, 2 and 3 take over at 1.0 s and 1.1 s, 4 at
//! 2.0 s, and the part ends after about 3 s.
//!
//! `join!` is `biased;` so that futures waking in the same timer tick print
//! in the order written, as with `asyncio.gather` and `corio::gather`.
//!
//! Run it with `cargo run --release --example tokio_resource_manager`.
//! Twins: `examples/resource_manager.rs` (corio) and
//! `examples/python/resource_manager.py` (asyncio); all three print the same
//! lines.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::time::sleep;

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

    async fn acquire(&self, id: u32) {
        sleep(self.handling).await;
        println!("Acquired resource {id}");
        self.held.borrow_mut().insert(id);
    }

    async fn release(&self, id: u32) {
        sleep(self.handling).await;
        println!("Released resource {id}");
        self.held.borrow_mut().remove(&id);
    }
}

/// Acquire resource `id`, work with it for `busy`, release it.
async fn use_resource(manager: &ResourceManager, id: u32, busy: Duration) {
    manager.acquire(id).await;
    println!("Using resource {id}");
    sleep(busy).await;
    manager.release(id).await;
    println!("Released resource {id}");
}

/// Arrive `id` × 100 ms late, queue for a permit, then use resource `id`.
async fn use_with_permit(manager: &ResourceManager, permits: &Semaphore, id: u32) {
    sleep(Duration::from_millis(100) * id).await;
    if permits.available_permits() == 0 {
        println!("task {id} waits for a permit");
    }
    let permit = permits
        .acquire()
        .await
        .expect("the semaphore is never closed");
    println!("task {id} got a permit");
    use_resource(manager, id, Duration::from_millis(500)).await;
    drop(permit);
    println!("task {id} gave its permit back");
}

/// Whole seconds since `start`.
fn seconds_since(start: Instant) -> u64 {
    start.elapsed().as_secs_f64().round() as u64
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("-- part 1: five tasks at once --");
    let start = Instant::now();
    let m = &ResourceManager::new(Duration::from_secs(1));
    let busy = Duration::from_secs(2);
    tokio::join!(
        biased;
        use_resource(m, 0, busy),
        use_resource(m, 1, busy),
        use_resource(m, 2, busy),
        use_resource(m, 3, busy),
        use_resource(m, 4, busy),
    );
    assert!(m.held.borrow().is_empty());
    println!("part 1 took {} s", seconds_since(start));

    println!("-- part 2: at most two holders --");
    let start = Instant::now();
    let m = &ResourceManager::new(Duration::from_millis(250));
    let s = &Semaphore::new(2);
    tokio::join!(
        biased;
        use_with_permit(m, s, 0),
        use_with_permit(m, s, 1),
        use_with_permit(m, s, 2),
        use_with_permit(m, s, 3),
        use_with_permit(m, s, 4),
    );
    assert!(m.held.borrow().is_empty());
    println!("part 2 took {} s", seconds_since(start));
}
