//! The inode pager (issue 6, first part): one memory object per FAT
//! inode, served by a pager thread on its own port set, mapped read-only
//! into every process that opens the file O_RDONLY, so emulib answers
//! pread64 from memory (`mach::defs::bsd::MappedFd`).
//!
//! The object's page 0 is a `MappedHeader` (the file's length); file
//! offset `o` is object offset `MAPPED_DATA + o`. Coherence: a write or
//! truncate calls [`changed`] before the server replies, which flushes
//! every resident page of the object (memory_object_lock_request is
//! served synchronously by the kernel, since the control port is a kernel
//! port), so the next access by any process refaults and gets the new
//! bytes and length from here.

use crate::mem;
use crate::vfs::{self, fe, with_fs, Node};
use alloc::collections::BTreeMap;
use fat32::Ino;
use unix_server::fd::OpenFile;
use unix_server::proc::Pid;
use mach::defs::bsd::*;
use mach::defs::memory_object::*;
use mach::defs::vm::vm_map;
use mach::kern_return::*;
use mach::message::*;
use mach::port::*;
use mach::vm::{VmProt, PAGE_SIZE, VM_INHERIT_COPY, VM_INHERIT_SHARE, VM_PROT_NONE, VM_PROT_READ, VM_PROT_WRITE};
use linux_abi::Errno;
use machrt::msg::Buffer;
use machrt::rpc::Kernel;
use machrt::sync::Mutex;

const PAGE: u64 = PAGE_SIZE as u64;
/// Pages one data_provided carries at most.
const RUN: u64 = 16;
/// Where mappings go (above anonymous mmap's MMAP_BASE, below emulib).
const MAP_HINT: u64 = 0x3000_0000_0000;
/// Room for growth mapped beyond the length at open.
const SLACK: u64 = 1 << 20;

struct Object {
    /// Receive right (in the pager's set) plus one send right.
    port: PortName,
    /// The kernel's control port, 0 until memory_object_init.
    control: PortName,
    /// Mapped shared and writable once (mmap, or a writable description):
    /// its pages may be dirty, so the server's own reads of the file clean
    /// them first and its changes go through a [`Change`].
    dirtyable: bool,
    /// Server changes in progress: data requests wait in `deferred`.
    gates: u32,
    deferred: alloc::vec::Vec<RangeArgs>,
}

struct Pager {
    pset: PortName,
    by_ino: BTreeMap<Ino, Object>,
    by_port: BTreeMap<PortName, Ino>,
    /// (pid, fd) -> the slot written into that process.
    slots: BTreeMap<(Pid, i32), MappedFd>,
}

static PAGER: Mutex<Option<Pager>> = Mutex::new(None);
/// Serializes a data request's read-and-provide with a flush: otherwise
/// the pager could read the old bytes, a writer flush (nothing resident
/// yet) and reply, and the old bytes arrive after. Both sides finish
/// their kernel call (served in place: the control port is the kernel's)
/// before letting go. Never held with the file system's lock by a caller.
static IO: Mutex<()> = Mutex::new(());

/// Starts the pager thread. Without it files are simply not mapped.
pub fn start() {
    let t = machrt::trap::task_self();
    let Ok(pset) = machrt::port::allocate(t, MACH_PORT_RIGHT_PORT_SET) else { return };
    *PAGER.lock() = Some(Pager { pset, by_ino: BTreeMap::new(), by_port: BTreeMap::new(), slots: BTreeMap::new() });
    if machrt::thread::spawn(serve, pset as u64).is_err() {
        *PAGER.lock() = None;
        machrt::println!("unix-server: the inode pager did not start");
    }
}

fn port_for(p: &mut Pager, ino: Ino) -> Option<PortName> {
    if let Some(o) = p.by_ino.get(&ino) {
        return Some(o.port);
    }
    let t = machrt::trap::task_self();
    let port = machrt::port::allocate(t, MACH_PORT_RIGHT_RECEIVE).ok()?;
    if machrt::port::insert_right(t, port, port, MACH_MSG_TYPE_MAKE_SEND).is_err()
        || machrt::port::move_member(t, port, p.pset).is_err()
    {
        let _ = machrt::port::destroy(t, port);
        return None;
    }
    p.by_ino.insert(ino, Object { port, control: 0, dirtyable: false, gates: 0, deferred: alloc::vec::Vec::new() });
    p.by_port.insert(port, ino);
    Some(port)
}

fn slot_addr(fd: i32) -> u64 {
    EMUL_MAP_TABLE + fd as u64 * core::mem::size_of::<MappedFd>() as u64
}

/// A regular file's descriptor `fd` had a read, write or lseek by
/// message: map the file's object, and the description's shared offset
/// page, into the process and fill the slot, so the next ones are
/// emulib's. Lazily, not at open: a program that opens, stats and closes
/// (a shell searching PATH) pays no mapping. Failure only means no fast
/// path.
pub fn map_fd(pid: Pid, task: PortName, fd: i32, f: &OpenFile) {
    if fd < 0 || fd as usize >= EMUL_MAP_SLOTS || PAGER.lock().as_ref().is_some_and(|p| p.slots.contains_key(&(pid, fd))) {
        return;
    }
    let Some(Node::Fat { ino, dir: false }) = vfs::vnode(f).map(|v| &v.node) else { return };
    let ino = *ino;
    let Ok(len) = with_fs(|fs| fs.stat(ino).map_err(fe)).map(|m| m.size as u64) else { return };
    let flags = if f.readable() { MAPPED_READ } else { 0 } | if f.writable() { MAPPED_WRITE } else { 0 };
    let prot = if f.writable() { VM_PROT_READ | VM_PROT_WRITE } else { VM_PROT_READ };
    let port = {
        let mut g = PAGER.lock();
        let Some(p) = g.as_mut() else { return };
        let Some(port) = port_for(p, ino) else { return };
        if f.writable() {
            if let Some(o) = p.by_ino.get_mut(&ino) {
                o.dirtyable = true;
            }
        }
        port
    };
    let size = MAPPED_DATA + (len + SLACK).next_multiple_of(PAGE);
    let placed = mem::place_outside_emulib(task, MAP_HINT, size, |at| {
        vm_map::call(&Kernel, task, port, at, size, 0, 1, 0, 0, prot, prot, VM_INHERIT_SHARE)
            .map(|r| r.address)
            .map_err(|_| Errno::ENOMEM)
    });
    let Ok(address) = placed else { return };
    // The header (the length every holder reads) is the server's alone.
    if prot & VM_PROT_WRITE != 0
        && mach::defs::vm::vm_protect::call(&Kernel, task, address, PAGE, 1, VM_PROT_READ).is_err()
    {
        let _ = mem::deallocate(task, address, size);
        return;
    }
    let pos = f.offset_home().and_then(|h| crate::offset_pager::map_into(task, h.id())).unwrap_or(0);
    let slot = MappedFd { addr: address, size, pos, flags };
    if mem::write_pod(task, slot_addr(fd), &slot).is_err() {
        unmap(task, &slot);
        return;
    }
    if let Some(p) = PAGER.lock().as_mut() {
        p.slots.insert((pid, fd), slot);
    }
}

fn unmap(task: PortName, s: &MappedFd) {
    let _ = mem::deallocate(task, s.addr, s.size);
    if s.pos != 0 {
        let _ = mem::deallocate(task, s.pos, PAGE);
    }
}

/// `fd` of `pid` no longer names what it did (close, dup2 onto it):
/// clear the slot and unmap.
pub fn closed(pid: Pid, task: PortName, fd: i32) {
    let old = PAGER.lock().as_mut().and_then(|p| p.slots.remove(&(pid, fd)));
    if let Some(s) = old {
        let _ = mem::write_pod(task, slot_addr(fd), &MappedFd::default());
        unmap(task, &s);
    }
}

/// exec: the mappings are gone with the old image; clear the table.
pub fn exec(pid: Pid, task: PortName) {
    if forget(pid) {
        let _ = mem::write(task, EMUL_MAP_TABLE, &[0u8; EMUL_MAP_TABLE_SIZE as usize]);
    }
}

/// The process is gone (or its image is): drop its records; whether it had any.
pub fn forget(pid: Pid) -> bool {
    PAGER.lock().as_mut().map_or(false, |p| {
        let keys: alloc::vec::Vec<_> = p.slots.range((pid, i32::MIN)..=(pid, i32::MAX)).map(|(k, _)| *k).collect();
        for k in &keys {
            p.slots.remove(k);
        }
        !keys.is_empty()
    })
}

/// fork: the child has the parent's table and mappings (VM_INHERIT_SHARE).
pub fn forked(parent: Pid, child: Pid) {
    if let Some(p) = PAGER.lock().as_mut() {
        let stale: alloc::vec::Vec<_> = p.slots.range((child, i32::MIN)..=(child, i32::MAX)).map(|(k, _)| *k).collect();
        for k in stale {
            p.slots.remove(&k);
        }
        let copy: alloc::vec::Vec<_> = p.slots.range((parent, i32::MIN)..=(parent, i32::MAX)).map(|(k, v)| (k.1, *v)).collect();
        for (fd, v) in copy {
            p.slots.insert((child, fd), v);
        }
    }
}

/// mmap of a regular file: `size` bytes from file offset `off` (page
/// aligned) at `addr` (exactly there when `fixed`). MAP_SHARED maps the
/// file's object itself, so the pages are the ones read() and every other
/// mapping see, and written ones go back to the file (data_write);
/// MAP_PRIVATE maps a copy-on-write copy. Pages wholly past the end read
/// as zeros and are never written back.
pub struct FileMapping {
    pub addr: u64,
    pub fixed: bool,
    pub size: u64,
    pub off: u64,
    pub prot: VmProt,
    pub max: VmProt,
    pub shared: bool,
}

pub fn map_file(task: PortName, ino: Ino, m: &FileMapping) -> Result<u64, Errno> {
    let port = {
        let mut g = PAGER.lock();
        let p = g.as_mut().ok_or(Errno::ENODEV)?;
        let port = port_for(p, ino).ok_or(Errno::ENOMEM)?;
        if m.shared && m.max & VM_PROT_WRITE != 0 {
            if let Some(o) = p.by_ino.get_mut(&ino) {
                o.dirtyable = true;
            }
        }
        port
    };
    let offset = MAPPED_DATA.checked_add(m.off).ok_or(Errno::EOVERFLOW)?;
    let inherit = if m.shared { VM_INHERIT_SHARE } else { VM_INHERIT_COPY };
    if m.fixed {
        let _ = mem::deallocate(task, m.addr, m.size);
    }
    let map = |at: u64| {
        let r = vm_map::call(&Kernel, task, port, at, m.size, 0, !m.fixed as u32, offset, !m.shared as u32,
                             m.prot, m.max, inherit);
        match r {
            Ok(r) => Ok(r.address),
            Err(KERN_NO_SPACE) => Err(Errno::ENOMEM),
            Err(_) => Err(Errno::EINVAL),
        }
    };
    if m.fixed {
        map(m.addr) // the caller checked the range
    } else {
        mem::place_outside_emulib(task, m.addr, m.size, map)
    }
}

/// Before the server itself reads, writes or truncates the file: the
/// dirty pages of shared writable mappings go back to the file first
/// (lock_request returning them, then a barrier through the object's
/// queue, so the pager thread has written them when this returns). Never
/// called with the file system's lock held, nor from the pager thread.
pub fn clean(ino: Ino) {
    let (port, control) = match PAGER.lock().as_ref().and_then(|p| p.by_ino.get(&ino)) {
        Some(o) if o.dirtyable => (o.port, o.control),
        _ => return,
    };
    if control != 0 {
        let args = RangeArgs { offset: 0, length: u64::MAX / 2, access: VM_PROT_NONE, flags: MEMORY_OBJECT_RETURN_DIRTY };
        let _ = memory_object_lock_request::send(&Kernel, control, MACH_PORT_NULL, args);
    }
    barrier(port);
}

/// The server is changing file bytes [from, to) (`to` u64::MAX: to the
/// end, for appends and truncation) while the guard lives. For a file
/// whose pages may be dirty: those pages (and the header) leave the
/// object first, the dirty ones written back to the file, and faults on
/// them wait until the change is done, so a write through a mapping is
/// neither lost under the server's write nor mixed with stale bytes. For
/// any other file the whole object is flushed when the guard goes.
pub struct Change {
    ino: Ino,
    gated: bool,
}

pub fn change(ino: Ino, from: u64, to: u64) -> Change {
    let (port, control, gated) = {
        let mut g = PAGER.lock();
        match g.as_mut().and_then(|p| p.by_ino.get_mut(&ino)) {
            Some(o) if o.dirtyable => {
                o.gates += 1;
                (o.port, o.control, true)
            }
            _ => (0, 0, false),
        }
    };
    if gated {
        if control != 0 {
            let start = MAPPED_DATA + (from & !(PAGE - 1));
            let end = if to == u64::MAX { u64::MAX / 2 } else { MAPPED_DATA.saturating_add(to).next_multiple_of(PAGE) };
            let data = RangeArgs { offset: start, length: end.saturating_sub(start), access: VM_PROT_NONE,
                                   flags: MEMORY_OBJECT_RETURN_DIRTY | MEMORY_OBJECT_FLUSH };
            let header = RangeArgs { offset: 0, length: PAGE, access: VM_PROT_NONE, flags: MEMORY_OBJECT_FLUSH };
            let _ = memory_object_lock_request::send(&Kernel, control, MACH_PORT_NULL, data);
            let _ = memory_object_lock_request::send(&Kernel, control, MACH_PORT_NULL, header);
        }
        barrier(port);
    }
    Change { ino, gated }
}

impl Drop for Change {
    fn drop(&mut self) {
        if !self.gated {
            changed(self.ino);
            return;
        }
        let (control, waiting) = {
            let mut g = PAGER.lock();
            let Some(o) = g.as_mut().and_then(|p| p.by_ino.get_mut(&self.ino)) else { return };
            o.gates -= 1;
            (o.control, if o.gates == 0 { core::mem::take(&mut o.deferred) } else { alloc::vec::Vec::new() })
        };
        if waiting.is_empty() || control == 0 {
            return;
        }
        let Ok(out) = machrt::vm::allocate(RUN * PAGE) else { return };
        for args in waiting {
            let _io = IO.lock();
            data_request(control, self.ino, args, out);
        }
        let _ = machrt::vm::vm_deallocate(out, RUN * PAGE);
    }
}

/// Answered by the pager thread once it has handled everything queued
/// on `port` before (the dirty pages a lock_request returned).
fn barrier(port: PortName) {
    let t = machrt::trap::task_self();
    if let Ok(reply) = machrt::port::allocate(t, MACH_PORT_RIGHT_RECEIVE) {
        let _ = inode_pager_sync::call(&machrt::rpc::WithReply(reply), port);
        let _ = machrt::port::destroy(t, reply);
    }
}

/// sync, fsync and power-off: every file's dirty mapped pages to the file.
pub fn clean_all() {
    let inos: alloc::vec::Vec<Ino> = PAGER.lock().as_ref()
        .map(|p| p.by_ino.iter().filter(|(_, o)| o.dirtyable).map(|(i, _)| *i).collect())
        .unwrap_or_default();
    for ino in inos {
        clean(ino);
    }
}

/// The file's bytes or length changed: drop every cached page, so all
/// mappings see the new contents. Synchronous (see the module comment).
pub fn changed(ino: Ino) {
    let control = PAGER.lock().as_ref().and_then(|p| p.by_ino.get(&ino)).map_or(0, |o| o.control);
    if control != 0 {
        let _io = IO.lock();
        let args = RangeArgs { offset: 0, length: u64::MAX / 2, access: VM_PROT_NONE,
                               flags: MEMORY_OBJECT_RETURN_NONE | MEMORY_OBJECT_FLUSH };
        let _ = memory_object_lock_request::send(&Kernel, control, MACH_PORT_NULL, args);
    }
}

extern "C" fn serve(pset: u64) -> ! {
    let pset = pset as PortName;
    let mut buf = Buffer::<512>::new();
    let mut out: u64 = 0;
    let _ = machrt::vm::vm_allocate(&mut out, RUN * PAGE, true);
    loop {
        if machrt::msg::receive(&mut buf, pset, 0, 0) != MACH_MSG_SUCCESS {
            continue;
        }
        let h = buf.header();
        let m = &buf.0[..(h.size as usize).min(buf.0.len())];
        let ino = PAGER.lock().as_ref().and_then(|p| p.by_port.get(&h.local_port).copied());
        let Some(ino) = ino else { continue };
        match h.id {
            MEMORY_OBJECT_INIT => {
                if let Ok(r) = memory_object_init::Request::parse(m) {
                    let control = r.control.name;
                    if let Some(o) = PAGER.lock().as_mut().and_then(|p| p.by_ino.get_mut(&ino)) {
                        o.control = control;
                    }
                    let _ = memory_object_set_attributes::send(&Kernel, control, 1, 1);
                }
            }
            MEMORY_OBJECT_DATA_REQUEST => {
                if let Ok(r) = memory_object_data_request::Request::parse(m) {
                    let control = {
                        let mut g = PAGER.lock();
                        match g.as_mut().and_then(|p| p.by_ino.get_mut(&ino)) {
                            Some(o) if o.gates > 0 => {
                                o.deferred.push(r.args); // served when the change is done
                                continue;
                            }
                            Some(o) => o.control,
                            None => 0,
                        }
                    };
                    if control != 0 && out != 0 {
                        let _io = IO.lock();
                        data_request(control, ino, r.args, out);
                    }
                }
            }
            MEMORY_OBJECT_TERMINATE => {
                // The port stays: a later vm_map initializes it afresh.
                if let Some(o) = PAGER.lock().as_mut().and_then(|p| p.by_ino.get_mut(&ino)) {
                    o.control = 0;
                }
            }
            MEMORY_OBJECT_DATA_WRITE => {
                if let Ok(r) = memory_object_data_write::Request::parse(m) {
                    let _io = IO.lock();
                    data_write(ino, r.args.offset, r.data.address, r.data.size as u64);
                }
            }
            INODE_PAGER_SYNC => {
                if let Ok(r) = inode_pager_sync::Request::parse(m) {
                    crate::reply(&mut inode_pager_sync::Reply::new(&r.header));
                }
            }
            _ => {}
        }
    }
}

/// Pages [offset, offset+length) (at most RUN) from the file: the header,
/// the bytes (zero-filled past EOF), or data_unavailable when all of the
/// range lies past EOF.
fn data_request(control: PortName, ino: Ino, args: RangeArgs, out: u64) {
    let len = with_fs(|fs| fs.stat(ino).map_err(fe)).map(|m| m.size as u64);
    let Ok(len) = len else {
        let _ = memory_object_data_error::send(&Kernel, control, args, KERN_MEMORY_ERROR);
        return;
    };
    let n = args.length.div_ceil(PAGE).clamp(1, RUN);
    let data_end = MAPPED_DATA + len;
    if args.offset >= data_end.next_multiple_of(PAGE) {
        let _ = memory_object_data_unavailable::send(&Kernel, control, args);
        return;
    }
    // SAFETY: `out` is this thread's RUN-page buffer from vm_allocate.
    let dst = unsafe { core::slice::from_raw_parts_mut(out as *mut u8, (n * PAGE) as usize) };
    dst.fill(0);
    let mut at = args.offset;
    let mut i = 0usize;
    if at == 0 {
        let hdr = MappedHeader { len };
        dst[..8].copy_from_slice(&hdr.len.to_le_bytes());
        at = MAPPED_DATA;
        i = PAGE as usize;
    }
    let end = (args.offset + n * PAGE).min(data_end);
    if end > at {
        match vfs::fat_read(ino, at - MAPPED_DATA, (end - at) as usize) {
            Ok(v) => dst[i..i + v.len()].copy_from_slice(&v),
            Err(_) => {
                let _ = memory_object_data_error::send(&Kernel, control, args, KERN_MEMORY_ERROR);
                return;
            }
        }
    }
    let d = OolDescriptor::new(out, (n * PAGE) as u32, false);
    let _ = memory_object_data_provided::send(&Kernel, control, d, args.offset, VM_PROT_NONE);
}


/// Dirty pages back from the kernel (a clean, pageout, or the last
/// mapping gone): their bytes go to the file, never past its end (a
/// mapping may reach past it; those bytes are not the file's), then the
/// carrier memory goes.
fn data_write(ino: Ino, offset: u64, addr: u64, size: u64) {
    let len = with_fs(|fs| fs.stat(ino).map_err(fe)).map(|m| m.size as u64).unwrap_or(0);
    let start = offset.max(MAPPED_DATA);
    let end = (offset + size).min(MAPPED_DATA + len);
    if end > start {
        // SAFETY: the kernel mapped the message's `size` bytes at `addr` in
        // this task; [start, end) lies inside them and is read before the
        // deallocate below.
        let bytes = unsafe { core::slice::from_raw_parts((addr + (start - offset)) as *const u8, (end - start) as usize) };
        if let Err(e) = vfs::fat_write(ino, Some(start - MAPPED_DATA), bytes) {
            machrt::println!("unix-server: inode pager: write-back of inode {:?} failed: {:?}", ino, e);
        }
    }
    let _ = machrt::vm::vm_deallocate(addr, size);
}
