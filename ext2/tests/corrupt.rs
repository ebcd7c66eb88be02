//! Corrupted images give errors, never panics (or hangs): random bytes of
//! the metadata of a populated image are changed, and the crate mounts,
//! walks, reads and writes what it can.

mod common;
use common::*;
use ext2::*;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Walks the tree (bounded), reading everything; errors are fine.
fn walk(fs: &mut FileSystem<MemDevice>, dir: Ino, depth: u32, budget: &mut u32) {
    if depth > 6 {
        return;
    }
    let Ok(entries) = fs.read_dir(dir) else { return };
    for e in entries {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        if e.name == b"." || e.name == b".." {
            continue;
        }
        let Ok(m) = fs.stat(e.ino) else { continue };
        let mut buf = vec![0; 70_000];
        let _ = fs.read(e.ino, 0, &mut buf);
        let _ = fs.read(e.ino, m.size.saturating_sub(10), &mut buf);
        let _ = fs.readlink(e.ino);
        if m.is_dir() {
            walk(fs, e.ino, depth + 1, budget);
        }
    }
}

/// Returns whether the image mounted.
fn exercise(img: Vec<u8>) -> bool {
    let Ok(mut fs) = FileSystem::mount(MemDevice::from_vec(img), Box::new(FixedClock(NOW)), MountOptions::default()) else { return false };
    let mut budget = 400;
    walk(&mut fs, ROOT_INO, 0, &mut budget);
    let _ = fs.check();
    let _ = fs.statfs();
    let r = ROOT_INO;
    if let Ok(f) = fs.create(r, b"new-file", 0o644, 0, 0) {
        let _ = fs.write(f, 0, &[1u8; 20_000]);
        let _ = fs.write(f, 1 << 30, b"far");
        let _ = fs.truncate(f, 5);
    }
    let _ = fs.mkdir(r, b"new-dir", 0o755, 0, 0);
    let _ = fs.symlink(r, b"new-link", &[b'q'; 100], 0, 0);
    let _ = fs.rename(r, b"new-dir", r, b"sub");
    let _ = fs.rename(r, b"small", r, b"sub");
    let _ = fs.unlink(r, b"small");
    let _ = fs.unlink(r, b"fast");
    let _ = fs.rmdir(r, b"sub");
    if let Ok(s) = fs.resolve(b"sub") {
        let _ = fs.unlink(s, b"big");
        let _ = fs.rename(s, b"deeper", r, b"moved");
    }
    let _ = fs.sync();
    let _ = fs.unmount();
    true
}

fn tree() -> std::path::PathBuf {
    let src = scratch("fuzz-src");
    std::fs::create_dir_all(src.join("sub/deeper")).unwrap();
    std::fs::write(src.join("small"), b"hello").unwrap();
    std::fs::write(src.join("sub/big"), vec![3u8; 200_000]).unwrap();
    std::fs::write(src.join("sub/deeper/x"), b"x").unwrap();
    std::os::unix::fs::symlink("small", src.join("fast")).unwrap();
    std::os::unix::fs::symlink("s".repeat(100), src.join("slow")).unwrap();
    for i in 0..200 {
        std::fs::write(src.join(format!("sub/f{i}")), b"").unwrap();
    }
    src
}

#[test]
fn corrupted_images_give_errors_not_panics() {
    if !have_e2fsprogs("corrupted_images_give_errors_not_panics") {
        return;
    }
    let src = tree();
    let path = mkfs("fuzz", 8, 4096, Some(&src), &["-N", "256"]);
    let base = std::fs::read(&path).unwrap();
    // The blocks that hold something other than file contents: superblock,
    // descriptors, bitmaps, the used inode table, directories, indirect
    // blocks, the slow symlink (file data is all 3s, 'x' or "hello").
    let meta: Vec<usize> = (0..base.len() / 4096)
        .filter(|&b| {
            let blk = &base[b * 4096..(b + 1) * 4096];
            blk.iter().any(|&c| c != 0) && !blk.iter().all(|&c| c == 3)
        })
        .collect();
    assert!(meta.len() > 8, "{meta:?}");
    eprintln!("{} metadata blocks: {meta:?}", meta.len());
    let mut rng = Lcg(0x5eed);
    let iterations = if std::env::var("STRESS_LONG").is_ok() { 5000 } else { 400 };
    let mut mounted = 0;
    for it in 0..iterations {
        let mut img = base.clone();
        let flips = 1 + rng.next() % 16;
        let mut what = Vec::new();
        for _ in 0..flips {
            let blk = meta[(rng.next() as usize) % meta.len()];
            // Half the changes in the first 256 bytes of a block, where the
            // superblock, descriptors and first entries and pointers are.
            let span = if rng.next().is_multiple_of(2) { 256 } else { 4096 };
            let off = blk * 4096 + (rng.next() as usize) % span + if blk == 0 { 1024 } else { 0 };
            let v = match rng.next() % 4 {
                0 => 0,
                1 => 0xff,
                _ => rng.next() as u8,
            };
            img[off] = v;
            what.push((off, v));
        }
        let r = std::panic::catch_unwind(|| exercise(img));
        assert!(r.is_ok(), "iteration {it} panicked; changed bytes {what:?}");
        mounted += usize::from(r.unwrap_or(false));
    }
    eprintln!("{mounted} of {iterations} corrupted images mounted");
    // Most damage lands in inodes and directories, not the superblock:
    // the walk and the writes must have met it.
    assert!(mounted > iterations / 2);
    // Every byte of the superblock set to 0 and to 0xff in turn.
    for off in 1024..1024 + 256 {
        for v in [0u8, 0xff] {
            let mut img = base.clone();
            img[off] = v;
            let r = std::panic::catch_unwind(|| exercise(img));
            assert!(r.is_ok(), "superblock byte {off} = {v:#x} panicked");
        }
    }
    // Truncated images.
    for len in [0usize, 512, 1024, 2048, 4096, 8192, 65536, base.len() / 2] {
        let r = std::panic::catch_unwind(|| exercise(base[..len].to_vec()));
        assert!(r.is_ok(), "image cut to {len} bytes panicked");
    }
    std::fs::remove_dir_all(&src).ok();
    std::fs::remove_file(&path).ok();
}
