//! /proc, read-only and served by the server itself: `self`, a directory
//! per pid (`exe`, `stat`, `cmdline`, `maps`), `meminfo`, `uptime` and
//! `machobjs` (the kernel's object counts, a name of our own).
//!
//! A file's contents are made when its path is looked up, that is at
//! open: the descriptor keeps that snapshot, so read and lseek behave as
//! on a regular file and a reader never sees half of two states. The two
//! kinds of link (`self`, `<pid>/exe`) are followed by `follow`, which the
//! path lookup calls with the caller's pid; only lstat and readlink see
//! the links themselves.

use crate::vfs::Node;
use crate::{mem, Pcb, Server};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use linux_abi::consts::mode::*;
use linux_abi::structs::Stat;
use linux_abi::Errno;
use crate::mem::Region;
use mach::port::PortName;
use unix_server::exec_image::{ExecPlan, CLK_TCK};
use unix_server::fd::OpenFile;
use unix_server::namei::{namei, Namei};
use unix_server::proc::{ImageInfo, Pid, ProcInfo, RunState};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Root,
    PidDir,
    SelfLink,
    Exe,
    Stat,
    Cmdline,
    Maps,
    Meminfo,
    Uptime,
    MachObjs,
}

/// /proc's own names besides the pids, in listing order.
const ROOT_NAMES: [(&str, Kind); 4] =
    [("self", Kind::SelfLink), ("meminfo", Kind::Meminfo), ("uptime", Kind::Uptime), ("machobjs", Kind::MachObjs)];
/// A pid directory's names, in listing order.
const PID_NAMES: [(&str, Kind); 4] = [("exe", Kind::Exe), ("stat", Kind::Stat), ("cmdline", Kind::Cmdline), ("maps", Kind::Maps)];

/// A directory entry as getdents64 gives it: (ino, d_type, name).
pub type DirName = (u64, u8, String);

/// What a /proc node holds, taken when it was looked up.
pub enum Content {
    File(Vec<u8>),
    Dir(Vec<DirName>),
    /// The target (`self`'s is the reader's pid, so it is made at readlink).
    Link(String),
}

pub struct Entry {
    pub kind: Kind,
    pub pid: Pid,
    /// The process's effective uid and gid (root's for the shared files).
    pub owner: (u32, u32),
    pub content: Content,
}

impl Entry {
    pub fn is_dir(&self) -> bool {
        matches!(self.content, Content::Dir(_))
    }

    /// The snapshot's length (what SEEK_END and st_size see).
    pub fn len(&self) -> u64 {
        match &self.content {
            Content::File(d) => d.len() as u64,
            _ => 0,
        }
    }
}

/// Whether the path is /proc or below it.
pub fn owns(n: &Namei) -> bool {
    n.path == "/proc" || n.path.starts_with("/proc/")
}

/// A pid as /proc spells it: decimal, no sign, no leading zero.
fn parse_pid(name: &str) -> Option<Pid> {
    if name.is_empty() || name.starts_with('0') || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

fn ino(kind: Kind, pid: Pid) -> u64 {
    match kind {
        Kind::Root => 1,
        Kind::SelfLink | Kind::Meminfo | Kind::Uptime | Kind::MachObjs => 2 + kind as u64,
        _ => ((pid as u64 + 1) << 8) | kind as u64,
    }
}

/// A live process's executable path (None: a zombie, or nothing exec'd).
fn exe_of(s: &Server, pid: Pid) -> Option<String> {
    let p = s.table.get(pid)?;
    let exe = p.state.lock().image.exe.clone();
    Some(exe).filter(|e| !e.is_empty())
}

/// Follows /proc's links in a normalized path as a path walk does: a
/// `self` that is not last always; a last `self` or `<pid>/exe` when
/// `follow_last` or the path ends in a slash (lstat and readlink do not
/// follow the last component).
pub fn follow(s: &Server, caller: Pid, n: Namei, follow_last: bool) -> Result<Namei, Errno> {
    if !owns(&n) {
        return Ok(n);
    }
    let last_too = follow_last || n.trailing_slash;
    let mut c: Vec<String> = n.components().map(String::from).collect();
    if c.get(1).is_some_and(|x| x == "self") && (c.len() > 2 || last_too) {
        c[1] = format!("{}", caller);
    }
    if c.len() == 3 && c[2] == "exe" && last_too {
        let exe = parse_pid(&c[1]).and_then(|p| exe_of(s, p)).ok_or(Errno::ENOENT)?;
        let mut t = namei("/", exe.as_bytes())?;
        t.trailing_slash |= n.trailing_slash;
        return Ok(t);
    }
    let mut path = String::new();
    for x in &c {
        path.push('/');
        path.push_str(x);
    }
    Ok(Namei { path, trailing_slash: n.trailing_slash })
}

/// Looks a /proc path up (its links not followed: see `follow`).
pub fn lookup(s: &Server, n: &Namei) -> Result<Node, Errno> {
    let c: Vec<&str> = n.components().skip(1).collect();
    let root = (0, 0);
    let e = match c.as_slice() {
        [] => Entry { kind: Kind::Root, pid: 0, owner: root, content: Content::Dir(root_names(s)) },
        [name] => match ROOT_NAMES.iter().find(|r| r.0 == *name) {
            Some(&(_, kind)) => Entry { kind, pid: 0, owner: root, content: shared_content(kind) },
            None => pid_entry(s, parse_pid(name).ok_or(Errno::ENOENT)?, Kind::PidDir)?,
        },
        // Below a file: Linux walks into the file and fails so.
        [name, _, ..] if ROOT_NAMES.iter().any(|r| r.0 == *name && r.1 != Kind::SelfLink) => return Err(Errno::ENOTDIR),
        [pid, name] => {
            let pid = parse_pid(pid).ok_or(Errno::ENOENT)?;
            let kind = PID_NAMES.iter().find(|r| r.0 == *name).ok_or(Errno::ENOENT)?.1;
            pid_entry(s, pid, kind)?
        }
        [pid, name, ..] if parse_pid(pid).is_some() && PID_NAMES.iter().any(|r| r.0 == *name) => return Err(Errno::ENOTDIR),
        _ => return Err(Errno::ENOENT),
    };
    if n.trailing_slash && !e.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    Ok(Node::Proc(e))
}

fn shared_content(kind: Kind) -> Content {
    match kind {
        Kind::Meminfo => Content::File(meminfo().into_bytes()),
        Kind::Uptime => Content::File(uptime().into_bytes()),
        Kind::MachObjs => Content::File(machobjs().into_bytes()),
        _ => Content::Link(String::new()),
    }
}

/// A pid directory or one of its files; ENOENT if there is no such pid.
fn pid_entry(s: &Server, pid: Pid, kind: Kind) -> Result<Entry, Errno> {
    let info = s.table.info(pid).ok_or(Errno::ENOENT)?;
    let (image, owner) = {
        let st = info.proc.state.lock();
        (st.image.clone(), (st.creds.euid, st.creds.egid))
    };
    let zombie = matches!(info.run, RunState::Zombie(_));
    let content = match kind {
        Kind::PidDir => Content::Dir(PID_NAMES.iter().map(|&(name, k)| (ino(k, pid), dtype(k), String::from(name))).collect()),
        Kind::Exe => Content::Link(if zombie { String::new() } else { image.exe.clone() }),
        Kind::Cmdline => Content::File(if zombie { Vec::new() } else { image.cmdline.clone() }),
        Kind::Stat => Content::File(stat_line(s, &info, &image).into_bytes()),
        Kind::Maps => Content::File(maps(s, pid, &image).into_bytes()),
        _ => return Err(Errno::ENOENT),
    };
    Ok(Entry { kind, pid, owner, content })
}

fn dtype(kind: Kind) -> u8 {
    match kind {
        Kind::Root | Kind::PidDir => DT_DIR,
        Kind::SelfLink | Kind::Exe => DT_LNK,
        _ => DT_REG,
    }
}

/// /proc's listing: its own names, then every pid (zombies too).
fn root_names(s: &Server) -> Vec<DirName> {
    let own = ROOT_NAMES.iter().map(|&(name, k)| (ino(k, 0), dtype(k), String::from(name)));
    let pids = s.table.pids().into_iter().map(|p| (ino(Kind::PidDir, p), DT_DIR, format!("{}", p)));
    own.chain(pids).collect()
}

/// The directory entry at getdents position `pos` (0 and 1 are the
/// caller's "." and ".."): (ino, d_type, name, next position).
pub fn dir_entry(e: &Entry, pos: u64) -> Option<(u64, u8, String, u64)> {
    let Content::Dir(names) = &e.content else { return None };
    let (ino, t, name) = names.get(usize::try_from(pos.checked_sub(2)?).ok()?)?;
    Some((*ino, *t, name.clone(), pos + 1))
}

/// stat of a /proc node: directories r-x, files r--, links rwx, as Linux.
pub fn fill_stat(e: &Entry, st: &mut Stat) {
    st.st_dev = 0x16;
    st.st_ino = ino(e.kind, e.pid);
    (st.st_uid, st.st_gid) = e.owner;
    let (mode, nlink) = match e.content {
        Content::Dir(_) => (S_IFDIR | 0o555, 2),
        Content::File(_) => (S_IFREG | 0o444, 1),
        Content::Link(_) => (S_IFLNK | 0o777, 1),
    };
    (st.st_mode, st.st_nlink) = (mode, nlink);
    st.st_size = e.len() as i64;
    st.st_blocks = 0;
    st.st_blksize = 1024;
    let boot = crate::calls::fine_clock().2 as i64;
    st.st_mtime = boot + (crate::calls::now_ns() / 1_000_000_000) as i64;
    (st.st_atime, st.st_ctime) = (st.st_mtime, st.st_mtime);
}

/// A link's target for readlink: None if the node is no link; `self`'s
/// is the reader's own pid; ENOENT for the exe of a zombie.
pub fn link_target(node: &Node, reader: Pid) -> Option<Result<String, Errno>> {
    let Node::Proc(Entry { kind, content: Content::Link(t), .. }) = node else { return None };
    Some(match kind {
        Kind::SelfLink => Ok(format!("{}", reader)),
        _ if t.is_empty() => Err(Errno::ENOENT),
        _ => Ok(t.clone()),
    })
}

/// read(2) and pread64 of a /proc node: bytes of the snapshot.
pub fn read(p: &Pcb, f: &OpenFile, e: &Entry, buf: u64, len: u64, at: Option<u64>) -> Result<i64, Errno> {
    let Content::File(data) = &e.content else { return Err(if e.is_dir() { Errno::EISDIR } else { Errno::EINVAL }) };
    let off = at.unwrap_or_else(|| f.offset());
    let from = off.min(data.len() as u64) as usize;
    let n = (data.len() - from).min(len as usize);
    mem::write(p.task, buf, &data[from..from + n])?;
    if at.is_none() {
        f.set_offset(off + n as u64);
    }
    Ok(n as i64)
}

/// Records what an exec (or init's start) loaded: exe, cmdline, and the
/// image's range for stat and maps.
pub fn exec_done(s: &Server, pid: Pid, exe: &str, argv: &[&[u8]], plan: &ExecPlan) {
    let start = plan.segments.first().map_or(0, |g| g.map_start());
    if let Some(p) = s.table.get(pid) {
        p.state.lock().image = ImageInfo::new(exe, argv, start, plan.brk);
    }
}

/// A new process: its start time (stat's starttime) is now.
pub fn started(s: &Server, pid: Pid) {
    if let Some(p) = s.table.get(pid) {
        p.state.lock().started_ns = crate::calls::now_ns();
    }
}

/// The process's Pcb (None once it has ended).
fn pcb_of(s: &Server, pid: Pid) -> Option<Pcb> {
    s.procs.lock().values().copied().find(|c| c.pid == pid)
}

/// Bounds the walk: a task with more regions shows its first ones.
const MAX_REGIONS: usize = 4096;

fn regions(task: PortName) -> Vec<Region> {
    crate::mem::regions(task, 0, u64::MAX, MAX_REGIONS)
}

/// What a region is, as Linux names it in maps.
fn label(r: &Region, image: &ImageInfo, heap: (u64, u64)) -> String {
    use linux_abi::layout::{EMULIB_BASE, EMULIB_END, STACK_TOP};
    if r.start >= image.start && r.end <= image.end && !image.exe.is_empty() {
        image.exe.clone()
    } else if r.start >= heap.0 && r.end <= heap.1 {
        String::from("[heap]")
    } else if r.start < STACK_TOP && r.end > STACK_TOP - crate::STACK_SIZE {
        String::from("[stack]")
    } else if r.start >= EMULIB_BASE && r.end <= EMULIB_END {
        String::from("[emulib]")
    } else {
        String::new()
    }
}

/// /proc/<pid>/maps: a line per region, adjacent ones with the same
/// protection, sharing and name merged (the kernel splits entries where
/// protections once differed page by page).
fn maps(s: &Server, pid: Pid, image: &ImageInfo) -> String {
    let Some(pcb) = pcb_of(s, pid) else { return String::new() };
    let heap = (pcb.brk_base, linux_abi::layout::page_up(pcb.brk).unwrap_or(pcb.brk));
    let mut lines: Vec<(Region, String)> = Vec::new();
    for r in regions(pcb.task) {
        let name = label(&r, image, heap);
        match lines.last_mut() {
            Some((l, n)) if l.end == r.start && l.prot == r.prot && l.shared == r.shared && *n == name => l.end = r.end,
            _ => lines.push((r, name)),
        }
    }
    let mut out = String::new();
    for (r, name) in &lines {
        map_line(&mut out, r, name);
    }
    out
}

/// One maps line in Linux's layout: the name, if any, from column 73.
fn map_line(out: &mut String, r: &Region, name: &str) {
    let start = out.len();
    let flag = |bit: u32, c: char| if r.prot & bit != 0 { c } else { '-' };
    let _ = write!(out, "{:08x}-{:08x} {}{}{}{} {:08x} 00:00 0 ", r.start, r.end, flag(1, 'r'), flag(2, 'w'),
                   flag(4, 'x'), if r.shared { 's' } else { 'p' }, r.offset);
    if !name.is_empty() {
        while out.len() - start < 73 {
            out.push(' ');
        }
        out.push_str(name);
    }
    out.push('\n');
}

/// The terminal fields of stat: (tty_nr, tpgid) for a process of the
/// console's session, else (0, -1).
fn tty_fields(sid: Pid) -> (u64, i32) {
    let (session, fg) = crate::tty::owner();
    if sid == session { (crate::devfs::Dev::Tty.rdev(), fg) } else { (0, -1) }
}

fn state_char(s: &Server, info: &ProcInfo) -> char {
    match info.run {
        RunState::Zombie(_) => 'Z',
        RunState::Stopped(_) => 'T',
        RunState::Running if s.parked.lock().iter().any(|w| w.pid == info.proc.pid) => 'S',
        RunState::Running => 'R',
    }
}

/// /proc/<pid>/stat: Linux's 52 fields. No CPU times or fault counts are
/// kept (zeros); sizes come from the task's regions.
fn stat_line(s: &Server, info: &ProcInfo, image: &ImageInfo) -> String {
    let pid = info.proc.pid;
    let (tty, tpgid) = tty_fields(info.sid);
    let (started, pending, blocked, ignored, caught) = {
        let st = info.proc.state.lock();
        let (mut ign, mut catch) = (0u64, 0u64);
        for sig in 1..=64u32 {
            match st.signals.action(sig).map(|a| a.handler) {
                Ok(0) | Err(_) => {}
                Ok(1) => ign |= 1 << (sig - 1),
                Ok(_) => catch |= 1 << (sig - 1),
            }
        }
        (st.started_ns, st.signals.pending().0, st.signals.blocked().0, ign, catch)
    };
    let pcb = pcb_of(s, pid);
    let vsize: u64 = pcb.map_or(0, |p| regions(p.task).iter().map(|r| r.end - r.start).sum());
    let (start_brk, exit_code) = (pcb.map_or(0, |p| p.brk_base), match info.run {
        RunState::Zombie(w) => w,
        _ => 0,
    });
    let comm = image.comm();
    let mut o = format!("{} ({}) {} {} {} {} {} {} 0 0 0 0 0 0 0 0 0 20 0 1 0 {} {} 0 {}",
                        pid, if comm.is_empty() { "?" } else { comm }, state_char(s, info), info.ppid, info.pgid,
                        info.sid, tty, tpgid, started / (1_000_000_000 / CLK_TCK), vsize, u64::MAX);
    let _ = write!(o, " {} {} {} 0 0 {} {} {} {} 0 0 0 17 0 0 0 0 0 0", image.start, image.end,
                   linux_abi::layout::STACK_TOP, pending, blocked, ignored, caught);
    let _ = writeln!(o, " 0 0 {} 0 0 0 0 {}", start_brk, exit_code);
    o
}

/// /proc/meminfo from the kernel's host_info, in Linux's layout.
fn meminfo() -> String {
    let (total, free) = crate::mem::host_memory();
    let (total, free) = (total / 1024, free / 1024);
    let mut o = String::new();
    for (name, kb) in [("MemTotal:", total), ("MemFree:", free), ("MemAvailable:", free), ("Buffers:", 0),
                       ("Cached:", 0), ("SwapCached:", 0), ("SwapTotal:", 0), ("SwapFree:", 0)] {
        let _ = writeln!(o, "{:<16}{:>8} kB", name, kb);
    }
    o
}

/// /proc/machobjs: the kernel's object counts (host_kernel_counts), one
/// "name value" line each, so a test can see what outlives a process.
/// Empty when the kernel does not answer.
fn machobjs() -> String {
    use mach::defs::host::{host_kernel_counts, KERNEL_COUNT_NAMES};
    let mut o = String::new();
    if let Ok(r) = host_kernel_counts::call(&machrt::rpc::Kernel, machrt::trap::host_self()) {
        let counts = r.counts;
        for (name, v) in KERNEL_COUNT_NAMES.iter().zip(counts.iter()).take(r.count as usize) {
            let _ = writeln!(o, "{} {}", name, *v as i64);
        }
    }
    o
}

/// /proc/uptime: seconds since boot on the fine clock; no idle time is
/// measured, so the second figure is 0.
fn uptime() -> String {
    let cs = crate::calls::now_ns() / 10_000_000;
    format!("{}.{:02} 0.00\n", cs / 100, cs % 100)
}
