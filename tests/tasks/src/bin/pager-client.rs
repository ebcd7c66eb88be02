//! Maps the memory object that pager-pattern serves (asked for on the
//! bootstrap port) and checks what it sees.
//!
//! `check N`: maps N pages, times each first touch (guest instructions
//! under icount), checks every byte against the pattern.
//! `flush`: reads 4 pages, has the pager flush them with lock_request, and
//! reads them again: they must come back by new data requests.
//! `pressure MiB`: writes a region larger than RAM, then reads it all back
//! (pages go to the pager by data_write and come back by data_request).
//! `victim`: touches one page of a misbehaving pager's object.
//! `zeros N`: maps N pages of a pager that has no data for them.
//! `lockwrite`: writes a page its pager provided write-locked.
//! `private`: maps a copy of the object and writes to it.
#![no_std]
#![no_main]

use mach::defs::vm::vm_map;
use mach::message::*;
use mach::port::*;
use mach::vm::*;
use machrt::msg::Buffer;
use machrt::println;
use machrt::rpc::Kernel;
use machrt::trap::rdtsc;
use test_tasks::*;

const PAGE: u64 = PAGE_SIZE as u64;

/// Asks the pager on the bootstrap port; returns the reply buffer.
fn ask(id: i32, value: u32) -> Buffer<256> {
    let boot = machrt::task::bootstrap_port().expect("bootstrap port");
    let reply = machrt::msg::reply_port();
    let mut m = Simple {
        header: MsgHeader { bits: msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
                            remote_port: boot, local_port: reply, id, ..Default::default() },
        value,
    };
    assert_eq!(machrt::msg::send(&mut m, 0, 0), 0);
    let mut buf = Buffer::<256>::new();
    assert_eq!(recv(&mut buf, reply, 0), 0);
    buf
}

fn map_object(pages: u64) -> u64 {
    map_object_with(pages, 0)
}

/// Maps the object, shared (copy 0) or as a private copy (copy 1).
fn map_object_with(pages: u64, copy: u32) -> u64 {
    let obj = ask(PAGER_GET_OBJECT, 0).get::<PortMsg>().port.name;
    let r = vm_map::call(&Kernel, machrt::trap::task_self(), obj, 0, pages * PAGE, 0, 1, 0, copy,
                         VM_PROT_READ | VM_PROT_WRITE, VM_PROT_ALL, VM_INHERIT_SHARE);
    match r {
        Ok(r) => {
            println!("client: mapped {} pages of the memory object at {:#x}", pages, { r.address });
            r.address
        }
        Err(kr) => {
            println!("client: vm_map failed: {}", mach::kern_return::name(kr));
            machrt::trap::task_exit(1)
        }
    }
}

fn page(base: u64, i: u64) -> &'static [u8] {
    // SAFETY: [base, base + pages * PAGE) is mapped (vm_map above).
    unsafe { core::slice::from_raw_parts((base + i * PAGE) as *const u8, PAGE_SIZE) }
}

fn matches(base: u64, i: u64, gen: u8) -> bool {
    page(base, i).iter().enumerate().all(|(j, &b)| b == pager_byte(i * PAGE + j as u64, gen))
}

fn check(pages: u64) -> i32 {
    let base = map_object(pages);
    let (mut total, mut min) = (0u64, u64::MAX);
    for i in 0..pages {
        let p = (base + i * PAGE) as *const u8;
        let t0 = rdtsc();
        // SAFETY: mapped; the first touch of the page faults it in.
        let _ = unsafe { core::ptr::read_volatile(p) };
        let dt = rdtsc() - t0;
        total += dt;
        min = min.min(dt);
    }
    let bad = (0..pages).filter(|&i| !matches(base, i, 0)).count();
    println!("client: pager fault: {} instructions on average, {} at least", total / pages, min);
    println!("MACH pager-fault ticks={}", total / pages);
    if bad == 0 {
        println!("client: {} pages match the pattern", pages);
        0
    } else {
        println!("client: {} of {} pages WRONG", bad, pages);
        1
    }
}

fn flush() -> i32 {
    let base = map_object(4);
    let before = (0..4).all(|i| matches(base, i, 0));
    println!("client: generation 0 read: {}", if before { "ok" } else { "WRONG" });
    let _ = ask(PAGER_FLUSH, 4);
    let after = (0..4).all(|i| matches(base, i, 1));
    println!("client: after the flush the pages came back as generation 1: {}", if after { "ok" } else { "WRONG" });
    if before && after { 0 } else { 1 }
}

fn pressure(mib: u64) -> i32 {
    let pages = mib * 256;
    let base = map_object(pages);
    for i in 0..pages {
        for j in (0..PAGE).step_by(8) {
            let off = i * PAGE + j;
            // SAFETY: mapped, writable, aligned.
            unsafe { core::ptr::write_volatile((base + off) as *mut u64, written_word(off)) };
        }
    }
    println!("client: wrote {} MiB", mib);
    let mut bad = 0;
    for i in 0..pages {
        let ok = (0..PAGE).step_by(8).all(|j| {
            let off = i * PAGE + j;
            // SAFETY: as above.
            unsafe { core::ptr::read_volatile((base + off) as *const u64) == written_word(off) }
        });
        if !ok {
            bad += 1;
        }
    }
    let s = machrt::trap::vm_stats();
    println!("client: read back {} MiB: {} bad pages ({} free pages now)", mib, bad, s.free_pages);
    if bad == 0 { 0 } else { 1 }
}

fn victim() -> i32 {
    let base = map_object(8);
    println!("client: touching a page of the misbehaving pager's object");
    let t0 = rdtsc();
    let ok = matches(base, 0, 0);
    println!("client: survived the touch ({} instructions), data {}", rdtsc() - t0, if ok { "ok" } else { "WRONG" });
    let rest = (1..8).all(|i| matches(base, i, 0));
    println!("client: the other pages {}", if rest { "match too" } else { "are WRONG" });
    0
}

/// A pager answering data_unavailable: the pages read as zeros, and
/// writes to them stay.
fn zeros(pages: u64) -> i32 {
    let base = map_object(pages);
    let zero = (0..pages).all(|i| page(base, i).iter().all(|&b| b == 0));
    // SAFETY: mapped and writable.
    unsafe { core::ptr::write_volatile((base + PAGE) as *mut u8, 5) };
    let kept = page(base, 1)[0] == 5;
    println!("client: {} zero-filled pages: {}, a write kept: {}", pages, if zero { "ok" } else { "WRONG" }, kept);
    if zero && kept { 0 } else { 1 }
}

/// A pager providing write-locked pages: reading needs no unlock, the
/// first write does (memory_object_data_unlock), then it goes through.
fn lockwrite() -> i32 {
    let base = map_object(2);
    let read = matches(base, 0, 0) && matches(base, 1, 0);
    println!("client: read locked pages: {}", if read { "ok" } else { "WRONG" });
    // SAFETY: mapped and writable (the lock is the pager's business).
    unsafe { core::ptr::write_volatile((base + 8) as *mut u8, 0xee) };
    let wrote = page(base, 0)[8] == 0xee;
    println!("client: a write to a locked page went through after the unlock: {}", wrote);
    if read && wrote { 0 } else { 1 }
}

/// A private copy (vm_map with copy): reads come from the pager, writes
/// stay in this task and never go back to the pager.
fn private() -> i32 {
    let base = map_object_with(4, 1);
    let read = matches(base, 0, 0);
    // SAFETY: mapped and writable (copy-on-write).
    unsafe {
        core::ptr::write_volatile((base + 16) as *mut u8, 0x77);
        core::ptr::write_volatile((base + 2 * PAGE) as *mut u8, 0x78);
    }
    let kept = page(base, 0)[16] == 0x77 && page(base, 2)[0] == 0x78;
    let rest = page(base, 0).iter().enumerate().all(|(j, &b)| j == 16 || b == pager_byte(j as u64, 0))
        && matches(base, 1, 0) && matches(base, 3, 0);
    println!("client: private copy read {}, writes kept {}, the rest from the pager {}", read, kept, rest);
    if read && kept && rest { 0 } else { 1 }
}

fn main(args: machrt::Args) -> i32 {
    let n = |i: usize, d: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    match args.get(1) {
        Some("flush") => flush(),
        Some("pressure") => pressure(n(2, 48)),
        Some("victim") => victim(),
        Some("zeros") => zeros(n(2, 4)),
        Some("lockwrite") => lockwrite(),
        Some("private") => private(),
        _ => check(n(2, 16)),
    }
}

machrt::entry!(main);
