//! Builds images from temporary host trees and checks them with fatfs and fat32.

use fat32::{FileSystem, FixedClock, MemDevice, MountOptions};
use rootfs::{build, parse_args, Spec, BUILD_TIME};
use std::fs;
use std::io::{Cursor, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir()
            .join(format!("rootfs-test-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn put(root: &Path, rel: &str, data: &[u8], mode: u32) -> PathBuf {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, data).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    p
}

/// A host tree and the spec that uses every kind of argument.
fn sample(t: &TempDir) -> Spec {
    let root = &t.0;
    put(root, "userland/sh", b"\x7fELF shell", 0o755);
    put(root, "userland/cat", b"\x7fELF cat", 0o775);
    put(root, "userland/notes.txt", b"not a program", 0o644);
    put(root, "userland/sub dir/deep file.txt", b"deep", 0o600);
    put(root, "extra/README", b"read me", 0o644);
    put(root, "extra/home/user/.profile", b"PATH=/bin\n", 0o644);
    put(root, "extra/etc/hostname", b"from-extra\n", 0o644);
    let init = put(root, "init.bin", b"\x7fELF init", 0o644);
    let motd = put(root, "motd", b"custom motd\n", 0o644);
    let args = vec![
        "--out".to_string(),
        root.join("out.img").to_string_lossy().into_owned(),
        "--size".into(),
        "40".into(),
        "--dir".into(),
        format!("{}:/bin", root.join("userland").display()),
        "--file".into(),
        format!("{}:/sbin/init:755", init.display()),
        "--file".into(),
        format!("{}:/etc/motd", motd.display()),
        "--extra".into(),
        root.join("extra").to_string_lossy().into_owned(),
    ];
    parse_args(args).unwrap()
}

fn read_fatfs(img: &mut [u8], path: &str) -> Vec<u8> {
    let fs = fatfs::FileSystem::new(Cursor::new(img), fatfs::FsOptions::new()).unwrap();
    let mut f = fs.root_dir().open_file(path).unwrap();
    let mut v = Vec::new();
    f.read_to_end(&mut v).unwrap();
    v
}

#[test]
fn image_has_tree_files_and_defaults_per_fatfs() {
    let t = TempDir::new();
    let mut img = build(&sample(&t)).unwrap();
    assert_eq!(img.len(), 40 << 20);
    {
        let fs = fatfs::FileSystem::new(Cursor::new(&mut img[..]), fatfs::FsOptions::new()).unwrap();
        assert_eq!(fs.fat_type(), fatfs::FatType::Fat32);
        assert!(!fs.read_status_flags().unwrap().dirty());
        let root = fs.root_dir();
        let mut top: Vec<String> = root.iter().map(|e| e.unwrap().file_name()).collect();
        top.sort();
        assert_eq!(top, vec!["README", "bin", "dev", "etc", "home", "sbin", "tmp"]);
        assert_eq!(root.open_dir("dev").unwrap().iter().filter(|e| !e.as_ref().unwrap().file_name().starts_with('.')).count(), 0);
        let exec = fat32::EXEC_ATTR;
        for e in root.open_dir("bin").unwrap().iter().map(|e| e.unwrap()) {
            let is_exec = e.attributes().bits() & exec != 0;
            match e.file_name().as_str() {
                "sh" | "cat" => assert!(is_exec, "{}", e.file_name()),
                "notes.txt" => assert!(!is_exec),
                _ => {}
            }
            if !e.file_name().starts_with('.') {
                let m = e.modified();
                assert_eq!((m.date.year, m.date.month, m.date.day, m.time.hour, m.time.min), (2026, 1, 1, 0, 0));
            }
        }
    }
    assert_eq!(read_fatfs(&mut img, "bin/sh"), b"\x7fELF shell");
    assert_eq!(read_fatfs(&mut img, "bin/sub dir/deep file.txt"), b"deep");
    assert_eq!(read_fatfs(&mut img, "sbin/init"), b"\x7fELF init");
    assert_eq!(read_fatfs(&mut img, "etc/motd"), b"custom motd\n", "--file overrides the default");
    assert_eq!(read_fatfs(&mut img, "etc/hostname"), b"from-extra\n", "--extra overrides the default");
    assert!(read_fatfs(&mut img, "etc/passwd").starts_with(b"root:x:0:0:"));
    assert!(read_fatfs(&mut img, "etc/group").starts_with(b"root:x:0:"));
    assert!(read_fatfs(&mut img, "etc/rc").starts_with(b"#!/bin/sh"));
    assert_eq!(read_fatfs(&mut img, "home/user/.profile"), b"PATH=/bin\n");
}

#[test]
fn image_modes_per_fat32() {
    let t = TempDir::new();
    let img = build(&sample(&t)).unwrap();
    let mut fs = FileSystem::mount(MemDevice::from_vec(img), Box::new(FixedClock(BUILD_TIME)), MountOptions::default())
        .unwrap();
    assert!(fs.was_cleanly_unmounted());
    let mode = |fs: &mut FileSystem<MemDevice>, p: &str| {
        let ino = fs.resolve(p).unwrap_or_else(|e| panic!("{}: {:?}", p, e));
        fs.stat(ino).unwrap().mode
    };
    assert_eq!(mode(&mut fs, "/bin/sh"), 0o100755);
    assert_eq!(mode(&mut fs, "/bin/cat"), 0o100755);
    assert_eq!(mode(&mut fs, "/sbin/init"), 0o100755, "explicit :755 wins over host 0644");
    assert_eq!(mode(&mut fs, "/etc/rc"), 0o100755);
    assert_eq!(mode(&mut fs, "/bin/notes.txt"), 0o100644);
    assert_eq!(mode(&mut fs, "/etc/passwd"), 0o100644);
    assert_eq!(mode(&mut fs, "/dev"), 0o040755);
    assert_eq!(mode(&mut fs, "/tmp"), 0o040755);
    let sh = fs.resolve("/bin/sh").unwrap();
    let m = fs.stat(sh).unwrap();
    assert_eq!(m.modified, BUILD_TIME);
    let r = fs.check().unwrap();
    assert!(r.is_clean(), "{:?}", r.problems);
}

#[test]
fn builds_are_reproducible() {
    let t = TempDir::new();
    let spec = sample(&t);
    let a = build(&spec).unwrap();
    // Touch the host files: host times and creation order must not matter.
    let sh = t.0.join("userland/sh");
    let data = fs::read(&sh).unwrap();
    fs::remove_file(&sh).unwrap();
    fs::write(&sh, &data).unwrap();
    fs::set_permissions(&sh, fs::Permissions::from_mode(0o755)).unwrap();
    let b = build(&spec).unwrap();
    assert!(a == b, "two builds of the same inputs differ");
    // The binary gives the same bytes as the library.
    let out = t.0.join("cli.img");
    let mut args: Vec<String> = vec!["--out".into(), out.to_string_lossy().into_owned(), "--size".into(), "40".into()];
    for (h, d) in &spec.dirs {
        args.extend(["--dir".into(), format!("{}:{}", h.display(), d)]);
    }
    for (h, d, m) in &spec.files {
        let m = m.map(|m| format!(":{:o}", m)).unwrap_or_default();
        args.extend(["--file".into(), format!("{}:{}{}", h.display(), d, m)]);
    }
    for e in &spec.extra {
        args.extend(["--extra".into(), e.to_string_lossy().into_owned()]);
    }
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_rootfs")).args(&args).status().unwrap();
    assert!(status.success());
    assert!(fs::read(&out).unwrap() == a, "CLI image differs from library image");
}

#[test]
fn bad_command_lines_are_errors() {
    let p = |v: &[&str]| parse_args(v.iter().map(|s| s.to_string()));
    assert!(p(&[]).is_err());
    assert!(p(&["--out", "x.img"]).is_err());
    assert!(p(&["--out", "x.img", "--size", "big"]).is_err());
    assert!(p(&["--out", "x.img", "--size", "40", "--bogus"]).is_err());
    assert!(p(&["--out", "x.img", "--size", "40", "--file", "a:/b:9z"]).is_err());
    assert!(p(&["--out", "x.img", "--size", "40", "--dir", "nocolon"]).is_err());
    let s = p(&["--out", "x.img", "--size", "40", "--file", "host:name:/dest/f:700"]).unwrap();
    assert_eq!(s.files, vec![(PathBuf::from("host:name"), "/dest/f".to_string(), Some(0o700))]);
    // Too small for FAT32, missing host file: errors, not panics.
    let t = TempDir::new();
    let mut small = p(&["--out", "x.img", "--size", "8"]).unwrap();
    assert!(build(&small).is_err());
    small.size_mib = 40;
    small.files.push((t.0.join("missing"), "/bin/missing".into(), Some(0o755)));
    assert!(build(&small).is_err());
}
