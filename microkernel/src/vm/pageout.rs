//! Pageout: when free frames run low, a second-chance (clock) scan over the
//! resident pages of all objects takes frames back.
//!
//! - A page accessed since the hand last passed (the fault's `referenced`
//!   flag or the MMU's accessed bit in any pmap, found through the pmap's
//!   reverse map) gets a second chance.
//! - Otherwise it is unmapped from every pmap and evicted: a clean page of
//!   a pager-backed object is simply freed (the pager has its data); a
//!   dirty one goes back to its pager with memory_object_data_write (the
//!   frame itself travels out of line and is freed when the pager lets it
//!   go).
//! - Pages of anonymous objects go to the default pager. Ours is
//!   in-kernel and honest about what it is: a compressed store in wired
//!   kernel memory (run-length coding), not backing store. A page that does
//!   not compress to half a page stays resident; one that does is paged in
//!   again on its next fault. A real default pager (a task with a disk)
//!   would receive these through the same data_write path.
//!
//! The reserve (resident::FREE_RESERVED) is never handed to object pages,
//! so the kernel's own allocations, the messages pageout sends among them,
//! always find memory; pagers may dip into half of it, since only they can
//! free what was sent to them. A faulting thread that finds memory short
//! after a scan sleeps a tick at a time so the pagers can run.

use super::object::{object_at, ObjectInner, VmObject};
use super::resident::{free_count, FREE_RESERVED};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use mach::kern_return::*;
use mach::vm::PAGE_SIZE;
use spin::Mutex;

const PAGE: usize = PAGE_SIZE;

/// Below this many free frames the scan runs...
pub const LOW_WATER: usize = FREE_RESERVED + 256;
/// ...and frees until this many are free (or on their way back).
pub const TARGET: usize = LOW_WATER + 256;
/// Below this, a faulting thread waits for pagers before going on.
const WAIT_WATER: usize = FREE_RESERVED + 64;

static HAND: AtomicUsize = AtomicUsize::new(0);

pub static PAGED_OUT_TO_PAGER: AtomicU64 = AtomicU64::new(0);
pub static FREED_CLEAN: AtomicU64 = AtomicU64::new(0);
pub static STORED_ANON: AtomicU64 = AtomicU64::new(0);
pub static PAGED_IN_ANON: AtomicU64 = AtomicU64::new(0);

/// The default pager's store: (object id, offset) -> compressed page.
static STORE: Mutex<BTreeMap<(u64, u64), Vec<u8>>> = Mutex::new(BTreeMap::new());

/// Called before a fault: frees frames if they run low, and waits (a
/// bounded number of ticks) for pagers to take back what was sent to them.
pub fn reclaim_if_low() {
    if free_count() >= LOW_WATER {
        return;
    }
    reclaim(TARGET);
    if super::pager::current_is_pager() {
        return;
    }
    for _ in 0..100 {
        if free_count() >= WAIT_WATER {
            break;
        }
        let now = crate::kern::clock::ticks();
        crate::kern::sched::block_current_until(Some(now + 1));
        reclaim(TARGET);
    }
}

/// `reclaim_if_low` for contexts that must not sleep.
pub fn reclaim_if_low_nowait() {
    if free_count() < LOW_WATER {
        reclaim(TARGET);
    }
}

/// Runs the clock until `target` frames are free or on their way back, or
/// two full turns found nothing more to take. Returns the pages evicted.
pub fn reclaim(target: usize) -> usize {
    let want = target.saturating_sub(free_count());
    let mut done = 0;
    let (_, len) = object_at(0);
    let mut visited = 0;
    while done < want && visited < 2 * len + 2 {
        let i = HAND.fetch_add(1, Ordering::Relaxed);
        let (o, len) = object_at(i);
        if i >= len {
            HAND.store(0, Ordering::Relaxed);
        }
        if let Some(o) = o {
            done += scan_object(&o, want - done);
        }
        visited += 1;
    }
    done
}

/// What eviction does with a page's frame once the object is unlocked.
enum Out {
    ToPager(u64, u64),
}

/// Gives the object's pages their second chance or evicts them, up to
/// `want`. Returns the pages evicted.
fn scan_object(o: &Arc<VmObject>, want: usize) -> usize {
    let phys = o.phys();
    let mut outs = Vec::new();
    let mut n = 0;
    {
        let mut g = o.lock();
        if g.pager.as_ref().is_some_and(|mo| mo.is_dead()) {
            return 0; // nowhere to put its dirty pages: they stay
        }
        let offs: Vec<u64> = g.pages.keys().copied().collect();
        for off in offs {
            if n >= want {
                break;
            }
            let p = g.pages.get_mut(&off).expect("key just listed");
            let referenced = core::mem::replace(&mut p.referenced, false) | phys.take_referenced(p.frame);
            if referenced {
                continue;
            }
            if evict(o, &mut g, off, &mut outs) {
                n += 1;
            }
        }
    }
    let mo = o.lock().pager.clone();
    for Out::ToPager(off, frame) in outs {
        if let Some(mo) = &mo {
            mo.data_write(off, frame);
        }
    }
    n
}

/// Evicts the page at `off`; false when it stays (incompressible).
fn evict(o: &VmObject, g: &mut ObjectInner, off: u64, outs: &mut Vec<Out>) -> bool {
    let phys = o.phys();
    let frame = g.pages[&off].frame;
    phys.remove_mappings(frame);
    let dirty = g.pages[&off].dirty | phys.take_modified(frame);
    if g.pager.is_some() {
        g.pages.remove(&off);
        if dirty {
            PAGED_OUT_TO_PAGER.fetch_add(1, Ordering::Relaxed);
            outs.push(Out::ToPager(off, frame));
        } else {
            FREED_CLEAN.fetch_add(1, Ordering::Relaxed);
            phys.free(frame);
        }
        return true;
    }
    let mut buf = alloc::vec![0u8; PAGE];
    phys.read(frame, 0, &mut buf);
    let packed = compress(&buf);
    if packed.len() > PAGE / 2 {
        if dirty {
            g.pages.get_mut(&off).expect("resident").dirty = true;
        }
        return false;
    }
    STORE.lock().insert((o.id, off), packed);
    g.swapped.insert(off);
    g.pages.remove(&off);
    phys.free(frame);
    STORED_ANON.fetch_add(1, Ordering::Relaxed);
    true
}

/// The default pager's data_request: brings the page at `off` back from
/// the store into `obj` (locked as `g`); returns its frame.
pub fn page_in(obj: &VmObject, g: &mut ObjectInner, off: u64) -> Result<u64, KernReturn> {
    let phys = obj.phys();
    let frame = phys.alloc_zeroed().ok_or(KERN_RESOURCE_SHORTAGE)?;
    let packed = STORE.lock().remove(&(obj.id, off));
    if let Some(packed) = packed {
        let mut buf = alloc::vec![0u8; PAGE];
        decompress(&packed, &mut buf);
        phys.write(frame, 0, &buf);
    }
    g.swapped.remove(&off);
    let mut page = super::page::Page::new(frame);
    // The store no longer has it: the only copy is this one.
    page.dirty = true;
    page.referenced = true;
    g.pages.insert(off, page);
    PAGED_IN_ANON.fetch_add(1, Ordering::Relaxed);
    Ok(frame)
}

/// An object with pages in the store is gone.
pub fn discard(id: u64, offsets: &BTreeSet<u64>) {
    let mut s = STORE.lock();
    for &off in offsets {
        s.remove(&(id, off));
    }
}

/// Run-length coding: (count 1..=255, byte) pairs.
fn compress(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        let mut n = 1;
        while i + n < data.len() && data[i + n] == b && n < 255 {
            n += 1;
        }
        out.push(n as u8);
        out.push(b);
        if out.len() > PAGE / 2 {
            break; // not worth it; the caller keeps the page
        }
        i += n;
    }
    out
}

fn decompress(packed: &[u8], out: &mut [u8]) {
    let mut at = 0;
    for pair in packed.chunks_exact(2) {
        let n = (pair[0] as usize).min(out.len() - at);
        out[at..at + n].fill(pair[1]);
        at += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_length_round_trip_and_refusal() {
        let mut page = alloc::vec![0u8; PAGE];
        page[100..300].fill(7);
        page[4095] = 1;
        let c = compress(&page);
        assert!(c.len() < 64);
        let mut back = alloc::vec![9u8; PAGE];
        decompress(&c, &mut back);
        assert_eq!(back, page);
        let noisy: Vec<u8> = (0..PAGE).map(|i| (i * 31 ^ i >> 3) as u8).collect();
        assert!(compress(&noisy).len() > PAGE / 2);
    }
}
