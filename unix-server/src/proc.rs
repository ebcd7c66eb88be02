//! The process table: pids, the process tree, process groups and
//! sessions, credentials, limits, and the life cycle fork / exit / wait,
//! with the job-control side of signals (stop, continue, SIGCHLD).
//!
//! Locking: the table's lock covers only the tree and job-control state
//! (parent, group, session, run state, children), held for short,
//! non-blocking sections. Each [`Proc`] has its own locks for the rest
//! (credentials, signals, descriptors), so a call that blocks holds only
//! its own process. Order: table, then a process's `state`, then its
//! `fds`. Nothing here sleeps: `wait` answers [`WaitOutcome::WouldBlock`]
//! and the glue parks the thread until a [`Wakeups`] names its process.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use linux_abi::consts::rlimit::*;
use linux_abi::consts::signal::*;
use linux_abi::consts::wait::*;
use linux_abi::structs::{Rlimit, Rusage, Siginfo};
use linux_abi::Errno;
use crate::sync::Mutex;

use crate::fd::{FdTable, OpenFile, NR_OPEN};
use crate::signal::{SigState, Signo};

pub type Pid = i32;
pub const INIT_PID: Pid = 1;
/// Pids wrap after this, as with Linux's classic pid_max.
pub const PID_MAX: Pid = 32768;

/// Real, effective and saved ids, and supplementary groups.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub groups: Vec<u32>,
}

impl Credentials {
    pub fn root() -> Self {
        Self::default()
    }
    pub fn user(uid: u32, gid: u32) -> Self {
        Credentials { uid, euid: uid, suid: uid, gid, egid: gid, sgid: gid, groups: Vec::new() }
    }
    pub fn privileged(&self) -> bool {
        self.euid == 0
    }

    /// setuid(2): root sets all three ids; others may set the effective
    /// id to the real or saved one.
    pub fn setuid(&mut self, uid: u32) -> Result<(), Errno> {
        if self.privileged() {
            (self.uid, self.euid, self.suid) = (uid, uid, uid);
        } else if uid == self.uid || uid == self.suid {
            self.euid = uid;
        } else {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    /// setresuid(2): `u32::MAX` (-1) leaves an id unchanged; unprivileged
    /// callers may only use ids they already hold.
    pub fn setresuid(&mut self, r: u32, e: u32, s: u32) -> Result<(), Errno> {
        let held = [self.uid, self.euid, self.suid];
        let ok = |v: u32| v == u32::MAX || held.contains(&v);
        if !(self.privileged() || ok(r) && ok(e) && ok(s)) {
            return Err(Errno::EPERM);
        }
        let pick = |v: u32, old: u32| if v == u32::MAX { old } else { v };
        (self.uid, self.euid, self.suid) = (pick(r, self.uid), pick(e, self.euid), pick(s, self.suid));
        Ok(())
    }

    /// setgid(2), with the same rules as setuid.
    pub fn setgid(&mut self, gid: u32) -> Result<(), Errno> {
        if self.privileged() {
            (self.gid, self.egid, self.sgid) = (gid, gid, gid);
        } else if gid == self.gid || gid == self.sgid {
            self.egid = gid;
        } else {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    /// kill(2) permission: privileged, or the sender's real or effective
    /// uid is the target's real or saved uid.
    pub fn may_signal(&self, target: &Credentials) -> bool {
        self.privileged() || [self.uid, self.euid].iter().any(|u| *u == target.uid || *u == target.suid)
    }
}

/// Linux's default limits for a new system (init's; children inherit).
pub fn default_rlimits() -> [Rlimit; RLIM_NLIMITS] {
    let inf = Rlimit { rlim_cur: RLIM_INFINITY, rlim_max: RLIM_INFINITY };
    let mut r = [inf; RLIM_NLIMITS];
    r[RLIMIT_STACK as usize].rlim_cur = 8 << 20;
    r[RLIMIT_CORE as usize].rlim_cur = 0;
    r[RLIMIT_NPROC as usize] = Rlimit { rlim_cur: 4096, rlim_max: 4096 };
    r[RLIMIT_NOFILE as usize] = Rlimit { rlim_cur: 1024, rlim_max: 4096 };
    r[RLIMIT_MEMLOCK as usize] = Rlimit { rlim_cur: 8 << 20, rlim_max: 8 << 20 };
    r[RLIMIT_SIGPENDING as usize] = Rlimit { rlim_cur: 4096, rlim_max: 4096 };
    r[RLIMIT_MSGQUEUE as usize] = Rlimit { rlim_cur: 819200, rlim_max: 819200 };
    r[RLIMIT_NICE as usize] = Rlimit { rlim_cur: 0, rlim_max: 0 };
    r[RLIMIT_RTPRIO as usize] = Rlimit { rlim_cur: 0, rlim_max: 0 };
    r
}

/// Everything about a process that its own calls change.
#[derive(Clone)]
pub struct ProcState {
    pub creds: Credentials,
    /// Working directory as an absolute path (until the files work gives
    /// vnodes).
    pub cwd: String,
    pub umask: u32,
    pub rlimits: [Rlimit; RLIM_NLIMITS],
    pub signals: SigState,
    /// Set by exec: a parent may no longer setpgid this child.
    pub did_exec: bool,
    /// What the last exec loaded (fork keeps it, as Linux's /proc shows).
    pub image: ImageInfo,
    /// When the process was forked, in ns since boot (the glue's clock).
    pub started_ns: u64,
}

/// The program a process runs, for /proc: its executable's absolute
/// path, argv as /proc/<pid>/cmdline gives it (each string followed by a
/// NUL), and the address range its segments occupy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageInfo {
    pub exe: String,
    pub cmdline: Vec<u8>,
    pub start: u64,
    pub end: u64,
}

impl ImageInfo {
    pub fn new(exe: &str, argv: &[&[u8]], start: u64, end: u64) -> Self {
        let mut cmdline = Vec::with_capacity(argv.iter().map(|a| a.len() + 1).sum());
        for a in argv {
            cmdline.extend_from_slice(a);
            cmdline.push(0);
        }
        ImageInfo { exe: String::from(exe), cmdline, start, end }
    }

    /// Linux's comm: the executable's last name, at most 15 bytes.
    pub fn comm(&self) -> &str {
        let base = self.exe.rsplit('/').next().unwrap_or("");
        let mut n = base.len().min(15);
        while !base.is_char_boundary(n) {
            n -= 1;
        }
        &base[..n]
    }
}

impl ProcState {
    pub fn new(creds: Credentials) -> Self {
        ProcState {
            creds,
            cwd: String::from("/"),
            umask: 0o022,
            rlimits: default_rlimits(),
            signals: SigState::new(),
            did_exec: false,
            image: ImageInfo::default(),
            started_ns: 0,
        }
    }

    pub fn rlimit(&self, resource: u32) -> Result<Rlimit, Errno> {
        self.rlimits.get(resource as usize).copied().ok_or(Errno::EINVAL)
    }

    /// setrlimit/prlimit64: soft above hard is EINVAL; raising the hard
    /// limit needs privilege; NOFILE is capped by NR_OPEN.
    pub fn setrlimit(&mut self, resource: u32, new: Rlimit) -> Result<Rlimit, Errno> {
        let old = self.rlimit(resource)?;
        if new.rlim_cur > new.rlim_max {
            return Err(Errno::EINVAL);
        }
        if new.rlim_max > old.rlim_max && !self.creds.privileged() {
            return Err(Errno::EPERM);
        }
        if resource == RLIMIT_NOFILE && new.rlim_max > NR_OPEN {
            return Err(Errno::EPERM);
        }
        self.rlimits[resource as usize] = new;
        Ok(old)
    }

    /// RLIMIT_NOFILE's soft limit, what descriptor allocation checks.
    pub fn nofile(&self) -> u64 {
        self.rlimits[RLIMIT_NOFILE as usize].rlim_cur
    }

    /// umask(2): returns the old mask.
    pub fn set_umask(&mut self, mask: u32) -> u32 {
        core::mem::replace(&mut self.umask, mask & 0o777)
    }
}

/// One UNIX process: its pid and its own locks.
pub struct Proc {
    pub pid: Pid,
    pub state: Mutex<ProcState>,
    pub fds: Mutex<FdTable>,
}

/// Wait status encodings, bit for bit as Linux's `wait4` returns them.
pub mod status {
    pub const fn exited(code: u8) -> i32 {
        (code as i32) << 8
    }
    pub const fn signaled(sig: u32, core: bool) -> i32 {
        (sig as i32 & 0x7f) | if core { 0x80 } else { 0 }
    }
    pub const fn stopped(sig: u32) -> i32 {
        0x7f | (sig as i32) << 8
    }
    pub const CONTINUED: i32 = 0xffff;

    pub const fn wifexited(s: i32) -> bool {
        s & 0x7f == 0
    }
    pub const fn wexitstatus(s: i32) -> u8 {
        (s >> 8) as u8
    }
    pub const fn wifsignaled(s: i32) -> bool {
        ((s & 0x7f) + 1) as i8 >= 2
    }
    pub const fn wtermsig(s: i32) -> u32 {
        (s & 0x7f) as u32
    }
    pub const fn wcoredump(s: i32) -> bool {
        s & 0x80 != 0
    }
    pub const fn wifstopped(s: i32) -> bool {
        s & 0xff == 0x7f
    }
    pub const fn wstopsig(s: i32) -> u32 {
        ((s >> 8) & 0xff) as u32
    }
    pub const fn wifcontinued(s: i32) -> bool {
        s == CONTINUED
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RunState {
    Running,
    Stopped(Signo),
    /// Exited; the wait status.
    Zombie(i32),
}

/// A stop or continue not yet reported to the parent's wait.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Report {
    Stopped(Signo),
    Continued,
}

struct Node {
    proc: Arc<Proc>,
    ppid: Pid,
    pgid: Pid,
    sid: Pid,
    run: RunState,
    report: Option<Report>,
    children: BTreeSet<Pid>,
    /// Real uid, refreshed at exit, for waitid's and SIGCHLD's si_uid.
    uid: u32,
}

#[derive(Default)]
struct Table {
    nodes: BTreeMap<Pid, Node>,
    last_pid: Pid,
}

/// Processes the glue must wake or interrupt after a call.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Wakeups {
    /// Got a signal: interrupt a blocked call (EINTR / restart) or make a
    /// running thread enter emulib's delivery path.
    pub signalled: Vec<Pid>,
    /// A child changed state: wake their threads blocked in wait.
    pub waiters: Vec<Pid>,
}

impl Wakeups {
    fn merge(&mut self, o: Wakeups) {
        self.signalled.extend(o.signalled);
        self.waiters.extend(o.waiters);
    }
}

/// What `exit` did beyond the process itself.
pub struct ExitEffects {
    /// Descriptions the process held, for last-close processing.
    pub closed: Vec<Arc<OpenFile>>,
    /// The parent's SIGCHLD handler decided no zombie is kept.
    pub auto_reaped: bool,
    pub wake: Wakeups,
}

/// Which children a wait selects.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WaitSel {
    Any,
    Pid(Pid),
    Pgid(Pid),
}

/// Which state changes a wait reports, and whether it consumes them.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct WaitOpts {
    pub exited: bool,
    pub stopped: bool,
    pub continued: bool,
    /// WNOWAIT: report without reaping or clearing.
    pub nowait: bool,
    pub nohang: bool,
}

/// A reported child.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct WaitInfo {
    pub pid: Pid,
    pub uid: u32,
    /// wait4 status word.
    pub status: i32,
    /// CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED or CLD_CONTINUED.
    pub code: i32,
    /// waitid's si_status: exit code or signal.
    pub si_status: i32,
    pub rusage: Rusage,
}

impl WaitInfo {
    /// The siginfo waitid writes (and SIGCHLD carries).
    pub fn siginfo(&self) -> Siginfo {
        let mut i = Siginfo::new(SIGCHLD as i32, self.code);
        i.set_pid(self.pid);
        i.set_uid(self.uid);
        i.set_status(self.si_status);
        i
    }
}

/// One process's place in the tree, zombies included (what /proc shows).
#[derive(Clone)]
pub struct ProcInfo {
    pub proc: Arc<Proc>,
    pub ppid: Pid,
    pub pgid: Pid,
    pub sid: Pid,
    pub run: RunState,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum WaitOutcome {
    Child(WaitInfo),
    /// Matching children exist but none has news: block, or return 0
    /// under WNOHANG.
    WouldBlock,
}

/// The (code, si_status) pair describing a wait status.
fn describe(st: i32) -> (i32, i32) {
    use status::*;
    if wifexited(st) {
        (CLD_EXITED, wexitstatus(st) as i32)
    } else if wifcontinued(st) {
        (CLD_CONTINUED, SIGCONT as i32)
    } else if wifstopped(st) {
        (CLD_STOPPED, wstopsig(st) as i32)
    } else if wcoredump(st) {
        (CLD_DUMPED, wtermsig(st) as i32)
    } else {
        (CLD_KILLED, wtermsig(st) as i32)
    }
}

#[derive(Default)]
pub struct ProcTable {
    inner: Mutex<Table>,
}

impl ProcTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates init (pid 1, its own group and session). EEXIST if done.
    pub fn create_init(&self, creds: Credentials) -> Result<Arc<Proc>, Errno> {
        let mut t = self.inner.lock();
        if t.nodes.contains_key(&INIT_PID) {
            return Err(Errno::EEXIST);
        }
        let uid = creds.uid;
        let proc = new_proc(INIT_PID, ProcState::new(creds), FdTable::new());
        t.insert(Node { proc: proc.clone(), ppid: 0, pgid: INIT_PID, sid: INIT_PID, run: RunState::Running, report: None, children: BTreeSet::new(), uid });
        t.last_pid = INIT_PID;
        Ok(proc)
    }

    /// A live (non-zombie) process.
    pub fn get(&self, pid: Pid) -> Option<Arc<Proc>> {
        let t = self.inner.lock();
        t.nodes.get(&pid).filter(|n| !matches!(n.run, RunState::Zombie(_))).map(|n| n.proc.clone())
    }

    /// Every pid in the table, zombies included, in ascending order.
    pub fn pids(&self) -> Vec<Pid> {
        self.inner.lock().nodes.keys().copied().collect()
    }

    /// A process's place in the tree, zombies included.
    pub fn info(&self, pid: Pid) -> Option<ProcInfo> {
        let t = self.inner.lock();
        let n = t.nodes.get(&pid)?;
        Some(ProcInfo { proc: n.proc.clone(), ppid: n.ppid, pgid: n.pgid, sid: n.sid, run: n.run })
    }

    pub fn run_state(&self, pid: Pid) -> Option<RunState> {
        self.inner.lock().nodes.get(&pid).map(|n| n.run)
    }

    pub fn getppid(&self, pid: Pid) -> Result<Pid, Errno> {
        self.inner.lock().node(pid).map(|n| n.ppid)
    }

    /// getpgid: `pid` 0 means the caller.
    pub fn getpgid(&self, caller: Pid, pid: Pid) -> Result<Pid, Errno> {
        let t = self.inner.lock();
        t.node(if pid == 0 { caller } else { pid }).map(|n| n.pgid)
    }

    /// getsid: `pid` 0 means the caller.
    pub fn getsid(&self, caller: Pid, pid: Pid) -> Result<Pid, Errno> {
        let t = self.inner.lock();
        t.node(if pid == 0 { caller } else { pid }).map(|n| n.sid)
    }

    pub fn children(&self, pid: Pid) -> Vec<Pid> {
        self.inner.lock().nodes.get(&pid).map(|n| n.children.iter().copied().collect()).unwrap_or_default()
    }

    /// fork: a new process with a copy of the parent's state. Descriptors
    /// share the parent's open file descriptions; signal dispositions and
    /// mask are copied, pending signals are not. EAGAIN when out of pids
    /// or over RLIMIT_NPROC.
    pub fn fork(&self, parent: Pid) -> Result<Arc<Proc>, Errno> {
        let mut t = self.inner.lock();
        let pnode = t.live(parent)?;
        let (ppgid, psid) = (pnode.pgid, pnode.sid);
        let pproc = pnode.proc.clone();
        let pstate = pproc.state.lock();
        if !pstate.creds.privileged() {
            let uid = pstate.creds.uid;
            // Credentials change under each process's own lock, so read
            // them there (the parent's is already held: count it as is).
            let others = t.nodes.values().filter(|n| n.proc.pid != parent && !is_zombie(n));
            let n = 1 + others.filter(|n| n.proc.state.lock().creds.uid == uid).count() as u64;
            if n >= pstate.rlimits[RLIMIT_NPROC as usize].rlim_cur {
                return Err(Errno::EAGAIN);
            }
        }
        let pid = t.alloc_pid().ok_or(Errno::EAGAIN)?;
        let mut state = pstate.clone();
        state.signals = pstate.signals.fork_copy();
        state.did_exec = false;
        let uid = state.creds.uid;
        drop(pstate);
        let fds = pproc.fds.lock().clone();
        let proc = new_proc(pid, state, fds);
        t.insert(Node { proc: proc.clone(), ppid: parent, pgid: ppgid, sid: psid, run: RunState::Running, report: None, children: BTreeSet::new(), uid });
        t.nodes.get_mut(&parent).map(|n| n.children.insert(pid));
        Ok(proc)
    }

    /// execve's commit point (after the new image is in place): caught
    /// signals reset, close-on-exec descriptors closed (returned), and the
    /// parent may no longer change this process's group.
    pub fn exec(&self, pid: Pid) -> Result<Vec<Arc<OpenFile>>, Errno> {
        let proc = self.get(pid).ok_or(Errno::ESRCH)?;
        let mut st = proc.state.lock();
        st.did_exec = true;
        st.signals.exec_reset();
        drop(st);
        let closed = proc.fds.lock().close_on_exec();
        Ok(closed)
    }

    /// exit: the process becomes a zombie holding `wstatus` (see
    /// [`status`]); its children go to init; the parent gets SIGCHLD and
    /// a wait wakeup. Init itself may not exit (EPERM): what the system
    /// does then (Linux panics) is the glue's decision.
    pub fn exit(&self, pid: Pid, wstatus: i32) -> Result<ExitEffects, Errno> {
        if pid == INIT_PID {
            return Err(Errno::EPERM);
        }
        let mut t = self.inner.lock();
        let node = t.nodes.get_mut(&pid).ok_or(Errno::ESRCH)?;
        if matches!(node.run, RunState::Zombie(_)) {
            return Err(Errno::ESRCH);
        }
        node.run = RunState::Zombie(wstatus);
        node.report = None;
        let proc = node.proc.clone();
        node.uid = proc.state.lock().creds.uid;
        let closed = proc.fds.lock().close_all();
        let mut wake = t.reparent_children(pid);
        wake.merge(t.orphan_check_on_exit(pid));
        let (code, si_status) = describe(wstatus);
        let ppid = t.nodes[&pid].ppid;
        let auto_reaped = t.parent_reaps(ppid);
        wake.merge(t.notify_parent(pid, code, si_status));
        if auto_reaped {
            t.reap(pid);
        }
        Ok(ExitEffects { closed, auto_reaped, wake })
    }

    /// The default action of a stop signal: the process stops and the
    /// parent is told (unless SA_NOCLDSTOP).
    pub fn stop(&self, pid: Pid, sig: Signo) -> Result<Wakeups, Errno> {
        let mut t = self.inner.lock();
        let n = t.live_mut(pid)?;
        if n.run != RunState::Running {
            return Ok(Wakeups::default());
        }
        n.run = RunState::Stopped(sig);
        n.report = Some(Report::Stopped(sig));
        Ok(t.notify_stop_change(pid, CLD_STOPPED, sig as i32))
    }

    /// A stopped process continues (SIGCONT), and the parent is told.
    pub fn cont(&self, pid: Pid) -> Result<Wakeups, Errno> {
        let mut t = self.inner.lock();
        Ok(t.cont(pid))
    }

    /// wait4(pid, options): `pid` > 0 that child, -1 any, 0 the caller's
    /// group, < -1 group -pid. ECHILD when no child matches.
    pub fn wait4(&self, caller: Pid, pid: Pid, options: u32) -> Result<WaitOutcome, Errno> {
        if options & !(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE | __WNOTHREAD) != 0 {
            return Err(Errno::EINVAL);
        }
        let sel = match pid {
            -1 => WaitSel::Any,
            0 => WaitSel::Pgid(self.getpgid(caller, 0)?),
            p if p > 0 => WaitSel::Pid(p),
            // pid == i32::MIN has no positive counterpart: no such group.
            p => WaitSel::Pgid(p.checked_neg().ok_or(Errno::ESRCH)?),
        };
        let opts = WaitOpts {
            exited: true,
            stopped: options & WUNTRACED != 0,
            continued: options & WCONTINUED != 0,
            nowait: false,
            nohang: options & WNOHANG != 0,
        };
        self.wait(caller, sel, opts)
    }

    /// waitid(idtype, id, options): at least one of WEXITED, WSTOPPED,
    /// WCONTINUED; WNOWAIT leaves the child waitable. P_PGID with id 0 is
    /// the caller's group (Linux 5.4+).
    pub fn waitid(&self, caller: Pid, idtype: u32, id: u32, options: u32) -> Result<WaitOutcome, Errno> {
        let known = WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT | __WALL | __WCLONE | __WNOTHREAD;
        if options & !known != 0 || options & (WEXITED | WSTOPPED | WCONTINUED) == 0 {
            return Err(Errno::EINVAL);
        }
        let id = i32::try_from(id).map_err(|_| Errno::EINVAL)?;
        let sel = match idtype {
            P_ALL => WaitSel::Any,
            P_PID if id > 0 => WaitSel::Pid(id),
            P_PGID if id == 0 => WaitSel::Pgid(self.getpgid(caller, 0)?),
            P_PGID if id > 0 => WaitSel::Pgid(id),
            _ => return Err(Errno::EINVAL),
        };
        let opts = WaitOpts {
            exited: options & WEXITED != 0,
            stopped: options & WSTOPPED != 0,
            continued: options & WCONTINUED != 0,
            nowait: options & WNOWAIT != 0,
            nohang: options & WNOHANG != 0,
        };
        self.wait(caller, sel, opts)
    }

    /// The common selection: first matching child (by pid) with news.
    pub fn wait(&self, caller: Pid, sel: WaitSel, opts: WaitOpts) -> Result<WaitOutcome, Errno> {
        let mut t = self.inner.lock();
        let kids: Vec<Pid> = t.node(caller)?.children.iter().copied().collect();
        let matching: Vec<Pid> = kids.into_iter().filter(|k| t.selects(*k, sel)).collect();
        if matching.is_empty() {
            return Err(Errno::ECHILD);
        }
        for k in matching {
            if let Some(info) = t.take_news(k, opts) {
                return Ok(WaitOutcome::Child(info));
            }
        }
        Ok(WaitOutcome::WouldBlock)
    }

    /// setpgid: `pid` 0 is the caller, `pgid` 0 is `pid`. Only the caller
    /// or a child in the same session that has not exec'd; never a
    /// session leader; the group must exist in the caller's session
    /// unless it is being created.
    pub fn setpgid(&self, caller: Pid, pid: Pid, pgid: Pid) -> Result<(), Errno> {
        if pgid < 0 {
            return Err(Errno::EINVAL);
        }
        let mut t = self.inner.lock();
        let pid = if pid == 0 { caller } else { pid };
        let pgid = if pgid == 0 { pid } else { pgid };
        let csid = t.live(caller)?.sid;
        let target = t.live(pid)?;
        if pid != caller {
            if target.ppid != caller {
                return Err(Errno::ESRCH);
            }
            if target.sid != csid {
                return Err(Errno::EPERM);
            }
            if target.proc.state.lock().did_exec {
                return Err(Errno::EACCES);
            }
        }
        if target.sid == pid {
            return Err(Errno::EPERM);
        }
        if pgid != pid && !t.nodes.values().any(|n| n.pgid == pgid && n.sid == csid && !is_zombie(n)) {
            return Err(Errno::EPERM);
        }
        t.nodes.get_mut(&pid).ok_or(Errno::ESRCH)?.pgid = pgid;
        Ok(())
    }

    /// setsid: a new session and group led by the caller, who must not
    /// already lead a group. Returns the new session id.
    pub fn setsid(&self, caller: Pid) -> Result<Pid, Errno> {
        let mut t = self.inner.lock();
        t.live(caller)?;
        if t.nodes.values().any(|n| n.pgid == caller) {
            return Err(Errno::EPERM);
        }
        let n = t.live_mut(caller)?;
        n.sid = caller;
        n.pgid = caller;
        Ok(caller)
    }

    /// True when a group has no member whose parent is in another group
    /// of the same session: job control can no longer reach it (POSIX
    /// "orphaned process group"; tty reads then fail with EIO).
    pub fn is_orphaned_pgrp(&self, pgid: Pid) -> bool {
        self.inner.lock().orphaned(pgid)
    }

    /// kill(pid, sig): `pid` > 0 one process, 0 the caller's group, -1
    /// every process the caller may signal except init and itself,
    /// < -1 group -pid. Signal 0 only checks. ESRCH when nothing is
    /// selected, EPERM when nothing selected may be signalled.
    pub fn kill(&self, caller: Pid, pid: Pid, sig: Signo, info: Siginfo) -> Result<Wakeups, Errno> {
        if sig > NSIG {
            return Err(Errno::EINVAL);
        }
        let mut t = self.inner.lock();
        let me = t.live(caller)?;
        let (my_sid, my_pgid) = (me.sid, me.pgid);
        let my_creds = me.proc.state.lock().creds.clone();
        let targets: Vec<Pid> = match pid {
            p if p > 0 => t.node(p).map(|_| alloc::vec![p])?,
            0 => t.group(my_pgid),
            -1 => t.nodes.keys().copied().filter(|p| *p != INIT_PID && *p != caller).collect(),
            p => t.group(p.checked_neg().ok_or(Errno::ESRCH)?),
        };
        if targets.is_empty() {
            return Err(Errno::ESRCH);
        }
        let allowed: Vec<Pid> = targets.into_iter().filter(|p| t.may_signal(&my_creds, my_sid, *p, sig)).collect();
        if allowed.is_empty() {
            return Err(Errno::EPERM);
        }
        let mut wake = Wakeups::default();
        if sig != 0 {
            for p in allowed {
                wake.merge(t.post(p, sig, info)?);
            }
        }
        Ok(wake)
    }

    /// Posts a signal generated by the system (a fault, SIGPIPE, SIGALRM,
    /// a tty's SIGINT), bypassing permission checks.
    pub fn post_signal(&self, pid: Pid, sig: Signo, info: Siginfo) -> Result<Wakeups, Errno> {
        let mut t = self.inner.lock();
        t.node(pid)?;
        t.post(pid, sig, info)
    }

    /// Posts to every live member of a group (tty signals).
    pub fn signal_pgrp(&self, pgid: Pid, sig: Signo, info: Siginfo) -> Result<Wakeups, Errno> {
        let mut t = self.inner.lock();
        let members = t.group(pgid);
        if members.is_empty() {
            return Err(Errno::ESRCH);
        }
        let mut wake = Wakeups::default();
        for p in members {
            wake.merge(t.post(p, sig, info)?);
        }
        Ok(wake)
    }
}

fn new_proc(pid: Pid, state: ProcState, fds: FdTable) -> Arc<Proc> {
    Arc::new(Proc { pid, state: Mutex::new(state), fds: Mutex::new(fds) })
}

fn is_zombie(n: &Node) -> bool {
    matches!(n.run, RunState::Zombie(_))
}

impl Table {
    fn insert(&mut self, n: Node) {
        self.nodes.insert(n.proc.pid, n);
    }

    fn node(&self, pid: Pid) -> Result<&Node, Errno> {
        self.nodes.get(&pid).ok_or(Errno::ESRCH)
    }

    fn live(&self, pid: Pid) -> Result<&Node, Errno> {
        self.nodes.get(&pid).filter(|n| !is_zombie(n)).ok_or(Errno::ESRCH)
    }

    fn live_mut(&mut self, pid: Pid) -> Result<&mut Node, Errno> {
        self.nodes.get_mut(&pid).filter(|n| !is_zombie(n)).ok_or(Errno::ESRCH)
    }

    /// A pid not in use as a process, group or session id (POSIX forbids
    /// reusing a pid while a group or session with that id exists).
    fn alloc_pid(&mut self) -> Option<Pid> {
        for _ in 0..PID_MAX {
            self.last_pid = if self.last_pid >= PID_MAX - 1 { 2 } else { self.last_pid + 1 };
            let p = self.last_pid;
            if !self.nodes.contains_key(&p) && !self.nodes.values().any(|n| n.pgid == p || n.sid == p) {
                return Some(p);
            }
        }
        None
    }

    /// Live members of group `pgid`.
    fn group(&self, pgid: Pid) -> Vec<Pid> {
        self.nodes.iter().filter(|(_, n)| n.pgid == pgid && !is_zombie(n)).map(|(p, _)| *p).collect()
    }

    fn selects(&self, pid: Pid, sel: WaitSel) -> bool {
        match sel {
            WaitSel::Any => true,
            WaitSel::Pid(p) => pid == p,
            WaitSel::Pgid(g) => self.nodes.get(&pid).is_some_and(|n| n.pgid == g),
        }
    }

    /// The child's reportable news under `opts`, consuming it unless
    /// WNOWAIT; reaping a zombie removes it.
    fn take_news(&mut self, pid: Pid, opts: WaitOpts) -> Option<WaitInfo> {
        let n = self.nodes.get_mut(&pid)?;
        let st = match (n.run, n.report) {
            (RunState::Zombie(s), _) if opts.exited => s,
            (_, Some(Report::Stopped(sig))) if opts.stopped && !is_zombie(n) => status::stopped(sig),
            (_, Some(Report::Continued)) if opts.continued && !is_zombie(n) => status::CONTINUED,
            _ => return None,
        };
        let (code, si_status) = describe(st);
        let info = WaitInfo { pid, uid: n.uid, status: st, code, si_status, rusage: Rusage::default() };
        if !opts.nowait {
            n.report = None;
            if code != CLD_STOPPED && code != CLD_CONTINUED {
                self.reap(pid);
            }
        }
        Some(info)
    }

    /// Frees a zombie: it leaves the table and its parent's children.
    fn reap(&mut self, pid: Pid) {
        if let Some(n) = self.nodes.remove(&pid) {
            if let Some(p) = self.nodes.get_mut(&n.ppid) {
                p.children.remove(&pid);
            }
        }
    }

    /// Gives `pid`'s children to init; zombies among them are announced
    /// to init so it can reap them.
    fn reparent_children(&mut self, pid: Pid) -> Wakeups {
        let kids = self.nodes.get_mut(&pid).map(|n| core::mem::take(&mut n.children)).unwrap_or_default();
        let mut wake = Wakeups::default();
        for k in kids {
            let Some(kn) = self.nodes.get_mut(&k) else { continue };
            kn.ppid = INIT_PID;
            let zombie = match kn.run {
                RunState::Zombie(s) => Some(s),
                _ => None,
            };
            self.nodes.get_mut(&INIT_PID).map(|n| n.children.insert(k));
            if let Some(s) = zombie {
                let (code, si_status) = describe(s);
                wake.merge(self.notify_parent(k, code, si_status));
            }
        }
        wake
    }

    fn parent_reaps(&self, ppid: Pid) -> bool {
        self.nodes.get(&ppid).is_some_and(|p| p.proc.state.lock().signals.reaps_children_automatically())
    }

    /// SIGCHLD to `child`'s parent, and a wait wakeup for it.
    fn notify_parent(&mut self, child: Pid, code: i32, si_status: i32) -> Wakeups {
        let Some(c) = self.nodes.get(&child) else { return Wakeups::default() };
        let (ppid, uid) = (c.ppid, c.uid);
        let mut info = Siginfo::new(SIGCHLD as i32, code);
        info.set_pid(child);
        info.set_uid(uid);
        info.set_status(si_status);
        let mut wake = self.post(ppid, SIGCHLD, info).unwrap_or_default();
        wake.waiters.push(ppid);
        wake
    }

    /// As notify_parent, but SA_NOCLDSTOP suppresses the signal (not the
    /// wait wakeup: WUNTRACED waiters still see the change).
    fn notify_stop_change(&mut self, child: Pid, code: i32, si_status: i32) -> Wakeups {
        let ppid = self.nodes.get(&child).map(|n| n.ppid).unwrap_or(0);
        let wants = self.nodes.get(&ppid).is_some_and(|p| p.proc.state.lock().signals.wants_child_stop_notice());
        if wants {
            return self.notify_parent(child, code, si_status);
        }
        Wakeups { signalled: Vec::new(), waiters: alloc::vec![ppid] }
    }

    fn cont(&mut self, pid: Pid) -> Wakeups {
        let Some(n) = self.nodes.get_mut(&pid) else { return Wakeups::default() };
        if !matches!(n.run, RunState::Stopped(_)) {
            return Wakeups::default();
        }
        n.run = RunState::Running;
        n.report = Some(Report::Continued);
        self.notify_stop_change(pid, CLD_CONTINUED, SIGCONT as i32)
    }

    /// Posts to one process with the job-control effects: SIGCONT resumes
    /// a stopped process even if caught or blocked; SIGKILL resumes it so
    /// it can die. Zombies swallow signals.
    fn post(&mut self, pid: Pid, sig: Signo, info: Siginfo) -> Result<Wakeups, Errno> {
        let Some(n) = self.nodes.get(&pid) else { return Ok(Wakeups::default()) };
        if is_zombie(n) {
            return Ok(Wakeups::default());
        }
        let proc = n.proc.clone();
        proc.state.lock().signals.post(sig, info)?;
        let mut wake = Wakeups { signalled: alloc::vec![pid], waiters: Vec::new() };
        if sig == SIGCONT {
            wake.merge(self.cont(pid));
        } else if sig == SIGKILL {
            if let Some(n) = self.nodes.get_mut(&pid) {
                n.run = RunState::Running;
            }
        }
        Ok(wake)
    }

    fn may_signal(&self, creds: &Credentials, sid: Pid, pid: Pid, sig: Signo) -> bool {
        let Some(n) = self.nodes.get(&pid) else { return false };
        // A zombie's credentials are still in its state; same rule applies.
        let target = n.proc.state.lock().creds.clone();
        creds.may_signal(&target) || (sig == SIGCONT && n.sid == sid)
    }

    fn orphaned(&self, pgid: Pid) -> bool {
        let members = self.nodes.values().filter(|n| n.pgid == pgid && !is_zombie(n));
        !members.into_iter().any(|n| {
            self.nodes.get(&n.ppid).is_some_and(|p| !is_zombie(p) && p.pgid != pgid && p.sid == n.sid)
        })
    }

    fn has_stopped(&self, pgid: Pid) -> bool {
        self.nodes.values().any(|n| n.pgid == pgid && matches!(n.run, RunState::Stopped(_)))
    }

    /// POSIX: when an exit orphans a group that has stopped members, each
    /// member gets SIGHUP then SIGCONT. The groups concerned are the
    /// exiting process's own and its children's.
    fn orphan_check_on_exit(&mut self, pid: Pid) -> Wakeups {
        let mut groups: BTreeSet<Pid> = self.nodes.values().filter(|n| n.ppid == INIT_PID || n.proc.pid == pid).map(|n| n.pgid).collect();
        if let Some(n) = self.nodes.get(&pid) {
            groups.insert(n.pgid);
        }
        let mut wake = Wakeups::default();
        for g in groups {
            if self.has_stopped(g) && self.orphaned(g) {
                for m in self.group(g) {
                    for sig in [SIGHUP, SIGCONT] {
                        wake.merge(self.post(m, sig, Siginfo::new(sig as i32, SI_KERNEL)).unwrap_or_default());
                    }
                }
            }
        }
        wake
    }
}

#[cfg(test)]
mod tests;
