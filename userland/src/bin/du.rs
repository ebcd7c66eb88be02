//! du: disk usage in 1K blocks (st_blocks), per directory; -s only the
//! totals, -a files too.
use std::os::unix::fs::MetadataExt;

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("sak", "", "[-sa] [path...]");
    let paths = if o.args.is_empty() { vec![".".to_string()] } else { o.args.clone() };
    let mut status = 0;
    for p in &paths {
        let total = walk(p, 0, o.has('s'), o.has('a'), &mut status);
        userland::say!("{total}\t{p}");
    }
    std::process::exit(status);
}

/// Size of `path` in KiB; prints subdirectories (and files with -a).
fn walk(path: &str, depth: usize, summary: bool, all: bool, status: &mut i32) -> u64 {
    let m = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => {
            userland::warn(path, &e);
            *status = 1;
            return 0;
        }
    };
    let mut kb = m.blocks() / 2;
    if !m.is_dir() {
        if all && !summary && depth > 0 {
            userland::say!("{kb}\t{path}");
        }
        return kb;
    }
    let mut names: Vec<String> = match std::fs::read_dir(path) {
        Ok(rd) => rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(e) => {
            userland::warn(path, &e);
            *status = 1;
            Vec::new()
        }
    };
    names.sort();
    for n in names {
        let child = format!("{}/{}", path.trim_end_matches('/'), n);
        kb += walk(&child, depth + 1, summary, all, status);
    }
    if !summary && depth > 0 {
        userland::say!("{kb}\t{path}");
    }
    kb
}
