//! The user runtime: a heap on vm_allocate (Vec, String, format!), threads
//! made with thread_create, and a lock they share.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use machrt::println;
use machrt::sync::Mutex;

#[global_allocator]
static HEAP: machrt::heap::TaskHeap = machrt::heap::TaskHeap::new();

const THREADS: u64 = 4;
const ROUNDS: u64 = 500;

static TOTAL: Mutex<u64> = Mutex::new(0);
static DONE: AtomicU64 = AtomicU64::new(0);

extern "C" fn worker(id: u64) -> ! {
    for i in 0..ROUNDS {
        let mut t = TOTAL.lock();
        let v = *t;
        if i % 7 == 0 {
            // Give the others a chance to find the lock taken.
            machrt::trap::yield_now();
        }
        *t = v + 1;
    }
    let s = format!("worker {} done", id);
    println!("rt: {}", s);
    DONE.fetch_add(1, Ordering::SeqCst);
    machrt::thread::exit()
}

fn main(args: machrt::Args) -> i32 {
    let mut v: Vec<u64> = (0..10_000).collect();
    v.retain(|x| x % 3 == 0);
    let sum: u64 = v.iter().sum();
    let mut s = String::new();
    for a in args.iter() {
        s.push_str(a);
        s.push(' ');
    }
    println!("rt: heap vec of {} sums to {}, args '{}'", v.len(), sum, s.trim_end());
    let big: Vec<u8> = alloc::vec![0x5a; 3 * 1024 * 1024];
    println!("rt: 3 MiB vec ok: {}", big.iter().all(|&b| b == 0x5a));
    drop(big);
    for id in 0..THREADS {
        if let Err(kr) = machrt::thread::spawn(worker, id) {
            println!("rt: spawn failed: {}", mach::kern_return::name(kr));
            return 1;
        }
    }
    while DONE.load(Ordering::SeqCst) < THREADS {
        machrt::trap::yield_now();
    }
    let total = *TOTAL.lock();
    println!("rt: {} threads added {} under the lock (expected {})", THREADS, total, THREADS * ROUNDS);
    if total == THREADS * ROUNDS && sum == 16_668_333 { 0 } else { 1 }
}

machrt::entry!(main);
