//! The cases around the IPC fast path, between two tasks: RPCs whose server
//! receives on a port set (the fast path's set case, with the header
//! naming the member), a receiver whose buffer is too small (the fast path
//! must step aside: MACH_RCV_TOO_LARGE, the message destroyed, the reply
//! right back as a send-once notification), and a receive buffer in memory
//! not touched yet (the fast path cannot write it: the message is queued
//! and the general receive faults the page in). `ipc-fast server` is the
//! first task (it holds the bootstrap port); `ipc-fast client` drives.
#![no_std]
#![no_main]

use mach::kern_return::*;
use mach::message::*;
use mach::port::*;
use machrt::msg::Buffer;
use machrt::{port, println};
use test_tasks::*;

const ECHO: i32 = 1;
const BIG: i32 = 2;
const FRESH: i32 = 3;
const ROUNDS: u32 = 20;

/// A request or reply: the header and one word.
fn word_msg(bits: MsgBits, remote: PortName, local: PortName, id: i32, value: u32, size: u32) -> [u8; 64] {
    let mut b = [0u8; 64];
    let h = MsgHeader { bits, size, remote_port: remote, local_port: local, id, ..Default::default() };
    mach::pod::write(&mut b, 0, &h);
    mach::pod::write(&mut b, 24, &value);
    b
}

fn server(c: &mut Checks, boot: PortName) {
    let t = machrt::trap::task_self();
    let set = port::allocate(t, MACH_PORT_RIGHT_PORT_SET).unwrap();
    port::move_member(t, boot, set).unwrap();
    let mut buf = Buffer::<64>::new();
    let mut kr = recv(&mut buf, set, 0);
    // Echo: reply through the send-once right and wait on the set again.
    let mut good = 0;
    for _ in 0..ROUNDS - 1 {
        let h = buf.header();
        let v: u32 = mach::pod::read(&buf.0, 24).unwrap();
        if kr == 0 && h.id == ECHO && h.local_port == boot && h.bits == msgh_bits(MACH_MSG_TYPE_PORT_SEND_ONCE, MACH_MSG_TYPE_PORT_SEND) {
            good += 1;
        }
        buf.0 = word_msg(msgh_bits(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0), h.remote_port, 0, ECHO + 100, v + 1, 28);
        // SAFETY: buf is 64 bytes.
        kr = unsafe { machrt::trap::mach_msg(buf.0.as_mut_ptr(), MACH_SEND_MSG | MACH_RCV_MSG, 28, 64, set, 0) };
    }
    c.check("requests through the set name the member", good == ROUNDS - 1, format_args!("{} of {}", good, ROUNDS - 1));
    // The last echo's receive took a 64-byte probe into 64 bytes; the
    // reply to it waits with 32 bytes, too few for the next request.
    c.kr("64-byte request into 64 bytes", kr, KERN_SUCCESS);
    let h = buf.header();
    c.check("it is the size probe", h.id == ECHO + 10, format_args!("id {}", h.id));
    buf.0 = word_msg(msgh_bits(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0), h.remote_port, 0, ECHO + 110, 0, 28);
    // SAFETY: the 64-byte buffer is offered as 32 bytes.
    kr = unsafe { machrt::trap::mach_msg(buf.0.as_mut_ptr(), MACH_SEND_MSG | MACH_RCV_MSG, 28, 32, set, 0) };
    c.kr("too large for 32 bytes", kr, MACH_RCV_TOO_LARGE);
    // A fresh page: mapped, never touched, so not in the page tables.
    let mut addr = 0u64;
    c.kr("fresh page", machrt::vm::vm_allocate(&mut addr, 4096, true), KERN_SUCCESS);
    // SAFETY: a receive into the allocated page.
    kr = unsafe { machrt::trap::mach_msg(addr as *mut u8, MACH_RCV_MSG, 0, 64, set, 0) };
    // SAFETY: the receive wrote (and faulted in) the page.
    let page = unsafe { core::slice::from_raw_parts(addr as *const u8, 64) };
    let h: MsgHeader = mach::pod::read(page, 0).unwrap();
    let v: u32 = mach::pod::read(page, 24).unwrap();
    c.check("received into an untouched page", kr == 0 && h.id == FRESH && v == 77, format_args!("kr {} id {} value {}", name(kr), h.id, v));
    let mut r = word_msg(msgh_bits(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0), h.remote_port, 0, FRESH + 100, v + 1, 28);
    // SAFETY: r is 64 bytes; send only.
    kr = unsafe { machrt::trap::mach_msg(r.as_mut_ptr(), MACH_SEND_MSG, 28, 0, 0, 0) };
    c.kr("reply from the fresh page's message", kr, KERN_SUCCESS);
}

fn client(c: &mut Checks, boot: PortName) {
    let reply = machrt::trap::reply_port();
    let mut buf = [0u8; 64];
    let rpc = |id: i32, value: u32, size: u32, buf: &mut [u8; 64]| {
        *buf = word_msg(msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE), boot, reply, id, value, size);
        // SAFETY: buf is 64 bytes.
        unsafe { machrt::trap::mach_msg(buf.as_mut_ptr(), MACH_SEND_MSG | MACH_RCV_MSG, size, 64, reply, 0) }
    };
    let mut good = 0;
    for i in 0..ROUNDS - 1 {
        let kr = rpc(ECHO, i, 28, &mut buf);
        let h: MsgHeader = mach::pod::read(&buf, 0).unwrap();
        let v: u32 = mach::pod::read(&buf, 24).unwrap();
        let bits = msgh_bits(0, MACH_MSG_TYPE_PORT_SEND_ONCE);
        if kr == 0 && h.id == ECHO + 100 && v == i + 1 && h.local_port == reply && h.remote_port == 0 && h.bits == bits {
            good += 1;
        }
    }
    c.check("echo replies", good == ROUNDS - 1, format_args!("{} of {}", good, ROUNDS - 1));
    // The 20th request is 64 bytes (it fits the server's 64).
    let kr = rpc(ECHO + 10, 0, 64, &mut buf);
    c.check("the 20th echo comes back", kr == 0, format_args!("{}", name(kr)));
    // Now the server offers 32 bytes: the request is destroyed with its
    // reply right, which comes back as a send-once notification.
    let kr = rpc(BIG, 0, 64, &mut buf);
    let h: MsgHeader = mach::pod::read(&buf, 0).unwrap();
    c.check("too-large request answered by a send-once notification",
            kr == 0 && h.id == MACH_NOTIFY_SEND_ONCE, format_args!("kr {} id {}", name(kr), h.id));
    let kr = rpc(FRESH, 77, 28, &mut buf);
    let v: u32 = mach::pod::read(&buf, 24).unwrap();
    c.check("reply after the untouched-page receive", kr == 0 && v == 78, format_args!("kr {} value {}", name(kr), v));
}

fn main(args: machrt::Args) -> i32 {
    let boot = machrt::task::bootstrap_port().expect("bootstrap port");
    let role = args.get(1).unwrap_or("client");
    let mut c = Checks { task: if role == "server" { "ipc-fast server" } else { "ipc-fast client" }, failed: 0 };
    if role == "server" {
        server(&mut c, boot);
    } else {
        client(&mut c, boot);
    }
    if c.failed == 0 {
        println!("{}: all passed", c.task);
    }
    c.failed as i32
}

machrt::entry!(main);
