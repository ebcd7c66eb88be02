//! The default memory manager (Mach's default pager): a user task,
//! trusted like the kernel, that keeps the anonymous pages pageout evicts
//! once the compressed store (vm/pageout.rs) is full or a page does not
//! compress. It registers with host_set_default_memory_manager; from then
//! on the first page of an anonymous object that must leave memory makes
//! a memory object port for the object, whose receive right goes to the
//! manager in memory_object_create, followed by memory_object_init. Pages
//! go out by memory_object_data_write and come back by data_request /
//! data_provided, as with any pager; terminate frees the object's slots.
//!
//! The object stays anonymous (no `pager`): copy-on-write copies shadow it
//! as any anonymous object, so a fork sees the pages that are out (a fault
//! through the shadow asks the backing object's default pager), and
//! collapse leaves alone an object with pages out.
//!
//! The manager's own memory is never sent to it (its map is not
//! `swappable`), and it is a pager task: it may take frames from the
//! reserve, since memory comes back only when it runs.

use super::object::VmObject;
use super::pager::MemoryObject;
use crate::ipc::kmsg::Kmsg;
use crate::ipc::mqueue;
use crate::ipc::port::{KObject, Port};
use crate::ipc::right::Right;
use crate::kern::task::Task;
use alloc::sync::Arc;
use core::mem::offset_of;
use mach::defs::memory_object::memory_object_create;
use mach::kern_return::*;
use spin::Mutex;

/// The manager's port (a send right), once registered.
static MANAGER: Mutex<Option<Right>> = Mutex::new(None);

pub fn registered() -> bool {
    MANAGER.lock().is_some()
}

/// host_set_default_memory_manager from `task`: `manager` is its port.
pub fn register(task: &Arc<Task>, manager: Right) -> KernReturn {
    if !matches!(manager, Right::Send(_)) {
        return KERN_INVALID_ARGUMENT;
    }
    let mut m = MANAGER.lock();
    if m.is_some() {
        return KERN_INVALID_ARGUMENT;
    }
    *m = Some(manager);
    drop(m);
    // Its own memory must never wait on itself: what it touched before
    // this call included.
    let mut vm = task.vm.lock();
    vm.map.swappable = false;
    for e in vm.map.entries() {
        if let Some(o) = &e.object {
            o.pin_chain();
        }
    }
    drop(vm);
    super::pager::add_pager_task(task.id);
    crate::kinfo!("default pager: task {} ({})", task.id, task.name);
    KERN_SUCCESS
}

/// Gives the anonymous object `o` a memory object with the default pager
/// (memory_object_create, then init). Called without `o` locked; nothing
/// happens if the manager is gone or the message cannot go.
pub fn attach(o: &Arc<VmObject>) {
    let dest = match &*MANAGER.lock() {
        Some(Right::Send(p)) => Right::copy_send(p),
        _ => return,
    };
    let port = Port::new(KObject::None);
    let size = o.size();
    let bytes = memory_object_create::Request::new(0, 0, size);
    let mut header: mach::message::MsgHeader = mach::pod::read(bytes.bytes(), 0).expect("a header");
    header.size = bytes.bytes().len() as u32;
    let k = Kmsg { header, data: bytes.bytes().to_vec(), dest, reply: Right::Null,
                   ports: alloc::vec::Vec::new(), ool: alloc::vec::Vec::new() }
        .with_port(offset_of!(memory_object_create::Request, object), Right::Receive(port.clone()));
    if mqueue::deliver(k) != KERN_SUCCESS {
        crate::kwarn!("default pager: memory_object_create could not be sent; it is forgotten");
        *MANAGER.lock() = None;
        return;
    }
    crate::kdebug!("default pager: object {} gets memory object {}", o.id, port.id);
    let mo = MemoryObject::for_default_pager(&port, o);
    let mut g = o.lock();
    if g.dpager.is_none() {
        g.dpager = Some(mo);
    }
}
