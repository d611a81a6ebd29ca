//! The reference model: Python's generator semantics (PEP 342 `send` /
//! `throw` / `close`, PEP 380 `yield from`) as an explicit machine of
//! frames, sharing no code with corio.
//!
//! - `send(v)` at a `yield` makes the yield expression `v`; the first
//!   send starts the body (corio passes its value as the body's argument,
//!   where Python requires `None`: corio's documented difference).
//! - `throw(e)` raises `e` at the paused `yield`; `except` may catch it;
//!   if it escapes, it comes out of `throw` and the generator is done.
//! - `close()` raises `GeneratorExit` at the paused `yield`, which no
//!   `except ModelException` catches: every `finally` runs, innermost
//!   first, and `close` returns. Closing a done generator does nothing.
//! - Thrown into a generator that never started, `e` comes out at once
//!   and the generator is done, its body never run.
//! - `yield from inner`: `inner` is started with `None` (0 here); while
//!   it runs, sends and throws go to it, its yields come out; its return
//!   value is the value of the `yield from`; an exception escaping it is
//!   raised at the `yield from`; closing the delegator closes `inner`
//!   first (PEP 380: `inner.close()`, then `GeneratorExit` in the
//!   delegator).
//! - A call on a generator that is done: Python raises `StopIteration`
//!   (or, for `throw`, the exception); corio documents a panic for both
//!   ("cannot resume a generator that has completed"): `Dead` here.

use crate::program::{Call, Case, Line, Outcome, Stmt, StmtKind, fell_off};

enum Frame<'p> {
    Block {
        stmts: &'p [Stmt],
        pc: usize,
    },
    /// `finally: log(guard)` around the rest of the block below.
    Finally(u32),
    /// `except ModelException: handler` around the block above.
    Try {
        at: u32,
        handler: &'p [Stmt],
    },
    /// Paused in `yield from` statement `at`, delegating to `inner`.
    Delegate {
        at: u32,
        inner: Box<Gen<'p>>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Created,
    Suspended,
    Done,
}

/// What is unwinding the frames.
#[derive(Clone, Copy)]
enum Unwind {
    Raise(u32),
    Exit,
    Return(u32),
}

enum Signal {
    Send(u32),
    Throw(u32),
    Close,
}

struct Gen<'p> {
    id: u32,
    body: &'p [Stmt],
    status: Status,
    frames: Vec<Frame<'p>>,
    /// The `yield` statement the generator is paused at.
    paused_at: u32,
}

impl<'p> Gen<'p> {
    fn new(id: u32, body: &'p [Stmt]) -> Self {
        Gen {
            id,
            body,
            status: Status::Created,
            frames: Vec::new(),
            paused_at: 0,
        }
    }

    fn signal(&mut self, signal: Signal, log: &mut Vec<Line>) -> Outcome {
        match self.status {
            Status::Done => match signal {
                Signal::Close => Outcome::Closed,
                Signal::Send(_) | Signal::Throw(_) => Outcome::Dead,
            },
            Status::Created => match signal {
                Signal::Send(input) => {
                    log.push(Line::Started { g: self.id, input });
                    self.frames.push(Frame::Block {
                        stmts: self.body,
                        pc: 0,
                    });
                    self.run(None, log)
                }
                Signal::Throw(e) => {
                    self.status = Status::Done;
                    Outcome::Raised(e)
                }
                Signal::Close => {
                    self.status = Status::Done;
                    Outcome::Closed
                }
            },
            Status::Suspended => {
                if let Some(Frame::Delegate { .. }) = self.frames.last() {
                    let Some(Frame::Delegate { at, mut inner }) = self.frames.pop() else {
                        unreachable!()
                    };
                    let result = match signal {
                        Signal::Close => {
                            inner.signal(Signal::Close, log);
                            return self.run(Some(Unwind::Exit), log);
                        }
                        signal => inner.signal(signal, log),
                    };
                    return self.delegated(at, inner, result, log);
                }
                match signal {
                    Signal::Send(input) => {
                        log.push(Line::Received {
                            g: self.id,
                            at: self.paused_at,
                            input,
                        });
                        self.run(None, log)
                    }
                    Signal::Throw(e) => self.run(Some(Unwind::Raise(e)), log),
                    Signal::Close => self.run(Some(Unwind::Exit), log),
                }
            }
        }
    }

    /// Goes on after `inner`, delegated to from `yield from` `at`, came
    /// back with `result`.
    fn delegated(
        &mut self,
        at: u32,
        inner: Box<Gen<'p>>,
        result: Outcome,
        log: &mut Vec<Line>,
    ) -> Outcome {
        match result {
            Outcome::Yielded(v) => {
                self.frames.push(Frame::Delegate { at, inner });
                self.status = Status::Suspended;
                Outcome::Yielded(v)
            }
            Outcome::Returned(value) => {
                log.push(Line::Delegated {
                    g: self.id,
                    at,
                    value,
                });
                self.run(None, log)
            }
            Outcome::Raised(e) => self.run(Some(Unwind::Raise(e)), log),
            Outcome::Dead | Outcome::Closed | Outcome::Dropped => {
                unreachable!("a running delegate only yields, returns or raises")
            }
        }
    }

    /// Runs the frames until a yield or the end, unwinding first if asked.
    fn run(&mut self, mut unwinding: Option<Unwind>, log: &mut Vec<Line>) -> Outcome {
        loop {
            if let Some(how) = unwinding {
                match self.frames.pop() {
                    None => {
                        self.status = Status::Done;
                        return match how {
                            Unwind::Raise(e) => Outcome::Raised(e),
                            Unwind::Exit => Outcome::Closed,
                            Unwind::Return(v) => Outcome::Returned(v),
                        };
                    }
                    Some(Frame::Block { .. }) => {}
                    Some(Frame::Finally(guard)) => log.push(Line::Cleanup { g: self.id, guard }),
                    Some(Frame::Try { at, handler }) => {
                        if let Unwind::Raise(exception) = how {
                            log.push(Line::Caught {
                                g: self.id,
                                at,
                                exception,
                            });
                            unwinding = None;
                            self.frames.push(Frame::Block {
                                stmts: handler,
                                pc: 0,
                            });
                        }
                    }
                    Some(Frame::Delegate { .. }) => unreachable!("a delegate is only on top"),
                }
                continue;
            }
            let next = match self.frames.last_mut() {
                None => {
                    self.status = Status::Done;
                    return Outcome::Returned(fell_off(self.id));
                }
                Some(Frame::Block { stmts, pc }) if *pc < stmts.len() => {
                    *pc += 1;
                    Some((*stmts, *pc - 1))
                }
                Some(_) => None,
            };
            let Some((stmts, i)) = next else {
                // A block ended, or the try or finally around it: a
                // finally runs.
                if let Some(Frame::Finally(guard)) = self.frames.pop() {
                    log.push(Line::Cleanup { g: self.id, guard });
                }
                continue;
            };
            let s = &stmts[i];
            match &s.kind {
                StmtKind::Yield => {
                    self.paused_at = s.id;
                    self.status = Status::Suspended;
                    return Outcome::Yielded(s.id);
                }
                StmtKind::YieldFrom(body) => {
                    let mut inner = Box::new(Gen::new(s.id, body));
                    let result = inner.signal(Signal::Send(0), log);
                    return self.delegated(s.id, inner, result, log);
                }
                StmtKind::Try(body, handler) => {
                    self.frames.push(Frame::Try { at: s.id, handler });
                    self.frames.push(Frame::Block { stmts: body, pc: 0 });
                }
                StmtKind::Guard => {
                    // The rest of this block runs inside the finally.
                    if let Some(Frame::Block { pc, .. }) = self.frames.last_mut() {
                        *pc = stmts.len();
                    }
                    self.frames.push(Frame::Finally(s.id));
                    self.frames.push(Frame::Block { stmts, pc: i + 1 });
                }
                StmtKind::Raise => unwinding = Some(Unwind::Raise(s.id)),
                StmtKind::Return => unwinding = Some(Unwind::Return(s.id)),
            }
        }
    }
}

/// Runs `case` on the model.
pub fn run(case: &Case) -> Vec<Line> {
    let mut log = Vec::new();
    let mut g = Some(Gen::new(0, &case.body));
    for (call, what) in case.calls.iter().enumerate() {
        let Some(gen_) = g.as_mut() else { break };
        let result = match what {
            Call::Resume(v) => gen_.signal(Signal::Send(*v), &mut log),
            Call::Throw(n) => gen_.signal(Signal::Throw(*n), &mut log),
            Call::Close => {
                gen_.signal(Signal::Close, &mut log);
                Outcome::Closed
            }
            Call::Drop => {
                g.take().expect("present").signal(Signal::Close, &mut log);
                Outcome::Dropped
            }
        };
        log.push(Line::Out { call, result });
    }
    if let Some(mut gen_) = g {
        gen_.signal(Signal::Close, &mut log); // dropped at the end
    }
    log
}
