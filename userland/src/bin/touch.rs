//! touch: create files or set their times to now (utimensat).
use std::ffi::CString;

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("c", "", "[-c] file...");
    if o.args.is_empty() {
        userland::usage("[-c] file...");
    }
    let mut status = 0;
    for f in &o.args {
        if let Err(e) = touch(f, o.has('c')) {
            userland::warn(&format!("cannot touch '{f}'"), &e);
            status = 1;
        }
    }
    std::process::exit(status);
}

fn touch(path: &str, no_create: bool) -> std::io::Result<()> {
    if std::fs::metadata(path).is_err() {
        if no_create {
            return Ok(());
        }
        std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        return Ok(());
    }
    let c = CString::new(path)?;
    // SAFETY: a NULL times pointer means "now" for both times.
    if unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), std::ptr::null(), 0) } != 0 {
        return Err(userland::last_err());
    }
    Ok(())
}
