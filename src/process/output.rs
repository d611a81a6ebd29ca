//! Reading a child's standard output and standard error to their ends at
//! the same time, for [`Child::wait_with_output`](super::Child::wait_with_output)
//! and [`Command::output`](super::Command::output).
//!
//! One after the other could deadlock: a child that fills its stderr pipe
//! (64 KiB on Linux) blocks there and never closes its stdout, which the
//! parent waits on. So:
//!
//! - in a task, stderr is read by a second task ([`crate::join`]); each
//!   parks on its own pipe, and the loop runs everything else meanwhile;
//! - outside [`run`](crate::run), one `poll(2)` loop drains both pipes as
//!   they fill, as std's `wait_with_output` does;
//! - where a task must not wait (a destructor of a task being cancelled,
//!   the loop's own stack), one after the other: a read that would wait
//!   fails at once there, so nothing can deadlock.

use std::io::{self, Read};
use std::os::fd::AsRawFd;

use super::pipe::{ChildStderr, ChildStdout};
use crate::context::Unwinding;
use crate::runtime::unwind::{self, Place};

/// Everything `stdout` and `stderr` (those there are) hold until their
/// ends, read concurrently; the first error, if any.
pub(super) fn read_both(
    stdout: Option<&ChildStdout>,
    stderr: Option<&ChildStderr>,
) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let (out, err) = match (stdout, stderr) {
        (Some(out), Some(err)) => match unwind::place() {
            Place::Task(Unwinding::No | Unwinding::Maybe) => {
                crate::join(|| read_all(out), || read_all(err))
            }
            Place::Outside => return poll_both(out, err),
            Place::Loop | Place::Task(Unwinding::Cancelled) => (read_all(out), read_all(err)),
        },
        (out, err) => (
            out.map_or_else(|| Ok(Vec::new()), read_all),
            err.map_or_else(|| Ok(Vec::new()), read_all),
        ),
    };
    Ok((out?, err?))
}

/// Reads `end` to its end (parking, or blocking outside `run`).
fn read_all(mut end: impl Read) -> io::Result<Vec<u8>> {
    let mut all = Vec::new();
    end.read_to_end(&mut all)?;
    Ok(all)
}

/// Outside a runtime: drains both pipes, blocking in `poll(2)` until
/// either has data (or its end) whenever both are empty.
fn poll_both(out: &ChildStdout, err: &ChildStderr) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let ends = [out.pipe(), err.pipe()];
    let mut read = [Vec::new(), Vec::new()];
    let mut open = [true, true];
    loop {
        for i in 0..2 {
            if !open[i] {
                continue;
            }
            // Non-blocking: reads what is there, then `WouldBlock`, with
            // what was read appended either way.
            match (&mut &*ends[i]).read_to_end(&mut read[i]) {
                Ok(_) => open[i] = false,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        let mut fds: Vec<libc::pollfd> = (0..2)
            .filter(|&i| open[i])
            .map(|i| libc::pollfd {
                fd: ends[i].as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        if fds.is_empty() {
            let [out, err] = read;
            return Ok((out, err));
        }
        // SAFETY: `fds` is a valid array of `fds.len()` (1 or 2) pollfds.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
        if ready == -1 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}
