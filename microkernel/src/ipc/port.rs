//! Ports: a message queue with one receive right, counted send and
//! send-once rights, and the notification requests registered on it.

use super::kmsg::Kmsg;
use super::pset::PortSet;
use super::right::Right;
use crate::kern::sched::WaitQueue;
use crate::kern::task::Task;
use alloc::collections::VecDeque;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use mach::port::{PortName, MACH_PORT_QLIMIT_DEFAULT};
use spin::{Mutex, MutexGuard};

/// What the kernel does with messages to a port it holds the receive
/// right of. `None`: an ordinary port.
#[derive(Clone)]
pub enum KObject {
    None,
    Task(Weak<Task>),
    Thread(Weak<crate::kern::thread::Thread>),
    /// The host port (host_self): host_info, for every task.
    Host,
    /// The host privileged port (host_priv): also host_reboot, the
    /// console and the boot modules (kern/host_server.rs).
    HostPriv,
    /// The device master port: device_open (device/server.rs).
    DeviceMaster,
    /// A device port: the index of a disk (device/blk.rs).
    Device(u32),
    /// A memory object control port: the pager's calls on its object.
    MemoryControl(Weak<crate::vm::pager::MemoryObject>),
}

impl KObject {
    pub fn is_kernel(&self) -> bool {
        !matches!(self, KObject::None)
    }
}

pub struct PortState {
    /// False once the receive right is destroyed: the port is dead.
    pub active: bool,
    pub kobject: KObject,
    pub messages: VecDeque<Kmsg>,
    pub qlimit: u32,
    /// Send rights in existence: one per space holding any (the space
    /// counts user references itself), one per right in a message.
    pub srights: u32,
    /// Send rights ever made from the receive right (MAKE_SEND).
    pub mscount: u32,
    pub sorights: u32,
    pub seqno: u32,
    /// No-senders request: a send-once right and the make-send count it
    /// waits for.
    pub nsrequest: Right,
    pub nssync: u32,
    /// Port-destroyed request: the receive right goes there instead of dying.
    pub pdrequest: Right,
    /// Dead-name requests: (name in the requesting space, send-once right).
    pub dnrequests: Vec<(PortName, Right)>,
    pub pset: Option<Arc<PortSet>>,
}

pub struct Port {
    pub id: u64,
    state: Mutex<PortState>,
    /// Threads receiving on this port directly.
    pub receivers: WaitQueue,
    /// Threads waiting for room in the queue.
    pub senders: WaitQueue,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl Drop for Port {
    fn drop(&mut self) {
        crate::kern::counts::dec(mach::defs::host::KernelCount::Ports);
    }
}

impl Port {
    /// A new active port with no rights yet (the caller makes the receive
    /// right, or keeps it in the kernel for a kobject).
    pub fn new(kobject: KObject) -> Arc<Port> {
        crate::kern::counts::inc(mach::defs::host::KernelCount::Ports);
        Arc::new(Port {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            state: Mutex::new(PortState {
                active: true,
                kobject,
                messages: VecDeque::new(),
                qlimit: MACH_PORT_QLIMIT_DEFAULT,
                srights: 0,
                mscount: 0,
                sorights: 0,
                seqno: 0,
                nsrequest: Right::Null,
                nssync: 0,
                pdrequest: Right::Null,
                dnrequests: Vec::new(),
                pset: None,
            }),
            receivers: WaitQueue::new(),
            senders: WaitQueue::new(),
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, PortState> {
        self.state.lock()
    }

    pub fn is_active(&self) -> bool {
        self.state.lock().active
    }

    pub fn same(a: &Arc<Port>, b: &Arc<Port>) -> bool {
        Arc::ptr_eq(a, b)
    }

    /// Key of this port in a space's reverse map.
    pub fn key(self: &Arc<Port>) -> usize {
        Arc::as_ptr(self) as usize
    }
}

/// Destroys a port whose receive right is going away (ipc_port_destroy):
/// with a port-destroyed request the right is sent there instead;
/// otherwise queued messages are destroyed, dead-name notifications sent,
/// and every waiter woken to find the port dead.
pub fn destroy(port: Arc<Port>) {
    let pd = {
        let mut s = port.lock();
        if !s.active {
            return;
        }
        core::mem::replace(&mut s.pdrequest, Right::Null)
    };
    if !matches!(pd, Right::Null) {
        super::pset::leave_set(&port);
        super::notify::port_destroyed(pd, Right::Receive(port));
        return;
    }
    let (messages, dn, ns, set) = {
        let mut s = port.lock();
        s.active = false;
        s.kobject = KObject::None;
        (core::mem::take(&mut s.messages), core::mem::take(&mut s.dnrequests),
         core::mem::replace(&mut s.nsrequest, Right::Null), s.pset.take())
    };
    if let Some(set) = set {
        super::pset::remove_member(&set, &port);
    }
    drop(messages);
    drop(ns);
    for (name, so) in dn {
        super::notify::dead_name(so, name);
    }
    port.receivers.wake_all();
    port.senders.wake_all();
}
