//! Namespace and attribute operations: what the server's vnode layer
//! calls. Permission checks are the server's (it has the credentials);
//! these check only what the file system itself requires.

use crate::device::BlockDevice;
use crate::dir::{check_name, FileType};
use crate::error::{Error, Result};
use crate::fs::{FileSystem, Ino, Metadata, LINK_MAX, ROOT_INO};
use crate::layout::*;
use alloc::vec::Vec;

/// Linux `dev_t` from major and minor (glibc's `makedev`).
pub fn makedev(major: u32, minor: u32) -> u64 {
    let (ma, mi) = (major as u64, minor as u64);
    (mi & 0xff) | (ma & 0xfff) << 8 | (mi & !0xff) << 12 | (ma & !0xfff) << 32
}

/// Major number of a Linux `dev_t`.
pub fn major(dev: u64) -> u32 {
    (((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff)) as u32
}

/// Minor number of a Linux `dev_t`.
pub fn minor(dev: u64) -> u32 {
    ((dev & 0xff) | ((dev >> 12) & !0xff)) as u32
}

/// Attribute changes for `setattr`; `None` leaves a field alone. ctime
/// becomes now unless given.
#[derive(Clone, Copy, Debug, Default)]
pub struct SetAttr {
    /// Permission bits (07777); the type bits cannot change.
    pub mode: Option<u16>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub atime: Option<Time>,
    pub mtime: Option<Time>,
    pub ctime: Option<Time>,
}

impl<D: BlockDevice> FileSystem<D> {
    /// Attributes of `ino`.
    pub fn stat(&mut self, ino: Ino) -> Result<Metadata> {
        let i = self.live_inode(ino)?;
        let rdev = match i.kind() {
            S_IFCHR | S_IFBLK => decode_dev(i.block(0), i.block(1)),
            _ => 0,
        };
        Ok(Metadata {
            ino,
            mode: i.mode(),
            nlink: i.links(),
            uid: i.uid(),
            gid: i.gid(),
            size: i.size(),
            blocks: i.sectors(),
            atime: i.atime(),
            mtime: i.mtime(),
            ctime: i.ctime(),
            crtime: i.crtime(),
            rdev,
            generation: i.generation(),
            flags: i.flags(),
        })
    }

    /// Follows `path` ('/'-separated names from `start`; no symlinks followed).
    pub fn resolve_at(&mut self, start: Ino, path: &[u8]) -> Result<Ino> {
        let mut cur = start;
        for part in path.split(|&c| c == b'/').filter(|p| !p.is_empty()) {
            cur = self.lookup(cur, part)?;
        }
        Ok(cur)
    }

    /// `resolve_at` from the root.
    pub fn resolve(&mut self, path: &[u8]) -> Result<Ino> {
        self.resolve_at(ROOT_INO, path)
    }

    /// A directory that may get a new entry `name`.
    fn parent_for_new(&mut self, dir: Ino, name: &[u8]) -> Result<Inode> {
        self.writable()?;
        check_name(name)?;
        let d = self.live_inode(dir)?;
        if !d.is_dir() {
            return Err(Error::NotDir);
        }
        if d.links() == 0 {
            return Err(Error::NotFound); // removed while someone was in it
        }
        match self.lookup(dir, name) {
            Ok(_) => Err(Error::Exists),
            Err(Error::NotFound) => Ok(d),
            Err(e) => Err(e),
        }
    }

    fn new_inode(&mut self, dir: Ino, mode: u16, uid: u32, gid: u32) -> Result<Inode> {
        let is_dir = mode & S_IFMT == S_IFDIR;
        let ino = self.alloc_inode(dir, is_dir)?;
        let mut i = Inode::fresh(ino, self.isize, self.now());
        i.set_mode(mode);
        i.set_uid(uid);
        i.set_gid(gid);
        i.set_links(1);
        self.next_generation = self.next_generation.wrapping_mul(1_103_515_245).wrapping_add(12345);
        i.set_generation(self.next_generation);
        Ok(i)
    }

    /// Makes a regular file, FIFO, socket or device node. `mode` carries
    /// the type (S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK) and the
    /// permission bits; `rdev` (Linux `dev_t`) is stored for devices the
    /// way Linux stores it: old 16-bit form in i_block[0] when major and
    /// minor are below 256, else the new form in i_block[1].
    pub fn mknod(&mut self, dir: Ino, name: &[u8], mode: u16, rdev: u64, uid: u32, gid: u32) -> Result<Ino> {
        let kind = mode & S_IFMT;
        if !matches!(kind, S_IFREG | S_IFIFO | S_IFSOCK | S_IFCHR | S_IFBLK) {
            return Err(Error::InvalidArgument);
        }
        self.parent_for_new(dir, name)?;
        let mut i = self.new_inode(dir, mode & (S_IFMT | 0o7777), uid, gid)?;
        if matches!(kind, S_IFCHR | S_IFBLK) {
            let (ma, mi) = (major(rdev), minor(rdev));
            if ma < 256 && mi < 256 {
                i.set_block(0, ma << 8 | mi);
            } else {
                i.set_block(1, (mi & 0xff) | ma << 8 | (mi & !0xff) << 12);
            }
        }
        self.write_inode(&i)?;
        self.link_new(dir, name, &i)?;
        Ok(i.ino)
    }

    /// Enters a freshly written inode in `dir`; on failure the inode is freed.
    fn link_new(&mut self, dir: Ino, name: &[u8], i: &Inode) -> Result<()> {
        if let Err(e) = self.dir_insert(dir, name, i.ino, FileType::from_mode(i.mode())) {
            self.destroy(i.ino)?;
            return Err(e);
        }
        Ok(())
    }

    /// Makes an empty regular file.
    pub fn create(&mut self, dir: Ino, name: &[u8], perm: u16, uid: u32, gid: u32) -> Result<Ino> {
        self.mknod(dir, name, S_IFREG | (perm & 0o7777), 0, uid, gid)
    }

    /// Makes a directory ("." and ".."; the parent gains a link).
    pub fn mkdir(&mut self, dir: Ino, name: &[u8], perm: u16, uid: u32, gid: u32) -> Result<Ino> {
        let p = self.parent_for_new(dir, name)?;
        if p.links() >= LINK_MAX {
            return Err(Error::TooManyLinks);
        }
        let mut i = self.new_inode(dir, S_IFDIR | (perm & 0o7777), uid, gid)?;
        i.set_links(2);
        if let Err(e) = self.init_dir_block(&mut i, dir) {
            self.write_inode(&i)?;
            self.destroy(i.ino)?;
            return Err(e);
        }
        self.write_inode(&i)?;
        self.link_new(dir, name, &i)?;
        self.update(dir, |p, _| p.set_links(p.links().saturating_add(1)))?;
        Ok(i.ino)
    }

    /// Makes a symbolic link: in i_block ("fast") when shorter than 60
    /// bytes, else in one data block.
    pub fn symlink(&mut self, dir: Ino, name: &[u8], target: &[u8], uid: u32, gid: u32) -> Result<Ino> {
        if target.is_empty() || target.contains(&0) {
            return Err(Error::InvalidArgument);
        }
        if target.len() >= self.bs {
            return Err(Error::NameTooLong);
        }
        self.parent_for_new(dir, name)?;
        let mut i = self.new_inode(dir, S_IFLNK | 0o777, uid, gid)?;
        if target.len() < 4 * N_BLOCKS {
            i.raw[40..40 + target.len()].copy_from_slice(target);
        } else {
            let goal = self.inode_goal(i.ino);
            match self.bmap_alloc(&mut i, 0, goal) {
                Ok((b, _)) => self.cache.zeroed(&mut self.dev, b as u64)?[..target.len()].copy_from_slice(target),
                Err(e) => {
                    self.write_inode(&i)?;
                    self.destroy(i.ino)?;
                    return Err(e);
                }
            }
        }
        i.set_size(target.len() as u64);
        self.write_inode(&i)?;
        self.link_new(dir, name, &i)?;
        Ok(i.ino)
    }

    /// The target of a symbolic link.
    pub fn readlink(&mut self, ino: Ino) -> Result<Vec<u8>> {
        let i = self.live_inode(ino)?;
        if i.kind() != S_IFLNK {
            return Err(Error::WrongType);
        }
        let len = i.size() as usize;
        if len >= self.bs {
            return Err(Error::Corrupt);
        }
        if self.is_fast_symlink(&i) {
            if len >= 4 * N_BLOCKS {
                return Err(Error::Corrupt);
            }
            return Ok(i.raw[40..40 + len].to_vec());
        }
        let mut v = alloc::vec![0; len];
        self.read_data(&i, 0, &mut v)?;
        Ok(v)
    }

    /// A new name `name` in `dir` for the non-directory `ino`.
    pub fn link(&mut self, ino: Ino, dir: Ino, name: &[u8]) -> Result<()> {
        self.parent_for_new(dir, name)?;
        let i = self.live_inode(ino)?;
        if i.is_dir() {
            return Err(Error::NotPermitted);
        }
        if i.links() == 0 {
            return Err(Error::NotFound); // unlinked but open: linkat gives ENOENT
        }
        if i.links() >= LINK_MAX {
            return Err(Error::TooManyLinks);
        }
        self.dir_insert(dir, name, ino, FileType::from_mode(i.mode()))?;
        self.update(ino, |i, now| {
            i.set_links(i.links().saturating_add(1));
            i.set_ctime(now);
        })
    }

    /// One link fewer; the inode goes with the last (or at its last close).
    fn drop_link(&mut self, ino: Ino) -> Result<()> {
        let mut left = 0;
        self.update(ino, |i, now| {
            left = i.links().saturating_sub(1);
            i.set_links(left);
            i.set_ctime(now);
        })?;
        if left == 0 { self.unlinked(ino) } else { Ok(()) }
    }

    fn not_dot(name: &[u8]) -> Result<()> {
        if name == b"." || name == b".." { Err(Error::InvalidArgument) } else { Ok(()) }
    }

    /// Removes the name of a non-directory.
    pub fn unlink(&mut self, dir: Ino, name: &[u8]) -> Result<()> {
        self.writable()?;
        Self::not_dot(name)?;
        let ino = self.lookup(dir, name)?;
        if self.live_inode(ino)?.is_dir() {
            return Err(Error::IsDir);
        }
        self.dir_remove(dir, name)?;
        self.drop_link(ino)
    }

    /// Removes an empty directory.
    pub fn rmdir(&mut self, dir: Ino, name: &[u8]) -> Result<()> {
        self.writable()?;
        Self::not_dot(name)?;
        let ino = self.lookup(dir, name)?;
        if !self.live_inode(ino)?.is_dir() {
            return Err(Error::NotDir);
        }
        if !self.dir_is_empty(ino)? {
            return Err(Error::NotEmpty);
        }
        self.dir_remove(dir, name)?;
        self.remove_dir_inode(dir, ino)
    }

    /// A directory lost its name in `parent`: its ".." no longer counts
    /// for the parent, and it has no links left.
    fn remove_dir_inode(&mut self, parent: Ino, ino: Ino) -> Result<()> {
        self.update(parent, |p, _| p.set_links(p.links().saturating_sub(1)))?;
        self.update(ino, |i, now| {
            i.set_links(0);
            i.set_ctime(now);
        })?;
        self.dirs.forget(ino);
        self.unlinked(ino)
    }

    /// Whether `dir` is `anc` or lies below it (walking ".." up to the root).
    fn is_within(&mut self, dir: Ino, anc: Ino) -> Result<bool> {
        let mut cur = dir;
        for _ in 0..self.sb.inodes_count() {
            if cur == anc {
                return Ok(true);
            }
            if cur == ROOT_INO {
                return Ok(false);
            }
            cur = self.lookup(cur, b"..")?;
        }
        Err(Error::Corrupt)
    }

    /// Renames `from` in `from_dir` to `to` in `to_dir`, replacing a
    /// target (a non-directory by a non-directory, an empty directory by a
    /// directory). A moved directory's ".." and both parents' link counts
    /// follow.
    pub fn rename(&mut self, from_dir: Ino, from: &[u8], to_dir: Ino, to: &[u8]) -> Result<()> {
        self.writable()?;
        Self::not_dot(from)?;
        Self::not_dot(to)?;
        check_name(to)?;
        let src = self.lookup(from_dir, from)?;
        let s = self.live_inode(src)?;
        let td = self.live_inode(to_dir)?;
        if !td.is_dir() {
            return Err(Error::NotDir);
        }
        if td.links() == 0 {
            return Err(Error::NotFound);
        }
        let src_dir = s.is_dir();
        if src_dir && to_dir != from_dir && self.is_within(to_dir, src)? {
            return Err(Error::InvalidArgument);
        }
        let target = match self.lookup(to_dir, to) {
            Ok(t) => Some(t),
            Err(Error::NotFound) => None,
            Err(e) => return Err(e),
        };
        if target == Some(src) {
            return Ok(()); // two names of one file: nothing to do
        }
        if let Some(t) = target {
            let ti = self.live_inode(t)?;
            match (src_dir, ti.is_dir()) {
                (true, false) => return Err(Error::NotDir),
                (false, true) => return Err(Error::IsDir),
                (true, true) if !self.dir_is_empty(t)? => return Err(Error::NotEmpty),
                _ => {}
            }
        } else if src_dir && to_dir != from_dir && td.links() >= LINK_MAX {
            return Err(Error::TooManyLinks);
        }
        let kind = FileType::from_mode(s.mode());
        match target {
            Some(t) => {
                self.dir_retarget(to_dir, to, src, kind)?;
                if src_dir {
                    self.remove_dir_inode(to_dir, t)?;
                } else {
                    self.drop_link(t)?;
                }
            }
            None => self.dir_insert(to_dir, to, src, kind)?,
        }
        self.dir_remove(from_dir, from)?;
        if src_dir && from_dir != to_dir {
            self.dir_retarget(src, b"..", to_dir, FileType::Dir)?;
            self.update(from_dir, |p, _| p.set_links(p.links().saturating_sub(1)))?;
            self.update(to_dir, |p, _| p.set_links(p.links().saturating_add(1)))?;
        }
        self.update(src, |i, now| i.set_ctime(now))
    }

    /// Changes mode bits, owner, group and times.
    pub fn setattr(&mut self, ino: Ino, a: SetAttr) -> Result<()> {
        self.writable()?;
        self.live_inode(ino)?;
        self.update(ino, |i, now| {
            if let Some(m) = a.mode {
                i.set_mode((i.mode() & S_IFMT) | (m & 0o7777));
            }
            if let Some(u) = a.uid {
                i.set_uid(u);
            }
            if let Some(g) = a.gid {
                i.set_gid(g);
            }
            if let Some(t) = a.atime {
                i.set_atime(t);
            }
            if let Some(t) = a.mtime {
                i.set_mtime(t);
            }
            i.set_ctime(a.ctime.unwrap_or(now));
        })
    }
}

/// Linux's reading of a device inode: the old form in i_block[0] if set,
/// else the new form in i_block[1]; returned as a `dev_t`.
fn decode_dev(b0: u32, b1: u32) -> u64 {
    if b0 != 0 {
        makedev((b0 >> 8) & 0xff, b0 & 0xff)
    } else {
        makedev((b1 & 0xfff00) >> 8, (b1 & 0xff) | ((b1 >> 12) & 0xfff00))
    }
}
