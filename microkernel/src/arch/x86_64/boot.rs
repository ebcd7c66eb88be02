//! The Multiboot1 entry: a 32-bit stub that builds boot page tables, enters
//! long mode and calls `kernel_main` in the higher half.
//!
//! The boot tables map the first GiB three times: identity (to survive the
//! switch to paging), at the physical-memory window and at the kernel's link
//! address. `pmap::bootstrap` replaces them before any task runs.

use super::layout::{KERNEL_VMA, PHYSMAP_BASE};

pub const BOOT_STACK_SIZE: usize = 64 * 1024;

#[cfg(not(test))]
core::arch::global_asm!(
    r#"
    .section .multiboot, "a"
    .balign 4
multiboot_header:
    .long 0x1BADB002
    .long 0x00010003                    /* page-align modules, memory map, a.out kludge */
    .long -(0x1BADB002 + 0x00010003)
    .long multiboot_header - {vma}
    .long _kernel_start - {vma}
    .long _edata - {vma}
    .long _kernel_end - {vma}
    .long _start32 - {vma}

    .section .bss
    .balign 4096
boot_pml4:     .skip 4096
boot_pdpt:     .skip 4096
boot_pdpt_hi:  .skip 4096
boot_pd:       .skip 4096
    .global boot_stack_bottom
boot_stack_bottom:
    .skip {stack}
    .global boot_stack_top
boot_stack_top:

    .section .rodata
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF            /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF            /* 0x10: data */
boot_gdt_end:
boot_gdtr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt - {vma}

    .section .text.boot, "ax"
    .code32
    .global _start32
_start32:
    cli
    cld
    mov %eax, %edi                      /* multiboot magic */
    mov %ebx, %esi                      /* multiboot info (physical) */

    /* Clear the four boot tables (bss may not be zeroed yet). */
    push %edi
    mov $(boot_pml4 - {vma}), %edi
    xor %eax, %eax
    mov $(4 * 1024), %ecx
    rep stosl
    pop %edi

    /* boot_pd: 512 x 2 MiB = the first GiB. */
    mov $(boot_pd - {vma}), %ebx
    mov $0x83, %eax                     /* present | writable | huge */
    xor %ecx, %ecx
1:  mov %eax, (%ebx,%ecx,8)
    add $0x200000, %eax
    inc %ecx
    cmp $512, %ecx
    jne 1b

    mov $(boot_pd - {vma} + 3), %eax
    mov %eax, (boot_pdpt - {vma})
    mov %eax, (boot_pdpt_hi - {vma} + 510 * 8)
    mov $(boot_pdpt - {vma} + 3), %eax
    mov %eax, (boot_pml4 - {vma})
    mov %eax, (boot_pml4 - {vma} + {physmap_slot} * 8)
    mov $(boot_pdpt_hi - {vma} + 3), %eax
    mov %eax, (boot_pml4 - {vma} + 511 * 8)

    /* CR4: PAE, OSFXSR, OSXMMEXCPT (libcore uses SSE everywhere). */
    mov %cr4, %eax
    or $((1 << 5) | (1 << 9) | (1 << 10)), %eax
    mov %eax, %cr4
    mov $(boot_pml4 - {vma}), %eax
    mov %eax, %cr3
    /* EFER: SCE (syscall), LME (long mode), NXE (no-execute). */
    mov $0xC0000080, %ecx
    rdmsr
    or $((1 << 0) | (1 << 8) | (1 << 11)), %eax
    wrmsr
    /* CR0: PG, WP, MP, PE; clear EM so SSE does not trap. */
    mov %cr0, %eax
    and $~(1 << 2), %eax
    or $((1 << 31) | (1 << 16) | (1 << 1) | 1), %eax
    mov %eax, %cr0

    lgdt (boot_gdtr - {vma})
    ljmp $0x08, $(start64_low - {vma})

    .code64
start64_low:
    movabs $start64_high, %rax
    jmp *%rax

    .text
start64_high:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    movabs $boot_stack_top, %rsp
    xor %ebp, %ebp
    mov %edi, %edi                      /* zero-extend magic and info */
    mov %esi, %esi
    call kernel_main
2:  cli
    hlt
    jmp 2b
"#,
    vma = const KERNEL_VMA,
    stack = const BOOT_STACK_SIZE,
    physmap_slot = const ((PHYSMAP_BASE >> 39) & 511),
    options(att_syntax)
);
