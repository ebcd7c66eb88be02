//! The disk through Mach device ports: a raw image the test fills on the
//! host, attached as virtio-blk; the disk task reads it, writes, reads
//! back and tries bad requests; afterwards the image file holds what the
//! task wrote. Without a disk, device_open fails cleanly.

use mk_tests::Boot;
use std::path::PathBuf;

const RECORD: usize = 512;
/// 8 MiB: room for the 4 MiB throughput read.
const RECORDS: u64 = 16384;

/// The same patterns as tests/tasks/src/bin/disk.rs.
fn pattern(tag: &[u8; 12], n: u64, mul: usize, step: usize) -> Vec<u8> {
    let mut s = vec![0u8; RECORD];
    s[..12].copy_from_slice(tag);
    s[12..20].copy_from_slice(&n.to_le_bytes());
    for (i, b) in s.iter_mut().enumerate().skip(20) {
        *b = (n as usize).wrapping_mul(mul).wrapping_add(i * step) as u8;
    }
    s
}
fn host_pattern(n: u64) -> Vec<u8> {
    pattern(b"host sector ", n, 7, 1)
}
fn task_pattern(n: u64) -> Vec<u8> {
    pattern(b"task sector ", n, 13, 3)
}

fn image(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mk-device-{}-{}", name, std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("disk.img");
    let data: Vec<u8> = (0..RECORDS).flat_map(host_pattern).collect();
    std::fs::write(&path, data).unwrap();
    path
}

#[test]
fn disk_reads_writes_and_refuses_bad_requests_and_writes_persist() {
    let img = image("rw");
    let o = Boot::new(&["disk"]).disk(&img).timeout(120).run();
    o.expect(&format!("disk: hd0 has {} records of 512 bytes", RECORDS));
    for what in [
        "device_get_status gives the size", "device_open of the alias disk0", "device_read of sector 0",
        "device_read of the last sector", "device_read of 64 sectors across bounce buffers",
        "device_read_inband of sector 7", "device_write of 8 sectors from a page",
        "device_write of 3 sectors from an unaligned buffer", "device_write_inband of sector 300",
        "device_read gives back the page written", "device_read gives back the unaligned write",
        "device_read gives back the inband write", "the sector before the write is untouched",
        "device_open of an unknown name fails", "device_read past the end", "device_read of a huge recnum",
        "device_read across the end", "device_read of a partial record", "device_read of zero bytes",
        "device_read of 2 GiB", "device_read_inband of more than fits", "device_write of a partial record",
        "device_write past the end", "device_get_status of an unknown flavour", "device_read on the master port",
        "device_read of 4 MiB in 1 MiB calls", "device_write of 2 MiB of untouched memory in 1 MiB calls", "completions come by interrupt", "device_close", "device_close of a closed device",
    ] {
        o.expect(&format!("disk: {} ok", what));
    }
    o.expect("disk: all passed").expect_not("panic").expect_status(0);
    for l in o.lines_with("MB/s").into_iter().chain(o.lines_with("interrupts,")) {
        eprintln!("{}", l);
    }

    // QEMU has exited: what the task wrote is in the file, and only there.
    let disk = std::fs::read(&img).unwrap();
    let sector = |n: u64| &disk[n as usize * RECORD..(n as usize + 1) * RECORD];
    for n in (100..108).chain(200..203).chain(300..301) {
        assert_eq!(sector(n), &task_pattern(n)[..], "sector {} in the image", n);
    }
    for n in [0, 99, 108, 199, 203, 299, 301, 8191, 12288, RECORDS - 1] {
        assert_eq!(sector(n), &host_pattern(n)[..], "untouched sector {} in the image", n);
    }
    assert!(disk[8192 * RECORD..12288 * RECORD].iter().all(|&b| b == 0), "the 2 MiB of zeros in the image");
    let _ = std::fs::remove_dir_all(img.parent().unwrap());
}

#[test]
fn without_a_disk_device_open_fails_with_no_such_device() {
    let o = Boot::new(&["disk nodisk"]).run();
    o.expect("disk: device_open without a disk fails ok").expect("disk: all passed").expect_not("panic");
    o.expect_status(0);
}

#[test]
fn a_read_only_disk_refuses_writes() {
    let img = image("ro");
    let o = Boot::new(&["disk readonly"]).disk_readonly(&img).run();
    for what in [
        "device_open for writing of a read-only disk", "device_open for reading of a read-only disk",
        "device_read of a read-only disk", "device_write to a read-only disk",
    ] {
        o.expect(&format!("disk: {} ok", what));
    }
    o.expect("disk: all passed").expect_status(0);
    let _ = std::fs::remove_dir_all(img.parent().unwrap());
}
