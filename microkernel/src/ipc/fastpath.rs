//! The mach_msg fast path: the null-RPC case, on its own (as seL4 keeps
//! fastpath.c apart), in front of the general path in `msg`.
//!
//! It takes a SEND|RCV mach_msg whose message is simple (no descriptors),
//! at most FAST_MAX bytes and within one present, writable page (the
//! buffer receives the reply too), sent through a send right
//! (COPY_SEND) or a send-once right (MOVE_SEND_ONCE) to an ordinary live
//! port with nothing queued and a receiver blocked on it (or on its set)
//! with a big enough buffer published; the reply right is MAKE_SEND_ONCE
//! or none, and the caller receives on a port or a port set with no
//! timeout. Then:
//!
//! - the message is read from the sender's page through the physmap into
//!   a small stack buffer (no heap, no Kmsg) and written into the
//!   receiver's buffer (two copies of at most FAST_MAX bytes, instead of a
//!   direct page-to-page copy, so that two tasks' VM locks are never held
//!   together: two RPCs crossing in opposite directions on two CPUs would
//!   deadlock, and no lock order can be fixed before the receiver is
//!   known; at 24 bytes the second copy is 3 words);
//! - the rights move with the least name-table work: a COPY_SEND
//!   destination makes no right at all (the count it would add is taken
//!   off again on receipt), a MOVE_SEND_ONCE removes one entry, the reply
//!   send-once right gets one new name in the receiver's space;
//! - the receiver is woken with THREAD_MSG_DELIVERED and the sender, now
//!   blocked receiving with its own buffer published, hands the CPU
//!   straight to it (sched::handoff_or_schedule), when priorities allow.
//!
//! Anything else returns None before anything has changed, and the general
//! path runs with its own semantics. The checks that need the receiver's
//! memory come after the sender's rights are taken: if they fail, the
//! message goes the general way (a queued Kmsg), exactly as the general
//! path would have delivered it.
//!
//! Where a round trip went before (guest instructions per mach_msg, under
//! -icount, measured with rdtsc probes; two calls per round trip, 7,786 in
//! all): entry and exit with FXSAVE/FXRSTOR ~110, copyin into a heap Vec
//! ~270, header and destination lookup ~210, copyin_message (check
//! scratch Vec, entry clones, three BTreeMap passes, the rights) ~1,440,
//! deliver and wakeup ~190, receive setup ~400, schedule and switch ~230,
//! requeue and wake-up checks ~340, copyout of rights ~420 and bytes ~230,
//! AST check ~45 (sched::current's lock and Arc clone in most of these).
//!
//! Then (~1,100 per mach_msg, 2,208 per round trip): trap entry, dispatch
//! and exit ~165; reading the message (VM lock, page walk) ~90; name
//! lookups ~60; claiming the receiver ~100; taking the rights ~75; the
//! receiver's side ~250; the sender's wait ~60; the handoff ~190;
//! wait-queue removal and the Arc drops ~100.
//!
//! Now (1,945 per round trip, ~970 per mach_msg): the frame of each
//! thread's buffer is kept with the pmap generation (no page walk on
//! either side while no translation changed), the switch loads the task's
//! CR3 without its VM lock, the receiver's local name comes from the name
//! it receives on (checked in its space) instead of the reverse map, the
//! general path's frame is out of line, and a used send-once name goes
//! with one table lookup. Roughly, per mach_msg: entry, dispatch, AST and
//! exit ~125; reading the message ~85; rights and claiming the receiver
//! ~250; the receiver's side ~160; the sender's wait ~100; the handoff
//! ~170; the rest of mach_msg ~50. Spin locks (about 13 per message) and
//! Arc counts are still the largest single share; an L4-class figure
//! (~600 per round trip) needs a path that takes no per-object locks and
//! no counts (e.g. one lock per port pair, intrusive wait queues).

use super::kmsg::Kmsg;
use super::mqueue::{self, Wait};
use super::port::Port;
use super::pset::PortSet;
use super::right::Right;
use super::space::{Object, SpaceInner};
use crate::arch::layout::phys_to_virt;
use crate::arch::pmap::Pmap;
use crate::kern::sched;
use crate::kern::thread::{Thread, THREAD_MSG_DELIVERED};
use alloc::sync::Arc;
use core::mem::MaybeUninit;
use mach::kern_return::*;
use mach::message::*;
use mach::port::*;
use mach::vm::PAGE_SIZE;

/// Largest message the fast path carries.
pub const FAST_MAX: usize = 256;
const BODY_WORDS: usize = (FAST_MAX - MSG_HEADER_SIZE) / 4;

/// A message read from the sender: the header and up to BODY_WORDS words.
struct Msg {
    header: MsgHeader,
    body: [MaybeUninit<u32>; BODY_WORDS],
    words: usize,
}

/// What the sender's space gave: the destination (and whether through a
/// send-once right), the reply right and where the sender receives next.
struct Sent {
    dest: Arc<Port>,
    send_once: bool,
    src: mqueue::Source,
}

/// The fast path of mach_msg_trap; None: take the general path.
pub fn mach_msg(addr: u64, option: MsgOption, send_size: u64, rcv_size: u64, rcv_name: PortName) -> Option<KernReturn> {
    if option & !MACH_RCV_LARGE != MACH_SEND_MSG | MACH_RCV_MSG {
        return None;
    }
    let size = send_size as usize;
    if !(MSG_HEADER_SIZE..=FAST_MAX).contains(&size) || !size.is_multiple_of(4) {
        return None;
    }
    let me = sched::current_ref();
    let task = me.task.as_ref()?;
    // Filled in place, never zeroed or moved: under -icount every byte a
    // `rep stosb`/`rep movsb` touches counts as one instruction.
    let mut slot = MaybeUninit::<Msg>::uninit();
    let msg = read_message(me, &task.vm.lock().pmap, addr, size, &mut slot)?;
    let (rd, ld) = simple_header(&msg.header)?;
    let (sent, reply, receiver) = take_rights(&mut task.space.lock(), &msg.header, rd, ld, rcv_name)?;
    let large = option & MACH_RCV_LARGE != 0;
    match deliver(&receiver, msg, &sent, reply) {
        Ok(leftover) => leftover.release(),
        Err(reply) => {
            // The receiver's buffer is not writable now: queue the message
            // as the general path would; the receiver faults it in.
            let kr = deliver_general(msg, &sent, reply, receiver);
            if kr != KERN_SUCCESS {
                return Some(kr);
            }
            return Some(super::msg::receive(task, addr, rcv_size, rcv_name, large, Wait::Forever));
        }
    }
    if sent.send_once {
        Right::SendOnce(sent.dest).consume();
    }
    receiver.set_wait_result(THREAD_MSG_DELIVERED);
    if wait_handing_off(&sent.src, rcv_name, addr, rcv_size, receiver) {
        return Some(KERN_SUCCESS);
    }
    Some(super::msg::receive(task, addr, rcv_size, rcv_name, large, Wait::Forever))
}

/// The writable page frame behind `va` in `t`'s address space, for `len`
/// bytes that must not cross the page; the caller holds the VM lock of
/// `t`'s task (whose pmap `pmap` is). The frame found last is kept in the
/// thread with the pmap generation (arch pmap::generation): while no
/// translation anywhere changed since, it still stands, and the page
/// tables are not walked again. (With several CPUs the VM lock does not
/// keep out pmap::page_remove_all, which takes only the pv lock; the
/// uncached lookup has the same window. Closing it takes the pv lock here
/// or, as Mach does, a TLB shootdown that waits for this CPU.)
fn frame_of(t: &Thread, pmap: &Pmap, va: u64, len: usize) -> Option<u64> {
    let off = va % PAGE_SIZE as u64;
    if off as usize + len > PAGE_SIZE {
        return None;
    }
    let page = va - off;
    let gen = crate::arch::pmap::generation();
    if let Some(pa) = t.cached_frame(page, gen) {
        return Some(pa + off);
    }
    let (pa, writable) = pmap.extract(page)?;
    if !writable {
        return None;
    }
    t.cache_frame(page, pa, gen);
    Some(pa + off)
}

/// Reads the message from the sender's memory, if it is present in one
/// page (the general path faults pages in). The page must be writable
/// too: the same buffer receives the reply, and the general path refuses
/// an unwritable receive buffer at once (MACH_RCV_INVALID_DATA) rather
/// than after the wait.
fn read_message<'a>(me: &Thread, pmap: &Pmap, addr: u64, size: usize, slot: &'a mut MaybeUninit<Msg>) -> Option<&'a Msg> {
    let pa = frame_of(me, pmap, addr, size)?;
    let p = phys_to_virt(pa) as *const u8;
    let words = (size - MSG_HEADER_SIZE) / 4;
    // SAFETY: [p, p + size) is one present user frame seen through the
    // physmap (frame_of), stable while the caller holds the VM lock;
    // unaligned reads of plain integers.
    unsafe {
        let m = slot.as_mut_ptr();
        let mut header = core::ptr::read_unaligned(p as *const MsgHeader);
        header.size = size as u32;
        core::ptr::addr_of_mut!((*m).header).write(header);
        core::ptr::addr_of_mut!((*m).words).write(words);
        let body = p.add(MSG_HEADER_SIZE) as *const u32;
        let dst = core::ptr::addr_of_mut!((*m).body) as *mut u32;
        core::ptr::copy_nonoverlapping(body, dst, words);
        // The header and count are written, and `body` is MaybeUninit.
        Some(slot.assume_init_ref())
    }
}

/// The dispositions, if the header is one the fast path takes.
fn simple_header(h: &MsgHeader) -> Option<(MsgTypeName, MsgTypeName)> {
    if h.bits & !(MACH_MSGH_BITS_REMOTE_MASK | MACH_MSGH_BITS_LOCAL_MASK) != 0 {
        return None;
    }
    let (rd, ld) = (msgh_bits_remote(h.bits), msgh_bits_local(h.bits));
    if rd != MACH_MSG_TYPE_COPY_SEND && rd != MACH_MSG_TYPE_MOVE_SEND_ONCE {
        return None;
    }
    match (ld, h.local_port) {
        (0, MACH_PORT_NULL) => Some((rd, ld)),
        (MACH_MSG_TYPE_MAKE_SEND_ONCE, n) if n != MACH_PORT_NULL && n != MACH_PORT_DEAD => Some((rd, ld)),
        _ => None,
    }
}

/// The port `name` holds with all of `bits`. The port may have died: the
/// caller checks it under its lock (a dead one goes to the general path,
/// which turns the name into a dead name).
fn port_with(sp: &SpaceInner, name: PortName, bits: PortType) -> Option<Arc<Port>> {
    let e = sp.peek(name)?;
    match &e.object {
        Object::Port(p) if e.bits & bits == bits => Some(p.clone()),
        _ => None,
    }
}

/// The port of a name holding exactly a send-once right.
fn send_once_port(sp: &SpaceInner, name: PortName) -> Option<Arc<Port>> {
    let e = sp.peek(name)?;
    match &e.object {
        Object::Port(p) if e.bits == MACH_PORT_TYPE_SEND_ONCE => Some(p.clone()),
        _ => None,
    }
}

/// Where the sender will receive: a receive right or a set. (A port in a
/// set is refused later, under its lock, by assert_wait_port.)
fn source(sp: &SpaceInner, name: PortName) -> Option<mqueue::Source> {
    let e = sp.peek(name)?;
    match &e.object {
        Object::Port(p) if e.bits & MACH_PORT_TYPE_RECEIVE != 0 => Some(mqueue::Source::Port(p.clone())),
        Object::Set(s) => Some(mqueue::Source::Set(s.clone())),
        _ => None,
    }
}

/// Under the sender's space lock: checks the rights, claims a receiver,
/// then takes the rights. None (nothing changed) when any check fails.
fn take_rights(sp: &mut SpaceInner, h: &MsgHeader, rd: MsgTypeName, ld: MsgTypeName, rcv_name: PortName) -> Option<(Sent, Right, Arc<Thread>)> {
    let send_once = rd == MACH_MSG_TYPE_MOVE_SEND_ONCE;
    let dest = if send_once {
        // A send-once right is its entry's only right (a name of its own).
        send_once_port(sp, h.remote_port)?
    } else {
        port_with(sp, h.remote_port, MACH_PORT_TYPE_SEND)?
    };
    let reply = if ld != 0 { Some(port_with(sp, h.local_port, MACH_PORT_TYPE_RECEIVE)?) } else { None };
    let src = source(sp, rcv_name)?;
    let receiver = claim_receiver(&dest, send_once, h.size)?;
    // Committed: take the rights. COPY_SEND leaves the entry as it is.
    if send_once {
        // Only the entry's Arc is dropped: the count moves with the message.
        drop(sp.remove_send_once(h.remote_port));
    }
    let reply = reply.map_or(Right::Null, |p| Right::make_send_once(&p));
    Some((Sent { dest, send_once, src }, reply, receiver))
}

/// Claims a receiver blocked on `dest` (or on its set) with a buffer of at
/// least `size` bytes, if the port is ordinary, alive and empty.
fn claim_receiver(dest: &Arc<Port>, send_once: bool, size: u32) -> Option<Arc<Thread>> {
    let mut s = dest.lock();
    if !s.active || s.kobject.is_kernel() || !s.messages.is_empty() || (!send_once && s.qlimit == 0) {
        return None;
    }
    let r = match &s.pset {
        None => dest.receivers.claim_first()?,
        // Threads receiving on the port itself predate the set: general.
        Some(set) if dest.receivers.is_empty() => set.receivers.claim_first()?,
        Some(_) => return None,
    };
    if r.rcv_buffer().is_none_or(|(_, max)| max < size) || r.task.is_none() {
        // Ours now: let it run and find nothing (a spurious wakeup).
        drop(s);
        sched::enqueue(r);
        return None;
    }
    s.seqno = s.seqno.wrapping_add(1);
    Some(r)
}

/// Copies the message into the receiver's buffer and the reply right into
/// its space. Ok: a right the receiver's space could not hold (a dying
/// space), to drop unlocked. Err: the reply right back, nothing done,
/// because the buffer is not in the page tables writable.
fn deliver(r: &Thread, m: &Msg, sent: &Sent, reply: Right) -> Result<Right, Right> {
    let (Some(task), Some((addr, _))) = (r.task.as_ref(), r.rcv_buffer()) else { return Err(reply) };
    let size = m.header.size as usize;
    // Lock order: a task's VM lock before its space lock.
    let vm = task.vm.lock();
    let Some(pa) = frame_of(r, &vm.pmap, addr, size) else { return Err(reply) };
    let reply_type = if reply.is_null() { 0 } else { MACH_MSG_TYPE_PORT_SEND_ONCE };
    let dest_type = if sent.send_once { MACH_MSG_TYPE_PORT_SEND_ONCE } else { MACH_MSG_TYPE_PORT_SEND };
    let (local, remote, leftover) = {
        let mut sp = task.space.lock();
        let local = local_name(&sp, &sent.dest, r.rcv_name());
        let (remote, leftover) = sp.copyout(reply);
        (local, remote, leftover)
    };
    let h = MsgHeader { bits: msgh_bits(reply_type, dest_type), size: size as u32, remote_port: remote, local_port: local, reserved: 0, id: m.header.id };
    let p = phys_to_virt(pa) as *mut u8;
    // SAFETY: [p, p + size) is one writable user frame of the receiver
    // (frame_of), which cannot change while we hold its VM lock; the body
    // words were written by read_message.
    unsafe {
        core::ptr::write_unaligned(p as *mut MsgHeader, h);
        let body = p.add(MSG_HEADER_SIZE) as *mut u32;
        for (i, w) in m.body[..m.words].iter().enumerate() {
            core::ptr::write_unaligned(body.add(i), w.assume_init());
        }
    }
    drop(vm);
    Ok(leftover)
}

/// The receiver's name for the destination (its receive right's name),
/// found without the reverse map when the name it receives on is that
/// right: a space has one name for a port's send and receive rights, so a
/// name holding the receive right is the one name_of would give.
fn local_name(sp: &SpaceInner, dest: &Arc<Port>, hint: PortName) -> PortName {
    match sp.peek(hint) {
        Some(e) if e.bits & MACH_PORT_TYPE_RECEIVE != 0 && matches!(&e.object, Object::Port(p) if Arc::ptr_eq(p, dest)) => hint,
        _ => sp.name_of(dest).unwrap_or(MACH_PORT_NULL),
    }
}

/// The general delivery of the message, with the rights already taken
/// from the sender (the receiver we claimed is let go to find it queued).
fn deliver_general(m: &Msg, sent: &Sent, reply: Right, r: Arc<Thread>) -> KernReturn {
    sched::enqueue(r);
    let size = m.header.size as usize;
    let mut data = alloc::vec![0u8; size];
    mach::pod::write(&mut data, 0, &m.header);
    for (i, w) in m.body[..m.words].iter().enumerate() {
        let at = MSG_HEADER_SIZE + 4 * i;
        // SAFETY: read_message wrote the first `words` words.
        data[at..at + 4].copy_from_slice(&unsafe { w.assume_init() }.to_ne_bytes());
    }
    // The COPY_SEND right, not made on the fast path, is made now.
    let dest = if sent.send_once { Right::SendOnce(sent.dest.clone()) } else { Right::copy_send(&sent.dest) };
    mqueue::deliver(Kmsg { header: m.header, data, dest, reply, ports: alloc::vec::Vec::new(), ool: alloc::vec::Vec::new() })
}

/// The sender's receive: blocks on `src` with its buffer published and
/// gives the CPU to `r` (the receiver it delivered to), directly when
/// priorities allow. True when a message was delivered to it the same way;
/// false when it must receive the general way (something is queued, the
/// source died, or another kind of wakeup).
fn wait_handing_off(src: &mqueue::Source, rcv_name: PortName, addr: u64, rcv_size: u64, r: Arc<Thread>) -> bool {
    let me = sched::current_arc();
    me.set_rcv_name(rcv_name);
    let max = rcv_size.min(u32::MAX as u64) as u32;
    let q = match src {
        mqueue::Source::Port(p) => assert_wait_port(p, &me, addr, max),
        mqueue::Source::Set(s) => assert_wait_set(s, &me, addr, max),
    };
    let Some(q) = q else {
        sched::enqueue(r);
        return false;
    };
    sched::handoff_or_schedule(r);
    me.publish_rcv_buffer(0, 0);
    q.remove(&me);
    me.wait_result() == THREAD_MSG_DELIVERED
}

/// Waits on `p` if it is alive and empty (Mach's assert_wait): queued and
/// marked Blocked under the port's lock, so that a sender on another CPU
/// either sees us waiting or we see its message.
fn assert_wait_port<'a>(p: &'a Arc<Port>, me: &Arc<Thread>, addr: u64, max: u32) -> Option<&'a sched::WaitQueue> {
    let s = p.lock();
    if !s.active || !s.messages.is_empty() || s.pset.is_some() {
        return None;
    }
    block_on(&p.receivers, me, addr, max);
    Some(&p.receivers)
}

/// As assert_wait_port for a set: every member must be empty. (Delivery
/// to a member takes the member's lock, not the set's, so with several
/// CPUs this check has the same window as the general path's set
/// receive; closing it needs delivery to take the set lock or the
/// receiver to re-check after queueing itself.)
fn assert_wait_set<'a>(set: &'a Arc<PortSet>, me: &Arc<Thread>, addr: u64, max: u32) -> Option<&'a sched::WaitQueue> {
    let st = set.state.lock();
    if !st.active {
        return None;
    }
    let queued = st.members.iter().filter_map(alloc::sync::Weak::upgrade).any(|m| !m.lock().messages.is_empty());
    if queued {
        return None;
    }
    block_on(&set.receivers, me, addr, max);
    Some(&set.receivers)
}

fn block_on(q: &sched::WaitQueue, me: &Arc<Thread>, addr: u64, max: u32) {
    me.publish_rcv_buffer(addr, max);
    q.add(me);
    sched::assert_wait(me);
}
