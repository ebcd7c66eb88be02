//! The kernel's first Rust code: bring the machine up in order, start the
//! boot tasks, and become the idle loop.

use super::boot_args;
use super::boot_info::{BootInfo, MemRegion};
use super::log;
use crate::arch::{self, layout, multiboot, pmap, power};
use crate::vm::resident::{self, FrameAllocator};

pub const BANNER: &str = concat!("Mach microkernel ", env!("CARGO_PKG_VERSION"), " (x86_64)");

/// Called from the boot stub with the loader's magic and information.
pub fn main(magic: u32, info_pa: u64) -> ! {
    crate::device::cons::init();
    crate::kprintln!("{}", BANNER);
    if magic != multiboot::BOOTLOADER_MAGIC {
        crate::kprintln!("not started by a Multiboot loader (magic {:#x})", magic);
        power::poweroff(power::PANIC_STATUS);
    }
    // SAFETY: the Multiboot loader passed this address with the magic above.
    let bi = unsafe { multiboot::parse(info_pa) };
    let cmdline = core::str::from_utf8(bi.cmdline).unwrap_or("");
    let args = boot_args::parse(cmdline, |e| crate::kwarn!("command line: {:?}", e));
    log::set_level(args.log_level);

    init_memory(&bi);
    arch::init_cpu0();
    super::clock::init();
    super::sched::init_cpu(0);
    crate::device::init();
    crate::kinfo!("{} MiB of memory, {} free pages, {} boot modules",
                  bi.max_phys() >> 20, resident::free_count(), bi.module_count);

    if args.crash {
        panic!("crash=panic on the command line");
    }
    let task_args = super::boot_args::split_words(args.task_line).unwrap_or_else(|e| {
        crate::kwarn!("command line: {:?} in the first task's arguments; passing none", e);
        alloc::vec::Vec::new()
    });
    let task_args: alloc::vec::Vec<&str> = task_args.iter().map(|s| s.as_str()).collect();
    if super::bootstrap::start_modules(&bi, &task_args, args.first_only) == 0 {
        crate::kprintln!("no boot module could be started; nothing to run");
        power::poweroff(power::PANIC_STATUS);
    }
    // Under -icount shift=0 the TSC counts guest instructions since reset.
    crate::kinfo!("ready to run the first task at TSC {}", crate::arch::cpu::read_tsc());
    super::sched::idle_loop()
}

/// Frame allocator from the memory map, then the kernel's own page tables.
fn init_memory(bi: &BootInfo) {
    unsafe extern "C" {
        static _kernel_end: u8;
    }
    // SAFETY: taking the address of a linker-script symbol.
    let kernel_end = layout::kimage_to_phys(unsafe { &_kernel_end as *const u8 as u64 });
    let kernel = MemRegion { start: 0, end: kernel_end };
    let max_phys = bi.max_phys().min(layout::PHYSMAP_MAX);
    let words = FrameAllocator::bitmap_words(max_phys);
    let bytes = (words * 8) as u64;
    // The boot tables map only the first GiB: keep the bitmap there.
    let at = match bi.find_free(bytes, kernel_end, kernel) {
        Some(a) if a + bytes <= 1 << 30 => a,
        _ => {
            crate::kprintln!("no room for the frame bitmap ({} bytes)", bytes);
            power::poweroff(power::PANIC_STATUS);
        }
    };
    // SAFETY: [at, at+bytes) is RAM nobody uses (find_free) inside the
    // first GiB, which the boot page tables map at the physmap.
    let bits = unsafe { core::slice::from_raw_parts_mut(layout::phys_to_virt(at) as *mut u64, words) };
    let mut frames = FrameAllocator::new(bits, max_phys);
    for r in bi.regions() {
        frames.add_free(r.start, r.end);
    }
    frames.reserve(0, kernel_end); // low memory and the kernel image
    frames.reserve(at, at + bytes);
    for r in bi.reserved() {
        frames.reserve(r.start, r.end);
    }
    for m in bi.modules() {
        frames.reserve(m.start, m.end);
    }
    resident::install(frames);
    if let Err(e) = pmap::bootstrap(max_phys) {
        crate::kprintln!("cannot build the kernel page tables: {:?}", e);
        power::poweroff(power::PANIC_STATUS);
    }
}
