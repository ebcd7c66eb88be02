//! reboot: sync the disks and restart the machine (reboot(2) with
//! LINUX_REBOOT_CMD_RESTART).
fn main() {
    userland::default_sigpipe();
    let _ = userland::parse_or_usage("f", "", "[-f]");
    userland::power(libc::LINUX_REBOOT_CMD_RESTART);
}
