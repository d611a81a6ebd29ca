//! The slow reader: a corio client that writes at ten times the rate it
//! reads, so the echo backs up (the server's writes wait on a full socket
//! buffer, then its reads, then ours); every byte it does read is checked
//! against what it sent. At the end it closes with echoes still unread.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use corio::net::TcpStream;

use super::exchange::Messages;
use crate::soak::stats::ClientStats;

/// How long one slow-reader session lasts.
pub const SESSION: Duration = Duration::from_millis(500);

/// The writer's and reader's tick.
const TICK: Duration = Duration::from_millis(10);

/// Bytes written per tick (at least; whole frames): 400 KB/s.
const WRITE_PER_TICK: usize = 4000;

/// Bytes read per tick: a tenth of the writes.
const READ_PER_TICK: usize = WRITE_PER_TICK / 10;

/// One session on `stream`.
pub fn slow_reader(stream: TcpStream, messages: &mut Messages, stats: &mut ClientStats) {
    let stop_at = Instant::now() + SESSION;
    // Bytes written (or about to be) whose echo has not been read yet:
    // pushed *before* the write, as the echo can arrive before
    // `write_all` returns.
    let pending = RefCell::new(VecDeque::<u8>::new());
    let (checked, corrupt) = (Cell::new(0u64), Cell::new(false));
    let writer = || {
        while Instant::now() < stop_at {
            let mut chunk = Vec::new();
            while chunk.len() < WRITE_PER_TICK {
                messages.next_frame(WRITE_PER_TICK);
                chunk.extend_from_slice(&messages.frame);
            }
            pending.borrow_mut().extend(&chunk);
            // The write waits once the echo backs up; bound it by the
            // session (a timeout leaves a prefix written: still consistent).
            let left = stop_at.saturating_duration_since(Instant::now());
            match corio::timeout(left, || (&stream).write_all(&chunk)) {
                Ok(Ok(())) => corio::sleep(TICK),
                Ok(Err(_)) | Err(_) => return,
            }
        }
    };
    let reader = || {
        let mut buf = [0u8; READ_PER_TICK];
        while Instant::now() < stop_at {
            corio::sleep(TICK);
            let left = stop_at.saturating_duration_since(Instant::now());
            let n = match corio::timeout(left, || (&stream).read(&mut buf)) {
                Ok(Ok(n)) if n > 0 => n,
                _ => return,
            };
            let mut pending = pending.borrow_mut();
            let known = n.min(pending.len());
            // More bytes than were sent, or different ones: corrupt.
            if known < n || !pending.drain(..n).eq(buf[..n].iter().copied()) {
                corrupt.set(true);
                return;
            }
            checked.set(checked.get() + n as u64);
        }
    };
    corio::join(writer, reader);
    stats.slow_bytes += checked.get();
    if corrupt.get() {
        stats.corrupt += 1;
    }
    drop(stream);
}
