//! File names: validation, long-name (UTF-16) encoding, 8.3 short names
//! with `~N` tails and the NT lower-case flags, and FAT's case-insensitive
//! comparison.

use crate::error::{Error, Result};
use alloc::string::String;
use alloc::vec::Vec;

/// Longest long name in UTF-16 units.
pub const MAX_NAME: usize = 255;
/// NT reserved byte (entry offset 12): base name is stored lower case.
pub const NT_LOWER_BASE: u8 = 0x08;
/// NT reserved byte: extension is stored lower case.
pub const NT_LOWER_EXT: u8 = 0x10;

/// An 8.3 name as stored: 8 bytes base, 3 bytes extension, space padded.
pub type ShortName = [u8; 11];

/// Checks a name given by a user: non-empty, not `.`/`..`, no characters
/// FAT forbids, at most 255 UTF-16 units. Trailing dots and spaces are
/// rejected because other FAT drivers silently strip them.
pub fn validate(name: &str) -> Result<()> {
    if name.is_empty() || name == "." || name == ".." {
        return Err(Error::InvalidName);
    }
    if name.encode_utf16().count() > MAX_NAME {
        return Err(Error::NameTooLong);
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Err(Error::InvalidName);
    }
    let bad = |c: char| (c as u32) < 0x20 || "\"*/:<>?\\|\u{7f}".contains(c);
    if name.chars().any(bad) {
        return Err(Error::InvalidName);
    }
    Ok(())
}

/// The key FAT compares names by: upper case (simple Unicode mapping).
pub fn fold(name: &str) -> String {
    name.chars().flat_map(char::to_uppercase).collect()
}

/// Case-insensitive equality as FAT defines it.
pub fn eq_fold(a: &str, b: &str) -> bool {
    a.chars().flat_map(char::to_uppercase).eq(b.chars().flat_map(char::to_uppercase))
}

/// The checksum of a short name that every LFN entry of it carries.
pub fn checksum(short: &ShortName) -> u8 {
    short.iter().fold(0u8, |sum, &b| sum.rotate_right(1).wrapping_add(b))
}

/// The displayed form of a stored short name, honouring the NT case flags.
pub fn short_to_string(short: &ShortName, nt: u8) -> String {
    let mut s = String::new();
    let push = |s: &mut String, bytes: &[u8], lower: bool| {
        for (i, &b) in bytes.iter().enumerate() {
            // 0x05 stands for a real 0xE5 first byte (0xE5 marks deletion).
            let b = if i == 0 && b == 0x05 { 0xE5 } else { b };
            let c = b as char; // bytes >= 0x80 shown as Latin-1: lossless and stable
            s.push(if lower { c.to_ascii_lowercase() } else { c });
        }
    };
    let base = trim_spaces(&short[..8]);
    let ext = trim_spaces(&short[8..]);
    push(&mut s, base, nt & NT_LOWER_BASE != 0);
    if !ext.is_empty() {
        s.push('.');
        push(&mut s, ext, nt & NT_LOWER_EXT != 0);
    }
    s
}

fn trim_spaces(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&c| c != b' ').map_or(0, |i| i + 1);
    &b[..end]
}

/// Characters allowed in a short name besides A-Z and 0-9.
fn short_char_ok(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || "$%'-_@~`!(){}^#&".contains(c)
}

/// Case of a name part: Some(true) all lower, Some(false) all upper (or no
/// letters), None mixed.
fn part_case(s: &str) -> Option<bool> {
    let lower = s.chars().any(|c| c.is_ascii_lowercase());
    let upper = s.chars().any(|c| c.is_ascii_uppercase());
    match (lower, upper) {
        (true, true) => None,
        (l, _) => Some(l),
    }
}

/// If `name` can be stored as a short entry alone (fits 8.3, only valid
/// characters, each part in one case), returns the short name and the NT
/// case flags. Otherwise a long name is needed.
pub fn exact_short(name: &str) -> Option<(ShortName, u8)> {
    let (base, ext) = match name.rfind('.') {
        Some(0) => return None,
        Some(i) => (&name[..i], &name[i + 1..]),
        None => (name, ""),
    };
    if base.is_empty() || base.len() > 8 || ext.len() > 3 || ext.contains('.') {
        return None;
    }
    let ok = |s: &str| s.chars().all(|c| short_char_ok(c.to_ascii_uppercase()) && c.is_ascii());
    if !ok(base) || !ok(ext) {
        return None;
    }
    let mut nt = 0;
    if part_case(base)? {
        nt |= NT_LOWER_BASE;
    }
    if part_case(ext)? {
        nt |= NT_LOWER_EXT;
    }
    let mut short = [b' '; 11];
    for (i, c) in base.bytes().enumerate() {
        short[i] = c.to_ascii_uppercase();
    }
    for (i, c) in ext.bytes().enumerate() {
        short[8 + i] = c.to_ascii_uppercase();
    }
    Some((short, nt))
}

/// Maps a long name to short-name characters: upper case, invalid ones to
/// `_`, spaces and dots dropped.
fn shorten(part: &str) -> Vec<u8> {
    part.chars()
        .filter(|&c| c != ' ' && c != '.')
        .map(|c| {
            let u = c.to_ascii_uppercase();
            if u.is_ascii() && short_char_ok(u) {
                u as u8
            } else {
                b'_'
            }
        })
        .collect()
}

/// What a long name's `~N` aliases are made of: the first six short-name
/// characters of its base (a tail takes at least two of the eight) and
/// its extension, space padded. Names with equal stems compete for the
/// same aliases.
pub type Stem = [u8; 9];

pub fn alias_stem(name: &str) -> Stem {
    let trimmed = name.trim_start_matches('.');
    let (base, ext) = match trimmed.rfind('.') {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => (trimmed, ""),
    };
    let mut base = shorten(base);
    if base.is_empty() {
        base.push(b'_');
    }
    let mut stem = [b' '; 9];
    for (i, &c) in base.iter().take(6).enumerate() {
        stem[i] = c;
    }
    for (i, &c) in shorten(ext).iter().take(3).enumerate() {
        stem[6 + i] = c;
    }
    stem
}

/// The alias `BASE~N.EXT` of a stem (N below 1,000,000).
pub fn with_tail(stem: &Stem, n: u32) -> ShortName {
    let base = trim_spaces(&stem[..6]);
    let tail = alloc::format!("~{}", n);
    let keep = base.len().min(8 - tail.len());
    let mut short = [b' '; 11];
    short[..keep].copy_from_slice(&base[..keep]);
    short[keep..keep + tail.len()].copy_from_slice(tail.as_bytes());
    short[8..].copy_from_slice(&stem[6..]);
    short
}

/// The N if `short` is the alias `~N` of `stem`.
pub fn tail_of(stem: &Stem, short: &ShortName) -> Option<u32> {
    let tilde = short[..8].iter().rposition(|&c| c == b'~')?;
    let digits = trim_spaces(&short[tilde + 1..8]);
    if digits.is_empty() || digits.len() > 6 || !digits.iter().all(u8::is_ascii_digit) || digits[0] == b'0' {
        return None;
    }
    let n = digits.iter().fold(0u32, |n, &d| n * 10 + (d - b'0') as u32);
    (with_tail(stem, n) == *short).then_some(n)
}

const MAX_TAIL: u32 = 1_000_000;

/// Generates the short alias `BASE~N.EXT` for a long name, choosing the
/// smallest N not in use (`taken` tells whether a short name exists).
pub fn generate_short(name: &str, taken: impl Fn(&ShortName) -> bool) -> Result<ShortName> {
    Ok(generate_short_from(name, 1, taken)?.0)
}

/// Like `generate_short`, but tries N from `first` up (then wraps round
/// to 1): a caller that knows every N below `first` is taken skips them.
/// Returns the alias and its N.
pub fn generate_short_from(name: &str, first: u32, taken: impl Fn(&ShortName) -> bool) -> Result<(ShortName, u32)> {
    let stem = alias_stem(name);
    let first = first.clamp(1, MAX_TAIL - 1);
    for n in (first..MAX_TAIL).chain(1..first) {
        let short = with_tail(&stem, n);
        if !taken(&short) {
            return Ok((short, n));
        }
    }
    Err(Error::Exists)
}

/// A long name as UTF-16 units (non-BMP characters become surrogate pairs).
pub fn to_utf16(name: &str) -> Vec<u16> {
    name.encode_utf16().collect()
}

/// Decodes a stored long name; unpaired surrogates become U+FFFD.
pub fn from_utf16(units: &[u16]) -> String {
    char::decode_utf16(units.iter().copied())
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}
