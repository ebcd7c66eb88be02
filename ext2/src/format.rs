//! mkfs: lays out an empty ext2 revision 1 volume (what the server needs
//! for a RAM root, and a reference for tests): root and lost+found,
//! sparse superblock backups, features filetype, sparse_super and
//! large_file only (no resize inode, no dir_index: nothing this crate
//! would have to maintain).

use crate::device::BlockDevice;
use crate::error::{Error, Result};
use crate::fs::ROOT_INO;
use crate::layout::*;
use alloc::vec;
use alloc::vec::Vec;

/// What to make.
#[derive(Clone, Debug)]
pub struct FormatOptions {
    /// 1024, 2048 or 4096.
    pub block_size: u32,
    /// 128 or 256 (256 keeps nanosecond times and the creation time).
    pub inode_size: u32,
    /// One inode per this many bytes of the volume.
    pub bytes_per_inode: u32,
    /// Blocks reserved for root, in percent.
    pub reserved_percent: u32,
    pub uuid: [u8; 16],
    /// Up to 16 bytes.
    pub label: Vec<u8>,
    /// The volume's and the root's creation time.
    pub time: Time,
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions {
            block_size: 4096,
            inode_size: 256,
            bytes_per_inode: 16384,
            reserved_percent: 5,
            uuid: *b"ext2-mach-volume",
            label: Vec::new(),
            time: Time::default(),
        }
    }
}

const LOST_FOUND: u32 = 11;

struct Group {
    start: u64,
    count: u64,
    block_bitmap: u64,
    inode_bitmap: u64,
    inode_table: u64,
    first_data: u64,
    has_super: bool,
}

struct Plan {
    bs: u64,
    fdb: u64,
    blocks: u64,
    bpg: u64,
    ipg: u64,
    gdt_blocks: u64,
    groups: Vec<Group>,
}

fn has_super(g: u64) -> bool {
    if g <= 1 {
        return true;
    }
    [3u64, 5, 7].iter().any(|&b| {
        let mut n = b;
        while n < g {
            n *= b;
        }
        n == g
    })
}

fn plan(dev_bytes: u64, o: &FormatOptions) -> Result<Plan> {
    let bs = o.block_size as u64;
    if !matches!(bs, 1024 | 2048 | 4096) || !matches!(o.inode_size, 128 | 256) || o.bytes_per_inode < bs as u32 || o.reserved_percent > 50 {
        return Err(Error::InvalidArgument);
    }
    let fdb = if bs == 1024 { 1 } else { 0 };
    let mut blocks = (dev_bytes / bs).min(u32::MAX as u64);
    let bpg = bs * 8;
    let per_itb = bs / o.inode_size as u64;
    loop {
        if blocks < fdb + 64 {
            return Err(Error::NoSpace);
        }
        let n = (blocks - fdb).div_ceil(bpg);
        let want = (blocks * bs / o.bytes_per_inode as u64).max(16 * n);
        // Whole inode-table blocks, a multiple of 8 bitmap bits, at most a bitmap block.
        let step = per_itb.max(8);
        let ipg = want.div_ceil(n).div_ceil(step) * step;
        let ipg = ipg.min(bs * 8 / step * step);
        if ipg * n > u32::MAX as u64 {
            return Err(Error::InvalidArgument);
        }
        let gdt_blocks = (n * GD_SIZE as u64).div_ceil(bs);
        let itb = ipg * o.inode_size as u64 / bs;
        let mut groups = Vec::new();
        groups.try_reserve_exact(n as usize).map_err(|_| Error::NoMemory)?;
        for g in 0..n {
            let start = fdb + g * bpg;
            let count = (blocks - start).min(bpg);
            let sup = has_super(g);
            let meta = if sup { 1 + gdt_blocks } else { 0 };
            let bb = start + meta;
            groups.push(Group { start, count, block_bitmap: bb, inode_bitmap: bb + 1, inode_table: bb + 2, first_data: bb + 2 + itb, has_super: sup });
        }
        // A last group too small for its own metadata (and a little data) is dropped.
        let last = groups.last().ok_or(Error::NoSpace)?;
        if last.first_data + 16 > last.start + last.count {
            if n == 1 {
                return Err(Error::NoSpace);
            }
            blocks = last.start;
            continue;
        }
        return Ok(Plan { bs, fdb, blocks, bpg, ipg, gdt_blocks, groups });
    }
}

fn bitmap(used: u64, valid: u64, bs: usize) -> Vec<u8> {
    let mut m = vec![0u8; bs];
    for bit in (0..used).chain(valid..(bs as u64 * 8)) {
        m[(bit / 8) as usize] |= 1 << (bit % 8);
    }
    m
}

fn write<D: BlockDevice>(dev: &mut D, bs: u64, blk: u64, data: &[u8]) -> Result<()> {
    let ratio = bs / dev.block_size() as u64;
    Ok(dev.write_blocks(blk * ratio, data)?)
}

fn dir_block(bs: usize, me: u32, parent: u32) -> Vec<u8> {
    let mut b = vec![0u8; bs];
    put32(&mut b, 0, me);
    put16(&mut b, 4, 12);
    b[6] = 1;
    b[7] = 2;
    b[8] = b'.';
    put32(&mut b, 12, parent);
    put16(&mut b, 16, (bs - 12) as u16);
    b[18] = 2;
    b[19] = 2;
    b[20..22].copy_from_slice(b"..");
    b
}

/// Formats `dev` (whose block size must divide `block_size`) and gives it back.
pub fn format<D: BlockDevice>(mut dev: D, o: &FormatOptions) -> Result<D> {
    let dbs = dev.block_size() as u64;
    if dbs == 0 || !(o.block_size as u64).is_multiple_of(dbs) {
        return Err(Error::Unsupported);
    }
    let p = plan(dev.num_blocks().saturating_mul(dbs), o)?;
    let bs = p.bs as usize;
    let n = p.groups.len();
    let isz = o.inode_size as usize;
    let itb = p.ipg * isz as u64 / p.bs;
    // Group 0's first two data blocks: the root and lost+found.
    let root_blk = p.groups[0].first_data;
    let lf_blk = root_blk + 1;

    let mut gdt = vec![0u8; (p.gdt_blocks * p.bs) as usize];
    let (mut free_blocks, mut free_inodes) = (0u64, 0u64);
    for (g, gr) in p.groups.iter().enumerate() {
        let mut used = gr.first_data - gr.start;
        let mut used_inodes = 0;
        if g == 0 {
            used += 2;
            used_inodes = LOST_FOUND as u64;
        }
        write(&mut dev, p.bs, gr.block_bitmap, &bitmap(used, gr.count, bs))?;
        write(&mut dev, p.bs, gr.inode_bitmap, &bitmap(used_inodes, p.ipg, bs))?;
        let zero = vec![0u8; bs];
        for k in 0..itb {
            write(&mut dev, p.bs, gr.inode_table + k, &zero)?;
        }
        let d = &mut gdt[g * GD_SIZE..(g + 1) * GD_SIZE];
        put32(d, 0, gr.block_bitmap as u32);
        put32(d, 4, gr.inode_bitmap as u32);
        put32(d, 8, gr.inode_table as u32);
        put16(d, 12, (gr.count - used) as u16);
        put16(d, 14, (p.ipg - used_inodes) as u16);
        put16(d, 16, if g == 0 { 2 } else { 0 });
        free_blocks += gr.count - used;
        free_inodes += p.ipg - used_inodes;
    }

    // The root and lost+found.
    let lf = dir_block(bs, LOST_FOUND, ROOT_INO);
    // The root's block gets the lost+found entry after "..".
    let mut rb = dir_block(bs, ROOT_INO, ROOT_INO);
    put16(&mut rb, 16, 12);
    put32(&mut rb, 24, LOST_FOUND);
    put16(&mut rb, 28, (bs - 24) as u16);
    rb[30] = 10;
    rb[31] = 2;
    rb[32..42].copy_from_slice(b"lost+found");
    write(&mut dev, p.bs, root_blk, &rb)?;
    write(&mut dev, p.bs, lf_blk, &lf)?;
    let itable0 = p.groups[0].inode_table;
    // The inode-table blocks that hold inodes 1 to 11.
    let mut iblk = vec![0u8; (LOST_FOUND as usize * isz).div_ceil(bs) * bs];
    for (ino, blk, links, mode) in [(ROOT_INO, root_blk, 3u16, S_IFDIR | 0o755), (LOST_FOUND, lf_blk, 2, S_IFDIR | 0o700)] {
        let mut i = Inode::fresh(ino, isz, o.time);
        i.set_mode(mode);
        i.set_links(links);
        i.set_size(p.bs);
        i.set_sectors(p.bs / 512);
        i.set_block(0, blk as u32);
        let off = (ino as usize - 1) * isz;
        iblk[off..off + isz].copy_from_slice(&i.raw);
    }
    write(&mut dev, p.bs, itable0, &iblk)?;

    let mut sb = Superblock { raw: vec![0u8; SB_SIZE] };
    let t = o.time.sec as u32;
    let inodes = p.ipg * n as u64;
    sb.set_inodes_count(inodes as u32);
    sb.set_blocks_count(p.blocks as u32);
    sb.set_r_blocks_count((p.blocks * o.reserved_percent as u64 / 100) as u32);
    sb.set_free_blocks(free_blocks as u32);
    sb.set_free_inodes(free_inodes as u32);
    sb.set_first_data_block(p.fdb as u32);
    let log = (p.bs / 1024).trailing_zeros();
    sb.set_log_block_size(log);
    put32(&mut sb.raw, 28, log); // s_log_frag_size
    sb.set_blocks_per_group(p.bpg as u32);
    put32(&mut sb.raw, 36, p.bpg as u32); // s_frags_per_group
    sb.set_inodes_per_group(p.ipg as u32);
    sb.set_wtime(t);
    put16(&mut sb.raw, 54, 0xffff); // s_max_mnt_count: no forced checks
    sb.set_magic(MAGIC);
    sb.set_state(STATE_VALID);
    put16(&mut sb.raw, 60, 1); // s_errors: continue
    put32(&mut sb.raw, 64, t); // s_lastcheck
    sb.set_rev_level(1);
    sb.set_first_ino(LOST_FOUND);
    sb.set_inode_size(isz as u16);
    sb.set_feature_incompat(INCOMPAT_FILETYPE);
    sb.set_feature_ro_compat(RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE);
    sb.raw[104..120].copy_from_slice(&o.uuid);
    let l = o.label.len().min(16);
    sb.raw[120..120 + l].copy_from_slice(&o.label[..l]);
    put32(&mut sb.raw, 264, t); // s_mkfs_time
    if isz > 128 {
        put16(&mut sb.raw, 0x15c, 32); // s_min_extra_isize
        put16(&mut sb.raw, 0x15e, 32); // s_want_extra_isize
    }

    // The superblock and descriptors in group 0 and in each backup group.
    for (g, gr) in p.groups.iter().enumerate() {
        if !gr.has_super {
            continue;
        }
        put16(&mut sb.raw, 90, g as u16); // s_block_group_nr
        let (blk, off) = if g == 0 { (SB_OFFSET / p.bs, (SB_OFFSET % p.bs) as usize) } else { (gr.start, 0) };
        let mut b = vec![0u8; bs];
        b[off..off + SB_SIZE].copy_from_slice(&sb.raw);
        write(&mut dev, p.bs, blk, &b)?;
        for k in 0..p.gdt_blocks {
            let s = (k * p.bs) as usize;
            write(&mut dev, p.bs, gr.start + 1 + k, &gdt[s..s + bs])?;
        }
    }
    dev.flush()?;
    Ok(dev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FileSystem, FixedClock, MemDevice, MountOptions, ROOT_INO};
    use alloc::boxed::Box;

    /// Without e2fsprogs: a formatted volume mounts, takes files and gives them back.
    #[test]
    fn format_mount_write_read() {
        for bs in [1024u32, 4096] {
            let dev = format(MemDevice::new(8 << 20), &FormatOptions { block_size: bs, ..Default::default() }).unwrap();
            let clock = Box::new(FixedClock(Time::new(1_700_000_000, 0)));
            let mut fs = FileSystem::mount(dev, clock, MountOptions::default()).unwrap();
            let before = fs.statfs();
            let d = fs.mkdir(ROOT_INO, b"d", 0o755, 0, 0).unwrap();
            let f = fs.create(d, b"f", 0o644, 0, 0).unwrap();
            let data: Vec<u8> = (0..50_000u32).map(|i| i as u8).collect();
            fs.write(f, 0, &data).unwrap();
            let dev = fs.unmount().unwrap();
            let mut fs = FileSystem::mount(dev, Box::new(FixedClock(Time::new(1_700_000_001, 0))), MountOptions::default()).unwrap();
            let f = fs.resolve(b"d/f").unwrap();
            let mut back = vec![0; 60_000];
            assert_eq!(fs.read(f, 0, &mut back).unwrap(), 50_000);
            assert_eq!(&back[..50_000], &data[..]);
            fs.unlink(d, b"f").unwrap();
            fs.rmdir(ROOT_INO, b"d").unwrap();
            assert_eq!(fs.statfs(), before);
        }
    }

    #[test]
    fn dev_numbers_round_trip() {
        for (ma, mi) in [(0, 0), (1, 3), (8, 300), (259, 65540), (4095, 1 << 19)] {
            let d = crate::makedev(ma, mi);
            assert_eq!((crate::major(d), crate::minor(d)), (ma, mi));
        }
        assert_eq!(crate::makedev(8, 1), 0x801);
    }

    #[test]
    fn too_small_or_odd_volumes_are_refused() {
        assert_eq!(format(MemDevice::new(16 << 10), &FormatOptions::default()).err(), Some(Error::NoSpace));
        let o = FormatOptions { block_size: 8192, ..Default::default() };
        assert_eq!(format(MemDevice::new(8 << 20), &o).err(), Some(Error::InvalidArgument));
    }
}
