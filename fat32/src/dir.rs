//! Directory entries: the 32-byte short entry, long-name (LFN) entries and
//! their checksum, and the directory operations built on them (scan, find,
//! insert, remove, grow).
//!
//! Positions inside a directory are entry indices (0, 1, ...); the chain
//! cache turns an index into a cluster without walking the FAT each time.

use crate::bpb::{le16, le32, put16, put32};
use crate::device::BlockDevice;
use crate::error::{Error, Result};
use crate::fs::{FileSystem, Ino};
use crate::index::DirIndex;
use crate::mode::*;
use crate::name::{self, ShortName};
use crate::time::DateTime;
use alloc::string::String;
use alloc::vec::Vec;

pub(crate) const ENTRY_SIZE: usize = 32;
const DELETED: u8 = 0xE5;
const LAST_LFN: u8 = 0x40;
/// FAT limits a directory to 65536 entries (2 MiB).
const MAX_ENTRIES: u32 = 65536;
/// UTF-16 units per LFN entry and where they sit in it.
const LFN_CHARS: usize = 13;
const LFN_OFFSETS: [usize; 13] = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

/// The fields of a short (8.3) directory entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ShortEntry {
    pub name: ShortName,
    pub attr: u8,
    pub nt: u8,
    pub ctime_tenth: u8,
    pub ctime: u16,
    pub cdate: u16,
    pub adate: u16,
    pub mtime: u16,
    pub mdate: u16,
    pub first_cluster: u32,
    pub size: u32,
}

impl ShortEntry {
    pub fn parse(b: &[u8]) -> ShortEntry {
        let mut name = [0u8; 11];
        name.copy_from_slice(&b[..11]);
        ShortEntry {
            name,
            attr: b[11],
            nt: b[12],
            ctime_tenth: b[13],
            ctime: le16(b, 14),
            cdate: le16(b, 16),
            adate: le16(b, 18),
            mtime: le16(b, 22),
            mdate: le16(b, 24),
            first_cluster: ((le16(b, 20) as u32) << 16) | le16(b, 26) as u32,
            size: le32(b, 28),
        }
    }

    pub fn store(&self, b: &mut [u8]) {
        b[..11].copy_from_slice(&self.name);
        b[11] = self.attr;
        b[12] = self.nt;
        b[13] = self.ctime_tenth;
        put16(b, 14, self.ctime);
        put16(b, 16, self.cdate);
        put16(b, 18, self.adate);
        put16(b, 20, (self.first_cluster >> 16) as u16);
        put16(b, 22, self.mtime);
        put16(b, 24, self.mdate);
        put16(b, 26, self.first_cluster as u16);
        put32(b, 28, self.size);
    }

    /// A fresh entry with all three times set to `now`.
    pub fn new(name: ShortName, nt: u8, attr: u8, now: DateTime) -> ShortEntry {
        let (date, time) = now.to_fat();
        ShortEntry {
            name,
            attr,
            nt,
            ctime_tenth: (now.second % 2) * 100,
            ctime: time,
            cdate: date,
            adate: date,
            mtime: time,
            mdate: date,
            first_cluster: 0,
            size: 0,
        }
    }

    pub fn is_dir(&self) -> bool {
        self.attr & ATTR_DIRECTORY != 0
    }
}

/// Builds the LFN entries for `long` in on-disk order (highest sequence
/// number first, flagged with 0x40).
fn lfn_entries(long: &[u16], sum: u8) -> Vec<[u8; 32]> {
    let count = long.len().div_ceil(LFN_CHARS);
    let mut out = Vec::with_capacity(count);
    for seq in (1..=count).rev() {
        let mut e = [0u8; 32];
        e[0] = seq as u8 | if seq == count { LAST_LFN } else { 0 };
        e[11] = ATTR_LFN;
        e[13] = sum;
        for (i, &off) in LFN_OFFSETS.iter().enumerate() {
            let pos = (seq - 1) * LFN_CHARS + i;
            // After the name: one 0x0000 terminator, then 0xFFFF padding.
            let unit = match pos.cmp(&long.len()) {
                core::cmp::Ordering::Less => long[pos],
                core::cmp::Ordering::Equal => 0,
                core::cmp::Ordering::Greater => 0xFFFF,
            };
            put16(&mut e, off, unit);
        }
        out.push(e);
    }
    out
}

/// Collects LFN entries while scanning; yields the long name only when the
/// sequence is complete and its checksum matches the short entry (otherwise
/// the entries are orphans and the short name is used, as the spec says).
#[derive(Default)]
struct LfnState {
    units: Vec<u16>,
    expect: u8,
    sum: u8,
    start: u32,
    active: bool,
}

impl LfnState {
    fn feed(&mut self, e: &[u8], idx: u32) {
        let seq = e[0] & 0x1F;
        if e[0] & LAST_LFN != 0 {
            if seq == 0 || seq > 20 {
                self.active = false;
                return;
            }
            self.units = alloc::vec![0xFFFF; seq as usize * LFN_CHARS];
            self.expect = seq;
            self.sum = e[13];
            self.start = idx;
            self.active = true;
        } else if !self.active || seq != self.expect || e[13] != self.sum {
            self.active = false;
            return;
        }
        if seq == 0 {
            self.active = false;
            return;
        }
        let base = (seq as usize - 1) * LFN_CHARS;
        for (i, &off) in LFN_OFFSETS.iter().enumerate() {
            self.units[base + i] = le16(e, off);
        }
        self.expect = seq - 1;
    }

    /// The long name for short entry `short`, if the preceding LFN run fits it.
    fn take(&mut self, short: &ShortName) -> Option<(String, u32)> {
        let ok = self.active && self.expect == 0 && self.sum == name::checksum(short);
        self.active = false;
        if !ok {
            return None;
        }
        let end = self.units.iter().position(|&u| u == 0 || u == 0xFFFF).unwrap_or(self.units.len());
        Some((name::from_utf16(&self.units[..end]), self.start))
    }
}

/// One live entry found in a directory (not `.`/`..`, not the volume label).
#[derive(Clone, Debug)]
pub(crate) struct Found {
    pub name: String,
    pub entry: ShortEntry,
    /// Index of the first entry (LFN or short) belonging to this name.
    pub start: u32,
    /// Index of the short entry.
    pub idx: u32,
    pub ino: Ino,
}

/// What `readdir` yields for each entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The long name if there is one, else the short name (NT case applied).
    pub name: String,
    /// The 8.3 alias, e.g. `LONGNA~1.TXT`.
    pub short_name: String,
    pub ino: Ino,
    /// FAT attribute bits (`ATTR_*`).
    pub attributes: u8,
    /// UNIX mode (type + permissions), see `mode`.
    pub mode: u32,
    pub size: u32,
    pub first_cluster: u32,
    pub created: DateTime,
    pub modified: DateTime,
    pub accessed: DateTime,
}

impl DirEntry {
    pub fn is_dir(&self) -> bool {
        self.attributes & ATTR_DIRECTORY != 0
    }

    pub(crate) fn from_found(f: &Found) -> DirEntry {
        let e = &f.entry;
        DirEntry {
            name: f.name.clone(),
            short_name: name::short_to_string(&e.name, 0),
            ino: f.ino,
            attributes: e.attr,
            mode: mode_from_attr(e.attr),
            size: if e.is_dir() { 0 } else { e.size },
            first_cluster: e.first_cluster,
            created: DateTime::from_fat(e.cdate, e.ctime),
            modified: DateTime::from_fat(e.mdate, e.mtime),
            accessed: DateTime::from_fat(e.adate, 0),
        }
    }
}

/// Where a directory scan stands; the index doubles as a readdir cookie.
pub(crate) struct Cursor {
    pub idx: u32,
    lfn: LfnState,
}

impl Cursor {
    pub fn at(idx: u32) -> Cursor {
        Cursor { idx, lfn: LfnState::default() }
    }
}

impl<D: BlockDevice> FileSystem<D> {
    fn entries_per_cluster(&self) -> u32 {
        self.bpb.cluster_size() / ENTRY_SIZE as u32
    }

    /// The (sector, byte offset) of entry `idx` of directory `dir`, or None
    /// past the end of its chain.
    pub(crate) fn entry_pos(&mut self, dir: u32, idx: u32) -> Result<Option<(u64, usize)>> {
        let epc = self.entries_per_cluster();
        let Some(cluster) = self.cluster_at(dir, idx / epc)? else { return Ok(None) };
        let byte = (idx % epc) as u64 * ENTRY_SIZE as u64;
        let bps = self.bpb.bytes_per_sector as u64;
        let sector = self.bpb.cluster_sector(cluster) + byte / bps;
        Ok(Some((sector, (byte % bps) as usize)))
    }

    pub(crate) fn read_raw(&mut self, sector: u64, off: usize) -> Result<[u8; 32]> {
        self.entries_read += 1;
        let buf = self.dcache.read(&mut self.dev, sector)?;
        let mut e = [0u8; 32];
        e.copy_from_slice(&buf[off..off + ENTRY_SIZE]);
        Ok(e)
    }

    pub(crate) fn write_raw(&mut self, sector: u64, off: usize, e: &[u8; 32]) -> Result<()> {
        let buf = self.dcache.modify(&mut self.dev, sector)?;
        buf[off..off + ENTRY_SIZE].copy_from_slice(e);
        Ok(())
    }

    pub(crate) fn ino_of(&self, sector: u64, off: usize) -> Ino {
        sector * (self.bpb.bytes_per_sector as u64 / ENTRY_SIZE as u64) + (off / ENTRY_SIZE) as u64
    }

    /// The next live entry at or after the cursor, skipping deleted, LFN,
    /// volume-label, `.` and `..` entries.
    pub(crate) fn next_found(&mut self, dir: u32, cur: &mut Cursor) -> Result<Option<Found>> {
        while cur.idx < MAX_ENTRIES {
            let idx = cur.idx;
            let Some((sector, off)) = self.entry_pos(dir, idx)? else { return Ok(None) };
            let raw = self.read_raw(sector, off)?;
            cur.idx += 1;
            match raw[0] {
                0 => return Ok(None), // end marker: nothing follows
                DELETED => cur.lfn.active = false,
                _ if raw[11] & 0x3F == ATTR_LFN => cur.lfn.feed(&raw, idx),
                _ if raw[11] & ATTR_VOLUME_ID != 0 || raw[0] == b'.' => cur.lfn.active = false,
                _ => {
                    let entry = ShortEntry::parse(&raw);
                    let (name, start) = match cur.lfn.take(&entry.name) {
                        Some((n, s)) => (n, s),
                        None => (name::short_to_string(&entry.name, entry.nt), idx),
                    };
                    let ino = self.ino_of(sector, off);
                    return Ok(Some(Found { name, entry, start, idx, ino }));
                }
            }
        }
        Ok(None)
    }

    /// Finds `wanted` (case-insensitively, by long or short name): through
    /// the directory's index when it has one, else by a scan.
    pub(crate) fn find(&mut self, dir: u32, wanted: &str) -> Result<Option<Found>> {
        if self.index(dir)? {
            if let Some(found) = self.find_indexed(dir, wanted)? {
                return Ok(found);
            }
            self.dindex.forget(dir); // stale: never trust it over the disk
        }
        self.find_scan(dir, wanted)
    }

    fn matches(f: &Found, wanted: &str) -> bool {
        name::eq_fold(&f.name, wanted) || name::eq_fold(&name::short_to_string(&f.entry.name, 0), wanted)
    }

    /// `Some(answer)` from the index (each hash hit confirmed on disk), or
    /// None if a hit does not lead to a name there (the index is stale).
    fn find_indexed(&mut self, dir: u32, wanted: &str) -> Result<Option<Option<Found>>> {
        let Some(ix) = self.dindex.get(dir) else { return Ok(None) };
        let starts: Vec<u32> = ix.candidates(wanted).collect();
        for start in starts {
            match self.next_found(dir, &mut Cursor::at(start))? {
                Some(f) if f.start == start => {
                    if Self::matches(&f, wanted) {
                        return Ok(Some(Some(f)));
                    }
                }
                _ => return Ok(None),
            }
        }
        Ok(Some(None))
    }

    fn find_scan(&mut self, dir: u32, wanted: &str) -> Result<Option<Found>> {
        let mut cur = Cursor::at(0);
        while let Some(f) = self.next_found(dir, &mut cur)? {
            if Self::matches(&f, wanted) {
                return Ok(Some(f));
            }
        }
        Ok(None)
    }

    /// Makes sure directory `dir` has an index (one scan the first time);
    /// false if it cannot have one (too many names for the memory bound).
    fn index(&mut self, dir: u32) -> Result<bool> {
        if self.dindex.get(dir).is_some() {
            return Ok(true);
        }
        let ix = self.build_index(dir)?;
        self.dindex.put(dir, ix);
        Ok(self.dindex.get(dir).is_some())
    }

    /// Scans `dir` once for its names and free entries.
    fn build_index(&mut self, dir: u32) -> Result<DirIndex> {
        let cap = self.chain_len(dir)?.saturating_mul(self.entries_per_cluster()).min(MAX_ENTRIES);
        let mut ix = DirIndex::new(cap);
        let mut cur = Cursor::at(0);
        while let Some(f) = self.next_found(dir, &mut cur)? {
            ix.add_name(&f.name, f.entry.name, &name::short_to_string(&f.entry.name, 0), f.start);
        }
        for idx in 0..cap {
            let (sector, off) = self.entry_pos(dir, idx)?.ok_or(Error::Corrupt)?;
            match self.read_raw(sector, off)?[0] {
                0 => {
                    ix.free_range(idx, cap - idx); // the end marker: nothing follows
                    break;
                }
                DELETED => ix.free_range(idx, 1),
                _ => {}
            }
        }
        Ok(ix)
    }

    /// Every live entry of `dir`.
    pub(crate) fn list(&mut self, dir: u32) -> Result<Vec<Found>> {
        let mut out = Vec::new();
        let mut cur = Cursor::at(0);
        while let Some(f) = self.next_found(dir, &mut cur)? {
            out.push(f);
        }
        Ok(out)
    }

    /// Finds `n` consecutive free entries, growing the directory by a
    /// zeroed cluster when needed. Returns the index of the first.
    fn find_free_run(&mut self, dir: u32, n: u32) -> Result<u32> {
        let mut run_start = 0;
        let mut run = 0;
        let mut idx = 0;
        while idx < MAX_ENTRIES {
            let pos = match self.entry_pos(dir, idx)? {
                Some(p) => p,
                None => {
                    self.grow_dir(dir)?;
                    continue;
                }
            };
            let first = self.read_raw(pos.0, pos.1)?[0];
            if first == 0 || first == DELETED {
                if run == 0 {
                    run_start = idx;
                }
                run += 1;
                if run == n {
                    return Ok(run_start);
                }
            } else {
                run = 0;
            }
            idx += 1;
        }
        Err(Error::NoSpace)
    }

    /// Appends one zeroed cluster to directory `dir`.
    fn grow_dir(&mut self, dir: u32) -> Result<()> {
        let epc = self.entries_per_cluster();
        let len = self.chain_len(dir)?;
        if (len + 1) * epc > MAX_ENTRIES {
            return Err(Error::NoSpace);
        }
        let c = self.extend_chain(dir, len + 1)?;
        debug_assert_eq!(c, dir);
        let last = self.cluster_at(dir, len)?.ok_or(Error::Corrupt)?;
        self.zero_dir_cluster(last)
    }

    /// Fills a cluster with zero entries through the directory cache.
    pub(crate) fn zero_dir_cluster(&mut self, c: u32) -> Result<()> {
        let first = self.bpb.cluster_sector(c);
        for s in first..first + self.bpb.sectors_per_cluster as u64 {
            self.dcache.zero(&mut self.dev, s)?;
        }
        Ok(())
    }

    /// Creates the entries for `long` in `dir` with the given short-entry
    /// template (its name and case flags are filled in here). Fails with
    /// `Exists` if the name is taken.
    pub(crate) fn insert(&mut self, dir: u32, long: &str, entry: ShortEntry) -> Result<Found> {
        name::validate(long)?;
        if !self.index(dir)? {
            return self.insert_scan(dir, long, entry);
        }
        match self.insert_indexed(dir, long, entry) {
            Ok(Some(f)) => Ok(f),
            Ok(None) => {
                self.dindex.forget(dir); // stale index: do it the slow way
                self.insert_scan(dir, long, entry)
            }
            // A taken name, or no room (allocation is all or nothing),
            // changed nothing; any other failure may have left it half done.
            Err(e @ (Error::Exists | Error::NoSpace)) => Err(e),
            Err(e) => {
                self.dindex.forget(dir);
                Err(e)
            }
        }
    }

    /// `insert` through the index: a few tree operations, no scan. None if
    /// the index turns out not to match the disk (nothing written then).
    fn insert_indexed(&mut self, dir: u32, long: &str, mut entry: ShortEntry) -> Result<Option<Found>> {
        match self.find_indexed(dir, long)? {
            None => return Ok(None),
            Some(Some(_)) => return Err(Error::Exists),
            Some(None) => {}
        }
        let ix = self.dindex.get(dir).ok_or(Error::Corrupt)?;
        let mut raws: Vec<[u8; 32]> = Vec::new();
        match name::exact_short(long) {
            Some((short, nt)) => {
                entry.name = short;
                entry.nt = nt;
            }
            None => {
                let stem = name::alias_stem(long);
                let (short, n) = name::generate_short_from(long, ix.stem_hint(&stem), |s| ix.short_taken(s))?;
                ix.set_stem_hint(stem, n + 1);
                entry.name = short;
                entry.nt = 0;
                raws = lfn_entries(&name::to_utf16(long), name::checksum(&entry.name));
            }
        }
        let mut short_raw = [0u8; 32];
        entry.store(&mut short_raw);
        raws.push(short_raw);
        let n = raws.len() as u32;
        let Some(start) = self.indexed_free_run(dir, n)? else { return Ok(None) };
        let f = self.write_entries(dir, start, &raws, long, entry)?;
        let ix = self.dindex.get(dir).ok_or(Error::Corrupt)?;
        ix.add_name(long, entry.name, &name::short_to_string(&entry.name, 0), start);
        Ok(Some(f))
    }

    /// A run of `n` free entries from the index, growing the directory when
    /// none fits, and taken out of the index's free runs. None if the disk
    /// says those entries are in use (a stale index).
    fn indexed_free_run(&mut self, dir: u32, n: u32) -> Result<Option<u32>> {
        let epc = self.entries_per_cluster();
        let start = loop {
            let ix = self.dindex.get(dir).ok_or(Error::Corrupt)?;
            let (start, cap) = (ix.fit(n), ix.cap);
            if start + n <= cap {
                break start;
            }
            self.grow_dir(dir)?;
            let ix = self.dindex.get(dir).ok_or(Error::Corrupt)?;
            ix.free_range(cap, epc);
            ix.cap = cap + epc;
        };
        for idx in start..start + n {
            let (sector, off) = self.entry_pos(dir, idx)?.ok_or(Error::Corrupt)?;
            let first = self.read_raw(sector, off)?[0];
            if first != 0 && first != DELETED {
                return Ok(None);
            }
        }
        let ix = self.dindex.get(dir).ok_or(Error::Corrupt)?;
        Ok(ix.take_range(start, n).then_some(start))
    }

    /// `insert` by scanning the whole directory (no index).
    fn insert_scan(&mut self, dir: u32, long: &str, mut entry: ShortEntry) -> Result<Found> {
        // One pass over the directory answers both questions (is the name
        // taken, which short aliases are).
        let all = self.list(dir)?;
        if all.iter().any(|f| Self::matches(f, long)) {
            return Err(Error::Exists);
        }
        let mut raws: Vec<[u8; 32]> = Vec::new();
        match name::exact_short(long) {
            Some((short, nt)) => {
                entry.name = short;
                entry.nt = nt;
            }
            None => {
                let mut taken: Vec<ShortName> = all.into_iter().map(|f| f.entry.name).collect();
                taken.sort_unstable();
                entry.name = name::generate_short(long, |s| taken.binary_search(s).is_ok())?;
                entry.nt = 0;
                raws = lfn_entries(&name::to_utf16(long), name::checksum(&entry.name));
            }
        }
        let mut short_raw = [0u8; 32];
        entry.store(&mut short_raw);
        raws.push(short_raw);
        let start = self.find_free_run(dir, raws.len() as u32)?;
        self.write_entries(dir, start, &raws, long, entry)
    }

    /// Writes the entries of a new name from index `start` on.
    fn write_entries(&mut self, dir: u32, start: u32, raws: &[[u8; 32]], long: &str, entry: ShortEntry) -> Result<Found> {
        let mut short_pos = (0, 0);
        for (i, raw) in raws.iter().enumerate() {
            let (sector, off) = self.entry_pos(dir, start + i as u32)?.ok_or(Error::Corrupt)?;
            self.write_raw(sector, off, raw)?;
            short_pos = (sector, off);
        }
        let idx = start + raws.len() as u32 - 1;
        let ino = self.ino_of(short_pos.0, short_pos.1);
        Ok(Found { name: long.into(), entry, start, idx, ino })
    }

    /// Marks the entries of `f` deleted.
    pub(crate) fn remove_entries(&mut self, dir: u32, f: &Found) -> Result<()> {
        for idx in f.start..=f.idx {
            let (sector, off) = self.entry_pos(dir, idx)?.ok_or(Error::Corrupt)?;
            let mut raw = self.read_raw(sector, off)?;
            raw[0] = DELETED;
            self.write_raw(sector, off, &raw)?;
        }
        if let Some(ix) = self.dindex.get(dir) {
            ix.remove_name(&f.name, f.entry.name, &name::short_to_string(&f.entry.name, 0), f.start);
            ix.free_range(f.start, f.idx - f.start + 1);
        }
        Ok(())
    }

    /// Writes the `.` and `..` entries of a new directory cluster.
    pub(crate) fn write_dot_entries(&mut self, c: u32, parent: u32, now: DateTime) -> Result<()> {
        let sector = self.bpb.cluster_sector(c);
        let mut dot = ShortEntry::new(*b".          ", 0, ATTR_DIRECTORY, now);
        dot.first_cluster = c;
        let mut dotdot = ShortEntry::new(*b"..         ", 0, ATTR_DIRECTORY, now);
        // `..` pointing at the root is written as cluster 0.
        dotdot.first_cluster = if parent == self.bpb.root_cluster { 0 } else { parent };
        let mut raw = [0u8; 32];
        dot.store(&mut raw);
        self.write_raw(sector, 0, &raw)?;
        dotdot.store(&mut raw);
        self.write_raw(sector, ENTRY_SIZE, &raw)
    }

    /// Where the `..` entry of directory `c` is. Usually entry 1, but some
    /// writers (e.g. the fatfs crate) put LFN entries before `.` and `..`,
    /// so the first cluster is searched.
    fn dotdot_pos(&mut self, c: u32) -> Result<(u64, usize)> {
        for idx in 0..self.entries_per_cluster() {
            let (sector, off) = self.entry_pos(c, idx)?.ok_or(Error::Corrupt)?;
            let raw = self.read_raw(sector, off)?;
            if raw[0] == 0 {
                break;
            }
            if &raw[..11] == b"..         " && raw[11] & ATTR_DIRECTORY != 0 {
                return Ok((sector, off));
            }
        }
        Err(Error::Corrupt)
    }

    /// The cluster recorded in `..` of directory `c` (root as root_cluster).
    pub(crate) fn parent_of(&mut self, c: u32) -> Result<u32> {
        let (sector, off) = self.dotdot_pos(c)?;
        let e = ShortEntry::parse(&self.read_raw(sector, off)?);
        Ok(if e.first_cluster == 0 { self.bpb.root_cluster } else { e.first_cluster })
    }

    /// Rewrites the `..` entry of directory `c` after a move.
    pub(crate) fn set_parent(&mut self, c: u32, parent: u32) -> Result<()> {
        let (sector, off) = self.dotdot_pos(c)?;
        let mut raw = self.read_raw(sector, off)?;
        let mut e = ShortEntry::parse(&raw);
        e.first_cluster = if parent == self.bpb.root_cluster { 0 } else { parent };
        e.store(&mut raw);
        self.write_raw(sector, off, &raw)
    }

    /// Whether directory `c` has no entries besides `.` and `..`.
    pub(crate) fn dir_is_empty(&mut self, c: u32) -> Result<bool> {
        Ok(self.next_found(c, &mut Cursor::at(0))?.is_none())
    }
}

/// Iterator over a directory's entries (without `.` and `..`), reading
/// lazily through the directory cache.
pub struct ReadDir<'a, D: BlockDevice> {
    fs: &'a mut FileSystem<D>,
    dir: u32,
    cur: Cursor,
    done: bool,
}

impl<D: BlockDevice> Iterator for ReadDir<'_, D> {
    type Item = Result<DirEntry>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.fs.next_found(self.dir, &mut self.cur) {
            Ok(Some(f)) => Some(Ok(DirEntry::from_found(&f))),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true; // an error ends the walk rather than looping on it
                Some(Err(e))
            }
        }
    }
}

impl<D: BlockDevice> FileSystem<D> {
    /// Iterates over directory `dir`; see [`ReadDir`].
    pub fn iter_dir(&mut self, dir: Ino) -> Result<ReadDir<'_, D>> {
        let dir = self.dir_cluster(dir)?;
        Ok(ReadDir { fs: self, dir, cur: Cursor::at(0), done: false })
    }
}
