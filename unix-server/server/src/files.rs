//! The descriptor system calls: open and the *at family, read and write
//! (dispatched on the vnode), seeking, dup and fcntl, directories,
//! stat, and the name-space changes (mkdir, unlink, rename...).

use crate::devfs::Dev;
use crate::vfs::{self, fe, vnode, with_fs, Node, Vnode};
use crate::{mem, Answer, Pcb, Server};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use linux_abi::consts::at::*;
use linux_abi::consts::open::*;
use linux_abi::structs::{LinuxDirent64, Stat, Statx, StatxTimestamp};
use linux_abi::Errno;
use mach::message::MsgHeader;
use unix_server::fd::OpenFile;
use unix_server::namei::{namei, Namei};

type R = Result<i64, Errno>;

/// Largest transfer one call moves (shorter reads and writes are allowed).
const IO_MAX: u64 = 1 << 20;

/// Linux's MAX_RW_COUNT (INT_MAX rounded down to a page): no read or
/// write moves more, even one that copies nothing (/dev/null).
const MAX_RW_COUNT: u64 = 0x7fff_f000;

/// Linux's access_ok before any read or write: a range past the user
/// half is EFAULT whatever the file; then the count is capped.
fn rw_count(buf: u64, len: u64) -> Result<u64, Errno> {
    match buf.checked_add(len) {
        Some(end) if end <= linux_abi::layout::USER_END => Ok(len.min(MAX_RW_COUNT)),
        _ => Err(Errno::EFAULT),
    }
}

pub fn fd_get(s: &Server, p: &Pcb, fd: u64) -> Result<Arc<OpenFile>, Errno> {
    let proc = s.table.get(p.pid).ok_or(Errno::ESRCH)?;
    let f = proc.fds.lock().get(fd as i32);
    f
}

fn nofile(s: &Server, p: &Pcb) -> u64 {
    s.table.get(p.pid).map_or(1024, |pr| pr.state.lock().nofile())
}

/// Installs a description at the lowest free descriptor.
pub fn install(s: &Server, p: &Pcb, f: Arc<OpenFile>, cloexec: bool) -> R {
    let lim = nofile(s, p);
    let proc = s.table.get(p.pid).ok_or(Errno::ESRCH)?;
    let r = proc.fds.lock().install(f, cloexec, lim);
    r.map(|fd| fd as i64)
}

/// The directory a relative path in a *at call starts from.
fn base_dir(s: &Server, p: &Pcb, dirfd: i64, path: &[u8]) -> Result<String, Errno> {
    if path.first() == Some(&b'/') || dirfd as i32 == AT_FDCWD {
        let proc = s.table.get(p.pid).ok_or(Errno::ESRCH)?;
        let cwd = proc.state.lock().cwd.clone();
        return Ok(cwd);
    }
    let f = fd_get(s, p, dirfd as u64)?;
    let v = vnode(&f).ok_or(Errno::ENOTDIR)?;
    if !v.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    Ok(v.path.clone())
}

/// A user path (at `addr`) relative to `dirfd`, normalized, with /proc's
/// links followed.
pub fn user_path(s: &Server, p: &Pcb, dirfd: i64, addr: u64) -> Result<Namei, Errno> {
    user_path_follow(s, p, dirfd, addr, true)
}

/// As user_path, the last component followed only if `follow_last`
/// (lstat, readlink).
fn user_path_follow(s: &Server, p: &Pcb, dirfd: i64, addr: u64, follow_last: bool) -> Result<Namei, Errno> {
    if addr == 0 {
        return Err(Errno::EFAULT);
    }
    let raw = mem::read_cstr(p.task, addr, unix_server::namei::PATH_MAX)?;
    let base = base_dir(s, p, dirfd, &raw)?;
    crate::procfs::follow(s, p.pid, namei(&base, &raw)?, follow_last)
}

pub fn open(s: &Server, p: &Pcb, dirfd: i64, path: u64, flags: u32, mode: u32) -> R {
    let n = user_path(s, p, dirfd, path)?;
    let node = match vfs::lookup(s, &n) {
        Ok(node) if flags & O_CREAT != 0 && flags & O_EXCL != 0 => {
            drop(node);
            return Err(Errno::EEXIST);
        }
        Ok(node) => node,
        Err(Errno::ENOENT) if flags & O_CREAT != 0 && !vfs::in_dev(&n) => create(s, p, &n, mode)?,
        Err(e) => return Err(e),
    };
    let v = Vnode::new(node, n.path.clone());
    check_open(&v, flags)?;
    if let Node::Fat { ino, dir: false } = v.node {
        if flags & O_TRUNC != 0 && flags & O_ACCMODE != O_RDONLY {
            truncated(ino, 0)?;
        }
    }
    let regular = matches!(v.node, Node::Fat { dir: false, .. });
    // A regular file's offset lives in a page emulib shares (local read
    // and lseek); anything else keeps it here.
    let f = match crate::offset_pager::alloc().filter(|_| regular) {
        Some(home) => OpenFile::with_offset_home(v, flags, home),
        None => OpenFile::new(v, flags),
    };
    install(s, p, f, flags & O_CLOEXEC != 0)
}

fn check_open(v: &Vnode, flags: u32) -> Result<(), Errno> {
    let writes = flags & O_ACCMODE != O_RDONLY;
    if flags & O_DIRECTORY != 0 && !v.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if v.is_dir() && (writes || flags & O_CREAT != 0 && flags & O_DIRECTORY == 0) {
        return Err(Errno::EISDIR);
    }
    if writes && matches!(v.node, Node::Boot(_)) {
        return Err(Errno::EROFS);
    }
    // /proc's files are r--r--r-- and have no writer.
    if writes && matches!(v.node, Node::Proc(_)) {
        return Err(Errno::EACCES);
    }
    if writes {
        if let Node::Fat { ino, .. } = v.node {
            let m = with_fs(|fs| fs.stat(ino).map_err(fe))?;
            if m.mode & 0o200 == 0 {
                return Err(Errno::EACCES);
            }
        }
    }
    Ok(())
}

fn umask(s: &Server, p: &Pcb) -> u32 {
    s.table.get(p.pid).map_or(0o022, |pr| pr.state.lock().umask)
}

fn create(s: &Server, p: &Pcb, n: &Namei, mode: u32) -> Result<Node, Errno> {
    // Linux: a directory without a create operation is EACCES.
    if crate::procfs::owns(n) {
        return Err(Errno::EACCES);
    }
    if n.trailing_slash {
        return Err(Errno::EISDIR);
    }
    let (parent, name) = n.split().ok_or(Errno::EISDIR)?;
    let mode = mode & !umask(s, p);
    with_fs(|fs| {
        let dir = fs.resolve(parent).map_err(fe)?;
        let ino = fs.create(dir, name, mode).map_err(fe)?;
        Ok(Node::Fat { ino, dir: false })
    })
}

pub fn close(s: &Server, p: &Pcb, fd: u64) -> R {
    let proc = s.table.get(p.pid).ok_or(Errno::ESRCH)?;
    let old = proc.fds.lock().close(fd as i32);
    drop(old?);
    crate::inode_pager::closed(p.pid, p.task, fd as i32); // the last reference may close a pipe end: no lock held
    Ok(0)
}

/// read(2) and pread64 (`at`: Some offset, the description's stays).
pub fn read(s: &'static Server, p: &Pcb, h: &MsgHeader, fd: u64, buf: u64, len: u64, at: Option<u64>) -> Answer {
    let f = match fd_get(s, p, fd) {
        Ok(f) => f,
        Err(e) => return Answer::Rval(e.to_ret()),
    };
    if !f.readable() {
        return Answer::Rval(Errno::EBADF.to_ret());
    }
    let len = match rw_count(buf, len) {
        Ok(n) => n,
        Err(e) => return Answer::Rval(e.to_ret()),
    };
    let nonblock = f.status_flags() & O_NONBLOCK != 0;
    let Some(v) = vnode(&f) else { return Answer::Rval(Errno::EBADF.to_ret()) };
    match &v.node {
        Node::PipeRead(pipe) if at.is_none() => return crate::pipe::read(s, p, h, pipe, buf, len, nonblock),
        Node::Dev(Dev::Tty) if at.is_none() => return crate::tty::read(s, p, h, buf, len, nonblock),
        Node::PipeRead(_) | Node::Dev(Dev::Tty) => return Answer::Rval(Errno::ESPIPE.to_ret()),
        Node::Proc(e) => return Answer::Rval(crate::procfs::read(p, &f, e, buf, len.min(IO_MAX), at).unwrap_or_else(|e| e.to_ret())),
        _ => {}
    }
    let r = read_seekable(p, &f, v, buf, len.min(IO_MAX), at);
    if r.is_ok() {
        crate::inode_pager::map_fd(p.pid, p.task, fd as i32, &f);
    }
    Answer::Rval(r.unwrap_or_else(|e| e.to_ret()))
}

/// A read at the description's offset moves it only if no one else did
/// meanwhile (emulib reads through the same shared offset); else again.
fn read_seekable(p: &Pcb, f: &OpenFile, v: &Vnode, buf: u64, len: u64, at: Option<u64>) -> R {
    for _ in 0..8 {
        let off = at.unwrap_or_else(|| f.offset());
        let n = read_at(p, v, buf, len, off)?;
        if at.is_some() || matches!(v.node, Node::Dev(_)) || f.advance(off, n) {
            return Ok(n as i64);
        }
    }
    Err(Errno::EAGAIN)
}

/// `len` bytes at `off` of a seekable node into the user's `buf`.
fn read_at(p: &Pcb, v: &Vnode, buf: u64, len: u64, off: u64) -> Result<u64, Errno> {
    let data = match &v.node {
        Node::Fat { dir: true, .. } | Node::DevDir => return Err(Errno::EISDIR),
        Node::Fat { ino, .. } => {
            crate::inode_pager::clean(*ino);
            vfs::fat_read(*ino, off, len as usize)?
        }
        Node::Boot(b) => b.get(off.min(b.len() as u64) as usize..).unwrap_or(&[])[..].iter().take(len as usize).copied().collect(),
        Node::Dev(d) => d.read(len as usize),
        _ => return Err(Errno::EBADF),
    };
    mem::write(p.task, buf, &data)?;
    Ok(data.len() as u64)
}

pub fn write(s: &'static Server, p: &Pcb, h: &MsgHeader, fd: u64, buf: u64, len: u64, at: Option<u64>) -> Answer {
    let f = match fd_get(s, p, fd) {
        Ok(f) => f,
        Err(e) => return Answer::Rval(e.to_ret()),
    };
    if !f.writable() {
        return Answer::Rval(Errno::EBADF.to_ret());
    }
    let len = match rw_count(buf, len) {
        Ok(n) => n,
        Err(e) => return Answer::Rval(e.to_ret()),
    };
    let nonblock = f.status_flags() & O_NONBLOCK != 0;
    let Some(v) = vnode(&f) else { return Answer::Rval(Errno::EBADF.to_ret()) };
    if let Node::PipeWrite(pipe) = &v.node {
        if at.is_some() {
            return Answer::Rval(Errno::ESPIPE.to_ret());
        }
        return crate::pipe::write(s, p, h, pipe, buf, len, nonblock);
    }
    // /dev/null and /dev/zero take every byte without looking at one.
    let len = if matches!(v.node, Node::Dev(Dev::Null | Dev::Zero)) { len } else { len.min(IO_MAX) };
    let r = write_other(p, &f, v, buf, len, at);
    if r.is_ok() {
        crate::inode_pager::map_fd(p.pid, p.task, fd as i32, &f);
    }
    Answer::Rval(r.unwrap_or_else(|e| e.to_ret()))
}

fn write_other(p: &Pcb, f: &OpenFile, v: &Vnode, buf: u64, len: u64, at: Option<u64>) -> R {
    match &v.node {
        Node::Dev(Dev::Tty) => {
            let data = mem::read(p.task, buf, len as usize)?;
            crate::tty::output(&data);
            Ok(data.len() as i64)
        }
        Node::Dev(d) => d.write(len as usize).map(|n| n as i64),
        Node::Fat { ino, dir: false } => {
            let data = mem::read(p.task, buf, len as usize)?;
            let append = at.is_none() && f.status_flags() & O_APPEND != 0;
            let off = if append { None } else { Some(at.unwrap_or_else(|| f.offset())) };
            let from = match off {
                Some(o) => o,
                None => with_fs(|fs| fs.stat(*ino).map_err(fe))?.size,
            };
            let to = if append { u64::MAX } else { from.saturating_add(data.len() as u64) };
            // Every mapping sees the new bytes and length when this goes.
            let change = crate::inode_pager::change(*ino, from, to);
            let w = vfs::fat_write(*ino, off, &data);
            drop(change);
            let (start, n) = w?;
            if at.is_none() {
                f.set_offset(start + n as u64);
            }
            Ok(n as i64)
        }
        _ => Err(Errno::EBADF),
    }
}

/// readv/writev: one transfer per element, stopping at a short one.
pub fn vector(s: &'static Server, p: &Pcb, h: &MsgHeader, fd: u64, iov: u64, cnt: u64, write: bool) -> Answer {
    // The descriptor first, then the array, as Linux (readv(99, bad, 1)
    // is EBADF).
    let f = match fd_get(s, p, fd) {
        Ok(f) => f,
        Err(e) => return Answer::Rval(e.to_ret()),
    };
    if cnt > 1024 {
        return Answer::Rval(Errno::EINVAL.to_ret());
    }
    let v = match mem::read(p.task, iov, 16 * cnt as usize) {
        Ok(v) => v,
        Err(e) => return Answer::Rval(e.to_ret()),
    };
    let elems: Vec<(u64, u64)> = v.chunks(16).map(|e| {
        (u64::from_le_bytes(e[..8].try_into().unwrap_or_default()), u64::from_le_bytes(e[8..].try_into().unwrap_or_default()))
    }).filter(|e| e.1 > 0).collect();
    if elems.iter().any(|e| (e.1 as i64) < 0) {
        return Answer::Rval(Errno::EINVAL.to_ret()); // a negative ssize_t length
    }
    // Blocking objects (pipes, the tty) take the first element alone,
    // parked if need be; that is a legal short transfer.
    let blocking = vnode(&f).is_some_and(|v| matches!(v.node, Node::PipeRead(_) | Node::PipeWrite(_)) || (!write && matches!(v.node, Node::Dev(Dev::Tty))));
    if elems.is_empty() {
        return Answer::Rval(0);
    }
    if blocking {
        let (b, l) = elems[0];
        return if write { self::write(s, p, h, fd, b, l, None) } else { read(s, p, h, fd, b, l, None) };
    }
    let mut total = 0i64;
    for (b, l) in elems {
        let r = if write { self::write(s, p, h, fd, b, l, None) } else { read(s, p, h, fd, b, l, None) };
        let Answer::Rval(n) = r else { return r };
        if n < 0 {
            return Answer::Rval(if total > 0 { total } else { n });
        }
        total += n;
        if (n as u64) < l {
            break;
        }
    }
    Answer::Rval(total)
}

pub fn lseek(s: &Server, p: &Pcb, fd: u64, off: i64, whence: u32) -> R {
    let f = fd_get(s, p, fd)?;
    let r = f.lseek(off, whence).map(|o| o as i64);
    crate::inode_pager::map_fd(p.pid, p.task, fd as i32, &f);
    r
}

pub fn dup(s: &Server, p: &Pcb, nr: usize, a: [u64; 6]) -> R {
    use linux_abi::sysno::*;
    let lim = nofile(s, p);
    let proc = s.table.get(p.pid).ok_or(Errno::ESRCH)?;
    let r = {
        let mut t = proc.fds.lock();
        match nr {
            DUP => t.dup(a[0] as i32, lim).map(|fd| (fd, None)),
            DUP2 => t.dup2(a[0] as i32, a[1] as i32, lim),
            _ => t.dup3(a[0] as i32, a[1] as i32, a[2] as u32, lim),
        }
    };
    let (fd, old) = r?;
    if old.is_some() {
        crate::inode_pager::closed(p.pid, p.task, fd);
    }
    Ok(fd as i64)
}

pub fn fcntl(s: &Server, p: &Pcb, fd: u64, cmd: u32, arg: u64) -> R {
    use linux_abi::consts::fcntl::*;
    let lim = nofile(s, p);
    let proc = s.table.get(p.pid).ok_or(Errno::ESRCH)?;
    match cmd {
        F_GETLK | F_SETLK | F_SETLKW | F_SETOWN | F_GETOWN => {
            proc.fds.lock().get(fd as i32)?;
            Ok(0)
        }
        F_GETPIPE_SZ => Ok(unix_server::pipe::CAPACITY as i64),
        _ => {
            let r = proc.fds.lock().fcntl(fd as i32, cmd, arg, lim);
            r
        }
    }
}

pub fn pipe(s: &Server, p: &Pcb, fds: u64, flags: u32) -> R {
    if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
        return Err(Errno::EINVAL);
    }
    let pipe = crate::pipe::new();
    let r = OpenFile::new(Vnode::new(Node::PipeRead(pipe.clone()), String::new()), O_RDONLY | (flags & O_NONBLOCK));
    let w = OpenFile::new(Vnode::new(Node::PipeWrite(pipe), String::new()), O_WRONLY | (flags & O_NONBLOCK));
    let cloexec = flags & O_CLOEXEC != 0;
    let rfd = install(s, p, r, cloexec)?;
    let wfd = match install(s, p, w, cloexec) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = close(s, p, rfd as u64);
            return Err(e);
        }
    };
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&(rfd as i32).to_le_bytes());
    b[4..].copy_from_slice(&(wfd as i32).to_le_bytes());
    if let Err(e) = mem::write(p.task, fds, &b) {
        let _ = close(s, p, rfd as u64);
        let _ = close(s, p, wfd as u64);
        return Err(e);
    }
    Ok(0)
}

pub fn getdents64(s: &Server, p: &Pcb, fd: u64, buf: u64, len: u64) -> R {
    let f = fd_get(s, p, fd)?;
    let v = vnode(&f).ok_or(Errno::ENOTDIR)?;
    if !v.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let mut out = alloc::vec![0u8; len.min(65536) as usize];
    let mut used = 0;
    let mut pos = f.offset();
    while let Some((ino, dtype, name, next)) = dir_entry(v, pos)? {
        match LinuxDirent64::encode(&mut out[used..], ino, next as i64, dtype, name.as_bytes()) {
            Some(n) => used += n,
            None if used == 0 => return Err(Errno::EINVAL),
            None => break,
        }
        pos = next;
    }
    f.set_offset(pos);
    mem::write(p.task, buf, &out[..used])?;
    Ok(used as i64)
}

/// The directory entry at position `pos` (0 ".", 1 "..", then the
/// directory's own, by FAT cookie + 2): (ino, d_type, name, next pos).
fn dir_entry(v: &Vnode, pos: u64) -> Result<Option<(u64, u8, String, u64)>, Errno> {
    const DT_CHR: u8 = 2;
    const DT_DIR: u8 = 4;
    const DT_REG: u8 = 8;
    if pos < 2 {
        return Ok(Some((1 + pos, DT_DIR, String::from(if pos == 0 { "." } else { ".." }), pos + 1)));
    }
    match &v.node {
        Node::DevDir => Ok(crate::devfs::ENTRIES.get(pos as usize - 2).map(|(n, d)| (d.ino(), DT_CHR, String::from(*n), pos + 1))),
        Node::Proc(e) => Ok(crate::procfs::dir_entry(e, pos)),
        Node::Fat { ino, .. } => with_fs(|fs| {
            let e = fs.read_dir_at(*ino, (pos - 2) as u32).map_err(fe)?;
            Ok(e.map(|(e, next)| (e.ino, if e.is_dir() { DT_DIR } else { DT_REG }, e.name, next as u64 + 2)))
        }),
        _ => Ok(None),
    }
}

/// stat, lstat, newfstatat, fstat: the node of a path or descriptor.
fn stat_target(s: &Server, p: &Pcb, dirfd: i64, path: u64, flags: u32) -> Result<Stat, Errno> {
    if path != 0 && flags & AT_EMPTY_PATH != 0 {
        let raw = mem::read_cstr(p.task, path, 4096)?;
        if raw.is_empty() {
            return fstat_of(s, p, dirfd as u64);
        }
    }
    let n = user_path_follow(s, p, dirfd, path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
    vfs::stat(&vfs::lookup(s, &n)?)
}

fn fstat_of(s: &Server, p: &Pcb, fd: u64) -> Result<Stat, Errno> {
    let f = fd_get(s, p, fd)?;
    vfs::stat(&vnode(&f).ok_or(Errno::EBADF)?.node)
}

pub fn stat(s: &Server, p: &Pcb, dirfd: i64, path: u64, out: u64, flags: u32) -> R {
    let st = stat_target(s, p, dirfd, path, flags)?;
    mem::write_struct(p.task, out, &st).map(|_| 0)
}

pub fn fstat(s: &Server, p: &Pcb, fd: u64, out: u64) -> R {
    let st = fstat_of(s, p, fd)?;
    mem::write_struct(p.task, out, &st).map(|_| 0)
}

pub fn statx(s: &Server, p: &Pcb, dirfd: i64, path: u64, flags: u32, out: u64) -> R {
    let st = stat_target(s, p, dirfd, path, flags)?;
    let ts = |sec: i64| StatxTimestamp { tv_sec: sec, ..Default::default() };
    let x = Statx {
        stx_mask: 0x7ff, stx_blksize: st.st_blksize as u32, stx_nlink: st.st_nlink as u32, stx_uid: st.st_uid,
        stx_gid: st.st_gid, stx_mode: st.st_mode as u16, stx_ino: st.st_ino, stx_size: st.st_size as u64,
        stx_blocks: st.st_blocks as u64, stx_atime: ts(st.st_atime), stx_btime: ts(st.st_mtime),
        stx_ctime: ts(st.st_ctime), stx_mtime: ts(st.st_mtime), stx_rdev_major: (st.st_rdev >> 8) as u32,
        stx_rdev_minor: (st.st_rdev & 0xff) as u32, stx_dev_major: (st.st_dev >> 8) as u32,
        stx_dev_minor: (st.st_dev & 0xff) as u32, ..Default::default()
    };
    mem::write_struct(p.task, out, &x).map(|_| 0)
}

/// What chmod, chown and utimensat change.
pub enum Attr {
    /// chmod: the permission bits.
    Mode(u32),
    /// chown: the owner and group (u32::MAX: unchanged).
    Owner(u32, u32),
    /// utimensat: the address of two timespecs (atime, mtime), 0 for now.
    Times(u64),
}

/// chmod, chown, utimensat and their kin. The file must be named
/// properly and exist (EFAULT, ENOENT, EBADF as Linux says); then the
/// change is made, or refused with EPERM where the file system cannot
/// hold it (FAT keeps no owners and only the modes `vfs::set_mode`
/// says), as Linux's vfat does: never a success that changed nothing.
/// `path` None names the descriptor `dirfd` itself (fchmod, futimens),
/// as does an empty path with AT_EMPTY_PATH.
pub fn attrs(s: &Server, p: &Pcb, dirfd: i64, path: Option<u64>, flags: u32, attr: Attr) -> R {
    const AT_EMPTY_PATH: u32 = 0x1000;
    const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
    if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let times = match attr {
        Attr::Times(t) => Some(utimes(p, t)?),
        _ => None,
    };
    let on_fd = match path {
        None => true,
        Some(a) => a != 0 && flags & AT_EMPTY_PATH != 0 && mem::read_cstr(p.task, a, 1)?.is_empty(),
    };
    let apply = |node: &Node| match (&attr, times) {
        (Attr::Mode(m), _) => vfs::set_mode(node, *m),
        (Attr::Owner(u, g), _) => vfs::set_owner(node, *u, *g),
        (Attr::Times(_), Some((at, mt))) => vfs::set_times(node, at, mt),
        (Attr::Times(_), None) => Err(Errno::EINVAL),
    };
    if on_fd {
        let f = fd_get(s, p, dirfd as u64)?;
        return match vnode(&f) {
            Some(v) => apply(&v.node).map(|_| 0),
            // A pipe or a socket: Linux changes the inode of its pseudo
            // file system; here nothing can hold it.
            None => Err(Errno::EPERM),
        };
    }
    let n = user_path(s, p, dirfd, path.unwrap_or(0))?;
    apply(&vfs::lookup(s, &n)?).map(|_| 0)
}

/// utimensat's two timespecs as seconds to set (None: UTIME_OMIT);
/// `addr` 0 means both now.
fn utimes(p: &Pcb, addr: u64) -> Result<(Option<i64>, Option<i64>), Errno> {
    const UTIME_NOW: i64 = (1 << 30) - 1;
    const UTIME_OMIT: i64 = (1 << 30) - 2;
    let now = vfs::unix_now();
    if addr == 0 {
        return Ok((Some(now), Some(now)));
    }
    let b = mem::read(p.task, addr, 32)?;
    let word = |i: usize| i64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
    let one = |sec: i64, nsec: i64| match nsec {
        UTIME_NOW => Ok(Some(now)),
        UTIME_OMIT => Ok(None),
        0..=999_999_999 => Ok(Some(sec)),
        _ => Err(Errno::EINVAL),
    };
    Ok((one(word(0), word(1))?, one(word(2), word(3))?))
}

pub fn access(s: &Server, p: &Pcb, dirfd: i64, path: u64, mode: u32) -> R {
    if mode & !7 != 0 {
        return Err(Errno::EINVAL);
    }
    let n = user_path(s, p, dirfd, path)?;
    let st = vfs::stat(&vfs::lookup(s, &n)?)?;
    let (w, x) = (mode & 2 != 0, mode & 1 != 0);
    if w && st.st_mode & 0o222 == 0 || x && st.st_mode & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    Ok(0)
}

pub fn getcwd(s: &Server, p: &Pcb, buf: u64, size: u64) -> R {
    let proc = s.table.get(p.pid).ok_or(Errno::ESRCH)?;
    let mut cwd = proc.state.lock().cwd.clone().into_bytes();
    cwd.push(0);
    if (size as usize) < cwd.len() {
        return Err(Errno::ERANGE);
    }
    mem::write(p.task, buf, &cwd)?;
    Ok(cwd.len() as i64)
}

fn set_cwd(s: &Server, p: &Pcb, path: String) -> R {
    let proc = s.table.get(p.pid).ok_or(Errno::ESRCH)?;
    proc.state.lock().cwd = path;
    Ok(0)
}

pub fn chdir(s: &Server, p: &Pcb, path: u64) -> R {
    let n = user_path(s, p, AT_FDCWD as i64, path)?;
    let v = Vnode::new(vfs::lookup(s, &n)?, n.path.clone());
    if !v.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    set_cwd(s, p, n.path)
}

pub fn fchdir(s: &Server, p: &Pcb, fd: u64) -> R {
    let f = fd_get(s, p, fd)?;
    let v = vnode(&f).ok_or(Errno::ENOTDIR)?;
    if !v.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    set_cwd(s, p, v.path.clone())
}

/// The parent directory's inode and the last name of a path to change.
fn parent_of<'n>(fs: &mut vfs::Fs, n: &'n Namei) -> Result<(fat32::Ino, &'n str), Errno> {
    let (parent, name) = n.split().ok_or(Errno::EBUSY)?;
    let dir = fs.resolve(parent).map_err(fe)?;
    if !fs.stat(dir).map_err(fe)?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    Ok((dir, name))
}

fn fs_path(s: &Server, p: &Pcb, dirfd: i64, path: u64) -> Result<Namei, Errno> {
    let n = user_path(s, p, dirfd, path)?;
    // Linux's answer for a directory without the operation.
    if vfs::in_dev(&n) || crate::procfs::owns(&n) {
        return Err(Errno::EPERM);
    }
    Ok(n)
}

pub fn mkdir(s: &Server, p: &Pcb, dirfd: i64, path: u64) -> R {
    // /proc has no mkdir: an existing name is EEXIST, a new one EPERM.
    let n = user_path(s, p, dirfd, path)?;
    if crate::procfs::owns(&n) {
        return Err(if vfs::lookup(s, &n).is_ok() { Errno::EEXIST } else { Errno::EPERM });
    }
    let n = fs_path(s, p, dirfd, path).map_err(|e| if e == Errno::EPERM { Errno::EEXIST } else { e })?;
    with_fs(|fs| {
        let (dir, name) = parent_of(fs, &n).map_err(|e| if e == Errno::EBUSY { Errno::EEXIST } else { e })?;
        fs.mkdir(dir, name).map_err(fe).map(|_| 0)
    })
}

pub fn unlink(s: &Server, p: &Pcb, dirfd: i64, path: u64, flags: u32) -> R {
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let n = fs_path(s, p, dirfd, path)?;
    with_fs(|fs| {
        let (dir, name) = parent_of(fs, &n)?;
        let ino = fs.lookup(dir, name).map_err(fe)?;
        let is_dir = fs.stat(ino).map_err(fe)?.is_dir();
        if flags & AT_REMOVEDIR != 0 {
            if name == "." {
                return Err(Errno::EINVAL);
            }
            if !is_dir {
                return Err(Errno::ENOTDIR);
            }
            return fs.rmdir(dir, name).map_err(fe).map(|_| 0);
        }
        if is_dir {
            return Err(Errno::EISDIR);
        }
        if n.trailing_slash {
            return Err(Errno::ENOTDIR);
        }
        fs.unlink(dir, name).map_err(fe).map(|_| ino as i64)
    })
    .map(forget_pages)
}

/// A file's name is gone (unlink, rename): FAT inode numbers are entry
/// positions, so a later file may get this one; its memory object must
/// not hand that file the old pages. Returns 0, the call's result.
fn forget_pages(ino: i64) -> i64 {
    if ino > 0 {
        crate::inode_pager::changed(ino as fat32::Ino);
    }
    0
}

pub fn rename(s: &Server, p: &Pcb, olddir: i64, old: u64, newdir: i64, new: u64) -> R {
    let a = fs_path(s, p, olddir, old)?;
    let b = fs_path(s, p, newdir, new)?;
    if b.path.starts_with(&a.path) && b.path.as_bytes().get(a.path.len()) == Some(&b'/') {
        return Err(Errno::EINVAL);
    }
    // Pages written through mappings go to the file while it still has
    // its old entry (its inode number changes with the entry).
    if let Ok(src) = with_fs(|fs| {
        let (from_dir, from) = parent_of(fs, &a)?;
        fs.lookup(from_dir, from).map_err(fe)
    }) {
        crate::inode_pager::clean(src);
    }
    let (src, dst, new) = with_fs(|fs| {
        let (from_dir, from) = parent_of(fs, &a)?;
        let (to_dir, to) = parent_of(fs, &b)?;
        let src = fs.lookup(from_dir, from).map_err(fe)?;
        let dst = fs.lookup(to_dir, to).ok();
        let new = fs.rename(from_dir, from, to_dir, to).map_err(fe)?;
        Ok((src, dst, new))
    })?;
    // The source's entry moved and a replaced file's contents changed:
    // the objects for those inode numbers hold stale pages.
    for ino in [Some(src), dst, Some(new)].into_iter().flatten() {
        forget_pages(ino as i64);
    }
    Ok(0)
}

/// Truncates, then drops the pages mapped readers hold (coherence).
fn truncated(ino: fat32::Ino, len: u64) -> R {
    let old = with_fs(|fs| fs.stat(ino).map_err(fe))?.size;
    let change = crate::inode_pager::change(ino, len.min(old), u64::MAX);
    let r = with_fs(|fs| fs.truncate(ino, len).map_err(fe)).map(|_| 0);
    drop(change);
    r
}

pub fn ftruncate(s: &Server, p: &Pcb, fd: u64, len: i64) -> R {
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let f = fd_get(s, p, fd)?;
    let v = vnode(&f).ok_or(Errno::EINVAL)?;
    match v.node {
        Node::Fat { ino, dir: false } if f.writable() => truncated(ino, len as u64),
        Node::Fat { dir: true, .. } => Err(Errno::EISDIR),
        Node::Fat { .. } => Err(Errno::EBADF),
        _ => Err(Errno::EINVAL),
    }
}

pub fn truncate(s: &Server, p: &Pcb, path: u64, len: i64) -> R {
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let n = fs_path(s, p, AT_FDCWD as i64, path)?;
    match vfs::lookup(s, &n)? {
        Node::Fat { ino, dir: false } => truncated(ino, len as u64),
        Node::Fat { dir: true, .. } => Err(Errno::EISDIR),
        _ => Err(Errno::EINVAL),
    }
}

pub fn fsync(s: &Server, p: &Pcb, fd: u64) -> R {
    fd_get(s, p, fd)?;
    sync()
}

/// sync(2): the dirty pages of shared file mappings to their files, then
/// the file system's cache to the disk.
pub fn sync() -> R {
    crate::inode_pager::clean_all();
    vfs::sync().map(|_| 0)
}

/// readlink(at): only /proc has links (FAT has none: every other
/// existing name is "not a link", EINVAL). The target is cut to `size`
/// bytes, without a NUL, as Linux does.
pub fn readlink(s: &Server, p: &Pcb, dirfd: i64, path: u64, buf: u64, size: u64) -> R {
    if size as i64 <= 0 {
        return Err(Errno::EINVAL);
    }
    let n = user_path_follow(s, p, dirfd, path, false)?;
    let node = vfs::lookup(s, &n)?;
    let target = crate::procfs::link_target(&node, p.pid).ok_or(Errno::EINVAL)??;
    let b = &target.as_bytes()[..target.len().min(size as usize)];
    mem::write(p.task, buf, b)?;
    Ok(b.len() as i64)
}

pub fn ioctl(s: &'static Server, p: &Pcb, fd: u64, req: u32, arg: u64) -> R {
    use linux_abi::consts::ioctl::*;
    let f = fd_get(s, p, fd)?;
    let v = vnode(&f).ok_or(Errno::ENOTTY)?;
    match (&v.node, req) {
        (Node::Dev(Dev::Tty), _) => crate::tty::ioctl(s, p, req, arg),
        (Node::PipeRead(pipe), FIONREAD) => {
            let n = pipe.buf.lock().len() as i32;
            mem::write(p.task, arg, &n.to_le_bytes()).map(|_| 0)
        }
        (_, FIONBIO) => {
            let on = mem::read(p.task, arg, 4)?.iter().any(|b| *b != 0);
            let fl = f.status_flags();
            f.set_status_flags(if on { fl | O_NONBLOCK } else { fl & !O_NONBLOCK });
            Ok(0)
        }
        _ => Err(Errno::ENOTTY),
    }
}

/// poll's readiness of one descriptor for `events`.
pub fn poll_one(s: &Server, p: &Pcb, fd: i32, events: i16) -> i16 {
    use linux_abi::consts::poll::*;
    let Ok(f) = fd_get(s, p, fd as u64) else { return POLLNVAL };
    let Some(v) = vnode(&f) else { return POLLNVAL };
    let r = match &v.node {
        Node::PipeRead(pipe) => {
            let b = pipe.buf.lock();
            (if b.is_empty() { 0 } else { POLLIN }) | (if b.writers == 0 { POLLHUP } else { 0 })
        }
        Node::PipeWrite(pipe) => {
            let b = pipe.buf.lock();
            if b.readers == 0 { POLLERR } else if b.writable() { POLLOUT } else { 0 }
        }
        Node::Dev(Dev::Tty) => POLLOUT | if crate::tty::readable() { POLLIN } else { 0 },
        _ => POLLIN | POLLOUT,
    };
    r & (events | POLLHUP | POLLERR)
}

/// mmap of a descriptor (not MAP_ANONYMOUS): a regular file's pages
/// through the inode pager; /dev/zero is anonymous memory; anything else
/// ENODEV. The access the descriptor allows bounds the mapping's.
pub fn mmap(s: &Server, p: &Pcb, addr: u64, size: u64, prot: u32, flags: u32, fd: u64, off: u64) -> R {
    use linux_abi::consts::mman::*;
    use mach::vm::*;
    let f = fd_get(s, p, fd)?;
    let v = vnode(&f).ok_or(Errno::ENODEV)?;
    let shared = match flags & MAP_TYPE {
        MAP_SHARED | MAP_SHARED_VALIDATE => true,
        MAP_PRIVATE => false,
        _ => return Err(Errno::EINVAL),
    };
    let ino = match v.node {
        Node::Fat { ino, dir: false } => ino,
        Node::Dev(Dev::Zero) => return Err(Errno::ENOTSUP), // the caller maps it anonymous
        _ => return Err(Errno::ENODEV),
    };
    if off % 4096 != 0 {
        return Err(Errno::EINVAL);
    }
    if !f.readable() || (shared && prot & PROT_WRITE != 0 && !f.writable()) {
        return Err(Errno::EACCES);
    }
    let max = if shared && !f.writable() { VM_PROT_READ | VM_PROT_EXECUTE } else { VM_PROT_ALL };
    let fixed = flags & MAP_FIXED != 0;
    let hint = if fixed || addr >= crate::MMAP_BASE { addr } else { crate::MMAP_BASE };
    let m = crate::inode_pager::FileMapping { addr: hint, fixed, size, off, prot: prot & 7, max, shared };
    crate::inode_pager::map_file(p.task, ino, &m).map(|a| a as i64)
}
