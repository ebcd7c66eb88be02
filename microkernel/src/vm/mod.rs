//! Machine-independent virtual memory (Rashid et al.): address maps of
//! entries pointing at VM objects, objects holding resident pages and
//! shadowing one another for copy-on-write, the fault handler that makes
//! pages resident, and the operations on maps. The pmap (arch) holds the
//! hardware translations, a cache that faults can always rebuild.

pub mod copy;
pub mod default_pager;
pub mod fault;
pub mod fork;
pub mod map;
pub mod object;
pub mod oom;
pub mod page;
pub mod pageout;
pub mod pager;
pub mod pmap;
pub mod resident;
pub mod user;
