//! Scenarios of `tests/adversarial_threads.rs`: the cross-thread
//! machinery misused in ways that once aborted the process or hung it.

use std::time::Duration;

use crate::support::{ms, report};

/// Ends the process with status 3 and a message if it still runs after
/// `secs`: a hang then fails the test quickly and says what hung.
fn watchdog(secs: u64, what: &'static str) {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(secs));
        eprintln!("child: still waiting after {secs} s: {what}");
        std::process::exit(3);
    });
}

/// `block_on` in a thread-local's destructor as a plain thread exits,
/// after `block_on`'s own thread-local was destroyed.
pub fn block_on_in_thread_local_destructor() {
    struct WaitsOnDrop;
    impl Drop for WaitsOnDrop {
        fn drop(&mut self) {
            let (tx, rx) = futures::channel::oneshot::channel::<&str>();
            std::thread::spawn(move || {
                std::thread::sleep(ms(10));
                let _ = tx.send("sent to a thread-local's destructor");
            });
            report(corio::block_on(rx).unwrap());
        }
    }
    thread_local! {
        static WAITS_ON_DROP: WaitsOnDrop = const { WaitsOnDrop };
    }
    std::thread::spawn(|| {
        // Registered first, so destroyed after the one `block_on` makes.
        WAITS_ON_DROP.with(|_| ());
        corio::block_on(async {});
    })
    .join()
    .unwrap();
    report("thread joined");
}

/// More than the pool's 512 threads' worth of `unblock` jobs whose result
/// nobody waits for any more (the waiter was aborted) and whose drop
/// panics on the pool thread; then one more job.
pub fn unblock_after_panicking_result_drops() {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("an unwanted unblock result panics as it is dropped");
        }
    }
    watchdog(60, "corio::unblock after many panicking result drops");
    corio::run(|| {
        for _ in 0..520 {
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            let waiter = corio::spawn(move || {
                corio::unblock(move || {
                    let _ = rx.recv();
                    PanicsOnDrop
                })
            });
            corio::yield_now(); // the job is submitted, the waiter parks
            waiter.abort();
            assert!(waiter.join().is_err());
            let _ = tx.send(()); // the job returns; its result is dropped there
        }
        report(format!("then unblock gives {}", corio::unblock(|| 42)));
    });
}
