//! select and pselect6, on poll's machinery: every descriptor named in
//! the three fd_sets is asked with `files::poll_one`; a call with nothing
//! ready parks as `Park::Select` and the timer retries it every tick. The
//! caller's sets are written only when the call returns, so each retry
//! reads what the caller asked for again.
//!
//! The timeout is not updated with the time left (Linux's select does,
//! POSIX leaves it open), and pselect6's signal mask is checked but not
//! applied, as with ppoll.

use crate::{mem, Answer, Park, Parked, Pcb, Server};
use alloc::vec::Vec;
use linux_abi::consts::poll::*;
use linux_abi::Errno;
use mach::defs::bsd::bsd_syscall;
use mach::message::MsgHeader;

/// The read, write and except sets, as longs (Linux's fd_set layout).
type Sets = [Vec<u64>; 3];

/// How a select goes on after its first scan.
enum Start {
    /// Answered now with this count; the sets are written back.
    Done(u64),
    /// Nothing ready: wait `ms` (None: forever) over `nfds` descriptors.
    Wait { nfds: u64, ms: Option<u64> },
}

/// select(nfds, readfds, writefds, exceptfds, timeval) and
/// pselect6(nfds, readfds, writefds, exceptfds, timespec, sigmask).
pub fn select(s: &Server, p: &Pcb, h: &MsgHeader, a: [u64; 6], pselect: bool) -> Answer {
    match start(s, p, a, pselect) {
        Err(e) => Answer::Rval(e.to_ret()),
        Ok(Start::Done(ready)) => Answer::Rval(ready as i64),
        Ok(Start::Wait { nfds, ms }) => {
            // On the clock the program reads (clock_gettime), as nanosleep:
            // a deadline in kernel ticks could end early by that clock.
            let until = ms.map_or(u64::MAX, |ms| crate::calls::now_ns().saturating_add(ms.saturating_mul(1_000_000)));
            crate::calls::park(s, p, h, Park::Select { nfds, sets: [a[1], a[2], a[3]], until_ns: until })
        }
    }
}

/// Checks the arguments and scans once.
fn start(s: &Server, p: &Pcb, a: [u64; 6], pselect: bool) -> Result<Start, Errno> {
    let nfds = a[0] as i32;
    if nfds < 0 {
        return Err(Errno::EINVAL);
    }
    let ms = timeout_ms(p, a[4], pselect)?;
    if pselect && a[5] != 0 {
        check_sigmask(p, a[5])?;
    }
    // Descriptors past the table's size cannot be open: Linux ignores
    // their bits, and so does this.
    let n = (nfds as u64).min(nofile(s, p));
    let sets = [a[1], a[2], a[3]];
    match scan(s, p, sets, n)? {
        Some((out, count)) => finish(p, sets, n, &out).map(|_| Start::Done(count)),
        None if ms == Some(0) => finish(p, sets, n, &empty(n)).map(|_| Start::Done(0)),
        None => Ok(Start::Wait { nfds: n, ms }),
    }
}

/// How far descriptors can reach: the soft RLIMIT_NOFILE, or past it
/// when descriptors opened before a lower limit are still there.
fn nofile(s: &Server, p: &Pcb) -> u64 {
    let Some(pr) = s.table.get(p.pid) else { return 0 };
    let limit = pr.state.lock().nofile();
    let top = pr.fds.lock().iter().map(|(fd, _)| fd as u64 + 1).max().unwrap_or(0);
    limit.max(top).min(unix_server::fd::NR_OPEN)
}

/// The timeout in ms, rounded up (None: wait forever); EFAULT for a bad
/// pointer, EINVAL for a negative time. As Linux, select's timeval is
/// normalized first (a million µs is a second); pselect6's timespec
/// must have its nanoseconds in range.
fn timeout_ms(p: &Pcb, at: u64, pselect: bool) -> Result<Option<u64>, Errno> {
    if at == 0 {
        return Ok(None);
    }
    let b = mem::read(p.task, at, 16)?;
    let (mut sec, mut frac) = (word(&b, 0)? as i64, word(&b, 1)? as i64);
    let per_sec: i64 = if pselect { 1_000_000_000 } else { 1_000_000 };
    if !pselect {
        sec = sec.saturating_add(frac / per_sec);
        frac %= per_sec;
    }
    if sec < 0 || !(0..per_sec).contains(&frac) {
        return Err(Errno::EINVAL);
    }
    let per_ms = (per_sec / 1000) as u64;
    Ok(Some((sec as u64).saturating_mul(1000).saturating_add((frac as u64).div_ceil(per_ms))))
}

/// pselect6's sixth argument: { const sigset_t *ss; size_t ss_len }.
fn check_sigmask(p: &Pcb, at: u64) -> Result<(), Errno> {
    let b = mem::read(p.task, at, 16)?;
    let (ss, len) = (word(&b, 0)?, word(&b, 1)?);
    if ss != 0 && len != 8 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// The `i`th 64-bit word of bytes read from the user (EFAULT if short).
fn word(b: &[u8], i: usize) -> Result<u64, Errno> {
    let w = b.get(8 * i..8 * i + 8).ok_or(Errno::EFAULT)?;
    Ok(u64::from_le_bytes(w.try_into().map_err(|_| Errno::EFAULT)?))
}

/// Bytes of an fd_set covering `n` descriptors (whole longs, as Linux).
fn set_bytes(n: u64) -> usize {
    (n.div_ceil(64) * 8) as usize
}

fn empty(n: u64) -> Sets {
    let w = set_bytes(n) / 8;
    [alloc::vec![0; w], alloc::vec![0; w], alloc::vec![0; w]]
}

/// The caller's three sets (absent ones empty).
fn read_sets(p: &Pcb, sets: [u64; 3], n: u64) -> Result<Sets, Errno> {
    let mut out = empty(n);
    for (i, &at) in sets.iter().enumerate() {
        if at != 0 {
            let b = mem::read(p.task, at, set_bytes(n))?;
            for (w, slot) in out[i].iter_mut().enumerate() {
                *slot = word(&b, w)?;
            }
        }
    }
    Ok(out)
}

/// Scans the sets once: Some((result sets, bits set)) when any is ready,
/// None when none is; EBADF when a named descriptor is not open.
fn scan(s: &Server, p: &Pcb, sets: [u64; 3], n: u64) -> Result<Option<(Sets, u64)>, Errno> {
    let want = read_sets(p, sets, n)?;
    let mut out = empty(n);
    let mut count = 0;
    for fd in 0..n {
        let (w, bit) = ((fd / 64) as usize, 1u64 << (fd % 64));
        let asked = [0, 1, 2].map(|i| want[i][w] & bit != 0);
        if !asked.contains(&true) {
            continue;
        }
        let r = crate::files::poll_one(s, p, fd as i32, POLLIN | POLLOUT | POLLPRI);
        if r & POLLNVAL != 0 {
            return Err(Errno::EBADF);
        }
        // Linux's POLLIN_SET, POLLOUT_SET and POLLEX_SET.
        let got = [r & (POLLIN | POLLHUP | POLLERR) != 0, r & (POLLOUT | POLLERR) != 0, r & POLLPRI != 0];
        for i in 0..3 {
            if asked[i] && got[i] {
                out[i][w] |= bit;
                count += 1;
            }
        }
    }
    Ok(if count > 0 { Some((out, count)) } else { None })
}

/// Writes the result sets over the caller's (those it passed).
fn finish(p: &Pcb, sets: [u64; 3], n: u64, out: &Sets) -> Result<(), Errno> {
    for (i, &at) in sets.iter().enumerate() {
        if at != 0 && n > 0 {
            let b: Vec<u8> = out[i].iter().flat_map(|w| w.to_le_bytes()).collect();
            mem::write(p.task, at, &b)?;
        }
    }
    Ok(())
}

/// The timer's retry of parked selects: ready or timed out ones answer
/// (`now`: the fine clock, ns).
pub fn retry(s: &Server, now: u64) {
    let parked: Vec<Parked> = crate::calls::unpark(s, |w| matches!(w.what, Park::Select { .. }));
    for w in parked {
        let Park::Select { nfds, sets, until_ns } = w.what else { continue };
        let Some(pcb) = s.procs.lock().values().copied().find(|c| c.pid == w.pid) else {
            crate::drop_reply(&w.header);
            continue;
        };
        let r = match scan(s, &pcb, sets, nfds) {
            Ok(None) if now < until_ns => {
                s.parked.lock().push(w);
                continue;
            }
            Ok(None) => finish(&pcb, sets, nfds, &empty(nfds)).map(|_| 0),
            Ok(Some((out, count))) => finish(&pcb, sets, nfds, &out).map(|_| count as i64),
            Err(e) => Err(e),
        };
        crate::reply(&mut bsd_syscall::Reply::new(&w.header, r.unwrap_or_else(|e| e.to_ret())));
    }
}
