use super::*;
use std::process::Command;
use std::{format, vec};

/// (p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz)
type Ph = (u32, u32, u64, u64, u64, u64);

/// A minimal ELF64 x86_64 image: header, program headers at 64, then
/// zero padding to `len`.
fn elf(e_type: u16, entry: u64, phs: &[Ph], len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len.max(64 + 56 * phs.len())];
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = 2; // 64-bit
    b[5] = 1; // little endian
    b[6] = 1; // version
    b[16..18].copy_from_slice(&e_type.to_le_bytes());
    b[18..20].copy_from_slice(&62u16.to_le_bytes());
    b[20..24].copy_from_slice(&1u32.to_le_bytes());
    b[24..32].copy_from_slice(&entry.to_le_bytes());
    b[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
    b[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
    b[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
    b[56..58].copy_from_slice(&(phs.len() as u16).to_le_bytes());
    b[58..60].copy_from_slice(&64u16.to_le_bytes()); // e_shentsize
    for (i, &(t, f, off, va, fsz, msz)) in phs.iter().enumerate() {
        let o = 64 + 56 * i;
        b[o..o + 4].copy_from_slice(&t.to_le_bytes());
        b[o + 4..o + 8].copy_from_slice(&f.to_le_bytes());
        b[o + 8..o + 16].copy_from_slice(&off.to_le_bytes());
        b[o + 16..o + 24].copy_from_slice(&va.to_le_bytes());
        b[o + 24..o + 32].copy_from_slice(&va.to_le_bytes());
        b[o + 32..o + 40].copy_from_slice(&fsz.to_le_bytes());
        b[o + 40..o + 48].copy_from_slice(&msz.to_le_bytes());
        b[o + 48..o + 56].copy_from_slice(&0x1000u64.to_le_bytes());
    }
    b
}

const RX: u32 = PF_R | PF_X;
const RW: u32 = PF_R | PF_W;
const TEXT: Ph = (PT_LOAD, RX, 0, 0x40_0000, 0x2000, 0x2000);
const DATA: Ph = (PT_LOAD, RW, 0x2000, 0x40_3000, 0x100, 0x5000);

#[test]
fn synthetic_et_exec_plan() {
    let f = elf(ET_EXEC as u16, 0x40_0100, &[TEXT, DATA, (PT_GNU_STACK, RW, 0, 0, 0, 0)], 0x2100);
    let p = plan(&f).unwrap();
    assert_eq!((p.bias, p.entry, p.phnum), (0, 0x40_0100, 3));
    assert_eq!(p.segments.len(), 2);
    let d = p.segments[1];
    assert_eq!((d.vaddr, d.filesz, d.memsz, d.prot), (0x40_3000, 0x100, 0x5000, PROT_READ | PROT_WRITE));
    assert_eq!((d.map_start(), d.map_end(), d.map_offset(), d.file_end()), (0x40_3000, 0x40_8000, 0x2000, 0x40_3100));
    assert_eq!(p.segments[0].prot, PROT_READ | PROT_EXEC);
    assert_eq!(p.phdr, 0x40_0040, "phdrs at file offset 64 inside the text segment");
    assert_eq!(p.brk, 0x40_8000);
    assert!(!p.exec_stack);
}

#[test]
fn synthetic_static_pie_gets_bias() {
    let text: Ph = (PT_LOAD, RX, 0, 0, 0x2000, 0x2000);
    let phdr: Ph = (PT_PHDR, PF_R, 64, 64, 56 * 2, 56 * 2);
    let f = elf(ET_DYN as u16, 0x180, &[phdr, text], 0x2000);
    let p = plan(&f).unwrap();
    assert_eq!(p.bias, DYN_LOAD_BASE);
    assert_eq!(p.bias % PAGE_SIZE, 0);
    assert_eq!(p.entry, DYN_LOAD_BASE + 0x180);
    assert_eq!(p.phdr, DYN_LOAD_BASE + 64);
    assert_eq!(p.segments[0].vaddr, DYN_LOAD_BASE);
}

#[test]
fn refusals_are_enoexec() {
    let ok = |phs: &[Ph]| plan(&elf(ET_EXEC as u16, 0x40_0100, phs, 0x3000));
    assert_eq!(plan(b"#!/bin/sh\n").err(), Some(Errno::ENOEXEC), "not ELF");
    assert_eq!(plan(b"\x7fEL").err(), Some(Errno::ENOEXEC), "short");
    assert_eq!(plan(&elf(ET_EXEC as u16, 0, &[TEXT], 0x2000)[..100]).err(), Some(Errno::ENOEXEC), "truncated phdrs");
    let mut m = elf(ET_EXEC as u16, 0x40_0100, &[TEXT], 0x2000);
    m[18] = 3; // EM_386
    assert_eq!(plan(&m).err(), Some(Errno::ENOEXEC), "wrong machine");
    assert_eq!(plan(&elf(1, 0x40_0100, &[TEXT], 0x2000)).err(), Some(Errno::ENOEXEC), "ET_REL");
    let mut many = elf(ET_EXEC as u16, 0x40_0100, &[TEXT], 64 + 56 * 1200);
    many[56..58].copy_from_slice(&1200u16.to_le_bytes());
    assert_eq!(plan(&many).err(), Some(Errno::ENOEXEC), "phnum past Linux's 64 KiB table");
    assert_eq!(ok(&[(PT_INTERP, PF_R, 0x1000, 0x40_1000, 10, 10), TEXT]).err(), Some(Errno::ENOEXEC), "dynamic");
    assert_eq!(ok(&[(PT_GNU_STACK, RW, 0, 0, 0, 0)]).err(), Some(Errno::ENOEXEC), "no PT_LOAD");
    assert_eq!(ok(&[(PT_LOAD, RX, 0, 0x40_0000, 0x2000, 0x1000)]).err(), Some(Errno::ENOEXEC), "filesz > memsz");
    assert_eq!(ok(&[(PT_LOAD, RX, 0x2000, 0x40_0000, 0x2000, 0x2000)]).err(), Some(Errno::ENOEXEC), "past EOF");
    assert_eq!(ok(&[(PT_LOAD, RX, u64::MAX - 5, 0x40_0000, 0x10, 0x10)]).err(), Some(Errno::ENOEXEC), "offset overflow");
    assert_eq!(ok(&[(PT_LOAD, RX, 0x10, 0x40_0000, 0x10, 0x10)]).err(), Some(Errno::ENOEXEC), "incongruent");
    assert_eq!(ok(&[(PT_LOAD, RX, 0, 0, 0x2000, 0x2000)]).err(), Some(Errno::ENOEXEC), "page zero");
    assert_eq!(ok(&[(PT_LOAD, RX, 0, EMULIB_BASE + 0x4000, 0x2000, 0x2000)]).err(), Some(Errno::ENOEXEC), "over emulib");
    assert_eq!(ok(&[TEXT, (PT_LOAD, RW, 0, EMULIB_BASE - 0x1000, 0x1000, 0x2000)]).err(), Some(Errno::ENOEXEC), "into emulib");
    assert_eq!(ok(&[(PT_LOAD, RX, 0, USER_END - 0x1000, 0x1000, 0x2000)]).err(), Some(Errno::ENOEXEC), "past user end");
    assert_eq!(ok(&[(PT_LOAD, RX, 0, u64::MAX & !0xfff, 0x1000, 0x1000)]).err(), Some(Errno::ENOEXEC), "wraps");
    assert_eq!(ok(&[TEXT, (PT_LOAD, RW, 0x1000, 0x40_1000, 0x100, 0x100)]).err(), Some(Errno::ENOEXEC), "overlap");
    assert_eq!(ok(&[DATA, TEXT]).err(), Some(Errno::ENOEXEC), "descending");
    assert_eq!(plan(&elf(ET_EXEC as u16, 0x40_3000, &[TEXT, DATA], 0x3000)).err(), Some(Errno::ENOEXEC), "entry not in text");
}

#[test]
fn an_image_too_big_to_map_is_enomem_before_anything_is_asked() {
    let huge: Ph = (PT_LOAD, RW | PF_X, 0, 0x40_0000, 0x1000, 1 << 46);
    assert_eq!(plan(&elf(ET_EXEC as u16, 0x40_0100, &[huge], 0x1000)).err(), Some(Errno::ENOMEM));
    let two: [Ph; 2] = [(PT_LOAD, RX, 0, 0x40_0000, 0x1000, 1 << 35), (PT_LOAD, RW, 0, 0x1000_0000_0000, 0, (1 << 35) + 0x1000)];
    assert_eq!(plan(&elf(ET_EXEC as u16, 0x40_0100, &two, 0x1000)).err(), Some(Errno::ENOMEM), "the sum counts");
    let big: Ph = (PT_LOAD, RX, 0, 0x40_0000, 0x1000, 1 << 30);
    assert!(plan(&elf(ET_EXEC as u16, 0x40_0100, &[big], 0x1000)).is_ok(), "a 1 GiB bss is fine");
}

/// Compiles a tiny C program with `flags`; `None` when the host cannot.
fn host_binary(name: &str, flags: &[&str]) -> Option<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!("unix-server-exec-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let c = dir.join("t.c");
    std::fs::write(&c, "int x = 3; int y[1000]; int main(void) { return x + y[5]; }\n").ok()?;
    let exe = dir.join("t");
    let out = Command::new("cc").args(flags).arg("-o").arg(&exe).arg(&c).output().ok()?;
    let bytes = if out.status.success() { std::fs::read(&exe).ok() } else { None };
    let _ = std::fs::remove_dir_all(&dir);
    if bytes.is_none() {
        std::eprintln!("skipping {name}: cc {flags:?} failed");
    }
    bytes
}

fn check_real(p: &ExecPlan, f: &[u8]) {
    let h = Elf::parse_header(f).unwrap();
    assert_eq!(p.entry, h.e_entry + p.bias);
    assert!(p.segments.iter().any(|s| s.prot & PROT_EXEC != 0));
    assert!(p.segments.iter().any(|s| s.prot & PROT_WRITE != 0 && s.memsz > s.filesz), "bss");
    for s in &p.segments {
        assert_eq!(s.vaddr % PAGE_SIZE, s.offset % PAGE_SIZE);
        assert!(s.map_start() >= USER_MIN && s.map_end() <= USER_END);
    }
    // AT_PHDR points at the program headers' bytes as mapped.
    let s = p.segments.iter().find(|s| p.phdr >= s.vaddr && p.phdr < s.vaddr + s.filesz).expect("phdrs mapped");
    let off = (s.offset + p.phdr - s.vaddr) as usize;
    assert_eq!(&f[off..off + 56], &f[h.e_phoff as usize..h.e_phoff as usize + 56]);
}

#[test]
fn real_static_binary() {
    let Some(f) = host_binary("static", &["-static", "-O1"]) else { return };
    let p = plan(&f).unwrap();
    assert_eq!((p.e_type, p.bias), (ET_EXEC, 0));
    check_real(&p, &f);
}

#[test]
fn real_static_pie_binary() {
    let Some(f) = host_binary("static-pie", &["-static-pie", "-fPIE", "-O1"]) else { return };
    let p = plan(&f).unwrap();
    assert_eq!((p.e_type, p.bias), (ET_DYN, DYN_LOAD_BASE));
    check_real(&p, &f);
}

#[test]
fn real_dynamic_binary_is_refused() {
    let Some(f) = host_binary("dynamic", &["-O1"]) else { return };
    assert_eq!(plan(&f).err(), Some(Errno::ENOEXEC));
}

#[test]
fn stack_layout_word_by_word() {
    let top = 0x7fff_ffff_e000;
    let aux = AuxInfo { phdr: 0x40_0040, phnum: 9, entry: 0x40_1000, uid: 1000, euid: 1001, gid: 100, egid: 101, secure: true, hwcap: 0x178bfbff, ..Default::default() };
    let random = [7u8; 16];
    let argv: [&[u8]; 2] = [b"/bin/echo", b"hi"];
    let envp: [&[u8]; 1] = [b"PATH=/bin"];
    let s = build_stack(top, &argv, &envp, b"/bin/echo", &aux, &random, 1 << 20).unwrap();
    assert_eq!(s.rsp % 16, 0, "ABI: rsp 16-aligned at _start");
    assert_eq!(s.rsp + s.bytes.len() as u64, top);
    assert_eq!(s.word(top - 8), Some(0), "end marker");
    let mut a = s.rsp;
    let mut next = || {
        let w = s.word(a).unwrap();
        a += 8;
        w
    };
    assert_eq!(next(), 2, "argc");
    let (a0, a1) = (next(), next());
    assert_eq!((s.cstr(a0).unwrap(), s.cstr(a1).unwrap()), (&b"/bin/echo"[..], &b"hi"[..]));
    assert!(a0 < a1, "argv[0] lowest");
    assert_eq!(next(), 0);
    let e0 = next();
    assert_eq!(s.cstr(e0).unwrap(), b"PATH=/bin");
    assert!(e0 > a1);
    assert_eq!(next(), 0);
    let mut aux_seen = std::collections::BTreeMap::new();
    let mut order = Vec::new();
    loop {
        let (k, v) = (next(), next());
        order.push(k);
        if k == AT_NULL {
            break;
        }
        aux_seen.insert(k, v);
    }
    let g = |k| aux_seen[&k];
    assert_eq!((g(AT_PHDR), g(AT_PHENT), g(AT_PHNUM)), (0x40_0040, 56, 9));
    assert_eq!((g(AT_PAGESZ), g(AT_BASE), g(AT_ENTRY), g(AT_CLKTCK)), (4096, 0, 0x40_1000, 100));
    assert_eq!((g(AT_UID), g(AT_EUID), g(AT_GID), g(AT_EGID), g(AT_SECURE)), (1000, 1001, 100, 101, 1));
    assert_eq!(g(AT_HWCAP), 0x178bfbff);
    assert!(!aux_seen.contains_key(&AT_HWCAP2), "omitted when 0");
    let r = g(AT_RANDOM) - s.rsp;
    assert_eq!(&s.bytes[r as usize..r as usize + 16], &random);
    assert_eq!(s.cstr(g(AT_PLATFORM)).unwrap(), b"x86_64");
    assert_eq!(s.cstr(g(AT_EXECFN)).unwrap(), b"/bin/echo");
    assert!(g(AT_EXECFN) > e0, "execfn above the strings");
    assert_eq!(order.first(), Some(&AT_HWCAP));
    // The vector ends just below the info block.
    assert!(a <= g(AT_RANDOM));
}

#[test]
fn stack_alignment_for_every_argc() {
    for n in 0..6 {
        let args: Vec<&[u8]> = (0..n).map(|_| &b"abc"[..]).collect();
        let s = build_stack(0x7000_0000, &args, &[], b"x", &AuxInfo::default(), &[0; 16], 1 << 16).unwrap();
        assert_eq!(s.rsp % 16, 0);
        assert_eq!(s.word(s.rsp), Some(n as u64));
    }
    assert_eq!(build_stack(0x7000_0008, &[], &[], b"x", &AuxInfo::default(), &[0; 16], 4096).err(), Some(Errno::EINVAL));
}

#[test]
fn e2big() {
    let big = vec![b'a'; MAX_ARG_STRLEN];
    let r = build_stack(0x7000_0000, &[&big], &[], b"x", &AuxInfo::default(), &[0; 16], 1 << 24);
    assert_eq!(r.err(), Some(Errno::E2BIG), "one string too long");
    let many: Vec<&[u8]> = (0..1000).map(|_| &b"0123456789"[..]).collect();
    let r = build_stack(0x7000_0000, &many, &[], b"x", &AuxInfo::default(), &[0; 16], 4096);
    assert_eq!(r.err(), Some(Errno::E2BIG), "total over the limit");
    assert!(build_stack(0x7000_0000, &many, &[], b"x", &AuxInfo::default(), &[0; 16], 1 << 16).is_ok());
}
