//! Port name spaces: a task's names for rights. Each name has an entry
//! with type bits (`MACH_PORT_TYPE_*`) and user references. As in Mach, a
//! space has one name per port for send and receive rights together (the
//! reverse map finds it), while each send-once right gets a name of its
//! own. Names are chosen by the kernel and never reused while held.

use super::port::Port;
use super::pset::PortSet;
use super::right::{take_from_entry, Right, Taken};
use super::table::EntryTable;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use mach::port::*;
use spin::{Mutex, MutexGuard};

/// Most user references one name may hold (Mach's MACH_PORT_UREFS_MAX).
pub const UREFS_MAX: u32 = 0xffff;

#[derive(Clone)]
pub enum Object {
    None,
    Port(Arc<Port>),
    Set(Arc<PortSet>),
}

#[derive(Clone)]
pub struct Entry {
    pub bits: PortType,
    /// Send (or dead-name) user references; 1 for a send-once right.
    pub urefs: u32,
    pub object: Object,
}

impl Entry {
    pub fn port(&self) -> Option<&Arc<Port>> {
        match &self.object {
            Object::Port(p) => Some(p),
            _ => None,
        }
    }
}

pub struct SpaceInner {
    pub active: bool,
    entries: EntryTable,
    /// Port -> the name of its send/receive entry.
    reverse: BTreeMap<usize, PortName>,
}

pub struct Space {
    inner: Mutex<SpaceInner>,
}

impl Default for Space {
    fn default() -> Self {
        Self::new()
    }
}

/// The most names a task may make for itself: every one is kernel heap
/// (a port and its entry), and a loop of mach_reply_port must not be able
/// to take it all. Rights others send in are not counted against it.
pub const MAX_NAMES: usize = 65536;

impl Space {
    pub fn new() -> Space {
        Space { inner: Mutex::new(SpaceInner { active: true, entries: EntryTable::new(), reverse: BTreeMap::new() }) }
    }

    pub fn lock(&self) -> MutexGuard<'_, SpaceInner> {
        self.inner.lock()
    }

    /// Puts a right in the space; its name (or NULL/DEAD).
    pub fn copyout(&self, r: Right) -> PortName {
        let (name, extra) = self.lock().copyout(r);
        drop(extra);
        name
    }

    /// Whether the task may make itself another name (mach_port_allocate,
    /// mach_reply_port): under MAX_NAMES, and the kernel heap has room.
    pub fn may_add_name(&self) -> Result<(), mach::kern_return::KernReturn> {
        if self.lock().entries.len() >= MAX_NAMES {
            return Err(mach::kern_return::KERN_NO_SPACE);
        }
        crate::kern::kalloc::admit(1024)
    }

    /// Destroys the space (task death): every right it holds is released.
    pub fn destroy(&self) {
        // The table is taken whole under the lock, its rights released
        // outside it (releasing one may send a notification).
        let mut table = {
            let mut s = self.lock();
            s.active = false;
            s.reverse.clear();
            core::mem::take(&mut s.entries)
        };
        for e in table.take_all() {
            drop(rights_of(e));
        }
    }
}

/// The reverse-map key of an entry holding a send or receive right.
fn reverse_key(e: &Entry) -> Option<usize> {
    match &e.object {
        Object::Port(p) if e.bits & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE) != 0 => Some(p.key()),
        _ => None,
    }
}

/// The rights an entry holds, as values (to release them).
pub fn rights_of(e: Entry) -> Vec<Destroyed> {
    let mut v = Vec::new();
    match e.object {
        Object::Port(p) => {
            if e.bits & MACH_PORT_TYPE_SEND != 0 {
                v.push(Destroyed::Right(Right::Send(p.clone())));
            }
            if e.bits & MACH_PORT_TYPE_SEND_ONCE != 0 {
                v.push(Destroyed::Right(Right::SendOnce(p.clone())));
            }
            if e.bits & MACH_PORT_TYPE_RECEIVE != 0 {
                super::pset::leave_set(&p);
                v.push(Destroyed::Right(Right::Receive(p)));
            }
        }
        Object::Set(s) => v.push(Destroyed::Set(s)),
        Object::None => {}
    }
    v
}

/// Something leaving a space, released when dropped (outside the lock).
pub enum Destroyed {
    Right(Right),
    Set(Arc<PortSet>),
}

impl Drop for Destroyed {
    fn drop(&mut self) {
        if let Destroyed::Set(s) = self {
            super::pset::destroy(s);
        }
    }
}

impl SpaceInner {
    /// The entry for `name`. A send or send-once right to a port that has
    /// died turns into a dead name here, lazily, as in Mach.
    pub fn lookup(&mut self, name: PortName) -> Option<&mut Entry> {
        let e = self.entries.get_mut(name)?;
        if let Object::Port(p) = &e.object {
            let rights = e.bits & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE);
            if e.bits & MACH_PORT_TYPE_RECEIVE == 0 && rights != 0 && !p.is_active() {
                let key = p.key();
                let mut urefs = if e.bits & MACH_PORT_TYPE_SEND != 0 { e.urefs } else { 0 };
                if e.bits & MACH_PORT_TYPE_SEND_ONCE != 0 {
                    urefs += 1;
                }
                *e = Entry { bits: MACH_PORT_TYPE_DEAD_NAME, urefs: urefs.max(1), object: Object::None };
                if self.reverse.get(&key) == Some(&name) {
                    self.reverse.remove(&key);
                }
            }
        }
        Some(e)
    }

    /// The entry for `name` as it stands, without turning rights to dead
    /// ports into dead names (for the fast path, which checks the port
    /// itself and leaves dead ports to the general path).
    pub fn peek(&self, name: PortName) -> Option<&Entry> {
        self.entries.get(name)
    }

    pub fn get(&mut self, name: PortName) -> Option<Entry> {
        self.lookup(name).cloned()
    }

    pub fn name_of(&self, p: &Arc<Port>) -> Option<PortName> {
        self.reverse.get(&p.key()).copied()
    }

    /// Adds an entry under a new name.
    pub fn insert_new(&mut self, e: Entry) -> PortName {
        let key = reverse_key(&e);
        let name = self.entries.insert_new(e);
        if let Some(k) = key {
            self.reverse.insert(k, name);
        }
        name
    }

    /// Adds (or replaces) the entry at `name`, keeping the reverse map.
    pub fn insert_at(&mut self, name: PortName, e: Entry) {
        if let Some(k) = reverse_key(&e) {
            self.reverse.insert(k, name);
        }
        self.entries.insert(name, e);
    }

    /// Removes the entry (the caller releases its rights).
    pub fn remove(&mut self, name: PortName) -> Option<Entry> {
        let e = self.entries.remove(name)?;
        if let Object::Port(p) = &e.object {
            if self.reverse.get(&p.key()) == Some(&name) {
                self.reverse.remove(&p.key());
            }
        }
        Some(e)
    }

    /// Removes a name that holds a send-once right and nothing else. Such a
    /// name was made for that right alone and never entered the reverse
    /// map, so there is nothing else to update (the fast path's MOVE_SEND_ONCE).
    pub fn remove_send_once(&mut self, name: PortName) -> Option<Entry> {
        self.entries.remove_if(name, |e| e.bits == MACH_PORT_TYPE_SEND_ONCE)
    }

    /// Writes back an entry a right was taken from: gone if it holds
    /// nothing, out of the reverse map if it holds no send/receive right.
    pub fn store(&mut self, name: PortName, e: Entry) {
        if e.bits == 0 {
            self.remove(name);
        } else {
            if let Object::Port(p) = &e.object {
                if e.bits & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE) == 0
                    && self.reverse.get(&p.key()) == Some(&name)
                {
                    self.reverse.remove(&p.key());
                }
            }
            self.entries.insert(name, e);
        }
    }

    /// Takes one right named by `name` with disposition `disp`.
    /// MACH_PORT_NULL and MACH_PORT_DEAD stand for themselves.
    pub fn copyin(&mut self, name: PortName, disp: MsgTypeName) -> Result<Right, ()> {
        let taken = self.take(name, disp)?;
        if let Taken::Moved(MACH_MSG_TYPE_MOVE_RECEIVE, p) = &taken {
            super::pset::leave_set(p);
        }
        Ok(taken.into_right())
    }

    fn take(&mut self, name: PortName, disp: MsgTypeName) -> Result<Taken, ()> {
        match name {
            MACH_PORT_NULL => return Ok(Taken::Null),
            MACH_PORT_DEAD => return Ok(Taken::Dead),
            _ => {}
        }
        let mut e = self.get(name).ok_or(())?;
        let t = take_from_entry(&mut e, disp)?;
        self.store(name, e);
        Ok(t)
    }

    /// Checks that all of `ops` (name, disposition) could be taken in
    /// order, without changing anything; the index of the first that could
    /// not.
    pub fn check_copyin(&mut self, ops: &[(PortName, MsgTypeName)]) -> Result<(), usize> {
        // Copies of the entries, changed as the operations would change
        // them; the header's two fit inline, more go to a Vec.
        let mut inline: [Option<(PortName, Entry)>; 2] = [None, None];
        let mut spill: Vec<(PortName, Entry)> = Vec::new();
        for (i, &(name, disp)) in ops.iter().enumerate() {
            if name == MACH_PORT_NULL || name == MACH_PORT_DEAD {
                continue;
            }
            let seen = inline.iter().flatten().chain(spill.iter()).any(|(n, _)| *n == name);
            if !seen {
                let e = self.get(name).ok_or(i)?;
                match inline.iter_mut().find(|s| s.is_none()) {
                    Some(slot) => *slot = Some((name, e)),
                    None => spill.push((name, e)),
                }
            }
            let found = inline.iter_mut().flatten().chain(spill.iter_mut()).find(|(n, _)| *n == name);
            let Some((_, e)) = found else { return Err(i) }; // just stored
            if e.bits == 0 {
                return Err(i);
            }
            take_from_entry(e, disp).map_err(|_| i)?;
        }
        Ok(())
    }

    /// Puts a right in the space (Mach's ipc_right_copyout). Returns the
    /// name and, when the right merged into an entry that already counted
    /// one, nothing to release; a right that cannot be held is returned to
    /// be dropped outside the lock.
    pub fn copyout(&mut self, r: Right) -> (PortName, Right) {
        if !self.active {
            return (MACH_PORT_NULL, r);
        }
        match r {
            Right::Null => (MACH_PORT_NULL, Right::Null),
            Right::Dead => (MACH_PORT_DEAD, Right::Null),
            Right::SendOnce(_) => {
                let p = r.into_port().unwrap();
                (self.insert_new(Entry { bits: MACH_PORT_TYPE_SEND_ONCE, urefs: 1, object: Object::Port(p) }), Right::Null)
            }
            Right::Send(ref p) if !p.is_active() => (MACH_PORT_DEAD, r),
            Right::Send(_) => {
                let p = r.into_port().unwrap();
                self.copyout_send(p)
            }
            Right::Receive(_) => {
                let p = r.into_port().unwrap();
                match self.name_of(&p) {
                    Some(n) => {
                        let e = self.entries.get_mut(n).unwrap();
                        e.bits |= MACH_PORT_TYPE_RECEIVE;
                        (n, Right::Null)
                    }
                    None => (self.insert_new(Entry { bits: MACH_PORT_TYPE_RECEIVE, urefs: 0, object: Object::Port(p) }), Right::Null),
                }
            }
        }
    }

    fn copyout_send(&mut self, p: Arc<Port>) -> (PortName, Right) {
        let Some(n) = self.name_of(&p) else {
            return (self.insert_new(Entry { bits: MACH_PORT_TYPE_SEND, urefs: 1, object: Object::Port(p) }), Right::Null);
        };
        let e = self.entries.get_mut(n).unwrap();
        if e.bits & MACH_PORT_TYPE_SEND == 0 {
            e.bits |= MACH_PORT_TYPE_SEND;
            e.urefs = 1;
            return (n, Right::Null);
        }
        // The entry already counts as one send right: merge into it.
        if e.urefs < UREFS_MAX {
            e.urefs += 1;
        }
        let mut s = p.lock();
        s.srights = s.srights.saturating_sub(1);
        (n, Right::Null)
    }

    /// Every name with its entry (for tests and status).
    pub fn names(&self) -> impl Iterator<Item = (&PortName, &Entry)> {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::port::KObject;

    fn srights(p: &Arc<Port>) -> u32 {
        p.lock().srights
    }

    fn space_with_receive() -> (Space, Arc<Port>, PortName) {
        let s = Space::new();
        let p = Port::new(KObject::None);
        let n = s.copyout(Right::Receive(p.clone()));
        (s, p, n)
    }

    #[test]
    fn send_and_receive_share_a_name() {
        let (s, p, n) = space_with_receive();
        let r = s.lock().copyin(n, MACH_MSG_TYPE_MAKE_SEND).unwrap();
        assert_eq!(srights(&p), 1);
        assert_eq!(p.lock().mscount, 1);
        assert_eq!(s.copyout(r), n);
        let r2 = s.lock().copyin(n, MACH_MSG_TYPE_MAKE_SEND).unwrap();
        assert_eq!(s.copyout(r2), n);
        let e = s.lock().get(n).unwrap();
        assert_eq!(e.bits, MACH_PORT_TYPE_SEND_RECEIVE);
        assert_eq!(e.urefs, 2);
        assert_eq!(srights(&p), 1, "one space counts once");
    }

    #[test]
    fn move_send_takes_urefs_and_then_the_right() {
        let (s, p, n) = space_with_receive();
        let r = s.lock().copyin(n, MACH_MSG_TYPE_MAKE_SEND).unwrap();
        let other = Space::new();
        let m = other.copyout(r);
        let r2 = other.lock().copyin(m, MACH_MSG_TYPE_COPY_SEND).unwrap();
        assert_eq!(other.copyout(r2), m);
        assert_eq!(other.lock().get(m).unwrap().urefs, 2);
        let a = other.lock().copyin(m, MACH_MSG_TYPE_MOVE_SEND).unwrap();
        assert_eq!(srights(&p), 2);
        let b = other.lock().copyin(m, MACH_MSG_TYPE_MOVE_SEND).unwrap();
        assert!(other.lock().get(m).is_none(), "last uref moved: name gone");
        assert!(other.lock().copyin(m, MACH_MSG_TYPE_MOVE_SEND).is_err());
        drop(a);
        drop(b);
        assert_eq!(srights(&p), 0);
    }

    #[test]
    fn check_accounts_for_repeated_names() {
        let (s, _p, n) = space_with_receive();
        let r = s.lock().copyin(n, MACH_MSG_TYPE_MAKE_SEND).unwrap();
        s.copyout(r);
        let mut g = s.lock();
        assert_eq!(g.check_copyin(&[(n, MACH_MSG_TYPE_MOVE_SEND)]), Ok(()));
        assert_eq!(g.check_copyin(&[(n, MACH_MSG_TYPE_MOVE_SEND), (n, MACH_MSG_TYPE_MOVE_SEND)]), Err(1));
        assert_eq!(g.check_copyin(&[(n, MACH_MSG_TYPE_MOVE_RECEIVE), (n, MACH_MSG_TYPE_MAKE_SEND)]), Err(1));
        assert_eq!(g.check_copyin(&[(0x9999, MACH_MSG_TYPE_COPY_SEND)]), Err(0));
        assert_eq!(g.check_copyin(&[(MACH_PORT_NULL, MACH_MSG_TYPE_COPY_SEND)]), Ok(()));
        // Checking changed nothing.
        assert_eq!(g.get(n).unwrap().urefs, 1);
        assert_eq!(g.get(n).unwrap().bits, MACH_PORT_TYPE_SEND_RECEIVE);
    }

    #[test]
    fn send_once_names_are_distinct_and_used_once() {
        let (s, p, n) = space_with_receive();
        let a = s.lock().copyin(n, MACH_MSG_TYPE_MAKE_SEND_ONCE).unwrap();
        let b = s.lock().copyin(n, MACH_MSG_TYPE_MAKE_SEND_ONCE).unwrap();
        assert_eq!(p.lock().sorights, 2);
        let na = s.copyout(a);
        let nb = s.copyout(b);
        assert_ne!(na, nb);
        assert_ne!(na, n);
        let r = s.lock().copyin(na, MACH_MSG_TYPE_MOVE_SEND_ONCE).unwrap();
        assert!(s.lock().copyin(na, MACH_MSG_TYPE_MOVE_SEND_ONCE).is_err());
        r.consume();
        assert_eq!(p.lock().sorights, 1);
    }

    #[test]
    fn dead_port_turns_send_into_dead_name() {
        let (s, p, n) = space_with_receive();
        let r = s.lock().copyin(n, MACH_MSG_TYPE_MAKE_SEND).unwrap();
        let other = Space::new();
        let m = other.copyout(r);
        s.destroy();
        assert!(!p.is_active());
        let e = other.lock().get(m).unwrap();
        assert_eq!(e.bits, MACH_PORT_TYPE_DEAD_NAME);
        assert_eq!(e.urefs, 1);
        assert!(matches!(other.lock().copyin(m, MACH_MSG_TYPE_COPY_SEND), Ok(Right::Dead)));
        assert!(other.lock().copyin(m, MACH_MSG_TYPE_MAKE_SEND).is_err());
    }

    #[test]
    fn wrong_rights_are_refused() {
        let (s, _p, n) = space_with_receive();
        let mut g = s.lock();
        assert!(g.copyin(n, MACH_MSG_TYPE_COPY_SEND).is_err());
        assert!(g.copyin(n, MACH_MSG_TYPE_MOVE_SEND_ONCE).is_err());
        assert!(g.copyin(n, 3).is_err());
        assert!(g.copyin(0x4242, MACH_MSG_TYPE_MAKE_SEND).is_err());
    }
}
