//! Helpers for the integration tests: a fresh temp directory per test
//! and running the built binaries with PATH pointing at them.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Directory holding the built tools (next to the sh binary), or
/// $USERLAND_BIN to run the suite against another build, e.g. the static
/// one from build-static.sh.
pub fn bin_dir() -> PathBuf {
    match std::env::var_os("USERLAND_BIN") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_BIN_EXE_sh")).parent().unwrap().to_path_buf(),
    }
}

/// A temp directory removed when dropped.
pub struct Tmp(pub PathBuf);

impl Tmp {
    pub fn new() -> Tmp {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("userland-test-{}-{}", std::process::id(), n));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
    pub fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
    pub fn write(&self, rel: &str, data: &str) {
        let p = self.path(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(p, data).unwrap();
    }
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Run {
    pub out: String,
    pub err: String,
    pub code: i32,
}

fn finish(o: Output) -> Run {
    Run {
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
        code: o.status.code().unwrap_or(-1),
    }
}

/// A Command for tool `name` running in `dir` with only our tools on PATH.
pub fn cmd(name: &str, dir: &Path) -> Command {
    let mut c = Command::new(bin_dir().join(name));
    c.current_dir(dir).env_clear().env("PATH", bin_dir()).env("HOME", dir);
    c
}

/// Run a tool with args and stdin text.
pub fn tool(dir: &Path, name: &str, args: &[&str], input: &str) -> Run {
    let mut c = cmd(name, dir);
    c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn tool");
    child.stdin.take().unwrap().write_all(input.as_bytes()).ok();
    finish(child.wait_with_output().unwrap())
}

/// Feed a script to `sh` on stdin (the non-interactive, pipe path).
pub fn sh(dir: &Path, script: &str) -> Run {
    tool(dir, "sh", &[], script)
}

/// Run `sh -c script`.
pub fn sh_c(dir: &Path, script: &str) -> Run {
    tool(dir, "sh", &["-c", script], "")
}
