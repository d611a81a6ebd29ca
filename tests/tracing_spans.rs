//! The `tracing` feature seen by a subscriber: one span per task, nested
//! under its spawner, entered exactly while the task runs, events for park
//! (with the reason), wake and finish, and the task's own events inside
//! its span across parks. Run with `cargo test --features tracing` (without
//! the feature this file compiles to nothing).
#![cfg(feature = "tracing")]

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// What the subscriber saw, in order.
#[derive(Clone, Debug, PartialEq)]
enum Seen {
    NewSpan {
        span: u64,
        task: u64,
        parent: Option<u64>,
    },
    Enter(u64),
    Exit(u64),
    Event {
        span: Option<u64>,
        message: String,
        fields: String,
    },
}

#[derive(Default)]
struct Log {
    seen: Vec<Seen>,
    /// The entered spans, innermost last (one thread here).
    stack: Vec<u64>,
}

#[derive(Clone, Default)]
struct Capture {
    log: Arc<Mutex<Log>>,
    next: Arc<AtomicU64>,
}

/// Collects an event's or span's fields as text, and its message apart.
#[derive(Default)]
struct Fields {
    message: String,
    task: Option<u64>,
    text: String,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "task.id" {
            self.task = Some(value);
        }
        self.text.push_str(&format!("{}={value} ", field.name()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.text.push_str(&format!("{}={value:?} ", field.name()));
        }
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let span = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let mut log = self.log.lock().unwrap();
        let parent = match attrs.parent() {
            Some(parent) => Some(parent.into_u64()),
            None if attrs.is_contextual() => log.stack.last().copied(),
            None => None,
        };
        if let Some(task) = fields.task {
            log.seen.push(Seen::NewSpan { span, task, parent });
        }
        Id::from_u64(span)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut log = self.log.lock().unwrap();
        let span = match event.parent() {
            Some(parent) => Some(parent.into_u64()),
            None if event.is_contextual() => log.stack.last().copied(),
            None => None,
        };
        if event.metadata().target() != "corio::loop" {
            log.seen.push(Seen::Event {
                span,
                message: fields.message,
                fields: fields.text,
            });
        }
    }

    fn enter(&self, span: &Id) {
        let mut log = self.log.lock().unwrap();
        log.stack.push(span.into_u64());
        log.seen.push(Seen::Enter(span.into_u64()));
    }

    fn exit(&self, span: &Id) {
        let mut log = self.log.lock().unwrap();
        let top = log.stack.pop();
        assert_eq!(
            top,
            Some(span.into_u64()),
            "spans exit in the order they were entered"
        );
        log.seen.push(Seen::Exit(span.into_u64()));
    }
}

/// Runs `f` in `corio::run` under a capturing subscriber.
fn captured(f: impl FnOnce()) -> Vec<Seen> {
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || corio::run(f));
    let log = capture.log.lock().unwrap();
    assert!(
        log.stack.is_empty(),
        "every entered span was exited: {:?}",
        log.stack
    );
    log.seen.clone()
}

/// The span id of each task id.
fn spans(seen: &[Seen]) -> HashMap<u64, (u64, Option<u64>)> {
    seen.iter()
        .filter_map(|s| match *s {
            Seen::NewSpan { span, task, parent } => Some((task, (span, parent))),
            _ => None,
        })
        .collect()
}

#[test]
fn each_task_is_a_span_nested_under_its_spawner_and_entered_while_it_runs() {
    let seen = captured(|| {
        let sleepers: Vec<_> = (0..2)
            .map(|i| {
                corio::spawn(move || {
                    tracing::info!("before the sleep {i}");
                    corio::sleep(Duration::from_millis(5));
                    tracing::info!("after the sleep {i}");
                })
            })
            .collect();
        for sleeper in sleepers {
            sleeper.join().unwrap();
        }
    });
    let spans = spans(&seen);
    assert_eq!(spans.len(), 3, "main and two sleepers: {seen:#?}");
    let (main_span, main_parent) = spans[&1];
    assert_eq!(main_parent, None);
    for task in [2, 3] {
        assert_eq!(
            spans[&task].1,
            Some(main_span),
            "task {task} nests under main"
        );
    }

    // Enters and exits alternate per span, and only one task's span is
    // ever entered at a time (one task runs at a time).
    let mut entered: Option<u64> = None;
    for s in &seen {
        match *s {
            Seen::Enter(span) => {
                assert_eq!(entered, None, "{span} entered inside {entered:?}");
                entered = Some(span);
            }
            Seen::Exit(span) => {
                assert_eq!(entered, Some(span));
                entered = None;
            }
            _ => {}
        }
    }

    // The sleepers' own events sit in their span, before and after the
    // park, and each park and wake is an event of that span.
    for (i, task) in [2u64, 3].into_iter().enumerate() {
        let span = Some(spans[&task].0);
        let events: Vec<(&str, &str)> = seen
            .iter()
            .filter_map(|s| match s {
                Seen::Event {
                    span: s,
                    message,
                    fields,
                } if *s == span => Some((message.as_str(), fields.as_str())),
                _ => None,
            })
            .collect();
        let messages: Vec<&str> = events.iter().map(|e| e.0).collect();
        let before = format!("before the sleep {i}");
        let after = format!("after the sleep {i}");
        let position = |m: &str| messages.iter().position(|x| *x == m);
        let order = [
            position("spawned"),
            position(&before),
            position("parked"),
            position("woken"),
            position(&after),
            position("finished"),
        ];
        assert!(order.iter().all(Option::is_some), "task {task}: {events:?}");
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "task {task}: {events:?}"
        );
        let parked = events.iter().find(|e| e.0 == "parked").unwrap();
        assert!(parked.1.contains("sleeps until"), "{parked:?}");
        let finished = events.iter().find(|e| e.0 == "finished").unwrap();
        assert!(finished.1.contains("Returned"), "{finished:?}");
    }
}

#[test]
fn the_next_run_on_the_thread_starts_with_fresh_spans() {
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
        for round in 0..2 {
            corio::run(move || {
                tracing::info!("main of run {round}");
                corio::spawn(corio::yield_now).join().unwrap();
            });
        }
    });
    let seen = capture.log.lock().unwrap().seen.clone();
    // Each run numbers its tasks 1 and 2: four spans, and main's events of
    // each run in that run's own span.
    let mains: Vec<u64> = seen
        .iter()
        .filter_map(|s| match *s {
            Seen::NewSpan { span, task: 1, .. } => Some(span),
            _ => None,
        })
        .collect();
    assert_eq!(mains.len(), 2, "{seen:#?}");
    for (round, main) in mains.iter().enumerate() {
        let message = format!("main of run {round}");
        let span = seen.iter().find_map(|s| match s {
            Seen::Event {
                span, message: m, ..
            } if *m == message => Some(*span),
            _ => None,
        });
        assert_eq!(span, Some(Some(*main)), "{seen:#?}");
    }
}
