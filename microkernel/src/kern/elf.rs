//! Checking an ELF executable before anything of it is loaded: the boot
//! modules the kernel starts as its first tasks. Everything a segment says
//! is validated against the file and the user address range, so a damaged
//! image is an error, never a kernel fault.

use alloc::vec::Vec;
use goblin::elf::{header, program_header, Elf};
use mach::vm::{VmProt, PAGE_SIZE, VM_MAX_ADDRESS, VM_MIN_ADDRESS, VM_PROT_EXECUTE, VM_PROT_READ, VM_PROT_WRITE};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfError {
    /// Not parseable as ELF.
    Malformed,
    /// Not ELF64 little-endian for x86_64.
    WrongMachine,
    /// Not an ET_EXEC executable.
    NotExecutable,
    /// Has an interpreter: the kernel only starts static programs.
    Dynamic,
    /// A loadable segment is inconsistent with the file or the user range.
    BadSegment,
    /// No loadable segment, or the entry is not in an executable one.
    BadEntry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u64,
    pub memsz: u64,
    pub offset: u64,
    pub filesz: u64,
    pub prot: VmProt,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPlan {
    pub entry: u64,
    pub segments: Vec<Segment>,
}

fn prot_of(flags: u32) -> VmProt {
    let mut p = 0;
    if flags & program_header::PF_R != 0 {
        p |= VM_PROT_READ;
    }
    if flags & program_header::PF_W != 0 {
        p |= VM_PROT_WRITE;
    }
    if flags & program_header::PF_X != 0 {
        p |= VM_PROT_EXECUTE;
    }
    p
}

fn check_segment(s: &Segment, file_len: u64) -> Result<(), ElfError> {
    let file_end = s.offset.checked_add(s.filesz).ok_or(ElfError::BadSegment)?;
    let mem_end = s.vaddr.checked_add(s.memsz).ok_or(ElfError::BadSegment)?;
    let ok = s.filesz <= s.memsz
        && file_end <= file_len
        && s.vaddr >= VM_MIN_ADDRESS
        && mem_end <= VM_MAX_ADDRESS
        && s.vaddr % PAGE_SIZE as u64 == s.offset % PAGE_SIZE as u64;
    if ok { Ok(()) } else { Err(ElfError::BadSegment) }
}

/// Validates `image` and says what to load where.
pub fn plan(image: &[u8]) -> Result<LoadPlan, ElfError> {
    let elf = Elf::parse(image).map_err(|_| ElfError::Malformed)?;
    if !elf.is_64 || !elf.little_endian || elf.header.e_machine != header::EM_X86_64 {
        return Err(ElfError::WrongMachine);
    }
    if elf.header.e_type != header::ET_EXEC {
        return Err(ElfError::NotExecutable);
    }
    if elf.interpreter.is_some() {
        return Err(ElfError::Dynamic);
    }
    let mut segments = Vec::new();
    for ph in elf.program_headers.iter().filter(|p| p.p_type == program_header::PT_LOAD) {
        let s = Segment {
            vaddr: ph.p_vaddr,
            memsz: ph.p_memsz,
            offset: ph.p_offset,
            filesz: ph.p_filesz,
            prot: prot_of(ph.p_flags),
        };
        check_segment(&s, image.len() as u64)?;
        if s.memsz > 0 {
            segments.push(s);
        }
    }
    let entry = elf.entry;
    let in_text = segments
        .iter()
        .any(|s| s.prot & VM_PROT_EXECUTE != 0 && s.vaddr <= entry && entry < s.vaddr + s.memsz);
    if !in_text {
        return Err(ElfError::BadEntry);
    }
    Ok(LoadPlan { entry, segments })
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::vec;

    /// A minimal ELF64 executable: one PT_LOAD per (vaddr, flags, payload).
    pub fn build(e_type: u16, machine: u16, entry: u64, segs: &[(u64, u32, &[u8], u64)]) -> Vec<u8> {
        let phoff = 64u64;
        let data_start = phoff + 56 * segs.len() as u64;
        let mut out = vec![0u8; 64];
        out[0..4].copy_from_slice(b"\x7fELF");
        out[4] = 2; // 64-bit
        out[5] = 1; // little endian
        out[6] = 1;
        out[16..18].copy_from_slice(&e_type.to_le_bytes());
        out[18..20].copy_from_slice(&machine.to_le_bytes());
        out[20..24].copy_from_slice(&1u32.to_le_bytes());
        out[24..32].copy_from_slice(&entry.to_le_bytes());
        out[32..40].copy_from_slice(&phoff.to_le_bytes());
        out[52..54].copy_from_slice(&64u16.to_le_bytes());
        out[54..56].copy_from_slice(&56u16.to_le_bytes());
        out[56..58].copy_from_slice(&(segs.len() as u16).to_le_bytes());
        let mut payload = Vec::new();
        let mut offset = data_start.next_multiple_of(4096);
        for (vaddr, flags, bytes, memsz) in segs {
            let mut ph = vec![0u8; 56];
            ph[0..4].copy_from_slice(&1u32.to_le_bytes());
            ph[4..8].copy_from_slice(&flags.to_le_bytes());
            let off = offset + (vaddr % 4096);
            ph[8..16].copy_from_slice(&off.to_le_bytes());
            ph[16..24].copy_from_slice(&vaddr.to_le_bytes());
            ph[32..40].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
            ph[40..48].copy_from_slice(&memsz.to_le_bytes());
            out.extend_from_slice(&ph);
            payload.push((off, bytes.to_vec()));
            offset = (off + bytes.len() as u64).next_multiple_of(4096);
        }
        for (off, bytes) in payload {
            out.resize(off as usize, 0);
            out.extend_from_slice(&bytes);
        }
        out
    }

    const RX: u32 = program_header::PF_R | program_header::PF_X;
    const RW: u32 = program_header::PF_R | program_header::PF_W;

    #[test]
    fn accepts_a_static_executable() {
        let img = build(2, 62, 0x401000, &[(0x401000, RX, b"\xf4\xeb\xfe", 3), (0x402000, RW, b"data", 0x3000)]);
        let p = plan(&img).unwrap();
        assert_eq!(p.entry, 0x401000);
        assert_eq!(p.segments.len(), 2);
        assert_eq!(p.segments[0].prot, VM_PROT_READ | VM_PROT_EXECUTE);
        assert_eq!(p.segments[1].memsz, 0x3000);
        assert_eq!(p.segments[1].filesz, 4);
    }

    #[test]
    fn rejects_garbage_and_other_machines() {
        assert_eq!(plan(b"not an elf at all, just bytes"), Err(ElfError::Malformed));
        assert_eq!(plan(&[]), Err(ElfError::Malformed));
        let arm = build(2, 183, 0x401000, &[(0x401000, RX, b"x", 1)]);
        assert_eq!(plan(&arm), Err(ElfError::WrongMachine));
        let so = build(3, 62, 0x401000, &[(0x401000, RX, b"x", 1)]);
        assert_eq!(plan(&so), Err(ElfError::NotExecutable));
    }

    #[test]
    fn rejects_segments_outside_user_space_or_file() {
        let kernel = build(2, 62, 0xffff_8000_0000_0000, &[(0xffff_8000_0000_0000, RX, b"x", 1)]);
        assert_eq!(plan(&kernel), Err(ElfError::BadSegment));
        let zero = build(2, 62, 0x10, &[(0x0, RX, b"x", 1)]);
        assert_eq!(plan(&zero), Err(ElfError::BadSegment));
        let mut short = build(2, 62, 0x401000, &[(0x401000, RX, &[0x90; 64], 64)]);
        short.truncate(short.len() - 10);
        assert!(plan(&short).is_err());
        let shrunk = build(2, 62, 0x401000, &[(0x401000, RX, &[0x90; 64], 8)]);
        assert_eq!(plan(&shrunk), Err(ElfError::BadSegment));
    }

    #[test]
    fn entry_must_be_in_text() {
        let img = build(2, 62, 0x402000, &[(0x401000, RX, b"x", 1), (0x402000, RW, b"d", 1)]);
        assert_eq!(plan(&img), Err(ElfError::BadEntry));
    }
}
