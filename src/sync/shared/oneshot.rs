//! [`oneshot`]: one value, sent once, from anywhere to anywhere.
//!
//! Both ends share one small state under a mutex: the value once sent,
//! whether each end is still there, and the waker of the receiver's last
//! poll. The receiver is a `Future`; its blocking `recv` runs it through
//! [`crate::block_on`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::may_wait;
use crate::sync::TryRecvError;

/// Creates a channel for a single value: the reply slot of a request, the
/// result of a job. Both ends are `Send` (and `Sync`) when `T: Send`.
///
/// # Examples
///
/// A task asks a plain thread for an answer and parks until it comes:
///
/// ```
/// let (reply, answer) = corio::sync::shared::oneshot();
/// let worker = std::thread::spawn(move || reply.send(6 * 7).unwrap());
/// assert_eq!(corio::run(move || answer.recv()), Some(42));
/// worker.join().unwrap();
/// ```
pub fn oneshot<T>() -> (OneshotSender<T>, OneshotReceiver<T>) {
    let slot = Arc::new(Slot {
        state: Mutex::new(SlotState {
            value: None,
            sender_alive: true,
            receiver_alive: true,
            waker: None,
        }),
    });
    (
        OneshotSender {
            slot: Some(Arc::clone(&slot)),
        },
        OneshotReceiver { slot },
    )
}

/// What both ends of a oneshot share.
struct Slot<T> {
    state: Mutex<SlotState<T>>,
}

struct SlotState<T> {
    /// The value, from `send` until the receiver takes it.
    value: Option<T>,
    /// False once the sender has sent or been dropped.
    sender_alive: bool,
    /// False once the receiver has been dropped; `send` fails from then on.
    receiver_alive: bool,
    /// The waker of the receiver's last pending poll, woken (after the
    /// lock is released) by `send` or by the sender's drop.
    waker: Option<Waker>,
}

impl<T> Slot<T> {
    fn lock(&self) -> MutexGuard<'_, SlotState<T>> {
        // Only `Waker::clone` / `will_wake` run under the lock, before any
        // change: a panic there leaves the state as it was.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The sending half of a [`oneshot`]: [`send`](OneshotSender::send)
/// consumes it. Dropping it unsent tells the receiver that nothing comes.
///
/// # Examples
///
/// ```
/// let (tx, rx) = corio::sync::shared::oneshot::<u8>();
/// drop(tx);
/// assert_eq!(rx.recv(), None); // the sender is gone, nothing was sent
/// ```
pub struct OneshotSender<T> {
    /// `None` once sent, so that `Drop` knows.
    slot: Option<Arc<Slot<T>>>,
}

impl<T> OneshotSender<T> {
    /// Sends `value` and wakes the receiver; never waits.
    ///
    /// # Errors
    ///
    /// `Err(value)` if the receiver has been dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corio::sync::shared::oneshot();
    /// std::thread::spawn(move || tx.send("done").unwrap()).join().unwrap();
    /// assert_eq!(rx.recv(), Some("done"));
    ///
    /// let (tx, rx) = corio::sync::shared::oneshot();
    /// drop(rx);
    /// assert_eq!(tx.send("nobody listens"), Err("nobody listens"));
    /// ```
    pub fn send(mut self, value: T) -> Result<(), T> {
        let slot = self.slot.take().expect("a oneshot sender sends once");
        let mut state = slot.lock();
        state.sender_alive = false;
        if !state.receiver_alive {
            drop(state);
            return Err(value);
        }
        state.value = Some(value);
        let waker = state.waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }
}

impl<T> Drop for OneshotSender<T> {
    fn drop(&mut self) {
        let Some(slot) = self.slot.take() else {
            return; // sent
        };
        let waker = {
            let mut state = slot.lock();
            state.sender_alive = false;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake(); // it will see `None`
        }
    }
}

impl<T> fmt::Debug for OneshotSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let receiver_alive = self.slot.as_ref().map(|s| s.lock().receiver_alive);
        f.debug_struct("OneshotSender")
            .field("receiver_alive", &receiver_alive)
            .finish()
    }
}

/// The receiving half of a [`oneshot`]: [`recv`](OneshotReceiver::recv)
/// waits from plain code, and the receiver itself is a
/// `Future<Output = Option<T>>` for async code (tokio, or
/// [`crate::block_on`]).
///
/// # Examples
///
/// A tokio runtime awaits a value a corio task sends:
///
/// ```
/// let (tx, rx) = corio::sync::shared::oneshot();
/// let corio_side = std::thread::spawn(move || {
///     corio::run(move || {
///         corio::sleep(std::time::Duration::from_millis(5));
///         tx.send("from corio").unwrap();
///     })
/// });
/// let tokio_rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// assert_eq!(tokio_rt.block_on(rx), Some("from corio"));
/// corio_side.join().unwrap();
/// ```
pub struct OneshotReceiver<T> {
    slot: Arc<Slot<T>>,
}

impl<T> OneshotReceiver<T> {
    /// Waits for the value; `None` if the sender was dropped without
    /// sending. In a corio task (of any runtime) the wait parks the task,
    /// on a plain thread it blocks the thread; a parked task counts as
    /// waiting for another thread, so its loop does not report a deadlock.
    ///
    /// In a destructor of a task being cancelled, or on an event loop
    /// outside any task, it returns `None` at once if the value has not
    /// come yet (see the crate docs' outcome table).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corio::sync::shared::oneshot();
    /// let there = std::thread::spawn(move || corio::run(move || rx.recv()));
    /// tx.send([1, 2, 3]).unwrap();
    /// assert_eq!(there.join().unwrap(), Some([1, 2, 3]));
    /// ```
    pub fn recv(mut self) -> Option<T> {
        match self.try_recv() {
            Ok(value) => return Some(value),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        if !may_wait() {
            return None;
        }
        crate::block_on(self)
    }

    /// Takes the value if it has come; never waits.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if the sender has not sent yet,
    /// [`TryRecvError::Disconnected`] if it was dropped unsent (or the
    /// value was taken already).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::TryRecvError;
    ///
    /// let (tx, mut rx) = corio::sync::shared::oneshot();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send('!').unwrap();
    /// assert_eq!(rx.try_recv(), Ok('!'));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = self.slot.lock();
        match state.value.take() {
            Some(value) => Ok(value),
            None if state.sender_alive => Err(TryRecvError::Empty),
            None => Err(TryRecvError::Disconnected),
        }
    }
}

impl<T> Future for OneshotReceiver<T> {
    type Output = Option<T>;

    /// Ready with the value once sent, or with `None` once the sender is
    /// gone unsent (also on every poll after that).
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.slot.lock();
        if let Some(value) = state.value.take() {
            return Poll::Ready(Some(value));
        }
        if !state.sender_alive {
            return Poll::Ready(None);
        }
        if !state
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            let old = state.waker.replace(cx.waker().clone());
            drop(state);
            drop(old);
        }
        Poll::Pending
    }
}

impl<T> Drop for OneshotReceiver<T> {
    fn drop(&mut self) {
        let (value, waker) = {
            let mut state = self.slot.lock();
            state.receiver_alive = false;
            (state.value.take(), state.waker.take())
        };
        // Unlocked: the value's destructor may be anyone's code.
        drop((value, waker));
    }
}

impl<T> fmt::Debug for OneshotReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.slot.lock();
        f.debug_struct("OneshotReceiver")
            .field("sent", &state.value.is_some())
            .field("sender_alive", &state.sender_alive)
            .finish()
    }
}
