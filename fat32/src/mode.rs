//! File attributes and their mapping to UNIX modes, including the
//! execute-bit convention shared with the `rootfs` image builder.
//!
//! **Execute bit**: a regular file is executable (mode 0755) exactly when its
//! FAT `SYSTEM` attribute is set. The attribute byte is copied by every FAT
//! implementation (Linux vfat, mtools, Windows, the `fatfs` crate), unlike
//! the reserved NT byte which drivers rebuild, so the bit survives copies
//! and rewrites. `SYSTEM` on a directory has no meaning here (directories
//! are always 0755). `READ_ONLY` clears the write bits.

/// FAT attribute bits.
pub const ATTR_READ_ONLY: u8 = 0x01;
pub const ATTR_HIDDEN: u8 = 0x02;
pub const ATTR_SYSTEM: u8 = 0x04;
pub const ATTR_VOLUME_ID: u8 = 0x08;
pub const ATTR_DIRECTORY: u8 = 0x10;
pub const ATTR_ARCHIVE: u8 = 0x20;
/// The combination that marks a long-name entry.
pub const ATTR_LFN: u8 = 0x0F;

/// The attribute that carries the UNIX execute bit on regular files.
pub const EXEC_ATTR: u8 = ATTR_SYSTEM;

/// UNIX file-type bits.
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;

/// The UNIX mode (type and permission bits) of an entry with `attr`.
pub fn mode_from_attr(attr: u8) -> u32 {
    let (kind, mut perm) = if attr & ATTR_DIRECTORY != 0 {
        (S_IFDIR, 0o755)
    } else if attr & EXEC_ATTR != 0 {
        (S_IFREG, 0o755)
    } else {
        (S_IFREG, 0o644)
    };
    if attr & ATTR_READ_ONLY != 0 {
        perm &= !0o222;
    }
    kind | perm
}

/// The attributes that represent permission bits `mode` (no owner write bit ->
/// read-only; any execute bit -> executable), preserving `old`'s other bits.
pub fn attr_from_mode(old: u8, mode: u32) -> u8 {
    let mut attr = old & !(ATTR_READ_ONLY | EXEC_ATTR);
    if mode & 0o200 == 0 {
        attr |= ATTR_READ_ONLY;
    }
    if old & ATTR_DIRECTORY == 0 && is_exec_mode(mode) {
        attr |= EXEC_ATTR;
    }
    attr
}

/// Whether a mode asks for an executable file (any execute bit set).
pub fn is_exec_mode(mode: u32) -> bool {
    mode & 0o111 != 0
}
