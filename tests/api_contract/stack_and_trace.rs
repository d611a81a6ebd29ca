//! Stacks and the lifecycle trace.

use super::*;
use corio::trace::{self, Direction, Event, Html, LifecycleStep, Outcome, ParkReason, What};

pub fn items() {
    let _: usize = corio::stack::DEFAULT_STACK_SIZE;
    let _: usize = corio::stack::MIN_STACK_SIZE;
    let _: usize = corio::stack::MAX_STACK_SIZE;
    let _: fn() -> GuardKind = corio::stack::guard_kind;
    let _: fn() -> (usize, usize) = corio::stack::default_pool_counts;
    let _: fn(Duration) = corio::stack::set_decay;
    let _: fn() -> Duration = corio::stack::decay;
    let _: Duration = corio::stack::DEFAULT_DECAY;
    let _ = [GuardKind::Madvise, GuardKind::Mprotect];

    let _: fn() = trace::start;
    let _: fn() -> Vec<Event> = trace::finish;
    let _: fn() -> bool = trace::is_recording;
    let _: fn(&[Event], usize) -> String = trace::timeline;
    let _: fn(&[Event]) -> String = trace::chrome_json;
    let _: fn(&[Event]) -> String = trace::html;
    let _: fn(&[Event], u64) -> Vec<LifecycleStep> = trace::lifecycle;
    let _ = |step: LifecycleStep| -> (&'static str, &'static str, Option<usize>) {
        (step.name, step.detail, step.event)
    };
    let _ = |events: &[Event]| -> String {
        Html::new(events)
            .title("title")
            .name(1, "main")
            .lifecycle_of(1)
            .render()
    };
    let _ = |event: Event| -> (Duration, Option<u64>, What) { (event.at, event.task, event.what) };
    let _ = [
        What::Spawned,
        What::Named(String::from("main")),
        What::Resumed,
        What::Parked(ParkReason::Yield),
        What::Woken,
        What::Finished(Outcome::Returned),
        What::IoInterest {
            fd: 3,
            direction: Direction::Read,
        },
        What::LoopWaits { timeout: None },
        What::IoReady {
            fd: 3,
            readable: true,
            writable: false,
        },
    ];
    let _ = [
        ParkReason::Io {
            fd: 3,
            direction: Direction::Write,
        },
        ParkReason::Timer {
            until: Duration::ZERO,
        },
        ParkReason::Join { task: 1 },
        ParkReason::Yield,
        ParkReason::Sync,
        ParkReason::Future,
        ParkReason::Other,
    ];
    let _ = [Outcome::Returned, Outcome::Panicked, Outcome::Cancelled];
    fn display<T: Display + Debug + Clone + PartialEq>() {}
    display::<Event>();
    display::<What>();
    display::<ParkReason>();
}
