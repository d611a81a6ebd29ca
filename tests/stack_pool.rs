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

/// Whether this kernel has `MADV_GUARD_INSTALL` (Linux 6.13+), asked
/// directly, independently of corio's own probe.
fn kernel_has_guard_install() -> bool {
    const MADV_GUARD_INSTALL: libc::c_int = 102;
    let page = 4096 * 16; // a multiple of any page size
    // SAFETY: a fresh private anonymous mapping aliases nothing.
    let memory = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(memory, libc::MAP_FAILED, "mmap");
    // SAFETY: the range is the mapping just made, which holds no data.
    let installed = unsafe { libc::madvise(memory, page, MADV_GUARD_INSTALL) } == 0;
    // SAFETY: the mapping is ours and nothing refers to it.
    unsafe { libc::munmap(memory, page) };
    installed
}

#[test]
fn guards_use_madvise_where_the_kernel_has_it_and_mprotect_elsewhere() {
    let expected = if kernel_has_guard_install() {
        GuardKind::Madvise
    } else {
        GuardKind::Mprotect
    };
    assert_eq!(guard_kind(), expected);
}

#[test]
fn hundred_thousand_live_generators_need_few_mappings() {
    let count = util::scaled(100_000);
    let _serial = serial();
    let maps_before = mapping_count();
    let (carved_before, free_before) = default_pool_counts();

    let mut generators: Vec<Generator<(), usize, ()>> = (0..count)
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
    if guard_kind() == GuardKind::Madvise {
        assert!(
            maps_after.saturating_sub(maps_before) < 100,
            "{count} live stacks grew /proc/self/maps from {maps_before} to {maps_after} lines"
        );
    } else {
        // mprotect guards split the reservation: a guard and a stack mapping
        // per slot, which is why this kernel is warned about.
        assert!(
            maps_after >= maps_before + count,
            "{count} live stacks with mprotect guards: {maps_before} -> {maps_after} lines"
        );
    }
    let (carved_live, free_live) = default_pool_counts();
    assert_eq!(carved_live - free_live, carved_before - free_before + count);

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
        free_live + count,
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

    for round in 0..util::scaled(1_000) {
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
    let _serial = serial();
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

/// Bytes of address space this process has mapped, from `/proc/self/maps`.
fn mapped_bytes() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .expect("cannot read /proc/self/maps")
        .lines()
        .map(|line| {
            let range = line.split_whitespace().next().expect("an address range");
            let (start, end) = range.split_once('-').expect("start-end");
            let parse = |hex| usize::from_str_radix(hex, 16).expect("a hex address");
            parse(end) - parse(start)
        })
        .sum()
}

#[test]
fn a_one_gib_stack_maps_about_one_gib() {
    const GIB: usize = 1 << 30;
    let _serial = serial();
    let before = mapped_bytes();
    let mut g = Generator::<(), usize, ()>::with_stack_size(GIB, |y, ()| {
        let local = std::hint::black_box([1u8; 64]);
        y.yield_(std::ptr::from_ref(&local) as usize);
    });
    let GeneratorState::Yielded(address) = g.resume(()) else {
        panic!("the generator yields first");
    };
    let grown = mapped_bytes() - before;
    // One slot: the stack and its guard page. Other threads of this test
    // binary may map a little meanwhile (their stacks, malloc arenas), so
    // allow some slack, far below the 16 GiB a 16-slot chunk would take.
    assert!(
        (GIB..GIB + GIB / 4).contains(&grown),
        "a 1 GiB stack grew the address space by {grown} bytes"
    );
    assert!(address > 0);
    drop(g);
}

#[test]
fn big_stacks_work_under_an_address_space_limit() {
    use std::os::unix::process::CommandExt;
    /// `ulimit -v 4000000`: KiB of address space.
    const LIMIT_BYTES: libc::rlim_t = 4_000_000 * 1024;
    let mut command = util::process::scenario("big_stacks");
    // SAFETY: the closure runs in the forked child before exec; it only
    // calls setrlimit, which is async-signal-safe, and allocates nothing.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: LIMIT_BYTES,
                rlim_max: LIMIT_BYTES,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        })
    };
    let output = util::process::output_of(&mut command);
    util::process::assert_success(&output);
    assert!(util::process::stdout_text(&output).contains("big stacks: ok"));
}

/// Runs the `stack_decay` child and parses its `label rss_kib carved` lines.
fn decay_report() -> std::collections::HashMap<String, (u64, u64)> {
    let output = util::process::run_scenario("stack_decay");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "stack_decay failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 3, "{line}");
            let number = |s: &str| s.parse::<u64>().unwrap_or_else(|_| panic!("{line}"));
            (fields[0].to_owned(), (number(fields[1]), number(fields[2])))
        })
        .collect()
}

#[test]
fn freed_stacks_keep_their_pages_for_the_decay_time_then_rss_falls() {
    let report = decay_report();
    let (start, _) = report["start"];
    let (burst, carved) = report["burst"];
    let (again, carved_again) = report["again"];
    let (decayed, _) = report["decayed"];
    let (no_decay, carved_last) = report["no-decay"];
    // 3000 tasks touching 32 KiB each: about 94 MiB while they live.
    let grown = burst.saturating_sub(start);
    assert!(
        grown > 60 * 1024,
        "the burst grew RSS by only {grown} KiB: {report:?}"
    );
    // A second burst within the decay time reuses the resident slots: no
    // new slot, no new memory (a few percent of slack for the allocator).
    assert_eq!(carved_again, carved, "{report:?}");
    assert!(again <= burst + grown / 10, "{report:?}");
    // Idle past the decay time, the loop handed the pages back: what is
    // left is the warm cache (64 slots) and the allocator's own.
    let left = decayed.saturating_sub(start);
    assert!(
        left < grown / 5,
        "{left} KiB of {grown} KiB still resident: {report:?}"
    );
    // With no decay, pages go back as the stacks are freed.
    assert_eq!(carved_last, carved, "{report:?}");
    let left = no_decay.saturating_sub(start);
    assert!(
        left < grown / 5,
        "{left} KiB of {grown} KiB still resident: {report:?}"
    );
}
