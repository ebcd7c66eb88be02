//! The crate against e2fsprogs: images made by mke2fs read back as the
//! same tree; every writing test leaves an image e2fsck -fn accepts and
//! debugfs sees as the crate wrote it.

mod common;
use common::*;
use ext2::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

fn mknod_host(path: &Path, kind: &str, major: u32, minor: u32) -> bool {
    Command::new("mknod").arg(path).arg(kind).arg(major.to_string()).arg(minor.to_string()).status().is_ok_and(|s| s.success())
}

/// A source tree with every inode type for mke2fs -d.
fn source_tree() -> std::path::PathBuf {
    let src = scratch("src");
    std::fs::create_dir_all(src.join("sub/deeper")).unwrap();
    std::fs::write(src.join("small"), b"hello ext2\n").unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(src.join("sub/big"), &big).unwrap();
    std::fs::write(src.join("sub/deeper/x"), b"x").unwrap();
    std::fs::hard_link(src.join("small"), src.join("sub/small-link")).unwrap();
    std::os::unix::fs::symlink("small", src.join("fast")).unwrap();
    std::os::unix::fs::symlink("s".repeat(100), src.join("slow")).unwrap();
    assert!(Command::new("mkfifo").arg(src.join("fifo")).status().unwrap().success());
    let _sock = std::os::unix::net::UnixListener::bind(src.join("sock")).unwrap();
    std::fs::set_permissions(src.join("small"), std::fs::Permissions::from_mode(0o640)).unwrap();
    let _ = std::os::unix::fs::chown(src.join("sub/big"), Some(1234), Some(5678));
    let f = std::fs::File::options().write(true).open(src.join("small")).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000)).unwrap();
    mknod_host(&src.join("null"), "c", 1, 3);
    mknod_host(&src.join("nvme"), "b", 259, 300);
    src
}

/// Compares the crate's view of `ino` with the host's of `host`, recursively.
/// `host` is either the source tree of mke2fs -d (whose root lacks the
/// lost+found the image has) or a Linux mount of the image itself.
fn compare(fs: &mut FileSystem<MemDevice>, ino: Ino, host: &Path, seen: &mut usize) {
    compare_with(fs, ino, host, seen, true)
}

fn compare_with(fs: &mut FileSystem<MemDevice>, ino: Ino, host: &Path, seen: &mut usize, source: bool) {
    let m = std::fs::symlink_metadata(host).unwrap();
    let e = fs.stat(ino).unwrap();
    *seen += 1;
    assert_eq!(e.mode as u32, m.mode(), "mode of {}", host.display());
    assert_eq!(e.uid, m.uid(), "uid of {}", host.display());
    assert_eq!(e.gid, m.gid(), "gid of {}", host.display());
    // mke2fs makes lost+found in the root after copying the source's
    // times, which moves the root's mtime to that moment.
    if !(source && ino == ROOT_INO) {
        assert_eq!(e.mtime.sec, m.mtime(), "mtime of {}", host.display());
    }
    if !source {
        // The kernel reads the nanoseconds and the other times the crate wrote.
        assert_eq!(e.mtime.nsec as i64, m.mtime_nsec(), "mtime ns of {}", host.display());
        assert_eq!((e.atime.sec, e.atime.nsec as i64), (m.atime(), m.atime_nsec()), "atime of {}", host.display());
        assert_eq!((e.ctime.sec, e.ctime.nsec as i64), (m.ctime(), m.ctime_nsec()), "ctime of {}", host.display());
        assert_eq!(e.size, m.size(), "size of {}", host.display());
        assert_eq!(e.blocks, m.blocks(), "blocks of {}", host.display());
        assert_eq!(ino as u64, m.ino(), "inode number of {}", host.display());
    }
    let ft = m.file_type();
    if ft.is_dir() {
        let mut names: Vec<Vec<u8>> =
            fs.read_dir(ino).unwrap().into_iter().map(|d| d.name).filter(|n| n != b"." && n != b"..").collect();
        names.sort();
        let mut want: Vec<Vec<u8>> =
            std::fs::read_dir(host).unwrap().map(|d| d.unwrap().file_name().into_encoded_bytes()).collect();
        if ino == ROOT_INO && source {
            want.push(b"lost+found".to_vec());
        }
        want.sort();
        assert_eq!(names, want, "entries of {}", host.display());
        let subdirs = std::fs::read_dir(host).unwrap().filter(|d| d.as_ref().unwrap().file_type().unwrap().is_dir()).count();
        assert_eq!(e.nlink as usize, 2 + subdirs + usize::from(ino == ROOT_INO && source), "nlink of dir {}", host.display());
        for n in names {
            if n == b"lost+found" && ino == ROOT_INO && source {
                continue;
            }
            let child = fs.lookup(ino, &n).unwrap();
            compare_with(fs, child, &host.join(std::str::from_utf8(&n).unwrap()), seen, source);
        }
        return;
    }
    assert_eq!(e.nlink as u64, m.nlink(), "links of {}", host.display());
    if ft.is_symlink() {
        let t = std::fs::read_link(host).unwrap();
        assert_eq!(fs.readlink(ino).unwrap(), t.into_os_string().into_encoded_bytes());
    } else if ft.is_file() {
        let want = std::fs::read(host).unwrap();
        assert_eq!(e.size, want.len() as u64);
        let mut got = vec![0; want.len() + 10];
        let n = fs.read(ino, 0, &mut got).unwrap();
        assert_eq!(&got[..n], &want[..], "contents of {}", host.display());
    } else {
        assert_eq!(e.rdev, m.rdev(), "rdev of {}", host.display());
    }
}

#[test]
fn reads_the_tree_mke2fs_made() {
    if !have_e2fsprogs("reads_the_tree_mke2fs_made") {
        return;
    }
    let src = source_tree();
    // Default features of this machine's mke2fs.conf, dir_index included.
    let img = mkfs("read", 16, 4096, Some(&src), &[]);
    let mut fs = mount(&img);
    assert!(fs.superblock().feature_compat() & ext2::layout::COMPAT_DIR_INDEX != 0);
    let mut seen = 0;
    compare(&mut fs, ROOT_INO, &src, &mut seen);
    assert!(seen >= 10, "walked {seen} inodes");
    // Hard links share the inode.
    let a = fs.resolve(b"small").unwrap();
    assert_eq!(fs.resolve(b"sub/small-link").unwrap(), a);
    assert_eq!(fs.stat(a).unwrap().nlink, 2);
    unmount(fs, &img);
    fsck(&img);
    std::fs::remove_dir_all(&src).ok();
    std::fs::remove_file(&img).ok();
}

#[test]
fn writes_that_e2fsck_and_debugfs_confirm() {
    if !have_e2fsprogs("writes_that_e2fsck_and_debugfs_confirm") {
        return;
    }
    let img = mkfs("write", 32, 4096, None, &[]);
    let before = {
        let fs = mount(&img);
        fs.statfs()
    };
    let mut fs = mount(&img);
    let r = ROOT_INO;
    let d1 = fs.mkdir(r, b"d1", 0o755, 1000, 1000).unwrap();
    let d2 = fs.mkdir(d1, b"d2", 0o700, 1000, 1000).unwrap();
    let f = fs.create(d1, b"file", 0o644, 70000, 80000).unwrap();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    assert_eq!(fs.write(f, 0, &data).unwrap(), data.len());
    fs.link(f, d2, b"hard").unwrap();
    fs.symlink(r, b"fast", b"d1/file", 0, 0).unwrap();
    let long = "L".repeat(200);
    fs.symlink(r, b"slow", long.as_bytes(), 0, 0).unwrap();
    fs.mknod(r, b"fifo", S_IFIFO | 0o600, 0, 0, 0).unwrap();
    fs.mknod(r, b"sock", S_IFSOCK | 0o755, 0, 0, 0).unwrap();
    fs.mknod(r, b"null", S_IFCHR | 0o666, makedev(1, 3), 0, 0).unwrap();
    fs.mknod(r, b"bigdev", S_IFBLK | 0o660, makedev(259, 300), 0, 6).unwrap();
    // rename over an existing file, and a directory into another parent.
    let victim = fs.create(r, b"victim", 0o600, 0, 0).unwrap();
    fs.write(victim, 0, b"doomed").unwrap();
    let t = fs.create(r, b"t", 0o600, 0, 0).unwrap();
    fs.write(t, 0, b"renamed").unwrap();
    fs.rename(r, b"t", r, b"victim").unwrap();
    assert_eq!(fs.lookup(r, b"victim").unwrap(), t);
    let d3 = fs.mkdir(r, b"d3", 0o755, 0, 0).unwrap();
    fs.rename(d1, b"d2", d3, b"moved").unwrap();
    assert_eq!(fs.lookup(d2, b"..").unwrap(), d3);
    assert_eq!(fs.stat(d1).unwrap().nlink, 2);
    assert_eq!(fs.stat(d3).unwrap().nlink, 3);
    // rename a directory over an empty directory.
    let e1 = fs.mkdir(r, b"e1", 0o755, 0, 0).unwrap();
    fs.mkdir(d3, b"e2", 0o755, 0, 0).unwrap();
    fs.rename(r, b"e1", d3, b"e2").unwrap();
    assert_eq!(fs.lookup(d3, b"e2").unwrap(), e1);
    assert_eq!(fs.stat(d3).unwrap().nlink, 4);
    // unlink, rmdir, truncate shrink and grow.
    let gone = fs.create(r, b"gone", 0o600, 0, 0).unwrap();
    fs.write(gone, 0, &data).unwrap();
    fs.unlink(r, b"gone").unwrap();
    let sub = fs.mkdir(r, b"empty", 0o755, 0, 0).unwrap();
    fs.rmdir(r, b"empty").unwrap();
    assert!(fs.stat(sub).is_err());
    let tr = fs.create(r, b"trunc", 0o644, 0, 0).unwrap();
    fs.write(tr, 0, &data).unwrap();
    fs.truncate(tr, 5000).unwrap();
    fs.truncate(tr, 20000).unwrap();
    let mut back = vec![0xaa; 20000];
    assert_eq!(fs.read(tr, 0, &mut back).unwrap(), 20000);
    assert_eq!(&back[..5000], &data[..5000]);
    assert!(back[5000..].iter().all(|&b| b == 0), "grown tail reads zeros");
    // chmod / chown / utimes.
    fs.setattr(
        f,
        SetAttr {
            mode: Some(0o4751),
            uid: Some(65537),
            gid: Some(131072),
            atime: Some(Time::new(1_500_000_000, 0)),
            mtime: Some(Time::new(1_400_000_000, 999_000_000)),
            ctime: None,
        },
    )
    .unwrap();
    let st = fs.statfs();
    assert_eq!(st.block_size, 4096);
    assert!(st.free_blocks < before.free_blocks && st.free_inodes < before.free_inodes);
    unmount(fs, &img);
    fsck(&img);

    // debugfs sees what the crate wrote.
    assert_eq!(dls(&img, "/"), ["bigdev", "d1", "d3", "fast", "fifo", "lost+found", "null", "slow", "sock", "trunc", "victim"]);
    assert_eq!(dls(&img, "/d3"), ["e2", "moved"]);
    assert_eq!(dls(&img, "/d3/moved"), ["hard"]);
    let s = dstat(&img, "/d1/file").unwrap();
    assert_eq!((s.kind.as_str(), s.mode, s.uid, s.gid, s.size, s.links), ("regular", 0o4751, 65537, 131072, 100_000, 2));
    assert_eq!((s.atime, s.mtime, s.mtime_extra >> 2), (1_500_000_000, 1_400_000_000, 999_000_000));
    assert_eq!(s.ctime, NOW.sec as u32);
    assert_eq!(s.blockcount, 8 * 26, "25 data blocks and one indirect");
    assert_eq!(debugfs_cat(&img, "/d3/moved/hard"), data);
    assert_eq!(debugfs_cat(&img, "/victim"), b"renamed");
    assert_eq!(debugfs_cat(&img, "/trunc").len(), 20000);
    assert_eq!(dstat(&img, "/trunc").unwrap().blockcount, 8 * 2, "shrink freed blocks, growth left a hole");
    let s = dstat(&img, "/fast").unwrap();
    assert_eq!((s.kind.as_str(), s.fast_link.as_deref(), s.blockcount), ("symlink", Some("d1/file"), 0));
    let s = dstat(&img, "/slow").unwrap();
    assert_eq!((s.size, s.blockcount, s.fast_link), (200, 8, None));
    assert_eq!(debugfs_cat(&img, "/slow"), long.as_bytes());
    assert_eq!(dstat(&img, "/fifo").unwrap().kind, "FIFO");
    assert_eq!(dstat(&img, "/sock").unwrap().kind, "socket");
    let s = dstat(&img, "/null").unwrap();
    assert_eq!((s.kind.as_str(), s.device), ("character special", Some((1, 3))));
    let s = dstat(&img, "/bigdev").unwrap();
    assert_eq!((s.kind.as_str(), s.device, s.gid), ("block special", Some((259, 300)), 6));
    let s = dstat(&img, "/d3").unwrap();
    assert_eq!((s.links, s.mode), (4, 0o755));
    assert_eq!(dstat(&img, "/d1").unwrap().links, 2);
    assert_eq!(dstat(&img, "/").unwrap().links, 5, "root: ., .., lost+found, d1, d3");

    // And the crate reads it all back after a remount.
    let mut fs = mount(&img);
    let f = fs.resolve(b"d1/file").unwrap();
    let m = fs.stat(f).unwrap();
    assert_eq!((m.mode, m.uid, m.gid, m.nlink), (S_IFREG | 0o4751, 65537, 131072, 2));
    assert_eq!(m.mtime, Time::new(1_400_000_000, 999_000_000));
    let bd = fs.resolve(b"bigdev").unwrap();
    assert_eq!(fs.stat(bd).unwrap().rdev, makedev(259, 300));
    let sl = fs.resolve(b"slow").unwrap();
    assert_eq!(fs.readlink(sl).unwrap(), long.as_bytes());
    // Remove everything: the counts return to those of the empty volume.
    for n in [&b"bigdev"[..], b"fast", b"fifo", b"null", b"slow", b"sock", b"trunc", b"victim"] {
        fs.unlink(r, n).unwrap();
    }
    fs.unlink(d1, b"file").unwrap();
    let d3 = fs.lookup(r, b"d3").unwrap();
    let mv = fs.lookup(d3, b"moved").unwrap();
    fs.unlink(mv, b"hard").unwrap();
    fs.rmdir(d3, b"moved").unwrap();
    fs.rmdir(d3, b"e2").unwrap();
    fs.rmdir(r, b"d3").unwrap();
    fs.rmdir(r, b"d1").unwrap();
    let st = fs.statfs();
    assert_eq!((st.free_blocks, st.free_inodes), (before.free_blocks, before.free_inodes));
    unmount(fs, &img);
    fsck(&img);
    std::fs::remove_file(&img).ok();
}

#[test]
fn refusals() {
    if !have_e2fsprogs("refusals") {
        return;
    }
    let img = mkfs("refuse", 16, 4096, None, &[]);
    let mut fs = mount(&img);
    let r = ROOT_INO;
    let a = fs.mkdir(r, b"a", 0o755, 0, 0).unwrap();
    let b = fs.mkdir(a, b"b", 0o755, 0, 0).unwrap();
    let f = fs.create(b, b"f", 0o644, 0, 0).unwrap();
    assert_eq!(fs.rename(r, b"a", b, b"a"), Err(Error::InvalidArgument), "into its own subtree");
    assert_eq!(fs.rmdir(r, b"a"), Err(Error::NotEmpty));
    assert_eq!(fs.unlink(r, b"a"), Err(Error::IsDir));
    assert_eq!(fs.rmdir(b, b"f"), Err(Error::NotDir));
    assert_eq!(fs.link(a, r, b"alink"), Err(Error::NotPermitted));
    assert_eq!(fs.create(a, b"b", 0o644, 0, 0), Err(Error::Exists));
    assert_eq!(fs.create(a, b"x/y", 0o644, 0, 0), Err(Error::InvalidName));
    assert_eq!(fs.create(a, &[b'n'; 256], 0o644, 0, 0), Err(Error::NameTooLong));
    assert_eq!(fs.create(f, b"x", 0o644, 0, 0), Err(Error::NotDir));
    assert_eq!(fs.rename(r, b"nope", r, b"x"), Err(Error::NotFound));
    let d = fs.mkdir(r, b"d", 0o755, 0, 0).unwrap();
    fs.create(d, b"inside", 0o644, 0, 0).unwrap();
    assert_eq!(fs.rename(a, b"b", r, b"d"), Err(Error::NotEmpty), "over a non-empty directory");
    assert_eq!(fs.rename(b, b"f", r, b"d"), Err(Error::IsDir));
    assert_eq!(fs.rename(r, b"d", b, b"f"), Err(Error::NotDir));
    assert_eq!(fs.readlink(f), Err(Error::WrongType));
    assert_eq!(fs.write(a, 0, b"x"), Err(Error::IsDir));
    assert_eq!(fs.symlink(r, b"s", &vec![b'x'; 4096], 0, 0), Err(Error::NameTooLong));
    unmount(fs, &img);
    fsck(&img);
    // A read-only mount writes nothing.
    let mut fs = FileSystem::mount(load(&img), Box::new(FixedClock(NOW)), MountOptions { read_only: true, ..Default::default() }).unwrap();
    assert_eq!(fs.create(ROOT_INO, b"n", 0o644, 0, 0), Err(Error::ReadOnly));
    std::fs::remove_file(&img).ok();

    // ext4 (extents, 64bit, flex_bg...) is refused; an unknown ro_compat
    // feature allows only a read-only mount.
    let ext4 = scratch("ext4");
    assert!(Command::new("mke2fs").args(["-q", "-F", "-t", "ext4"]).arg(&ext4).arg("16M").status().unwrap().success());
    assert_eq!(FileSystem::mount(load(&ext4), Box::new(FixedClock(NOW)), MountOptions::default()).err(), Some(Error::Unsupported));
    std::fs::remove_file(&ext4).ok();
    // ext3 with a clean journal mounts as ext2 (the journal is left alone).
    let ext3 = scratch("ext3");
    assert!(Command::new("mke2fs").args(["-q", "-F", "-t", "ext3"]).arg(&ext3).arg("16M").status().unwrap().success());
    let mut fs = mount(&ext3);
    let f = fs.create(ROOT_INO, b"on-ext3", 0o644, 0, 0).unwrap();
    fs.write(f, 0, b"no journal written").unwrap();
    unmount(fs, &ext3);
    fsck(&ext3);
    assert_eq!(debugfs_cat(&ext3, "/on-ext3"), b"no journal written");
    std::fs::remove_file(&ext3).ok();
    let huge = mkfs("huge", 16, 4096, None, &["-O", "huge_file"]);
    assert_eq!(FileSystem::mount(load(&huge), Box::new(FixedClock(NOW)), MountOptions::default()).err(), Some(Error::ReadOnly));
    let mut fs = FileSystem::mount(load(&huge), Box::new(FixedClock(NOW)), MountOptions { read_only: true, ..Default::default() }).unwrap();
    assert!(fs.lookup(ROOT_INO, b"lost+found").is_ok());
    std::fs::remove_file(&huge).ok();
}

#[test]
fn large_sparse_file() {
    if !have_e2fsprogs("large_sparse_file") {
        return;
    }
    let img = mkfs("sparse", 64, 4096, None, &[]);
    let mut fs = mount(&img);
    let free0 = fs.statfs().free_blocks;
    let f = fs.create(ROOT_INO, b"sparse", 0o644, 0, 0).unwrap();
    let g4 = 4u64 << 30;
    fs.write(f, 0, b"start").unwrap();
    fs.write(f, g4, b"at 4 GiB (double indirect)").unwrap();
    let g5 = 5u64 << 30;
    fs.write(f, g5, b"at 5 GiB (triple indirect)").unwrap();
    let m = fs.stat(f).unwrap();
    assert_eq!(m.size, g5 + 26);
    // 3 data blocks, 1+1 for double (top + one middle... ) and 1+1+1 for triple,
    // none for the single indirect range: 3 + 2 + 3 = 8 blocks.
    assert_eq!(m.blocks, 8 * 8);
    let mut buf = vec![0xffu8; 8192];
    assert_eq!(fs.read(f, g4 - 4096, &mut buf).unwrap(), 8192);
    assert!(buf[..4096].iter().all(|&b| b == 0), "the hole reads as zeros");
    assert_eq!(&buf[4096..4096 + 26], b"at 4 GiB (double indirect)");
    unmount(fs, &img);
    fsck(&img);
    let s = dstat(&img, "/sparse").unwrap();
    assert_eq!((s.size, s.blockcount), (g5 + 26, 64));
    let mut fs = mount(&img);
    let f = fs.lookup(ROOT_INO, b"sparse").unwrap();
    let mut b = [0u8; 26];
    fs.read(f, g5, &mut b).unwrap();
    assert_eq!(&b, b"at 5 GiB (triple indirect)");
    fs.truncate(f, g4 + 1).unwrap();
    assert_eq!(fs.stat(f).unwrap().blocks, 8 * 4, "triple indirect tree freed");
    unmount(fs, &img);
    fsck(&img);
    let mut fs = mount(&img);
    let f = fs.lookup(ROOT_INO, b"sparse").unwrap();
    fs.truncate(f, 0).unwrap();
    fs.unlink(ROOT_INO, b"sparse").unwrap();
    assert_eq!(fs.statfs().free_blocks, free0);
    unmount(fs, &img);
    fsck(&img);
    std::fs::remove_file(&img).ok();
}

#[test]
fn ten_thousand_files_in_one_directory() {
    if !have_e2fsprogs("ten_thousand_files_in_one_directory") {
        return;
    }
    let img = mkfs("10k", 64, 4096, None, &["-N", "16384"]);
    let mut fs = mount(&img);
    let t0 = std::time::Instant::now();
    let d = fs.mkdir(ROOT_INO, b"many", 0o755, 0, 0).unwrap();
    let name = |i: u32| format!("file-{i:05}").into_bytes();
    let mut inos = Vec::new();
    // Block-cache accesses per thousand creates: the cost must stay flat
    // (counted, not timed, so the check cannot be flaky).
    let accesses = |fs: &FileSystem<MemDevice>| {
        let (h, m) = fs.cache_stats();
        h + m
    };
    let mut per_thousand = Vec::new();
    for i in 0..10_000 {
        if i % 1000 == 0 {
            per_thousand.push(accesses(&fs));
        }
        inos.push(fs.create(d, &name(i), 0o644, 0, 0).unwrap());
    }
    per_thousand.push(accesses(&fs));
    let cost: Vec<u64> = per_thousand.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(cost[9] <= cost[1] + cost[1] / 4, "create cost grows with the directory: {cost:?}");
    let t1 = t0.elapsed();
    for (i, &ino) in inos.iter().enumerate() {
        assert_eq!(fs.lookup(d, &name(i as u32)).unwrap(), ino);
        assert_eq!(fs.stat(ino).unwrap().nlink, 1);
    }
    let t2 = t0.elapsed();
    assert_eq!(fs.read_dir(d).unwrap().len(), 10_002);
    unmount(fs, &img);
    fsck(&img);
    assert_eq!(dls(&img, "/many").len(), 10_000);
    let mut fs = mount(&img);
    let t3 = std::time::Instant::now();
    let d = fs.lookup(ROOT_INO, b"many").unwrap();
    let a0 = accesses(&fs);
    fs.lookup(d, b"x").unwrap_err(); // the index is built here, once
    let a1 = accesses(&fs);
    for i in 0..1000 {
        fs.unlink(d, &name(i)).unwrap();
    }
    let a2 = accesses(&fs);
    for i in 1000..9000 {
        fs.unlink(d, &name(i)).unwrap();
    }
    let a3 = accesses(&fs);
    for i in 9000..10_000 {
        fs.unlink(d, &name(i)).unwrap();
    }
    let a4 = accesses(&fs);
    eprintln!("block accesses: index build {}, unlink first 1000 {}, last 1000 {}; create per 1000 {cost:?}", a1 - a0, a2 - a1, a4 - a3);
    assert!(a4 - a3 <= (a2 - a1) + (a2 - a1) / 4, "unlink cost grows");
    let t4 = t3.elapsed();
    fs.rmdir(ROOT_INO, b"many").unwrap();
    unmount(fs, &img);
    fsck(&img);
    eprintln!("10,000 files: create {t1:?}, lookup+stat {:?}, unlink {t4:?}", t2 - t1);
    assert!(t1 + t2 + t4 < std::time::Duration::from_secs(60));
    std::fs::remove_file(&img).ok();
}

#[test]
fn unlinked_while_open() {
    if !have_e2fsprogs("unlinked_while_open") {
        return;
    }
    let img = mkfs("orphan", 16, 4096, None, &[]);
    let mut fs = mount(&img);
    let st0 = fs.statfs();
    let f = fs.create(ROOT_INO, b"held", 0o644, 0, 0).unwrap();
    fs.write(f, 0, &vec![7u8; 50_000]).unwrap();
    fs.hold(f).unwrap();
    fs.unlink(ROOT_INO, b"held").unwrap();
    // Still readable through the open inode.
    let mut b = [0u8; 10];
    assert_eq!(fs.read(f, 100, &mut b).unwrap(), 10);
    assert_eq!(b, [7u8; 10]);
    assert_eq!(fs.stat(f).unwrap().nlink, 0);
    assert!(fs.statfs().free_blocks < st0.free_blocks);
    fs.release(f).unwrap();
    assert_eq!(fs.statfs(), st0, "last close frees it");
    // A crash while held: the next mount frees it.
    let g = fs.create(ROOT_INO, b"held2", 0o644, 0, 0).unwrap();
    fs.write(g, 0, &vec![9u8; 70_000]).unwrap();
    fs.hold(g).unwrap();
    fs.unlink(ROOT_INO, b"held2").unwrap();
    fs.sync().unwrap();
    assert_eq!(fs.superblock().last_orphan(), g);
    let dev = fs.abandon();
    std::fs::write(&img, dev.as_slice()).unwrap();
    // e2fsck understands the list as ext3/4's: preen mode releases it.
    let copy = scratch("orphan-copy");
    std::fs::copy(&img, &copy).unwrap();
    let o = Command::new("e2fsck").arg("-fp").arg(&copy).output().unwrap();
    let said = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(matches!(o.status.code(), Some(0) | Some(1)), "e2fsck -fp: {said}");
    assert!(said.contains(&format!("Clearing orphaned inode {g}")), "{said}");
    fsck(&copy);
    std::fs::remove_file(&copy).ok();
    let fs = mount(&img);
    assert_eq!(fs.superblock().last_orphan(), 0);
    assert_eq!(fs.statfs(), st0, "orphan reclaimed at mount");
    unmount(fs, &img);
    fsck(&img);
    std::fs::remove_file(&img).ok();
}

#[test]
fn one_kib_blocks() {
    if !have_e2fsprogs("one_kib_blocks") {
        return;
    }
    let src = source_tree();
    let img = mkfs("1k", 16, 1024, Some(&src), &[]);
    let mut fs = mount(&img);
    let mut seen = 0;
    compare(&mut fs, ROOT_INO, &src, &mut seen);
    let f = fs.create(ROOT_INO, b"n", 0o644, 0, 0).unwrap();
    let data: Vec<u8> = (0..400_000u32).map(|i| (i % 13) as u8).collect();
    fs.write(f, 0, &data).unwrap(); // into the double indirect range with 1 KiB blocks
    fs.truncate(f, 70_000).unwrap();
    unmount(fs, &img);
    fsck(&img);
    assert_eq!(debugfs_cat(&img, "/n"), &data[..70_000]);
    std::fs::remove_dir_all(&src).ok();
    std::fs::remove_file(&img).ok();
}

/// An htree-indexed directory (e2fsck -D builds the index) and files with
/// extended attributes in xattr blocks: the crate reads and changes them
/// and e2fsck still agrees.
#[test]
fn htree_directory_and_xattr_blocks() {
    if !have_e2fsprogs("htree_directory_and_xattr_blocks") {
        return;
    }
    let src = scratch("htree-src");
    std::fs::create_dir_all(src.join("big")).unwrap();
    for i in 0..3000 {
        std::fs::write(src.join(format!("big/a-rather-long-file-name-{i}")), b"").unwrap();
    }
    let img = mkfs("htree", 32, 4096, Some(&src), &[]);
    let st = Command::new("e2fsck").arg("-fyD").arg(&img).output().unwrap();
    assert!(matches!(st.status.code(), Some(0) | Some(1)), "e2fsck -fyD: {st:?}");
    let value = "v".repeat(300);
    for f in ["big/a-rather-long-file-name-1", "big/a-rather-long-file-name-2"] {
        let out = Command::new("debugfs").arg("-w").arg("-R").arg(format!("ea_set /{f} user.test {value}")).arg(&img).output().unwrap();
        assert!(out.status.success());
    }
    let s = debugfs(&img, "stat /big/a-rather-long-file-name-1");
    assert!(!s.contains("File ACL: 0"), "value in an xattr block: {s}");
    assert!(debugfs(&img, "stat /big").contains("Flags: 0x1000"), "e2fsck -D indexed the directory");
    fsck(&img);

    let mut fs = mount(&img);
    let d = fs.resolve(b"big").unwrap();
    for i in 0..3000 {
        fs.lookup(d, format!("a-rather-long-file-name-{i}").as_bytes()).unwrap();
    }
    let free0 = fs.statfs().free_blocks;
    fs.unlink(d, b"a-rather-long-file-name-1").unwrap();
    assert_eq!(fs.statfs().free_blocks, free0 + 1, "the xattr block went with its inode");
    for i in 3000..3500 {
        fs.create(d, format!("a-rather-long-file-name-{i}").as_bytes(), 0o644, 0, 0).unwrap();
    }
    for i in 100..1100 {
        fs.unlink(d, format!("a-rather-long-file-name-{i}").as_bytes()).unwrap();
    }
    assert_eq!(fs.stat(d).unwrap().flags & 0x1000, 0, "index flag dropped on change");
    unmount(fs, &img);
    fsck(&img);
    assert_eq!(dls(&img, "/big").len(), 3000 + 500 - 1000 - 1);
    std::fs::remove_dir_all(&src).ok();
    std::fs::remove_file(&img).ok();
}

/// The kernel's own ext2 driver (a read-only loop mount) sees the files,
/// links, modes, owners, times and contents the crate wrote.
#[test]
fn linux_mount_sees_what_the_crate_wrote() {
    if !have_e2fsprogs("linux_mount_sees_what_the_crate_wrote") {
        return;
    }
    let img = mkfs("linux", 32, 4096, None, &[]);
    let mut fs = mount(&img);
    let r = ROOT_INO;
    let d = fs.mkdir(r, b"dir", 0o750, 1001, 1002).unwrap();
    let sub = fs.mkdir(d, b"sub", 0o755, 0, 0).unwrap();
    let f = fs.create(d, b"data", 0o640, 70000, 70001).unwrap();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 255) as u8).collect();
    fs.write(f, 0, &data).unwrap();
    fs.write(f, 64 << 20, b"far away").unwrap(); // a hole of 64 MiB
    fs.link(f, sub, b"again").unwrap();
    fs.symlink(r, b"fast", b"dir/data", 0, 0).unwrap();
    fs.symlink(r, b"slow", "z".repeat(300).as_bytes(), 0, 0).unwrap();
    // The boundary: 59 bytes fit in i_block, 60 take a block (as Linux does).
    let s59 = fs.symlink(r, b"s59", "f".repeat(59).as_bytes(), 0, 0).unwrap();
    let s60 = fs.symlink(r, b"s60", "g".repeat(60).as_bytes(), 0, 0).unwrap();
    assert_eq!((fs.stat(s59).unwrap().blocks, fs.stat(s60).unwrap().blocks), (0, 8));
    let s4095 = fs.symlink(r, b"s4095", "h".repeat(4095).as_bytes(), 0, 0).unwrap();
    assert_eq!(fs.stat(s4095).unwrap().size, 4095);
    fs.mknod(r, b"fifo", S_IFIFO | 0o644, 0, 5, 6).unwrap();
    fs.mknod(r, b"sock", S_IFSOCK | 0o644, 0, 0, 0).unwrap();
    fs.mknod(r, b"tty", S_IFCHR | 0o620, makedev(4, 1), 0, 5).unwrap();
    fs.mknod(r, b"disk", S_IFBLK | 0o660, makedev(259, 65540), 0, 6).unwrap();
    let t = Time::new(1_234_567_890, 987_654_321);
    fs.setattr(f, SetAttr { atime: Some(t), mtime: Some(t), ..Default::default() }).unwrap();
    fs.rename(r, b"fast", d, b"fast-moved").unwrap();
    unmount(fs, &img);
    fsck(&img);

    let mnt = scratch("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let st = Command::new("mount").args(["-o", "loop,ro", "-t", "ext2"]).arg(&img).arg(&mnt).output().unwrap();
    if !st.status.success() {
        eprintln!("SKIPPED linux_mount_sees_what_the_crate_wrote: no loop mount here: {}", String::from_utf8_lossy(&st.stderr));
        return;
    }
    let mut fs = mount(&img);
    let mut seen = 0;
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| compare_with(&mut fs, ROOT_INO, &mnt, &mut seen, false)));
    let host_rdev = std::fs::symlink_metadata(mnt.join("disk")).map(|m| m.rdev());
    let df = Command::new("stat").args(["-f", "-c", "%S %b %f %a %c %d %l"]).arg(&mnt).output().unwrap();
    let df = String::from_utf8_lossy(&df.stdout).trim().to_string();
    let _ = Command::new("umount").arg(&mnt).status();
    std::fs::remove_dir(&mnt).ok();
    if let Err(e) = r {
        std::panic::resume_unwind(e);
    }
    assert_eq!(host_rdev.unwrap(), makedev(259, 65540));
    let s = fs.statfs();
    let ours = format!("{} {} {} {} {} {} {}", s.block_size, s.blocks, s.free_blocks, s.avail_blocks, s.inodes, s.free_inodes, s.name_max);
    assert_eq!(ours, df, "statfs: ours vs the kernel's (bsize blocks bfree bavail files ffree namelen)");
    assert!(seen >= 14, "compared {seen} inodes");
    std::fs::remove_file(&img).ok();
}

/// Volumes the crate formats are what e2fsck expects, with backups in
/// the sparse groups and a partial last group; then written and checked again.
#[test]
fn format_makes_what_e2fsck_accepts() {
    if !have_e2fsprogs("format_makes_what_e2fsck_accepts") {
        return;
    }
    for (bs, isz, mib) in [(4096u32, 256u32, 8usize), (4096, 256, 300), (1024, 128, 40), (2048, 256, 100)] {
        let o = FormatOptions { block_size: bs, inode_size: isz, time: NOW, label: b"root".to_vec(), ..Default::default() };
        let dev = format(MemDevice::new(mib << 20), &o).unwrap();
        let img = scratch("format");
        std::fs::write(&img, dev.as_slice()).unwrap();
        fsck(&img);
        let out = Command::new("dumpe2fs").arg("-h").arg(&img).output().unwrap();
        let h = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(h.contains("Filesystem volume name:   root"), "{h}");
        assert!(h.contains("filetype sparse_super large_file"), "{h}");
        assert_eq!(dls(&img, "/"), ["lost+found"]);
        let mut fs = mount(&img);
        let d = fs.mkdir(ROOT_INO, b"dir", 0o755, 0, 0).unwrap();
        for i in 0..300 {
            let f = fs.create(d, format!("f{i}").as_bytes(), 0o644, i, i).unwrap();
            fs.write(f, (i as u64) * 1000, b"data").unwrap();
        }
        let st = fs.statfs();
        unmount(fs, &img);
        fsck(&img);
        match kernel_statfs(&img) {
            Some(k) => assert_eq!(our_statfs(&st), k, "statfs of a {bs}-byte-block volume vs the kernel's"),
            None => eprintln!("no loop mount here: statfs not compared with the kernel's"),
        }
        std::fs::remove_file(&img).ok();
    }
}

/// A full volume: writes stop with NoSpace, what was written is accounted
/// for, failed creates leak nothing, and e2fsck agrees at every step.
#[test]
fn full_disk_stays_consistent() {
    if !have_e2fsprogs("full_disk_stays_consistent") {
        return;
    }
    let img = mkfs("full", 8, 4096, None, &["-N", "128", "-m", "10"]);
    let mut fs = mount(&img);
    let reserved = fs.superblock().r_blocks_count() as u64;
    assert!(reserved > 100);
    let st0 = fs.statfs();
    let r = ROOT_INO;
    let f = fs.create(r, b"filler", 0o644, 0, 0).unwrap();
    let chunk = vec![0x5au8; 65536];
    let mut off = 0u64;
    // An ordinary user stops at the reserve; root goes on to the end.
    fs.set_privileged(false);
    let err = loop {
        match fs.write(f, off, &chunk) {
            Ok(n) => off += n as u64,
            Err(e) => break e,
        }
    };
    assert_eq!(err, Error::NoSpace);
    let st = fs.statfs();
    assert_eq!((st.free_blocks, st.avail_blocks), (reserved, 0), "{st:?}");
    fs.set_privileged(true);
    let err = loop {
        match fs.write(f, off, &chunk) {
            Ok(n) => off += n as u64,
            Err(e) => break e,
        }
    };
    assert_eq!(err, Error::NoSpace);
    assert_eq!(fs.stat(f).unwrap().size, off);
    assert_eq!(fs.statfs().free_blocks, 0);
    // Directories need a block: mkdir fails and leaks no inode.
    let free_inodes = fs.statfs().free_inodes;
    assert_eq!(fs.mkdir(r, b"nodir", 0o755, 0, 0), Err(Error::NoSpace));
    assert_eq!(fs.symlink(r, b"nolink", &[b'y'; 200], 0, 0), Err(Error::NoSpace));
    assert_eq!(fs.statfs().free_inodes, free_inodes);
    // Empty files need only an entry (the root block has room) until inodes run out.
    let mut made = 0;
    let err = loop {
        match fs.create(r, format!("e{made}").as_bytes(), 0o644, 0, 0) {
            Ok(_) => made += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(err, Error::NoSpace);
    assert_eq!(fs.statfs().free_inodes, 0);
    assert!(made > 50, "made {made}");
    unmount(fs, &img);
    fsck(&img);
    assert_eq!(dstat(&img, "/filler").unwrap().size, off);
    let mut fs = mount(&img);
    for i in 0..made {
        fs.unlink(r, format!("e{i}").as_bytes()).unwrap();
    }
    fs.unlink(r, b"filler").unwrap();
    assert_eq!(fs.statfs(), st0);
    unmount(fs, &img);
    fsck(&img);
    std::fs::remove_file(&img).ok();
}

#[path = "../examples/mkext2.rs"]
#[allow(dead_code)]
mod mkext2;

/// The crate's own image builder: deterministic bytes from the same tree,
/// an image e2fsck accepts, and the tree read back.
#[test]
fn mkext2_builds_reproducible_images() {
    if !have_e2fsprogs("mkext2_builds_reproducible_images") {
        return;
    }
    let src = source_tree();
    std::fs::write(src.join("holey"), [vec![0u8; 3 * 4096], b"tail".to_vec()].concat()).unwrap();
    let o = mkext2::BuildOptions { mib: 16, epoch: 2_000_000_000, clamp: true, root_owner: false };
    let a = mkext2::build(&src, &o).unwrap();
    // Reading the tree moved its atimes; the image must not care beyond the clamp.
    let b = mkext2::build(&src, &o).unwrap();
    assert!(a == b, "two builds differ");
    let img = scratch("mkext2");
    std::fs::write(&img, &a).unwrap();
    fsck(&img);
    let mut fs = mount(&img);
    let mut seen = 0;
    compare(&mut fs, ROOT_INO, &src, &mut seen);
    let h = fs.resolve(b"holey").unwrap();
    assert_eq!(fs.stat(h).unwrap().blocks, 8, "zero blocks stay holes");
    drop(fs);
    let s = dstat(&img, "/small").unwrap();
    assert_eq!((s.ctime, s.mtime, s.atime), (2_000_000_000, 1_600_000_000, 1_600_000_000));
    // Clamped to an epoch older than the tree: every time is the epoch.
    let o = mkext2::BuildOptions { mib: 16, epoch: 1_700_000_000, clamp: true, root_owner: true };
    std::fs::write(&img, mkext2::build(&src, &o).unwrap()).unwrap();
    fsck(&img);
    let s = dstat(&img, "/sub/big").unwrap();
    assert_eq!((s.mtime, s.uid, s.gid), (1_700_000_000, 0, 0));
    assert_eq!(dstat(&img, "/small").unwrap().mtime, 1_600_000_000, "older times stay");
    std::fs::remove_dir_all(&src).ok();
    std::fs::remove_file(&img).ok();
}

/// The crate's check finds the damage e2fsck finds (made with debugfs -w).
#[test]
fn check_finds_what_e2fsck_finds() {
    if !have_e2fsprogs("check_finds_what_e2fsck_finds") {
        return;
    }
    let src = source_tree();
    let base = mkfs("check", 16, 4096, Some(&src), &[]);
    fsck(&base);
    let big_block: u64 = debugfs(&base, "bmap /sub/big 0").trim().parse().unwrap();
    let sub_ino = dstat(&base, "/sub").unwrap().ino;
    let damage = [
        ("a used block marked free", format!("freeb {big_block}"), "blocks differ"),
        ("a free block marked used", "setb 4000".to_string(), "blocks differ"),
        ("a wrong link count", "sif /small links_count 5".to_string(), "links"),
        ("a wrong directory link count", "sif /sub links_count 9".to_string(), "links"),
        ("a wrong group free count", "set_bg 0 free_blocks_count 7".to_string(), "free blocks recorded"),
        ("a wrong i_blocks", "sif /sub/big blocks 8".to_string(), "i_blocks"),
        ("an inode in use marked free", format!("freei <{sub_ino}>"), "inodes differ"),
    ];
    for (what, req, expect) in damage {
        let img = scratch("damaged");
        std::fs::copy(&base, &img).unwrap();
        let out = Command::new("debugfs").arg("-w").arg("-R").arg(&req).arg(&img).output().unwrap();
        assert!(out.status.success(), "{req}");
        let e2 = Command::new("e2fsck").arg("-fn").arg(&img).status().unwrap();
        assert_ne!(e2.code(), Some(0), "e2fsck sees {what}");
        let opts = MountOptions { read_only: true, ..Default::default() };
        let mut fs = FileSystem::mount(load(&img), Box::new(FixedClock(NOW)), opts).unwrap();
        let r = fs.check().unwrap();
        assert!(r.problems.iter().any(|p| p.contains(expect)), "{what}: {:#?}", r.problems);
        std::fs::remove_file(&img).ok();
    }
    std::fs::remove_dir_all(&src).ok();
    std::fs::remove_file(&base).ok();
}
