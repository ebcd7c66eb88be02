//! Behaviour that needs no e2fsprogs: volumes made by `ext2::format`.

use ext2::*;
use std::collections::BTreeSet;

fn fresh(mib: usize) -> FileSystem<MemDevice> {
    let dev = format(MemDevice::new(mib << 20), &FormatOptions::default()).unwrap();
    FileSystem::mount(dev, Box::new(FixedClock(Time::new(1_700_000_000, 0))), MountOptions::default()).unwrap()
}

/// `rm -rf`'s pattern: read one entry by cookie, unlink it, go on. Every
/// name comes exactly once and the directory ends empty.
#[test]
fn readdir_cookies_survive_unlinks() {
    let mut fs = fresh(16);
    let d = fs.mkdir(ROOT_INO, b"d", 0o755, 0, 0).unwrap();
    let mut want = BTreeSet::new();
    for i in 0..700 {
        let n = format!("entry-{i}").into_bytes();
        fs.create(d, &n, 0o644, 0, 0).unwrap();
        want.insert(n);
    }
    let mut seen = BTreeSet::new();
    let mut cookie = 0;
    while let Some((e, next)) = fs.read_dir_at(d, cookie).unwrap() {
        if e.name != b"." && e.name != b".." {
            assert!(seen.insert(e.name.clone()), "{:?} twice", String::from_utf8_lossy(&e.name));
            fs.unlink(d, &e.name).unwrap();
        }
        cookie = next;
    }
    assert_eq!(seen, want);
    assert_eq!(fs.read_dir(d).unwrap().len(), 2);
    fs.rmdir(ROOT_INO, b"d").unwrap();
}

#[test]
fn hold_and_release() {
    let mut fs = fresh(8);
    let f = fs.create(ROOT_INO, b"f", 0o644, 0, 0).unwrap();
    assert_eq!(fs.release(f), Err(Error::InvalidArgument), "release without hold");
    fs.hold(f).unwrap();
    fs.hold(f).unwrap();
    fs.unlink(ROOT_INO, b"f").unwrap();
    fs.release(f).unwrap();
    assert_eq!(fs.stat(f).unwrap().nlink, 0, "still held once");
    assert_eq!(fs.link(f, ROOT_INO, b"back"), Err(Error::NotFound), "no new links to an unlinked inode");
    fs.release(f).unwrap();
    assert_eq!(fs.stat(f), Err(Error::NotFound));
    // A removed directory that is still held takes no new entries.
    let d = fs.mkdir(ROOT_INO, b"d", 0o755, 0, 0).unwrap();
    fs.hold(d).unwrap();
    fs.rmdir(ROOT_INO, b"d").unwrap();
    assert_eq!(fs.create(d, b"x", 0o644, 0, 0), Err(Error::NotFound));
    fs.release(d).unwrap();
    let st = fs.statfs();
    let dev = fs.unmount().unwrap();
    let fs = FileSystem::mount(dev, Box::new(FixedClock(Time::new(1_700_000_001, 0))), MountOptions::default()).unwrap();
    assert_eq!(fs.statfs(), st);
}

#[test]
fn times_and_owners() {
    let mut fs = fresh(8);
    let f = fs.create(ROOT_INO, b"f", 0o644, 0xfffe_fffd, 0x1_0001).unwrap();
    let m = fs.stat(f).unwrap();
    assert_eq!((m.uid, m.gid), (0xfffe_fffd, 0x1_0001));
    assert_eq!((m.ctime, m.crtime), (Time::new(1_700_000_000, 0), Time::new(1_700_000_000, 0)));
    // Before 1970, and past 2038 (the extra epoch bits).
    for t in [Time::new(-1, 5), Time::new(-2_000_000_000, 0), Time::new(3_000_000_000, 999_999_999), Time::new(10_000_000_000, 1)] {
        fs.setattr(f, SetAttr { mtime: Some(t), ..Default::default() }).unwrap();
        assert_eq!(fs.stat(f).unwrap().mtime, t);
    }
    fs.setattr(f, SetAttr { mode: Some(0o170777), ..Default::default() }).unwrap();
    assert_eq!(fs.stat(f).unwrap().mode, S_IFREG | 0o777, "type bits cannot change");
    assert_eq!(fs.write(f, 0, b""), Ok(0));
    assert_eq!(fs.stat(f).unwrap().size, 0);
    assert_eq!(fs.write(f, fs.max_file_size(), b"x"), Err(Error::FileTooLarge));
}

/// A device that fails writes on request: errors come back as values and
/// nothing the crate had cached is lost (it reaches the disk once the
/// device works again).
struct Flaky {
    inner: MemDevice,
    fail: std::rc::Rc<std::cell::Cell<bool>>,
}

impl BlockDevice for Flaky {
    fn block_size(&self) -> usize {
        self.inner.block_size()
    }
    fn num_blocks(&self) -> u64 {
        self.inner.num_blocks()
    }
    fn read_blocks(&mut self, lba: u64, buf: &mut [u8]) -> core::result::Result<(), IoError> {
        self.inner.read_blocks(lba, buf)
    }
    fn write_blocks(&mut self, lba: u64, buf: &[u8]) -> core::result::Result<(), IoError> {
        if self.fail.get() {
            return Err(IoError);
        }
        self.inner.write_blocks(lba, buf)
    }
}

#[test]
fn device_errors_are_values_and_lose_nothing() {
    let inner = format(MemDevice::new(16 << 20), &FormatOptions::default()).unwrap();
    let fail = std::rc::Rc::new(std::cell::Cell::new(false));
    let dev = Flaky { inner, fail: fail.clone() };
    let opts = MountOptions { cache_blocks: 16, ..Default::default() };
    let mut fs = FileSystem::mount(dev, Box::new(FixedClock(Time::new(1_700_000_000, 0))), opts).unwrap();
    let empty = fs.statfs();
    let f = fs.create(ROOT_INO, b"f", 0o644, 0, 0).unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 241) as u8).collect();
    fs.write(f, 0, &data[..100_000]).unwrap();
    fail.set(true);
    // With a 16-block cache the next writes must evict and the device
    // fails: the blocks stay cached up to twice the capacity, then the
    // write fails (short, or with EIO).
    let mut off = 100_000;
    let r = loop {
        match fs.write(f, off as u64, &data[off..]) {
            Ok(n) if off + n == data.len() => break Ok(n),
            Ok(n) => off += n,
            Err(e) => break Err(e),
        }
    };
    assert_eq!(r, Err(Error::Io), "the device failure reaches the caller");
    assert_eq!(fs.sync(), Err(Error::Io));
    fail.set(false);
    fs.sync().unwrap();
    fs.write(f, off as u64, &data[off..]).unwrap();
    let dev = fs.unmount().unwrap();
    let mut fs = FileSystem::mount(dev, Box::new(FixedClock(Time::new(1_700_000_001, 0))), MountOptions::default()).unwrap();
    let mut back = vec![0; 200_000];
    assert_eq!(fs.read(f, 0, &mut back).unwrap(), 200_000);
    assert!(back == data);
    // No block leaked on the failed paths.
    fs.unlink(ROOT_INO, b"f").unwrap();
    assert_eq!(fs.statfs(), empty);
}
