//! Directories: linked entries (inode, rec_len, name_len, file_type,
//! name) that tile each block. Lookups go through a per-directory
//! in-memory index (name -> where the entry is) built by one linear scan
//! the first time a directory is used, plus the largest free gap of each
//! block, so create, lookup and unlink in a directory of 10,000 entries
//! cost a tree lookup and one block, not a scan. (On-disk htree indexes
//! are read as the plain entries they also are, and the index flag is
//! dropped on the first change, as a non-htree ext2 must do.)

use crate::device::BlockDevice;
use crate::error::{Error, Result};
use crate::fs::{FileSystem, Ino};
use crate::layout::*;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// The file_type byte of a directory entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Unknown,
    Regular,
    Dir,
    CharDev,
    BlockDev,
    Fifo,
    Socket,
    Symlink,
}

impl FileType {
    pub fn from_mode(mode: u16) -> FileType {
        match mode & S_IFMT {
            S_IFREG => FileType::Regular,
            S_IFDIR => FileType::Dir,
            S_IFCHR => FileType::CharDev,
            S_IFBLK => FileType::BlockDev,
            S_IFIFO => FileType::Fifo,
            S_IFSOCK => FileType::Socket,
            S_IFLNK => FileType::Symlink,
            _ => FileType::Unknown,
        }
    }
    fn code(self) -> u8 {
        self as u8
    }
    fn from_code(c: u8) -> FileType {
        match c {
            1 => FileType::Regular,
            2 => FileType::Dir,
            3 => FileType::CharDev,
            4 => FileType::BlockDev,
            5 => FileType::Fifo,
            6 => FileType::Socket,
            7 => FileType::Symlink,
            _ => FileType::Unknown,
        }
    }
}

/// One name in a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub ino: Ino,
    pub name: Vec<u8>,
    /// From the entry's file_type (Unknown without the filetype feature).
    pub kind: FileType,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    ino: Ino,
    lblk: u32,
    off: u16,
}

/// The in-memory index of one directory.
#[derive(Default)]
pub(crate) struct DirIndex {
    names: BTreeMap<Vec<u8>, Slot>,
    /// Largest record that fits in each block.
    slack: Vec<u32>,
}

/// Indexes of the directories in use, a bounded number of them.
#[derive(Default)]
pub(crate) struct DirIndexes {
    map: BTreeMap<Ino, DirIndex>,
}

const MAX_INDEXED: usize = 512;

impl DirIndexes {
    pub fn forget(&mut self, dir: Ino) {
        self.map.remove(&dir);
    }
    pub fn clear(&mut self) {
        self.map.clear();
    }
}

/// Bytes an entry with a name of `n` bytes needs.
fn rec_size(n: usize) -> usize {
    (8 + n + 3) & !3
}

/// A parsed entry header at `off` of a block.
struct Raw {
    ino: u32,
    rec_len: usize,
    name_len: usize,
    ftype: u8,
}

fn rec_len_decode(v: u16, bs: usize) -> usize {
    if v == 0 || v == 65535 { bs.min(65536) } else { v as usize }
}

fn rec_len_encode(len: usize) -> u16 {
    if len >= 65536 { 65535 } else { len as u16 }
}

/// The entry at `off`, checked to lie within the block.
fn entry_at(b: &[u8], off: usize, filetype: bool, inodes: u32) -> Result<Raw> {
    if off + 8 > b.len() {
        return Err(Error::Corrupt);
    }
    let rec_len = rec_len_decode(le16(b, off + 4), b.len());
    let name_len = b[off + 6] as usize;
    let ino = le32(b, off);
    if rec_len < 8 || !rec_len.is_multiple_of(4) || off + rec_len > b.len() || 8 + name_len > rec_len || ino > inodes {
        return Err(Error::Corrupt);
    }
    Ok(Raw { ino, rec_len, name_len, ftype: if filetype { b[off + 7] } else { 0 } })
}

/// Space an entry leaves for a new one after it (all of it if unused).
fn gap(r: &Raw) -> usize {
    if r.ino == 0 { r.rec_len } else { r.rec_len - rec_size(r.name_len) }
}

fn block_slack(b: &[u8], filetype: bool, inodes: u32) -> Result<u32> {
    let mut off = 0;
    let mut best = 0;
    while off < b.len() {
        let r = entry_at(b, off, filetype, inodes)?;
        best = best.max(gap(&r));
        off += r.rec_len;
    }
    Ok(best as u32)
}

fn put_entry(b: &mut [u8], off: usize, ino: Ino, rec_len: usize, name: &[u8], ftype: u8) {
    put32(b, off, ino);
    put16(b, off + 4, rec_len_encode(rec_len));
    b[off + 6] = name.len() as u8;
    b[off + 7] = ftype;
    b[off + 8..off + 8 + name.len()].copy_from_slice(name);
}

/// Checks a name for a new entry.
pub(crate) fn check_name(name: &[u8]) -> Result<()> {
    if name.is_empty() || name.contains(&b'/') || name.contains(&0) {
        return Err(Error::InvalidName);
    }
    if name.len() > 255 {
        return Err(Error::NameTooLong);
    }
    Ok(())
}

impl<D: BlockDevice> FileSystem<D> {
    fn dir_blocks(&self, dir: &Inode) -> Result<u32> {
        let n = dir.size() / self.bs as u64;
        if !dir.size().is_multiple_of(self.bs as u64) || n > u32::MAX as u64 {
            return Err(Error::Corrupt);
        }
        Ok(n as u32)
    }

    fn dir_block(&mut self, dir: &Inode, lblk: u32) -> Result<u32> {
        // A directory has no holes (e2fsck and Linux agree).
        self.bmap(dir, lblk as u64)?.ok_or(Error::Corrupt)
    }

    /// Builds the index of `dir` if it has none.
    fn index(&mut self, dir: Ino) -> Result<&mut DirIndex> {
        if !self.dirs.map.contains_key(&dir) {
            let d = self.live_inode(dir)?;
            if !d.is_dir() {
                return Err(Error::NotDir);
            }
            let mut idx = DirIndex::default();
            let (ft, inodes) = (self.filetype, self.sb.inodes_count());
            for lblk in 0..self.dir_blocks(&d)? {
                let pb = self.dir_block(&d, lblk)?;
                let b = self.cache.read(&mut self.dev, pb as u64)?;
                let mut off = 0;
                let mut best = 0;
                while off < b.len() {
                    let r = entry_at(b, off, ft, inodes)?;
                    if r.ino != 0 {
                        let name = b[off + 8..off + 8 + r.name_len].to_vec();
                        idx.names.insert(name, Slot { ino: r.ino, lblk, off: off as u16 });
                    }
                    best = best.max(gap(&r));
                    off += r.rec_len;
                }
                idx.slack.push(best as u32);
            }
            if self.dirs.map.len() >= MAX_INDEXED {
                self.dirs.map.pop_first();
            }
            self.dirs.map.insert(dir, idx);
        }
        self.dirs.map.get_mut(&dir).ok_or(Error::Io)
    }

    /// The inode `name` names in `dir`.
    pub fn lookup(&mut self, dir: Ino, name: &[u8]) -> Result<Ino> {
        let idx = self.index(dir)?;
        idx.names.get(name).map(|s| s.ino).ok_or(Error::NotFound)
    }

    /// Whether `dir` holds nothing but "." and "..".
    pub(crate) fn dir_is_empty(&mut self, dir: Ino) -> Result<bool> {
        let idx = self.index(dir)?;
        Ok(idx.names.keys().all(|n| n == b"." || n == b".."))
    }

    /// Adds the entry `name` -> `ino` to `dir` (which must not have it).
    pub(crate) fn dir_insert(&mut self, dir: Ino, name: &[u8], ino: Ino, kind: FileType) -> Result<()> {
        self.writable()?;
        let need = rec_size(name.len());
        let idx = self.index(dir)?;
        if idx.names.contains_key(name) {
            return Err(Error::Exists);
        }
        let found = idx.slack.iter().position(|&s| s as usize >= need);
        let mut d = self.read_inode(dir)?;
        let ftype = if self.filetype { kind.code() } else { 0 };
        let (ft, inodes) = (self.filetype, self.sb.inodes_count());
        let (lblk, off) = match found {
            Some(lblk) => {
                let pb = self.dir_block(&d, lblk as u32)?;
                let b = self.cache.modify(&mut self.dev, pb as u64)?;
                let mut off = 0;
                let place = loop {
                    if off >= b.len() {
                        return Err(Error::Corrupt); // the slack said there was room
                    }
                    let r = entry_at(b, off, ft, inodes)?;
                    if gap(&r) >= need {
                        break if r.ino == 0 {
                            put_entry(b, off, ino, r.rec_len, name, ftype);
                            off
                        } else {
                            let keep = rec_size(r.name_len);
                            put16(b, off + 4, rec_len_encode(keep));
                            put_entry(b, off + keep, ino, r.rec_len - keep, name, ftype);
                            off + keep
                        };
                    }
                    off += r.rec_len;
                };
                let s = block_slack(b, ft, inodes)?;
                self.dirs.map.get_mut(&dir).ok_or(Error::Io)?.slack[lblk] = s;
                (lblk as u32, place)
            }
            None => {
                let lblk = self.dir_blocks(&d)?;
                let goal = self.inode_goal(dir);
                let (pb, _) = self.bmap_alloc(&mut d, lblk as u64, goal)?;
                let b = self.cache.zeroed(&mut self.dev, pb as u64)?;
                put_entry(b, 0, ino, b.len(), name, ftype);
                let s = (b.len() - need) as u32;
                d.set_size(d.size() + self.bs as u64);
                self.dirs.map.get_mut(&dir).ok_or(Error::Io)?.slack.push(s);
                (lblk, 0)
            }
        };
        let idx = self.dirs.map.get_mut(&dir).ok_or(Error::Io)?;
        idx.names.insert(name.to_vec(), Slot { ino, lblk, off: off as u16 });
        self.dir_changed(&mut d);
        self.write_inode(&d)
    }

    /// A directory's contents changed: times, and no more htree flag.
    fn dir_changed(&self, d: &mut Inode) {
        let now = self.now();
        d.set_mtime(now);
        d.set_ctime(now);
        d.set_flags(d.flags() & !INDEX_FL);
    }

    /// Removes the entry `name` from `dir`; returns the inode it named.
    pub(crate) fn dir_remove(&mut self, dir: Ino, name: &[u8]) -> Result<Ino> {
        self.writable()?;
        let slot = *self.index(dir)?.names.get(name).ok_or(Error::NotFound)?;
        let mut d = self.read_inode(dir)?;
        let pb = self.dir_block(&d, slot.lblk)?;
        let (ft, inodes) = (self.filetype, self.sb.inodes_count());
        let b = self.cache.modify(&mut self.dev, pb as u64)?;
        let target = slot.off as usize;
        let mut off = 0;
        let mut prev: Option<usize> = None;
        while off < target {
            let r = entry_at(b, off, ft, inodes)?;
            prev = Some(off);
            off += r.rec_len;
        }
        let r = entry_at(b, off, ft, inodes)?;
        if off != target || r.ino != slot.ino || &b[off + 8..off + 8 + r.name_len] != name {
            return Err(Error::Corrupt);
        }
        match prev {
            // The previous entry absorbs this one's record.
            Some(p) => {
                let pr = entry_at(b, p, ft, inodes)?;
                put16(b, p + 4, rec_len_encode(pr.rec_len + r.rec_len));
            }
            None => put32(b, off, 0),
        }
        let s = block_slack(b, ft, inodes)?;
        let idx = self.dirs.map.get_mut(&dir).ok_or(Error::Io)?;
        idx.slack[slot.lblk as usize] = s;
        idx.names.remove(name);
        self.dir_changed(&mut d);
        self.write_inode(&d)?;
        Ok(slot.ino)
    }

    /// Points the existing entry `name` of `dir` at another inode (rename
    /// over a target, and ".." of a moved directory).
    pub(crate) fn dir_retarget(&mut self, dir: Ino, name: &[u8], ino: Ino, kind: FileType) -> Result<()> {
        self.writable()?;
        let slot = *self.index(dir)?.names.get(name).ok_or(Error::NotFound)?;
        let mut d = self.read_inode(dir)?;
        let pb = self.dir_block(&d, slot.lblk)?;
        let ft = self.filetype;
        let b = self.cache.modify(&mut self.dev, pb as u64)?;
        let off = slot.off as usize;
        put32(b, off, ino);
        if ft {
            b[off + 7] = kind.code();
        }
        self.dirs.map.get_mut(&dir).ok_or(Error::Io)?.names.insert(name.to_vec(), Slot { ino, ..slot });
        self.dir_changed(&mut d);
        self.write_inode(&d)
    }

    /// The entry at or after position `cookie` (a byte offset in the
    /// directory) and the cookie of the next one; None at the end.
    pub fn read_dir_at(&mut self, dir: Ino, cookie: u64) -> Result<Option<(DirEntry, u64)>> {
        let d = self.live_inode(dir)?;
        if !d.is_dir() {
            return Err(Error::NotDir);
        }
        let bs = self.bs as u64;
        let (ft, inodes) = (self.filetype, self.sb.inodes_count());
        let mut lblk = cookie / bs;
        while lblk < self.dir_blocks(&d)? as u64 {
            let pb = self.dir_block(&d, lblk as u32)?;
            let b = self.cache.read(&mut self.dev, pb as u64)?;
            let mut off = 0usize;
            while off < b.len() {
                let r = entry_at(b, off, ft, inodes)?;
                let pos = lblk * bs + off as u64;
                if pos >= cookie && r.ino != 0 {
                    let e = DirEntry { ino: r.ino, name: b[off + 8..off + 8 + r.name_len].to_vec(), kind: FileType::from_code(r.ftype) };
                    return Ok(Some((e, pos + r.rec_len as u64)));
                }
                off += r.rec_len;
            }
            lblk += 1;
        }
        Ok(None)
    }

    /// All entries of `dir`, "." and ".." included, in on-disk order.
    pub fn read_dir(&mut self, dir: Ino) -> Result<Vec<DirEntry>> {
        let mut v = Vec::new();
        let mut cookie = 0;
        while let Some((e, next)) = self.read_dir_at(dir, cookie)? {
            v.push(e);
            cookie = next;
        }
        Ok(v)
    }

    /// Writes the first block of a new directory: "." and "..".
    pub(crate) fn init_dir_block(&mut self, d: &mut Inode, parent: Ino) -> Result<()> {
        let goal = self.inode_goal(d.ino);
        let (pb, _) = self.bmap_alloc(d, 0, goal)?;
        let ft = if self.filetype { FileType::Dir.code() } else { 0 };
        let b = self.cache.zeroed(&mut self.dev, pb as u64)?;
        put_entry(b, 0, d.ino, 12, b".", ft);
        let rest = b.len() - 12;
        put_entry(b, 12, parent, rest, b"..", ft);
        d.set_size(self.bs as u64);
        Ok(())
    }
}
