//! The reference model: a direct simulation of the semantics corio
//! documents (DESIGN.md, the crate docs and each item's rustdoc), sharing
//! no code with corio. One step is one task running until it parks,
//! yields or ends; the virtual clock jumps to the earliest timer when no
//! task is ready, and a run with no task ready and no timer left while
//! `main` is unfinished is a deadlock.
//!
//! The rules it follows, with where corio states them:
//!
//! - The ready queue is FIFO. `spawn` queues the child at the back and the
//!   parent runs on; a woken task joins the back (`yield_now`'s docs,
//!   `spawn`: "it first runs when the current task parks or yields").
//! - Every wait queue (semaphore, mutex, channel senders and receivers,
//!   event) is FIFO, and a grant belongs to the waiter from the moment it
//!   is made: a later `try_*` cannot take it. A waiter that unwinds after
//!   its grant passes it on (`sync::wait_queue`, `Semaphore`, `channel`).
//! - A `recv` woken by a value re-checks the buffer (another receiver may
//!   have taken it) and queues again at the back.
//! - `abort` of a task that has not started: it never runs (its body is
//!   dropped when the loop reaches it). Of a parked task: it is woken and
//!   unwinds from its park point. Of a task that is ready: it unwinds as
//!   soon as it resumes, from the point it was suspended at. Of the task
//!   itself: it unwinds at its next park point (`JoinHandle::abort`).
//! - An interrupt (cancellation first, else the outermost expired
//!   `timeout`) is raised at a park point: just before the task would
//!   park, and again when it resumes. An operation that completes without
//!   parking never raises.
//! - Timers at equal deadlines fire in the order they were set; all due
//!   timers fire before any task runs, so a `timeout` and a `sleep` that
//!   end at the same instant both fire and the timeout wins.
//! - A scope joins its children in spawn order; a scope whose task unwinds
//!   cancels its unfinished children (in spawn order) and waits for them
//!   before the unwinding goes on, raising nothing more meanwhile.
//! - When `main` ends (or a deadlock is found) every unfinished task that
//!   is not a scope's child is cancelled, in the order of the runtime's
//!   task table (a slot per task, freed slots reused last-freed first),
//!   and the loop runs until all have unwound.
//!
//! - A task unwinding a cancellation or deadline that corio raised is not
//!   interrupted again (corio never raises into an unwinding stack); a
//!   scope it waits in meanwhile waits only. Once that unwinding is over
//!   (a `timeout` caught its deadline), whatever is still pending is
//!   raised at the task's next park point, and nothing wakes it early.
//!
//! Not modelled, because the programs never reach them: the coop budget
//! (128 operations without a park; no task here runs that many), panics,
//! and blocking calls in destructors.

use std::collections::{BTreeMap, HashSet, VecDeque};

use crate::program::{CHANNELS, Event, Joined, Kind, Line, MAIN, Op, Outcome, Program, SEMAPHORES};

type Task = usize;
/// A timer's place in the table: deadline (virtual ms), then set order.
type TimerKey = (u64, u64);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Ready,
    Running,
    Parked,
    Done,
}

/// What unwinds a task.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Payload {
    Cancelled,
    /// The deadline of the `timeout` with this id.
    Deadline(u64),
}

/// One level of a task's execution.
enum Frame<'p> {
    Ops {
        ops: &'p [Op],
        pc: usize,
    },
    Timeout {
        op: usize,
        deadline: u64,
        timer: TimerKey,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Queue {
    /// A semaphore's waiters; index `SEMAPHORES` is the mutex's.
    Semaphore(usize),
    Senders(usize),
    Receivers(usize),
    Event,
}

/// What a parked (or yielded) task stands in.
enum Wait {
    None,
    Yield,
    Sleep {
        timer: TimerKey,
        until: u64,
    },
    Join {
        target: Task,
    },
    Queue {
        queue: Queue,
        reg: u64,
        granted: bool,
    },
    /// In a scope, joined on the first unfinished child; `unwinding` once
    /// the scope's task unwinds with it (its children were cancelled).
    Scope {
        children: Vec<Task>,
        on: Task,
        unwinding: Option<Payload>,
    },
}

enum Timer {
    Wake(Task),
    Expire(Task, u64),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Held {
    Permit(usize),
    Guard,
}

/// How an operation (or a resume) went on.
enum Step {
    /// The operation is done with this result: log it and run on.
    Next(Event),
    /// Run on (a timeout's frames were pushed, or one caught its deadline).
    Continue,
    /// The task parked, yielded or finished.
    Park,
    /// An interrupt is due at this park point (its wait was released).
    Raise(Payload),
}

struct TaskState<'p> {
    state: State,
    queued: bool,
    cancel: bool,
    started: bool,
    scope_child: bool,
    slot: usize,
    body: &'p [Op],
    frames: Vec<Frame<'p>>,
    op: Option<&'p Op>,
    /// The id of the last operation started (what the log names).
    current: usize,
    wait: Wait,
    held: Vec<Held>,
    joiners: Vec<Task>,
    /// Set once done: true if cancelled.
    cancelled: bool,
    /// Unwinding with a payload (parked in a scope's cancel-and-wait).
    unwinding: bool,
    /// The children of the scope the task is in, if any (a task is in
    /// one scope at a time: the generator never nests them in a task).
    scope: Vec<Task>,
}

struct Channel {
    buffer: VecDeque<usize>,
    capacity: usize,
    reserved: usize,
    /// The program's shared `Sender` / `Receiver` still exist.
    tx_open: bool,
    rx_open: bool,
    /// Sends and receives in progress, each holding a clone.
    sending: usize,
    receiving: usize,
    receiver_alive: bool,
}

impl Channel {
    fn senders(&self) -> usize {
        self.tx_open as usize + self.sending
    }
}

struct Model<'p> {
    now: u64,
    log: Vec<Line>,
    tasks: Vec<TaskState<'p>>,
    ready: VecDeque<Task>,
    slots: Vec<Option<Task>>,
    free_slots: Vec<usize>,
    timers: BTreeMap<TimerKey, Timer>,
    timer_seq: u64,
    expired: HashSet<u64>,
    next_deadline: u64,
    /// Indexed by task number: the handle is in the table.
    handles: Vec<bool>,
    channels: Vec<Channel>,
    /// Free permits; index `SEMAPHORES` is the mutex.
    permits: Vec<usize>,
    flag: bool,
    queues: Vec<(Queue, VecDeque<(u64, Task)>)>,
    next_reg: u64,
    shutting_down: bool,
}

/// Runs `program` on the model.
pub fn run(program: &Program) -> Outcome {
    let mut queues = Vec::new();
    for s in 0..=SEMAPHORES {
        queues.push((Queue::Semaphore(s), VecDeque::new()));
    }
    for c in 0..CHANNELS {
        queues.push((Queue::Senders(c), VecDeque::new()));
        queues.push((Queue::Receivers(c), VecDeque::new()));
    }
    queues.push((Queue::Event, VecDeque::new()));
    let mut permits = program.semaphore_permits.clone();
    permits.push(1);
    let mut m = Model {
        now: 0,
        log: Vec::new(),
        tasks: Vec::new(),
        ready: VecDeque::new(),
        slots: Vec::new(),
        free_slots: Vec::new(),
        timers: BTreeMap::new(),
        timer_seq: 0,
        expired: HashSet::new(),
        next_deadline: 0,
        handles: Vec::new(),
        channels: program
            .channel_capacity
            .iter()
            .map(|&capacity| Channel {
                buffer: VecDeque::new(),
                capacity,
                reserved: 0,
                tx_open: true,
                rx_open: true,
                sending: 0,
                receiving: 0,
                receiver_alive: true,
            })
            .collect(),
        permits,
        flag: false,
        queues,
        next_reg: 0,
        shutting_down: false,
    };
    m.new_task(&program.main, false, false);
    let mut deadlock = false;
    'main: loop {
        while let Some(t) = m.pop_ready() {
            m.run_task(t);
            if m.tasks[MAIN].state == State::Done {
                break 'main;
            }
        }
        if !m.fire_timers() {
            deadlock = true;
            break;
        }
    }
    m.shut_down();
    Outcome {
        log: m.log,
        deadlock,
    }
}

impl<'p> Model<'p> {
    fn log(&mut self, task: Task, op: usize, event: Event) {
        self.log.push(Line {
            ms: self.now,
            task,
            op,
            event,
        });
    }

    // ---- the scheduler ----

    fn new_task(&mut self, body: &'p [Op], detached: bool, scope_child: bool) -> Task {
        let t = self.tasks.len();
        let slot = self.free_slots.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        self.slots[slot] = Some(t);
        self.tasks.push(TaskState {
            state: State::Ready,
            queued: false,
            cancel: detached && self.shutting_down,
            started: false,
            scope_child,
            slot,
            body,
            frames: Vec::new(),
            op: None,
            current: 0,
            wait: Wait::None,
            held: Vec::new(),
            joiners: Vec::new(),
            cancelled: false,
            unwinding: false,
            scope: Vec::new(),
        });
        self.handles.push(detached);
        self.enqueue(t);
        t
    }

    fn enqueue(&mut self, t: Task) {
        if !self.tasks[t].queued {
            self.tasks[t].queued = true;
            self.ready.push_back(t);
        }
    }

    fn pop_ready(&mut self) -> Option<Task> {
        let t = self.ready.pop_front()?;
        self.tasks[t].queued = false;
        Some(t)
    }

    fn wake(&mut self, t: Task) {
        if self.tasks[t].state == State::Parked {
            self.tasks[t].state = State::Ready;
            self.enqueue(t);
        }
    }

    fn cancel(&mut self, t: Task) {
        let task = &mut self.tasks[t];
        if task.state == State::Done || task.cancel {
            return;
        }
        task.cancel = true;
        self.wake(t);
    }

    /// No task ready: jump to the earliest timer and fire every due one;
    /// false if there is none.
    fn fire_timers(&mut self) -> bool {
        let Some((&(at, _), _)) = self.timers.first_key_value() else {
            return false;
        };
        self.now = self.now.max(at);
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > self.now {
                break;
            }
            match entry.remove() {
                Timer::Wake(t) => self.wake(t),
                Timer::Expire(t, deadline) => {
                    self.expired.insert(deadline);
                    self.wake(t);
                }
            }
        }
        true
    }

    fn add_timer(&mut self, at: u64, timer: Timer) -> TimerKey {
        self.timer_seq += 1;
        let key = (at, self.timer_seq);
        self.timers.insert(key, timer);
        key
    }

    fn shut_down(&mut self) {
        self.shutting_down = true;
        let in_slots: Vec<Task> = self.slots.iter().flatten().copied().collect();
        for t in in_slots {
            if !self.tasks[t].scope_child {
                self.cancel(t);
            }
        }
        loop {
            while let Some(t) = self.pop_ready() {
                self.run_task(t);
            }
            if self.slots.iter().all(Option::is_none) || !self.fire_timers() {
                return;
            }
        }
    }

    /// The interrupt to raise at a park point of `t`, if any.
    fn interrupt(&self, t: Task) -> Option<Payload> {
        let task = &self.tasks[t];
        if task.unwinding {
            return None;
        }
        if task.cancel {
            return Some(Payload::Cancelled);
        }
        task.frames.iter().find_map(|frame| match frame {
            Frame::Timeout { deadline, .. } if self.expired.contains(deadline) => {
                Some(Payload::Deadline(*deadline))
            }
            _ => None,
        })
    }

    fn run_task(&mut self, t: Task) {
        if self.tasks[t].state == State::Done {
            return;
        }
        self.tasks[t].state = State::Running;
        if !self.tasks[t].started {
            if self.tasks[t].cancel {
                self.finish(t, true);
                self.log(t, 0, Event::DroppedUnrun);
                return;
            }
            self.tasks[t].started = true;
            self.log(t, 0, Event::Started);
            let body = self.tasks[t].body;
            self.tasks[t].frames.push(Frame::Ops { ops: body, pc: 0 });
            self.exec(t);
        } else {
            let wait = std::mem::replace(&mut self.tasks[t].wait, Wait::None);
            let step = match wait {
                Wait::Scope {
                    children,
                    unwinding: Some(payload),
                    ..
                } => {
                    self.tasks[t].unwinding = true;
                    match self.first_unfinished(&children) {
                        Some(on) => self.park_in_scope(t, children, on, Some(payload)),
                        None => self.unwind_frames(t, payload),
                    }
                }
                wait => match self.interrupt(t) {
                    Some(payload) => self.raise(t, wait, payload),
                    None => self.complete(t, wait),
                },
            };
            self.after(t, step);
        }
        if self.tasks[t].state == State::Ready {
            self.enqueue(t); // it yielded
        }
    }

    /// Acts on how the operation in progress went on, then runs on.
    fn after(&mut self, t: Task, step: Step) {
        let step = match step {
            Step::Raise(payload) => self.unwind(t, payload),
            step => step,
        };
        match step {
            Step::Park => {}
            Step::Continue => self.exec(t),
            Step::Next(event) => {
                let op = self.tasks[t].op.expect("an operation in progress").id;
                self.log(t, op, event);
                self.exec(t);
            }
            Step::Raise(_) => unreachable!("unwind does not raise"),
        }
    }

    /// Runs `t`'s operations until it parks, yields or finishes.
    fn exec(&mut self, t: Task) {
        while self.tasks[t].state == State::Running {
            let next = match self.tasks[t].frames.last_mut() {
                Some(Frame::Ops { ops, pc }) if *pc < ops.len() => {
                    *pc += 1;
                    Some(&ops[*pc - 1])
                }
                Some(Frame::Ops { .. }) => None,
                _ => unreachable!("an Ops frame is always on top"),
            };
            let Some(op) = next else {
                self.tasks[t].frames.pop();
                match self.tasks[t].frames.pop() {
                    None => self.finish(t, false),
                    Some(Frame::Timeout {
                        op,
                        deadline,
                        timer,
                        ..
                    }) => {
                        self.timers.remove(&timer);
                        self.expired.remove(&deadline);
                        self.log(t, op, Event::TimeoutOk);
                    }
                    Some(Frame::Ops { .. }) => unreachable!("Ops frames do not nest directly"),
                }
                continue;
            };
            self.tasks[t].op = Some(op);
            self.tasks[t].current = op.id;
            let step = match self.start(t, op) {
                Step::Raise(payload) => self.unwind(t, payload),
                step => step,
            };
            match step {
                Step::Next(event) => self.log(t, op.id, event),
                Step::Continue => {}
                Step::Park => return,
                Step::Raise(_) => unreachable!("unwind does not raise"),
            }
        }
    }

    /// Parks `t` in `wait`, unless an interrupt is due: then the wait is
    /// released again and the interrupt raised.
    fn park(&mut self, t: Task, wait: Wait) -> Step {
        if let Some(payload) = self.interrupt(t) {
            self.release(t, &wait);
            return Step::Raise(payload);
        }
        self.tasks[t].wait = wait;
        self.tasks[t].state = State::Parked;
        Step::Park
    }

    /// A raise at the park point `wait` of `t` (after a resume).
    fn raise(&mut self, t: Task, wait: Wait, payload: Payload) -> Step {
        self.release(t, &wait);
        self.unwind(t, payload)
    }

    /// Unwinds `t` with `payload` from the operation in progress, whose
    /// wait was released: a scope cancels its children and waits first.
    /// `Continue` if a timeout of `t` caught it.
    fn unwind(&mut self, t: Task, payload: Payload) -> Step {
        let op = self.tasks[t].op.expect("an operation in progress");
        if let Kind::Scope(_) = &op.kind {
            let children = std::mem::take(&mut self.tasks[t].scope);
            for &child in &children {
                self.cancel(child);
            }
            if let Some(on) = self.first_unfinished(&children) {
                self.tasks[t].unwinding = true;
                return self.park_in_scope(t, children, on, Some(payload));
            }
        }
        self.unwind_frames(t, payload)
    }

    fn unwind_frames(&mut self, t: Task, payload: Payload) -> Step {
        self.tasks[t].unwinding = false;
        loop {
            match self.tasks[t].frames.pop() {
                None => {
                    assert_eq!(payload, Payload::Cancelled, "a deadline left its timeout");
                    self.finish(t, true);
                    return Step::Park;
                }
                Some(Frame::Ops { .. }) => {}
                Some(Frame::Timeout {
                    op,
                    deadline,
                    timer,
                    ..
                }) => {
                    self.timers.remove(&timer);
                    self.expired.remove(&deadline);
                    if payload == Payload::Deadline(deadline) {
                        let at = self.tasks[t].current;
                        self.log(t, op, Event::Elapsed { at });
                        // Execution goes on after the timeout operation.
                        return Step::Continue;
                    }
                }
            }
        }
    }

    fn finish(&mut self, t: Task, cancelled: bool) {
        for held in std::mem::take(&mut self.tasks[t].held) {
            match held {
                Held::Permit(s) => self.release_permits(s, 1),
                Held::Guard => self.release_permits(SEMAPHORES, 1),
            }
        }
        let task = &mut self.tasks[t];
        let at = task.current;
        let started = task.started;
        task.state = State::Done;
        task.cancelled = cancelled;
        task.frames.clear();
        let slot = task.slot;
        let joiners = std::mem::take(&mut task.joiners);
        if started {
            let event = if cancelled {
                Event::Cancelled { at }
            } else {
                Event::Done
            };
            self.log(t, 0, event);
        }
        self.slots[slot] = None;
        self.free_slots.push(slot);
        for joiner in joiners {
            self.wake(joiner);
        }
    }

    // ---- operations ----

    /// Starts `op` in the running task `t`.
    fn start(&mut self, t: Task, op: &'p Op) -> Step {
        match &op.kind {
            Kind::Spawn(body) => Step::Next(Event::Spawned(self.new_task(body, true, false))),
            Kind::Scope(children) => {
                let mut spawned = Vec::new();
                for child in children {
                    let number = self.tasks.len();
                    self.log(t, op.id, Event::Spawned(number));
                    spawned.push(self.new_task(child, false, true));
                }
                self.tasks[t].scope = spawned.clone();
                self.scope_wait(t, spawned)
            }
            Kind::Sleep(ms) => {
                let until = self.now + ms;
                let timer = self.add_timer(until, Timer::Wake(t));
                self.park(t, Wait::Sleep { timer, until })
            }
            Kind::Yield => {
                if let Some(payload) = self.interrupt(t) {
                    return Step::Raise(payload);
                }
                self.tasks[t].wait = Wait::Yield;
                self.tasks[t].state = State::Ready;
                Step::Park
            }
            Kind::Abort(target) => {
                if self.handles.get(*target) == Some(&true) {
                    self.cancel(*target);
                    Step::Next(Event::Aborted)
                } else {
                    Step::Next(Event::NoHandle)
                }
            }
            Kind::Join(target) => {
                if self.handles.get(*target) != Some(&true) {
                    return Step::Next(Event::NoHandle);
                }
                self.handles[*target] = false;
                if self.tasks[*target].state == State::Done {
                    return Step::Next(self.joined(*target));
                }
                self.tasks[*target].joiners.push(t);
                self.park(t, Wait::Join { target: *target })
            }
            Kind::Timeout(ms, body) => {
                let deadline = self.next_deadline;
                self.next_deadline += 1;
                let timer = self.add_timer(self.now + ms, Timer::Expire(t, deadline));
                let frames = &mut self.tasks[t].frames;
                frames.push(Frame::Timeout {
                    op: op.id,
                    deadline,
                    timer,
                });
                frames.push(Frame::Ops { ops: body, pc: 0 });
                // The body's operations run next; the timeout's own line
                // is logged when its frame ends.
                Step::Continue
            }
            Kind::Send(c) => {
                if !self.channels[*c].tx_open {
                    return Step::Next(Event::NoSender);
                }
                self.channels[*c].sending += 1;
                let chan = &self.channels[*c];
                if !chan.receiver_alive {
                    return Step::Next(self.end_send(*c, Event::SendFailed));
                }
                if chan.buffer.len() + chan.reserved >= chan.capacity
                    || !self.queue(Queue::Senders(*c)).is_empty()
                {
                    return self.queue_wait(t, Queue::Senders(*c));
                }
                self.push(*c, op.id);
                Step::Next(self.end_send(*c, Event::Sent))
            }
            Kind::TrySend(c) => {
                if !self.channels[*c].tx_open {
                    return Step::Next(Event::NoSender);
                }
                let chan = &self.channels[*c];
                if !chan.receiver_alive {
                    return Step::Next(Event::Disconnected);
                }
                if chan.buffer.len() + chan.reserved >= chan.capacity
                    || !self.queue(Queue::Senders(*c)).is_empty()
                {
                    return Step::Next(Event::Full);
                }
                self.push(*c, op.id);
                Step::Next(Event::Sent)
            }
            Kind::Recv(c) => {
                if !self.channels[*c].rx_open {
                    return Step::Next(Event::NoReceiver);
                }
                self.channels[*c].receiving += 1;
                self.try_recv_or_wait(t, *c)
            }
            Kind::TryRecv(c) => {
                if !self.channels[*c].rx_open {
                    return Step::Next(Event::NoReceiver);
                }
                Step::Next(match self.try_recv(*c) {
                    Ok(value) => Event::Got(value),
                    Err(true) => Event::Disconnected,
                    Err(false) => Event::Empty,
                })
            }
            Kind::CloseTx(c) => {
                if self.channels[*c].tx_open {
                    self.channels[*c].tx_open = false;
                    self.sender_dropped(*c);
                }
                Step::Next(Event::Closed)
            }
            Kind::CloseRx(c) => {
                if self.channels[*c].rx_open {
                    self.channels[*c].rx_open = false;
                    self.receiver_ref_dropped(*c);
                }
                Step::Next(Event::Closed)
            }
            Kind::Acquire(s) => self.acquire(t, *s, Held::Permit(*s), Event::Acquired),
            Kind::Lock => self.acquire(t, SEMAPHORES, Held::Guard, Event::Locked),
            Kind::TryAcquire(s) => self.try_acquire(t, *s, Held::Permit(*s)),
            Kind::TryLock => self.try_acquire(t, SEMAPHORES, Held::Guard),
            Kind::Release(s) => self.release_held(t, Held::Permit(*s), *s),
            Kind::Unlock => self.release_held(t, Held::Guard, SEMAPHORES),
            Kind::AddPermit(s) => {
                self.release_permits(*s, 1);
                Step::Next(Event::Added)
            }
            Kind::Set => {
                self.flag = true;
                while self.grant_one(Queue::Event) {}
                Step::Next(Event::FlagSet)
            }
            Kind::Clear => {
                self.flag = false;
                Step::Next(Event::FlagCleared)
            }
            Kind::Wait => {
                if self.flag {
                    return Step::Next(Event::FlagWaited);
                }
                self.queue_wait(t, Queue::Event)
            }
        }
    }

    /// `t` resumed from `wait` with no interrupt: the operation goes on.
    fn complete(&mut self, t: Task, wait: Wait) -> Step {
        let op = self.tasks[t].op.expect("an operation in progress");
        match wait {
            Wait::None => unreachable!("a started task resumes from a wait"),
            Wait::Yield => Step::Next(Event::Yielded),
            Wait::Sleep { until, timer } => {
                if self.now >= until {
                    Step::Next(Event::Woke)
                } else {
                    self.timers.remove(&timer);
                    let timer = self.add_timer(until, Timer::Wake(t));
                    self.park(t, Wait::Sleep { timer, until })
                }
            }
            Wait::Join { target } => {
                if self.tasks[target].state == State::Done {
                    Step::Next(self.joined(target))
                } else {
                    self.park(t, Wait::Join { target })
                }
            }
            Wait::Scope { children, .. } => self.scope_wait(t, children),
            Wait::Queue {
                queue,
                reg,
                granted,
            } => {
                if !granted {
                    // A stray wake: keep the place in the queue.
                    return self.park(
                        t,
                        Wait::Queue {
                            queue,
                            reg,
                            granted,
                        },
                    );
                }
                match (&op.kind, queue) {
                    (Kind::Acquire(_), Queue::Semaphore(s)) => {
                        self.tasks[t].held.push(Held::Permit(s));
                        Step::Next(Event::Acquired)
                    }
                    (Kind::Lock, Queue::Semaphore(_)) => {
                        self.tasks[t].held.push(Held::Guard);
                        Step::Next(Event::Locked)
                    }
                    (Kind::Send(_), Queue::Senders(c)) => {
                        if !self.channels[c].receiver_alive {
                            return Step::Next(self.end_send(c, Event::SendFailed));
                        }
                        self.channels[c].reserved -= 1;
                        self.push(c, op.id);
                        Step::Next(self.end_send(c, Event::Sent))
                    }
                    (Kind::Recv(_), Queue::Receivers(c)) => self.try_recv_or_wait(t, c),
                    (Kind::Wait, Queue::Event) => Step::Next(Event::FlagWaited),
                    _ => unreachable!("a queue wait of another operation"),
                }
            }
        }
    }

    /// Undoes what the wait `wait` of `t` (and its operation) holds, as
    /// the registrations' destructors do when a park point unwinds.
    fn release(&mut self, t: Task, wait: &Wait) {
        match wait {
            Wait::None | Wait::Yield => {}
            Wait::Sleep { timer, .. } => {
                self.timers.remove(timer);
            }
            Wait::Join { target } => self.tasks[*target].joiners.retain(|&j| j != t),
            Wait::Scope { on, .. } => self.tasks[*on].joiners.retain(|&j| j != t),
            Wait::Queue {
                queue,
                reg,
                granted,
            } => {
                let waiters = self.queue(*queue);
                if let Some(at) = waiters.iter().position(|&(r, _)| r == *reg) {
                    waiters.remove(at);
                } else if *granted {
                    // The grant was ours: pass it on.
                    match *queue {
                        Queue::Semaphore(s) => self.release_permits(s, 1),
                        Queue::Senders(c) => {
                            if self.channels[c].receiver_alive && !self.grant_one(Queue::Senders(c))
                            {
                                self.channels[c].reserved -= 1;
                            }
                        }
                        Queue::Receivers(c) => {
                            self.grant_one(Queue::Receivers(c));
                        }
                        Queue::Event => {}
                    }
                }
            }
        }
        // The clone of the channel's end that a send or receive holds.
        match self.tasks[t].op.map(|op| &op.kind) {
            Some(Kind::Send(c)) if matches!(wait, Wait::Queue { .. }) => {
                self.channels[*c].sending -= 1;
                self.sender_dropped(*c);
            }
            Some(Kind::Recv(c)) if matches!(wait, Wait::Queue { .. }) => {
                self.channels[*c].receiving -= 1;
                self.receiver_ref_dropped(*c);
            }
            _ => {}
        }
    }

    fn joined(&self, target: Task) -> Event {
        Event::Joined(if self.tasks[target].cancelled {
            Joined::Cancelled
        } else {
            Joined::Ok
        })
    }

    // ---- scopes ----

    fn first_unfinished(&self, children: &[Task]) -> Option<Task> {
        children
            .iter()
            .copied()
            .find(|&c| self.tasks[c].state != State::Done)
    }

    /// Joins the first unfinished child, or ends the scope.
    fn scope_wait(&mut self, t: Task, children: Vec<Task>) -> Step {
        match self.first_unfinished(&children) {
            None => {
                self.tasks[t].scope.clear();
                Step::Next(Event::ScopeDone)
            }
            Some(on) => {
                self.tasks[on].joiners.push(t);
                self.park(
                    t,
                    Wait::Scope {
                        children,
                        on,
                        unwinding: None,
                    },
                )
            }
        }
    }

    /// Parks an unwinding scope owner on child `on` (no interrupts).
    fn park_in_scope(
        &mut self,
        t: Task,
        children: Vec<Task>,
        on: Task,
        unwinding: Option<Payload>,
    ) -> Step {
        self.tasks[on].joiners.push(t);
        self.tasks[t].wait = Wait::Scope {
            children,
            on,
            unwinding,
        };
        self.tasks[t].state = State::Parked;
        Step::Park
    }

    // ---- wait queues ----

    fn queue(&mut self, queue: Queue) -> &mut VecDeque<(u64, Task)> {
        &mut self
            .queues
            .iter_mut()
            .find(|(q, _)| *q == queue)
            .expect("every queue exists")
            .1
    }

    fn queue_wait(&mut self, t: Task, queue: Queue) -> Step {
        self.next_reg += 1;
        let reg = self.next_reg;
        self.queue(queue).push_back((reg, t));
        self.park(
            t,
            Wait::Queue {
                queue,
                reg,
                granted: false,
            },
        )
    }

    /// Grants the oldest waiter of `queue` and wakes it.
    fn grant_one(&mut self, queue: Queue) -> bool {
        let Some((reg, t)) = self.queue(queue).pop_front() else {
            return false;
        };
        match &mut self.tasks[t].wait {
            Wait::Queue {
                reg: r, granted, ..
            } if *r == reg => *granted = true,
            _ => unreachable!("a queued task waits in its queue"),
        }
        self.wake(t);
        true
    }

    // ---- semaphores and the mutex ----

    fn acquire(&mut self, t: Task, s: usize, held: Held, event: Event) -> Step {
        if self.permits[s] > 0 && self.queue(Queue::Semaphore(s)).is_empty() {
            self.permits[s] -= 1;
            self.tasks[t].held.push(held);
            return Step::Next(event);
        }
        self.queue_wait(t, Queue::Semaphore(s))
    }

    fn try_acquire(&mut self, t: Task, s: usize, held: Held) -> Step {
        if self.permits[s] > 0 && self.queue(Queue::Semaphore(s)).is_empty() {
            self.permits[s] -= 1;
            self.tasks[t].held.push(held);
            Step::Next(match held {
                Held::Permit(_) => Event::Acquired,
                Held::Guard => Event::Locked,
            })
        } else {
            Step::Next(Event::Busy)
        }
    }

    fn release_held(&mut self, t: Task, held: Held, s: usize) -> Step {
        let holding = &mut self.tasks[t].held;
        match holding.iter().position(|&h| h == held) {
            Some(at) => {
                holding.remove(at);
                self.release_permits(s, 1);
                Step::Next(match held {
                    Held::Permit(_) => Event::Released,
                    Held::Guard => Event::Unlocked,
                })
            }
            None => Step::Next(Event::NotHeld),
        }
    }

    fn release_permits(&mut self, s: usize, mut n: usize) {
        while n > 0 && self.grant_one(Queue::Semaphore(s)) {
            n -= 1;
        }
        self.permits[s] += n;
    }

    // ---- channels ----

    fn push(&mut self, c: usize, value: usize) {
        self.channels[c].buffer.push_back(value);
        self.grant_one(Queue::Receivers(c));
    }

    /// The value, or `Err(disconnected)`.
    fn try_recv(&mut self, c: usize) -> Result<usize, bool> {
        match self.channels[c].buffer.pop_front() {
            Some(value) => {
                if self.grant_one(Queue::Senders(c)) {
                    self.channels[c].reserved += 1;
                }
                Ok(value)
            }
            None => Err(self.channels[c].senders() == 0),
        }
    }

    fn try_recv_or_wait(&mut self, t: Task, c: usize) -> Step {
        match self.try_recv(c) {
            Ok(value) => Step::Next(self.end_recv(c, Event::Got(value))),
            Err(true) => Step::Next(self.end_recv(c, Event::GotNone)),
            Err(false) => self.queue_wait(t, Queue::Receivers(c)),
        }
    }

    /// A send's clone of the sender goes away.
    fn end_send(&mut self, c: usize, event: Event) -> Event {
        self.channels[c].sending -= 1;
        self.sender_dropped(c);
        event
    }

    fn end_recv(&mut self, c: usize, event: Event) -> Event {
        self.channels[c].receiving -= 1;
        self.receiver_ref_dropped(c);
        event
    }

    fn sender_dropped(&mut self, c: usize) {
        if self.channels[c].senders() == 0 {
            while self.grant_one(Queue::Receivers(c)) {}
        }
    }

    fn receiver_ref_dropped(&mut self, c: usize) {
        let chan = &mut self.channels[c];
        if chan.rx_open || chan.receiving > 0 || !chan.receiver_alive {
            return;
        }
        chan.receiver_alive = false;
        while self.grant_one(Queue::Senders(c)) {}
        self.channels[c].buffer.clear();
    }
}
