//! The client side of typed RPC: `mach::rpc::Transport` over the mach_msg
//! trap, so that every `routine!` stub (`mach::defs::*::call`) works from a
//! task. Replies come to the task's reply port (`msg::reply_port`).

use crate::msg::reply_port;
use crate::trap::mach_msg;
use mach::kern_return::*;
use mach::message::*;
use mach::rpc::{as_bytes, from_bytes, Transport};

pub use crate::trap::{host_self, task_self, thread_self};

/// RPCs to the kernel or any server, by one mach_msg send-then-receive.
pub struct Kernel;

impl Transport for Kernel {
    fn rpc(&self, buf: &mut [u8], send_size: usize) -> Result<usize, KernReturn> {
        rpc_on(reply_port(), buf, send_size)
    }
}

/// RPCs whose reply comes to a port of the caller's own (a receive right
/// it holds): for a server thread calling a server that may answer late,
/// where the task's shared reply port could hand the answer to another
/// thread (the kernel answers in place, so `Kernel` is safe for it).
pub struct WithReply(pub mach::port::PortName);

impl Transport for WithReply {
    fn rpc(&self, buf: &mut [u8], send_size: usize) -> Result<usize, KernReturn> {
        rpc_on(self.0, buf, send_size)
    }
}

fn rpc_on(reply: mach::port::PortName, buf: &mut [u8], send_size: usize) -> Result<usize, KernReturn> {
    if buf.len() < MSG_HEADER_SIZE || send_size > buf.len() {
        return Err(MACH_SEND_MSG_TOO_SMALL);
    }
    let mut h: MsgHeader = from_bytes(buf).ok_or(MIG_TYPE_ERROR)?;
    h.local_port = reply;
    buf[..MSG_HEADER_SIZE].copy_from_slice(as_bytes(&h));
    // SAFETY: buf is valid for its whole length, which bounds both sizes.
    let kr = unsafe {
        mach_msg(buf.as_mut_ptr(), MACH_SEND_MSG | MACH_RCV_MSG, send_size as u32,
                 buf.len() as u32, reply, MACH_MSG_TIMEOUT_NONE)
    };
    if kr != MACH_MSG_SUCCESS {
        return Err(kr);
    }
    let h: MsgHeader = from_bytes(buf).ok_or(MIG_TYPE_ERROR)?;
    Ok(h.size as usize)
}

/// One-way messages (the `simpleroutine!` stubs) by a mach_msg send.
impl mach::rpc::SendTransport for Kernel {
    fn send(&self, buf: &[u8]) -> Result<(), KernReturn> {
        // SAFETY: a send only reads the buffer, which holds `buf.len()` bytes.
        let kr = unsafe {
            mach_msg(buf.as_ptr() as *mut u8, MACH_SEND_MSG, buf.len() as u32, 0, 0, MACH_MSG_TIMEOUT_NONE)
        };
        if kr == MACH_MSG_SUCCESS { Ok(()) } else { Err(kr) }
    }
}
