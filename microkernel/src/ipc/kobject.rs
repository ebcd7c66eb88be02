//! Ports the kernel receives on (task, thread, host): a message to one is
//! served at once, in the sender's context, by the server of its kind
//! (kern/task_server.rs, kern/thread_server.rs, kern/host_server.rs), and
//! the reply goes to the request's reply right. Requests and replies are
//! the `routine!` structs of `mach::defs`.

use super::kmsg::Kmsg;
use super::mqueue;
use super::port::KObject;
use super::right::Right;
use mach::kern_return::*;
use mach::message::MsgHeader;
use mach::pod::Pod;

/// Serves one request to a kernel port and sends the reply.
pub fn serve(k: KObject, mut req: Kmsg) -> KernReturn {
    core::mem::replace(&mut req.dest, Right::Null).consume();
    let reply_to = core::mem::replace(&mut req.reply, Right::Null);
    let reply = match k {
        KObject::Task(w) => match w.upgrade() {
            Some(task) if task.exit.lock().is_none() => crate::kern::task_server::serve(&task, &mut req),
            _ => error_reply(&req.header, KERN_INVALID_TASK),
        },
        KObject::Thread(w) => match w.upgrade() {
            Some(t) => crate::kern::thread_server::serve(&t, &mut req),
            None => error_reply(&req.header, KERN_INVALID_ARGUMENT),
        },
        KObject::Host => crate::kern::host_server::serve(&mut req, false),
        KObject::HostPriv => crate::kern::host_server::serve(&mut req, true),
        KObject::DeviceMaster => crate::device::server::serve_master(&mut req),
        KObject::Device(i) => crate::device::server::serve_device(i, &mut req),
        KObject::MemoryControl(w) => {
            // The pager's calls are one-way: a reply goes out only if the
            // sender asked for one.
            crate::vm::pager::control_server(&w, &mut req);
            error_reply(&req.header, KERN_SUCCESS)
        }
        KObject::None => error_reply(&req.header, MIG_BAD_ID),
    };
    drop(req); // whatever the request carried and nobody took
    if !reply_to.is_null() {
        let mut reply = reply;
        reply.dest = reply_to;
        mqueue::deliver(reply);
    }
    KERN_SUCCESS
}

/// Parses the request of routine `$r` from `$req` (a Kmsg), or returns
/// the routine's error reply from the enclosing server function.
macro_rules! parse_request {
    ($r:ident, $req:expr) => {
        match $r::Request::parse(&$req.data) {
            Ok(a) => a,
            Err(kr) => return $crate::ipc::kobject::error_reply(&$req.header, kr),
        }
    };
}
pub(crate) use parse_request;

/// A reply message from a `routine!` reply struct.
pub fn reply<T: Pod>(msg: &T) -> Kmsg {
    Kmsg::from_struct(msg, Right::Null)
}

/// MIG's short error reply.
pub fn error_reply(req: &MsgHeader, ret: KernReturn) -> Kmsg {
    reply(&mach::rpc::reply_error(req, ret))
}

/// A routine's reply, or its error reply.
pub fn result<T: Pod>(req: &MsgHeader, r: Result<T, KernReturn>) -> Kmsg {
    match r {
        Ok(m) => reply(&m),
        Err(kr) => error_reply(req, kr),
    }
}

/// The right a request carries in the descriptor at `off`.
pub fn take_port(req: &mut Kmsg, off: usize) -> Right {
    match req.ports.iter().position(|(o, _)| *o == off) {
        Some(i) => req.ports.swap_remove(i).1,
        None => Right::Null,
    }
}

/// The out-of-line region a request carries in the descriptor at `off`.
pub fn take_ool(req: &mut Kmsg, off: usize) -> Option<super::ool::OolRegion> {
    let i = req.ool.iter().position(|(o, _)| *o == off)?;
    Some(req.ool.swap_remove(i).1)
}
