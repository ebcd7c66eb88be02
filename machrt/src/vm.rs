//! Virtual memory calls on this task, as RPCs to its task port
//! (`mach::defs::vm`). Return codes are kept as Mach returns them.

use crate::rpc::Kernel;
use crate::trap::task_self;
use mach::defs::vm::*;
use mach::kern_return::KERN_SUCCESS;
use mach::vm::{VmInherit, VmProt};
use mach::KernReturn;

fn code<T>(r: Result<T, KernReturn>) -> KernReturn {
    r.map_or_else(|e| e, |_| KERN_SUCCESS)
}

/// vm_allocate on this task: anywhere (at or above `*addr`) or at `*addr`.
pub fn vm_allocate(addr: &mut u64, size: u64, anywhere: bool) -> KernReturn {
    match vm_allocate::call(&Kernel, task_self(), *addr, size, anywhere as u32) {
        Ok(r) => {
            *addr = r.address;
            KERN_SUCCESS
        }
        Err(kr) => kr,
    }
}

pub fn vm_deallocate(addr: u64, size: u64) -> KernReturn {
    code(vm_deallocate::call(&Kernel, task_self(), addr, size))
}

pub fn vm_protect(addr: u64, size: u64, set_maximum: bool, prot: VmProt) -> KernReturn {
    code(vm_protect::call(&Kernel, task_self(), addr, size, set_maximum as u32, prot))
}

pub fn vm_inherit(addr: u64, size: u64, inh: VmInherit) -> KernReturn {
    code(vm_inherit::call(&Kernel, task_self(), addr, size, inh))
}

/// `size` bytes of fresh zero-filled memory anywhere, or the error.
pub fn allocate(size: u64) -> Result<u64, KernReturn> {
    let mut a = 0;
    match vm_allocate(&mut a, size, true) {
        KERN_SUCCESS => Ok(a),
        kr => Err(kr),
    }
}
