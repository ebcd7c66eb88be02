//! Address-space copy by inheritance: task_create with inherited memory,
//! then a thread made in the child (thread_create, thread_set_state,
//! thread_resume) running a function of the copied program — the Mach way
//! a UNIX fork is built. `isolation` (default): copy-on-write isolation
//! both ways, SHARE inheritance both ways (also the mailbox the two sides
//! talk through), NONE inheritance (the child faults), and the frames a
//! write after fork allocates. `chain N`: N generations of fork, each
//! parent exiting, each child writing; reports the longest shadow chain.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use mach::defs::task::{task_create, task_set_special_port, task_terminate, TASK_HOST_PORT};
use machrt::println;
use machrt::rpc::{task_self, Kernel};
use machrt::trap::{task_exit, vm_stats, yield_now};
use machrt::vm::{vm_allocate, vm_inherit};
use mach::vm::*;

const PAGE: u64 = PAGE_SIZE as u64;

// Set before task_create, so every child's copy has them.
static MBOX: AtomicU64 = AtomicU64::new(0);
static COW: AtomicU64 = AtomicU64::new(0);
static HIDDEN: AtomicU64 = AtomicU64::new(0);
static REGION: AtomicU64 = AtomicU64::new(0);
static GENERATIONS: AtomicU64 = AtomicU64::new(0);
static WORST: AtomicU64 = AtomicU64::new(0);
static FIRST_FREE: AtomicU64 = AtomicU64::new(0);

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

/// A child task with a copy of this one's memory by inheritance, running
/// `f(arg)` in a thread of its own. Returns the child's task port.
fn fork_to(f: machrt::thread::Entry, arg: u64) -> Result<mach::PortName, mach::KernReturn> {
    let child = { task_create::call(&Kernel, task_self(), 1)?.child }.name;
    // The child prints and reads the VM figures (debug traps): it gets
    // the privilege from us, who hold host_priv as our host port.
    task_set_special_port::call(&Kernel, child, machrt::rpc::host_self(), TASK_HOST_PORT)?;
    machrt::thread::spawn_in(child, f, arg)?;
    Ok(child)
}

extern "C" fn isolation_child(_: u64) -> ! {
    let (mbox, cow, hidden) = (MBOX.load(Relaxed), COW.load(Relaxed), HIDDEN.load(Relaxed));
    // Warm up: the first call copies this stack page.
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
    let _ = task_terminate::call(&Kernel, task_self());
    loop {}
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
    MBOX.store(mbox, Relaxed);
    COW.store(cow, Relaxed);
    HIDDEN.store(hidden, Relaxed);
    match fork_to(isolation_child, 0) {
        Ok(child) => {
            println!("vm-fork parent: forked task port {:#x}", child);
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

/// Generation `gen` of the chain, running in its own task.
extern "C" fn generation(gen: u64) -> ! {
    // Let the parent finish exiting.
    yield_now();
    yield_now();
    let region = REGION.load(Relaxed);
    wr(region + (gen % 4) * PAGE, gen);
    wr(region, gen);
    let s = vm_stats();
    WORST.store(WORST.load(Relaxed).max(s.max_chain_depth), Relaxed);
    // Generation 2 on, the machine is in a steady state: one task running,
    // the previous one exited (and perhaps not yet reaped).
    if gen == 2 {
        FIRST_FREE.store(s.free_pages, Relaxed);
    }
    let generations = GENERATIONS.load(Relaxed);
    if gen == generations {
        println!("vm-fork chain: {} generations, max chain depth {}, last {}, objects {}",
                 generations, WORST.load(Relaxed), s.max_chain_depth, s.live_objects);
        println!("vm-fork chain: free pages at generation 2: {}, at the last: {}", FIRST_FREE.load(Relaxed), s.free_pages);
        println!("vm-fork chain: region[0] = {}", rd(region));
        task_exit(0)
    }
    // This thread's stack is of no use to the child, which gets its own:
    // without this each generation would inherit every earlier one's.
    let here = &gen as *const u64 as u64;
    if let Ok(r) = mach::defs::vm::vm_region::call(&Kernel, task_self(), here) {
        let i = r.info;
        vm_inherit(i.address, i.size, VM_INHERIT_NONE);
    }
    if let Err(kr) = fork_to(generation, gen + 1) {
        println!("vm-fork chain: fork failed at generation {}: {}", gen + 1, mach::kern_return::name(kr));
        task_exit(2)
    }
    task_exit(0)
}

fn chain(generations: u64) -> i32 {
    let region = alloc(4);
    wr(region, 0);
    REGION.store(region, Relaxed);
    GENERATIONS.store(generations, Relaxed);
    match fork_to(generation, 1) {
        Ok(_) => 0,
        Err(kr) => {
            println!("vm-fork chain: fork failed at generation 1: {}", mach::kern_return::name(kr));
            2
        }
    }
}

fn main(args: machrt::Args) -> i32 {
    match args.get(1) {
        Some("chain") => chain(args.get(2).and_then(|n| n.parse().ok()).unwrap_or(50)),
        _ => isolation(),
    }
}

machrt::entry!(main);
