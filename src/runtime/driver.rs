//! `run`: the event loop itself.
//!
//! One turn of the loop: run the ready tasks (at most [`TASKS_PER_TURN`]
//! before looking at the outside world) -> poll mio for I/O readiness,
//! waiting until the next timer when nothing is ready -> fire due timers,
//! with the mail from other threads delivered before and after the poll
//! (whose wait a `mio::Waker` cuts short). Each wake puts a parked task
//! back in the ready queue. When `main` is
//! done, every task still pending is cancelled and unwound.

use std::time::{Duration, Instant};

use super::builder::Config;
use super::current::{self, Runtime};
use super::group::Seat;
use super::outcome::{CancelReason, Cancelled, JoinError};
use super::remote::Message;
use super::scheduler::Spawned;
use super::spawn::{SpawnOptions, make_task};
use super::task::TaskRef;
use super::time;
use super::waiting;
use crate::context::{DeadlineExpired, RaisedMarks};
use crate::reactor::Readiness;
use crate::trace::{self, What};

/// Ready tasks run per turn before I/O and timers are checked, so a busy
/// queue cannot starve sockets.
const TASKS_PER_TURN: usize = 128;

/// Runs `main` as the first task of a new event loop on this thread and
/// returns its result once it finishes (`asyncio.run`). Tasks still pending
/// then are cancelled: their stacks unwind and their destructors run.
/// `run` stops running other tasks the moment `main` finishes (tasks ready
/// then do not get their turn first), and cancels the pending ones in the
/// order of the runtime's task table: by age, except that a task spawned
/// after others finished takes the place of the one that finished last.
/// A scope's children are cancelled by their scope as its task unwinds.
/// Tasks that never started are dropped unrun.
///
/// # Panics
///
/// - If `main` panics, with its payload.
/// - If called inside another `run` on the same thread.
/// - On a deadlock: every task parked with no timer or I/O to wake one
///   (a task parked on another thread, in [`crate::block_on`] or
///   [`crate::RemoteJoinHandle::join`], counts as waiting for I/O).
/// - With [`crate::Cancelled`] after [`crate::Handle::shutdown`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let answer = corio::run(|| {
///     let worker = corio::spawn(|| {
///         corio::sleep(Duration::from_millis(10));
///         6 * 7
///     });
///     worker.join().unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn run<T, F: FnOnce() -> T>(main: F) -> T {
    crate::Builder::new().run_local(main)
}

/// The body of [`run`] for any `Builder`: a runtime made with `config`,
/// sitting in `seat`, runs `main` as its first task until it finishes.
/// Blocks at the seat's roll call (before any task exists) until every
/// runtime of its `Builder::run` exists. `at` is where `run` (or
/// `Builder::run`, `run_local`) was called: the main task's spawn site.
pub(crate) fn run_runtime<T, F: FnOnce() -> T>(
    config: &Config,
    seat: Seat,
    at: &'static std::panic::Location<'static>,
    main: F,
) -> T {
    if current::in_runtime() {
        panic!("corio: corio::run called inside corio::run; spawn a task instead");
    }
    crate::context::install_panic_hook();
    let runtime = Runtime::new(config.clone(), seat)
        .unwrap_or_else(|e| panic!("corio: cannot create the event loop: {e}"));
    let _entered = current::enter(&runtime);
    if !runtime.seat.take_seat(crate::handle()) {
        // Another runtime of this `Builder::run` failed to start; its
        // panic is the one `run` raises, so this one needs no message.
        std::panic::resume_unwind(Box::new(StartAbandoned));
    }
    let _timers = time::install(runtime.id);
    // The loop's own stack is a context of its own: generators resumed
    // there are tracked, and a `Yielder` of a generator that called `run`
    // is refused there (its generator is not the stack executing).
    let _loop_stack = crate::context::enter_task(&runtime.loop_context);
    let traced_from_env = crate::trace::begin_from_env();
    #[cfg(feature = "tracing")]
    let _task_spans = crate::trace::bridge::RuntimeSpans::new();
    let main_options = SpawnOptions {
        name: Some(Box::new("main".into())),
        ..SpawnOptions::at(at)
    };
    // SAFETY: `main` and `T` may borrow from our caller. This function does
    // not return or unwind past `_shutdown` (declared below, so dropped
    // first) before the task finished or was cancelled, and it takes the
    // output before returning; on unwinding, the output (a cancellation,
    // or `main`'s value when the shutdown after it panics) is dropped with
    // `task`, inside this call, while what it borrows is still alive.
    let task = unsafe { make_task(&runtime, main_options, 0, main) };
    let task_ref = task.erased();
    runtime
        .scheduler
        .schedule_new(task_ref.clone(), Spawned::Main);
    let shutdown = Shutdown(&runtime);
    // Dropped before `shutdown` if the loop itself panics (a deadlock).
    let loop_panic = NoticeLoopPanic(&runtime);
    run_until(&runtime, &task_ref);
    std::mem::forget(loop_panic);
    // A panicking (or shut down) main ends the whole `Builder::run`: the
    // other runtimes are told now, before this one's teardown, which may
    // wait for one of them.
    let by_handle = runtime.shut_down_by_handle.get();
    match task_ref.outcome() {
        trace::Outcome::Panicked => runtime.seat.notice_panic(),
        trace::Outcome::Cancelled if by_handle => runtime.seat.notice_panic(),
        _ => {}
    }
    drop(shutdown);
    if let Some(recording) = traced_from_env {
        crate::trace::end_from_env(recording);
    }
    match task.take_output() {
        Some(Ok(value)) => value,
        Some(Err(JoinError::Panicked(payload))) => {
            if payload.is::<DeadlineExpired>() {
                panic!(
                    "corio: a timeout's deadline unwound past its corio::timeout call (its \
                     unwinding was caught and resumed outside the timeout)"
                );
            }
            std::panic::resume_unwind(payload)
        }
        Some(Err(JoinError::Cancelled)) | None => {
            if runtime.shut_down_by_handle.get() {
                let id = task.header.id;
                let payload =
                    Cancelled::new(id, CancelReason::RuntimeShutDown, RaisedMarks::none());
                std::panic::resume_unwind(Box::new(payload));
            }
            panic!("corio: the main task was cancelled")
        }
    }
}

/// The payload a runtime of `Builder::run` unwinds with when another one
/// could not start: never the panic `run` re-raises.
struct StartAbandoned;

/// Tells the runtime's group that the loop panicked, when dropped: only
/// while a panic leaves the loop (it is forgotten otherwise), before
/// [`Shutdown`] runs the teardown.
struct NoticeLoopPanic<'a>(&'a Runtime);

impl Drop for NoticeLoopPanic<'_> {
    fn drop(&mut self) {
        self.0.seat.notice_panic();
    }
}

/// Cancels and unwinds every task still pending when dropped, also when
/// `run` unwinds.
struct Shutdown<'a>(&'a Runtime);

impl Drop for Shutdown<'_> {
    fn drop(&mut self) {
        shut_down(self.0);
        // From now on `Handle::spawn` resolves at once as cancelled; the
        // spawns that arrived too late to be started resolve so here.
        drop(self.0.remote.close());
        drop(self.0.spawn_backlog.take());
    }
}

/// A task that caught its cancellation this often is given up on at
/// shutdown.
const MAX_CANCEL_RAISES: u32 = 64;

/// The end of `run`: cancels every task still pending, and keeps the loop
/// turning until all have unwound. Their destructors may park (a `Mutex`
/// to clean up under, a `gather` to finish): that is why this is a loop
/// and not a sweep.
///
/// Two kinds of task can never finish: one that keeps catching its
/// cancellation, and one parked mid-unwind on something no task will ever
/// do (a deadlock among unwinding stacks). Either is reported and
/// *abandoned*: its stack is leaked, never resumed or reused, because
/// dropping a stack paused in the middle of unwinding aborts the process.
/// That is corio's one deliberate leak.
fn shut_down(rt: &Runtime) {
    rt.scheduler.begin_shutdown(CancelReason::Shutdown);
    loop {
        run_ready(rt, None);
        let pending = rt.scheduler.unfinished();
        if pending.is_empty() {
            return;
        }
        if rt.scheduler.cancel_orphans(&pending) && rt.scheduler.has_ready() {
            continue; // the orphaned scope children unwind first
        }
        if pending
            .iter()
            .all(|t| t.header.cancel_raises() >= MAX_CANCEL_RAISES)
        {
            abandon(rt, &pending, "kept catching its cancellation");
            return;
        }
        if !turn(rt) {
            abandon(
                rt,
                &pending,
                "could never finish unwinding: it waits for something no task will ever do",
            );
            return;
        }
    }
}

/// Reports and abandons `tasks` (see [`shut_down`]).
fn abandon(rt: &Runtime, tasks: &[TaskRef], why: &str) {
    for task in tasks {
        eprintln!(
            "corio: at the end of corio::run, task {} {why}; its stack is leaked, never \
             resumed",
            task.header.id
        );
        rt.scheduler.abandon(task);
    }
}

/// Runs up to [`TASKS_PER_TURN`] ready tasks; true if `main` (when given)
/// is done.
fn run_ready(rt: &Runtime, main: Option<&TaskRef>) -> bool {
    rt.scheduler.run_ready(TASKS_PER_TURN, main)
}

/// Runs the loop until `main` is done.
///
/// # Panics
///
/// If every task is parked with nothing that could wake one (no timers,
/// no I/O interest): a deadlock.
fn run_until(rt: &Runtime, main: &TaskRef) {
    loop {
        if run_ready(rt, Some(main)) {
            return;
        }
        if !turn(rt) {
            deadlock();
        }
    }
}

/// Panics for a deadlock, with a dump of every task (taken here, on the
/// loop's stack, while they all stand where they parked) and the
/// wait-for cycle, if there is one.
#[cold]
fn deadlock() -> ! {
    let dump = crate::debug::dump();
    let cycle = dump
        .describe_cycle()
        .map(|cycle| format!("; wait-for cycle: {cycle}"))
        .unwrap_or_default();
    panic!(
        "corio: deadlock: the main task is parked and no task can ever wake \
         (nothing is ready, no timer is pending, no task waits for I/O){cycle}\n{dump}"
    );
}

/// Looks at the outside world once: polls for I/O (waiting until the next
/// timer when nothing is ready) and fires due timers. False, without
/// waiting, if nothing could ever make a task ready: a deadlock. Timers
/// are read against the runtime's clock, which under virtual time jumps
/// here instead of waiting when only a timer can wake anyone.
fn turn(rt: &Runtime) -> bool {
    {
        deliver_mail(rt);
        rt.clock.set(waiting::ticks(Instant::now()));
        let idle = !rt.scheduler.has_ready() && rt.spawn_backlog.borrow().is_empty();
        // A task parked on a cross-thread wake counts as waiting for I/O:
        // the waker's event is I/O to this loop.
        let io_waits = rt.reactor.has_waiters() || rt.cross_thread_waits.get() > 0;
        let timers = time::any_pending();
        if !idle && !io_waits && !timers {
            return true; // nothing outside could have happened; skip the syscall
        }
        let clock = &rt.time_source;
        if idle && !io_waits && clock.is_virtual() {
            // The jump rule (see `super::clock`): no task is ready and none
            // waits on the outside world, so every parked task waits on
            // time or on another task, and only a timer can wake one. A
            // virtual clock jumps to the earliest; with none pending, this
            // is the deadlock below, as with the real clock.
            if let Some(at) = time::next_deadline() {
                clock.jump_to(at);
            }
        }
        let now = clock.now();
        let wait = if idle {
            time::next_deadline().map(|at| at.saturating_duration_since(now))
        } else {
            Some(Duration::ZERO)
        };
        if idle && wait.is_none() && !io_waits {
            return false;
        }
        // Before waiting, free stacks whose decay time is up go back to the
        // kernel, and the wait ends when the next would.
        let wait = if idle {
            crate::stack::release_while_idle(wait)
        } else {
            wait
        };
        if wait != Some(Duration::ZERO) {
            trace::record(None, || What::LoopWaits { timeout: wait });
        }
        let seen = |r: Readiness| {
            trace::record(None, || What::IoReady {
                fd: r.fd,
                readable: r.readable,
                writable: r.writable,
            });
        };
        let waits = wait != Some(Duration::ZERO);
        // A virtual clock runs at real speed while the loop waits for the
        // outside world: how long it really waited is added to it.
        let polled_at = (waits && clock.is_virtual()).then(Instant::now);
        rt.reactor.poll(wait, seen, |task| rt.scheduler.wake(task));
        if waits {
            let real = Instant::now();
            rt.clock.set(waiting::ticks(real)); // it may have waited long
            if let Some(polled_at) = polled_at {
                clock.waited(real.saturating_duration_since(polled_at));
            }
        }
        if timers {
            time::fire_due(clock.now());
        }
        deliver_mail(rt);
        true
    }
}

/// Acts on what other threads posted since the last look (one relaxed
/// load when nothing was).
///
/// Spawns are started oldest first, only as many as leave the ready queue
/// at [`TASKS_PER_TURN`] (at least one per look); the rest wait in
/// `Runtime::spawn_backlog`. Starting them all at once let threads that
/// spawn faster than the loop runs tasks grow every turn without bound:
/// a task already ready (main woken by its timer) then never ran again.
fn deliver_mail(rt: &Runtime) {
    for message in rt.remote.take_mail() {
        match message {
            Message::Spawn(start) => rt.spawn_backlog.borrow_mut().push_back(start),
            Message::Wake { slot, id } => {
                if let Some(task) = rt.scheduler.task_with(slot, id) {
                    if let Some(waker) = task.header.made_waker() {
                        waker.delivered();
                    }
                    rt.scheduler.wake(task);
                }
            }
            Message::Abort { slot, id } => {
                if let Some(task) = rt.scheduler.task_with(slot, id) {
                    rt.scheduler.cancel(&task, CancelReason::Aborted);
                }
            }
            Message::Dump => crate::debug::on_dump_message(rt),
            Message::Shutdown => {
                rt.shut_down_by_handle.set(true);
                rt.scheduler.begin_shutdown(CancelReason::RuntimeShutDown);
            }
        }
    }
    let room = TASKS_PER_TURN
        .saturating_sub(rt.scheduler.ready_len())
        .max(1);
    for _ in 0..room {
        // Not borrowed while the spawn runs.
        let Some(start) = rt.spawn_backlog.borrow_mut().pop_front() else {
            break;
        };
        start.start();
    }
}
