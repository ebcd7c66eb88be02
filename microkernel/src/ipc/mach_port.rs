//! The mach_port operations on a task's port name space (Mach's
//! ipc/mach_port.c): what the task port server calls for the mach_port_*
//! routines.

use super::port::{KObject, Port};
use super::pset::{self, PortSet};
use super::right::{is_port_disposition, Right};
use super::space::{rights_of, Entry, Object, Space, UREFS_MAX};
use alloc::sync::Arc;
use alloc::vec::Vec;
use mach::defs::mach_port::*;
use mach::kern_return::*;
use mach::port::*;

pub fn allocate(space: &Space, right: PortRight) -> (KernReturn, PortName) {
    if let Err(kr) = space.may_add_name() {
        return (kr, MACH_PORT_NULL);
    }
    match right {
        MACH_PORT_RIGHT_RECEIVE => (KERN_SUCCESS, space.copyout(Right::Receive(Port::new(KObject::None)))),
        MACH_PORT_RIGHT_PORT_SET => {
            let e = Entry { bits: MACH_PORT_TYPE_PORT_SET, urefs: 0, object: Object::Set(PortSet::new()) };
            (KERN_SUCCESS, space.lock().insert_new(e))
        }
        MACH_PORT_RIGHT_DEAD_NAME => {
            let e = Entry { bits: MACH_PORT_TYPE_DEAD_NAME, urefs: 1, object: Object::None };
            (KERN_SUCCESS, space.lock().insert_new(e))
        }
        _ => (KERN_INVALID_VALUE, MACH_PORT_NULL),
    }
}

pub fn destroy(space: &Space, name: PortName) -> KernReturn {
    let e = space.lock().remove(name);
    match e {
        Some(e) => {
            drop(rights_of(e));
            KERN_SUCCESS
        }
        None => KERN_INVALID_NAME,
    }
}

pub fn deallocate(space: &Space, name: PortName) -> KernReturn {
    let bits = match space.lock().get(name) {
        Some(e) => e.bits,
        None => return KERN_INVALID_NAME,
    };
    let right = if bits & MACH_PORT_TYPE_SEND_ONCE != 0 {
        MACH_PORT_RIGHT_SEND_ONCE
    } else if bits & MACH_PORT_TYPE_SEND != 0 {
        MACH_PORT_RIGHT_SEND
    } else if bits & MACH_PORT_TYPE_DEAD_NAME != 0 {
        MACH_PORT_RIGHT_DEAD_NAME
    } else {
        return KERN_INVALID_RIGHT;
    };
    mod_refs(space, name, right, -1)
}

pub fn get_refs(space: &Space, name: PortName, right: PortRight) -> (KernReturn, u32) {
    if right >= MACH_PORT_RIGHT_NUMBER {
        return (KERN_INVALID_VALUE, 0);
    }
    let Some(e) = space.lock().get(name) else { return (KERN_INVALID_NAME, 0) };
    let refs = match right {
        _ if e.bits & port_type(right) == 0 => 0,
        MACH_PORT_RIGHT_SEND | MACH_PORT_RIGHT_DEAD_NAME => e.urefs,
        _ => 1,
    };
    (KERN_SUCCESS, refs)
}

/// Changes the user references of one right of `name`; at zero the right
/// is released (after the space is unlocked).
pub fn mod_refs(space: &Space, name: PortName, right: PortRight, delta: i32) -> KernReturn {
    if right >= MACH_PORT_RIGHT_NUMBER {
        return KERN_INVALID_VALUE;
    }
    let mut released = Vec::new();
    let kr = {
        let mut sp = space.lock();
        let Some(mut e) = sp.get(name) else { return KERN_INVALID_NAME };
        let bit = port_type(right);
        if e.bits & bit == 0 {
            return KERN_INVALID_RIGHT;
        }
        match right {
            MACH_PORT_RIGHT_SEND | MACH_PORT_RIGHT_DEAD_NAME => {
                let n = e.urefs as i64 + delta as i64;
                if n < 0 {
                    return KERN_INVALID_VALUE;
                }
                if n > UREFS_MAX as i64 {
                    return KERN_UREFS_OVERFLOW;
                }
                e.urefs = n as u32;
                if n == 0 {
                    e.bits &= !bit;
                    if let (MACH_PORT_RIGHT_SEND, Some(p)) = (right, e.port()) {
                        released.push(Right::Send(p.clone()));
                    }
                }
                sp.store(name, e);
                KERN_SUCCESS
            }
            _ if delta == 0 => KERN_SUCCESS,
            _ if delta != -1 => KERN_INVALID_VALUE,
            MACH_PORT_RIGHT_RECEIVE => {
                e.bits &= !bit;
                let p = e.port().cloned().expect("receive entry has a port");
                pset::leave_set(&p);
                released.push(Right::Receive(p));
                sp.store(name, e);
                KERN_SUCCESS
            }
            _ => {
                // A send-once right or a port set: the name goes.
                let e = sp.remove(name).unwrap();
                let mut rights = rights_of(e);
                drop(sp);
                rights.clear();
                KERN_SUCCESS
            }
        }
    };
    drop(released);
    kr
}

pub fn move_member(space: &Space, member: PortName, after: PortName) -> KernReturn {
    let (port, set) = {
        let mut sp = space.lock();
        let Some(e) = sp.get(member) else { return KERN_INVALID_NAME };
        let p = match e.object {
            Object::Port(p) if e.bits & MACH_PORT_TYPE_RECEIVE != 0 => p,
            _ => return KERN_INVALID_RIGHT,
        };
        if after == MACH_PORT_NULL {
            (p, None)
        } else {
            match sp.get(after) {
                Some(Entry { object: Object::Set(s), .. }) => (p, Some(s)),
                Some(_) => return KERN_INVALID_RIGHT,
                None => return KERN_INVALID_NAME,
            }
        }
    };
    match set {
        Some(s) => pset::add_member(&s, &port),
        None if port.lock().pset.is_none() => return KERN_NOT_IN_SET,
        None => pset::leave_set(&port),
    }
    KERN_SUCCESS
}

pub fn insert_right(space: &Space, name: PortName, r: Right) -> KernReturn {
    if !name_valid(name) {
        return KERN_INVALID_VALUE;
    }
    let mut sp = space.lock();
    let existing = sp.get(name);
    let (kr, leftover) = match (&r, existing) {
        (Right::Null, _) => (KERN_INVALID_CAPABILITY, Right::Null),
        (_, Some(e)) => match (e.port(), r.port()) {
            (Some(a), Some(b)) if Arc::ptr_eq(a, b) && !matches!(r, Right::SendOnce(_)) => {
                let (_, extra) = sp.copyout(r);
                (KERN_SUCCESS, extra)
            }
            _ => (KERN_NAME_EXISTS, r),
        },
        (Right::Dead, None) => {
            sp.insert_at(name, Entry { bits: MACH_PORT_TYPE_DEAD_NAME, urefs: 1, object: Object::None });
            (KERN_SUCCESS, Right::Null)
        }
        (_, None) => {
            let p = r.port().unwrap().clone();
            let once = matches!(r, Right::SendOnce(_));
            if !once && sp.name_of(&p).is_some() {
                (KERN_RIGHT_EXISTS, r)
            } else {
                let bits = match r {
                    Right::Send(_) => MACH_PORT_TYPE_SEND,
                    Right::SendOnce(_) => MACH_PORT_TYPE_SEND_ONCE,
                    _ => MACH_PORT_TYPE_RECEIVE,
                };
                let urefs = if bits == MACH_PORT_TYPE_RECEIVE { 0 } else { 1 };
                r.into_port();
                sp.insert_at(name, Entry { bits, urefs, object: Object::Port(p) });
                (KERN_SUCCESS, Right::Null)
            }
        }
    };
    drop(sp);
    drop(leftover);
    kr
}

pub fn extract_right(space: &Space, name: PortName, disp: MsgTypeName) -> (KernReturn, Right) {
    if !is_port_disposition(disp) {
        return (KERN_INVALID_VALUE, Right::Null);
    }
    let mut sp = space.lock();
    if sp.get(name).is_none() {
        return (KERN_INVALID_NAME, Right::Null);
    }
    match sp.copyin(name, disp) {
        Ok(r) => (KERN_SUCCESS, r),
        Err(()) => (KERN_INVALID_RIGHT, Right::Null),
    }
}

pub fn request_notification(space: &Space, name: PortName, variant: i32, sync: u32, notify: Right) -> (KernReturn, Right) {
    if !matches!(notify, Right::SendOnce(_) | Right::Null) {
        return (KERN_INVALID_CAPABILITY, notify);
    }
    let Some(e) = space.lock().get(name) else { return (KERN_INVALID_NAME, notify) };
    let receive = e.bits & MACH_PORT_TYPE_RECEIVE != 0;
    match (variant, e.object) {
        (MACH_NOTIFY_NO_SENDERS, Object::Port(p)) if receive => {
            let (prev, fire, mscount) = {
                let mut s = p.lock();
                let prev = core::mem::replace(&mut s.nsrequest, notify);
                s.nssync = sync;
                let fire = s.srights == 0 && s.mscount >= sync && !s.nsrequest.is_null();
                let r = if fire { core::mem::replace(&mut s.nsrequest, Right::Null) } else { Right::Null };
                (prev, r, s.mscount)
            };
            if !fire.is_null() {
                super::notify::no_senders(fire, mscount);
            }
            (KERN_SUCCESS, prev)
        }
        (MACH_NOTIFY_PORT_DESTROYED, Object::Port(p)) if receive => {
            let prev = core::mem::replace(&mut p.lock().pdrequest, notify);
            (KERN_SUCCESS, prev)
        }
        (MACH_NOTIFY_DEAD_NAME, _) if e.bits & MACH_PORT_TYPE_DEAD_NAME != 0 => {
            if !notify.is_null() {
                super::notify::dead_name(notify, name);
            }
            (KERN_SUCCESS, Right::Null)
        }
        (MACH_NOTIFY_DEAD_NAME, Object::Port(p)) if e.bits & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE) != 0 => {
            if !notify.is_null() {
                p.lock().dnrequests.push((name, notify));
            }
            (KERN_SUCCESS, Right::Null)
        }
        (MACH_NOTIFY_NO_SENDERS | MACH_NOTIFY_PORT_DESTROYED | MACH_NOTIFY_DEAD_NAME, _) => (KERN_INVALID_RIGHT, notify),
        _ => (KERN_INVALID_VALUE, notify),
    }
}

fn receive_port(space: &Space, name: PortName) -> Result<Arc<Port>, KernReturn> {
    match space.lock().get(name) {
        Some(Entry { bits, object: Object::Port(p), .. }) if bits & MACH_PORT_TYPE_RECEIVE != 0 => Ok(p),
        Some(_) => Err(KERN_INVALID_RIGHT),
        None => Err(KERN_INVALID_NAME),
    }
}

pub fn get_attributes(space: &Space, name: PortName, flavor: u32, info: &mut [u32; PORT_INFO_WORDS]) -> (KernReturn, u32) {
    let p = match receive_port(space, name) {
        Ok(p) => p,
        Err(kr) => return (kr, 0),
    };
    let s = p.lock();
    match flavor {
        MACH_PORT_LIMITS_INFO => {
            info[0] = s.qlimit;
            (KERN_SUCCESS, 1)
        }
        MACH_PORT_RECEIVE_STATUS => {
            info[STATUS_PSET] = s.pset.is_some() as u32;
            info[STATUS_SEQNO] = s.seqno;
            info[STATUS_MSCOUNT] = s.mscount;
            info[STATUS_QLIMIT] = s.qlimit;
            info[STATUS_MSGCOUNT] = s.messages.len() as u32;
            info[STATUS_SORIGHTS] = s.sorights;
            info[STATUS_SRIGHTS] = s.srights;
            info[STATUS_PDREQUEST] = !s.pdrequest.is_null() as u32;
            info[STATUS_NSREQUEST] = !s.nsrequest.is_null() as u32;
            (KERN_SUCCESS, 9)
        }
        _ => (KERN_INVALID_VALUE, 0),
    }
}

pub fn set_attributes(space: &Space, name: PortName, flavor: u32, info: &[u32; PORT_INFO_WORDS]) -> KernReturn {
    let p = match receive_port(space, name) {
        Ok(p) => p,
        Err(kr) => return kr,
    };
    match flavor {
        MACH_PORT_LIMITS_INFO if (1..=MACH_PORT_QLIMIT_MAX).contains(&info[0]) => {
            p.lock().qlimit = info[0];
            p.senders.wake_all();
            KERN_SUCCESS
        }
        _ => KERN_INVALID_VALUE,
    }
}
