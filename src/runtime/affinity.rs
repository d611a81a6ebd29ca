//! CPU affinity for `Builder::pin_threads`: which CPUs this process may
//! run on, and pinning the calling thread to one of them.
//!
//! Both use a fixed `cpu_set_t` (1024 CPUs, glibc's and musl's size): on
//! a kernel configured for more, `sched_getaffinity` fails with `EINVAL`
//! and pinning reports that error.

use std::io;

/// The CPUs the calling thread may run on (at `Builder::run`, the
/// caller's mask, which its threads inherit), in increasing order.
///
/// # Errors
///
/// The `sched_getaffinity` error.
pub(crate) fn allowed_cpus() -> io::Result<Vec<usize>> {
    // SAFETY: `cpu_set_t` is a plain bit array, valid when zeroed.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is valid for writes of the size passed; pid 0 is the
    // calling thread.
    let status = unsafe { libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) };
    if status == -1 {
        return Err(io::Error::last_os_error());
    }
    let capacity = 8 * size_of::<libc::cpu_set_t>();
    let mut cpus = Vec::new();
    for cpu in 0..capacity {
        // SAFETY: `CPU_ISSET` reads bit `cpu` of `set`, inside it for
        // every `cpu` below its bit capacity.
        if unsafe { libc::CPU_ISSET(cpu, &set) } {
            cpus.push(cpu);
        }
    }
    Ok(cpus)
}

/// Pins the calling thread to `cpu` alone.
///
/// # Errors
///
/// The `sched_setaffinity` error (`EINVAL` if `cpu` is not one this
/// process may use, for one).
pub(crate) fn pin_to(cpu: usize) -> io::Result<()> {
    let capacity = 8 * size_of::<libc::cpu_set_t>();
    if cpu >= capacity {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    // SAFETY: as in `allowed_cpus`.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` is below the set's bit capacity (checked above).
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is valid for reads of the size passed; pid 0 is the
    // calling thread.
    let status = unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set) };
    if status == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_thread_reads_back_its_one_cpu() {
        let cpus = allowed_cpus().unwrap();
        assert!(!cpus.is_empty());
        let last = *cpus.last().unwrap();
        let seen = std::thread::spawn(move || {
            pin_to(last).unwrap();
            allowed_cpus().unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(seen, [last]);
    }

    #[test]
    fn a_cpu_beyond_the_set_is_refused() {
        let err = pin_to(1 << 20).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
