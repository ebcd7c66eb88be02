//! The trampoline: UNIX system calls bounced to the task's emulation
//! vector with every preserved register intact.

use mk_tests::Boot;

#[test]
fn unix_calls_bounce_to_the_emulation_vector_with_registers_intact() {
    let o = Boot::new(&["trampoline"]).icount().run();
    o.expect("trampoline: vector set at 0x")
        .expect("trampoline: getpid bounced, every preserved register and the flags intact")
        .expect("MACH trampoline-bounce ticks=")
        .expect("trampoline: vector cleared")
        .expect("UNIX system call 39 with no emulation library")
        .expect_not("which is wrong");
    for l in o.lines_with("MACH trampoline-bounce") {
        println!("{}", l);
    }
}
