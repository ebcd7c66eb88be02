//! cat: concatenate files (or stdin) to stdout.
use std::io::{self, Read, Write};

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("u", "", "[-u] [file...]");
    let files = if o.args.is_empty() { vec!["-".to_string()] } else { o.args };
    let mut out = io::stdout().lock();
    let mut status = 0;
    for f in &files {
        if let Err(e) = copy(f, &mut out) {
            userland::warn(f, &e);
            status = 1;
        }
    }
    userland::flush(&mut out);
    std::process::exit(status);
}

/// Stream one input to stdout in 64 KiB chunks.
fn copy(path: &str, out: &mut impl Write) -> io::Result<()> {
    let mut r = userland::open_input(path)?;
    let mut buf = vec![0u8; 65536];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        userland::out(out, &buf[..n]);
    }
}
