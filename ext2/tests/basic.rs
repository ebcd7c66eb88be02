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
