//! uname: print system information (-s -n -r -v -m -a).
use std::ffi::CStr;

fn main() {
    userland::default_sigpipe();
    let o = userland::parse_or_usage("snrvma", "", "[-snrvma]");
    // SAFETY: uname fills the utsname struct we own.
    let u = unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            userland::warn("uname", &userland::last_err());
            std::process::exit(1);
        }
        u
    };
    let field = |f: &[libc::c_char]| unsafe { CStr::from_ptr(f.as_ptr()) }.to_string_lossy().into_owned();
    let all = o.has('a');
    let mut parts = Vec::new();
    let want = [('s', &u.sysname[..]), ('n', &u.nodename[..]), ('r', &u.release[..]), ('v', &u.version[..]), ('m', &u.machine[..])];
    for (c, f) in want {
        if all || o.has(c) {
            parts.push(field(f));
        }
    }
    if parts.is_empty() {
        parts.push(field(&u.sysname));
    }
    userland::say!("{}", parts.join(" "));
}
