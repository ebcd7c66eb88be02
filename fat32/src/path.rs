//! Path helpers: splitting `/`-separated paths. `.` is dropped here; `..`
//! is kept and resolved by the file system against real directories
//! (FAT has no symbolic links, so this is the whole story).

use crate::error::{Error, Result};

/// The components of `path`, without empty parts and `.`.
pub fn components(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty() && *c != ".")
}

/// Splits a path into (parent path, final name). The final name must be a
/// real name, not `.` or `..`, and trailing slashes are ignored.
pub fn split_last(path: &str) -> Result<(&str, &str)> {
    let trimmed = path.trim_end_matches('/');
    let (parent, last) = match trimmed.rfind('/') {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => ("", trimmed),
    };
    if last.is_empty() || last == "." || last == ".." {
        return Err(Error::InvalidName);
    }
    Ok((parent, last))
}
