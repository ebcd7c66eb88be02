//! The interrupt descriptor table: every vector goes to its stub in
//! trap.rs. Built once and shared by all CPUs.

use super::gdt::{DOUBLE_FAULT_IST, KERNEL_CS};
use super::trap::{vector_stub, VEC_DOUBLE_FAULT};

#[repr(C, packed)]
#[derive(Clone, Copy)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    _zero: u32,
}

#[repr(C, align(16))]
struct Idt([Gate; 256]);

static mut IDT: Idt = Idt([Gate { offset_low: 0, selector: 0, ist: 0, type_attr: 0, offset_mid: 0, offset_high: 0, _zero: 0 }; 256]);

fn gate(handler: u64, ist: u8) -> Gate {
    Gate {
        offset_low: handler as u16,
        selector: KERNEL_CS,
        ist,
        type_attr: 0x8e, // present, DPL 0, 64-bit interrupt gate (IF cleared)
        offset_mid: (handler >> 16) as u16,
        offset_high: (handler >> 32) as u32,
        _zero: 0,
    }
}

/// Fills the IDT (first CPU only) and loads it on this CPU.
pub fn init(first: bool) {
    // SAFETY: the table is written once by the first CPU before any CPU
    // loads it, and only read afterwards.
    unsafe {
        let idt = &mut *core::ptr::addr_of_mut!(IDT);
        if first {
            for (n, g) in idt.0.iter_mut().enumerate() {
                let ist = if n as u64 == VEC_DOUBLE_FAULT { DOUBLE_FAULT_IST as u8 + 1 } else { 0 };
                *g = gate(vector_stub(n), ist);
            }
        }
        let ptr = x86_64::structures::DescriptorTablePointer {
            limit: (core::mem::size_of::<Idt>() - 1) as u16,
            base: x86_64::VirtAddr::new(idt as *const Idt as u64),
        };
        x86_64::instructions::tables::lidt(&ptr);
    }
}
