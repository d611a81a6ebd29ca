//! What a dump holds: [`Dump`], one [`TaskDump`] per task, what each
//! waits on ([`WaitsOn`]) and its backtrace ([`Frame`]s); and how it
//! prints, tasks with the same stack grouped under it as Go groups
//! goroutines.

use std::fmt;
use std::net::SocketAddr;
use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::reactor::Direction;

/// Every task of a runtime at one moment, from [`crate::dump`]: what each
/// waits on, since when, where it was spawned, and where it stands.
///
/// `Display` prints it for people (tasks sharing a stack shape are listed
/// together above one copy of it); the accessors give the same data to a
/// program.
///
/// # Examples
///
/// ```
/// corio::run(|| {
///     let (tx, rx) = corio::sync::channel::<u32>(1);
///     let reader = corio::TaskBuilder::new().name("reader").spawn(move || rx.recv());
///     corio::yield_now(); // the reader parks in `recv`
///     let dump = corio::dump();
///     let task = dump.tasks().iter().find(|t| t.name() == Some("reader")).unwrap();
///     assert!(matches!(task.waits_on(), Some(corio::debug::WaitsOn::Channel { sending: false, .. })));
///     println!("{dump}");
///     tx.send(1).unwrap();
///     assert_eq!(reader.join().unwrap(), Some(1));
/// });
/// ```
#[derive(Clone, Debug)]
pub struct Dump {
    pub(super) tasks: Vec<TaskDump>,
    /// Indices into `tasks` of tasks sharing one stack, in the order
    /// printed.
    pub(super) groups: Vec<Vec<usize>>,
    pub(super) cycle: Option<Vec<u64>>,
    pub(super) taken_at: Instant,
}

/// One task in a [`Dump`].
#[derive(Clone, Debug)]
pub struct TaskDump {
    pub(super) id: u64,
    pub(super) name: Option<Arc<str>>,
    pub(super) state: State,
    pub(super) cancelled: bool,
    pub(super) waits_on: Option<WaitsOn>,
    pub(super) since: Option<Duration>,
    pub(super) spawned_at: &'static Location<'static>,
    pub(super) parent: Option<u64>,
    pub(super) scope_child: bool,
    pub(super) stack_resident: Option<usize>,
    pub(super) generators: usize,
    pub(super) backtrace: Arc<[Frame]>,
    pub(super) truncated: bool,
    /// Not walked: too little stack was left at its park point.
    pub(super) no_room: bool,
    /// When the dump was taken: what "due in" is counted from.
    pub(super) taken_at: Instant,
}

/// Where a task is in its life at the moment of a dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// The task that called [`crate::dump`].
    Running,
    /// Woken (or yielded), waiting for its turn in the ready queue.
    Ready,
    /// Parked until what it waits on wakes it.
    Parked,
    /// Spawned, and not run yet: it has no frames.
    NotStarted,
}

/// What a parked (or woken, not yet resumed) task waits on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitsOn {
    /// A socket, pipe or other descriptor to become ready.
    Socket {
        /// Its file descriptor.
        fd: i32,
        /// Readable or writable.
        direction: Direction,
        /// The address of the other end, for a connected IP socket.
        peer: Option<SocketAddr>,
        /// Its own address, for an IP socket (a listener's, say).
        local: Option<SocketAddr>,
    },
    /// A timer (`sleep`, a wait with a deadline).
    Timer {
        /// When it fires.
        deadline: Instant,
    },
    /// Another task to finish (`join`, or a scope waiting for a child).
    Task {
        /// The id of the task waited for.
        id: u64,
    },
    /// A local channel (`corio::sync::channel`).
    Channel {
        /// Identifies the channel: equal for tasks waiting on the same one.
        channel: usize,
        /// Waiting for room to send (else for a value to receive).
        sending: bool,
    },
    /// A permit of a `corio::sync::Semaphore`.
    Semaphore {
        /// Identifies the semaphore.
        semaphore: usize,
    },
    /// A `corio::sync::Mutex`.
    Mutex {
        /// The task holding it, when a task does.
        holder: Option<u64>,
    },
    /// A `corio::sync::Event` to be set.
    Event {
        /// Identifies the event.
        event: usize,
    },
    /// A `Future` or another thread: `block_on`, a `RemoteJoinHandle`, a
    /// shared channel, `unblock`, a signal, a child process.
    Future,
    /// The first task of a `race` or `select` to finish.
    Race,
    /// A free file descriptor (an `accept` ran out of them).
    FreeFd,
    /// Its turn after a `yield_now`.
    Yield,
    /// Something else.
    Other,
}

/// One frame of a task's backtrace, innermost first: a function, and
/// where in the source it was when the task parked.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    pub(super) function: Option<String>,
    pub(super) file: Option<String>,
    pub(super) line: Option<u32>,
}

impl Frame {
    /// The function's name, demangled, without its hash (`None` when the
    /// binary has no symbol for it).
    pub fn function(&self) -> Option<&str> {
        self.function.as_deref()
    }

    /// The source file, where debug info says.
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    /// The line in [`file`](Frame::file).
    pub fn line(&self) -> Option<u32> {
        self.line
    }
}

impl Dump {
    /// Every task, by id.
    pub fn tasks(&self) -> &[TaskDump] {
        &self.tasks
    }

    /// The task with id `id`, if it was unfinished at the dump.
    pub fn task(&self, id: u64) -> Option<&TaskDump> {
        self.tasks.iter().find(|t| t.id == id)
    }

    /// A wait-for cycle, when there is one: task ids, each waiting for
    /// the next (it joins it, or wants the `Mutex` it holds), the last
    /// for the first. Nothing in a cycle can ever wake.
    pub fn cycle(&self) -> Option<&[u64]> {
        self.cycle.as_deref()
    }

    /// When the dump was taken.
    pub fn taken_at(&self) -> Instant {
        self.taken_at
    }

    /// The cycle as a sentence, "task 3 'main' joins task 4; task 4
    /// waits for the Mutex held by task 3".
    pub fn describe_cycle(&self) -> Option<String> {
        let cycle = self.cycle.as_ref()?;
        let mut parts = Vec::new();
        for (i, &id) in cycle.iter().enumerate() {
            let next = cycle[(i + 1) % cycle.len()];
            let task = self.task(id)?;
            let verb = match task.waits_on {
                Some(WaitsOn::Mutex { .. }) => "waits for the Mutex held by",
                _ => "joins",
            };
            parts.push(format!("{} {verb} {}", self.label(id), self.label(next)));
        }
        Some(parts.join("; "))
    }

    /// `task 4 'name'`, or `task 4`.
    fn label(&self, id: u64) -> String {
        match self.task(id) {
            Some(task) => task.label(),
            None => format!("task {id}"),
        }
    }
}

impl TaskDump {
    /// The task's id, as [`crate::JoinHandle::id`] and the trace give it.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Its name, from [`crate::TaskBuilder::name`] (`run`'s task is
    /// `main`).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where it is in its life.
    pub fn state(&self) -> State {
        self.state
    }

    /// True if it was asked to cancel (it unwinds at its next resume).
    pub fn cancelled(&self) -> bool {
        self.cancelled
    }

    /// What it waits on (`None` while running or before it started).
    pub fn waits_on(&self) -> Option<&WaitsOn> {
        self.waits_on.as_ref()
    }

    /// How long it has waited, as the loop's clock saw it (to within one
    /// turn of the loop).
    pub fn waiting_for(&self) -> Option<Duration> {
        self.since
    }

    /// Where it was spawned (`#[track_caller]`).
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// The task that spawned it; for a scope's child, the task whose
    /// scope it is (see [`scope_child`](TaskDump::scope_child)).
    pub fn parent(&self) -> Option<u64> {
        self.parent
    }

    /// True for a task spawned into a `scope` (or by `gather`, `join`,
    /// `race`, `select`).
    pub fn scope_child(&self) -> bool {
        self.scope_child
    }

    /// Bytes of its stack resident in memory (`mincore`): the pages it
    /// has touched, its high-water mark.
    pub fn stack_resident(&self) -> Option<usize> {
        self.stack_resident
    }

    /// How many generators it was running when it parked (0: it parked
    /// on its own stack).
    pub fn generators(&self) -> usize {
        self.generators
    }

    /// Its backtrace at its park point, innermost first, starting at the
    /// corio call it parked in; empty for a task that has not started, and
    /// for one parked with less than 8 KiB of its stack left (walking the
    /// frames needs that much room on the stack walked).
    pub fn backtrace(&self) -> &[Frame] {
        &self.backtrace
    }

    /// `task 7 'name'`.
    fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("task {} '{name}'", self.id),
            None => format!("task {}", self.id),
        }
    }
}

impl fmt::Display for WaitsOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitsOn::Socket {
                fd,
                direction,
                peer,
                local,
            } => {
                let what = match direction {
                    Direction::Read => "reading",
                    Direction::Write => "writing",
                };
                write!(f, "socket fd {fd} ({what}")?;
                if let Some(peer) = peer {
                    write!(f, ", peer {peer}")?;
                } else if let Some(local) = local {
                    write!(f, ", local {local}")?;
                }
                f.write_str(")")
            }
            WaitsOn::Timer { deadline } => {
                let left = deadline.saturating_duration_since(Instant::now());
                write!(f, "a timer, due in {}", Short(left))
            }
            WaitsOn::Task { id } => write!(f, "task {id} to finish"),
            WaitsOn::Channel { channel, sending } => {
                let what = if *sending {
                    "room to send on"
                } else {
                    "a value on"
                };
                write!(f, "{what} channel {channel:#x}")
            }
            WaitsOn::Semaphore { semaphore } => write!(f, "a permit of semaphore {semaphore:#x}"),
            WaitsOn::Mutex { holder: Some(id) } => write!(f, "a Mutex held by task {id}"),
            WaitsOn::Mutex { holder: None } => f.write_str("a Mutex"),
            WaitsOn::Event { event } => write!(f, "event {event:#x} to be set"),
            WaitsOn::Future => f.write_str("a future or another thread"),
            WaitsOn::Race => f.write_str("the first of a race to finish"),
            WaitsOn::FreeFd => f.write_str("a free file descriptor"),
            WaitsOn::Yield => f.write_str("its turn (yielded)"),
            WaitsOn::Other => f.write_str("a wake"),
        }
    }
}

/// A duration printed the short way (`1.2s`, `35ms`, `120µs`).
struct Short(Duration);

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d >= Duration::from_secs(1) {
            write!(f, "{:.1}s", d.as_secs_f64())
        } else if d >= Duration::from_millis(1) {
            write!(f, "{}ms", d.as_millis())
        } else {
            write!(f, "{}µs", d.as_micros())
        }
    }
}

/// `file` as a person wants to read it: relative to the working
/// directory when under it; std's sources from `library/` on
/// (`std/src/io/mod.rs`); a registry crate's from its own directory on.
fn short_path<'a>(file: &'a str, cwd: Option<&str>) -> &'a str {
    if let Some(relative) = cwd.and_then(|cwd| file.strip_prefix(cwd)) {
        return relative;
    }
    if file.starts_with("/rustc/")
        && let Some((_, rest)) = file.split_once("/library/")
    {
        return rest;
    }
    if let Some((_, rest)) = file.split_once("/registry/src/") {
        // `index.crates.io-<hash>/corosensei-0.3.4/src/...`
        return rest.split_once('/').map_or(rest, |(_, in_crate)| in_crate);
    }
    file
}

/// At most this many tasks of one group are listed one by one; the rest
/// are counted.
const LISTED_PER_GROUP: usize = 10;

impl fmt::Display for TaskDump {
    /// One line: `task 4 'name' parked 35ms on a Mutex held by task 3`,
    /// then spawn site, parent and stack on the next.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())?;
        match self.state {
            State::Running => f.write_str(", running (it called dump)")?,
            State::NotStarted => f.write_str(", not started")?,
            State::Ready | State::Parked => {
                let state = if self.state == State::Ready {
                    "ready"
                } else {
                    "parked"
                };
                write!(f, ", {state}")?;
                if let Some(since) = self.since {
                    write!(f, " {}", Short(since))?;
                }
                match &self.waits_on {
                    Some(WaitsOn::Timer { deadline }) => {
                        let left = deadline.saturating_duration_since(self.taken_at);
                        write!(f, ", waits for a timer, due in {}", Short(left))?;
                    }
                    Some(waits) => write!(f, ", waits for {waits}")?,
                    None => {}
                }
            }
        }
        if self.cancelled {
            f.write_str(" (cancelled)")?;
        }
        if self.generators > 0 {
            write!(f, " (inside {} generator(s))", self.generators)?;
        }
        if self.no_room {
            f.write_str(" (no backtrace: too little stack left to walk it)")?;
        }
        write!(f, "\n    spawned at {}", self.spawned_at)?;
        match (self.parent, self.scope_child) {
            (Some(parent), true) => write!(f, ", in a scope of task {parent}")?,
            (Some(parent), false) => write!(f, ", by task {parent}")?,
            (None, _) => {}
        }
        if let Some(bytes) = self.stack_resident {
            write!(f, ", stack {} KiB resident", bytes / 1024)?;
        }
        Ok(())
    }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "corio dump: {} task(s), {} stack shape(s)",
            self.tasks.len(),
            self.groups.len()
        )?;
        if let Some(cycle) = self.describe_cycle() {
            writeln!(f, "wait-for cycle: {cycle}")?;
        }
        // Files under the working directory are shown relative to it, as
        // spawn sites are.
        let cwd = std::env::current_dir()
            .ok()
            .and_then(|dir| dir.to_str().map(|dir| format!("{dir}/")));
        for group in &self.groups {
            writeln!(f)?;
            if group.len() > 1 {
                writeln!(f, "{} tasks with this stack:", group.len())?;
            }
            for &i in group.iter().take(LISTED_PER_GROUP) {
                writeln!(f, "{}", self.tasks[i])?;
            }
            if group.len() > LISTED_PER_GROUP {
                let rest: Vec<String> = group[LISTED_PER_GROUP..]
                    .iter()
                    .take(20)
                    .map(|&i| self.tasks[i].id.to_string())
                    .collect();
                let more = if group.len() - LISTED_PER_GROUP > rest.len() {
                    ", ..."
                } else {
                    ""
                };
                writeln!(
                    f,
                    "... and {} more: tasks {}{more}",
                    group.len() - LISTED_PER_GROUP,
                    rest.join(", ")
                )?;
            }
            let first = &self.tasks[group[0]];
            if first.backtrace.is_empty() {
                if first.state == State::NotStarted {
                    writeln!(f, "  (no frames yet)")?;
                } else {
                    writeln!(f, "  (no backtrace)")?;
                }
                continue;
            }
            for frame in first.backtrace.iter() {
                let function = frame.function.as_deref().unwrap_or("<unknown>");
                writeln!(f, "  {function}")?;
                if let (Some(file), Some(line)) = (&frame.file, frame.line) {
                    let file = short_path(file, cwd.as_deref());
                    writeln!(f, "      at {file}:{line}")?;
                }
            }
            if first.truncated {
                writeln!(f, "  ... (deeper frames left out)")?;
            }
        }
        Ok(())
    }
}
