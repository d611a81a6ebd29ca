//! Runs a [`Case`] on corio's generators: each body is a closure that
//! interprets its statements, yielding through the real `Yielder`.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use corio::{Generator, GeneratorState, Yielder};

use crate::program::{Call, Case, Line, Outcome, Stmt, StmtKind, fell_off};

type Log = Rc<RefCell<Vec<Line>>>;
type Gen = Generator<u32, u32, u32>;

/// How a block ended when it did not unwind.
enum Flow {
    Normal,
    Return(u32),
}

/// Logs a `Cleanup` when dropped: the `finally` of a `Guard`.
struct Finally {
    log: Log,
    g: u32,
    guard: u32,
}

impl Drop for Finally {
    fn drop(&mut self) {
        self.log.borrow_mut().push(Line::Cleanup {
            g: self.g,
            guard: self.guard,
        });
    }
}

/// The payload of a model exception: a `String`, so the quiet panic hook
/// recognises it (`tests/util/model_check.rs`).
fn exception(n: u32) -> String {
    format!("model exception {n}")
}

fn exception_number(payload: &(dyn std::any::Any + Send)) -> Option<u32> {
    payload
        .downcast_ref::<String>()?
        .strip_prefix("model exception ")?
        .parse()
        .ok()
}

/// Whether a run is inside a corio task: there, corio's panic hook
/// prints a line naming the task for every panic, straight to stderr
/// (which the test harness cannot capture), so in tasks the model's
/// exceptions are raised with `resume_unwind` (which runs no hook) and a
/// call on a completed generator is answered from `status()` instead of
/// its panic. Outside tasks both are the real thing: `panic_any` and the
/// "cannot resume" panic.
#[derive(Clone, Copy)]
struct Quiet(bool);

fn generator(g: u32, body: Rc<Vec<Stmt>>, log: Log, quiet: Quiet) -> Gen {
    Generator::new(move |y: &Yielder<u32, u32>, input| {
        log.borrow_mut().push(Line::Started { g, input });
        match exec(y, g, &body, &log, quiet) {
            Flow::Return(value) => value,
            Flow::Normal => fell_off(g),
        }
    })
}

fn exec(y: &Yielder<u32, u32>, g: u32, block: &[Stmt], log: &Log, quiet: Quiet) -> Flow {
    for (i, s) in block.iter().enumerate() {
        match &s.kind {
            StmtKind::Yield => {
                let input = y.yield_(s.id);
                log.borrow_mut().push(Line::Received { g, at: s.id, input });
            }
            StmtKind::YieldFrom(body) => {
                let inner = generator(s.id, Rc::new(body.clone()), log.clone(), quiet);
                let value = y.yield_from(inner);
                log.borrow_mut()
                    .push(Line::Delegated { g, at: s.id, value });
            }
            StmtKind::Try(body, handler) => {
                match panic::catch_unwind(AssertUnwindSafe(|| exec(y, g, body, log, quiet))) {
                    Ok(Flow::Normal) => {}
                    Ok(Flow::Return(value)) => return Flow::Return(value),
                    Err(payload) => match exception_number(payload.as_ref()) {
                        Some(n) => {
                            drop(payload);
                            log.borrow_mut().push(Line::Caught {
                                g,
                                at: s.id,
                                exception: n,
                            });
                            if let Flow::Return(value) = exec(y, g, handler, log, quiet) {
                                return Flow::Return(value);
                            }
                        }
                        // A close's unwinding, or anything else: not ours.
                        None => panic::resume_unwind(payload),
                    },
                }
            }
            StmtKind::Guard => {
                let _finally = Finally {
                    log: log.clone(),
                    g,
                    guard: s.id,
                };
                return exec(y, g, &block[i + 1..], log, quiet);
            }
            StmtKind::Raise if quiet.0 => panic::resume_unwind(Box::new(exception(s.id))),
            StmtKind::Raise => panic::panic_any(exception(s.id)),
            StmtKind::Return => return Flow::Return(s.id),
        }
    }
    Flow::Normal
}

fn outcome(call: impl FnOnce() -> GeneratorState<u32, u32>) -> Outcome {
    match panic::catch_unwind(AssertUnwindSafe(call)) {
        Ok(GeneratorState::Yielded(v)) => Outcome::Yielded(v),
        Ok(GeneratorState::Complete(v)) => Outcome::Returned(v),
        Err(payload) => {
            if let Some(n) = exception_number(payload.as_ref()) {
                return Outcome::Raised(n);
            }
            let message = crate::util::panic_message(payload.as_ref()).unwrap_or_default();
            assert!(
                message.starts_with("corio: cannot resume"),
                "unexpected panic out of a generator: {message:?}"
            );
            Outcome::Dead
        }
    }
}

fn drive(case: &Case) -> Vec<Line> {
    let quiet = Quiet(case.in_task);
    let log: Log = Rc::default();
    let mut g = Some(generator(0, Rc::new(case.body.clone()), log.clone(), quiet));
    for (call, what) in case.calls.iter().enumerate() {
        let Some(gen_) = g.as_mut() else { break };
        let completed = gen_.status() == corio::Status::Complete;
        let result = match what {
            Call::Resume(_) | Call::Throw(_) if quiet.0 && completed => Outcome::Dead,
            Call::Resume(v) => outcome(|| gen_.resume(*v)),
            Call::Throw(n) => outcome(|| gen_.throw(Box::new(exception(*n)))),
            Call::Close => {
                gen_.close();
                Outcome::Closed
            }
            Call::Drop => {
                drop(g.take());
                Outcome::Dropped
            }
        };
        log.borrow_mut().push(Line::Out { call, result });
    }
    drop(g);
    log.take()
}

/// Runs `case` on corio, in a task if it says so.
pub fn run(case: &Case) -> Vec<Line> {
    if case.in_task {
        corio::run(|| drive(case))
    } else {
        drive(case)
    }
}
