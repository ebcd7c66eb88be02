//! The harness for integration tests: boot the built system in QEMU with a
//! set of boot modules, feed the serial console, collect its output and the
//! exit status the system powered off with.
//!
//! `make test` sets `KERNEL` (the kernel ELF) and `TASKS` (the directory of
//! test task binaries); without them the harness looks in `target/`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The root image `make image` builds (`IMAGE` overrides).
pub fn root_image() -> PathBuf {
    std::env::var_os("IMAGE").map(PathBuf::from).unwrap_or_else(|| workspace().join("target/root.img"))
}

pub fn kernel() -> PathBuf {
    std::env::var_os("KERNEL").map(PathBuf::from).unwrap_or_else(|| {
        workspace().join("target/kernel/x86_64-unknown-linux-gnu/release/microkernel")
    })
}

/// A test task binary by name.
pub fn task(name: &str) -> PathBuf {
    let dir = std::env::var_os("TASKS").map(PathBuf::from).unwrap_or_else(|| {
        workspace().join("target/user/x86_64-unknown-linux-gnu/release")
    });
    dir.join(name)
}

fn built(var: &str, default: &str, name: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| workspace().join(default)).join(name)
}

/// The emulation library binary.
pub fn emulib() -> PathBuf {
    std::env::var_os("EMULIB").map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/emulib/x86_64-unknown-linux-gnu/release/emulib"))
}

/// A C test program (tests/cprogs), built with musl-gcc -static.
pub fn cprog(name: &str) -> PathBuf {
    built("CPROGS", "target/cprogs", name)
}

/// A Rust std test program (tests/rsprogs), static-pie.
pub fn rsprog(name: &str) -> PathBuf {
    built("RSPROGS", "target/rsprogs/x86_64-unknown-linux-gnu/release", name)
}

/// A UNIX system: the server first (started alone), emulib, the
/// programs as files under /bin; `init` (with arguments) runs as pid 1.
pub fn unix(init: &str, programs: &[PathBuf]) -> Boot {
    let mut m = vec!["unix-server".to_string(), format!("@{}", emulib().display())];
    m.extend(programs.iter().map(|p| format!("@{}", p.display())));
    let mut b = Boot { modules: m, ..Boot::new(&[]) };
    b.append = format!("log=warn start=first -- {}", init);
    b
}

/// How to boot.
#[derive(Clone, Debug)]
pub struct Boot {
    /// Boot modules: "task-name arg arg..." (the first is the first task),
    /// or "@/path/to/file arg..." for a file that is not a test task.
    pub modules: Vec<String>,
    /// The kernel command line.
    pub append: String,
    pub memory: String,
    /// Deterministic instruction counting (`-icount shift=0,sleep=off`).
    pub icount: bool,
    /// Bytes typed on the console after boot, in steps: each step is
    /// typed after waiting its delay (for a ^C that must come while a
    /// command runs).
    pub input: Vec<(u64, Vec<u8>)>,
    pub timeout: Duration,
    /// A raw disk image attached as a virtio-blk PCI device (writes reach
    /// the file: no snapshot).
    pub disk: Option<PathBuf>,
    pub disk_readonly: bool,
    /// Writes go to a temporary overlay, the file stays as it was.
    pub disk_snapshot: bool,
    /// More `-drive` options, e.g. ",throttling.iops-total=20" (a slow disk).
    pub disk_options: String,
    /// A second virtio disk (the kernel's "hd1"): the default pager's swap.
    pub swap: Option<PathBuf>,
}

impl Boot {
    pub fn new(modules: &[&str]) -> Boot {
        Boot {
            modules: modules.iter().map(|s| s.to_string()).collect(),
            append: "log=info".into(),
            memory: "256M".into(),
            icount: false,
            input: Vec::new(),
            timeout: Duration::from_secs(60),
            disk: None,
            disk_readonly: false,
            disk_snapshot: false,
            disk_options: String::new(),
            swap: None,
        }
    }
    /// A raw file as the second disk ("hd1"), for the default pager.
    pub fn swap(mut self, file: &std::path::Path) -> Boot {
        self.swap = Some(file.to_path_buf());
        self
    }
    pub fn append(mut self, a: &str) -> Boot {
        self.append = a.into();
        self
    }
    pub fn memory(mut self, m: &str) -> Boot {
        self.memory = m.into();
        self
    }
    pub fn icount(mut self) -> Boot {
        self.icount = true;
        self
    }
    pub fn input(mut self, b: &[u8]) -> Boot {
        self.input = vec![(0, b.to_vec())];
        self
    }
    /// Types `b` after `ms` milliseconds more (after the earlier steps).
    pub fn then_type(mut self, ms: u64, b: &[u8]) -> Boot {
        self.input.push((ms, b.to_vec()));
        self
    }
    pub fn disk(mut self, image: &std::path::Path) -> Boot {
        self.disk = Some(image.to_path_buf());
        self
    }
    /// The disk image offered read-only (QEMU opens the file read-only).
    pub fn disk_readonly(mut self, image: &std::path::Path) -> Boot {
        self.disk = Some(image.to_path_buf());
        self.disk_readonly = true;
        self
    }
    /// The disk image, writable by the system, its writes thrown away at
    /// the end (QEMU's snapshot): for booting the shared root image.
    pub fn disk_snapshot(mut self, image: &std::path::Path) -> Boot {
        self.disk = Some(image.to_path_buf());
        self.disk_snapshot = true;
        self
    }
    /// Appends options to the disk's `-drive` (a leading comma each).
    pub fn disk_options(mut self, o: &str) -> Boot {
        self.disk_options.push_str(o);
        self
    }
    pub fn timeout(mut self, secs: u64) -> Boot {
        self.timeout = Duration::from_secs(secs);
        self
    }

    fn module_arg(&self) -> String {
        self.modules
            .iter()
            .map(|m| {
                let (name, rest) = m.split_once(' ').map_or((m.as_str(), ""), |(a, b)| (a, b));
                let path = match name.strip_prefix('@') {
                    Some(p) => PathBuf::from(p),
                    None => task(name),
                };
                assert!(path.exists(), "module {} not built: {}", name, path.display());
                if rest.is_empty() { path.display().to_string() } else { format!("{} {}", path.display(), rest) }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Boots and waits for the system to power off or the timeout.
    pub fn run(&self) -> Outcome {
        let mut cmd = Command::new("qemu-system-x86_64");
        cmd.args(["-accel", "tcg", "-cpu", "qemu64", "-smp", "1", "-no-reboot", "-display", "none"])
            .args(["-m", &self.memory])
            .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
            .args(["-serial", "stdio", "-monitor", "none"])
            .arg("-kernel").arg(kernel())
            .args(["-append", &self.append])
            .args(["-initrd", &self.module_arg()]);
        if let Some(d) = &self.disk {
            let ro = match (self.disk_readonly, self.disk_snapshot) {
                (true, _) => ",readonly=on",
                (_, true) => ",snapshot=on",
                _ => "",
            };
            cmd.arg("-drive").arg(format!("file={},if=none,format=raw,id=d0{}{}", d.display(), ro, self.disk_options))
                .args(["-device", "virtio-blk-pci,drive=d0"]);
        }
        if let Some(f) = &self.swap {
            cmd.arg("-drive").arg(format!("file={},if=none,format=raw,id=d1", f.display()))
                .args(["-device", "virtio-blk-pci,drive=d1"]);
        }
        if self.icount {
            cmd.args(["-icount", "shift=0,sleep=off", "-rtc", "base=2026-01-01T00:00:00,clock=vm"]);
        }
        let start = Instant::now();
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("qemu-system-x86_64 runs (make deps installs it)");
        let mut stdin = child.stdin.take().unwrap();
        let input = self.input.clone();
        std::thread::spawn(move || {
            for (ms, bytes) in &input {
                std::thread::sleep(Duration::from_millis(*ms));
                let _ = stdin.write_all(bytes);
                let _ = stdin.flush();
            }
            // Keep stdin open until QEMU ends, as a terminal would.
            std::thread::sleep(Duration::from_secs(3600));
            drop(stdin);
        });
        let mut stdout = child.stdout.take().unwrap();
        // Each chunk of output with the time it arrived.
        let (tx, rx) = mpsc::channel::<Vec<(Duration, Vec<u8>)>>();
        std::thread::spawn(move || {
            let mut chunks = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match stdout.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => chunks.push((start.elapsed(), buf[..n].to_vec())),
                }
            }
            let _ = tx.send(chunks);
        });
        let deadline = start + self.timeout;
        let mut timed_out = false;
        let code = loop {
            if let Some(s) = child.try_wait().expect("wait for qemu") {
                break s.code();
            }
            if Instant::now() > deadline {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok().and_then(|s| s.code());
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let elapsed = start.elapsed();
        let chunks = rx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
        let out: Vec<u8> = chunks.iter().flat_map(|(_, c)| c.iter().copied()).collect();
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let output = String::from_utf8_lossy(&out).replace("\r\n", "\n");
        let status = match code {
            Some(c) if c & 1 == 1 && !timed_out => Some(c >> 1),
            _ => None,
        };
        let mut arrivals = Vec::new();
        let mut len = 0;
        for (t, c) in &chunks {
            len += c.len();
            arrivals.push((*t, len));
        }
        Outcome { output, stderr: err, status, timed_out, elapsed, arrivals }
    }
}

/// What a boot produced.
#[derive(Debug)]
pub struct Outcome {
    pub output: String,
    pub stderr: String,
    /// The status the system powered off with (None: it did not).
    pub status: Option<i32>,
    pub timed_out: bool,
    pub elapsed: Duration,
    /// (time, bytes of output received by then), per chunk read.
    arrivals: Vec<(Duration, usize)>,
}

impl Outcome {
    /// Asserts that the output contains `s`, showing everything if not.
    #[track_caller]
    pub fn expect(&self, s: &str) -> &Self {
        assert!(self.output.contains(s), "expected {:?} in the console output:\n{}\n{}", s, self.output, self.stderr);
        self
    }
    #[track_caller]
    pub fn expect_not(&self, s: &str) -> &Self {
        assert!(!self.output.contains(s), "did not expect {:?} in the console output:\n{}", s, self.output);
        self
    }
    #[track_caller]
    pub fn expect_status(&self, status: i32) -> &Self {
        assert_eq!(self.status, Some(status), "exit status (timed out: {}), output:\n{}\n{}",
                   self.timed_out, self.output, self.stderr);
        self
    }
    /// Wall time from starting QEMU until `s` had appeared on the console.
    pub fn time_of(&self, s: &str) -> Option<Duration> {
        let raw = self.output.replace('\n', "\r\n");
        let end = raw.find(s).or_else(|| self.output.find(s))? + s.len();
        self.arrivals.iter().find(|(_, n)| *n >= end).map(|(t, _)| *t)
    }

    /// Lines of the output that contain `s`.
    pub fn lines_with(&self, s: &str) -> Vec<&str> {
        self.output.lines().filter(|l| l.contains(s)).collect()
    }
}

/// A userland tool (userland/, static), as `userland/build-static.sh` builds it.
pub fn userland(name: &str) -> PathBuf {
    built("USERLAND", "target/userland/x86_64-unknown-linux-gnu/release", name)
}

/// `fsck.fat -n` (dosfstools, which `make deps` installs) on the image:
/// it must find nothing wrong and nothing it would change (it exits 1
/// for either, a dirty volume included).
#[track_caller]
pub fn fsck_fat_clean(img: &std::path::Path) {
    let found = ["fsck.fat", "/usr/sbin/fsck.fat", "/sbin/fsck.fat"].iter().find_map(|c| {
        std::process::Command::new(c).arg("-n").arg(img).output().ok()
    });
    let out = found.expect("fsck.fat runs (make deps installs dosfstools)");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "fsck.fat -n {} ({}):\n{}", img.display(), out.status, text);
}
