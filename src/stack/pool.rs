//! Per-thread pools of equally sized stack slots.
//!
//! Coroutines are `!Send`, so a stack is always returned on the thread that
//! took it: each thread keeps its own pools and nothing here locks.

use std::cell::RefCell;
use std::io;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use corosensei::stack::valgrind::ValgrindStackRegistration;

use super::decay;
use super::overflow::{self, RegionHandle};
use super::sys::{self, GuardKind};
use super::{PooledStack, guard_size};

/// Slots in a pool's first chunk; each further chunk doubles, up to
/// [`MAX_CHUNK_BYTES`]. Small first chunks keep short-lived threads cheap.
/// Pools of big slots start with fewer: see [`chunk_slots`].
const FIRST_CHUNK_SLOTS: usize = 16;

/// Largest reservation, in bytes of address space, that holds more than one
/// slot. Every chunk, the first included, is at most this large unless a
/// single slot is larger (a slot of [`super::MAX_STACK_SIZE`] plus its guard
/// page is): such a chunk holds exactly one slot. With the default slot
/// (256 KiB + a 4 KiB guard page) a full chunk holds about 4,000 slots, so
/// with `MADV_GUARD_INSTALL` guards a million stacks take about 250
/// mappings (fewer where the kernel merges neighbouring chunks).
pub(crate) const MAX_CHUNK_BYTES: usize = 1 << 30;

/// How many slots of `slot_size` bytes the next chunk of a pool gets, after
/// a last chunk of `previous` slots (`None` for the first chunk): double the
/// previous one, starting at [`FIRST_CHUNK_SLOTS`], never more than fit in
/// [`MAX_CHUNK_BYTES`], never fewer than one.
fn chunk_slots(previous: Option<usize>, slot_size: usize) -> usize {
    let wanted = previous.map_or(FIRST_CHUNK_SLOTS, |slots| slots.saturating_mul(2));
    wanted.min(MAX_CHUNK_BYTES / slot_size).max(1)
}

/// Most never-used slots made ready at once: guards installed and top
/// pages faulted in with one `process_madvise` each per batch, instead of
/// a `madvise` and a page-fault trap per slot. A pool's batch is as large
/// as the number of slots it handed out so far, so a program of a few
/// tasks prepares a few, and a burst of a million pays one batch per
/// thousand slots; at most a batch minus one slot lies ready unused.
const MAX_PREPARED_BATCH: usize = 1024;

/// Free slots kept resident for hot reuse whatever their age. Beyond
/// these, free slots keep their pages for the decay time
/// ([`decay::decay`]), then the pages go back to the kernel.
const WARM_SLOTS: usize = 64;

/// How many expired slots are discarded at a time when stacks are freed,
/// to amortise the syscalls (an idle loop discards whatever expired).
const DISCARD_BATCH: usize = 64;

/// A pool of slots that each hold a `stack_size`-byte stack above a guard page.
#[derive(Debug)]
pub(crate) struct StackPool {
    /// Usable bytes per slot (page multiple), the slot header included.
    stack_size: usize,
    state: RefCell<PoolState>,
}

#[derive(Debug)]
struct PoolState {
    /// Each free slot, most recently freed last (LIFO), so also oldest
    /// first: freeing pushes, taking pops.
    free: Vec<FreeSlot>,
    /// `free[..discarded]` have had their pages returned to the kernel.
    /// Pops from the end keep it `<= free.len()`.
    discarded: usize,
    /// Every reservation, oldest first. Slots are carved from the last one.
    chunks: Vec<Chunk>,
    /// Slots of the last chunk not yet prepared start at this index.
    next_fresh: usize,
    /// Never-used slots with their guards installed, lowest address last
    /// (taken first).
    prepared: Vec<NonNull<u8>>,
}

/// A slot on the free list.
#[derive(Debug)]
struct FreeSlot {
    /// Its lowest address.
    start: NonNull<u8>,
    /// When it was freed, by the coarse clock of [`decay::stamp`].
    freed_at: Instant,
}

/// One `MAP_NORESERVE` reservation cut into slots. Dropping it unmaps the
/// memory, so it is dropped only with its pool, after every stack came back.
#[derive(Debug)]
struct Chunk {
    start: NonNull<u8>,
    slots: usize,
    slot_size: usize,
    /// One per slot carved so far, so valgrind accepts switches onto it.
    _valgrind: Vec<ValgrindStackRegistration>,
    _region: RegionHandle,
}

impl Drop for Chunk {
    fn drop(&mut self) {
        // SAFETY: the pool drops its chunks only when it is dropped, which
        // happens after every `PooledStack` (each holds an `Rc` to the pool)
        // is gone, so no slot of this chunk is in use.
        let _ = unsafe { sys::release(self.start.as_ptr(), self.slots * self.slot_size) };
    }
}

/// Which guard mechanism this process settled on: 0 = not yet probed.
static GUARD_KIND: AtomicU8 = AtomicU8::new(0);

/// How guard pages are installed in this process, probing on first use.
pub(crate) fn guard_kind() -> GuardKind {
    match GUARD_KIND.load(Ordering::Relaxed) {
        1 => GuardKind::Madvise,
        2 => GuardKind::Mprotect,
        _ => GuardKind::Madvise, // first install decides; see `note_guard_kind`
    }
}

fn note_guard_kind(kind: GuardKind) {
    let code = if kind == GuardKind::Madvise { 1 } else { 2 };
    if GUARD_KIND.swap(code, Ordering::Relaxed) != code && kind == GuardKind::Mprotect {
        eprintln!(
            "corio: this kernel lacks MADV_GUARD_INSTALL (Linux 6.13+); stack guard pages \
             fall back to mprotect, which costs two memory mappings per live coroutine. \
             vm.max_map_count (see /proc/sys/vm/max_map_count, default 65530) then limits \
             how many can exist at once."
        );
    }
}

impl StackPool {
    /// A pool of stacks of `stack_size` bytes, a multiple of the page size.
    pub(crate) fn new(stack_size: usize) -> Self {
        debug_assert_eq!(stack_size % sys::page_size(), 0);
        StackPool {
            stack_size,
            state: RefCell::new(PoolState {
                free: Vec::new(),
                discarded: 0,
                chunks: Vec::new(),
                next_fresh: 0,
                prepared: Vec::new(),
            }),
        }
    }

    /// Usable bytes per stack.
    pub(crate) fn stack_size(&self) -> usize {
        self.stack_size
    }

    fn slot_size(&self) -> usize {
        self.stack_size + guard_size()
    }

    /// Takes a slot: the most recently freed one, or a fresh one.
    pub(crate) fn take(self: &Rc<Self>) -> io::Result<PooledStack> {
        let slot = {
            let mut state = self.state.borrow_mut();
            match state.free.pop() {
                Some(slot) => {
                    state.discarded = state.discarded.min(state.free.len());
                    slot.start
                }
                None => match state.prepared.pop() {
                    Some(slot) => slot,
                    None => {
                        self.prepare(&mut state)?;
                        state.prepared.pop().expect("a batch has at least one slot")
                    }
                },
            }
        };
        let top = slot.as_ptr().wrapping_add(self.slot_size());
        // SAFETY: `top` is the end of a slot of this pool, not null.
        let top = unsafe { NonNull::new_unchecked(top) };
        // SAFETY: the slot came out of the free list or was just carved, so
        // no other stack uses it; `Rc::clone` keeps the pool (and the chunk
        // holding the slot) alive as long as the stack.
        Ok(unsafe { PooledStack::new(top, self.stack_size, Rc::clone(self)) })
    }

    /// Makes a batch of never-used slots ready (guards installed, top pages
    /// faulted in), reserving a new chunk when the last one is used up.
    fn prepare(&self, state: &mut PoolState) -> io::Result<()> {
        let slot_size = self.slot_size();
        let full = state
            .chunks
            .last()
            .is_none_or(|c| state.next_fresh == c.slots);
        if full {
            let slots = chunk_slots(state.chunks.last().map(|c| c.slots), slot_size);
            let len = slots * slot_size;
            let start = sys::reserve(len)?;
            let start = NonNull::new(start).expect("mmap returned null");
            let region = overflow::register(
                start.as_ptr() as usize,
                start.as_ptr() as usize + len,
                slot_size,
                guard_size(),
            );
            state.chunks.push(Chunk {
                start,
                slots,
                slot_size,
                _valgrind: Vec::new(),
                _region: region,
            });
            state.next_fresh = 0;
        }
        let handed_out = self.handed_out(state);
        let chunk = state.chunks.last_mut().expect("a chunk was just ensured");
        let count = handed_out
            .clamp(1, MAX_PREPARED_BATCH)
            .min(chunk.slots - state.next_fresh);
        let slots: Vec<*mut u8> = (state.next_fresh..state.next_fresh + count)
            .map(|i| chunk.start.as_ptr().wrapping_add(i * slot_size))
            .collect();
        // SAFETY: each guard range is the first page of a slot nobody has
        // used (all of them lie in this chunk, past `next_fresh`).
        let batched = count > 1
            && guard_kind() == GuardKind::Madvise
            && unsafe { sys::install_guards(&slots, guard_size()) }.is_ok();
        if batched {
            note_guard_kind(GuardKind::Madvise);
        } else {
            for &slot in &slots {
                // SAFETY: as above, one slot's first page.
                let kind = unsafe { sys::install_guard(slot, guard_size(), guard_kind())? };
                note_guard_kind(kind);
            }
        }
        if count > 1 {
            let page = sys::page_size();
            let tops: Vec<*mut u8> = slots
                .iter()
                .map(|&slot| slot.wrapping_add(slot_size - page))
                .collect();
            // SAFETY: each range is a never-used slot's top page, above its
            // guard. Best effort: where refused, pages fault in at first use.
            let _ = unsafe { sys::populate(&tops, page) };
        }
        for &slot in &slots {
            chunk
                ._valgrind
                .push(ValgrindStackRegistration::new(slot, slot_size));
        }
        state.next_fresh += count;
        state.prepared.extend(
            slots
                .into_iter()
                .rev()
                // SAFETY: every slot is inside a non-null mapping.
                .map(|slot| unsafe { NonNull::new_unchecked(slot) }),
        );
        Ok(())
    }

    /// Slots handed out by this pool so far (in use or freed), not counting
    /// those prepared and never taken.
    fn handed_out(&self, state: &PoolState) -> usize {
        let full: usize = state.chunks.iter().rev().skip(1).map(|c| c.slots).sum();
        full + state.next_fresh - state.prepared.len()
    }

    /// Returns the slot starting at `slot` to the free list, and discards
    /// a batch of expired slots if that many are waiting.
    pub(crate) fn give_back(&self, slot: NonNull<u8>) {
        let mut state = self.state.borrow_mut();
        let freed_at = decay::stamp();
        state.free.push(FreeSlot {
            start: slot,
            freed_at,
        });
        if state.free.len() - state.discarded >= WARM_SLOTS + DISCARD_BATCH {
            let expired = self.expired(&state, freed_at, decay::decay(), DISCARD_BATCH);
            if expired == DISCARD_BATCH {
                self.discard_oldest(&mut state, DISCARD_BATCH);
            }
        }
    }

    /// Discards every expired slot (an idle loop calls this) and says how
    /// long until the next resident slot beyond the warm cache expires.
    pub(crate) fn release_expired(&self, now: Instant) -> Option<Duration> {
        let mut state = self.state.borrow_mut();
        let decay = decay::decay();
        let expired = self.expired(&state, now, decay, usize::MAX);
        if expired > 0 {
            self.discard_oldest(&mut state, expired);
        }
        let beyond_warm = state.free.len().saturating_sub(WARM_SLOTS);
        (state.discarded < beyond_warm).then(|| {
            let oldest = &state.free[state.discarded];
            (oldest.freed_at + decay).saturating_duration_since(now)
        })
    }

    /// How many of the oldest resident free slots beyond the warm cache
    /// were freed at least `decay` before `now`, counting up to `limit`.
    fn expired(&self, state: &PoolState, now: Instant, decay: Duration, limit: usize) -> usize {
        let beyond_warm = state.free.len().saturating_sub(WARM_SLOTS);
        state.free[state.discarded.min(beyond_warm)..beyond_warm]
            .iter()
            .take(limit)
            .take_while(|slot| now.saturating_duration_since(slot.freed_at) >= decay)
            .count()
    }

    /// Returns the pages of the `count` oldest resident free slots to the
    /// kernel, coalescing neighbours into one call where guards allow.
    fn discard_oldest(&self, state: &mut PoolState, count: usize) {
        let slot_size = self.slot_size();
        let from = state.discarded;
        let mut batch: Vec<usize> = state.free[from..from + count]
            .iter()
            .map(|slot| slot.start.as_ptr() as usize)
            .collect();
        batch.sort_unstable();
        // madvise guards survive MADV_DONTNEED, so runs of adjacent slots can
        // go in one call; mprotect guards are separate mappings, so not there.
        let coalesce = guard_kind() == GuardKind::Madvise;
        let guard = guard_size();
        let mut run_start = batch[0] + guard;
        let mut run_end = batch[0] + slot_size;
        for &slot in &batch[1..] {
            if coalesce && slot == run_end {
                run_end = slot + slot_size;
                continue;
            }
            // SAFETY: the range covers free slots only, which hold no live data.
            let _ = unsafe { sys::discard(run_start as *mut u8, run_end - run_start) };
            run_start = slot + guard;
            run_end = slot + slot_size;
        }
        // SAFETY: as above.
        let _ = unsafe { sys::discard(run_start as *mut u8, run_end - run_start) };
        state.discarded += count;
    }

    /// Slots ever carved and slots currently free, for tests and benches.
    pub(crate) fn counts(&self) -> (usize, usize) {
        let state = self.state.borrow();
        (self.handed_out(&state), state.free.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_double_from_sixteen_slots_up_to_the_byte_limit() {
        let slot = 256 * 1024 + 4096;
        let mut slots = chunk_slots(None, slot);
        assert_eq!(slots, FIRST_CHUNK_SLOTS);
        for _ in 0..20 {
            let next = chunk_slots(Some(slots), slot);
            assert!(next * slot <= MAX_CHUNK_BYTES);
            assert!(next == slots * 2 || next == MAX_CHUNK_BYTES / slot);
            slots = next;
        }
        assert_eq!(slots, MAX_CHUNK_BYTES / slot);
    }

    #[test]
    fn big_slots_get_small_chunks_even_the_first() {
        // 64 MiB stacks: 15 slots fit in 1 GiB with their guards, not 16.
        let slot = (64 << 20) + 4096;
        assert_eq!(chunk_slots(None, slot), 15);
        assert_eq!(chunk_slots(Some(15), slot), 15);
        // A slot larger than the limit gets a chunk of its own.
        let biggest = super::super::MAX_STACK_SIZE + 4096;
        assert_eq!(chunk_slots(None, biggest), 1);
        assert_eq!(chunk_slots(Some(1), biggest), 1);
    }
}
