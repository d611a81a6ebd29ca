//! `corio::dump`: every task with what it waits on and a backtrace of its
//! real park point, taken at dump time without running the task's code;
//! and the adversarial places a task can be parked in (inside nested
//! generators, mid-unwind in a destructor, never started, the caller).

mod util;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use corio::debug::{State, TaskDump, WaitsOn};
use corio::sync::{Event, Mutex, channel};
use corio::{Generator, GeneratorState, TaskBuilder};

/// The function names of a task's backtrace.
fn functions(task: &TaskDump) -> Vec<String> {
    task.backtrace()
        .iter()
        .map(|f| f.function().unwrap_or("?").to_string())
        .collect()
}

fn has_frame(task: &TaskDump, name: &str) -> bool {
    functions(task).iter().any(|f| f.ends_with(name))
}

#[inline(never)]
fn parks_in_first_spot(event: &Event) {
    event.wait();
}

#[inline(never)]
fn parks_in_second_spot(event: &Event) {
    event.wait();
}

#[test]
fn the_function_that_parked_is_in_the_tasks_backtrace() {
    corio::run(|| {
        let event = Rc::new(Event::new());
        let e = event.clone();
        let task = TaskBuilder::new()
            .name("waiter")
            .spawn(move || parks_in_first_spot(&e));
        corio::yield_now();
        let dump = corio::dump();
        let dumped = dump.task(task.id()).expect("the task is in the dump");
        assert_eq!(dumped.name(), Some("waiter"));
        assert_eq!(dumped.state(), State::Parked);
        assert!(matches!(dumped.waits_on(), Some(WaitsOn::Event { .. })));
        assert!(
            has_frame(dumped, "parks_in_first_spot"),
            "{:?}",
            functions(dumped)
        );
        // The first frame is the corio call the user made.
        let first = &functions(dumped)[0];
        assert!(first.contains("Event::wait"), "first frame: {first}");
        assert!(dumped.spawned_at().file().ends_with("debug_dump.rs"));
        assert!(dumped.stack_resident().is_some_and(|bytes| bytes > 0));
        event.set();
        task.join().unwrap();
    });
}

#[test]
fn the_same_task_dumped_at_two_park_points_shows_two_different_frames() {
    corio::run(|| {
        let first = Rc::new(Event::new());
        let second = Rc::new(Event::new());
        let (a, b) = (first.clone(), second.clone());
        let task = corio::spawn(move || {
            parks_in_first_spot(&a);
            parks_in_second_spot(&b);
        });
        corio::yield_now();
        let at_first = corio::dump();
        first.set();
        corio::yield_now();
        let at_second = corio::dump();
        let (one, two) = (
            at_first.task(task.id()).unwrap(),
            at_second.task(task.id()).unwrap(),
        );
        assert!(has_frame(one, "parks_in_first_spot") && !has_frame(one, "parks_in_second_spot"));
        assert!(has_frame(two, "parks_in_second_spot") && !has_frame(two, "parks_in_first_spot"));
        second.set();
        task.join().unwrap();
    });
}

#[inline(never)]
fn dumps_itself() -> corio::Dump {
    corio::dump()
}

#[test]
fn the_task_calling_dump_is_in_it_with_its_own_backtrace() {
    corio::run(|| {
        let dump = dumps_itself();
        let me = dump
            .tasks()
            .iter()
            .find(|t| t.state() == State::Running)
            .unwrap();
        assert_eq!(me.name(), Some("main"));
        assert!(has_frame(me, "dumps_itself"), "{:?}", functions(me));
        assert!(me.waits_on().is_none());
    });
}

#[test]
fn a_task_that_never_started_is_listed_without_frames_and_still_runs() {
    corio::run(|| {
        let ran = Rc::new(Cell::new(false));
        let r = ran.clone();
        let task = corio::spawn(move || r.set(true));
        let dump = corio::dump();
        let dumped = dump.task(task.id()).unwrap();
        assert_eq!(dumped.state(), State::NotStarted);
        assert!(dumped.backtrace().is_empty());
        assert!(!ran.get());
        task.join().unwrap();
        assert!(ran.get());
    });
}

#[inline(never)]
fn inner_generator_parks(event: &Event) -> u32 {
    event.wait();
    7
}

#[test]
fn a_task_parked_inside_nested_generators_shows_their_frames_and_resumes_unchanged() {
    corio::run(|| {
        let event = Rc::new(Event::new());
        let e = event.clone();
        let task = corio::spawn(move || {
            let mut outer = Generator::<(), u32, u32>::new(move |y, ()| {
                let mut inner = Generator::<(), u32, u32>::new(move |y, ()| {
                    y.yield_(1);
                    inner_generator_parks(&e) // parks the whole task from two generators deep
                });
                let mut sum = 0;
                loop {
                    match inner.resume(()) {
                        GeneratorState::Yielded(v) => {
                            y.yield_(v);
                            sum += v;
                        }
                        GeneratorState::Complete(v) => return sum + v,
                    }
                }
            });
            let mut seen = Vec::new();
            loop {
                match outer.resume(()) {
                    GeneratorState::Yielded(v) => seen.push(v),
                    GeneratorState::Complete(v) => return (seen, v),
                }
            }
        });
        corio::yield_now();
        // Dump twice: the capture resume leaves the chain of generators as
        // it was, so a second capture and the real resume both work.
        for _ in 0..2 {
            let dump = corio::dump();
            let dumped = dump.task(task.id()).unwrap();
            assert_eq!(dumped.generators(), 2, "{dumped}");
            assert!(
                has_frame(dumped, "inner_generator_parks"),
                "{:?}",
                functions(dumped)
            );
            if std::env::var_os("SHOW_DUMP").is_some() {
                eprintln!("{dump}");
            }
            assert!(functions(dumped).iter().any(|f| f.contains("Generator")));
        }
        event.set();
        assert_eq!(task.join().unwrap(), (vec![1], 8));
    });
}

struct LocksInDrop(Rc<Mutex<Vec<u32>>>);

impl Drop for LocksInDrop {
    #[inline(never)]
    fn drop(&mut self) {
        self.0.lock().push(1); // parks while the task is cancel-unwinding
    }
}

#[test]
fn a_task_parked_in_a_destructor_while_cancelled_is_captured_and_finishes_unwinding() {
    corio::run(|| {
        let mutex = Rc::new(Mutex::new(Vec::new()));
        let guard = mutex.lock();
        let m = mutex.clone();
        let task = corio::spawn(move || {
            let _cleanup = LocksInDrop(m);
            corio::sleep(Duration::from_secs(3600));
        });
        corio::yield_now(); // it sleeps
        task.abort();
        corio::yield_now(); // it unwinds, and parks on the mutex in `drop`
        for _ in 0..2 {
            let dump = corio::dump();
            let dumped = dump.task(task.id()).unwrap();
            assert!(dumped.cancelled());
            assert_eq!(
                dumped.waits_on(),
                Some(&WaitsOn::Mutex {
                    holder: Some(dump.tasks()[0].id())
                })
            );
            assert!(has_frame(dumped, "drop"), "{:?}", functions(dumped));
        }
        drop(guard);
        assert!(task.join().unwrap_err().is_cancelled());
        assert_eq!(*mutex.lock(), [1]);
    });
}

#[test]
fn a_dump_does_not_deliver_a_pending_cancellation_or_wake_anyone() {
    corio::run(|| {
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        let (tx, rx) = channel::<u32>(1);
        let task = corio::spawn(move || {
            let got = rx.recv();
            l.borrow_mut().push(format!("{got:?}"));
        });
        corio::yield_now();
        task.abort(); // queued to unwind, not yet run
        let dump = corio::dump();
        let dumped = dump.task(task.id()).unwrap();
        assert_eq!(dumped.state(), State::Ready);
        assert!(dumped.cancelled());
        assert!(log.borrow().is_empty(), "the capture ran the task's code");
        assert!(!task.is_finished());
        assert!(task.join().unwrap_err().is_cancelled());
        assert!(log.borrow().is_empty());
        drop(tx);
    });
}

#[test]
fn many_parked_tasks_are_dumped_grouped_and_all_finish_afterwards() {
    let n = util::scaled(100_000);
    let finished = corio::run(|| {
        let event = Rc::new(Event::new());
        let done = Rc::new(Cell::new(0usize));
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (event, done) = (event.clone(), done.clone());
                corio::spawn(move || {
                    parks_in_first_spot(&event);
                    done.set(done.get() + 1);
                    i
                })
            })
            .collect();
        corio::yield_now();
        let dump = corio::dump();
        assert_eq!(dump.tasks().len(), n + 1);
        let parked = dump
            .tasks()
            .iter()
            .filter(|t| has_frame(t, "parks_in_first_spot"))
            .count();
        assert_eq!(parked, n);
        let text = dump.to_string();
        assert!(
            text.contains(&format!("{n} tasks with this stack")),
            "{}",
            &text[..2000.min(text.len())]
        );
        event.set();
        let sum: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(sum, n * (n - 1) / 2);
        done.get()
    });
    assert_eq!(finished, n);
}

#[test]
fn names_spawn_sites_and_parents_are_recorded() {
    corio::run(|| {
        let event = Rc::new(Event::new());
        let e = event.clone();
        let line = line!() + 1;
        let plain = corio::spawn(move || e.wait());
        let e = event.clone();
        corio::scope(|s| {
            let child = TaskBuilder::new()
                .name("scoped")
                .stack_size(64 * 1024)
                .spawn_scoped(s, || e.wait());
            corio::yield_now();
            let dump = corio::dump();
            let main = dump
                .tasks()
                .iter()
                .find(|t| t.name() == Some("main"))
                .unwrap();
            let p = dump.task(plain.id()).unwrap();
            assert_eq!(p.spawned_at().line(), line);
            assert_eq!(p.parent(), Some(main.id()));
            assert!(!p.scope_child());
            let c = dump
                .tasks()
                .iter()
                .find(|t| t.name() == Some("scoped"))
                .unwrap();
            assert!(c.scope_child());
            assert_eq!(c.parent(), Some(main.id()));
            // main waits for its scope's child.
            assert_eq!(main.waits_on(), None); // it is the one dumping
            let debug = format!("{child:?}");
            assert!(
                debug.contains("scoped") && debug.contains("debug_dump.rs"),
                "{debug}"
            );
            event.set();
        });
        plain.join().unwrap();
    });
}

#[test]
fn a_dump_outside_run_is_empty() {
    assert!(corio::dump().tasks().is_empty());
}

struct LocksOnClose(Rc<Mutex<Vec<u32>>>);

impl Drop for LocksOnClose {
    #[inline(never)]
    fn drop(&mut self) {
        self.0.lock().push(2); // parks the task from the generator being closed
    }
}

#[test]
fn a_task_parked_in_a_destructor_of_a_generator_being_closed_is_captured() {
    corio::run(|| {
        let mutex = Rc::new(Mutex::new(Vec::new()));
        let guard = mutex.lock();
        let m = mutex.clone();
        let task = corio::spawn(move || {
            let mut g = Generator::<(), u32, ()>::new(move |y, ()| {
                let _on_close = LocksOnClose(m);
                loop {
                    y.yield_(1);
                }
            });
            assert_eq!(g.resume(()), GeneratorState::Yielded(1));
            drop(g); // closes it: its destructor parks on the mutex
            "closed"
        });
        corio::yield_now();
        for _ in 0..2 {
            let dump = corio::dump();
            let dumped = dump.task(task.id()).unwrap();
            assert!(matches!(dumped.waits_on(), Some(WaitsOn::Mutex { .. })));
            assert_eq!(dumped.generators(), 1, "{dumped}");
            assert!(has_frame(dumped, "drop"), "{:?}", functions(dumped));
        }
        drop(guard);
        assert_eq!(task.join().unwrap(), "closed");
        assert_eq!(*mutex.lock(), [2]);
    });
}

struct LocksWhilePanicking(Rc<Mutex<Vec<u32>>>);

impl Drop for LocksWhilePanicking {
    fn drop(&mut self) {
        self.0.lock().push(3); // the task's own panic is unwinding through here
    }
}

#[test]
fn a_task_parked_in_a_destructor_of_its_own_panic_is_captured_and_panics_as_before() {
    corio::run(|| {
        let mutex = Rc::new(Mutex::new(Vec::new()));
        let guard = mutex.lock();
        let m = mutex.clone();
        let task = corio::spawn(move || {
            let _cleanup = LocksWhilePanicking(m);
            panic!("the task's own panic");
        });
        corio::yield_now();
        let dump = corio::dump();
        let dumped = dump.task(task.id()).unwrap();
        assert_eq!(dumped.state(), State::Parked);
        assert!(!dumped.cancelled());
        assert!(has_frame(dumped, "drop"), "{:?}", functions(dumped));
        drop(guard);
        let error = task.join().unwrap_err();
        assert_eq!(error.panic_message(), Some("the task's own panic"));
        assert_eq!(*mutex.lock(), [3]);
    });
}

#[test]
fn dump_from_inside_a_generator_sees_the_generator_and_captures_the_others() {
    corio::run(|| {
        let event = Rc::new(Event::new());
        let e = event.clone();
        let other = corio::spawn(move || parks_in_first_spot(&e));
        corio::yield_now();
        let mut g = Generator::<(), (), corio::Dump>::new(|_, ()| dumps_itself());
        let GeneratorState::Complete(dump) = g.resume(()) else {
            panic!("the body returns at once");
        };
        let me = dump
            .tasks()
            .iter()
            .find(|t| t.state() == State::Running)
            .unwrap();
        assert_eq!(me.generators(), 1);
        assert!(has_frame(me, "dumps_itself"), "{:?}", functions(me));
        assert!(has_frame(
            dump.task(other.id()).unwrap(),
            "parks_in_first_spot"
        ));
        event.set();
        other.join().unwrap();
    });
}

struct DumpsInDrop(Rc<RefCell<Option<corio::Dump>>>);

impl Drop for DumpsInDrop {
    fn drop(&mut self) {
        *self.0.borrow_mut() = Some(corio::dump());
    }
}

#[test]
fn dump_from_a_destructor_of_a_cancelled_task_works() {
    corio::run(|| {
        let slot = Rc::new(RefCell::new(None));
        let s = slot.clone();
        let event = Rc::new(Event::new());
        let e = event.clone();
        let waiter = corio::spawn(move || parks_in_first_spot(&e));
        let dumper = corio::spawn(move || {
            let _dumps = DumpsInDrop(s);
            corio::sleep(Duration::from_secs(3600));
        });
        corio::yield_now();
        dumper.abort();
        assert!(dumper.join().unwrap_err().is_cancelled());
        let dump = slot.borrow_mut().take().expect("the destructor dumped");
        let me = dump
            .tasks()
            .iter()
            .find(|t| t.state() == State::Running)
            .unwrap();
        assert!(me.cancelled());
        assert!(has_frame(
            dump.task(waiter.id()).unwrap(),
            "parks_in_first_spot"
        ));
        event.set();
        waiter.join().unwrap();
    });
}

#[test]
fn dump_from_a_task_with_the_smallest_stack_works() {
    corio::run(|| {
        let small = TaskBuilder::new()
            .stack_size(corio::stack::MIN_STACK_SIZE)
            .spawn(|| corio::dump().tasks().len());
        assert_eq!(small.join().unwrap(), 2);
    });
}

#[test]
fn a_dump_does_not_raise_an_expired_timeout_or_record_trace_events() {
    corio::run(|| {
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        let event = Rc::new(Event::new());
        let e = event.clone();
        let task = corio::spawn(move || {
            let outcome = corio::timeout(Duration::from_millis(1), || e.wait());
            l.borrow_mut().push(outcome.is_err());
        });
        corio::yield_now(); // it waits, under a 1 ms deadline
        std::thread::sleep(Duration::from_millis(5)); // the deadline passes
        // Yield until the loop has fired the deadline's timer and queued
        // the task (main runs first: it was queued before).
        let mut state = State::Parked;
        for _ in 0..1000 {
            corio::yield_now();
            state = corio::dump().task(task.id()).unwrap().state();
            if state == State::Ready {
                break;
            }
        }
        assert_eq!(state, State::Ready);
        corio::trace::start();
        let dump = corio::dump();
        let events = corio::trace::finish();
        assert!(
            events.iter().all(|e| e.task != Some(task.id())),
            "the capture was traced: {events:?}"
        );
        assert!(has_frame(dump.task(task.id()).unwrap(), "Event::wait"));
        assert!(
            log.borrow().is_empty(),
            "the deadline was raised by the dump"
        );
        task.join().unwrap();
        assert_eq!(*log.borrow(), [true]);
    });
}

/// Recurses with 1 KiB frames until less than `leave` bytes of stack are
/// left below (as far as a local's address tells), then parks.
#[inline(never)]
fn recurse_then_park(event: &Event, low: usize, leave: usize) -> u8 {
    let frame = [1u8; 1024];
    let here = std::hint::black_box(&frame) as *const _ as usize;
    if here < low + leave {
        event.wait();
        return frame[0];
    }
    recurse_then_park(event, low, leave) + std::hint::black_box(frame)[1] - 1
}

#[test]
fn a_task_parked_near_the_end_of_a_small_stack_is_dumped_without_overflowing() {
    // Tasks parked with less and less stack left below: those with room
    // are walked, those without are listed with no frames; none
    // overflows, and each finishes.
    let mut walked = Vec::new();
    for leave in (6..=24).rev().step_by(2).map(|kib| kib * 1024) {
        let dumped = corio::run(|| {
            let event = Rc::new(Event::new());
            let e = event.clone();
            let size = 64 * 1024;
            let task = TaskBuilder::new().stack_size(size).spawn(move || {
                let marker = 0u8;
                let top = std::hint::black_box(&marker) as *const u8 as usize;
                // At most a few KiB of the slot are above this local.
                let low = top + 2048 - size;
                recurse_then_park(&e, low, leave)
            });
            corio::yield_now();
            let dump = corio::dump();
            let dumped = dump.task(task.id()).unwrap().clone();
            event.set();
            assert_eq!(task.join().unwrap(), 1);
            dumped
        });
        let was_walked = has_frame(&dumped, "recurse_then_park");
        if !was_walked {
            assert!(dumped.to_string().contains("too little stack"), "{dumped}");
        }
        walked.push(was_walked);
    }
    // Walked with room to spare, not walked once it ran short, and never
    // walked again below that.
    assert!(walked[0], "{walked:?}");
    assert!(!walked[walked.len() - 1], "{walked:?}");
    let first_refused = walked.iter().position(|w| !w).unwrap();
    assert!(walked[first_refused..].iter().all(|w| !w), "{walked:?}");
}
