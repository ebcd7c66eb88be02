//! The host ports' server. Two ports, as in Mach 3: the host port
//! (host_self) serves host_info to anyone; the host privileged port
//! (host_priv) serves that and the privileged routines too: host_reboot
//! (power off with a status), the console (write, and a read that parks
//! its caller until input or its receive timeout) and the boot modules.
//! A privileged routine on host_self gets KERN_INVALID_HOST. Only the boot
//! tasks hold host_priv (kern/task.rs, `Task::privileged`).

use crate::ipc::kmsg::Kmsg;
use crate::ipc::port::{KObject, Port};
use alloc::sync::Arc;
use crate::ipc::kobject::{parse_request, error_reply, reply};
use mach::defs::host::*;
use mach::kern_return::*;

static HOST_PRIV: spin::Once<Arc<Port>> = spin::Once::new();

/// The host privileged port, made once.
pub fn host_priv_port() -> &'static Arc<Port> {
    HOST_PRIV.call_once(|| Port::new(KObject::HostPriv))
}

/// Serves a request on host_self (`privileged` false) or host_priv.
pub fn serve(req: &mut Kmsg, privileged: bool) -> Kmsg {
    let h = req.header;
    if h.id == host_info::ID {
        parse_request!(host_info, req);
        return reply(&host_info::Reply::new(&h, info()));
    }
    if !privileged {
        return match h.id {
            host_reboot::ID | host_console_write::ID | host_console_read::ID | host_get_boot_module::ID
            | host_set_default_memory_manager::ID =>
                error_reply(&h, KERN_INVALID_HOST),
            _ => error_reply(&h, MIG_BAD_ID),
        };
    }
    match h.id {
        host_reboot::ID => {
            let a = parse_request!(host_reboot, req);
            if a.options & HOST_REBOOT_HALT == 0 {
                return error_reply(&h, KERN_INVALID_ARGUMENT);
            }
            crate::kinfo!("host_reboot: powering off with status {}", a.status as u8);
            crate::arch::power::poweroff(a.status as u8)
        }
        host_console_write::ID => {
            let a = parse_request!(host_console_write, req);
            let data = a.data;
            let n = (a.len as usize).min(data.len());
            crate::device::cons::write_bytes(&data[..n]);
            reply(&host_console_write::Reply::new(&h))
        }
        host_console_read::ID => {
            let a = parse_request!(host_console_read, req);
            let mut data = [0u8; 256];
            let max = (a.max as usize).min(data.len());
            // The caller's receive timeout bounds the wait (ipc/msg.rs
            // passes it down as the thread's RPC deadline).
            let deadline = crate::kern::sched::current_ref().rpc_deadline();
            match crate::device::cons::read(&mut data[..max], deadline) {
                Ok(n) => reply(&host_console_read::Reply::new(&h, n as u32, data)),
                Err(kr) => error_reply(&h, kr),
            }
        }
        host_get_boot_module::ID => {
            let a = parse_request!(host_get_boot_module, req);
            boot_module(&h, a.index)
        }
        host_kernel_counts::ID => {
            parse_request!(host_kernel_counts, req);
            reply(&host_kernel_counts::Reply::new(&h, KERNEL_COUNTS as u32, kernel_counts()))
        }
        host_set_default_memory_manager::ID => {
            parse_request!(host_set_default_memory_manager, req);
            let manager = crate::ipc::kobject::take_port(req, core::mem::offset_of!(host_set_default_memory_manager::Request, manager));
            let Some(task) = crate::kern::sched::current().task.clone() else { return error_reply(&h, KERN_INVALID_TASK) };
            match crate::vm::default_pager::register(&task, manager) {
                KERN_SUCCESS => reply(&host_set_default_memory_manager::Reply::new(&h)),
                kr => error_reply(&h, kr),
            }
        }
        _ => error_reply(&h, MIG_BAD_ID),
    }
}

/// The counts of kern/counts.rs, with the VM's own count of its objects.
fn kernel_counts() -> [u64; 16] {
    let c = super::counts::snapshot();
    let mut out = [0u64; 16];
    for (o, v) in out.iter_mut().zip(c) {
        *o = v as u64;
    }
    out[KernelCount::VmObjects as usize] = crate::vm::object::live_objects();
    out
}

fn boot_module(h: &mach::message::MsgHeader, index: u32) -> Kmsg {
    let mods = super::bootstrap::modules();
    let Some(m) = mods.get(index as usize) else { return error_reply(h, KERN_INVALID_ARGUMENT) };
    let bytes = super::bootstrap::module_bytes(m);
    let Some(region) = crate::ipc::ool::bytes_region(bytes) else {
        return error_reply(h, KERN_RESOURCE_SHORTAGE);
    };
    let mut name = [0u8; BOOT_MODULE_NAME_MAX];
    let n = m.line.len().min(BOOT_MODULE_NAME_MAX);
    name[..n].copy_from_slice(&m.line.as_bytes()[..n]);
    let r = host_get_boot_module::Reply::new(
        h, mach::message::OolDescriptor::new(0, bytes.len() as u32, false), mods.len() as u32, n as u32, name);
    reply(&r).with_ool(core::mem::offset_of!(host_get_boot_module::Reply, data), region)
}

fn info() -> HostBasicInfo {
    HostBasicInfo {
        max_cpus: crate::arch::cpu::MAX_CPUS as u32,
        avail_cpus: 1,
        memory_size: crate::vm::resident::total_bytes(),
        free_pages: crate::vm::resident::free_count() as u64,
        page_size: mach::vm::PAGE_SIZE as u32,
        hz: crate::arch::timer::HZ as u32,
        ticks: super::clock::ticks(),
        tsc_hz: super::clock::fine_clock().0,
        boot_tsc: super::clock::fine_clock().1,
        boot_unix_sec: super::clock::fine_clock().2,
    }
}
