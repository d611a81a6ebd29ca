//! [`channel`]: the bounded multi-producer, multi-consumer channel that
//! crosses threads, its [`Sender`] and its [`Receiver`].
//!
//! Both ends are an `Arc` of one [`Shared`] state under a mutex (see
//! `state.rs`). The blocking calls try first, then wait through
//! [`crate::block_on`] on the futures of `wait.rs`.

use std::fmt;
use std::sync::Arc;

use super::may_wait;
use super::state::{Shared, Wakes};
use super::wait::{RecvFuture, SendFuture};
use crate::sync::{SendError, TryRecvError, TrySendError};

/// Creates a channel that buffers up to `capacity` values and that any
/// thread, runtime or task can use: `send` waits while it is full
/// (backpressure), `recv` while it is empty. Both ends are
/// `Send + Sync + Clone` when `T: Send`.
///
/// # Panics
///
/// If `capacity` is 0 (a rendezvous channel is not supported), as for
/// [`corio::sync::channel`](crate::sync::channel).
///
/// # Examples
///
/// Workers on plain threads report to a task:
///
/// ```
/// let (tx, rx) = corio::sync::shared::channel(8);
/// let workers: Vec<_> = (0..3u64)
///     .map(|id| {
///         let tx = tx.clone();
///         std::thread::spawn(move || tx.send(id * 10).unwrap())
///     })
///     .collect();
/// drop(tx); // the loop below ends when every worker's sender is gone
/// let total = corio::run(move || rx.sum::<u64>()); // parks the task, not the loop
/// assert_eq!(total, 30);
/// for w in workers {
///     w.join().unwrap();
/// }
/// ```
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "corio::sync::shared::channel: capacity must be at least 1"
    );
    let shared = Arc::new(Shared::new(capacity));
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    )
}

/// The sending half of a shared [`channel`]; clone it for more producers,
/// and move or share it across threads freely.
///
/// The values must be `Send` for the ends to be:
///
/// ```compile_fail,E0277
/// let (tx, _rx) = corio::sync::shared::channel::<std::rc::Rc<u8>>(1);
/// std::thread::spawn(move || drop(tx));
/// ```
///
/// # Examples
///
/// ```
/// let (tx, rx) = corio::sync::shared::channel(4);
/// let tx2 = tx.clone();
/// std::thread::spawn(move || tx2.send("from a thread").unwrap())
///     .join()
///     .unwrap();
/// corio::run(move || tx.send("from a task").unwrap());
/// assert_eq!(rx.try_recv(), Ok("from a thread"));
/// assert_eq!(rx.try_recv(), Ok("from a task"));
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting while the buffer is full until a receiver
    /// makes room; senders that wait are served in the order they came.
    ///
    /// In a corio task (of any runtime) the wait parks the task, on a
    /// plain thread it blocks the thread. A parked task counts as waiting
    /// for another thread, so its loop waits instead of reporting a
    /// deadlock (within one runtime, prefer
    /// [`corio::sync::channel`](crate::sync::channel), which is faster and
    /// whose deadlocks are reported). If the task is aborted or a
    /// `timeout` expires while it waits, it unwinds like any park point
    /// and `value` is dropped, not sent; the slot it may have been
    /// promised goes to the next waiting sender.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if every receiver has been dropped
    /// (also when that happens while waiting). Also, at once, if the
    /// buffer is full in a destructor of a task being cancelled, or on an
    /// event loop outside any task (see the crate docs' outcome table).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corio::sync::shared::channel(1);
    /// let consumer = std::thread::spawn(move || rx.collect::<Vec<_>>());
    /// corio::run(move || {
    ///     for n in 0..3 {
    ///         tx.send(n).unwrap(); // parks until the thread takes one
    ///     }
    /// });
    /// assert_eq!(consumer.join().unwrap(), [0, 1, 2]);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        crate::runtime::park::spend_budget();
        let value = match self.try_send(value) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Disconnected(value)) => return Err(SendError(value)),
            Err(TrySendError::Full(value)) => value,
        };
        if !may_wait() {
            return Err(SendError(value));
        }
        crate::block_on(self.send_async(value))
    }

    /// Sends `value` if there is room right now; never waits, and works
    /// anywhere.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if the buffer is full (or its free slots are
    /// reserved for senders that queued earlier),
    /// [`TrySendError::Disconnected`] if every receiver has been dropped;
    /// both hand the value back.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::TrySendError;
    ///
    /// let (tx, rx) = corio::sync::shared::channel(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// drop(rx);
    /// assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let mut wakes = Wakes::default();
        let mut state = self.shared.lock();
        let sent = state.try_send(value, self.shared.capacity, &mut wakes);
        drop(state);
        wakes.wake();
        sent
    }

    /// The send as a `Future`, for async code (a tokio task, say) or for
    /// [`crate::block_on`]: it resolves as [`send`](Sender::send) returns,
    /// without the early errors of the outcome table (a future just stays
    /// pending). Dropping it unresolved withdraws the send.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corio::sync::shared::channel(1);
    /// let tokio_rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let reader = std::thread::spawn(move || rx.collect::<String>());
    /// tokio_rt.block_on(async move {
    ///     for word in ["async ", "and ", "threads"] {
    ///         tx.send_async(word).await.unwrap();
    ///     }
    /// });
    /// assert_eq!(reader.join().unwrap(), "async and threads");
    /// ```
    pub fn send_async(&self, value: T) -> SendFuture<'_, T> {
        SendFuture::new(&self.shared, value)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Sender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut wakes = Wakes::default();
        let mut state = self.shared.lock();
        state.senders -= 1;
        if state.senders == 0 {
            state.last_sender_gone(&mut wakes);
        }
        drop(state);
        wakes.wake();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.shared.capacity)
            .field("state", &*self.shared.lock())
            .finish()
    }
}

/// The receiving half of a shared [`channel`]; clone it for more
/// consumers (each value goes to exactly one of them). Also an
/// [`Iterator`] that receives until every sender is gone and the buffer
/// is drained.
///
/// # Examples
///
/// Two runtimes on two threads share the work of one queue:
///
/// ```
/// let (tx, rx) = corio::sync::shared::channel(16);
/// let consumers: Vec<_> = (0..2)
///     .map(|_| {
///         let rx = rx.clone();
///         std::thread::spawn(move || corio::run(move || rx.count()))
///     })
///     .collect();
/// drop(rx);
/// for n in 0..100 {
///     tx.send(n).unwrap(); // blocks this thread while the buffer is full
/// }
/// drop(tx);
/// let received: usize = consumers.into_iter().map(|c| c.join().unwrap()).sum();
/// assert_eq!(received, 100);
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Receiver<T> {
    /// Receives the oldest value, waiting while the buffer is empty;
    /// `None` once every sender is gone and the buffer is drained.
    /// Receivers that wait are served in the order they came.
    ///
    /// In a corio task (of any runtime) the wait parks the task, on a
    /// plain thread it blocks the thread; a parked task counts as waiting
    /// for another thread (see [`Sender::send`]). If the task is aborted
    /// or a `timeout` expires while it waits, it unwinds like any park
    /// point and no value is lost: one already promised to it goes to the
    /// next waiting receiver. In a destructor of a task being cancelled,
    /// or on an event loop outside any task, it returns `None` at once if
    /// it would wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let (tx, rx) = corio::sync::shared::channel(1);
    /// std::thread::spawn(move || {
    ///     std::thread::sleep(Duration::from_millis(5));
    ///     tx.send(42).unwrap();
    /// });
    /// corio::run(move || {
    ///     assert_eq!(rx.recv(), Some(42)); // parks until the thread sends
    ///     assert_eq!(rx.recv(), None); // the thread and its sender are gone
    /// });
    /// ```
    pub fn recv(&self) -> Option<T> {
        crate::runtime::park::spend_budget();
        match self.try_recv() {
            Ok(value) => return Some(value),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        if !may_wait() {
            return None;
        }
        crate::block_on(self.recv_async())
    }

    /// Receives the oldest value if there is one nobody waits for already;
    /// never waits, and works anywhere.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if nothing is buffered (or every buffered
    /// value is promised to a receiver that queued earlier) and senders
    /// remain, [`TryRecvError::Disconnected`] if the buffer is drained and
    /// every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::TryRecvError;
    ///
    /// let (tx, rx) = corio::sync::shared::channel(2);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send('x').unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok('x'));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut wakes = Wakes::default();
        let mut state = self.shared.lock();
        let received = match state.try_take(&mut wakes) {
            Some(value) => Ok(value),
            None if state.is_drained() => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        };
        drop(state);
        wakes.wake();
        received
    }

    /// The receive as a `Future`, for async code or for
    /// [`crate::block_on`]: it resolves as [`recv`](Receiver::recv)
    /// returns, without the early `None` of the outcome table. Dropping it
    /// unresolved loses nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corio::sync::shared::channel(1);
    /// let tokio_rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let writer = std::thread::spawn(move || corio::run(move || tx.send("hi").unwrap()));
    /// let got = tokio_rt.block_on(async move { rx.recv_async().await });
    /// assert_eq!(got, Some("hi"));
    /// writer.join().unwrap();
    /// ```
    pub fn recv_async(&self) -> RecvFuture<'_, T> {
        RecvFuture::new(&self.shared)
    }
}

impl<T> Iterator for Receiver<T> {
    type Item = T;

    /// [`Receiver::recv`]: waits for the next value, `None` at the end.
    fn next(&mut self) -> Option<T> {
        self.recv()
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.lock().receivers += 1;
        Receiver {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut wakes = Wakes::default();
        let mut state = self.shared.lock();
        state.receivers -= 1;
        // Drop what nobody will receive now, not when the last sender
        // goes (a buffered value may own a sender of this very channel),
        // and after unlocking: its destructor may use the channel.
        let unreceived = (state.receivers == 0).then(|| state.last_receiver_gone(&mut wakes));
        drop(state);
        wakes.wake();
        drop(unreceived);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("capacity", &self.shared.capacity)
            .field("state", &*self.shared.lock())
            .finish()
    }
}
