//! Physical page frames: the free pool the resident page layer draws from.
//!
//! A bitmap over all frames below the highest usable address, one bit per
//! frame (set = free), with a rotating hint so allocation is a short scan.
//! The bitmap lives in memory taken from the boot memory map itself.

use mach::vm::PAGE_SIZE;
use spin::Mutex;

const PAGE: u64 = PAGE_SIZE as u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Freeing a frame that is not allocated (double free or bad address).
    NotAllocated(u64),
}

pub struct FrameAllocator {
    bits: &'static mut [u64],
    nframes: usize,
    free: usize,
    hint: usize,
}

impl FrameAllocator {
    /// Words of bitmap needed for memory up to `max_phys`.
    pub fn bitmap_words(max_phys: u64) -> usize {
        ((max_phys / PAGE) as usize).div_ceil(64)
    }

    /// An allocator with every frame in use; `add_free` then releases RAM.
    pub fn new(bits: &'static mut [u64], max_phys: u64) -> Self {
        bits.fill(0);
        let nframes = ((max_phys / PAGE) as usize).min(bits.len() * 64);
        FrameAllocator { bits, nframes, free: 0, hint: 0 }
    }

    /// Marks whole frames of [start, end) free.
    pub fn add_free(&mut self, start: u64, end: u64) {
        let first = start.div_ceil(PAGE) as usize;
        let last = ((end / PAGE) as usize).min(self.nframes);
        for f in first..last {
            if !self.is_free(f) {
                self.set(f, true);
                self.free += 1;
            }
        }
    }

    /// Marks the frames overlapping [start, end) in use (kernel image, boot
    /// modules, the bitmap itself).
    pub fn reserve(&mut self, start: u64, end: u64) {
        let first = (start / PAGE) as usize;
        let last = (end.div_ceil(PAGE) as usize).min(self.nframes);
        for f in first..last {
            if self.is_free(f) {
                self.set(f, false);
                self.free -= 1;
            }
        }
    }

    fn is_free(&self, f: usize) -> bool {
        self.bits[f / 64] & (1 << (f % 64)) != 0
    }

    fn set(&mut self, f: usize, free: bool) {
        if free {
            self.bits[f / 64] |= 1 << (f % 64);
        } else {
            self.bits[f / 64] &= !(1 << (f % 64));
        }
    }

    pub fn free_count(&self) -> usize {
        self.free
    }

    /// Frames the allocator manages (free or not) below the top of RAM.
    pub fn frame_count(&self) -> usize {
        self.nframes
    }

    /// One frame, lowest free at or after the hint.
    pub fn alloc(&mut self) -> Option<u64> {
        if self.free == 0 {
            return None;
        }
        let words = self.nframes.div_ceil(64);
        for i in 0..words {
            let w = (self.hint + i) % words;
            let word = self.bits[w];
            if word != 0 {
                let f = w * 64 + word.trailing_zeros() as usize;
                if f >= self.nframes {
                    continue;
                }
                self.set(f, false);
                self.free -= 1;
                self.hint = w;
                return Some(f as u64 * PAGE);
            }
        }
        None
    }

    /// `n` physically contiguous frames, aligned to `align` frames.
    pub fn alloc_contiguous(&mut self, n: usize, align: usize) -> Option<u64> {
        if n == 0 || n > self.free {
            return None;
        }
        let align = align.max(1);
        let mut f = 0;
        while f + n <= self.nframes {
            match (f..f + n).find(|&g| !self.is_free(g)) {
                None => {
                    for g in f..f + n {
                        self.set(g, false);
                    }
                    self.free -= n;
                    return Some(f as u64 * PAGE);
                }
                Some(busy) => f = (busy + 1).next_multiple_of(align),
            }
        }
        None
    }

    pub fn free_frame(&mut self, pa: u64) -> Result<(), FrameError> {
        let f = (pa / PAGE) as usize;
        if pa % PAGE != 0 || f >= self.nframes || self.is_free(f) {
            return Err(FrameError::NotAllocated(pa));
        }
        self.set(f, true);
        self.free += 1;
        Ok(())
    }
}

static FRAMES: Mutex<Option<FrameAllocator>> = Mutex::new(None);

pub fn install(a: FrameAllocator) {
    *FRAMES.lock() = Some(a);
}

pub fn alloc_frame() -> Option<u64> {
    FRAMES.lock().as_mut()?.alloc()
}

pub fn alloc_contiguous(n: usize) -> Option<u64> {
    FRAMES.lock().as_mut()?.alloc_contiguous(n, 1)
}

/// Returns a frame to the pool. A frame that was not allocated is a kernel
/// bug worth seeing, but not worth a crash: it is reported and ignored.
pub fn free_frame(pa: u64) {
    if let Some(a) = FRAMES.lock().as_mut() {
        if let Err(e) = a.free_frame(pa) {
            crate::kwarn!("frame allocator: {:?}", e);
        }
    }
}

/// Bytes of physical address space the allocator covers.
pub fn total_bytes() -> u64 {
    FRAMES.lock().as_ref().map_or(0, |a| a.frame_count() as u64 * PAGE)
}

/// Whether the frame pool is set up (not in host unit tests).
pub fn installed() -> bool {
    FRAMES.lock().is_some()
}

pub fn free_count() -> usize {
    FRAMES.lock().as_ref().map_or(0, |a| a.free_count())
}

/// Physical memory for the machine-independent VM: frames from this pool,
/// contents through the physmap, translations removed through the pmap's
/// physical-to-virtual table before a frame goes back.
pub struct KernelPhys;

pub static KERNEL_PHYS: KernelPhys = KernelPhys;

fn frame_ptr(frame: u64, off: usize) -> *mut u8 {
    (crate::arch::layout::phys_to_virt(frame) + off as u64) as *mut u8
}

/// Frames object pages may not take: kept for the kernel heap and page
/// tables, so that running out of memory fails a fault (a task gets
/// KERN_RESOURCE_SHORTAGE) rather than the kernel's own allocations.
/// Mach's vm_page_free_reserved.
pub const FREE_RESERVED: usize = 512;

/// Pagers may use half the reserve: memory comes back only when they take
/// the pages the kernel returns to them (vm/pageout.rs).
fn pager_privileged() -> bool {
    crate::vm::pager::current_is_pager()
}

/// A frame for an object page, unless only the reserve is left.
fn alloc_object_frame() -> Option<u64> {
    // Asked before the allocator is locked: the scheduler's lock is taken
    // before it elsewhere (the heap refills from frames).
    let privileged = pager_privileged();
    let mut g = FRAMES.lock();
    let a = g.as_mut()?;
    let free = a.free_count();
    if free <= FREE_RESERVED / 2 || (free <= FREE_RESERVED && !privileged) {
        return None;
    }
    a.alloc()
}

impl super::page::PhysMem for KernelPhys {
    fn alloc_zeroed(&self) -> Option<u64> {
        let f = alloc_object_frame()?;
        // SAFETY: a fresh frame, seen through the physmap, mapped nowhere.
        unsafe { core::ptr::write_bytes(frame_ptr(f, 0), 0, PAGE_SIZE) };
        Some(f)
    }
    fn alloc_copy(&self, src: u64) -> Option<u64> {
        let f = alloc_object_frame()?;
        // SAFETY: f is fresh and src a resident page; both whole frames in
        // the physmap, distinct.
        unsafe { core::ptr::copy_nonoverlapping(frame_ptr(src, 0), frame_ptr(f, 0), PAGE_SIZE) };
        Some(f)
    }
    fn remove_mappings(&self, frame: u64) {
        crate::arch::pmap::page_remove_all(frame);
    }
    fn free(&self, frame: u64) {
        crate::arch::pmap::page_remove_all(frame);
        // The next owner of the frame starts clean.
        crate::arch::pmap::page_take_modified(frame);
        free_frame(frame);
    }
    fn take_referenced(&self, frame: u64) -> bool {
        crate::arch::pmap::page_clear_referenced(frame)
    }
    fn take_modified(&self, frame: u64) -> bool {
        crate::arch::pmap::page_take_modified(frame)
    }
    fn read(&self, frame: u64, off: usize, buf: &mut [u8]) {
        assert!(off + buf.len() <= PAGE_SIZE);
        // SAFETY: within one resident frame (checked above).
        unsafe { core::ptr::copy_nonoverlapping(frame_ptr(frame, off), buf.as_mut_ptr(), buf.len()) };
    }
    fn write(&self, frame: u64, off: usize, buf: &[u8]) {
        assert!(off + buf.len() <= PAGE_SIZE);
        // SAFETY: within one resident frame (checked above).
        unsafe { core::ptr::copy_nonoverlapping(buf.as_ptr(), frame_ptr(frame, off), buf.len()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allocator(max: u64) -> FrameAllocator {
        let words = FrameAllocator::bitmap_words(max);
        let bits: &'static mut [u64] = std::vec![0u64; words].leak();
        FrameAllocator::new(bits, max)
    }

    #[test]
    fn only_free_ram_is_handed_out() {
        let mut a = allocator(1 << 20);
        a.add_free(0x1000, 0x5000);
        a.reserve(0x2000, 0x2001);
        assert_eq!(a.free_count(), 3);
        let mut got: std::vec::Vec<u64> = (0..3).map(|_| a.alloc().unwrap()).collect();
        got.sort();
        assert_eq!(got, [0x1000, 0x3000, 0x4000]);
        assert_eq!(a.alloc(), None);
    }

    #[test]
    fn partial_pages_are_not_free() {
        let mut a = allocator(1 << 20);
        a.add_free(0x1800, 0x3800);
        assert_eq!(a.free_count(), 1);
        assert_eq!(a.alloc(), Some(0x2000));
    }

    #[test]
    fn double_free_is_an_error() {
        let mut a = allocator(1 << 20);
        a.add_free(0, 0x10000);
        let f = a.alloc().unwrap();
        assert_eq!(a.free_frame(f), Ok(()));
        assert_eq!(a.free_frame(f), Err(FrameError::NotAllocated(f)));
        assert_eq!(a.free_frame(0x123), Err(FrameError::NotAllocated(0x123)));
        assert_eq!(a.free_frame(1 << 40), Err(FrameError::NotAllocated(1 << 40)));
    }

    #[test]
    fn contiguous_runs_skip_holes() {
        let mut a = allocator(1 << 20);
        a.add_free(0, 0x20000);
        a.reserve(0x3000, 0x4000);
        let run = a.alloc_contiguous(4, 1).unwrap();
        assert_eq!(run, 0x4000);
        assert_eq!(a.free_count(), 32 - 1 - 4);
        assert_eq!(a.alloc_contiguous(100, 1), None);
    }

    #[test]
    fn exhausts_and_recovers() {
        let mut a = allocator(64 * 4096 * 3);
        a.add_free(0, 64 * 4096 * 3);
        let all: std::vec::Vec<u64> = std::iter::from_fn(|| a.alloc()).collect();
        assert_eq!(all.len(), 192);
        for f in &all {
            a.free_frame(*f).unwrap();
        }
        assert_eq!(a.free_count(), 192);
    }
}
