//! false: do nothing, unsuccessfully.
fn main() {
    std::process::exit(1);
}
