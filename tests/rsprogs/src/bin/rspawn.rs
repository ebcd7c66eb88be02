//! Rust std's process API on the UNIX personality: Command spawns (glibc's
//! posix_spawn: clone with CLONE_VM|CLONE_VFORK, then execve) and waits.
use std::process::Command;

fn main() {
    let st = Command::new("/bin/child").arg("6").status().expect("spawn /bin/child");
    println!("rspawn: child exited with {:?}", st.code());
    // With a copied rather than shared address space, glibc's spawn cannot
    // pass the exec error back: the child exits 127 instead (see README).
    let missing = Command::new("/bin/nothere").status();
    println!("rspawn: missing program: {:?}", missing.map(|s| s.code()).map_err(|e| e.kind()));
    std::process::exit(if st.code() == Some(6) { 0 } else { 1 });
}
