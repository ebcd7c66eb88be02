//! IPC checks one task can make on its own ports: port sets, queue limits
//! and send timeouts, receive timeouts, too-large receives, send-once
//! rights, notifications, and the errors of malformed sends.
#![no_std]
#![no_main]

use mach::kern_return::*;
use mach::defs::mach_port::*;
use mach::message::*;
use mach::port::*;
use machrt::msg::Buffer;
use machrt::{port, println};
use test_tasks::*;

fn new_port(task: PortName, with_send: bool) -> PortName {
    let p = port::allocate(task, MACH_PORT_RIGHT_RECEIVE).expect("allocate");
    if with_send {
        port::insert_right(task, p, p, MACH_MSG_TYPE_MAKE_SEND).expect("insert_right");
    }
    p
}

fn main(_args: machrt::Args) -> i32 {
    let mut c = Checks { task: "ipc-self", failed: 0 };
    let t = machrt::trap::task_self();
    let mut buf = Buffer::<256>::new();

    // A send right and a message round trip.
    let p = new_port(t, true);
    c.check("insert_right make-send", port::get_refs(t, p, MACH_PORT_RIGHT_SEND) == Ok(1), format_args!("refs"));
    c.kr("send to own port", send_simple(p, MACH_MSG_TYPE_COPY_SEND, 7, 42, 0, 0), KERN_SUCCESS);
    let kr = recv(&mut buf, p, 0);
    let m: Simple = buf.get();
    c.check("receive own message", kr == 0 && m.header.id == 7 && m.value == 42 && m.header.local_port == p,
            format_args!("kr {} id {} local {:#x}", name(kr), m.header.id, m.header.local_port));

    // Port sets: the received header names the member.
    let set = port::allocate(t, MACH_PORT_RIGHT_PORT_SET).unwrap();
    let a = new_port(t, true);
    let b = new_port(t, true);
    port::move_member(t, a, set).unwrap();
    port::move_member(t, b, set).unwrap();
    send_simple(b, MACH_MSG_TYPE_COPY_SEND, 8, 0, 0, 0);
    let kr = recv(&mut buf, set, 0);
    let local = buf.header().local_port;
    c.check("port set receive names the member", kr == 0 && local == b, format_args!("kr {} local {:#x} b {:#x}", name(kr), local, b));
    println!("ipc-self: port set received from member {:#x} (b = {:#x})", local, b);
    c.kr("receive on a member of a set", recv(&mut buf, a, 10), MACH_RCV_IN_SET);
    c.kr("empty set times out", recv(&mut buf, set, 10), MACH_RCV_TIMED_OUT);

    // Queue limit: the default of 5, then a limit of 2.
    let q = new_port(t, true);
    let sent = (0..5).filter(|_| send_simple(q, MACH_MSG_TYPE_COPY_SEND, 9, 0, MACH_SEND_TIMEOUT, 0) == 0).count();
    c.check("five messages fit the default queue", sent == 5, format_args!("{}", sent));
    c.kr("sixth send polls and fails", send_simple(q, MACH_MSG_TYPE_COPY_SEND, 9, 0, MACH_SEND_TIMEOUT, 0), MACH_SEND_TIMED_OUT);
    c.kr("sixth send waits 50 ms and fails", send_simple(q, MACH_MSG_TYPE_COPY_SEND, 9, 0, MACH_SEND_TIMEOUT, 50), MACH_SEND_TIMED_OUT);
    let st = port::status(t, q).unwrap();
    c.check("status counts 5 queued", st[STATUS_MSGCOUNT] == 5 && st[STATUS_QLIMIT] == 5, format_args!("{:?}", st));
    let q2 = new_port(t, true);
    port::set_qlimit(t, q2, 2).unwrap();
    send_simple(q2, MACH_MSG_TYPE_COPY_SEND, 9, 0, MACH_SEND_TIMEOUT, 0);
    send_simple(q2, MACH_MSG_TYPE_COPY_SEND, 9, 0, MACH_SEND_TIMEOUT, 0);
    c.kr("qlimit 2 refuses a third", send_simple(q2, MACH_MSG_TYPE_COPY_SEND, 9, 0, MACH_SEND_TIMEOUT, 0), MACH_SEND_TIMED_OUT);
    c.check("get_attributes reads the limit", port::get_attributes(t, q2, MACH_PORT_LIMITS_INFO).map(|i| i[0]) == Ok(2), format_args!(""));
    c.kr("send-once ignores the queue limit", {
        let so = port::extract_right(t, q2, MACH_MSG_TYPE_MAKE_SEND_ONCE).unwrap();
        send_simple(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 9, 0, MACH_SEND_TIMEOUT, 0)
    }, KERN_SUCCESS);

    // Receive timeouts.
    let e = new_port(t, false);
    c.kr("receive poll on empty port", msg_poll(&mut buf, e), MACH_RCV_TIMED_OUT);
    c.kr("receive times out after 100 ms", recv(&mut buf, e, 100), MACH_RCV_TIMED_OUT);

    // Too large, with and without MACH_RCV_LARGE.
    too_large(&mut c, t, p);

    // Send-once rights are used up by one send.
    let so = port::extract_right(t, p, MACH_MSG_TYPE_MAKE_SEND_ONCE).unwrap();
    c.kr("send through send-once", send_simple(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 10, 0, 0, 0), KERN_SUCCESS);
    c.kr("second send through it fails", send_simple(so, MACH_MSG_TYPE_MOVE_SEND_ONCE, 10, 0, 0, 0), MACH_SEND_INVALID_DEST);
    recv(&mut buf, p, 0);
    let h = buf.header();
    c.check("send-once arrival says so", msgh_bits_local(h.bits) == MACH_MSG_TYPE_PORT_SEND_ONCE, format_args!("{:#x}", h.bits));

    notifications(&mut c, t, p);
    bad_sends(&mut c, t, p);

    if c.failed == 0 {
        println!("ipc-self: all passed");
    } else {
        println!("ipc-self: {} checks failed", c.failed);
    }
    c.failed as i32
}

fn msg_poll(buf: &mut Buffer<256>, name: PortName) -> KernReturn {
    machrt::msg::receive(buf, name, MACH_RCV_TIMEOUT, 0)
}

/// A complex message carrying a send right, so destroying it shows in srights.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct WithPort {
    header: MsgHeader,
    body: MsgBody,
    port: PortDescriptor,
    pad: [u32; 6],
}
unsafe impl mach::pod::Pod for WithPort {}

fn too_large(c: &mut Checks, t: PortName, p: PortName) {
    let carried = new_port(t, false);
    let mk = || WithPort {
        header: MsgHeader { bits: msgh_bits(MACH_MSG_TYPE_COPY_SEND, 0) | MACH_MSGH_BITS_COMPLEX, remote_port: p, id: 11, ..Default::default() },
        body: MsgBody { descriptor_count: 1 },
        port: PortDescriptor::new(carried, MACH_MSG_TYPE_MAKE_SEND),
        pad: [0; 6],
    };
    let size = core::mem::size_of::<WithPort>() as u32;
    machrt::msg::send(&mut mk(), 0, 0);
    let mut small = Buffer::<32>::new();
    let kr = machrt::msg::receive(&mut small, p, MACH_RCV_LARGE | MACH_RCV_TIMEOUT, 0);
    let needed = small.header().size;
    c.check("RCV_LARGE reports the size", kr == MACH_RCV_TOO_LARGE && needed == size, format_args!("{} {}", name(kr), needed));
    let st = port::status(t, p).unwrap();
    c.check("RCV_LARGE leaves it queued", st[STATUS_MSGCOUNT] == 1, format_args!("{:?}", st));
    let mut big = Buffer::<256>::new();
    c.kr("then a large buffer gets it", recv(&mut big, p, 10), KERN_SUCCESS);
    let got: WithPort = big.get();
    c.check("the carried send right arrived", got.port.name == carried && got.port.disposition as u32 == MACH_MSG_TYPE_PORT_SEND, format_args!("{:#x}", got.port.name));
    // The right merged into `carried`'s entry: two urefs now? No: one
    // space counts once, so urefs is 1.
    machrt::msg::send(&mut mk(), 0, 0);
    let before = port::status(t, carried).unwrap()[STATUS_SRIGHTS];
    let kr = machrt::msg::receive(&mut small, p, MACH_RCV_TIMEOUT, 0);
    let after = port::status(t, carried).unwrap()[STATUS_SRIGHTS];
    c.kr("without RCV_LARGE: too large", kr, MACH_RCV_TOO_LARGE);
    c.check("and the message is destroyed with its rights", port::status(t, p).unwrap()[STATUS_MSGCOUNT] == 0 && after + 1 == before,
            format_args!("srights {} -> {}", before, after));
}

fn notifications(c: &mut Checks, t: PortName, p: PortName) {
    let notify = new_port(t, false);
    let mut buf = Buffer::<256>::new();
    // Send-once notification: a send-once right destroyed unused.
    let so = port::extract_right(t, notify, MACH_MSG_TYPE_MAKE_SEND_ONCE).unwrap();
    port::deallocate(t, so).unwrap();
    let kr = recv(&mut buf, notify, 100);
    c.check("send-once notification", kr == 0 && buf.header().id == MACH_NOTIFY_SEND_ONCE, format_args!("{} id {}", name(kr), buf.header().id));
    // No-senders: the last send right goes.
    let n = new_port(t, true);
    port::request_notification(t, n, MACH_NOTIFY_NO_SENDERS, 0, notify).unwrap();
    port::deallocate(t, n).unwrap();
    let kr = recv(&mut buf, notify, 100);
    let ns: mach::defs::notify::NoSendersNotification = buf.get();
    c.check("no-senders notification", kr == 0 && ns.header.id == MACH_NOTIFY_NO_SENDERS && ns.mscount == 1,
            format_args!("{} id {} mscount {}", name(kr), ns.header.id, ns.mscount));
    // Dead name: destroy the receive right under a name that also holds send.
    let d = new_port(t, true);
    port::request_notification(t, d, MACH_NOTIFY_DEAD_NAME, 0, notify).unwrap();
    port::mod_refs(t, d, MACH_PORT_RIGHT_RECEIVE, -1).unwrap();
    let kr = recv(&mut buf, notify, 100);
    let dn: mach::defs::notify::DeadNameNotification = buf.get();
    c.check("dead-name notification", kr == 0 && dn.header.id == MACH_NOTIFY_DEAD_NAME && dn.name == d,
            format_args!("{} id {} name {:#x}", name(kr), dn.header.id, dn.name));
    c.check("the name is dead", port::get_refs(t, d, MACH_PORT_RIGHT_DEAD_NAME) == Ok(1), format_args!(""));
    c.kr("sending to a dead name", send_simple(d, MACH_MSG_TYPE_COPY_SEND, 1, 0, 0, 0), MACH_SEND_INVALID_DEST);
    let _ = p;
}

fn bad_sends(c: &mut Checks, t: PortName, p: PortName) {
    c.kr("bad destination name", send_simple(0x7777_0003, MACH_MSG_TYPE_COPY_SEND, 1, 0, 0, 0), MACH_SEND_INVALID_DEST);
    c.kr("bad destination disposition", send_simple(p, 5, 1, 0, 0, 0), MACH_SEND_INVALID_HEADER);
    let mut m = Simple { header: MsgHeader { bits: msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_COPY_SEND), remote_port: p, local_port: 0x5555_0003, ..Default::default() }, value: 0 };
    c.kr("bad reply name", machrt::msg::send(&mut m, 0, 0), MACH_SEND_INVALID_REPLY);
    // A bad descriptor leaves a MOVE_SEND destination's right in place.
    let x = new_port(t, true);
    let mut w = WithPort {
        header: MsgHeader { bits: msgh_bits(MACH_MSG_TYPE_MOVE_SEND, 0) | MACH_MSGH_BITS_COMPLEX, remote_port: x, ..Default::default() },
        body: MsgBody { descriptor_count: 1 },
        port: PortDescriptor::new(0x6666_0003, MACH_MSG_TYPE_COPY_SEND),
        pad: [0; 6],
    };
    c.kr("descriptor naming a right not held", machrt::msg::send(&mut w, 0, 0), MACH_SEND_INVALID_RIGHT);
    c.check("the sender's rights are unchanged", port::get_refs(t, x, MACH_PORT_RIGHT_SEND) == Ok(1), format_args!(""));
    w.port = PortDescriptor::new(x, 99);
    c.kr("descriptor with a bad disposition", machrt::msg::send(&mut w, 0, 0), MACH_SEND_INVALID_TYPE);
    w.port = PortDescriptor::new(x, MACH_MSG_TYPE_COPY_SEND);
    w.port.kind = 7;
    c.kr("descriptor of a bad kind", machrt::msg::send(&mut w, 0, 0), MACH_SEND_INVALID_TYPE);
    w.port.kind = MACH_MSG_PORT_DESCRIPTOR;
    w.body.descriptor_count = 1000;
    c.kr("more descriptors than the message holds", machrt::msg::send(&mut w, 0, 0), MACH_SEND_MSG_TOO_SMALL);
    c.check("still unchanged", port::get_refs(t, x, MACH_PORT_RIGHT_SEND) == Ok(1), format_args!(""));
    let raw = |addr: u64, opt: MsgOption, ssize: u32, rsize: u32, name: PortName| unsafe {
        machrt::trap::mach_msg(addr as *mut u8, opt, ssize, rsize, name, 0)
    };
    m.header.local_port = 0;
    m.header.bits = msgh_bits(MACH_MSG_TYPE_COPY_SEND, 0);
    let bp = core::hint::black_box(&mut m) as *mut Simple as u64;
    c.kr("size below a header", raw(bp, MACH_SEND_MSG, 20, 0, 0), MACH_SEND_MSG_TOO_SMALL);
    c.kr("size not a multiple of 4", raw(bp, MACH_SEND_MSG, 26, 0, 0), MACH_SEND_MSG_TOO_SMALL);
    c.kr("size above the maximum", raw(bp, MACH_SEND_MSG, 1 << 20, 0, 0), MACH_SEND_TOO_LARGE);
    c.kr("unmapped send buffer", raw(0xdead_0000, MACH_SEND_MSG, 28, 0, 0), MACH_SEND_INVALID_DATA);
    c.kr("kernel-address send buffer", raw(0xffff_ffff_8010_0000, MACH_SEND_MSG, 28, 0, 0), MACH_SEND_INVALID_DATA);
    c.kr("unmapped receive buffer", raw(0xdead_0000, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, 64, p), MACH_RCV_INVALID_DATA);
    c.kr("receive on a bad name", raw(bp, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, 64, 0x4444_0003), MACH_RCV_INVALID_NAME);
    c.kr("receive on a send right", raw(bp, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, 64, t), MACH_RCV_INVALID_NAME);
    c.check("mach_port ops check names", port::deallocate(t, 0x3333_0003) == Err(KERN_INVALID_NAME)
            && port::mod_refs(t, x, MACH_PORT_RIGHT_SEND, -5) == Err(KERN_INVALID_VALUE)
            && port::allocate(t, 99) == Err(KERN_INVALID_VALUE), format_args!(""));
}

machrt::entry!(main);
