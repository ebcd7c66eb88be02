//! Out-of-line data of page size and above moves by copy-on-write: an
//! 8 MiB region sent in a message arrives without a page being copied,
//! and a write on either side copies just the page written.
#![no_std]
#![no_main]

use mach::message::*;
use mach::port::*;
use machrt::msg::{receive, send, Buffer};
use machrt::println;
use machrt::trap::vm_stats;

const SIZE: usize = 8 << 20;

#[repr(C, packed(4))]
#[derive(Clone, Copy)]
struct Carrier {
    header: MsgHeader,
    body: MsgBody,
    data: OolDescriptor,
}
// SAFETY: packed(4), 4-byte-aligned fields, no padding.
unsafe impl mach::pod::Pod for Carrier {}

fn main(_args: machrt::Args) -> i32 {
    let src = machrt::vm::allocate(SIZE as u64).expect("vm_allocate");
    // SAFETY: a fresh region of ours.
    let a = unsafe { core::slice::from_raw_parts_mut(src as *mut u8, SIZE) };
    for (i, b) in a.iter_mut().enumerate() {
        *b = (i % 253) as u8;
    }
    let port = machrt::port::allocate(machrt::trap::task_self(), MACH_PORT_RIGHT_RECEIVE).unwrap();
    let before = vm_stats().pages_allocated;
    let mut m = Carrier {
        header: MsgHeader { bits: msgh_bits(MACH_MSG_TYPE_MAKE_SEND, 0) | MACH_MSGH_BITS_COMPLEX, remote_port: port, id: 7, ..Default::default() },
        body: MsgBody { descriptor_count: 1 },
        data: OolDescriptor::new(src, SIZE as u32, false),
    };
    let kr = send(&mut m, 0, 0);
    let mut buf = Buffer::<128>::new();
    let kr2 = receive(&mut buf, port, 0, 0);
    let got: Carrier = buf.get();
    let (dst, size) = ({ got.data }.address, { got.data }.size as usize);
    let moved = vm_stats().pages_allocated - before;
    println!("ool-cow: sent {} ({}), received {} bytes ({}) at {:#x}, pages copied {}",
             SIZE, kr, size, kr2, dst, moved);
    // SAFETY: the kernel mapped `size` bytes at `dst` into us.
    let b = unsafe { core::slice::from_raw_parts_mut(dst as *mut u8, size) };
    let intact = size == SIZE && b.iter().enumerate().all(|(i, &x)| x == (i % 253) as u8);
    let before_write = vm_stats().pages_allocated;
    b[5 * 4096 + 17] = 0xee;
    let after_write = vm_stats().pages_allocated - before_write;
    let sender_unchanged = a[5 * 4096 + 17] == ((5 * 4096 + 17) % 253) as u8;
    println!("ool-cow: data intact {}, one write copied {} page(s), sender unchanged {}",
             intact, after_write, sender_unchanged);
    if intact && moved == 0 && after_write == 1 && sender_unchanged { 0 } else { 1 }
}

machrt::entry!(main);
