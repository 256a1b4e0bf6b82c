//! The global allocator of a contract: a bump allocator.
//!
//! Every call runs in a fresh instance (`docs/abi.md`), so a contract's heap lives for
//! one call only, and a bump allocator is both the smallest and the cheapest in gas:
//! an allocation is an align-up and an add. Memory is never reused, except that freeing
//! or growing the most recent allocation happens in place (the common `Vec` push
//! pattern). The heap starts at the linker's `__heap_base` and grows the memory by whole
//! pages when it reaches its end; each page asked of `memory.grow` costs 1,000 gas
//! (`docs/gas.md`), so `scripts/build-contracts.sh` links with some free initial memory.
//! Out of memory (past cove's 32 MiB) the allocation fails and Rust's allocation-error
//! path panics, which aborts the call.
//!
//! [`bump`] is the arithmetic, tested on the host; the `wasm32` glue below it is the
//! only code here that touches memory.

/// Where an allocation of `size` bytes aligned to `align` (a power of two) starts and
/// ends when the free heap starts at `next`; `None` if it would pass the address space.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) const fn bump(next: usize, size: usize, align: usize) -> Option<(usize, usize)> {
    let Some(padded) = next.checked_add(align - 1) else { return None };
    let start = padded & !(align - 1);
    match start.checked_add(size) {
        Some(end) => Some((start, end)),
        None => None,
    }
}

#[cfg(all(target_arch = "wasm32", feature = "allocator"))]
mod wasm {
    #![allow(unsafe_code)]

    use core::alloc::{GlobalAlloc, Layout};
    use core::arch::wasm32;
    use core::cell::UnsafeCell;

    const PAGE: usize = 65_536;

    unsafe extern "C" {
        /// The first byte after the stack and static data (wasm-ld).
        static __heap_base: u8;
    }

    struct Bump {
        /// The first free byte; 0 until the first allocation.
        next: UnsafeCell<usize>,
    }

    // SAFETY: a cove contract is one thread; nothing else can reach the cell.
    unsafe impl Sync for Bump {}

    impl Bump {
        /// Moves the free pointer past `layout`, growing memory as needed.
        fn take(&self, layout: Layout) -> *mut u8 {
            // SAFETY: single-threaded, and no reference to the cell outlives this call.
            let next = unsafe { &mut *self.next.get() };
            if *next == 0 {
                *next = &raw const __heap_base as usize;
            }
            let Some((start, end)) = super::bump(*next, layout.size(), layout.align()) else {
                return core::ptr::null_mut();
            };
            if !ensure_memory(end) {
                return core::ptr::null_mut();
            }
            *next = end;
            start as *mut u8
        }
    }

    /// Grows memory so that addresses below `end` exist; false if it cannot.
    fn ensure_memory(end: usize) -> bool {
        let have = wasm32::memory_size(0) * PAGE;
        if end <= have {
            return true;
        }
        let pages = (end - have).div_ceil(PAGE);
        wasm32::memory_grow(0, pages) != usize::MAX
    }

    // SAFETY: `take` returns fresh, aligned ranges that never overlap a live allocation;
    // `dealloc` and `realloc` only move the free pointer back over or past the last one.
    unsafe impl GlobalAlloc for Bump {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            self.take(layout)
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: single-threaded, and no reference to the cell outlives this call.
            let next = unsafe { &mut *self.next.get() };
            if ptr as usize + layout.size() == *next {
                *next = ptr as usize;
            }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: single-threaded, and no reference to the cell outlives this call.
            let next = unsafe { &mut *self.next.get() };
            let start = ptr as usize;
            if start + layout.size() == *next {
                // The last allocation: grow or shrink it in place.
                let Some(end) = start.checked_add(new_size) else { return core::ptr::null_mut() };
                if !ensure_memory(end) {
                    return core::ptr::null_mut();
                }
                *next = end;
                return ptr;
            }
            if new_size <= layout.size() {
                return ptr;
            }
            // SAFETY: the caller guarantees `layout.align()` is a power of two and
            // `new_size` does not overflow when rounded to it.
            let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            let new = self.take(new_layout);
            if !new.is_null() {
                // SAFETY: the old block holds `layout.size()` bytes; the new one is fresh
                // and larger, so the ranges are valid and disjoint.
                unsafe { core::ptr::copy_nonoverlapping(ptr, new, layout.size()) };
            }
            new
        }
    }

    #[global_allocator]
    static ALLOCATOR: Bump = Bump { next: UnsafeCell::new(0) };
}

#[cfg(test)]
mod tests {
    use super::bump;

    #[test]
    fn aligns_up_and_adds() {
        assert_eq!(bump(1000, 8, 1), Some((1000, 1008)));
        assert_eq!(bump(1001, 8, 8), Some((1008, 1016)));
        assert_eq!(bump(1008, 0, 16), Some((1008, 1008)));
    }

    #[test]
    fn refuses_to_wrap_the_address_space() {
        assert_eq!(bump(usize::MAX - 2, 1, 8), None);
        assert_eq!(bump(usize::MAX - 8, 16, 1), None);
    }
}
