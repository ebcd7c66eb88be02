//! poweroff: sync the disks and power the machine off (reboot(2) with
//! LINUX_REBOOT_CMD_POWER_OFF).
fn main() {
    userland::default_sigpipe();
    let _ = userland::parse_or_usage("f", "", "[-f]");
    userland::power(libc::LINUX_REBOOT_CMD_POWER_OFF);
}
