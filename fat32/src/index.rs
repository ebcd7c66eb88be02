//! Per-directory name index: makes create, lookup and unlink in a large
//! directory cost a few tree operations instead of a scan of every entry.
//!
//! The index is a cache of what the directory's entries say, built by one
//! scan the first time a directory is used and kept exact by `insert` and
//! `remove_entries` (the only places names appear or vanish). It holds:
//! * hashes of the folded long and short names -> index of the name's first
//!   entry (a hash hit is confirmed by reading that entry, so a collision or
//!   a stale index can cost time but never give a wrong answer);
//! * the set of short names in use, for `~N` alias generation, and per
//!   alias stem the next `N` worth trying, so aliases are not probed one by
//!   one from `~1`;
//! * the runs of free entries inside the directory's clusters.
//!
//! Memory is bounded: at most `MAX_DIRS` directories and `MAX_NAMES` names
//! in all are indexed; the least recently used directory's index is dropped
//! first (it is rebuilt by a scan when needed again).

use crate::name::ShortName;
use alloc::collections::{BTreeMap, BTreeSet};

/// Directories indexed at once.
const MAX_DIRS: usize = 32;
/// Names indexed in all directories together (about 80 bytes each; the
/// largest possible directory, 65,534 short names, fits).
const MAX_NAMES: usize = 70_000;
/// Alias stems remembered per directory.
const MAX_STEMS: usize = 256;

/// FNV-1a over the FAT case fold of `name` (upper case, simple mapping),
/// without allocating.
pub(crate) fn name_hash(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in name.chars().flat_map(char::to_uppercase) {
        for b in (c as u32).to_le_bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

pub(crate) struct DirIndex {
    /// (hash of folded long or short name, first entry index of the name).
    names: BTreeSet<(u64, u32)>,
    /// Short names in use and how many entries carry each.
    shorts: BTreeMap<ShortName, u32>,
    /// Alias stem -> smallest `~N` that may be free.
    stems: BTreeMap<[u8; 9], u32>,
    /// Free entries: run start -> length, inside the allocated clusters.
    free: BTreeMap<u32, u32>,
    /// Entries the directory's clusters hold.
    pub cap: u32,
    /// Live names (for the memory bound).
    count: usize,
    last_use: u64,
}

impl DirIndex {
    pub fn new(cap: u32) -> DirIndex {
        DirIndex {
            names: BTreeSet::new(),
            shorts: BTreeMap::new(),
            stems: BTreeMap::new(),
            free: BTreeMap::new(),
            cap,
            count: 0,
            last_use: 0,
        }
    }

    /// Records a name whose entries are `start..=idx` (long name `long`,
    /// short name `short`, shown as `short_str` without case flags).
    pub fn add_name(&mut self, long: &str, short: ShortName, short_str: &str, start: u32) {
        self.names.insert((name_hash(long), start));
        self.names.insert((name_hash(short_str), start));
        *self.shorts.entry(short).or_insert(0) += 1;
        self.count += 1;
    }

    pub fn remove_name(&mut self, long: &str, short: ShortName, short_str: &str, start: u32) {
        self.names.remove(&(name_hash(long), start));
        self.names.remove(&(name_hash(short_str), start));
        if let Some(n) = self.shorts.get_mut(&short) {
            *n -= 1;
            if *n == 0 {
                self.shorts.remove(&short);
            }
        }
        self.count = self.count.saturating_sub(1);
        // The alias may be reused: lower the hint of every stem it belongs to.
        for (stem, next) in self.stems.iter_mut() {
            if let Some(n) = crate::name::tail_of(stem, &short) {
                *next = (*next).min(n);
            }
        }
    }

    /// First-entry indices of names whose fold hashes like `wanted`, in
    /// directory order.
    pub fn candidates(&self, wanted: &str) -> impl Iterator<Item = u32> + '_ {
        let h = name_hash(wanted);
        self.names.range((h, 0)..=(h, u32::MAX)).map(|&(_, s)| s)
    }

    pub fn short_taken(&self, s: &ShortName) -> bool {
        self.shorts.contains_key(s)
    }

    pub fn stem_hint(&self, stem: &[u8; 9]) -> u32 {
        self.stems.get(stem).copied().unwrap_or(1)
    }

    pub fn set_stem_hint(&mut self, stem: [u8; 9], next: u32) {
        if self.stems.len() >= MAX_STEMS && !self.stems.contains_key(&stem) {
            self.stems.clear(); // hints only: forgetting costs probes, not correctness
        }
        self.stems.insert(stem, next);
    }

    /// Marks `start..start+len` free, merging with neighbouring runs.
    pub fn free_range(&mut self, start: u32, len: u32) {
        let (mut s, mut l) = (start, len);
        if let Some((&ps, &pl)) = self.free.range(..s).next_back() {
            if ps + pl == s {
                self.free.remove(&ps);
                s = ps;
                l += pl;
            }
        }
        if let Some(&nl) = self.free.get(&(start + len)) {
            self.free.remove(&(start + len));
            l += nl;
        }
        self.free.insert(s, l);
    }

    /// Marks `start..start+len` used; it must lie inside one free run.
    pub fn take_range(&mut self, start: u32, len: u32) -> bool {
        let Some((&rs, &rl)) = self.free.range(..=start).next_back() else {
            return false;
        };
        if start + len > rs + rl {
            return false;
        }
        self.free.remove(&rs);
        if start > rs {
            self.free.insert(rs, start - rs);
        }
        if rs + rl > start + len {
            self.free.insert(start + len, rs + rl - start - len);
        }
        true
    }

    /// The first free run of at least `n` entries, or, failing that, where
    /// a run reaching the end of the clusters starts (growing the directory
    /// then gives room), else `cap`.
    pub fn fit(&self, n: u32) -> u32 {
        if let Some((&s, _)) = self.free.iter().find(|(_, &l)| l >= n) {
            return s;
        }
        match self.free.iter().next_back() {
            Some((&s, &l)) if s + l == self.cap => s,
            _ => self.cap,
        }
    }
}

/// The indices of recently used directories, keyed by first cluster.
pub(crate) struct IndexCache {
    dirs: BTreeMap<u32, DirIndex>,
    tick: u64,
}

impl IndexCache {
    pub fn new() -> IndexCache {
        IndexCache { dirs: BTreeMap::new(), tick: 0 }
    }

    pub fn get(&mut self, dir: u32) -> Option<&mut DirIndex> {
        self.tick += 1;
        let tick = self.tick;
        let ix = self.dirs.get_mut(&dir)?;
        ix.last_use = tick;
        Some(ix)
    }

    /// Adds a freshly built index, evicting least recently used ones to
    /// stay inside the bounds. An index larger than the whole budget is
    /// not kept (that directory is scanned instead).
    pub fn put(&mut self, dir: u32, mut ix: DirIndex) {
        if ix.count > MAX_NAMES {
            return;
        }
        while self.dirs.len() >= MAX_DIRS || self.names() + ix.count > MAX_NAMES {
            let victim = self.dirs.iter().min_by_key(|(_, d)| d.last_use).map(|(k, _)| *k);
            match victim {
                Some(v) => self.dirs.remove(&v),
                None => break,
            };
        }
        self.tick += 1;
        ix.last_use = self.tick;
        self.dirs.insert(dir, ix);
    }

    fn names(&self) -> usize {
        self.dirs.values().map(|d| d.count).sum()
    }

    /// Drops the index of `dir` (its cluster was freed, or it went stale).
    pub fn forget(&mut self, dir: u32) {
        self.dirs.remove(&dir);
    }

    pub fn clear(&mut self) {
        self.dirs.clear();
    }
}
