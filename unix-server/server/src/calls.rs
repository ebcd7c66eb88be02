//! The system calls emulib forwards with their raw arguments
//! (bsd_syscall): one function per call, results Linux style.

use crate::files::Attr;
use crate::{files, mem, Answer, Park, Parked, Pcb, Server, MMAP_BASE};
use linux_abi::consts::at::AT_REMOVEDIR;
use linux_abi::consts::open::{O_CREAT, O_TRUNC, O_WRONLY};

const AT_FDCWD: i64 = linux_abi::consts::at::AT_FDCWD as i64;
use alloc::vec::Vec;
use linux_abi::consts::wait::WNOHANG;
use linux_abi::layout::page_up;
use linux_abi::structs::{Rlimit, Timespec, Timeval, Utsname};
use linux_abi::sysno::*;
use linux_abi::Errno;
use mach::defs::bsd::bsd_syscall;
use mach::defs::host::*;
use mach::message::MsgHeader;
use machrt::println;
use machrt::rpc::Kernel;
use unix_server::proc::WaitOutcome;

type R = Result<i64, Errno>;

pub fn syscall(s: &'static Server, p: &Pcb, h: &MsgHeader, nr: u64, a: [u64; 6]) -> Answer {
    let r = match nr as usize {
        WRITE => return files::write(s, p, h, a[0], a[1], a[2], None),
        PREAD64 | PWRITE64 if (a[3] as i64) < 0 => Err(Errno::EINVAL),
        PWRITE64 => return files::write(s, p, h, a[0], a[1], a[2], Some(a[3])),
        WRITEV => return files::vector(s, p, h, a[0], a[1], a[2], true),
        READ => return files::read(s, p, h, a[0], a[1], a[2], None),
        PREAD64 => return files::read(s, p, h, a[0], a[1], a[2], Some(a[3])),
        READV => return files::vector(s, p, h, a[0], a[1], a[2], false),
        IOCTL => files::ioctl(s, p, a[0], a[1] as u32, a[2]),
        OPEN => files::open(s, p, AT_FDCWD, a[0], a[1] as u32, a[2] as u32),
        CREAT => files::open(s, p, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, a[1] as u32),
        OPENAT => files::open(s, p, a[0] as i64, a[1], a[2] as u32, a[3] as u32),
        CLOSE => files::close(s, p, a[0]),
        LSEEK => files::lseek(s, p, a[0], a[1] as i64, a[2] as u32),
        DUP | DUP2 | DUP3 => files::dup(s, p, nr as usize, a),
        FCNTL => files::fcntl(s, p, a[0], a[1] as u32, a[2]),
        PIPE => files::pipe(s, p, a[0], 0),
        PIPE2 => files::pipe(s, p, a[0], a[1] as u32),
        GETDENTS64 => files::getdents64(s, p, a[0], a[1], a[2]),
        STAT => files::stat(s, p, AT_FDCWD, a[0], a[1], 0),
        LSTAT => files::stat(s, p, AT_FDCWD, a[0], a[1], linux_abi::consts::at::AT_SYMLINK_NOFOLLOW),
        FSTAT => files::fstat(s, p, a[0], a[1]),
        NEWFSTATAT => files::stat(s, p, a[0] as i64, a[1], a[2], a[3] as u32),
        STATX => files::statx(s, p, a[0] as i64, a[1], a[2] as u32, a[4]),
        ACCESS => files::access(s, p, AT_FDCWD, a[0], a[1] as u32),
        FACCESSAT | FACCESSAT2 => files::access(s, p, a[0] as i64, a[1], a[2] as u32),
        GETCWD => files::getcwd(s, p, a[0], a[1]),
        CHDIR => files::chdir(s, p, a[0]),
        FCHDIR => files::fchdir(s, p, a[0]),
        MKDIR => files::mkdir(s, p, AT_FDCWD, a[0]),
        MKDIRAT => files::mkdir(s, p, a[0] as i64, a[1]),
        RMDIR => files::unlink(s, p, AT_FDCWD, a[0], AT_REMOVEDIR),
        UNLINK => files::unlink(s, p, AT_FDCWD, a[0], 0),
        UNLINKAT => files::unlink(s, p, a[0] as i64, a[1], a[2] as u32),
        RENAME => files::rename(s, p, AT_FDCWD, a[0], AT_FDCWD, a[1]),
        RENAMEAT | RENAMEAT2 => files::rename(s, p, a[0] as i64, a[1], a[2] as i64, a[3]),
        FTRUNCATE => files::ftruncate(s, p, a[0], a[1] as i64),
        TRUNCATE => files::truncate(s, p, a[0], a[1] as i64),
        FSYNC | FDATASYNC => files::fsync(s, p, a[0]),
        SYNC | SYNCFS => files::sync(),
        READLINK => files::readlink(s, p, AT_FDCWD, a[0], a[1], a[2]),
        READLINKAT => files::readlink(s, p, a[0] as i64, a[1], a[2], a[3]),
        CHMOD => files::attrs(s, p, AT_FDCWD, Some(a[0]), 0, Attr::Mode(a[1] as u32)),
        FCHMOD => files::attrs(s, p, a[0] as i64, None, 0, Attr::Mode(a[1] as u32)),
        FCHMODAT => files::attrs(s, p, a[0] as i64, Some(a[1]), 0, Attr::Mode(a[2] as u32)),
        CHOWN | LCHOWN => files::attrs(s, p, AT_FDCWD, Some(a[0]), 0, Attr::Owner(a[1] as u32, a[2] as u32)),
        FCHOWN => files::attrs(s, p, a[0] as i64, None, 0, Attr::Owner(a[1] as u32, a[2] as u32)),
        FCHOWNAT => files::attrs(s, p, a[0] as i64, Some(a[1]), a[4] as u32, Attr::Owner(a[2] as u32, a[3] as u32)),
        // utimensat with a NULL path works on dirfd itself (futimens).
        UTIMENSAT => files::attrs(s, p, a[0] as i64, Some(a[1]).filter(|&x| x != 0), a[3] as u32, Attr::Times(a[2])),
        FADVISE64 => files::fd_get(s, p, a[0]).map(|_| 0),
        POLL => return crate::poll::poll(s, p, h, a[0], a[1], a[2] as i32 as i64),
        PPOLL => return ppoll(s, p, h, a),
        SELECT => return crate::select::select(s, p, h, a, false),
        PSELECT6 => return crate::select::select(s, p, h, a, true),
        EXIT | EXIT_GROUP => {
            // The task goes first: dropping the reply right first would
            // let emulib see a failed RPC and return into the program,
            // whose _exit does not expect to come back.
            crate::end_process(s, p, unix_server::proc::status::exited(a[0] as u8));
            crate::drop_reply(h);
            return Answer::Later;
        }
        WAIT4 => return wait4(s, p, h, a[0] as i32, a[1], a[2] as u32, a[3]),
        NANOSLEEP | CLOCK_NANOSLEEP => return nanosleep(s, p, h, nr as usize, a),
        BRK => brk(s, p, a[0]),
        // Writes through shared mappings reach the files (all of them: the
        // server does not track which file a range maps).
        MSYNC if a[0] % 4096 != 0 || a[2] & !7 != 0 => Err(Errno::EINVAL),
        MSYNC => files::sync(),
        MMAP => mmap(s, p, a[0], a[1], a[2] as u32, a[3] as u32, a[4] as i64, a[5]),
        MREMAP => mremap(p, a[0], a[1], a[2], a[3] as u32),
        MUNMAP => program_range(a[0], a[1]).and_then(|len| mem::deallocate(p.task, a[0], len)).map(|_| 0),
        MPROTECT => program_range(a[0], a[1]).and_then(|len| mem::protect(p.task, a[0], len, a[2] as u32 & 7)).map(|_| 0),
        SETPGID => s.table.setpgid(p.pid, a[0] as i32, a[1] as i32).map(|_| 0),
        GETPGID => s.table.getpgid(p.pid, a[0] as i32).map(|v| v as i64),
        GETPGRP => s.table.getpgid(p.pid, 0).map(|v| v as i64),
        SETSID => s.table.setsid(p.pid).map(|v| v as i64),
        GETSID => s.table.getsid(p.pid, a[0] as i32).map(|v| v as i64),
        GETPID | GETTID | SET_TID_ADDRESS => Ok(p.pid as i64),
        GETPPID => s.table.getppid(p.pid).map(|v| v as i64),
        GETUID | GETEUID | GETGID | GETEGID => creds(s, p, |c| Ok(match nr as usize {
            GETUID => c.uid, GETEUID => c.euid, GETGID => c.gid, _ => c.egid,
        } as i64)),
        SETUID => set_creds(s, p, |c| c.setuid(a[0] as u32)),
        SETGID => set_creds(s, p, |c| c.setgid(a[0] as u32)),
        SETRESUID => set_creds(s, p, |c| c.setresuid(a[0] as u32, a[1] as u32, a[2] as u32)),
        GETRESUID | GETRESGID => getres(s, p, nr as usize == GETRESUID, [a[0], a[1], a[2]]),
        GETGROUPS => Ok(0),
        SET_ROBUST_LIST | SCHED_YIELD => Ok(0),
        SIGALTSTACK => crate::signals::sigaltstack(s, p, a[0], a[1], a[2]),
        UMASK => proc_state(s, p, |st| Ok(st.set_umask(a[0] as u32) as i64)),
        PRLIMIT64 => prlimit(s, p, a[1] as u32, a[2], a[3]),
        GETRLIMIT => prlimit(s, p, a[0] as u32, 0, a[1]),
        SETRLIMIT => prlimit(s, p, a[0] as u32, a[1], 0),
        UNAME => uname(p, a[0]),
        SYSINFO => sysinfo(s, p, a[0]),
        SCHED_GETAFFINITY => affinity(p, a[1], a[2]),
        SCHED_SETAFFINITY => set_affinity(p, a[1], a[2]),
        // Optional by design: the C library and Rust std go on without it
        // (no log line: every Rust program asks).
        RSEQ => Err(Errno::ENOSYS),
        MADVISE => madvise(a[0], a[1], a[2] as u32),
        PRCTL => prctl(p, a[0] as u32, a[1]),
        REBOOT => reboot(s, p, a[0] as u32, a[1] as u32, a[2] as u32),
        GETRANDOM => getrandom(p, a[0], a[1]),
        CLOCK_GETTIME => clock_gettime(p, a[0], a[1]),
        GETTIMEOFDAY => gettimeofday(p, a[0]),
        TIMES => times(p, a[0]),
        GETRUSAGE => getrusage(p, a[0] as i32, a[1]),
        ARCH_PRCTL => mem::write(p.task, a[1], &a[2].to_le_bytes()).map(|_| 0),
        RT_SIGACTION => crate::signals::sigaction(s, p, a[0] as u32, a[1], a[2]),
        RT_SIGPROCMASK => crate::signals::sigprocmask(s, p, a[0] as u32, a[1], a[2]),
        KILL => crate::signals::kill(s, p, a[0] as i32, a[1] as u32),
        TKILL | TGKILL => crate::signals::kill(s, p, p.pid, a[if nr as usize == TKILL { 1 } else { 2 }] as u32),
        FUTEX => return crate::futex::futex(s, p, h, a),
        CLONE if a[0] & linux_abi::consts::clone::CLONE_THREAD != 0 => Ok(crate::futex::new_tid()),
        PAUSE => return park(s, p, h, Park::Sleep { until_ns: u64::MAX }),
        ALARM => crate::timers::alarm(p, a[0] as u32),
        SETITIMER => crate::timers::setitimer(p, a[0] as u32, a[1], a[2]),
        GETITIMER => crate::timers::getitimer(p, a[0] as u32, a[1]),
        RT_SIGSUSPEND => return crate::timers::sigsuspend(s, p, h, a[0], a[1]),
        RT_SIGPENDING => crate::timers::sigpending(s, p, a[0], a[1]),
        RT_SIGTIMEDWAIT => return crate::timers::sigtimedwait(s, p, h, a),
        TIME => crate::timers::time(p, a[0]),
        CLOCK_GETRES => crate::timers::clock_getres(p, a[0], a[1]),
        TIMER_CREATE => crate::timers::timer_create(p, a[0], a[1], a[2]),
        TIMER_SETTIME => crate::timers::timer_settime(p, a[0], a[1], a[2], a[3]),
        TIMER_GETTIME => crate::timers::timer_gettime(p, a[0], a[1]),
        TIMER_GETOVERRUN => crate::timers::timer_getoverrun(p, a[0]),
        TIMER_DELETE => crate::timers::timer_delete(p, a[0]),
        _ => unknown(s, nr),
    };
    Answer::Rval(r.unwrap_or_else(|e| e.to_ret()))
}

/// A page-aligned range the program may unmap or protect: never emulib's.
fn program_range(addr: u64, len: u64) -> Result<u64, Errno> {
    let len = page_up(len).ok_or(Errno::EINVAL)?;
    let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
    if addr % 4096 != 0 || end > linux_abi::layout::USER_END || linux_abi::layout::overlaps_emulib(addr, end) {
        return Err(Errno::EINVAL);
    }
    Ok(len)
}

fn creds(s: &Server, p: &Pcb, f: impl FnOnce(&unix_server::proc::Credentials) -> R) -> R {
    proc_state(s, p, |st| f(&st.creds))
}

/// A credentials change; the process page shows the new ids at once.
fn set_creds(s: &Server, p: &Pcb, f: impl FnOnce(&mut unix_server::proc::Credentials) -> Result<(), Errno>) -> R {
    proc_state(s, p, |st| f(&mut st.creds))?;
    crate::write_proc_page(s, p);
    Ok(0)
}

fn getres(s: &Server, p: &Pcb, uids: bool, at: [u64; 3]) -> R {
    let v = proc_state(s, p, |st| {
        let c = &st.creds;
        Ok(if uids { [c.uid, c.euid, c.suid] } else { [c.gid, c.egid, c.sgid] })
    })?;
    for (a, v) in at.iter().zip(v) {
        mem::write(p.task, *a, &v.to_le_bytes())?;
    }
    Ok(0)
}

fn unknown(s: &Server, nr: u64) -> R {
    let mut l = s.logged.lock();
    if !l.contains(&nr) {
        l.push(nr);
        println!("unix-server: system call {} ({}) not implemented: ENOSYS", linux_abi::sysno::name(nr as usize).unwrap_or("?"), nr);
    }
    Err(Errno::ENOSYS)
}

fn proc_state<T>(s: &Server, p: &Pcb, f: impl FnOnce(&mut unix_server::proc::ProcState) -> Result<T, Errno>) -> Result<T, Errno> {
    let proc = s.table.get(p.pid).ok_or(Errno::ESRCH)?;
    let mut st = proc.state.lock();
    f(&mut st)
}

fn wait4(s: &'static Server, p: &Pcb, h: &MsgHeader, pid: i32, status: u64, options: u32, rusage: u64) -> Answer {
    match try_wait(s, p, pid, status, options, rusage) {
        Some(r) => Answer::Rval(r),
        None => {
            let later = park(s, p, h, Park::Wait { pid, status, options, rusage });
            // A child may have ended on another server thread between the
            // try and the park, its wake_waiters finding nothing parked
            // yet: retry now that the wait is where a wakeup finds it
            // (whichever thread unparks it answers it, once).
            wake_waiters(s, p.pid);
            later
        }
    }
}

/// A wait's result, or None when it must block. A reaped child's usage
/// goes to `rusage` (if given) and to the caller's children's total.
fn try_wait(s: &Server, p: &Pcb, pid: i32, status: u64, options: u32, rusage: u64) -> Option<i64> {
    match s.table.wait4(p.pid, pid, options) {
        Ok(WaitOutcome::Child(info)) => {
            let u = if unix_server::proc::status::wifexited(info.status) || unix_server::proc::status::wifsignaled(info.status) {
                crate::rusage::reaped(p.pid, info.pid)
            } else {
                crate::rusage::Usage::default() // stopped or continued: still running
            };
            if status != 0 && mem::write(p.task, status, &info.status.to_le_bytes()).is_err() {
                return Some(Errno::EFAULT.to_ret());
            }
            if rusage != 0 && mem::write(p.task, rusage, crate::rusage::bytes(&u.rusage())).is_err() {
                return Some(Errno::EFAULT.to_ret());
            }
            Some(info.pid as i64)
        }
        Ok(WaitOutcome::WouldBlock) if options & WNOHANG != 0 => Some(0),
        Ok(WaitOutcome::WouldBlock) => None,
        Err(e) => Some(e.to_ret()),
    }
}

pub fn park(s: &Server, p: &Pcb, h: &MsgHeader, what: Park) -> Answer {
    s.parked.lock().push(Parked { pid: p.pid, header: *h, what });
    Answer::Later
}

/// Takes the parked calls that `pick` chooses out of the list (to answer
/// them, or to retry and park again).
pub fn unpark(s: &Server, pick: impl Fn(&Parked) -> bool) -> Vec<Parked> {
    let mut l = s.parked.lock();
    let (mine, rest): (Vec<Parked>, Vec<Parked>) = l.drain(..).partition(|w| pick(w));
    *l = rest;
    mine
}

/// Retries the waits `pid` has parked, answering those that now finish.
pub fn wake_waiters(s: &Server, pid: i32) {
    let parked: Vec<Parked> = crate::calls::unpark(s, |w| w.pid == pid && matches!(w.what, Park::Wait { .. }));
    let pcb = s.procs.lock().values().copied().find(|c| c.pid == pid);
    for w in parked {
        let Park::Wait { pid: which, status, options, rusage } = w.what else { continue };
        let Some(pcb) = pcb else { crate::drop_reply(&w.header); continue };
        match try_wait(s, &pcb, which, status, options, rusage) {
            Some(r) => crate::reply(&mut bsd_syscall::Reply::new(&w.header, r)),
            None => s.parked.lock().push(w),
        }
    }
}

/// Drops the parked calls of a process that ended.
pub fn forget_parked(s: &Server, pid: i32) {
    let mut l = s.parked.lock();
    l.retain(|w| {
        if w.pid == pid {
            crate::drop_reply(&w.header);
        }
        w.pid != pid
    });
}

/// A signal with a handler came: every parked call of `pid` ends. With
/// SA_RESTART (`restart`) the calls Linux restarts answer ERESTARTSYS,
/// which emulib turns into the same call again after the handler;
/// sleeps, polls and timed futex waits answer EINTR, and a pipe write
/// that moved bytes answers their count.
pub fn interrupt(s: &Server, pid: i32, restart: bool) {
    let mine: Vec<Parked> = crate::calls::unpark(s, |w| w.pid == pid);
    for w in mine {
        let r = match w.what {
            Park::PipeWrite { done, .. } if done > 0 => done as i64,
            Park::Wait { .. } | Park::Tty { .. } | Park::PipeRead { .. } | Park::PipeWrite { .. } if restart => {
                Errno::ERESTARTSYS.to_ret()
            }
            Park::Futex { until_ns: u64::MAX, .. } if restart => Errno::ERESTARTSYS.to_ret(),
            _ => Errno::EINTR.to_ret(),
        };
        crate::reply(&mut bsd_syscall::Reply::new(&w.header, r));
    }
}

pub fn ticks_and_hz() -> (u64, u64) {
    match host_info::call(&Kernel, machrt::trap::host_self()) {
        Ok(r) => ({ r.info }.ticks, ({ r.info }.hz as u64).max(1)),
        Err(_) => (0, 100),
    }
}

/// The kernel's fine clock (TSC rate, TSC at boot, Unix seconds at
/// boot), asked of the host once.
pub fn fine_clock() -> (u64, u64, u64) {
    use core::sync::atomic::{AtomicU64, Ordering};
    static HZ: AtomicU64 = AtomicU64::new(0);
    static BOOT_TSC: AtomicU64 = AtomicU64::new(0);
    static BOOT_SEC: AtomicU64 = AtomicU64::new(0);
    if HZ.load(Ordering::Acquire) == 0 {
        if let Ok(r) = host_info::call(&Kernel, machrt::trap::host_self()) {
            let i = r.info;
            BOOT_TSC.store(i.boot_tsc, Ordering::Relaxed);
            BOOT_SEC.store(i.boot_unix_sec, Ordering::Relaxed);
            HZ.store(i.tsc_hz.max(1), Ordering::Release);
        }
    }
    (HZ.load(Ordering::Acquire).max(1), BOOT_TSC.load(Ordering::Relaxed), BOOT_SEC.load(Ordering::Relaxed))
}

/// Nanoseconds since boot, from the TSC.
pub fn now_ns() -> u64 {
    let (hz, t0, _) = fine_clock();
    ((machrt::trap::rdtsc().wrapping_sub(t0) as u128 * 1_000_000_000) / hz as u128) as u64
}

/// Nanoseconds since 1970 (CLOCK_REALTIME).
pub fn realtime_ns() -> u64 {
    fine_clock().2 * 1_000_000_000 + now_ns()
}

fn nanosleep(s: &Server, p: &Pcb, h: &MsgHeader, nr: usize, a: [u64; 6]) -> Answer {
    let req = if nr == NANOSLEEP { a[0] } else { a[2] };
    let ts = match mem::read(p.task, req, 16) {
        Ok(b) => Timespec { tv_sec: i64::from_le_bytes(b[..8].try_into().unwrap_or_default()),
                            tv_nsec: i64::from_le_bytes(b[8..16].try_into().unwrap_or_default()) },
        Err(e) => return Answer::Rval(e.to_ret()),
    };
    if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
        return Answer::Rval(Errno::EINVAL.to_ret());
    }
    // On the same clock clock_gettime reads, so a sleep and the clock agree.
    let ns = (ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64);
    park(s, p, h, Park::Sleep { until_ns: now_ns().saturating_add(ns) })
}

/// The timer thread: every tick, answers the sleeps that are due.
pub extern "C" fn timer(arg: u64) -> ! {
    // SAFETY: main passed the leaked, never-freed Server.
    let s = unsafe { &*(arg as *const Server) };
    let port = machrt::trap::reply_port();
    let mut buf = machrt::msg::Buffer::<64>::new();
    loop {
        let _ = machrt::msg::receive(&mut buf, port, mach::message::MACH_RCV_TIMEOUT, 10);
        let now_ns = now_ns();
        let due: Vec<Parked> = crate::calls::unpark(s, |w| matches!(w.what, Park::Sleep { until_ns } if until_ns <= now_ns));
        for w in due {
            crate::reply(&mut bsd_syscall::Reply::new(&w.header, 0));
        }
        crate::poll::retry(s, now_ns);
        crate::futex::expire(s, now_ns);
        crate::select::retry(s, now_ns);
        crate::timers::tick(s, now_ns);
    }
}

fn brk(s: &Server, p: &Pcb, want: u64) -> R {
    let cur = p.brk;
    if want < p.brk_base || want > p.brk_base + (1 << 36) {
        return Ok(cur as i64);
    }
    let (old_end, new_end) = (page_up(cur).unwrap_or(cur), page_up(want).unwrap_or(want));
    // The break never grows into emulib's range or past the user end.
    if new_end > old_end && (new_end > linux_abi::layout::USER_END || linux_abi::layout::overlaps_emulib(old_end, new_end)) {
        return Ok(cur as i64);
    }
    if new_end > old_end && mem::allocate(p.task, old_end, new_end - old_end).is_err() {
        return Ok(cur as i64);
    }
    if new_end < old_end {
        let _ = mem::deallocate(p.task, new_end, old_end - new_end);
    }
    if let Some(pc) = s.procs.lock().get_mut(&p.port) {
        pc.brk = want;
    }
    Ok(want as i64)
}

/// mmap: anonymous memory here, a descriptor's pages by files::mmap.
/// MAP_SHARED anonymous memory stays shared with forked children.
fn mmap(s: &Server, p: &Pcb, addr: u64, len: u64, prot: u32, flags: u32, fd: i64, off: u64) -> R {
    use linux_abi::consts::mman::*;
    let size = page_up(len).filter(|&s| s > 0).ok_or(Errno::EINVAL)?;
    if flags & MAP_FIXED != 0 {
        let end = addr.checked_add(size).ok_or(Errno::EINVAL)?;
        if addr % 4096 != 0 || end > linux_abi::layout::USER_END || linux_abi::layout::overlaps_emulib(addr, end) {
            return Err(Errno::EINVAL);
        }
    }
    if flags & MAP_ANONYMOUS == 0 {
        match files::mmap(s, p, addr, size, prot, flags, fd as u64, off) {
            Err(Errno::ENOTSUP) => {} // /dev/zero: anonymous memory
            r => return r,
        }
    }
    let at = if flags & MAP_FIXED != 0 {
        let _ = mem::deallocate(p.task, addr, size);
        mem::allocate(p.task, addr, size)?
    } else {
        mem::allocate_anywhere(p.task, if addr >= MMAP_BASE { addr } else { MMAP_BASE }, size)?
    };
    if prot & 7 != 3 {
        mem::protect(p.task, at, size, prot & 7)?;
    }
    if flags & MAP_TYPE == MAP_SHARED {
        mem::inherit(p.task, at, size, mach::vm::VM_INHERIT_SHARE)?;
    }
    Ok(at as i64)
}

/// mremap of private memory (what realloc of a large block asks):
/// shrinks in place, grows in place when the pages after it are free, or
/// with MREMAP_MAYMOVE moves it by a copy-on-write vm_copy (no page is
/// copied until written). Shared mappings cannot move here (ENOMEM, as
/// when they cannot grow); MREMAP_FIXED is not supported (EINVAL).
fn mremap(p: &Pcb, old: u64, old_len: u64, new_len: u64, flags: u32) -> R {
    use linux_abi::consts::mman::MREMAP_MAYMOVE;
    use mach::defs::vm::vm_copy;
    if flags & !MREMAP_MAYMOVE != 0 {
        return Err(Errno::EINVAL);
    }
    let old_len = program_range(old, old_len)?;
    let new_len = page_up(new_len).filter(|&n| n > 0).ok_or(Errno::EINVAL)?;
    let (prot, private) = mapped_range(p, old, old_len)?;
    if new_len <= old_len {
        if new_len < old_len {
            mem::deallocate(p.task, old + new_len, old_len - new_len)?;
        }
        return Ok(old as i64);
    }
    if !private {
        return Err(Errno::ENOMEM);
    }
    let grow = program_range(old + old_len, new_len - old_len);
    if grow.is_ok() && mem::allocate(p.task, old + old_len, new_len - old_len).is_ok() {
        mem::protect(p.task, old + old_len, new_len - old_len, prot)?;
        return Ok(old as i64);
    }
    if flags & MREMAP_MAYMOVE == 0 {
        return Err(Errno::ENOMEM);
    }
    let new = mem::allocate_anywhere(p.task, MMAP_BASE, new_len)?;
    if vm_copy::call(&Kernel, p.task, old, old_len, new).is_err() {
        let _ = mem::deallocate(p.task, new, new_len);
        return Err(Errno::ENOMEM);
    }
    mem::protect(p.task, new, new_len, prot)?;
    mem::deallocate(p.task, old, old_len)?;
    Ok(new as i64)
}

/// Whether [addr, addr+len) is all mapped (else EFAULT): the first
/// region's protection, and whether every region of it is private memory
/// (one mapping may be several map entries).
fn mapped_range(p: &Pcb, addr: u64, len: u64) -> Result<(mach::vm::VmProt, bool), Errno> {
    let end = addr + len;
    let mut at = addr;
    let regions = mem::regions(p.task, addr, end, usize::MAX);
    for r in &regions {
        if r.start > at {
            return Err(Errno::EFAULT); // a hole
        }
        at = r.end;
    }
    if at < end || regions.is_empty() {
        return Err(Errno::EFAULT);
    }
    let private = regions.iter().all(|r| !r.shared && r.inheritance != mach::vm::VM_INHERIT_SHARE);
    Ok((regions[0].prot, private))
}

fn prlimit(s: &Server, p: &Pcb, res: u32, new: u64, old: u64) -> R {
    let newl = if new != 0 {
        let b = mem::read(p.task, new, 16)?;
        Some(Rlimit { rlim_cur: u64::from_le_bytes(b[..8].try_into().unwrap_or_default()),
                      rlim_max: u64::from_le_bytes(b[8..].try_into().unwrap_or_default()) })
    } else {
        None
    };
    let prev = proc_state(s, p, |st| match newl {
        Some(n) => st.setrlimit(res, n),
        None => st.rlimit(res),
    })?;
    if old != 0 {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&prev.rlim_cur.to_le_bytes());
        b[8..].copy_from_slice(&prev.rlim_max.to_le_bytes());
        mem::write(p.task, old, &b)?;
    }
    Ok(0)
}

/// reboot(2): root only, with Linux's magic numbers. Power-off and halt
/// sync and unmount the root, then power the machine off (status 0);
/// restart does the same, since the machine cannot boot itself again.
fn reboot(s: &Server, p: &Pcb, magic1: u32, magic2: u32, cmd: u32) -> R {
    use linux_abi::consts::reboot::*;
    if magic1 != LINUX_REBOOT_MAGIC1
        || ![LINUX_REBOOT_MAGIC2, LINUX_REBOOT_MAGIC2A, LINUX_REBOOT_MAGIC2B, LINUX_REBOOT_MAGIC2C].contains(&magic2)
    {
        return Err(Errno::EINVAL);
    }
    if creds(s, p, |c| Ok(c.euid as i64))? != 0 {
        return Err(Errno::EPERM);
    }
    match cmd {
        LINUX_REBOOT_CMD_POWER_OFF | LINUX_REBOOT_CMD_HALT | LINUX_REBOOT_CMD_RESTART => {
            crate::inode_pager::clean_all();
            crate::vfs::unmount_root();
            let _ = host_reboot::call(&Kernel, machrt::trap::host_self(), HOST_REBOOT_HALT, 0);
            machrt::trap::poweroff(0)
        }
        LINUX_REBOOT_CMD_CAD_ON | LINUX_REBOOT_CMD_CAD_OFF => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

fn uname(p: &Pcb, at: u64) -> R {
    let mut u = Utsname::default();
    for (f, v) in [(&mut u.sysname, "Linux"), (&mut u.nodename, "mach"), (&mut u.release, "6.1.0-mach3"),
                   (&mut u.version, "#1 Mach 3 UNIX server"), (&mut u.machine, "x86_64"), (&mut u.domainname, "(none)")] {
        f[..v.len()].copy_from_slice(v.as_bytes());
    }
    // SAFETY: Utsname is byte arrays only.
    let b = unsafe { core::slice::from_raw_parts(&u as *const _ as *const u8, core::mem::size_of::<Utsname>()) };
    mem::write(p.task, at, b).map(|_| 0)
}

/// madvise: advice only. The kernel pages out by its own clock, so
/// WILLNEED, SEQUENTIAL, FREE and the rest change nothing; DONTNEED keeps
/// the pages too (a program that counts on it to zero private memory
/// would see the old bytes: none here does).
fn madvise(addr: u64, len: u64, advice: u32) -> R {
    if addr % 4096 != 0 || addr.checked_add(len).is_none() || advice > 100 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

/// Names given with PR_SET_NAME, per process.
static NAMES: machrt::sync::Mutex<alloc::collections::BTreeMap<i32, [u8; 16]>> =
    machrt::sync::Mutex::new(alloc::collections::BTreeMap::new());

/// The process is gone: so is its name.
pub fn forget_name(pid: i32) {
    NAMES.lock().remove(&pid);
}

/// prctl: the thread name (PR_SET_NAME, PR_GET_NAME), kept per process;
/// other options EINVAL.
fn prctl(p: &Pcb, option: u32, arg: u64) -> R {
    const PR_SET_NAME: u32 = 15;
    const PR_GET_NAME: u32 = 16;
    match option {
        PR_SET_NAME => {
            let raw = mem::read_cstr(p.task, arg, 64)?;
            let mut name = [0u8; 16];
            let n = raw.len().min(15);
            name[..n].copy_from_slice(&raw[..n]);
            NAMES.lock().insert(p.pid, name);
            Ok(0)
        }
        PR_GET_NAME => {
            let name = NAMES.lock().get(&p.pid).copied().unwrap_or_default();
            mem::write(p.task, arg, &name).map(|_| 0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// sched_getaffinity: one CPU runs (the kernel brings up one). The mask
/// is as long as the caller's buffer allows, in whole words as Linux's.
fn affinity(p: &Pcb, len: u64, at: u64) -> R {
    if len < 8 || len % 8 != 0 {
        return Err(Errno::EINVAL);
    }
    let n = len.min(128) as usize;
    let mut b = alloc::vec![0u8; n];
    b[0] = 1;
    mem::write(p.task, at, &b).map(|_| n as i64)
}

/// sched_setaffinity: a mask with CPU 0 in it is what there is already.
fn set_affinity(p: &Pcb, len: u64, at: u64) -> R {
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    let b = mem::read(p.task, at, 1)?;
    if b[0] & 1 == 0 { Err(Errno::EINVAL) } else { Ok(0) }
}

/// sysinfo: uptime from the fine clock, memory from the kernel's
/// host_info, the number of processes; no load average, no swap.
fn sysinfo(s: &Server, p: &Pcb, at: u64) -> R {
    use core::mem::offset_of;
    use linux_abi::structs::Sysinfo;
    let (total, free) = mem::host_memory();
    // Field by field: the struct has padding, which must go out as zeros.
    let mut b = [0u8; core::mem::size_of::<Sysinfo>()];
    let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
    put(offset_of!(Sysinfo, uptime), &((now_ns() / 1_000_000_000) as i64).to_le_bytes());
    put(offset_of!(Sysinfo, totalram), &total.to_le_bytes());
    put(offset_of!(Sysinfo, freeram), &free.to_le_bytes());
    put(offset_of!(Sysinfo, procs), &(s.table.pids().len().min(u16::MAX as usize) as u16).to_le_bytes());
    put(offset_of!(Sysinfo, mem_unit), &1u32.to_le_bytes());
    mem::write(p.task, at, &b).map(|_| 0)
}

/// Not cryptographic: xorshift over the time stamp counter.
pub fn random_bytes(n: usize) -> Vec<u8> {
    use core::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);
    let mut x = STATE.load(Ordering::Relaxed) ^ machrt::trap::rdtsc();
    let mut v = Vec::with_capacity(n + 8);
    while v.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    STATE.store(x, Ordering::Relaxed);
    v.truncate(n);
    v
}

pub fn random16() -> [u8; 16] {
    random_bytes(16).try_into().unwrap_or([7; 16])
}

fn getrandom(p: &Pcb, buf: u64, len: u64) -> R {
    let n = len.min(4096) as usize;
    mem::write(p.task, buf, &random_bytes(n)).map(|_| n as i64)
}

fn clock_gettime(p: &Pcb, clock: u64, tp: u64) -> R {
    let ns = crate::timers::clock_ns(p, clock)?;
    let ts = Timespec { tv_sec: (ns / 1_000_000_000) as i64, tv_nsec: (ns % 1_000_000_000) as i64 };
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&ts.tv_sec.to_le_bytes());
    b[8..].copy_from_slice(&ts.tv_nsec.to_le_bytes());
    mem::write(p.task, tp, &b).map(|_| 0)
}

fn gettimeofday(p: &Pcb, tv: u64) -> R {
    if tv == 0 {
        return Ok(0);
    }
    let ns = realtime_ns();
    let t = Timeval { tv_sec: (ns / 1_000_000_000) as i64, tv_usec: ((ns % 1_000_000_000) / 1000) as i64 };
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&t.tv_sec.to_le_bytes());
    b[8..].copy_from_slice(&t.tv_usec.to_le_bytes());
    mem::write(p.task, tv, &b).map(|_| 0)
}

fn times(p: &Pcb, buf: u64) -> R {
    let (t, hz) = ticks_and_hz();
    let tck = unix_server::exec_image::CLK_TCK;
    let clk = t * tck / hz;
    if buf != 0 {
        let (me, kids) = (crate::rusage::own(p.task), crate::rusage::children(p.pid));
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&me.clock(tck).to_le_bytes());
        b[16..24].copy_from_slice(&kids.clock(tck).to_le_bytes());
        mem::write(p.task, buf, &b)?;
    }
    Ok(clk as i64)
}

/// getrusage: the caller's own use (a thread's is the process's), or
/// its reaped children's.
fn getrusage(p: &Pcb, who: i32, at: u64) -> R {
    let u = match who {
        0 | 1 => crate::rusage::own(p.task),
        -1 => crate::rusage::children(p.pid),
        _ => return Err(Errno::EINVAL),
    };
    mem::write(p.task, at, crate::rusage::bytes(&u.rusage())).map(|_| 0)
}

/// ppoll: the timeout is a timespec (NULL: forever); the mask is ignored.
fn ppoll(s: &Server, p: &Pcb, h: &MsgHeader, a: [u64; 6]) -> Answer {
    let ms = if a[2] == 0 {
        -1
    } else {
        match mem::read(p.task, a[2], 16) {
            Ok(b) => {
                let sec = i64::from_le_bytes(b[..8].try_into().unwrap_or_default());
                let ns = i64::from_le_bytes(b[8..16].try_into().unwrap_or_default());
                sec.saturating_mul(1000).saturating_add(ns / 1_000_000).max(0)
            }
            Err(e) => return Answer::Rval(e.to_ret()),
        }
    };
    crate::poll::poll(s, p, h, a[0], a[1], ms)
}
