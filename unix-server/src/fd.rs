//! Descriptor tables and open file descriptions.
//!
//! A descriptor is a per-process slot holding a reference to an
//! [`OpenFile`] plus its close-on-exec flag. The open file description
//! is shared (`Arc`) by every descriptor made from it by `dup`, `fcntl`
//! or `fork`, so they all share one file offset and one set of status
//! flags, as POSIX requires.
//!
//! The offset: for a mapped regular file it lives in a page shared between
//! the server and every process holding the description
//! (`mach::defs::bsd::SharedOffset`), so that `read` and `lseek` run in
//! emulib without a message. It is therefore an `AtomicU64`, never a field
//! behind the table lock, and every change is one atomic read-modify-write:
//! whoever holds a reference (a server thread, or emulib in any process)
//! can advance it without any lock. Where it lives is an [`OffsetHome`].

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use linux_abi::consts::fcntl::*;
use linux_abi::consts::open::*;
use linux_abi::consts::seek::*;
use linux_abi::Errno;

/// What a descriptor refers to; the files, pipes and ttys work implements
/// it. Only what the descriptor layer itself needs is here.
pub trait FileObject: Send + Sync {
    /// The concrete object, for the layer that made it.
    fn as_any(&self) -> &dyn core::any::Any;
    /// False for pipes, sockets and ttys: lseek is ESPIPE.
    fn seekable(&self) -> bool {
        true
    }
    /// Current size, for SEEK_END.
    fn size(&self) -> u64 {
        0
    }
}

/// Where a description's offset lives when it is not in the description
/// itself: a shared page, given back when the description goes away.
pub trait OffsetHome: Send + Sync {
    fn cell(&self) -> &AtomicU64;
    /// Which home, for the layer that made it (the page's index).
    fn id(&self) -> u64 {
        0
    }
    /// The description's status flags now (at creation and F_SETFL), for
    /// a home that shows them to other holders (emulib's local write must
    /// see O_APPEND).
    fn flags_changed(&self, _flags: u32) {}
}

enum Offset {
    Private(AtomicU64),
    Shared(alloc::boxed::Box<dyn OffsetHome>),
}

impl Offset {
    fn cell(&self) -> &AtomicU64 {
        match self {
            Offset::Private(a) => a,
            Offset::Shared(h) => h.cell(),
        }
    }
}

/// Status flags F_SETFL may change; the access mode and creation flags
/// are fixed at open (Linux's SETFL_MASK, less O_DIRECT/O_NOATIME
/// permission subtleties, which the files layer can refuse).
pub const SETFL_MASK: u32 = O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME | O_NONBLOCK;

/// Flags open() does not keep in the description.
const NOT_KEPT: u32 = O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC;

/// An open file description.
pub struct OpenFile {
    pub object: Arc<dyn FileObject>,
    /// Access mode and status flags, as F_GETFL reports them.
    flags: AtomicU32,
    /// The file offset, shared by every descriptor referring here (see
    /// the module comment for why it is atomic).
    offset: Offset,
}

impl OpenFile {
    /// A description for `object` opened with `open` flags `flags`.
    /// O_LARGEFILE is always set, as on 64-bit Linux (F_GETFL shows it).
    pub fn new(object: Arc<dyn FileObject>, flags: u32) -> Arc<OpenFile> {
        let kept = (flags & !NOT_KEPT) | O_LARGEFILE;
        Arc::new(OpenFile { object, flags: AtomicU32::new(kept), offset: Offset::Private(AtomicU64::new(0)) })
    }

    /// As [`Self::new`], the offset in `home` (which starts it at 0).
    pub fn with_offset_home(object: Arc<dyn FileObject>, flags: u32, home: alloc::boxed::Box<dyn OffsetHome>) -> Arc<OpenFile> {
        home.cell().store(0, Ordering::SeqCst);
        let kept = (flags & !NOT_KEPT) | O_LARGEFILE;
        home.flags_changed(kept);
        Arc::new(OpenFile { object, flags: AtomicU32::new(kept), offset: Offset::Shared(home) })
    }

    /// The offset's home, when it is not private to the description.
    pub fn offset_home(&self) -> Option<&dyn OffsetHome> {
        match &self.offset {
            Offset::Shared(h) => Some(&**h),
            Offset::Private(_) => None,
        }
    }

    pub fn status_flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    pub fn access_mode(&self) -> u32 {
        self.status_flags() & O_ACCMODE
    }

    pub fn readable(&self) -> bool {
        matches!(self.access_mode(), O_RDONLY | O_RDWR)
    }

    pub fn writable(&self) -> bool {
        matches!(self.access_mode(), O_WRONLY | O_RDWR)
    }

    /// F_SETFL: only the changeable bits move; the rest are kept.
    pub fn set_status_flags(&self, new: u32) {
        let r = self.flags.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
            Some((old & !SETFL_MASK) | (new & SETFL_MASK))
        });
        if let (Some(h), Ok(old)) = (self.offset_home(), r) {
            h.flags_changed((old & !SETFL_MASK) | (new & SETFL_MASK));
        }
    }

    pub fn offset(&self) -> u64 {
        self.offset.cell().load(Ordering::SeqCst)
    }

    pub fn set_offset(&self, off: u64) {
        self.offset.cell().store(off, Ordering::SeqCst)
    }

    /// A transfer of `n` bytes read at `from` moves the offset, unless
    /// someone else moved it meanwhile (then false: read again, as emulib
    /// does, so two readers never get the same bytes).
    pub fn advance(&self, from: u64, n: u64) -> bool {
        let to = from.saturating_add(n);
        self.offset.cell().compare_exchange(from, to, Ordering::SeqCst, Ordering::SeqCst).is_ok()
    }

    /// Claims `len` bytes at the current offset and advances it, in one
    /// atomic step, so two concurrent reads through a shared description
    /// never get the same bytes. Returns the offset the caller's transfer
    /// starts at. (O_APPEND writes use [`Self::claim_append`].)
    pub fn claim(&self, len: u64) -> Result<u64, Errno> {
        self.offset
            .cell()
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| o.checked_add(len).filter(|e| *e <= i64::MAX as u64))
            .map_err(|_| Errno::EOVERFLOW)
    }

    /// An O_APPEND write of `len` bytes to a file now `size` bytes long:
    /// the transfer starts at the end and the offset ends after it.
    pub fn claim_append(&self, size: u64, len: u64) -> Result<u64, Errno> {
        let end = size.checked_add(len).filter(|e| *e <= i64::MAX as u64).ok_or(Errno::EFBIG)?;
        self.set_offset(end);
        Ok(size)
    }

    /// lseek. Negative results are EINVAL; unseekable objects ESPIPE.
    pub fn lseek(&self, off: i64, whence: u32) -> Result<u64, Errno> {
        if !self.object.seekable() {
            return Err(Errno::ESPIPE);
        }
        let base = match whence {
            SEEK_SET => 0,
            SEEK_END => self.object.size() as i64,
            SEEK_CUR => {
                // Atomic against concurrent claims on the same description.
                let r = self.offset.cell().fetch_update(Ordering::SeqCst, Ordering::SeqCst, |cur| {
                    (cur as i64).checked_add(off).filter(|n| *n >= 0).map(|n| n as u64)
                });
                return r.map(|old| (old as i64 + off) as u64).map_err(|_| Errno::EINVAL);
            }
            _ => return Err(Errno::EINVAL),
        };
        let new = base.checked_add(off).filter(|n| *n >= 0).ok_or(Errno::EINVAL)?;
        self.set_offset(new as u64);
        Ok(new as u64)
    }
}

#[derive(Clone)]
struct Slot {
    file: Arc<OpenFile>,
    cloexec: bool,
}

/// A process's descriptor table. `fork` clones it (sharing every
/// description); the caller passes RLIMIT_NOFILE's soft limit to each
/// call that allocates, so a changed limit applies immediately.
#[derive(Clone, Default)]
pub struct FdTable {
    slots: Vec<Option<Slot>>,
}

/// Absolute ceiling on descriptors regardless of rlimit (Linux's nr_open).
pub const NR_OPEN: u64 = 1 << 20;

impl FdTable {
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self, fd: i32) -> Result<&Slot, Errno> {
        usize::try_from(fd).ok().and_then(|i| self.slots.get(i)).and_then(|s| s.as_ref()).ok_or(Errno::EBADF)
    }

    fn slot_mut(&mut self, fd: i32) -> Result<&mut Slot, Errno> {
        usize::try_from(fd).ok().and_then(|i| self.slots.get_mut(i)).and_then(|s| s.as_mut()).ok_or(Errno::EBADF)
    }

    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.slot(fd).map(|s| s.file.clone())
    }

    /// Number of open descriptors.
    pub fn count(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    /// The lowest free descriptor >= `min`, below `limit`.
    fn lowest_free(&self, min: usize, limit: usize) -> Result<usize, Errno> {
        let found = (min..self.slots.len()).find(|&i| self.slots[i].is_none());
        let fd = found.unwrap_or(self.slots.len().max(min));
        if fd >= limit { Err(Errno::EMFILE) } else { Ok(fd) }
    }

    fn put(&mut self, fd: usize, file: Arc<OpenFile>, cloexec: bool) -> Option<Arc<OpenFile>> {
        if fd >= self.slots.len() {
            self.slots.resize(fd + 1, None);
        }
        self.slots[fd].replace(Slot { file, cloexec }).map(|s| s.file)
    }

    /// Installs `file` at the lowest free descriptor (open, pipe, socket).
    pub fn install(&mut self, file: Arc<OpenFile>, cloexec: bool, limit: u64) -> Result<i32, Errno> {
        self.install_from(0, file, cloexec, limit)
    }

    fn install_from(&mut self, min: usize, file: Arc<OpenFile>, cloexec: bool, limit: u64) -> Result<i32, Errno> {
        let fd = self.lowest_free(min, clamp(limit))?;
        self.put(fd, file, cloexec);
        Ok(fd as i32)
    }

    /// close: returns the description so the caller can see whether this
    /// was the last reference (and release locks, pipe ends, mappings).
    pub fn close(&mut self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.slot(fd)?;
        let s = self.slots[fd as usize].take().ok_or(Errno::EBADF)?;
        self.trim();
        Ok(s.file)
    }

    fn trim(&mut self) {
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
    }

    /// dup: lowest free descriptor, close-on-exec clear.
    pub fn dup(&mut self, fd: i32, limit: u64) -> Result<i32, Errno> {
        let file = self.get(fd)?;
        self.install(file, false, limit)
    }

    /// dup2: `newfd` is closed first (its old description is returned);
    /// the same fd twice is a no-op that still checks `oldfd`.
    pub fn dup2(&mut self, oldfd: i32, newfd: i32, limit: u64) -> Result<(i32, Option<Arc<OpenFile>>), Errno> {
        let file = self.get(oldfd)?;
        if oldfd == newfd {
            return Ok((newfd, None));
        }
        self.dup_to(file, newfd, false, limit)
    }

    /// dup3: like dup2, but the same fd is EINVAL and only O_CLOEXEC is a
    /// valid flag.
    pub fn dup3(&mut self, oldfd: i32, newfd: i32, flags: u32, limit: u64) -> Result<(i32, Option<Arc<OpenFile>>), Errno> {
        if flags & !O_CLOEXEC != 0 || oldfd == newfd {
            return Err(Errno::EINVAL);
        }
        let file = self.get(oldfd)?;
        self.dup_to(file, newfd, flags & O_CLOEXEC != 0, limit)
    }

    fn dup_to(&mut self, file: Arc<OpenFile>, newfd: i32, cloexec: bool, limit: u64) -> Result<(i32, Option<Arc<OpenFile>>), Errno> {
        let n = usize::try_from(newfd).map_err(|_| Errno::EBADF)?;
        if n >= clamp(limit) {
            return Err(Errno::EBADF);
        }
        let old = self.put(n, file, cloexec);
        Ok((newfd, old))
    }

    /// F_DUPFD / F_DUPFD_CLOEXEC: lowest free descriptor >= `min`.
    pub fn dupfd(&mut self, fd: i32, min: i64, cloexec: bool, limit: u64) -> Result<i32, Errno> {
        let file = self.get(fd)?;
        let min = usize::try_from(min).map_err(|_| Errno::EINVAL)?;
        if min >= clamp(limit) {
            return Err(Errno::EINVAL);
        }
        self.install_from(min, file, cloexec, limit)
    }

    pub fn cloexec(&self, fd: i32) -> Result<bool, Errno> {
        self.slot(fd).map(|s| s.cloexec)
    }

    pub fn set_cloexec(&mut self, fd: i32, on: bool) -> Result<(), Errno> {
        self.slot_mut(fd).map(|s| s.cloexec = on)
    }

    /// The descriptor-level `fcntl` commands; others are the files
    /// layer's (locks, owners, pipe size): EINVAL here.
    pub fn fcntl(&mut self, fd: i32, cmd: u32, arg: u64, limit: u64) -> Result<i64, Errno> {
        match cmd {
            F_DUPFD => self.dupfd(fd, arg as i64, false, limit).map(i64::from),
            F_DUPFD_CLOEXEC => self.dupfd(fd, arg as i64, true, limit).map(i64::from),
            F_GETFD => self.cloexec(fd).map(|c| if c { FD_CLOEXEC as i64 } else { 0 }),
            F_SETFD => self.set_cloexec(fd, arg as u32 & FD_CLOEXEC != 0).map(|_| 0),
            F_GETFL => self.get(fd).map(|f| f.status_flags() as i64),
            F_SETFL => self.get(fd).map(|f| f.set_status_flags(arg as u32)).map(|_| 0),
            _ => {
                self.get(fd)?;
                Err(Errno::EINVAL)
            }
        }
    }

    /// At exec: closes every close-on-exec descriptor and returns their
    /// descriptions for last-close processing.
    pub fn close_on_exec(&mut self) -> Vec<Arc<OpenFile>> {
        let mut closed = Vec::new();
        for s in self.slots.iter_mut() {
            if s.as_ref().is_some_and(|s| s.cloexec) {
                closed.extend(s.take().map(|s| s.file));
            }
        }
        self.trim();
        closed
    }

    /// At exit: closes everything.
    pub fn close_all(&mut self) -> Vec<Arc<OpenFile>> {
        let closed = self.slots.drain(..).flatten().map(|s| s.file).collect();
        closed
    }

    /// Open descriptors in ascending order (for /proc-like listing, poll).
    pub fn iter(&self) -> impl Iterator<Item = (i32, &Arc<OpenFile>)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|s| (i as i32, &s.file)))
    }
}

fn clamp(limit: u64) -> usize {
    limit.min(NR_OPEN) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dummy(u64);
    impl FileObject for Dummy {
        fn as_any(&self) -> &dyn core::any::Any {
            self
        }
        fn size(&self) -> u64 {
            self.0
        }
    }
    struct Pipe;
    impl FileObject for Pipe {
        fn as_any(&self) -> &dyn core::any::Any {
            self
        }
        fn seekable(&self) -> bool {
            false
        }
    }

    fn file(flags: u32) -> Arc<OpenFile> {
        OpenFile::new(Arc::new(Dummy(100)), flags)
    }
    const LIM: u64 = 1024;

    #[test]
    fn lowest_free_and_ebadf() {
        let mut t = FdTable::new();
        for i in 0..3 {
            assert_eq!(t.install(file(O_RDONLY), false, LIM), Ok(i));
        }
        t.close(1).unwrap();
        assert_eq!(t.install(file(O_RDONLY), false, LIM), Ok(1));
        assert_eq!(t.close(7).err(), Some(Errno::EBADF));
        assert_eq!(t.close(-1).err(), Some(Errno::EBADF));
        assert_eq!(t.get(3).err(), Some(Errno::EBADF));
    }

    #[test]
    fn emfile_against_limit() {
        let mut t = FdTable::new();
        for _ in 0..4 {
            t.install(file(0), false, 4).unwrap();
        }
        assert_eq!(t.install(file(0), false, 4), Err(Errno::EMFILE));
        assert_eq!(t.dup(0, 4), Err(Errno::EMFILE));
        assert_eq!(t.dup2(0, 4, 4).err(), Some(Errno::EBADF));
        assert_eq!(t.dupfd(0, 4, false, 4), Err(Errno::EINVAL));
    }

    #[test]
    fn dup_shares_offset_and_flags() {
        let mut t = FdTable::new();
        let fd = t.install(file(O_RDWR), true, LIM).unwrap();
        let d = t.dup(fd, LIM).unwrap();
        assert!(t.cloexec(fd).unwrap() && !t.cloexec(d).unwrap());
        t.get(fd).unwrap().claim(10).unwrap();
        assert_eq!(t.get(d).unwrap().offset(), 10);
        t.fcntl(d, F_SETFL, (O_NONBLOCK | O_WRONLY | O_TRUNC) as u64, LIM).unwrap();
        let fl = t.fcntl(fd, F_GETFL, 0, LIM).unwrap() as u32;
        assert_eq!(fl, O_RDWR | O_NONBLOCK | O_LARGEFILE);
    }

    #[test]
    fn dup2_dup3_rules() {
        let mut t = FdTable::new();
        let a = t.install(file(0), false, LIM).unwrap();
        let b = t.install(file(0), false, LIM).unwrap();
        let (n, old) = t.dup2(a, a, LIM).unwrap();
        assert!(n == a && old.is_none());
        assert_eq!(t.dup2(9, 9, LIM).err(), Some(Errno::EBADF));
        assert_eq!(t.dup3(a, a, 0, LIM).err(), Some(Errno::EINVAL));
        assert_eq!(t.dup3(a, b, 0x1, LIM).err(), Some(Errno::EINVAL));
        let (n, old) = t.dup3(a, b, O_CLOEXEC, LIM).unwrap();
        assert!(n == b && old.is_some() && t.cloexec(b).unwrap());
        assert!(Arc::ptr_eq(&t.get(a).unwrap(), &t.get(b).unwrap()));
        let (n, old) = t.dup2(a, 100, LIM).unwrap();
        assert!(n == 100 && old.is_none());
        assert_eq!(t.dupfd(a, 50, true, LIM), Ok(50));
        assert_eq!(t.fcntl(50, F_GETFD, 0, LIM), Ok(FD_CLOEXEC as i64));
        assert_eq!(t.fcntl(a, F_DUPFD, 0, LIM), Ok(2));
    }

    #[test]
    fn close_on_exec_and_fork_share() {
        let mut t = FdTable::new();
        t.install(file(0), false, LIM).unwrap();
        t.install(file(0), true, LIM).unwrap();
        t.install(file(0), false, LIM).unwrap();
        let child = t.clone();
        assert_eq!(t.close_on_exec().len(), 1);
        assert_eq!(t.get(1).err(), Some(Errno::EBADF));
        assert!(t.get(2).is_ok());
        assert!(Arc::ptr_eq(&t.get(0).unwrap(), &child.get(0).unwrap()));
        assert_eq!(child.count(), 3);
    }

    #[test]
    fn lseek_rules() {
        let f = file(O_RDONLY);
        assert_eq!(f.lseek(10, SEEK_SET), Ok(10));
        assert_eq!(f.lseek(-4, SEEK_CUR), Ok(6));
        assert_eq!(f.lseek(-7, SEEK_CUR), Err(Errno::EINVAL));
        assert_eq!(f.offset(), 6);
        assert_eq!(f.lseek(-1, SEEK_END), Ok(99));
        assert_eq!(f.lseek(0, 9), Err(Errno::EINVAL));
        let p = OpenFile::new(Arc::new(Pipe), O_RDONLY);
        assert_eq!(p.lseek(0, SEEK_SET), Err(Errno::ESPIPE));
        assert_eq!(f.claim_append(500, 20), Ok(500));
        assert_eq!(f.offset(), 520);
    }

    struct Home(&'static AtomicU64, &'static core::sync::atomic::AtomicBool);
    impl OffsetHome for Home {
        fn cell(&self) -> &AtomicU64 {
            self.0
        }
    }
    impl Drop for Home {
        fn drop(&mut self) {
            self.1.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_shared_home_holds_the_offset_and_is_given_back() {
        static CELL: AtomicU64 = AtomicU64::new(77);
        static GONE: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        let f = OpenFile::with_offset_home(Arc::new(Dummy(100)), O_RDONLY, alloc::boxed::Box::new(Home(&CELL, &GONE)));
        assert_eq!(f.offset(), 0, "a new description starts at 0");
        f.lseek(5, SEEK_SET).unwrap();
        // Another holder (emulib in another process) moves the cell.
        CELL.fetch_add(3, Ordering::SeqCst);
        assert_eq!(f.offset(), 8);
        assert!(!f.advance(5, 10), "a read that raced must not move it");
        assert!(f.advance(8, 10));
        assert_eq!(CELL.load(Ordering::SeqCst), 18);
        assert!(f.offset_home().is_some() && file(0).offset_home().is_none());
        drop(f);
        assert!(GONE.load(Ordering::SeqCst), "the page goes back with the description");
    }

    #[test]
    fn concurrent_claims_never_overlap() {
        let f = file(O_RDONLY);
        let hs: std::vec::Vec<_> = (0..4)
            .map(|_| {
                let f = f.clone();
                std::thread::spawn(move || (0..1000).map(|_| f.claim(3).unwrap()).collect::<std::vec::Vec<_>>())
            })
            .collect();
        let mut all: std::vec::Vec<u64> = hs.into_iter().flat_map(|h| h.join().unwrap()).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 4000);
        assert_eq!(f.offset(), 12000);
    }
}
