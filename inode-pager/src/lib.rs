//! The inode pager: the external memory manager that backs file memory
//! objects from the disk. Filled by issue 6.
#![no_std]
