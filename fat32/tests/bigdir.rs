//! 10,000 files in one directory: the cost of create, lookup and unlink
//! must not grow with the directory (it used to be a scan of the whole
//! directory per create: quadratic in all). Cost is counted in directory
//! entries read, which does not depend on timing or caching.

mod common;
use common::*;

const N: usize = 10_000;
const STEP: usize = 1_000;

fn name(i: usize) -> String {
    format!("stress_file_with_a_long_name_{:05}.dat", i)
}

/// Entries read per `STEP` operations of `op` over 0..N.
fn costs(fs: &mut Fs, mut op: impl FnMut(&mut Fs, usize)) -> Vec<u64> {
    let mut out = Vec::new();
    for chunk in 0..N / STEP {
        let before = fs.dir_entries_read();
        for i in chunk * STEP..(chunk + 1) * STEP {
            op(fs, i);
        }
        out.push(fs.dir_entries_read() - before);
    }
    out
}

/// `fsck.fat -n` (dosfstools, which `make deps` installs) finds nothing.
fn fsck_fat(img: &[u8]) {
    // Tests run in parallel threads of one process: one file per call.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("fat32-bigdir-{}-{}.img", std::process::id(), call));
    std::fs::write(&path, img).unwrap();
    let out = ["fsck.fat", "/usr/sbin/fsck.fat", "/sbin/fsck.fat"]
        .iter()
        .find_map(|c| std::process::Command::new(c).arg("-n").arg(&path).output().ok())
        .expect("fsck.fat runs (make deps installs dosfstools)");
    std::fs::remove_file(&path).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "fsck.fat -n: {}\n{}", out.status, text);
}

/// The last thousand costs at most twice the cheapest. (The first thousand
/// after a mount also pays for the one scan that builds the index.)
fn assert_flat(what: &str, c: &[u64]) {
    println!("{} entries read per {}: {:?}", what, STEP, c);
    let least = *c[1..].iter().min().unwrap();
    for (k, &x) in c.iter().enumerate().skip(1) {
        assert!(x <= 2 * least, "{}: thousand {} cost {} entries, the cheapest {}", what, k, x, least);
    }
}

#[test]
fn ten_thousand_files_in_one_directory_cost_flat() {
    let mut fs = mount(image(40, 512));
    let root = fs.root();
    let dir = fs.mkdir(root, "big").unwrap();
    let c = costs(&mut fs, |fs, i| {
        fs.create(dir, &name(i), 0o644).unwrap();
    });
    assert_flat("create", &c);
    let c = costs(&mut fs, |fs, i| {
        let ino = fs.lookup(dir, &name(i).to_uppercase()).unwrap();
        assert!(!fs.stat(ino).unwrap().is_dir());
    });
    assert_flat("lookup", &c);
    // The aliases are all distinct and follow the ~N rule.
    let entries = fs.read_dir(dir).unwrap();
    assert_eq!(entries.len(), N);
    let mut shorts: Vec<_> = entries.iter().map(|e| e.short_name.clone()).collect();
    shorts.sort();
    shorts.dedup();
    assert_eq!(shorts.len(), N);
    assert!(shorts.contains(&"STRESS~1.DAT".to_string()));
    assert!(shorts.contains(&"STR~9999.DAT".to_string()));
    // A create of a taken name costs no more than a lookup.
    let before = fs.dir_entries_read();
    assert_eq!(fs.create(dir, &name(17), 0o644), Err(fat32::Error::Exists));
    assert_eq!(fs.create(dir, &name(17).to_uppercase(), 0o644), Err(fat32::Error::Exists));
    assert!(fs.dir_entries_read() - before < 100, "EEXIST cost {} entries", fs.dir_entries_read() - before);
    // An alias given up is the lowest free one again.
    let short_of = |fs: &mut Fs, n: &str| fs.read_dir(dir).unwrap().into_iter().find(|e| e.name == n).unwrap().short_name;
    assert_eq!(short_of(&mut fs, &name(5)), "STRESS~6.DAT");
    fs.unlink(dir, &name(5)).unwrap();
    fs.create(dir, &name(5), 0o644).unwrap();
    assert_eq!(short_of(&mut fs, &name(5)), "STRESS~6.DAT");
    assert_clean(&mut fs);
    let mut img = unmount(fs);
    fsck_fat(&img);
    {
        let ff = fatfs(&mut img);
        let d = ff.root_dir().open_dir("big").unwrap();
        assert_eq!(d.iter().filter(|e| !e.as_ref().unwrap().file_name().starts_with('.')).count(), N);
    }
    let mut fs = mount(img);
    let dir = fs.resolve("/big").unwrap();
    let c = costs(&mut fs, |fs, i| {
        fs.unlink(dir, &name(i)).unwrap();
    });
    assert_flat("unlink", &c);
    assert!(fs.read_dir(dir).unwrap().is_empty());
    // Freed entries are reused, and the lowest alias again.
    fs.create(dir, &name(3), 0o644).unwrap();
    assert_eq!(fs.read_dir(dir).unwrap()[0].short_name, "STRESS~1.DAT");
    fs.unlink(dir, &name(3)).unwrap();
    fs.rmdir(root, "big").unwrap();
    let mut img = unmount(fs);
    fsck_fat(&img);
    let ff = fatfs(&mut img);
    assert!(ff.root_dir().iter().all(|e| e.unwrap().file_name() != "big"));
}

/// More directories than the index cache keeps, used round-robin with
/// creates, renames (within and across directories, case-only too) and
/// unlinks: what the file system lists always equals a model, aliases
/// stay unique, and fatfs and fsck.fat agree with the result.
#[test]
fn indices_stay_exact_through_eviction_and_renames() {
    use std::collections::BTreeMap;
    let mut fs = mount(image(40, 512));
    let root = fs.root();
    let dirs: Vec<_> = (0..40).map(|d| fs.mkdir(root, &format!("d{}", d)).unwrap()).collect();
    let mut model: Vec<BTreeMap<String, ()>> = vec![BTreeMap::new(); dirs.len()];
    let mut x: u32 = 12345;
    for step in 0..6000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let d = (x % 40) as usize;
        let names: Vec<String> = model[d].keys().cloned().collect();
        match (x >> 8) % 5 {
            0 | 1 => {
                let n = format!("Some Long Name {}.txt", step);
                fs.create(dirs[d], &n, 0o644).unwrap();
                model[d].insert(n, ());
            }
            2 if !names.is_empty() => {
                let n = &names[(x >> 12) as usize % names.len()];
                fs.unlink(dirs[d], n).unwrap();
                model[d].remove(n);
            }
            3 if !names.is_empty() => {
                let n = &names[(x >> 12) as usize % names.len()];
                let to = (x >> 16) as usize % 40;
                let new = if to == d { n.to_uppercase() } else { format!("moved {}", step) };
                fs.rename(dirs[d], n, dirs[to], &new).unwrap();
                model[d].remove(n);
                model[to].insert(new, ());
            }
            _ => {
                if let Some(n) = names.first() {
                    assert!(fs.lookup(dirs[d], &n.to_lowercase()).is_ok());
                    assert_eq!(fs.create(dirs[d], n, 0o644), Err(fat32::Error::Exists));
                }
            }
        }
    }
    for (d, &dir) in dirs.iter().enumerate() {
        let entries = fs.read_dir(dir).unwrap();
        let got: Vec<String> = {
            let mut v: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
            v.sort();
            v
        };
        assert_eq!(got, model[d].keys().cloned().collect::<Vec<_>>(), "directory d{}", d);
        let mut shorts: Vec<_> = entries.iter().map(|e| e.short_name.clone()).collect();
        shorts.sort();
        shorts.dedup();
        assert_eq!(shorts.len(), entries.len(), "aliases in d{} are unique", d);
    }
    assert_clean(&mut fs);
    let mut img = unmount(fs);
    fsck_fat(&img);
    let ff = fatfs(&mut img);
    for (d, m) in model.iter().enumerate() {
        assert_eq!(fatfs_names(&ff, &format!("d{}", d)), m.keys().cloned().collect::<Vec<_>>());
    }
}
