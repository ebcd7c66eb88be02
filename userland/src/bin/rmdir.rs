//! rmdir: remove empty directories.
fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("", "", "dir...");
    if o.args.is_empty() {
        userland::usage("dir...");
    }
    let mut status = 0;
    for d in &o.args {
        if let Err(e) = std::fs::remove_dir(d) {
            userland::warn(&format!("failed to remove '{d}'"), &e);
            status = 1;
        }
    }
    std::process::exit(status);
}
