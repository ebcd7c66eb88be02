//! The system's root image as `make image` builds it: run by `make
//! image-test` (part of `make test`) with IMAGE_STAGE set to the staged tree
//! (target/image/root). Without IMAGE_STAGE it has nothing to check and says so.

use fat32::{FileSystem, FixedClock, MemDevice, MountOptions};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds an image with the same arguments as the Makefile's `image` target.
fn build_image(stage: &Path, extra: &Path, out: &Path, mib: &str) -> Vec<u8> {
    let status = Command::new(env!("CARGO_BIN_EXE_rootfs"))
        .arg("--out")
        .arg(out)
        .args(["--size", mib, "--dir"])
        .arg(format!("{}:/", stage.display()))
        .arg("--dir")
        .arg(format!("{}:/", extra.display()))
        .status()
        .expect("running rootfs");
    assert!(status.success(), "rootfs failed");
    fs::read(out).unwrap()
}

fn put(path: PathBuf, data: &[u8], mode: u32) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, data).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn image_has_the_system_and_extra_and_is_reproducible() {
    let Some(stage) = std::env::var_os("IMAGE_STAGE").map(PathBuf::from) else {
        eprintln!("image.rs: IMAGE_STAGE not set, nothing to check (run `make image-test`)");
        return;
    };
    let mib = std::env::var("IMAGE_MIB").unwrap_or_else(|_| "128".into());
    let tmp = std::env::temp_dir().join(format!("image-test-{}", std::process::id()));
    let extra = tmp.join("extra");
    put(extra.join("hello.lua"), b"print('hello from extra')\n", 0o644);
    put(extra.join("bin/hello"), b"#!/bin/sh\necho hello\n", 0o755);
    put(extra.join("etc/motd"), b"extra motd\n", 0o644);

    let a = build_image(&stage, &extra, &tmp.join("a.img"), &mib);
    let b = build_image(&stage, &extra, &tmp.join("b.img"), &mib);
    fs::remove_dir_all(&tmp).unwrap();
    assert!(a == b, "two builds of the same inputs differ");

    let mut fs = FileSystem::mount(MemDevice::from_vec(a), Box::new(FixedClock(rootfs::BUILD_TIME)), MountOptions::default())
        .unwrap();
    let mut stat = |p: &str| {
        let ino = fs.resolve(p).unwrap_or_else(|e| panic!("{} is not in the image: {:?}", p, e));
        let st = fs.stat(ino).unwrap();
        let mut head = [0u8; 4];
        let n = if st.mode & 0o040000 != 0 { 0 } else { fs.read(ino, 0, &mut head).unwrap() };
        (st.mode, st.size, head[..n].to_vec())
    };
    let mut programs = vec!["/bin/busybox", "/bin/lua", "/bin/bzip2", "/sbin/init", "/bin/init", "/bin/["];
    let tools = ["sh", "ls", "cat", "echo", "grep", "mkdir", "ps", "test", "poweroff"];
    let tools: Vec<String> = tools.iter().map(|t| format!("/bin/{}", t)).collect();
    programs.extend(tools.iter().map(|s| s.as_str()));
    for p in programs {
        let (mode, size, head) = stat(p);
        assert_eq!(mode, 0o100755, "{} is not executable", p);
        assert!(size > 10_000, "{}: only {} bytes", p, size);
        assert_eq!(head, b"\x7fELF", "{} is not an ELF file", p);
    }
    assert_eq!(stat("/bin/hello").0, 0o100755, "EXTRA's executable keeps its x bit");
    assert_eq!(stat("/hello.lua").0, 0o100644);
    assert_eq!(stat("/etc/motd").2, b"extr", "EXTRA overrides the /etc defaults");
    for p in ["/etc/passwd", "/etc/group", "/etc/hostname"] {
        assert_eq!(stat(p).0, 0o100644, "{}", p);
    }
    assert_eq!(stat("/etc/rc").0, 0o100755);
    for d in ["/dev", "/tmp", "/home"] {
        assert_eq!(stat(d).0, 0o040755, "{}", d);
    }
    let r = fs.check().unwrap();
    assert!(r.is_clean(), "{:?}", r.problems);
}
