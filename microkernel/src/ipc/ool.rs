//! Out-of-line memory in messages.
//!
//! A region that starts on a page boundary and spans whole pages moves by
//! copy-on-write: on send the sender's range is captured as a map copy
//! (vm_map_copyin), on receipt it is entered into the receiver's map
//! (vm_map_copyout), and no byte is copied until one side writes. Any
//! other region is copied physically, because mapping its pages would show
//! the receiver the sender's bytes around it.

use crate::arch::usercopy::{copyin, copyout};
use crate::kern::task::TaskVm;
use crate::vm::copy::{vm_map_copyin, vm_map_copyout, VmMapCopy};
use crate::vm::page::PhysMem;
use alloc::vec::Vec;
use mach::kern_return::*;
use mach::vm::{round_page, trunc_page, PAGE_SIZE};

const PAGE: u64 = PAGE_SIZE as u64;

/// The data of one descriptor while the message is in transit.
pub enum OolData {
    Mapped(VmMapCopy),
    Bytes(Vec<u8>),
}

pub struct OolRegion {
    data: OolData,
    pub size: u64,
}

impl OolRegion {
    /// Whether the region travels by copy-on-write (for tests and stats).
    pub fn is_mapped(&self) -> bool {
        matches!(self.data, OolData::Mapped(_))
    }

    /// A region the kernel sends: memory captured as a map copy.
    pub fn mapped(copy: VmMapCopy) -> OolRegion {
        let size = copy.size;
        OolRegion { data: OolData::Mapped(copy), size }
    }

    /// A fresh frame holding the page at `off` of the region (zeros past
    /// its end and where it has no page): a pager's data_provided.
    pub fn page_frame(&self, off: u64, phys: &'static dyn PhysMem) -> Option<u64> {
        match &self.data {
            OolData::Mapped(copy) => {
                let ce = copy.entries.iter().find(|ce| ce.offset <= off && off < ce.offset + ce.size);
                let src = ce.and_then(|ce| ce.object.as_ref().and_then(|o| o.find_page(ce.object_offset + off - ce.offset)));
                match src {
                    Some(f) => phys.alloc_copy(f.frame),
                    None => phys.alloc_zeroed(),
                }
            }
            OolData::Bytes(bytes) => {
                let frame = phys.alloc_zeroed()?;
                let start = (off as usize).min(bytes.len());
                let end = (start + PAGE as usize).min(bytes.len());
                phys.write(frame, 0, &bytes[start..end]);
                Some(frame)
            }
        }
    }
}

/// Captures [addr, addr+size) of the sender.
pub fn copy_in_region(vm: &mut TaskVm, addr: u64, size: u64) -> Result<OolRegion, KernReturn> {
    if size > mach::message::MACH_MSG_OOL_SIZE_MAX as u64 || addr.checked_add(size).is_none() {
        return Err(MACH_SEND_INVALID_MEMORY);
    }
    if size == 0 {
        return Ok(OolRegion { data: OolData::Bytes(Vec::new()), size });
    }
    if addr % PAGE == 0 && size % PAGE == 0 {
        let copy = vm_map_copyin(&mut vm.map, &mut vm.pmap, addr, size).map_err(|_| MACH_SEND_INVALID_MEMORY)?;
        return Ok(OolRegion { data: OolData::Mapped(copy), size });
    }
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(size as usize).map_err(|_| MACH_SEND_NO_BUFFER)?;
    bytes.resize(size as usize, 0);
    copyin(vm, addr, &mut bytes).map_err(|_| MACH_SEND_INVALID_MEMORY)?;
    Ok(OolRegion { data: OolData::Bytes(bytes), size })
}

/// Puts the region at a fresh address in the receiver; returns it.
pub fn copy_out_region(vm: &mut TaskVm, region: OolRegion) -> Result<u64, KernReturn> {
    match region.data {
        OolData::Mapped(copy) => vm_map_copyout(&mut vm.map, copy).map_err(|_| MACH_RCV_BODY_ERROR),
        OolData::Bytes(bytes) if bytes.is_empty() => Ok(0),
        OolData::Bytes(bytes) => {
            let mut at = 0;
            let size = round_page(bytes.len() as u64).ok_or(MACH_RCV_BODY_ERROR)?;
            if vm.allocate(&mut at, size, true) != KERN_SUCCESS {
                return Err(MACH_RCV_BODY_ERROR);
            }
            copyout(vm, &bytes, at).map_err(|_| MACH_RCV_BODY_ERROR)?;
            Ok(at)
        }
    }
}

/// Removes a sent region from the sender (the descriptor's `deallocate`).
pub fn deallocate_region(vm: &mut TaskVm, addr: u64, size: u64) {
    if size == 0 {
        return;
    }
    if let Some(end) = round_page(addr + size) {
        let start = trunc_page(addr);
        let _ = vm.deallocate(start, end - start);
    }
}

/// vm_read: the target's [addr, addr+size) as a region for a reply (by
/// copy-on-write when page-aligned, as Mach's vm_read returns pages).
pub fn read_region(vm: &mut TaskVm, addr: u64, size: u64) -> Result<OolRegion, KernReturn> {
    copy_in_region(vm, addr, size).map_err(|_| KERN_INVALID_ADDRESS)
}

/// vm_write: puts a received region's data at `addr` in the target, which
/// must be mapped writable.
pub fn write_region(vm: &mut TaskVm, addr: u64, region: OolRegion) -> KernReturn {
    // Pages to an unaligned address (a server's page-sized, page-aligned
    // buffer into a program's buffer): copied as bytes.
    if addr % PAGE != 0 && matches!(region.data, OolData::Mapped(_)) {
        return match region_bytes(&region) {
            Ok(bytes) => match copyout(vm, &bytes, addr) {
                Ok(()) => KERN_SUCCESS,
                Err(_) => KERN_INVALID_ADDRESS,
            },
            Err(kr) => kr,
        };
    }
    match region.data {
        OolData::Mapped(copy) if addr % PAGE == 0 => {
            crate::vm::copy::vm_map_copy_overwrite(&mut vm.map, &mut vm.pmap, addr, &copy)
        }
        OolData::Mapped(_) => KERN_INVALID_ARGUMENT,
        OolData::Bytes(bytes) => match copyout(vm, &bytes, addr) {
            Ok(()) => KERN_SUCCESS,
            Err(_) => KERN_INVALID_ADDRESS,
        },
    }
}

/// A region holding a copy of kernel bytes, for a reply to carry (None
/// when the heap has no room for the copy).
pub fn bytes_region(data: &[u8]) -> Option<OolRegion> {
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(data.len()).ok()?;
    bytes.extend_from_slice(data);
    Some(OolRegion { size: data.len() as u64, data: OolData::Bytes(bytes) })
}

/// The region's bytes, read into a kernel buffer (for a device write).
/// Pages of a mapped region come from its objects (absent ones are zero);
/// nothing is copied-on-write or mapped.
pub fn region_bytes(region: &OolRegion) -> Result<Vec<u8>, KernReturn> {
    let mut out = Vec::new();
    out.try_reserve_exact(region.size as usize).map_err(|_| KERN_RESOURCE_SHORTAGE)?;
    match &region.data {
        OolData::Bytes(b) => out.extend_from_slice(b),
        OolData::Mapped(copy) => {
            out.resize(region.size as usize, 0);
            for e in &copy.entries {
                let Some(obj) = &e.object else { continue };
                for off in (0..e.size).step_by(PAGE_SIZE) {
                    let at = (e.offset + off) as usize;
                    let Some(dst) = out.get_mut(at..(at + PAGE_SIZE).min(region.size as usize)) else { break };
                    if let Some(f) = obj.find_page(e.object_offset + off) {
                        obj.phys().read(f.frame, 0, dst);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The frames of a mapped region of whole pages, in order (None for a
/// page it does not hold, which reads as zeros), or None when it is not
/// such a region: how a device write reaches the data without copying it
/// through the heap (which a fragmented, full memory may not grow).
pub fn region_frames(region: &OolRegion) -> Option<Vec<Option<u64>>> {
    let OolData::Mapped(copy) = &region.data else { return None };
    if region.size % PAGE != 0 {
        return None;
    }
    let mut frames = Vec::new();
    frames.try_reserve_exact((region.size / PAGE) as usize).ok()?;
    for off in (0..region.size).step_by(PAGE_SIZE) {
        let ce = copy.entries.iter().find(|ce| ce.offset <= off && off < ce.offset + ce.size);
        let f = ce.and_then(|ce| ce.object.as_ref().and_then(|o| o.find_page(ce.object_offset + off - ce.offset)));
        frames.push(f.map(|f| f.frame));
    }
    Some(frames)
}

/// A region of `pages` fresh zeroed frames (for a device read to fill),
/// and the frames; None when memory is short.
pub fn frames_region(pages: u64) -> Option<(OolRegion, Vec<u64>)> {
    use crate::vm::object::VmObject;
    use crate::vm::resident::KERNEL_PHYS;
    let size = pages * PAGE;
    let obj = VmObject::anonymous(size, &KERNEL_PHYS);
    let mut frames = Vec::new();
    frames.try_reserve_exact(pages as usize).ok()?;
    for i in 0..pages {
        let f = obj.zero_fill(i * PAGE).ok()?;
        frames.push(f);
    }
    let copy = VmMapCopy {
        size,
        entries: alloc::vec![crate::vm::copy::CopyEntry { offset: 0, size, object: Some(obj), object_offset: 0 }],
    };
    Some((OolRegion::mapped(copy), frames))
}

/// A region that takes over a kernel buffer (a device read's data).
pub fn vec_region(bytes: Vec<u8>) -> OolRegion {
    OolRegion { size: bytes.len() as u64, data: OolData::Bytes(bytes) }
}
