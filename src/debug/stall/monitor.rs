//! The stall watchdog's thread: one per process, shared by every watched
//! runtime, started by the first and gone soon after the last one ends.
//!
//! One thread for the process rather than one per runtime: a
//! `Builder::new().threads(0)` program on a 64-core machine gets one
//! sleeping thread, not 64, and a program that starts many short runtimes
//! in a row (a test suite with `CORIO_STALL_MS` set) reuses it while any
//! runtime is watched. It spends its life in a `Condvar` wait that times
//! out every quarter of the smallest threshold (between 1 ms and 250 ms),
//! reads each runtime's [`Beat`](super::Beat) and goes back to sleep. It
//! is never joined, so it cannot keep the process alive; `unwatch` wakes
//! it so it exits as soon as nothing is watched.
//!
//! It touches nothing of a runtime but its `Watched`, which is `Sync`:
//! atomics and a mutex. Reports are printed after the registry's lock is
//! released, so a slow stderr (a pipe nobody reads) delays only the
//! monitor, never a runtime starting or ending.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::{Watched, warn};

/// Every watched runtime, and whether the monitor thread is alive.
struct Registry {
    entries: Vec<Entry>,
    /// Set while a monitor thread runs (from its spawn until it sees
    /// `entries` empty, under this lock): at most one at a time.
    running: bool,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    entries: Vec::new(),
    running: false,
});

/// Signalled when a runtime is watched or unwatched.
static CHANGED: Condvar = Condvar::new();

/// Name of the monitor thread (at most 15 bytes: Linux's limit).
pub(super) const THREAD_NAME: &str = "corio-stall";

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Watches `watched`, starting the monitor thread if none runs; false
/// (with a warning, and nothing watched) if it cannot be started.
pub(super) fn watch(watched: Arc<Watched>) -> bool {
    let mut registry = registry();
    if !registry.running {
        let started = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(monitor);
        if let Err(e) = started {
            drop(registry);
            warn(&format!(
                "corio: cannot start the stall watchdog's thread ({e}); the watchdog stays off"
            ));
            return false;
        }
        registry.running = true;
    }
    registry.entries.push(Entry {
        watched,
        seen: Seen::new(Instant::now()),
    });
    // Its threshold may be the smallest now.
    CHANGED.notify_all();
    true
}

/// Stops watching `watched`: its runtime is ending. A stall reported and
/// not yet seen to end did end (the loop is ending the runtime): that is
/// said here.
pub(super) fn unwatch(watched: &Arc<Watched>) {
    let entry = {
        let mut registry = registry();
        let at = registry
            .entries
            .iter()
            .position(|e| Arc::ptr_eq(&e.watched, watched));
        CHANGED.notify_all();
        at.map(|at| registry.entries.swap_remove(at))
    };
    if let Some(mut entry) = entry
        && let Some(line) = entry.ended(Instant::now())
    {
        warn(&line);
    }
}

/// The monitor thread's body.
fn monitor() {
    let mut registry = registry();
    loop {
        let Some(smallest) = registry.entries.iter().map(|e| e.watched.threshold).min() else {
            registry.running = false;
            return;
        };
        let period = (smallest / 4).clamp(Duration::from_millis(1), Duration::from_millis(250));
        registry = CHANGED
            .wait_timeout(registry, period)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
        let now = Instant::now();
        let lines: Vec<String> = registry
            .entries
            .iter_mut()
            .filter_map(|entry| entry.sample(now))
            .collect();
        if !lines.is_empty() {
            drop(registry);
            for line in &lines {
                warn(line);
            }
            registry = self::registry();
        }
    }
}

/// A watched runtime and what the monitor saw of it.
struct Entry {
    watched: Arc<Watched>,
    seen: Seen,
}

/// The monitor's memory of one runtime.
struct Seen {
    /// The resume count at the last sample.
    resumes: u64,
    /// When the last sample was taken.
    sampled: Instant,
    /// When the monitor first saw that count with a task running: the
    /// resume began after the sample before (`began` is halfway).
    since: Instant,
    began: Instant,
    /// The label of the task reported as stalling this resume, if it was.
    reported: Option<String>,
}

impl Seen {
    fn new(now: Instant) -> Self {
        Seen {
            resumes: 0,
            sampled: now,
            since: now,
            began: now,
            reported: None,
        }
    }
}

impl Entry {
    /// Looks at the runtime once; a line to print when a stall has just
    /// passed the threshold, or a reported one has just ended.
    fn sample(&mut self, now: Instant) -> Option<String> {
        // Whatever changed since the last sample changed about halfway.
        let halfway = self.seen.sampled + now.saturating_duration_since(self.seen.sampled) / 2;
        self.seen.sampled = now;
        let beat = &self.watched.beat;
        let resumes = beat.resumes.load(Ordering::Acquire);
        let running = beat.running.load(Ordering::Acquire);
        let site = beat.site.load(Ordering::Acquire);
        let settled = beat.resumes.load(Ordering::Relaxed) == resumes;
        if !settled || running == 0 || resumes != self.seen.resumes {
            // The loop has moved on (or has no task running): a new resume
            // is timed from here.
            let ended = self.ended(halfway);
            self.seen.resumes = resumes;
            self.seen.since = now;
            self.seen.began = halfway;
            return ended;
        }
        let running_for = now.saturating_duration_since(self.seen.since);
        if self.seen.reported.is_some() || running_for < self.watched.threshold {
            return None;
        }
        let name = self
            .watched
            .names
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&running)
            .cloned();
        let label = match name {
            Some(name) => format!("task {running} '{name}'"),
            None => format!("task {running}"),
        };
        // SAFETY: `site` is null or was made from a `&'static Location`
        // (`Beat::site`'s invariant, kept by `Watch::resumed`), which is
        // valid for reads forever.
        let site = unsafe { site.as_ref() };
        let site = site.map_or_else(|| "an unknown place".to_owned(), ToString::to_string);
        let line = format!(
            "corio: stall watchdog: {label} (spawned at {site}) has run for over {} without \
             parking, so no other task of its loop (thread {}) can run; a blocking call in a \
             task (std::thread::sleep, std I/O, a std Mutex) stalls them all: use corio's own \
             or corio::unblock",
            human(running_for),
            self.watched.thread,
        );
        self.seen.reported = Some(label);
        Some(line)
    }

    /// The line saying a reported stall is over, which it was at `now`.
    fn ended(&mut self, now: Instant) -> Option<String> {
        let label = self.seen.reported.take()?;
        Some(format!(
            "corio: stall watchdog: {label} gave the loop (thread {}) back after about {}",
            self.watched.thread,
            human(now.saturating_duration_since(self.seen.began)),
        ))
    }
}

/// `350 ms`, `1.5 s`.
fn human(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::Watch;

    /// A watch the monitor thread does not know of, and its entry, sampled
    /// here at made-up instants: the monitor's logic without its clock.
    fn watched_by_hand(threshold_ms: u64) -> (Watch, Entry, Instant) {
        let watched = Arc::new(Watched::new(
            Duration::from_millis(threshold_ms),
            "'loop'".into(),
        ));
        let start = Instant::now();
        let entry = Entry {
            watched: watched.clone(),
            seen: Seen::new(start),
        };
        (Watch(watched), entry, start)
    }

    #[test]
    fn a_stall_is_reported_once_and_its_end_once() {
        let (watch, mut entry, start) = watched_by_hand(100);
        let at = |ms| start + Duration::from_millis(ms);
        let site = std::panic::Location::caller();
        watch.named(7, "sleepy");
        watch.resumed(7, site);
        assert_eq!(entry.sample(at(10)), None); // first seen
        assert_eq!(entry.sample(at(60)), None); // 50 ms of 100
        let report = entry.sample(at(130)).expect("120 ms of 100: a stall");
        assert!(
            report.starts_with(&format!(
                "corio: stall watchdog: task 7 'sleepy' (spawned at {site}) has run for over \
                 120 ms without parking, so no other task of its loop (thread 'loop') can run"
            )),
            "{report}"
        );
        assert_eq!(entry.sample(at(500)), None); // once per stall
        assert_eq!(entry.sample(at(900)), None);
        watch.returned();
        let end = entry.sample(at(1010)).expect("the end of the stall");
        // It began halfway between 0 and 10 ms, ended halfway between 900
        // and 1010 ms.
        assert_eq!(
            end,
            "corio: stall watchdog: task 7 'sleepy' gave the loop (thread 'loop') back after \
             about 950 ms"
        );
        assert_eq!(entry.sample(at(2000)), None);
        // The same task again: a new stall, a new report.
        watch.resumed(7, site);
        assert_eq!(entry.sample(at(2010)), None);
        assert!(entry.sample(at(2200)).is_some());
    }

    #[test]
    fn short_resumes_and_an_idle_loop_are_not_stalls() {
        let (watch, mut entry, start) = watched_by_hand(100);
        let site = std::panic::Location::caller();
        // A resume (of an unnamed task) per sample, however long the run.
        for ms in 1..100 {
            watch.resumed(ms, site);
            assert_eq!(entry.sample(start + Duration::from_millis(ms * 90)), None);
            watch.returned();
        }
        // The loop waiting for I/O: nothing runs.
        for ms in 100..200 {
            assert_eq!(entry.sample(start + Duration::from_millis(ms * 90)), None);
        }
        // An unnamed task is reported by id.
        watch.resumed(5, site);
        let _ = entry.sample(start + Duration::from_secs(20));
        let report = entry
            .sample(start + Duration::from_secs(21))
            .expect("a stall");
        assert!(report.contains("task 5 (spawned at "), "{report}");
    }

    #[test]
    fn durations_for_people() {
        assert_eq!(human(Duration::from_millis(205)), "205 ms");
        assert_eq!(human(Duration::from_millis(1540)), "1.5 s");
    }
}
