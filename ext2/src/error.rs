//! Error values; each maps to one errno so the UNIX server can hand them
//! to user programs unchanged.

use core::fmt;

/// Everything that can go wrong. Bad images and bad arguments give one of
/// these, never a panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    NotFound,
    NotDir,
    IsDir,
    Exists,
    NotEmpty,
    NoSpace,
    NameTooLong,
    /// An empty name, one with '/' or NUL, or "." / ".." where not allowed.
    InvalidName,
    /// An argument makes no sense (e.g. moving a directory into itself).
    InvalidArgument,
    /// The block device failed.
    Io,
    /// The on-disk structures are inconsistent or out of range.
    Corrupt,
    /// A feature flag or layout this crate does not implement.
    Unsupported,
    /// Mounted read-only (by request, or because of a read-only-compatible
    /// feature this crate does not maintain).
    ReadOnly,
    /// Beyond the largest file the block map (or i_blocks) can describe.
    FileTooLarge,
    /// links_count would pass EXT2_LINK_MAX.
    TooManyLinks,
    /// The operation needs a symlink / a device node / ... and the inode is not one.
    WrongType,
    /// A memory allocation failed.
    NoMemory,
    /// Not allowed whatever the permissions (a hard link to a directory).
    NotPermitted,
}

/// Shorthand used throughout the crate.
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// The matching Linux errno value (positive).
    pub fn errno(self) -> i32 {
        match self {
            Error::NotFound => 2,         // ENOENT
            Error::NotPermitted => 1,     // EPERM
            Error::Io => 5,               // EIO
            Error::NoMemory => 12,        // ENOMEM
            Error::Exists => 17,          // EEXIST
            Error::NotDir => 20,          // ENOTDIR
            Error::IsDir => 21,           // EISDIR
            Error::InvalidName => 22,     // EINVAL
            Error::InvalidArgument => 22, // EINVAL
            Error::WrongType => 22,       // EINVAL (readlink of a non-symlink)
            Error::FileTooLarge => 27,    // EFBIG
            Error::NoSpace => 28,         // ENOSPC
            Error::ReadOnly => 30,        // EROFS
            Error::TooManyLinks => 31,    // EMLINK
            Error::NameTooLong => 36,     // ENAMETOOLONG
            Error::NotEmpty => 39,        // ENOTEMPTY
            Error::Unsupported => 95,     // EOPNOTSUPP
            Error::Corrupt => 117,        // EUCLEAN
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl core::error::Error for Error {}

/// A failed device request is an I/O error of the file system.
impl From<blockdev::IoError> for Error {
    fn from(_: blockdev::IoError) -> Self {
        Error::Io
    }
}
