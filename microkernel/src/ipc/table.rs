//! A space's entries by name, as Mach keeps them: names the kernel chooses
//! are (index << 8) | generation, and the index goes straight to a slot of
//! a table (no search). A freed slot is reused with the next generation,
//! so a name that was released does not come back at once and the table
//! stays as small as the most names held at a time. Names a task chooses
//! itself (mach_port_insert_right) that are not the current name of a
//! slot in use live in a small ordered map beside the table; the kernel
//! never chooses a name found there.

use super::space::Entry;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use mach::port::{name_valid, PortName};

const GEN_BITS: u32 = 8;
/// The generation of an index's first name (0x103, 0x203, ... as before).
const FIRST_GEN: u32 = 3;
/// Generations advance by this much on reuse (the low bits stay 3).
const GEN_STEP: u32 = 4;
const MAX_INDEX: usize = (1 << (32 - GEN_BITS)) - 1;

struct Slot {
    /// The name the slot holds, or held last when free.
    name: PortName,
    entry: Option<Entry>,
    /// When free: the index of the slot freed before it (0: none).
    next_free: u32,
}

/// Slots per chunk: a chunk is one heap block of at most a page.
const CHUNK: usize = 4096 / core::mem::size_of::<Slot>();

/// The slots, in fixed-size chunks rather than one vector: a space with
/// many names (the UNIX server's, under a fork bomb) would otherwise need
/// one ever larger block of contiguous frames, which a fragmented or
/// nearly full memory cannot give, and the kernel would panic.
#[derive(Default)]
struct Slots {
    chunks: Vec<Vec<Slot>>,
    len: usize,
}

impl Slots {
    fn get(&self, i: usize) -> Option<&Slot> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }
    fn get_mut(&mut self, i: usize) -> Option<&mut Slot> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }
    fn at(&mut self, i: usize) -> &mut Slot {
        self.get_mut(i).expect("slot index in the table")
    }
    fn push(&mut self, s: Slot) {
        if self.len % CHUNK == 0 {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks.last_mut().expect("a chunk with room").push(s);
        self.len += 1;
    }
    fn iter(&self) -> impl Iterator<Item = &Slot> {
        self.chunks.iter().flatten()
    }
}

#[derive(Default)]
pub struct EntryTable {
    /// Slot i holds names with index i; slot 0 is never used (name 0 is
    /// MACH_PORT_NULL).
    slots: Slots,
    /// The most recently freed slot, whose `next_free` leads on (0: none).
    free: u32,
    /// Names chosen by tasks that are not a slot's name.
    other: BTreeMap<PortName, Entry>,
    /// Names in use.
    live: usize,
}

fn index_of(name: PortName) -> usize {
    (name >> GEN_BITS) as usize
}

impl EntryTable {
    pub const fn new() -> Self {
        EntryTable { slots: Slots { chunks: Vec::new(), len: 0 }, free: 0, other: BTreeMap::new(), live: 0 }
    }

    fn slot(&self, name: PortName) -> Option<&Slot> {
        self.slots.get(index_of(name)).filter(|s| s.name == name && s.entry.is_some())
    }

    pub fn get(&self, name: PortName) -> Option<&Entry> {
        match self.slot(name) {
            Some(s) => s.entry.as_ref(),
            None if self.other.is_empty() => None,
            None => self.other.get(&name),
        }
    }

    pub fn get_mut(&mut self, name: PortName) -> Option<&mut Entry> {
        if self.slot(name).is_some() {
            return self.slots.at(index_of(name)).entry.as_mut();
        }
        self.other.get_mut(&name)
    }

    pub fn contains(&self, name: PortName) -> bool {
        self.get(name).is_some()
    }

    /// Sets the entry of an existing name, or adds one under a name the
    /// caller chose (not in the table: kept beside it).
    pub fn insert(&mut self, name: PortName, e: Entry) {
        if self.slot(name).is_some() {
            self.slots.at(index_of(name)).entry = Some(e);
        } else if self.other.insert(name, e).is_none() {
            self.live += 1;
        }
    }

    /// Adds `e` under a new name of the kernel's choosing.
    pub fn insert_new(&mut self, e: Entry) -> PortName {
        loop {
            let (i, name) = match self.pop_free() {
                Some(i) => {
                    let s = self.slots.at(i as usize);
                    s.name = (s.name & !0xff) | (s.name.wrapping_add(GEN_STEP) & 0xff);
                    (i as usize, s.name)
                }
                None => {
                    let i = self.slots.len.max(1);
                    // Not reachable from user requests: 2^24 slots would
                    // need more memory than the heap has.
                    assert!(i <= MAX_INDEX, "port name table full");
                    if self.slots.len == 0 {
                        self.slots.push(Slot { name: 0, entry: None, next_free: 0 });
                    }
                    let name = ((i as u32) << GEN_BITS) | FIRST_GEN;
                    self.slots.push(Slot { name, entry: None, next_free: 0 });
                    (i, name)
                }
            };
            if name_valid(name) && !self.other.contains_key(&name) {
                self.slots.at(i).entry = Some(e);
                self.live += 1;
                return name;
            }
            // Taken by a task's own name (or invalid): next generation.
            self.push_free(i);
        }
    }

    /// Removes the entry of `name` if `take` accepts it, finding it once.
    pub fn remove_if(&mut self, name: PortName, take: impl Fn(&Entry) -> bool) -> Option<Entry> {
        let i = index_of(name);
        match self.slots.get_mut(i) {
            Some(s) if s.name == name && s.entry.as_ref().is_some_and(&take) => {
                let e = s.entry.take();
                self.push_free(i);
                self.live -= 1;
                e
            }
            Some(s) if s.name == name && s.entry.is_some() => None,
            _ => match self.other.get(&name) {
                Some(e) if take(e) => {
                    self.live -= 1;
                    self.other.remove(&name)
                }
                _ => None,
            },
        }
    }

    pub fn remove(&mut self, name: PortName) -> Option<Entry> {
        if self.slot(name).is_some() {
            let i = index_of(name);
            let e = self.slots.at(i).entry.take();
            self.push_free(i);
            self.live -= 1;
            return e;
        }
        let e = self.other.remove(&name);
        self.live -= e.is_some() as usize;
        e
    }

    /// Names in use.
    pub fn len(&self) -> usize {
        self.live
    }

    fn push_free(&mut self, i: usize) {
        let head = self.free;
        self.slots.at(i).next_free = head;
        self.free = i as u32;
    }

    fn pop_free(&mut self) -> Option<u32> {
        let i = self.free;
        if i == 0 {
            return None;
        }
        self.free = self.slots.at(i as usize).next_free;
        Some(i)
    }

    /// Every entry, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&PortName, &Entry)> {
        let table = self.slots.iter().filter_map(|s| s.entry.as_ref().map(|e| (&s.name, e)));
        Merge { a: table.peekable(), b: self.other.iter().peekable() }
    }

    /// Empties the table, giving its entries one at a time: a space with
    /// many names must not need one large block to be destroyed.
    pub fn take_all(&mut self) -> impl Iterator<Item = Entry> {
        let slots = core::mem::take(&mut self.slots).chunks.into_iter().flatten().filter_map(|s| s.entry);
        self.free = 0;
        self.live = 0;
        slots.chain(core::mem::take(&mut self.other).into_values())
    }
}

/// Two name-ordered sequences as one.
struct Merge<'a, A: Iterator<Item = (&'a PortName, &'a Entry)>, B: Iterator<Item = (&'a PortName, &'a Entry)>> {
    a: core::iter::Peekable<A>,
    b: core::iter::Peekable<B>,
}

impl<'a, A, B> Iterator for Merge<'a, A, B>
where
    A: Iterator<Item = (&'a PortName, &'a Entry)>,
    B: Iterator<Item = (&'a PortName, &'a Entry)>,
{
    type Item = (&'a PortName, &'a Entry);
    fn next(&mut self) -> Option<Self::Item> {
        match (self.a.peek(), self.b.peek()) {
            (Some(x), Some(y)) if y.0 < x.0 => self.b.next(),
            (Some(_), _) => self.a.next(),
            _ => self.b.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::space::Object;

    fn entry(urefs: u32) -> Entry {
        Entry { bits: mach::port::MACH_PORT_TYPE_DEAD_NAME, urefs, object: Object::None }
    }

    #[test]
    fn many_names_span_chunks_and_are_counted() {
        let mut t = EntryTable::new();
        let names: Vec<PortName> = (0..3 * CHUNK as u32).map(|i| t.insert_new(entry(i))).collect();
        assert_eq!(t.len(), 3 * CHUNK);
        t.insert(0x7777_0001, entry(9));
        t.insert(0x7777_0001, entry(10));
        assert_eq!(t.len(), 3 * CHUNK + 1, "replacing a name is not a new one");
        for (i, n) in names.iter().enumerate() {
            assert_eq!(t.get(*n).map(|e| e.urefs), Some(i as u32));
        }
        for n in &names[..CHUNK] {
            assert!(t.remove(*n).is_some());
        }
        assert!(t.remove(names[0]).is_none());
        assert_eq!(t.len(), 2 * CHUNK + 1);
        // Freed slots are used again, most recently freed first.
        let again = t.insert_new(entry(0));
        assert_eq!(again >> GEN_BITS, names[CHUNK - 1] >> GEN_BITS);
        assert_ne!(again, names[CHUNK - 1]);
        assert_eq!(t.take_all().count(), 2 * CHUNK + 2);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn names_start_as_before_and_are_found() {
        let mut t = EntryTable::new();
        assert_eq!(t.insert_new(entry(1)), 0x103);
        assert_eq!(t.insert_new(entry(2)), 0x203);
        assert_eq!(t.get(0x203).unwrap().urefs, 2);
        assert!(t.get(0x303).is_none());
        assert!(t.get(0x207).is_none());
        assert!(t.get(0).is_none());
    }

    #[test]
    fn remove_if_removes_only_what_it_accepts() {
        let mut t = EntryTable::new();
        let a = t.insert_new(entry(1));
        t.insert(0x50, entry(2));
        assert!(t.remove_if(a, |e| e.urefs == 2).is_none());
        assert!(t.remove_if(0x50, |e| e.urefs == 1).is_none());
        assert!(t.remove_if(a + 4, |_| true).is_none(), "another generation");
        assert_eq!(t.remove_if(a, |e| e.urefs == 1).unwrap().urefs, 1);
        assert!(t.get(a).is_none());
        assert_eq!(t.remove_if(0x50, |_| true).unwrap().urefs, 2);
        assert_ne!(t.insert_new(entry(3)), a, "the slot was freed, under a new name");
    }

    #[test]
    fn a_freed_slot_comes_back_under_a_new_name() {
        let mut t = EntryTable::new();
        let a = t.insert_new(entry(1));
        assert_eq!(t.remove(a).unwrap().urefs, 1);
        assert!(t.get(a).is_none());
        assert!(t.remove(a).is_none());
        let b = t.insert_new(entry(2));
        assert_ne!(a, b);
        assert_eq!(b >> 8, a >> 8, "the slot is reused");
        assert!(t.get(a).is_none(), "the old name stays dead");
        assert_eq!(t.get(b).unwrap().urefs, 2);
    }

    #[test]
    fn task_chosen_names_sit_beside_the_table_and_are_avoided() {
        let mut t = EntryTable::new();
        t.insert(0x103, entry(7));
        t.insert(0x50, entry(8));
        let n = t.insert_new(entry(1));
        assert_ne!(n, 0x103);
        assert_eq!(t.get(0x103).unwrap().urefs, 7);
        let names: Vec<PortName> = t.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), 3);
        t.insert(n, entry(9));
        assert_eq!(t.get(n).unwrap().urefs, 9, "insert replaces a slot's entry");
        assert_eq!(t.take_all().count(), 3);
        assert!(t.get(n).is_none());
    }
}
