//! The file side of the UNIX personality on a real disk: a small FAT32
//! image built here (with the `rootfs` crate) from the C test programs and
//! the userland tools, the UNIX server mounting it as the root.

use mk_tests::*;
use std::path::{Path, PathBuf};

/// A 40 MiB image of `bin` (program names from cprogs or userland) and
/// extra files (path, contents), in a fresh temp dir; returns the image.
fn image(tag: &str, cprogs: &[&str], tools: &[&str], extra: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mk-files-{}-{}", tag, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let stage = dir.join("root");
    std::fs::create_dir_all(stage.join("bin")).unwrap();
    for (name, path) in cprogs.iter().map(|n| (n, cprog(n))).chain(tools.iter().map(|n| (n, userland(n)))) {
        assert!(path.exists(), "{} not built: {}", name, path.display());
        std::fs::copy(&path, stage.join("bin").join(name)).unwrap();
    }
    for (p, text) in extra {
        let at = stage.join(p.trim_start_matches('/'));
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, text).unwrap();
    }
    let out = dir.join("root.img");
    let spec = rootfs::Spec { out: out.clone(), size_mib: 40, dirs: vec![(stage, "/".into())], ..Default::default() };
    rootfs::build_to_file(&spec).unwrap();
    out
}

/// Boots the UNIX server (emulib as the only module) with `disk`.
fn boot(init: &str, disk: &Path) -> Boot {
    unix(init, &[]).disk(disk).timeout(90)
}

fn read_back(img: &Path, path: &str) -> Vec<u8> {
    let dev = fat32::MemDevice::from_vec(std::fs::read(img).unwrap());
    let mut fs = fat32::FileSystem::mount(dev, Box::new(fat32::FixedClock(fat32::DateTime::new(2024, 1, 1, 0, 0, 0))),
                                          fat32::MountOptions { read_only: true, update_atime: false }).unwrap();
    assert!(fs.was_cleanly_unmounted(), "the volume was not unmounted cleanly");
    let ino = fs.resolve(path).unwrap();
    let size = fs.stat(ino).unwrap().size as usize;
    let mut v = vec![0u8; size];
    fs.read(ino, 0, &mut v).unwrap();
    v
}

/// Whether a path is in the image (read on the host).
fn exists(img: &Path, path: &str) -> bool {
    let dev = fat32::MemDevice::from_vec(std::fs::read(img).unwrap());
    let clock = Box::new(fat32::FixedClock(fat32::DateTime::new(2024, 1, 1, 0, 0, 0)));
    let mut fs = fat32::FileSystem::mount(dev, clock, fat32::MountOptions { read_only: true, update_atime: false }).unwrap();
    fs.resolve(path).is_ok()
}

#[test]
fn file_calls_and_their_errnos_devices_and_pipes() {
    let img = image("calls", &["files"], &[], &[]);
    let o = boot("/bin/files", &img).run();
    o.expect_not("FAIL").expect("ok pipe between processes").expect("files done 0 failures").expect_status(0);
    assert_eq!(read_back(&img, "/tmp/a.txt"), b"HELLOxyz");
    fsck_fat_clean(&img);
}

#[test]
fn a_shell_script_from_the_disk_pipes_redirects_and_persists() {
    let script = "echo hi > /tmp/x\ncat /tmp/x | wc -c\nls /dev\necho persisted > /home/p.txt\ncat < /dev/null\necho done\n";
    // The second boot renames, appends, truncates and deletes what the
    // first one left.
    let again = "cat /home/p.txt\nmv /home/p.txt /home/q.txt\necho more >> /home/q.txt\n: > /tmp/x\n\
echo gone > /tmp/y\nrm /tmp/y\nmkdir /home/d\necho in-d > /home/d/f\nrm /etc/t.sh\necho done-again\n";
    let img = image("sh", &[], &["sh", "cat", "wc", "ls", "echo", "mv", "rm", "mkdir"],
                    &[("/etc/t.sh", script), ("/etc/again.sh", again)]);
    let o = boot("/bin/sh /etc/t.sh", &img).run();
    o.expect("      3").expect("null").expect("urandom").expect("done").expect_status(0);
    assert_eq!(read_back(&img, "/home/p.txt"), b"persisted\n");
    assert_eq!(read_back(&img, "/tmp/x"), b"hi\n");
    fsck_fat_clean(&img);
    let o = boot("/bin/sh /etc/again.sh", &img).run();
    o.expect("persisted").expect("done-again").expect_status(0);
    assert_eq!(read_back(&img, "/home/q.txt"), b"persisted\nmore\n");
    assert_eq!(read_back(&img, "/tmp/x"), b"");
    assert_eq!(read_back(&img, "/home/d/f"), b"in-d\n");
    for gone in ["/home/p.txt", "/tmp/y", "/etc/t.sh"] {
        assert!(!exists(&img, gone), "{} is still in the image", gone);
    }
    fsck_fat_clean(&img);
}

#[test]
fn the_tty_edits_lines_in_canonical_mode() {
    let script = "read a\necho \"got [$a]\"\nread b\necho \"got [$b]\"\n";
    let img = image("tty", &[], &["sh", "echo"], &[("/etc/t.sh", script)]);
    let o = boot("/bin/sh /etc/t.sh", &img).input(b"helo\x7flo world\njunk\x15second\n").run();
    o.expect("got [hello world]").expect("got [second]").expect_status(0);
}

#[test]
fn without_a_disk_the_boot_modules_are_the_files() {
    let o = unix("/bin/hello", &[cprog("hello")]).run();
    o.expect("hello from musl").expect_status(42);
}

#[test]
fn mapped_reads_are_local_and_coherent_with_writers() {
    let img = image("mapread", &["mapread"], &[], &[]);
    let o = boot("/bin/mapread", &img).icount().run();
    o.expect_not("FAIL").expect("ok another process's write is seen").expect("mapread done 0 failures").expect_status(0);
    for l in o.output.lines().filter(|l| l.starts_with("pread of a cached")) {
        println!("{}", l);
    }
}

#[test]
fn read_lseek_and_mmap_share_pages_offsets_and_reach_the_disk() {
    let img = image("mapio", &["mapio"], &[], &[]);
    let o = boot("/bin/mapio", &img).run();
    o.expect_not("FAIL").expect("ok every chunk read exactly once by the two processes")
        .expect("ok another process reads what the mapping wrote").expect("mapio done 0 failures").expect_status(0);
    for l in o.output.lines().filter(|l| l.starts_with("shared offset")) {
        println!("{}", l);
    }
    // What the shared mapping (and the child's, and pwrite) wrote is in
    // the file on the disk, read by the host.
    let v = read_back(&img, "/tmp/shared.bin");
    let word = |i: usize| u32::from_le_bytes(v[i * 4..i * 4 + 4].try_into().unwrap());
    assert_eq!(v.len(), 8192, "write-back never grows the file");
    assert_eq!((word(0), word(1), word(2), word(3)), (0, 1, 0x600d, 0xc41d));
    assert_eq!(&v[40..72], b"written through a shared mapping");
    assert_eq!((word(1024 + 5), word(1024 + 6), word(2047)), (0x5eed, 1024 + 6, 2047));
    // write and pwrite into the mapping reached the disk too.
    let v = read_back(&img, "/tmp/local.bin");
    assert_eq!(v.len(), 4105);
    assert!((0..1024).all(|i| u32::from_le_bytes(v[i * 4..i * 4 + 4].try_into().unwrap()) == 0x1000 + i as u32));
    assert_eq!(&v[4096..], b"Grown+app");
}

#[test]
fn local_reads_and_lseek_cost_what_the_figures_say() {
    let o = unix("/bin/mapio figures", &[cprog("mapio")]).icount().run();
    o.expect_not("FAIL").expect("mapio done 0 failures").expect_status(0);
    for l in o.output.lines().filter(|l| l.contains("guest instructions")) {
        println!("{}", l);
    }
}

/// Lines of a test program's output that end in FAILED, none expected.
#[track_caller]
fn no_failures(o: &Outcome, tag: &str) {
    let bad: Vec<&str> = o.lines_with(tag).into_iter().filter(|l| l.ends_with("FAILED")).collect();
    assert!(bad.is_empty(), "{:?}\n{}", bad, o.output);
}

#[test]
fn proc_shows_links_stat_cmdline_maps_memory_and_refuses_writes() {
    let img = image("proc", &["procfs"], &[], &[]);
    let o = boot("/bin/procfs", &img).run();
    no_failures(&o, "proc: ");
    o.expect("proc: maps: the stack's line is rw-p [stack] ok").expect("proc: 0 failures").expect_status(0);
}

#[test]
fn select_and_pselect_on_pipes_wait_time_out_and_refuse_bad_input() {
    let img = image("select", &["selects"], &[], &[]);
    let o = boot("/bin/selects", &img).run();
    no_failures(&o, "select: ");
    o.expect("select: select without a timeout waits for another process's write ok")
        .expect("select: 0 failures").expect_status(0);
}
