//! Creating a fresh FAT32 volume (mkfs), so the server and tests can make
//! scratch file systems without other tools.

use crate::bpb::{put16, put32, FsInfo};
use crate::device::{BlockDevice, SectorDev};
use crate::error::{Error, Result};
use alloc::vec;

/// FAT32 is defined by its cluster count: fewer than this is FAT16.
pub const MIN_CLUSTERS: u64 = 65_525;
const RESERVED_SECTORS: u32 = 32;
const NUM_FATS: u32 = 2;
const BACKUP_BOOT: u32 = 6;

/// Choices for `format`.
#[derive(Clone, Copy, Debug)]
pub struct FormatOptions {
    pub volume_id: u32,
    /// Space padded, upper case by convention.
    pub volume_label: [u8; 11],
    /// None: the largest of 4096..512 that keeps FAT32's cluster minimum.
    pub bytes_per_cluster: Option<u32>,
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions { volume_id: 0x2026_0101, volume_label: *b"NO NAME    ", bytes_per_cluster: None }
    }
}

/// Sizes of the layout: (sectors per cluster, sectors per FAT, clusters).
fn layout(total: u64, bps: u64, cluster: u64) -> (u64, u64, u64) {
    let spc = cluster / bps;
    let mut fat = 1;
    loop {
        let data = total.saturating_sub(RESERVED_SECTORS as u64 + NUM_FATS as u64 * fat);
        let clusters = data / spc;
        let need = ((clusters + 2) * 4).div_ceil(bps);
        if need <= fat {
            return (spc, fat, clusters);
        }
        fat = need;
    }
}

/// Writes an empty FAT32 file system over the whole device.
pub fn format<D: BlockDevice>(dev: D, opts: &FormatOptions) -> Result<D> {
    let bps = dev.block_size().max(512);
    if !matches!(bps, 512 | 1024 | 2048 | 4096) {
        return Err(Error::Unsupported);
    }
    let total = (dev.num_blocks() * dev.block_size() as u64 / bps as u64).min(u32::MAX as u64);
    let candidates: &[u32] = match &opts.bytes_per_cluster {
        Some(c) => core::slice::from_ref(c),
        None => &[4096, 2048, 1024, 512],
    };
    let mut chosen = None;
    for &c in candidates {
        let c = c as u64;
        if !c.is_power_of_two() || c < bps as u64 || c > 32768 {
            return Err(Error::InvalidArgument);
        }
        if total < RESERVED_SECTORS as u64 + 64 {
            break;
        }
        let (spc, fat, clusters) = layout(total, bps as u64, c);
        if (MIN_CLUSTERS..=0x0FFF_FFF5).contains(&clusters) {
            chosen = Some((spc, fat, clusters));
            break;
        }
    }
    let (spc, fat, clusters) = chosen.ok_or(Error::NoSpace)?; // too small for FAT32
    let mut dev = SectorDev::new(dev, bps)?;
    let zero = vec![0u8; bps];
    for s in 0..RESERVED_SECTORS as u64 + NUM_FATS as u64 * fat + spc {
        dev.write(s, &zero)?;
    }
    let boot = boot_sector(bps, spc as u32, fat as u32, total as u32, opts);
    dev.write(0, &boot)?;
    dev.write(BACKUP_BOOT as u64, &boot)?;
    let mut info = vec![0u8; bps];
    FsInfo { free_count: Some(clusters as u32 - 1), next_free: Some(3) }.store(&mut info);
    dev.write(1, &info)?;
    dev.write(BACKUP_BOOT as u64 + 1, &info)?;
    // FAT[0] = media, FAT[1] = clean + no error, FAT[2] = the root directory.
    let mut first = vec![0u8; bps];
    put32(&mut first, 0, 0x0FFF_FFF8);
    put32(&mut first, 4, 0x0FFF_FFFF);
    put32(&mut first, 8, 0x0FFF_FFFF);
    for i in 0..NUM_FATS as u64 {
        dev.write(RESERVED_SECTORS as u64 + i * fat, &first)?;
    }
    dev.dev.flush()?;
    Ok(dev.dev)
}

fn boot_sector(bps: usize, spc: u32, fat: u32, total: u32, opts: &FormatOptions) -> alloc::vec::Vec<u8> {
    let mut b = vec![0u8; bps];
    b[..3].copy_from_slice(&[0xEB, 0x58, 0x90]);
    b[3..11].copy_from_slice(b"MACHFAT ");
    put16(&mut b, 11, bps as u16);
    b[13] = spc as u8;
    put16(&mut b, 14, RESERVED_SECTORS as u16);
    b[16] = NUM_FATS as u8;
    b[21] = 0xF8; // fixed disk
    put16(&mut b, 24, 32); // sectors per track (geometry is nominal)
    put16(&mut b, 26, 64); // heads
    put32(&mut b, 32, total);
    put32(&mut b, 36, fat);
    put32(&mut b, 44, 2); // root cluster
    put16(&mut b, 48, 1); // FSInfo sector
    put16(&mut b, 50, BACKUP_BOOT as u16);
    b[64] = 0x80;
    b[66] = 0x29;
    put32(&mut b, 67, opts.volume_id);
    b[71..82].copy_from_slice(&opts.volume_label);
    b[82..90].copy_from_slice(b"FAT32   ");
    b[510] = 0x55;
    b[511] = 0xAA;
    b
}
