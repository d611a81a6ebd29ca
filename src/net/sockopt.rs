//! Socket options std does not offer on stable: `SO_LINGER`, and any
//! option set on a socket std has not made yet (`SO_REUSEPORT`).

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

/// Sets `SO_LINGER`: `None` turns it off, `Some(d)` makes `close` wait up
/// to `d` (whole seconds) for unsent data, and `Some(Duration::ZERO)`
/// makes it reset the connection.
pub(super) fn set_linger(fd: BorrowedFd<'_>, linger: Option<Duration>) -> io::Result<()> {
    let value = libc::linger {
        l_onoff: libc::c_int::from(linger.is_some()),
        l_linger: linger.map_or(0, |d| {
            libc::c_int::try_from(d.as_secs()).unwrap_or(libc::c_int::MAX)
        }),
    };
    set_option(fd, libc::SOL_SOCKET, libc::SO_LINGER, &value)
}

/// Sets socket option `name` at `level` to `value`, which must be the
/// type the kernel reads for it (a `c_int` for boolean options).
pub(super) fn set_option<T>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: &T,
) -> io::Result<()> {
    // SAFETY: `value` is a live `T`, valid for reads of the length passed;
    // the descriptor is borrowed, so open during the call.
    let status = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            std::ptr::from_ref(value).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    if status == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Reads `SO_LINGER`; see [`set_linger`].
pub(super) fn linger(fd: BorrowedFd<'_>) -> io::Result<Option<Duration>> {
    let mut value = libc::linger {
        l_onoff: 0,
        l_linger: 0,
    };
    let mut len = size_of::<libc::linger>() as libc::socklen_t;
    // SAFETY: `value` and `len` are valid for writes and `len` holds the
    // size of `value`; the descriptor is borrowed, so open.
    let status = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            std::ptr::from_mut(&mut value).cast(),
            &mut len,
        )
    };
    if status == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok((value.l_onoff != 0).then(|| Duration::from_secs(value.l_linger.max(0) as u64)))
}
