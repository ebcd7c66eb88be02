//! Cross-checks with the fatfs crate: what one writes, the other reads.

mod common;
use common::*;
use fat32::Error;

#[test]
fn fatfs_writes_fat32_reads() {
    let mut img = image(34, 512);
    {
        let fs = fatfs(&mut img);
        let root = fs.root_dir();
        root.create_dir("etc").unwrap();
        root.create_dir("Long Directory Name").unwrap();
        fatfs_write(&fs, "etc/passwd", b"root:x:0:0::/:/bin/sh\n");
        fatfs_write(&fs, "Long Directory Name/Ünïcødé файл 日本.txt", b"unicode");
        fatfs_write(&fs, "README", &pattern(10_000, 1));
        fatfs_write(&fs, "empty", b"");
        for i in 0..100 {
            fatfs_write(&fs, &format!("etc/file number {}.conf", i), format!("{}", i).as_bytes());
        }
        drop(root);
        fs.unmount().unwrap();
    }
    let mut fs = mount(img);
    assert!(fs.was_cleanly_unmounted());
    assert_eq!(read_all(&mut fs, "/etc/passwd"), b"root:x:0:0::/:/bin/sh\n");
    assert_eq!(read_all(&mut fs, "/long directory name/ünïcødé файл 日本.TXT"), b"unicode");
    assert_eq!(read_all(&mut fs, "/README"), pattern(10_000, 1));
    assert_eq!(read_all(&mut fs, "/empty"), b"");
    for i in [0, 42, 99] {
        assert_eq!(read_all(&mut fs, &format!("/etc/FILE NUMBER {}.CONF", i)), format!("{}", i).as_bytes());
    }
    let etc = names(&mut fs, "/etc");
    assert_eq!(etc.len(), 101);
    assert!(etc.contains(&"file number 7.conf".to_string()));
    assert_eq!(names(&mut fs, "/"), vec!["Long Directory Name", "README", "empty", "etc"]);
    assert_clean(&mut fs);
}

#[test]
fn fat32_writes_fatfs_reads() {
    let mut fs = mount(image(34, 512));
    let root = fs.root();
    let bin = fs.mkdir(root, "bin").unwrap();
    let docs = fs.mkdir(root, "Documents and Settings").unwrap();
    let sub = fs.mkdir(docs, "sub").unwrap();
    let sh = fs.create(bin, "sh", 0o755).unwrap();
    fs.write(sh, 0, &pattern(70_000, 2)).unwrap();
    write_file(&mut fs, "/Documents and Settings/sub/Ελληνικά και 中文 名前.md", b"hello");
    write_file(&mut fs, "/readme.txt", b"lower 8.3");
    write_file(&mut fs, "/MixedCase.Txt", b"mixed");
    write_file(&mut fs, "/UPPER.TXT", b"upper");
    fs.create(sub, "empty", 0o644).unwrap();
    let img = unmount(fs);

    let mut img2 = img.clone();
    let ffs = fatfs(&mut img2);
    assert!(!ffs.read_status_flags().unwrap().dirty(), "clean unmount must clear the dirty bit");
    assert_eq!(fatfs_names(&ffs, "/"), vec!["Documents and Settings", "MixedCase.Txt", "UPPER.TXT", "bin", "readme.txt"]);
    assert_eq!(fatfs_read(&ffs, "bin/sh"), pattern(70_000, 2));
    assert_eq!(fatfs_read(&ffs, "Documents and Settings/sub/Ελληνικά και 中文 名前.md"), b"hello");
    assert_eq!(fatfs_read(&ffs, "readme.txt"), b"lower 8.3");
    assert_eq!(fatfs_read(&ffs, "MixedCase.Txt"), b"mixed");
    assert_eq!(fatfs_read(&ffs, "Documents and Settings/sub/empty"), b"");
    assert_eq!(fatfs_names(&ffs, "Documents and Settings/sub"), vec!["empty", "Ελληνικά και 中文 名前.md"]);
    // fatfs can walk `..` of our directories back up.
    assert_eq!(fatfs_names(&ffs, "Documents and Settings/sub/../.."), fatfs_names(&ffs, "/"));
    // The execute bit is the SYSTEM attribute, visible to any FAT reader.
    let e = ffs.root_dir().open_dir("bin").unwrap().iter().map(|e| e.unwrap()).find(|e| e.file_name() == "sh").unwrap();
    assert!(e.attributes().contains(fatfs::FileAttributes::SYSTEM));
    assert_eq!(e.modified().date.year, 2026);
    // Free counts agree.
    let free = ffs.stats().unwrap().free_clusters();
    drop(ffs);
    let mut fs = mount(img);
    assert_eq!(fs.stats().free_clusters, free);
    assert_clean(&mut fs);
}

#[test]
fn many_files_grow_directory_and_fatfs_agrees() {
    let mut fs = mount(image(34, 512));
    let d = fs.mkdir(fs.root(), "many").unwrap();
    // 512-byte clusters hold 16 entries; long names take 3-4 each.
    for i in 0..600 {
        let ino = fs.create(d, &format!("a rather long file name number {:04}.data", i), 0o644).unwrap();
        fs.write(ino, 0, format!("{}", i).as_bytes()).unwrap();
    }
    assert_eq!(names(&mut fs, "/many").len(), 600);
    assert_clean(&mut fs);
    let mut img = unmount(fs);
    let ffs = fatfs(&mut img);
    let got = fatfs_names(&ffs, "many");
    assert_eq!(got.len(), 600);
    assert_eq!(fatfs_read(&ffs, "many/a rather long file name number 0599.data"), b"599");
    // Short aliases must be unique.
    let mut shorts: Vec<String> =
        ffs.root_dir().open_dir("many").unwrap().iter().map(|e| e.unwrap().short_file_name()).collect();
    let n = shorts.len();
    shorts.sort();
    shorts.dedup();
    assert_eq!(shorts.len(), n);
}

#[test]
fn large_file_spans_many_clusters() {
    let mut fs = mount(image(40, 512));
    let data = pattern(6 << 20, 3);
    let ino = fs.create(fs.root(), "big.bin", 0o644).unwrap();
    // Odd-sized chunks exercise partial sectors and clusters.
    let mut off = 0;
    for chunk in data.chunks(7777) {
        fs.write(ino, off as u64, chunk).unwrap();
        off += chunk.len();
    }
    // Random-offset reads.
    for (k, &at) in [0usize, 511, 512, 4095, 1 << 20, (6 << 20) - 10].iter().enumerate() {
        let mut buf = vec![0u8; 3000 + k];
        let n = fs.read(ino, at as u64, &mut buf).unwrap();
        assert_eq!(&buf[..n], &data[at..(at + buf.len()).min(data.len())]);
    }
    fs.drop_caches().unwrap();
    assert_eq!(read_all(&mut fs, "/big.bin"), data);
    // Overwrite in the middle.
    fs.write(ino, 3_000_001, b"XYZ").unwrap();
    let mut img = unmount(fs);
    let ffs = fatfs(&mut img);
    let got = fatfs_read(&ffs, "big.bin");
    assert_eq!(got.len(), data.len());
    assert_eq!(&got[3_000_001..3_000_004], b"XYZ");
    assert_eq!(&got[..3_000_001], &data[..3_000_001]);
}

#[test]
fn fatfs_modifies_what_fat32_wrote() {
    let mut fs = mount(image(34, 512));
    write_file(&mut fs, "/a.txt", b"one");
    fs.mkdir(fs.root(), "dir").unwrap();
    let mut img = unmount(fs);
    {
        let ffs = fatfs(&mut img);
        fatfs_write(&ffs, "dir/from fatfs.txt", b"two");
        ffs.root_dir().remove("a.txt").unwrap();
        ffs.unmount().unwrap();
    }
    let mut fs = mount(img);
    assert_eq!(fs.resolve("/a.txt"), Err(Error::NotFound));
    assert_eq!(read_all(&mut fs, "/dir/from fatfs.txt"), b"two");
    assert_clean(&mut fs);
}


#[test]
fn unlink_and_reuse_slots_across_cluster_boundaries() {
    let mut fs = mount(image(34, 512));
    let d = fs.mkdir(fs.root(), "d").unwrap();
    let name = |i: usize| format!("entry with a long name that spans {:03} slots", i);
    for i in 0..120 {
        fs.create(d, &name(i), 0o644).unwrap();
    }
    for i in (0..120).step_by(3) {
        fs.unlink(d, &name(i)).unwrap();
    }
    for i in 0..20 {
        let ino = fs.create(d, &format!("refill {}", i), 0o644).unwrap();
        fs.write(ino, 0, &[i as u8; 600]).unwrap();
    }
    assert_eq!(names(&mut fs, "/d").len(), 80 + 20);
    assert_clean(&mut fs);
    let mut img = unmount(fs);
    let ffs = fatfs(&mut img);
    let got = fatfs_names(&ffs, "d");
    assert_eq!(got.len(), 100);
    assert!(got.contains(&name(1)) && !got.contains(&name(3)));
    assert_eq!(fatfs_read(&ffs, "d/refill 7"), vec![7u8; 600]);
}

#[test]
fn larger_sectors_than_device_blocks() {
    let mut img = vec![0u8; 68 << 20];
    let opts = fatfs::FormatVolumeOptions::new()
        .fat_type(fatfs::FatType::Fat32)
        .bytes_per_sector(1024)
        .bytes_per_cluster(1024);
    fatfs::format_volume(std::io::Cursor::new(&mut img[..]), opts).unwrap();
    let mut fs = mount(img);
    assert_eq!(fs.bpb().bytes_per_sector, 1024);
    let d = fs.mkdir(fs.root(), "dir with long name").unwrap();
    for i in 0..50 {
        let ino = fs.create(d, &format!("file {}", i), 0o644).unwrap();
        fs.write(ino, 0, &pattern(3000 + i, i as u32)).unwrap();
    }
    fs.unlink(d, "file 10").unwrap();
    assert_clean(&mut fs);
    let mut img = unmount(fs);
    let ffs = fatfs(&mut img);
    assert_eq!(fatfs_names(&ffs, "dir with long name").len(), 49);
    assert_eq!(fatfs_read(&ffs, "dir with long name/file 49"), pattern(3049, 49));
}
