//! mv: rename files (rename(2)); across file systems it copies then
//! removes, using cp -r and rm -r semantics.
use std::fs;
use std::path::Path;

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("f", "", "[-f] src... dest");
    if o.args.len() < 2 {
        userland::usage("[-f] src... dest");
    }
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
        if let Err(e) = fs::rename(sp, &target) {
            if e.raw_os_error() == Some(libc::EXDEV) && move_across(sp, &target).is_ok() {
                continue;
            }
            userland::warn(&format!("cannot move '{}' to '{}'", s, target.display()), &e);
            status = 1;
        }
    }
    std::process::exit(status);
}

/// Copy then delete, for a rename across file systems.
fn move_across(src: &Path, dst: &Path) -> std::io::Result<()> {
    let m = fs::symlink_metadata(src)?;
    if m.is_dir() {
        fs::create_dir(dst)?;
        for e in fs::read_dir(src)?.flatten() {
            move_across(&e.path(), &dst.join(e.file_name()))?;
        }
        fs::remove_dir(src)
    } else {
        fs::write(dst, fs::read(src)?)?;
        fs::set_permissions(dst, m.permissions())?;
        fs::remove_file(src)
    }
}
