//! Turning a guard-page hit into a clear message instead of a bare SIGSEGV.
//!
//! Every chunk of stack slots is recorded in [`REGIONS`], a fixed table the
//! signal handler can read without locks or allocation. On SIGSEGV/SIGBUS
//! the handler, running on the thread's alternate signal stack (the faulting
//! stack is exhausted), checks whether the fault address lies in the guard
//! page of a slot. If so it prints which stack overflowed and aborts;
//! otherwise it hands the signal to whatever handler was installed before.

use std::cell::Cell;
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::sys;

/// How many chunks can be registered at once, counted over every thread of
/// the process (each thread's pools reserve chunks of their own). A chunk
/// is at most [`super::pool::MAX_CHUNK_BYTES`] of address space, or one
/// slot where a slot is larger, so full-grown chunks cover about 4 TiB
/// of stacks; smaller (younger) chunks fill the table sooner. A chunk that
/// finds the table full stays guarded, but its overflow is reported as a
/// plain segmentation fault, and [`slot_top_containing`] does not find its
/// slots (so a task cannot park from inside a generator on one of them).
const MAX_REGIONS: usize = 4096;

/// One registered chunk. Written under [`REGISTRY_LOCK`]; read lock-free by
/// the signal handler, which trusts an entry only while `start` is non-zero.
struct Region {
    /// Lowest address of the chunk; 0 marks a free entry. Published last
    /// (Release) so the other fields are visible to a reader that sees it.
    start: AtomicUsize,
    /// One past the highest address of the chunk.
    end: AtomicUsize,
    /// Bytes per slot, guard page included.
    slot_size: AtomicUsize,
    /// Bytes of guard at the low end of each slot.
    guard_size: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)] // only used to build the array
const EMPTY_REGION: Region = Region {
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    slot_size: AtomicUsize::new(0),
    guard_size: AtomicUsize::new(0),
};

static REGIONS: [Region; MAX_REGIONS] = [EMPTY_REGION; MAX_REGIONS];

/// Number of table entries ever used; the handler scans only these.
static REGIONS_USED: AtomicUsize = AtomicUsize::new(0);

/// Serialises writers of [`REGIONS`]; the handler never takes it.
static REGISTRY_LOCK: Mutex<()> = Mutex::new(());

/// A chunk's entry in the table; dropping it removes the entry.
#[derive(Debug)]
pub(crate) struct RegionHandle(Option<usize>);

/// Records `start..end`, cut into slots of `slot_size` bytes each starting
/// with `guard_size` bytes of guard, and makes sure the handler is installed.
pub(crate) fn register(
    start: usize,
    end: usize,
    slot_size: usize,
    guard_size: usize,
) -> RegionHandle {
    install_handler();
    let _lock = REGISTRY_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let used = REGIONS_USED.load(Ordering::Relaxed);
    let free = (0..used)
        .find(|&i| REGIONS[i].start.load(Ordering::Relaxed) == 0)
        .or((used < MAX_REGIONS).then_some(used));
    let Some(index) = free else {
        return RegionHandle(None);
    };
    let region = &REGIONS[index];
    region.end.store(end, Ordering::Relaxed);
    region.slot_size.store(slot_size, Ordering::Relaxed);
    region.guard_size.store(guard_size, Ordering::Relaxed);
    region.start.store(start, Ordering::Release);
    if index == used {
        REGIONS_USED.store(used + 1, Ordering::Release);
    }
    RegionHandle(Some(index))
}

impl Drop for RegionHandle {
    fn drop(&mut self) {
        if let Some(index) = self.0 {
            let _lock = REGISTRY_LOCK.lock().unwrap_or_else(|e| e.into_inner());
            REGIONS[index].start.store(0, Ordering::Release);
        }
    }
}

/// Where `addr` falls in the registered chunks: the slot holding it.
struct SlotHit {
    /// Lowest address of the slot.
    start: usize,
    slot_size: usize,
    guard_size: usize,
}

/// Finds the slot containing `addr`, reading the table lock-free (this runs
/// in the signal handler).
fn find_slot(addr: usize) -> Option<SlotHit> {
    let used = REGIONS_USED.load(Ordering::Acquire);
    REGIONS[..used].iter().find_map(|region| {
        let start = region.start.load(Ordering::Acquire);
        if start == 0 || addr < start || addr >= region.end.load(Ordering::Relaxed) {
            return None;
        }
        let slot_size = region.slot_size.load(Ordering::Relaxed);
        Some(SlotHit {
            start: start + (addr - start) / slot_size * slot_size,
            slot_size,
            guard_size: region.guard_size.load(Ordering::Relaxed),
        })
    })
}

/// If `addr` is in a slot's guard page, the usable stack size of that slot.
fn overflowed_stack_size(addr: usize) -> Option<usize> {
    let slot = find_slot(addr)?;
    (addr - slot.start < slot.guard_size).then_some(slot.slot_size - slot.guard_size)
}

/// The dispositions SIGSEGV and SIGBUS had before ours, for chaining.
static PREVIOUS: OnceLock<[libc::sigaction; 2]> = OnceLock::new();

/// Installs the fault handler once per process, and an alternate signal
/// stack on the calling thread if it has none (the handler must not run on
/// the stack that just overflowed).
fn install_handler() {
    PREVIOUS.get_or_init(|| {
        let install = |signal| {
            sys::set_fault_handler(signal, on_fault)
                .unwrap_or_else(|e| panic!("corio: cannot install the stack overflow handler: {e}"))
        };
        [install(libc::SIGSEGV), install(libc::SIGBUS)]
    });
    ensure_alt_stack();
}

/// Size of the alternate signal stacks corio installs on threads that lack one.
const ALT_STACK_BYTES: usize = 64 * 1024;

/// The alternate signal stack corio gave this thread, freed at thread exit.
struct AltStack(*mut u8);

impl Drop for AltStack {
    fn drop(&mut self) {
        sys::clear_alt_stack();
        // SAFETY: the mapping came from `sys::reserve` in `ensure_alt_stack`
        // and was just uninstalled, so nothing references it any more.
        let _ = unsafe { sys::release(self.0, ALT_STACK_BYTES) };
    }
}

thread_local! {
    /// Set once this thread's alternate stack is known to exist.
    static ALT_STACK_READY: Cell<bool> = const { Cell::new(false) };
    static OWN_ALT_STACK: Cell<Option<AltStack>> = const { Cell::new(None) };
}

fn ensure_alt_stack() {
    if ALT_STACK_READY.get() {
        return;
    }
    // Threads made by std already have one; only foreign threads lack it.
    if !sys::has_alt_stack().unwrap_or(false) {
        let Ok(memory) = sys::reserve(ALT_STACK_BYTES) else {
            return; // the overflow would then be reported as a plain SIGSEGV
        };
        // SAFETY: the fresh mapping is owned by `AltStack` below, which
        // uninstalls it before unmapping it at thread exit.
        if unsafe { sys::set_alt_stack(memory, ALT_STACK_BYTES) }.is_err() {
            // SAFETY: never installed, so nothing references it.
            let _ = unsafe { sys::release(memory, ALT_STACK_BYTES) };
            return;
        }
        OWN_ALT_STACK.set(Some(AltStack(memory)));
    }
    ALT_STACK_READY.set(true);
}

extern "C" fn on_fault(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo_t for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    if let Some(stack_size) = overflowed_stack_size(addr) {
        report_overflow(stack_size);
        // SAFETY: abort is async-signal-safe and never returns.
        unsafe { libc::abort() };
    }
    chain(signal, info, context);
}

/// Passes a fault that is not ours to the handler installed before corio's.
fn chain(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    let Some(previous) = PREVIOUS.get() else {
        return;
    };
    let previous = if signal == libc::SIGBUS {
        &previous[1]
    } else {
        &previous[0]
    };
    let handler = previous.sa_sigaction;
    if handler == libc::SIG_DFL || handler == libc::SIG_IGN {
        // Returning re-runs the faulting instruction, which now takes the
        // default action: the process dies of the signal, as it would have.
        sys::restore_handler(signal, previous);
    } else if previous.sa_flags & libc::SA_SIGINFO != 0 {
        type Action = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);
        // SAFETY: with SA_SIGINFO set, `sa_sigaction` holds a three-argument
        // handler installed by whoever registered it.
        let action: Action = unsafe { std::mem::transmute(handler) };
        action(signal, info, context);
    } else {
        type Handler = extern "C" fn(libc::c_int);
        // SAFETY: without SA_SIGINFO, `sa_sigaction` holds a one-argument handler.
        let action: Handler = unsafe { std::mem::transmute(handler) };
        action(signal);
    }
}

/// Writes the overflow message without allocating (we are in a signal handler).
fn report_overflow(stack_size: usize) {
    let mut digits = [0u8; 20];
    let mut n = stack_size / 1024;
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    sys::write_stderr(b"corio: coroutine stack overflow (stack size ");
    sys::write_stderr(&digits[at..]);
    sys::write_stderr(
        b" KiB); raise it with Generator::with_stack_size(bytes, f) or \
          corio::spawn_with_stack_size(bytes, f), or move the deep recursion \
          or large locals off the coroutine\n",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_lookup_matches_only_guard_pages_of_registered_chunks() {
        let start = 0x7000_0000_0000;
        let handle = register(start, start + 4 * 0x11000, 0x11000, 0x1000);
        assert_eq!(overflowed_stack_size(start), Some(0x10000));
        assert_eq!(
            overflowed_stack_size(start + 0x11000 + 0xfff),
            Some(0x10000)
        );
        assert_eq!(overflowed_stack_size(start + 0x1000), None);
        assert_eq!(overflowed_stack_size(start + 4 * 0x11000), None);
        drop(handle);
        assert_eq!(overflowed_stack_size(start), None);
    }
}
