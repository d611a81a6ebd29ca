//! Every interleaving of the inbox handshake, explored by loom.
//!
//! The loop is modelled as it runs: it reads its waker (an eventfd: a
//! count of writes not yet read), takes its mail, and goes back to sleep
//! unless another wake-up is pending. A message is lost if it sits in the
//! inbox while the loop sleeps with no wake-up on its way.

#![cfg(loom)]

#[path = "../../../src/runtime/inbox.rs"]
#[allow(dead_code)]
mod inbox;

#[cfg(test)]
mod model {
    use super::inbox::{Inbox, Posted};
    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use loom::thread;

    /// Posts `message` and wakes the loop if asked to, as `Remote::post` does.
    fn post(inbox: &Inbox<u32>, eventfd: &AtomicUsize, message: u32) -> bool {
        match inbox.post(message) {
            Ok(Posted::WakeTheLoop) => {
                eventfd.fetch_add(1, SeqCst);
                true
            }
            Ok(Posted::AlreadySignalled) => true,
            Err(_) => false,
        }
    }

    #[test]
    fn no_message_waits_while_the_loop_sleeps() {
        loom::model(|| {
            let inbox = Arc::new(Inbox::new());
            let eventfd = Arc::new(AtomicUsize::new(0));
            let posters: Vec<_> = (0..2)
                .map(|i| {
                    let (inbox, eventfd) = (inbox.clone(), eventfd.clone());
                    thread::spawn(move || assert!(post(&inbox, &eventfd, i)))
                })
                .collect();
            // One turn of the loop while the posters post.
            eventfd.swap(0, SeqCst);
            let mut got = inbox.take();
            for poster in posters {
                poster.join().unwrap();
            }
            // The loop comes back only if a wake-up is pending.
            if eventfd.swap(0, SeqCst) > 0 {
                got.extend(inbox.take());
            }
            got.sort();
            assert_eq!(got, [0, 1], "a message was left with the loop asleep");
        });
    }

    #[test]
    fn a_post_racing_the_close_is_either_handed_to_the_closer_or_refused() {
        loom::model(|| {
            let inbox = Arc::new(Inbox::new());
            let eventfd = Arc::new(AtomicUsize::new(0));
            let poster = {
                let (inbox, eventfd) = (inbox.clone(), eventfd.clone());
                thread::spawn(move || post(&inbox, &eventfd, 7))
            };
            let mut seen = inbox.take();
            seen.extend(inbox.close());
            let accepted = poster.join().unwrap();
            assert_eq!(seen == [7], accepted, "accepted iff delivered or handed back");
            assert!(inbox.is_closed());
        });
    }
}
