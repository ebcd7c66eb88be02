//! mkdir: make directories; -p makes parents and accepts existing ones.
use std::fs;

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("p", "", "[-p] dir...");
    if o.args.is_empty() {
        userland::usage("[-p] dir...");
    }
    let mut status = 0;
    for d in &o.args {
        let r = if o.has('p') { fs::create_dir_all(d) } else { fs::create_dir(d) };
        if let Err(e) = r {
            userland::warn(&format!("cannot create directory '{d}'"), &e);
            status = 1;
        }
    }
    std::process::exit(status);
}
