//! Runs a [`Program`] on corio under virtual time and logs what each
//! operation saw.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::sync::{Event as Flag, Mutex, MutexGuard, Receiver, Semaphore, SemaphorePermit, Sender};
use corio::sync::{TryRecvError, TrySendError};
use corio::{JoinError, JoinHandle};

use crate::program::{Event, Joined, Kind, Line, MAIN, Op, Outcome, Program};

/// What every task of one run shares.
struct Ctx {
    log: RefCell<Vec<Line>>,
    start: Cell<Option<Instant>>,
    /// Indexed by task number; `None` for `main`, a scope's children and
    /// handles taken by a join.
    handles: RefCell<Vec<Option<JoinHandle<()>>>>,
    tx: Vec<RefCell<Option<Sender<usize>>>>,
    rx: Vec<RefCell<Option<Rc<Receiver<usize>>>>>,
    semaphores: Vec<Semaphore>,
    mutex: Mutex<()>,
    flag: Flag,
}

impl Ctx {
    fn log(&self, task: usize, op: usize, event: Event) {
        let start = self.start.get().expect("main set the start");
        let ms = (corio::time::now() - start).as_millis() as u64;
        self.log.borrow_mut().push(Line {
            ms,
            task,
            op,
            event,
        });
    }

    /// A number for a task about to be spawned, and its table entry.
    fn new_task(&self) -> usize {
        let mut handles = self.handles.borrow_mut();
        handles.push(None);
        handles.len() - 1
    }
}

/// A permit or guard a task holds until it releases it or ends.
enum Held<'a> {
    Permit(usize, #[allow(dead_code)] SemaphorePermit<'a>),
    Guard(#[allow(dead_code)] MutexGuard<'a, ()>),
}

/// Runs `program` on `corio::test::run`.
pub fn run(program: &Program) -> Outcome {
    let (tx, rx): (Vec<_>, Vec<_>) = program
        .channel_capacity
        .iter()
        .map(|&capacity| {
            let (tx, rx) = corio::sync::channel(capacity);
            (RefCell::new(Some(tx)), RefCell::new(Some(Rc::new(rx))))
        })
        .unzip();
    let ctx = Rc::new(Ctx {
        log: RefCell::new(Vec::new()),
        start: Cell::new(None),
        handles: RefCell::new(vec![None]),
        tx,
        rx,
        semaphores: program
            .semaphore_permits
            .iter()
            .map(|&n| Semaphore::new(n))
            .collect(),
        mutex: Mutex::new(()),
        flag: Flag::new(),
    });
    let main = program.main.clone();
    let c = ctx.clone();
    let ran = panic::catch_unwind(AssertUnwindSafe(move || {
        corio::test::run(move || {
            c.start.set(Some(corio::time::now()));
            task_body(&c, MAIN, &main);
        })
    }));
    let deadlock = match ran {
        Ok(()) => false,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_default();
            assert!(
                message.starts_with("corio: deadlock"),
                "run panicked with something else than a deadlock: {message:?}"
            );
            true
        }
    };
    let log = ctx.log.take();
    Outcome { log, deadlock }
}

/// Logs `DroppedUnrun` if dropped before `started` was called: a task's
/// body dropped without running.
struct Unrun {
    ctx: Rc<Ctx>,
    task: usize,
    started: bool,
}

impl Drop for Unrun {
    fn drop(&mut self) {
        if !self.started {
            self.ctx.log(self.task, 0, Event::DroppedUnrun);
        }
    }
}

/// A task: logs its start and its end (returned or cancelled, and where).
fn task_body(ctx: &Rc<Ctx>, task: usize, ops: &[Op]) {
    ctx.log(task, 0, Event::Started);
    let current = Cell::new(0);
    let ran = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut held = Vec::new();
        run_ops(ctx, task, &current, ops, &mut held);
    }));
    match ran {
        Ok(()) => ctx.log(task, 0, Event::Done),
        Err(payload) => {
            assert!(
                payload.is::<corio::Cancelled>(),
                "task {task} panicked at operation {}",
                current.get()
            );
            ctx.log(task, 0, Event::Cancelled { at: current.get() });
            panic::resume_unwind(payload);
        }
    }
}

fn spawn_task(ctx: &Rc<Ctx>, body: &[Op]) -> usize {
    let task = ctx.new_task();
    let mut unrun = Unrun {
        ctx: ctx.clone(),
        task,
        started: false,
    };
    let body = body.to_vec();
    let handle = corio::spawn(move || {
        unrun.started = true;
        task_body(&unrun.ctx, task, &body);
    });
    ctx.handles.borrow_mut()[task] = Some(handle);
    task
}

fn run_ops<'a>(
    ctx: &'a Rc<Ctx>,
    task: usize,
    current: &Cell<usize>,
    ops: &[Op],
    held: &mut Vec<Held<'a>>,
) {
    for op in ops {
        current.set(op.id);
        let event = run_op(ctx, task, current, op, held);
        ctx.log(task, op.id, event);
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn run_op<'a>(
    ctx: &'a Rc<Ctx>,
    task: usize,
    current: &Cell<usize>,
    op: &Op,
    held: &mut Vec<Held<'a>>,
) -> Event {
    match &op.kind {
        Kind::Spawn(body) => Event::Spawned(spawn_task(ctx, body)),
        Kind::Scope(children) => {
            corio::scope(|s| {
                for child in children {
                    let number = ctx.new_task();
                    ctx.log(task, op.id, Event::Spawned(number));
                    let mut unrun = Unrun {
                        ctx: ctx.clone(),
                        task: number,
                        started: false,
                    };
                    s.spawn(move || {
                        unrun.started = true;
                        task_body(&unrun.ctx, number, child);
                    });
                }
            });
            Event::ScopeDone
        }
        Kind::Sleep(n) => {
            corio::sleep(ms(*n));
            Event::Woke
        }
        Kind::Yield => {
            corio::yield_now();
            Event::Yielded
        }
        Kind::Abort(target) => match ctx.handles.borrow().get(*target) {
            Some(Some(handle)) => {
                handle.abort();
                Event::Aborted
            }
            _ => Event::NoHandle,
        },
        Kind::Join(target) => {
            let handle = ctx
                .handles
                .borrow_mut()
                .get_mut(*target)
                .and_then(Option::take);
            match handle.map(JoinHandle::join) {
                None => Event::NoHandle,
                Some(Ok(())) => Event::Joined(Joined::Ok),
                Some(Err(JoinError::Cancelled)) => Event::Joined(Joined::Cancelled),
                Some(Err(JoinError::Panicked(_))) => panic!("a task of the model panicked"),
            }
        }
        Kind::Timeout(n, body) => {
            match corio::timeout(ms(*n), || run_ops(ctx, task, current, body, held)) {
                Ok(()) => Event::TimeoutOk,
                Err(_) => Event::Elapsed { at: current.get() },
            }
        }
        Kind::Send(c) => {
            let tx = ctx.tx[*c].borrow().clone();
            match tx.map(|tx| tx.send(op.id)) {
                None => Event::NoSender,
                Some(Ok(())) => Event::Sent,
                Some(Err(_)) => Event::SendFailed,
            }
        }
        Kind::TrySend(c) => {
            let tx = ctx.tx[*c].borrow().clone();
            match tx.map(|tx| tx.try_send(op.id)) {
                None => Event::NoSender,
                Some(Ok(())) => Event::Sent,
                Some(Err(TrySendError::Full(_))) => Event::Full,
                Some(Err(TrySendError::Disconnected(_))) => Event::Disconnected,
            }
        }
        Kind::Recv(c) => {
            let rx = ctx.rx[*c].borrow().clone();
            match rx.map(|rx| rx.recv()) {
                None => Event::NoReceiver,
                Some(Some(value)) => Event::Got(value),
                Some(None) => Event::GotNone,
            }
        }
        Kind::TryRecv(c) => {
            let rx = ctx.rx[*c].borrow().clone();
            match rx.map(|rx| rx.try_recv()) {
                None => Event::NoReceiver,
                Some(Ok(value)) => Event::Got(value),
                Some(Err(TryRecvError::Empty)) => Event::Empty,
                Some(Err(TryRecvError::Disconnected)) => Event::Disconnected,
            }
        }
        Kind::CloseTx(c) => {
            let tx = ctx.tx[*c].borrow_mut().take();
            drop(tx);
            Event::Closed
        }
        Kind::CloseRx(c) => {
            let rx = ctx.rx[*c].borrow_mut().take();
            drop(rx);
            Event::Closed
        }
        Kind::Acquire(s) => {
            held.push(Held::Permit(*s, ctx.semaphores[*s].acquire()));
            Event::Acquired
        }
        Kind::TryAcquire(s) => match ctx.semaphores[*s].try_acquire() {
            Some(permit) => {
                held.push(Held::Permit(*s, permit));
                Event::Acquired
            }
            None => Event::Busy,
        },
        Kind::Release(s) => {
            match held
                .iter()
                .position(|h| matches!(h, Held::Permit(of, _) if of == s))
            {
                Some(at) => {
                    drop(held.remove(at));
                    Event::Released
                }
                None => Event::NotHeld,
            }
        }
        Kind::AddPermit(s) => {
            ctx.semaphores[*s].add_permits(1);
            Event::Added
        }
        Kind::Lock => {
            held.push(Held::Guard(ctx.mutex.lock()));
            Event::Locked
        }
        Kind::TryLock => match ctx.mutex.try_lock() {
            Some(guard) => {
                held.push(Held::Guard(guard));
                Event::Locked
            }
            None => Event::Busy,
        },
        Kind::Unlock => match held.iter().position(|h| matches!(h, Held::Guard(_))) {
            Some(at) => {
                drop(held.remove(at));
                Event::Unlocked
            }
            None => Event::NotHeld,
        },
        Kind::Set => {
            ctx.flag.set();
            Event::FlagSet
        }
        Kind::Clear => {
            ctx.flag.clear();
            Event::FlagCleared
        }
        Kind::Wait => {
            ctx.flag.wait();
            Event::FlagWaited
        }
    }
}
