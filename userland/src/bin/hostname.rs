//! hostname: print the node name (uname), or set it (sethostname).
fn main() {
    userland::default_sigpipe();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {
            // SAFETY: uname fills a struct we own.
            unsafe {
                let mut u: libc::utsname = std::mem::zeroed();
                if libc::uname(&mut u) != 0 {
                    userland::die(&userland::strerror(&userland::last_err()));
                }
                println!("{}", std::ffi::CStr::from_ptr(u.nodename.as_ptr()).to_string_lossy());
            }
        }
        [name] if !name.starts_with('-') => {
            // SAFETY: sethostname with a live buffer and its length.
            if unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) } != 0 {
                userland::die(&format!("sethostname: {}", userland::strerror(&userland::last_err())));
            }
        }
        _ => userland::usage("[name]"),
    }
}
