//! The disk through Mach device ports: device_open on the device master
//! port, the size from device_get_status, reads of sector 0 and the last
//! sector (the host filled every sector with a pattern naming it), writes
//! out of line (page-aligned, and not) and in line read back, the bad
//! requests, and a read throughput figure.
//!
//! `disk nodisk`: checks that device_open fails with D_NO_SUCH_DEVICE;
//! `disk readonly`: that a read-only disk refuses writes (D_READ_ONLY).
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use mach::defs::device::*;
use mach::defs::host::host_info;
use mach::defs::task::task_get_special_port;
use mach::kern_return::*;
use mach::message::OolDescriptor;
use mach::port::PortName;
use machrt::println;
use machrt::rpc::{host_self, task_self, Kernel};

#[global_allocator]
static HEAP: machrt::heap::TaskHeap = machrt::heap::TaskHeap::new();

const RECORD: usize = 512;

fn check(what: &str, ok: bool) -> bool {
    println!("disk: {} {}", what, if ok { "ok" } else { "FAILED" });
    ok
}

fn expect_err<T>(what: &str, r: Result<T, KernReturn>, want: KernReturn) -> bool {
    let got = r.err().unwrap_or(KERN_SUCCESS);
    if got != want {
        println!("disk: {}: got {}, want {}", what, io_return_name(got), io_return_name(want));
    }
    check(what, got == want)
}

/// What the host wrote in sector `n`: its number, then a byte pattern.
fn host_pattern(n: u64) -> [u8; RECORD] {
    let mut s = [0u8; RECORD];
    let tag = b"host sector ";
    s[..tag.len()].copy_from_slice(tag);
    s[12..20].copy_from_slice(&n.to_le_bytes());
    for (i, b) in s.iter_mut().enumerate().skip(20) {
        *b = (n as usize).wrapping_mul(7).wrapping_add(i) as u8;
    }
    s
}

/// What this task writes in sector `n` (the host checks it afterwards).
fn task_pattern(n: u64) -> [u8; RECORD] {
    let mut s = [0u8; RECORD];
    let tag = b"task sector ";
    s[..tag.len()].copy_from_slice(tag);
    s[12..20].copy_from_slice(&n.to_le_bytes());
    for (i, b) in s.iter_mut().enumerate().skip(20) {
        *b = (n as usize).wrapping_mul(13).wrapping_add(i * 3) as u8;
    }
    s
}

fn master() -> Result<PortName, KernReturn> {
    task_get_special_port::call(&Kernel, task_self(), TASK_DEVICE_MASTER_PORT).map(|r| { r.port }.name)
}

fn open(master: PortName, name: &str) -> Result<PortName, KernReturn> {
    device_open::call(&Kernel, master, D_READ | D_WRITE, dev_name(name)).map(|r| { r.device }.name)
}

/// device_read into a Vec; the out-of-line data is deallocated.
fn read(dev: PortName, recnum: u64, bytes: u32) -> Result<Vec<u8>, KernReturn> {
    let r = device_read::call(&Kernel, dev, D_READ, recnum, bytes)?;
    let d = r.data;
    // SAFETY: the reply mapped `size` bytes at `address` in this task.
    let v = unsafe { core::slice::from_raw_parts(d.address as *const u8, d.size as usize) }.to_vec();
    machrt::vm::vm_deallocate(d.address, d.size as u64);
    Ok(v)
}

fn write(dev: PortName, recnum: u64, data: &[u8]) -> Result<u32, KernReturn> {
    let ool = OolDescriptor::new(data.as_ptr() as u64, data.len() as u32, false);
    device_write::call(&Kernel, dev, ool, D_WRITE, recnum).map(|r| r.bytes_written)
}

fn size(dev: PortName) -> Result<(u64, u32), KernReturn> {
    let r = device_get_status::call(&Kernel, dev, DEV_GET_SIZE)?;
    let st = r.status;
    Ok((st[DEV_GET_SIZE_RECORDS] as u64, st[DEV_GET_SIZE_RECORD_SIZE]))
}

fn reads_what_the_host_wrote(dev: PortName, records: u64) -> bool {
    let mut ok = true;
    let first = read(dev, 0, RECORD as u32);
    ok &= check("device_read of sector 0", first.as_deref() == Ok(&host_pattern(0)[..]));
    let last = records - 1;
    let far = read(dev, last, RECORD as u32);
    ok &= check("device_read of the last sector", far.as_deref() == Ok(&host_pattern(last)[..]));
    let many = read(dev, 1000, 64 * RECORD as u32).unwrap_or_default();
    let all = many.len() == 64 * RECORD
        && many.chunks(RECORD).enumerate().all(|(i, s)| s == host_pattern(1000 + i as u64));
    ok &= check("device_read of 64 sectors across bounce buffers", all);
    let inb = device_read_inband::call(&Kernel, dev, D_READ, 7, RECORD as u32);
    ok &= check("device_read_inband of sector 7", inb.is_ok_and(|r| { r.data } == host_pattern(7)));
    ok
}

fn writes_read_back(dev: PortName) -> bool {
    let mut ok = true;
    // Page-aligned whole pages: the data travels by copy-on-write.
    let at = machrt::vm::allocate(8 * RECORD as u64).unwrap_or(0);
    // SAFETY: 4 KiB just allocated for this task.
    let page = unsafe { core::slice::from_raw_parts_mut(at as *mut u8, 8 * RECORD) };
    for (i, s) in page.chunks_mut(RECORD).enumerate() {
        s.copy_from_slice(&task_pattern(100 + i as u64));
    }
    ok &= check("device_write of 8 sectors from a page", write(dev, 100, page) == Ok(8 * RECORD as u32));
    // Three sectors at an odd address: the data is copied.
    let mut odd: Vec<u8> = Vec::new();
    odd.push(0);
    for n in 200..203 {
        odd.extend_from_slice(&task_pattern(n));
    }
    ok &= check("device_write of 3 sectors from an unaligned buffer", write(dev, 200, &odd[1..]) == Ok(3 * RECORD as u32));
    let inb = device_write_inband::call(&Kernel, dev, D_WRITE, 300, RECORD as u32, task_pattern(300));
    ok &= check("device_write_inband of sector 300", inb.is_ok_and(|r| r.bytes_written == RECORD as u32));
    let back = read(dev, 100, 8 * RECORD as u32);
    ok &= check("device_read gives back the page written", back.as_deref() == Ok(&page[..]));
    let back = read(dev, 200, 3 * RECORD as u32);
    ok &= check("device_read gives back the unaligned write", back.as_deref() == Ok(&odd[1..]));
    let back = read(dev, 300, RECORD as u32);
    ok &= check("device_read gives back the inband write", back.as_deref() == Ok(&task_pattern(300)[..]));
    let back = read(dev, 99, RECORD as u32);
    ok &= check("the sector before the write is untouched", back.as_deref() == Ok(&host_pattern(99)[..]));
    machrt::vm::vm_deallocate(at, 8 * RECORD as u64);
    ok
}

fn bad_requests(m: PortName, dev: PortName, records: u64) -> bool {
    let mut ok = true;
    ok &= expect_err("device_open of an unknown name fails", open(m, "nope0"), D_NO_SUCH_DEVICE);
    ok &= expect_err("device_read past the end", read(dev, records, RECORD as u32), D_INVALID_RECNUM);
    ok &= expect_err("device_read of a huge recnum", read(dev, u64::MAX, RECORD as u32), D_INVALID_RECNUM);
    ok &= expect_err("device_read across the end", read(dev, records - 1, 2 * RECORD as u32), D_INVALID_SIZE);
    ok &= expect_err("device_read of a partial record", read(dev, 0, 100), D_INVALID_SIZE);
    ok &= expect_err("device_read of zero bytes", read(dev, 0, 0), D_INVALID_SIZE);
    ok &= expect_err("device_read of 2 GiB", read(dev, 0, 0x8000_0000), D_INVALID_SIZE);
    let big = device_read_inband::call(&Kernel, dev, D_READ, 0, 2 * RECORD as u32);
    ok &= expect_err("device_read_inband of more than fits", big, D_INVALID_SIZE);
    ok &= expect_err("device_write of a partial record", write(dev, 0, &[1u8; 100]), D_INVALID_SIZE);
    ok &= expect_err("device_write past the end", write(dev, records, &[1u8; RECORD]), D_INVALID_RECNUM);
    let st = device_get_status::call(&Kernel, dev, 99);
    ok &= expect_err("device_get_status of an unknown flavour", st, D_INVALID_OPERATION);
    let wrong = device_read::call(&Kernel, m, D_READ, 0, RECORD as u32);
    ok &= expect_err("device_read on the master port", wrong, MIG_BAD_ID);
    ok
}

fn ticks() -> u64 {
    host_info::call(&Kernel, host_self()).map(|r| { r.info }.ticks).unwrap_or(0)
}

/// Reads 4 MiB four times and writes 2 MiB four times in 1 MiB calls, and
/// prints MB/s (clock ticks at 100 Hz).
fn throughput(dev: PortName) -> bool {
    let t0 = ticks();
    let mut ok = true;
    for i in 0..16u64 {
        // The data is mapped and dropped: the figure is device_read's own.
        let r = device_read::call(&Kernel, dev, D_READ, i % 4 * 2048, DEVICE_IO_MAX);
        ok &= r.is_ok_and(|r| { r.data }.size == DEVICE_IO_MAX && machrt::vm::vm_deallocate({ r.data }.address, DEVICE_IO_MAX as u64) == KERN_SUCCESS);
    }
    let dt = (ticks() - t0).max(1);
    println!("disk: read 16 MiB (4 MiB 4 times) in {} ticks: {} MB/s", dt, 16 * 1024 * 1024 * 100 / dt / 1_000_000);
    ok = check("device_read of 4 MiB in 1 MiB calls", ok);
    // Fresh memory never touched: its pages are absent, so they go out as
    // zeros; they land in sectors 8192.. (4 MiB on), which the host checks.
    let at = machrt::vm::allocate(DEVICE_IO_MAX as u64).unwrap_or(0);
    // SAFETY: 1 MiB just allocated for this task.
    let buf = unsafe { core::slice::from_raw_parts(at as *const u8, DEVICE_IO_MAX as usize) };
    let t0 = ticks();
    let mut wok = true;
    for i in 0..8u64 {
        wok &= write(dev, 8192 + i % 2 * 2048, buf) == Ok(DEVICE_IO_MAX);
    }
    let dt = (ticks() - t0).max(1);
    println!("disk: wrote 8 MiB (2 MiB 4 times) in {} ticks: {} MB/s", dt, 8 * 1024 * 1024 * 100 / dt / 1_000_000);
    machrt::vm::vm_deallocate(at, DEVICE_IO_MAX as u64);
    ok & check("device_write of 2 MiB of untouched memory in 1 MiB calls", wok)
}

/// Each request's completion raised the disk's interrupt (the waiter is
/// halted, not spinning). Slow requests (over 5 s, which a loaded host or
/// -icount gives) are reported, not failures: the driver waits them out.
fn interrupts_complete_requests(dev: PortName) -> bool {
    let st = device_get_status::call(&Kernel, dev, DEV_GET_IO_STATS).map(|r| r.status).unwrap_or_default();
    let (req, irq, slow) = (st[DEV_IO_STATS_REQUESTS], st[DEV_IO_STATS_INTERRUPTS], st[DEV_IO_STATS_TIMEOUTS]);
    println!("disk: {} requests, {} completion interrupts, {} slow (over 5 s)", req, irq, slow);
    check("completions come by interrupt", req > 100 && irq >= req / 2)
}

fn main(args: machrt::Args) -> i32 {
    let m = match master() {
        Ok(m) => m,
        Err(kr) => return failed("task_get_special_port(TASK_DEVICE_MASTER_PORT)", kr),
    };
    if args.iter().any(|a| a == "nodisk") {
        let ok = expect_err("device_open without a disk fails", open(m, "hd0"), D_NO_SUCH_DEVICE);
        println!("disk: {}", if ok { "all passed" } else { "some FAILED" });
        return !ok as i32;
    }
    if args.iter().any(|a| a == "readonly") {
        return read_only(m);
    }
    let dev = match open(m, "hd0") {
        Ok(d) => d,
        Err(kr) => return failed("device_open hd0", kr),
    };
    let (records, rsize) = size(dev).unwrap_or((0, 0));
    println!("disk: hd0 has {} records of {} bytes", records, rsize);
    let mut ok = check("device_get_status gives the size", records >= 8192 && rsize == RECORD as u32);
    ok &= check("device_open of the alias disk0", open(m, "disk0").is_ok());
    ok &= reads_what_the_host_wrote(dev, records);
    ok &= writes_read_back(dev);
    ok &= bad_requests(m, dev, records);
    ok &= throughput(dev);
    ok &= interrupts_complete_requests(dev);
    ok &= check("device_close", device_close::call(&Kernel, dev).is_ok());
    ok &= check("device_close again (disk0's open)", device_close::call(&Kernel, dev).is_ok());
    ok &= expect_err("device_close of a closed device", device_close::call(&Kernel, dev), D_INVALID_OPERATION);
    println!("disk: {}", if ok { "all passed" } else { "some FAILED" });
    !ok as i32
}

/// A disk QEMU offers read-only: no open for writing, no write.
fn read_only(m: PortName) -> i32 {
    let mut ok = expect_err("device_open for writing of a read-only disk", open(m, "hd0"), D_READ_ONLY);
    let dev = device_open::call(&Kernel, m, D_READ, dev_name("hd0")).map(|r| { r.device }.name);
    ok &= check("device_open for reading of a read-only disk", dev.is_ok());
    let dev = dev.unwrap_or(0);
    ok &= check("device_read of a read-only disk", read(dev, 0, RECORD as u32).is_ok());
    ok &= expect_err("device_write to a read-only disk", write(dev, 0, &[0u8; RECORD]), D_READ_ONLY);
    println!("disk: {}", if ok { "all passed" } else { "some FAILED" });
    !ok as i32
}

fn failed(what: &str, kr: KernReturn) -> i32 {
    println!("disk: {} FAILED: {}", what, io_return_name(kr));
    1
}

machrt::entry!(main);
