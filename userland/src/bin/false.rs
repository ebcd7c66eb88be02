//! false: do nothing, unsuccessfully.
fn main() {
    userland::default_sigpipe();
    std::process::exit(1);
}
