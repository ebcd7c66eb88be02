//! Port sets: receiving on a set takes a message from any member port.
//! A port belongs to at most one set; membership goes with the receive
//! right (moving or destroying the right takes the port out).

use super::port::Port;
use crate::kern::sched::WaitQueue;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use spin::Mutex;

pub struct SetState {
    pub active: bool,
    pub members: Vec<Weak<Port>>,
}

pub struct PortSet {
    pub state: Mutex<SetState>,
    /// Threads receiving on the set; every arrival on a member wakes them.
    pub receivers: WaitQueue,
}

impl PortSet {
    pub fn new() -> Arc<PortSet> {
        Arc::new(PortSet { state: Mutex::new(SetState { active: true, members: Vec::new() }), receivers: WaitQueue::new() })
    }

    /// Live members, in the order they joined.
    pub fn members(&self) -> Vec<Arc<Port>> {
        self.state.lock().members.iter().filter_map(Weak::upgrade).collect()
    }
}

/// Moves `port` into `set` (out of any set it was in).
pub fn add_member(set: &Arc<PortSet>, port: &Arc<Port>) {
    leave_set(port);
    set.state.lock().members.push(Arc::downgrade(port));
    port.lock().pset = Some(set.clone());
    // A message already queued must be seen by receivers on the set.
    set.receivers.wake_all();
}

/// Takes `port` out of its set, if any.
pub fn leave_set(port: &Arc<Port>) {
    let set = port.lock().pset.take();
    if let Some(set) = set {
        remove_member(&set, port);
    }
}

pub fn remove_member(set: &Arc<PortSet>, port: &Arc<Port>) {
    let p = Arc::as_ptr(port);
    set.state.lock().members.retain(|w| w.as_ptr() != p && w.strong_count() > 0);
}

/// Destroys a set: its members become ordinary ports again; receivers
/// blocked on it wake to find it dead.
pub fn destroy(set: &Arc<PortSet>) {
    let members = {
        let mut s = set.state.lock();
        s.active = false;
        core::mem::take(&mut s.members)
    };
    for m in members.iter().filter_map(Weak::upgrade) {
        let mut ps = m.lock();
        if ps.pset.as_ref().is_some_and(|s| Arc::ptr_eq(s, set)) {
            ps.pset = None;
        }
    }
    set.receivers.wake_all();
}
