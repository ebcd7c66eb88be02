//! Address-space copy by inheritance, through the temporary DEBUG_TASK_FORK
//! trap. `isolation` (default): copy-on-write isolation both ways, SHARE
//! inheritance both ways (also the mailbox the two sides talk through),
//! NONE inheritance (the child faults), and the frames a write after fork
//! allocates. `chain N`: N generations of fork, each parent exiting, each
//! child writing; reports the longest shadow chain seen.
#![no_std]
#![no_main]

use machrt::println;
use machrt::trap::{task_exit, task_fork, vm_stats, yield_now, Fork};
use machrt::vm::{vm_allocate, vm_inherit};
use mach::vm::*;

const PAGE: u64 = PAGE_SIZE as u64;

fn rd(a: u64) -> u64 {
    // SAFETY: the tests only touch pages they allocated.
    unsafe { core::ptr::read_volatile(a as *const u64) }
}
fn wr(a: u64, v: u64) {
    // SAFETY: as for rd.
    unsafe { core::ptr::write_volatile(a as *mut u64, v) }
}
fn wait_for(flag: u64, v: u64) {
    while rd(flag) != v {
        yield_now();
    }
}
fn alloc(pages: u64) -> u64 {
    let mut a = 0;
    assert_eq!(vm_allocate(&mut a, pages * PAGE, true), 0);
    a
}

fn isolation() -> i32 {
    let mbox = alloc(1);
    vm_inherit(mbox, PAGE, VM_INHERIT_SHARE);
    let cow = alloc(4);
    for i in 0..4 {
        wr(cow + i * PAGE, 100 + i);
    }
    let hidden = alloc(1);
    wr(hidden, 7);
    vm_inherit(hidden, PAGE, VM_INHERIT_NONE);
    match task_fork() {
        Ok(Fork::Child) => {
            // Warm up: the first trap copies this stack page.
            vm_stats();
            let before = vm_stats();
            wr(cow, 200);
            let after = vm_stats();
            println!("vm-fork child: a write after fork allocated {} page(s)", after.pages_allocated - before.pages_allocated);
            wr(mbox + 8, 55);
            wr(mbox, 1);
            wait_for(mbox, 2);
            println!("vm-fork child: cow[0] = {}, cow[1] = {} (parent wrote 301)", rd(cow), rd(cow + PAGE));
            println!("vm-fork child: shared word from parent = {}", rd(mbox + 16));
            println!("vm-fork child: chain depth {}", vm_stats().max_chain_depth);
            wr(mbox, 3);
            println!("vm-fork child: reading a NONE-inherited page");
            rd(hidden);
            println!("vm-fork child: still alive, which is wrong");
            1
        }
        Ok(Fork::Parent { child }) => {
            println!("vm-fork parent: forked task {}", child);
            wait_for(mbox, 1);
            println!("vm-fork parent: cow[0] = {} (child wrote 200)", rd(cow));
            println!("vm-fork parent: shared word from child = {}", rd(mbox + 8));
            wr(cow + PAGE, 301);
            wr(mbox + 16, 66);
            wr(mbox, 2);
            wait_for(mbox, 3);
            println!("vm-fork parent: cow[1] = {}, hidden = {}", rd(cow + PAGE), rd(hidden));
            0
        }
        Err(kr) => {
            println!("vm-fork: fork failed: {}", mach::kern_return::name(kr));
            2
        }
    }
}

fn chain(generations: u64) -> i32 {
    let region = alloc(4);
    wr(region, 0);
    let mut worst = 0;
    let mut first_free = 0;
    for gen in 1..=generations {
        match task_fork() {
            Ok(Fork::Parent { .. }) => task_exit(0),
            Ok(Fork::Child) => {}
            Err(kr) => {
                println!("vm-fork chain: fork failed at generation {}: {}", gen, mach::kern_return::name(kr));
                return 2;
            }
        }
        // Let the parent finish exiting.
        yield_now();
        yield_now();
        wr(region + (gen % 4) * PAGE, gen);
        wr(region, gen);
        let s = vm_stats();
        worst = worst.max(s.max_chain_depth);
        // Generation 2 on, the machine is in a steady state: one task
        // running, the previous one exited (and perhaps not yet reaped).
        if gen == 2 {
            first_free = s.free_pages;
        }
        if gen == generations {
            println!("vm-fork chain: {} generations, max chain depth {}, last {}, objects {}",
                     generations, worst, s.max_chain_depth, s.live_objects);
            println!("vm-fork chain: free pages at generation 2: {}, at the last: {}", first_free, s.free_pages);
            println!("vm-fork chain: region[0] = {}", rd(region));
        }
    }
    0
}

fn main(args: machrt::Args) -> i32 {
    match args.get(1) {
        Some("chain") => chain(args.get(2).and_then(|n| n.parse().ok()).unwrap_or(50)),
        _ => isolation(),
    }
}

machrt::entry!(main);
