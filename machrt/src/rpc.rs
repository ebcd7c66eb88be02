//! The client side of typed RPC: `mach::rpc::Transport` over the mach_msg
//! trap, with a reply port per task (one thread per task for now; threads
//! will each get their own).

use core::sync::atomic::{AtomicU32, Ordering};
use mach::kern_return::*;
use mach::message::*;
use mach::port::*;
use mach::rpc::Transport;
use mach::traps;

/// mach_msg: send and/or receive in one trap.
///
/// # Safety
/// `msg` must be valid for `max(send_size, rcv_size)` bytes.
pub unsafe fn mach_msg(msg: *mut u8, option: MsgOption, send_size: u32, rcv_size: u32,
                       rcv_name: PortName, timeout: MsgTimeout) -> KernReturn {
    let r: u64;
    // SAFETY: per the caller; the trap clobbers rcx and r11 only.
    unsafe {
        core::arch::asm!("syscall",
            inlateout("rax") traps::MACH_MSG as u64 => r,
            in("rdi") msg, in("rsi") option as u64, in("rdx") send_size as u64,
            in("r10") rcv_size as u64, in("r8") rcv_name as u64, in("r9") timeout as u64,
            lateout("rcx") _, lateout("r11") _, options(nostack));
    }
    r as KernReturn
}

fn trap0(n: i64) -> u64 {
    // SAFETY: the self-port and reply-port traps take no arguments.
    unsafe { crate::trap::trap2(n, 0, 0) }
}

/// A send right to this task's kernel port (mach_task_self).
pub fn task_self() -> PortName {
    trap0(traps::TASK_SELF) as PortName
}

pub fn thread_self() -> PortName {
    trap0(traps::THREAD_SELF) as PortName
}

pub fn host_self() -> PortName {
    trap0(traps::HOST_SELF) as PortName
}

/// A fresh receive right (mach_reply_port).
pub fn reply_port() -> PortName {
    trap0(traps::MACH_REPLY_PORT) as PortName
}

static REPLY_PORT: AtomicU32 = AtomicU32::new(MACH_PORT_NULL);

/// The task's port for receiving RPC replies, made on first use.
fn rpc_reply_port() -> PortName {
    let p = REPLY_PORT.load(Ordering::Relaxed);
    if p != MACH_PORT_NULL {
        return p;
    }
    let p = reply_port();
    REPLY_PORT.store(p, Ordering::Relaxed);
    p
}

/// RPCs to the kernel or any server, by mach_msg send-then-receive.
pub struct Kernel;

impl Transport for Kernel {
    fn rpc(&self, buf: &mut [u8], send_size: usize) -> Result<usize, KernReturn> {
        if buf.len() < MSG_HEADER_SIZE || send_size > buf.len() {
            return Err(MACH_SEND_MSG_TOO_SMALL);
        }
        let reply = rpc_reply_port();
        let mut h: MsgHeader = mach::rpc::from_bytes(buf).ok_or(MIG_TYPE_ERROR)?;
        h.local_port = reply;
        buf[..MSG_HEADER_SIZE].copy_from_slice(mach::rpc::as_bytes(&h));
        // SAFETY: buf is valid for its whole length, which bounds both sizes.
        let kr = unsafe {
            mach_msg(buf.as_mut_ptr(), MACH_SEND_MSG | MACH_RCV_MSG, send_size as u32,
                     buf.len() as u32, reply, MACH_MSG_TIMEOUT_NONE)
        };
        if kr != MACH_MSG_SUCCESS {
            return Err(kr);
        }
        let h: MsgHeader = mach::rpc::from_bytes(buf).ok_or(MIG_TYPE_ERROR)?;
        Ok(h.size as usize)
    }
}
