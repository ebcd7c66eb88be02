//! The UNIX server as a Mach task.
//!
//! It starts as the first boot module (`start=first`): the other modules
//! are its files (`/bin/<file name>`, and emulib). It creates init from
//! the program named after `--` on the kernel command line, then serves
//! emulib's RPCs (`mach::defs::bsd`) and its processes' exceptions with a
//! few worker threads receiving on one port set. Every process has its
//! own port in that set (its tasks's bootstrap and exception port), so
//! the port a message arrives on names the caller. A call that blocks
//! (wait4, nanosleep) keeps its reply right and is answered later, so no
//! worker waits for it.
#![no_std]
#![no_main]

extern crate alloc;

mod calls;
mod devfs;
mod disk;
mod files;
mod futex;
mod inode_pager;
mod mem;
mod offset_pager;
mod pipe;
mod rusage;
mod poll;
mod procfs;
mod select;
mod signals;
mod timers;
mod tty;
mod vfs;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use linux_abi::layout::{EMULIB_BASE, EMULIB_END, STACK_TOP, USER_END, USER_MIN};
use linux_abi::Errno;
use mach::defs::bsd::*;
use mach::defs::host::*;
use mach::defs::task::*;
use mach::defs::thread::*;
use mach::kern_return::*;
use mach::message::*;
use mach::port::*;
use machrt::msg::{self, Buffer};
use machrt::println;
use machrt::rpc::Kernel;
use machrt::sync::Mutex;
use unix_server::proc::{Credentials, Pid, ProcTable};

#[global_allocator]
static HEAP: machrt::heap::TaskHeap = machrt::heap::TaskHeap::new();

machrt::entry!(main);

// emulib's fixed pages (mach::defs::bsd) lie in the range exec never
// replaces (linux_abi::layout), with the image at its start.
const _: () = assert!(EMUL_IMAGE_BASE == EMULIB_BASE);
const _: () = assert!(EMUL_PROC_PAGE > EMULIB_BASE && EMUL_PROC_PAGE + 4096 <= EMULIB_END);
const _: () = assert!(EMUL_THREAD0 - EMUL_STACK_SIZE > EMUL_PROC_PAGE && EMUL_THREAD0 + 4096 <= EMULIB_END);

/// Worker threads besides the main one.
const WORKERS: usize = 3;
/// How much stack a new process gets (lazily zero-filled).
pub const STACK_SIZE: u64 = 8 << 20;
/// Where anonymous mmap looks first: far above any program and its brk.
pub const MMAP_BASE: u64 = 0x1000_0000_0000;

/// A boot module the server reads as a file.
pub struct File {
    pub path: String,
    pub bytes: &'static [u8],
}

/// The server's view of one process beyond the process table.
#[derive(Clone, Copy)]
pub struct Pcb {
    pub pid: Pid,
    pub task: PortName,
    pub port: PortName,
    pub brk_base: u64,
    pub brk: u64,
}

/// A call answered later: its request header keeps the reply right.
pub struct Parked {
    pub pid: Pid,
    pub header: MsgHeader,
    pub what: Park,
}

pub enum Park {
    Wait { pid: Pid, status: u64, options: u32, rusage: u64 },
    /// nanosleep until the fine clock reads `until_ns` (pause: never).
    Sleep { until_ns: u64 },
    /// A terminal read into `buf` of at most `len` bytes.
    Tty { buf: u64, len: u64 },
    /// A read of an empty pipe.
    PipeRead { pipe: alloc::sync::Arc<pipe::Pipe>, buf: u64, len: u64 },
    /// A write to a full pipe, `done` bytes of it already in.
    PipeWrite { pipe: alloc::sync::Arc<pipe::Pipe>, buf: u64, len: u64, done: u64 },
    /// A poll until the fine clock reads `until_ns` (u64::MAX: forever).
    Poll { fds: u64, nfds: u64, until_ns: u64 },
    /// A futex wait on the word at `addr` (pause: `until_ns` u64::MAX).
    Futex { addr: u64, until_ns: u64 },
    /// select's three fd_set addresses (0: none), read again at each retry.
    Select { nfds: u64, sets: [u64; 3], until_ns: u64 },
    /// rt_sigtimedwait for the signals of `set` (info: where the siginfo goes, 0: nowhere).
    SigWait { set: u64, info: u64, until_ns: u64 },
}

/// The one server, for code that runs where no reference is at hand (a
/// pipe end's last close).
static SERVER: core::sync::atomic::AtomicPtr<Server> = core::sync::atomic::AtomicPtr::new(core::ptr::null_mut());

pub fn server() -> Option<&'static Server> {
    let p = SERVER.load(core::sync::atomic::Ordering::Acquire);
    // SAFETY: only ever set to the leaked, never-freed Server.
    unsafe { p.as_ref() }
}

pub struct Server {
    pub table: ProcTable,
    pub procs: Mutex<BTreeMap<PortName, Pcb>>,
    pub parked: Mutex<Vec<Parked>>,
    pub files: Vec<File>,
    pub emulib: &'static [u8],
    pub pset: PortName,
    /// Unknown calls already logged (once each).
    pub logged: Mutex<Vec<u64>>,
    /// emulib's entry for a fault turned signal (its symbol).
    pub fault_entry: u64,
    /// emulib's recoverable copy routine: [begin, end) and the fixup a
    /// fault inside it resumes at (signals::exception).
    pub copy_fixup: [u64; 3],
}

fn main(args: machrt::Args) -> i32 {
    let Some(files) = boot_files() else { return fail("cannot read the boot modules") };
    let Some(emulib) = files.iter().find(|f| f.path == "/bin/emulib").map(|f| f.bytes) else {
        return fail("no emulib module");
    };
    let pset = match machrt::port::allocate(machrt::trap::task_self(), MACH_PORT_RIGHT_PORT_SET) {
        Ok(p) => p,
        Err(_) => return fail("no port set"),
    };
    let s: &'static Server = alloc::boxed::Box::leak(alloc::boxed::Box::new(Server {
        table: ProcTable::new(), procs: Mutex::new(BTreeMap::new()), parked: Mutex::new(Vec::new()),
        files, emulib, pset, logged: Mutex::new(Vec::new()), fault_entry: symbol(emulib, "emulib_fault_entry"),
        copy_fixup: ["emulib_copy_begin", "emulib_copy_end", "emulib_copy_fixup"].map(|n| symbol(emulib, n)),
    }));
    SERVER.store(s as *const Server as *mut Server, core::sync::atomic::Ordering::Release);
    vfs::mount_root();
    offset_pager::start();
    inode_pager::start();
    let mut argv: Vec<&str> = args.iter().skip(1).collect();
    // Leading `tty=COLSxROWS` (scripts/boot: the host terminal's size).
    while argv.first().and_then(|a| a.strip_prefix("tty=")).is_some_and(tty::boot_size) {
        argv.remove(0);
    }
    let Some(path) = argv.first() else { return fail("no init program: give it after -- on the command line") };
    if let Err(e) = start_init(s, path, &argv) {
        println!("unix-server: cannot start init {}: {:?}", path, e);
        return 1;
    }
    for _ in 0..WORKERS {
        if machrt::thread::spawn(worker, s as *const Server as u64).is_err() {
            println!("unix-server: a worker did not start");
        }
    }
    if machrt::thread::spawn(calls::timer, s as *const Server as u64).is_err() {
        println!("unix-server: the timer did not start");
    }
    if machrt::thread::spawn(tty::console_reader, s as *const Server as u64).is_err() {
        println!("unix-server: the console reader did not start");
    }
    serve(s)
}

/// An emulib symbol's address (0 if absent).
fn symbol(image: &[u8], name: &str) -> u64 {
    let Ok(elf) = goblin::elf::Elf::parse(image) else { return 0 };
    elf.syms.iter().find(|s| elf.strtab.get_at(s.st_name) == Some(name)).map_or(0, |s| s.st_value)
}

fn fail(why: &str) -> i32 {
    println!("unix-server: {}", why);
    1
}

/// The boot modules after the first, as files named /bin/<file name>.
fn boot_files() -> Option<Vec<File>> {
    let host = machrt::trap::host_self();
    let first = host_get_boot_module::call(&Kernel, host, 0).ok()?;
    let mut files = Vec::new();
    for i in 1..first.count {
        let m = host_get_boot_module::call(&Kernel, host, i).ok()?;
        let name = { m.name };
        let line = core::str::from_utf8(&name[..(m.name_len as usize).min(name.len())]).unwrap_or("?");
        let file = line.split_ascii_whitespace().next().unwrap_or("?");
        let base = file.rsplit('/').next().unwrap_or(file);
        let d = { m.data };
        // SAFETY: the reply mapped the module's bytes here for good.
        let bytes = unsafe { core::slice::from_raw_parts(d.address as *const u8, d.size as usize) };
        files.push(File { path: alloc::format!("/bin/{}", base), bytes });
    }
    Some(files)
}

extern "C" fn worker(arg: u64) -> ! {
    // SAFETY: main passed the leaked, never-freed Server.
    let s = unsafe { &*(arg as *const Server) };
    serve(s)
}

/// The server loop. A system call's reply and the wait for the next
/// request are one mach_msg (send, then receive), as MIG servers do:
/// one trap less per call, and the kernel can hand the processor straight
/// to the caller. If the send fails (the caller is gone) nothing was
/// received, and the next turn only receives.
fn serve(s: &'static Server) -> ! {
    // Page aligned: the kernel's fast path takes a message that lies in
    // one page.
    #[repr(C, align(4096))]
    struct Page(Buffer<4096>);
    let mut page = Page(Buffer::<4096>::new());
    let buf = &mut page.0;
    let mut pending = 0usize;
    let mut option = 0;
    loop {
        let kr = if pending > 0 {
            // SAFETY: buf holds the reply's `pending` bytes and is 4096
            // bytes long for the message received into it.
            unsafe {
                machrt::trap::mach_msg(buf.0.as_mut_ptr(), MACH_SEND_MSG | MACH_RCV_MSG | option, pending as u32,
                                       buf.0.len() as u32, s.pset, 0)
            }
        } else {
            msg::receive(buf, s.pset, 0, 0)
        };
        pending = 0;
        if kr != MACH_MSG_SUCCESS {
            continue;
        }
        if let Some(mut r) = dispatch(s, &buf.0) {
            let n = core::mem::size_of::<bsd_syscall::Reply>();
            r.header.size = n as u32;
            // A send-once reply never waits (no queue limit applies), so
            // it needs no timeout, and without one the kernel's fast path
            // takes the call; a reply through a send right (a client's
            // odd choice) must not hold the worker on a full queue.
            let once = msgh_bits_remote(r.header.bits) == MACH_MSG_TYPE_MOVE_SEND_ONCE;
            option = if once { 0 } else { MACH_SEND_TIMEOUT };
            buf.0[..n].copy_from_slice(mach::pod::as_bytes(&r));
            pending = n;
        }
    }
}

/// What to do with a request once handled.
pub enum Answer {
    Rval(i64),
    /// Parked or the process ended: no reply now.
    Later,
}

/// Handles one request. A system call's reply comes back to be sent
/// with the next receive; every other reply is sent here.
fn dispatch(s: &'static Server, m: &[u8]) -> Option<bsd_syscall::Reply> {
    let h: MsgHeader = mach::pod::read(m, 0).unwrap_or_default();
    let Some(pcb) = s.procs.lock().get(&h.local_port).copied() else {
        drop_reply(&h);
        return None;
    };
    match h.id {
        bsd_syscall::ID => match bsd_syscall::Request::parse(m) {
            Ok(r) => match calls::syscall(s, &pcb, &h, r.nr, r.args) {
                Answer::Rval(v) => return Some(bsd_syscall::Reply::new(&h, v)),
                Answer::Later => {}
            },
            Err(kr) => reply(&mut mach::rpc::reply_error(&h, kr)),
        },
        bsd_fork::ID => match bsd_fork::Request::parse(m) {
            Ok(r) => {
                let v = fork(s, &pcb, r.rip, r.rsp, r.gs_base, r.fs_base).unwrap_or_else(|e| e.to_ret());
                reply(&mut bsd_fork::Reply::new(&h, v))
            }
            Err(kr) => reply(&mut mach::rpc::reply_error(&h, kr)),
        },
        bsd_execve::ID => match bsd_execve::Request::parse(m) {
            Ok(r) => {
                let mut rep = match execve(s, &pcb, r.path, r.argv, r.envp) {
                    Ok((entry, sp)) => bsd_execve::Reply::new(&h, 0, entry, sp),
                    Err(e) => bsd_execve::Reply::new(&h, e.to_ret(), 0, 0),
                };
                reply(&mut rep)
            }
            Err(kr) => reply(&mut mach::rpc::reply_error(&h, kr)),
        },
        bsd_sig_next::ID => {
            let sp = bsd_sig_next::Request::parse(m).map_or(0, |r| r.sp);
            match signals::next(s, &pcb, sp) {
                Some(d) => reply(&mut bsd_sig_next::Reply::new(&h, d)),
                None => drop_reply(&h), // the process ended, its task first
            }
        }
        MACH_NOTIFY_DEAD_NAME => {
            let dead: Option<mach::defs::notify::DeadNameNotification> = mach::pod::read(m, 0);
            if dead.is_some_and(|d| { d.name } == pcb.task) {
                end_process(s, &pcb, unix_server::proc::status::signaled(9, false));
            }
        }
        bsd_sig_return::ID => match bsd_sig_return::Request::parse(m) {
            Ok(r) => {
                signals::sigreturn(s, &pcb, r.mask, r.uc_stack, r.sp);
                reply(&mut bsd_sig_return::Reply::new(&h))
            }
            Err(kr) => reply(&mut mach::rpc::reply_error(&h, kr)),
        },
        mach::defs::exc::exception_raise::ID => signals::exception(s, &pcb, &h, m),
        _ => reply(&mut mach::rpc::reply_error(&h, MIG_BAD_ID)),
    }
    None
}

/// Sends a reply built for a request header (its send-once right).
pub fn reply<T: mach::pod::Pod>(r: &mut T) {
    let _ = msg::send(r, MACH_SEND_TIMEOUT, 0);
}

/// Drops a request's reply right that will never be answered.
pub fn drop_reply(h: &MsgHeader) {
    if h.remote_port != MACH_PORT_NULL {
        let _ = machrt::port::deallocate(machrt::trap::task_self(), h.remote_port);
    }
}

/// The process page of `pcb`, written into its task.
pub fn write_proc_page(s: &Server, pcb: &Pcb) {
    let ppid = s.table.getppid(pcb.pid).unwrap_or(0);
    let creds = s.table.get(pcb.pid).map(|p| p.state.lock().creds.clone()).unwrap_or_default();
    let pending = s.table.get(pcb.pid).is_some_and(|p| p.state.lock().signals.has_deliverable());
    let (tsc_hz, boot_tsc, boot_unix_sec) = calls::fine_clock();
    let page = ProcPage { pid: pcb.pid, ppid, uid: creds.uid, euid: creds.euid, gid: creds.gid, egid: creds.egid,
                          sig_pending: pending as u32, _pad: 0, tsc_hz, boot_tsc, boot_unix_sec };
    let _ = mem::write_pod(pcb.task, EMUL_PROC_PAGE, &page);
}

/// A port for a new process in the set, with send rights given to its
/// task as bootstrap and exception port.
fn process_port(s: &Server, task: PortName) -> Result<PortName, KernReturn> {
    let me = machrt::trap::task_self();
    let port = machrt::port::allocate(me, MACH_PORT_RIGHT_RECEIVE)?;
    machrt::port::move_member(me, port, s.pset)?;
    for which in [TASK_BOOTSTRAP_PORT, TASK_EXCEPTION_PORT] {
        let mut req = task_set_special_port::Request::new(task, port, which);
        req.port = PortDescriptor::new(port, MACH_MSG_TYPE_MAKE_SEND);
        task_set_special_port::invoke(&Kernel, req)?;
    }
    // A task may die behind the server's back (a Mach-level exit trap, a
    // thread terminating its own task, the kernel's out-of-memory killer):
    // its task port's death comes to the process port as a dead-name
    // notification, and the process then dies of SIGKILL.
    machrt::port::request_notification(me, task, MACH_NOTIFY_DEAD_NAME, 0, port)?;
    Ok(port)
}

fn start_thread(task: PortName, regs: ThreadState64) -> Result<(), KernReturn> {
    let thread = { thread_create::call(&Kernel, task)?.thread }.name;
    thread_set_state::call(&Kernel, thread, X86_THREAD_STATE64, StateBuf { regs })?;
    thread_resume::call(&Kernel, thread)?;
    let _ = machrt::port::deallocate(machrt::trap::task_self(), thread);
    Ok(())
}

/// init: an empty task, emulib and its pages, the program, one thread.
fn start_init(s: &'static Server, path: &str, argv: &[&str]) -> Result<(), Errno> {
    let name = unix_server::namei::namei("/", path.as_bytes())?;
    let image = vfs::exec_image(s, &name)?;
    let file = &image[..];
    let plan = unix_server::exec_image::plan(file).map_err(|_| Errno::ENOEXEC)?;
    let task = { task_create::call(&Kernel, machrt::trap::task_self(), 0).map_err(|_| Errno::EAGAIN)?.child }.name;
    let segs = mem::emulib_segments(s.emulib)?;
    mem::load_segments(task, s.emulib, &segs)?;
    let entry = goblin::elf::Elf::parse(s.emulib).map_err(|_| Errno::ENOEXEC)?.entry;
    mem::allocate(task, EMUL_PROC_PAGE, 4096)?;
    // The mapped-file table (zero: nothing mapped); fork and exec keep it.
    mem::allocate(task, EMUL_MAP_TABLE, EMUL_MAP_TABLE_SIZE)?;
    mem::allocate(task, EMUL_THREAD0 - EMUL_STACK_SIZE, EMUL_STACK_SIZE + 4096)?;
    task_set_emulation::call(&Kernel, task, entry, EMUL_FIRST_CALL, EMUL_LAST_CALL).map_err(|_| Errno::EAGAIN)?;
    let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
    let env: [&[u8]; 2] = [b"PATH=/bin", b"HOME=/"];
    let (pentry, sp) = load_program(task, file, &plan, &argv, &env, path.as_bytes())?;
    let proc = s.table.create_init(Credentials::root())?;
    procfs::started(s, proc.pid);
    procfs::exec_done(s, proc.pid, &name.path, &argv, &plan);
    console_fds(&proc);
    let tblock = EmulThread { self_addr: EMUL_THREAD0, stack_top: EMUL_THREAD0, tid: proc.pid as u32, ..Default::default() };
    mem::write_pod(task, EMUL_THREAD0, &tblock)?;
    let port = process_port(s, task).map_err(|_| Errno::EAGAIN)?;
    let pcb = Pcb { pid: proc.pid, task, port, brk_base: plan.brk, brk: plan.brk };
    s.procs.lock().insert(port, pcb);
    write_proc_page(s, &pcb);
    let regs = ThreadState64 { rip: pentry, rsp: sp, rflags: 0x202, gs_base: EMUL_THREAD0, ..Default::default() };
    start_thread(task, regs).map_err(|_| Errno::EAGAIN)
}

/// init's 0, 1 and 2: the console terminal, one description.
fn console_fds(proc: &unix_server::proc::Proc) {
    let tty = vfs::Vnode::new(vfs::Node::Dev(devfs::Dev::Tty), alloc::string::String::from("/dev/console"));
    let f = unix_server::fd::OpenFile::new(tty, linux_abi::consts::open::O_RDWR);
    let mut t = proc.fds.lock();
    for _ in 0..3 {
        let _ = t.install(f.clone(), false, 1024);
    }
}

/// Maps a program's segments and a fresh stack; returns (entry, sp).
fn load_program(task: PortName, file: &[u8], plan: &unix_server::exec_image::ExecPlan, argv: &[&[u8]],
                envp: &[&[u8]], execfn: &[u8]) -> Result<(u64, u64), Errno> {
    mem::load_segments(task, file, &plan.segments)?;
    mem::allocate(task, STACK_TOP - STACK_SIZE, STACK_SIZE)?;
    let aux = unix_server::exec_image::AuxInfo::from_plan(plan);
    let random = calls::random16();
    let img = unix_server::exec_image::build_stack(STACK_TOP, argv, envp, execfn, &aux, &random, (STACK_SIZE / 4) as usize)?;
    mem::write(task, img.rsp, &img.bytes)?;
    Ok((plan.entry, img.rsp))
}

/// fork: the child task inherits the memory copy-on-write (emulib, its
/// pages and the emulation vector come along); its one thread starts in
/// emulib's fork path on the child's copy of the parent's saved frame.
fn fork(s: &'static Server, parent: &Pcb, rip: u64, rsp: u64, gs: u64, fs: u64) -> Result<i64, Errno> {
    let proc = s.table.fork(parent.pid)?;
    let undo = |e: Errno| {
        let _ = s.table.exit(proc.pid, 0);
        let _ = s.table.wait4(parent.pid, proc.pid, linux_abi::consts::wait::WNOHANG);
        e
    };
    let task = match task_create::call(&Kernel, parent.task, 1) {
        Ok(r) => { r.child }.name,
        Err(_) => return Err(undo(Errno::EAGAIN)),
    };
    let port = match process_port(s, task) {
        Ok(p) => p,
        Err(_) => {
            let _ = task_terminate::call(&Kernel, task);
            return Err(undo(Errno::EAGAIN));
        }
    };
    let pcb = Pcb { pid: proc.pid, task, port, ..*parent };
    procfs::started(s, proc.pid);
    inode_pager::forked(parent.pid, proc.pid);
    s.procs.lock().insert(port, pcb);
    write_proc_page(s, &pcb);
    let regs = ThreadState64 { rip, rsp, rflags: 0x202, gs_base: gs, fs_base: fs, ..Default::default() };
    if start_thread(task, regs).is_err() {
        end_process(s, &pcb, unix_server::proc::status::signaled(9, false));
        return Err(Errno::EAGAIN);
    }
    Ok(proc.pid as i64)
}

/// execve: everything is checked before the old image goes, so a missing
/// or bad file leaves the caller as it was.
fn execve(s: &'static Server, pcb: &Pcb, path: u64, argv: u64, envp: u64) -> Result<(u64, u64), Errno> {
    let path = mem::read_cstr(pcb.task, path, 4096)?;
    // Linux's bound: a quarter of the stack for the strings and their
    // pointers; a page of it stays for the path, auxv and alignment.
    let mut budget = (STACK_SIZE / 4 - 4096) as usize;
    let argv = mem::read_strv(pcb.task, argv, &mut budget)?;
    let envp = mem::read_strv(pcb.task, envp, &mut budget)?;
    let cwd = s.table.get(pcb.pid).map(|p| p.state.lock().cwd.clone()).unwrap_or_default();
    // /proc/self/exe and its kin name the executable they link to.
    let name = procfs::follow(s, pcb.pid, unix_server::namei::namei(&cwd, &path)?, true)?;
    let image = vfs::exec_image(s, &name)?;
    let file = &image[..];
    let plan = unix_server::exec_image::plan(file)?;
    // The program part of the address space goes; emulib's range stays.
    mem::deallocate(pcb.task, USER_MIN, EMULIB_BASE - USER_MIN)?;
    mem::deallocate(pcb.task, EMULIB_END, USER_END - EMULIB_END)?;
    let a: Vec<&[u8]> = argv.iter().map(|v| v.as_slice()).collect();
    let e: Vec<&[u8]> = envp.iter().map(|v| v.as_slice()).collect();
    let loaded = load_program(pcb.task, file, &plan, &a, &e, &path);
    let (entry, sp) = match loaded {
        Ok(x) => x,
        Err(_) => {
            // Past the point of no return: the process dies as Linux's does.
            end_process(s, pcb, unix_server::proc::status::signaled(9, false));
            return Err(Errno::ENOEXEC);
        }
    };
    inode_pager::exec(pcb.pid, pcb.task);
    procfs::exec_done(s, pcb.pid, &name.path, &a, &plan);
    drop(s.table.exec(pcb.pid)); // close-on-exec descriptors go here, no lock held
    timers::exec_done(pcb.pid); // POSIX timers do not survive exec
    if let Some(p) = s.procs.lock().get_mut(&pcb.port) {
        (p.brk_base, p.brk) = (plan.brk, plan.brk);
    }
    write_proc_page(s, pcb);
    Ok((entry, sp))
}

/// The process ends with wait status `wstatus`: its task goes, its
/// children go to init, its parent hears of it. When init ends, the
/// machine powers off with init's status.
pub fn end_process(s: &'static Server, pcb: &Pcb, wstatus: i32) {
    // Once only: the server's own terminate and the task's dead-name
    // notification (or two threads' calls) may race to end it.
    if s.procs.lock().remove(&pcb.port).is_none() {
        return;
    }
    rusage::ended(pcb.pid, pcb.task);
    signals::ended(pcb.pid);
    calls::forget_name(pcb.pid);
    timers::ended(pcb.pid);
    let _ = task_terminate::call(&Kernel, pcb.task);
    calls::forget_parked(s, pcb.pid);
    inode_pager::forget(pcb.pid);
    let _ = machrt::port::destroy(machrt::trap::task_self(), pcb.port);
    let _ = machrt::port::deallocate(machrt::trap::task_self(), pcb.task);
    if pcb.pid == unix_server::proc::INIT_PID {
        use unix_server::proc::status::*;
        let code = if wifexited(wstatus) { wexitstatus(wstatus) as u32 } else { 128 + wtermsig(wstatus) };
        inode_pager::clean_all(); // dirty pages of the last mappings, queued as init's task went
        vfs::unmount_root();
        let _ = host_reboot::call(&Kernel, machrt::trap::host_self(), HOST_REBOOT_HALT, code);
        machrt::trap::poweroff(code as u8);
    }
    let children = s.table.children(pcb.pid);
    let ppid = s.table.getppid(pcb.pid).unwrap_or(1);
    if let Ok(fx) = s.table.exit(pcb.pid, wstatus) {
        signals::wake(s, &fx.wake);
    }
    // Orphans now have init as parent: their pages say so.
    let procs: Vec<Pcb> = s.procs.lock().values().copied().filter(|p| children.contains(&p.pid)).collect();
    for c in procs {
        write_proc_page(s, &c);
    }
    calls::wake_waiters(s, ppid);
    calls::wake_waiters(s, unix_server::proc::INIT_PID);
}
