//! Random sequences of valid operations against a model of the tree
//! (names, contents, links, parents): after each sequence the crate agrees
//! with the model, before and after a remount, e2fsck -fn finds nothing,
//! and where a loop mount is allowed the kernel sees the same tree.

mod common;
use common::*;
use ext2::*;
use std::collections::{BTreeMap, HashMap};

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[derive(Default)]
struct Model {
    dirs: HashMap<Ino, BTreeMap<Vec<u8>, Ino>>,
    parent: HashMap<Ino, Ino>,
    files: HashMap<Ino, Vec<u8>>,
    links: HashMap<Ino, u16>,
    symlinks: HashMap<Ino, Vec<u8>>,
}

impl Model {
    fn dir_list(&self) -> Vec<Ino> {
        let mut v: Vec<Ino> = self.dirs.keys().copied().collect();
        v.sort();
        v
    }
    /// (dir, name, ino) of every entry.
    fn entries(&self) -> Vec<(Ino, Vec<u8>, Ino)> {
        let mut v = Vec::new();
        for d in self.dir_list() {
            for (n, &i) in &self.dirs[&d] {
                v.push((d, n.clone(), i));
            }
        }
        v
    }
    fn within(&self, mut d: Ino, anc: Ino) -> bool {
        loop {
            if d == anc {
                return true;
            }
            if d == ROOT_INO {
                return false;
            }
            d = self.parent[&d];
        }
    }
    fn drop_link(&mut self, ino: Ino) {
        let l = self.links.get_mut(&ino).unwrap();
        *l -= 1;
        if *l == 0 {
            self.links.remove(&ino);
            self.files.remove(&ino);
            self.symlinks.remove(&ino);
        }
    }
}

fn check(fs: &mut FileSystem<MemDevice>, m: &Model) {
    for d in m.dir_list() {
        let mut got: BTreeMap<Vec<u8>, Ino> = BTreeMap::new();
        for e in fs.read_dir(d).unwrap() {
            if e.name != b"." && e.name != b".." {
                got.insert(e.name, e.ino);
            }
        }
        assert_eq!(&got, &m.dirs[&d], "entries of dir {d}");
        let subdirs = m.dirs[&d].values().filter(|i| m.dirs.contains_key(i)).count();
        assert_eq!(fs.stat(d).unwrap().nlink as usize, 2 + subdirs, "nlink of dir {d}");
        assert_eq!(fs.lookup(d, b"..").unwrap(), m.parent[&d], "'..' of {d}");
    }
    for (&ino, data) in &m.files {
        let s = fs.stat(ino).unwrap();
        assert_eq!((s.size, s.nlink), (data.len() as u64, m.links[&ino]), "file {ino}");
        let mut buf = vec![0; data.len() + 1];
        assert_eq!(fs.read(ino, 0, &mut buf).unwrap(), data.len());
        assert!(buf[..data.len()] == data[..], "contents of {ino}");
    }
    for (&ino, t) in &m.symlinks {
        assert_eq!(&fs.readlink(ino).unwrap(), t);
    }
}

fn name(rng: &mut Lcg) -> Vec<u8> {
    // Few names, so that renames often land on existing ones.
    format!("n{}", rng.below(24)).into_bytes()
}

fn step(fs: &mut FileSystem<MemDevice>, m: &mut Model, rng: &mut Lcg) {
    let dirs = m.dir_list();
    let dir = dirs[rng.below(dirs.len())];
    let files: Vec<Ino> = {
        let mut v: Vec<Ino> = m.files.keys().copied().collect();
        v.sort();
        v
    };
    match rng.below(10) {
        0 | 1 => {
            let n = name(rng);
            if m.dirs[&dir].contains_key(&n) {
                return;
            }
            let ino = if rng.below(4) == 0 {
                let ino = fs.mkdir(dir, &n, 0o755, 0, 0).unwrap();
                m.dirs.insert(ino, BTreeMap::new());
                m.parent.insert(ino, dir);
                ino
            } else if rng.below(5) == 0 {
                let t = vec![b't'; 1 + rng.below(120)];
                let ino = fs.symlink(dir, &n, &t, 0, 0).unwrap();
                m.symlinks.insert(ino, t);
                ino
            } else {
                let ino = fs.create(dir, &n, 0o644, 0, 0).unwrap();
                m.files.insert(ino, Vec::new());
                ino
            };
            m.links.insert(ino, if m.dirs.contains_key(&ino) { 2 } else { 1 });
            m.dirs.get_mut(&dir).unwrap().insert(n, ino);
        }
        2 | 3 if !files.is_empty() => {
            let f = files[rng.below(files.len())];
            let off = rng.below(300_000);
            let len = 1 + rng.below(20_000);
            let byte = rng.next() as u8;
            assert_eq!(fs.write(f, off as u64, &vec![byte; len]).unwrap(), len);
            let d = m.files.get_mut(&f).unwrap();
            if d.len() < off + len {
                d.resize(off + len, 0);
            }
            d[off..off + len].fill(byte);
        }
        4 if !files.is_empty() => {
            let f = files[rng.below(files.len())];
            let len = rng.below(320_000);
            fs.truncate(f, len as u64).unwrap();
            m.files.get_mut(&f).unwrap().resize(len, 0);
        }
        5 if !files.is_empty() => {
            let f = files[rng.below(files.len())];
            let n = name(rng);
            if m.dirs[&dir].contains_key(&n) {
                return;
            }
            fs.link(f, dir, &n).unwrap();
            *m.links.get_mut(&f).unwrap() += 1;
            m.dirs.get_mut(&dir).unwrap().insert(n, f);
        }
        6 => {
            let es = m.entries();
            if es.is_empty() {
                return;
            }
            let (d, n, ino) = es[rng.below(es.len())].clone();
            if m.dirs.contains_key(&ino) {
                if !m.dirs[&ino].is_empty() {
                    assert_eq!(fs.rmdir(d, &n), Err(Error::NotEmpty));
                    return;
                }
                fs.rmdir(d, &n).unwrap();
                m.dirs.remove(&ino);
                m.parent.remove(&ino);
                m.links.remove(&ino);
            } else {
                fs.unlink(d, &n).unwrap();
                m.drop_link(ino);
            }
            m.dirs.get_mut(&d).unwrap().remove(&n);
        }
        7..=9 => {
            let es = m.entries();
            if es.is_empty() {
                return;
            }
            let (sd, sn, src) = es[rng.below(es.len())].clone();
            let (td, tn) = (dir, name(rng));
            let src_dir = m.dirs.contains_key(&src);
            if src_dir && m.within(td, src) {
                assert_eq!(fs.rename(sd, &sn, td, &tn), Err(Error::InvalidArgument));
                return;
            }
            let target = m.dirs[&td].get(&tn).copied();
            if let Some(t) = target {
                if t == src {
                    fs.rename(sd, &sn, td, &tn).unwrap();
                    return;
                }
                let t_dir = m.dirs.contains_key(&t);
                if src_dir != t_dir || (t_dir && !m.dirs[&t].is_empty()) {
                    assert!(fs.rename(sd, &sn, td, &tn).is_err());
                    return;
                }
                fs.rename(sd, &sn, td, &tn).unwrap();
                if t_dir {
                    m.dirs.remove(&t);
                    m.parent.remove(&t);
                    m.links.remove(&t);
                } else {
                    m.drop_link(t);
                }
            } else {
                fs.rename(sd, &sn, td, &tn).unwrap();
            }
            m.dirs.get_mut(&sd).unwrap().remove(&sn);
            m.dirs.get_mut(&td).unwrap().insert(tn, src);
            if src_dir {
                m.parent.insert(src, td);
            }
        }
        _ => {}
    }
}

#[test]
fn random_operations_match_the_model() {
    if !have_e2fsprogs("random_operations_match_the_model") {
        return;
    }
    let rounds = if std::env::var("STRESS_LONG").is_ok() { 40 } else { 6 };
    for seed in 0..rounds {
        let img = mkfs("model", 64, if seed % 3 == 2 { 1024 } else { 4096 }, None, &[]);
        let mut fs = mount(&img);
        let mut m = Model::default();
        let lf = fs.lookup(ROOT_INO, b"lost+found").unwrap();
        m.dirs.insert(ROOT_INO, BTreeMap::from([(b"lost+found".to_vec(), lf)]));
        m.dirs.insert(lf, BTreeMap::new());
        m.parent.insert(ROOT_INO, ROOT_INO);
        m.parent.insert(lf, ROOT_INO);
        let mut rng = Lcg(seed * 7919 + 1);
        for i in 0..600 {
            step(&mut fs, &mut m, &mut rng);
            if i % 150 == 0 {
                check(&mut fs, &m);
            }
        }
        check(&mut fs, &m);
        unmount(fs, &img);
        fsck(&img);
        let mut fs = mount(&img);
        check(&mut fs, &m);
        let st = fs.statfs();
        drop(fs);
        if let Some(k) = kernel_statfs(&img) {
            assert_eq!(our_statfs(&st), k, "seed {seed}: statfs vs the kernel's");
        }
        std::fs::remove_file(&img).ok();
    }
}
