//! The process-wide half of signal handling: one handler per signal that
//! only writes to a self-pipe, and one dispatcher thread that counts the
//! deliveries and wakes the waiters of every runtime and thread.
//!
//! ```text
//!   kernel --signal--> handler (any thread; async-signal-safe):
//!                        PENDING[n] = true; write(pipe, 1 byte)
//!   dispatcher thread:   read(pipe) -> for each PENDING[n] swapped to false:
//!                        delivered[n] += 1, wake every waiter of n
//!   a `Signals`:         reports n once delivered[n] passed what it saw
//! ```
//!
//! Handlers are installed through `signal-hook-registry`, which chains a
//! handler installed before ours (it runs first), keeps `errno` intact
//! around ours, and lets other crates (signal-hook, tokio) share the same
//! signal. A handler stays installed for the rest of the process.

use std::collections::HashMap;
use std::io::{self, PipeReader, PipeWriter, Read};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::task::Waker;

/// One slot per signal number, up to Linux's `SIGRTMAX` (64): slot `n`
/// is signal `n` (slot 0 is unused).
pub(super) const SLOTS: usize = 65;

/// Set by signal `n`'s handler, cleared by the dispatcher when it counts
/// the delivery: several deliveries before it looks count as one.
static PENDING: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];

/// The dispatcher, once started; see [`dispatcher`].
static DISPATCHER: OnceLock<Dispatcher> = OnceLock::new();

/// What the handlers, the dispatcher thread and every `Signals` share.
pub(super) struct Dispatcher {
    state: Mutex<State>,
    /// The self-pipe's write end (non-blocking), written by the handlers.
    /// Never dropped: the handlers hold its descriptor number.
    writer: PipeWriter,
}

/// Deliveries and waiters, under the dispatcher's lock.
pub(super) struct State {
    /// Deliveries of each signal counted so far; only ever grows.
    pub(super) delivered: [u64; SLOTS],
    /// When each signal was last delivered, in a sequence shared by all
    /// signals: a `Signals` with several pending reports the oldest first.
    pub(super) last_seq: [u64; SLOTS],
    seq: u64,
    /// Signals whose handler is installed, bit `n` for signal `n`.
    installed: u128,
    /// Receivers waiting, by key: the signals each waits for (bit `n`)
    /// and its waker. A delivery removes and wakes the ones it concerns;
    /// a receiver polled again puts itself back.
    waiters: HashMap<u64, (u128, Waker)>,
    next_key: u64,
}

/// The bit of signal `n` in a mask of signals.
pub(super) fn bit(signal: usize) -> u128 {
    1 << signal
}

/// The dispatcher, starting it (the pipe and its thread) on first use.
///
/// # Errors
///
/// If the pipe or the thread cannot be made; a later call tries again.
pub(super) fn dispatcher() -> io::Result<&'static Dispatcher> {
    if let Some(dispatcher) = DISPATCHER.get() {
        return Ok(dispatcher);
    }
    static STARTING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = STARTING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(dispatcher) = DISPATCHER.get() {
        return Ok(dispatcher);
    }
    let (reader, writer) = io::pipe()?;
    // Non-blocking, so a handler never blocks on a full pipe.
    crate::io::set_nonblocking(writer.as_fd(), true)?;
    std::thread::Builder::new()
        .name("corio-signals".into())
        .spawn(move || serve(reader))?;
    let dispatcher = Dispatcher {
        state: Mutex::new(State {
            delivered: [0; SLOTS],
            last_seq: [0; SLOTS],
            seq: 0,
            installed: 0,
            waiters: HashMap::new(),
            next_key: 0,
        }),
        writer,
    };
    // Under STARTING and checked empty above: this cannot fail.
    let _ = DISPATCHER.set(dispatcher);
    Ok(DISPATCHER.wait())
}

impl Dispatcher {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing under the lock panics halfway through a change (only
        // `Waker::clone` runs there, before the change it belongs to).
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Installs the handlers of the signals in `mask` not installed yet.
    ///
    /// # Errors
    ///
    /// If `sigaction` refuses one (the others stay installed).
    pub(super) fn install(&self, state: &mut State, mask: u128) -> io::Result<()> {
        let fd = self.writer.as_raw_fd();
        for signal in 1..SLOTS {
            if mask & bit(signal) == 0 || state.installed & bit(signal) != 0 {
                continue;
            }
            let number = signal as libc::c_int;
            // SAFETY: the action (`on_signal`) is async-signal-safe: it
            // stores to a lock-free atomic and calls write(2), nothing
            // that allocates, locks or panics; `fd` stays open for the
            // rest of the process (the writer lives in a static). The
            // signal is not one of signal-hook-registry's forbidden ones
            // (`Signals::new` refused those), so `register` does not panic.
            unsafe { signal_hook_registry::register(number, move || on_signal(signal, fd)) }?;
            state.installed |= bit(signal);
        }
        Ok(())
    }
}

impl State {
    /// Queues a waiter for the signals in `mask`, or updates its waker;
    /// returns its key, and the waker replaced (to drop once the lock is
    /// released).
    pub(super) fn wait(
        &mut self,
        key: Option<u64>,
        mask: u128,
        waker: &Waker,
    ) -> (u64, Option<Waker>) {
        let key = key.unwrap_or_else(|| {
            self.next_key += 1;
            self.next_key
        });
        let replaced = match self.waiters.get_mut(&key) {
            Some((_, old)) if old.will_wake(waker) => None,
            Some((_, old)) => Some(std::mem::replace(old, waker.clone())),
            None => {
                self.waiters.insert(key, (mask, waker.clone()));
                None
            }
        };
        (key, replaced)
    }

    /// Takes waiter `key` out of the queue (if a delivery has not already);
    /// returns its waker, to drop once the lock is released.
    #[must_use]
    pub(super) fn forget(&mut self, key: u64) -> Option<Waker> {
        self.waiters.remove(&key).map(|(_, waker)| waker)
    }
}

/// The action run in every handler of ours: async-signal-safe only.
fn on_signal(signal: usize, fd: RawFd) {
    // `signal` is below SLOTS (checked by `Signals::new`); `get` keeps
    // even a broken promise from panicking inside a handler.
    if let Some(flag) = PENDING.get(signal) {
        flag.store(true, Ordering::SeqCst);
    }
    let byte = 1u8;
    // SAFETY: write(2) is async-signal-safe; `byte` is one readable byte
    // for the call; `fd` is the pipe's write end, open for the rest of
    // the process. A full pipe (EAGAIN, it is non-blocking) loses
    // nothing: the bytes already in it wake the dispatcher, which then
    // sees this flag. The store above is ordered before the write, and
    // the write before the dispatcher's read by the pipe's own locking.
    let _ = unsafe { libc::write(fd, (&raw const byte).cast(), 1) };
}

/// The dispatcher thread: waits on the pipe, counts deliveries, wakes.
fn serve(mut reader: PipeReader) {
    let dispatcher = DISPATCHER.wait();
    let mut bytes = [0u8; 64];
    loop {
        match reader.read(&mut bytes) {
            Ok(0) => return, // not reached: the write end is never closed
            Ok(_) => dispatcher.dispatch(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                eprintln!("corio: the signal dispatcher stopped: cannot read its pipe: {e}");
                return;
            }
        }
    }
}

impl Dispatcher {
    /// Counts the deliveries flagged since the last call and wakes their
    /// waiters, after releasing the lock.
    fn dispatch(&self) {
        let mut woken = Vec::new();
        {
            let mut state = self.lock();
            let mut fired = 0;
            for (signal, pending) in PENDING.iter().enumerate() {
                if pending.swap(false, Ordering::SeqCst) {
                    state.seq += 1;
                    state.delivered[signal] += 1;
                    state.last_seq[signal] = state.seq;
                    fired |= bit(signal);
                }
            }
            if fired == 0 {
                return;
            }
            let concerned = state.waiters.extract_if(|_, (mask, _)| *mask & fired != 0);
            woken.extend(concerned.map(|(_, (_, waker))| waker));
        }
        for waker in woken {
            waker.wake();
        }
    }
}
