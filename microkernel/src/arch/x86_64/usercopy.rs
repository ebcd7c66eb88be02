//! Copying between the kernel and a task's memory.
//!
//! Every access goes through the task's pmap: the range is translated page
//! by page and copied through the physmap, so a bad user pointer is an error
//! value, never a kernel fault, and the copy works whichever address space
//! is loaded (the kernel may copy into a task that is not running).
//! Memory is lazy, so a page not (or not writably) in the pmap is first
//! resolved by the fault handler, as the task's own access would be: read
//! access for copyin, write access for copyout.

use super::layout::phys_to_virt;
use crate::kern::task::TaskVm;
use mach::vm::{VmProt, PAGE_SIZE, VM_MAX_ADDRESS, VM_PROT_READ, VM_PROT_WRITE};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadAddress;

fn check(addr: u64, len: usize) -> Result<(), BadAddress> {
    let end = addr.checked_add(len as u64).ok_or(BadAddress)?;
    if end > VM_MAX_ADDRESS {
        return Err(BadAddress);
    }
    Ok(())
}

/// The frame behind user page `va` with the access asked for: the pmap's
/// translation when it allows it (the fast path), else the fault handler's.
fn translate(vm: &mut TaskVm, va: u64, write: bool) -> Result<u64, BadAddress> {
    let ok = |t: Option<(u64, bool)>| t.filter(|&(_, w)| w || !write).map(|(pa, _)| pa);
    if let Some(pa) = ok(vm.pmap.extract(va)) {
        return Ok(pa);
    }
    let access: VmProt = if write { VM_PROT_WRITE } else { VM_PROT_READ };
    vm.fault(va, access).map_err(|_| BadAddress)?;
    ok(vm.pmap.extract(va)).ok_or(BadAddress)
}

/// Runs `f(kernel_ptr, n, done)` over each page-sized piece of the user
/// range, after making that page present (and writable if `write`).
fn each_piece(vm: &mut TaskVm, addr: u64, len: usize, write: bool,
              mut f: impl FnMut(*mut u8, usize, usize)) -> Result<(), BadAddress> {
    check(addr, len)?;
    let mut done = 0usize;
    while done < len {
        let va = addr + done as u64;
        let in_page = (va % PAGE_SIZE as u64) as usize;
        let n = (PAGE_SIZE - in_page).min(len - done);
        let pa = translate(vm, va - in_page as u64, write)?;
        f(phys_to_virt(pa + in_page as u64) as *mut u8, n, done);
        done += n;
    }
    Ok(())
}

/// Copies from user memory into `dst`.
pub fn copyin(vm: &mut TaskVm, src: u64, dst: &mut [u8]) -> Result<(), BadAddress> {
    each_piece(vm, src, dst.len(), false, |p, n, done| {
        // SAFETY: p is n bytes of a present user frame, via the physmap.
        let s = unsafe { core::slice::from_raw_parts(p, n) };
        dst[done..done + n].copy_from_slice(s);
    })
}

/// Copies `src` into user memory, which must be mapped writable.
pub fn copyout(vm: &mut TaskVm, src: &[u8], dst: u64) -> Result<(), BadAddress> {
    each_piece(vm, dst, src.len(), true, |p, n, done| {
        // SAFETY: p is n bytes of a present, writable user frame.
        let d = unsafe { core::slice::from_raw_parts_mut(p, n) };
        d.copy_from_slice(&src[done..done + n]);
    })
}
