//! The emulation vector of a task: which system call numbers the kernel
//! bounces back to user mode (the trampoline, arch/x86_64/syscall.rs), and
//! where. UNIX processes point it at their emulation library.

use mach::kern_return::*;
use mach::vm::VM_MAX_ADDRESS;

/// Most system call numbers one vector may cover.
pub const EMULATION_MAX_CALLS: u64 = 1 << 16;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmulationVector {
    pub entry: u64,
    pub first: u64,
    /// Zero: no vector, every system call goes to the kernel.
    pub count: u64,
}

impl EmulationVector {
    pub const NONE: EmulationVector = EmulationVector { entry: 0, first: 0, count: 0 };

    /// The vector for calls [first, last] entering at `entry`; entry 0
    /// clears it. Mach trap numbers are negative and can never be covered.
    pub fn new(entry: u64, first: u64, last: u64) -> Result<EmulationVector, KernReturn> {
        if entry == 0 {
            return Ok(Self::NONE);
        }
        if entry >= VM_MAX_ADDRESS || first > last || (last as i64) < 0 || last - first >= EMULATION_MAX_CALLS {
            return Err(KERN_INVALID_ARGUMENT);
        }
        Ok(EmulationVector { entry, first, count: last - first + 1 })
    }

    /// Whether system call number `n` (rax as the program left it) bounces.
    pub fn covers(&self, n: u64) -> bool {
        n.wrapping_sub(self.first) < self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_exactly_the_range_and_never_mach_traps() {
        let v = EmulationVector::new(0x7000_0000, 0, 511).unwrap();
        assert!(v.covers(0) && v.covers(39) && v.covers(511));
        assert!(!v.covers(512));
        assert!(!v.covers(-25i64 as u64), "mach_msg_trap stays in the kernel");
        let w = EmulationVector::new(0x7000_0000, 100, 100).unwrap();
        assert!(w.covers(100) && !w.covers(99) && !w.covers(101));
        assert!(!EmulationVector::NONE.covers(0));
    }

    #[test]
    fn bad_vectors_are_refused() {
        assert_eq!(EmulationVector::new(0, 5, 1), Ok(EmulationVector::NONE));
        assert_eq!(EmulationVector::new(0x1000, 5, 1), Err(KERN_INVALID_ARGUMENT));
        assert_eq!(EmulationVector::new(0xffff_8000_0000_0000, 0, 1), Err(KERN_INVALID_ARGUMENT));
        assert_eq!(EmulationVector::new(0x1000, 0, u64::MAX), Err(KERN_INVALID_ARGUMENT));
        assert_eq!(EmulationVector::new(0x1000, 0, 1 << 20), Err(KERN_INVALID_ARGUMENT));
    }
}
