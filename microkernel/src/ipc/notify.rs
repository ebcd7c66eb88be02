//! Notifications: real messages the kernel sends through send-once rights
//! (ids `mach::port::MACH_NOTIFY_*`, layouts in `mach::defs::notify`). Kernel
//! sends never block: send-once destinations ignore the queue limit.

use super::kmsg::Kmsg;
use super::mqueue;
use super::port::Port;
use super::right::Right;
use alloc::sync::Arc;
use mach::message::{MsgBody, MsgHeader, PortDescriptor, MSG_DESCRIPTORS_OFFSET, MACH_MSGH_BITS_COMPLEX};
use mach::defs::notify::*;
use mach::port::*;

fn header(id: i32) -> MsgHeader {
    MsgHeader { id, ..MsgHeader::default() }
}

/// The last send right to a port is gone.
pub fn no_senders(so: Right, mscount: u32) {
    let m = NoSendersNotification { header: header(MACH_NOTIFY_NO_SENDERS), mscount };
    mqueue::deliver(Kmsg::from_struct(&m, so));
}

/// `name` (in the requester's space) now denotes a dead name.
pub fn dead_name(so: Right, name: PortName) {
    let m = DeadNameNotification { header: header(MACH_NOTIFY_DEAD_NAME), name };
    mqueue::deliver(Kmsg::from_struct(&m, so));
}

/// A send-once right to `p` was destroyed unused: the right itself carries
/// the notification to `p`.
pub fn send_once(p: Arc<Port>) {
    if !p.is_active() || p.lock().kobject.is_kernel() {
        let mut s = p.lock();
        s.sorights = s.sorights.saturating_sub(1);
        return;
    }
    let m = SendOnceNotification { header: header(MACH_NOTIFY_SEND_ONCE) };
    mqueue::deliver(Kmsg::from_struct(&m, Right::SendOnce(p)));
}

/// A receive right with a port-destroyed request, sent there instead of
/// being destroyed.
pub fn port_destroyed(so: Right, receive: Right) {
    let m = PortDestroyedNotification {
        header: MsgHeader { bits: MACH_MSGH_BITS_COMPLEX, ..header(MACH_NOTIFY_PORT_DESTROYED) },
        body: MsgBody { descriptor_count: 1 },
        rights: PortDescriptor::new(MACH_PORT_NULL, MACH_MSG_TYPE_PORT_RECEIVE),
    };
    mqueue::deliver(Kmsg::from_struct(&m, so).with_port(MSG_DESCRIPTORS_OFFSET, receive));
}
