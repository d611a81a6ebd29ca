//! Children whose `Child` was dropped before they were reaped, so that
//! they do not stay zombies until the parent exits.
//!
//! std's `Child` does nothing when dropped: a process that ends afterwards
//! stays a zombie (an entry in the kernel's process table) for as long as
//! the parent lives. corio's `Child` leaves the pid here instead, and the
//! list is swept (one `waitpid(pid, WNOHANG)` each, which never blocks)
//! whenever a [`Command`](super::Command) spawns and whenever a `Child` is
//! dropped: a program that keeps starting processes keeps no zombies
//! beyond those that ended since its last spawn. tokio keeps such an
//! orphan queue too (swept on `SIGCHLD`; corio leaves signals alone).
//!
//! Only pids of children that corio spawned and never reaped are ever
//! here, so `waitpid` on them cannot reap a child that another part of
//! the program still owns (a pid is not reused before it is reaped).

use std::sync::Mutex;

/// Pids of dropped, unreaped children.
static ORPHANS: Mutex<Vec<libc::pid_t>> = Mutex::new(Vec::new());

/// Takes on the reaping of `pid`, a child of this process that has not
/// been reaped, then sweeps.
pub(super) fn adopt(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        lock().push(pid);
    }
    reap();
}

/// Reaps every orphan that has ended, without waiting for the others.
pub(super) fn reap() {
    let mut orphans = lock();
    if orphans.is_empty() {
        return;
    }
    orphans.retain(|&pid| {
        let mut status = 0;
        // SAFETY: waitpid writes the status to the valid `status`; WNOHANG
        // makes it return at once.
        let reaped = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        // 0: still running. -1: gone (ECHILD: reaped by someone else) or
        // interrupted (EINTR: try again next time).
        reaped == 0
            || (reaped == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR))
    });
}

fn lock() -> std::sync::MutexGuard<'static, Vec<libc::pid_t>> {
    // The list is consistent whatever panicked while it was held.
    ORPHANS.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ended_orphan_is_reaped_at_the_next_sweep() {
        let child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as libc::pid_t;
        drop(child); // std leaves it to us
        // Wait for its end without reaping it (WNOWAIT).
        // SAFETY: `info` is a valid siginfo_t to write to.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: as above; P_PID names one child of ours.
        let waited = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        assert_eq!(waited, 0, "{}", std::io::Error::last_os_error());
        adopt(pid as u32);
        // Gone now: nothing left to wait for.
        // SAFETY: as above.
        let again = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT | libc::WNOHANG,
            )
        };
        assert_eq!(again, -1);
        assert!(!lock().contains(&pid));
    }
}
