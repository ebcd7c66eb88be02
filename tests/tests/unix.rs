//! The UNIX personality: the UNIX server as the first task, emulib in
//! every process, static Linux binaries (musl C and Rust std) running on
//! the trampoline.

use mk_tests::{cprog, rsprog, unix};

#[test]
fn a_musl_hello_prints_and_its_status_powers_off_the_machine() {
    let o = unix("/bin/hello one", &[cprog("hello")]).run();
    o.expect("hello from musl, pid 1, argc 2, argv[0] /bin/hello").expect_status(42);
}

#[test]
fn a_rust_std_hello_runs_as_static_pie() {
    let o = unix("/bin/rhello x", &[rsprog("rhello")]).run();
    o.expect("hello from Rust std, args [\"/bin/rhello\", \"x\"]")
        .expect("rhello: heap sum 500500")
        .expect("rhello: pid 1")
        .expect_status(7);
}
