//! `#[repr(C)]` structures exactly as the x86_64 Linux kernel reads and
//! writes them in user memory (the kernel's layout, not glibc's where they
//! differ, e.g. `sigaction`, `ucontext` and `termios`).
//!
//! Layout is checked by `tests/layout.rs`, against hard-coded Linux values
//! and, when a C compiler is present, against the host's kernel headers.

/// `struct timespec`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

/// `struct timeval`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i64,
}

/// `struct stat` as `stat`/`fstat`/`lstat`/`newfstatat` fill it (144 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub st_dev: u64,
    pub st_ino: u64,
    pub st_nlink: u64,
    pub st_mode: u32,
    pub st_uid: u32,
    pub st_gid: u32,
    pub __pad0: u32,
    pub st_rdev: u64,
    pub st_size: i64,
    pub st_blksize: i64,
    pub st_blocks: i64,
    pub st_atime: i64,
    pub st_atime_nsec: i64,
    pub st_mtime: i64,
    pub st_mtime_nsec: i64,
    pub st_ctime: i64,
    pub st_ctime_nsec: i64,
    pub __unused: [i64; 3],
}

/// `struct statx_timestamp`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatxTimestamp {
    pub tv_sec: i64,
    pub tv_nsec: u32,
    pub __reserved: i32,
}

/// `struct statx` (256 bytes; the tail is reserved for future fields).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statx {
    pub stx_mask: u32,
    pub stx_blksize: u32,
    pub stx_attributes: u64,
    pub stx_nlink: u32,
    pub stx_uid: u32,
    pub stx_gid: u32,
    pub stx_mode: u16,
    pub __spare0: u16,
    pub stx_ino: u64,
    pub stx_size: u64,
    pub stx_blocks: u64,
    pub stx_attributes_mask: u64,
    pub stx_atime: StatxTimestamp,
    pub stx_btime: StatxTimestamp,
    pub stx_ctime: StatxTimestamp,
    pub stx_mtime: StatxTimestamp,
    pub stx_rdev_major: u32,
    pub stx_rdev_minor: u32,
    pub stx_dev_major: u32,
    pub stx_dev_minor: u32,
    pub stx_mnt_id: u64,
    pub stx_dio_mem_align: u32,
    pub stx_dio_offset_align: u32,
    pub __spare3: [u64; 12],
}

/// `struct rusage` (144 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rusage {
    pub ru_utime: Timeval,
    pub ru_stime: Timeval,
    pub ru_maxrss: i64,
    pub ru_ixrss: i64,
    pub ru_idrss: i64,
    pub ru_isrss: i64,
    pub ru_minflt: i64,
    pub ru_majflt: i64,
    pub ru_nswap: i64,
    pub ru_inblock: i64,
    pub ru_oublock: i64,
    pub ru_msgsnd: i64,
    pub ru_msgrcv: i64,
    pub ru_nsignals: i64,
    pub ru_nvcsw: i64,
    pub ru_nivcsw: i64,
}

/// Length of each `utsname` field, NUL included.
pub const UTSNAME_LEN: usize = 65;

/// `struct new_utsname` as `uname` fills it (6 x 65 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utsname {
    pub sysname: [u8; UTSNAME_LEN],
    pub nodename: [u8; UTSNAME_LEN],
    pub release: [u8; UTSNAME_LEN],
    pub version: [u8; UTSNAME_LEN],
    pub machine: [u8; UTSNAME_LEN],
    pub domainname: [u8; UTSNAME_LEN],
}

impl Default for Utsname {
    fn default() -> Self {
        Utsname { sysname: [0; 65], nodename: [0; 65], release: [0; 65], version: [0; 65], machine: [0; 65], domainname: [0; 65] }
    }
}

/// `struct rlimit` (also `rlimit64` for `prlimit64`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rlimit {
    pub rlim_cur: u64,
    pub rlim_max: u64,
}

/// `struct sigaction` as the *kernel* takes it in `rt_sigaction`: the
/// field order differs from glibc's, and the mask is one 64-bit word.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelSigaction {
    pub sa_handler: u64,
    pub sa_flags: u64,
    pub sa_restorer: u64,
    pub sa_mask: u64,
}

/// `stack_t` for `sigaltstack` and `uc_stack`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackT {
    pub ss_sp: u64,
    pub ss_flags: i32,
    pub __pad: i32,
    pub ss_size: u64,
}

/// `siginfo_t` (128 bytes). The union after the three header ints starts
/// at byte 16; accessors name the members the server fills. Stored as
/// words so the struct is plain data and any bit pattern is valid.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Siginfo {
    pub si_signo: i32,
    pub si_errno: i32,
    pub si_code: i32,
    pub __pad: i32,
    /// The union: 112 bytes.
    pub fields: [u32; 28],
}

impl Default for Siginfo {
    fn default() -> Self {
        Siginfo { si_signo: 0, si_errno: 0, si_code: 0, __pad: 0, fields: [0; 28] }
    }
}

/// Byte offset of the union inside `siginfo_t`.
pub const SIGINFO_UNION_OFFSET: usize = 16;

impl Siginfo {
    pub fn new(signo: i32, code: i32) -> Self {
        Siginfo { si_signo: signo, si_code: code, ..Default::default() }
    }
    fn word64(&self, i: usize) -> u64 {
        self.fields[i] as u64 | (self.fields[i + 1] as u64) << 32
    }
    fn set_word64(&mut self, i: usize, v: u64) {
        self.fields[i] = v as u32;
        self.fields[i + 1] = (v >> 32) as u32;
    }
    /// `si_pid` (kill, sigqueue, sigchld members: offset 16).
    pub fn pid(&self) -> i32 { self.fields[0] as i32 }
    pub fn set_pid(&mut self, pid: i32) { self.fields[0] = pid as u32 }
    /// `si_uid` (offset 20).
    pub fn uid(&self) -> u32 { self.fields[1] }
    pub fn set_uid(&mut self, uid: u32) { self.fields[1] = uid }
    /// `si_status` of the sigchld member (offset 24).
    pub fn status(&self) -> i32 { self.fields[2] as i32 }
    pub fn set_status(&mut self, s: i32) { self.fields[2] = s as u32 }
    /// `si_value` of the rt/timer members (offset 24).
    pub fn value(&self) -> u64 { self.word64(2) }
    pub fn set_value(&mut self, v: u64) { self.set_word64(2, v) }
    /// `si_utime` / `si_stime` of the sigchld member (offsets 32, 40).
    pub fn utime(&self) -> i64 { self.word64(4) as i64 }
    pub fn set_utime(&mut self, t: i64) { self.set_word64(4, t as u64) }
    pub fn stime(&self) -> i64 { self.word64(6) as i64 }
    pub fn set_stime(&mut self, t: i64) { self.set_word64(6, t as u64) }
    /// `si_addr` of the sigfault member (offset 16).
    pub fn addr(&self) -> u64 { self.word64(0) }
    pub fn set_addr(&mut self, a: u64) { self.set_word64(0, a) }
    /// Raw bytes, for copying into a signal frame or `waitid` buffer.
    pub fn to_bytes(&self) -> [u8; 128] {
        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&self.si_signo.to_le_bytes());
        b[4..8].copy_from_slice(&self.si_errno.to_le_bytes());
        b[8..12].copy_from_slice(&self.si_code.to_le_bytes());
        b[12..16].copy_from_slice(&self.__pad.to_le_bytes());
        for (i, w) in self.fields.iter().enumerate() {
            b[16 + 4 * i..20 + 4 * i].copy_from_slice(&w.to_le_bytes());
        }
        b
    }
    pub fn from_bytes(b: &[u8; 128]) -> Self {
        let rd = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let mut s = Siginfo { si_signo: rd(0) as i32, si_errno: rd(4) as i32, si_code: rd(8) as i32, __pad: rd(12) as i32, fields: [0; 28] };
        for i in 0..28 {
            s.fields[i] = rd(16 + 4 * i);
        }
        s
    }
}

/// `struct sigcontext` (x86_64), which is `uc_mcontext`: general registers
/// in the kernel's order, then segment/fault info and the fpstate pointer.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigcontext {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub eflags: u64,
    pub cs: u16,
    pub gs: u16,
    pub fs: u16,
    pub ss: u16,
    pub err: u64,
    pub trapno: u64,
    pub oldmask: u64,
    pub cr2: u64,
    /// User address of the 512-byte fxsave area, or 0 for none.
    pub fpstate: u64,
    pub __reserved1: [u64; 8],
}

/// The kernel's `struct ucontext` (x86_64): not glibc's `ucontext_t`,
/// whose signal mask is 128 bytes. Here the mask is one word.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ucontext {
    pub uc_flags: u64,
    pub uc_link: u64,
    pub uc_stack: StackT,
    pub uc_mcontext: Sigcontext,
    pub uc_sigmask: u64,
}

/// `struct rt_sigframe` (x86_64): what `rsp` points at on handler entry.
/// `pretcode` is the handler's return address (`sa_restorer`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RtSigframe {
    pub pretcode: u64,
    pub uc: Ucontext,
    pub info: Siginfo,
}

/// Size of the legacy `fxsave` area that `fpstate` points at.
pub const FXSAVE_SIZE: usize = 512;

/// `struct linux_dirent64` header; `d_name` (NUL-terminated) follows at
/// byte 19 and `d_reclen` covers the padding to an 8-byte multiple.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinuxDirent64 {
    pub d_ino: u64,
    pub d_off: i64,
    pub d_reclen: u16,
    pub d_type: u8,
    pub d_name: [u8; 0],
}

/// Offset of `d_name` in `linux_dirent64`.
pub const DIRENT64_NAME_OFFSET: usize = 19;

impl LinuxDirent64 {
    /// The record length for a name of `name_len` bytes (NUL and padding
    /// to 8 included), as `getdents64` lays records out.
    pub const fn reclen(name_len: usize) -> usize {
        (DIRENT64_NAME_OFFSET + name_len + 1 + 7) & !7
    }

    /// Encodes one record into `buf`; returns its length, or `None` when
    /// it does not fit (the caller then stops, or fails with EINVAL if the
    /// buffer holds no record at all).
    pub fn encode(buf: &mut [u8], ino: u64, off: i64, d_type: u8, name: &[u8]) -> Option<usize> {
        let len = Self::reclen(name.len());
        if len > buf.len() || len > u16::MAX as usize {
            return None;
        }
        let rec = &mut buf[..len];
        rec.fill(0);
        rec[0..8].copy_from_slice(&ino.to_le_bytes());
        rec[8..16].copy_from_slice(&off.to_le_bytes());
        rec[16..18].copy_from_slice(&(len as u16).to_le_bytes());
        rec[18] = d_type;
        rec[DIRENT64_NAME_OFFSET..DIRENT64_NAME_OFFSET + name.len()].copy_from_slice(name);
        Some(len)
    }
}

/// `struct iovec`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Iovec {
    pub iov_base: u64,
    pub iov_len: u64,
}

/// `struct pollfd`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pollfd {
    pub fd: i32,
    pub events: i16,
    pub revents: i16,
}

/// `struct winsize`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Winsize {
    pub ws_row: u16,
    pub ws_col: u16,
    pub ws_xpixel: u16,
    pub ws_ypixel: u16,
}

/// Number of control characters in the kernel's `termios`.
pub const NCCS: usize = 19;

/// The kernel's `struct termios` for TCGETS/TCSETS (36 bytes; glibc's has
/// 32 control characters and speed fields, the kernel's does not).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Termios {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; NCCS],
}

/// `struct sysinfo` (112 bytes on x86_64).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sysinfo {
    pub uptime: i64,
    pub loads: [u64; 3],
    pub totalram: u64,
    pub freeram: u64,
    pub sharedram: u64,
    pub bufferram: u64,
    pub totalswap: u64,
    pub freeswap: u64,
    pub procs: u16,
    pub pad: u16,
    pub totalhigh: u64,
    pub freehigh: u64,
    pub mem_unit: u32,
}

/// `struct tms`, in clock ticks (AT_CLKTCK = 100 per second).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tms {
    pub tms_utime: i64,
    pub tms_stime: i64,
    pub tms_cutime: i64,
    pub tms_cstime: i64,
}
