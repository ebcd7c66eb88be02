//! The shell and tools, built as static Rust std binaries. Filled by issue 7.
