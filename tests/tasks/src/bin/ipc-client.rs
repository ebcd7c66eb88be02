//! The client side of the cross-task IPC test (see ipc-server).
#![no_std]
#![no_main]

use mach::kern_return::*;
use mach::message::*;
use mach::port::*;
use machrt::msg::Buffer;
use machrt::{port, println};
use test_tasks::*;


fn main(_args: machrt::Args) -> i32 {
    let t = machrt::trap::task_self();
    let boot = machrt::task::bootstrap_port().expect("bootstrap port");
    let me = port::allocate(t, MACH_PORT_RIGHT_RECEIVE).unwrap();
    let reply = port::allocate(t, MACH_PORT_RIGHT_RECEIVE).unwrap();
    let mut h = Hello {
        header: MsgHeader {
            bits: msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) | MACH_MSGH_BITS_COMPLEX,
            remote_port: boot, local_port: reply, id: 1, ..Default::default()
        },
        body: MsgBody { descriptor_count: 1 },
        port: PortDescriptor::new(me, MACH_MSG_TYPE_MAKE_SEND),
    };
    assert_eq!(machrt::msg::send(&mut h, 0, 0), 0);
    let mut buf = Buffer::<256>::new();
    let kr = recv(&mut buf, reply, 0);
    let a: Answer = buf.get();
    let (q, qdisp, r, ool, sum) = ({ a.receive }.name, { a.receive }.disposition as u32, { a.send }.name, a.ool, a.sum);
    println!("client: answer {} id {}: receive right {:#x} (type {}), send right {:#x}, ool {} bytes at {:#x}",
             name(kr), buf.header().id, q, qdisp, r, { ool.size }, { ool.address });
    // SAFETY: the kernel mapped the region at this address for us.
    let data = unsafe { core::slice::from_raw_parts(ool.address as *const u8, ool.size as usize) };
    let ok = checksum(data) == sum && data.iter().enumerate().all(|(i, &b)| b == pattern(i));
    println!("client: ool {} bytes {} (checksum {:#x})", data.len(), if ok { "intact" } else { "CORRUPT" }, checksum(data));

    // The moved receive right is ours: a message to it arrives here.
    send_simple(q, MACH_MSG_TYPE_MAKE_SEND, 5, 55, 0, 0);
    let kr = recv(&mut buf, q, 100);
    let m: Simple = buf.get();
    println!("client: on the moved receive right: {} value {}", name(kr), m.value);
    let sr = port::get_refs(t, r, MACH_PORT_RIGHT_SEND);
    println!("client: send right refs {:?}", sr);

    // Flood the server (which is not receiving yet): the queue fills.
    let mut ok = 0;
    while send_simple(boot, MACH_MSG_TYPE_COPY_SEND, 2, 0, MACH_SEND_TIMEOUT, 0) == KERN_SUCCESS {
        ok += 1;
    }
    let full = send_simple(boot, MACH_MSG_TYPE_COPY_SEND, 2, 0, MACH_SEND_TIMEOUT, 20);
    println!("client: queue full after {} messages: {}", ok, name(full));
    for _ in 0..3 {
        assert_eq!(send_simple(boot, MACH_MSG_TYPE_COPY_SEND, 2, 0, 0, 0), 0);
    }
    println!("client: 3 blocking sends completed after the server drained");
    send_simple(boot, MACH_MSG_TYPE_COPY_SEND, 3, 0, 0, 0);
    println!("client: exiting");
    0
}

machrt::entry!(main);
