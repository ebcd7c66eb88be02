//! The UNIX server: processes, files, pipes, signals and ttys, served to
//! emulib over Mach IPC. Filled by issue 5.
#![no_std]
