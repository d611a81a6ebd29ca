//! The tokio twin of `examples/generators_vs_async.rs`: the same producer
//! with stackless `async` Rust, then how far it gets with (a) yielding from
//! a nested function and (b) yielding from inside a library's callback.
//! Run `cargo run --release --example tokio_generators_vs_async`.
//!
//! Stable Rust has no generators and tokio (without extra crates) no
//! `Stream` trait, so a producer is either an async task feeding a channel
//! or a hand-written state machine with a `poll_next` method. An `async fn`
//! compiles to a state machine holding only its own locals: it suspends at
//! `.await`, and only code that is itself `async` can be suspended.

use std::cmp::Ordering;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

fn collatz_step(n: u64) -> u64 {
    if n.is_multiple_of(2) {
        n / 2
    } else {
        3 * n + 1
    }
}

/// The shared producer, way 1: an async block in a spawned task, sending
/// into a channel.
fn collatz_channel(start: u64) -> mpsc::Receiver<u64> {
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        let mut n = start;
        while tx.send(n).await.is_ok() && n != 1 {
            n = collatz_step(n);
        }
    });
    rx
}

/// The shared producer, way 2: the state machine written by hand. With a
/// real await inside (a timer, a socket) it would also keep that future in
/// a field and grow one state per await point: what `yield` writes for you.
struct Collatz {
    next: Option<u64>,
}

impl Collatz {
    fn poll_next(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<u64>> {
        let this = self.get_mut();
        let current = this.next;
        this.next = current.filter(|&n| n != 1).map(collatz_step);
        Poll::Ready(current)
    }
}

struct Tree {
    value: char,
    left: Option<Box<Tree>>,
    right: Option<Box<Tree>>,
}

fn balanced(letters: &[char]) -> Option<Box<Tree>> {
    let (left, rest) = letters.split_at(letters.len() / 2);
    let (&value, right) = rest.split_first()?;
    let (left, right) = (balanced(left), balanced(right));
    Some(Box::new(Tree { value, left, right }))
}

/// The tree walk: it must be `async` to wait on the channel, so every
/// caller must be `async` too, and a recursive `async fn` must box each
/// call (its future would otherwise contain itself).
async fn walk(tx: &mpsc::Sender<(usize, char)>, node: &Tree, depth: usize) {
    if let Some(left) = &node.left {
        Box::pin(walk(tx, left, depth + 1)).await;
    }
    let _ = tx.send((depth, node.value)).await;
    if let Some(right) = &node.right {
        Box::pin(walk(tx, right, depth + 1)).await;
    }
}

fn note(text: &str) {
    for line in text.trim().lines() {
        println!("  # {}", line.trim());
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("== the shared producer: Collatz from 6, with tokio ==");
    let mut rx = collatz_channel(6);
    let mut numbers = Vec::new();
    while let Some(n) = rx.recv().await {
        numbers.push(n);
    }
    println!("  channel fed by a task: {numbers:?}");
    let mut machine = Collatz { next: Some(6) };
    let mut numbers = Vec::new();
    while let Some(n) = poll_fn(|cx| Pin::new(&mut machine).poll_next(cx)).await {
        numbers.push(n);
    }
    println!("  hand-written poll_next: {numbers:?}");
    note(
        "the channel costs a spawned task, a shared buffer with its synchronisation
         and a wake-up per item, and the producer runs ahead of the consumer by
         the buffer's size; values cannot be sent back in without a second
         channel. poll_next is cheap but is the state machine a generator
         would have written for you",
    );

    println!("\n== (a) yield from a nested function ==");
    let tree = balanced(&['a', 'b', 'c', 'd', 'e', 'f', 'g']).expect("a non-empty tree");
    let (tx, mut rx) = mpsc::channel(1);
    let produce = async move { walk(&tx, &tree, 0).await }; // drops tx at the end
    let consume = async {
        let mut shown = Vec::new();
        while let Some((depth, c)) = rx.recv().await {
            shown.push(format!("{c}@{depth}"));
        }
        shown
    };
    let ((), shown) = tokio::join!(produce, consume);
    println!("  in order (letter@depth): {}", shown.join(" "));
    note(
        "it works, coloured: `walk` and everything that calls it is `async`, each
         recursive call is a `Box::pin` heap allocation, and each value goes
         through a channel. Calling `walk(..)` without `.await` only builds a
         future and drops it: like Python's plain call of a generator function,
         nothing runs (rustc warns that futures do nothing unless awaited)",
    );

    println!("\n== (b) yield from inside a library's callback: sort_by asks us? ==");
    let words = vec!["pear", "fig", "banana", "kiwi", "apple", "plum"];
    println!("  sorting {words:?} with std's slice::sort_by, comparisons answered outside?");
    note(
        "`words.sort_by(|a, b| ask(a, b).await)` does not compile:
         error[E0728]: `await` is only allowed inside `async` functions and blocks.
         An async closure does not help either: sort_by wants an `Ordering` back
         and gets a future (error[E0271]). sort_by is plain code that calls its
         comparator and needs the answer before it returns; an `.await` can only
         suspend an async state machine, and sort_by's frames are not part of one",
    );
    // What does work: run the sort on a real thread, which has a stack of its
    // own, and talk to it through channels.
    let (ask_tx, mut ask_rx) = mpsc::channel::<(&str, &str)>(1);
    let (verdict_tx, mut verdict_rx) = mpsc::channel(1);
    let sorter = tokio::task::spawn_blocking(move || {
        let mut words = words;
        words.sort_by(|a, b| {
            if ask_tx.blocking_send((*a, *b)).is_err() {
                return Ordering::Equal; // the consumer left; sort_by cannot be stopped
            }
            verdict_rx.blocking_recv().unwrap_or(Ordering::Equal)
        });
        words
    });
    let mut asked = 0;
    while let Some((a, b)) = ask_rx.recv().await {
        // The consumer decides: shorter words first, ties alphabetical.
        let verdict = a.len().cmp(&b.len()).then(a.cmp(b));
        asked += 1;
        println!("  sort_by asks: {a:?} vs {b:?} -> {verdict:?}");
        if verdict_tx.send(verdict).await.is_err() {
            break;
        }
    }
    let sorted = sorter.await.expect("the sorting thread");
    println!("  on a blocking thread, after {asked} questions: {sorted:?}");
    note(
        "this works by borrowing a stackful coroutine from the OS: a thread from
         tokio's blocking pool (megabytes of reserved stack, a kernel context
         switch and two channel hops per comparison) that cannot be aborted.
         corio does the same suspension in user space on a small pooled stack",
    );
}
