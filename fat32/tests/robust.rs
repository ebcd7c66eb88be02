//! Full disks and bad images: errors, never panics, never inconsistency.

mod common;
use common::*;
use fat32::{Error, FileSystem, FixedClock, MemDevice, MountOptions};

#[test]
fn full_disk_gives_nospace_and_stays_consistent() {
    let mut fs = mount(image(34, 512));
    let r = fs.root();
    let free = fs.stats().free_clusters as u64;
    // One file taking all but 3 clusters.
    let big = fs.create(r, "big", 0o644).unwrap();
    fs.write(big, 0, &pattern(((free - 3) * 512) as usize, 5)).unwrap();
    // A write needing 10 clusters fails as a whole: nothing allocated.
    let f = fs.create(r, "f", 0o644).unwrap();
    assert_eq!(fs.write(f, 0, &[7; 5120]), Err(Error::NoSpace));
    assert_eq!(fs.stat(f).unwrap().size, 0);
    assert_eq!(fs.stats().free_clusters, 3);
    // Growing past the end of disk fails too and keeps the old size.
    fs.write(f, 0, &[7; 1000]).unwrap();
    assert_eq!(fs.truncate(f, 1 << 20), Err(Error::NoSpace));
    assert_eq!(fs.write(f, 5000, b"x"), Err(Error::NoSpace));
    assert_eq!(fs.stat(f).unwrap().size, 1000);
    // Fill the last cluster; mkdir and directory growth now fail cleanly.
    fs.write(f, 1000, &[8; 24]).unwrap();
    assert_eq!(fs.stats().free_clusters, 1);
    fs.mkdir(r, "last").unwrap();
    assert_eq!(fs.mkdir(r, "nomore"), Err(Error::NoSpace));
    let mut created = 0;
    let err = loop {
        match fs.create(r, &format!("name that needs lfn entries {}", created), 0o644) {
            Ok(_) => created += 1,
            Err(e) => break e,
        }
        assert!(created < 1000);
    };
    assert_eq!(err, Error::NoSpace);
    assert_eq!(fs.stats().free_clusters, 0);
    assert_clean(&mut fs);
    // Freeing space makes it usable again.
    fs.unlink(r, "big").unwrap();
    fs.mkdir(r, "nomore").unwrap();
    assert_clean(&mut fs);
    let b2 = big_again(&mut fs);
    fs.write(b2, 0, &[1; 4096]).unwrap();
    let mut img = unmount(fs);
    // fatfs reads everything back and agrees on free space.
    let ffs = fatfs(&mut img);
    let mut expect_f = vec![7u8; 1000];
    expect_f.extend_from_slice(&[8; 24]);
    assert_eq!(fatfs_read(&ffs, "f"), expect_f);
    assert_eq!(fatfs_names(&ffs, "/").len(), 3 + created + 1);
    let ffree = ffs.stats().unwrap().free_clusters();
    drop(ffs);
    let mut fs = mount(img);
    assert_eq!(fs.stats().free_clusters, ffree);
    assert_clean(&mut fs);
}

fn big_again(fs: &mut Fs) -> u64 {
    fs.create(fs.root(), "big2", 0o644).unwrap()
}

fn mount_err(img: Vec<u8>) -> Error {
    match FileSystem::mount(MemDevice::from_vec(img), Box::new(FixedClock(T0)), MountOptions::default()) {
        Ok(_) => panic!("bad image mounted"),
        Err(e) => e,
    }
}

#[test]
fn corrupt_boot_sectors_are_rejected() {
    let good = image(34, 512);
    let patch = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut img = good.clone();
        f(&mut img);
        mount_err(img)
    };
    assert_eq!(patch(&|i| i[510] = 0), Error::Corrupt);
    assert_eq!(patch(&|i| i[11..13].copy_from_slice(&0u16.to_le_bytes())), Error::Corrupt);
    assert_eq!(patch(&|i| i[11..13].copy_from_slice(&513u16.to_le_bytes())), Error::Corrupt);
    assert_eq!(patch(&|i| i[13] = 3), Error::Corrupt);
    assert_eq!(patch(&|i| i[13] = 0), Error::Corrupt);
    assert_eq!(patch(&|i| i[16] = 0), Error::Corrupt);
    assert_eq!(patch(&|i| i[14..16].copy_from_slice(&[0, 0])), Error::Corrupt);
    assert_eq!(patch(&|i| i[44..48].copy_from_slice(&0u32.to_le_bytes())), Error::Corrupt);
    assert_eq!(patch(&|i| i[44..48].copy_from_slice(&u32::MAX.to_le_bytes())), Error::Corrupt);
    assert_eq!(patch(&|i| i[36..40].copy_from_slice(&0u32.to_le_bytes())), Error::Corrupt);
    assert_eq!(patch(&|i| i[32..36].copy_from_slice(&u32::MAX.to_le_bytes())), Error::Corrupt);
    assert_eq!(patch(&|i| i[17] = 1), Error::Unsupported);
    assert_eq!(mount_err(vec![0; 4096]), Error::Corrupt);
    assert_eq!(mount_err(Vec::new()), Error::Io);
    assert_eq!(mount_err(good[..1 << 20].to_vec()), Error::Corrupt, "image shorter than the BPB says");
    // FAT16 is not ours.
    let mut img16 = vec![0u8; 16 << 20];
    let opts = fatfs::FormatVolumeOptions::new().fat_type(fatfs::FatType::Fat16);
    fatfs::format_volume(std::io::Cursor::new(&mut img16[..]), opts).unwrap();
    assert_eq!(mount_err(img16), Error::Unsupported);
}

/// Walks everything, ignoring errors: used to prove garbage never panics.
fn walk(fs: &mut Fs, ino: u64, depth: u32) {
    let Ok(list) = fs.read_dir(ino) else { return };
    for e in list.into_iter().take(50) {
        let _ = fs.stat(e.ino);
        if e.is_dir() && depth < 4 {
            walk(fs, e.ino, depth + 1);
        } else {
            let mut buf = vec![0u8; 4096];
            let _ = fs.read(e.ino, 0, &mut buf);
            let _ = fs.write(e.ino, 10, b"abc");
            let _ = fs.truncate(e.ino, 1);
        }
    }
    let _ = fs.create(ino, "new file name", 0o644);
    let _ = fs.mkdir(ino, "new dir");
}

#[test]
fn random_garbage_never_panics() {
    let mut base = {
        let mut fs = mount(image(34, 512));
        for i in 0..20 {
            write_file(&mut fs, &format!("/file {}", i), &pattern(3000, i));
        }
        let d = fs.mkdir(fs.root(), "d").unwrap();
        fs.create(d, "inner", 0o644).unwrap();
        unmount(fs)
    };
    let bpb_len = 90;
    let data_start = {
        let fs = mount(base.clone());
        fs.bpb().data_start() as usize * 512
    };
    let fat_start = 32 * 512;
    for round in 0..120u32 {
        let mut img = base.clone();
        let noise = pattern(64, round);
        for k in 0..8 {
            let region = match round % 3 {
                0 => 11 + (noise[k] as usize) % (bpb_len - 11),
                1 => fat_start + (noise[k + 8] as usize * 7 + round as usize) % 4096,
                _ => data_start + (noise[k + 16] as usize * 31 + round as usize * 13) % 16384,
            };
            img[region] = noise[k + 32];
        }
        if let Ok(mut fs) = FileSystem::mount(MemDevice::from_vec(img), Box::new(FixedClock(T0)), MountOptions::default()) {
            let root = fs.root();
            walk(&mut fs, root, 0);
            let _ = fs.check();
            let _ = fs.unmount();
        }
    }
    base.clear();
}
