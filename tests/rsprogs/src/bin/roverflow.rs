//! Infinite recursion: Rust std's guard-page handler (SIGSEGV on the
//! alternate stack) reports the overflow and aborts.
#[allow(unconditional_recursion)] // the point: it overflows the stack
fn deep(n: u64) -> u64 {
    let pad = std::hint::black_box([n; 64]);
    deep(n + 1) + pad[3]
}

fn main() {
    println!("roverflow: recursing");
    println!("{}", deep(0));
}
