//! The kernel side of the external memory management protocol (Young's
//! "duality of memory and communication"): a memory object is a port whose
//! receiver (the pager, a user task) supplies and stores the object's data;
//! the kernel caches it in a VM object, asks for pages it lacks with
//! memory_object_data_request, and gives back dirty pages with
//! memory_object_data_write. The pager answers on the memory object
//! control port, a kernel object port served by `control_server`.
//!
//! One VM object per memory object port (`OBJECTS`): a second vm_map of
//! the same port shares it and its resident pages. The object is "shared"
//! so copies of it are never lazy against a pager that may change it.
//!
//! Pages being fetched are *pending* (Mach's busy pages): a second fault on
//! one waits for the same answer instead of asking again. A fault waits
//! only its own thread, at most PAGER_TIMEOUT_MS; the answer that arrives
//! later, or data for pages nobody asked for, is ignored. The pager's death
//! comes as a dead-name notification to the control port (the kernel's
//! own request on the memory object port): every waiter fails and the
//! object faults with KERN_MEMORY_ERROR from then on.
//!
//! Page locks (Mach's lock values): data_provided and lock_request say
//! which access the pager withholds from a page; the page is mapped without
//! it, and a fault that needs it sends memory_object_data_unlock and waits
//! (bounded, like a data request) for a lock_request that lowers the lock.
//!
//! Not done: copy strategies (copies of a pager-backed region made by fork
//! or out-of-line send see only its resident pages, since VM objects that
//! a pager may change are copied eagerly), and paging out while a
//! usercopy holds the map (a kernel copy that meets a page still to come
//! from a pager fails with KERN_MEMORY_ERROR; the request has gone out).

use super::map::MapEntry;
use super::object::{PageWait, VmObject};
use super::page::{Page, PhysMem};
use super::resident::KERNEL_PHYS;
use crate::ipc::kmsg::Kmsg;
use crate::ipc::mqueue;
use crate::ipc::ool::OolRegion;
use crate::ipc::port::{KObject, Port};
use crate::ipc::right::Right;
use crate::kern::sched::{self, WaitQueue};
use crate::kern::{clock, task::Task};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::mem::offset_of;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use mach::defs::memory_object::*;
use mach::defs::vm::vm_map;
use mach::kern_return::*;
use mach::message::{MsgHeader, OolDescriptor};
use mach::port::MACH_NOTIFY_DEAD_NAME;
use mach::vm::*;
use spin::Mutex;

const PAGE: u64 = PAGE_SIZE as u64;

/// How long a fault waits for a pager before it fails (seed 000: "a
/// timeout mechanism can be used").
pub const PAGER_TIMEOUT_MS: u64 = 2000;
/// The default pager holds the only copy of its pages and works a disk
/// that may be slow under load: a fault waits for it this long.
pub const DEFAULT_PAGER_TIMEOUT_MS: u64 = 60_000;
/// ...asking it again this often meanwhile.
pub const DEFAULT_PAGER_RETRY_MS: u64 = 5_000;

/// The size of a memory object's VM object: memory objects have none of
/// their own, so mappings may reach anywhere below this.
const OBJECT_SIZE: u64 = 1 << 40;

enum Pending {
    /// data_request sent; asked again at `deadline` (clock ticks; the
    /// default pager only), the fault fails at `give_up`.
    Asked { deadline: u64, give_up: u64 },
    /// The pager answered data_error (or no frame was left for its data).
    Failed(KernReturn),
}

struct MoState {
    /// memory_object_ready / set_attributes arrived.
    ready: bool,
    pending: BTreeMap<u64, Pending>,
    object: Weak<VmObject>,
}

/// Counters, for the tests' figures and the log.
#[derive(Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub provided: AtomicU64,
    pub unavailable: AtomicU64,
    pub ignored: AtomicU64,
    pub timeouts: AtomicU64,
    pub writes: AtomicU64,
    /// Faults that found their page already asked for and waited on it.
    pub busy_waits: AtomicU64,
}

pub struct MemoryObject {
    pub port: Arc<Port>,
    /// The kernel's send right to `port`, released at terminate.
    send: Mutex<Right>,
    pub control: Arc<Port>,
    state: Mutex<MoState>,
    /// Page locks: the access the pager withholds, by offset (a leaf lock,
    /// taken under the object's).
    locks: Mutex<BTreeMap<u64, VmProt>>,
    /// Dead pager or memory_object_destroy: nothing more is asked.
    dead: AtomicBool,
    waiters: WaitQueue,
    pub stats: Stats,
    /// The default pager's memory object for an anonymous object: its
    /// pages are the only copy, so the kernel waits for them longer and a
    /// dead pager does not take the resident ones with it.
    pub default: bool,
}

/// Memory object port id -> its VM object.
static OBJECTS: Mutex<BTreeMap<u64, Weak<VmObject>>> = Mutex::new(BTreeMap::new());

/// Tasks that have called on a control port: pagers, which may take
/// frames from part of the reserve (Mach's vm_privilege), since memory is
/// only freed when they take the pages the kernel gives back.
static PAGER_TASKS: Mutex<BTreeSet<u64>> = Mutex::new(BTreeSet::new());

pub fn current_is_pager() -> bool {
    let Some(task) = sched::current().task.clone() else { return false };
    PAGER_TASKS.lock().contains(&task.id)
}

fn kmsg_of(bytes: &[u8], dest: Right) -> Kmsg {
    let mut header: MsgHeader = mach::pod::read(bytes, 0).expect("messages start with a header");
    header.size = bytes.len() as u32;
    Kmsg { header, data: bytes.to_vec(), dest, reply: Right::Null, ports: Vec::new(), ool: Vec::new() }
}

fn range(offset: u64, length: u64) -> RangeArgs {
    RangeArgs { offset, length, access: 0, flags: 0 }
}

impl MemoryObject {
    fn new(port: &Arc<Port>) -> Arc<MemoryObject> {
        Arc::new_cyclic(|me| MemoryObject {
            port: port.clone(),
            send: Mutex::new(Right::copy_send(port)),
            control: Port::new(KObject::MemoryControl(me.clone())),
            state: Mutex::new(MoState { ready: false, pending: BTreeMap::new(), object: Weak::new() }),
            locks: Mutex::new(BTreeMap::new()),
            dead: AtomicBool::new(false),
            waiters: WaitQueue::new(),
            stats: Stats::default(),
            default: false,
        })
    }

    /// The default pager's memory object for `obj`, on `port` (whose
    /// receive right has gone to the pager in memory_object_create):
    /// memory_object_init follows on it.
    pub fn for_default_pager(port: &Arc<Port>, obj: &Arc<VmObject>) -> Arc<MemoryObject> {
        let mo = Arc::new_cyclic(|me| MemoryObject {
            port: port.clone(),
            send: Mutex::new(Right::copy_send(port)),
            control: Port::new(KObject::MemoryControl(me.clone())),
            state: Mutex::new(MoState { ready: false, pending: BTreeMap::new(), object: Arc::downgrade(obj) }),
            locks: Mutex::new(BTreeMap::new()),
            dead: AtomicBool::new(false),
            waiters: WaitQueue::new(),
            stats: Stats::default(),
            default: true,
        });
        mo.send_init();
        mo.watch_for_death();
        mo
    }

    /// Messages queued on the memory object port, not yet received.
    pub fn backlog(&self) -> usize {
        self.port.lock().messages.len()
    }

    /// How long a request waits before it is asked again (default
    /// pager) or fails.
    fn first_wait_ms(&self) -> u64 {
        if self.default { DEFAULT_PAGER_RETRY_MS } else { PAGER_TIMEOUT_MS }
    }

    fn timeout_ms(&self) -> u64 {
        if self.default { DEFAULT_PAGER_TIMEOUT_MS } else { PAGER_TIMEOUT_MS }
    }

    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// Sends a kernel-built message to the pager; a dead port kills the
    /// object.
    fn send(&self, k: Kmsg) {
        let mut k = k;
        k.dest = Right::copy_send(&self.port);
        if mqueue::deliver(k) != KERN_SUCCESS {
            self.die();
        }
    }

    fn send_init(&self) {
        let m = memory_object_init::Request::new(0, 0, PAGE);
        let control = Right::make_send(&self.control);
        let k = kmsg_of(m.bytes(), Right::Null).with_port(offset_of!(memory_object_init::Request, control), control);
        self.send(k);
    }

    /// Asks for a dead-name notification on the memory object port, sent
    /// to our own control port: how the kernel hears of the pager's death.
    fn watch_for_death(&self) {
        let so = Right::make_send_once(&self.control);
        let mut s = self.port.lock();
        if s.active {
            s.dnrequests.push((0, so));
        } else {
            drop(s);
            drop(so);
            self.die();
        }
    }

    /// A fault wants the page at `offset`: ask the pager unless someone
    /// already has, and tell the fault to wait.
    pub fn page_wanted(self: &Arc<Self>, offset: u64) -> PageWait {
        self.pages_wanted(offset, 1)
    }

    /// `page_wanted`, asking for up to `n` pages from `offset` in one
    /// request (as many as are not already asked for).
    pub fn pages_wanted(self: &Arc<Self>, offset: u64, n: u64) -> PageWait {
        if self.is_dead() {
            return PageWait::Error(KERN_MEMORY_ERROR);
        }
        let mut asked = 0;
        {
            let mut s = self.state.lock();
            if s.pending.contains_key(&offset) {
                self.stats.busy_waits.fetch_add(1, Ordering::Relaxed);
                return PageWait::Pager(self.clone(), offset);
            }
            let deadline = clock::ticks() + clock::ms_to_ticks(self.first_wait_ms());
            let give_up = clock::ticks() + clock::ms_to_ticks(self.timeout_ms());
            while asked < n.max(1) && !s.pending.contains_key(&(offset + asked * PAGE)) {
                s.pending.insert(offset + asked * PAGE, Pending::Asked { deadline, give_up });
                asked += 1;
            }
        }
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let args = RangeArgs { offset, length: asked * PAGE, access: VM_PROT_READ | VM_PROT_WRITE, flags: 0 };
        self.send(kmsg_of(memory_object_data_request::Request::new(0, args).bytes(), Right::Null));
        if self.is_dead() {
            return PageWait::Error(KERN_MEMORY_ERROR);
        }
        PageWait::Pager(self.clone(), offset)
    }

    /// The access the pager withholds from the page at `offset`.
    pub fn lock_of(&self, offset: u64) -> VmProt {
        self.locks.lock().get(&offset).copied().unwrap_or(0)
    }

    /// A fault needs `access` to a resident page the pager has locked:
    /// memory_object_data_unlock, then wait as for data (the pager answers
    /// with a lock_request that lowers the lock).
    pub fn unlock_wanted(self: &Arc<Self>, offset: u64, access: VmProt) -> PageWait {
        if self.is_dead() {
            return PageWait::Error(KERN_MEMORY_ERROR);
        }
        {
            let mut s = self.state.lock();
            if s.pending.contains_key(&offset) {
                return PageWait::Pager(self.clone(), offset);
            }
            let deadline = clock::ticks() + clock::ms_to_ticks(PAGER_TIMEOUT_MS);
            s.pending.insert(offset, Pending::Asked { deadline, give_up: deadline });
        }
        let args = RangeArgs { offset, length: PAGE, access, flags: 0 };
        self.send(kmsg_of(memory_object_data_unlock::Request::new(0, args).bytes(), Right::Null));
        PageWait::Pager(self.clone(), offset)
    }

    /// Blocks the calling thread until the pager has answered for the page
    /// at `offset` (Ok: fault again), failed it, died, or timed out.
    pub fn wait_for_page(&self, offset: u64) -> Result<(), KernReturn> {
        let me = sched::current();
        loop {
            let deadline = {
                let mut s = self.state.lock();
                match s.pending.get(&offset) {
                    None => return Ok(()),
                    Some(Pending::Failed(kr)) => {
                        let kr = *kr;
                        s.pending.remove(&offset);
                        return Err(kr);
                    }
                    Some(Pending::Asked { .. }) if self.is_dead() => return Err(KERN_MEMORY_ERROR),
                    Some(Pending::Asked { give_up, .. }) if clock::ticks() >= *give_up => {
                        // Forget the request: a late answer is ignored, and
                        // the next fault asks again.
                        s.pending.remove(&offset);
                        self.stats.timeouts.fetch_add(1, Ordering::Relaxed);
                        crate::kinfo!("memory object {}: no answer for offset {:#x} in {} ms",
                                      self.port.id, offset, self.timeout_ms());
                        return Err(KERN_MEMORY_ERROR);
                    }
                    Some(Pending::Asked { deadline, give_up }) if clock::ticks() >= *deadline => {
                        // Only the default pager's requests get here (their
                        // give_up is later): it holds the only copy, so a
                        // request (or answer) gone missing is asked again.
                        let give_up = *give_up;
                        let next = clock::ticks() + clock::ms_to_ticks(DEFAULT_PAGER_RETRY_MS);
                        s.pending.insert(offset, Pending::Asked { deadline: next, give_up });
                        drop(s);
                        crate::kinfo!("memory object {}: asking the default pager again for offset {:#x}", self.port.id, offset);
                        let args = RangeArgs { offset, length: PAGE, access: VM_PROT_READ | VM_PROT_WRITE, flags: 0 };
                        self.send(kmsg_of(memory_object_data_request::Request::new(0, args).bytes(), Right::Null));
                        next
                    }
                    Some(Pending::Asked { deadline, .. }) => *deadline,
                }
            };
            self.waiters.add(&me);
            sched::block_current_until(Some(deadline));
            self.waiters.remove(&me);
        }
    }

    /// The pager is gone (port death or memory_object_destroy).
    fn die(&self) {
        if self.dead.swap(true, Ordering::AcqRel) {
            return;
        }
        crate::kinfo!("memory object {}: pager gone; its faults fail", self.port.id);
        self.waiters.wake_all();
        // The object is unusable: even resident pages fault, with an error.
        // (An anonymous object keeps its resident pages: only those the
        // default pager held are lost.)
        let obj = self.state.lock().object.upgrade().filter(|_| !self.default);
        if let Some(obj) = obj {
            let pages = core::mem::take(&mut obj.lock().pages);
            for (_, p) in pages {
                obj.phys().free(p.frame);
            }
        }
    }

    /// The pending offsets in [offset, offset+length) still asked for.
    fn asked_in(&self, s: &MoState, offset: u64, length: u64) -> Vec<u64> {
        let end = offset.saturating_add(length);
        s.pending.range(offset..end).filter(|(_, p)| matches!(p, Pending::Asked { .. })).map(|(o, _)| *o).collect()
    }

    fn data_provided(&self, offset: u64, lock_value: VmProt, region: Option<OolRegion>) {
        let Some(region) = region else { return };
        let pages = region.size.div_ceil(PAGE);
        let mut s = self.state.lock();
        let Some(obj) = s.object.upgrade() else { return };
        let asked = if offset % PAGE == 0 { self.asked_in(&s, offset, pages * PAGE) } else { Vec::new() };
        let ignored = pages.saturating_sub(asked.len() as u64);
        self.stats.ignored.fetch_add(ignored, Ordering::Relaxed);
        for off in asked {
            match region.page_frame(off - offset, obj.phys()) {
                Some(frame) => {
                    if self.default {
                        obj.insert_paged_in(off, frame);
                    } else {
                        self.set_lock(off, lock_value);
                        obj.insert_page(off, frame, false);
                    }
                    s.pending.remove(&off);
                    self.stats.provided.fetch_add(1, Ordering::Relaxed);
                }
                None => {
                    s.pending.insert(off, Pending::Failed(KERN_RESOURCE_SHORTAGE));
                }
            }
        }
    }

    fn data_unavailable(&self, args: RangeArgs) {
        let mut s = self.state.lock();
        let Some(obj) = s.object.upgrade() else { return };
        for off in self.asked_in(&s, args.offset, args.length) {
            let p = match obj.zero_fill(off) {
                Ok(_) => {
                    obj.lock().swapped.remove(&off);
                    None
                }
                Err(kr) => Some(Pending::Failed(kr)),
            };
            match p {
                None => {
                    s.pending.remove(&off);
                    self.stats.unavailable.fetch_add(1, Ordering::Relaxed);
                }
                Some(p) => {
                    s.pending.insert(off, p);
                }
            }
        }
    }

    fn data_error(&self, args: RangeArgs, error: KernReturn) {
        let kr = if error == KERN_SUCCESS { KERN_MEMORY_ERROR } else { error };
        let mut s = self.state.lock();
        for off in self.asked_in(&s, args.offset, args.length) {
            s.pending.insert(off, Pending::Failed(kr));
        }
    }

    fn set_lock(&self, offset: u64, lock: VmProt) {
        let mut l = self.locks.lock();
        if lock == 0 {
            l.remove(&offset);
        } else {
            l.insert(offset, lock);
        }
    }

    /// memory_object_lock_request: returns (clean), discards (flush) the
    /// resident pages of the range and sets their lock (`args.access`, the
    /// access withheld; mappings that now allow too much are removed, the
    /// next access refaults); then lock_completed to `reply_to`.
    fn lock_request(&self, args: RangeArgs, reply_to: Right) {
        let obj = self.state.lock().object.upgrade();
        let mut writes = Vec::new();
        let lock = args.access & VM_PROT_ALL;
        if let Some(obj) = obj {
            let phys = obj.phys();
            let mut g = obj.lock();
            let end = args.offset.saturating_add(args.length);
            let mut cursor = args.offset;
            while let Some(off) = g.pages.range(cursor..end).next().map(|(o, _)| *o) {
                cursor = off + 1;
                if lock & !self.lock_of(off) != 0 {
                    phys.remove_mappings(g.pages[&off].frame);
                }
                self.set_lock(off, lock);
                if let Some(w) = lock_page(&mut g.pages, off, args.flags, phys) {
                    writes.push(w);
                }
            }
            drop(g);
            // Faults waiting for an unlock look again.
            let mut s = self.state.lock();
            let waiting: Vec<u64> = s.pending.range(args.offset..end).map(|(o, _)| *o).collect();
            for off in waiting {
                if obj.lock().pages.contains_key(&off) {
                    s.pending.remove(&off);
                }
            }
        }
        let mut runs = Runs::new(self);
        for (off, frame) in writes {
            runs.push(off, frame);
        }
        runs.flush();
        if !reply_to.is_null() {
            let m = memory_object_lock_completed::Request::new(0, range(args.offset, args.length));
            mqueue::deliver(kmsg_of(m.bytes(), reply_to));
        }
    }

    /// Gives the frame (taken from the object) back to the pager.
    pub fn data_write(&self, offset: u64, frame: u64) {
        self.data_write_run(offset, &[frame]);
    }

    /// Gives frames for consecutive pages from `offset` (taken from the
    /// object) back to the pager in one message, out of line and without a
    /// copy: they move into a fresh anonymous object that the message's map
    /// copy holds, and the pager's vm_deallocate frees them.
    pub fn data_write_run(&self, offset: u64, frames: &[u64]) {
        let size = frames.len() as u64 * PAGE;
        let carrier = VmObject::anonymous(size, &KERNEL_PHYS);
        for (i, &f) in frames.iter().enumerate() {
            carrier.insert_page(i as u64 * PAGE, f, true);
        }
        carrier.lock().in_flight = true;
        super::pageout::IN_FLIGHT.fetch_add(frames.len(), Ordering::Relaxed);
        let copy = super::copy::VmMapCopy {
            size,
            entries: alloc::vec![super::copy::CopyEntry { offset: 0, size, object: Some(carrier), object_offset: 0 }],
        };
        let m = memory_object_data_write::Request::new(0, OolDescriptor::new(0, size as u32, false), range(offset, size));
        let mut k = kmsg_of(m.bytes(), Right::Null);
        k.ool.push((offset_of!(memory_object_data_write::Request, data), OolRegion::mapped(copy)));
        self.stats.writes.fetch_add(frames.len() as u64, Ordering::Relaxed);
        self.send(k);
    }
}

/// Collects consecutive pages into runs of at most RUN pages, so that
/// returning many pages costs few messages.
pub struct Runs<'a> {
    mo: &'a MemoryObject,
    start: u64,
    frames: Vec<u64>,
}

const RUN: usize = 64;

impl<'a> Runs<'a> {
    pub fn new(mo: &'a MemoryObject) -> Self {
        Runs { mo, start: 0, frames: Vec::new() }
    }
    pub fn push(&mut self, offset: u64, frame: u64) {
        let next = self.start + self.frames.len() as u64 * PAGE;
        if !self.frames.is_empty() && (offset != next || self.frames.len() == RUN) {
            self.flush();
        }
        if self.frames.is_empty() {
            self.start = offset;
        }
        self.frames.push(frame);
    }
    pub fn flush(&mut self) {
        if !self.frames.is_empty() {
            self.mo.data_write_run(self.start, &self.frames);
            self.frames.clear();
        }
    }
}

impl Drop for Runs<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// One page of a lock_request: Some((offset, frame)) when the page is to
/// be returned to the pager (the frame then belongs to the caller).
fn lock_page(pages: &mut BTreeMap<u64, Page>, off: u64, flags: u32, phys: &'static dyn PhysMem) -> Option<(u64, u64)> {
    let flush = flags & MEMORY_OBJECT_FLUSH != 0;
    let page = pages.get_mut(&off)?;
    if flush {
        phys.remove_mappings(page.frame);
    }
    let dirty = page.dirty | phys.take_modified(page.frame);
    let give = match flags & 3 {
        MEMORY_OBJECT_RETURN_ALL => true,
        MEMORY_OBJECT_RETURN_DIRTY => dirty,
        _ => false,
    };
    if flush {
        let page = pages.remove(&off)?;
        if give {
            return Some((off, page.frame));
        }
        phys.free(page.frame);
        return None;
    }
    if give {
        // Cleaned: the pager gets a copy, the page stays, clean.
        page.dirty = false;
        return phys.alloc_copy(page.frame).map(|f| (off, f));
    }
    page.dirty = dirty;
    None
}

/// The VM object for a memory object port: the existing one, or a new
/// one (and memory_object_init to the pager).
fn object_for(port: &Arc<Port>) -> Result<Arc<VmObject>, KernReturn> {
    {
        let s = port.lock();
        // A kernel port would be served in place, under the faulting map.
        if !s.active || s.kobject.is_kernel() {
            return Err(KERN_INVALID_ARGUMENT);
        }
    }
    let mut reg = OBJECTS.lock();
    if let Some(o) = reg.get(&port.id).and_then(Weak::upgrade) {
        return Ok(o);
    }
    let mo = MemoryObject::new(port);
    let obj = VmObject::with_pager(OBJECT_SIZE, mo.clone(), &KERNEL_PHYS);
    mo.state.lock().object = Arc::downgrade(&obj);
    reg.insert(port.id, Arc::downgrade(&obj));
    drop(reg);
    mo.send_init();
    mo.watch_for_death();
    Ok(obj)
}

/// The object's last reference went (VmObject's drop): dirty pages go
/// back to the pager, then memory_object_terminate; the control port dies.
pub fn object_terminated(mo: &Arc<MemoryObject>, phys: &'static dyn PhysMem, pages: &mut BTreeMap<u64, Page>) {
    if !mo.is_dead() {
        let mut runs = Runs::new(mo);
        let mut cursor = 0;
        while let Some(off) = pages.range(cursor..).next().map(|(o, _)| *o) {
            cursor = off + 1;
            if let Some((o, frame)) = lock_page(pages, off, MEMORY_OBJECT_RETURN_DIRTY | MEMORY_OBJECT_FLUSH, phys) {
                runs.push(o, frame);
            }
        }
        runs.flush();
        mo.send(kmsg_of(memory_object_terminate::Request::new(0, range(0, 0)).bytes(), Right::Null));
    }
    {
        let mut reg = OBJECTS.lock();
        if reg.get(&mo.port.id).is_some_and(|w| w.strong_count() == 0) {
            reg.remove(&mo.port.id);
        }
    }
    let s = &mo.stats;
    crate::kinfo!("memory object {} terminated: {} data requests, {} provided, {} unavailable, {} ignored, {} timeouts, {} data writes, {} waits on busy pages",
                  mo.port.id, s.requests.load(Ordering::Relaxed), s.provided.load(Ordering::Relaxed),
                  s.unavailable.load(Ordering::Relaxed), s.ignored.load(Ordering::Relaxed),
                  s.timeouts.load(Ordering::Relaxed), s.writes.load(Ordering::Relaxed),
                  s.busy_waits.load(Ordering::Relaxed));
    crate::kinfo!("pageout so far: {}", super::pageout::Summary);
    let send = core::mem::replace(&mut *mo.send.lock(), Right::Null);
    drop(send);
    crate::ipc::port::destroy(mo.control.clone());
    mo.dead.store(true, Ordering::Release);
}

/// The anonymous object of a default pager's memory object is gone: the
/// pager hears terminate (its slots are free) and the control port dies.
pub fn default_object_terminated(mo: &Arc<MemoryObject>) {
    if !mo.is_dead() {
        mo.send(kmsg_of(memory_object_terminate::Request::new(0, range(0, 0)).bytes(), Right::Null));
    }
    let send = core::mem::replace(&mut *mo.send.lock(), Right::Null);
    drop(send);
    crate::ipc::port::destroy(mo.control.clone());
    mo.dead.store(true, Ordering::Release);
}

/// `task` serves memory objects (the default pager): it may dip into the
/// reserve as pagers do, before its first call on a control port.
pub fn add_pager_task(task: u64) {
    PAGER_TASKS.lock().insert(task);
}

/// Messages to a control port, from the pager (or the kernel's own
/// dead-name notification). All are one-way: nothing is replied.
pub fn control_server(w: &Weak<MemoryObject>, req: &mut Kmsg) {
    let Some(mo) = w.upgrade() else { return };
    if let Some(task) = sched::current().task.clone() {
        PAGER_TASKS.lock().insert(task.id);
    }
    super::pageout::reclaim_if_low_nowait();
    let data = core::mem::take(&mut req.data);
    match req.header.id {
        MEMORY_OBJECT_DATA_PROVIDED => {
            if let Ok(r) = memory_object_data_provided::Request::parse(&data) {
                let region = take_ool(req, offset_of!(memory_object_data_provided::Request, data));
                mo.data_provided(r.offset, r.lock_value & VM_PROT_ALL, region);
            }
        }
        MEMORY_OBJECT_DATA_UNAVAILABLE => {
            if let Ok(r) = memory_object_data_unavailable::Request::parse(&data) {
                mo.data_unavailable(r.args);
            }
        }
        MEMORY_OBJECT_DATA_ERROR => {
            if let Ok(r) = memory_object_data_error::Request::parse(&data) {
                mo.data_error(r.args, r.error);
            }
        }
        MEMORY_OBJECT_LOCK_REQUEST => {
            if let Ok(r) = memory_object_lock_request::Request::parse(&data) {
                let reply = take_port(req, offset_of!(memory_object_lock_request::Request, reply_to));
                mo.lock_request(r.args, reply);
            }
        }
        MEMORY_OBJECT_SET_ATTRIBUTES => {
            if let Ok(r) = memory_object_set_attributes::Request::parse(&data) {
                mo.state.lock().ready = r.ready != 0;
            }
        }
        MEMORY_OBJECT_DESTROY => {
            if memory_object_destroy::Request::parse(&data).is_ok() {
                OBJECTS.lock().remove(&mo.port.id);
                mo.die();
            }
        }
        MACH_NOTIFY_DEAD_NAME => mo.die(),
        _ => {}
    }
    mo.waiters.wake_all();
}

fn take_port(req: &mut Kmsg, off: usize) -> Right {
    match req.ports.iter().position(|(o, _)| *o == off) {
        Some(i) => req.ports.swap_remove(i).1,
        None => Right::Null,
    }
}

fn take_ool(req: &mut Kmsg, off: usize) -> Option<OolRegion> {
    let i = req.ool.iter().position(|(o, _)| *o == off)?;
    Some(req.ool.swap_remove(i).1)
}

/// vm_map on a task port: maps `size` bytes of the memory object (or, for
/// a null object, anonymous memory) at `offset`. Returns the reply.
pub fn vm_map_server(task: &Arc<Task>, req: &mut Kmsg) -> Kmsg {
    let r = match vm_map::Request::parse(&req.data) {
        Ok(r) => r,
        Err(kr) => return kmsg_of(mach::rpc::as_bytes(&mach::rpc::reply_error(&req.header, kr)), Right::Null),
    };
    let object = take_port(req, offset_of!(vm_map::Request, object));
    match vm_map(task, &r, object) {
        Ok(addr) => kmsg_of(mach::rpc::as_bytes(&vm_map::Reply::new(&r.header, addr)), Right::Null),
        Err(kr) => kmsg_of(mach::rpc::as_bytes(&mach::rpc::reply_error(&r.header, kr)), Right::Null),
    }
}

fn vm_map(task: &Arc<Task>, r: &vm_map::Request, object: Right) -> Result<u64, KernReturn> {
    let size = round_page(r.size).filter(|&s| s > 0).ok_or(KERN_INVALID_ARGUMENT)?;
    if r.offset % PAGE != 0 || r.protection & !VM_PROT_ALL != 0 || r.max_protection & !VM_PROT_ALL != 0
        || !matches!(r.inheritance, VM_INHERIT_SHARE | VM_INHERIT_COPY | VM_INHERIT_NONE)
        || r.offset.checked_add(size).is_none_or(|e| e > OBJECT_SIZE)
    {
        return Err(KERN_INVALID_ARGUMENT);
    }
    let obj = match &object {
        Right::Null => None,
        Right::Send(p) => Some(object_for(p)?),
        _ => return Err(KERN_INVALID_CAPABILITY),
    };
    let mut vm = task.vm.lock();
    let start = if r.anywhere != 0 {
        let align = r.mask.saturating_add(1).max(PAGE);
        let hint = trunc_page(r.address).next_multiple_of(align);
        find_aligned(&vm.map, size, hint, align).ok_or(KERN_NO_SPACE)?
    } else {
        trunc_page(r.address)
    };
    let end = start.checked_add(size).ok_or(KERN_INVALID_ADDRESS)?;
    let prot = r.protection & r.max_protection;
    let mut e = match obj {
        Some(o) => MapEntry { needs_copy: r.copy != 0, ..MapEntry::with_object(start, end, o, r.offset, prot, r.max_protection) },
        None => MapEntry::new(start, end, prot, r.max_protection),
    };
    e.inheritance = r.inheritance;
    vm.map.insert(e).map_err(super::user::map_error)?;
    Ok(start)
}

/// A free range of `size` bytes aligned to `align` (vm_map's mask).
fn find_aligned(map: &super::map::VmMap, size: u64, hint: u64, align: u64) -> Option<u64> {
    let mut at = hint;
    loop {
        let a = map.find_space(size, at)?;
        let aligned = a.next_multiple_of(align);
        if aligned == a {
            return Some(a);
        }
        at = aligned;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::page::testmem::TestMem;

    fn pages(mem: &'static TestMem, n: u64) -> BTreeMap<u64, Page> {
        (0..n).map(|i| (i * PAGE, Page::new(mem.alloc_zeroed().unwrap()))).collect()
    }

    #[test]
    fn flush_returns_dirty_pages_and_frees_clean_ones() {
        let mem = TestMem::new(10);
        let mut p = pages(mem, 2);
        p.get_mut(&0).unwrap().dirty = true;
        let dirty = p[&0].frame;
        let flags = MEMORY_OBJECT_RETURN_DIRTY | MEMORY_OBJECT_FLUSH;
        assert_eq!(lock_page(&mut p, 0, flags, mem), Some((0, dirty)));
        assert_eq!(lock_page(&mut p, PAGE, flags, mem), None);
        assert!(p.is_empty());
        // The returned frame is the caller's; the clean one went back.
        assert_eq!(mem.live(), 1);
    }

    #[test]
    fn clean_without_flush_returns_a_copy_and_keeps_the_page() {
        let mem = TestMem::new(10);
        let mut p = pages(mem, 1);
        mem.write(p[&0].frame, 0, &[9]);
        p.get_mut(&0).unwrap().dirty = true;
        let (off, copy) = lock_page(&mut p, 0, MEMORY_OBJECT_RETURN_DIRTY, mem).unwrap();
        assert_eq!((off, mem.byte(copy, 0)), (0, 9));
        assert_ne!(copy, p[&0].frame);
        assert!(!p[&0].dirty);
        // Clean now: nothing more to return.
        assert_eq!(lock_page(&mut p, 0, MEMORY_OBJECT_RETURN_DIRTY, mem), None);
        assert_eq!(lock_page(&mut p, 0, MEMORY_OBJECT_RETURN_ALL, mem).map(|(o, _)| o), Some(0));
    }
}
