//! Generator bodies (statements of a tiny Python-like language), the
//! calls that drive them, what both sides log, and the proptest strategy.

use proptest::prelude::*;

/// A statement of a generator body. Every statement has a program-wide
/// unique `id`: a `Yield` yields its id, a `Raise` raises "exception id",
/// a `Return` returns its id, a `YieldFrom`'s inner generator is known by
/// its id (the outermost generator is 0).
#[derive(Clone, Debug)]
pub struct Stmt {
    pub id: u32,
    pub kind: StmtKind,
}

#[derive(Clone, Debug)]
pub enum StmtKind {
    /// `x = yield id`; logs the `x` received.
    Yield,
    /// `r = yield from inner()`; logs `r`.
    YieldFrom(Vec<Stmt>),
    /// `try: body` / `except ModelException: handler`.
    Try(Vec<Stmt>, Vec<Stmt>),
    /// `try: <the rest of the block>` / `finally: log(id)`: in corio a drop
    /// guard living until the end of the enclosing block.
    Guard,
    /// `raise ModelException(id)`.
    Raise,
    /// `return id`.
    Return,
}

/// What the driver does to the outermost generator.
#[derive(Clone, Debug)]
pub enum Call {
    /// `resume(v)`, Python's `send(v)` (the first one starts the body and
    /// is its argument, which Python would require to be `None`).
    Resume(u32),
    /// `throw(ModelException(n))`.
    Throw(u32),
    Close,
    /// Drops the generator; nothing is called after it.
    Drop,
}

#[derive(Clone, Debug)]
pub struct Case {
    pub body: Vec<Stmt>,
    pub calls: Vec<Call>,
    /// Drive the generator from a corio task instead of plain code.
    pub in_task: bool,
}

/// The value a generator returns when its body runs off its end.
pub fn fell_off(generator: u32) -> u32 {
    1000 + generator
}

/// What a run shows, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// Generator `g` started with argument `input`.
    Started { g: u32, input: u32 },
    /// The `yield` statement `at` of `g` received `input`.
    Received { g: u32, at: u32, input: u32 },
    /// The `try` statement `at` of `g` caught exception `exception`.
    Caught { g: u32, at: u32, exception: u32 },
    /// Guard `guard` of `g` ran (a `finally`).
    Cleanup { g: u32, guard: u32 },
    /// The `yield from` statement `at` of `g` got `value` back.
    Delegated { g: u32, at: u32, value: u32 },
    /// What the driver's call number `call` came back with.
    Out { call: usize, result: Outcome },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Yielded(u32),
    Returned(u32),
    /// The call raised exception `n` out of the generator.
    Raised(u32),
    /// The generator had completed: corio panics ("cannot resume").
    Dead,
    Closed,
    Dropped,
}

fn stmt(kind: StmtKind) -> Stmt {
    Stmt { id: 0, kind }
}

/// A block of statements nesting at most `depth` levels.
fn block(depth: u32) -> BoxedStrategy<Vec<Stmt>> {
    let leaf = prop_oneof![
        6 => Just(StmtKind::Yield),
        2 => Just(StmtKind::Guard),
        1 => Just(StmtKind::Raise),
        1 => Just(StmtKind::Return),
    ];
    let statement = if depth == 0 {
        leaf.prop_map(stmt).boxed()
    } else {
        prop_oneof![
            10 => leaf,
            3 => block(depth - 1).prop_map(StmtKind::YieldFrom),
            3 => (block(depth - 1), block(depth - 1)).prop_map(|(b, h)| StmtKind::Try(b, h)),
        ]
        .prop_map(stmt)
        .boxed()
    };
    prop::collection::vec(statement, 0..5).boxed()
}

/// Numbers the statements in pre-order, from 1 (0 is the outermost
/// generator).
fn number(block: &mut [Stmt], next: &mut u32) {
    for s in block {
        s.id = *next;
        *next += 1;
        match &mut s.kind {
            StmtKind::YieldFrom(body) => number(body, next),
            StmtKind::Try(body, handler) => {
                number(body, next);
                number(handler, next);
            }
            _ => {}
        }
    }
}

pub fn case() -> impl Strategy<Value = Case> {
    let call = prop_oneof![
        6 => (0u32..100).prop_map(Call::Resume),
        3 => (0u32..100).prop_map(|n| Call::Throw(5000 + n)),
        1 => Just(Call::Close),
        1 => Just(Call::Drop),
    ];
    (block(3), prop::collection::vec(call, 1..14), any::<bool>()).prop_map(
        |(mut body, calls, in_task)| {
            number(&mut body, &mut 1);
            Case {
                body,
                calls,
                in_task,
            }
        },
    )
}
