//! Seeing inside a running program: [`dump`] lists every task of the
//! runtime with what it waits on, for how long, where it was spawned, how
//! much of its stack is resident, and a real backtrace of the place it is
//! parked at; [`dump_on_sigquit`] prints that on `SIGQUIT` (Ctrl-\ in a
//! terminal), as Go does; a deadlock panic of [`crate::run`] carries it,
//! and names the wait-for cycle when there is one. The stall watchdog
//! ([`crate::Builder::stall_threshold`], or `CORIO_STALL_MS`) names the
//! task that keeps the loop from turning (a blocking call in a task) while
//! it does, from a thread of its own.
//!
//! A stackful runtime can do this where a stackless one cannot: a parked
//! task's frames are all still standing on its stack. Nothing is recorded
//! on the park path but one small value (what the task waits on); the
//! backtraces are taken inside `dump()`, by resuming each parked task just
//! long enough for its park point to walk its own frames and suspend
//! again, without running any of its code (see `capture.rs` for what that
//! resume may touch). Frames are resolved to names once per distinct
//! address, and tasks standing in the same place are printed together.
//!
//! | Python | Go | corio |
//! |---|---|---|
//! | `faulthandler.dump_traceback(all_threads=True)` | `SIGQUIT`, `runtime.Stack(buf, true)` | `corio::dump()`, `corio::dump_on_sigquit()` |
//! | `asyncio.all_tasks()` + `Task.get_stack()` (the coroutine's frames only) | goroutine dump | `dump().tasks()` with `backtrace()` |
//! | `Task.get_name()` | — (goroutines have no names) | `TaskBuilder::name`, `TaskDump::name` |
//! | asyncio debug mode's `Executing <Task ...> took 1.500 seconds` (after the fact); gevent's monitor thread (while it blocks) | — (goroutines are preempted) | `Builder::stall_threshold`, `CORIO_STALL_MS` (while it blocks) |

pub(crate) mod capture;
mod cycle;
mod report;
mod sigquit;
mod socket;
pub(crate) mod stall;
mod symbols;

pub use report::{Direction, Dump, Frame, State, TaskDump, WaitsOn};
pub use sigquit::dump_on_sigquit;
pub(crate) use sigquit::{SigquitWatch, on_message as on_dump_message};

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::runtime::current::{self, Runtime};
use crate::runtime::task::{TaskRef, TaskState};
use crate::runtime::waiting::{self, Waiting};
use capture::RawTrace;
use report::TaskDump as Record;

/// Every task of this thread's runtime, now: see [`Dump`]. Called from a
/// task, that task is in it too (as [`State::Running`], with the
/// backtrace of this call); called outside [`crate::run`], the dump is
/// empty.
///
/// Nothing a task does is disturbed: no task's code runs, none is woken,
/// cancelled or charged for it, and the trace records nothing. It takes
/// time proportional to the number of tasks (a few microseconds each,
/// plus resolving each distinct frame once), during which the loop does
/// nothing else. Symbols are resolved on a short-lived thread of their
/// own, never on the loop's: should a task be parked inside a
/// `backtrace::resolve` callback (holding that crate's symbol cache), the
/// dump waits up to 2 s for it and then shows raw addresses.
///
/// Not async-signal-safe (it allocates and resumes coroutines): from a
/// signal, use [`dump_on_sigquit`], which only flags in the handler.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// #[inline(never)]
/// fn nap() {
///     corio::sleep(Duration::from_millis(20));
/// }
///
/// corio::run(|| {
///     let napper = corio::TaskBuilder::new().name("napper").spawn(nap);
///     corio::yield_now(); // it starts, and parks in `sleep`
///     let dump = corio::dump();
///     let task = dump.task(napper.id()).unwrap();
///     assert_eq!(task.state(), corio::debug::State::Parked);
///     assert!(matches!(task.waits_on(), Some(corio::debug::WaitsOn::Timer { .. })));
///     let frames: Vec<_> = task.backtrace().iter().filter_map(|f| f.function()).collect();
///     assert!(frames.iter().any(|f| f.ends_with("nap")), "{frames:?}");
///     napper.join().unwrap();
/// });
/// ```
pub fn dump() -> Dump {
    let taken_at = Instant::now();
    current::try_with(|rt| collect(rt, taken_at)).unwrap_or_else(|| Dump {
        tasks: Vec::new(),
        groups: Vec::new(),
        cycle: None,
        taken_at,
    })
}

/// [`dump`] of runtime `rt`.
fn collect(rt: &Runtime, taken_at: Instant) -> Dump {
    let mut tasks = rt.scheduler.unfinished();
    tasks.sort_by_key(|t| t.header.id);
    let me = rt.scheduler.current_ref();
    let clock = rt.clock.get().max(waiting::ticks(taken_at));
    let mut raw = Box::new(RawTrace::new());
    let mut traces = Vec::with_capacity(tasks.len());
    let mut records = Vec::with_capacity(tasks.len());
    for task in &tasks {
        let header = &task.header;
        let is_me = me.as_ref().is_some_and(|me| TaskRef::ptr_eq(me, task));
        let state = if is_me {
            State::Running
        } else {
            match header.state() {
                TaskState::Parked | TaskState::Ready if !task.started() => State::NotStarted,
                TaskState::Parked => State::Parked,
                TaskState::Ready => State::Ready,
                // Running further up this thread's stack (not us), or done.
                TaskState::Running | TaskState::Done => State::Running,
            }
        };
        raw.len = 0;
        raw.truncated = false;
        raw.generators = 0;
        raw.no_room = false;
        match state {
            State::Running if is_me => capture::capture_here(header.about.stack(), &mut raw),
            State::Parked | State::Ready => capture::capture_parked(rt, task, &mut raw),
            State::Running | State::NotStarted => {}
        }
        traces.push(raw.frames().to_vec());
        let suspended = matches!(state, State::Parked | State::Ready);
        let (low, high) = header.about.stack();
        records.push(Record {
            id: header.id,
            name: header.about.name().map(Arc::from),
            state,
            cancelled: header.cancel_reason().is_some(),
            waits_on: suspended.then(|| real_time(rt, taken_at, waits_on(header.waiting.get()))),
            since: match header.suspended_at.get() {
                0 => None,
                at if suspended => Some(Duration::from_nanos(clock.saturating_sub(at))),
                _ => None,
            },
            spawned_at: header.about.spawned_at,
            parent: (header.about.parent != 0).then_some(header.about.parent),
            scope_child: header.is_scope_child(),
            // SAFETY: the task is unfinished, so its coroutine, which
            // holds this stack slot, is alive.
            stack_resident: unsafe { crate::stack::resident_bytes(low, high) },
            generators: raw.generators,
            backtrace: Arc::from(Vec::new()),
            truncated: raw.truncated,
            no_room: raw.no_room,
            taken_at,
        });
    }
    drop(me);
    let (group_of, frames) = symbolise_on_a_big_stack(traces);
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); frames.len()];
    for (i, record) in records.iter_mut().enumerate() {
        record.backtrace = frames[group_of[i]].clone();
        groups[group_of[i]].push(i);
    }
    // Groups in the order of their first task; tasks are in id order.
    let cycle = cycle::find(&records);
    Dump {
        tasks: records,
        groups,
        cycle,
        taken_at,
    }
}

/// Bytes of stack the thread that resolves symbols gets: parsing debug
/// info goes deep.
const SYMBOLS_STACK_SIZE: usize = 1 << 20;

/// How long `dump()` waits for symbols before it shows raw addresses.
const SYMBOLS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// [`symbols::symbolise`], run on a thread of its own, never on this one.
///
/// The `backtrace` crate guards its symbol cache with a lock that is
/// re-entrant per *thread*: a task parked inside a `backtrace::resolve`
/// callback leaves this thread "holding" it, and a second resolve here
/// would then alias the cache that task still borrows. Resolved on another
/// thread, the cache's real mutex keeps them apart; if such a task holds it,
/// the dump shows raw addresses after [`SYMBOLS_TIMEOUT`] instead of
/// waiting for a task that cannot run while the loop waits here.
fn symbolise_on_a_big_stack(traces: Vec<Vec<usize>>) -> (Vec<usize>, Vec<Arc<[report::Frame]>>) {
    let shared = Arc::new(traces);
    let (done, result) = std::sync::mpsc::sync_channel(1);
    let for_thread = Arc::clone(&shared);
    let spawned = std::thread::Builder::new()
        .name("corio-dump-symbols".into())
        .stack_size(SYMBOLS_STACK_SIZE)
        .spawn(move || {
            let _ = done.send(symbols::symbolise(&for_thread));
        });
    match spawned
        .ok()
        .and_then(|_| result.recv_timeout(SYMBOLS_TIMEOUT).ok())
    {
        Some(resolved) => resolved,
        None => symbols::unresolved(&shared),
    }
}

/// The public view of what a suspended task waits on.
/// A timer's deadline on the real clock: under virtual time it is an
/// instant of the virtual clock, moved here to as far after `taken_at`
/// (a real instant) as it is after the virtual now, so "due in" reads
/// the virtual time left.
fn real_time(rt: &Runtime, taken_at: Instant, waits: WaitsOn) -> WaitsOn {
    match waits {
        WaitsOn::Timer { deadline } if rt.time_source.is_virtual() => WaitsOn::Timer {
            deadline: taken_at + deadline.saturating_duration_since(rt.time_source.now()),
        },
        other => other,
    }
}

fn waits_on(waiting: Waiting) -> WaitsOn {
    match waiting {
        Waiting::Io { fd, direction } => WaitsOn::Socket {
            fd,
            direction,
            peer: socket::address(fd, socket::End::Peer),
            local: socket::address(fd, socket::End::Local),
        },
        Waiting::Timer { deadline } => WaitsOn::Timer {
            deadline: waiting::instant(deadline),
        },
        Waiting::Join { task } => WaitsOn::Task { id: task },
        Waiting::ChannelSend { channel } => WaitsOn::Channel {
            channel,
            sending: true,
        },
        Waiting::ChannelRecv { channel } => WaitsOn::Channel {
            channel,
            sending: false,
        },
        Waiting::Semaphore { semaphore } => WaitsOn::Semaphore { semaphore },
        Waiting::Mutex { holder } => {
            // SAFETY: the task is suspended in `Mutex::lock`, whose frame
            // borrows the mutex (see `TaskHeader::waiting`'s invariant).
            let id = unsafe { holder.as_ref() }.get();
            WaitsOn::Mutex {
                holder: (id != 0).then_some(id),
            }
        }
        Waiting::Event { event } => WaitsOn::Event { event },
        Waiting::Future => WaitsOn::Future,
        Waiting::Race => WaitsOn::Race,
        Waiting::FreeFd => WaitsOn::FreeFd,
        Waiting::Yield => WaitsOn::Yield,
        Waiting::Nothing => WaitsOn::Other,
    }
}
