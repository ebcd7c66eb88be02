//! The entry point. The kernel (or the UNIX server's exec) leaves the
//! System V initial stack: argc, argv, envp, auxv. `_start` hands it to
//! `start_rust`, which calls the program's `main`.

/// The program's arguments, read from the initial stack.
#[derive(Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const *const u8,
}

impl Args {
    pub fn len(&self) -> usize {
        self.argc
    }
    pub fn is_empty(&self) -> bool {
        self.argc == 0
    }
    /// Argument `i`, if it exists and is UTF-8.
    pub fn get(&self, i: usize) -> Option<&'static str> {
        if i >= self.argc {
            return None;
        }
        // SAFETY: argv holds argc NUL-terminated strings that live as long as
        // the task (they are on its initial stack, above anything we push).
        let s = unsafe { core::ffi::CStr::from_ptr((*self.argv.add(i)).cast()) };
        s.to_str().ok()
    }
    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        (0..self.argc).filter_map(|i| self.get(i))
    }
}

unsafe extern "Rust" {
    /// The program's main, defined with `machrt::entry!`.
    fn machrt_main(args: Args) -> i32;
}

#[cfg(not(test))]
core::arch::global_asm!(
    ".section .text._start, \"ax\"",
    ".global _start",
    "_start:",
    "    mov rdi, rsp",
    "    and rsp, -16",
    "    call {start}",
    "    ud2",
    start = sym start_rust,
);

/// # Safety
/// Called once by `_start` with the initial stack pointer.
unsafe extern "C" fn start_rust(sp: *const usize) -> ! {
    // SAFETY: the initial stack begins with argc, then the argv array.
    let args = unsafe { Args { argc: *sp, argv: sp.add(1) as *const *const u8 } };
    // SAFETY: machrt_main is the program's main, defined once by entry!.
    let status = unsafe { machrt_main(args) };
    crate::trap::task_exit(status)
}

/// Defines the program's main: `machrt::entry!(main);` with
/// `fn main(args: machrt::Args) -> i32`.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(no_mangle)]
        fn machrt_main(args: $crate::Args) -> i32 {
            $main(args)
        }
    };
}

#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    crate::println!("task panicked: {}", info);
    crate::trap::task_exit(101)
}
