//! The one place other threads hand a runtime something: a queue of
//! messages under a mutex, and a flag that says "the loop has mail".
//!
//! The handshake, which `tests/loom` checks under every interleaving:
//!
//! - A poster pushes under the lock, then sets `signalled`. Only the
//!   poster that turned it from false to true wakes the loop (a
//!   `mio::Waker`, one `write` to an eventfd): a burst of posts costs one
//!   syscall.
//! - The loop, once per turn, clears `signalled` first and then takes the
//!   queue under the lock. A post that lands after the clear sees the
//!   flag false and wakes the loop again, so no message is ever left
//!   behind with the loop asleep.
//! - Closing (at the end of `run`) happens under the lock, so a post
//!   either lands before the close (and is handed to the closer) or is
//!   refused and handed back.
//!
//! This file uses nothing else of the crate, so the loom model can
//! compile it on its own.

#[cfg(loom)]
use loom::sync::{
    Mutex, MutexGuard,
    atomic::{AtomicBool, Ordering},
};
#[cfg(not(loom))]
use std::sync::{
    Mutex, MutexGuard,
    atomic::{AtomicBool, Ordering},
};

/// Messages for one runtime, posted from any thread.
#[derive(Debug)]
pub(crate) struct Inbox<T> {
    mail: Mutex<Mail<T>>,
    /// Set by the first post since the loop last looked.
    signalled: AtomicBool,
}

#[derive(Debug)]
struct Mail<T> {
    messages: Vec<T>,
    closed: bool,
}

/// What [`Inbox::post`] asks of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Posted {
    /// The loop may be asleep and nobody has woken it yet: wake it.
    WakeTheLoop,
    /// A wake-up is already on its way.
    AlreadySignalled,
}

impl<T> Inbox<T> {
    pub(crate) fn new() -> Self {
        Inbox {
            mail: Mutex::new(Mail {
                messages: Vec::new(),
                closed: false,
            }),
            signalled: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Mail<T>> {
        // A poster that panicked while holding the lock left the queue
        // consistent (a push either happened or not).
        self.mail.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `message`; `Err(message)` back if the inbox is closed.
    pub(crate) fn post(&self, message: T) -> Result<Posted, T> {
        {
            let mut mail = self.lock();
            if mail.closed {
                return Err(message);
            }
            mail.messages.push(message);
        }
        if self.signalled.swap(true, Ordering::AcqRel) {
            Ok(Posted::AlreadySignalled)
        } else {
            Ok(Posted::WakeTheLoop)
        }
    }

    /// Every message posted since the last take, if any post signalled
    /// since; costs one relaxed load when none did.
    pub(crate) fn take(&self) -> Vec<T> {
        // A stale `false` here is harmless: the post that set the flag
        // also woke the loop, which comes back and looks again.
        if !self.signalled.load(Ordering::Relaxed) || !self.signalled.swap(false, Ordering::AcqRel)
        {
            return Vec::new();
        }
        std::mem::take(&mut self.lock().messages)
    }

    /// Refuses every later post and hands back what is still queued.
    pub(crate) fn close(&self) -> Vec<T> {
        let mut mail = self.lock();
        mail.closed = true;
        std::mem::take(&mut mail.messages)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }
}
