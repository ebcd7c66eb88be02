//! The boot sector (BIOS parameter block) and the FSInfo sector.
//!
//! Everything read from disk is validated here, so the rest of the crate can
//! rely on sane geometry: cluster numbers in range, sizes non-zero, the FAT
//! big enough for every cluster.

use crate::error::{Error, Result};

pub(crate) fn le16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}
pub(crate) fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}
pub(crate) fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

/// The validated geometry of a FAT32 volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bpb {
    pub bytes_per_sector: u32,
    pub sectors_per_cluster: u32,
    pub reserved_sectors: u32,
    pub num_fats: u32,
    pub total_sectors: u32,
    /// Sectors per FAT copy.
    pub fat_size: u32,
    /// Bit 7 set: only FAT `active_fat` is used (no mirroring).
    pub ext_flags: u16,
    pub root_cluster: u32,
    pub fs_info_sector: u32,
    pub volume_id: u32,
    pub volume_label: [u8; 11],
    /// Number of data clusters (valid cluster numbers are 2..cluster_count+2).
    pub cluster_count: u32,
}

impl Bpb {
    /// Parses and validates sector 0. Bad images give `Corrupt` (or
    /// `Unsupported` for FAT12/16), never a panic.
    pub fn parse(sector: &[u8], device_sectors: u64) -> Result<Bpb> {
        if sector.len() < 512 || sector[510] != 0x55 || sector[511] != 0xAA {
            return Err(Error::Corrupt);
        }
        let bytes_per_sector = le16(sector, 11) as u32;
        if !matches!(bytes_per_sector, 512 | 1024 | 2048 | 4096) {
            return Err(Error::Corrupt);
        }
        let sectors_per_cluster = sector[13] as u32;
        if !sectors_per_cluster.is_power_of_two() || bytes_per_sector * sectors_per_cluster > 65536 {
            return Err(Error::Corrupt);
        }
        let reserved_sectors = le16(sector, 14) as u32;
        let num_fats = sector[16] as u32;
        if reserved_sectors == 0 || num_fats == 0 {
            return Err(Error::Corrupt);
        }
        // FAT12/16 have a fixed root directory and a 16-bit FAT size.
        if le16(sector, 17) != 0 || le16(sector, 22) != 0 {
            return Err(Error::Unsupported);
        }
        let total16 = le16(sector, 19) as u32;
        let total_sectors = if total16 != 0 { total16 } else { le32(sector, 32) };
        let fat_size = le32(sector, 36);
        let ext_flags = le16(sector, 40);
        if le16(sector, 42) != 0 {
            return Err(Error::Unsupported); // unknown FAT32 version
        }
        let root_cluster = le32(sector, 44);
        let fs_info_sector = le16(sector, 48) as u32;
        let mut volume_label = [0u8; 11];
        volume_label.copy_from_slice(&sector[71..82]);
        let volume_id = le32(sector, 67);

        let fat_sectors = (num_fats as u64) * (fat_size as u64);
        let data_start = reserved_sectors as u64 + fat_sectors;
        if fat_size == 0 || total_sectors as u64 <= data_start {
            return Err(Error::Corrupt);
        }
        // The device must hold what the BPB claims (device in FS sectors).
        if total_sectors as u64 > device_sectors {
            return Err(Error::Corrupt);
        }
        let clusters = (total_sectors as u64 - data_start) / sectors_per_cluster as u64;
        let fat_entries = fat_size as u64 * bytes_per_sector as u64 / 4;
        // Cluster numbers above 0x0FFFFFF6 are reserved markers.
        let cluster_count = clusters.min(fat_entries.saturating_sub(2)).min(0x0FFF_FFF5) as u32;
        if cluster_count == 0 {
            return Err(Error::Corrupt);
        }
        if root_cluster < 2 || root_cluster >= cluster_count + 2 {
            return Err(Error::Corrupt);
        }
        if (ext_flags & 0x80) != 0 && (ext_flags & 0x0F) as u32 >= num_fats {
            return Err(Error::Corrupt);
        }
        Ok(Bpb {
            bytes_per_sector,
            sectors_per_cluster,
            reserved_sectors,
            num_fats,
            total_sectors,
            fat_size,
            ext_flags,
            root_cluster,
            fs_info_sector,
            volume_id,
            volume_label,
            cluster_count,
        })
    }

    pub fn cluster_size(&self) -> u32 {
        self.bytes_per_sector * self.sectors_per_cluster
    }

    pub fn data_start(&self) -> u64 {
        self.reserved_sectors as u64 + self.num_fats as u64 * self.fat_size as u64
    }

    /// First sector of data cluster `c` (c >= 2).
    pub fn cluster_sector(&self, c: u32) -> u64 {
        self.data_start() + (c as u64 - 2) * self.sectors_per_cluster as u64
    }

    /// Whether `c` names a data cluster of this volume.
    pub fn valid_cluster(&self, c: u32) -> bool {
        c >= 2 && c < self.cluster_count + 2
    }

    /// Whether FSInfo is present at a usable place.
    pub fn has_fs_info(&self) -> bool {
        self.fs_info_sector != 0
            && self.fs_info_sector != 0xFFFF
            && self.fs_info_sector < self.reserved_sectors
    }
}

/// The FSInfo hints: both may be unknown (0xFFFFFFFF on disk).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FsInfo {
    pub free_count: Option<u32>,
    pub next_free: Option<u32>,
}

const LEAD_SIG: u32 = 0x4161_5252;
const STRUCT_SIG: u32 = 0x6141_7272;
const TRAIL_SIG: u32 = 0xAA55_0000;

impl FsInfo {
    /// Parses FSInfo; a sector with bad signatures yields "unknown" hints
    /// rather than an error, since the hints are only an optimisation.
    pub fn parse(sector: &[u8], bpb: &Bpb) -> FsInfo {
        if le32(sector, 0) != LEAD_SIG || le32(sector, 484) != STRUCT_SIG || le32(sector, 508) != TRAIL_SIG
        {
            return FsInfo::default();
        }
        let free = le32(sector, 488);
        let next = le32(sector, 492);
        FsInfo {
            free_count: (free <= bpb.cluster_count).then_some(free),
            next_free: bpb.valid_cluster(next).then_some(next),
        }
    }

    /// Writes the hints into an FSInfo sector (keeping its other bytes).
    pub fn store(&self, sector: &mut [u8]) {
        put32(sector, 0, LEAD_SIG);
        put32(sector, 484, STRUCT_SIG);
        put32(sector, 488, self.free_count.unwrap_or(0xFFFF_FFFF));
        put32(sector, 492, self.next_free.unwrap_or(0xFFFF_FFFF));
        put32(sector, 508, TRAIL_SIG);
    }
}
