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

use super::object::{object_after, ObjectInner, VmObject};
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

/// The clock hand: the id of the object scanned last, and the offset in
/// it to go on from (an object may hold a quarter of a million pages, and
/// one scan looks at only SCAN_BUDGET of them).
static HAND: AtomicU64 = AtomicU64::new(0);
static HAND_OFFSET: AtomicU64 = AtomicU64::new(0);

/// At most this many pages are looked at per scan. Pages that cannot be
/// evicted (incompressible anonymous pages, with no default pager to take
/// them) would otherwise make every fault look at every page of the
/// machine, twice: a livelock rather than an out-of-memory decision.
const SCAN_BUDGET: usize = 1024;

/// Pages sent to pagers that they still hold: memory on its way back.
pub static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// `n` pages sent to a pager are free again (or in the store).
pub fn in_flight_done(n: usize) {
    let _ = IN_FLIGHT.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| Some(v.saturating_sub(n)));
}

/// At most this many pages go out per scan: each costs a message.
const BATCH: usize = 128;

pub static PAGED_OUT_TO_PAGER: AtomicU64 = AtomicU64::new(0);
pub static FREED_CLEAN: AtomicU64 = AtomicU64::new(0);
pub static STORED_ANON: AtomicU64 = AtomicU64::new(0);
pub static PAGED_IN_ANON: AtomicU64 = AtomicU64::new(0);
/// Anonymous pages sent to the default pager task.
pub static TO_DEFAULT_PAGER: AtomicU64 = AtomicU64::new(0);

/// The default pager's store: (object id, offset) -> compressed page.
static STORE: Mutex<BTreeMap<(u64, u64), Vec<u8>>> = Mutex::new(BTreeMap::new());
/// Bytes the store holds (with a per-entry allowance for the map), and its
/// bound: it is wired kernel memory, so it must not eat the reserve.
static STORE_BYTES: AtomicUsize = AtomicUsize::new(0);
const STORE_LIMIT: usize = 2 << 20;
const ENTRY_OVERHEAD: usize = 64;
/// The last scan left pages for the default pager, whose queue was full.
static THROTTLED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
/// Reclaim calls to skip after one that found nothing to take.
static BACKOFF: AtomicUsize = AtomicUsize::new(0);

/// Called before a fault: frees frames if they run low, and waits (a
/// bounded number of ticks) for pagers to take back what was sent to them.
pub fn reclaim_if_low() {
    if free_count() >= LOW_WATER {
        return;
    }
    let sent = || PAGED_OUT_TO_PAGER.load(Ordering::Relaxed) + TO_DEFAULT_PAGER.load(Ordering::Relaxed);
    let sent_before = sent();
    reclaim(TARGET);
    if super::pager::current_is_pager() {
        return;
    }
    // Pages sent to pagers come back to the pool only when the pagers run.
    for _ in 0..100 {
        if free_count() >= WAIT_WATER || (sent() == sent_before && !THROTTLED.load(Ordering::Relaxed)) {
            break;
        }
        let now = crate::kern::clock::ticks();
        crate::kdebug!("pageout: waiting for pagers, {} free", free_count());
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
    if BACKOFF.load(Ordering::Relaxed) > 0 {
        BACKOFF.fetch_sub(1, Ordering::Relaxed);
        return 0;
    }
    THROTTLED.store(false, Ordering::Relaxed);
    let coming = free_count() + IN_FLIGHT.load(Ordering::Relaxed);
    let want = target.saturating_sub(coming).min(BATCH);
    let (mut done, mut spared, mut looked) = (0, 0, 0);
    // At most one turn of the hand: a page referenced since the last turn
    // has its bit cleared and is spared until the next.
    let mut wraps = 0;
    while done < want && wraps < 2 && looked < SCAN_BUDGET {
        // The object the hand is in, if it has pages left past the hand.
        let resume = HAND_OFFSET.load(Ordering::Relaxed);
        let here = (resume > 0).then(|| object_after(HAND.load(Ordering::Relaxed).saturating_sub(1)))
            .flatten().filter(|o| o.id == HAND.load(Ordering::Relaxed));
        let (o, from) = match here {
            Some(o) => (o, resume),
            None => match object_after(HAND.load(Ordering::Relaxed)) {
                Some(o) => (o, 0),
                None => {
                    HAND.store(0, Ordering::Relaxed);
                    HAND_OFFSET.store(0, Ordering::Relaxed);
                    wraps += 1;
                    continue;
                }
            },
        };
        HAND.store(o.id, Ordering::Relaxed);
        let r = scan_object_from(&o, want - done, from, SCAN_BUDGET - looked);
        HAND_OFFSET.store(r.next.unwrap_or(0), Ordering::Relaxed);
        done += r.evicted;
        spared += r.spared;
        looked += r.looked;
    }
    if done == 0 && spared == 0 && want > 0 && !THROTTLED.load(Ordering::Relaxed) {
        BACKOFF.store(64, Ordering::Relaxed);
    }
    done
}

/// What eviction does with a page's frame once the object is unlocked.
enum Out {
    ToPager(u64, u64),
}

/// What one object's scan did.
struct Scanned {
    evicted: usize,
    spared: usize,
    looked: usize,
    /// Where the next scan of this object goes on (None: it got to the end).
    next: Option<u64>,
}

/// Gives the object's pages their second chance or evicts them, up to
/// `want`. Returns the pages evicted and those spared.
#[cfg(test)]
fn scan_object(o: &Arc<VmObject>, want: usize) -> (usize, usize) {
    let r = scan_object_from(o, want, 0, usize::MAX);
    (r.evicted, r.spared)
}

/// `scan_object` from offset `from`, looking at no more than `budget` pages.
fn scan_object_from(o: &Arc<VmObject>, want: usize, from: u64, budget: usize) -> Scanned {
    let phys = o.phys();
    if super::default_pager::registered() && wants_default_pager(o) {
        super::default_pager::attach(o);
    }
    let mut outs = Vec::new();
    let (mut n, mut spared, mut looked) = (0, 0, 0);
    let mut next = None;
    {
        let mut g = o.lock();
        if g.pager.as_ref().is_some_and(|mo| mo.is_dead()) {
            // Nowhere to put its dirty pages: they stay.
            return Scanned { evicted: 0, spared: 0, looked: 1, next: None };
        }
        // One key at a time: an object may hold a quarter of a million
        // pages, and memory is short.
        let mut cursor = from;
        while n < want {
            if looked >= budget {
                next = Some(cursor);
                break;
            }
            let Some(off) = g.pages.range(cursor..).next().map(|(o, _)| *o) else {
                next = None;
                break;
            };
            cursor = off + 1;
            looked += 1;
            if n + 1 >= want {
                next = Some(cursor);
            }
            let p = g.pages.get_mut(&off).expect("key just found");
            let referenced = core::mem::replace(&mut p.referenced, false) | phys.take_referenced(p.frame);
            if referenced {
                spared += 1;
                continue;
            }
            if evict(o, &mut g, off, &mut outs) {
                n += 1;
            }
        }
    }
    // Not under the object's lock: sending may find the pager dead, and
    // then its object's pages are flushed.
    let mo = { let g = o.lock(); g.pager.clone().or_else(|| g.dpager.clone()) };
    if let Some(mo) = mo {
        let mut runs = super::pager::Runs::new(&mo);
        for Out::ToPager(off, frame) in outs {
            runs.push(off, frame);
        }
    }
    Scanned { evicted: n, spared, looked, next }
}

/// Evicts the page at `off`; false when it stays (incompressible).
fn evict(o: &VmObject, g: &mut ObjectInner, off: u64, outs: &mut Vec<Out>) -> bool {
    let phys = o.phys();
    let frame = g.pages[&off].frame;
    if g.pager.is_none() {
        return evict_anonymous(o, g, off, frame, outs);
    }
    phys.remove_mappings(frame);
    let dirty = g.pages[&off].dirty | phys.take_modified(frame);
    g.pages.remove(&off);
    if dirty {
        PAGED_OUT_TO_PAGER.fetch_add(1, Ordering::Relaxed);
        outs.push(Out::ToPager(off, frame));
    } else {
        FREED_CLEAN.fetch_add(1, Ordering::Relaxed);
        phys.free(frame);
    }
    true
}

/// An anonymous page goes to the compressed store if it compresses and
/// the store has room; otherwise to the default pager task, when the
/// object may be swapped and has its memory object (made before the scan
/// locked it); otherwise it stays, mapped as it was. (One CPU and a
/// non-preemptible kernel: nobody writes it between the compression and
/// the unmapping.)
fn evict_anonymous(o: &VmObject, g: &mut ObjectInner, off: u64, frame: u64, outs: &mut Vec<Out>) -> bool {
    let phys = o.phys();
    let packed = if STORE_BYTES.load(Ordering::Relaxed) < STORE_LIMIT { compress_frame(phys, frame) } else { None };
    let pager_up = packed.is_none() && !g.in_flight && g.dpager.as_ref().is_some_and(|mo| !mo.is_dead());
    let to_pager = pager_up && g.dpager.as_ref().is_some_and(|mo| mo.backlog() + runs_after(outs, off) <= MAX_BACKLOG);
    if pager_up && !to_pager {
        // Behind, not stuck: a fault waits for it rather than give up.
        THROTTLED.store(true, Ordering::Relaxed);
    }
    if packed.is_none() && !to_pager {
        return false;
    }
    phys.remove_mappings(frame);
    if g.in_flight {
        in_flight_done(1);
    }
    g.swapped.insert(off);
    g.pages.remove(&off);
    match packed {
        Some(packed) => {
            STORE_BYTES.fetch_add(packed.len() + ENTRY_OVERHEAD, Ordering::Relaxed);
            STORE.lock().insert((o.id, off), packed);
            phys.free(frame);
            STORED_ANON.fetch_add(1, Ordering::Relaxed);
        }
        None => {
            // Whatever the store held for it before is stale now.
            if let Some(old) = STORE.lock().remove(&(o.id, off)) {
                STORE_BYTES.fetch_sub(old.len() + ENTRY_OVERHEAD, Ordering::Relaxed);
            }
            TO_DEFAULT_PAGER.fetch_add(1, Ordering::Relaxed);
            outs.push(Out::ToPager(off, frame));
        }
    }
    true
}

/// Messages to the default pager one object's port may hold, not yet
/// received: a pager that falls behind gets no more (the pages stay), and
/// the port's queue stays small.
const MAX_BACKLOG: usize = 16;

/// The data_write messages `outs` will make with a page at `off` added
/// (one per run of consecutive offsets; the scan goes up in offset).
fn runs_after(outs: &[Out], off: u64) -> usize {
    let mut runs = 0;
    let mut prev: Option<u64> = None;
    for &Out::ToPager(o, _) in outs.iter().chain(core::iter::once(&Out::ToPager(off, 0))) {
        if prev.is_none_or(|p| p + PAGE as u64 != o) {
            runs += 1;
        }
        prev = Some(o);
    }
    runs
}

/// Whether the compressed store holds the page at `off` of object `id`
/// (else a swapped page is with the default pager task).
pub fn in_store(id: u64, off: u64) -> bool {
    STORE.lock().contains_key(&(id, off))
}

/// Whether pages of this object may go to the default pager task once the
/// store is full or they do not compress: then its memory object is made
/// (outside the object's lock: that sends memory_object_create).
fn wants_default_pager(o: &Arc<VmObject>) -> bool {
    let g = o.lock();
    g.pager.is_none() && g.swappable && !g.in_flight && g.dpager.is_none() && !g.pages.is_empty()
}

/// The default pager's data_request: brings the page at `off` back from
/// the store into `obj` (locked as `g`); returns its frame.
pub fn page_in(obj: &VmObject, g: &mut ObjectInner, off: u64) -> Result<u64, KernReturn> {
    let phys = obj.phys();
    let frame = phys.alloc_zeroed().ok_or(KERN_RESOURCE_SHORTAGE)?;
    let packed = STORE.lock().remove(&(obj.id, off));
    if let Some(packed) = packed {
        STORE_BYTES.fetch_sub(packed.len() + ENTRY_OVERHEAD, Ordering::Relaxed);
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
        if let Some(p) = s.remove(&(id, off)) {
            STORE_BYTES.fetch_sub(p.len() + ENTRY_OVERHEAD, Ordering::Relaxed);
        }
    }
}

/// The frame's contents compressed, read in small pieces (no page-sized
/// buffer while memory is short); None when it does not halve.
fn compress_frame(phys: &dyn super::page::PhysMem, frame: u64) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut chunk = [0u8; 256];
    let mut run: Option<(u8, u8)> = None;
    for at in (0..PAGE).step_by(chunk.len()) {
        phys.read(frame, at, &mut chunk);
        for &b in &chunk {
            run = match run {
                Some((v, n)) if v == b && n < 255 => Some((v, n + 1)),
                Some((v, n)) => {
                    out.extend_from_slice(&[n, v]);
                    Some((b, 1))
                }
                None => Some((b, 1)),
            };
        }
        if out.len() > PAGE / 2 {
            return None;
        }
    }
    if let Some((v, n)) = run {
        out.extend_from_slice(&[n, v]);
    }
    (out.len() <= PAGE / 2).then_some(out)
}

/// Undoes `compress_frame`: (count 1..=255, byte) pairs.
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

    use crate::vm::page::{testmem::TestMem, PhysMem};

    #[test]
    fn run_length_round_trip_and_refusal() {
        let mem = TestMem::new(4);
        let mut page = alloc::vec![0u8; PAGE];
        page[100..300].fill(7);
        page[4095] = 1;
        let f = mem.alloc_zeroed().unwrap();
        mem.write(f, 0, &page);
        let c = compress_frame(mem, f).unwrap();
        assert!(c.len() < 64);
        let mut back = alloc::vec![9u8; PAGE];
        decompress(&c, &mut back);
        assert_eq!(back, page);
        let noisy: Vec<u8> = (0..PAGE).map(|i| (i * 31 ^ i >> 3) as u8).collect();
        mem.write(f, 0, &noisy);
        assert!(compress_frame(mem, f).is_none());
    }

    #[test]
    fn anonymous_pages_get_a_second_chance_then_go_to_the_store_and_back() {
        let mem = TestMem::new(10);
        let o = VmObject::anonymous(4 * PAGE as u64, mem);
        let quiet = o.zero_fill(0).unwrap();
        mem.write(quiet, 5, &[42]);
        let noisy = o.zero_fill(PAGE as u64).unwrap();
        let bytes: Vec<u8> = (0..PAGE).map(|i| (i * 31 ^ i >> 3) as u8).collect();
        mem.write(noisy, 0, &bytes);
        // Just faulted in: referenced, spared by the first pass.
        assert_eq!(scan_object(&o, 10), (0, 2));
        // The incompressible page stays; the other goes to the store.
        assert_eq!(scan_object(&o, 10), (1, 0));
        assert_eq!(o.resident_count(), 1);
        assert!(o.lock().swapped.contains(&0));
        assert_eq!(mem.live(), 1);
        // A shadow over it cannot collapse it away while it has a page out.
        let top = VmObject::shadow(o.clone(), 0, 4 * PAGE as u64);
        top.collapse();
        assert_eq!(top.chain_depth(), 2);
        // The next lookup pages it in, through the shadow, intact.
        let f = top.find_page(0).unwrap();
        assert_eq!((f.depth, mem.byte(f.frame, 5), mem.byte(f.frame, 6)), (1, 42, 0));
        assert!(o.lock().swapped.is_empty());
        drop(top);
        drop(f);
        drop(o);
        assert_eq!(mem.live(), 0);
    }

    #[test]
    fn the_store_forgets_the_pages_of_a_dead_object() {
        let mem = TestMem::new(10);
        let o = VmObject::anonymous(PAGE as u64, mem);
        o.zero_fill(0).unwrap();
        o.lock().pages.get_mut(&0).unwrap().referenced = false;
        assert_eq!(scan_object(&o, 1), (1, 0));
        let key = (o.id, 0);
        assert!(STORE.lock().contains_key(&key));
        drop(o);
        assert!(!STORE.lock().contains_key(&key));
    }
}

/// The pageout counters, for the log.
pub struct Summary;

impl core::fmt::Display for Summary {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let l = |c: &AtomicU64| c.load(Ordering::Relaxed);
        write!(f, "{} dirty pages to their pagers, {} clean pages freed, {} anonymous pages to the default store, {} paged in from it, {} to the default pager task",
               l(&PAGED_OUT_TO_PAGER), l(&FREED_CLEAN), l(&STORED_ANON), l(&PAGED_IN_ANON), l(&TO_DEFAULT_PAGER))
    }
}
