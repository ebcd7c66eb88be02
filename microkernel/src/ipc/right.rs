//! Rights as values, and taking them from a space with a disposition
//! (copyin). A `Right` owns what it names: dropping one releases it as Mach
//! does (a send right may fire no-senders, a send-once right becomes a
//! send-once notification, a receive right destroys its port).

use super::port::{self, Port};
use super::space::{Entry, Object};
use alloc::sync::Arc;
use mach::port::*;

pub enum Right {
    Null,
    Dead,
    Send(Arc<Port>),
    SendOnce(Arc<Port>),
    Receive(Arc<Port>),
}

impl Right {
    /// A new send right made from the receive right (MAKE_SEND).
    pub fn make_send(p: &Arc<Port>) -> Right {
        let mut s = p.lock();
        s.srights += 1;
        s.mscount += 1;
        Right::Send(p.clone())
    }

    /// Another send right beside one that exists (COPY_SEND).
    pub fn copy_send(p: &Arc<Port>) -> Right {
        p.lock().srights += 1;
        Right::Send(p.clone())
    }

    pub fn make_send_once(p: &Arc<Port>) -> Right {
        p.lock().sorights += 1;
        Right::SendOnce(p.clone())
    }

    /// Another send right to the same port if this is one, else Null (a
    /// special port copied to a child task).
    pub fn copy(&self) -> Right {
        match self {
            Right::Send(p) => Right::copy_send(p),
            _ => Right::Null,
        }
    }

    pub fn port(&self) -> Option<&Arc<Port>> {
        match self {
            Right::Send(p) | Right::SendOnce(p) | Right::Receive(p) => Some(p),
            _ => None,
        }
    }

    /// Drops the right, without the out-of-line drop when it is Null (the
    /// common case on the fast path, where most rights are moved on).
    #[inline]
    pub fn release(self) {
        if self.is_null() {
            // Null holds nothing: forgetting it releases nothing.
            core::mem::forget(self);
        } else {
            drop(self);
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Right::Null)
    }

    /// The port, with the right's count left for the caller to account.
    pub fn into_port(self) -> Option<Arc<Port>> {
        let me = core::mem::ManuallyDrop::new(self);
        match &*me {
            // SAFETY: `me` is never dropped, so the Arc moves out once.
            Right::Send(p) | Right::SendOnce(p) | Right::Receive(p) => Some(unsafe { core::ptr::read(p) }),
            _ => None,
        }
    }

    /// What a receiver is told it got (MACH_MSG_TYPE_PORT_*).
    pub fn msgt_name(&self) -> MsgTypeName {
        match self {
            Right::Null | Right::Dead | Right::Send(_) => MACH_MSG_TYPE_PORT_SEND,
            Right::SendOnce(_) => MACH_MSG_TYPE_PORT_SEND_ONCE,
            Right::Receive(_) => MACH_MSG_TYPE_PORT_RECEIVE,
        }
    }

    /// Uses up a send-once right by delivering through it (no notification).
    pub fn consume(self) {
        if let Right::SendOnce(_) = self {
            let p = self.into_port().expect("send-once right");
            let mut s = p.lock();
            s.sorights = s.sorights.saturating_sub(1);
        } else {
            drop(self);
        }
    }
}

impl Drop for Right {
    fn drop(&mut self) {
        match self {
            Right::Send(p) => release_send(p.clone()),
            Right::SendOnce(p) => super::notify::send_once(p.clone()),
            Right::Receive(p) => port::destroy(p.clone()),
            Right::Null | Right::Dead => {}
        }
    }
}

/// One send right fewer; the last one fires the no-senders request.
fn release_send(p: Arc<Port>) {
    let (ns, mscount) = {
        let mut s = p.lock();
        s.srights = s.srights.saturating_sub(1);
        if s.srights == 0 && s.active && !s.nsrequest.is_null() && s.mscount >= s.nssync {
            (core::mem::replace(&mut s.nsrequest, Right::Null), s.mscount)
        } else {
            (Right::Null, 0)
        }
    };
    if !ns.is_null() {
        super::notify::no_senders(ns, mscount);
    }
}

/// A right taken out of an entry, before the port's counts are adjusted.
#[derive(Clone)]
pub enum Taken {
    Null,
    Dead,
    /// The entry's own right leaves it (counts unchanged).
    Moved(MsgTypeName, Arc<Port>),
    /// A new send right (srights + 1).
    Copied(Arc<Port>),
    MadeSend(Arc<Port>),
    MadeSendOnce(Arc<Port>),
}

impl Taken {
    /// Adjusts the counts and makes the right.
    pub fn into_right(self) -> Right {
        match self {
            Taken::Null => Right::Null,
            Taken::Dead => Right::Dead,
            Taken::Moved(MACH_MSG_TYPE_MOVE_RECEIVE, p) => Right::Receive(p),
            Taken::Moved(MACH_MSG_TYPE_MOVE_SEND_ONCE, p) => Right::SendOnce(p),
            Taken::Moved(_, p) => Right::Send(p),
            Taken::Copied(p) => Right::copy_send(&p),
            Taken::MadeSend(p) => Right::make_send(&p),
            Taken::MadeSendOnce(p) => Right::make_send_once(&p),
        }
    }
}

pub fn is_port_disposition(d: MsgTypeName) -> bool {
    (MACH_MSG_TYPE_MOVE_RECEIVE..=MACH_MSG_TYPE_MAKE_SEND_ONCE).contains(&d)
}

/// Dispositions that give a send or send-once right (legal for the
/// destination and reply of a message).
pub fn is_send_disposition(d: MsgTypeName) -> bool {
    is_port_disposition(d) && d != MACH_MSG_TYPE_MOVE_RECEIVE
}

/// Takes the right `disp` names out of `e` (Mach's ipc_right_copyin),
/// updating the entry; `Err` if the entry does not hold what `disp` needs.
/// The same function checks a message (on copies of the entries) and then
/// commits it, so a message is taken whole or not at all.
pub fn take_from_entry(e: &mut Entry, disp: MsgTypeName) -> Result<Taken, ()> {
    if e.bits & MACH_PORT_TYPE_DEAD_NAME != 0 {
        // A dead name stands for any send right: it yields MACH_PORT_DEAD.
        return match disp {
            MACH_MSG_TYPE_COPY_SEND => Ok(Taken::Dead),
            MACH_MSG_TYPE_MOVE_SEND | MACH_MSG_TYPE_MOVE_SEND_ONCE => {
                e.urefs = e.urefs.saturating_sub(1);
                if e.urefs == 0 {
                    e.bits = 0;
                }
                Ok(Taken::Dead)
            }
            _ => Err(()),
        };
    }
    let p = match &e.object {
        Object::Port(p) => p.clone(),
        _ => return Err(()),
    };
    let has = |t: PortType| e.bits & t != 0;
    match disp {
        MACH_MSG_TYPE_MOVE_RECEIVE if has(MACH_PORT_TYPE_RECEIVE) => {
            e.bits &= !MACH_PORT_TYPE_RECEIVE;
            Ok(Taken::Moved(disp, p))
        }
        MACH_MSG_TYPE_MAKE_SEND if has(MACH_PORT_TYPE_RECEIVE) => Ok(Taken::MadeSend(p)),
        MACH_MSG_TYPE_MAKE_SEND_ONCE if has(MACH_PORT_TYPE_RECEIVE) => Ok(Taken::MadeSendOnce(p)),
        MACH_MSG_TYPE_COPY_SEND if has(MACH_PORT_TYPE_SEND) => Ok(Taken::Copied(p)),
        MACH_MSG_TYPE_MOVE_SEND if has(MACH_PORT_TYPE_SEND) => {
            e.urefs -= 1;
            if e.urefs > 0 {
                return Ok(Taken::Copied(p));
            }
            e.bits &= !MACH_PORT_TYPE_SEND;
            Ok(Taken::Moved(disp, p))
        }
        MACH_MSG_TYPE_MOVE_SEND_ONCE if has(MACH_PORT_TYPE_SEND_ONCE) => {
            e.bits &= !MACH_PORT_TYPE_SEND_ONCE;
            e.urefs = 0;
            Ok(Taken::Moved(disp, p))
        }
        _ => Err(()),
    }
}
