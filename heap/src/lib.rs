//! A heap of power-of-two size classes carved from pages, and whole runs
//! of pages for large blocks. Small blocks come off a free list in a few
//! instructions, which matters on the kernel's IPC path where every message
//! is a heap block. The kernel feeds it frames through the physmap; tasks
//! feed it pages from vm_allocate.
#![cfg_attr(not(test), no_std)]

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::null_mut;
use spin::Mutex;

const PAGE: usize = 4096;
const MIN_SHIFT: usize = 4;
const CLASSES: usize = 8; // 16 .. 2048 bytes

/// Where the heap gets its pages.
pub trait PageSource {
    /// `n` contiguous, page-aligned pages, or null.
    fn alloc_pages(&self, n: usize) -> *mut u8;
    /// # Safety
    /// `p` came from `alloc_pages(n)` and is no longer used.
    unsafe fn free_pages(&self, p: *mut u8, n: usize);
}

pub struct Heap<S: PageSource> {
    free: Mutex<[usize; CLASSES]>,
    source: S,
}

fn class_of(layout: &Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(1 << MIN_SHIFT);
    let c = size.next_power_of_two().trailing_zeros() as usize - MIN_SHIFT;
    (c < CLASSES).then_some(c)
}

impl<S: PageSource> Heap<S> {
    pub const fn new(source: S) -> Self {
        Heap { free: Mutex::new([0; CLASSES]), source }
    }

    /// Carves a fresh page into blocks of class `c` and returns one. The
    /// page is got and carved with the lock released: getting it is a
    /// call to the VM system (for a task, a message to the kernel), and
    /// touching it may fault and wait for a free frame, neither of which
    /// may happen under a spin lock that every allocation needs.
    fn refill(&self, c: usize) -> *mut u8 {
        let page = self.source.alloc_pages(1);
        if page.is_null() {
            return null_mut();
        }
        let size = 1 << (c + MIN_SHIFT);
        let (first, mut last) = (page as usize + size, 0usize);
        for off in (size..PAGE).step_by(size) {
            let b = (page as usize + off) as *mut usize;
            let next = if off + size < PAGE { b as usize + size } else { 0 };
            // SAFETY: b lies in the fresh page and is block-aligned; the
            // page is ours alone until it is linked in below.
            unsafe { b.write(next) };
            last = b as usize;
        }
        if last != 0 {
            let mut lists = self.free.lock();
            // SAFETY: `last` is the chain's final block, in our page.
            unsafe { (last as *mut usize).write(lists[c]) };
            lists[c] = first;
        }
        page
    }
}

// SAFETY: blocks are handed out once (free lists under a lock) with the size
// and alignment of their class, which covers the layout's.
unsafe impl<S: PageSource> GlobalAlloc for Heap<S> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(&layout) {
            Some(c) => {
                let mut lists = self.free.lock();
                let head = lists[c];
                if head == 0 {
                    drop(lists);
                    return self.refill(c);
                }
                // SAFETY: head is a free block whose first word is the next.
                lists[c] = unsafe { *(head as *const usize) };
                head as *mut u8
            }
            None if layout.align() <= PAGE => self.source.alloc_pages(layout.size().div_ceil(PAGE)),
            None => null_mut(),
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        match class_of(&layout) {
            Some(c) => {
                let mut lists = self.free.lock();
                // SAFETY: p is a block of class c no longer in use.
                unsafe { (p as *mut usize).write(lists[c]) };
                lists[c] = p as usize;
            }
            // SAFETY: large blocks came from alloc_pages of the same count.
            None => unsafe { self.source.free_pages(p, layout.size().div_ceil(PAGE)) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Mutex as StdMutex;

    struct TestPages(StdMutex<usize>);
    impl PageSource for TestPages {
        fn alloc_pages(&self, n: usize) -> *mut u8 {
            *self.0.lock().unwrap() += n;
            unsafe { std::alloc::alloc(Layout::from_size_align(n * PAGE, PAGE).unwrap()) }
        }
        unsafe fn free_pages(&self, p: *mut u8, n: usize) {
            *self.0.lock().unwrap() -= n;
            unsafe { std::alloc::dealloc(p, Layout::from_size_align(n * PAGE, PAGE).unwrap()) }
        }
    }

    #[test]
    fn classes() {
        assert_eq!(class_of(&Layout::from_size_align(1, 1).unwrap()), Some(0));
        assert_eq!(class_of(&Layout::from_size_align(17, 8).unwrap()), Some(1));
        assert_eq!(class_of(&Layout::from_size_align(8, 64).unwrap()), Some(2));
        assert_eq!(class_of(&Layout::from_size_align(2048, 8).unwrap()), Some(7));
        assert_eq!(class_of(&Layout::from_size_align(2049, 8).unwrap()), None);
    }

    #[test]
    fn blocks_are_distinct_aligned_and_reused() {
        let h = Heap::new(TestPages(StdMutex::new(0)));
        let l = Layout::from_size_align(48, 16).unwrap();
        let ptrs: Vec<*mut u8> = (0..200).map(|_| unsafe { h.alloc(l) }).collect();
        let set: HashSet<usize> = ptrs.iter().map(|p| *p as usize).collect();
        assert_eq!(set.len(), 200);
        assert!(ptrs.iter().all(|p| *p as usize % 64 == 0));
        let pages = *h.source.0.lock().unwrap();
        for p in &ptrs {
            unsafe { h.dealloc(*p, l) };
        }
        let again: Vec<*mut u8> = (0..200).map(|_| unsafe { h.alloc(l) }).collect();
        assert_eq!(*h.source.0.lock().unwrap(), pages, "freed blocks are reused");
        assert_eq!(again.iter().map(|p| *p as usize).collect::<HashSet<_>>(), set);
    }

    #[test]
    fn large_blocks_return_their_pages() {
        let h = Heap::new(TestPages(StdMutex::new(0)));
        let l = Layout::from_size_align(3 * PAGE + 1, 8).unwrap();
        let p = unsafe { h.alloc(l) };
        assert!(!p.is_null());
        assert_eq!(*h.source.0.lock().unwrap(), 4);
        unsafe { h.dealloc(p, l) };
        assert_eq!(*h.source.0.lock().unwrap(), 0);
    }
}
