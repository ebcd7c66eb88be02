//! The mach_msg trap: send, receive, or send then receive (RPC) in one call,
//! with Mach 3's arguments: (msg, option, send_size, rcv_size, rcv_name,
//! timeout in ms). Validation happens before anything is taken from the
//! sender, so a send that fails leaves the sender's rights as they were.

use super::kmsg::Kmsg;
use super::mqueue::{self, Received, Source, Wait};
use super::ool;
use super::right::{is_port_disposition, is_send_disposition, Right};
use super::space::Object;
use crate::kern::task::TaskVm;
use crate::arch::usercopy::{copyin, copyout};
use crate::kern::task::Task;
use crate::kern::{clock, sched};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use mach::kern_return::*;
use mach::message::*;
use mach::pod;
use mach::port::*;
use mach::vm::PAGE_SIZE;

/// The trap, for the running thread's task.
#[inline]
pub fn mach_msg_trap(addr: u64, option: u64, send_size: u64, rcv_size: u64, rcv_name: u64, timeout: u64) -> KernReturn {
    let option = option as MsgOption;
    if let Some(kr) = super::fastpath::mach_msg(addr, option, send_size, rcv_size, rcv_name as PortName) {
        return kr;
    }
    general(addr, option, send_size, rcv_size, rcv_name, timeout)
}

/// The general path, out of line so that the fast path's callers do not
/// pay for its stack frame (saved registers, a large frame) on every call.
#[inline(never)]
fn general(addr: u64, option: MsgOption, send_size: u64, rcv_size: u64, rcv_name: u64, timeout: u64) -> KernReturn {
    let Some(task) = sched::current_ref().task.clone() else {
        return KERN_INVALID_TASK;
    };
    let timeout = timeout as MsgTimeout;
    // The receive's deadline as the send starts: a kernel object that
    // serves the request in this thread and parks (host_console_read)
    // waits no longer than the caller would wait for its reply.
    let rcv_wait = wait_of(option & MACH_RCV_TIMEOUT != 0, timeout);
    if option & MACH_SEND_MSG != 0 {
        let me = sched::current_ref();
        let rpc = option & MACH_RCV_MSG != 0;
        me.set_rpc_deadline(match rcv_wait {
            Wait::Until(d) if rpc => Some(d),
            Wait::Poll if rpc => Some(clock::ticks()),
            _ => None,
        });
        let kr = send(&task, addr, send_size, wait_of(option & MACH_SEND_TIMEOUT != 0, timeout));
        me.set_rpc_deadline(None);
        if kr != KERN_SUCCESS {
            return kr;
        }
    }
    if option & MACH_RCV_MSG != 0 {
        // Counted from now, as before: each phase has its own timeout.
        let wait = wait_of(option & MACH_RCV_TIMEOUT != 0, timeout);
        return receive(&task, addr, rcv_size, rcv_name as PortName, option & MACH_RCV_LARGE != 0, wait);
    }
    KERN_SUCCESS
}

fn wait_of(timed: bool, ms: MsgTimeout) -> Wait {
    match (timed, ms) {
        (false, _) => Wait::Forever,
        (true, 0) => Wait::Poll,
        (true, ms) => Wait::Until(clock::deadline_after_ms(ms as u64)),
    }
}

/// A descriptor of the message being sent, validated.
enum Desc {
    Port { off: usize, name: PortName, disp: MsgTypeName },
    Ool { off: usize, addr: u64, size: u64, dealloc: bool },
}

fn send(task: &Arc<Task>, addr: u64, size: u64, wait: Wait) -> KernReturn {
    if size < MSG_HEADER_SIZE as u64 || size % 4 != 0 {
        return MACH_SEND_MSG_TOO_SMALL;
    }
    if size > MACH_MSG_SIZE_MAX as u64 {
        return MACH_SEND_TOO_LARGE;
    }
    // The kmsg and whatever the message asks the kernel to create (a port,
    // a map entry, a VM object) come from the kernel heap: admitted first.
    if crate::kern::kalloc::admit(size as usize + 4096).is_err() {
        return MACH_SEND_NO_BUFFER;
    }
    let mut data = vec![0u8; size as usize];
    if copyin(&mut task.vm.lock(), addr, &mut data).is_err() {
        return MACH_SEND_INVALID_DATA;
    }
    let mut header: MsgHeader = pod::read(&data, 0).expect("size checked");
    header.size = size as u32;
    if let Err(kr) = check_header(&header) {
        return kr;
    }
    let descs = match parse_descriptors(&header, &data) {
        Ok(d) => d,
        Err(kr) => return kr,
    };
    let port = {
        let mut sp = task.space.lock();
        match sp.get(header.remote_port) {
            Some(e) if e.bits & MACH_PORT_TYPE_DEAD_NAME == 0 => match e.object {
                Object::Port(p) => p,
                _ => return MACH_SEND_INVALID_DEST,
            },
            _ => return MACH_SEND_INVALID_DEST,
        }
    };
    let rd = msgh_bits_remote(header.bits);
    let send_once = rd == MACH_MSG_TYPE_MOVE_SEND_ONCE || rd == MACH_MSG_TYPE_MAKE_SEND_ONCE;
    let kr = mqueue::wait_for_room(&port, send_once, wait);
    if kr != KERN_SUCCESS {
        return kr;
    }
    match copyin_message(task, header, data, &descs) {
        Ok(k) => mqueue::deliver(k),
        Err(kr) => kr,
    }
}

fn check_header(h: &MsgHeader) -> Result<(), KernReturn> {
    if h.bits & !MACH_MSGH_BITS_USER != 0 {
        return Err(MACH_SEND_INVALID_HEADER);
    }
    if !is_send_disposition(msgh_bits_remote(h.bits)) {
        return Err(MACH_SEND_INVALID_HEADER);
    }
    match msgh_bits_local(h.bits) {
        0 if h.local_port == MACH_PORT_NULL => Ok(()),
        d if d != 0 && is_send_disposition(d) => Ok(()),
        _ => Err(MACH_SEND_INVALID_HEADER),
    }
}

fn parse_descriptors(h: &MsgHeader, data: &[u8]) -> Result<Vec<Desc>, KernReturn> {
    if h.bits & MACH_MSGH_BITS_COMPLEX == 0 {
        return Ok(Vec::new());
    }
    let body: MsgBody = pod::read(data, MSG_HEADER_SIZE).ok_or(MACH_SEND_MSG_TOO_SMALL)?;
    let count = body.descriptor_count as usize;
    let end = count.checked_mul(MSG_DESCRIPTOR_SIZE).and_then(|n| n.checked_add(MSG_DESCRIPTORS_OFFSET));
    if end.is_none_or(|e| e > data.len()) {
        return Err(MACH_SEND_MSG_TOO_SMALL);
    }
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let off = MSG_DESCRIPTORS_OFFSET + i * MSG_DESCRIPTOR_SIZE;
        match data[off + MSG_DESCRIPTOR_SIZE - 1] {
            MACH_MSG_PORT_DESCRIPTOR => {
                let d: PortDescriptor = pod::read(data, off).unwrap();
                let disp = d.disposition as MsgTypeName;
                if !is_port_disposition(disp) {
                    return Err(MACH_SEND_INVALID_TYPE);
                }
                out.push(Desc::Port { off, name: d.name, disp });
            }
            MACH_MSG_OOL_DESCRIPTOR => {
                let d: OolDescriptor = pod::read(data, off).unwrap();
                out.push(Desc::Ool { off, addr: d.address, size: d.size as u64, dealloc: d.deallocate != 0 });
            }
            _ => return Err(MACH_SEND_INVALID_TYPE),
        }
    }
    Ok(out)
}

/// Takes the message's memory and rights from the sender: all of it, or
/// (on an error) nothing.
fn copyin_message(task: &Arc<Task>, header: MsgHeader, data: Vec<u8>, descs: &[Desc]) -> Result<Kmsg, KernReturn> {
    // Reading the sender's memory changes nothing, so it comes first.
    let mut regions = Vec::new();
    {
        let mut vm = task.vm.lock();
        for d in descs {
            if let Desc::Ool { off, addr, size, .. } = *d {
                regions.push((off, ool::copy_in_region(&mut vm, addr, size)?));
            }
        }
    }
    let rd = msgh_bits_remote(header.bits);
    let ld = msgh_bits_local(header.bits);
    let header_ops = [(header.remote_port, rd), (header.local_port, ld)];
    // Only messages with port descriptors need a Vec of operations.
    let mut all_ops = Vec::new();
    for d in descs {
        if let Desc::Port { name, disp, .. } = *d {
            // A receive right sent to its own port would never be received.
            if disp == MACH_MSG_TYPE_MOVE_RECEIVE && name == header.remote_port {
                return Err(MACH_SEND_INVALID_RIGHT);
            }
            if all_ops.is_empty() {
                all_ops.extend_from_slice(&header_ops);
            }
            all_ops.push((name, disp));
        }
    }
    let ops: &[(PortName, MsgTypeName)] = if all_ops.is_empty() { &header_ops } else { &all_ops };
    let (dest, reply, ports) = {
        let mut sp = task.space.lock();
        sp.check_copyin(ops).map_err(|i| match i {
            0 => MACH_SEND_INVALID_DEST,
            1 => MACH_SEND_INVALID_REPLY,
            _ => MACH_SEND_INVALID_RIGHT,
        })?;
        let dest = sp.copyin(ops[0].0, ops[0].1).map_err(|_| MACH_SEND_INVALID_DEST)?;
        let reply = if ld == 0 { Right::Null } else { sp.copyin(ops[1].0, ld).map_err(|_| MACH_SEND_INVALID_REPLY)? };
        let mut ports = Vec::new();
        let offs = descs.iter().filter_map(|d| match d { Desc::Port { off, .. } => Some(*off), _ => None });
        for (off, &(name, disp)) in offs.zip(&ops[2..]) {
            ports.push((off, sp.copyin(name, disp).map_err(|_| MACH_SEND_INVALID_RIGHT)?));
        }
        (dest, reply, ports)
    };
    if matches!(dest, Right::Dead | Right::Null) {
        return Err(MACH_SEND_INVALID_DEST);
    }
    let mut vm = task.vm.lock();
    for d in descs {
        if let Desc::Ool { addr, size, dealloc: true, .. } = *d {
            ool::deallocate_region(&mut vm, addr, size);
        }
    }
    Ok(Kmsg { header, data, dest, reply, ports, ool: regions })
}

/// True when [addr, addr+len) is mapped writable. The map decides, not
/// the pmap: memory may be mapped but not yet touched.
fn user_writable(vm: &TaskVm, addr: u64, len: u64) -> bool {
    let Some(end) = addr.checked_add(len) else { return false };
    let mut va = addr & !(PAGE_SIZE as u64 - 1);
    while va < end {
        if !vm.map.lookup(va).is_some_and(|e| e.protection & mach::vm::VM_PROT_WRITE != 0) {
            return false;
        }
        va += PAGE_SIZE as u64;
    }
    true
}

fn receive_source(task: &Task, name: PortName) -> Result<Source, KernReturn> {
    let mut sp = task.space.lock();
    let e = sp.get(name).ok_or(MACH_RCV_INVALID_NAME)?;
    match e.object {
        Object::Port(p) if e.bits & MACH_PORT_TYPE_RECEIVE != 0 => {
            if p.lock().pset.is_some() {
                return Err(MACH_RCV_IN_SET);
            }
            Ok(Source::Port(p))
        }
        Object::Set(s) => Ok(Source::Set(s)),
        _ => Err(MACH_RCV_INVALID_NAME),
    }
}

pub(super) fn receive(task: &Arc<Task>, addr: u64, rcv_size: u64, name: PortName, large: bool, wait: Wait) -> KernReturn {
    if !user_writable(&task.vm.lock(), addr, MSG_HEADER_SIZE as u64) {
        return MACH_RCV_INVALID_DATA;
    }
    let src = match receive_source(task, name) {
        Ok(s) => s,
        Err(kr) => return kr,
    };
    let max = rcv_size.min(u32::MAX as u64) as usize;
    match mqueue::receive(&src, addr, max, large, wait) {
        Err(kr) => kr,
        Ok(Received::Delivered) => KERN_SUCCESS,
        Ok(Received::TooLarge(size, k)) => {
            // The size the message needs goes in the buffer's header.
            let _ = copyout(&mut task.vm.lock(), &(size as u32).to_ne_bytes(), addr + 4);
            drop(k);
            MACH_RCV_TOO_LARGE
        }
        Ok(Received::Message(k)) => copyout_message(task, k, addr),
    }
}

/// Puts a message in the receiver: rights into its space, regions into its
/// address space, then the bytes into its buffer.
fn copyout_message(task: &Arc<Task>, k: Kmsg, addr: u64) -> KernReturn {
    let Kmsg { mut header, mut data, dest, reply, ports, ool: regions } = k;
    let dest_type = if matches!(dest, Right::SendOnce(_)) { MACH_MSG_TYPE_PORT_SEND_ONCE } else { MACH_MSG_TYPE_PORT_SEND };
    let port = dest.port().cloned();
    dest.consume();
    let reply_type = if reply.is_null() { 0 } else { reply.msgt_name() };
    // Rights the space could not hold, dropped once it is unlocked (a Vec
    // only for descriptors' rights).
    let mut leftovers = Vec::new();
    let (local, remote, reply_extra) = {
        let mut sp = task.space.lock();
        let local = port.as_ref().and_then(|p| sp.name_of(p)).unwrap_or(MACH_PORT_NULL);
        let (remote, reply_extra) = sp.copyout(reply);
        for (off, r) in ports {
            let t = r.msgt_name();
            let (name, extra) = sp.copyout(r);
            leftovers.push(extra);
            let d = PortDescriptor::new(name, t);
            pod::write(&mut data, off, &d);
        }
        (local, remote, reply_extra)
    };
    drop(reply_extra);
    drop(leftovers);
    let mut kr = KERN_SUCCESS;
    if !regions.is_empty() {
        let mut vm = task.vm.lock();
        for (off, region) in regions {
            let size = region.size as u32;
            let at = ool::copy_out_region(&mut vm, region).unwrap_or_else(|e| {
                kr = e;
                0
            });
            let d = OolDescriptor::new(at, size, false);
            pod::write(&mut data, off, &d);
        }
    }
    header.bits = msgh_bits(reply_type, dest_type) | (header.bits & MACH_MSGH_BITS_COMPLEX);
    header.remote_port = remote;
    header.local_port = local;
    header.reserved = 0;
    header.size = data.len() as u32;
    pod::write(&mut data, 0, &header);
    if copyout(&mut task.vm.lock(), &data, addr).is_err() {
        return MACH_RCV_INVALID_DATA;
    }
    kr
}
