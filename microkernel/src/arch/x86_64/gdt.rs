//! The GDT and TSS of each CPU.
//!
//! Selector order is fixed by SYSRET, which loads SS from STAR[63:48]+8 and
//! CS from STAR[63:48]+16: kernel code, kernel data, user data, user code.

use alloc::boxed::Box;
use x86_64::instructions::segmentation::{Segment, CS, DS, ES, SS};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;
use x86_64::{PrivilegeLevel, VirtAddr};

pub const KERNEL_CS: u16 = 0x08;
pub const KERNEL_DS: u16 = 0x10;
pub const USER_DS: u16 = 0x18 | 3;
pub const USER_CS: u16 = 0x20 | 3;

pub const DOUBLE_FAULT_IST: u16 = 0;
const IST_STACK_SIZE: usize = 16 * 1024;

static mut TSS: [Option<&'static mut TaskStateSegment>; super::cpu::MAX_CPUS] =
    [const { None }; super::cpu::MAX_CPUS];

/// Builds and loads this CPU's GDT and TSS.
pub fn init(cpu: usize) {
    let tss = Box::leak(Box::new(TaskStateSegment::new()));
    let ist = Box::leak(alloc::vec![0u8; IST_STACK_SIZE].into_boxed_slice());
    tss.interrupt_stack_table[DOUBLE_FAULT_IST as usize] =
        VirtAddr::new(ist.as_ptr() as u64 + IST_STACK_SIZE as u64);
    // SAFETY: the TSS is leaked, so it lives as long as the GDT entry.
    let tss_ref: &'static TaskStateSegment = unsafe { &*(tss as *const TaskStateSegment) };

    let gdt = Box::leak(Box::new(GlobalDescriptorTable::<8>::empty()));
    let kcs = gdt.append(Descriptor::kernel_code_segment());
    let kds = gdt.append(Descriptor::kernel_data_segment());
    let uds = gdt.append(Descriptor::user_data_segment());
    let ucs = gdt.append(Descriptor::user_code_segment());
    let tsel = gdt.append(Descriptor::tss_segment(tss_ref));
    debug_assert_eq!((kcs.0, kds.0, uds.0, ucs.0), (KERNEL_CS, KERNEL_DS, USER_DS, USER_CS));
    gdt.load();
    // SAFETY: the selectors name the descriptors just loaded.
    unsafe {
        CS::set_reg(SegmentSelector::new(1, PrivilegeLevel::Ring0));
        SS::set_reg(kds);
        DS::set_reg(SegmentSelector(0));
        ES::set_reg(SegmentSelector(0));
        load_tss(tsel);
        *core::ptr::addr_of_mut!(TSS[cpu]) = Some(tss);
    }
}

/// Sets the stack the CPU switches to on an interrupt from user mode.
pub fn set_kernel_stack(cpu: usize, top: u64) {
    // SAFETY: only this CPU touches its own TSS, with interrupts off.
    if let Some(tss) = unsafe { (*core::ptr::addr_of_mut!(TSS[cpu])).as_mut() } {
        tss.privilege_stack_table[0] = VirtAddr::new(top);
    }
}
