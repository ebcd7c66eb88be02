//! tee: copy stdin to stdout and to files (-a appends).
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("a", "", "[-a] [file...]");
    let mut status = 0;
    let mut files: Vec<(String, File)> = Vec::new();
    for f in &o.args {
        let r = OpenOptions::new().write(true).create(true).append(o.has('a')).truncate(!o.has('a')).open(f);
        match r {
            Ok(h) => files.push((f.clone(), h)),
            Err(e) => {
                userland::warn(f, &e);
                status = 1;
            }
        }
    }
    let mut buf = vec![0u8; 65536];
    let mut out = io::stdout().lock();
    let mut inp = io::stdin().lock();
    loop {
        let n = match inp.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                userland::warn("stdin", &e);
                status = 1;
                break;
            }
        };
        userland::out(&mut out, &buf[..n]);
        userland::flush(&mut out);
        files.retain_mut(|(name, h)| match h.write_all(&buf[..n]) {
            Ok(()) => true,
            Err(e) => {
                userland::warn(name, &e);
                status = 1;
                false
            }
        });
    }
    let _ = out.flush();
    std::process::exit(status);
}
