//! Pooled, guarded stacks for coroutines.
//!
//! A stackful coroutine needs a stack of its own, and what that stack costs
//! decides how many coroutines fit in a machine. corio keeps stacks in
//! per-thread pools of fixed-size *slots* cut out of large `MAP_NORESERVE`
//! reservations (*chunks*):
//!
//! ```text
//!  chunk (one mmap, one VMA)                                   high addresses
//!  +-------+-------------------+-------+-------------------+----    ...
//!  | guard |   stack  <- grows | guard |   stack  <- grows | ...
//!  | 1 page|   stack_size      | 1 page|   stack_size      |
//!  +-------+-------------------+-------+-------------------+----    ...
//!  ^ slot 0 start        header^ ^ slot 1                  header^
//!                        + base                            + base
//! ```
//!
//! - Only pages a coroutine touches use RAM: a small coroutine costs one
//!   page (4 KiB on most kernels), however large its slot. Guards and slot
//!   sizes follow the kernel's page size, so 16 KiB and 64 KiB page kernels
//!   work too.
//! - Each slot's lowest page is a guard. On Linux 6.13 and later it is made
//!   with `madvise(MADV_GUARD_INSTALL)`, which does not split the mapping,
//!   so a million stacks need a few hundred mappings, far below the default
//!   `vm.max_map_count` of 65530. Older kernels get `mprotect` guards (two
//!   mappings per stack) and a one-time warning on stderr.
//! - Never-used slots are made ready in batches, as many as the pool has
//!   handed out so far up to 1,024: one `process_madvise` installs the
//!   batch's guards and one faults in each slot's top page (where the
//!   kernel refuses, each slot gets its own `madvise` and faults in when
//!   first touched), so a burst of fresh tasks pays the kernel per batch,
//!   not per stack.
//! - Running into a guard page prints
//!   `corio: coroutine stack overflow (stack size N KiB)` with how to raise
//!   it, then aborts, instead of dying of an anonymous SIGSEGV.
//! - Freed slots go on a LIFO free list, so the next coroutine reuses a
//!   slot whose pages are still resident: no syscall. Beyond a warm cache
//!   of 64 free slots, a free slot keeps its pages for the *decay time*
//!   ([`set_decay`], 10 s by default), so a burst of tasks that comes back
//!   within it finds its memory still there; after it, the pages are
//!   handed back to the kernel in batches (`MADV_DONTNEED`), when stacks
//!   are freed or while the event loop waits, so memory falls after a burst.
//! - The top 64 bytes of each slot are reserved for the owner's header:
//!   per-coroutine state at an address that does not move while the
//!   coroutine does. Nothing in the slot is touched by the pool itself.
//!
//! # Examples
//!
//! ```
//! use corio::{Generator, GeneratorState};
//!
//! // Deep recursion wants more than the default 256 KiB.
//! fn depth(n: u64) -> u64 { if n == 0 { 0 } else { 1 + depth(n - 1) } }
//! let mut g = Generator::<(), (), u64>::with_stack_size(8 << 20, |_, ()| depth(50_000));
//! assert_eq!(g.resume(()), GeneratorState::Complete(50_000));
//! assert_eq!(corio::stack::DEFAULT_STACK_SIZE, 256 * 1024);
//! ```

mod decay;
mod overflow;
mod pool;
mod sys;

use std::cell::RefCell;
use std::io;
use std::ptr::NonNull;
use std::rc::Rc;
use std::time::Duration;

use corosensei::stack::{Stack, StackPointer};

pub use decay::{DEFAULT_DECAY, decay, set_decay};
pub use sys::GuardKind;

use pool::StackPool;

/// Usable bytes of a coroutine stack unless asked otherwise (256 KiB).
pub const DEFAULT_STACK_SIZE: usize = 256 * 1024;

/// Smallest stack handed out, in bytes: unwinding and panic messages need
/// a few KiB of their own.
pub const MIN_STACK_SIZE: usize = 16 * 1024;

/// Largest stack handed out, in bytes (1 GiB): a slot must fit in one
/// reservation, and larger requests are almost surely a unit mistake.
pub const MAX_STACK_SIZE: usize = 1 << 30;

/// Bytes of guard below each stack: one page of this kernel (4 KiB, or 16
/// or 64 KiB on kernels built with larger pages). Slot sizes are multiples
/// of it, so every slot and guard is page aligned.
#[inline]
pub(crate) fn guard_size() -> usize {
    sys::page_size()
}

/// Bytes reserved at the top of each slot for its owner's header (see
/// [`PooledStack::header`]): state that code on the stack and the owner
/// (which may move) both reach at an address that does not move.
const HEADER_SIZE: usize = 64;

/// A stack slot on loan from a [`StackPool`]; dropping it gives it back.
///
/// # Invariant
///
/// `top` is the end of a slot of `pool` that no other `PooledStack` holds:
/// `top - stack_size - guard_size() .. top` is mapped, its lowest
/// `guard_size()` bytes fault on access, the rest is readable and writable.
#[derive(Debug)]
pub(crate) struct PooledStack {
    top: NonNull<u8>,
    /// `top - HEADER_SIZE`, computed once: `base()` runs on every resume,
    /// and a fallible computation there costs corosensei a store and a
    /// branch per switch.
    base: StackPointer,
    stack_size: usize,
    pool: Rc<StackPool>,
}

impl PooledStack {
    /// # Safety
    ///
    /// `top` must satisfy the type's invariant for `pool` and `stack_size`.
    unsafe fn new(top: NonNull<u8>, stack_size: usize, pool: Rc<StackPool>) -> Self {
        let base = StackPointer::new(top.as_ptr() as usize - HEADER_SIZE)
            .expect("a slot's top is far above address 0");
        PooledStack {
            top,
            base,
            stack_size,
            pool,
        }
    }

    /// Takes a stack with at least `stack_size` usable bytes from this
    /// thread's pool for that size.
    ///
    /// # Errors
    ///
    /// `InvalidInput` above [`MAX_STACK_SIZE`]; the `mmap`/`madvise` error
    /// when no memory can be reserved.
    #[inline]
    pub(crate) fn take(stack_size: usize) -> io::Result<Self> {
        if stack_size > MAX_STACK_SIZE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "corio: a stack of {stack_size} bytes exceeds MAX_STACK_SIZE ({MAX_STACK_SIZE})"
                ),
            ));
        }
        pool_for(stack_size).take()
    }

    /// Lowest address of the slot, guard page included.
    #[inline]
    pub(crate) fn lowest_address(&self) -> usize {
        self.top.as_ptr() as usize - self.stack_size - guard_size()
    }

    /// The slot, `low..high`, guard page included.
    pub(crate) fn bounds(&self) -> (usize, usize) {
        (self.lowest_address(), self.top.as_ptr() as usize)
    }

    /// The owner's header at the top of this slot, of type `H`, valid as
    /// long as the slot is held by this stack or the coroutine built on it.
    /// The bytes are uninitialised (or a previous owner's) until the owner
    /// writes its header there.
    pub(crate) fn header<H>(&self) -> NonNull<H> {
        const { assert!(size_of::<H>() <= HEADER_SIZE && align_of::<H>() <= 64) };
        // SAFETY: HEADER_SIZE bytes below a slot's end are inside the slot,
        // and the slot end is page aligned, so the cast pointer is aligned.
        unsafe { NonNull::new_unchecked(self.top.as_ptr().sub(HEADER_SIZE).cast()) }
    }
}

impl Drop for PooledStack {
    fn drop(&mut self) {
        let slot = self
            .top
            .as_ptr()
            .wrapping_sub(self.stack_size + guard_size());
        // SAFETY: a slot start is inside its non-null mapping.
        self.pool.give_back(unsafe { NonNull::new_unchecked(slot) });
    }
}

// SAFETY: corosensei requires a guard page below the usable area, at least
// `corosensei::stack::MIN_STACK_SIZE` usable bytes, and `base`/`limit`
// aligned to `STACK_ALIGNMENT` (16). By the type's invariant the slot's
// lowest page is a guard and `limit` (the slot start) includes it; usable
// bytes are `stack_size - HEADER_SIZE >= MIN_STACK_SIZE - 64 > 4096`; `top`
// is page aligned (reservations are, and slots are page multiples), so
// `top - 64` and the slot start are 16-byte aligned.
// A recycled slot still satisfies all of this: the guard is never removed.
unsafe impl Stack for PooledStack {
    #[inline]
    fn base(&self) -> StackPointer {
        self.base
    }

    #[inline]
    fn limit(&self) -> StackPointer {
        let start = self.top.as_ptr() as usize - self.stack_size - guard_size();
        StackPointer::new(start).expect("slot start is not null")
    }
}

/// How many bytes of the stack slot `low..high` (from
/// [`PooledStack::bounds`], guard page left out) are resident; `None` if
/// the kernel refuses to say.
///
/// # Safety
///
/// `low..high` must be the bounds of a slot that is still held (by a
/// live coroutine's stack), so that it is mapped.
pub(crate) unsafe fn resident_bytes(low: usize, high: usize) -> Option<usize> {
    let usable = low + guard_size();
    // SAFETY: a held slot lies inside its pool's reservation (the
    // caller's contract), and slots are page aligned.
    unsafe { sys::resident_bytes(usable, high.saturating_sub(usable)) }.ok()
}

thread_local! {
    /// The pool for [`DEFAULT_STACK_SIZE`], kept apart for a fast lookup.
    static DEFAULT_POOL: Rc<StackPool> = Rc::new(StackPool::new(DEFAULT_STACK_SIZE));
    /// Pools for other sizes, found by a linear scan (programs use few).
    static OTHER_POOLS: RefCell<Vec<Rc<StackPool>>> = const { RefCell::new(Vec::new()) };
}

/// Rounds a requested size up to what a slot provides: a page multiple, at
/// least [`MIN_STACK_SIZE`].
/// `requested` is at most [`MAX_STACK_SIZE`], so nothing overflows.
fn slot_stack_size(requested: usize) -> usize {
    // The page size is a power of two: round with a mask, not a division
    // (this runs on every stack taken).
    let page_mask = sys::page_size() - 1;
    (requested.max(MIN_STACK_SIZE) + page_mask) & !page_mask
}

#[inline]
fn pool_for(requested: usize) -> Rc<StackPool> {
    // The default size is a multiple of every page size Linux uses (4, 16
    // and 64 KiB), so the common case needs no rounding.
    if requested == DEFAULT_STACK_SIZE {
        return DEFAULT_POOL.with(Rc::clone);
    }
    let stack_size = slot_stack_size(requested);
    if stack_size == DEFAULT_STACK_SIZE {
        return DEFAULT_POOL.with(Rc::clone);
    }
    OTHER_POOLS.with_borrow_mut(|pools| {
        if let Some(pool) = pools.iter().find(|p| p.stack_size() == stack_size) {
            return Rc::clone(pool);
        }
        let pool = Rc::new(StackPool::new(stack_size));
        pools.push(Rc::clone(&pool));
        pool
    })
}

/// How this process makes guard pages: probed with a real install the
/// first time it is asked (or the first time a stack is carved).
///
/// # Examples
///
/// ```
/// use corio::stack::{guard_kind, GuardKind};
///
/// match guard_kind() {
///     GuardKind::Madvise => println!("guards cost no mappings"),
///     GuardKind::Mprotect => println!("older kernel: two mappings per stack"),
/// }
/// ```
pub fn guard_kind() -> GuardKind {
    // Carving a slot performs the probe; the slot goes straight back.
    drop(PooledStack::take(DEFAULT_STACK_SIZE));
    pool::guard_kind()
}

/// Returns the pages of this thread's expired free slots to the kernel
/// (an event loop calls this before it waits) and shortens the loop's
/// `wait` to when the next one expires, so an idle program's memory falls
/// on time.
pub(crate) fn release_while_idle(wait: Option<Duration>) -> Option<Duration> {
    let now = decay::now();
    let mut next = DEFAULT_POOL.with(|pool| pool.release_expired(now));
    OTHER_POOLS.with_borrow(|pools| {
        for pool in pools {
            next = min_wait(next, pool.release_expired(now));
        }
    });
    min_wait(wait, next)
}

/// The shorter of two waits, `None` meaning forever.
fn min_wait(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// Counts for this thread's default-size pool: `(slots ever handed out,
/// slots free now)`. Live stacks are the difference. (Slots prepared in a
/// batch and not yet taken are in neither.)
///
/// # Examples
///
/// ```
/// let before = corio::stack::default_pool_counts();
/// let g = corio::Generator::<(), (), ()>::new(|_, ()| {});
/// let (carved, free) = corio::stack::default_pool_counts();
/// assert_eq!(carved - free, before.0 - before.1 + 1);
/// drop(g);
/// ```
pub fn default_pool_counts() -> (usize, usize) {
    DEFAULT_POOL.with(|pool| pool.counts())
}
