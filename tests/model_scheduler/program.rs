//! The programs both sides run: a tree of operations for `main`, with the
//! bodies of the tasks it spawns inline, and the proptest strategy that
//! makes random ones.

use proptest::prelude::*;

/// A channel, semaphore or task number as the program names it.
pub type Index = usize;

/// The task number of `main`; spawned tasks (detached or a scope's) are
/// numbered 1, 2, ... in the order they are spawned at run time.
pub const MAIN: usize = 0;

/// One operation. `id` numbers every operation of a program uniquely
/// (pre-order), so a log line says which one it came from; a channel
/// carries the id of the `Send` as its value.
#[derive(Clone, Debug)]
pub struct Op {
    pub id: usize,
    pub kind: Kind,
}

#[derive(Clone, Debug)]
pub enum Kind {
    /// `corio::spawn` of a task running these operations; its handle goes
    /// into the table under its task number.
    Spawn(Vec<Op>),
    /// `corio::scope` spawning one child per list, then waiting for all.
    Scope(Vec<Vec<Op>>),
    /// `corio::sleep` of this many virtual milliseconds (at least 1).
    Sleep(u64),
    Yield,
    /// `JoinHandle::abort` of the task with this number (if its handle is
    /// still in the table).
    Abort(Index),
    /// `JoinHandle::join`, taking the handle out of the table.
    Join(Index),
    /// `corio::timeout` of this many virtual milliseconds around the body.
    Timeout(u64, Vec<Op>),
    Send(Index),
    TrySend(Index),
    Recv(Index),
    TryRecv(Index),
    /// Drops the channel's shared `Sender` (senders cloned for a send in
    /// progress keep it open until they finish).
    CloseTx(Index),
    /// Drops the channel's shared `Receiver` (likewise).
    CloseRx(Index),
    /// `Semaphore::acquire`; the task holds the permit until `Release` or
    /// its end.
    Acquire(Index),
    TryAcquire(Index),
    /// Drops the oldest permit of that semaphore the task holds.
    Release(Index),
    AddPermit(Index),
    Lock,
    TryLock,
    Unlock,
    Set,
    Clear,
    Wait,
}

/// A whole program: the resources, and `main`.
#[derive(Clone, Debug)]
pub struct Program {
    pub channel_capacity: Vec<usize>,
    pub semaphore_permits: Vec<usize>,
    pub main: Vec<Op>,
}

pub const CHANNELS: usize = 2;
pub const SEMAPHORES: usize = 2;
/// Task numbers that `Abort` and `Join` pick from.
const TASK_NUMBERS: usize = 7;

impl Program {
    /// Every operation, nested ones included.
    pub fn op_count(&self) -> usize {
        fn count(ops: &[Op]) -> usize {
            ops.iter()
                .map(|op| {
                    1 + match &op.kind {
                        Kind::Spawn(body) | Kind::Timeout(_, body) => count(body),
                        Kind::Scope(children) => children.iter().map(|c| count(c)).sum(),
                        _ => 0,
                    }
                })
                .sum()
        }
        count(&self.main)
    }

    /// Numbers the operations in pre-order.
    fn numbered(mut self) -> Self {
        fn number(ops: &mut [Op], next: &mut usize) {
            for op in ops {
                op.id = *next;
                *next += 1;
                match &mut op.kind {
                    Kind::Spawn(body) | Kind::Timeout(_, body) => number(body, next),
                    Kind::Scope(children) => children.iter_mut().for_each(|c| number(c, next)),
                    _ => {}
                }
            }
        }
        number(&mut self.main, &mut 1);
        self
    }
}

fn op(kind: Kind) -> Op {
    Op { id: 0, kind }
}

/// Operations that neither nest nor spawn.
fn leaf() -> BoxedStrategy<Op> {
    let channel = 0..CHANNELS;
    let semaphore = 0..SEMAPHORES;
    let task = 0..TASK_NUMBERS;
    prop_oneof![
        3 => (1u64..=4).prop_map(Kind::Sleep),
        2 => Just(Kind::Yield),
        2 => task.clone().prop_map(Kind::Abort),
        2 => task.prop_map(Kind::Join),
        3 => channel.clone().prop_map(Kind::Send),
        1 => channel.clone().prop_map(Kind::TrySend),
        3 => channel.clone().prop_map(Kind::Recv),
        1 => channel.clone().prop_map(Kind::TryRecv),
        1 => channel.clone().prop_map(Kind::CloseTx),
        1 => channel.prop_map(Kind::CloseRx),
        3 => semaphore.clone().prop_map(Kind::Acquire),
        1 => semaphore.clone().prop_map(Kind::TryAcquire),
        3 => semaphore.clone().prop_map(Kind::Release),
        1 => semaphore.prop_map(Kind::AddPermit),
        2 => Just(Kind::Lock),
        1 => Just(Kind::TryLock),
        2 => Just(Kind::Unlock),
        2 => Just(Kind::Set),
        1 => Just(Kind::Clear),
        2 => Just(Kind::Wait),
    ]
    .prop_map(op)
    .boxed()
}

/// An operation nesting at most `depth` levels.
fn any_op(depth: u32) -> BoxedStrategy<Op> {
    if depth == 0 {
        return leaf();
    }
    let body = move |n| prop::collection::vec(any_op(depth - 1), 1..n);
    let choices = vec![
        (12, leaf()),
        (1, body(6).prop_map(|b| op(Kind::Spawn(b))).boxed()),
        (
            1,
            ((1u64..=6), prop::collection::vec(any_op(depth - 1), 1..4))
                .prop_map(|(ms, b)| op(Kind::Timeout(ms, b)))
                .boxed(),
        ),
        (
            1,
            prop::collection::vec(body(5), 1..3)
                .prop_map(|children| op(Kind::Scope(children)))
                .boxed(),
        ),
    ];
    proptest::strategy::Union::new_weighted(choices).boxed()
}

/// Random programs: `main` spawns 3 or 4 tasks of 4 to 7 operations
/// each, interleaved with 6 to 11 operations of its own (so at least 4
/// tasks and 20 operations), any of which may nest spawns, scopes and
/// timeouts two levels deep.
pub fn program() -> impl Strategy<Value = Program> {
    let spawned = prop::collection::vec(prop::collection::vec(any_op(1), 4..8), 3..5);
    let own = prop::collection::vec(any_op(2), 6..12);
    let capacity = prop::collection::vec(1usize..=2, CHANNELS);
    let permits = prop::collection::vec(1usize..=2, SEMAPHORES);
    (spawned, own, capacity, permits).prop_map(|(spawned, own, capacity, permits)| {
        let mut main = Vec::new();
        let mut own = own.into_iter();
        for body in spawned {
            main.push(op(Kind::Spawn(body)));
            main.extend(own.next());
        }
        main.extend(own);
        Program {
            channel_capacity: capacity,
            semaphore_permits: permits,
            main,
        }
        .numbered()
    })
}

/// What a log line says happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The task's body began to run.
    Started,
    /// The task's body returned.
    Done,
    /// The task unwound with `Cancelled` raised at operation `at`.
    Cancelled {
        at: usize,
    },
    /// The task was cancelled before it ever ran: its body was dropped.
    DroppedUnrun,
    Spawned(usize),
    Woke,
    Yielded,
    Aborted,
    NoHandle,
    Joined(Joined),
    TimeoutOk,
    /// The timeout expired; its body was interrupted at operation `at`.
    Elapsed {
        at: usize,
    },
    Sent,
    SendFailed,
    Full,
    Disconnected,
    NoSender,
    Got(usize),
    GotNone,
    Empty,
    NoReceiver,
    Closed,
    Acquired,
    Busy,
    Released,
    NotHeld,
    Added,
    Locked,
    Unlocked,
    FlagSet,
    FlagCleared,
    FlagWaited,
    ScopeDone,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Joined {
    Ok,
    Cancelled,
}

/// One line of the log: at virtual time `ms` (since `main` started), task
/// number `task`, operation `op` (0 for the task's own start and end).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub ms: u64,
    pub task: usize,
    pub op: usize,
    pub event: Event,
}

/// Everything a run shows: the log, and whether `run` reported a deadlock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub log: Vec<Line>,
    pub deadlock: bool,
}
