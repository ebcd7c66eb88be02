//! VM objects: the kernel side of memory objects (Rashid et al.). An object
//! is a range of bytes whose resident pages the kernel holds, keyed by
//! offset. An object may *shadow* another: pages it lacks are looked up in
//! the backing object at `offset + shadow_offset`. Copy-on-write gives the
//! copy a fresh shadow object; written pages are copied into it.
//!
//! The reference count is the `Arc` count: map entries, shadowers and
//! in-flight copies each hold one. Chains are kept short by `collapse`:
//! a backing object referenced only by its shadower is merged into it, and
//! one whose visible pages are all shadowed is bypassed.
//!
//! Lock order: an object's lock before its backing object's lock, never
//! upwards; object locks before the pmap lock and the frame allocator.

use super::page::{count_allocation, Page, PhysMem};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::Weak;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};
use mach::kern_return::*;
use mach::vm::PAGE_SIZE;
use spin::{Mutex, MutexGuard};

const PAGE: u64 = PAGE_SIZE as u64;

/// Who supplies the data of a non-anonymous object: the kernel's record
/// of the memory object port (vm/pager.rs).
pub type PagerRef = Arc<super::pager::MemoryObject>;

/// Why a page could not be found without waiting.
pub enum PageWait {
    /// The object's pager has been asked (or already was) for the page at
    /// this offset: wait for its answer, then fault again.
    Pager(PagerRef, u64),
    /// The page cannot be had (dead pager, data_error, no memory).
    Error(KernReturn),
}

pub struct ObjectInner {
    pub size: u64,
    pub pages: BTreeMap<u64, Page>,
    pub shadow: Option<Arc<VmObject>>,
    pub shadow_offset: u64,
    /// None: anonymous memory, zero-filled on first touch (the default
    /// pager's object). Some: data comes from an external pager.
    pub pager: Option<PagerRef>,
    /// Offsets of pages of this (anonymous) object that the default pager
    /// holds: paged out, to be paged in on the next fault.
    pub swapped: BTreeSet<u64>,
    /// Mapped SHARE by more than one map: copies of it must be made
    /// eagerly, since a sharer may keep writing to it directly.
    pub shared: bool,
    /// Carries a page on its way back to a pager (pageout's data_write):
    /// counted in pageout::IN_FLIGHT until the pager lets it go.
    pub in_flight: bool,
    /// Anonymous memory of a task whose pages may go to the default
    /// pager task (made by a fault in a map that allows it). Never the
    /// default pager's own memory, nor kernel-made objects (message
    /// carriers, device data): the pager must not wait on itself.
    pub swappable: bool,
    /// The default pager's memory object for this anonymous object, made
    /// when pageout first sends it a page (vm/default_pager.rs). Offsets
    /// in `swapped` that the compressed store lacks are held there.
    pub dpager: Option<PagerRef>,
}

pub struct VmObject {
    pub id: u64,
    phys: &'static dyn PhysMem,
    inner: Mutex<ObjectInner>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static LIVE: AtomicU64 = AtomicU64::new(0);

/// Objects in existence (statistics and leak tests).
pub fn live_objects() -> u64 {
    LIVE.load(Ordering::Relaxed)
}

/// A page found by walking a shadow chain.
pub struct Found {
    /// The object that holds it (kept referenced: it cannot be collapsed
    /// away, nor its page freed, while we hold this).
    pub object: Arc<VmObject>,
    pub frame: u64,
    /// 0 when the top object itself holds it.
    pub depth: usize,
    /// Its offset in `object`.
    pub offset: u64,
    /// The access its pager withholds (memory_object lock value).
    pub lock: mach::vm::VmProt,
}

impl VmObject {
    fn with(size: u64, shadow: Option<Arc<VmObject>>, shadow_offset: u64, phys: &'static dyn PhysMem) -> Arc<VmObject> {
        LIVE.fetch_add(1, Ordering::Relaxed);
        let o = Arc::new(VmObject {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            phys,
            inner: Mutex::new(ObjectInner {
                size, pages: BTreeMap::new(), shadow, shadow_offset, pager: None, swapped: BTreeSet::new(),
                shared: false, in_flight: false, swappable: false, dpager: None,
            }),
        });
        register(&o);
        o
    }

    /// The object of a memory object port: its pages come from `pager`.
    /// Mapped by several maps at once, so it is shared from the start.
    pub fn with_pager(size: u64, pager: PagerRef, phys: &'static dyn PhysMem) -> Arc<VmObject> {
        let o = Self::with(size, None, 0, phys);
        {
            let mut g = o.lock();
            g.pager = Some(pager);
            g.shared = true;
        }
        o
    }

    /// Anonymous zero-fill memory of `size` bytes (vm_object_allocate).
    pub fn anonymous(size: u64, phys: &'static dyn PhysMem) -> Arc<VmObject> {
        Self::with(size, None, 0, phys)
    }

    /// A new object shadowing `backing` from `offset` (vm_object_shadow);
    /// takes over the caller's reference to `backing`.
    pub fn shadow(backing: Arc<VmObject>, offset: u64, size: u64) -> Arc<VmObject> {
        let phys = backing.phys;
        Self::with(size, Some(backing), offset, phys)
    }

    pub fn lock(&self) -> MutexGuard<'_, ObjectInner> {
        self.inner.lock()
    }

    pub fn phys(&self) -> &'static dyn PhysMem {
        self.phys
    }

    pub fn size(&self) -> u64 {
        self.lock().size
    }

    pub fn resident_count(&self) -> usize {
        self.lock().pages.len()
    }

    pub fn set_shared(&self) {
        self.lock().shared = true;
    }

    pub fn is_shared(&self) -> bool {
        self.lock().shared
    }

    /// Objects in the chain starting here (1 for an unshadowed object).
    pub fn chain_depth(self: &Arc<Self>) -> usize {
        let mut depth = 1;
        let mut next = self.lock().shadow.clone();
        while let Some(o) = next {
            depth += 1;
            next = o.lock().shadow.clone();
        }
        depth
    }

    /// Finds the page at `offset` in this object or its backing chain,
    /// without waiting: a page that must come from a pager (or from the
    /// default pager's store, which is paged in at once) is asked for.
    pub fn lookup_page(self: &Arc<Self>, offset: u64) -> Result<Option<Found>, PageWait> {
        let mut obj = self.clone();
        let mut off = offset;
        let mut depth = 0;
        loop {
            let next = {
                let mut g = obj.lock();
                if let Some(p) = g.pages.get_mut(&off) {
                    p.referenced = true;
                    let frame = p.frame;
                    let lock = g.pager.as_ref().map_or(0, |mo| mo.lock_of(off));
                    drop(g);
                    return Ok(Some(Found { object: obj, frame, depth, offset: off, lock }));
                }
                if g.swapped.contains(&off) && !super::pageout::in_store(obj.id, off) {
                    let Some(mo) = g.dpager.clone() else { return Err(PageWait::Error(KERN_MEMORY_ERROR)) };
                    let n = swap_cluster(obj.id, &g, off);
                    drop(g);
                    return Err(mo.pages_wanted(off, n));
                }
                if g.swapped.contains(&off) {
                    let frame = super::pageout::page_in(&obj, &mut g, off).map_err(PageWait::Error)?;
                    drop(g);
                    return Ok(Some(Found { object: obj, frame, depth, offset: off, lock: 0 }));
                }
                if let Some(mo) = g.pager.clone() {
                    drop(g);
                    return Err(mo.page_wanted(off));
                }
                let Some(next) = g.shadow.clone() else { return Ok(None) };
                off += g.shadow_offset;
                next
            };
            obj = next;
            depth += 1;
        }
    }

    /// `lookup_page` for callers that cannot wait: a page still to come
    /// from a pager counts as absent.
    pub fn find_page(self: &Arc<Self>, offset: u64) -> Option<Found> {
        self.lookup_page(offset).ok().flatten()
    }

    /// Puts a filled frame at `offset`. If a page got there first (another
    /// CPU resolved the same fault), the frame is freed and the resident
    /// one returned, so callers always map what the object holds.
    pub fn insert_page(&self, offset: u64, frame: u64, dirty: bool) -> u64 {
        let mut g = self.lock();
        if let Some(p) = g.pages.get(&offset) {
            let have = p.frame;
            drop(g);
            self.phys.free(frame);
            return have;
        }
        let mut page = Page::new(frame);
        page.dirty = dirty;
        page.referenced = true;
        g.pages.insert(offset, page);
        frame
    }

    /// A page the default pager gave back: the swap copy may be stale next
    /// time, so it is dirty, and no longer counts as swapped.
    pub fn insert_paged_in(&self, offset: u64, frame: u64) -> u64 {
        let f = self.insert_page(offset, frame, true);
        let mut g = self.lock();
        g.swapped.remove(&offset);
        if let Some(p) = g.pages.get_mut(&offset) {
            p.dirty = true;
        }
        f
    }

    pub fn set_swappable(&self, on: bool) {
        self.lock().swappable = on;
    }

    /// `set_swappable(false)` on this object and its backing chain.
    pub fn pin_chain(self: &Arc<Self>) {
        let mut next = Some(self.clone());
        while let Some(o) = next {
            o.set_swappable(false);
            next = o.lock().shadow.clone();
        }
    }

    /// A fresh zero-filled page at `offset` (the default pager's zero fill).
    pub fn zero_fill(&self, offset: u64) -> Result<u64, KernReturn> {
        let frame = self.phys.alloc_zeroed().ok_or(KERN_RESOURCE_SHORTAGE)?;
        count_allocation();
        Ok(self.insert_page(offset, frame, false))
    }

    /// Copies `src` into a new page at `offset` (the copy of copy-on-write).
    pub fn copy_in(&self, offset: u64, src: u64) -> Result<u64, KernReturn> {
        let frame = self.phys.alloc_copy(src).ok_or(KERN_RESOURCE_SHORTAGE)?;
        count_allocation();
        Ok(self.insert_page(offset, frame, true))
    }

    /// An eager copy of [offset, offset+size) of this object's contents as
    /// seen through its chain (vm_object_copy_slowly), for objects that are
    /// shared and so cannot be copied lazily. A page that must first come
    /// from a pager fails the copy (KERN_MEMORY_ERROR; it has been asked
    /// for), since the caller holds a map and cannot wait: better an error
    /// than a copy with zeros where the pager's data should be.
    pub fn copy_slowly(self: &Arc<Self>, offset: u64, size: u64) -> Result<Arc<VmObject>, KernReturn> {
        let copy = VmObject::anonymous(size, self.phys);
        let mut off = 0;
        while off < size {
            match self.lookup_page(offset + off) {
                Ok(Some(f)) => {
                    copy.copy_in(off, f.frame)?;
                }
                Ok(None) => {}
                Err(PageWait::Error(kr)) => return Err(kr),
                Err(PageWait::Pager(..)) => return Err(KERN_MEMORY_ERROR),
            }
            off += PAGE;
        }
        Ok(copy)
    }

    /// Shortens the chain below this object as far as possible.
    pub fn collapse(&self) {
        while self.collapse_once() {}
    }

    /// One step of collapse: merges or bypasses the backing object; says
    /// whether the chain changed.
    fn collapse_once(&self) -> bool {
        let mut top = self.lock();
        let Some(backing) = top.shadow.take() else { return false };
        // Holding `top`, nobody can reach `backing` through it; a count of
        // one means we hold the only reference.
        let exclusive = Arc::strong_count(&backing) == 1;
        let mut b = backing.lock();
        let (so, size) = (top.shadow_offset, top.size);
        let visible = |boff: u64| boff >= so && boff - so < size;
        if b.pager.is_some() || !b.swapped.is_empty() || !top.swapped.is_empty() {
            drop(b);
            top.shadow = Some(backing);
            return false;
        }
        if exclusive {
            // Merge: move up the pages the top lacks, free the rest.
            for (boff, page) in core::mem::take(&mut b.pages) {
                if visible(boff) && !top.pages.contains_key(&(boff - so)) {
                    top.pages.insert(boff - so, page);
                } else {
                    self.phys.free(page.frame);
                }
            }
        } else if b.pages.keys().any(|&boff| visible(boff) && !top.pages.contains_key(&(boff - so))) {
            // Some page of the backing object still shows through.
            drop(b);
            top.shadow = Some(backing);
            return false;
        }
        // Merged or fully covered: skip to the backing object's backing.
        top.shadow = b.shadow.clone();
        top.shadow_offset = if top.shadow.is_some() { so + b.shadow_offset } else { 0 };
        drop(b);
        drop(top);
        drop(backing);
        true
    }
}

/// Pages to ask the default pager for along with the one at `off`: the
/// run of pages after it that are out with the pager too (read-ahead, so
/// a sequential reader costs one request per cluster, not per page).
fn swap_cluster(id: u64, g: &ObjectInner, off: u64) -> u64 {
    const CLUSTER: u64 = 16;
    let mut n = 1;
    while n < CLUSTER {
        let o = off + n * PAGE;
        if !g.swapped.contains(&o) || g.pages.contains_key(&o) || super::pageout::in_store(id, o) {
            break;
        }
        n += 1;
    }
    n
}

/// Every object by id, for the pageout scan (weak: the scan never keeps
/// one alive); an object leaves it in its drop.
static ALL: Mutex<BTreeMap<u64, Weak<VmObject>>> = Mutex::new(BTreeMap::new());

fn register(o: &Arc<VmObject>) {
    ALL.lock().insert(o.id, Arc::downgrade(o));
}

/// The first live object with an id above `after` (the clock hand), if any.
pub fn object_after(after: u64) -> Option<Arc<VmObject>> {
    let all = ALL.lock();
    all.range(after + 1..).find_map(|(_, w)| w.upgrade())
}

impl Drop for VmObject {
    /// Frees the pages and releases the backing chain without recursing,
    /// so a long chain cannot overflow a kernel stack.
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
        ALL.lock().remove(&self.id);
        let inner = self.inner.get_mut();
        if inner.in_flight {
            super::pageout::in_flight_done(inner.pages.len());
        }
        if let Some(mo) = inner.pager.take() {
            // Dirty pages go back to the pager before it hears terminate.
            super::pager::object_terminated(&mo, self.phys, &mut inner.pages);
        }
        if let Some(mo) = inner.dpager.take() {
            super::pager::default_object_terminated(&mo);
        }
        if !inner.swapped.is_empty() {
            super::pageout::discard(self.id, &core::mem::take(&mut inner.swapped));
        }
        for (_, p) in core::mem::take(&mut inner.pages) {
            self.phys.free(p.frame);
        }
        let mut next = inner.shadow.take();
        while let Some(s) = next {
            match Arc::try_unwrap(s) {
                Ok(mut obj) => next = obj.inner.get_mut().shadow.take(),
                Err(_) => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::page::testmem::TestMem;

    #[test]
    fn shadow_sees_backing_pages_until_it_has_its_own() {
        let mem = TestMem::new(100);
        let base = VmObject::anonymous(4 * PAGE, mem);
        let f = base.zero_fill(PAGE).unwrap();
        mem.write(f, 0, &[7]);
        let top = VmObject::shadow(base.clone(), 0, 4 * PAGE);
        let found = top.find_page(PAGE).unwrap();
        assert_eq!((found.frame, found.depth), (f, 1));
        assert!(top.find_page(0).is_none());
        let c = top.copy_in(PAGE, f).unwrap();
        assert_eq!(mem.byte(c, 0), 7);
        assert_eq!(top.find_page(PAGE).unwrap().depth, 0);
        assert_eq!(top.chain_depth(), 2);
    }

    #[test]
    fn shadow_offset_is_applied() {
        let mem = TestMem::new(100);
        let base = VmObject::anonymous(8 * PAGE, mem);
        let f = base.zero_fill(5 * PAGE).unwrap();
        let top = VmObject::shadow(base, 4 * PAGE, 2 * PAGE);
        assert_eq!(top.find_page(PAGE).unwrap().frame, f);
    }

    #[test]
    fn collapse_merges_an_exclusive_backing_object() {
        let mem = TestMem::new(100);
        let base = VmObject::anonymous(4 * PAGE, mem);
        let a = base.zero_fill(0).unwrap();
        let b = base.zero_fill(PAGE).unwrap();
        let top = VmObject::shadow(base, 0, 4 * PAGE);
        let mine = top.copy_in(PAGE, b).unwrap();
        top.collapse();
        assert_eq!(top.chain_depth(), 1);
        assert_eq!(top.find_page(0).unwrap().frame, a);
        assert_eq!(top.find_page(PAGE).unwrap().frame, mine);
        // The shadowed page b was freed exactly once; a moved up.
        assert_eq!(mem.freed(), [b]);
        assert_eq!(mem.live(), 2);
    }

    #[test]
    fn collapse_keeps_a_shared_backing_object_that_shows_through() {
        let mem = TestMem::new(100);
        let base = VmObject::anonymous(2 * PAGE, mem);
        base.zero_fill(0).unwrap();
        let top = VmObject::shadow(base.clone(), 0, 2 * PAGE);
        top.collapse();
        assert_eq!(top.chain_depth(), 2);
        // Once the top has its own copy of every visible page, the backing
        // object is bypassed even though someone else still uses it.
        let f = base.find_page(0).unwrap().frame;
        top.copy_in(0, f).unwrap();
        top.collapse();
        assert_eq!(top.chain_depth(), 1);
        assert_eq!(Arc::strong_count(&base), 1);
    }

    #[test]
    fn collapse_frees_invisible_pages_of_the_backing_object() {
        let mem = TestMem::new(100);
        let base = VmObject::anonymous(4 * PAGE, mem);
        let outside = base.zero_fill(0).unwrap();
        let inside = base.zero_fill(2 * PAGE).unwrap();
        let top = VmObject::shadow(base, 2 * PAGE, 2 * PAGE);
        top.collapse();
        assert_eq!(mem.freed(), [outside]);
        assert_eq!(top.find_page(0).unwrap().frame, inside);
        assert_eq!(top.lock().shadow_offset, 0);
    }

    #[test]
    fn dropping_a_long_chain_frees_everything_once() {
        let mem = TestMem::new(10_000);
        let mut top = VmObject::anonymous(PAGE, mem);
        top.zero_fill(0).unwrap();
        for _ in 0..5000 {
            top = VmObject::shadow(top, 0, PAGE);
        }
        top.zero_fill(0).unwrap();
        assert_eq!(mem.live(), 2);
        drop(top);
        assert_eq!(mem.live(), 0);
    }

    #[test]
    fn exhaustion_is_an_error() {
        let mem = TestMem::new(1);
        let o = VmObject::anonymous(2 * PAGE, mem);
        o.zero_fill(0).unwrap();
        assert_eq!(o.zero_fill(PAGE), Err(KERN_RESOURCE_SHORTAGE));
        assert_eq!(o.copy_slowly(0, 2 * PAGE).err(), Some(KERN_RESOURCE_SHORTAGE));
        assert_eq!(mem.live(), 1);
    }
}
