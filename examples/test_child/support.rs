//! Small helpers the scenarios share (the tests' own `tests/util` is not
//! reachable from an example).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// `n` milliseconds.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Prints one line for the test to read back.
pub fn report(value: impl std::fmt::Display) {
    println!("{value}");
}

/// The message of a panic `f` raises, or "no panic".
pub fn caught_message<T>(f: impl FnOnce() -> T) -> String {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(_) => "no panic".to_string(),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    }
}

/// A listener on a free loopback port, and its address.
pub fn local_listener() -> (corio::net::TcpListener, std::net::SocketAddr) {
    let listener = corio::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    (listener, addr)
}

/// Runs its closure when dropped: the destructor of a cancelled task, here.
pub struct OnDrop<F: FnMut()>(pub F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

/// A log that tasks and destructors append to.
pub type Log = Rc<RefCell<Vec<String>>>;

/// A fresh, empty [`Log`].
pub fn new_log() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

/// Appends a line to `log`.
pub fn note(log: &Log, line: impl Into<String>) {
    log.borrow_mut().push(line.into());
}

/// Spawns a task that parks in a long sleep holding a guard whose
/// destructor runs `in_drop`, lets it park, aborts it, and returns its
/// join result.
pub fn cancel_while_holding(in_drop: impl FnMut() + 'static) -> Result<(), corio::JoinError> {
    let h = corio::spawn(move || {
        let _guard = OnDrop(in_drop);
        corio::sleep(Duration::from_secs(3600));
    });
    corio::yield_now(); // it runs and parks in the sleep
    h.abort();
    h.join()
}
