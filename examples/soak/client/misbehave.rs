//! The misbehaviours that need nothing but the socket (so corio tasks and
//! std threads both run them): reset, half-close, vanish. The slow reader
//! needs a reader and a writer at once; it is in `slow_reader.rs`.

use super::exchange::{Conn, Messages, Outcome, count, count_close, end_of_stream};
use crate::soak::frame;
use crate::soak::os;
use crate::soak::stats::ClientStats;

/// The most bytes a half-closing client writes before it reads: well
/// inside the socket buffers, so writing all of it never waits for reads.
const HALF_CLOSE_BUDGET: usize = 32 * 1024;

/// A few intact exchanges, half a frame, then a reset (`SO_LINGER` 0).
pub fn reset(stream: impl Conn, messages: &mut Messages, stats: &mut ClientStats) {
    for _ in 0..=messages.rng.below(3) {
        let outcome = messages.exchange(&stream);
        if !count(stats, messages.side, messages.frame.len(), outcome) {
            return;
        }
    }
    write_half_frame(&stream, messages);
    // A failure leaves an orderly close: the server survives either way.
    let _ = os::set_linger_zero(stream.as_raw_fd());
    drop(stream);
}

/// Several frames written back to back, the writing half shut down, then
/// every echo read and checked (they count as messages: a half-closed
/// connection still gets everything back), and the server's end of stream.
pub fn half_close(stream: impl Conn, messages: &mut Messages, stats: &mut ClientStats) {
    let frames = 2 + messages.rng.below(7) as usize;
    let mut sent = Vec::new();
    let mut bounds = Vec::new();
    for _ in 0..frames {
        messages.next_frame(HALF_CLOSE_BUDGET / frames - 16);
        bounds.push(sent.len()..sent.len() + messages.frame.len());
        sent.extend_from_slice(&messages.frame);
    }
    if stream.send_all(&sent).is_err() || stream.shutdown_write().is_err() {
        stats.lost += frames as u64;
        return;
    }
    let mut echo = vec![0u8; sent.len()];
    let mut got = 0;
    while got < echo.len() {
        match stream.recv(&mut echo[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    for range in bounds {
        let outcome = if range.end > got {
            Outcome::Lost
        } else if frame::intact(&echo[range.clone()], &sent[range.clone()]) {
            Outcome::Intact(None)
        } else {
            Outcome::Corrupt
        };
        count(stats, messages.side, range.len(), outcome);
    }
    if got == echo.len() {
        // Already shut down: only the end of stream is left to read.
        count_close(stats, end_of_stream(&stream));
    }
}

/// A whole frame and half of the next, then a close without reading the
/// echo (the kernel answers the echo's arrival with a reset, or the
/// server's write finds the socket closed).
pub fn vanish(stream: impl Conn, messages: &mut Messages) {
    messages.next_frame(frame::MAX_PAYLOAD);
    if stream.send_all(&messages.frame).is_ok() {
        write_half_frame(&stream, messages);
    }
    drop(stream);
}

/// Writes the first half (at least the header's first byte) of a fresh frame.
fn write_half_frame(stream: &impl Conn, messages: &mut Messages) {
    messages.next_frame(frame::MAX_PAYLOAD);
    let half = (messages.frame.len() / 2).max(1);
    let _ = stream.send_all(&messages.frame[..half]);
}
