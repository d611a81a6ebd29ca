//! Vectored writes to stream sockets that never raise `SIGPIPE`.
//!
//! A write to a stream socket whose peer is gone fails with `EPIPE` and,
//! unless told otherwise, also sends the process `SIGPIPE`, whose default
//! action kills it. Rust programs start with `SIGPIPE` ignored, but a
//! library cannot count on that (a C or Python host, `-Zon-broken-pipe=kill`,
//! code that restores the default). std's `TcpStream::write` and
//! `UnixStream::write` pass `MSG_NOSIGNAL`; their `write_vectored` is a
//! plain `writev`, which cannot. corio's stream sockets write vectors with
//! `sendmsg(MSG_NOSIGNAL)` instead, so a dead peer is always just an error.

use std::io::{self, IoSlice};
use std::os::fd::{AsRawFd, BorrowedFd};

/// The most slices one `sendmsg` or `readv` takes (Linux's `UIO_MAXIOV`,
/// std's cap for vectored reads too).
pub(crate) const MAX_SLICES: usize = 1024;

/// `sendmsg(fd, bufs, MSG_NOSIGNAL)`: `writev` without the signal.
pub(crate) fn send_vectored(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: a zeroed msghdr is "no address, no control data".
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    // `IoSlice` is guaranteed ABI-compatible with `iovec` on Unix; the
    // kernel only reads through the pointer (and caps the count itself).
    message.msg_iov = bufs.as_ptr().cast_mut().cast();
    // Past `UIO_MAXIOV` slices the kernel fails the call; write the first
    // ones instead (a short write, as std's `writev` does).
    message.msg_iovlen = bufs.len().min(MAX_SLICES) as _;
    // SAFETY: `message` points at `bufs`, live and valid for reads for the
    // call; the descriptor is borrowed, so open during the call.
    let sent = unsafe { libc::sendmsg(fd.as_raw_fd(), &message, libc::MSG_NOSIGNAL) };
    if sent == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(sent as usize)
}
