//! The vnode layer: what a descriptor refers to (a FAT file or directory
//! of the root file system, a boot-module file when there is no disk, a
//! device of /dev, a pipe end, a /proc node), and the root file system itself, mounted
//! from hd0 at boot and behind one lock (the disk does one thing at a
//! time anyway).

use crate::disk::Disk;
use alloc::borrow::Cow;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use fat32::{FileSystem, Ino};
use linux_abi::structs::Stat;
use linux_abi::Errno;
use machrt::sync::Mutex;
use unix_server::fd::FileObject;
use unix_server::namei::Namei;

pub type Fs = FileSystem<Disk>;

/// The root file system (None: no disk, the boot modules stand in).
pub static ROOT: Mutex<Option<Fs>> = Mutex::new(None);

pub const S_IFIFO: u32 = 0o010000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;

pub enum Node {
    /// A FAT regular file or directory.
    Fat { ino: Ino, dir: bool },
    /// A boot module (read-only, no disk).
    Boot(&'static [u8]),
    /// The /dev directory.
    DevDir,
    Dev(crate::devfs::Dev),
    PipeRead(Arc<crate::pipe::Pipe>),
    PipeWrite(Arc<crate::pipe::Pipe>),
    /// A /proc directory, file (its contents as of the lookup) or link.
    Proc(crate::procfs::Entry),
}

impl Node {
    pub fn is_dir(&self) -> bool {
        match self {
            Node::Fat { dir, .. } => *dir,
            Node::DevDir => true,
            Node::Proc(e) => e.is_dir(),
            _ => false,
        }
    }
}

pub struct Vnode {
    pub node: Node,
    /// The absolute path it was opened by (for fchdir and *at).
    pub path: String,
}

impl FileObject for Vnode {
    fn as_any(&self) -> &dyn core::any::Any {
        self
    }

    fn seekable(&self) -> bool {
        matches!(self.node, Node::Fat { .. } | Node::Boot(_) | Node::DevDir | Node::Proc(_))
            || matches!(self.node, Node::Dev(d) if d != crate::devfs::Dev::Tty)
    }

    fn size(&self) -> u64 {
        match &self.node {
            Node::Fat { ino, .. } => with_fs(|fs| fs.stat(*ino).map_err(fe)).map_or(0, |m| m.size),
            Node::Boot(b) => b.len() as u64,
            Node::Proc(e) => e.len(),
            _ => 0,
        }
    }
}

impl Drop for Vnode {
    fn drop(&mut self) {
        match &self.node {
            Node::PipeRead(p) => crate::pipe::close_end(p, true),
            Node::PipeWrite(p) => crate::pipe::close_end(p, false),
            _ => {}
        }
    }
}

impl Vnode {
    pub fn new(node: Node, path: String) -> Arc<Vnode> {
        Arc::new(Vnode { node, path })
    }

    pub fn is_dir(&self) -> bool {
        self.node.is_dir()
    }
}

/// The vnode behind an open file description.
pub fn vnode(f: &unix_server::fd::OpenFile) -> Option<&Vnode> {
    f.object.as_any().downcast_ref::<Vnode>()
}

/// A file-system error as the errno programs see.
pub fn fe(e: fat32::Error) -> Errno {
    Errno(e.errno() as u16)
}

/// Runs `f` on the mounted root file system (ENOENT without one).
pub fn with_fs<T>(f: impl FnOnce(&mut Fs) -> Result<T, Errno>) -> Result<T, Errno> {
    let mut g = ROOT.lock();
    let fs = g.as_mut().ok_or(Errno::ENOENT)?;
    f(fs)
}

/// The clock FAT time stamps come from: the epoch of the image plus uptime.
struct Uptime;
impl fat32::Clock for Uptime {
    fn now(&self) -> fat32::DateTime {
        let boot = crate::calls::fine_clock().2 as i64;
        fat32::DateTime::from_unix(boot + (crate::calls::now_ns() / 1_000_000_000) as i64)
    }
}

/// Mounts hd0 as the root if there is a disk, else a volume in memory.
pub fn mount_root() {
    let Some(disk) = Disk::open().or_else(Disk::ram) else { return };
    let in_memory = matches!(disk, Disk::Ram(_));
    match FileSystem::mount(disk, alloc::boxed::Box::new(Uptime), fat32::MountOptions { read_only: false, update_atime: false }) {
        Ok(mut fs) => {
            if in_memory {
                // The directories every system has; the programs come
                // from the boot modules.
                for d in ["tmp", "home", "etc"] {
                    let _ = fs.mkdir(fat32::ROOT_INO, d);
                }
            }
            *ROOT.lock() = Some(fs)
        }
        Err(e) => machrt::println!("unix-server: hd0 does not mount: {:?}", e),
    }
}

/// At power-off: everything to the disk, the volume marked clean.
pub fn unmount_root() {
    if let Some(fs) = ROOT.lock().take() {
        if let Err(e) = fs.unmount() {
            machrt::println!("unix-server: unmount: {:?}", e);
        }
    }
}

pub fn sync() -> Result<(), Errno> {
    match ROOT.lock().as_mut() {
        Some(fs) => fs.sync().map_err(fe),
        None => Ok(()),
    }
}

/// Whether the path is /dev or below it (served here, not by FAT).
pub fn in_dev(n: &Namei) -> bool {
    n.path == "/dev" || n.path.starts_with("/dev/")
}

/// Looks a normalized path up: the node (FAT, /dev, or a boot module).
pub fn lookup(s: &crate::Server, n: &Namei) -> Result<Node, Errno> {
    if in_dev(n) {
        return crate::devfs::lookup(&n.path);
    }
    if crate::procfs::owns(n) {
        return crate::procfs::lookup(s, n);
    }
    let found = with_fs(|fs| {
        let ino = fs.resolve(&n.path).map_err(fe)?;
        let m = fs.stat(ino).map_err(fe)?;
        Ok(Node::Fat { ino, dir: m.is_dir() })
    });
    let node = match found {
        Err(Errno::ENOENT) => s.files.iter().find(|f| f.path == n.path).map(|f| Node::Boot(f.bytes)).ok_or(Errno::ENOENT)?,
        r => r?,
    };
    if n.trailing_slash && !matches!(node, Node::Fat { dir: true, .. } | Node::DevDir) {
        return Err(Errno::ENOTDIR);
    }
    Ok(node)
}

/// stat of a node.
pub fn stat(node: &Node) -> Result<Stat, Errno> {
    let mut st = Stat { st_dev: 0x801, st_nlink: 1, st_blksize: 4096, ..Default::default() };
    match node {
        Node::Fat { ino, .. } => {
            let (m, cluster) = with_fs(|fs| Ok((fs.stat(*ino).map_err(fe)?, fs.stats().cluster_size as u64)))?;
            st.st_ino = *ino;
            st.st_mode = m.mode;
            st.st_nlink = if m.is_dir() { 2 } else { 1 };
            st.st_size = m.size as i64;
            st.st_blksize = cluster as i64;
            st.st_blocks = (m.size.div_ceil(cluster.max(1)) * cluster / 512) as i64;
            st.st_mtime = m.modified.to_unix();
            st.st_ctime = st.st_mtime;
            st.st_atime = m.accessed.to_unix();
        }
        Node::Boot(b) => {
            st.st_ino = b.as_ptr() as u64 & 0xffff_ffff;
            st.st_mode = S_IFREG | 0o755;
            st.st_size = b.len() as i64;
            st.st_blocks = (b.len() as i64 + 511) / 512;
        }
        Node::DevDir => {
            (st.st_ino, st.st_mode, st.st_nlink) = (2, S_IFDIR | 0o755, 2);
        }
        Node::Dev(d) => {
            st.st_dev = 5;
            (st.st_ino, st.st_mode, st.st_rdev) = (d.ino(), S_IFCHR | 0o666, d.rdev());
        }
        Node::PipeRead(p) | Node::PipeWrite(p) => {
            st.st_dev = 9;
            (st.st_ino, st.st_mode) = (Arc::as_ptr(p) as u64 & 0xffff_ffff, S_IFIFO | 0o600);
        }
        Node::Proc(e) => crate::procfs::fill_stat(e, &mut st),
    }
    Ok(st)
}

/// The time of day in seconds (what FAT stamps with).
pub fn unix_now() -> i64 {
    fat32::Clock::now(&Uptime).to_unix()
}

/// chmod: FAT holds a regular file's execute bit (its SYSTEM attribute)
/// and the write bits together (READ_ONLY), so 0644, 0755, 0444 and 0555
/// (a directory: 0755, 0555) can be set; any other mode is EPERM, as on
/// Linux's vfat. Nodes outside the disk keep their modes (EPERM).
pub fn set_mode(node: &Node, mode: u32) -> Result<(), Errno> {
    let perm = mode & 0o7777;
    let Node::Fat { ino, .. } = node else {
        return if stat(node)?.st_mode & 0o7777 == perm { Ok(()) } else { Err(Errno::EPERM) };
    };
    with_fs(|fs| {
        let cur = fs.stat(*ino).map_err(fe)?;
        let dir = cur.mode & S_IFDIR != 0;
        let held = match (dir, perm & 0o111 != 0, perm & 0o222 != 0) {
            (true, _, true) | (false, true, true) => 0o755,
            (true, _, false) | (false, true, false) => 0o555,
            (false, false, true) => 0o644,
            (false, false, false) => 0o444,
        };
        if held != perm {
            return Err(Errno::EPERM);
        }
        fs.set_mode(*ino, perm).map_err(fe)
    })
}

/// chown: nothing here has an owner but root (uid and gid 0), so only a
/// change to 0 or to "unchanged" (-1) succeeds; anything else is EPERM.
pub fn set_owner(node: &Node, uid: u32, gid: u32) -> Result<(), Errno> {
    let st = stat(node)?;
    let same = |want: u32, have: u32| want == u32::MAX || want == have;
    if same(uid, st.st_uid) && same(gid, st.st_gid) { Ok(()) } else { Err(Errno::EPERM) }
}

/// utimensat: FAT keeps the modification time (2 s steps) and the access
/// date; None leaves one as it is. Other nodes keep no times (EPERM).
pub fn set_times(node: &Node, atime: Option<i64>, mtime: Option<i64>) -> Result<(), Errno> {
    let Node::Fat { ino, .. } = node else { return Err(Errno::EPERM) };
    let conv = |t: Option<i64>| t.map(fat32::DateTime::from_unix);
    with_fs(|fs| fs.set_times(*ino, conv(atime), conv(mtime)).map_err(fe))
}

/// An executable's bytes by path: from the disk, else a boot module.
pub fn exec_image(s: &crate::Server, n: &Namei) -> Result<Cow<'static, [u8]>, Errno> {
    match lookup(s, n)? {
        Node::Boot(b) => Ok(Cow::Borrowed(b)),
        Node::Fat { ino, dir: false } => with_fs(|fs| {
            let m = fs.stat(ino).map_err(fe)?;
            if !fat32::is_exec_mode(m.mode) {
                return Err(Errno::EACCES);
            }
            // The image is read whole into the server: bound it.
            if m.size > 256 << 20 {
                return Err(Errno::ENOEXEC);
            }
            let mut v = alloc::vec![0u8; m.size as usize];
            let got = fs.read(ino, 0, &mut v).map_err(fe)?;
            v.truncate(got);
            Ok(Cow::Owned(v))
        }),
        _ => Err(Errno::EACCES),
    }
}

/// Reads at most `len` bytes at `off` from a FAT file.
pub fn fat_read(ino: Ino, off: u64, len: usize) -> Result<Vec<u8>, Errno> {
    with_fs(|fs| {
        let size = fs.stat(ino).map_err(fe)?.size;
        let n = (size.saturating_sub(off)).min(len as u64) as usize;
        let mut v = alloc::vec![0u8; n];
        let got = if n > 0 { fs.read(ino, off, &mut v).map_err(fe)? } else { 0 };
        v.truncate(got);
        Ok(v)
    })
}

/// Writes at `off` (None: at the end, for O_APPEND); gives the offset
/// the data went to and the count.
pub fn fat_write(ino: Ino, off: Option<u64>, data: &[u8]) -> Result<(u64, usize), Errno> {
    with_fs(|fs| {
        let at = match off {
            Some(o) => o,
            None => fs.stat(ino).map_err(fe)?.size,
        };
        if at.checked_add(data.len() as u64).is_none_or(|e| e > u32::MAX as u64) {
            return Err(Errno::EFBIG);
        }
        let n = fs.write(ino, at, data).map_err(fe)?;
        Ok((at, n))
    })
}
