//! Plain-old-data views of message structures, so that the kernel, the
//! runtime and servers read and write messages through the `repr(C)`
//! structs in this crate instead of hand-computed byte offsets.

/// # Safety
/// Implement only for `repr(C)` types made of integers (and arrays or
/// structs of them) with no padding: every byte pattern is a valid value.
pub unsafe trait Pod: Copy + 'static {}

unsafe impl Pod for u8 {}
unsafe impl Pod for u32 {}
unsafe impl Pod for i32 {}
unsafe impl Pod for u64 {}

/// The bytes of `t`.
pub fn as_bytes<T: Pod>(t: &T) -> &[u8] {
    // SAFETY: T is Pod (no padding), so all size_of::<T>() bytes are initialised.
    unsafe { core::slice::from_raw_parts(t as *const T as *const u8, core::mem::size_of::<T>()) }
}

/// The bytes of `t`, writable.
pub fn as_bytes_mut<T: Pod>(t: &mut T) -> &mut [u8] {
    // SAFETY: T is Pod, so any bytes written make a valid T.
    unsafe { core::slice::from_raw_parts_mut(t as *mut T as *mut u8, core::mem::size_of::<T>()) }
}

/// A `T` read from `b` at `off`, if it fits.
pub fn read<T: Pod>(b: &[u8], off: usize) -> Option<T> {
    let end = off.checked_add(core::mem::size_of::<T>())?;
    let src = b.get(off..end)?;
    // SAFETY: src has size_of::<T>() bytes and every pattern is a valid T.
    Some(unsafe { core::ptr::read_unaligned(src.as_ptr() as *const T) })
}

/// Writes `t` into `b` at `off`; false if it does not fit.
pub fn write<T: Pod>(b: &mut [u8], off: usize, t: &T) -> bool {
    let n = core::mem::size_of::<T>();
    match off.checked_add(n).and_then(|end| b.get_mut(off..end)) {
        Some(dst) => {
            dst.copy_from_slice(as_bytes(t));
            true
        }
        None => false,
    }
}
