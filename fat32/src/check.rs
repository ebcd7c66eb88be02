//! A consistency checker (a small fsck): walks the tree and the FAT and
//! reports cross-linked, leaked or mis-sized chains and a wrong free count.
//! It changes nothing.

use crate::device::BlockDevice;
use crate::error::Result;
use crate::fat::Entry;
use crate::fs::FileSystem;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// What `check` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub files: u32,
    pub dirs: u32,
    pub used_clusters: u32,
    pub free_clusters: u32,
    /// Human-readable descriptions; empty when the volume is consistent.
    pub problems: Vec<String>,
}

impl CheckReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

impl<D: BlockDevice> FileSystem<D> {
    /// Walks a chain straight from the FAT, marking clusters; returns its length.
    fn mark_chain(&mut self, first: u32, seen: &mut [bool], what: &str, r: &mut CheckReport) -> Result<u32> {
        let mut c = first;
        let mut n = 0;
        loop {
            if !self.bpb.valid_cluster(c) {
                r.problems.push(format!("{}: cluster {} out of range", what, c));
                return Ok(n);
            }
            if seen[c as usize] {
                r.problems.push(format!("{}: cluster {} cross-linked", what, c));
                return Ok(n);
            }
            seen[c as usize] = true;
            n += 1;
            match self.fat.get(&mut self.dev, c) {
                Ok(Entry::Next(next)) => c = next,
                Ok(Entry::End) => return Ok(n),
                Ok(e) => {
                    r.problems.push(format!("{}: chain hits {:?} at {}", what, e, c));
                    return Ok(n);
                }
                Err(_) => {
                    r.problems.push(format!("{}: bad link after {}", what, c));
                    return Ok(n);
                }
            }
        }
    }

    /// Checks the whole volume.
    pub fn check(&mut self) -> Result<CheckReport> {
        let mut r = CheckReport::default();
        let mut seen = vec![false; self.bpb.cluster_count as usize + 2];
        let cs = self.bpb.cluster_size() as u64;
        let root = self.bpb.root_cluster;
        self.mark_chain(root, &mut seen, "/", &mut r)?;
        let mut stack: Vec<(u32, String)> = vec![(root, String::new())];
        while let Some((dir, path)) = stack.pop() {
            r.dirs += 1;
            for f in self.list(dir)? {
                let p = format!("{}/{}", path, f.name);
                let first = f.entry.first_cluster;
                if f.entry.is_dir() {
                    let n = self.mark_chain(first, &mut seen, &p, &mut r)?;
                    if n == 0 {
                        continue;
                    }
                    if self.parent_of(first).ok() != Some(dir) {
                        r.problems.push(format!("{}: wrong `..`", p));
                    }
                    stack.push((first, p));
                } else {
                    r.files += 1;
                    let n = if first == 0 { 0 } else { self.mark_chain(first, &mut seen, &p, &mut r)? };
                    let want = (f.entry.size as u64).div_ceil(cs) as u32;
                    if n != want {
                        r.problems.push(format!("{}: {} clusters for size {}", p, n, f.entry.size));
                    }
                }
            }
        }
        self.check_fat(&seen, &mut r)?;
        Ok(r)
    }

    /// Compares the FAT with what the tree uses.
    fn check_fat(&mut self, seen: &[bool], r: &mut CheckReport) -> Result<()> {
        let mut leaked = 0;
        for c in 2..self.bpb.cluster_count + 2 {
            let raw = self.fat.raw(&mut self.dev, c)?;
            if raw == 0 {
                r.free_clusters += 1;
            } else if raw != 0x0FFF_FFF7 {
                r.used_clusters += 1;
                if !seen[c as usize] {
                    leaked += 1;
                }
            }
        }
        if leaked > 0 {
            r.problems.push(format!("{} clusters allocated but unused", leaked));
        }
        if r.free_clusters != self.fat.free_count {
            r.problems.push(format!("free count {} but {} free", self.fat.free_count, r.free_clusters));
        }
        Ok(())
    }
}
