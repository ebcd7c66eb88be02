//! Builds the FAT32 root image from the userland outputs. Filled by issue 7.
