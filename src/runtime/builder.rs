//! [`Builder`]: how many event loops, on which cores, with what stacks.
//!
//! corio's tasks are `!Send` (their stacks hold thread-bound state), so a
//! program that outgrows one core does not move tasks between threads: it
//! runs one loop per thread, share-nothing, each with its own tasks,
//! timers, stack pool and sockets ([`Builder::run`]). The loops meet only
//! where the program makes them meet: [`crate::handles`] and the channels
//! of [`crate::sync::shared`] carry the rare cross-loop message, and
//! [`TcpListener::bind_reuseport`](crate::net::TcpListener::bind_reuseport)
//! gives every loop a listener of its own on one port, so the kernel
//! spreads the connections.
//!
//! Every option lives in one [`Config`], copied into each runtime the
//! builder starts, so an option added later is one field there and one
//! setter here.

use std::num::NonZeroUsize;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use super::affinity;
use super::driver;
use super::group::{Group, Seat};
use crate::stack::{DEFAULT_STACK_SIZE, MAX_STACK_SIZE};

/// What a [`Builder`] configures, copied into every runtime it starts.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// Loops `Builder::run` starts; 0 means one per available core.
    pub(crate) threads: usize,
    /// The stack size of tasks and generators made without one.
    pub(crate) stack_size: usize,
    /// Pin thread `i` to the `i`-th CPU the process may run on.
    pub(crate) pin_threads: bool,
    /// The stall watchdog's threshold: `None` leaves it to
    /// `CORIO_STALL_MS`, zero turns it off (see `debug::stall`).
    pub(crate) stall_threshold: Option<Duration>,
    /// Give each runtime a virtual clock (see `super::clock`).
    pub(crate) virtual_time: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            threads: 1,
            stack_size: DEFAULT_STACK_SIZE,
            pin_threads: false,
            stall_threshold: None,
            virtual_time: false,
        }
    }
}

/// Configures and starts corio runtimes: one on this thread
/// ([`run_local`](Builder::run_local), what [`crate::run`] does), or one
/// per thread on as many threads as asked ([`run`](Builder::run)).
///
/// Going from one core to all of them is one line: `corio::run(main)`
/// becomes `corio::Builder::new().threads(0).run(main)`, with `main`
/// binding its listener with
/// [`bind_reuseport`](crate::net::TcpListener::bind_reuseport).
///
/// # Examples
///
/// ```
/// let squares = corio::Builder::new().threads(3).run(|| {
///     let i = corio::thread_index();
///     // A task of this thread's own loop.
///     corio::spawn(move || i * i).join().unwrap()
/// });
/// assert_eq!(squares, [0, 1, 4]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    config: Config,
}

impl Builder {
    /// A builder with the defaults: one thread, stacks of
    /// [`DEFAULT_STACK_SIZE`], no pinning.
    ///
    /// # Examples
    ///
    /// ```
    /// let answer = corio::Builder::new().run_local(|| 42);
    /// assert_eq!(answer, 42);
    /// ```
    pub fn new() -> Self {
        Builder::default()
    }

    /// How many threads [`run`](Builder::run) starts, each with a loop of
    /// its own (default 1). `0` means one per core this process may use
    /// (`std::thread::available_parallelism`, which counts the CPU
    /// affinity mask and cgroup quotas; 1 if it cannot tell).
    /// [`run_local`](Builder::run_local) ignores it.
    ///
    /// # Examples
    ///
    /// ```
    /// let counts = corio::Builder::new().threads(0).run(corio::thread_count);
    /// let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    /// assert_eq!(counts, vec![cores; cores]);
    /// ```
    pub fn threads(&mut self, n: usize) -> &mut Self {
        self.config.threads = n;
        self
    }

    /// The stack size, in bytes, of every task and generator made under
    /// these runtimes without a size of its own ([`crate::spawn`],
    /// [`crate::Scope::spawn`], [`crate::Generator::new`], the main task),
    /// instead of [`DEFAULT_STACK_SIZE`]. It is rounded up as
    /// [`crate::spawn_with_stack_size`] rounds; stacks of one size share a
    /// pool, so a program should pick few sizes.
    ///
    /// # Panics
    ///
    /// If `bytes` exceeds [`MAX_STACK_SIZE`].
    ///
    /// # Examples
    ///
    /// ```
    /// // Recursion this deep would overflow the default 256 KiB.
    /// fn depth(n: u64) -> u64 { if n == 0 { 0 } else { 1 + depth(n - 1) } }
    ///
    /// let d = corio::Builder::new()
    ///     .stack_size(8 << 20)
    ///     .run_local(|| corio::spawn(|| depth(50_000)).join().unwrap());
    /// assert_eq!(d, 50_000);
    /// ```
    pub fn stack_size(&mut self, bytes: usize) -> &mut Self {
        assert!(
            bytes <= MAX_STACK_SIZE,
            "corio: Builder::stack_size({bytes}) exceeds MAX_STACK_SIZE ({MAX_STACK_SIZE})"
        );
        self.config.stack_size = bytes;
        self
    }

    /// Pins thread `i` of [`run`](Builder::run) to one CPU with
    /// `sched_setaffinity` (default off): the `i`-th of the CPUs this
    /// process may run on (its affinity mask when `run` is called),
    /// wrapping around when there are more threads than CPUs. The thread
    /// pins itself before its runtime exists, so its stacks and buffers
    /// are first touched on its own core (and NUMA node). Pinning pays
    /// when nothing else competes for those cores; on a shared machine it
    /// can hurt. [`run_local`](Builder::run_local) ignores it.
    ///
    /// # Examples
    ///
    /// ```
    /// let threads = corio::Builder::new()
    ///     .threads(2)
    ///     .pin_threads(true)
    ///     .run(corio::thread_index);
    /// assert_eq!(threads, [0, 1]);
    /// ```
    pub fn pin_threads(&mut self, pin: bool) -> &mut Self {
        self.config.pin_threads = pin;
        self
    }

    /// Turns on the stall watchdog (off by default): when one task runs
    /// longer than `threshold` without parking, which stops every other
    /// task of its loop, a line on stderr names it (id, name, spawn site)
    /// and says for how long, once per stall; a second line says when it
    /// gives the loop back. The usual cause is a blocking call in a task:
    /// `std::thread::sleep`, std sockets or files, a sync HTTP client, a
    /// std `Mutex` held across something slow (the README lists what
    /// blocks the loop, and what to do instead).
    ///
    /// ```text
    /// corio: stall watchdog: task 2 'sleepy' (spawned at src/main.rs:9:39) has run for over
    /// 250 ms without parking, so no other task of its loop (thread 'main') can run; ...
    /// corio: stall watchdog: task 2 'sleepy' gave the loop (thread 'main') back after about 1.5 s
    /// ```
    ///
    /// What counts is one resume of a task: from when the loop switches
    /// to it until it parks, yields or finishes. The main task counts (its
    /// name is `main`), and so does a generator the task resumes; the loop
    /// waiting for I/O or timers does not. The watching is done by one
    /// thread per process (named `corio-stall`), shared by every watched
    /// runtime and gone once none is left; the loop only publishes which
    /// task it resumes (a few plain stores per resume), so its cost is
    /// small enough for production. Times are measured by that thread, so
    /// a report's "over" errs low by at most a quarter of the threshold.
    ///
    /// Without this setting, the environment variable `CORIO_STALL_MS`
    /// (a whole number of milliseconds, read when each runtime starts)
    /// sets the threshold; unset, empty or `0` is off, and any other value
    /// is ignored with a warning. This setting wins over the variable, and
    /// `Duration::ZERO` turns the watchdog off even when it is set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corio::Builder::new()
    ///     .stall_threshold(Duration::from_millis(50))
    ///     .run_local(|| {
    ///         let sleepy = corio::TaskBuilder::new().name("sleepy").spawn(|| {
    ///             // Blocks the whole loop: the watchdog reports it on stderr.
    ///             std::thread::sleep(Duration::from_millis(150));
    ///         });
    ///         sleepy.join().unwrap();
    ///     });
    /// ```
    pub fn stall_threshold(&mut self, threshold: Duration) -> &mut Self {
        self.config.stall_threshold = Some(threshold);
        self
    }

    /// Gives each runtime a virtual clock (default off), for tests of code
    /// with long timeouts: [`crate::time::now`], [`crate::sleep`],
    /// [`crate::sleep_until`], [`crate::timeout`] and socket timeouts read
    /// it, and it jumps to the next timer whenever every task is parked on
    /// time alone, so a program of 2 s sleeps runs in no time and prints
    /// what it always prints. [`crate::test::run`] is
    /// `Builder::new().virtual_time(true).run_local(f)`.
    ///
    /// The rule is Go's `testing/synctest`'s: a task that waits on the
    /// world outside the runtime (a socket, pipe or other descriptor, a
    /// child process, [`crate::unblock`], [`crate::block_on`], a channel of
    /// [`crate::sync::shared`], a [`crate::RemoteJoinHandle`], a signal)
    /// stops the jump, since that event may come before the timer. While
    /// one does, the loop really waits for it (or until the next virtual
    /// deadline, taken as a real duration) and the clock moves on by the
    /// real time that wait took. That holds for a socket whose other end
    /// is a task of the same runtime too: a test whose tasks talk over
    /// loopback runs at real speed (test the protocol over a local
    /// channel to skip its waits). Waits between the runtime's own tasks
    /// (a local channel, `Mutex`, `Semaphore`, `Event`, a join) do not
    /// stop the jump. Between the loop's turns the clock stands still.
    ///
    /// The clock starts at the real time the runtime starts; each runtime
    /// of [`run`](Builder::run) has its own. `std::time::Instant::now()`
    /// and `SystemTime` are not virtual: code under test that should see
    /// virtual time reads [`crate::time::now`].
    ///
    /// Three consequences of the rule to know when writing a test:
    ///
    /// - A task that never parks on anything but [`crate::yield_now`]
    ///   keeps the loop busy, so the clock never jumps: `timeout(1 s, ||
    ///   loop { yield_now() })` waits forever (it would end after 1 s on the
    ///   real clock). Go's `synctest` and tokio's paused clock behave the
    ///   same; give such a loop a `sleep` instead of the bare yield.
    /// - Only *waits* count as outside: work another thread posts through a
    ///   [`crate::Handle`] (`spawn`, a wake-up) is not a wait of any task
    ///   here, so it does not stop the jump, and a task that expects it
    ///   under a `timeout` sees the timeout first. Wait on something the
    ///   other thread completes instead: a [`crate::sync::shared`]
    ///   channel, a [`crate::RemoteJoinHandle`], [`crate::block_on`].
    /// - A duration too long to add to the clock (`Duration::MAX`) means
    ///   about 30 years, as on the real clock, but here they pass: a
    ///   `sleep(Duration::MAX)` returns after 30 virtual years when nothing
    ///   else is left, where the real clock would wait forever.
    ///
    /// [`crate::dump`] shows a timer's time left on the virtual clock, and
    /// how long a task has been parked in real time.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let slept = corio::Builder::new().virtual_time(true).run_local(|| {
    ///     let start = corio::time::now();
    ///     corio::sleep(Duration::from_secs(3600)); // no real hour passes
    ///     corio::time::now() - start
    /// });
    /// assert_eq!(slept, Duration::from_secs(3600)); // exactly: the clock jumped
    /// ```
    pub fn virtual_time(&mut self, on: bool) -> &mut Self {
        self.config.virtual_time = on;
        self
    }

    /// Runs `main` once on each of [`threads`](Builder::threads) new
    /// threads, each the main task of a runtime of its own, and returns
    /// their results in thread order ([`crate::thread_index`] `0, 1, ...`).
    ///
    /// Every runtime exists, and [`crate::handles`] lists them all, before
    /// any `main` starts. Each `main` ends its own runtime as
    /// [`crate::run`] does (its pending tasks are cancelled); `run`
    /// returns once all have ended.
    ///
    /// # Panics
    ///
    /// - If a `main` panics: every other runtime is shut down as by
    ///   [`crate::Handle::shutdown`] (their tasks' stacks unwind, and a
    ///   `main` still running unwinds with [`crate::Cancelled`]) as soon as
    ///   the panic is caught, before the panicking runtime's own teardown
    ///   (which may wait on the others); then, once all threads have
    ///   ended, `run` re-raises the first panic's payload. A runtime shut down through its `Handle` counts as
    ///   panicking with `Cancelled`. Each runtime also panics as
    ///   [`crate::run`] does (a deadlock, for one), with the same effect.
    /// - Inside a runtime (it would block that runtime's loop until every
    ///   thread ends): spawn a plain thread for it instead.
    /// - If a thread cannot be spawned or pinned, or a runtime cannot be
    ///   created (then no `main` runs).
    ///
    /// # Examples
    ///
    /// ```
    /// // Two loops; loop 1 sends loop 0 a value through a shared channel
    /// // (its `recv` parks loop 0's main task, not the thread).
    /// let (tx, rx) = corio::sync::shared::channel(1);
    /// let got = corio::Builder::new().threads(2).run(|| {
    ///     if corio::thread_index() == 1 {
    ///         tx.send(7).unwrap();
    ///         None
    ///     } else {
    ///         rx.recv()
    ///     }
    /// });
    /// assert_eq!(got, [Some(7), None]);
    /// ```
    #[track_caller]
    pub fn run<T, F>(&self, main: F) -> Vec<T>
    where
        F: Fn() -> T + Send + Sync,
        T: Send,
    {
        let at = std::panic::Location::caller();
        if super::current::in_runtime() {
            panic!(
                "corio: Builder::run called inside a runtime, whose loop it would block until \
                 every thread ends; call it from a plain thread"
            );
        }
        let count = match self.config.threads {
            0 => std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
            n => n,
        };
        let cpus = if self.config.pin_threads {
            let cpus = affinity::allowed_cpus()
                .unwrap_or_else(|e| panic!("corio: cannot read this process's CPU set: {e}"));
            assert!(!cpus.is_empty(), "corio: this process may run on no CPU");
            Some(cpus)
        } else {
            None
        };
        let group = Arc::new(Group::new(count));
        let config = &self.config;
        let main = &main;
        let results: Vec<Option<T>> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..count)
                .map(|index| {
                    let for_thread = group.clone();
                    let cpu = cpus.as_ref().map(|cpus| cpus[index % cpus.len()]);
                    std::thread::Builder::new()
                        .name(format!("corio-{index}"))
                        .spawn_scoped(s, move || {
                            // Should a panic escape `run_thread`, the other
                            // threads are shut down at once, not when the
                            // join below reaches this thread.
                            let escape = NoticeEscape(&for_thread, index);
                            let result =
                                run_thread(config, index, cpu, for_thread.clone(), at, main);
                            std::mem::forget(escape);
                            result
                        })
                        .unwrap_or_else(|e| {
                            // The threads already started wait for this
                            // one at their roll call: release them.
                            group.abandon_start();
                            panic!("corio: cannot spawn thread {index} of Builder::run: {e}")
                        })
                })
                .collect();
            threads
                .into_iter()
                .enumerate()
                .map(|(index, thread)| {
                    // `run_thread` catches every panic; this is belt and
                    // braces for one escaping (say, from a result's drop).
                    thread.join().unwrap_or_else(|payload| {
                        group.panicked(index, payload);
                        None
                    })
                })
                .collect()
        });
        if let Some(payload) = group.take_first_panic() {
            panic::resume_unwind(payload);
        }
        results
            .into_iter()
            .map(|r| r.expect("a thread that did not panic has a result"))
            .collect()
    }

    /// Runs `main` as the main task of a runtime on this thread and
    /// returns its result: the one-thread form of [`run`](Builder::run),
    /// with no `Send` bounds. [`crate::run`]`(main)` is
    /// `Builder::new().run_local(main)`; see it for what happens to the
    /// tasks still pending at the end, and for the panics.
    /// [`threads`](Builder::threads) and
    /// [`pin_threads`](Builder::pin_threads) do not apply here.
    ///
    /// # Panics
    ///
    /// As [`crate::run`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let shared = Rc::new(5); // not `Send`: fine here
    /// let doubled = corio::Builder::new().run_local(|| *shared * 2);
    /// assert_eq!(doubled, 10);
    /// ```
    #[track_caller]
    pub fn run_local<T, F: FnOnce() -> T>(&self, main: F) -> T {
        let at = std::panic::Location::caller();
        driver::run_runtime(&self.config, Seat::alone(), at, main)
    }
}

/// Notices a panic of thread `index` for its group when dropped: only
/// while one escapes `run_thread` (it is forgotten otherwise).
struct NoticeEscape<'a>(&'a Group, usize);

impl Drop for NoticeEscape<'_> {
    fn drop(&mut self) {
        self.0.notice_panic(self.1);
    }
}

/// The body of thread `index` of `Builder::run`: pins it, runs its
/// runtime and reports how it ended to the group.
fn run_thread<T, F: Fn() -> T>(
    config: &Config,
    index: usize,
    cpu: Option<usize>,
    group: Arc<Group>,
    at: &'static std::panic::Location<'static>,
    main: &F,
) -> Option<T> {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        if let Some(cpu) = cpu {
            affinity::pin_to(cpu).unwrap_or_else(|e| {
                panic!("corio: cannot pin thread {index} of Builder::run to CPU {cpu}: {e}")
            });
        }
        driver::run_runtime(config, Seat::in_group(index, group.clone()), at, main)
    }));
    match outcome {
        Ok(value) => Some(value),
        Err(payload) => {
            group.panicked(index, payload);
            None
        }
    }
}
