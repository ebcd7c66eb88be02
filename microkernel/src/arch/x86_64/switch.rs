//! Kernel context switch: save the callee-saved registers on the old
//! thread's kernel stack, store its stack pointer, load the new one.

#[cfg(not(test))]
core::arch::global_asm!(
    r#"
    .text
    .global switch_context
switch_context:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

    /* First switch into a thread whose stack holds a user TrapFrame.
       As after every switch, the thread that halted before it is freed
       first (sched_first_run), on a 16-byte aligned stack. */
    .global thread_start_user
thread_start_user:
    movq %rsp, %rbx
    andq $-16, %rsp
    call sched_first_run
    movq %rbx, %rsp
    jmp trap_return

    /* First switch into a kernel thread: r12 = entry, r13 = argument. */
    .global thread_start_kernel
thread_start_kernel:
    call sched_first_run
    movq %r13, %rdi
    call *%r12
    ud2
"#,
    options(att_syntax)
);

unsafe extern "C" {
    fn switch_context(save_rsp: *mut u64, load_rsp: u64);
    fn thread_start_user();
    fn thread_start_kernel();
}

/// Number of u64 words `switch_context` pops before it returns.
const SWITCH_WORDS: usize = 6;

/// Switches from the running kernel stack to `load_rsp`, saving ours.
///
/// # Safety
/// `load_rsp` must be a stack saved by `switch_context` or prepared by
/// `prepare_*`, and `save_rsp` must stay valid until this thread resumes.
pub unsafe fn switch(save_rsp: *mut u64, load_rsp: u64) {
    // SAFETY: per the caller.
    unsafe { switch_context(save_rsp, load_rsp) }
}

/// Prepares a fresh kernel stack whose first switch returns to user mode
/// through the TrapFrame the caller has written just below `frame_at`.
/// Returns the stack pointer to switch to.
///
/// # Safety
/// `frame_at` is the address of a TrapFrame at the top of a kernel stack
/// with room for the switch words below it.
pub unsafe fn prepare_user(frame_at: u64) -> u64 {
    let sp = frame_at - 8 * (SWITCH_WORDS as u64 + 1);
    let words = sp as *mut u64;
    // SAFETY: per the caller, the words below the frame are ours to write.
    unsafe {
        for i in 0..SWITCH_WORDS {
            words.add(i).write(0);
        }
        words.add(SWITCH_WORDS).write(thread_start_user as *const () as u64);
    }
    sp
}

/// Prepares a kernel stack whose first switch calls `entry(arg)`.
///
/// # Safety
/// `top` is the 16-byte aligned top of an unused kernel stack.
pub unsafe fn prepare_kernel(top: u64, entry: extern "C" fn(u64) -> !, arg: u64) -> u64 {
    // After the return into thread_start_kernel, rsp must be top - 16 so
    // that its call leaves the entry 16-byte aligned: two pad words.
    let sp = top - 8 * (SWITCH_WORDS as u64 + 3);
    let words = sp as *mut u64;
    // SAFETY: per the caller, the stack is unused and ours to write.
    unsafe {
        // Pop order: r15, r14, r13, r12, rbx, rbp.
        words.add(0).write(0);
        words.add(1).write(0);
        words.add(2).write(arg);
        words.add(3).write(entry as *const () as u64);
        words.add(4).write(0);
        words.add(5).write(0);
        words.add(SWITCH_WORDS).write(thread_start_kernel as *const () as u64);
        words.add(SWITCH_WORDS + 1).write(0);
        words.add(SWITCH_WORDS + 2).write(0);
    }
    sp
}
