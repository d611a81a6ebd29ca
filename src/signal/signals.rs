//! [`Signals`]: one receiver of a set of signals, and the future its
//! `recv` waits on.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::dispatch::{self, Dispatcher, SLOTS, State, bit};
use super::refusal;

/// Signals that `Signals::new` refuses: those that cannot be caught
/// (`SIGKILL`, `SIGSTOP`), and the faults whose handler must not simply
/// return (`SIGILL`, `SIGFPE`, `SIGSEGV`, `SIGBUS`; corio's own stack
/// overflow handler owns the last two).
const REFUSED: [libc::c_int; 6] = [
    libc::SIGKILL,
    libc::SIGSTOP,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGSEGV,
    libc::SIGBUS,
];

/// A receiver of the signals it was made for: [`recv`](Signals::recv)
/// parks the task (or blocks the thread, outside [`run`](crate::run))
/// until the next one, and returns its number. It is also an
/// [`Iterator`] of them.
///
/// Every `Signals` sees every delivery of its signals that happens after
/// it was made, whichever runtime or thread it lives on: a signal is not
/// handed to one receiver but shown to all. Deliveries it has not
/// received yet wait for its next `recv`; several deliveries of one signal
/// in between count as one (the kernel itself merges a signal that is
/// already pending), and when several signals are waiting, the one
/// delivered first comes first. See the [module docs](crate::signal) for
/// what happens to a signal nobody has a `Signals` for.
///
/// `Signals` is `Send` and `Sync`: it is only a record of what it has
/// seen. Make one before starting the work it should interrupt, so that
/// a signal that comes early is not missed.
///
/// # Examples
///
/// ```
/// use corio::signal::Signals;
///
/// let mut signals = Signals::new([libc::SIGUSR1, libc::SIGUSR2])?;
/// let got = corio::run(move || {
///     // A plain thread signals the process; the task parks until then.
///     std::thread::spawn(|| {
///         // SAFETY: raise(3) sends a signal to the calling thread; a
///         // handler for it is installed (by `Signals::new` above).
///         unsafe { libc::raise(libc::SIGUSR2) };
///     });
///     signals.recv()
/// });
/// assert_eq!(got, Some(libc::SIGUSR2));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Signals {
    dispatcher: &'static Dispatcher,
    /// The signals received, bit `n` for signal `n`.
    mask: u128,
    /// For each of them: the deliveries counted when it was last
    /// reported (or when this receiver was made).
    seen: Vec<(usize, u64)>,
}

impl Signals {
    /// A receiver of `signals` (numbers such as `libc::SIGTERM`), seeing
    /// every delivery from now on. Installs corio's handler for each
    /// signal that has none yet; from then on the signal no longer does
    /// its default action (for `SIGINT` or `SIGTERM`: ending the process)
    /// in this process.
    ///
    /// Never waits, so it is fine anywhere, also where `recv` would not
    /// wait.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `signals` is empty or holds a number that is not
    /// a signal, or one that cannot be waited for: `SIGKILL` and
    /// `SIGSTOP` (never caught) and `SIGILL`, `SIGFPE`, `SIGSEGV`,
    /// `SIGBUS` (faults). Otherwise, an error of `sigaction`, or of
    /// starting the dispatcher's pipe or thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::signal::Signals;
    ///
    /// assert!(Signals::new([libc::SIGTERM, libc::SIGHUP]).is_ok());
    /// let refused = Signals::new([libc::SIGKILL]).unwrap_err();
    /// assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn new(signals: impl IntoIterator<Item = i32>) -> io::Result<Signals> {
        let mut mask = 0;
        for signal in signals {
            mask |= bit(check(signal)?);
        }
        if mask == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "corio: Signals::new needs at least one signal",
            ));
        }
        let dispatcher = dispatch::dispatcher()?;
        let mut state = dispatcher.lock();
        dispatcher.install(&mut state, mask)?;
        let seen = (1..SLOTS)
            .filter(|&n| mask & bit(n) != 0)
            .map(|n| (n, state.delivered[n]))
            .collect();
        drop(state);
        Ok(Signals {
            dispatcher,
            mask,
            seen,
        })
    }

    /// Waits for the next of its signals and returns its number: a
    /// delivery not received yet returns at once; otherwise the task
    /// parks (never the thread) or, outside [`run`](crate::run), the
    /// thread blocks. The wait ends for a signal from any thread, even
    /// one delivered to another runtime's thread.
    ///
    /// Returns `None` only where it must not wait: in a destructor of a
    /// task being cancelled, and on the event loop's own stack outside
    /// any task (see the [crate docs](crate#blocking-calls-while-a-task-is-cancelled));
    /// a delivery already there is still returned.
    ///
    /// A task waiting here counts as waiting for another thread: its
    /// loop sleeps until the signal comes, it reports no deadlock.
    ///
    /// # Examples
    ///
    /// A signal delivered while nobody waits is kept for the next `recv`:
    ///
    /// ```
    /// use corio::signal::Signals;
    ///
    /// let mut signals = Signals::new([libc::SIGWINCH])?;
    /// // SAFETY: raise(3) signals the calling thread; the handler is installed.
    /// unsafe { libc::raise(libc::SIGWINCH) };
    /// // Later, in a task: it is still there.
    /// assert_eq!(corio::run(|| signals.recv()), Some(libc::SIGWINCH));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn recv(&mut self) -> Option<i32> {
        if let Some(signal) = self.try_recv() {
            return Some(signal);
        }
        if refusal().is_some() {
            return None;
        }
        Some(crate::block_on(Next {
            signals: self,
            key: None,
        }))
    }

    /// The next of its signals if one was delivered and not received yet;
    /// never waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::signal::Signals;
    ///
    /// let mut signals = Signals::new([libc::SIGURG])?;
    /// assert_eq!(signals.try_recv(), None);
    /// // SAFETY: raise(3) signals the calling thread; the handler is installed.
    /// unsafe { libc::raise(libc::SIGURG) };
    /// // The dispatcher thread counts it a moment later: wait for it.
    /// assert_eq!(signals.recv(), Some(libc::SIGURG));
    /// assert_eq!(signals.try_recv(), None); // one delivery, received once
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_recv(&mut self) -> Option<i32> {
        let state = self.dispatcher.lock();
        self.take(&state)
    }

    /// Marks the oldest delivery not received yet as received and returns
    /// its signal.
    fn take(&mut self, state: &State) -> Option<i32> {
        let (signal, seen) = self
            .seen
            .iter_mut()
            .filter(|(n, seen)| state.delivered[*n] > *seen)
            .min_by_key(|(n, _)| state.last_seq[*n])?;
        *seen = state.delivered[*signal];
        Some(*signal as i32)
    }
}

/// The signal number `signal` as a slot, if it may be waited for.
fn check(signal: i32) -> io::Result<usize> {
    let invalid = |why: &str| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("corio: cannot wait for signal {signal}: {why}"),
        )
    };
    if signal < 1 || signal > libc::SIGRTMAX() || signal as usize >= SLOTS {
        return Err(invalid("not a signal number"));
    }
    if REFUSED.contains(&signal) {
        return Err(invalid(
            "SIGKILL and SIGSTOP cannot be caught, and SIGILL, SIGFPE, SIGSEGV and SIGBUS \
             are faults",
        ));
    }
    Ok(signal as usize)
}

impl Iterator for Signals {
    type Item = i32;

    /// [`Signals::recv`]: the iteration ends only where `recv` must not
    /// wait.
    fn next(&mut self) -> Option<i32> {
        self.recv()
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signals: Vec<usize> = self.seen.iter().map(|&(n, _)| n).collect();
        f.debug_struct("Signals")
            .field("signals", &signals)
            .finish_non_exhaustive()
    }
}

/// A [`Signals`] that wakes a `Waker` instead of a waiting task: for the
/// event loop's own watches (`corio::dump_on_sigquit`).
pub(crate) struct Watch {
    signals: Signals,
    /// Our place among the dispatcher's waiters, once queued.
    key: Option<u64>,
}

impl Watch {
    /// A watch of `signal`, seeing deliveries from now on.
    pub(crate) fn new(signal: i32) -> io::Result<Watch> {
        Ok(Watch {
            signals: Signals::new([signal])?,
            key: None,
        })
    }

    /// True if the signal came since the last call; either way `waker` is
    /// woken (from the dispatcher thread) at the next delivery.
    pub(crate) fn poll(&mut self, waker: &Waker) -> bool {
        let dispatcher = self.signals.dispatcher;
        let mut state = dispatcher.lock();
        let delivered = Signals::take(&mut self.signals, &state).is_some();
        let (key, old) = state.wait(self.key, self.signals.mask, waker);
        self.key = Some(key);
        drop(state);
        drop(old);
        delivered
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let old = self.signals.dispatcher.lock().forget(key);
            drop(old);
        }
    }
}

/// The wait of [`Signals::recv`], run by [`crate::block_on`].
struct Next<'a> {
    signals: &'a mut Signals,
    /// Our place among the dispatcher's waiters, once queued.
    key: Option<u64>,
}

impl Future for Next<'_> {
    type Output = i32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<i32> {
        let this = &mut *self;
        let dispatcher = this.signals.dispatcher;
        let mut state = dispatcher.lock();
        if let Some(signal) = this.signals.take(&state) {
            let old = this.key.take().and_then(|key| state.forget(key));
            drop(state);
            drop(old);
            return Poll::Ready(signal);
        }
        let (key, old) = state.wait(this.key, this.signals.mask, cx.waker());
        this.key = Some(key);
        drop(state);
        drop(old);
        Poll::Pending
    }
}

impl Drop for Next<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let old = self.signals.dispatcher.lock().forget(key);
            drop(old);
        }
    }
}
