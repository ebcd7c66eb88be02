//! ln: make hard links, or symbolic links with -s. Where the file
//! system cannot link, the errno text says so (e.g. "Operation not
//! permitted").
use std::path::Path;

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("sf", "", "[-sf] target [link] | target... dir");
    let a = &o.args;
    if a.is_empty() {
        userland::usage("[-sf] target [link] | target... dir");
    }
    let mut pairs = Vec::new();
    let last = Path::new(&a[a.len() - 1]);
    if a.len() == 1 || (a.len() >= 2 && last.is_dir()) {
        let dir = if a.len() == 1 { Path::new(".") } else { last };
        let n = if a.len() == 1 { 1 } else { a.len() - 1 };
        for t in &a[..n] {
            let base = Path::new(t).file_name().map(|b| b.to_owned()).unwrap_or_default();
            pairs.push((t.clone(), dir.join(base)));
        }
    } else if a.len() == 2 {
        pairs.push((a[0].clone(), last.to_path_buf()));
    } else {
        userland::usage("[-sf] target [link] | target... dir");
    }
    let mut status = 0;
    for (target, link) in pairs {
        if o.has('f') {
            let _ = std::fs::remove_file(&link);
        }
        let r = if o.has('s') { std::os::unix::fs::symlink(&target, &link) } else { std::fs::hard_link(&target, &link) };
        if let Err(e) = r {
            userland::warn(&format!("cannot link '{}' to '{}'", link.display(), target), &e);
            status = 1;
        }
    }
    std::process::exit(status);
}
