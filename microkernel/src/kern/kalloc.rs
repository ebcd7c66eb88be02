//! The kernel heap: the shared size-class heap (crate `heap`) fed with page
//! frames from the frame allocator, addressed through the physmap.
//!
//! Running out of it must not panic the kernel on a path user space
//! reaches. Stable Rust has no `Box::try_new`/`Arc::try_new`, so the design
//! is admission control in front of the infallible allocations, plus
//! fallible growth where vectors grow:
//!
//! - `admit(bytes)`: an operation asked for by user space (a message
//!   sent, a task or thread created, a map entry, a page-table page) first
//!   checks that the frame pool can give what it will allocate and still
//!   keep `HEAP_FLOOR` frames back; else it fails with
//!   KERN_RESOURCE_SHORTAGE (the caller's errno is then ENOMEM or EAGAIN).
//!   With one CPU and a non-preemptible kernel nothing else allocates
//!   between the check and the allocations it admits, as long as the
//!   operation does not sleep in between.
//! - Object pages (user memory) stop earlier still, at
//!   resident::FREE_RESERVED, so user memory cannot crowd out the heap;
//!   when a fault finds nothing left the out-of-memory policy
//!   (vm/oom.rs) ends the largest task instead.
//! - Tables that grow with what a task does (a map's entries, a space's
//!   names) grow with `try_reserve` under a per-task bound, or in chunks
//!   of at most a page, never as one large contiguous block: physically
//!   contiguous runs are what a full, fragmented memory cannot give.
//! - Kernel-internal allocations (boot, pageout's own messages, the frames
//!   it sends) draw on the floor: the allocation-error handler stays a
//!   panic for them, and no user request reaches it.

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

/// Frames kept back from allocations user requests make: the kernel's own
/// work (pageout, a dying task's cleanup) finds them.
pub const HEAP_FLOOR: usize = crate::vm::resident::FREE_RESERVED / 4;

/// Whether the heap can give `bytes` more to an operation user space asked
/// for (see the module comment); KERN_RESOURCE_SHORTAGE if not.
pub fn admit(bytes: usize) -> Result<(), mach::kern_return::KernReturn> {
    if !crate::vm::resident::installed() {
        return Ok(()); // host unit tests and early boot: no pool to guard
    }
    // Metadata and a partly used size-class page on top of the request.
    let need = bytes.div_ceil(PAGE as usize) + 2;
    if crate::vm::resident::free_count() >= HEAP_FLOOR + need {
        Ok(())
    } else {
        crate::kdebug!("kalloc: refused {} bytes, {} frames free", bytes, crate::vm::resident::free_count());
        Err(mach::kern_return::KERN_RESOURCE_SHORTAGE)
    }
}
