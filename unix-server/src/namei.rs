//! Path name lookup, the lexical part: a path given by a process, with
//! its current directory (or the directory of a `*at` descriptor), becomes
//! one absolute, normalized path. The root file system (FAT) has no
//! symbolic links, so `..` can be resolved on the names alone; the file
//! system then walks the components.

use alloc::string::String;
use alloc::vec::Vec;
use linux_abi::Errno;

/// Linux's PATH_MAX, NUL included.
pub const PATH_MAX: usize = 4096;
/// Longest single component (NAME_MAX).
pub const NAME_MAX: usize = 255;

/// A normalized absolute path and whether the caller's spelling ended in
/// `/` (then the object must be a directory).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namei {
    pub path: String,
    pub trailing_slash: bool,
}

impl Namei {
    /// The components, in order.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.path.split('/').filter(|c| !c.is_empty())
    }

    /// (parent path, last name); the root has none (EBUSY/EEXIST to callers).
    pub fn split(&self) -> Option<(&str, &str)> {
        let i = self.path.rfind('/')?;
        let name = &self.path[i + 1..];
        if name.is_empty() {
            return None;
        }
        Some((if i == 0 { "/" } else { &self.path[..i] }, name))
    }
}

/// Resolves `path` against `base` (an absolute directory path).
pub fn namei(base: &str, path: &[u8]) -> Result<Namei, Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let path = core::str::from_utf8(path).map_err(|_| Errno::EINVAL)?;
    let mut parts: Vec<&str> = Vec::new();
    let start = if path.starts_with('/') { "" } else { base };
    for c in start.split('/').chain(path.split('/')) {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c if c.len() > NAME_MAX => return Err(Errno::ENAMETOOLONG),
            c => parts.push(c),
        }
    }
    let mut out = String::with_capacity(path.len() + base.len() + 1);
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    let last = path.rsplit('/').find(|c| !c.is_empty());
    let trailing_slash = path.ends_with('/') || matches!(last, Some(".") | Some(".."));
    Ok(Namei { path: out, trailing_slash })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(base: &str, p: &str) -> String {
        namei(base, p.as_bytes()).unwrap().path
    }

    #[test]
    fn normalizes() {
        assert_eq!(n("/", "a/b"), "/a/b");
        assert_eq!(n("/x/y", "../z/./w/"), "/x/z/w");
        assert_eq!(n("/x", "/../.."), "/");
        assert_eq!(n("/x", "."), "/x");
        assert!(namei("/", b"d/").unwrap().trailing_slash);
        assert!(!namei("/", b"d").unwrap().trailing_slash);
    }

    #[test]
    fn errors() {
        assert_eq!(namei("/", b""), Err(Errno::ENOENT));
        let long = "a".repeat(256);
        assert_eq!(namei("/", long.as_bytes()), Err(Errno::ENAMETOOLONG));
        let huge = "a/".repeat(2100);
        assert_eq!(namei("/", huge.as_bytes()), Err(Errno::ENAMETOOLONG));
    }

    #[test]
    fn split() {
        let p = namei("/", b"/a/b").unwrap();
        assert_eq!(p.split(), Some(("/a", "b")));
        assert_eq!(namei("/", b"/a").unwrap().split(), Some(("/", "a")));
        assert_eq!(namei("/", b"/").unwrap().split(), None);
    }
}
