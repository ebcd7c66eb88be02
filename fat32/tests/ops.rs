//! Semantics of the operations: names, truncate, rename, unlink, rmdir,
//! modes, times, inode numbers, caches, read-only mounts.

mod common;
use common::*;
use fat32::{DateTime, Error, FileSystem, FixedClock, MemDevice, MountOptions, ROOT_INO};

#[test]
fn names_lfn_case_and_limits() {
    let mut fs = mount(image(34, 512));
    let r = fs.root();
    let long255: String = "x".repeat(250) + ".long";
    let a = fs.create(r, &long255, 0o644).unwrap();
    assert_eq!(fs.lookup(r, &long255.to_uppercase()).unwrap(), a);
    assert_eq!(fs.create(r, &("y".repeat(256)), 0o644), Err(Error::NameTooLong));
    for bad in ["a/b", "a:b", "", ".", "..", "trailing.", "star*", "q?", "ctl\u{1}"] {
        assert!(matches!(fs.create(r, bad, 0o644), Err(Error::InvalidName)), "{:?}", bad);
    }
    let u = fs.create(r, "Ärger über Öl.txt", 0o644).unwrap();
    assert_eq!(fs.lookup(r, "ärger ÜBER öl.TXT").unwrap(), u);
    assert_eq!(fs.create(r, "ÄRGER ÜBER ÖL.TXT", 0o644), Err(Error::Exists));
    // Emoji are outside UCS-2's BMP; stored as surrogate pairs like Windows does.
    fs.create(r, "party 🎉.txt", 0o644).unwrap();
    // Same 8.3 stem: aliases get distinct ~N tails and are looked up too.
    fs.create(r, "Program Files", 0o644).unwrap();
    fs.create(r, "Program Data", 0o644).unwrap();
    let list = fs.read_dir(r).unwrap();
    let pf = list.iter().find(|e| e.name == "Program Files").unwrap();
    let pd = list.iter().find(|e| e.name == "Program Data").unwrap();
    assert_eq!(pf.short_name, "PROGRA~1");
    assert_eq!(pd.short_name, "PROGRA~2");
    assert_eq!(fs.lookup(r, "progra~2").unwrap(), pd.ino);
    // Case is preserved.
    write_file(&mut fs, "/lower.c", b"");
    write_file(&mut fs, "/CamelCase", b"");
    let n = names(&mut fs, "/");
    assert!(n.contains(&"lower.c".into()) && n.contains(&"CamelCase".into()) && n.contains(&"party 🎉.txt".into()));
    let mut img = unmount(fs);
    let ffs = fatfs(&mut img);
    let got = fatfs_names(&ffs, "/");
    assert!(got.contains(&"party 🎉.txt".into()) && got.contains(&long255) && got.contains(&"lower.c".into()));
}

#[test]
fn short_name_rules() {
    use fat32::name::*;
    assert_eq!(exact_short("readme.txt"), Some((*b"README  TXT", NT_LOWER_BASE | NT_LOWER_EXT)));
    assert_eq!(exact_short("README.txt"), Some((*b"README  TXT", NT_LOWER_EXT)));
    assert_eq!(exact_short("ReadMe.txt"), None);
    assert_eq!(exact_short("toolongname.txt"), None);
    assert_eq!(exact_short("a.b.c"), None);
    assert_eq!(exact_short(".profile"), None);
    let s = generate_short(".profile", |_| false).unwrap();
    assert_eq!(&s, b"PROFIL~1   ");
    let s = generate_short("my file+name.jpeg", |n| n == b"MYFILE~1JPE").unwrap();
    assert_eq!(&s, b"MYFILE~2JPE");
    assert_eq!(checksum(b"README  TXT"), checksum(b"README  TXT"));
    assert_ne!(checksum(b"README  TXT"), checksum(b"README  TX "));
}

#[test]
fn truncate_grows_with_zeros_and_shrinks_freeing() {
    let mut fs = mount(image(34, 512));
    let free0 = fs.stats().free_clusters;
    let ino = fs.create(fs.root(), "t", 0o644).unwrap();
    fs.write(ino, 0, &[0xAA; 5000]).unwrap();
    assert_eq!(fs.stats().free_clusters, free0 - 10);
    fs.truncate(ino, 100).unwrap();
    assert_eq!(fs.stats().free_clusters, free0 - 1);
    fs.truncate(ino, 3000).unwrap();
    let data = read_all(&mut fs, "/t");
    assert_eq!(&data[..100], &[0xAA; 100][..]);
    assert!(data[100..].iter().all(|&b| b == 0), "growth must read as zeros");
    // Writing past EOF leaves a zero gap.
    fs.write(ino, 10_000, b"end").unwrap();
    let data = read_all(&mut fs, "/t");
    assert_eq!(data.len(), 10_003);
    assert!(data[3000..10_000].iter().all(|&b| b == 0));
    fs.truncate(ino, 0).unwrap();
    assert_eq!(fs.stat(ino).unwrap().first_cluster, 0);
    assert_eq!(fs.stats().free_clusters, free0);
    assert_eq!(fs.truncate(ino, 1 << 32), Err(Error::FileTooLarge));
    assert_eq!(fs.truncate(ROOT_INO, 0), Err(Error::IsDir));
    assert_clean(&mut fs);
}

#[test]
fn unlink_and_rmdir_semantics() {
    let mut fs = mount(image(34, 512));
    let free0 = fs.stats().free_clusters;
    let r = fs.root();
    let d = fs.mkdir(r, "d").unwrap();
    assert_eq!(fs.mkdir(r, "D"), Err(Error::Exists));
    let f = fs.create(d, "f", 0o644).unwrap();
    fs.write(f, 0, &[1; 2000]).unwrap();
    assert_eq!(fs.rmdir(r, "d"), Err(Error::NotEmpty));
    assert_eq!(fs.unlink(r, "d"), Err(Error::IsDir));
    assert_eq!(fs.rmdir(d, "f"), Err(Error::NotDir));
    assert_eq!(fs.unlink(d, "nope"), Err(Error::NotFound));
    assert_eq!(fs.lookup(f, "x"), Err(Error::NotDir));
    assert_eq!(fs.resolve("/d/f/x"), Err(Error::NotDir));
    fs.unlink(d, "F").unwrap();
    assert_eq!(fs.lookup(d, "f"), Err(Error::NotFound));
    assert_eq!(fs.stat(f), Err(Error::NotFound));
    fs.rmdir(r, "d").unwrap();
    assert_eq!(fs.resolve("/d"), Err(Error::NotFound));
    assert_eq!(fs.stats().free_clusters, free0);
    assert_clean(&mut fs);
}

#[test]
fn rename_semantics() {
    let mut fs = mount(image(34, 512));
    let r = fs.root();
    let a = fs.mkdir(r, "a").unwrap();
    let b = fs.mkdir(r, "b").unwrap();
    write_file(&mut fs, "/a/one", b"1");
    write_file(&mut fs, "/a/two", &[2; 3000]);
    // Within a directory, to a long name.
    fs.rename(a, "one", a, "One Long Name").unwrap();
    assert_eq!(names(&mut fs, "/a"), vec!["One Long Name", "two"]);
    // Case-only rename.
    fs.rename(a, "one long name", a, "ONE LONG NAME").unwrap();
    assert_eq!(names(&mut fs, "/a"), vec!["ONE LONG NAME", "two"]);
    // Across directories.
    fs.rename(a, "ONE LONG NAME", b, "one").unwrap();
    assert_eq!(read_all(&mut fs, "/b/one"), b"1");
    // Over an existing file: replaced, its clusters freed.
    let free = fs.stats().free_clusters;
    let ino = fs.rename(a, "two", b, "one").unwrap();
    assert_eq!(fs.resolve("/b/one").unwrap(), ino);
    assert_eq!(read_all(&mut fs, "/b/one"), vec![2; 3000]);
    assert_eq!(fs.stats().free_clusters, free + 1);
    assert_eq!(fs.resolve("/a/two"), Err(Error::NotFound));
    // Directories: move, `..` follows; not into itself; not over files.
    let sub = fs.mkdir(a, "sub").unwrap();
    write_file(&mut fs, "/a/sub/x", b"x");
    assert_eq!(fs.rename(r, "a", sub, "loop"), Err(Error::InvalidArgument));
    assert_eq!(fs.rename(r, "a", r, "a").unwrap(), a);
    assert_eq!(fs.rename(a, "sub", b, "one"), Err(Error::NotDir));
    assert_eq!(fs.rename(b, "one", r, "b"), Err(Error::IsDir));
    let moved = fs.rename(a, "sub", b, "moved").unwrap();
    assert_eq!(fs.lookup(moved, "..").unwrap(), b);
    assert_eq!(fs.resolve("/b/moved/../one").unwrap(), ino);
    // Over a non-empty directory fails; over an empty one works.
    fs.mkdir(r, "empty").unwrap();
    assert_eq!(fs.rename(r, "a", r, "b"), Err(Error::NotEmpty));
    assert_clean(&mut fs);
    let mut img = unmount(fs);
    let ffs = fatfs(&mut img);
    assert_eq!(fatfs_read(&ffs, "b/moved/x"), b"x");
    assert_eq!(fatfs_names(&ffs, "b/moved/../.."), vec!["a", "b", "empty"]);
}

#[test]
fn rename_directory_over_directory() {
    let mut fs = mount(image(34, 512));
    let r = fs.root();
    let full = fs.mkdir(r, "full").unwrap();
    fs.create(full, "f", 0o644).unwrap();
    fs.mkdir(r, "empty").unwrap();
    let d = fs.mkdir(r, "d").unwrap();
    fs.create(d, "inside", 0o644).unwrap();
    assert_eq!(fs.rename(r, "d", r, "full"), Err(Error::NotEmpty));
    let free = fs.stats().free_clusters;
    let ino = fs.rename(r, "d", r, "empty").unwrap();
    assert_eq!(fs.stats().free_clusters, free + 1);
    assert_eq!(names(&mut fs, "/empty"), vec!["inside"]);
    assert_eq!(fs.resolve("/empty").unwrap(), ino);
    assert_clean(&mut fs);
}

#[test]
fn modes_execute_bit_and_inode_numbers_survive_remount() {
    let mut fs = mount(image(34, 512));
    let r = fs.root();
    let bin = fs.mkdir(r, "bin").unwrap();
    let sh = fs.create(bin, "sh", 0o755).unwrap();
    let txt = fs.create(r, "motd", 0o644).unwrap();
    let ro = fs.create(r, "ro", 0o444).unwrap();
    assert_eq!(fs.stat(sh).unwrap().mode, 0o100755);
    assert_eq!(fs.stat(txt).unwrap().mode, 0o100644);
    assert_eq!(fs.stat(ro).unwrap().mode, 0o100444);
    assert_eq!(fs.stat(bin).unwrap().mode, 0o040755);
    assert_eq!(fs.stat(ROOT_INO).unwrap().mode, 0o040755);
    fs.set_mode(txt, 0o700).unwrap();
    assert_eq!(fs.stat(txt).unwrap().mode, 0o100755);
    fs.set_mode(txt, 0o644).unwrap();
    let listed: Vec<u64> = fs.read_dir(r).unwrap().iter().map(|e| e.ino).collect();
    let img = unmount(fs);
    let mut fs = mount(img);
    assert_eq!(fs.resolve("/bin/sh").unwrap(), sh);
    assert_eq!(fs.resolve("/motd").unwrap(), txt, "empty files keep their inode number");
    assert_eq!(fs.stat(sh).unwrap().mode, 0o100755);
    assert_eq!(fs.stat(txt).unwrap().mode, 0o100644);
    let again: Vec<u64> = fs.read_dir(r).unwrap().iter().map(|e| e.ino).collect();
    assert_eq!(listed, again);
    assert_eq!(fs.lookup(bin, "..").unwrap(), ROOT_INO);
    assert_eq!(fs.lookup(ROOT_INO, "..").unwrap(), ROOT_INO);
}

#[test]
fn timestamps_come_from_the_callers_clock() {
    let t1 = DateTime::new(2030, 6, 15, 8, 9, 10);
    let mut fs = mount_at(image(34, 512), t1);
    let ino = fs.create(fs.root(), "f", 0o644).unwrap();
    let img = unmount(fs);
    let t2 = DateTime::new(2031, 2, 3, 4, 5, 6);
    let mut fs = mount_at(img, t2);
    let m = fs.stat(ino).unwrap();
    assert_eq!((m.created, m.modified, m.accessed.year), (t1, t1, 2030));
    fs.write(ino, 0, b"x").unwrap();
    let m = fs.stat(ino).unwrap();
    assert_eq!((m.created, m.modified), (t1, t2));
    fs.set_times(ino, Some(DateTime::new(1999, 12, 31, 0, 0, 0)), Some(DateTime::new(2001, 1, 1, 1, 1, 2))).unwrap();
    let m = fs.stat(ino).unwrap();
    assert_eq!(m.modified, DateTime::new(2001, 1, 1, 1, 1, 2));
    assert_eq!(m.accessed, DateTime::new(1999, 12, 31, 0, 0, 0));
    assert_eq!(DateTime::from_unix(DateTime::new(2026, 1, 1, 0, 0, 0).to_unix()), DateTime::new(2026, 1, 1, 0, 0, 0));
    assert_eq!(DateTime::new(1970, 1, 2, 0, 0, 0).to_unix(), 86400);
    let mut img = unmount(fs);
    let ffs = fatfs(&mut img);
    let e = ffs.root_dir().iter().map(|e| e.unwrap()).find(|e| e.file_name() == "f").unwrap();
    assert_eq!((e.modified().date.year, e.modified().time.sec), (2001, 2));
    assert_eq!(e.created().date.year, 2030);
}

#[test]
fn sync_then_crash_keeps_data_and_dirty_flag_is_seen() {
    let mut fs = mount(image(34, 512));
    write_file(&mut fs, "/kept", &pattern(20_000, 9));
    fs.mkdir(fs.root(), "dir").unwrap();
    fs.sync().unwrap();
    // A crash now leaves exactly what is on the device.
    let snapshot = fs.device().clone().into_inner();
    drop(fs);
    let mut fs = mount(snapshot.clone());
    assert!(!fs.was_cleanly_unmounted());
    assert_eq!(read_all(&mut fs, "/kept"), pattern(20_000, 9));
    assert!(fs.resolve("/dir").is_ok());
    assert_clean(&mut fs);
    let mut snap = snapshot;
    assert!(fatfs(&mut snap).read_status_flags().unwrap().dirty());
    let img = unmount(fs);
    assert!(mount(img).was_cleanly_unmounted());
}

#[test]
fn caches_serve_repeated_lookups_and_sequential_reads() {
    let mut fs = mount(image(34, 512));
    write_file(&mut fs, "/big", &pattern(1 << 20, 4));
    fs.mkdir(fs.root(), "x").unwrap();
    let x = fs.resolve("/x").unwrap();
    fs.mkdir(x, "y").unwrap();
    fs.resolve("/x/y").unwrap();
    let (_, _, _, _, hits0) = fs.cache_stats();
    for _ in 0..100 {
        fs.resolve("/x/y").unwrap();
    }
    let (_, _, _, _, hits1) = fs.cache_stats();
    assert!(hits1 - hits0 >= 200, "lookups must hit the cache");
    let ino = fs.resolve("/big").unwrap();
    let mut buf = vec![0u8; 4096];
    let (_, fat_miss0, ..) = fs.cache_stats();
    for i in 0..256u64 {
        fs.read(ino, i * 4096, &mut buf).unwrap();
    }
    let (_, fat_miss1, ..) = fs.cache_stats();
    // 2048 clusters = 8 KiB of FAT = 16 sectors at most.
    assert!(fat_miss1 - fat_miss0 <= 16, "FAT reads: {}", fat_miss1 - fat_miss0);
}

#[test]
fn read_only_mount_changes_nothing() {
    let mut fs = mount(image(34, 512));
    write_file(&mut fs, "/f", b"data");
    let img = unmount(fs);
    let opts = MountOptions { read_only: true, update_atime: true };
    let mut fs = FileSystem::mount(MemDevice::from_vec(img.clone()), Box::new(FixedClock(T0)), opts).unwrap();
    let ino = fs.resolve("/f").unwrap();
    assert_eq!(read_all(&mut fs, "/f"), b"data");
    assert_eq!(fs.write(ino, 0, b"x"), Err(Error::ReadOnly));
    assert_eq!(fs.create(ROOT_INO, "g", 0o644), Err(Error::ReadOnly));
    assert_eq!(fs.unlink(ROOT_INO, "f"), Err(Error::ReadOnly));
    assert_eq!(fs.unmount().unwrap().into_inner(), img);
}

#[test]
fn errno_mapping() {
    assert_eq!(Error::NotFound.errno(), 2);
    assert_eq!(Error::NoSpace.errno(), 28);
    assert_eq!(Error::NotEmpty.errno(), 39);
    assert_eq!(Error::NameTooLong.errno(), 36);
    assert_eq!(fat32::path::split_last("/a/b/"), Ok(("/a", "b")));
    assert_eq!(fat32::path::split_last("/"), Err(Error::InvalidName));
    assert_eq!(fat32::path::components("/a/./b//c").collect::<Vec<_>>(), vec!["a", "b", "c"]);
}
