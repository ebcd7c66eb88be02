//! Resident pages: the per-frame metadata the machine-independent VM keeps
//! for a physical frame that holds the data of some object's page.
//!
//! Ownership is how sharing stays safe: every resident page belongs to
//! exactly one VM object (Mach's vm_page: object + offset). Tasks share a
//! page only by sharing the object (SHARE inheritance) or by seeing it
//! through a shadow chain (copy-on-write); so a frame is freed exactly once,
//! when its owning object drops it, and `PhysMem::free` first removes every
//! translation of it (Mach's pmap_page_protect(VM_PROT_NONE)).

use core::sync::atomic::{AtomicU64, Ordering};

/// A resident page of an object.
#[derive(Debug)]
pub struct Page {
    /// Physical address of the frame.
    pub frame: u64,
    /// Written since it was filled (set when entered writable: the pmap
    /// has no per-page write tracking yet, so this is conservative).
    pub dirty: bool,
    /// Mapped by a fault since it was filled (for a future pageout daemon).
    pub referenced: bool,
}

impl Page {
    pub fn new(frame: u64) -> Page {
        Page { frame, dirty: false, referenced: false }
    }
}

/// Physical memory as the machine-independent VM sees it: frames to fill,
/// copy and free. The kernel implements it over the frame allocator and the
/// physmap; host tests over a simulated memory, so the object, fault and
/// map logic runs under `cargo test`.
pub trait PhysMem: Sync {
    /// A zero-filled frame, or None when memory is exhausted.
    fn alloc_zeroed(&self) -> Option<u64>;
    /// A frame holding a copy of `src`, or None when memory is exhausted.
    fn alloc_copy(&self, src: u64) -> Option<u64>;
    /// Removes every translation of `frame` in every pmap (Mach's
    /// pmap_page_protect(frame, VM_PROT_NONE)); the frame stays allocated.
    fn remove_mappings(&self, frame: u64);
    /// Removes every translation of `frame`, then returns it to the pool.
    fn free(&self, frame: u64);
    /// Whether `frame` was accessed through a mapping since the last call
    /// (the hardware's accessed bits, cleared). For the pageout clock.
    fn take_referenced(&self, _frame: u64) -> bool {
        false
    }
    /// Whether `frame` was written since the last call (the hardware's
    /// dirty bits, cleared, including those of mappings since removed).
    fn take_modified(&self, _frame: u64) -> bool {
        false
    }
    /// Copies `buf.len()` bytes at byte `off` of `frame` into `buf`.
    fn read(&self, frame: u64, off: usize, buf: &mut [u8]);
    /// Copies `buf` to byte `off` of `frame`.
    fn write(&self, frame: u64, off: usize, buf: &[u8]);
}

/// Frames ever allocated for object pages (zero fill or copy), for tests
/// and statistics: a copy-on-write fault must add exactly one.
static PAGES_ALLOCATED: AtomicU64 = AtomicU64::new(0);

pub fn count_allocation() {
    PAGES_ALLOCATED.fetch_add(1, Ordering::Relaxed);
}

pub fn pages_allocated() -> u64 {
    PAGES_ALLOCATED.load(Ordering::Relaxed)
}

/// A simulated physical memory for host tests: frames are boxed pages,
/// counted, with an optional limit to test exhaustion, and a log of
/// `remove_mappings` calls.
#[cfg(test)]
pub mod testmem {
    use super::PhysMem;
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::vec::Vec;

    pub struct TestMem {
        inner: Mutex<Inner>,
    }
    struct Inner {
        frames: BTreeMap<u64, Vec<u8>>,
        next: u64,
        limit: usize,
        pub unmapped: Vec<u64>,
        freed: Vec<u64>,
    }

    impl TestMem {
        pub fn new(limit: usize) -> &'static TestMem {
            std::boxed::Box::leak(std::boxed::Box::new(TestMem {
                inner: Mutex::new(Inner { frames: BTreeMap::new(), next: 0x10_0000, limit, unmapped: Vec::new(), freed: Vec::new() }),
            }))
        }
        pub fn live(&self) -> usize {
            self.inner.lock().unwrap().frames.len()
        }
        pub fn set_limit(&self, limit: usize) {
            self.inner.lock().unwrap().limit = limit;
        }
        pub fn unmapped_frames(&self) -> Vec<u64> {
            self.inner.lock().unwrap().unmapped.clone()
        }
        pub fn freed(&self) -> Vec<u64> {
            self.inner.lock().unwrap().freed.clone()
        }
        pub fn byte(&self, frame: u64, off: usize) -> u8 {
            self.inner.lock().unwrap().frames[&frame][off]
        }
        fn alloc_with(&self, data: Vec<u8>) -> Option<u64> {
            let mut i = self.inner.lock().unwrap();
            if i.frames.len() >= i.limit {
                return None;
            }
            let f = i.next;
            i.next += 4096;
            i.frames.insert(f, data);
            Some(f)
        }
    }

    impl PhysMem for TestMem {
        fn alloc_zeroed(&self) -> Option<u64> {
            self.alloc_with(std::vec![0; 4096])
        }
        fn alloc_copy(&self, src: u64) -> Option<u64> {
            let data = self.inner.lock().unwrap().frames[&src].clone();
            self.alloc_with(data)
        }
        fn remove_mappings(&self, frame: u64) {
            self.inner.lock().unwrap().unmapped.push(frame);
        }
        fn free(&self, frame: u64) {
            let mut i = self.inner.lock().unwrap();
            assert!(i.frames.remove(&frame).is_some(), "frame {:#x} freed twice", frame);
            i.freed.push(frame);
        }
        fn read(&self, frame: u64, off: usize, buf: &mut [u8]) {
            let i = self.inner.lock().unwrap();
            buf.copy_from_slice(&i.frames[&frame][off..off + buf.len()]);
        }
        fn write(&self, frame: u64, off: usize, buf: &[u8]) {
            let mut i = self.inner.lock().unwrap();
            i.frames.get_mut(&frame).unwrap()[off..off + buf.len()].copy_from_slice(buf);
        }
    }
}
