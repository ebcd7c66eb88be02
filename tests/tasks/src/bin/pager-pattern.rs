//! A memory object's pager, run as the first boot task (it holds the
//! bootstrap port's receive right, where clients ask for the object).
//! It serves a known pattern (`pager_byte`) and stores the pages that come
//! back by memory_object_data_write: a page of the pressure test's pattern
//! as one bit, anything else in a small table of raw pages.
//!
//! Misbehaving modes, for the kernel's failure handling (seed 000):
//! `silent` never answers a data request, `wrong` answers with a page
//! nobody asked for, `toomuch` answers with four pages where one was asked,
//! `die` exits with a request outstanding, `error` answers data_error;
//! `unavailable` answers data_unavailable (zero fill), which is no fault;
//! `locked` provides pages write-locked and unlocks them on data_unlock.
#![no_std]
#![no_main]

use mach::defs::memory_object::*;
use mach::kern_return::*;
use mach::message::*;
use mach::port::*;
use mach::vm::{PAGE_SIZE, VM_PROT_NONE, VM_PROT_WRITE};
use machrt::msg::Buffer;
use machrt::rpc::Kernel;
use machrt::{port, println};
use test_tasks::*;

const PAGE: u64 = PAGE_SIZE as u64;
/// Pages the object may have (64 MiB).
const MAX_PAGES: usize = 16384;
const RAW_PAGES: usize = 16;

struct Pager {
    mode: &'static str,
    control: PortName,
    /// Pages as the pressure test wrote them.
    written: [u64; MAX_PAGES / 64],
    raw: [(u64, [u8; PAGE_SIZE]); RAW_PAGES],
    raw_used: usize,
    /// Generation served next (a flush bumps it).
    gen: u8,
    requests: u64,
    seen: [u64; MAX_PAGES / 64],
    distinct: u64,
    writes: u64,
    lost: u64,
    buf: u64,
    /// Guest instructions spent filling pages (rdtsc under icount).
    fill_cost: u64,
    fills: u64,
    /// A client waiting for its flush to complete.
    flush_reply: PortName,
    done: PortName,
}

static mut PAGER: Pager = Pager {
    mode: "serve", control: 0, written: [0; MAX_PAGES / 64], raw: [(u64::MAX, [0; PAGE_SIZE]); RAW_PAGES],
    raw_used: 0, gen: 0, requests: 0, seen: [0; MAX_PAGES / 64], distinct: 0, writes: 0, lost: 0, buf: 0,
    fill_cost: 0, fills: 0,
    flush_reply: 0, done: 0,
};

fn bit(map: &mut [u64], page: usize, set: bool) -> bool {
    let (w, b) = (page / 64, 1u64 << (page % 64));
    let was = map[w] & b != 0;
    if set {
        map[w] |= b;
    }
    was
}

impl Pager {
    /// Fills `n` pages of the send buffer with the object's contents from `offset`.
    fn fill(&mut self, offset: u64, n: u64) {
        for i in 0..n {
            let off = offset + i * PAGE;
            // SAFETY: buf is a 16-page region this task allocated.
            let dst = unsafe { core::slice::from_raw_parts_mut((self.buf + i * PAGE) as *mut u8, PAGE_SIZE) };
            let page = (off / PAGE) as usize;
            if let Some(r) = self.raw.iter().find(|r| r.0 == off) {
                dst.copy_from_slice(&r.1);
            } else if page < MAX_PAGES && bit(&mut self.written, page, false) {
                for (j, w) in dst.chunks_exact_mut(8).enumerate() {
                    w.copy_from_slice(&written_word(off + j as u64 * 8).to_ne_bytes());
                }
            } else {
                for (j, b) in dst.iter_mut().enumerate() {
                    *b = pager_byte(off + j as u64, self.gen);
                }
            }
        }
    }

    fn provide(&mut self, offset: u64, n: u64) {
        let t0 = machrt::trap::rdtsc();
        self.fill(offset, n);
        self.fill_cost += machrt::trap::rdtsc() - t0;
        self.fills += n;
        let d = OolDescriptor::new(self.buf, (n * PAGE) as u32, false);
        let lock = if self.mode == "locked" { VM_PROT_WRITE } else { VM_PROT_NONE };
        let kr = memory_object_data_provided::send(&Kernel, self.control, d, offset, lock);
        if kr.is_err() {
            println!("pager: data_provided: {:?}", kr);
        }
    }

    fn data_request(&mut self, args: RangeArgs) {
        self.requests += 1;
        let page = (args.offset / PAGE) as usize;
        if page < MAX_PAGES && !bit(&mut self.seen, page, true) {
            self.distinct += 1;
        }
        match self.mode {
            "silent" => println!("pager: ignoring the data request at {:#x}", args.offset),
            "wrong" => {
                println!("pager: answering the request at {:#x} with the page after it", args.offset);
                self.provide(args.offset + PAGE, 1);
            }
            "toomuch" => self.provide(args.offset, 4),
            "unavailable" => {
                let _ = memory_object_data_unavailable::send(&Kernel, self.control, args);
            }
            "error" => {
                let _ = memory_object_data_error::send(&Kernel, self.control, args, KERN_MEMORY_ERROR);
            }
            "die" => {
                println!("pager: dying with the request at {:#x} outstanding", args.offset);
                machrt::trap::task_exit(0);
            }
            _ => self.provide(args.offset, args.length.div_ceil(PAGE).clamp(1, 16)),
        }
    }

    /// A dirty page back from the kernel: keep it (compactly if it is the
    /// pressure test's pattern), then let its memory go.
    fn data_write(&mut self, args: RangeArgs, data: &OolDescriptor) {
        let (addr, size) = (data.address, data.size as u64);
        for i in 0..size / PAGE {
            let off = args.offset + i * PAGE;
            // SAFETY: the kernel mapped the data here for us.
            let src = unsafe { core::slice::from_raw_parts((addr + i * PAGE) as *const u8, PAGE_SIZE) };
            self.store(off, src);
            self.writes += 1;
        }
        let _ = machrt::vm::vm_deallocate(addr, size);
    }

    fn store(&mut self, off: u64, src: &[u8]) {
        let page = (off / PAGE) as usize;
        let patterned = src.chunks_exact(8).enumerate()
            .all(|(j, w)| u64::from_ne_bytes(w.try_into().unwrap()) == written_word(off + j as u64 * 8));
        if patterned && page < MAX_PAGES {
            bit(&mut self.written, page, true);
            return;
        }
        if let Some(r) = self.raw.iter_mut().find(|r| r.0 == off) {
            r.1.copy_from_slice(src);
        } else if self.raw_used < RAW_PAGES {
            self.raw[self.raw_used].0 = off;
            self.raw[self.raw_used].1.copy_from_slice(src);
            self.raw_used += 1;
        } else {
            self.lost += 1;
        }
    }

    fn report(&self) {
        println!("pager: terminated: {} data requests for {} distinct pages, {} pages written back, {} lost",
                 self.requests, self.distinct, self.writes, self.lost);
        if self.fills > 0 {
            println!("pager: making a page's data took {} instructions on average", self.fill_cost / self.fills);
        }
    }

    fn kernel_message(&mut self, buf: &Buffer<512>) -> bool {
        let h = buf.header();
        match h.id {
            MEMORY_OBJECT_INIT => {
                let r = memory_object_init::Request::parse(&buf.0[..h.size as usize]).expect("init");
                self.control = r.control.name;
                println!("pager: init, page size {}", { r.page_size });
                let _ = memory_object_set_attributes::send(&Kernel, self.control, 1, 1);
            }
            MEMORY_OBJECT_DATA_REQUEST => {
                let r = memory_object_data_request::Request::parse(&buf.0[..h.size as usize]).expect("request");
                self.data_request(r.args);
            }
            MEMORY_OBJECT_DATA_UNLOCK => {
                let r = memory_object_data_unlock::Request::parse(&buf.0[..h.size as usize]).expect("unlock");
                println!("pager: data_unlock at {:#x} for access {}", { r.args }.offset, { r.args }.access);
                let args = RangeArgs { access: VM_PROT_NONE, flags: MEMORY_OBJECT_RETURN_NONE, ..r.args };
                let _ = memory_object_lock_request::send(&Kernel, self.control, MACH_PORT_NULL, args);
            }
            MEMORY_OBJECT_DATA_WRITE => {
                let r = memory_object_data_write::Request::parse(&buf.0[..h.size as usize]).expect("write");
                self.data_write(r.args, &r.data);
            }
            MEMORY_OBJECT_TERMINATE => {
                self.report();
                return false;
            }
            id => println!("pager: unexpected message {}", id),
        }
        true
    }

    fn client_message(&mut self, buf: &Buffer<512>, obj: PortName) {
        let h = buf.header();
        match h.id {
            PAGER_GET_OBJECT => {
                let mut m = PortMsg {
                    header: MsgHeader { bits: msgh_bits(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0) | MACH_MSGH_BITS_COMPLEX,
                                        remote_port: h.remote_port, id: 101, ..Default::default() },
                    body: MsgBody { descriptor_count: 1 },
                    port: PortDescriptor::new(obj, MACH_MSG_TYPE_MAKE_SEND),
                };
                let _ = machrt::msg::send(&mut m, 0, 0);
            }
            PAGER_FLUSH => {
                let s: Simple = buf.get();
                self.flush_reply = h.remote_port;
                self.gen = self.gen.wrapping_add(1);
                let args = RangeArgs { offset: 0, length: s.value as u64 * PAGE, access: VM_PROT_NONE,
                                       flags: MEMORY_OBJECT_RETURN_NONE | MEMORY_OBJECT_FLUSH };
                let _ = memory_object_lock_request::send(&Kernel, self.control, self.done, args);
            }
            id => println!("pager: unexpected client message {}", id),
        }
    }

    fn lock_completed(&mut self) {
        println!("pager: lock request completed");
        if self.flush_reply != 0 {
            send_simple(self.flush_reply, MACH_MSG_TYPE_MOVE_SEND_ONCE, 102, 0, 0, 0);
            self.flush_reply = 0;
        }
    }
}

fn main(args: machrt::Args) -> i32 {
    // SAFETY: one thread; the pager state lives here alone.
    let p = unsafe { &mut *core::ptr::addr_of_mut!(PAGER) };
    p.mode = args.get(1).unwrap_or("serve");
    let t = machrt::trap::task_self();
    let boot = machrt::task::bootstrap_port().expect("bootstrap port");
    let obj = port::allocate(t, MACH_PORT_RIGHT_RECEIVE).unwrap();
    p.done = port::allocate(t, MACH_PORT_RIGHT_RECEIVE).unwrap();
    let set = port::allocate(t, MACH_PORT_RIGHT_PORT_SET).unwrap();
    for m in [boot, obj, p.done] {
        port::move_member(t, m, set).unwrap();
    }
    assert_eq!(machrt::vm::vm_allocate(&mut p.buf, 16 * PAGE, true), KERN_SUCCESS);
    println!("pager: serving ({})", p.mode);
    let mut buf = Buffer::<512>::new();
    let mut quiet = 0;
    loop {
        // Silent pagers still run: the system goes on around a stuck fault.
        let kr = recv(&mut buf, set, if p.mode == "silent" || p.mode == "wrong" { 500 } else { 0 });
        if kr == MACH_RCV_TIMED_OUT {
            quiet += 1;
            println!("pager: still running ({} ms without a message)", quiet * 500);
            continue;
        }
        if kr != KERN_SUCCESS {
            println!("pager: receive: {}", name(kr));
            return 1;
        }
        quiet = 0;
        let local = buf.header().local_port;
        if local == obj {
            if !p.kernel_message(&buf) {
                return 0;
            }
        } else if local == boot {
            p.client_message(&buf, obj);
        } else if local == p.done {
            p.lock_completed();
        }
    }
}

machrt::entry!(main);
