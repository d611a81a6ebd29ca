//! The `tracing` feature: every task is a `tracing` span, entered while
//! the task runs and exited when it parks, with events for what happens
//! to it, so any subscriber (a log formatter, an OpenTelemetry exporter, a
//! console) sees corio tasks the way it sees threads or tokio tasks.
//!
//! Fed from the same event sites as the recorder (`super::record`), so
//! it sees exactly what a recording would.

use std::cell::RefCell;
use std::collections::HashMap;

use tracing::Span;

use super::What;

thread_local! {
    /// The span of every live task of the thread's runtime, by task id
    /// (a thread runs one runtime at a time: `run` refuses to nest).
    static SPANS: RefCell<HashMap<u64, Span>> = RefCell::new(HashMap::new());
}

/// Held by `run` for the runtime's life: when it ends, the spans of tasks
/// that never finished (leaked by the shutdown) close, and the next
/// runtime on the thread, which numbers its tasks from 1 again, starts
/// with an empty table.
pub(crate) struct RuntimeSpans(());

impl RuntimeSpans {
    pub(crate) fn new() -> Self {
        RuntimeSpans(())
    }
}

impl Drop for RuntimeSpans {
    fn drop(&mut self) {
        // Taken out first, so a subscriber's code runs with it unborrowed.
        let table = SPANS.take();
        drop(table);
    }
}

/// Forwards one lifecycle event of `task` (or of the loop) to `tracing`.
pub(crate) fn forward(task: Option<u64>, what: &What) {
    let Some(id) = task else {
        tracing::trace!(target: "corio::loop", event = %what, "corio loop");
        return;
    };
    match what {
        What::Spawned => {
            // Created while the spawner runs, so a subscriber that tracks
            // contextual parents nests a child task under its spawner.
            let span = tracing::info_span!(
                target: "corio::task",
                "task",
                task.id = id,
                task.name = tracing::field::Empty
            );
            tracing::trace!(target: "corio::task", parent: &span, "spawned");
            SPANS.with_borrow_mut(|spans| spans.insert(id, span));
        }
        What::Named(name) => with_span(id, |span| {
            span.record("task.name", name.as_str());
        }),
        What::Resumed => with_span(id, |span| {
            span.with_subscriber(|(span_id, dispatch)| dispatch.enter(span_id));
        }),
        What::Parked(reason) => with_span(id, |span| {
            tracing::trace!(target: "corio::task", parent: span, reason = %reason, "parked");
            span.with_subscriber(|(span_id, dispatch)| dispatch.exit(span_id));
        }),
        What::Woken => with_span(id, |span| {
            tracing::trace!(target: "corio::task", parent: span, "woken");
        }),
        What::Finished(outcome) => {
            let span = SPANS.with_borrow_mut(|spans| spans.remove(&id));
            if let Some(span) = span {
                tracing::debug!(target: "corio::task", parent: &span, outcome = ?outcome, "finished");
                span.with_subscriber(|(span_id, dispatch)| dispatch.exit(span_id));
            }
        }
        other => with_span(id, |span| {
            tracing::trace!(target: "corio::task", parent: span, event = %other, "io");
        }),
    }
}

fn with_span(id: u64, f: impl FnOnce(&Span)) {
    // Cloned out so that `f` (a subscriber's code) runs with the table
    // unborrowed: a subscriber that spawns or logs must not find it busy.
    if let Some(span) = SPANS.with_borrow(|spans| spans.get(&id).cloned()) {
        f(&span);
    }
}
