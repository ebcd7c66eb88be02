//! df: file system space (statfs) for the given paths, or for the
//! mount points in /proc/mounts. Sizes in 1K blocks.
use std::ffi::CString;

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("kh", "", "[-k] [path...]");
    let paths: Vec<(String, String)> = if o.args.is_empty() { mounts() } else { o.args.iter().map(|p| (p.clone(), p.clone())).collect() };
    userland::say!("{:<20} {:>10} {:>10} {:>10} {:>4} Mounted on", "Filesystem", "1K-blocks", "Used", "Available", "Use%");
    let mut status = 0;
    for (dev, path) in paths {
        match statfs(&path) {
            Ok(s) => {
                let kib = |blocks: u64| blocks * s.f_bsize as u64 / 1024;
                let (total, free, avail) = (kib(s.f_blocks), kib(s.f_bfree), kib(s.f_bavail));
                if total == 0 && o.args.is_empty() {
                    continue; // pseudo file systems
                }
                let used = total - free;
                let pct = if used + avail > 0 { (used * 100).div_ceil(used + avail) } else { 0 };
                userland::say!("{dev:<20} {total:>10} {used:>10} {avail:>10} {:>3}% {path}", pct);
            }
            Err(e) => {
                userland::warn(&path, &e);
                status = 1;
            }
        }
    }
    std::process::exit(status);
}

/// (device, mount point) pairs; "/" alone if /proc/mounts is missing.
fn mounts() -> Vec<(String, String)> {
    let text = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let v: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?.to_string(), f.next()?.to_string()))
        })
        .collect();
    if v.is_empty() { vec![("rootfs".into(), "/".into())] } else { v }
}

fn statfs(path: &str) -> std::io::Result<libc::statfs> {
    let c = CString::new(path)?;
    // SAFETY: statfs fills the struct we own.
    unsafe {
        let mut s: libc::statfs = std::mem::zeroed();
        if libc::statfs(c.as_ptr(), &mut s) != 0 {
            return Err(userland::last_err());
        }
        Ok(s)
    }
}
