//! Test-only fault switches for the example servers, so that the fuzz
//! targets (`fuzz/`) and `tests/hostile_input.rs` can show that they catch
//! a broken server. Included with `#[path]` by `examples/chat.rs` and
//! `examples/common/http_routes.rs`.
//!
//! The switch exists only in test builds: under `cfg(test)` (the example's
//! code included into a test crate) or with the cargo feature
//! `test-faults` (of corio, or of the fuzz crate). In an ordinary build of
//! an example [`broken`] is a constant `false` and there is no way to turn
//! a fault on. The switch is per thread, so a test can break one
//! in-process server (on its own thread) and leave the others alone.

// Each includer checks only its own faults.
#![allow(dead_code)]

/// A deliberate bug the harnesses must report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Chat: a line that is not UTF-8 is dropped without the
    /// `! invalid UTF-8` reply (a lost message).
    SilentBadUtf8,
    /// WebSocket chat: a protocol error (bad opcode, unmasked frame...)
    /// panics instead of closing with code 1002.
    PanicOnProtocolError,
    /// HTTP server: a `Content-Length` over the limit panics instead of
    /// getting `400`.
    PanicOnHugeBody,
}

#[cfg(any(test, feature = "test-faults"))]
thread_local! {
    static ACTIVE: std::cell::Cell<Option<Fault>> = const { std::cell::Cell::new(None) };
}

/// Turns `fault` on (or, with `None`, every fault off) for this thread.
#[cfg(any(test, feature = "test-faults"))]
pub fn set(fault: Option<Fault>) {
    ACTIVE.set(fault);
}

/// Whether `fault` is on for this thread; always `false` outside test
/// builds.
#[inline]
pub fn broken(fault: Fault) -> bool {
    #[cfg(any(test, feature = "test-faults"))]
    {
        ACTIVE.get() == Some(fault)
    }
    #[cfg(not(any(test, feature = "test-faults")))]
    {
        let _ = fault;
        false
    }
}
