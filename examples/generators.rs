//! A guided tour of corio for readers who know Python generators and Lua
//! coroutines; run it with `cargo run --release --example generators`.
//! Sections a to h: send, return values, yielding from nested calls,
//! delegation, close, status, iteration, and throw.
//!
//! Each section prints a title, the Python it mirrors (`|` lines), notes on
//! where the languages differ (`#` lines), then what the corio code prints.
//! `examples/python/generators.py` is the Python twin: apart from the `|` and
//! `#` lines, the two programs print the same text.

use corio::{Generator, GeneratorState, Status, Yielder, r#gen};
use std::any::Any;
use std::fmt::{Debug, Display};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

/// Prints a section: its title (the first line of `text`), then the Python
/// snippet it mirrors (the remaining lines).
fn section(text: &str) {
    let mut lines = text.trim_end().lines();
    println!("\n== {} ==", lines.next().unwrap_or_default());
    for line in lines {
        println!("{}", format!("  | {line}").trim_end());
    }
}

/// Prints a note on how Python, Lua and corio differ.
fn note(text: &str) {
    println!("  # {text}");
}

/// Describes one resume result the way the Python twin does.
fn show<Y: Display, R: Debug>(state: GeneratorState<Y, R>) -> String {
    match state {
        GeneratorState::Yielded(value) => format!("yielded {value}"),
        GeneratorState::Complete(value) => format!("returned {value:?}"),
    }
}

fn send_running_average() {
    section(
        r#"a. send: a running average
def averager():
    total, count, average = 0, 0, None
    while True:
        total += yield average
        count += 1
        average = total / count
"#,
    );
    note("Python primes with next(g); corio hands the first resume's input to the body");
    let mut averager: Generator<i32, f64> = Generator::new(|y, first: i32| {
        let (mut total, mut count) = (f64::from(first), 1.0);
        loop {
            total += f64::from(y.yield_(total / count));
            count += 1.0;
        }
    });
    for x in [10, 20, 45] {
        if let GeneratorState::Yielded(average) = averager.resume(x) {
            println!("  send {x} -> average {average:.1}");
        }
    }
}

fn return_value() {
    section(
        r#"b. return value: StopIteration.value becomes Complete
def shout(words):
    for word in words:
        yield word.upper()
    return len(words)
"#,
    );
    let mut shout = Generator::new(|y: &Yielder<(), String>, ()| {
        let words = ["ready", "set", "go"];
        for word in words {
            y.yield_(word.to_uppercase());
        }
        words.len()
    });
    while shout.status() != Status::Complete {
        println!("  {}", show(shout.resume(())));
    }
}

/// A binary tree node: (left, value, right), like the Python twin's tuples.
struct Tree(Option<Box<Tree>>, i32, Option<Box<Tree>>);

fn node(left: Option<Box<Tree>>, value: i32, right: Option<Box<Tree>>) -> Option<Box<Tree>> {
    Some(Box::new(Tree(left, value, right)))
}

/// A plain recursive function: it yields straight from whatever depth it is
/// at, because the whole call chain runs on the generator's own stack.
fn walk(y: &Yielder<(), (i32, u32)>, tree: Option<&Tree>, depth: u32) {
    if let Some(Tree(left, value, right)) = tree {
        walk(y, left.as_deref(), depth + 1);
        y.yield_((*value, depth));
        walk(y, right.as_deref(), depth + 1);
    }
}

fn recursive_walk() {
    section(
        r#"c. yielding from nested calls: an in-order tree walk
def walk(tree, depth=0):
    if tree is not None:
        left, value, right = tree
        yield from walk(left, depth + 1)   # needed at every level
        yield value, depth
        yield from walk(right, depth + 1)  # and here
"#,
    );
    note("corio: walk() is a plain fn taking &Yielder; Rust async would need Box::pin per level");
    let leaf = |value| node(None, value, None);
    let tree = node(node(leaf(1), 2, leaf(3)), 4, node(leaf(5), 6, leaf(7)));
    let (values, depths): (Vec<i32>, Vec<u32>) =
        r#gen(move |y| walk(y, tree.as_deref(), 0)).unzip();
    println!("  values: {values:?}");
    println!("  depths: {depths:?}");
}

/// Adds up what it is sent until it is sent `None`, then returns the total.
fn accumulate() -> Generator<Option<i32>, i32, i32> {
    Generator::new(|y, _start: Option<i32>| {
        let mut total = 0;
        while let Some(x) = y.yield_(total) {
            total += x;
        }
        total
    })
}

fn delegation() {
    section(
        r#"d. yield_from: delegating to a sub-generator (PEP 380)
def accumulate():
    total = 0
    while (x := (yield total)) is not None:
        total += x
    return total
def gather():
    tallies = []
    for _ in range(2):
        tally = yield from accumulate()
        print("outer got", tally)
        tallies.append(tally)
    return tallies
"#,
    );
    note("yield_from starts the inner generator with I::default(), None here, as Python does");
    let mut gather = Generator::new(|y: &Yielder<Option<i32>, i32>, _start| {
        let mut tallies = Vec::new();
        for _ in 0..2 {
            let tally = y.yield_from(accumulate());
            println!("  outer got {tally}");
            tallies.push(tally);
        }
        tallies
    });
    for sent in "None 1 2 3 None 10 20 None".split(' ') {
        let input = sent.parse().ok(); // "None" does not parse: it sends None
        println!("  send {sent} -> {}", show(gather.resume(input)));
    }
}

/// Python's `finally:` block: runs when the value goes out of scope,
/// including when a suspended generator's stack is unwound.
struct Cleanup(&'static str);

impl Drop for Cleanup {
    fn drop(&mut self) {
        println!("  cleanup: {}", self.0);
    }
}

/// Counts 1, 2, 3, ... forever, with a cleanup guard alive on its stack.
fn ticker(name: &'static str) -> Generator<(), u32> {
    Generator::new(move |y, ()| {
        let _finally = Cleanup(name);
        for n in 1.. {
            y.yield_(n);
        }
    })
}

fn close_and_drop() {
    section(
        r#"e. close(): finally blocks become destructors
def ticker(name):
    try:
        yield from itertools.count(1)
    finally:
        print("cleanup:", name)
"#,
    );
    let mut closed = ticker("closed while suspended");
    println!("  resume -> {}", show(closed.resume(())));
    println!("  resume -> {}", show(closed.resume(())));
    println!("  close()");
    closed.close();
    println!("  status after close: {:?}", closed.status());

    let mut dropped = ticker("dropped while suspended");
    println!("  resume -> {}", show(dropped.resume(())));
    println!("  drop (Python: del)");
    drop(dropped);

    println!("  close() before the first resume: the body never ran, nothing to clean up");
    ticker("never printed").close();
}

fn status() {
    section(
        r#"f. status: inspect.getgeneratorstate / coroutine.status
def two_steps():
    yield "one"
    yield "two"
    return 2
inspect.getgeneratorstate(g)  # GEN_CREATED, GEN_SUSPENDED, GEN_CLOSED
"#,
    );
    let mut g = Generator::new(|y: &Yielder<(), &str>, ()| {
        y.yield_("one");
        y.yield_("two");
        2
    });
    println!("  status: {:?}", g.status());
    while g.status() != Status::Complete {
        let state = show(g.resume(()));
        println!("  resume -> {state}, status: {:?}", g.status());
    }
    note("Running is never seen from outside: resume() holds &mut g while the body runs");
    note("and the 'static body cannot borrow g, so Python's \"generator already executing\"");
    note("(Lua: \"cannot resume non-suspended coroutine\") is a compile error in Rust");
}

fn iterator() {
    section(
        r#"g. iterator: corio::r#gen and Iterator::take
def fibonacci():
    a, b = 0, 1
    while True:
        yield a
        a, b = b, a + b
list(itertools.islice(fibonacci(), 10))
"#,
    );
    let fibonacci = r#gen(|y| {
        let (mut a, mut b) = (0u64, 1);
        loop {
            y.yield_(a);
            (a, b) = (b, a + b);
        }
    });
    println!("  {:?}", fibonacci.take(10).collect::<Vec<_>>());
}

/// What section h throws in: Python's `class Reset(Exception)`.
struct Reset;

/// And a second one, which the body does not catch.
struct Stop;

/// The name of a payload section h threw, like `type(e).__name__`.
fn payload_name(payload: &(dyn Any + Send)) -> &'static str {
    if payload.is::<Reset>() {
        "Reset"
    } else if payload.is::<Stop>() {
        "Stop"
    } else {
        "something else"
    }
}

/// Throws `payload` in and describes the outcome the way the Python twin does.
fn throw_and_show<Y: Display, R: Debug>(
    g: &mut Generator<(), Y, R>,
    payload: Box<dyn Any + Send>,
) -> String {
    match catch_unwind(AssertUnwindSafe(|| g.throw(payload))) {
        Ok(state) => show(state),
        Err(escaped) => format!("came back out: {}", payload_name(&*escaped)),
    }
}

/// Counts up from 1; a thrown `Reset` starts it again, anything else ends
/// it (and its cleanup guard runs on the way out).
fn counter(name: &'static str) -> Generator<(), u32> {
    Generator::new(move |y, ()| {
        let _finally = Cleanup(name);
        let mut n = 0;
        loop {
            n += 1;
            // `try: yield n` / `except Reset:` is a catch_unwind around the yield.
            match catch_unwind(AssertUnwindSafe(|| y.yield_(n))) {
                Ok(()) => {}
                Err(payload) if payload.is::<Reset>() => {
                    println!("  {name} caught Reset");
                    n = 0;
                }
                Err(other) => resume_unwind(other),
            }
        }
    })
}

fn throw() {
    section(
        r#"h. throw: raising at the paused yield
class Reset(Exception): pass
def counter(name):
    try:
        n = 0
        while True:
            n += 1
            try:
                yield n
            except Reset:
                print(f"{name} caught Reset")
                n = 0
    finally:
        print("cleanup:", name)
"#,
    );
    note("g.throw(Box::new(Reset)) unwinds from the paused yield_; catch_unwind is the except");
    let mut g = counter("counter");
    println!("  resume -> {}", show(g.resume(())));
    println!("  resume -> {}", show(g.resume(())));
    println!(
        "  throw(Reset) -> {}",
        throw_and_show(&mut g, Box::new(Reset))
    );
    println!(
        "  throw(Stop) -> {}",
        throw_and_show(&mut g, Box::new(Stop))
    );
    println!("  status after throw: {:?}", g.status());

    println!("  through yield from: the innermost generator gets the throw first");
    let mut delegator =
        Generator::new(|y: &Yielder<(), u32>, ()| y.yield_from(counter("delegate")));
    println!("  resume -> {}", show(delegator.resume(())));
    println!(
        "  throw(Reset) -> {}",
        throw_and_show(&mut delegator, Box::new(Reset))
    );
    println!("  close()");
    delegator.close();

    let mut unstarted = counter("never started");
    println!(
        "  throw(Reset) before the first resume -> {}",
        throw_and_show(&mut unstarted, Box::new(Reset))
    );
    println!("  status after throw: {:?}", unstarted.status());
}

fn main() {
    println!("Generators in Python and corio, side by side");
    send_running_average();
    return_value();
    recursive_walk();
    delegation();
    close_and_drop();
    status();
    iterator();
    throw();
}
