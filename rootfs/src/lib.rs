//! Builds the FAT32 root image from the userland outputs.
//!
//! The image is formatted by the `fatfs` crate and filled by our `fat32`
//! crate (with a fixed clock), so the execute-bit convention is the one
//! defined in `fat32::mode` and nowhere else. Output is reproducible: fixed
//! timestamps (2026-01-01 00:00:00), a fixed volume id, and every file is
//! written in sorted path order, so equal inputs give byte-identical images.

use fat32::{DateTime, FileSystem, FixedClock, MemDevice, MountOptions};
use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Cursor;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Every timestamp in the image.
pub const BUILD_TIME: DateTime = DateTime { year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
/// Volume serial number (fatfs would otherwise pick one).
pub const VOLUME_ID: u32 = 0x2026_0101;
pub const VOLUME_LABEL: &[u8; 11] = b"MACHROOT   ";
/// Directories every root file system has. /dev stays empty: the UNIX
/// server serves devices itself.
pub const STANDARD_DIRS: [&str; 6] = ["/bin", "/sbin", "/etc", "/tmp", "/home", "/dev"];

/// What went wrong, with the path involved.
#[derive(Debug)]
pub enum BuildError {
    Usage(String),
    Host(PathBuf, std::io::Error),
    Image(String, fat32::Error),
    Format(std::io::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Usage(m) => write!(f, "{}\n{}", m, USAGE),
            BuildError::Host(p, e) => write!(f, "{}: {}", p.display(), e),
            BuildError::Image(p, e) => write!(f, "image path {}: {:?} (errno {})", p, e, e.errno()),
            BuildError::Format(e) => write!(f, "formatting: {}", e),
        }
    }
}

impl std::error::Error for BuildError {}

pub const USAGE: &str = "usage: rootfs --out IMAGE --size MiB [--dir HOSTDIR:/dest]... \
[--file HOSTFILE:/dest/path[:mode]]... [--extra HOSTDIR]...";

/// The command line, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spec {
    pub out: PathBuf,
    pub size_mib: u64,
    /// Host directory trees copied to a destination directory.
    pub dirs: Vec<(PathBuf, String)>,
    /// Single files, with an optional octal mode.
    pub files: Vec<(PathBuf, String, Option<u32>)>,
    /// Host directories whose contents go to the image root.
    pub extra: Vec<PathBuf>,
}

fn usage(msg: impl Into<String>) -> BuildError {
    BuildError::Usage(msg.into())
}

/// Splits `HOST:/dest[:mode]` at the first `:/` so host paths may not
/// contain that, but may contain plain colons.
fn split_mapping(arg: &str) -> Result<(PathBuf, String), BuildError> {
    let i = arg.find(":/").ok_or_else(|| usage(format!("expected HOST:/dest, got {:?}", arg)))?;
    Ok((PathBuf::from(&arg[..i]), arg[i + 1..].to_string()))
}

fn parse_file(arg: &str) -> Result<(PathBuf, String, Option<u32>), BuildError> {
    let (host, rest) = split_mapping(arg)?;
    match rest.rsplit_once(':') {
        Some((dest, mode)) => {
            let m = u32::from_str_radix(mode, 8).map_err(|_| usage(format!("bad mode {:?}", mode)))?;
            Ok((host, dest.to_string(), Some(m)))
        }
        None => Ok((host, rest, None)),
    }
}

/// Parses the arguments after the program name.
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Spec, BuildError> {
    let mut spec = Spec::default();
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| usage(format!("{} needs a value", flag)));
        match flag.as_str() {
            "--out" => spec.out = PathBuf::from(value()?),
            "--size" => {
                let v = value()?;
                spec.size_mib = v.parse().map_err(|_| usage(format!("bad size {:?}", v)))?
            }
            "--dir" => spec.dirs.push(split_mapping(&value()?)?),
            "--file" => spec.files.push(parse_file(&value()?)?),
            "--extra" => spec.extra.push(PathBuf::from(value()?)),
            "-h" | "--help" => return Err(usage("")),
            other => return Err(usage(format!("unknown argument {:?}", other))),
        }
    }
    if spec.out.as_os_str().is_empty() || spec.size_mib == 0 {
        return Err(usage("--out and --size are required"));
    }
    Ok(spec)
}

/// Where a file's bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Source {
    Host(PathBuf),
    Bytes(Vec<u8>),
}

/// The image tree before it is written: absolute path -> entry. A
/// BTreeMap gives the sorted, deterministic order (parents sort first).
#[derive(Default)]
struct Tree {
    dirs: BTreeMap<String, ()>,
    files: BTreeMap<String, (Source, u32)>,
}

/// Normalises a destination path to `/a/b` form.
fn clean(dest: &str) -> Result<String, BuildError> {
    let parts: Vec<&str> = fat32::path::components(dest).collect();
    if parts.contains(&"..") {
        return Err(usage(format!("destination {:?} contains ..", dest)));
    }
    Ok(format!("/{}", parts.join("/")))
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{}", name)
    } else {
        format!("{}/{}", dir, name)
    }
}

/// Read by every login shell: the console's (init starts it as "-sh").
const PROFILE: &str = r#"# /etc/profile: the environment of a login shell.
export PATH=/bin:/sbin:/usr/bin
if [ -z "$HOME" ] || [ "$HOME" = / ]; then
    mkdir -p /home/root 2>/dev/null
    [ -d /home/root ] && HOME=/home/root
fi
export HOME USER=${USER:-root} LOGNAME=${LOGNAME:-root}
# The console speaks VT100/xterm; a console on a pipe (size 0x0) is dumb.
if [ -z "$TERM" ]; then
    if [ "$(stty size 2>/dev/null)" = "0 0" ]; then TERM=dumb; else TERM=xterm; fi
fi
export TERM
PS1='\u@\h:\w\$ '
alias ll='ls -l' la='ls -a'
cd "$HOME"
[ -r /etc/motd ] && cat /etc/motd
"#;

const MOTD: &str = "Welcome to the Mach microkernel with its UNIX server.
The programs are in /bin (ls /bin); busybox has more (busybox --list).
Tab completes, ^R searches the history, ^A/^E/^W/^K edit; poweroff ends the system.
";

/// The defaults in /etc; any of them is replaced by a file given on the
/// command line or found in an --extra/--dir tree.
fn etc_defaults() -> Vec<(&'static str, &'static str, u32)> {
    vec![
        ("/etc/rc", "#!/bin/sh\n# System start-up, run by init before the console's login shell.\necho \"booting $(hostname)\"\n", 0o755),
        ("/etc/profile", PROFILE, 0o644),
        ("/etc/passwd", "root:x:0:0:root:/home/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n", 0o644),
        ("/etc/group", "root:x:0:root\nwheel:x:10:root\nusers:x:100:user\nuser:x:1000:\n", 0o644),
        ("/etc/hostname", "mach\n", 0o644),
        ("/etc/motd", MOTD, 0o644),
    ]
}

/// Host files keep their execute bit: any x bit means executable.
fn host_mode(path: &Path) -> Result<u32, BuildError> {
    let md = fs::metadata(path).map_err(|e| BuildError::Host(path.into(), e))?;
    Ok(if fat32::is_exec_mode(md.permissions().mode()) { 0o755 } else { 0o644 })
}

/// Adds a host directory's contents under `dest`, in sorted order.
fn add_host_dir(tree: &mut Tree, host: &Path, dest: &str) -> Result<(), BuildError> {
    tree.dirs.insert(dest.to_string(), ());
    let rd = fs::read_dir(host).map_err(|e| BuildError::Host(host.into(), e))?;
    let mut entries = Vec::new();
    for e in rd {
        entries.push(e.map_err(|e| BuildError::Host(host.into(), e))?.path());
    }
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| usage(format!("{}: name is not UTF-8", path.display())))?;
        let target = join(dest, name);
        let md = fs::metadata(&path).map_err(|e| BuildError::Host(path.clone(), e))?;
        if md.is_dir() {
            add_host_dir(tree, &path, &target)?;
        } else {
            let mode = host_mode(&path)?;
            tree.files.insert(target, (Source::Host(path), mode));
        }
    }
    Ok(())
}

/// Collects the whole tree; later sources override earlier ones:
/// defaults, then --extra, then --dir, then --file.
fn collect(spec: &Spec) -> Result<Tree, BuildError> {
    let mut tree = Tree::default();
    for d in STANDARD_DIRS {
        tree.dirs.insert(d.to_string(), ());
    }
    for (path, text, mode) in etc_defaults() {
        tree.files.insert(path.to_string(), (Source::Bytes(text.as_bytes().to_vec()), mode));
    }
    for host in &spec.extra {
        add_host_dir(&mut tree, host, "/")?;
    }
    for (host, dest) in &spec.dirs {
        add_host_dir(&mut tree, host, &clean(dest)?)?;
    }
    for (host, dest, mode) in &spec.files {
        let mode = match mode {
            Some(m) => *m,
            None => host_mode(host)?,
        };
        tree.files.insert(clean(dest)?, (Source::Host(host.clone()), mode));
    }
    tree.dirs.remove("/");
    Ok(tree)
}

/// Cluster size for a FAT32 volume of `bytes`: as large as possible (up to
/// 4 KiB) while keeping the 65525 clusters FAT32 requires.
fn cluster_size(bytes: u64) -> Result<u32, BuildError> {
    // Leave 600 KiB for reserved sectors and both FATs (about 530 KiB at
    // the smallest size), plus a little slack over the FAT32 minimum.
    let usable = bytes.saturating_sub(600 << 10);
    [4096u32, 2048, 1024, 512]
        .into_iter()
        .find(|&c| usable / c as u64 >= fat32::format::MIN_CLUSTERS + 16)
        .ok_or_else(|| usage("image too small: FAT32 needs at least 33 MiB"))
}

fn format(size_mib: u64) -> Result<Vec<u8>, BuildError> {
    let bytes = size_mib.checked_mul(1 << 20).ok_or_else(|| usage("size too large"))?;
    if bytes > 2u64 << 40 {
        return Err(usage("size too large"));
    }
    let mut img = vec![0u8; bytes as usize];
    let opts = fatfs::FormatVolumeOptions::new()
        .fat_type(fatfs::FatType::Fat32)
        .bytes_per_cluster(cluster_size(bytes)?)
        .volume_id(VOLUME_ID)
        .volume_label(*VOLUME_LABEL);
    fatfs::format_volume(Cursor::new(&mut img[..]), opts).map_err(BuildError::Format)?;
    Ok(img)
}

type Fs = FileSystem<MemDevice>;

fn img_err(path: &str) -> impl Fn(fat32::Error) -> BuildError + '_ {
    move |e| BuildError::Image(path.to_string(), e)
}

/// Makes directory `path` and its parents.
fn make_dirs(fs: &mut Fs, path: &str) -> Result<u64, BuildError> {
    let mut ino = fs.root();
    let mut so_far = String::new();
    for comp in fat32::path::components(path) {
        so_far = join(if so_far.is_empty() { "/" } else { &so_far }, comp);
        ino = match fs.lookup(ino, comp) {
            Ok(i) => i,
            Err(fat32::Error::NotFound) => fs.mkdir(ino, comp).map_err(img_err(&so_far))?,
            Err(e) => return Err(img_err(&so_far)(e)),
        };
    }
    Ok(ino)
}

fn write_file(fs: &mut Fs, path: &str, src: &Source, mode: u32) -> Result<(), BuildError> {
    let (parent, name) = fat32::path::split_last(path).map_err(img_err(path))?;
    let dir = make_dirs(fs, parent)?;
    let data = match src {
        Source::Bytes(b) => b.clone(),
        Source::Host(p) => fs::read(p).map_err(|e| BuildError::Host(p.clone(), e))?,
    };
    let ino = fs.create(dir, name, mode).map_err(img_err(path))?;
    fs.write(ino, 0, &data).map_err(img_err(path))?;
    Ok(())
}

/// Builds the image in memory.
pub fn build(spec: &Spec) -> Result<Vec<u8>, BuildError> {
    let tree = collect(spec)?;
    let img = format(spec.size_mib)?;
    let opts = MountOptions { read_only: false, update_atime: false };
    let mut fs = FileSystem::mount(MemDevice::from_vec(img), Box::new(FixedClock(BUILD_TIME)), opts)
        .map_err(img_err("/"))?;
    for dir in tree.dirs.keys() {
        make_dirs(&mut fs, dir)?;
    }
    for (path, (src, mode)) in &tree.files {
        write_file(&mut fs, path, src, *mode)?;
    }
    let dev = fs.unmount().map_err(img_err("/"))?;
    Ok(dev.into_inner())
}

/// Builds the image and writes it to `spec.out`.
pub fn build_to_file(spec: &Spec) -> Result<(), BuildError> {
    let img = build(spec)?;
    fs::write(&spec.out, img).map_err(|e| BuildError::Host(spec.out.clone(), e))
}
