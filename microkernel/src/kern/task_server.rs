//! The task port's server: the mach_port operations on the task's name
//! space, the task routines (create, terminate, threads, info, suspend,
//! resume, special ports, thread_create, the emulation vector), and the VM
//! routines on its address space. Each arm parses the routine's request
//! struct, calls the kernel function, and builds the routine's reply.

use super::emulation::EmulationVector;
use super::task::{Task, TaskExit};
use crate::ipc::kmsg::Kmsg;
use crate::ipc::kobject::{parse_request, error_reply, reply, result, take_ool, take_port};
use crate::ipc::mach_port as ops;
use crate::ipc::ool;
use crate::ipc::right::Right;
use alloc::sync::Arc;
use core::mem::offset_of;
use mach::defs::mach_port::*;
use mach::defs::task::*;
use mach::defs::vm::*;
use mach::kern_return::*;
use mach::message::{MsgHeader, OolDescriptor};
use mach::port::*;

fn code(kr: KernReturn) -> Result<(), KernReturn> {
    if kr == KERN_SUCCESS { Ok(()) } else { Err(kr) }
}

pub fn serve(task: &Arc<Task>, req: &mut Kmsg) -> Kmsg {
    let id = req.header.id;
    if (3200..3300).contains(&id) {
        port_routine(task, req)
    } else if (3400..3500).contains(&id) {
        task_routine(task, req)
    } else if (3800..3900).contains(&id) {
        vm_routine(task, req)
    } else {
        error_reply(&req.header, MIG_BAD_ID)
    }
}

fn port_routine(task: &Arc<Task>, req: &mut Kmsg) -> Kmsg {
    let h = req.header;
    let space = &task.space;
    match h.id {
        mach_port_allocate::ID => {
            let a = parse_request!(mach_port_allocate, req);
            let (kr, name) = ops::allocate(space, a.right);
            result(&h, code(kr).map(|_| mach_port_allocate::Reply::new(&h, name)))
        }
        mach_port_destroy::ID => {
            let a = parse_request!(mach_port_destroy, req);
            result(&h, code(ops::destroy(space, a.name)).map(|_| mach_port_destroy::Reply::new(&h)))
        }
        mach_port_deallocate::ID => {
            let a = parse_request!(mach_port_deallocate, req);
            result(&h, code(ops::deallocate(space, a.name)).map(|_| mach_port_deallocate::Reply::new(&h)))
        }
        mach_port_get_refs::ID => {
            let a = parse_request!(mach_port_get_refs, req);
            let (kr, refs) = ops::get_refs(space, a.name, a.right);
            result(&h, code(kr).map(|_| mach_port_get_refs::Reply::new(&h, refs)))
        }
        mach_port_mod_refs::ID => {
            let a = parse_request!(mach_port_mod_refs, req);
            let kr = ops::mod_refs(space, a.name, a.right, a.delta);
            result(&h, code(kr).map(|_| mach_port_mod_refs::Reply::new(&h)))
        }
        mach_port_move_member::ID => {
            let a = parse_request!(mach_port_move_member, req);
            let kr = ops::move_member(space, a.member, a.after);
            result(&h, code(kr).map(|_| mach_port_move_member::Reply::new(&h)))
        }
        mach_port_insert_right::ID => {
            let a = parse_request!(mach_port_insert_right, req);
            let r = take_port(req, offset_of!(mach_port_insert_right::Request, poly));
            let kr = ops::insert_right(space, a.name, r);
            result(&h, code(kr).map(|_| mach_port_insert_right::Reply::new(&h)))
        }
        mach_port_extract_right::ID => {
            let a = parse_request!(mach_port_extract_right, req);
            let (kr, r) = ops::extract_right(space, a.name, a.disposition);
            if kr != KERN_SUCCESS {
                return error_reply(&h, kr);
            }
            port_reply(mach_port_extract_right::Reply::new(&h, MACH_PORT_NULL),
                       offset_of!(mach_port_extract_right::Reply, poly), r)
        }
        mach_port_request_notification::ID => {
            let a = parse_request!(mach_port_request_notification, req);
            let n = take_port(req, offset_of!(mach_port_request_notification::Request, notify));
            let (kr, prev) = ops::request_notification(space, a.name, a.variant, a.sync, n);
            if kr != KERN_SUCCESS {
                return error_reply(&h, kr);
            }
            port_reply(mach_port_request_notification::Reply::new(&h, MACH_PORT_NULL),
                       offset_of!(mach_port_request_notification::Reply, previous), prev)
        }
        mach_port_get_attributes::ID => {
            let a = parse_request!(mach_port_get_attributes, req);
            let mut info = [0; PORT_INFO_WORDS];
            let (kr, count) = ops::get_attributes(space, a.name, a.flavor, &mut info);
            result(&h, code(kr).map(|_| mach_port_get_attributes::Reply::new(&h, count, info)))
        }
        mach_port_set_attributes::ID => {
            let a = parse_request!(mach_port_set_attributes, req);
            let kr = ops::set_attributes(space, a.name, a.flavor, &{ a.info });
            result(&h, code(kr).map(|_| mach_port_set_attributes::Reply::new(&h)))
        }
        _ => error_reply(&h, MIG_BAD_ID),
    }
}

/// A reply carrying one right in the descriptor at `off` (the descriptor's
/// disposition says what the right is; Null arrives as MACH_PORT_NULL).
fn port_reply<T: mach::pod::Pod>(r: T, off: usize, right: Right) -> Kmsg {
    reply(&r).with_port(off, right)
}

fn task_routine(task: &Arc<Task>, req: &mut Kmsg) -> Kmsg {
    let h = req.header;
    match h.id {
        task_create::ID => {
            let a = parse_request!(task_create, req);
            match task.create_child(a.inherit_memory != 0) {
                Ok(child) => port_reply(task_create::Reply::new(&h, MACH_PORT_NULL),
                                        offset_of!(task_create::Reply, child), Right::make_send(&child.itk_self)),
                Err(kr) => error_reply(&h, kr),
            }
        }
        task_terminate::ID => {
            parse_request!(task_terminate, req);
            task.terminate(TaskExit::Terminated);
            reply(&task_terminate::Reply::new(&h))
        }
        task_threads::ID => {
            parse_request!(task_threads, req);
            threads_reply(task, &h)
        }
        task_info::ID => {
            parse_request!(task_info, req);
            reply(&task_info::Reply::new(&h, task.basic_info()))
        }
        task_suspend::ID => {
            parse_request!(task_suspend, req);
            task.suspend();
            reply(&task_suspend::Reply::new(&h))
        }
        task_resume::ID => {
            parse_request!(task_resume, req);
            result(&h, task.resume().map(|_| task_resume::Reply::new(&h)))
        }
        task_get_special_port::ID => {
            let a = parse_request!(task_get_special_port, req);
            match special_port(task, a.which) {
                Ok(r) => port_reply(task_get_special_port::Reply::new(&h, MACH_PORT_NULL),
                                    offset_of!(task_get_special_port::Reply, port), r),
                Err(kr) => error_reply(&h, kr),
            }
        }
        task_set_special_port::ID => {
            let a = parse_request!(task_set_special_port, req);
            let r = take_port(req, offset_of!(task_set_special_port::Request, port));
            result(&h, set_special_port(task, a.which, r).map(|_| task_set_special_port::Reply::new(&h)))
        }
        thread_create::ID => {
            parse_request!(thread_create, req);
            match task.create_thread() {
                Some(t) => port_reply(thread_create::Reply::new(&h, MACH_PORT_NULL),
                                      offset_of!(thread_create::Reply, thread), Right::make_send(&t.port())),
                None => error_reply(&h, KERN_RESOURCE_SHORTAGE),
            }
        }
        task_set_emulation::ID => {
            let a = parse_request!(task_set_emulation, req);
            let v = EmulationVector::new(a.entry, a.first, a.last);
            result(&h, v.map(|v| {
                task.set_emulation(v);
                task_set_emulation::Reply::new(&h)
            }))
        }
        _ => error_reply(&h, MIG_BAD_ID),
    }
}

fn threads_reply(task: &Arc<Task>, h: &MsgHeader) -> Kmsg {
    let threads = task.thread_list();
    let mut k = reply(&task_threads::Reply::new(h, 0, 0, 0, 0, 0, 0, 0, 0, threads.len() as u32));
    let offs = [
        offset_of!(task_threads::Reply, t0), offset_of!(task_threads::Reply, t1),
        offset_of!(task_threads::Reply, t2), offset_of!(task_threads::Reply, t3),
        offset_of!(task_threads::Reply, t4), offset_of!(task_threads::Reply, t5),
        offset_of!(task_threads::Reply, t6), offset_of!(task_threads::Reply, t7),
    ];
    for (i, off) in offs.into_iter().enumerate() {
        let r = threads.get(i).map_or(Right::Null, |t| Right::make_send(&t.port()));
        k = k.with_port(off, r);
    }
    k
}

/// A task's special port. TASK_HOST_PORT is host_priv for a privileged
/// task and host_self for the others; the device master port is only a
/// privileged task's (KERN_NO_ACCESS for the others: a UNIX process
/// reaches the disk through the server's files, never by records).
fn special_port(task: &Arc<Task>, which: u32) -> Result<Right, KernReturn> {
    match which {
        TASK_KERNEL_PORT => Ok(Right::make_send(&task.itk_self)),
        TASK_HOST_PORT => Ok(task.host_port()),
        mach::defs::device::TASK_DEVICE_MASTER_PORT if task.privileged() =>
            Ok(Right::make_send(crate::device::server::master_port())),
        mach::defs::device::TASK_DEVICE_MASTER_PORT => Err(KERN_NO_ACCESS),
        TASK_BOOTSTRAP_PORT => Ok(task.itk_bootstrap.lock().copy()),
        TASK_EXCEPTION_PORT => Ok(task.itk_exception.lock().copy()),
        _ => Err(KERN_INVALID_ARGUMENT),
    }
}

fn set_special_port(task: &Arc<Task>, which: u32, r: Right) -> Result<(), KernReturn> {
    if !matches!(r, Right::Send(_) | Right::Null | Right::Dead) {
        return Err(KERN_INVALID_RIGHT);
    }
    if which == TASK_HOST_PORT {
        return set_host_port(task, r);
    }
    let slot = match which {
        TASK_BOOTSTRAP_PORT => &task.itk_bootstrap,
        TASK_EXCEPTION_PORT => &task.itk_exception,
        _ => return Err(KERN_INVALID_ARGUMENT),
    };
    let old = core::mem::replace(&mut *slot.lock(), r);
    drop(old);
    Ok(())
}

/// TASK_HOST_PORT: host_priv makes the task privileged (so only a holder
/// of host_priv can grant the privilege: a test task to its children),
/// host_self takes the privilege away; anything else is refused.
fn set_host_port(task: &Arc<Task>, r: Right) -> Result<(), KernReturn> {
    let Right::Send(p) = &r else { return Err(KERN_INVALID_ARGUMENT) };
    if Arc::ptr_eq(p, super::host_server::host_priv_port()) {
        task.set_privileged(true);
    } else if Arc::ptr_eq(p, crate::ipc::host_port()) {
        task.set_privileged(false);
    } else {
        return Err(KERN_INVALID_ARGUMENT);
    }
    drop(r);
    Ok(())
}

fn vm_routine(task: &Arc<Task>, req: &mut Kmsg) -> Kmsg {
    let h = req.header;
    match h.id {
        vm_allocate::ID => {
            let a = parse_request!(vm_allocate, req);
            let mut at = a.address;
            let kr = task.vm.lock().allocate(&mut at, a.size, a.anywhere != 0);
            result(&h, code(kr).map(|_| vm_allocate::Reply::new(&h, at)))
        }
        vm_deallocate::ID => {
            let a = parse_request!(vm_deallocate, req);
            let kr = task.vm.lock().deallocate(a.address, a.size);
            result(&h, code(kr).map(|_| vm_deallocate::Reply::new(&h)))
        }
        vm_protect::ID => {
            let a = parse_request!(vm_protect, req);
            let kr = task.vm.lock().protect(a.address, a.size, a.set_maximum != 0, a.protection);
            result(&h, code(kr).map(|_| vm_protect::Reply::new(&h)))
        }
        vm_inherit::ID => {
            let a = parse_request!(vm_inherit, req);
            let kr = task.vm.lock().inherit(a.address, a.size, a.inheritance);
            result(&h, code(kr).map(|_| vm_inherit::Reply::new(&h)))
        }
        vm_region::ID => {
            let a = parse_request!(vm_region, req);
            let r = crate::vm::user::vm_region(&task.vm.lock().map, a.address);
            result(&h, r.map(|i| vm_region::Reply::new(&h, RegionInfo {
                address: i.start,
                size: i.size,
                protection: i.protection,
                max_protection: i.max_protection,
                inheritance: i.inheritance,
                shared: i.shared as u32,
                offset: i.offset,
            })))
        }
        vm_read::ID => {
            let a = parse_request!(vm_read, req);
            let region = ool::read_region(&mut task.vm.lock(), a.address, a.size);
            match region {
                Ok(region) => {
                    let r = vm_read::Reply::new(&h, OolDescriptor::new(0, a.size as u32, false));
                    reply(&r).with_ool(offset_of!(vm_read::Reply, data), region)
                }
                Err(kr) => error_reply(&h, kr),
            }
        }
        vm_write::ID => {
            let a = parse_request!(vm_write, req);
            let kr = match take_ool(req, offset_of!(vm_write::Request, data)) {
                Some(region) => ool::write_region(&mut task.vm.lock(), a.address, region),
                None => KERN_INVALID_ARGUMENT,
            };
            result(&h, code(kr).map(|_| vm_write::Reply::new(&h)))
        }
        vm_map::ID => crate::vm::pager::vm_map_server(task, req),
        vm_copy::ID => {
            let a = parse_request!(vm_copy, req);
            let kr = {
                let mut guard = task.vm.lock();
                let vm = &mut *guard;
                crate::vm::copy::vm_copy(&mut vm.map, &mut vm.pmap, a.source, a.size, a.dest)
            };
            result(&h, code(kr).map(|_| vm_copy::Reply::new(&h)))
        }
        _ => error_reply(&h, MIG_BAD_ID),
    }
}
