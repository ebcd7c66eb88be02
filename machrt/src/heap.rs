//! A heap for tasks: the shared size-class heap (crate `heap`) over pages
//! from vm_allocate. A task that wants `alloc` declares it:
//!
//! ```ignore
//! #[global_allocator]
//! static HEAP: machrt::heap::TaskHeap = machrt::heap::TaskHeap::new();
//! ```

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::null_mut;
use heap::{Heap, PageSource};

const PAGE: u64 = mach::vm::PAGE_SIZE as u64;

/// Pages of this task's memory, allocated and freed with the VM calls.
pub struct VmPages;

impl PageSource for VmPages {
    fn alloc_pages(&self, n: usize) -> *mut u8 {
        crate::vm::allocate(n as u64 * PAGE).map_or(null_mut(), |a| a as *mut u8)
    }

    unsafe fn free_pages(&self, p: *mut u8, n: usize) {
        crate::vm::vm_deallocate(p as u64, n as u64 * PAGE);
    }
}

pub struct TaskHeap(Heap<VmPages>);

impl TaskHeap {
    pub const fn new() -> Self {
        TaskHeap(Heap::new(VmPages))
    }
}

impl Default for TaskHeap {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: forwards to the shared heap, whose contract this is.
unsafe impl GlobalAlloc for TaskHeap {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: per GlobalAlloc's contract, passed through.
        unsafe { self.0.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: per GlobalAlloc's contract, passed through.
        unsafe { self.0.dealloc(p, l) }
    }
}
