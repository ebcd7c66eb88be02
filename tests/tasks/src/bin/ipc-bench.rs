//! The null RPC benchmark. `ipc-bench server` (first task) answers every
//! message on the bootstrap port through its send-once reply right, with
//! one mach_msg that replies and waits for the next request; `ipc-bench
//! client N` times N round trips with rdtsc (guest instructions under
//! `-icount shift=0`). Then N more requests carry the client's rdtsc just
//! before its mach_msg, and the server takes the difference on receipt:
//! the one-way figure (send, switch, receive, back in the receiver's user
//! code); guest time is one clock for both tasks under icount.
#![no_std]
#![no_main]

use mach::message::*;
use mach::port::*;
use machrt::msg::Buffer;
use machrt::println;

const QUIT: i32 = 999;
/// A request carrying the client's rdtsc after the header.
const STAMPED: i32 = 2;

fn server(boot: PortName) -> i32 {
    let mut buf = Buffer::<64>::new();
    let mut kr = test_tasks::recv(&mut buf, boot, 0);
    let (mut one_way, mut stamped) = (0u64, 0u64);
    loop {
        let now = machrt::trap::rdtsc();
        if kr != 0 {
            println!("bench server: {}", mach::kern_return::name(kr));
            return 1;
        }
        let h = buf.header();
        if h.id == STAMPED {
            let sent: u64 = mach::pod::read(&buf.0, 24).unwrap();
            one_way += now - sent;
            stamped += 1;
        }
        if h.id == QUIT {
            if stamped > 0 {
                println!("one-way: {} guest instructions from send to receiver ({} messages)", one_way / stamped, stamped);
            }
            return 0;
        }
        let reply = MsgHeader { bits: msgh_bits(MACH_MSG_TYPE_MOVE_SEND_ONCE, 0), size: 24, remote_port: h.remote_port, id: h.id + 100, ..Default::default() };
        mach::pod::write(&mut buf.0, 0, &reply);
        // SAFETY: buf is 64 bytes.
        kr = unsafe { machrt::trap::mach_msg(buf.0.as_mut_ptr(), MACH_SEND_MSG | MACH_RCV_MSG, 24, 64, boot, 0) };
    }
}

fn client(boot: PortName, n: u64) -> i32 {
    let reply = machrt::trap::reply_port();
    let mut buf = Buffer::<64>::new();
    let mut rpc = |id: i32| {
        let size = if id == STAMPED { 32 } else { 24 };
        let h = MsgHeader {
            bits: msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE),
            size, remote_port: boot, local_port: reply, id, ..Default::default()
        };
        mach::pod::write(&mut buf.0, 0, &h);
        if id == STAMPED {
            mach::pod::write(&mut buf.0, 24, &machrt::trap::rdtsc());
        }
        // SAFETY: buf is 64 bytes.
        unsafe { machrt::trap::mach_msg(buf.0.as_mut_ptr(), MACH_SEND_MSG | MACH_RCV_MSG, size, 64, reply, 0) }
    };
    for _ in 0..100 {
        rpc(1);
    }
    let t0 = machrt::trap::rdtsc();
    for _ in 0..n {
        if rpc(1) != 0 {
            println!("bench client: rpc failed");
            return 1;
        }
    }
    let t1 = machrt::trap::rdtsc();
    println!("null rpc: {} guest instructions per round trip ({} round trips)", (t1 - t0) / n, n);
    println!("MACH null-rpc-round-trip ticks={}", (t1 - t0) / n);
    for _ in 0..n {
        if rpc(STAMPED) != 0 {
            println!("bench client: rpc failed");
            return 1;
        }
    }
    let h = MsgHeader { bits: msgh_bits(MACH_MSG_TYPE_COPY_SEND, 0), size: 24, remote_port: boot, id: QUIT, ..Default::default() };
    let mut q = test_tasks::Simple { header: h, value: 0 };
    machrt::msg::send(&mut q, 0, 0);
    0
}

fn main(args: machrt::Args) -> i32 {
    let boot = machrt::task::bootstrap_port().expect("bootstrap port");
    match args.get(1) {
        Some("server") => server(boot),
        _ => client(boot, args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2000)),
    }
}

machrt::entry!(main);
