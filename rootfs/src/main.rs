//! `rootfs --out IMAGE --size MiB [--dir HOSTDIR:/dest]... [--file HOSTFILE:/dest/path[:mode]]... [--extra HOSTDIR]...`

use std::process::ExitCode;

fn main() -> ExitCode {
    let result = rootfs::parse_args(std::env::args().skip(1)).and_then(|spec| rootfs::build_to_file(&spec));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(rootfs::BuildError::Usage(m)) if m.is_empty() => {
            println!("{}", rootfs::USAGE);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rootfs: {}", e);
            ExitCode::FAILURE
        }
    }
}
