//! A hostile task: thousands of malformed messages and random trap
//! arguments (bad names, bad descriptors, absurd sizes, unmapped and kernel
//! buffers, rights it does not hold, random negative trap numbers). Every
//! call must come back with a return code; the kernel must not panic.
//! Deterministic: xorshift with a fixed seed.
#![no_std]
#![no_main]

use mach::kern_return::*;
use mach::message::*;
use mach::port::*;
use mach::traps;
use machrt::println;
use test_tasks::XorShift;

const ROUNDS: u32 = 4000;

fn main(_args: machrt::Args) -> i32 {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let t = machrt::trap::task_self();
    let own = machrt::port::allocate(t, MACH_PORT_RIGHT_RECEIVE).unwrap_or(0);
    let boot = machrt::task::bootstrap_port().unwrap_or(0);
    let names = [0, !0, t, own, boot, 0x103, 0x203, 0x1234_5603];
    let mut buf = [0u32; 256];
    let (mut errors, mut successes) = (0u32, 0u32);
    for round in 0..ROUNDS {
        let kr = match rng.below(5) {
            0 => random_trap(&mut rng, &names),
            1 => malformed_send(&mut rng, &names, &mut buf),
            2 => bad_buffer(&mut rng, &names),
            3 => random_receive(&mut rng, &names, &mut buf),
            _ => random_port_op(&mut rng, t, &names, &mut buf),
        };
        if kr == KERN_SUCCESS { successes += 1 } else { errors += 1 }
        if round % 1000 == 999 {
            println!("hostile: {} calls so far", round + 1);
        }
    }
    println!("hostile: {} calls, {} errors, {} successes", ROUNDS, errors, successes);
    println!("hostile: kernel survived");
    0
}

fn pick(rng: &mut XorShift, names: &[PortName]) -> PortName {
    if rng.below(3) == 0 { rng.next() as u32 } else { names[rng.below(names.len() as u64) as usize] }
}

/// A random negative trap with random arguments; mach_msg always with
/// timeouts so that it cannot block forever, and never the debug traps that
/// end the task or the machine or print.
fn random_trap(rng: &mut XorShift, names: &[PortName]) -> KernReturn {
    let n = -(rng.below(140) as i64) - 1;
    if matches!(n, traps::DEBUG_TASK_EXIT | traps::DEBUG_POWEROFF | traps::DEBUG_PRINT) {
        return KERN_FAILURE;
    }
    let mut a = [0u64; 6];
    for x in &mut a {
        *x = match rng.below(4) {
            0 => rng.next(),
            1 => rng.below(4096),
            2 => pick(rng, names) as u64,
            _ => 0xffff_ffff_8000_0000 + rng.below(1 << 20),
        };
    }
    if n == traps::MACH_MSG {
        a[1] |= (MACH_SEND_TIMEOUT | MACH_RCV_TIMEOUT) as u64;
        a[5] = rng.below(2);
    }
    // SAFETY: the kernel checks every argument; that is what is tested.
    let r = unsafe { machrt::trap::trap6(n, a[0], a[1], a[2], a[3], a[4], a[5]) };
    match n {
        // These return a name, not a code.
        traps::MACH_REPLY_PORT | traps::TASK_SELF | traps::THREAD_SELF | traps::HOST_SELF => KERN_SUCCESS,
        _ => r as KernReturn,
    }
}

fn malformed_send(rng: &mut XorShift, names: &[PortName], buf: &mut [u32; 256]) -> KernReturn {
    for w in buf.iter_mut() {
        *w = rng.next() as u32;
    }
    let disps = [0, 16, 17, 18, 19, 20, 21, 22, 99];
    let d = |rng: &mut XorShift| disps[rng.below(disps.len() as u64) as usize];
    buf[0] = d(rng) | (d(rng) << 8) | if rng.below(2) == 0 { MACH_MSGH_BITS_COMPLEX } else { 0 };
    buf[2] = pick(rng, names);
    buf[3] = pick(rng, names);
    buf[6] = rng.below(12) as u32; // descriptor count
    for i in 0..12 {
        let base = 7 + 4 * i;
        let kind = rng.below(3) as u32;
        if kind == 0 {
            buf[base] = pick(rng, names);
            buf[base + 3] = (d(rng) << 16) | (kind << 24);
        } else if kind == 1 {
            // Out-of-line: random (unmapped) addresses, sizes up to huge,
            // the deallocate flag random; or a real buffer, never deallocated.
            if rng.below(2) == 0 {
                let a = buf.as_ptr() as u64;
                buf[base] = a as u32;
                buf[base + 1] = (a >> 32) as u32;
                buf[base + 2] = rng.below(1024) as u32;
                buf[base + 3] = kind << 24;
            } else {
                buf[base + 3] = (kind << 24) | (rng.below(2) as u32);
            }
        } else {
            buf[base + 3] = (rng.below(256) as u32) << 24;
        }
    }
    let size = match rng.below(4) {
        0 => rng.below(1024) as u32,
        1 => 24 + 4 * rng.below(200) as u32,
        2 => rng.next() as u32,
        _ => 28 + 16 * buf[6],
    };
    // SAFETY: the buffer is 1 KiB; the kernel checks the size against it.
    unsafe { machrt::trap::mach_msg(buf.as_mut_ptr() as *mut u8, MACH_SEND_MSG | MACH_SEND_TIMEOUT, size.min(1024), 0, 0, 0) }
}

fn bad_buffer(rng: &mut XorShift, names: &[PortName]) -> KernReturn {
    let addrs = [0u64, 8, 0xdead_0000, 0x7fff_ffff_f000, 0xffff_8000_0000_0000, 0xffff_ffff_8010_0000, rng.next()];
    let a = addrs[rng.below(addrs.len() as u64) as usize];
    let opt = if rng.below(2) == 0 { MACH_SEND_MSG | MACH_SEND_TIMEOUT } else { MACH_RCV_MSG | MACH_RCV_TIMEOUT };
    // SAFETY: deliberately bad addresses; the kernel must refuse them.
    unsafe { machrt::trap::mach_msg(a as *mut u8, opt, 24 + 4 * rng.below(10) as u32, rng.next() as u32, pick(rng, names), 0) }
}

fn random_receive(rng: &mut XorShift, names: &[PortName], buf: &mut [u32; 256]) -> KernReturn {
    let opt = MACH_RCV_MSG | MACH_RCV_TIMEOUT | if rng.below(2) == 0 { MACH_RCV_LARGE } else { 0 };
    // SAFETY: the buffer is 1 KiB and rcv_size at most that.
    unsafe { machrt::trap::mach_msg(buf.as_mut_ptr() as *mut u8, opt, 0, rng.below(1025) as u32, pick(rng, names), 0) }
}

/// A random request to the task port (ids around the mach_port and task
/// subsystems) with random fields.
fn random_port_op(rng: &mut XorShift, t: PortName, names: &[PortName], buf: &mut [u32; 256]) -> KernReturn {
    for w in buf[6..20].iter_mut() {
        *w = if rng.below(2) == 0 { pick(rng, names) } else { rng.next() as u32 };
    }
    let complex = rng.below(3) == 0;
    buf[0] = msgh_bits(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE) | if complex { MACH_MSGH_BITS_COMPLEX } else { 0 };
    if complex {
        buf[6] = 1;
        buf[7] = pick(rng, names);
        buf[10] = (MACH_MSG_TYPE_MAKE_SEND_ONCE + rng.below(3) as u32) << 16;
    }
    let reply = machrt::msg::reply_port();
    buf[2] = t;
    buf[3] = reply;
    buf[5] = if rng.below(4) == 0 { 3409 } else { 3200 + rng.below(25) as i32 } as u32;
    // Never destroy our own task port or reply port name.
    if matches!(buf[5], 3205 | 3206 | 3208) && (buf[6] == t || buf[6] == reply) {
        return KERN_FAILURE;
    }
    let size = 24 + 4 * rng.below(14) as u32;
    // SAFETY: the buffer is 1 KiB.
    unsafe {
        machrt::trap::mach_msg(buf.as_mut_ptr() as *mut u8, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT | MACH_SEND_TIMEOUT,
                               size, 1024, reply, 10)
    }
}

machrt::entry!(main);
