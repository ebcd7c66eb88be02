//! cp: copy files; -r copies directories recursively.
//!   cp src dst   |   cp src... dir
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("rRp", "", "[-r] src... dest");
    if o.args.len() < 2 {
        userland::usage("[-r] src... dest");
    }
    let recurse = o.has('r') || o.has('R');
    let (srcs, dest) = o.args.split_at(o.args.len() - 1);
    let dest = Path::new(&dest[0]);
    let into_dir = dest.is_dir();
    if srcs.len() > 1 && !into_dir {
        userland::die(&format!("target '{}' is not a directory", dest.display()));
    }
    let mut status = 0;
    for s in srcs {
        let sp = Path::new(s);
        let target = if into_dir { dest.join(sp.file_name().unwrap_or(sp.as_os_str())) } else { dest.to_path_buf() };
        if let Err((p, e)) = copy(sp, &target, recurse) {
            userland::warn(&p, &e);
            status = 1;
        }
    }
    std::process::exit(status);
}

type Failure = (String, io::Error);

/// Attach the path to an error, for the `cp: path: strerror` message.
fn fail(p: &Path) -> impl FnOnce(io::Error) -> Failure + '_ {
    move |e| (p.display().to_string(), e)
}

fn copy(src: &Path, dst: &PathBuf, recurse: bool) -> Result<(), Failure> {
    let m = fs::metadata(src).map_err(fail(src))?;
    if !m.is_dir() {
        // Read/write copy: keeps to open/read/write, no copy_file_range.
        let mut r = fs::File::open(src).map_err(fail(src))?;
        let mut w = fs::File::create(dst).map_err(fail(dst))?;
        copy_data(&mut r, &mut w).map_err(fail(dst))?;
        let _ = fs::set_permissions(dst, m.permissions());
        return Ok(());
    }
    if !recurse {
        return Err((src.display().to_string(), io::Error::other("is a directory (not copied, use -r)")));
    }
    if !dst.is_dir() {
        fs::create_dir(dst).map_err(fail(dst))?;
    }
    for e in fs::read_dir(src).map_err(fail(src))?.flatten() {
        copy(&e.path(), &dst.join(e.file_name()), true)?;
    }
    Ok(())
}

fn copy_data(r: &mut impl io::Read, w: &mut impl io::Write) -> io::Result<()> {
    let mut buf = vec![0u8; 65536];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => w.write_all(&buf[..n])?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
