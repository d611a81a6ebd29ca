//! Scenarios of `tests/stall_watchdog.rs`: the watchdog writes to the
//! process's stderr from a thread of its own, and `CORIO_STALL_MS` is read
//! when a runtime starts, so each runs in a process of its own.
//!
//! Each prints to stdout what the test needs to know to check the reports
//! (the ids and spawn sites of the tasks that stall).

use std::time::Duration;

use corio::{Builder, Generator, TaskBuilder};

/// The threshold the scenarios set: far below their stalls, far above
/// anything else a task does here.
const THRESHOLD: Duration = Duration::from_millis(200);

/// How long a deliberate stall lasts.
const STALL: Duration = Duration::from_millis(1500);

/// The spawn site of a task spawned on the line after the call.
#[track_caller]
fn next_line() -> String {
    let here = std::panic::Location::caller();
    format!("{}:{}", here.file(), here.line() + 1)
}

/// A task named `sleepy` blocks its loop once, with `std::thread::sleep`.
pub fn one_long_stall() {
    Builder::new().stall_threshold(THRESHOLD).run_local(|| {
        let named = TaskBuilder::new().name("sleepy");
        let site = next_line();
        let sleepy = named.spawn(|| std::thread::sleep(STALL));
        println!("sleepy: task {} spawned at {site}", sleepy.id());
        sleepy.join().unwrap();
    });
}

/// `sleepy` stalls twice, yielding in between; then the main task stalls
/// inside a generator it resumes. Three stalls, in that order.
pub fn three_stalls() {
    Builder::new().stall_threshold(THRESHOLD).run_local(|| {
        let named = TaskBuilder::new().name("sleepy");
        let site = next_line();
        let sleepy = named.spawn(|| {
            std::thread::sleep(STALL);
            corio::yield_now();
            std::thread::sleep(STALL);
        });
        println!("sleepy: task {} spawned at {site}", sleepy.id());
        sleepy.join().unwrap();
        let mut blocking = Generator::<(), (), ()>::new(|_, ()| std::thread::sleep(STALL));
        blocking.resume(());
    });
}

/// Many short tasks that park and yield all the time keep the loop busy
/// for a while, with a threshold generous enough that no resume of theirs
/// can reach it; then `sleepy` stalls once, showing the watchdog was on.
pub fn busy_then_one_stall() {
    let threshold = Duration::from_secs(1);
    let stall = Duration::from_millis(2500);
    Builder::new().stall_threshold(threshold).run_local(|| {
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                TaskBuilder::new().name(format!("busy {i}")).spawn(move || {
                    let mut sum = 0u64;
                    for round in 0..2000u64 {
                        sum = sum.wrapping_add(std::hint::black_box(round * i));
                        if round % 4 == 0 {
                            corio::sleep(Duration::from_millis(1));
                        } else {
                            corio::yield_now();
                        }
                    }
                    sum
                })
            })
            .collect();
        for task in tasks {
            task.join().unwrap();
        }
        println!("busy tasks done");
        let named = TaskBuilder::new().name("sleepy");
        let site = next_line();
        let sleepy = named.spawn(move || std::thread::sleep(stall));
        println!("sleepy: task {} spawned at {site}", sleepy.id());
        sleepy.join().unwrap();
    });
}

/// A stall under `corio::run` (no builder setting) or, when
/// `TEST_STALL_BUILDER_MS` is set, under a builder with that threshold:
/// for the tests of `CORIO_STALL_MS` and of which setting wins.
pub fn stall_with_env() {
    let builder_ms = std::env::var("TEST_STALL_BUILDER_MS").ok();
    let main = || {
        let named = TaskBuilder::new().name("sleepy");
        let site = next_line();
        let sleepy = named.spawn(|| std::thread::sleep(STALL));
        println!("sleepy: task {} spawned at {site}", sleepy.id());
        sleepy.join().unwrap();
    };
    match builder_ms {
        None => corio::run(main),
        Some(ms) => Builder::new()
            .stall_threshold(Duration::from_millis(ms.parse().expect("a number of ms")))
            .run_local(main),
    }
    println!("finished");
}

/// The names of this process's threads.
fn thread_names() -> Vec<String> {
    let tasks = std::fs::read_dir("/proc/self/task").expect("list this process's threads");
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim_end().to_owned())
        .collect()
}

/// How many threads of this process are the watchdog's.
fn monitor_threads() -> usize {
    thread_names()
        .iter()
        .filter(|name| *name == "corio-stall")
        .count()
}

/// [`monitor_threads`] once it is `wanted`, or after 10 s: a new thread
/// names itself after it starts, and one that ends does so on its own time.
fn monitor_threads_once(wanted: usize) -> usize {
    let mut seen = monitor_threads();
    for _ in 0..1000 {
        if seen == wanted {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
        seen = monitor_threads();
    }
    seen
}

/// Counts the threads of this process: in a runtime without a threshold
/// (as many as before it, none the watchdog's), in two runtimes with one
/// (of `Builder::run`, the second stalling), and after they have ended.
pub fn monitor_thread() {
    let before = thread_names().len();
    corio::run(|| {
        let threads = thread_names().len();
        println!(
            "off: {} new, {} watchdog",
            threads - before,
            monitor_threads()
        );
    });
    let counted = Builder::new()
        .threads(2)
        .stall_threshold(THRESHOLD)
        .run(|| {
            if corio::thread_index() == 1 {
                std::thread::sleep(STALL);
                None
            } else {
                // Had each runtime its own, there would be two by now.
                corio::sleep(Duration::from_millis(100));
                Some(monitor_threads_once(1))
            }
        });
    println!("two runtimes: {}", counted[0].expect("thread 0 counted"));
    println!("after: {}", monitor_threads_once(0));
}

/// Blocks the thread when dropped: a destructor that stalls its loop.
struct SleepsInDrop;

impl Drop for SleepsInDrop {
    fn drop(&mut self) {
        std::thread::sleep(STALL);
    }
}

/// Two destructors the loop runs on its own stack block it: the body of a
/// task aborted before it ever ran (`unrun`), and the output of a detached
/// task (`detached`), dropped when it finishes. Each is its task's code, so
/// each is reported under its task's name.
pub fn stalls_in_destructors() {
    Builder::new().stall_threshold(THRESHOLD).run_local(|| {
        let guard = SleepsInDrop;
        let unrun = TaskBuilder::new().name("unrun").spawn(move || drop(guard));
        unrun.abort();
        assert!(unrun.join().unwrap_err().is_cancelled());
        let detached = TaskBuilder::new().name("detached").spawn(|| SleepsInDrop);
        let id = detached.id();
        drop(detached);
        // Parks until the detached task has finished and its output, which
        // nobody will read, has been dropped.
        corio::sleep(Duration::from_millis(50));
        println!("detached: task {id}");
    });
}
