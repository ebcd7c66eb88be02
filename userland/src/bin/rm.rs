//! rm: remove files; -r removes directories recursively, -f ignores
//! missing files and never asks.
use std::fs;
use std::io;

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("rRf", "", "[-rf] file...");
    if o.args.is_empty() && !o.has('f') {
        userland::usage("[-rf] file...");
    }
    let recurse = o.has('r') || o.has('R');
    let mut status = 0;
    for f in &o.args {
        if let Err((path, e)) = remove(f, recurse) {
            if !(o.has('f') && e.kind() == io::ErrorKind::NotFound) {
                userland::warn(&format!("cannot remove '{path}'"), &e);
                status = 1;
            }
        }
    }
    std::process::exit(status);
}

/// Remove one path; errors carry the path that failed.
fn remove(path: &str, recurse: bool) -> Result<(), (String, io::Error)> {
    let m = fs::symlink_metadata(path).map_err(|e| (path.to_string(), e))?;
    if !m.is_dir() {
        return fs::remove_file(path).map_err(|e| (path.to_string(), e));
    }
    if !recurse {
        return Err((path.to_string(), io::Error::from_raw_os_error(libc::EISDIR)));
    }
    let rd = fs::read_dir(path).map_err(|e| (path.to_string(), e))?;
    for e in rd.flatten() {
        let child = format!("{}/{}", path.trim_end_matches('/'), e.file_name().to_string_lossy());
        remove(&child, true)?;
    }
    fs::remove_dir(path).map_err(|e| (path.to_string(), e))
}
