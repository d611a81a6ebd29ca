//! The per-thread stack pool: many live generators cost few memory mappings
//! (with `MADV_GUARD_INSTALL` guards), stacks are independent, freed slots go
//! back to the free list and are reused, sizes get separate pools, and each
//! thread has its own pool.

mod util;

use std::sync::{Mutex, MutexGuard, PoisonError};

use corio::stack::{DEFAULT_STACK_SIZE, GuardKind, default_pool_counts, guard_kind};
use corio::{Generator, GeneratorState, Status};

/// Tests here map and unmap stacks; the mapping count below is only
/// meaningful if no other test of this binary does so at the same time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

fn mapping_count() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .expect("cannot read /proc/self/maps")
        .lines()
        .count()
}

/// Live stacks of this thread's default pool: carved minus free.
fn live_default_stacks() -> usize {
    let (carved, free) = default_pool_counts();
    carved - free
}

#[test]
fn hundred_thousand_live_generators_need_few_mappings() {
    const COUNT: usize = 100_000;
    let _serial = serial();
    assert_eq!(
        guard_kind(),
        GuardKind::Madvise,
        "the kernel lacks MADV_GUARD_INSTALL (Linux 6.13+), so guard pages fall back to \
         mprotect at two mappings per stack and {COUNT} stacks would exceed vm.max_map_count"
    );
    let maps_before = mapping_count();
    let (carved_before, free_before) = default_pool_counts();

    let mut generators: Vec<Generator<(), usize, ()>> = (0..COUNT)
        .map(|i| {
            Generator::new(move |y, ()| {
                y.yield_(i);
                y.yield_(i * 3 + 1);
            })
        })
        .collect();
    for (i, g) in generators.iter_mut().enumerate() {
        assert_eq!(g.resume(()), GeneratorState::Yielded(i));
    }

    let maps_after = mapping_count();
    assert!(
        maps_after.saturating_sub(maps_before) < 100,
        "{COUNT} live stacks grew /proc/self/maps from {maps_before} to {maps_after} lines"
    );
    let (carved_live, free_live) = default_pool_counts();
    assert_eq!(carved_live - free_live, carved_before - free_before + COUNT);

    // Every stack kept its own state: resume them all again, newest first.
    for (i, g) in generators.iter_mut().enumerate().rev() {
        assert_eq!(g.status(), Status::Suspended);
        assert_eq!(g.resume(()), GeneratorState::Yielded(i * 3 + 1));
    }

    drop(generators);
    let (carved_after, free_after) = default_pool_counts();
    assert_eq!(carved_after, carved_live, "dropping carves nothing");
    assert_eq!(
        free_after,
        free_live + COUNT,
        "every slot is back in the free list"
    );
}

#[test]
fn slots_return_to_the_free_list_whatever_the_state() {
    let _serial = serial();
    let baseline = live_default_stacks();
    let created = Generator::<(), u8, ()>::new(|y, ()| y.yield_(0));
    let mut suspended = Generator::<(), u8, ()>::new(|y, ()| y.yield_(0));
    let mut complete = Generator::<(), u8, ()>::new(|_, ()| {});
    let mut closed = Generator::<(), u8, ()>::new(|y, ()| y.yield_(0));
    assert_eq!(suspended.resume(()), GeneratorState::Yielded(0));
    assert_eq!(complete.resume(()), GeneratorState::Complete(()));
    assert_eq!(closed.resume(()), GeneratorState::Yielded(0));
    closed.close();
    // A finished generator keeps its stack until it is dropped.
    assert_eq!(live_default_stacks(), baseline + 4);

    let (carved, free) = default_pool_counts();
    drop((created, suspended, complete, closed));
    assert_eq!(default_pool_counts(), (carved, free + 4));
    assert_eq!(live_default_stacks(), baseline);
}

/// Makes a generator that yields the address of one of its locals, which
/// tells which stack slot it runs on.
fn stack_address_probe() -> Generator<(), usize, ()> {
    Generator::new(|y, ()| {
        let local = std::hint::black_box([0u8; 16]);
        y.yield_(std::ptr::from_ref(&local) as usize);
    })
}

#[test]
fn create_and_drop_reuses_the_same_slot() {
    let _serial = serial();
    let mut first = stack_address_probe();
    let GeneratorState::Yielded(first_address) = first.resume(()) else {
        panic!("the probe yields first");
    };
    drop(first);
    let (carved, _) = default_pool_counts();

    for round in 0..1_000 {
        let mut g = stack_address_probe();
        assert_eq!(
            g.resume(()),
            GeneratorState::Yielded(first_address),
            "round {round} ran on a different slot"
        );
        drop(g);
        // A never-resumed generator also takes and gives back a slot.
        drop(Generator::<(), (), ()>::new(|_, ()| {}));
    }
    assert_eq!(default_pool_counts().0, carved, "no new slot was carved");
}

#[test]
fn other_stack_sizes_use_their_own_pool() {
    let _serial = serial();
    let before = default_pool_counts();
    let mut small = Generator::<(), (), u32>::with_stack_size(64 * 1024, |_, ()| 64);
    let mut big = Generator::<(), (), u32>::with_stack_size(1 << 20, |_, ()| 1024);
    assert_eq!(small.resume(()), GeneratorState::Complete(64));
    assert_eq!(big.resume(()), GeneratorState::Complete(1024));
    assert_eq!(
        default_pool_counts(),
        before,
        "the default pool was not touched"
    );

    // A size that rounds up to the default one shares the default pool.
    let live = live_default_stacks();
    let same = Generator::<(), (), ()>::with_stack_size(DEFAULT_STACK_SIZE - 100, |_, ()| {});
    assert_eq!(live_default_stacks(), live + 1);
    drop(same);
    assert_eq!(live_default_stacks(), live);
}

#[test]
fn each_thread_has_its_own_pool() {
    let _serial = serial();
    let mut here = corio::r#gen(|y| y.yield_(1u8));
    assert_eq!(here.next(), Some(1));
    let counts_here = default_pool_counts();

    let counts_there = std::thread::spawn(|| {
        let fresh = default_pool_counts();
        let generators: Vec<_> = (0..5u8)
            .map(|n| corio::r#gen(move |y| y.yield_(n)))
            .collect();
        let live = default_pool_counts();
        let values: Vec<u8> = generators.into_iter().flatten().collect();
        assert_eq!(values, [0, 1, 2, 3, 4]);
        (fresh, live, default_pool_counts())
    })
    .join()
    .expect("the thread panicked");

    assert_eq!(counts_there, ((0, 0), (5, 0), (5, 5)));
    assert_eq!(
        default_pool_counts(),
        counts_here,
        "another thread's stacks are not ours"
    );
    assert_eq!(here.next(), None);
}

#[test]
fn absurd_stack_sizes_are_refused_with_invalid_input() {
    for bytes in [usize::MAX, 1 << 62, corio::stack::MAX_STACK_SIZE + 1] {
        let err = corio::Generator::<(), (), ()>::try_with_stack_size(bytes, |_, ()| {})
            .expect_err("a stack this large must be refused");
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::InvalidInput,
            "{bytes}: {err}"
        );
    }
    let mut at_limit = corio::Generator::<(), (), u8>::try_with_stack_size(
        corio::stack::MAX_STACK_SIZE,
        |_, ()| 1,
    )
    .expect("the maximum itself is allowed");
    assert_eq!(at_limit.resume(()), corio::GeneratorState::Complete(1));
}
