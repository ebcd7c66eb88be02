//! Interval timers (alarm, setitimer, getitimer), the signal waits
//! (rt_sigsuspend, rt_sigpending, rt_sigtimedwait) and the clocks' small
//! calls (time, clock_getres, the clock ids clock_gettime accepts), and
//! the POSIX timers (timer_create, timer_settime, timer_gettime,
//! timer_getoverrun, timer_delete) on the same tick.
//!
//! A timer is a due time on its clock, kept per process in this module;
//! the server's timer thread calls [`tick`] every 10 ms, which posts the
//! signal of each timer that is due (as the kernel would: si_code
//! SI_KERNEL) and reloads it with its interval. So a timer's resolution
//! is that tick. ITIMER_REAL runs on the fine clock (the one nanosleep
//! and clock_gettime read); ITIMER_VIRTUAL and ITIMER_PROF on the task's
//! CPU time, which the kernel counts in user ticks only, so both measure
//! the same time. A fork child starts with no timer (it has a new pid),
//! exec keeps them (POSIX and Linux do), and the end of a process drops
//! them ([`ended`]).

use crate::{mem, Answer, Park, Parked, Pcb, Server};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use linux_abi::consts::itimer::*;
use linux_abi::consts::signal::*;
use linux_abi::structs::Siginfo;
use linux_abi::Errno;
use mach::defs::bsd::bsd_syscall;
use mach::message::MsgHeader;
use machrt::sync::Mutex;
use unix_server::proc::{Pid, Wakeups};
use unix_server::signal::SigSet;

type R = Result<i64, Errno>;
const NS: u64 = 1_000_000_000;

/// One interval timer: due when its clock reads `due` (0: disarmed),
/// then reloaded with `interval` ns (0: it fires once).
#[derive(Clone, Copy, Default)]
struct Itimer {
    due: u64,
    interval: u64,
}

/// Per process, indexed by `which`: ITIMER_REAL, ITIMER_VIRTUAL,
/// ITIMER_PROF. A process with none armed has no entry.
static ITIMERS: Mutex<BTreeMap<Pid, [Itimer; 3]>> = Mutex::new(BTreeMap::new());

/// The signal each timer sends.
const SIGNALS: [u32; 3] = [SIGALRM, SIGVTALRM, SIGPROF];

/// The process is gone: so are its timers.
pub fn ended(pid: Pid) {
    ITIMERS.lock().remove(&pid);
    posix_ended(pid);
}

/// The process's CPU time in ns (user ticks: see rusage.rs).
fn cpu_ns(p: &Pcb) -> u64 {
    let (_, hz) = crate::calls::ticks_and_hz();
    (crate::rusage::own(p.task).ticks as u128 * NS as u128 / hz as u128) as u64
}

/// What timer `which` counts now.
fn clock_of(p: &Pcb, which: usize) -> u64 {
    if which == ITIMER_REAL as usize { crate::calls::now_ns() } else { cpu_ns(p) }
}

/// A struct timeval in ns; EINVAL when negative or its µs out of range
/// (Linux's timeval_valid), huge seconds saturate.
fn timeval_ns(sec: i64, usec: i64) -> Result<u64, Errno> {
    if sec < 0 || !(0..1_000_000).contains(&usec) {
        return Err(Errno::EINVAL);
    }
    Ok((sec as u64).saturating_mul(NS).saturating_add(usec as u64 * 1000))
}

/// A struct timespec in ns; EINVAL as Linux's timespec64_valid.
pub fn timespec_ns(b: &[u8]) -> Result<u64, Errno> {
    let (sec, nsec) = (word(b, 0)? as i64, word(b, 1)? as i64);
    if sec < 0 || !(0..NS as i64).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((sec as u64).saturating_mul(NS).saturating_add(nsec as u64))
}

fn word(b: &[u8], i: usize) -> Result<u64, Errno> {
    let w = b.get(8 * i..8 * i + 8).ok_or(Errno::EFAULT)?;
    Ok(u64::from_le_bytes(w.try_into().map_err(|_| Errno::EFAULT)?))
}

/// Two timevals (interval, value) as Linux lays out struct itimerval.
fn itimerval_bytes(interval_ns: u64, value_ns: u64) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, ns) in [interval_ns, value_ns].into_iter().enumerate() {
        b[16 * i..16 * i + 8].copy_from_slice(&(ns / NS).to_le_bytes());
        b[16 * i + 8..16 * i + 16].copy_from_slice(&((ns % NS) / 1000).to_le_bytes());
    }
    b
}

fn check_which(which: u32) -> Result<usize, Errno> {
    match which {
        ITIMER_REAL | ITIMER_VIRTUAL | ITIMER_PROF => Ok(which as usize),
        _ => Err(Errno::EINVAL),
    }
}

/// Timer `which`'s (interval, time left) in ns. An armed timer whose time
/// has come but which has not fired yet says 1 µs, as Linux's
/// itimer_get_remtime.
fn remaining(t: Itimer, now: u64) -> (u64, u64) {
    match t.due {
        0 => (t.interval, 0),
        due => (t.interval, due.saturating_sub(now).max(1000)),
    }
}

/// Arms (value > 0) or disarms timer `which`; returns the old setting
/// as (interval, time left).
fn set(p: &Pcb, which: usize, interval: u64, value: u64) -> (u64, u64) {
    let now = clock_of(p, which);
    let mut l = ITIMERS.lock();
    let old = l.get(&p.pid).map(|t| t[which]).unwrap_or_default();
    let new = match value {
        0 => Itimer::default(), // a zero value disarms, whatever the interval
        v => Itimer { due: now.saturating_add(v).max(1), interval },
    };
    let all = l.entry(p.pid).or_insert([Itimer::default(); 3]);
    all[which] = new;
    if all.iter().all(|t| t.due == 0) {
        l.remove(&p.pid);
    }
    remaining(old, now)
}

/// setitimer(which, new, old): a NULL `new` disarms, as Linux.
pub fn setitimer(p: &Pcb, which: u32, new: u64, old: u64) -> R {
    let which = check_which(which)?;
    let (interval, value) = if new != 0 {
        let b = mem::read(p.task, new, 32)?;
        (timeval_ns(word(&b, 0)? as i64, word(&b, 1)? as i64)?, timeval_ns(word(&b, 2)? as i64, word(&b, 3)? as i64)?)
    } else {
        (0, 0)
    };
    let (oi, ov) = set(p, which, interval, value);
    if old != 0 {
        mem::write(p.task, old, &itimerval_bytes(oi, ov))?;
    }
    Ok(0)
}

pub fn getitimer(p: &Pcb, which: u32, at: u64) -> R {
    let which = check_which(which)?;
    let now = clock_of(p, which);
    let t = ITIMERS.lock().get(&p.pid).map(|t| t[which]).unwrap_or_default();
    let (i, v) = remaining(t, now);
    mem::write(p.task, at, &itimerval_bytes(i, v)).map(|_| 0)
}

/// alarm(seconds): ITIMER_REAL once; the old time left in whole seconds,
/// rounded as Linux's alarm_setitimer (never 0 while one was pending,
/// half a second and more rounds up).
pub fn alarm(p: &Pcb, seconds: u32) -> R {
    let (_, left) = set(p, ITIMER_REAL as usize, 0, seconds as u64 * NS);
    let (sec, ns) = (left / NS, left % NS);
    let up = (sec == 0 && ns != 0) || ns >= NS / 2;
    Ok((sec + up as u64) as i64)
}

/// Moves a timer that fired to its next due time (its interval after the
/// last, skipping periods already past: their signals are lost, as
/// Linux's overruns of an itimer), or disarms it.
fn reload(t: &mut Itimer, now: u64) {
    if t.interval == 0 {
        t.due = 0;
        return;
    }
    let next = t.due.saturating_add(t.interval);
    t.due = if next > now { next } else { now.saturating_add(t.interval - (now - next) % t.interval) };
}

/// The timer thread's pass: due signal waits end with EAGAIN, due
/// timers post their signals.
pub fn tick(s: &'static Server, now: u64) {
    let due: Vec<Parked> = crate::calls::unpark(s, |w| matches!(w.what, Park::SigWait { until_ns, .. } if until_ns <= now));
    for w in due {
        crate::reply(&mut bsd_syscall::Reply::new(&w.header, Errno::EAGAIN.to_ret()));
    }
    let mut fired: Vec<(Pid, u32)> = Vec::new();
    let cpu: Vec<Pid> = {
        let mut l = ITIMERS.lock();
        for (pid, t) in l.iter_mut() {
            if t[0].due != 0 && t[0].due <= now {
                reload(&mut t[0], now);
                fired.push((*pid, SIGALRM));
            }
        }
        l.iter().filter(|(_, t)| t[1].due != 0 || t[2].due != 0).map(|(p, _)| *p).collect()
    };
    // CPU time is a kernel call: asked with no lock held.
    for pid in cpu {
        let Some(pcb) = s.procs.lock().values().copied().find(|c| c.pid == pid) else { continue };
        let used = cpu_ns(&pcb);
        let mut l = ITIMERS.lock();
        let Some(t) = l.get_mut(&pid) else { continue };
        for which in [ITIMER_VIRTUAL as usize, ITIMER_PROF as usize] {
            if t[which].due != 0 && t[which].due <= used {
                reload(&mut t[which], used);
                fired.push((pid, SIGNALS[which]));
            }
        }
    }
    ITIMERS.lock().retain(|_, t| t.iter().any(|t| t.due != 0));
    let mut posted: Vec<(Pid, u32, Siginfo)> =
        fired.into_iter().map(|(pid, sig)| (pid, sig, Siginfo::new(sig as i32, SI_KERNEL))).collect();
    posix_tick(s, now, &mut posted);
    for (pid, sig, info) in posted {
        if let Ok(w) = s.table.post_signal(pid, sig, info) {
            crate::signals::wake(s, &w);
        }
    }
}

/// After the mask changed or a wait parked: what is pending now is
/// looked at as if it had just come (a signal the wait is for is taken,
/// a handler's interrupts the call).
fn recheck(s: &'static Server, pid: Pid) {
    crate::signals::wake(s, &Wakeups { signalled: alloc::vec![pid], waiters: Vec::new() });
}

fn sigset_arg(p: &Pcb, at: u64, size: u64) -> Result<SigSet, Errno> {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    Ok(SigSet(mem::read_u64(p.task, at)?))
}

/// rt_sigsuspend(mask, size): the mask is replaced until a signal with a
/// handler comes; the call then ends with EINTR and the handler's frame
/// keeps the old mask, which its sigreturn restores (signal.rs
/// `suspend`). A signal whose action is to ignore does not end it.
pub fn sigsuspend(s: &'static Server, p: &Pcb, h: &MsgHeader, at: u64, size: u64) -> Answer {
    let mask = match sigset_arg(p, at, size) {
        Ok(m) => m,
        Err(e) => return Answer::Rval(e.to_ret()),
    };
    let Some(proc) = s.table.get(p.pid) else { return Answer::Rval(Errno::ESRCH.to_ret()) };
    proc.state.lock().signals.suspend(mask);
    // Parked first, then looked at: a signal already pending, or one that
    // comes meanwhile, interrupts the parked call.
    let a = crate::calls::park(s, p, h, Park::Sleep { until_ns: u64::MAX });
    recheck(s, p.pid);
    a
}

/// rt_sigpending(set, size): the pending signals that are blocked; size
/// bytes of them (more than a sigset_t is EINVAL), as Linux.
pub fn sigpending(s: &Server, p: &Pcb, at: u64, size: u64) -> R {
    if size > 8 {
        return Err(Errno::EINVAL);
    }
    let proc = s.table.get(p.pid).ok_or(Errno::ESRCH)?;
    let set = proc.state.lock().signals.sigpending();
    mem::write(p.task, at, &set.0.to_le_bytes()[..size as usize]).map(|_| 0)
}

/// rt_sigtimedwait(set, info, timeout, size): takes a pending signal of
/// `set` (its number; its siginfo to `info`), waiting for one at most
/// `timeout` (NULL: forever). EAGAIN when the time runs out, EINTR when
/// a signal outside the set runs a handler; EINVAL for a bad size or
/// timespec, EFAULT for a bad pointer (a bad `info` after the signal
/// was taken, as Linux).
pub fn sigtimedwait(s: &'static Server, p: &Pcb, h: &MsgHeader, mut a: [u64; 6]) -> Answer {
    match start_wait(s, p, &mut a) {
        Ok(Some(until_ns)) => {
            let r = crate::calls::park(s, p, h, Park::SigWait { set: a[0], info: a[1], until_ns });
            recheck(s, p.pid);
            r
        }
        Ok(None) => Answer::Rval(Errno::EAGAIN.to_ret()),
        Err(Done(r)) => Answer::Rval(r),
    }
}

/// The call's answer without waiting.
struct Done(i64);

/// Checks the arguments and takes a pending signal now: Err(Done) with
/// the answer, Ok(Some(until)) to wait, Ok(None) for a zero timeout with
/// nothing pending. The set is kept in the parked call with KILL and
/// STOP out of it.
fn start_wait(s: &Server, p: &Pcb, a: &mut [u64; 6]) -> Result<Option<u64>, Done> {
    let fail = |e: Errno| Done(e.to_ret());
    let set = sigset_arg(p, a[0], a[3]).map_err(fail)?.maskable();
    let timeout = match a[2] {
        0 => None,
        at => Some(timespec_ns(&mem::read(p.task, at, 16).map_err(fail)?).map_err(fail)?),
    };
    a[0] = set.0;
    let proc = s.table.get(p.pid).ok_or(fail(Errno::ESRCH))?;
    let got = proc.state.lock().signals.take(set);
    if let Some(info) = got {
        taken(p.pid, &info);
        crate::write_proc_page(s, p);
        return Err(Done(put_info(p, a[1], &info)));
    }
    Ok(match timeout {
        Some(0) => None,
        Some(ns) => Some(crate::calls::now_ns().saturating_add(ns).min(u64::MAX - 1)),
        None => Some(u64::MAX),
    })
}

/// The answer to a wait that took `info`: its signal, or EFAULT.
fn put_info(p: &Pcb, at: u64, info: &Siginfo) -> i64 {
    if at != 0 && mem::write(p.task, at, &info.to_bytes()).is_err() {
        return Errno::EFAULT.to_ret();
    }
    info.si_signo as i64
}

/// A signal was posted to `pid`: its parked sigtimedwaits take what
/// they wait for.
pub fn sigwait_wake(s: &'static Server, pid: Pid) {
    let waits: Vec<Parked> = crate::calls::unpark(s, |w| w.pid == pid && matches!(w.what, Park::SigWait { .. }));
    if waits.is_empty() {
        return;
    }
    let proc = s.table.get(pid);
    let pcb = s.procs.lock().values().copied().find(|c| c.pid == pid);
    let (Some(proc), Some(pcb)) = (proc, pcb) else {
        waits.iter().for_each(|w| crate::drop_reply(&w.header));
        return;
    };
    for w in waits {
        let Park::SigWait { set, info, .. } = w.what else { continue };
        let got = proc.state.lock().signals.take(SigSet(set));
        match got {
            Some(i) => {
                taken(pid, &i);
                crate::write_proc_page(s, &pcb);
                crate::reply(&mut bsd_syscall::Reply::new(&w.header, put_info(&pcb, info, &i)));
            }
            None => s.parked.lock().push(w),
        }
    }
}

/// The clocks clock_gettime and clock_getres accept, in ns now. The CPU
/// clocks are the process's user time (a thread's is its process's);
/// the clocks of other processes (negative ids) are EINVAL.
pub fn clock_ns(p: &Pcb, clock: u64) -> Result<u64, Errno> {
    use linux_abi::consts::clock::*;
    // clockid_t is an int: the upper half of the register is not looked at.
    match u32::try_from(clock as i32).map_err(|_| Errno::EINVAL)? {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE | CLOCK_REALTIME_ALARM | CLOCK_TAI => Ok(crate::calls::realtime_ns()),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => {
            Ok(crate::calls::now_ns())
        }
        CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => Ok(cpu_ns(p)),
        _ => Err(Errno::EINVAL),
    }
}

/// clock_getres(clock, res): 1 ns for the fine clocks (the TSC), a tick
/// for the coarse ones and the CPU clocks; a NULL `res` only checks.
pub fn clock_getres(p: &Pcb, clock: u64, at: u64) -> R {
    use linux_abi::consts::clock::*;
    clock_ns(p, clock)?;
    let (_, hz) = crate::calls::ticks_and_hz();
    let ns = match clock as i32 as u32 {
        CLOCK_REALTIME_COARSE | CLOCK_MONOTONIC_COARSE | CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => NS / hz,
        _ => 1,
    };
    if at != 0 {
        let mut b = [0u8; 16];
        b[8..].copy_from_slice(&ns.to_le_bytes());
        mem::write(p.task, at, &b)?;
    }
    Ok(0)
}

/// time(tloc): seconds since 1970, also stored at `tloc` unless NULL.
pub fn time(p: &Pcb, at: u64) -> R {
    let sec = crate::calls::realtime_ns() / NS;
    if at != 0 {
        mem::write(p.task, at, &sec.to_le_bytes())?;
    }
    Ok(sec as i64)
}

/// POSIX timers (timer_create and friends): per process, numbered 0, 1,
/// 2... (a deleted timer's id is not given again until the count wraps,
/// as Linux's next_posix_timer_id, which exec does not reset). On the fine clock (REALTIME is the
/// same clock shifted by the boot time) or the process's CPU time; the
/// timer thread's tick fires them as the interval timers. A fork child
/// has none, exec and exit delete them.
#[derive(Clone, Copy)]
struct PosixTimer {
    cpu: bool,
    realtime: bool,
    /// SIGEV_NONE: nothing is sent, timer_gettime still counts down.
    silent: bool,
    signo: u32,
    value: u64,
    t: Itimer,
    /// The si_overrun of its last signal taken (timer_getoverrun).
    overrun: i32,
}

static POSIX: Mutex<BTreeMap<(Pid, i32), PosixTimer>> = Mutex::new(BTreeMap::new());

/// Per process: the id timer_create tries next.
static NEXT_ID: Mutex<BTreeMap<Pid, i32>> = Mutex::new(BTreeMap::new());

/// How many timers one process may have (then EAGAIN).
const POSIX_MAX: usize = 1024;

/// exec: the POSIX timers go (the interval timers stay).
pub fn exec_done(pid: Pid) {
    POSIX.lock().retain(|k, _| k.0 != pid);
}

fn posix_ended(pid: Pid) {
    exec_done(pid);
    NEXT_ID.lock().remove(&pid);
}

/// The clock of a new timer: (cpu, realtime); EINVAL for no such clock,
/// EOPNOTSUPP for one Linux has no timers on.
fn timer_clock(clock: u64) -> Result<(bool, bool), Errno> {
    use linux_abi::consts::clock::*;
    match u32::try_from(clock as i32).map_err(|_| Errno::EINVAL)? {
        CLOCK_REALTIME | CLOCK_REALTIME_ALARM | CLOCK_TAI => Ok((false, true)),
        CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => Ok((false, false)),
        CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => Ok((true, false)),
        CLOCK_MONOTONIC_RAW | CLOCK_REALTIME_COARSE | CLOCK_MONOTONIC_COARSE => Err(Errno::EOPNOTSUPP),
        _ => Err(Errno::EINVAL),
    }
}

/// struct sigevent's (value, signo, notify, tid), checked as Linux's
/// good_sigevent: SIGEV_SIGNAL, SIGEV_THREAD (a signal at this level)
/// and SIGEV_SIGNAL|SIGEV_THREAD_ID need a signal 1..=64 (the thread id
/// must be one this server could have given; the signal goes to the
/// process, as every signal here); SIGEV_NONE sends nothing.
fn sigevent(p: &Pcb, at: u64) -> Result<Option<(u64, u32, bool)>, Errno> {
    use linux_abi::consts::sigev::*;
    if at == 0 {
        return Ok(None);
    }
    let b = mem::read(p.task, at, 64)?;
    let value = word(&b, 0)?;
    let signo = u32::from_le_bytes(b[8..12].try_into().map_err(|_| Errno::EFAULT)?) as i32;
    let notify = i32::from_le_bytes(b[12..16].try_into().map_err(|_| Errno::EFAULT)?);
    let tid = i32::from_le_bytes(b[16..20].try_into().map_err(|_| Errno::EFAULT)?);
    match notify {
        SIGEV_NONE => Ok(Some((value, 0, true))),
        // Thread ids are the pid (the first thread) or futex::new_tid's.
        SIGEV_THREAD_ID if tid != p.pid && tid < 1 << 22 => Err(Errno::EINVAL),
        SIGEV_SIGNAL | SIGEV_THREAD | SIGEV_THREAD_ID if (1..=SIGRTMAX as i32).contains(&signo) => {
            Ok(Some((value, signo as u32, false)))
        }
        _ => Err(Errno::EINVAL),
    }
}

/// timer_create(clock, sevp, timerid): NULL sevp is SIGALRM with the
/// timer's id as its value, as Linux.
pub fn timer_create(p: &Pcb, clock: u64, sevp: u64, idp: u64) -> R {
    let (cpu, realtime) = timer_clock(clock)?;
    let ev = sigevent(p, sevp)?;
    let id = {
        let mut l = POSIX.lock();
        if l.range((p.pid, 0)..=(p.pid, i32::MAX)).count() >= POSIX_MAX {
            return Err(Errno::EAGAIN);
        }
        let mut next = NEXT_ID.lock();
        let n = next.entry(p.pid).or_insert(0);
        while l.contains_key(&(p.pid, *n)) {
            *n = (*n + 1) & i32::MAX;
        }
        let id = *n;
        *n = (id + 1) & i32::MAX;
        drop(next);
        let (value, signo, silent) = ev.unwrap_or((id as u64, SIGALRM, false));
        l.insert((p.pid, id), PosixTimer { cpu, realtime, silent, signo, value, t: Itimer::default(), overrun: 0 });
        id
    };
    if mem::write(p.task, idp, &id.to_le_bytes()).is_err() {
        POSIX.lock().remove(&(p.pid, id));
        return Err(Errno::EFAULT);
    }
    Ok(0)
}

fn timer_id(id: u64) -> Result<i32, Errno> {
    i32::try_from(id as i64).map_err(|_| Errno::EINVAL)
}

fn posix_get(p: &Pcb, id: u64) -> Result<PosixTimer, Errno> {
    POSIX.lock().get(&(p.pid, timer_id(id)?)).copied().ok_or(Errno::EINVAL)
}

fn timer_now(p: &Pcb, t: &PosixTimer) -> u64 {
    if t.cpu { cpu_ns(p) } else { crate::calls::now_ns() }
}

/// struct itimerspec: interval, then value, as timespecs.
fn itimerspec_bytes(interval: u64, value: u64) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, ns) in [interval, value].into_iter().enumerate() {
        b[16 * i..16 * i + 8].copy_from_slice(&(ns / NS).to_le_bytes());
        b[16 * i + 8..16 * i + 16].copy_from_slice(&(ns % NS).to_le_bytes());
    }
    b
}

/// timer_settime(id, flags, new, old): TIMER_ABSTIME takes the value as
/// a time on the timer's clock (one past fires at once); a zero value
/// disarms. Linux's order: the id, then `new` (EFAULT, EINVAL), then the
/// change, then `old` (EFAULT).
pub fn timer_settime(p: &Pcb, id: u64, flags: u64, new: u64, old: u64) -> R {
    let cur = posix_get(p, id)?;
    if new == 0 {
        return Err(Errno::EINVAL);
    }
    let b = mem::read(p.task, new, 32)?;
    let (interval, value) = (timespec_ns(&b[..16])?, timespec_ns(&b[16..])?);
    let now = timer_now(p, &cur);
    let abs = flags & linux_abi::consts::clock::TIMER_ABSTIME as u64 != 0;
    let due = match value {
        0 => 0,
        v if abs && cur.realtime => v.saturating_sub(crate::calls::fine_clock().2.saturating_mul(NS)).max(1),
        v if abs => v.max(1),
        v => now.saturating_add(v),
    };
    let key = (p.pid, timer_id(id)?);
    let prev = {
        let mut l = POSIX.lock();
        let t = l.get_mut(&key).ok_or(Errno::EINVAL)?;
        let prev = (t.t, t.silent);
        t.t = Itimer { due, interval: if due == 0 { 0 } else { interval } };
        t.overrun = 0;
        prev
    };
    if old != 0 {
        let (i, v) = posix_remaining(prev.0, now, prev.1);
        mem::write(p.task, old, &itimerspec_bytes(i, v))?;
    }
    Ok(0)
}

/// (interval, time left) of a POSIX timer, as Linux's common_timer_get:
/// one due but not yet fired says 1 ns, unless it is SIGEV_NONE
/// (`silent`): then a one-shot says 0 and a periodic one what is left of
/// the current period.
fn posix_remaining(t: Itimer, now: u64, silent: bool) -> (u64, u64) {
    match t.due {
        0 => (t.interval, 0),
        due if due > now => (t.interval, due - now),
        _ if !silent => (t.interval, 1),
        _ if t.interval == 0 => (0, 0),
        due => (t.interval, t.interval - (now - due) % t.interval),
    }
}

pub fn timer_gettime(p: &Pcb, id: u64, at: u64) -> R {
    let t = posix_get(p, id)?;
    let (i, v) = posix_remaining(t.t, timer_now(p, &t), t.silent);
    mem::write(p.task, at, &itimerspec_bytes(i, v)).map(|_| 0)
}

pub fn timer_getoverrun(p: &Pcb, id: u64) -> R {
    posix_get(p, id).map(|t| t.overrun as i64)
}

pub fn timer_delete(p: &Pcb, id: u64) -> R {
    POSIX.lock().remove(&(p.pid, timer_id(id)?)).map(|_| 0).ok_or(Errno::EINVAL)
}

/// Fires the POSIX timers that are due: (pid, signal, its siginfo).
fn posix_tick(s: &Server, now: u64, out: &mut Vec<(Pid, u32, Siginfo)>) {
    let cpu_pids: Vec<Pid> = {
        let l = POSIX.lock();
        let mut v: Vec<Pid> = l.iter().filter(|(_, t)| t.cpu && t.t.due != 0).map(|(k, _)| k.0).collect();
        v.dedup();
        v
    };
    let mut cpu_now: BTreeMap<Pid, u64> = BTreeMap::new();
    for pid in cpu_pids {
        if let Some(pcb) = s.procs.lock().values().copied().find(|c| c.pid == pid) {
            cpu_now.insert(pid, cpu_ns(&pcb));
        }
    }
    let mut due: Vec<((Pid, i32), PosixTimer, u64)> = Vec::new();
    {
        let mut l = POSIX.lock();
        for (&(pid, id), t) in l.iter_mut() {
            let clock = if t.cpu { cpu_now.get(&pid).copied().unwrap_or(0) } else { now };
            if t.t.due == 0 || t.t.due > clock {
                continue;
            }
            let missed = (clock - t.t.due).checked_div(t.t.interval).unwrap_or(0);
            reload(&mut t.t, clock);
            if !t.silent {
                due.push(((pid, id), *t, missed));
            }
        }
    }
    for ((pid, id), t, missed) in due {
        signal_timer(s, pid, id, &t, missed, out);
    }
}

/// A signal was taken (by sigtimedwait, or for a handler): a POSIX
/// timer's sets what timer_getoverrun says, as Linux's it_overrun_last.
pub fn taken(pid: Pid, info: &Siginfo) {
    if info.si_code == SI_TIMER {
        if let Some(t) = POSIX.lock().get_mut(&(pid, info.fields[0] as i32)) {
            t.overrun = info.fields[1] as i32;
        }
    }
}

/// Timer `id` of `pid` expired (`missed` more periods lost to the tick's
/// grain): while its last signal is still pending no other is queued,
/// the pending one's si_overrun counts the expiries instead (Linux
/// queues one signal per timer).
fn signal_timer(s: &Server, pid: Pid, id: i32, t: &PosixTimer, missed: u64, out: &mut Vec<(Pid, u32, Siginfo)>) {
    let add = missed.min(i32::MAX as u64) as i32;
    if let Some(proc) = s.table.get(pid) {
        let mut st = proc.state.lock();
        let mine = |i: &Siginfo| i.si_code == SI_TIMER && i.fields[0] == id as u32;
        if let Some(i) = st.signals.queued_mut(t.signo, mine) {
            let n = (i.fields[1] as i32).saturating_add(add).saturating_add(1);
            i.fields[1] = n as u32;
            return;
        }
    }
    let mut info = Siginfo::new(t.signo as i32, SI_TIMER);
    info.fields[0] = id as u32; // si_tid: the timer's id
    info.fields[1] = add as u32; // si_overrun
    info.set_value(t.value);
    out.push((pid, t.signo, info));
}
