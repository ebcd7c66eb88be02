//! The server side of the cross-task IPC test, run as the first boot task
//! so it holds the bootstrap port's receive right. It receives the
//! client's hello (with a send right to the client's port), answers
//! through the send-once reply right with a moved receive right, a send
//! right and 1 MiB of out-of-line data, lets the client's flood fill its
//! queue, and then waits for the dead-name and no-senders notifications
//! that the client's death causes.
#![no_std]
#![no_main]

use mach::defs::mach_port::STATUS_SRIGHTS;
use mach::message::*;
use mach::port::*;
use machrt::msg::Buffer;
use machrt::{port, println};
use test_tasks::*;

pub const OOL_SIZE: usize = 1 << 20;
static mut DATA: [u8; OOL_SIZE] = [0; OOL_SIZE];


fn main(_args: machrt::Args) -> i32 {
    let t = machrt::trap::task_self();
    let boot = machrt::task::bootstrap_port().expect("bootstrap port");
    println!("server: bootstrap port {:#x}", boot);
    let mut buf = Buffer::<256>::new();
    assert_eq!(recv(&mut buf, boot, 0), 0);
    let hello: test_tasks::Simple = buf.get();
    let client = u32::from_ne_bytes(buf.0[28..32].try_into().unwrap());
    let reply = hello.header.remote_port;
    println!("server: hello id {} with client port {:#x} and reply {:#x}", hello.header.id, client, reply);

    let notify = port::allocate(t, MACH_PORT_RIGHT_RECEIVE).unwrap();
    port::request_notification(t, client, MACH_NOTIFY_DEAD_NAME, 0, notify).unwrap();
    let q = port::allocate(t, MACH_PORT_RIGHT_RECEIVE).unwrap();
    let r = port::allocate(t, MACH_PORT_RIGHT_RECEIVE).unwrap();
    port::request_notification(t, r, MACH_NOTIFY_NO_SENDERS, 1, notify).unwrap();

    // SAFETY: this task has one thread; DATA is only touched here.
    let data = unsafe { &mut *core::ptr::addr_of_mut!(DATA) };
    for (i, b) in data.iter_mut().enumerate() {
        *b = pattern(i);
    }
    let sum = checksum(data);
    let mut a = Answer {
        header: MsgHeader { bits: msgh_bits(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0) | MACH_MSGH_BITS_COMPLEX, remote_port: reply, id: 200, ..Default::default() },
        body: MsgBody { descriptor_count: 3 },
        receive: PortDescriptor::new(q, MACH_MSG_TYPE_MOVE_RECEIVE),
        send: PortDescriptor::new(r, MACH_MSG_TYPE_MAKE_SEND),
        ool: OolDescriptor::new(data.as_ptr() as u64, OOL_SIZE as u32, false),
        sum,
    };
    let kr = machrt::msg::send(&mut a, 0, 0);
    println!("server: answer sent: {} (checksum {:#x})", mach::kern_return::name(kr), sum);
    let gone = send_simple(q, MACH_MSG_TYPE_MAKE_SEND, 1, 0, 0, 0);
    println!("server: after moving the receive right: {}", mach::kern_return::name(gone));

    // Let the client's flood fill the queue before draining it.
    let idle = port::allocate(t, MACH_PORT_RIGHT_RECEIVE).unwrap();
    recv(&mut buf, idle, 300);
    let mut flood = 0;
    loop {
        assert_eq!(recv(&mut buf, boot, 0), 0);
        match buf.header().id {
            2 => flood += 1,
            3 => break,
            id => println!("server: unexpected id {}", id),
        }
    }
    println!("server: drained {} flood messages", flood);

    let (mut dead, mut nosenders) = (false, false);
    while !(dead && nosenders) {
        if recv(&mut buf, notify, 5000) != 0 {
            println!("server: notifications missing");
            return 1;
        }
        match buf.header().id {
            MACH_NOTIFY_DEAD_NAME => {
                let n: mach::defs::notify::DeadNameNotification = buf.get();
                println!("server: dead-name notification for {:#x} (client port {:#x})", n.name, client);
                dead = true;
            }
            MACH_NOTIFY_NO_SENDERS => {
                let n: mach::defs::notify::NoSendersNotification = buf.get();
                println!("server: no-senders notification, mscount {}", n.mscount);
                nosenders = true;
            }
            id => println!("server: notification id {}", id),
        }
    }
    let refs = port::get_refs(t, client, MACH_PORT_RIGHT_DEAD_NAME);
    println!("server: client port is now a dead name with {:?} refs", refs);
    println!("server: srights of r now {}", port::status(t, r).unwrap()[STATUS_SRIGHTS]);
    println!("server: done");
    0
}

machrt::entry!(main);
