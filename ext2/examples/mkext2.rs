//! mkext2: builds an ext2 image from a host directory with the crate
//! itself, reproducibly: the same tree and the same SOURCE_DATE_EPOCH
//! give the same bytes (no random UUID, hash seed or generation, entries
//! copied in name order, every inode's ctime the epoch).
//!
//! `cargo run -p ext2 --example mkext2 -- SRC OUT.img MIB [--root-owner]`
//! (`--root-owner`: every file owned by 0:0, for images built by an
//! unprivileged user). Times: mtime and atime from the source, clamped
//! to SOURCE_DATE_EPOCH when that is set; atime is set to mtime (a build
//! reads the tree, which moves its atimes).

use ext2::*;
use std::collections::HashMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

pub struct BuildOptions {
    pub mib: usize,
    /// The image's time: the volume's, every ctime's.
    pub epoch: i64,
    /// Clamp source times to `epoch` (with SOURCE_DATE_EPOCH).
    pub clamp: bool,
    pub root_owner: bool,
}

fn clamp(t: i64, ns: i64, o: &BuildOptions) -> Time {
    if o.clamp && t > o.epoch { Time::new(o.epoch, 0) } else { Time::new(t, ns as u32) }
}

fn copy_dir(
    fs: &mut FileSystem<MemDevice>,
    dir: Ino,
    src: &Path,
    o: &BuildOptions,
    links: &mut HashMap<(u64, u64), Ino>,
) -> std::result::Result<(), String> {
    let mut names: Vec<_> = std::fs::read_dir(src).map_err(|e| format!("{}: {e}", src.display()))?.map(|e| e.unwrap().file_name()).collect();
    names.sort();
    for n in names {
        let path = src.join(&n);
        let m = std::fs::symlink_metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = n.as_encoded_bytes();
        if dir == ROOT_INO && name == b"lost+found" {
            continue;
        }
        let (uid, gid) = if o.root_owner { (0, 0) } else { (m.uid(), m.gid()) };
        let perm = (m.mode() & 0o7777) as u16;
        let ft = m.file_type();
        let err = |e: Error| format!("{}: {e:?}", path.display());
        if m.nlink() > 1 && !ft.is_dir() {
            if let Some(&ino) = links.get(&(m.dev(), m.ino())) {
                fs.link(ino, dir, name).map_err(err)?;
                continue;
            }
        }
        let ino = if ft.is_dir() {
            let d = fs.mkdir(dir, name, perm, uid, gid).map_err(err)?;
            copy_dir(fs, d, &path, o, links)?;
            d
        } else if ft.is_symlink() {
            let t = std::fs::read_link(&path).map_err(|e| e.to_string())?;
            fs.symlink(dir, name, t.as_os_str().as_encoded_bytes(), uid, gid).map_err(err)?
        } else if ft.is_file() {
            let f = fs.create(dir, name, perm, uid, gid).map_err(err)?;
            let data = std::fs::read(&path).map_err(|e| e.to_string())?;
            // Runs of zero blocks stay holes.
            for (k, chunk) in data.chunks(4096).enumerate() {
                if chunk.iter().any(|&b| b != 0) {
                    fs.write(f, k as u64 * 4096, chunk).map_err(err)?;
                }
            }
            fs.truncate(f, data.len() as u64).map_err(err)?;
            f
        } else {
            let kind = if ft.is_fifo() {
                S_IFIFO
            } else if ft.is_socket() {
                S_IFSOCK
            } else if ft.is_char_device() {
                S_IFCHR
            } else {
                S_IFBLK
            };
            fs.mknod(dir, name, kind | perm, m.rdev(), uid, gid).map_err(err)?
        };
        if m.nlink() > 1 && !ft.is_dir() {
            links.insert((m.dev(), m.ino()), ino);
        }
        // atime = mtime: reading the tree for one build moves its atimes.
        let mtime = clamp(m.mtime(), m.mtime_nsec(), o);
        let a = SetAttr {
            atime: Some(mtime),
            mtime: Some(mtime),
            ctime: Some(Time::new(o.epoch, 0)),
            ..Default::default()
        };
        fs.setattr(ino, a).map_err(err)?;
    }
    Ok(())
}

/// The image bytes for the tree at `src`.
pub fn build(src: &Path, o: &BuildOptions) -> std::result::Result<Vec<u8>, String> {
    let t = Time::new(o.epoch, 0);
    let fo = FormatOptions { time: t, label: b"root".to_vec(), ..Default::default() };
    let dev = format(MemDevice::new(o.mib << 20), &fo).map_err(|e| format!("format: {e:?}"))?;
    let mut fs = FileSystem::mount(dev, Box::new(FixedClock(t)), MountOptions::default()).map_err(|e| format!("mount: {e:?}"))?;
    copy_dir(&mut fs, ROOT_INO, src, o, &mut HashMap::new())?;
    // The root takes the source directory's mode, owner and (clamped) times.
    let m = std::fs::metadata(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let mtime = clamp(m.mtime(), m.mtime_nsec(), o);
    let (uid, gid) = if o.root_owner { (0, 0) } else { (m.uid(), m.gid()) };
    let root = SetAttr {
        mode: Some((m.mode() & 0o7777) as u16),
        uid: Some(uid),
        gid: Some(gid),
        atime: Some(mtime),
        mtime: Some(mtime),
        ctime: Some(t),
    };
    fs.setattr(ROOT_INO, root).map_err(|e| format!("{e:?}"))?;
    Ok(fs.unmount().map_err(|e| format!("unmount: {e:?}"))?.into_inner())
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: mkext2 SRC OUT.img MIB [--root-owner]");
        std::process::exit(2);
    }
    let fixed: Option<i64> = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.parse().ok());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let o = BuildOptions {
        mib: args[3].parse().expect("MIB"),
        epoch: fixed.unwrap_or(now),
        clamp: fixed.is_some(),
        root_owner: args.iter().any(|a| a == "--root-owner"),
    };
    match build(Path::new(&args[1]), &o) {
        Ok(img) => std::fs::write(&args[2], img).expect("write image"),
        Err(e) => {
            eprintln!("mkext2: {e}");
            std::process::exit(1);
        }
    }
}
