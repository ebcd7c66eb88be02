//! The privilege line (issue #19, 7): an ordinary UNIX process holds no
//! device master port and no host privileged port, its debug traps are
//! refused and the privileged host routines fail on the host port it can
//! get; and it may still use Mach on its own rights (tests/cprogs/
//! stress_kpriv_priv.c, raw traps and hand-built messages). And (issue
//! #19, 3) the disk under -icount: slow is not dead.

use mk_tests::{cprog, fsck_fat_clean, unix};


#[test]
fn a_unix_process_cannot_reach_the_hardware_but_keeps_mach_on_its_own_rights() {
    let o = unix("/bin/stress_kpriv_priv", &[cprog("stress_kpriv_priv")]).run();
    for what in [
        "task_self, host_self and a reply port",
        // Refused.
        "no device master port", "device_open fails on every send right the process holds",
        "DEBUG_PRINT is refused", "DEBUG_POWEROFF is refused", "DEBUG_VM_STATS is refused",
        "TASK_HOST_PORT is the host_self trap's port", "host_reboot on the host port fails",
        "host_console_read with a timeout returns", "host_console_write on the host port fails",
        "host_get_boot_module on the host port fails", "host_info on the host port works",
        // Allowed.
        "mach_port_allocate of a receive right", "a message to itself comes back", "mach_port_destroy of it",
        "task_info on itself", "thread_self",
    ] {
        o.expect(&format!("kpriv: {} ok", what));
    }
    // Neither DEBUG_PRINT nor host_console_write reached the console, and
    // the machine ran on after DEBUG_POWEROFF and host_reboot.
    o.expect_not("KPRIV-LEAK").expect("kpriv: still running, 0 failed").expect_status(0);
}

/// A 40 MiB image holding `bin/<prog>` for each C program named.
fn image(tag: &str, progs: &[&str]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mk-kpriv-{}-{}", tag, std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let stage = dir.join("root");
    std::fs::create_dir_all(stage.join("bin")).unwrap();
    for p in progs {
        std::fs::copy(cprog(p), stage.join("bin").join(p)).unwrap();
    }
    let out = dir.join("root.img");
    let spec = rootfs::Spec { out: out.clone(), size_mib: 40, dirs: vec![(stage, "/".into())], ..Default::default() };
    rootfs::build_to_file(&spec).unwrap();
    out
}

/// The byte stress_kpriv_disk.c writes at `p`.
fn pattern(p: u64) -> u8 {
    (p.wrapping_mul(131).wrapping_add(p / 65536 * 7)) as u8
}

/// The disk under -icount shift=0,sleep=off, where guest time leaps while
/// the CPU halts waiting for a completion: a slow request must be waited
/// for, not taken for a dead disk (which lost the writes with I/O errors
/// and "unmount: Io"). A few MiB written, read back in the guest and, after
/// the clean unmount, on the host. STRESS_LONG=1 writes 32 MiB.
#[test]
fn the_disk_under_icount_writes_and_reads_back_a_few_mib() {
    let long = std::env::var("STRESS_LONG").is_ok_and(|v| v == "1");
    let mib: u64 = if long { 32 } else { 4 };
    let img = image("icount", &["stress_kpriv_disk"]);
    // A disk throttled to 20 requests a second (QEMU's block throttling):
    // each waits ~50 ms of host time, which the halted guest, its clock
    // warped from tick to tick, sees as many seconds.
    let o = unix(&format!("/bin/stress_kpriv_disk {}", mib), &[]).disk(&img)
        .disk_options(",throttling.iops-total=20").icount()
        .timeout(if long { 600 } else { 120 }).run();
    let slow = o.lines_with("not answered in").len();
    println!("slow requests reported: {}", slow);
    for l in o.lines_with("virtio-blk") {
        println!("{}", l);
    }
    for what in ["open for writing", "every write", "fsync", "close", "open for reading",
                 "nothing past the end", "every byte read back"] {
        o.expect(&format!("kpriv-disk: {} ok", what));
    }
    o.expect_not("device taken down").expect("kpriv-disk: done, 0 failed").expect_status(0);
    // The test is about slow requests: without any it proved nothing.
    assert!(slow > 0, "no request took more than 5 s of guest time:\n{}", o.output);

    let dev = fat32::MemDevice::from_vec(std::fs::read(&img).unwrap());
    let clock = Box::new(fat32::FixedClock(fat32::DateTime::new(2024, 1, 1, 0, 0, 0)));
    let mut fs = fat32::FileSystem::mount(dev, clock, fat32::MountOptions { read_only: true, update_atime: false })
        .unwrap();
    assert!(fs.was_cleanly_unmounted(), "the volume was not unmounted cleanly:\n{}", o.output);
    fsck_fat_clean(&img);
    let ino = fs.resolve("/big.bin").unwrap();
    let size = fs.stat(ino).unwrap().size;
    assert_eq!(size, mib << 20);
    let mut v = vec![0u8; size as usize];
    fs.read(ino, 0, &mut v).unwrap();
    let bad = v.iter().enumerate().position(|(i, b)| *b != pattern(i as u64));
    assert_eq!(bad, None, "the file on the disk differs from what was written");
    let _ = std::fs::remove_dir_all(img.parent().unwrap());
}
