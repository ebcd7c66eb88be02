//! Machine-dependent code, one folder per architecture.

pub mod x86_64;
pub use self::x86_64::*;
