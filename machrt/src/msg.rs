//! Typed message helpers: send a `repr(C)` message struct, receive into a
//! buffer, and the RPC (send with a reply port, then receive the reply)
//! that the kernel-served operations use.

use crate::trap::mach_msg;
use mach::message::*;
use mach::pod::{self, Pod};
use mach::port::*;
use mach::KernReturn;

/// A receive buffer, 8-aligned.
#[repr(C, align(8))]
pub struct Buffer<const N: usize>(pub [u8; N]);

impl<const N: usize> Buffer<N> {
    pub const fn new() -> Self {
        Buffer([0; N])
    }
    pub fn header(&self) -> MsgHeader {
        pod::read(&self.0, 0).unwrap()
    }
    pub fn get<T: Pod>(&self) -> T {
        pod::read(&self.0, 0).expect("buffer holds the struct")
    }
}

impl<const N: usize> Default for Buffer<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// Sends `msg` (its header's size is set here).
pub fn send<T: Pod>(msg: &mut T, option: MsgOption, timeout: u32) -> KernReturn {
    let size = core::mem::size_of::<T>() as u32;
    let mut h: MsgHeader = pod::read(pod::as_bytes(msg), 0).unwrap();
    h.size = size;
    pod::write(pod::as_bytes_mut(msg), 0, &h);
    // SAFETY: msg is size bytes; no receive.
    unsafe { mach_msg(msg as *mut T as *mut u8, MACH_SEND_MSG | option, size, 0, MACH_PORT_NULL, timeout) }
}

/// Receives on `name` into `buf`.
pub fn receive<const N: usize>(buf: &mut Buffer<N>, name: PortName, option: MsgOption, timeout: u32) -> KernReturn {
    // SAFETY: buf is N bytes.
    unsafe { mach_msg(buf.0.as_mut_ptr(), MACH_RCV_MSG | option, 0, N as u32, name, timeout) }
}

static REPLY: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// See `trap::forget_cached_names`.
pub(crate) fn forget_reply_port() {
    REPLY.store(0, core::sync::atomic::Ordering::Relaxed);
}

/// This task's reply port for RPCs (made on first use). One per task: the
/// kernel answers its own objects within the caller's trap, so threads
/// sharing it cannot take each other's replies from kernel RPCs; a task
/// whose threads wait on other servers concurrently needs one per thread.
pub fn reply_port() -> PortName {
    use core::sync::atomic::Ordering;
    let n = REPLY.load(Ordering::Relaxed);
    if n != 0 {
        return n;
    }
    let n = crate::trap::reply_port();
    REPLY.store(n, Ordering::Relaxed);
    n
}

