//! Notification messages the kernel sends (`<mach/notify.h>`); the ids are
//! `port::MACH_NOTIFY_*`. Each is delivered through a send-once right the
//! task registered (or, for MACH_NOTIFY_SEND_ONCE, the destroyed right).

use crate::message::{MsgBody, MsgHeader, PortDescriptor};
use crate::pod::Pod;
use crate::port::PortName;

/// The last send right to a port went away.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSendersNotification {
    pub header: MsgHeader,
    pub mscount: u32,
}

/// The port a name denoted died; the name is now a dead name.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct DeadNameNotification {
    pub header: MsgHeader,
    pub name: PortName,
}

/// A send-once right was destroyed without being used.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SendOnceNotification {
    pub header: MsgHeader,
}

/// A receive right would have been destroyed: it arrives here instead.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct PortDestroyedNotification {
    pub header: MsgHeader,
    pub body: MsgBody,
    pub rights: PortDescriptor,
}

// SAFETY: repr(C), 4-byte fields only.
unsafe impl Pod for NoSendersNotification {}
unsafe impl Pod for DeadNameNotification {}
unsafe impl Pod for SendOnceNotification {}
unsafe impl Pod for PortDestroyedNotification {}
