//! Message queues: delivery to a port, a sender's wait for room, and a
//! receiver's wait for a message on a port or a port set.

use super::kmsg::Kmsg;
use super::port::Port;
use super::pset::PortSet;
use crate::kern::thread::THREAD_MSG_DELIVERED;
use crate::kern::{clock, sched};
use alloc::sync::Arc;
use mach::kern_return::*;

/// Queues `kmsg` on its destination, or has the kernel serve it when the
/// destination is a kernel object. Never blocks.
pub fn deliver(kmsg: Kmsg) -> KernReturn {
    let Some(port) = kmsg.dest.port().cloned() else {
        return MACH_SEND_INVALID_DEST;
    };
    let mut s = port.lock();
    if !s.active {
        drop(s);
        drop(kmsg);
        return MACH_SEND_INVALID_DEST;
    }
    if s.kobject.is_kernel() {
        let k = s.kobject.clone();
        drop(s);
        return super::kobject::serve(k, kmsg);
    }
    s.messages.push_back(kmsg);
    let set = s.pset.clone();
    drop(s);
    port.receivers.wake_one();
    if let Some(set) = set {
        set.receivers.wake_all();
    }
    KERN_SUCCESS
}

/// When a send may give up waiting.
#[derive(Clone, Copy)]
pub enum Wait {
    Forever,
    Poll,
    Until(u64),
}

impl Wait {
    fn expired(self) -> bool {
        match self {
            Wait::Forever => false,
            Wait::Poll => true,
            Wait::Until(d) => clock::ticks() >= d,
        }
    }
    fn deadline(self) -> Option<u64> {
        match self {
            Wait::Until(d) => Some(d),
            _ => None,
        }
    }
}

/// Waits until `port`'s queue has room (send-once rights and kernel ports
/// never wait, as in Mach). Nothing has been taken from the sender yet, so
/// giving up changes nothing.
pub fn wait_for_room(port: &Arc<Port>, send_once: bool, wait: Wait) -> KernReturn {
    let me = sched::current_arc();
    loop {
        let s = port.lock();
        if !s.active {
            return MACH_SEND_INVALID_DEST;
        }
        if send_once || s.kobject.is_kernel() || (s.messages.len() as u32) < s.qlimit {
            return KERN_SUCCESS;
        }
        if wait.expired() {
            return MACH_SEND_TIMED_OUT;
        }
        port.senders.add(&me);
        drop(s);
        sched::block_current_until(wait.deadline());
        port.senders.remove(&me);
        if me.take_aborted() {
            return MACH_SEND_INTERRUPTED;
        }
    }
}

/// What a receive names.
pub enum Source {
    Port(Arc<Port>),
    Set(Arc<PortSet>),
}

pub enum Received {
    Message(Kmsg),
    /// Too large: the size needed and, without MACH_RCV_LARGE, the message
    /// taken off the queue to be destroyed.
    TooLarge(usize, Option<Kmsg>),
    /// A sender copied the message into the receive buffer while we were
    /// blocked (ipc/fastpath.rs): nothing is left to do.
    Delivered,
}

/// Takes the first message from `port` if there is one.
fn take_from(port: &Arc<Port>, max: usize, large: bool) -> Result<Option<Received>, KernReturn> {
    let mut s = port.lock();
    if !s.active {
        return Err(MACH_RCV_PORT_DIED);
    }
    let Some(size) = s.messages.front().map(Kmsg::size) else {
        return Ok(None);
    };
    if size > max && large {
        return Ok(Some(Received::TooLarge(size, None)));
    }
    let k = s.messages.pop_front().unwrap();
    s.seqno = s.seqno.wrapping_add(1);
    drop(s);
    port.senders.wake_one();
    Ok(Some(if size > max { Received::TooLarge(size, Some(k)) } else { Received::Message(k) }))
}

fn try_receive(src: &Source, max: usize, large: bool) -> Result<Option<Received>, KernReturn> {
    match src {
        Source::Port(p) => take_from(p, max, large),
        Source::Set(set) => {
            // Under the set's lock (before its members' locks), without
            // collecting the members into a Vec first.
            let st = set.state.lock();
            if !st.active {
                return Err(MACH_RCV_PORT_DIED);
            }
            for m in st.members.iter().filter_map(alloc::sync::Weak::upgrade) {
                if let Ok(Some(r)) = take_from(&m, max, large) {
                    return Ok(Some(r));
                }
            }
            Ok(None)
        }
    }
}

/// Waits for a message on `src` (MACH_RCV_TIMED_OUT when `wait` expires).
/// While blocked, the buffer at `addr` is published for direct delivery
/// (`Received::Delivered`).
pub fn receive(src: &Source, addr: u64, max: usize, large: bool, wait: Wait) -> Result<Received, KernReturn> {
    let me = sched::current_arc();
    loop {
        if let Some(r) = try_receive(src, max, large)? {
            return Ok(r);
        }
        if wait.expired() {
            return Err(MACH_RCV_TIMED_OUT);
        }
        let q = match src {
            Source::Port(p) => &p.receivers,
            Source::Set(s) => &s.receivers,
        };
        q.add(&me);
        // A kernel receive (addr 0, e.g. an exception reply) publishes no
        // buffer, so the fast path leaves its message to the queue.
        if addr != 0 {
            me.publish_rcv_buffer(addr, max.min(u32::MAX as usize) as u32);
        }
        sched::block_current_until(wait.deadline());
        me.publish_rcv_buffer(0, 0);
        q.remove(&me);
        if me.wait_result() == THREAD_MSG_DELIVERED {
            return Ok(Received::Delivered);
        }
        // thread_abort (or thread_terminate) interrupts the wait.
        if me.take_aborted() {
            return Err(MACH_RCV_INTERRUPTED);
        }
    }
}
