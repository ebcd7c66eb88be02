//! The default memory manager (Mach's default pager, seed 003): a boot
//! task the kernel trusts with the anonymous pages its pageout evicts once
//! the in-kernel compressed store is full or a page does not compress.
//!
//! `default-pager [DEVICE]` opens DEVICE (default `hd1`, the second
//! virtio disk) as its swap space, registers its port with
//! host_set_default_memory_manager, and serves:
//!
//! - memory_object_create (on its own port): a new object; the message
//!   carries the receive right of the object's memory object port, which
//!   joins the port set;
//! - memory_object_init: the object's control port (set_attributes ready);
//! - memory_object_data_write: each page gets a slot (a page-sized record
//!   group of the device, from a bitmap) and is written there; the pages'
//!   memory is then let go;
//! - memory_object_data_request: the page is read from its slot and given
//!   back with data_provided; a page never written gets data_unavailable,
//!   a failed read data_error;
//! - memory_object_terminate: the object's slots are free again.
//!
//! With the swap space full a page is kept in this task's memory instead
//! (never dropped): memory then runs out and the kernel's out-of-memory
//! policy ends the largest process. Without a swap device it says so and
//! exits: the system goes on with the compressed store alone.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use mach::defs::device::*;
use mach::defs::host::host_set_default_memory_manager;
use mach::defs::memory_object::*;
use mach::defs::task::task_get_special_port;
use mach::kern_return::*;
use mach::message::{OolDescriptor, MACH_RCV_TIMEOUT};
use mach::port::*;
use mach::vm::PAGE_SIZE;
use machrt::msg::Buffer;
use machrt::rpc::{host_self, task_self, Kernel};
use machrt::{port, println};

#[global_allocator]
static HEAP: machrt::heap::TaskHeap = machrt::heap::TaskHeap::new();

const PAGE: u64 = PAGE_SIZE as u64;
const RECORD: u64 = 512;
const RECORDS_PER_PAGE: u64 = PAGE / RECORD;
/// A progress line every this many pages written.
const REPORT_EVERY: u64 = 16384;
/// Pages in one device transfer at most (the driver's bounce buffer is
/// 128 KiB).
const MAX_RUN: usize = 32;
/// Tries of a device transfer before it counts as failed.
const RETRIES: u32 = 5;

/// Sends an answer to the kernel, again after a pause if it is refused
/// (memory short for the message for a moment): a lost answer would leave
/// a fault waiting until the kernel asks again.
fn answer(what: &str, mut send: impl FnMut() -> Result<(), KernReturn>) {
    static mut FAILED: u32 = 0;
    for attempt in 0..RETRIES {
        match send() {
            Ok(()) => return,
            Err(kr) => {
                // SAFETY: one thread.
                let failed = unsafe { &mut *core::ptr::addr_of_mut!(FAILED) };
                *failed += 1;
                if *failed <= 3 {
                    println!("default pager: {}: {:?} (attempt {})", what, kr, attempt + 1);
                }
                pause_ms(10 * (attempt + 1));
            }
        }
    }
}

/// Sleeps `ms` milliseconds: a receive that times out on a port nobody
/// sends to.
fn pause_ms(ms: u32) {
    static mut NAP: PortName = MACH_PORT_NULL;
    // SAFETY: one thread.
    let nap = unsafe { &mut *core::ptr::addr_of_mut!(NAP) };
    if *nap == MACH_PORT_NULL {
        *nap = port::allocate(task_self(), MACH_PORT_RIGHT_RECEIVE).unwrap_or(MACH_PORT_NULL);
    }
    let mut buf = Buffer::<64>::new();
    let _ = machrt::msg::receive(&mut buf, *nap, MACH_RCV_TIMEOUT, ms);
}

/// The swap space: one slot per page of the device, a bit each.
struct Slots {
    used: Vec<u64>,
    count: u32,
    in_use: u32,
    /// Where the search for a free slot starts (the last one taken).
    hint: u32,
}

impl Slots {
    fn new(count: u32) -> Slots {
        Slots { used: alloc::vec![0; (count as usize).div_ceil(64)], count, in_use: 0, hint: 0 }
    }

    fn alloc(&mut self) -> Option<u32> {
        if self.in_use == self.count {
            return None;
        }
        // Next fit: the slot after the last one, when free, keeps a run
        // of writes on consecutive slots.
        let next = self.hint.wrapping_add(1);
        if next < self.count && self.used[next as usize / 64] & (1 << (next % 64)) == 0 {
            self.used[next as usize / 64] |= 1 << (next % 64);
            self.in_use += 1;
            self.hint = next;
            return Some(next);
        }
        let words = self.used.len();
        let start = self.hint as usize / 64;
        for i in 0..words {
            let w = (start + i) % words;
            let free = !self.used[w];
            if free == 0 {
                continue;
            }
            let slot = (w * 64) as u32 + free.trailing_zeros();
            if slot >= self.count {
                continue;
            }
            self.used[w] |= 1 << (slot % 64);
            self.in_use += 1;
            self.hint = slot;
            return Some(slot);
        }
        None
    }

    fn free(&mut self, slot: u32) {
        let (w, b) = (slot as usize / 64, 1u64 << (slot % 64));
        if self.used[w] & b != 0 {
            self.used[w] &= !b;
            self.in_use -= 1;
        }
    }
}

/// Where a page of an object is kept.
enum Home {
    Slot(u32),
    /// The swap space was full: the page (its address here) stays in memory.
    Held(u64),
}

#[derive(Default)]
struct Object {
    control: PortName,
    pages: BTreeMap<u64, Home>,
    written: u64,
    read: u64,
}

struct Pager {
    dev: PortName,
    slots: Slots,
    objects: BTreeMap<PortName, Object>,
    writes: u64,
    reads: u64,
    held: u64,
    errors: u64,
}

impl Pager {
    fn report(&self, why: &str) {
        println!("default pager: {}: {} pages written, {} read back, {} of {} slots in use, {} held in memory, {} errors, {} objects",
                 why, self.writes, self.reads, self.slots.in_use, self.slots.count, self.held, self.errors,
                 self.objects.len());
    }

    fn create(&mut self, set: PortName, buf: &Buffer<512>) {
        let h = buf.header();
        let Ok(r) = memory_object_create::Request::parse(&buf.0[..h.size as usize]) else {
            println!("default pager: a malformed memory_object_create");
            return;
        };
        let name = r.object.name;
        if name == MACH_PORT_NULL || self.objects.contains_key(&name) {
            println!("default pager: memory_object_create without a new port");
            return;
        }
        if let Err(kr) = port::move_member(task_self(), name, set) {
            println!("default pager: object port {} not served: {:?}", name, kr);
            return;
        }
        self.objects.insert(name, Object::default());
    }

    /// A message on an object's port; false when the object is gone.
    fn object_message(&mut self, name: PortName, buf: &Buffer<512>) {
        let h = buf.header();
        let bytes = &buf.0[..(h.size as usize).min(buf.0.len())];
        match h.id {
            MEMORY_OBJECT_INIT => {
                let Ok(r) = memory_object_init::Request::parse(bytes) else { return };
                let control = r.control.name;
                if let Some(o) = self.objects.get_mut(&name) {
                    o.control = control;
                }
                answer("set_attributes", || memory_object_set_attributes::send(&Kernel, control, 1, 0));
            }
            MEMORY_OBJECT_DATA_WRITE => {
                let Ok(r) = memory_object_data_write::Request::parse(bytes) else { return };
                self.data_write(name, r.args, r.data);
            }
            MEMORY_OBJECT_DATA_REQUEST => {
                let Ok(r) = memory_object_data_request::Request::parse(bytes) else { return };
                self.data_request(name, r.args);
            }
            MEMORY_OBJECT_TERMINATE => self.terminate(name),
            id => println!("default pager: unexpected message {} on object {}", id, name),
        }
    }

    /// Forgets where the page at `off` was kept (its newer contents are
    /// coming).
    fn forget(&mut self, name: PortName, off: u64) {
        let Some(o) = self.objects.get_mut(&name) else { return };
        match o.pages.remove(&off) {
            Some(Home::Slot(s)) => self.slots.free(s),
            Some(Home::Held(a)) => {
                machrt::vm::vm_deallocate(a, PAGE);
                self.held -= 1;
            }
            None => {}
        }
    }

    /// Pages back from the kernel: each gets a fresh slot (taken in order,
    /// so the run goes to consecutive slots and out in few device_writes,
    /// and a later sequential read comes back the same way).
    fn data_write(&mut self, name: PortName, args: RangeArgs, data: OolDescriptor) {
        let (addr, size) = (data.address, data.size as u64);
        if !self.objects.contains_key(&name) {
            machrt::vm::vm_deallocate(addr, size);
            return;
        }
        let n = size / PAGE;
        let mut slots = Vec::new();
        for i in 0..n {
            self.forget(name, args.offset + i * PAGE);
            slots.push(self.slots.alloc());
        }
        let mut keep = false;
        let mut i = 0;
        while i < n as usize {
            // The run of consecutive slots from page i (at most a transfer).
            let mut k = 1;
            while i + k < n as usize && k < MAX_RUN
                && slots[i].is_some_and(|s| slots[i + k] == Some(s + k as u32)) {
                k += 1;
            }
            let mut stored = slots[i].is_some_and(|s| self.write_run(addr + i as u64 * PAGE, s, k as u64));
            if !stored && k > 1 {
                // One page at a time: a big transfer may find the kernel
                // short of buffer memory where a small one does not.
                k = 1;
                stored = slots[i].is_some_and(|s| self.write_run(addr + i as u64 * PAGE, s, 1));
            }
            let o = self.objects.get_mut(&name).expect("checked above");
            for j in i..i + k {
                let off = args.offset + j as u64 * PAGE;
                match (stored, slots[j]) {
                    (true, Some(s)) => {
                        o.pages.insert(off, Home::Slot(s));
                    }
                    (_, slot) => {
                        // No room (or a failed write): the page stays
                        // here, never lost.
                        if let Some(s) = slot {
                            self.slots.free(s);
                        }
                        o.pages.insert(off, Home::Held(addr + j as u64 * PAGE));
                        self.held += 1;
                        keep = true;
                    }
                }
                o.written += 1;
            }
            i += k;
        }
        self.writes += n;
        self.release(addr, size, keep, args.offset, name);
        if (self.writes - n) / REPORT_EVERY != self.writes / REPORT_EVERY {
            self.report("progress");
        }
    }

    /// Writes `k` pages from `addr` to the slots from `slot`, trying again
    /// a few times after a pause (the kernel may be short of memory for a
    /// moment: pageout is what this task is for).
    fn write_run(&mut self, addr: u64, slot: u32, k: u64) -> bool {
        for attempt in 0..RETRIES {
            let d = OolDescriptor::new(addr, (k * PAGE) as u32, false);
            match device_write::call(&Kernel, self.dev, d, D_WRITE, slot as u64 * RECORDS_PER_PAGE) {
                Ok(r) if r.bytes_written as u64 == k * PAGE => return true,
                r => self.note_error("device_write", r.err().unwrap_or(D_IO_ERROR), attempt),
            }
        }
        false
    }

    /// Reads `k` pages from the slots from `slot` (retried as writes are).
    fn read_run(&mut self, slot: u32, k: u64) -> Option<u64> {
        let bytes = (k * PAGE) as u32;
        for attempt in 0..RETRIES {
            match device_read::call(&Kernel, self.dev, D_READ, slot as u64 * RECORDS_PER_PAGE, bytes) {
                Ok(r) if r.data.size == bytes => return Some(r.data.address),
                Ok(r) => {
                    machrt::vm::vm_deallocate(r.data.address, r.data.size as u64);
                    self.note_error("device_read", D_IO_ERROR, attempt);
                }
                Err(kr) => self.note_error("device_read", kr, attempt),
            }
        }
        None
    }

    fn note_error(&mut self, what: &str, kr: KernReturn, attempt: u32) {
        self.errors += 1;
        if self.errors <= 3 {
            println!("default pager: {}: {:?} (attempt {})", what, kr, attempt + 1);
        }
        pause_ms(10 * (attempt + 1));
    }

    /// Lets the pages of a data_write go, but for those held in memory.
    fn release(&mut self, addr: u64, size: u64, keep: bool, offset: u64, name: PortName) {
        if !keep {
            machrt::vm::vm_deallocate(addr, size);
            return;
        }
        let Some(o) = self.objects.get(&name) else { return };
        for i in 0..size / PAGE {
            let held = matches!(o.pages.get(&(offset + i * PAGE)), Some(Home::Held(a)) if *a == addr + i * PAGE);
            if !held {
                machrt::vm::vm_deallocate(addr + i * PAGE, PAGE);
            }
        }
    }

    /// Pages the kernel wants: runs of consecutive slots are read in one
    /// device_read and given back in one data_provided.
    fn data_request(&mut self, name: PortName, args: RangeArgs) {
        let Some(o) = self.objects.get(&name) else { return };
        let control = o.control;
        let pages = args.length.div_ceil(PAGE).clamp(1, 64);
        let mut i = 0;
        while i < pages {
            let off = args.offset + i * PAGE;
            let o = self.objects.get_mut(&name).expect("looked up above");
            let one = RangeArgs { offset: off, length: PAGE, ..args };
            match o.pages.get(&off) {
                None => {
                    answer("data_unavailable", || memory_object_data_unavailable::send(&Kernel, control, one));
                    i += 1;
                }
                Some(Home::Held(a)) => {
                    // Moved back to the kernel (deallocated from here).
                    let d = OolDescriptor::new(*a, PAGE as u32, true);
                    answer("data_provided", || memory_object_data_provided::send(&Kernel, control, d, off, 0));
                    o.pages.remove(&off);
                    self.held -= 1;
                    o.read += 1;
                    self.reads += 1;
                    i += 1;
                }
                Some(Home::Slot(s)) => {
                    let s = *s;
                    let mut k = 1;
                    while i + k < pages && (k as usize) < MAX_RUN
                        && matches!(o.pages.get(&(off + k * PAGE)), Some(Home::Slot(t)) if *t == s + k as u32) {
                        k += 1;
                    }
                    let mut got = self.read_run(s, k);
                    if got.is_none() && k > 1 {
                        k = 1;
                        got = self.read_run(s, 1);
                    }
                    let o = self.objects.get_mut(&name).expect("looked up above");
                    match got {
                        Some(a) => {
                            let d = OolDescriptor::new(a, (k * PAGE) as u32, true);
                            answer("data_provided", || memory_object_data_provided::send(&Kernel, control, d, off, 0));
                            o.read += k;
                            self.reads += k;
                        }
                        None => {
                            let bad = RangeArgs { offset: off, length: k * PAGE, ..args };
                            answer("data_error", || memory_object_data_error::send(&Kernel, control, bad, KERN_MEMORY_ERROR));
                        }
                    }
                    i += k;
                }
            }
        }
    }

    fn terminate(&mut self, name: PortName) {
        let Some(o) = self.objects.remove(&name) else { return };
        for (_, home) in o.pages {
            match home {
                Home::Slot(s) => self.slots.free(s),
                Home::Held(a) => {
                    machrt::vm::vm_deallocate(a, PAGE);
                    self.held -= 1;
                }
            }
        }
        let _ = port::destroy(task_self(), name);
        let _ = port::deallocate(task_self(), o.control);
        if o.written >= REPORT_EVERY / 4 {
            println!("default pager: an object of {} pages written, {} read back is gone", o.written, o.read);
            self.report("now");
        }
    }
}

fn open_swap(name: &str) -> Result<(PortName, u32), KernReturn> {
    let master = task_get_special_port::call(&Kernel, task_self(), TASK_DEVICE_MASTER_PORT).map(|r| { r.port }.name)?;
    let dev = device_open::call(&Kernel, master, D_READ | D_WRITE, dev_name(name)).map(|r| { r.device }.name)?;
    let st = device_get_status::call(&Kernel, dev, DEV_GET_SIZE)?.status;
    let (records, size) = (st[DEV_GET_SIZE_RECORDS] as u64, st[DEV_GET_SIZE_RECORD_SIZE] as u64);
    if size != RECORD {
        return Err(D_INVALID_SIZE);
    }
    let slots = (records / RECORDS_PER_PAGE).min(u32::MAX as u64) as u32;
    Ok((dev, slots))
}

fn main(args: machrt::Args) -> i32 {
    let devname = args.get(1).unwrap_or("hd1");
    let (dev, count) = match open_swap(devname) {
        Ok(d) => d,
        Err(kr) => {
            println!("default pager: no swap device {} ({:?}): not started", devname, kr);
            return 0;
        }
    };
    let t = task_self();
    let manager = port::allocate(t, MACH_PORT_RIGHT_RECEIVE).expect("a port");
    let set = port::allocate(t, MACH_PORT_RIGHT_PORT_SET).expect("a port set");
    port::move_member(t, manager, set).expect("the manager port joins the set");
    if let Err(kr) = host_set_default_memory_manager::call(&Kernel, host_self(), manager) {
        println!("default pager: host_set_default_memory_manager: {:?}", kr);
        return 1;
    }
    let mut p = Pager { dev, slots: Slots::new(count), objects: BTreeMap::new(), writes: 0, reads: 0, held: 0, errors: 0 };
    println!("default pager: swap on {}, {} slots of {} KiB", devname, count, PAGE / 1024);
    let mut buf = Buffer::<512>::new();
    loop {
        let kr = machrt::msg::receive(&mut buf, set, 0, 0);
        if kr != KERN_SUCCESS {
            // A message too large or malformed for us: dropped, go on.
            println!("default pager: receive: {:?}", kr);
            continue;
        }
        let local = buf.header().local_port;
        if local == manager {
            if buf.header().id == MEMORY_OBJECT_CREATE {
                p.create(set, &buf);
            } else {
                println!("default pager: unexpected message {} on its port", buf.header().id);
            }
        } else if p.objects.contains_key(&local) {
            p.object_message(local, &buf);
        } else {
            println!("default pager: message {} on port {}, not an object of ours", buf.header().id, local);
        }
    }
}

machrt::entry!(main);
