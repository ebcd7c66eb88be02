//! Helpers shared by the integration tests: fatfs-formatted images and
//! fatfs-side readers used to cross-check what fat32 wrote.

#![allow(dead_code)]

use fat32::{DateTime, FileSystem, FixedClock, MemDevice, MountOptions};
use std::io::{Cursor, Read, Write};

pub type Fs = FileSystem<MemDevice>;
pub type FatFs<'a> = fatfs::FileSystem<Cursor<&'a mut [u8]>>;

pub const T0: DateTime = DateTime { year: 2026, month: 1, day: 1, hour: 12, minute: 30, second: 10 };

/// A fresh FAT32 image made by fatfs. FAT32 needs >= 65525 clusters, so
/// with 512-byte clusters the smallest useful image is about 33 MiB.
pub fn image(mib: usize, cluster: u32) -> Vec<u8> {
    let mut img = vec![0u8; mib << 20];
    let opts = fatfs::FormatVolumeOptions::new()
        .fat_type(fatfs::FatType::Fat32)
        .bytes_per_cluster(cluster)
        .volume_id(0x1234_5678);
    fatfs::format_volume(Cursor::new(&mut img[..]), opts).expect("format");
    img
}

pub fn mount(img: Vec<u8>) -> Fs {
    mount_at(img, T0)
}

pub fn mount_at(img: Vec<u8>, now: DateTime) -> Fs {
    FileSystem::mount(MemDevice::from_vec(img), Box::new(FixedClock(now)), MountOptions::default())
        .expect("mount")
}

pub fn unmount(fs: Fs) -> Vec<u8> {
    fs.unmount().expect("unmount").into_inner()
}

pub fn fatfs(img: &mut [u8]) -> FatFs<'_> {
    fatfs::FileSystem::new(Cursor::new(img), fatfs::FsOptions::new()).expect("fatfs mount")
}

/// Reads a whole file with fatfs.
pub fn fatfs_read(fs: &FatFs<'_>, path: &str) -> Vec<u8> {
    let mut f = fs.root_dir().open_file(path).unwrap_or_else(|e| panic!("open {}: {}", path, e));
    let mut v = Vec::new();
    f.read_to_end(&mut v).unwrap();
    v
}

pub fn fatfs_write(fs: &FatFs<'_>, path: &str, data: &[u8]) {
    let mut f = fs.root_dir().create_file(path).unwrap();
    f.truncate().unwrap();
    f.write_all(data).unwrap();
}

/// Names in a directory as fatfs sees them (without . and ..), sorted.
pub fn fatfs_names(fs: &FatFs<'_>, path: &str) -> Vec<String> {
    let root = fs.root_dir();
    let dir = if path == "/" { root } else { root.open_dir(path).unwrap() };
    let mut v: Vec<String> = dir
        .iter()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "." && n != "..")
        .collect();
    v.sort();
    v
}

/// Reads a whole file with fat32.
pub fn read_all(fs: &mut Fs, path: &str) -> Vec<u8> {
    let ino = fs.resolve(path).unwrap_or_else(|e| panic!("resolve {}: {:?}", path, e));
    let size = fs.stat(ino).unwrap().size as usize;
    let mut v = vec![0u8; size];
    assert_eq!(fs.read(ino, 0, &mut v).unwrap(), size);
    v
}

/// Creates (or replaces) a file with fat32.
pub fn write_file(fs: &mut Fs, path: &str, data: &[u8]) -> u64 {
    let (dir, name) = fs.resolve_parent(path).unwrap();
    let ino = match fs.lookup(dir, name) {
        Ok(ino) => {
            fs.truncate(ino, 0).unwrap();
            ino
        }
        Err(_) => fs.create(dir, name, 0o644).unwrap(),
    };
    fs.write(ino, 0, data).unwrap();
    ino
}

pub fn names(fs: &mut Fs, path: &str) -> Vec<String> {
    let ino = fs.resolve(path).unwrap();
    let mut v: Vec<String> = fs.read_dir(ino).unwrap().into_iter().map(|e| e.name).collect();
    v.sort();
    v
}

/// Deterministic pseudo-random bytes.
pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2654435761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

pub fn assert_clean(fs: &mut Fs) {
    let r = fs.check().unwrap();
    assert!(r.is_clean(), "fsck problems: {:?}", r.problems);
}
