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

#[cfg(not(test))]
#[global_allocator]
static KERNEL_HEAP: Heap<FramePages> = Heap::new(FramePages);
