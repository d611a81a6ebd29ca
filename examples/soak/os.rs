//! The few OS calls the harness makes that std does not offer: the file
//! descriptor limit, the resident set size, and `SO_LINGER` on a std
//! socket (std's `set_linger` is unstable).

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

/// The `RLIMIT_NOFILE` limits of this process after raising the soft one
/// to the hard one: `(soft, hard)`.
///
/// # Errors
///
/// If the limits cannot be read or set.
pub fn raise_fd_limit() -> io::Result<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` writes one `rlimit` through the pointer, which
    // points at a live, writable local.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == -1 {
        return Err(io::Error::last_os_error());
    }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: `setrlimit` only reads the `rlimit` behind the pointer,
        // a live local.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok((limit.rlim_cur, limit.rlim_max))
}

/// This process's resident set size in KiB (`VmRSS` of
/// `/proc/self/status`), or 0 if it cannot be read.
pub fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Sets `SO_LINGER` to on with a zero timeout on socket `fd`, so that
/// closing it sends a reset instead of a FIN and drops unsent data.
///
/// # Errors
///
/// As `setsockopt`.
pub fn set_linger_zero(fd: RawFd) -> io::Result<()> {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: `setsockopt` reads `size_of::<linger>()` bytes from the
    // pointer, which points at a live local of exactly that type; a bad
    // descriptor makes it fail with EBADF, not misbehave.
    let result = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if result == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// CPU time (user + system) used so far by this process (`children`:
/// false) or by its waited-for children (`true`).
pub fn cpu_time(children: bool) -> Duration {
    let who = if children {
        libc::RUSAGE_CHILDREN
    } else {
        libc::RUSAGE_SELF
    };
    // SAFETY: `rusage` is plain integers, for which all zeroes is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `getrusage` writes one `rusage` through the pointer, which
    // points at a live, writable local.
    if unsafe { libc::getrusage(who, &mut usage) } == -1 {
        return Duration::ZERO;
    }
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// The machine's one-minute load average (`/proc/loadavg`), or 0: the
/// figures of a run on a busy machine are read with it.
pub fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}
