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

/// A task that catches its cancellation in a loop, the shape of a server
/// loop that logs and carries on after any panic.
fn catch_everything_forever() {
    loop {
        let _ = std::panic::catch_unwind(|| corio::sleep(Duration::from_secs(3600)));
    }
}

/// Aborts such a task (the others must still run), then lets `run` end
/// with it and a remote-spawned one still catching: both are abandoned,
/// and their handles, local and remote, must still resolve.
pub fn catches_its_cancellation_in_a_loop() {
    watchdog(60, "a task that catches its cancellation in a loop");
    let (local, remote) = corio::run(|| {
        let local = corio::spawn(catch_everything_forever);
        let remote = corio::handle().spawn(catch_everything_forever);
        corio::yield_now(); // both park in their sleep
        local.abort();
        for _ in 0..3 {
            corio::sleep(ms(1));
        }
        report("other tasks ran while an aborted task kept catching");
        (local, remote)
    });
    let local = local.join().unwrap_err();
    report(format!(
        "local join after run: cancelled {}",
        local.is_cancelled()
    ));
    let remote = std::thread::spawn(move || remote.join().unwrap_err())
        .join()
        .unwrap();
    report(format!(
        "remote join after run: cancelled {}",
        remote.is_cancelled()
    ));
}
