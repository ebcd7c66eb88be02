//! Host test helpers: images made by e2fsprogs' mke2fs, checked with
//! e2fsck -fn and inspected with debugfs.
#![allow(dead_code)]

use ext2::{FileSystem, FixedClock, MemDevice, MountOptions, Time};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The time the tests' clock says (in the past, so e2fsck sees no future times).
pub const NOW: Time = Time::new(1_700_000_000, 123_456_789);

/// Whether e2fsprogs is installed; tests that need it print why they skip.
pub fn have_e2fsprogs(test: &str) -> bool {
    let ok = ["mke2fs", "e2fsck", "debugfs"].iter().all(|t| Command::new(t).arg("-V").output().is_ok());
    if !ok {
        eprintln!("SKIPPED {test}: e2fsprogs (mke2fs, e2fsck, debugfs) is not installed (Debian package e2fsprogs)");
    }
    ok
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A fresh scratch path under the system temp dir.
pub fn scratch(tag: &str) -> PathBuf {
    let n = SEQ.fetch_add(1, Ordering::SeqCst);
    let p = std::env::temp_dir().join(format!("ext2-test-{}-{}-{}", std::process::id(), tag, n));
    let _ = std::fs::remove_dir_all(&p);
    let _ = std::fs::remove_file(&p);
    p
}

/// Runs mke2fs -t ext2 -b `bs` (plus `extra` options) on a new image of
/// `mib` MiB, populated from `src` if given. Returns the image path.
pub fn mkfs(tag: &str, mib: u32, bs: u32, src: Option<&Path>, extra: &[&str]) -> PathBuf {
    let img = scratch(tag);
    let mut c = Command::new("mke2fs");
    c.args(["-q", "-F", "-t", "ext2", "-b", &bs.to_string()]);
    c.args(extra);
    if let Some(s) = src {
        c.arg("-d").arg(s);
    }
    c.arg(&img).arg(format!("{mib}M"));
    let out = c.output().expect("mke2fs runs");
    assert!(out.status.success(), "mke2fs failed: {}", String::from_utf8_lossy(&out.stderr));
    img
}

pub fn load(img: &Path) -> MemDevice {
    MemDevice::from_vec(std::fs::read(img).expect("image readable"))
}

pub fn mount(img: &Path) -> FileSystem<MemDevice> {
    FileSystem::mount(load(img), Box::new(FixedClock(NOW)), MountOptions::default()).expect("mount")
}

/// Unmounts and writes the image back to its file.
pub fn unmount(fs: FileSystem<MemDevice>, img: &Path) {
    let dev = fs.unmount().expect("unmount");
    std::fs::write(img, dev.as_slice()).expect("image written");
}

/// e2fsck -fn must find nothing (exit status 0), and neither must the
/// crate's own check.
pub fn fsck(img: &Path) {
    let opts = MountOptions { read_only: true, ..Default::default() };
    let mut fs = FileSystem::mount(load(img), Box::new(FixedClock(NOW)), opts).expect("mount for check");
    let report = fs.check().expect("check runs");
    assert!(report.is_clean(), "the crate's check of {}: {:#?}", img.display(), report.problems);
    let out = Command::new("e2fsck").arg("-fn").arg(img).output().expect("e2fsck runs");
    assert!(
        out.status.code() == Some(0),
        "e2fsck -fn {} exited {:?}:\n{}\n{}",
        img.display(),
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Output of one debugfs request (read-only).
pub fn debugfs(img: &Path, req: &str) -> String {
    let out = Command::new("debugfs").arg("-R").arg(req).arg(img).output().expect("debugfs runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Raw bytes of `debugfs -R 'cat path'`.
pub fn debugfs_cat(img: &Path, path: &str) -> Vec<u8> {
    Command::new("debugfs").arg("-R").arg(format!("cat {path}")).arg(img).output().expect("debugfs runs").stdout
}

/// What debugfs's `stat` says about a path.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DStat {
    pub ino: u32,
    pub kind: String,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub links: u32,
    pub blockcount: u64,
    pub ctime: u32,
    pub atime: u32,
    pub mtime: u32,
    pub mtime_extra: u32,
    pub device: Option<(u32, u32)>,
    pub fast_link: Option<String>,
}

fn after<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let i = s.find(key)?;
    s[i + key.len()..].split_whitespace().next()
}

pub fn dstat(img: &Path, path: &str) -> Option<DStat> {
    let out = debugfs(img, &format!("stat {path}"));
    let mut d = DStat::default();
    let mut found = false;
    for line in out.lines() {
        if line.starts_with("Inode:") {
            found = true;
            d.ino = after(line, "Inode:")?.parse().ok()?;
            let t = line.find("Type:")? + 5;
            let m = line.find("Mode:")?;
            d.kind = line[t..m].trim().to_string();
            d.mode = u32::from_str_radix(after(line, "Mode:")?, 8).ok()?;
        } else if line.starts_with("User:") {
            d.uid = after(line, "User:")?.parse().ok()?;
            d.gid = after(line, "Group:")?.parse().ok()?;
            d.size = after(line, "Size:")?.parse().ok()?;
        } else if line.starts_with("Links:") {
            d.links = after(line, "Links:")?.parse().ok()?;
            d.blockcount = after(line, "Blockcount:")?.parse().ok()?;
        } else if let Some(r) = line.trim_start().strip_prefix("ctime: 0x") {
            d.ctime = u32::from_str_radix(&r[..8], 16).ok()?;
        } else if let Some(r) = line.trim_start().strip_prefix("atime: 0x") {
            d.atime = u32::from_str_radix(&r[..8], 16).ok()?;
        } else if let Some(r) = line.trim_start().strip_prefix("mtime: 0x") {
            d.mtime = u32::from_str_radix(&r[..8], 16).ok()?;
            d.mtime_extra = u32::from_str_radix(&r[9..17], 16).ok()?;
        } else if line.contains("Device major/minor number:") {
            let v = after(line, "number:")?;
            let (a, b) = v.split_once(':')?;
            d.device = Some((a.parse().ok()?, b.parse().ok()?));
        } else if let Some(r) = line.strip_prefix("Fast link dest: ") {
            d.fast_link = Some(r.trim_matches('"').to_string());
        }
    }
    found.then_some(d)
}

/// Names in a directory per `debugfs ls`, without "." and "..".
pub fn dls(img: &Path, path: &str) -> Vec<String> {
    let out = debugfs(img, &format!("ls -p {path}"));
    let mut v: Vec<String> = out
        .lines()
        .filter_map(|l| {
            // "/ino/mode/uid/gid/name/size/"
            let f: Vec<&str> = l.split('/').collect();
            // debugfs lists an emptied first entry of a block (inode 0) too.
            (f.len() >= 7 && f[1] != "0").then(|| f[5].to_string())
        })
        .filter(|n| n != "." && n != "..")
        .collect();
    v.sort();
    v
}

/// `statfs` of the image as the kernel's driver reports it (read-only loop
/// mount): "bsize blocks bfree bavail files ffree namelen", or None where
/// loop mounts are not allowed.
pub fn kernel_statfs(img: &Path) -> Option<String> {
    let mnt = scratch("statfs-mnt");
    std::fs::create_dir_all(&mnt).ok()?;
    let ok = Command::new("mount").args(["-o", "loop,ro", "-t", "ext2"]).arg(img).arg(&mnt).output().ok()?.status.success();
    let r = if ok {
        let o = Command::new("stat").args(["-f", "-c", "%S %b %f %a %c %d %l"]).arg(&mnt).output().ok();
        let _ = Command::new("umount").arg(&mnt).status();
        o.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    } else {
        None
    };
    std::fs::remove_dir(&mnt).ok();
    r
}

/// The crate's statfs in the same form.
pub fn our_statfs(s: &ext2::StatFs) -> String {
    format!("{} {} {} {} {} {} {}", s.block_size, s.blocks, s.free_blocks, s.avail_blocks, s.inodes, s.free_inodes, s.name_max)
}
