//! Seeing inside: task names and spawn sites, `dump`, `dump_on_sigquit`.

use super::*;
use corio::TaskBuilder;
use corio::debug::{Direction, Dump, Frame, State, TaskDump, WaitsOn};
use std::panic::Location;

pub fn builder_spawn<T: 'static, F: FnOnce() -> T + 'static>(
    b: TaskBuilder,
    f: F,
) -> JoinHandle<T> {
    b.spawn(f)
}

pub fn builder_spawn_scoped<'scope, 'env, T: 'scope, F: FnOnce() -> T + 'scope>(
    b: TaskBuilder,
    s: &'scope Scope<'scope, 'env>,
    f: F,
) -> ScopedJoinHandle<'scope, T> {
    b.spawn_scoped(s, f)
}

pub fn items() {
    let _: fn() -> TaskBuilder = TaskBuilder::new;
    let _ = |b: TaskBuilder| -> TaskBuilder { b.name("n").name(String::from("m")) };
    let _: fn(TaskBuilder, usize) -> TaskBuilder = TaskBuilder::stack_size;
    fn builder<T: Clone + Default + Debug>() {}
    builder::<TaskBuilder>();

    let _: fn() -> Dump = corio::dump;
    let _: fn() -> corio::Dump = corio::debug::dump;
    let _: fn() -> io::Result<()> = corio::dump_on_sigquit;
    let _: fn() -> io::Result<()> = corio::debug::dump_on_sigquit;

    let _: fn(&Dump) -> &[TaskDump] = Dump::tasks;
    let _: for<'a> fn(&'a Dump, u64) -> Option<&'a TaskDump> = Dump::task;
    let _: fn(&Dump) -> Option<&[u64]> = Dump::cycle;
    let _: fn(&Dump) -> Option<String> = Dump::describe_cycle;
    let _: fn(&Dump) -> Instant = Dump::taken_at;
    fn report<T: Display + Debug + Clone>() {}
    report::<Dump>();
    report::<TaskDump>();
    // A dump can be handed to another thread to print or ship.
    fn shareable<T: Send + Sync>() {}
    shareable::<Dump>();

    let _: fn(&TaskDump) -> u64 = TaskDump::id;
    let _: fn(&TaskDump) -> Option<&str> = TaskDump::name;
    let _: fn(&TaskDump) -> State = TaskDump::state;
    let _: fn(&TaskDump) -> bool = TaskDump::cancelled;
    let _: fn(&TaskDump) -> Option<&WaitsOn> = TaskDump::waits_on;
    let _: fn(&TaskDump) -> Option<Duration> = TaskDump::waiting_for;
    let _: fn(&TaskDump) -> &'static Location<'static> = TaskDump::spawned_at;
    let _: fn(&TaskDump) -> Option<u64> = TaskDump::parent;
    let _: fn(&TaskDump) -> bool = TaskDump::scope_child;
    let _: fn(&TaskDump) -> Option<usize> = TaskDump::stack_resident;
    let _: fn(&TaskDump) -> usize = TaskDump::generators;
    let _: fn(&TaskDump) -> &[Frame] = TaskDump::backtrace;

    let _: fn(&Frame) -> Option<&str> = Frame::function;
    let _: fn(&Frame) -> Option<&str> = Frame::file;
    let _: fn(&Frame) -> Option<u32> = Frame::line;
    fn frame<T: Clone + Debug + Eq + std::hash::Hash>() {}
    frame::<Frame>();

    fn state<T: Copy + Eq + Debug + std::hash::Hash>() {}
    state::<State>();
    let _ = [
        State::Running,
        State::Ready,
        State::Parked,
        State::NotStarted,
    ];
    fn waits<T: Clone + Eq + Debug + Display>() {}
    waits::<WaitsOn>();
    let _ = [
        WaitsOn::Socket {
            fd: 3,
            direction: Direction::Read,
            peer: None::<SocketAddr>,
            local: None,
        },
        WaitsOn::Timer {
            deadline: Instant::now(),
        },
        WaitsOn::Task { id: 1 },
        WaitsOn::Channel {
            channel: 0,
            sending: true,
        },
        WaitsOn::Semaphore { semaphore: 0 },
        WaitsOn::Mutex { holder: Some(1) },
        WaitsOn::Event { event: 0 },
        WaitsOn::Future,
        WaitsOn::Race,
        WaitsOn::FreeFd,
        WaitsOn::Yield,
        WaitsOn::Other,
    ];

    // A named task, in a dump, through the pinned names.
    corio::run(|| {
        let h = builder_spawn(TaskBuilder::new().name("pinned"), || 5);
        let dump = corio::dump();
        assert_eq!(dump.task(h.id()).and_then(TaskDump::name), Some("pinned"));
        let n = corio::scope(|s| {
            builder_spawn_scoped(TaskBuilder::new().stack_size(64 * 1024), s, || 6)
                .join()
                .unwrap()
        });
        assert_eq!(h.join().unwrap() + n, 11);
    });
}
