//! A bounded multi-producer, single-consumer channel whose full and empty
//! waits park the task, like an `asyncio.Queue(maxsize)` that closes when
//! one side goes away.
//!
//! Senders that find the buffer full queue up in FIFO order. When the
//! receiver takes a value, the freed slot is *reserved* for the oldest
//! waiting sender, so a later `try_send` cannot take it first; a reserved
//! sender that is aborted before it runs passes the slot on.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;

use super::wait_queue::{Policy, WaitQueue};
use crate::runtime::waiting::{Waiting, id_of};

/// Creates a channel that buffers up to `capacity` values; `send` parks
/// while it is full (backpressure), `recv` while it is empty.
///
/// # Panics
///
/// If `capacity` is 0 (a rendezvous channel is not supported).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(|| {
///     let (tx, rx) = corio::sync::channel(8);
///     for id in 0..3 {
///         let tx = tx.clone();
///         corio::spawn(move || {
///             corio::sleep(Duration::from_millis(id * 2));
///             tx.send(format!("worker {id} done")).unwrap();
///         });
///     }
///     drop(tx); // the loop below ends when every worker's sender is gone
///     let reports: Vec<String> = rx.collect();
///     assert_eq!(reports, ["worker 0 done", "worker 1 done", "worker 2 done"]);
/// });
/// ```
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "corio::sync::channel: capacity must be at least 1"
    );
    let chan = Rc::new(Chan {
        buffer: RefCell::new(VecDeque::with_capacity(capacity.min(1024))),
        capacity,
        reserved: Cell::new(0),
        senders: Cell::new(1),
        receiver_alive: Cell::new(true),
        send_waiters: WaitQueue::new(),
        recv_waiters: WaitQueue::new(),
    });
    (
        Sender {
            chan: Rc::clone(&chan),
        },
        Receiver { chan },
    )
}

/// The state both ends share.
struct Chan<T> {
    /// Sent, not yet received values, oldest first.
    ///
    /// # Invariant
    ///
    /// `buffer.len() + reserved <= capacity`, with equality whenever
    /// `send_waiters` is non-empty (a sender queues only when full, and
    /// every freed slot is reserved for the oldest queued sender).
    buffer: RefCell<VecDeque<T>>,
    capacity: usize,
    /// Slots promised to senders granted one while parked that have not
    /// run yet. Meaningless once the receiver is gone.
    reserved: Cell<usize>,
    /// Live `Sender`s; at zero, `recv` drains the buffer, then says `None`.
    senders: Cell<usize>,
    /// False once the `Receiver` is dropped; `send` fails from then on.
    receiver_alive: Cell<bool>,
    /// Senders parked because the buffer is full. A grant is a reserved
    /// slot, or (all at once) the news that the receiver is gone.
    send_waiters: WaitQueue,
    /// Receivers (one `Receiver`, maybe shared by several tasks) parked on
    /// an empty buffer. A grant means "look again": a value arrived or the
    /// last sender left.
    recv_waiters: WaitQueue,
}

impl<T> Chan<T> {
    /// Appends a value there is room for and tells a waiting receiver.
    fn push(&self, value: T) {
        self.buffer.borrow_mut().push_back(value);
        self.recv_waiters.grant_one();
    }

    /// A slot came free: reserve it for the oldest waiting sender, if any.
    fn slot_freed(&self) {
        if self.send_waiters.grant_one() {
            self.reserved.set(self.reserved.get() + 1);
        }
    }

    /// A sender holding a reserved slot vanished without using it: the
    /// slot goes to the next waiting sender, or back to the buffer.
    fn pass_on_reservation(&self) {
        if !self.receiver_alive.get() {
            return; // the grant was the disconnection, not a slot
        }
        if !self.send_waiters.grant_one() {
            self.reserved.set(self.reserved.get() - 1);
        }
    }
}

/// The sending half of a [`channel`]; clone it for more producers.
///
/// Like every type in [`corio::sync`](crate::sync) it belongs to one
/// thread's runtime:
///
/// ```compile_fail,E0277
/// let (tx, _rx) = corio::sync::channel::<i32>(1);
/// std::thread::spawn(move || tx.try_send(1));
/// ```
///
/// # Examples
///
/// ```
/// corio::run(|| {
///     let (tx, rx) = corio::sync::channel(4);
///     let tx2 = tx.clone();
///     corio::spawn(move || tx2.send("from a task").unwrap());
///     tx.send("from main").unwrap();
///     assert_eq!(rx.recv(), Some("from main"));
///     assert_eq!(rx.recv(), Some("from a task"));
/// });
/// ```
pub struct Sender<T> {
    /// `Rc` makes the sender `!Send`: its waiters are this thread's tasks.
    chan: Rc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, parking while the buffer is full until the receiver
    /// makes room; senders that wait are served in the order they came.
    ///
    /// If the task is aborted or a `timeout` expires while it waits, this
    /// unwinds like any park point and `value` is dropped, not sent.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the receiver has been dropped (also
    /// when that happens while waiting). Also, at once, if the buffer is
    /// full in a destructor of a task being cancelled, or on the event loop
    /// outside any task (see the crate docs' outcome table).
    ///
    /// # Panics
    ///
    /// If the buffer is full outside [`crate::run`]: nothing could make room.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let (tx, rx) = corio::sync::channel(1);
    ///     let producer = corio::spawn(move || {
    ///         for n in 0..3 {
    ///             tx.send(n).unwrap(); // parks until the receiver takes one
    ///         }
    ///     });
    ///     assert_eq!(rx.collect::<Vec<_>>(), [0, 1, 2]);
    ///     producer.join().unwrap();
    /// });
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        crate::runtime::park::spend_budget();
        let value = match self.try_send(value) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Disconnected(value)) => return Err(SendError(value)),
            Err(TrySendError::Full(value)) => value,
        };
        let chan = &*self.chan;
        let waiting = Waiting::ChannelSend {
            channel: id_of(chan),
        };
        if !chan
            .send_waiters
            .wait("Sender::send", Policy::GiveUp, waiting, || {
                chan.pass_on_reservation()
            })
        {
            return Err(SendError(value));
        }
        if !chan.receiver_alive.get() {
            return Err(SendError(value));
        }
        chan.reserved.set(chan.reserved.get() - 1);
        chan.push(value);
        Ok(())
    }

    /// Sends `value` if there is room right now; never parks, and works
    /// outside a runtime too.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if the buffer is full (or its free slots are
    /// reserved for senders that queued earlier),
    /// [`TrySendError::Disconnected`] if the receiver has been dropped;
    /// both hand the value back.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::TrySendError;
    ///
    /// corio::run(|| {
    ///     let (tx, rx) = corio::sync::channel(1);
    ///     assert_eq!(tx.try_send(1), Ok(()));
    ///     assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    ///     drop(rx);
    ///     assert_eq!(tx.try_send(3), Err(TrySendError::Disconnected(3)));
    /// });
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let chan = &*self.chan;
        if !chan.receiver_alive.get() {
            return Err(TrySendError::Disconnected(value));
        }
        let used = chan.buffer.borrow().len() + chan.reserved.get();
        // Queued senders came first; by the invariant the buffer is full
        // then anyway.
        if used >= chan.capacity || !chan.send_waiters.is_empty() {
            return Err(TrySendError::Full(value));
        }
        chan.push(value);
        Ok(())
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.senders.set(self.chan.senders.get() + 1);
        Sender {
            chan: Rc::clone(&self.chan),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let senders = self.chan.senders.get() - 1;
        self.chan.senders.set(senders);
        if senders == 0 {
            self.chan.recv_waiters.grant_all(); // they will see `None`
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("chan", &*self.chan).finish()
    }
}

/// The receiving half of a [`channel`]. Also an [`Iterator`] that receives
/// until every sender is gone and the buffer is empty.
///
/// # Examples
///
/// ```
/// corio::run(|| {
///     let (tx, rx) = corio::sync::channel(2);
///     corio::spawn(move || {
///         for word in ["a", "b", "c"] {
///             tx.send(word).unwrap();
///         }
///     });
///     assert_eq!(rx.collect::<String>(), "abc");
/// });
/// ```
pub struct Receiver<T> {
    /// `Rc` makes the receiver `!Send`: its waiters are this thread's tasks.
    chan: Rc<Chan<T>>,
}

impl<T> Receiver<T> {
    /// Receives the oldest value, parking while the buffer is empty;
    /// `None` once every sender is gone and the buffer is drained.
    ///
    /// Tasks sharing one receiver (through an `Rc`) wait in FIFO order,
    /// and each value sent wakes the oldest waiting one. A value is not
    /// reserved for the task it woke, though: another task that receives
    /// before the woken one runs takes it, and the woken task then waits
    /// again, at the back of the queue.
    ///
    /// If the task is aborted or a `timeout` expires while it waits, this
    /// unwinds like any park point; no value is lost. In a destructor of a
    /// task being cancelled (or on the event loop outside any task), it
    /// returns `None` at once if the buffer is empty.
    ///
    /// # Panics
    ///
    /// If the buffer is empty and senders remain outside [`crate::run`]:
    /// nothing could send.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let (tx, rx) = corio::sync::channel(1);
    ///     corio::spawn(move || tx.send(42).unwrap());
    ///     assert_eq!(rx.recv(), Some(42)); // parks until the task sends
    ///     assert_eq!(rx.recv(), None); // the task and its sender are gone
    /// });
    /// ```
    pub fn recv(&self) -> Option<T> {
        crate::runtime::park::spend_budget();
        let chan = &*self.chan;
        loop {
            match self.try_recv() {
                Ok(value) => return Some(value),
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => {}
            }
            // Another task sharing this receiver may take the value first,
            // hence the loop; a notified receiver that vanishes passes the
            // notification on so a value never sits unseen.
            let pass_on = || {
                chan.recv_waiters.grant_one();
            };
            let waiting = Waiting::ChannelRecv {
                channel: id_of(chan),
            };
            if !chan
                .recv_waiters
                .wait("Receiver::recv", Policy::GiveUp, waiting, pass_on)
            {
                return None;
            }
        }
    }

    /// Receives the oldest value if there is one; never parks, and works
    /// outside a runtime too.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if the buffer is empty but senders remain,
    /// [`TryRecvError::Disconnected`] if it is empty and they are all gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::TryRecvError;
    ///
    /// corio::run(|| {
    ///     let (tx, rx) = corio::sync::channel(2);
    ///     assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    ///     tx.send('x').unwrap();
    ///     drop(tx);
    ///     assert_eq!(rx.try_recv(), Ok('x'));
    ///     assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// });
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let chan = &*self.chan;
        let value = chan.buffer.borrow_mut().pop_front();
        match value {
            Some(value) => {
                chan.slot_freed();
                Ok(value)
            }
            None if chan.senders.get() == 0 => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }
}

impl<T> Iterator for Receiver<T> {
    type Item = T;

    /// [`Receiver::recv`]: parks for the next value, `None` at the end.
    fn next(&mut self) -> Option<T> {
        self.recv()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.receiver_alive.set(false);
        self.chan.send_waiters.grant_all(); // they will get their value back
        // Drop what nobody will receive now, not when the last sender goes:
        // a buffered value may own a sender of this very channel. Values'
        // destructors run after the borrow ends.
        let unreceived = std::mem::take(&mut *self.chan.buffer.borrow_mut());
        drop(unreceived);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("chan", &*self.chan)
            .finish()
    }
}

impl<T> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chan")
            .field("len", &self.buffer.borrow().len())
            .field("capacity", &self.capacity)
            .field("reserved", &self.reserved.get())
            .field("senders", &self.senders.get())
            .field("receiver_alive", &self.receiver_alive.get())
            .field("waiting_senders", &self.send_waiters.len())
            .field("waiting_receivers", &self.recv_waiters.len())
            .finish()
    }
}

/// The error of [`Sender::send`]: the value could not be sent (the
/// receiver is gone) and is handed back.
///
/// # Examples
///
/// ```
/// corio::run(|| {
///     let (tx, rx) = corio::sync::channel(1);
///     drop(rx);
///     let err = tx.send("lost").unwrap_err();
///     assert_eq!(err.to_string(), "sending on a closed channel");
///     assert_eq!(err.0, "lost");
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let (tx, rx) = corio::sync::channel(1);
    ///     drop(rx);
    ///     assert_eq!(tx.send(7).unwrap_err().into_inner(), 7);
    /// });
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

// Not derived: the value need not be `Debug` for the error to be.
impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendError").finish_non_exhaustive()
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a closed channel")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// The error of [`Sender::try_send`]; both cases hand the value back.
///
/// # Examples
///
/// ```
/// use corio::sync::TrySendError;
///
/// corio::run(|| {
///     let (tx, _rx) = corio::sync::channel(1);
///     tx.try_send(1).unwrap();
///     match tx.try_send(2) {
///         Err(TrySendError::Full(v)) => assert_eq!(v, 2),
///         other => panic!("unexpected {other:?}"),
///     }
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The buffer is full (or its free slots are reserved for senders
    /// already waiting).
    Full(T),
    /// The receiver has been dropped.
    Disconnected(T),
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(|| {
    ///     let (tx, _rx) = corio::sync::channel(1);
    ///     tx.try_send("first").unwrap();
    ///     assert_eq!(tx.try_send("second").unwrap_err().into_inner(), "second");
    /// });
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(value) | TrySendError::Disconnected(value) => value,
        }
    }
}

// Not derived: the value need not be `Debug` for the error to be.
impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("sending on a full channel"),
            TrySendError::Disconnected(_) => f.write_str("sending on a closed channel"),
        }
    }
}

impl<T> std::error::Error for TrySendError<T> {}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(err: SendError<T>) -> Self {
        TrySendError::Disconnected(err.0)
    }
}

/// The error of [`Receiver::try_recv`].
///
/// # Examples
///
/// ```
/// use corio::sync::TryRecvError;
///
/// corio::run(|| {
///     let (tx, rx) = corio::sync::channel::<u8>(1);
///     assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
///     drop(tx);
///     assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing buffered, but senders remain.
    Empty,
    /// Nothing buffered and every sender is gone.
    Disconnected,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("receiving on an empty channel"),
            TryRecvError::Disconnected => f.write_str("receiving on an empty and closed channel"),
        }
    }
}

impl std::error::Error for TryRecvError {}
