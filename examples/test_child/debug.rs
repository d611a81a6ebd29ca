//! Scenarios of `tests/debug_sigquit.rs`: `SIGQUIT` must never reach the
//! test runner itself.

use std::io::BufRead;
use std::rc::Rc;
use std::time::Duration;

use corio::TaskBuilder;
use corio::sync::Event;

use crate::support::report;

#[inline(never)]
fn waits_for_quit(event: &Event) {
    event.wait();
}

/// `dump_on_sigquit`, then `SIGQUIT` from a plain thread: the loop prints
/// the dump to stderr while the main task waits for a line on stdin (the
/// test closes stdin once it has read the dump).
pub fn dump_on_sigquit() {
    corio::run(|| {
        corio::dump_on_sigquit().expect("install the SIGQUIT watch");
        let event = Rc::new(Event::new());
        let e = event.clone();
        let waiter = TaskBuilder::new()
            .name("sigquit-waiter")
            .spawn(move || waits_for_quit(&e));
        corio::yield_now();
        std::thread::spawn(|| {
            // SAFETY: raise(3) signals the calling thread; corio's handler
            // for SIGQUIT is installed (by `dump_on_sigquit` above).
            unsafe { libc::raise(libc::SIGQUIT) };
        });
        // Ends when the test closes stdin, or after a minute at most.
        let read = corio::timeout(Duration::from_secs(60), || {
            corio::unblock(|| {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).map(|_| line)
            })
        });
        event.set();
        waiter.join().unwrap();
        report(format!("stdin: {:?}", read.map(|r| r.is_ok())));
    });
}

/// A named task panics: corio's hook names the task and its spawn site
/// before the usual message.
pub fn named_task_panics() {
    let outcome = corio::run(|| {
        let task = TaskBuilder::new()
            .name("conn 127.0.0.1:5512")
            .spawn(|| panic!("the client hung up"));
        task.join()
            .map_err(|e| matches!(e, corio::JoinError::Panicked(_)))
    });
    report(format!("joined: {outcome:?}"));
}

/// A return address in this program's own code, which has symbols.
#[inline(never)]
fn an_address_to_resolve() -> *mut std::ffi::c_void {
    let mut ip = std::ptr::null_mut();
    backtrace::trace(|frame| {
        ip = frame.ip();
        false
    });
    ip
}

/// A task parks inside a `backtrace::resolve` callback, holding the crate's
/// symbol cache (its lock is re-entrant per thread); `dump()` must not
/// resolve on this thread: it prints raw addresses after its timeout.
pub fn dump_while_a_task_holds_the_symbol_cache() {
    corio::run(|| {
        let in_callback = std::rc::Rc::new(corio::sync::Event::new());
        let signal = in_callback.clone();
        let parked = corio::spawn(move || {
            backtrace::resolve(an_address_to_resolve(), |_| {
                signal.set();
                corio::sleep(std::time::Duration::from_secs(3600));
            });
        });
        in_callback.wait();
        let dump = corio::dump();
        let listed = dump.task(parked.id()).is_some();
        let unavailable = dump.to_string().contains("symbols unavailable");
        println!("listed: {listed}, symbols unavailable: {unavailable}");
        // The end of run cancels the parked task.
    });
}
