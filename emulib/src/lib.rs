//! The emulation library: mapped at a fixed address in every UNIX process,
//! it receives the system calls the kernel bounces back (the trampoline) and
//! answers them locally or by RPC to the UNIX server. Filled by issue 5.
#![no_std]
