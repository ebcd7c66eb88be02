//! sync: flush file system buffers.
fn main() {
    // SAFETY: sync takes no arguments and cannot fail.
    unsafe { libc::sync() };
}
