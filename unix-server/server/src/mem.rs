//! A process's memory, seen from the server: reading and writing user
//! addresses (vm_read / vm_write on the process's task, so a bad pointer
//! is EFAULT, never a fault here) and mapping images into a task.

use alloc::vec::Vec;
use linux_abi::layout::{page_down, page_up};
use linux_abi::Errno;
use mach::defs::vm::*;
use mach::message::OolDescriptor;
use mach::port::PortName;
use mach::vm::VmProt;
use machrt::rpc::Kernel;
use unix_server::exec_image::Segment;

/// One region of a task's address space, as vm_region gives it.
pub struct Region {
    pub start: u64,
    pub end: u64,
    pub prot: VmProt,
    /// Its object is shared with other mappings (MAP_SHARED, a file).
    pub shared: bool,
    pub inheritance: mach::vm::VmInherit,
    pub offset: u64,
}

/// The regions of `task` from the one holding (or following) `from` up
/// to `to`, in address order, at most `max` of them (/proc maps, mremap).
pub fn regions(task: PortName, from: u64, to: u64, max: usize) -> Vec<Region> {
    let mut v = Vec::new();
    let mut at = from;
    while at < to && v.len() < max {
        let Ok(r) = vm_region::call(&Kernel, task, at) else { break };
        let i = r.info;
        let end = i.address.saturating_add(i.size);
        if end <= at || i.size == 0 {
            break; // no progress: the walk is over
        }
        v.push(Region { start: i.address, end, prot: i.protection, shared: i.shared != 0,
                        inheritance: i.inheritance, offset: i.offset });
        at = end;
    }
    v
}

/// The machine's memory and what is free of it, in bytes (host_info).
pub fn host_memory() -> (u64, u64) {
    match mach::defs::host::host_info::call(&Kernel, machrt::trap::host_self()) {
        Ok(r) => {
            let i = r.info;
            (i.memory_size, i.free_pages * i.page_size as u64)
        }
        Err(_) => (0, 0),
    }
}

/// Copies `len` bytes at `addr` in `task` into a vector.
pub fn read(task: PortName, addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
    if len == 0 {
        return Ok(Vec::new());
    }
    let r = vm_read::call(&Kernel, task, addr, len as u64).map_err(|_| Errno::EFAULT)?;
    let d = { r.data };
    // SAFETY: the kernel mapped `size` bytes of the reply's data here.
    let bytes = unsafe { core::slice::from_raw_parts(d.address as *const u8, d.size as usize) }.to_vec();
    machrt::vm::vm_deallocate(page_down(d.address), page_up(d.address + d.size as u64).unwrap_or(0) - page_down(d.address));
    Ok(bytes)
}

pub fn write(task: PortName, addr: u64, bytes: &[u8]) -> Result<(), Errno> {
    if bytes.is_empty() {
        return Ok(());
    }
    let ool = OolDescriptor::new(bytes.as_ptr() as u64, bytes.len() as u32, false);
    vm_write::call(&Kernel, task, ool, addr).map(|_| ()).map_err(|_| Errno::EFAULT)
}

pub fn write_pod<T: mach::pod::Pod>(task: PortName, addr: u64, v: &T) -> Result<(), Errno> {
    write(task, addr, mach::pod::as_bytes(v))
}

pub fn read_u64(task: PortName, addr: u64) -> Result<u64, Errno> {
    let b = read(task, addr, 8)?;
    Ok(u64::from_le_bytes(b[..8].try_into().map_err(|_| Errno::EFAULT)?))
}

/// A NUL-terminated string of at most `max` bytes, read at most a page at
/// a time so that a string ending just before an unmapped page still
/// reads.
pub fn read_cstr(task: PortName, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut at = addr;
    // Most paths are short: a small first read, so that neither the copy
    // nor the scan for the NUL covers a whole page; then pages.
    let mut want = 256u64;
    while out.len() < max {
        let next = at.checked_add(1).ok_or(Errno::EFAULT)?;
        let chunk = (page_up(next).unwrap_or(next) - at).min(want) as usize;
        want = 4096;
        let b = read(task, at, chunk)?;
        if let Some(n) = b.iter().position(|&c| c == 0) {
            out.extend_from_slice(&b[..n]);
            return Ok(out);
        }
        out.extend_from_slice(&b);
        at = at.checked_add(chunk as u64).ok_or(Errno::EFAULT)?;
    }
    Err(Errno::ENAMETOOLONG)
}

/// A NULL-terminated array of string pointers (argv, envp), read one
/// string at a time against `budget`: the bytes of the strings with
/// their NULs and of the pointers, which Linux bounds by a quarter of the
/// stack limit. E2BIG as soon as the budget is spent or a string passes
/// MAX_ARG_STRLEN (its NUL counted), so a hostile caller never has the
/// server copy more than the budget.
pub fn read_strv(task: PortName, addr: u64, budget: &mut usize) -> Result<Vec<Vec<u8>>, Errno> {
    use unix_server::exec_image::MAX_ARG_STRLEN;
    let mut v = Vec::new();
    if addr == 0 {
        return Ok(v);
    }
    for i in 0u64.. {
        let p = read_u64(task, addr.checked_add(8 * i).ok_or(Errno::EFAULT)?)?;
        if p == 0 {
            break;
        }
        *budget = budget.checked_sub(8).ok_or(Errno::E2BIG)?;
        let s = match read_cstr(task, p, MAX_ARG_STRLEN.min(*budget)) {
            Err(Errno::ENAMETOOLONG) => return Err(Errno::E2BIG),
            r => r?,
        };
        if s.len() + 1 > MAX_ARG_STRLEN {
            return Err(Errno::E2BIG);
        }
        *budget = budget.checked_sub(s.len() + 1).ok_or(Errno::E2BIG)?;
        v.push(s);
    }
    Ok(v)
}

pub fn allocate(task: PortName, addr: u64, size: u64) -> Result<u64, Errno> {
    vm_allocate::call(&Kernel, task, addr, size, 0).map(|r| r.address).map_err(|_| Errno::ENOMEM)
}

/// Fresh memory at the first free place from `hint` up, never in emulib's
/// range (which holds its image, pages and thread area).
pub fn allocate_anywhere(task: PortName, hint: u64, size: u64) -> Result<u64, Errno> {
    place_outside_emulib(task, hint, size, |h| {
        vm_allocate::call(&Kernel, task, h, size, 1).map(|r| r.address).map_err(|_| Errno::ENOMEM)
    })
}

/// Runs `place` (an "anywhere" vm_allocate or vm_map from a hint) until
/// what it placed lies outside emulib's range and below the user end:
/// from `hint`, then above the range, then from the mmap base. A try that
/// lands in the range is undone at once. ENOMEM when nothing fits.
pub fn place_outside_emulib(task: PortName, hint: u64, size: u64,
                            mut place: impl FnMut(u64) -> Result<u64, Errno>) -> Result<u64, Errno> {
    use linux_abi::layout::{overlaps_emulib, EMULIB_END, USER_END};
    let first = if overlaps_emulib(hint, hint.saturating_add(1)) { EMULIB_END } else { hint };
    let mut err = Errno::ENOMEM;
    for h in [first, EMULIB_END, crate::MMAP_BASE] {
        match place(h) {
            Ok(a) => {
                let end = a.checked_add(size).unwrap_or(u64::MAX);
                if !overlaps_emulib(a, end) && end <= USER_END {
                    return Ok(a);
                }
                let _ = deallocate(task, a, size);
            }
            Err(e) => err = e,
        }
    }
    Err(err)
}

pub fn deallocate(task: PortName, addr: u64, size: u64) -> Result<(), Errno> {
    vm_deallocate::call(&Kernel, task, addr, size).map(|_| ()).map_err(|_| Errno::EINVAL)
}

pub fn protect(task: PortName, addr: u64, size: u64, prot: VmProt) -> Result<(), Errno> {
    vm_protect::call(&Kernel, task, addr, size, 0, prot).map(|_| ()).map_err(|_| Errno::ENOMEM)
}

pub fn inherit(task: PortName, addr: u64, size: u64, inh: mach::vm::VmInherit) -> Result<(), Errno> {
    vm_inherit::call(&Kernel, task, addr, size, inh).map(|_| ()).map_err(|_| Errno::ENOMEM)
}

/// Maps the segments of `image` into `task`: each page range allocated
/// (zero-filled), the file bytes written, then every page given the union
/// of the protections of the segments touching it.
pub fn load_segments(task: PortName, image: &[u8], segs: &[Segment]) -> Result<(), Errno> {
    let mut mapped_to = 0u64;
    for s in segs {
        let start = s.map_start().max(mapped_to);
        if s.map_end() > start {
            allocate(task, start, s.map_end() - start)?;
            mapped_to = s.map_end();
        }
        let from = s.offset as usize;
        let bytes = image.get(from..from + s.filesz as usize).ok_or(Errno::ENOEXEC)?;
        write(task, s.vaddr, bytes)?;
    }
    for s in segs {
        let mut va = s.map_start();
        while va < s.map_end() {
            let prot = segs.iter().filter(|o| o.map_start() <= va && va < o.map_end()).fold(0, |p, o| p | o.prot);
            protect(task, va, 4096, prot)?;
            va += 4096;
        }
    }
    Ok(())
}

/// The PT_LOAD segments of emulib (linked at its fixed address).
pub fn emulib_segments(image: &[u8]) -> Result<Vec<Segment>, Errno> {
    let elf = goblin::elf::Elf::parse(image).map_err(|_| Errno::ENOEXEC)?;
    let segs = elf.program_headers.iter()
        .filter(|p| p.p_type == goblin::elf::program_header::PT_LOAD)
        .map(|p| Segment { vaddr: p.p_vaddr, memsz: p.p_memsz, offset: p.p_offset, filesz: p.p_filesz, prot: prot_of(p.p_flags) })
        .collect::<Vec<_>>();
    if segs.iter().any(|s| !linux_abi::layout::overlaps_emulib(s.vaddr, s.vaddr + s.memsz)) {
        return Err(Errno::ENOEXEC);
    }
    Ok(segs)
}

fn prot_of(flags: u32) -> u32 {
    use goblin::elf::program_header::{PF_R, PF_W, PF_X};
    (if flags & PF_R != 0 { 1 } else { 0 }) | (if flags & PF_W != 0 { 2 } else { 0 }) | (if flags & PF_X != 0 { 4 } else { 0 })
}

/// The bytes of a linux_abi struct (repr(C), integer fields only, padding
/// spelled out as fields).
pub fn struct_bytes<T: Copy>(v: &T) -> &[u8] {
    // SAFETY: callers pass linux_abi's repr(C) plain-data structs, whose
    // bytes are all initialized.
    unsafe { core::slice::from_raw_parts(v as *const T as *const u8, core::mem::size_of::<T>()) }
}

pub fn write_struct<T: Copy>(task: PortName, addr: u64, v: &T) -> Result<(), Errno> {
    write(task, addr, struct_bytes(v))
}

/// A linux_abi struct from user memory.
pub fn read_struct<T: Copy + Default>(task: PortName, addr: u64) -> Result<T, Errno> {
    let b = read(task, addr, core::mem::size_of::<T>())?;
    let mut v = T::default();
    // SAFETY: T is a plain-data linux_abi struct (any bytes are a valid
    // value) and `b` holds exactly size_of::<T>() bytes.
    unsafe { core::ptr::copy_nonoverlapping(b.as_ptr(), &mut v as *mut T as *mut u8, core::mem::size_of::<T>()) };
    Ok(v)
}
