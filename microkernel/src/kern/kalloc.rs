//! The kernel heap: the shared size-class heap (crate `heap`) fed with page
//! frames from the frame allocator, addressed through the physmap.

use core::ptr::null_mut;
use heap::{Heap, PageSource};

const PAGE: u64 = mach::vm::PAGE_SIZE as u64;

/// Pages from the frame allocator, addressed through the physmap.
pub struct FramePages;

impl PageSource for FramePages {
    fn alloc_pages(&self, n: usize) -> *mut u8 {
        let pa = if n == 1 {
            crate::vm::resident::alloc_frame()
        } else {
            crate::vm::resident::alloc_contiguous(n)
        };
        pa.map_or(null_mut(), |pa| crate::arch::layout::phys_to_virt(pa) as *mut u8)
    }

    unsafe fn free_pages(&self, p: *mut u8, n: usize) {
        let pa = p as u64 - crate::arch::layout::PHYSMAP_BASE;
        for i in 0..n as u64 {
            crate::vm::resident::free_frame(pa + i * PAGE);
        }
    }
}

/// The heap, counting the bytes in use (kern/counts.rs): the size asked
/// for, not the size class, so a count back where it was means every
/// block made was freed.
pub struct CountedHeap(Heap<FramePages>);

// SAFETY: every call goes to the heap unchanged; the count is a side effect.
unsafe impl core::alloc::GlobalAlloc for CountedHeap {
    unsafe fn alloc(&self, layout: core::alloc::Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { self.0.alloc(layout) };
        if !p.is_null() {
            super::counts::add(mach::defs::host::KernelCount::HeapBytes, layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: core::alloc::Layout) {
        super::counts::add(mach::defs::host::KernelCount::HeapBytes, -(layout.size() as i64));
        // SAFETY: the caller's contract, passed on.
        unsafe { self.0.dealloc(p, layout) }
    }
}

#[cfg(not(test))]
#[global_allocator]
static KERNEL_HEAP: CountedHeap = CountedHeap(Heap::new(FramePages));
