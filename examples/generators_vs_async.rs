//! One producer written three ways, then two things only a stackful
//! coroutine can do. Run `cargo run --release --example generators_vs_async`.
//!
//! The twins are `examples/python/generators_vs_async.py` (a Python
//! generator) and `examples/tokio_generators_vs_async.rs` (tokio, where a
//! producer is an async task feeding a channel or a hand-written
//! `poll_next`). All three print the same numbers for the shared part, then
//! show how far each model gets with:
//!
//! (a) yielding from a plain nested function: a recursive tree walk that is
//!     handed `&Yielder` and calls `yield_` at every depth;
//! (b) yielding from inside a callback that a library function calls:
//!     `slice::sort_by`'s comparator hands each comparison to the consumer
//!     and waits for the consumer's verdict.
//!
//! Both work here because the generator has a stack of its own: `yield_`
//! suspends the whole stack, whatever frames are on it (our functions or
//! std's sort), and `resume` continues it where it stopped.

use std::cmp::Ordering;

use corio::{Generator, GeneratorState, Yielder, r#gen};

/// The shared producer: the Collatz sequence from `start` down to 1.
fn collatz(start: u64) -> impl Iterator<Item = u64> {
    r#gen(move |y| {
        let mut n = start;
        y.yield_(n);
        while n != 1 {
            n = if n.is_multiple_of(2) {
                n / 2
            } else {
                3 * n + 1
            };
            y.yield_(n);
        }
    })
}

/// A binary tree of letters.
struct Tree {
    value: char,
    left: Option<Box<Tree>>,
    right: Option<Box<Tree>>,
}

/// Builds a balanced tree holding `letters` in order.
fn balanced(letters: &[char]) -> Option<Box<Tree>> {
    let (left, rest) = letters.split_at(letters.len() / 2);
    let (&value, right) = rest.split_first()?;
    let (left, right) = (balanced(left), balanced(right));
    Some(Box::new(Tree { value, left, right }))
}

/// An in-order walk: a plain recursive function, not a generator and not
/// `async`. It yields each node, with its depth, from whatever depth of
/// recursion it has reached; no frame in between knows or cares.
fn walk(y: &Yielder<(), (usize, char)>, node: &Tree, depth: usize) {
    if let Some(left) = &node.left {
        walk(y, left, depth + 1);
    }
    y.yield_((depth, node.value));
    if let Some(right) = &node.right {
        walk(y, right, depth + 1);
    }
}

fn main() {
    println!("== the shared producer: Collatz from 6, as a corio generator ==");
    let numbers: Vec<u64> = collatz(6).collect();
    println!("  {numbers:?}");
    println!("  # a closure on its own stack; `y.yield_(n)` suspends it mid-loop");

    println!("\n== (a) yield from a plain nested function ==");
    let tree = balanced(&['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    let nodes = r#gen(move |y| {
        if let Some(root) = &tree {
            walk(y, root, 0);
        }
    });
    let shown: Vec<String> = nodes.map(|(depth, c)| format!("{c}@{depth}")).collect();
    println!("  in order (letter@depth): {}", shown.join(" "));
    println!("  # `walk` is an ordinary fn taking `&Yielder`; it recurses with plain calls,");
    println!("  # no `yield from` at each level, no `async`, no `Box::pin` per call, and a");
    println!("  # yield costs one stack switch whatever the depth");

    let letters = (b'a'..=b'z').cycle().take(10_000).map(char::from);
    let deep = letters.fold(None, |below, value| {
        Some(Box::new(Tree {
            value,
            left: below,
            right: None,
        }))
    });
    let count = Generator::with_stack_size(8 << 20, move |y, ()| {
        if let Some(root) = &deep {
            walk(y, root, 0);
        }
    })
    .count();
    println!("  a 10000-deep degenerate tree walks the same way: {count} nodes yielded");
    println!("  # (it needs a bigger stack, asked for with Generator::with_stack_size)");

    println!("\n== (b) yield from inside a library's callback: sort_by asks us ==");
    let words = vec!["pear", "fig", "banana", "kiwi", "apple", "plum"];
    println!("  sorting {words:?} with std's slice::sort_by, comparisons answered outside");
    // Input: the verdict on the last comparison; output: the next pair to judge.
    let mut sorter: Generator<Ordering, (&str, &str), Vec<&str>> =
        Generator::new(move |y, _start| {
            let mut words = words;
            words.sort_by(|a, b| y.yield_((*a, *b))); // suspends inside std's sort
            words
        });
    let mut verdict = Ordering::Equal; // the first resume only starts the body
    let mut asked = 0;
    let sorted = loop {
        match sorter.resume(verdict) {
            GeneratorState::Yielded((a, b)) => {
                // The consumer decides: shorter words first, ties alphabetical.
                verdict = a.len().cmp(&b.len()).then(a.cmp(b));
                asked += 1;
                println!("  sort_by asks: {a:?} vs {b:?} -> {verdict:?}");
            }
            GeneratorState::Complete(sorted) => break sorted,
        }
    };
    println!("  after {asked} questions: {sorted:?}");
    println!("  # the comparator closure is a plain `FnMut(&T, &T) -> Ordering`; `yield_`");
    println!("  # suspends the stack under it, std's sort frames included, and the");
    println!("  # `resume` input becomes the closure's return value");

    let mut abandoned: Generator<Ordering, (&str, &str), Vec<&str>> =
        Generator::new(|y, _start| {
            let mut words = vec!["c", "b", "a"];
            words.sort_by(|a, b| y.yield_((*a, *b)));
            words
        });
    let first = abandoned.resume(Ordering::Equal);
    drop(abandoned); // unwinds out of the middle of sort_by
    println!("  dropping a sort after its first question ({first:?}) unwinds it cleanly");
    println!("  # std's sort is unwind-safe: the slice is left a permutation, then freed");
}
