//! Layout of every ABI struct against Linux x86_64.
//!
//! Two independent checks: hard-coded sizes/offsets (always run), and a
//! cross-check against the host's kernel UAPI headers compiled with `cc`
//! (run when a C compiler and the headers are there; it reports and
//! skips otherwise, so the hard-coded half still guards the layout).

use core::mem::{offset_of, size_of};
use linux_abi::structs::*;
use std::process::Command;

macro_rules! off {
    ($t:ty, $f:ident) => {
        offset_of!($t, $f) as i64
    };
}

#[test]
fn hard_coded_sizes() {
    assert_eq!(size_of::<Stat>(), 144);
    assert_eq!(size_of::<Statx>(), 256);
    assert_eq!(size_of::<Timespec>(), 16);
    assert_eq!(size_of::<Timeval>(), 16);
    assert_eq!(size_of::<Rusage>(), 144);
    assert_eq!(size_of::<Utsname>(), 390);
    assert_eq!(size_of::<Rlimit>(), 16);
    assert_eq!(size_of::<KernelSigaction>(), 32);
    assert_eq!(size_of::<StackT>(), 24);
    assert_eq!(size_of::<Siginfo>(), 128);
    assert_eq!(size_of::<Sigcontext>(), 256);
    assert_eq!(size_of::<Ucontext>(), 304);
    assert_eq!(size_of::<RtSigframe>(), 440);
    assert_eq!(size_of::<LinuxDirent64>(), 24);
    assert_eq!(size_of::<Iovec>(), 16);
    assert_eq!(size_of::<Pollfd>(), 8);
    assert_eq!(size_of::<Winsize>(), 8);
    assert_eq!(size_of::<Termios>(), 36);
    assert_eq!(size_of::<Sysinfo>(), 112);
    assert_eq!(size_of::<Tms>(), 32);
}

#[test]
fn hard_coded_offsets() {
    assert_eq!(off!(Stat, st_mode), 24);
    assert_eq!(off!(Stat, st_rdev), 40);
    assert_eq!(off!(Stat, st_size), 48);
    assert_eq!(off!(Stat, st_atime), 72);
    assert_eq!(off!(Stat, st_ctime_nsec), 112);
    assert_eq!(off!(Statx, stx_mode), 28);
    assert_eq!(off!(Statx, stx_ino), 32);
    assert_eq!(off!(Statx, stx_atime), 64);
    assert_eq!(off!(Statx, stx_mtime), 112);
    assert_eq!(off!(Statx, stx_rdev_major), 128);
    assert_eq!(off!(Statx, stx_mnt_id), 144);
    assert_eq!(off!(Rusage, ru_maxrss), 32);
    assert_eq!(off!(Rusage, ru_nivcsw), 136);
    assert_eq!(off!(Utsname, machine), 260);
    assert_eq!(off!(KernelSigaction, sa_flags), 8);
    assert_eq!(off!(KernelSigaction, sa_restorer), 16);
    assert_eq!(off!(KernelSigaction, sa_mask), 24);
    assert_eq!(off!(StackT, ss_flags), 8);
    assert_eq!(off!(StackT, ss_size), 16);
    assert_eq!(off!(Siginfo, si_code), 8);
    assert_eq!(off!(Siginfo, fields), 16);
    assert_eq!(off!(Sigcontext, rdi), 64);
    assert_eq!(off!(Sigcontext, rax), 104);
    assert_eq!(off!(Sigcontext, rsp), 120);
    assert_eq!(off!(Sigcontext, rip), 128);
    assert_eq!(off!(Sigcontext, eflags), 136);
    assert_eq!(off!(Sigcontext, cs), 144);
    assert_eq!(off!(Sigcontext, err), 152);
    assert_eq!(off!(Sigcontext, trapno), 160);
    assert_eq!(off!(Sigcontext, oldmask), 168);
    assert_eq!(off!(Sigcontext, cr2), 176);
    assert_eq!(off!(Sigcontext, fpstate), 184);
    assert_eq!(off!(Ucontext, uc_stack), 16);
    assert_eq!(off!(Ucontext, uc_mcontext), 40);
    assert_eq!(off!(Ucontext, uc_sigmask), 296);
    assert_eq!(off!(RtSigframe, uc), 8);
    assert_eq!(off!(RtSigframe, info), 312);
    assert_eq!(off!(LinuxDirent64, d_reclen), 16);
    assert_eq!(off!(LinuxDirent64, d_type), 18);
    assert_eq!(off!(LinuxDirent64, d_name), 19);
    assert_eq!(off!(Pollfd, revents), 6);
    assert_eq!(off!(Termios, c_line), 16);
    assert_eq!(off!(Termios, c_cc), 17);
    assert_eq!(off!(Sysinfo, totalram), 32);
    assert_eq!(off!(Sysinfo, procs), 80);
    assert_eq!(off!(Sysinfo, totalhigh), 88);
    assert_eq!(off!(Sysinfo, mem_unit), 104);
    assert_eq!(off!(Tms, tms_cstime), 24);
}

/// Compiles `body` (a list of `P(name, expr);` lines) with `includes`,
/// runs it and returns name -> value; `None` when no C compiler works.
fn c_values(includes: &[&str], body: &str) -> Option<Vec<(String, i64)>> {
    let dir = std::env::temp_dir().join(format!("linux-abi-layout-{}-{}", std::process::id(), includes[0].replace('/', "_")));
    std::fs::create_dir_all(&dir).ok()?;
    let mut src = String::from("#include <stddef.h>\n#include <stdio.h>\n");
    for i in includes {
        src += &format!("#include <{i}>\n");
    }
    src += "#define P(n, e) printf(\"%s %lld\\n\", n, (long long)(e))\nint main(void) {\n";
    src += body;
    src += "return 0; }\n";
    let c = dir.join("t.c");
    let exe = dir.join("t");
    std::fs::write(&c, src).ok()?;
    let out = Command::new("cc").arg("-o").arg(&exe).arg(&c).output().ok()?;
    if !out.status.success() {
        eprintln!("skipping C cross-check for {includes:?}: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let run = Command::new(&exe).output().ok()?;
    let text = String::from_utf8(run.stdout).ok()?;
    let vals = text
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(n, v)| (n.to_string(), v.parse().unwrap()))
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    Some(vals)
}

fn check(includes: &[&str], body: &str, ours: &[(&str, i64)]) {
    let Some(theirs) = c_values(includes, body) else { return };
    assert_eq!(theirs.len(), ours.len(), "C program printed a different number of values");
    for ((tn, tv), (on, ov)) in theirs.iter().zip(ours) {
        assert_eq!(tn, on);
        assert_eq!(tv, ov, "{on}: Linux says {tv}, we have {ov}");
    }
}

macro_rules! c_pairs {
    ($( $name:literal : $c:literal => $rust:expr ),* $(,)?) => {{
        let body: String = [$(format!("P(\"{}\", {});\n", $name, $c)),*].concat();
        let ours: Vec<(&str, i64)> = vec![$(($name, $rust as i64)),*];
        (body, ours)
    }};
}

#[test]
fn c_stat() {
    let (b, o) = c_pairs! {
        "size": "sizeof(struct stat)" => size_of::<Stat>(),
        "mode": "offsetof(struct stat, st_mode)" => off!(Stat, st_mode),
        "uid": "offsetof(struct stat, st_uid)" => off!(Stat, st_uid),
        "rdev": "offsetof(struct stat, st_rdev)" => off!(Stat, st_rdev),
        "size_f": "offsetof(struct stat, st_size)" => off!(Stat, st_size),
        "blksize": "offsetof(struct stat, st_blksize)" => off!(Stat, st_blksize),
        "blocks": "offsetof(struct stat, st_blocks)" => off!(Stat, st_blocks),
        "atime": "offsetof(struct stat, st_atime)" => off!(Stat, st_atime),
        "mtime": "offsetof(struct stat, st_mtime)" => off!(Stat, st_mtime),
        "ctime": "offsetof(struct stat, st_ctime)" => off!(Stat, st_ctime),
    };
    check(&["asm/stat.h"], &b, &o);
}

#[test]
fn c_statx() {
    let (b, o) = c_pairs! {
        "size": "sizeof(struct statx)" => size_of::<Statx>(),
        "mode": "offsetof(struct statx, stx_mode)" => off!(Statx, stx_mode),
        "ino": "offsetof(struct statx, stx_ino)" => off!(Statx, stx_ino),
        "amask": "offsetof(struct statx, stx_attributes_mask)" => off!(Statx, stx_attributes_mask),
        "atime": "offsetof(struct statx, stx_atime)" => off!(Statx, stx_atime),
        "btime": "offsetof(struct statx, stx_btime)" => off!(Statx, stx_btime),
        "mtime": "offsetof(struct statx, stx_mtime)" => off!(Statx, stx_mtime),
        "rdevmaj": "offsetof(struct statx, stx_rdev_major)" => off!(Statx, stx_rdev_major),
        "devmin": "offsetof(struct statx, stx_dev_minor)" => off!(Statx, stx_dev_minor),
        "mnt_id": "offsetof(struct statx, stx_mnt_id)" => off!(Statx, stx_mnt_id),
        "ts": "sizeof(struct statx_timestamp)" => size_of::<StatxTimestamp>(),
    };
    check(&["linux/stat.h"], &b, &o);
}

#[test]
fn c_time_resource_uts() {
    let (b, o) = c_pairs! {
        "timespec": "sizeof(struct __kernel_timespec)" => size_of::<Timespec>(),
        "timeval": "sizeof(struct timeval)" => size_of::<Timeval>(),
        "rusage": "sizeof(struct rusage)" => size_of::<Rusage>(),
        "maxrss": "offsetof(struct rusage, ru_maxrss)" => off!(Rusage, ru_maxrss),
        "nivcsw": "offsetof(struct rusage, ru_nivcsw)" => off!(Rusage, ru_nivcsw),
        "rlimit": "sizeof(struct rlimit)" => size_of::<Rlimit>(),
        "uts": "sizeof(struct new_utsname)" => size_of::<Utsname>(),
        "machine": "offsetof(struct new_utsname, machine)" => off!(Utsname, machine),
        "domain": "offsetof(struct new_utsname, domainname)" => off!(Utsname, domainname),
        "tms": "sizeof(struct tms)" => size_of::<Tms>(),
        "sysinfo": "sizeof(struct sysinfo)" => size_of::<Sysinfo>(),
        "procs": "offsetof(struct sysinfo, procs)" => off!(Sysinfo, procs),
        "memunit": "offsetof(struct sysinfo, mem_unit)" => off!(Sysinfo, mem_unit),
    };
    check(&["linux/time_types.h", "linux/resource.h", "linux/utsname.h", "linux/times.h", "linux/sysinfo.h"], &b, &o);
}

#[test]
fn c_signal() {
    let (b, o) = c_pairs! {
        "sigaction": "sizeof(struct sigaction)" => size_of::<KernelSigaction>(),
        "sa_flags": "offsetof(struct sigaction, sa_flags)" => off!(KernelSigaction, sa_flags),
        "sa_restorer": "offsetof(struct sigaction, sa_restorer)" => off!(KernelSigaction, sa_restorer),
        "sa_mask": "offsetof(struct sigaction, sa_mask)" => off!(KernelSigaction, sa_mask),
        "stack": "sizeof(stack_t)" => size_of::<StackT>(),
        "ss_size": "offsetof(stack_t, ss_size)" => off!(StackT, ss_size),
        "siginfo": "sizeof(siginfo_t)" => size_of::<Siginfo>(),
        "si_code": "offsetof(siginfo_t, si_code)" => off!(Siginfo, si_code),
        "si_pid": "offsetof(siginfo_t, si_pid)" => 16,
        "si_uid": "offsetof(siginfo_t, si_uid)" => 20,
        "si_status": "offsetof(siginfo_t, si_status)" => 24,
        "si_utime": "offsetof(siginfo_t, si_utime)" => 32,
        "si_stime": "offsetof(siginfo_t, si_stime)" => 40,
        "si_value": "offsetof(siginfo_t, si_value)" => 24,
        "si_addr": "offsetof(siginfo_t, si_addr)" => 16,
        "sigcontext": "sizeof(struct sigcontext)" => size_of::<Sigcontext>(),
        "sc_r8": "offsetof(struct sigcontext, r8)" => off!(Sigcontext, r8),
        "sc_rdi": "offsetof(struct sigcontext, rdi)" => off!(Sigcontext, rdi),
        "sc_rbx": "offsetof(struct sigcontext, rbx)" => off!(Sigcontext, rbx),
        "sc_rax": "offsetof(struct sigcontext, rax)" => off!(Sigcontext, rax),
        "sc_rsp": "offsetof(struct sigcontext, rsp)" => off!(Sigcontext, rsp),
        "sc_rip": "offsetof(struct sigcontext, rip)" => off!(Sigcontext, rip),
        "sc_eflags": "offsetof(struct sigcontext, eflags)" => off!(Sigcontext, eflags),
        "sc_cs": "offsetof(struct sigcontext, cs)" => off!(Sigcontext, cs),
        "sc_err": "offsetof(struct sigcontext, err)" => off!(Sigcontext, err),
        "sc_cr2": "offsetof(struct sigcontext, cr2)" => off!(Sigcontext, cr2),
        "sc_fpstate": "offsetof(struct sigcontext, fpstate)" => off!(Sigcontext, fpstate),
        "ucontext": "sizeof(struct ucontext)" => size_of::<Ucontext>(),
        "uc_stack": "offsetof(struct ucontext, uc_stack)" => off!(Ucontext, uc_stack),
        "uc_mcontext": "offsetof(struct ucontext, uc_mcontext)" => off!(Ucontext, uc_mcontext),
        "uc_sigmask": "offsetof(struct ucontext, uc_sigmask)" => off!(Ucontext, uc_sigmask),
        "fxsave": "sizeof(struct _fpstate_64)" => FXSAVE_SIZE,
    };
    check(&["linux/types.h", "asm/signal.h", "asm/siginfo.h", "asm/sigcontext.h", "asm/ucontext.h"], &b, &o);
}

#[test]
fn c_io_tty() {
    let (b, o) = c_pairs! {
        "iovec": "sizeof(struct iovec)" => size_of::<Iovec>(),
        "iov_len": "offsetof(struct iovec, iov_len)" => off!(Iovec, iov_len),
        "pollfd": "sizeof(struct pollfd)" => size_of::<Pollfd>(),
        "revents": "offsetof(struct pollfd, revents)" => off!(Pollfd, revents),
        "winsize": "sizeof(struct winsize)" => size_of::<Winsize>(),
        "termios": "sizeof(struct termios)" => size_of::<Termios>(),
        "c_line": "offsetof(struct termios, c_line)" => off!(Termios, c_line),
        "c_cc": "offsetof(struct termios, c_cc)" => off!(Termios, c_cc),
        "TCGETS": "TCGETS" => linux_abi::consts::ioctl::TCGETS,
        "TCSETSF": "TCSETSF" => linux_abi::consts::ioctl::TCSETSF,
        "TIOCGWINSZ": "TIOCGWINSZ" => linux_abi::consts::ioctl::TIOCGWINSZ,
        "TIOCSWINSZ": "TIOCSWINSZ" => linux_abi::consts::ioctl::TIOCSWINSZ,
        "TIOCGPGRP": "TIOCGPGRP" => linux_abi::consts::ioctl::TIOCGPGRP,
        "TIOCSPGRP": "TIOCSPGRP" => linux_abi::consts::ioctl::TIOCSPGRP,
        "TIOCSCTTY": "TIOCSCTTY" => linux_abi::consts::ioctl::TIOCSCTTY,
        "FIONREAD": "FIONREAD" => linux_abi::consts::ioctl::FIONREAD,
        "TIOCGPTN": "TIOCGPTN" => linux_abi::consts::ioctl::TIOCGPTN,
    };
    check(&["linux/uio.h", "asm/poll.h", "asm/termios.h"], &b, &o);
}

/// Every `#define NAME NUMBER` of a host header, for the table checks.
fn header_defines(path: &str, prefix: &str) -> Option<Vec<(String, i64)>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                (w.next()? == "#define").then_some(())?;
                let name = w.next()?.strip_prefix(prefix)?.to_string();
                Some((name, w.next()?.parse().ok()?))
            })
            .collect(),
    )
}

#[test]
fn syscall_numbers_match_host_header() {
    let Some(defs) = header_defines("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "__NR_") else {
        eprintln!("no host unistd_64.h; skipping");
        return;
    };
    let mut checked = 0;
    for (name, nr) in defs {
        if let Some(&(ours, _)) = linux_abi::sysno::ALL.iter().find(|(_, n)| *n == name) {
            assert_eq!(ours as i64, nr, "{name}");
            checked += 1;
        } else if nr <= 334 {
            panic!("host defines {name} = {nr}, missing here");
        }
    }
    assert!(checked > 330);
}

#[test]
fn errno_values_match_host_header() {
    let mut defs = Vec::new();
    for h in ["/usr/include/asm-generic/errno-base.h", "/usr/include/asm-generic/errno.h"] {
        match header_defines(h, "") {
            Some(d) => defs.extend(d),
            None => return eprintln!("no host {h}; skipping"),
        }
    }
    for (name, nr) in defs {
        let ours = linux_abi::errno::ALL.iter().find(|e| e.name() == Some(name.as_str()));
        assert_eq!(ours.map(|e| e.0 as i64), Some(nr), "{name}");
    }
}
