//! Our own mkfs, cross-checked with fatfs; readdir cookies; directory mtimes.

mod common;
use common::*;
use fat32::{format, DateTime, Error, FileSystem, FixedClock, FormatOptions, MemDevice, MountOptions};

fn own_image(mib: usize) -> Vec<u8> {
    let opts = FormatOptions { volume_label: *b"TESTVOL    ", ..FormatOptions::default() };
    format(MemDevice::new(mib << 20), &opts).unwrap().into_inner()
}

#[test]
fn own_format_is_fat32_for_fatfs_and_us() {
    let mut img = own_image(34);
    {
        let ffs = fatfs(&mut img);
        assert_eq!(ffs.fat_type(), fatfs::FatType::Fat32);
        assert_eq!(ffs.volume_id(), 0x2026_0101);
        assert!(ffs.volume_label().starts_with("TESTVOL"));
        assert!(!ffs.read_status_flags().unwrap().dirty());
        fatfs_write(&ffs, "written by fatfs.txt", b"hi");
        ffs.root_dir().create_dir("d").unwrap();
        ffs.unmount().unwrap();
    }
    let mut fs = mount(img);
    assert!(fs.was_cleanly_unmounted());
    assert_eq!(read_all(&mut fs, "/written by fatfs.txt"), b"hi");
    write_file(&mut fs, "/d/ours", &pattern(9000, 1));
    assert_clean(&mut fs);
    let free = fs.stats().free_clusters;
    let mut img = unmount(fs);
    let ffs = fatfs(&mut img);
    assert_eq!(fatfs_read(&ffs, "d/ours"), pattern(9000, 1));
    assert_eq!(ffs.stats().unwrap().free_clusters(), free);
}

#[test]
fn format_rejects_too_small_and_picks_big_clusters() {
    assert_eq!(format(MemDevice::new(8 << 20), &FormatOptions::default()).err(), Some(Error::NoSpace));
    let bad = FormatOptions { bytes_per_cluster: Some(3000), ..FormatOptions::default() };
    assert_eq!(format(MemDevice::new(40 << 20), &bad).err(), Some(Error::InvalidArgument));
    let img = format(MemDevice::new(300 << 20), &FormatOptions::default()).unwrap().into_inner();
    let fs = mount(img);
    assert_eq!(fs.stats().cluster_size, 4096);
}

#[test]
fn readdir_cookies_walk_every_entry_once() {
    let mut fs = mount(own_image(34));
    let d = fs.mkdir(fs.root(), "d").unwrap();
    for i in 0..40 {
        fs.create(d, &format!("long file name {}", i), 0o644).unwrap();
    }
    let mut cookie = 0;
    let mut seen = Vec::new();
    while let Some((e, next)) = fs.read_dir_at(d, cookie).unwrap() {
        assert!(next > cookie);
        seen.push(e.name);
        cookie = next;
    }
    let all: Vec<String> = fs.read_dir(d).unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(seen, all);
    let iterated: Vec<String> = fs.iter_dir(d).unwrap().map(|e| e.unwrap().name).collect();
    assert_eq!(iterated, all);
    assert_eq!(seen.len(), 40);
}

#[test]
fn directory_mtime_follows_its_entries() {
    let t1 = DateTime::new(2027, 1, 1, 0, 0, 0);
    let mut fs = mount_at(own_image(34), t1);
    let d = fs.mkdir(fs.root(), "d").unwrap();
    let img = unmount(fs);
    let t2 = DateTime::new(2028, 2, 2, 2, 2, 2);
    let mut fs =
        FileSystem::mount(MemDevice::from_vec(img), Box::new(FixedClock(t2)), MountOptions::default()).unwrap();
    assert_eq!(fs.stat(d).unwrap().modified, t1);
    fs.create(d, "x", 0o644).unwrap();
    assert_eq!(fs.stat(d).unwrap().modified, t2);
    assert_eq!(fs.stat(d).unwrap().created, t1);
}
