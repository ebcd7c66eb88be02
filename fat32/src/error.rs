//! Error values of the file system; each maps to one errno so the UNIX
//! server can hand them to user programs unchanged.

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
    InvalidName,
    /// An argument makes no sense (e.g. moving a directory into itself).
    InvalidArgument,
    /// The block device failed.
    Io,
    /// The on-disk structures are inconsistent or out of range.
    Corrupt,
    /// The volume is not FAT32 (e.g. FAT12/16) or uses an unsupported layout.
    Unsupported,
    /// The volume was mounted read-only.
    ReadOnly,
    /// The file would exceed FAT's 4 GiB - 1 size limit.
    FileTooLarge,
}

/// Shorthand used throughout the crate.
pub type Result<T> = core::result::Result<T, Error>;

impl Error {
    /// The matching Linux/POSIX errno value (positive).
    pub fn errno(self) -> i32 {
        match self {
            Error::NotFound => 2,         // ENOENT
            Error::Io => 5,               // EIO
            Error::Exists => 17,          // EEXIST
            Error::NotDir => 20,          // ENOTDIR
            Error::IsDir => 21,           // EISDIR
            Error::InvalidName => 22,     // EINVAL
            Error::InvalidArgument => 22, // EINVAL
            Error::FileTooLarge => 27,    // EFBIG
            Error::NoSpace => 28,         // ENOSPC
            Error::ReadOnly => 30,        // EROFS
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
