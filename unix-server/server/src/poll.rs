//! poll and ppoll over pipes, the tty and files. A poll with nothing
//! ready parks; the timer thread retries parked polls every tick (cheap
//! at this scale, and no object needs to know who polls it).

use crate::{mem, Answer, Park, Parked, Pcb, Server};
use alloc::vec::Vec;
use linux_abi::Errno;
use mach::defs::bsd::bsd_syscall;
use mach::message::MsgHeader;

/// poll(fds, nfds, timeout ms); ppoll passes its timespec as ms too.
pub fn poll(s: &Server, p: &Pcb, h: &MsgHeader, fds: u64, nfds: u64, timeout_ms: i64) -> Answer {
    if nfds > 1024 {
        return Answer::Rval(Errno::EINVAL.to_ret());
    }
    match scan(s, p, fds, nfds) {
        Err(e) => Answer::Rval(e.to_ret()),
        Ok(n) if n > 0 || timeout_ms == 0 => Answer::Rval(n),
        Ok(_) => {
            // On the clock the program reads (clock_gettime), as nanosleep:
            // a deadline in kernel ticks can come early by that clock.
            let until = if timeout_ms < 0 {
                u64::MAX
            } else {
                crate::calls::now_ns().saturating_add((timeout_ms as u64).saturating_mul(1_000_000))
            };
            crate::calls::park(s, p, h, Park::Poll { fds, nfds, until_ns: until })
        }
    }
}

/// Fills in revents; the number of descriptors with any.
fn scan(s: &Server, p: &Pcb, fds: u64, nfds: u64) -> Result<i64, Errno> {
    let mut v = mem::read(p.task, fds, 8 * nfds as usize)?;
    let mut ready = 0;
    for e in v.chunks_mut(8) {
        let fd = i32::from_le_bytes([e[0], e[1], e[2], e[3]]);
        let events = i16::from_le_bytes([e[4], e[5]]);
        let r = if fd < 0 { 0 } else { crate::files::poll_one(s, p, fd, events) };
        e[6..8].copy_from_slice(&r.to_le_bytes());
        ready += (r != 0) as i64;
    }
    mem::write(p.task, fds, &v)?;
    Ok(ready)
}

/// The timer's retry of parked polls: those now ready or timed out answer
/// (`now`: the fine clock, ns).
pub fn retry(s: &Server, now: u64) {
    let polls: Vec<Parked> = crate::calls::unpark(s, |w| matches!(w.what, Park::Poll { .. }));
    for w in polls {
        let Park::Poll { fds, nfds, until_ns } = w.what else { continue };
        let Some(pcb) = s.procs.lock().values().copied().find(|c| c.pid == w.pid) else {
            crate::drop_reply(&w.header);
            continue;
        };
        match scan(s, &pcb, fds, nfds) {
            Ok(0) if now < until_ns => s.parked.lock().push(w),
            Ok(n) => crate::reply(&mut bsd_syscall::Reply::new(&w.header, n)),
            Err(e) => crate::reply(&mut bsd_syscall::Reply::new(&w.header, e.to_ret())),
        }
    }
}
