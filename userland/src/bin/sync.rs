//! sync: flush file system buffers.
fn main() {
    userland::default_sigpipe();
    // SAFETY: sync takes no arguments and cannot fail.
    unsafe { libc::sync() };
}
