//! futex(2) for the threads of one process: a wait parks the call (keyed
//! by the process and the word's address) if the word still holds the
//! expected value; a wake answers parked waits. Private futexes only: a
//! word in memory shared between processes is keyed per process.

use crate::calls::now_ns;
use crate::calls::park;
use crate::{mem, Answer, Park, Parked, Pcb, Server};
use alloc::vec::Vec;
use linux_abi::Errno;
use mach::defs::bsd::bsd_syscall;
use mach::message::MsgHeader;
use machrt::sync::Mutex;

const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
const FUTEX_REQUEUE: u32 = 3;
const FUTEX_CMP_REQUEUE: u32 = 4;
const FUTEX_WAIT_BITSET: u32 = 9;
const FUTEX_WAKE_BITSET: u32 = 10;
const FUTEX_PRIVATE_FLAG: u32 = 128;
const FUTEX_CLOCK_REALTIME: u32 = 256;

/// Held across a wait's check-and-park and a wake's unpark, so a wake
/// that follows the waker's store can never miss the waiter.
static FUTEX: Mutex<()> = Mutex::new(());

pub fn futex(s: &Server, p: &Pcb, h: &MsgHeader, a: [u64; 6]) -> Answer {
    let (addr, op, val) = (a[0], a[1] as u32, a[2] as u32);
    if addr % 4 != 0 {
        return Answer::Rval(Errno::EINVAL.to_ret());
    }
    let r = match op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME) {
        FUTEX_WAIT => return wait(s, p, h, addr, val, a[3], false, op),
        FUTEX_WAIT_BITSET => return wait(s, p, h, addr, val, a[3], true, op),
        FUTEX_WAKE | FUTEX_WAKE_BITSET => Ok(wake(s, p.pid, addr, val as usize, None)),
        FUTEX_REQUEUE => Ok(wake(s, p.pid, addr, val as usize, Some((a[4], a[3] as usize)))),
        FUTEX_CMP_REQUEUE => cmp_requeue(s, p, addr, val, a),
        _ => Err(Errno::ENOSYS),
    };
    Answer::Rval(r.unwrap_or_else(|e| e.to_ret()))
}

fn word(p: &Pcb, addr: u64) -> Result<u32, Errno> {
    let b = mem::read(p.task, addr, 4)?;
    Ok(u32::from_le_bytes(b[..4].try_into().map_err(|_| Errno::EFAULT)?))
}

/// The deadline of a wait: FUTEX_WAIT's timeout is relative, the bitset
/// wait's absolute (CLOCK_MONOTONIC, or the realtime clock).
fn deadline(p: &Pcb, ts: u64, absolute: bool, op: u32) -> Result<u64, Errno> {
    if ts == 0 {
        return Ok(u64::MAX);
    }
    let b = mem::read(p.task, ts, 16)?;
    let (sec, nsec) = (i64::from_le_bytes(b[..8].try_into().unwrap_or_default()),
                       i64::from_le_bytes(b[8..].try_into().unwrap_or_default()));
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    let ns = (sec as u64).saturating_mul(1_000_000_000).saturating_add(nsec as u64);
    if !absolute {
        return Ok(now_ns().saturating_add(ns));
    }
    let boot_ns = if op & FUTEX_CLOCK_REALTIME != 0 { crate::calls::fine_clock().2 * 1_000_000_000 } else { 0 };
    Ok(ns.saturating_sub(boot_ns))
}

#[allow(clippy::too_many_arguments)]
fn wait(s: &Server, p: &Pcb, h: &MsgHeader, addr: u64, val: u32, ts: u64, absolute: bool, op: u32) -> Answer {
    let until_ns = match deadline(p, ts, absolute, op) {
        Ok(d) => d,
        Err(e) => return Answer::Rval(e.to_ret()),
    };
    let _g = FUTEX.lock();
    match word(p, addr) {
        Ok(v) if v == val => park(s, p, h, Park::Futex { addr, until_ns }),
        Ok(_) => Answer::Rval(Errno::EAGAIN.to_ret()),
        Err(e) => Answer::Rval(e.to_ret()),
    }
}

/// Wakes up to `n` waiters on `addr` of `pid`; with `requeue` (addr2,
/// max), moves up to max of the rest to wait on addr2. Returns how many
/// were woken (and moved).
fn wake(s: &Server, pid: i32, addr: u64, n: usize, requeue: Option<(u64, usize)>) -> i64 {
    let woken: Vec<Parked> = {
        let _g = FUTEX.lock();
        let mut l = s.parked.lock();
        let mut woken = Vec::new();
        let mut moved = 0;
        let mut i = 0;
        while i < l.len() {
            let on_addr = l[i].pid == pid && matches!(l[i].what, Park::Futex { addr: a, .. } if a == addr);
            if on_addr && woken.len() < n {
                woken.push(l.remove(i));
                continue;
            }
            if let (true, Some((addr2, max))) = (on_addr, requeue) {
                if moved < max {
                    if let Park::Futex { addr: a, .. } = &mut l[i].what {
                        *a = addr2;
                        moved += 1;
                    }
                }
            }
            i += 1;
        }
        woken
    };
    let count = woken.len() as i64;
    for w in woken {
        crate::reply(&mut bsd_syscall::Reply::new(&w.header, 0));
    }
    count
}

fn cmp_requeue(s: &Server, p: &Pcb, addr: u64, n: u32, a: [u64; 6]) -> Result<i64, Errno> {
    let (max, addr2, expected) = (a[3] as usize, a[4], a[5] as u32);
    if addr2 % 4 != 0 {
        return Err(Errno::EINVAL);
    }
    if word(p, addr)? != expected {
        return Err(Errno::EAGAIN);
    }
    Ok(wake(s, p.pid, addr, n as usize, Some((addr2, max))))
}

/// The timer's part: waits whose deadline passed get ETIMEDOUT.
pub fn expire(s: &Server, now_ns: u64) {
    let due: Vec<Parked> = crate::calls::unpark(s, |w| matches!(w.what, Park::Futex { until_ns, .. } if until_ns <= now_ns));
    for w in due {
        crate::reply(&mut bsd_syscall::Reply::new(&w.header, Errno::ETIMEDOUT.to_ret()));
    }
}

/// A fresh thread id for a CLONE_THREAD (emulib makes the thread): above
/// every pid, so the two never meet.
pub fn new_tid() -> i64 {
    static NEXT: core::sync::atomic::AtomicI64 = core::sync::atomic::AtomicI64::new(1 << 22);
    NEXT.fetch_add(1, core::sync::atomic::Ordering::Relaxed)
}
