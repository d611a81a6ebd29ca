//! The articles' lifecycle drawing (start -> await I/O -> yield control to
//! the event loop -> the loop watches -> I/O completes -> resume -> done),
//! found step by step among the recorded events of one task and the loop.

use super::{Direction, Event, Outcome, ParkReason, What};

/// One step of the lifecycle drawing, with the recorded event that is it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifecycleStep {
    /// The article's name for the step ("await I/O", "I/O completes", ...).
    pub name: &'static str,
    /// What corio does at that point, in a few words.
    pub detail: &'static str,
    /// The index in the events of the first event after the previous
    /// step's that is this step; `None` if none was recorded (and then for
    /// every later step too).
    pub event: Option<usize>,
}

/// One step and how to recognise its event, given the task and the fd its
/// first blocked read waits on (learnt at the "await I/O" step).
struct Step {
    name: &'static str,
    detail: &'static str,
    matches: fn(&Event, u64, Option<i32>) -> bool,
}

const STEPS: &[Step] = &[
    Step {
        name: "Start",
        detail: "the task is created",
        matches: |e, task, _| e.task == Some(task) && e.what == What::Spawned,
    },
    Step {
        name: "Start",
        detail: "it runs for the first time",
        matches: |e, task, _| e.task == Some(task) && e.what == What::Resumed,
    },
    Step {
        name: "await I/O",
        detail: "the read would block: register interest with mio",
        matches: |e, task, _| {
            e.task == Some(task)
                && matches!(
                    e.what,
                    What::IoInterest {
                        direction: Direction::Read,
                        ..
                    }
                )
        },
    },
    Step {
        name: "yield control to the event loop",
        detail: "the task's stack is suspended mid-read",
        matches: |e, task, fd| {
            e.task == Some(task)
                && matches!(e.what, What::Parked(ParkReason::Io { fd: f, .. }) if Some(f) == fd)
        },
    },
    Step {
        name: "event loop watches for the data",
        detail: "nothing to run: the loop waits in epoll",
        matches: |e, _, _| matches!(e.what, What::LoopWaits { .. }),
    },
    Step {
        name: "I/O completes",
        detail: "epoll reports the socket readable",
        matches: |e, _, fd| matches!(e.what, What::IoReady { fd: f, readable: true, .. } if Some(f) == fd),
    },
    Step {
        name: "resume coroutine",
        detail: "the waiting task is made ready",
        matches: |e, task, _| e.task == Some(task) && e.what == What::Woken,
    },
    Step {
        name: "resume coroutine",
        detail: "its stack continues inside read(), which now returns data",
        matches: |e, task, _| e.task == Some(task) && e.what == What::Resumed,
    },
    Step {
        name: "Done",
        detail: "the task returned",
        matches: |e, task, _| e.task == Some(task) && e.what == What::Finished(Outcome::Returned),
    },
];

/// Finds the lifecycle drawing's steps for `task`: each step is the first
/// event after the previous step's that matches it. Every step is listed;
/// from the first one not recorded on, `event` is `None`.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use corio::net::{TcpListener, TcpStream};
/// use corio::trace::{self, What};
///
/// let (events, reader) = corio::run(|| {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     trace::start();
///     let reader = corio::spawn(move || {
///         let mut stream = TcpStream::connect(addr).unwrap();
///         let mut byte = [0; 1];
///         stream.read_exact(&mut byte).unwrap(); // waits: the I/O lifecycle
///     });
///     let (mut peer, _) = listener.accept().unwrap();
///     corio::sleep(std::time::Duration::from_millis(5));
///     peer.write_all(b"!").unwrap();
///     reader.join().unwrap();
///     let events = trace::finish();
///     let reader = events.iter().find(|e| e.what == What::Spawned).unwrap().task.unwrap();
///     (events, reader)
/// });
/// let steps = trace::lifecycle(&events, reader);
/// assert!(steps.iter().all(|s| s.event.is_some()), "{steps:?}");
/// assert_eq!(steps.last().unwrap().name, "Done");
/// ```
pub fn lifecycle(events: &[Event], task: u64) -> Vec<LifecycleStep> {
    let mut next = 0;
    let mut fd = None;
    let mut missing = false;
    STEPS
        .iter()
        .map(|step| {
            let found = if missing {
                None
            } else {
                events[next..]
                    .iter()
                    .position(|e| (step.matches)(e, task, fd))
                    .map(|offset| next + offset)
            };
            match found {
                Some(index) => {
                    next = index + 1;
                    if let What::IoInterest { fd: f, .. } = events[index].what {
                        fd = Some(f);
                    }
                }
                None => missing = true,
            }
            LifecycleStep {
                name: step.name,
                detail: step.detail,
                event: found,
            }
        })
        .collect()
}
