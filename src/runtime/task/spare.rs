//! Spare task allocations: a freed task's block is kept, per thread, for
//! the next task of the same size class, so a spawn after a task ended
//! costs a pop from a list instead of a `malloc` and a `free` (about 140
//! instructions with glibc's allocator, a tenth of a spawn + join).
//!
//! Blocks come in classes of [`GRAIN`] bytes up to [`CLASSES`] × `GRAIN`,
//! aligned to [`ALIGN`]; a thread keeps at most [`KEEP`] of each class
//! (so at most 1 MiB in all, and in practice the one or two classes its
//! tasks use). Larger or more aligned tasks go to the global allocator
//! directly. A free block holds the link to the next free one in its own
//! first bytes.

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::ptr::NonNull;

/// The size step between classes.
const GRAIN: usize = 64;
/// How many classes there are: blocks up to `GRAIN * CLASSES` bytes.
const CLASSES: usize = 16;
/// The alignment of every kept block (a task's is 8 or 16).
const ALIGN: usize = 16;
/// Spare blocks kept per class and thread; more are given back.
const KEEP: u32 = 64;

/// A spare block: its first bytes link to the next one.
struct FreeBlock {
    next: Option<NonNull<FreeBlock>>,
}

/// One thread's spare blocks.
///
/// # Invariant
///
/// Each list holds blocks allocated from the global allocator with
/// `class_layout` of its class, owned by nobody else, `kept` of them.
struct Spare {
    heads: [Cell<Option<NonNull<FreeBlock>>>; CLASSES],
    kept: [Cell<u32>; CLASSES],
}

thread_local! {
    static SPARE: Spare = const {
        Spare {
            heads: [const { Cell::new(None) }; CLASSES],
            kept: [const { Cell::new(0) }; CLASSES],
        }
    };
}

/// The class of blocks for values of `layout`, if such blocks are kept.
const fn class_of(layout: Layout) -> Option<usize> {
    if layout.align() > ALIGN || layout.size() == 0 || layout.size() > GRAIN * CLASSES {
        None
    } else {
        Some(layout.size().div_ceil(GRAIN) - 1)
    }
}

/// The layout every block of `class` is allocated with.
const fn class_layout(class: usize) -> Layout {
    match Layout::from_size_align((class + 1) * GRAIN, ALIGN) {
        Ok(layout) => layout,
        Err(_) => panic!("a class layout is valid"),
    }
}

/// A block for a value of `layout`: a spare one of its class, or a new
/// one. Aborts (through `handle_alloc_error`) when memory runs out.
#[inline]
pub(super) fn allocate(layout: Layout) -> NonNull<u8> {
    let Some(class) = class_of(layout) else {
        return global(layout);
    };
    let spare = SPARE.try_with(|spare| spare.pop(class)).ok().flatten();
    spare.unwrap_or_else(|| global(class_layout(class)))
}

/// Gives back a block made by [`allocate`] for `layout`.
///
/// # Safety
///
/// `block` came from `allocate(layout)` with this very `layout`, and
/// nothing uses it any more.
#[inline]
pub(super) unsafe fn free(block: NonNull<u8>, layout: Layout) {
    let Some(class) = class_of(layout) else {
        // SAFETY: `allocate` made it with `global(layout)`.
        unsafe { alloc::dealloc(block.as_ptr(), layout) };
        return;
    };
    // Once the thread's spare lists are gone (its thread-locals are being
    // destroyed), blocks go straight back.
    let kept = SPARE
        .try_with(|spare| spare.push(class, block))
        .unwrap_or(false);
    if !kept {
        // SAFETY: blocks of a class are allocated with its layout.
        unsafe { alloc::dealloc(block.as_ptr(), class_layout(class)) };
    }
}

/// A new block from the global allocator.
fn global(layout: Layout) -> NonNull<u8> {
    // SAFETY: every layout asked for has a non-zero size (a task is never
    // empty, and `class_of` refuses size 0).
    let block = unsafe { alloc::alloc(layout) };
    NonNull::new(block).unwrap_or_else(|| alloc::handle_alloc_error(layout))
}

impl Spare {
    fn pop(&self, class: usize) -> Option<NonNull<u8>> {
        let head = self.heads[class].get()?;
        // SAFETY: a listed block is a live allocation holding a
        // `FreeBlock` (the invariant), which nobody else uses.
        let next = unsafe { head.as_ref() }.next;
        self.heads[class].set(next);
        self.kept[class].set(self.kept[class].get() - 1);
        Some(head.cast())
    }

    /// Keeps `block`; false (and nothing kept) when the class is full.
    fn push(&self, class: usize, block: NonNull<u8>) -> bool {
        let kept = self.kept[class].get();
        if kept >= KEEP {
            return false;
        }
        let node = block.cast::<FreeBlock>();
        // SAFETY: `block` is a block of this class (our caller's), at
        // least `GRAIN` bytes and `ALIGN`-aligned, so a `FreeBlock` fits;
        // it is unused from now on, so writing it disturbs nothing.
        unsafe {
            node.write(FreeBlock {
                next: self.heads[class].get(),
            })
        };
        self.heads[class].set(Some(node));
        self.kept[class].set(kept + 1);
        true
    }
}

impl Drop for Spare {
    /// Gives every spare block back as the thread ends.
    fn drop(&mut self) {
        for class in 0..CLASSES {
            while let Some(block) = self.pop(class) {
                // SAFETY: blocks of a class are allocated with its layout,
                // and a popped block belongs to nobody.
                unsafe { alloc::dealloc(block.as_ptr(), class_layout(class)) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_block_is_the_next_one_of_its_class_and_only_of_its_class() {
        let layout = Layout::from_size_align(300, 8).unwrap();
        let first = allocate(layout);
        // SAFETY: from `allocate(layout)`, unused.
        unsafe { free(first, layout) };
        let other_class = Layout::from_size_align(700, 8).unwrap();
        let other = allocate(other_class);
        assert_ne!(other, first, "a block of another class");
        let again = allocate(Layout::from_size_align(310, 16).unwrap());
        assert_eq!(again, first, "the same class reuses the spare block");
        // SAFETY: each from `allocate` with the layout given back here.
        unsafe {
            free(again, Layout::from_size_align(310, 16).unwrap());
            free(other, other_class);
        }
    }

    #[test]
    fn large_and_overaligned_blocks_are_not_kept() {
        assert_eq!(
            class_of(Layout::from_size_align(GRAIN * CLASSES + 1, 8).unwrap()),
            None
        );
        assert_eq!(class_of(Layout::from_size_align(64, 64).unwrap()), None);
        assert_eq!(class_of(Layout::from_size_align(1, 1).unwrap()), Some(0));
        assert_eq!(
            class_of(Layout::from_size_align(GRAIN * CLASSES, 16).unwrap()),
            Some(CLASSES - 1)
        );
    }

    #[test]
    fn at_most_keep_blocks_are_kept_per_class() {
        let layout = Layout::from_size_align(900, 8).unwrap();
        let class = class_of(layout).unwrap();
        let blocks: Vec<_> = (0..KEEP + 10).map(|_| allocate(layout)).collect();
        for block in blocks {
            // SAFETY: from `allocate(layout)`, unused.
            unsafe { free(block, layout) };
        }
        assert_eq!(SPARE.with(|spare| spare.kept[class].get()), KEEP);
    }
}
