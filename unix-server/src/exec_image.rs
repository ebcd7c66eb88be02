//! execve's plan: what to map from an ELF file, and the initial stack.
//!
//! [`plan`] validates a static x86_64 ELF (ET_EXEC, or static-pie ET_DYN
//! loaded at [`DYN_LOAD_BASE`]) and describes its segments; it maps
//! nothing. Dynamic binaries (PT_INTERP) are refused with ENOEXEC until
//! there is an interpreter story. Segments must stay inside user space
//! and clear of emulib's range ([`EMULIB_BASE`]..[`EMULIB_END`]), which
//! survives exec, so a hostile ELF cannot map over the emulation library.
//!
//! [`build_stack`] lays out argc, argv, envp and auxv exactly as Linux's
//! ELF loader does, as a byte image for the top of the new stack.

use alloc::vec::Vec;
use goblin::container::{Container, Ctx, Endian};
use goblin::elf::header::{EM_X86_64, ET_DYN, ET_EXEC};
use goblin::elf::program_header::{PF_R, PF_W, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD, PT_PHDR};
use goblin::elf::{Elf, ProgramHeader};
use linux_abi::consts::auxv::*;
use linux_abi::consts::mman::{PROT_EXEC, PROT_READ, PROT_WRITE};
pub use linux_abi::layout::{DYN_LOAD_BASE, EMULIB_BASE, EMULIB_END, PAGE_SIZE, USER_END, USER_MIN};
use linux_abi::layout::{overlaps_emulib, page_down, page_up};
use linux_abi::Errno;

/// Size of one ELF64 program header.
const PHENT: u64 = 56;
/// Linux's limit on one argument or environment string (32 pages).
pub const MAX_ARG_STRLEN: usize = 32 * PAGE_SIZE as usize;
/// Most memory an image's segments may span together (64 GiB): the
/// kernel is not asked for more, and exec fails with ENOMEM before the
/// point of no return (Linux gets that far and kills the process).
pub const MAX_IMAGE_SPAN: u64 = 1 << 36;
/// Linux's clock tick as seen by user space (AT_CLKTCK, times()).
pub const CLK_TCK: u64 = 100;

/// One PT_LOAD segment, load bias applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Exact start address (not page aligned).
    pub vaddr: u64,
    pub memsz: u64,
    /// Where the file bytes come from: `filesz` bytes at `offset` go to
    /// `vaddr`; the rest up to `memsz` is zero (bss).
    pub offset: u64,
    pub filesz: u64,
    /// PROT_READ | PROT_WRITE | PROT_EXEC bits.
    pub prot: u32,
}

impl Segment {
    /// The page-aligned mapping: [map_start, map_end), file from
    /// `map_offset` (congruent with vaddr, validated by `plan`).
    pub fn map_start(&self) -> u64 {
        page_down(self.vaddr)
    }
    pub fn map_end(&self) -> u64 {
        page_up(self.vaddr + self.memsz).unwrap_or(USER_END)
    }
    pub fn map_offset(&self) -> u64 {
        page_down(self.offset)
    }
    /// First byte past the file-backed part: the glue zeroes from here to
    /// the end of its page, then maps anonymous zero pages to map_end.
    pub fn file_end(&self) -> u64 {
        self.vaddr + self.filesz
    }
}

/// The validated plan for an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecPlan {
    /// ET_EXEC or ET_DYN.
    pub e_type: u16,
    /// 0 for ET_EXEC.
    pub bias: u64,
    /// Biased entry point.
    pub entry: u64,
    /// Ascending, non-overlapping.
    pub segments: Vec<Segment>,
    /// Where the program headers are in memory (AT_PHDR).
    pub phdr: u64,
    pub phnum: u64,
    /// Initial program break: page after the highest segment.
    pub brk: u64,
    /// PT_GNU_STACK asked for an executable stack.
    pub exec_stack: bool,
}

/// Validates `file` and computes where its segments go.
pub fn plan(file: &[u8]) -> Result<ExecPlan, Errno> {
    if file.len() < 4 || &file[..4] != b"\x7fELF" {
        return Err(Errno::ENOEXEC);
    }
    let h = Elf::parse_header(file).map_err(|_| Errno::ENOEXEC)?;
    let e_ident_ok = h.e_ident[4] == 2 && h.e_ident[5] == 1; // ELFCLASS64, ELFDATA2LSB
    if !e_ident_ok || h.e_machine != EM_X86_64 || !(h.e_type == ET_EXEC || h.e_type == ET_DYN) {
        return Err(Errno::ENOEXEC);
    }
    // Linux's bound on the program header table (64 KiB, ~1170 entries).
    if h.e_phentsize as u64 != PHENT || h.e_phnum == 0 || h.e_phnum as u64 * PHENT > 65536 {
        return Err(Errno::ENOEXEC);
    }
    let ctx = Ctx::new(Container::Big, Endian::Little);
    let phs = ProgramHeader::parse(file, h.e_phoff as usize, h.e_phnum as usize, ctx).map_err(|_| Errno::ENOEXEC)?;
    if phs.iter().any(|p| p.p_type == PT_INTERP) {
        return Err(Errno::ENOEXEC);
    }
    let loads: Vec<&ProgramHeader> = phs.iter().filter(|p| p.p_type == PT_LOAD).collect();
    let first = *loads.first().ok_or(Errno::ENOEXEC)?;
    let bias = match h.e_type {
        ET_DYN => DYN_LOAD_BASE.checked_sub(page_down(first.p_vaddr)).ok_or(Errno::ENOEXEC)?,
        _ => 0,
    };
    let segments = loads.iter().map(|p| segment(p, bias, file.len() as u64)).collect::<Result<Vec<_>, _>>()?;
    check_order(&segments)?;
    let span: u64 = segments.iter().map(|s| s.map_end() - s.map_start()).sum();
    if span > MAX_IMAGE_SPAN {
        return Err(Errno::ENOMEM);
    }
    let entry = h.e_entry.checked_add(bias).ok_or(Errno::ENOEXEC)?;
    if !segments.iter().any(|s| s.prot & PROT_EXEC != 0 && entry >= s.vaddr && entry < s.vaddr + s.memsz) {
        return Err(Errno::ENOEXEC);
    }
    let phdr = phdr_address(&phs, &loads, h.e_phoff, h.e_phnum as u64, bias);
    let brk = segments.iter().map(|s| s.map_end()).max().unwrap_or(USER_MIN);
    let exec_stack = phs.iter().any(|p| p.p_type == PT_GNU_STACK && p.p_flags & PF_X != 0);
    Ok(ExecPlan { e_type: h.e_type, bias, entry, segments, phdr, phnum: h.e_phnum as u64, brk, exec_stack })
}

/// Validates one PT_LOAD against the file and the address-space rules.
fn segment(p: &ProgramHeader, bias: u64, file_len: u64) -> Result<Segment, Errno> {
    let bad = Err(Errno::ENOEXEC);
    if p.p_filesz > p.p_memsz || p.p_memsz == 0 {
        return bad;
    }
    match p.p_offset.checked_add(p.p_filesz) {
        Some(end) if end <= file_len => {}
        _ => return bad,
    }
    // The file page and the memory page must line up to be mappable.
    if p.p_vaddr % PAGE_SIZE != p.p_offset % PAGE_SIZE {
        return bad;
    }
    let vaddr = p.p_vaddr.checked_add(bias).ok_or(Errno::ENOEXEC)?;
    let end = vaddr.checked_add(p.p_memsz).and_then(page_up).ok_or(Errno::ENOEXEC)?;
    if page_down(vaddr) < USER_MIN || end > USER_END || overlaps_emulib(page_down(vaddr), end) {
        return bad;
    }
    let mut prot = 0;
    for (pf, pr) in [(PF_R, PROT_READ), (PF_W, PROT_WRITE), (PF_X, PROT_EXEC)] {
        if p.p_flags & pf != 0 {
            prot |= pr;
        }
    }
    Ok(Segment { vaddr, memsz: p.p_memsz, offset: p.p_offset, filesz: p.p_filesz, prot })
}

/// ELF requires PT_LOADs in ascending vaddr order; they must not overlap
/// (they may share a boundary page, which the glue maps once with the
/// union of protections).
fn check_order(segs: &[Segment]) -> Result<(), Errno> {
    for w in segs.windows(2) {
        if w[1].vaddr < w[0].vaddr + w[0].memsz {
            return Err(Errno::ENOEXEC);
        }
    }
    Ok(())
}

/// AT_PHDR: PT_PHDR if present; else the PT_LOAD that contains the
/// program headers in the file; else Linux's guess (first load's
/// address minus its offset, plus e_phoff).
fn phdr_address(phs: &[ProgramHeader], loads: &[&ProgramHeader], phoff: u64, phnum: u64, bias: u64) -> u64 {
    if let Some(p) = phs.iter().find(|p| p.p_type == PT_PHDR) {
        return p.p_vaddr.wrapping_add(bias);
    }
    let size = phnum * PHENT;
    let containing = loads.iter().find(|p| p.p_offset <= phoff && phoff + size <= p.p_offset + p.p_filesz);
    let p = containing.unwrap_or(&loads[0]);
    p.p_vaddr.wrapping_sub(p.p_offset).wrapping_add(phoff).wrapping_add(bias)
}

/// What the auxiliary vector reports, beyond the plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuxInfo {
    pub phdr: u64,
    pub phnum: u64,
    pub entry: u64,
    /// Interpreter base; 0 for static binaries.
    pub base: u64,
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
    /// Set-id exec: libc then ignores dangerous environment variables.
    pub secure: bool,
    /// CPUID.1:EDX, as Linux reports it.
    pub hwcap: u64,
    /// Omitted from the vector when 0.
    pub hwcap2: u64,
}

impl AuxInfo {
    pub fn from_plan(p: &ExecPlan) -> Self {
        AuxInfo { phdr: p.phdr, phnum: p.phnum, entry: p.entry, ..Default::default() }
    }
}

/// The initial stack: `bytes` go at [rsp, top).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackImage {
    pub rsp: u64,
    pub bytes: Vec<u8>,
}

impl StackImage {
    /// The 8-byte word at user address `addr` (for tests and debugging).
    pub fn word(&self, addr: u64) -> Option<u64> {
        let o = addr.checked_sub(self.rsp)? as usize;
        let b = self.bytes.get(o..o + 8)?;
        Some(u64::from_le_bytes(b.try_into().ok()?))
    }
    /// The NUL-terminated string at user address `addr`.
    pub fn cstr(&self, addr: u64) -> Option<&[u8]> {
        let o = addr.checked_sub(self.rsp)? as usize;
        let rest = self.bytes.get(o..)?;
        rest.iter().position(|b| *b == 0).map(|n| &rest[..n])
    }
}

/// Builds the stack below `top` (16-aligned): from the top down, an
/// 8-byte zero end marker, the exec file name, the strings (argv[0]
/// lowest), "x86_64", the 16 AT_RANDOM bytes, then, 16-aligned at rsp,
/// argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL. E2BIG when one
/// string exceeds MAX_ARG_STRLEN or everything exceeds `limit` bytes
/// (Linux uses a quarter of RLIMIT_STACK).
pub fn build_stack(
    top: u64,
    argv: &[&[u8]],
    envp: &[&[u8]],
    execfn: &[u8],
    aux: &AuxInfo,
    random: &[u8; 16],
    limit: usize,
) -> Result<StackImage, Errno> {
    if !top.is_multiple_of(16) {
        return Err(Errno::EINVAL);
    }
    let strings: Vec<&[u8]> = argv.iter().chain(envp.iter()).copied().collect();
    if strings.iter().chain([&execfn]).any(|s| s.len() + 1 > MAX_ARG_STRLEN) {
        return Err(Errno::E2BIG);
    }
    let auxv = aux_vector(aux);
    let strbytes: usize = strings.iter().map(|s| s.len() + 1).sum::<usize>() + execfn.len() + 1;
    let words = 1 + argv.len() + 1 + envp.len() + 1 + auxv.len() * 2 + 2;
    let total = strbytes + 8 + 7 + 16 + 8 * words + 16;
    if total > limit || top < total as u64 {
        return Err(Errno::E2BIG);
    }
    let mut img = Builder::new(top, total + 32);
    img.push(&[0u8; 8]);
    let execfn_at = img.push_cstr(execfn);
    let mut ptrs: Vec<u64> = strings.iter().rev().map(|s| img.push_cstr(s)).collect();
    ptrs.reverse();
    let platform_at = img.push_cstr(b"x86_64");
    let random_at = img.push(random);
    let vector = vector_words(argv.len(), &ptrs, &auxv, execfn_at, platform_at, random_at);
    img.align_for(vector.len() * 8);
    for w in vector.iter().rev() {
        img.push(&w.to_le_bytes());
    }
    Ok(img.finish())
}

/// The auxv entries whose values are known before placement; the
/// address-valued ones (AT_RANDOM, AT_EXECFN, AT_PLATFORM) get theirs in
/// `vector_words`. Order as Linux's create_elf_tables.
fn aux_vector(a: &AuxInfo) -> Vec<(u64, u64)> {
    let mut v = alloc::vec![
        (AT_HWCAP, a.hwcap),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, CLK_TCK),
        (AT_PHDR, a.phdr),
        (AT_PHENT, PHENT),
        (AT_PHNUM, a.phnum),
        (AT_BASE, a.base),
        (AT_FLAGS, 0),
        (AT_ENTRY, a.entry),
        (AT_UID, a.uid as u64),
        (AT_EUID, a.euid as u64),
        (AT_GID, a.gid as u64),
        (AT_EGID, a.egid as u64),
        (AT_SECURE, a.secure as u64),
        (AT_RANDOM, 0),
    ];
    if a.hwcap2 != 0 {
        v.push((AT_HWCAP2, a.hwcap2));
    }
    v.push((AT_EXECFN, 0));
    v.push((AT_PLATFORM, 0));
    v
}

fn vector_words(argc: usize, ptrs: &[u64], auxv: &[(u64, u64)], execfn: u64, platform: u64, random: u64) -> Vec<u64> {
    let mut w = Vec::with_capacity(ptrs.len() + 4 + auxv.len() * 2);
    w.push(argc as u64);
    w.extend_from_slice(&ptrs[..argc]);
    w.push(0);
    w.extend_from_slice(&ptrs[argc..]);
    w.push(0);
    for &(k, v) in auxv {
        let v = match k {
            AT_EXECFN => execfn,
            AT_PLATFORM => platform,
            AT_RANDOM => random,
            _ => v,
        };
        w.extend_from_slice(&[k, v]);
    }
    w.extend_from_slice(&[AT_NULL, 0]);
    w
}

/// Fills a buffer from its end downwards, tracking user addresses.
struct Builder {
    top: u64,
    buf: Vec<u8>,
    /// Bytes used, counted from the top.
    used: usize,
}

impl Builder {
    fn new(top: u64, cap: usize) -> Self {
        Builder { top, buf: alloc::vec![0; cap], used: 0 }
    }
    fn addr(&self) -> u64 {
        self.top - self.used as u64
    }
    fn push(&mut self, b: &[u8]) -> u64 {
        self.used += b.len();
        let start = self.buf.len() - self.used;
        self.buf[start..start + b.len()].copy_from_slice(b);
        self.addr()
    }
    fn push_cstr(&mut self, s: &[u8]) -> u64 {
        self.push(&[0]);
        self.push(s)
    }
    /// Pads so that after `len` more bytes the address is 16-aligned.
    fn align_for(&mut self, len: usize) {
        let end = self.addr() - len as u64;
        self.used += (end % 16) as usize;
    }
    fn finish(mut self) -> StackImage {
        let start = self.buf.len() - self.used;
        let rsp = self.addr();
        StackImage { rsp, bytes: self.buf.split_off(start) }
    }
}

#[cfg(test)]
mod tests;
