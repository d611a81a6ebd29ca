//! The stall watchdog, the loop's side: what a runtime publishes so that a
//! thread of its own can tell, without touching the runtime, that one task
//! has held the loop for too long.
//!
//! A task that calls something blocking (`std::thread::sleep`, a std
//! socket, a sync HTTP client, a std `Mutex` held across a slow call)
//! stops every task of its loop, and nothing says so: the program just
//! goes quiet. With a threshold set ([`crate::Builder::stall_threshold`]
//! or `CORIO_STALL_MS`), the loop publishes, on each resume of a task,
//! which task it is and where it was spawned; a monitor thread
//! (`stall/monitor.rs`) samples that and, when the same resume has lasted
//! longer than the threshold, prints the task's id, name, spawn site and
//! how long it has run, once per stall, and a second line when the loop
//! gets control back.
//!
//! # What one resume costs
//!
//! Off (the default), a resume tests `Scheduler::stall`, which is always
//! `None`, twice (once on the way in, once on the way out): branches that
//! are always predicted. On, the switch to a task stores three words into
//! a cache line of this runtime's own, with no read-modify-write
//! instruction (the loop is the only writer, so the counter is a load and
//! a store), and the return to the loop stores one. Names are not
//! published per resume: a named task's name goes into
//! [`Watched::names`] when it is spawned, and out when it finishes; the
//! monitor looks it up only when it reports. Counted with callgrind, a
//! `yield_now` switch between two tasks (about 270 instructions) costs 7
//! more off and 13 more on.
//!
//! # What counts
//!
//! Time inside one resume of a task: the main task (named `main`) counts,
//! and so does a generator resumed by a task (its time is the task's). The
//! loop's own work between resumes, and its waits for I/O and timers, do
//! not: an idle loop is not stalled. Many short resumes that together keep
//! the loop from polling for long are not one stall either: the driver
//! polls after at most `TASKS_PER_TURN` of them.

mod monitor;

use std::collections::HashMap;
use std::panic::Location;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::time::Duration;

/// The environment variable read when a runtime starts: the threshold in
/// milliseconds. [`crate::Builder::stall_threshold`] wins over it.
pub(crate) const ENV: &str = "CORIO_STALL_MS";

/// The threshold a runtime runs with: its builder's if one was set (zero
/// turns the watchdog off), else [`ENV`]'s, else none (off).
pub(crate) fn threshold(configured: Option<Duration>) -> Option<Duration> {
    match configured {
        Some(threshold) => (!threshold.is_zero()).then_some(threshold),
        None => from_env(),
    }
}

/// [`ENV`] as a threshold: unset, empty or `0` is off; anything but a
/// whole number of milliseconds is off too, with a warning (once per
/// process: a program may start many runtimes).
fn from_env() -> Option<Duration> {
    let value = std::env::var_os(ENV)?;
    match parse_millis(value.to_str()) {
        Ok(threshold) => threshold,
        Err(()) => {
            static WARNED: Once = Once::new();
            WARNED.call_once(|| {
                warn(&format!(
                    "corio: ignoring {ENV}={value:?}: expected a whole number of milliseconds \
                     (unset or 0: off); the stall watchdog stays off"
                ));
            });
            None
        }
    }
}

/// `Ok(None)` for off (empty or `0`), `Ok(Some(_))` for a threshold,
/// `Err` for anything else (not UTF-8, not a number, negative).
fn parse_millis(value: Option<&str>) -> Result<Option<Duration>, ()> {
    let value = value.ok_or(())?.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let millis: u64 = value.parse().map_err(|_| ())?;
    Ok((millis != 0).then(|| Duration::from_millis(millis)))
}

/// Writes `line` and a newline to stderr. Not `eprintln!`, which panics
/// when stderr is gone: the watchdog must never take the program down.
fn warn(line: &str) {
    let mut text = String::with_capacity(line.len() + 1);
    text.push_str(line);
    text.push('\n');
    let _ = std::io::Write::write_all(&mut std::io::stderr(), text.as_bytes());
}

/// What a loop publishes on every resume, for the monitor to sample.
/// Aligned to a cache line of its own, so that the loop's stores never
/// share one with anything else.
///
/// The loop is the only writer. A resume stores `resumes` (plain), then
/// `site` and `running` (release); the return to the loop stores
/// `running = 0`, so between two resumes `running` is 0. The monitor reads
/// `resumes`, `running`, `site` (acquire) and `resumes` again, and uses
/// the snapshot only if both counts are equal and `running` is not 0:
/// then `running` and `site` belong to that very resume (a later resume
/// stores both after its count, with release, so reading either makes the
/// second count differ).
#[repr(align(64))]
struct Beat {
    /// How many resumes the loop has started (wrapping).
    resumes: AtomicU64,
    /// The id of the task being resumed; 0 while the loop runs its own
    /// code or waits for I/O and timers.
    running: AtomicU64,
    /// Where that task was spawned: null before the first resume, and
    /// otherwise always made from a `&'static Location<'static>`.
    site: AtomicPtr<Location<'static>>,
}

/// One watched runtime: what its loop publishes, and what the monitor
/// needs to describe it.
struct Watched {
    beat: Beat,
    /// The names of this runtime's named, unfinished tasks, by id: filled
    /// at spawn, emptied as they finish (an abandoned task's entry stays
    /// until the runtime ends). Unnamed tasks have no entry.
    names: Mutex<HashMap<u64, String>>,
    threshold: Duration,
    /// The loop's thread, as the reports name it (`'main'`, `'corio-1'`).
    thread: String,
}

impl Watched {
    fn new(threshold: Duration, thread: String) -> Self {
        Watched {
            beat: Beat {
                resumes: AtomicU64::new(0),
                running: AtomicU64::new(0),
                site: AtomicPtr::new(ptr::null_mut()),
            },
            names: Mutex::new(HashMap::new()),
            threshold,
            thread,
        }
    }
}

/// A runtime's stall watch: registered with the monitor while it lives
/// (the runtime holds it, so it ends with the runtime, also when `run`
/// unwinds).
pub(crate) struct Watch(Arc<Watched>);

impl Watch {
    /// The watch of a runtime whose builder set `configured` (see
    /// [`threshold`]), or `None` when the watchdog is off, or when its
    /// thread cannot be started (then with a warning).
    pub(crate) fn start(configured: Option<Duration>) -> Option<Watch> {
        let threshold = threshold(configured)?;
        let thread = std::thread::current();
        let thread = match thread.name() {
            Some(name) => format!("'{name}'"),
            None => format!("{:?}", thread.id()),
        };
        let watched = Arc::new(Watched::new(threshold, thread));
        monitor::watch(watched.clone()).then_some(Watch(watched))
    }

    /// Records the name of a task just spawned, so a report can show it.
    pub(crate) fn named(&self, id: u64, name: &str) {
        self.names().insert(id, name.to_owned());
    }

    /// Forgets the name of a task that finished.
    pub(crate) fn unnamed(&self, id: u64) {
        self.names().remove(&id);
    }

    /// Publishes that the loop is switching to task `id`, spawned at
    /// `site`.
    #[inline]
    pub(crate) fn resumed(&self, id: u64, site: &'static Location<'static>) {
        let beat = &self.0.beat;
        let count = beat.resumes.load(Ordering::Relaxed).wrapping_add(1);
        beat.resumes.store(count, Ordering::Relaxed);
        beat.site
            .store(ptr::from_ref(site).cast_mut(), Ordering::Release);
        beat.running.store(id, Ordering::Release);
    }

    /// Publishes that the loop has control again.
    #[inline]
    pub(crate) fn returned(&self) {
        self.0.beat.running.store(0, Ordering::Release);
    }

    /// For the destructors the loop runs once task `id` has finished:
    /// [`resumed`](Watch::resumed) now; when the guard is dropped (also
    /// if a destructor panics), [`returned`](Watch::returned) and, for a
    /// `named` task, [`unnamed`](Watch::unnamed).
    pub(crate) fn finishing(
        &self,
        id: u64,
        site: &'static Location<'static>,
        named: bool,
    ) -> Finishing<'_> {
        self.resumed(id, site);
        Finishing {
            watch: self,
            named: named.then_some(id),
        }
    }

    fn names(&self) -> std::sync::MutexGuard<'_, HashMap<u64, String>> {
        self.0.names.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// See [`Watch::finishing`].
pub(crate) struct Finishing<'a> {
    watch: &'a Watch,
    named: Option<u64>,
}

impl Drop for Finishing<'_> {
    fn drop(&mut self) {
        self.watch.returned();
        if let Some(id) = self.named {
            self.watch.unnamed(id);
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        monitor::unwatch(&self.0);
    }
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("threshold", &self.0.threshold)
            .field("thread", &self.0.thread)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values() {
        assert_eq!(
            parse_millis(Some("250")),
            Ok(Some(Duration::from_millis(250)))
        );
        assert_eq!(
            parse_millis(Some(" 40 ")),
            Ok(Some(Duration::from_millis(40)))
        );
        assert_eq!(parse_millis(Some("0")), Ok(None));
        assert_eq!(parse_millis(Some("")), Ok(None));
        assert_eq!(parse_millis(Some("-5")), Err(()));
        assert_eq!(parse_millis(Some("1.5")), Err(()));
        assert_eq!(parse_millis(Some("200ms")), Err(()));
        assert_eq!(parse_millis(None), Err(()));
    }

    #[test]
    fn names_are_kept_for_unfinished_named_tasks_only() {
        let names = |ids: &[u64]| {
            crate::runtime::current::with("the test", |rt| {
                let watch = rt.scheduler.stall().expect("a threshold is set");
                let names = watch.names();
                ids.iter()
                    .map(|id| names.get(id).cloned())
                    .collect::<Vec<_>>()
            })
        };
        crate::Builder::new()
            .stall_threshold(Duration::from_secs(60))
            .run_local(|| {
                let named = crate::TaskBuilder::new().name("conn 1").spawn(|| ());
                let unnamed = crate::spawn(|| ());
                let (a, b) = (named.id(), unnamed.id());
                assert_eq!(
                    names(&[1, a, b]),
                    [Some("main".into()), Some("conn 1".into()), None]
                );
                named.join().unwrap();
                unnamed.join().unwrap();
                assert_eq!(names(&[1, a, b]), [Some("main".into()), None, None]);
            });
    }

    #[test]
    fn a_builder_setting_wins() {
        let ms = Duration::from_millis;
        assert_eq!(threshold(Some(ms(30))), Some(ms(30)));
        assert_eq!(threshold(Some(Duration::ZERO)), None);
    }
}
