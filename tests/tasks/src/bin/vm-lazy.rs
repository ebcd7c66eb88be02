//! Lazy memory: a large bss, a deep stack and a large vm_allocate region
//! cost only the pages touched. With an argument, checks that protection
//! faults are still reported: `textwrite` (write to read-only text),
//! `protect` (vm_protect a page read-only, then write it).
#![no_std]
#![no_main]

use machrt::println;
use machrt::trap::vm_stats;
use machrt::vm::{vm_allocate, vm_deallocate, vm_protect};
use mach::kern_return::*;
use mach::vm::*;

const PAGE: usize = PAGE_SIZE;
const BSS_PAGES: usize = 1024;

#[repr(C, align(4096))]
struct Big([u8; BSS_PAGES * PAGE]);
static mut BIG: Big = Big([0; BSS_PAGES * PAGE]);

fn touch(p: *mut u8, pages: usize, stride: usize) {
    for i in (0..pages).step_by(stride) {
        // SAFETY: p points at `pages` pages the caller owns.
        unsafe { core::ptr::write_volatile(p.add(i * PAGE), i as u8 | 1) };
    }
}

#[inline(never)]
fn deep_stack() -> u8 {
    let mut buf = [0u8; 32 * PAGE];
    for i in (0..32).step_by(4) {
        buf[i * PAGE] = i as u8;
    }
    core::hint::black_box(&mut buf)[8 * PAGE]
}

fn lazy() -> i32 {
    let s0 = vm_stats();
    let big = core::ptr::addr_of_mut!(BIG) as *mut u8;
    touch(big, BSS_PAGES, 64);
    let s1 = vm_stats();
    println!("vm-lazy: bss {} pages, touched {}, allocated {}, free pages {} -> {}",
             BSS_PAGES, BSS_PAGES / 64, s1.pages_allocated - s0.pages_allocated, s0.free_pages, s1.free_pages);
    // SAFETY: reading our own bss.
    let untouched = unsafe { core::ptr::read_volatile(big.add(5 * PAGE)) };
    println!("vm-lazy: untouched bss reads {}", untouched);
    let s1 = vm_stats();
    deep_stack();
    let s2 = vm_stats();
    println!("vm-lazy: 128 KiB stack frame (stack 64 pages): allocated {}", s2.pages_allocated - s1.pages_allocated);

    let mut a = 0u64;
    let size = 64 << 20;
    let kr = vm_allocate(&mut a, size, true);
    let s3 = vm_stats();
    touch(a as *mut u8, (size as usize) / PAGE, 4096);
    let s4 = vm_stats();
    println!("vm-lazy: vm_allocate 64 MiB: {}, touched 4 pages, allocated {}", name(kr), s4.pages_allocated - s3.pages_allocated);
    let kr = vm_deallocate(a, size);
    let s5 = vm_stats();
    println!("vm-lazy: vm_deallocate: {}, pages freed {}", name(kr), s5.free_pages as i64 - s4.free_pages as i64);
    let mut fixed = a;
    println!("vm-lazy: fixed reallocation: {}", name(vm_allocate(&mut fixed, PAGE as u64, false)));
    println!("vm-lazy: fixed overlap: {}", name(vm_allocate(&mut fixed, PAGE as u64, false)));
    println!("vm-lazy: vm_protect beyond maximum: {}", name({
        vm_protect(fixed, PAGE as u64, true, VM_PROT_READ);
        vm_protect(fixed, PAGE as u64, false, VM_PROT_DEFAULT)
    }));
    println!("vm-lazy: vm_protect unmapped: {}", name(vm_protect(0x1000, PAGE as u64, false, VM_PROT_READ)));
    0
}

fn protect() -> i32 {
    let mut a = 0u64;
    vm_allocate(&mut a, PAGE as u64, true);
    let p = a as *mut u64;
    // SAFETY: our own fresh page.
    unsafe { core::ptr::write_volatile(p, 41) };
    println!("vm-lazy: protect read-only: {}", name(vm_protect(a, PAGE as u64, false, VM_PROT_READ)));
    // SAFETY: still mapped, readable.
    println!("vm-lazy: still reads {}", unsafe { core::ptr::read_volatile(p) });
    println!("vm-lazy: writing a read-only page");
    // SAFETY: not safe: the write must fault.
    unsafe { core::ptr::write_volatile(p, 42) };
    println!("vm-lazy: still alive, which is wrong");
    1
}

fn textwrite() -> i32 {
    println!("vm-lazy: writing to text");
    // SAFETY: not safe: the write must fault.
    unsafe { core::ptr::write_volatile(lazy as *const () as *mut u8, 0xcc) };
    println!("vm-lazy: still alive, which is wrong");
    1
}

/// Touches more memory than the machine has: the fault that finds no frame
/// must end this task (KERN_RESOURCE_SHORTAGE), not the kernel.
fn oom() -> i32 {
    let mut a = 0u64;
    let size: u64 = 1 << 30;
    println!("vm-lazy: vm_allocate 1 GiB: {}", name(vm_allocate(&mut a, size, true)));
    println!("vm-lazy: touching all of it");
    touch(a as *mut u8, (size as usize) / PAGE, 1);
    println!("vm-lazy: still alive, which is wrong");
    1
}

fn main(args: machrt::Args) -> i32 {
    match args.get(1) {
        Some("oom") => oom(),
        Some("protect") => protect(),
        Some("textwrite") => textwrite(),
        _ => lazy(),
    }
}

machrt::entry!(main);
