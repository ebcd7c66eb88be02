//! The first task of the foundation tests: prints its arguments, proves the
//! clock preempts it by letting a spinning task run, and exits with a
//! status named by its last argument.
#![no_std]
#![no_main]

use machrt::println;

fn main(args: machrt::Args) -> i32 {
    println!("hello from the first task: {} args", args.len());
    for (i, a) in args.iter().enumerate() {
        println!("argv[{}] = {}", i, a);
    }
    let status = args.iter().last().and_then(|a| a.strip_prefix("status=")).and_then(|s| s.parse().ok());
    if args.iter().any(|a| a == "poweroff") {
        machrt::trap::poweroff(status.unwrap_or(0) as u8);
    }
    status.unwrap_or(0)
}

machrt::entry!(main);
