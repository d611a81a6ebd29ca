//! corio: stackful coroutines for Rust.
//!
//! A [`Generator`] runs a closure on a stack of its own. The closure can
//! suspend itself with [`Yielder::yield_`], from any depth of ordinary
//! function calls, and the caller resumes it with [`Generator::resume`],
//! passing a value back in. That is Python's generator protocol
//! (`next`/`send`/`yield`/`yield from`/`throw`/`close`) and Lua's coroutines
//! (`resume`/`yield`/`status`/`wrap`), with Rust's ownership: a suspended
//! generator that is dropped unwinds its stack and runs every destructor.
//!
//! | Python | Lua | corio |
//! |---|---|---|
//! | `g = f()` (generator function) | `co = coroutine.create(f)` | `let mut g = Generator::new(f)` |
//! | `next(g)` / `g.send(v)` | `coroutine.resume(co, v)` | `g.resume(v)` |
//! | `x = yield v` | `x = coroutine.yield(v)` | `let x = y.yield_(v)` |
//! | `r = yield from sub` | — | `let r = y.yield_from(sub)` |
//! | `StopIteration.value` | last `resume` results | `GeneratorState::Complete(r)` |
//! | `g.throw(exc)` (raised at the paused `yield`) | — | `g.throw(Box::new(exc))` (unwinds from the paused `yield_`; `catch_unwind` is `except`) |
//! | `g.close()` (`GeneratorExit`, `finally`) | `coroutine.close(co)` | `g.close()` / `drop(g)` (destructors run) |
//! | `inspect.getgeneratorstate(g)` | `coroutine.status(co)` | `g.status()` |
//! | `for x in gen():` | `for x in coroutine.wrap(f)` | `for x in corio::r#gen(f)` |
//!
//! # Example
//!
//! ```
//! use corio::{Generator, GeneratorState, Yielder};
//!
//! // An ordinary function that yields: it runs on the generator's stack.
//! fn countdown(y: &Yielder<(), String>, from: u32) {
//!     for n in (1..=from).rev() {
//!         y.yield_(format!("{n}..."));
//!     }
//! }
//!
//! let mut launch = Generator::new(|y, ()| {
//!     countdown(y, 3);
//!     "liftoff"
//! });
//! assert_eq!(launch.resume(()), GeneratorState::Yielded("3...".to_string()));
//! assert_eq!(launch.resume(()), GeneratorState::Yielded("2...".to_string()));
//! assert_eq!(launch.resume(()), GeneratorState::Yielded("1...".to_string()));
//! assert_eq!(launch.resume(()), GeneratorState::Complete("liftoff"));
//! ```
//!
//! # Tasks
//!
//! [`run`] starts a single-threaded event loop (mio underneath) whose tasks
//! are stackful too. Code in a task calls blocking-style functions
//! ([`sleep`], [`JoinHandle::join`], reads on [`net::TcpStream`], receives
//! on a [`sync::channel`]); where one would block, the task's stack is
//! parked and another task runs, with no `async` colouring:
//!
//! ```
//! use std::io::{BufRead, BufReader, Write};
//! use std::time::Duration;
//! use corio::net::{TcpListener, TcpStream};
//!
//! let greeting = corio::run(|| {
//!     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     corio::spawn(move || {
//!         let (mut client, _) = listener.accept().unwrap();
//!         corio::sleep(Duration::from_millis(10)); // parks this task only
//!         client.write_all(b"hello from a task\n").unwrap();
//!     });
//!     let stream = TcpStream::connect(addr).unwrap();
//!     let mut line = String::new();
//!     BufReader::new(&stream).read_line(&mut line).unwrap(); // std's BufReader
//!     line
//! });
//! assert_eq!(greeting, "hello from a task\n");
//! ```
//!
//! Also: [`gather`], [`join()`], [`race`], [`select`], [`timeout`], structured
//! [`scope`], cancellation with [`JoinHandle::abort`] (the task's stack
//! unwinds), [`sync`]'s channel, FIFO semaphore, mutex and event,
//! per-task storage with [`task_local!`] (a `thread_local!` would be shared
//! by every task of the thread), and [`trace`], which records each task's
//! lifecycle from real events.
//!
//! # Seeing inside
//!
//! Every task has an id, an optional name ([`TaskBuilder`]) and the
//! place it was spawned (every spawning function is `#[track_caller]`).
//! [`dump()`] lists every task of the runtime with what it waits on (a
//! socket and its peer, a channel, a `Mutex` and the task holding it, a
//! task it joins, a timer), for how long, its spawn site, its stack's
//! resident size, and a real backtrace of the line it is parked at, taken
//! at the moment of the dump without running any of its code; tasks
//! standing in the same place are printed together, as Go prints
//! goroutines. [`dump_on_sigquit`] prints it on `SIGQUIT`; a deadlock
//! panic of [`run`] carries it, and names the wait-for cycle ("task 1
//! 'main' joins task 2 'wants-the-lock'; task 2 'wants-the-lock' waits for
//! the Mutex held by task 1 'main'"). A panic in a task is printed with the
//! task's name and spawn site. The stall watchdog
//! ([`Builder::stall_threshold`], or `CORIO_STALL_MS=200`; off by default)
//! prints the id, name and spawn site of a task that keeps the loop from
//! turning for longer than its threshold (a blocking call in a task,
//! `std::thread::sleep` or a sync HTTP client), while it does. See
//! [`debug`].
//!
//! # Testing with virtual time
//!
//! [`test::run`] runs a test's body on a virtual clock
//! ([`Builder::virtual_time`]): it stands still while tasks run and jumps
//! to the next timer whenever every task is parked on time alone, so code
//! with seconds-long sleeps and timeouts is tested in microseconds, and
//! [`time::now`] reads exactly the time it slept. A task waiting on the
//! world outside the runtime (I/O, a child process, [`unblock`],
//! [`block_on`], a [`sync::shared`] channel, a signal) stops the jump, as
//! in Go's `testing/synctest`: the loop then really waits, and the clock
//! runs at real speed. Only corio's clock is virtual:
//! `std::time::Instant::now()` and `SystemTime::now()` read the real
//! clock, so code under test that measures time reads [`time::now`].
//!
//! ```
//! use std::time::Duration;
//!
//! let waited = corio::test::run(|| {
//!     let start = corio::time::now();
//!     let _ = corio::timeout(Duration::from_secs(10), || corio::sleep(Duration::from_secs(60)));
//!     corio::time::now() - start
//! });
//! assert_eq!(waited, Duration::from_secs(10)); // and no real 10 s passed
//! ```
//!
//! # Other threads and `Future`s
//!
//! A runtime's [`Handle`] ([`handle()`]) is `Send + Sync`: any thread spawns
//! onto it ([`Handle::spawn`]) and waits for the result from anywhere
//! ([`RemoteJoinHandle`], which is also a `Future`). [`block_on`] waits for
//! any `Future` from plain code: a task parks until the future's `Waker`
//! fires, on any thread; outside `run` the thread blocks. The channels of
//! [`sync::shared`] are `Send`: tasks of different runtimes, plain threads
//! and async code pass values through them, each side waiting its own way
//! (a task parks, a thread blocks, async code awaits).
//!
//! # Many cores
//!
//! Tasks never change threads, so a program that outgrows one core runs
//! one loop per core, share-nothing: [`Builder`]`::new().threads(n)
//! .run(main)` runs `main` on `n` threads, each the main task of a
//! runtime of its own, and returns their results in thread order. Each
//! loop binds its own listener with
//! [`net::TcpListener::bind_reuseport`] and the kernel spreads the
//! connections; [`thread_index`] says which loop code runs on and
//! [`handles`] reaches the others. A panic on one loop shuts the others
//! down as soon as it is caught (before that loop's own teardown, which
//! may wait on them) and `run` re-raises it. [`run`] is
//! `Builder::new().run_local(main)`; the builder also sets the default
//! stack size of tasks and generators, and pins threads to cores.
//!
//! ```
//! // Two loops; each sums its half of the work on its own core, and loop
//! // 1 hands its part to loop 0 through a channel that crosses threads.
//! let (tx, rx) = corio::sync::shared::channel(1);
//! let totals = corio::Builder::new().threads(2).run(|| {
//!     let me = corio::thread_index() as u64;
//!     let mine: u64 = (0..1000).filter(|n| n % 2 == me).sum();
//!     if me == 1 {
//!         tx.send(mine).unwrap();
//!         return 0;
//!     }
//!     mine + rx.recv().unwrap() // parks loop 0's main task only
//! });
//! assert_eq!(totals, [499_500, 0]);
//! ```
//!
//! # Sockets and other descriptors
//!
//! [`net`] has TCP, UDP and Unix sockets shaped like std's, implementing
//! `Read` / `Write`; their address arguments take what std's take, and a
//! host name is resolved on the blocking pool ([`unblock`]) so a slow DNS
//! answer parks one task, not the loop. [`io::Registered`] gives any other
//! file descriptor (a pipe, an eventfd, another crate's socket) the same
//! parking I/O.
//!
//! # Files and signals
//!
//! [`fs`] is std's file API (`read`, `write`, `File`, `OpenOptions`,
//! `read_dir`, ...) with each call one hop to the blocking pool, since
//! epoll cannot wait for a regular file; buffers are owned, so nothing
//! borrowed from a parked stack crosses to the pool. [`signal`] waits
//! for Unix signals: [`signal::ctrl_c`] and [`signal::Signals`] park a
//! task (or block a plain thread) until one arrives, and every waiter in
//! every runtime of the process sees it.
//!
//! # A blocking HTTP client, concurrent
//!
//! With the cargo feature `ureq`, `corio::ureq::agent()` builds a
//! `ureq::Agent` on corio sockets and corio's resolver: ureq's blocking
//! calls then park the task, so requests in different tasks overlap.
//! (A plain `ureq::get` in a task blocks the whole loop; the module docs
//! say why.)
//!
//! Stacks come from per-thread pools of guarded slots: see [`stack`].
//!
//! # Child processes
//!
//! [`process::Command`] is std's builder; its [`process::Child`] waits by
//! parking the task on a pidfd the event loop watches (polling where the
//! kernel has none), and the child's pipes read and write like sockets, so
//! `BufReader` over a child's output or `Command::output` with both
//! streams at once (no pipe deadlock) park only their own task.
//!
//! # Blocking calls while a task is cancelled
//!
//! Cancelling a task ([`JoinHandle::abort`], a lost [`race`], an expired
//! [`timeout`], the end of [`run`]) unwinds its stack from the point where
//! it is parked, with the payload [`Cancelled`], so its destructors run.
//! A destructor may call blocking functions; each has one outcome there:
//!
//! | call in a destructor of a stack being cancelled | outcome |
//! |---|---|
//! | socket (TCP, UDP, Unix), child-process pipe ([`process::ChildStdout`] and the others) or [`io::Registered`] I/O, [`process::Child::wait`] (and so `Command::output` / `status`), that would wait | an error that std's retry loops do not retry (not `Interrupted`) |
//! | a request of a `ureq::Agent` from `corio::ureq::agent` (feature `ureq`) that would wait on its socket | ureq's `Error::Io` at once, from the socket row above |
//! | [`JoinHandle::join`], [`RemoteJoinHandle::join`] | `Err(JoinError::Cancelled)` at once (the joined task keeps running) |
//! | local or [`shared`](sync::shared) channel `recv` / `send`, [`oneshot`](sync::shared::oneshot) `recv`, that would wait | `None` / `Err` at once |
//! | [`sleep`], [`sync::Event::wait`], [`yield_now`] | return at once |
//! | [`signal::ctrl_c`], [`signal::Signals::recv`] that would wait | an error / `None` at once (a signal already delivered is still received) |
//! | [`sync::Mutex::lock`], [`sync::Semaphore::acquire`], [`block_on`], [`unblock`], [`fs`]`::*` | park as usual: their waits end on their own (cleanup like `room.lock().remove(id)` or `fs::remove_file(tmp)` works) |
//! | [`scope`], [`gather`], [`join()`], [`race`], [`select`] called there | run their children as usual (fresh tasks, not cancelled) and park until they finish |
//! | a [`scope`] (or combinator) already waiting when its task is cancelled | cancels its children and parks until they have unwound, then the unwinding goes on |
//!
//! On the event loop's own stack outside any task (destructors of a task
//! that was cancelled before it ever ran), a call that would wait returns
//! its error, `None` or at once where the table says so (shared channels,
//! oneshots and signals included: they never freeze the loop), [`unblock`]
//! and [`fs`] run their work right there, and
//! `Mutex::lock` / `Semaphore::acquire` panic with a clear message, as
//! does `block_on` of a future that is not ready at its first poll. None
//! of them spins.
//!
//! corio tracks unwinding per stack, not per thread: a stack is
//! *cancel-unwinding* while the `Cancelled` (or deadline) payload corio
//! raised on it is alive, and corio never raises a cancellation into a
//! stack that is unwinding anything (a panic, a close), since a panic
//! escaping a destructor aborts the process. Cancellation is sticky: a
//! task that catches `Cancelled` and drops it gets it again at its next
//! park point. A fresh [`run`] inside a destructor of an unrelated panic
//! behaves like any other.
//!
//! One caveat comes from std: `std::thread::panicking()` is per thread.
//! While any task is parked in the middle of unwinding (say, a cancelled
//! task's destructor waiting for a `Mutex`), it reads `true` in *every*
//! task of the thread. Do not use it to decide "am I being cancelled".
//! corio cannot tell either whether a task that caught a panic of its own
//! is still unwinding then, so a cancellation (or an expired deadline) of
//! such a task waits until no stack of the thread unwinds any more, and is
//! raised at once after that. For the same reason a generator that caught
//! a panic or a throw and then yields while another stack is paused
//! mid-unwind is refused with a panic that says so (see
//! [`Generator::throw`]).
//!
//! A task that can never finish unwinding when `run` ends (one that keeps
//! catching its cancellation, or one parked mid-unwind on something no
//! task will ever do) is reported on stderr and its stack is leaked,
//! never resumed: dropping a stack paused mid-unwind would abort the
//! process. That is corio's one deliberate leak.
//!
//! # Platforms
//!
//! Linux on x86_64 and aarch64. Other targets fail to build with a
//! `compile_error!` that says so, and so do builds with `panic = "abort"`:
//! cancellation, `close` and the end of [`run`] unwind coroutine stacks.

#![warn(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    clippy::undocumented_unsafe_blocks
)]
#![doc(test(attr(deny(warnings))))]

// Stacks, guard pages and the overflow handler are written against Linux
// (`MADV_GUARD_INSTALL`, `MAP_NORESERVE`, `sigaltstack` semantics), and
// only x86_64 and aarch64 are built and tested.
#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
compile_error!(
    "corio supports Linux on x86_64 and aarch64 only: its stack pool, guard pages and \
     stack-overflow handler use Linux memory-mapping and signal APIs"
);

// Cancelling a task, closing a generator and shutting a runtime down all
// unwind the coroutine's stack so its destructors run; with panics that
// abort there is nothing to unwind with, and every cancellation would kill
// the process.
#[cfg(panic = "abort")]
compile_error!(
    "corio needs panic = \"unwind\": cancelling a task, closing or dropping a \
     suspended generator and ending a runtime unwind the coroutine's stack to run its \
     destructors, which `panic = \"abort\"` cannot do; remove `panic = \"abort\"` from \
     the profile (or -C panic=abort from RUSTFLAGS)"
);

mod context;
pub mod debug;
pub mod fs;
mod generator;
pub mod io;
#[cfg(feature = "test-faults")]
#[doc(hidden)]
pub mod model_faults;
pub mod net;
pub mod process;
mod reactor;
mod runtime;
pub mod signal;
pub mod stack;
pub mod sync;
pub mod test;
mod thread;
pub mod time;
pub mod trace;
mod unstarted;
#[cfg(feature = "ureq")]
pub mod ureq;

pub use debug::{Dump, dump, dump_on_sigquit};
pub use generator::{Generator, GeneratorState, Status, Yielder, r#gen};
pub use runtime::{
    AccessError, Builder, Cancelled, Either, Elapsed, JoinError, JoinHandle, LocalKey, Scope,
    ScopedJoinHandle, TaskBuilder, gather, handles, join, race, run, scope, select, sleep,
    sleep_until, spawn, spawn_with_stack_size, thread_count, thread_index, timeout, yield_now,
};
#[doc(hidden)]
pub use thread::retire_blocking_threads;
pub use thread::{Handle, RemoteJoinHandle, block_on, handle, unblock};

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
