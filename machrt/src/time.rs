//! Time stamps. Under QEMU's `-icount shift=0` the TSC advances by one per
//! guest instruction, so a difference of rdtsc values is an exact count.

pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc is unprivileged and has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}
