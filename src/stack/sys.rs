//! The raw memory and signal calls the stack pool needs, each returning
//! `io::Result` so callers never look at `errno` themselves.
//!
//! This is the only file in corio that calls `mmap`, `munmap`, `madvise`,
//! `mprotect`, `mincore`, `sigaction` or `sigaltstack`.

use std::io;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Calls the libc function `name` with `args` and turns its `-1` failure
/// into `io::Error::last_os_error()`. Only the shape `name(args)` is
/// accepted, and `name` is looked up in `libc`, so nothing but a libc call
/// can end up in the macro's `unsafe` block; every use carries its own
/// `// SAFETY:` comment on why the arguments are valid.
macro_rules! syscall {
    ($name:ident ( $($arg:expr),* $(,)? )) => {{
        // SAFETY: the call is a libc function (the pattern above admits no
        // other expression), and the `// SAFETY:` comment at each use says
        // why its arguments satisfy that function's contract.
        let ret = unsafe { libc::$name($($arg),*) };
        if ret == -1 {
            Err(io::Error::last_os_error())
        } else {
            Ok(ret)
        }
    }};
}

/// `MADV_GUARD_INSTALL` (Linux 6.13): turns pages into guard markers that
/// fault on access without splitting the VMA. The libc crate lacks it.
const MADV_GUARD_INSTALL: libc::c_int = 102;

/// `MADV_POPULATE_WRITE` (Linux 5.14): faults pages in, writable, without
/// touching them from user space. The libc crate lacks it.
const MADV_POPULATE_WRITE: libc::c_int = 23;

/// `PIDFD_SELF` (Linux 6.15): `process_madvise` on the calling thread's own
/// memory, without opening a pidfd.
const PIDFD_SELF: libc::c_int = -10_000;

/// Most ranges one `process_madvise` call takes (`UIO_MAXIOV`).
const MAX_RANGES_PER_CALL: usize = 1024;

/// The size of a memory page in bytes (4 KiB on most x86_64 kernels, often
/// 16 or 64 KiB on aarch64), asked of the kernel once and then cached.
#[inline]
pub(crate) fn page_size() -> usize {
    /// 0 until the first call has asked `sysconf`.
    static PAGE_SIZE: AtomicUsize = AtomicUsize::new(0);
    let cached = PAGE_SIZE.load(Ordering::Relaxed);
    if cached != 0 {
        return cached;
    }
    ask_page_size(&PAGE_SIZE)
}

/// The first `page_size` call: asks the kernel and caches the answer.
#[cold]
fn ask_page_size(cache: &AtomicUsize) -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let size = usize::try_from(size)
        .ok()
        .filter(|size| size.is_power_of_two())
        .expect("sysconf(_SC_PAGESIZE) gives a power of two");
    // Racing first calls store the same value.
    cache.store(size, Ordering::Relaxed);
    size
}

/// Reserves `len` bytes of private, read-write, anonymous memory without
/// reserving swap for it (`MAP_NORESERVE`): only touched pages cost RAM.
pub(crate) fn reserve(len: usize) -> io::Result<*mut u8> {
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
    let prot = libc::PROT_READ | libc::PROT_WRITE;
    // SAFETY: a fresh anonymous mapping at an address of the kernel's choosing
    // cannot alias any existing Rust object.
    let addr = unsafe { libc::mmap(ptr::null_mut(), len, prot, flags, -1, 0) };
    if addr == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    // Transparent huge pages would turn a stack's single touched 4 KiB page
    // into a 2 MiB one; failure only costs memory, so it is not fatal.
    // SAFETY: the range is the mapping just made, and MADV_NOHUGEPAGE
    // changes no contents.
    let _ = unsafe { advise(addr.cast(), len, libc::MADV_NOHUGEPAGE) };
    Ok(addr.cast())
}

/// Returns a mapping made by [`reserve`] to the kernel.
///
/// # Safety
///
/// `addr..addr + len` must be a mapping from [`reserve`] that nothing
/// references any more.
pub(crate) unsafe fn release(addr: *mut u8, len: usize) -> io::Result<()> {
    // SAFETY: the caller guarantees a mapping from `reserve` that nothing
    // references any more.
    syscall!(munmap(addr.cast(), len)).map(drop)
}

/// Calls `madvise` on a range of raw addresses.
///
/// # Safety
///
/// `addr..addr + len` must lie inside a mapping from [`reserve`], and if
/// `advice` changes what the range reads back (`MADV_DONTNEED` zeroes it,
/// `MADV_GUARD_INSTALL` makes it fault), the range must hold nothing still
/// in use.
unsafe fn advise(addr: *mut u8, len: usize, advice: libc::c_int) -> io::Result<()> {
    // SAFETY: madvise only reads its arguments; the caller guarantees the
    // range and the advice are harmless to live data (this fn's contract).
    syscall!(madvise(addr.cast(), len, advice)).map(drop)
}

/// Drops the physical pages behind `addr..addr + len`; the next touch sees
/// zeroes. Guard markers installed with `MADV_GUARD_INSTALL` survive this.
///
/// # Safety
///
/// The range must lie inside a mapping from [`reserve`] and hold no live data.
pub(crate) unsafe fn discard(addr: *mut u8, len: usize) -> io::Result<()> {
    // SAFETY: forwarded from our caller: the range is ours and holds no
    // live data, so zeroing it is harmless.
    unsafe { advise(addr, len, libc::MADV_DONTNEED) }
}

/// How guard pages are made on this kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardKind {
    /// `madvise(MADV_GUARD_INSTALL)`: no extra VMA per guard.
    Madvise,
    /// `mprotect(PROT_NONE)`: splits the mapping, two VMAs per stack.
    Mprotect,
}

/// Makes `addr..addr + len` fault on any access, preferring `kind`.
/// Returns the kind that worked: `Madvise` falls back to `Mprotect` when the
/// kernel rejects the advice (older than 6.13).
///
/// # Safety
///
/// The range must lie inside a mapping from [`reserve`] and hold no live data.
pub(crate) unsafe fn install_guard(
    addr: *mut u8,
    len: usize,
    kind: GuardKind,
) -> io::Result<GuardKind> {
    if kind == GuardKind::Madvise {
        // SAFETY: forwarded from our caller: the range is ours and holds no
        // live data, so making it fault is harmless.
        match unsafe { advise(addr, len, MADV_GUARD_INSTALL) } {
            Ok(()) => return Ok(GuardKind::Madvise),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
            Err(e) => return Err(e),
        }
    }
    // SAFETY: as above: the range is ours and holds no live data.
    syscall!(mprotect(addr.cast(), len, libc::PROT_NONE))?;
    Ok(GuardKind::Mprotect)
}

/// Gives `advice` for `len` bytes at each of `starts`, a thousand ranges
/// per `process_madvise(PIDFD_SELF, ...)` call instead of one `madvise`
/// each. An error if the kernel refuses or advises fewer bytes than asked
/// (then some ranges may have been advised: callers fall back to advising
/// each range alone, which is why only idempotent advice goes through here).
///
/// # Safety
///
/// Every range must lie inside a mapping from [`reserve`] and hold nothing
/// still in use (the advice may make it fault or read back zeroes).
unsafe fn advise_each(starts: &[*mut u8], len: usize, advice: libc::c_int) -> io::Result<()> {
    /// Set once the kernel (or valgrind, which does not know the call)
    /// refused it: later batches go straight to the per-range fallback.
    static REFUSED: AtomicBool = AtomicBool::new(false);
    if REFUSED.load(Ordering::Relaxed) {
        return Err(io::Error::from_raw_os_error(libc::ENOSYS));
    }
    for batch in starts.chunks(MAX_RANGES_PER_CALL) {
        let ranges: Vec<libc::iovec> = batch
            .iter()
            .map(|&start| libc::iovec {
                iov_base: start.cast(),
                iov_len: len,
            })
            .collect();
        // SAFETY: the call reads `ranges.len()` iovecs from a live Vec and
        // only advises the ranges they name, which the caller guarantees
        // are ours and hold nothing in use (this fn's contract).
        let advised = syscall!(syscall(
            libc::SYS_process_madvise,
            PIDFD_SELF,
            ranges.as_ptr(),
            ranges.len(),
            advice,
            0u32
        ))
        .inspect_err(|e| {
            // No such call (before 5.10), no PIDFD_SELF (before 6.15), or
            // an advice it does not take for this process: it will not
            // change its mind.
            if matches!(
                e.raw_os_error(),
                Some(libc::ENOSYS | libc::EBADF | libc::EINVAL | libc::EPERM)
            ) {
                REFUSED.store(true, Ordering::Relaxed);
            }
        })?;
        if usize::try_from(advised).ok() != Some(len * ranges.len()) {
            return Err(io::Error::other(
                "process_madvise advised only part of the ranges",
            ));
        }
    }
    Ok(())
}

/// Installs a `MADV_GUARD_INSTALL` guard of `len` bytes at each of
/// `starts` in batched calls (installing one twice is harmless, so a
/// caller may redo any of them one by one after an error).
///
/// # Safety
///
/// As [`install_guard`], for every range.
pub(crate) unsafe fn install_guards(starts: &[*mut u8], len: usize) -> io::Result<()> {
    // SAFETY: forwarded from our caller: every range is ours and unused.
    unsafe { advise_each(starts, len, MADV_GUARD_INSTALL) }
}

/// Faults in `len` writable bytes at each of `starts` in batched calls,
/// sparing each page its own page-fault trap at first touch. Best effort:
/// an error only means the pages fault in when first touched.
///
/// # Safety
///
/// Every range must lie inside a mapping from [`reserve`], outside guards,
/// and hold nothing still in use.
pub(crate) unsafe fn populate(starts: &[*mut u8], len: usize) -> io::Result<()> {
    // SAFETY: forwarded from our caller; populating unused private
    // anonymous pages gives zero-filled pages, which is what they read.
    unsafe { advise_each(starts, len, MADV_POPULATE_WRITE) }
}

/// Installs `handler` for `signal` with `SA_SIGINFO | SA_ONSTACK` and
/// returns the previous disposition, so the caller can chain to it.
pub(crate) fn set_fault_handler(
    signal: libc::c_int,
    handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void),
) -> io::Result<libc::sigaction> {
    // SAFETY: sigaction is plain old data; all-zero is a valid empty value.
    let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
    new.sa_sigaction = handler as usize;
    new.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
    // SAFETY: as above.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live sigaction values, and `handler` is
    // an `extern "C"` function with the SA_SIGINFO signature.
    syscall!(sigaction(signal, &new, &mut old))?;
    Ok(old)
}

/// Restores `signal`'s disposition to `action`. Async-signal-safe.
pub(crate) fn restore_handler(signal: libc::c_int, action: &libc::sigaction) {
    // SAFETY: `action` is a valid sigaction read from the kernel earlier.
    unsafe { libc::sigaction(signal, action, ptr::null_mut()) };
}

/// Whether the calling thread already has an alternate signal stack.
pub(crate) fn has_alt_stack() -> io::Result<bool> {
    // SAFETY: stack_t is plain old data; all-zero is a valid value.
    let mut current: libc::stack_t = unsafe { std::mem::zeroed() };
    // SAFETY: a null new stack only queries; `current` is a live stack_t.
    syscall!(sigaltstack(ptr::null(), &mut current))?;
    Ok(current.ss_flags & libc::SS_DISABLE == 0)
}

/// Makes `len` bytes at `addr` the calling thread's alternate signal stack.
///
/// # Safety
///
/// The memory must stay mapped and unused by anything else for as long as
/// it is installed (until the thread exits or it is replaced).
pub(crate) unsafe fn set_alt_stack(addr: *mut u8, len: usize) -> io::Result<()> {
    let stack = libc::stack_t {
        ss_sp: addr.cast(),
        ss_flags: 0,
        ss_size: len,
    };
    // SAFETY: `stack` describes memory the caller keeps mapped and unused
    // for as long as it is installed (this fn's contract).
    syscall!(sigaltstack(&stack, ptr::null_mut())).map(drop)
}

/// Removes the calling thread's alternate signal stack.
pub(crate) fn clear_alt_stack() {
    let stack = libc::stack_t {
        ss_sp: ptr::null_mut(),
        ss_flags: libc::SS_DISABLE,
        ss_size: 0,
    };
    // SAFETY: disabling the alternate stack has no memory preconditions.
    unsafe { libc::sigaltstack(&stack, ptr::null_mut()) };
}

/// How many bytes of the page-aligned range `addr..addr + len` are
/// resident in memory (`mincore`): for a stack, the pages it has touched
/// and still holds, its high-water mark unless the pool discarded them.
///
/// # Safety
///
/// The range must lie inside a mapping from [`reserve`]. (`mincore` only
/// reads the page tables; it neither touches nor changes the memory.)
pub(crate) unsafe fn resident_bytes(addr: usize, len: usize) -> io::Result<usize> {
    let page = page_size();
    let pages = len.div_ceil(page);
    // One byte per page; a stack slot has at most MAX_STACK_SIZE / page.
    let mut vector = vec![0u8; pages];
    // SAFETY: the range is mapped (our caller's contract) and page
    // aligned; `vector` has one byte for each of its pages.
    syscall!(mincore(addr as *mut libc::c_void, len, vector.as_mut_ptr()))?;
    Ok(vector.iter().filter(|&&b| b & 1 != 0).count() * page)
}

/// Writes `bytes` to standard error with `write(2)`, which is
/// async-signal-safe (unlike `eprintln!`, which may lock and allocate).
pub(crate) fn write_stderr(bytes: &[u8]) {
    // SAFETY: the buffer is valid for `bytes.len()` bytes.
    let _ = unsafe { libc::write(libc::STDERR_FILENO, bytes.as_ptr().cast(), bytes.len()) };
}
