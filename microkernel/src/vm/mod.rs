//! Machine-independent virtual memory: address maps and the resident page
//! pool. The pmap (arch) holds the hardware translations.

pub mod map;
pub mod resident;
