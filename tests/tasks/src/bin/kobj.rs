//! The kernel's objects through their ports: host_info, task_info,
//! thread_create/set_state/resume, thread_suspend/resume/info/terminate,
//! task_threads, exceptions caught and resumed by a handler (and a handler
//! that refuses, which ends a child task), task_create with and without
//! inherited memory, VM calls on another task, task_suspend/resume counts
//! and task_terminate.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU64, Ordering};
use mach::defs::exc::*;
use mach::defs::host::*;
use mach::defs::task::*;
use mach::defs::thread::*;
use mach::defs::vm::*;
use mach::kern_return::*;
use mach::message::*;
use mach::port::*;
use machrt::msg::{receive, send, Buffer};
use machrt::println;
use machrt::rpc::{host_self, task_self, Kernel};

static COUNTER: AtomicU64 = AtomicU64::new(0);
static RESUMED: AtomicU64 = AtomicU64::new(0);

fn check(what: &str, ok: bool) -> bool {
    println!("kobj: {} {}", what, if ok { "ok" } else { "FAILED" });
    ok
}

/// A second thread: counts forever, yielding.
extern "C" fn counter_thread(step: u64) -> ! {
    println!("kobj: second thread running, step {}", step);
    loop {
        COUNTER.fetch_add(step, Ordering::Relaxed);
        machrt::trap::yield_now();
    }
}

/// A thread that faults on purpose; its handler moves it to `recovered`.
extern "C" fn faulting_thread(_: u64) -> ! {
    // SAFETY: faulting is the point.
    unsafe { core::ptr::read_volatile(0xdead_0000 as *const u64) };
    println!("kobj: the fault was not taken, which is wrong");
    loop {}
}

extern "C" fn recovered(_: u64) -> ! {
    RESUMED.store(1, Ordering::Relaxed);
    println!("kobj: faulting thread resumed at a new rip by its handler");
    // Ends itself through its own thread port.
    machrt::thread::exit()
}

use machrt::thread::spawn_in as spawn;

fn wait_for(c: &AtomicU64, min: u64) -> bool {
    for _ in 0..10_000 {
        if c.load(Ordering::Relaxed) >= min {
            return true;
        }
        machrt::trap::yield_now();
    }
    false
}

fn threads_and_suspension() -> bool {
    let mut ok = true;
    let t = match spawn(task_self(), counter_thread, 1) {
        Ok(t) => t,
        Err(kr) => return failed("spawn", kr),
    };
    ok &= check("thread created, state set and resumed", wait_for(&COUNTER, 5));
    let n = task_threads::call(&Kernel, task_self()).map(|r| r.count).unwrap_or(0);
    ok &= check("task_threads counts 2 threads", n == 2);
    ok &= check("thread_suspend", thread_suspend::call(&Kernel, t).is_ok());
    let st = thread_info::call(&Kernel, t).map(|r| { r.info }.run_state).unwrap_or(0);
    ok &= check("thread_info says stopped", st == TH_STATE_STOPPED);
    let before = COUNTER.load(Ordering::Relaxed);
    for _ in 0..50 {
        machrt::trap::yield_now();
    }
    ok &= check("a suspended thread does not run", COUNTER.load(Ordering::Relaxed) == before);
    let regs = thread_get_state::call(&Kernel, t, X86_THREAD_STATE64).map(|r| unsafe { { r.state }.regs });
    ok &= check("thread_get_state of the stopped thread", regs.is_ok_and(|r| r.rip != 0 && r.rsp != 0));
    ok &= check("thread_resume", thread_resume::call(&Kernel, t).is_ok());
    ok &= check("a resumed thread runs again", wait_for(&COUNTER, before + 5));
    ok &= check("resume of a running thread fails", thread_resume::call(&Kernel, t).is_err());
    ok &= check("thread_terminate", thread_terminate::call(&Kernel, t).is_ok());
    let after = thread_info::call(&Kernel, t);
    ok &= check("the terminated thread's port is dead", after.is_err());
    let n = task_threads::call(&Kernel, task_self()).map(|r| r.count).unwrap_or(0);
    ok &= check("task_threads counts 1 thread again", n == 1);
    ok
}

fn failed(what: &str, kr: KernReturn) -> bool {
    println!("kobj: {} FAILED: {}", what, name(kr));
    false
}

/// A receive right with a send right under the same name.
fn port_with_send() -> PortName {
    let p = machrt::port::allocate(task_self(), MACH_PORT_RIGHT_RECEIVE).unwrap();
    machrt::port::insert_right(task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND).unwrap();
    p
}

/// Receives one exception_raise on `port` and answers `ret`; on success
/// first moves the thread to `recovered`.
fn handle_exception(port: PortName, ret: KernReturn) -> Option<exception_raise::Request> {
    let mut buf = Buffer::<512>::new();
    let kr = receive(&mut buf, port, MACH_RCV_TIMEOUT, 5000);
    if kr != KERN_SUCCESS {
        println!("kobj: no exception message: {}", name(kr));
        return None;
    }
    let req = exception_raise::Request::parse(&buf.0).ok()?;
    if ret == KERN_SUCCESS {
        let th = { req.thread }.name;
        let mut regs = unsafe { { thread_get_state::call(&Kernel, th, X86_THREAD_STATE64).ok()?.state }.regs };
        regs.rip = recovered as *const () as u64;
        thread_set_state::call(&Kernel, th, X86_THREAD_STATE64, StateBuf { regs }).ok()?;
        let mut rep = exception_raise::Reply::new(&{ req.header });
        send(&mut rep, 0, 0);
    } else {
        let mut rep = mach::rpc::reply_error(&{ req.header }, ret);
        send(&mut rep, 0, 0);
    }
    Some(req)
}

fn exceptions() -> bool {
    let mut ok = true;
    let port = port_with_send();
    ok &= check("task_set_special_port(exception)",
                task_set_special_port::call(&Kernel, task_self(), port, TASK_EXCEPTION_PORT).is_ok());
    if spawn(task_self(), faulting_thread, 0).is_err() {
        return check("spawn a faulting thread", false);
    }
    let req = handle_exception(port, KERN_SUCCESS);
    let good = req.is_some_and(|r| { r.exception } == EXC_BAD_ACCESS && { r.code }[1] == 0xdead_0000
                               && { r.code }[0] == KERN_INVALID_ADDRESS as u64);
    ok &= check("exception_raise carries EXC_BAD_ACCESS, the code and the address", good);
    ok &= check("the handler's new state took effect", wait_for(&RESUMED, 1));

    // A child task inherits the exception port; a handler that refuses
    // ends the child.
    let child = { task_create::call(&Kernel, task_self(), 1).unwrap().child }.name;
    if spawn(child, faulting_thread, 0).is_err() {
        return check("spawn a faulting thread in a child", false);
    }
    let req = handle_exception(port, KERN_FAILURE);
    ok &= check("the child's exception reached the inherited port", req.is_some());
    let mut gone = false;
    for _ in 0..1000 {
        if task_info::call(&Kernel, child).is_err() {
            gone = true;
            break;
        }
        machrt::trap::yield_now();
    }
    ok &= check("a refused exception ends the child task", gone);
    task_set_special_port::call(&Kernel, task_self(), MACH_PORT_NULL, TASK_EXCEPTION_PORT).ok();
    ok
}

fn other_tasks() -> bool {
    let mut ok = true;
    let child = match task_create::call(&Kernel, task_self(), 0) {
        Ok(r) => { r.child }.name,
        Err(kr) => return failed("task_create", kr),
    };
    let info = task_info::call(&Kernel, child).map(|r| r.info);
    ok &= check("an empty child has no threads and no memory",
                info.is_ok_and(|i| i.thread_count == 0 && i.virtual_size == 0));
    let at = vm_allocate::call(&Kernel, child, 0, 8192, 1).map(|r| r.address);
    ok &= check("vm_allocate in another task", at.is_ok());
    let at = at.unwrap_or(0);
    // A page-aligned page of ours, written into the child and read back.
    let mine = machrt::vm::allocate(4096).unwrap();
    // SAFETY: a fresh page of ours.
    let page = unsafe { core::slice::from_raw_parts_mut(mine as *mut u8, 4096) };
    for (i, b) in page.iter_mut().enumerate() {
        *b = (i * 7 % 251) as u8;
    }
    let w = vm_write::call(&Kernel, child, OolDescriptor::new(mine, 4096, false), at + 4096);
    ok &= check("vm_write into another task", w.is_ok());
    let r = vm_read::call(&Kernel, child, at + 4096, 4096);
    let same = r.is_ok_and(|r| {
        let d = r.data;
        // SAFETY: the reply mapped `size` bytes at `address` into us.
        let got = unsafe { core::slice::from_raw_parts(d.address as *const u8, d.size as usize) };
        got == &page[..]
    });
    ok &= check("vm_read gives back what vm_write put", same);
    let region = vm_region::call(&Kernel, child, 0).map(|r| r.info);
    if let Ok(i) = region {
        println!("kobj: child's first region at {:#x}, {} bytes, protection {}", i.address, i.size, i.protection);
    }
    // vm_write replaced the second page with the copy: the first region is
    // the untouched first page.
    ok &= check("vm_region describes the child's region",
                region.is_ok_and(|i| i.address == at && i.size >= 4096 && i.protection == mach::vm::VM_PROT_DEFAULT));
    ok &= check("task_resume of a task not suspended fails", task_resume::call(&Kernel, child).is_err());
    ok &= check("task_suspend", task_suspend::call(&Kernel, child).is_ok());
    ok &= check("task_info counts the suspension",
                task_info::call(&Kernel, child).is_ok_and(|r| { r.info }.suspend_count == 1));
    ok &= check("task_resume", task_resume::call(&Kernel, child).is_ok());
    ok &= check("task_terminate", task_terminate::call(&Kernel, child).is_ok());
    ok &= check("a terminated task's port answers no more", task_info::call(&Kernel, child).is_err());
    ok
}

/// The line between a boot task (privileged) and a task it creates (not,
/// as a UNIX server's processes): the child's host port is host_self, on
/// which the privileged routines fail; it has no device master port; the
/// privilege comes only from a holder of host_priv, and goes again.
fn privilege() -> bool {
    let mut ok = true;
    let child = match task_create::call(&Kernel, task_self(), 0) {
        Ok(r) => { r.child }.name,
        Err(kr) => return failed("task_create", kr),
    };
    let special = |which| task_get_special_port::call(&Kernel, child, which).map(|r| { r.port }.name);
    let mine = special_of_self(TASK_HOST_PORT);
    let host = special(TASK_HOST_PORT).unwrap_or(MACH_PORT_NULL);
    ok &= check("a child's host port is not host_priv", host != MACH_PORT_NULL && Some(host) != mine);
    ok &= check("host_info on host_self", host_info::call(&Kernel, host).is_ok());
    ok &= check("host_reboot on host_self fails",
                host_reboot::call(&Kernel, host, HOST_REBOOT_HALT, 3).is_err_and(|kr| kr == KERN_INVALID_HOST));
    ok &= check("host_console_write on host_self fails",
                host_console_write::call(&Kernel, host, 1, [b'!'; 256]).is_err_and(|kr| kr == KERN_INVALID_HOST));
    ok &= check("host_console_read on host_self fails",
                host_console_read::call(&Kernel, host, 1).is_err_and(|kr| kr == KERN_INVALID_HOST));
    ok &= check("host_get_boot_module on host_self fails",
                host_get_boot_module::call(&Kernel, host, 0).is_err_and(|kr| kr == KERN_INVALID_HOST));
    ok &= check("a child has no device master port",
                special(mach::defs::device::TASK_DEVICE_MASTER_PORT).is_err_and(|kr| kr == KERN_NO_ACCESS));
    ok &= check("task_set_special_port(TASK_HOST_PORT, host_priv) grants the privilege",
                task_set_special_port::call(&Kernel, child, host_self(), TASK_HOST_PORT).is_ok()
                && special(mach::defs::device::TASK_DEVICE_MASTER_PORT).is_ok());
    ok &= check("task_set_special_port(TASK_HOST_PORT, host_self) takes it away",
                task_set_special_port::call(&Kernel, child, host, TASK_HOST_PORT).is_ok()
                && special(mach::defs::device::TASK_DEVICE_MASTER_PORT).is_err());
    ok &= check("any other port as TASK_HOST_PORT is refused",
                task_set_special_port::call(&Kernel, child, child, TASK_HOST_PORT).is_err());
    ok &= check("a boot task holds host_priv and the device master port",
                mine == Some(host_self()) && special_of_self(mach::defs::device::TASK_DEVICE_MASTER_PORT).is_some());
    task_terminate::call(&Kernel, child).ok();
    ok
}

/// host_console_read honours the caller's receive timeout: with nothing
/// typed (the harness types nothing) it answers MACH_RCV_TIMED_OUT after
/// about `ms`, instead of parking the caller for good.
fn console_read_times_out(ms: u32) -> bool {
    let reply = machrt::trap::reply_port();
    let mut req = host_console_read::Request::new(host_self(), 16);
    req.header.local_port = reply;
    let mut buf = [0u32; 128];
    let size = core::mem::size_of::<host_console_read::Request>();
    // SAFETY: the request is plain bytes, and fits in the buffer.
    unsafe { core::ptr::copy_nonoverlapping(req.bytes().as_ptr(), buf.as_mut_ptr() as *mut u8, size) };
    let before = ticks();
    // SAFETY: the buffer is ours and 512 bytes long.
    let kr = unsafe {
        machrt::trap::mach_msg(buf.as_mut_ptr() as *mut u8, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
                               size as u32, 512, reply, ms)
    };
    let waited = ticks() - before;
    let _ = machrt::port::deallocate(task_self(), reply);
    let ret = mach::rpc::from_bytes::<mach::rpc::ErrorReply>(
        // SAFETY: the buffer viewed as its bytes.
        unsafe { core::slice::from_raw_parts(buf.as_ptr() as *const u8, 512) }).map(|r| r.ret);
    println!("kobj: host_console_read with a {} ms timeout: {} after {} ticks, reply {:?}",
             ms, name(kr), waited, ret.map(name));
    kr == KERN_SUCCESS && ret == Some(MACH_RCV_TIMED_OUT) && waited <= (ms as u64 / 10) + 5
}

fn ticks() -> u64 {
    host_info::call(&Kernel, host_self()).map(|r| { r.info }.ticks).unwrap_or(0)
}

fn special_of_self(which: u32) -> Option<PortName> {
    task_get_special_port::call(&Kernel, task_self(), which).ok().map(|r| { r.port }.name)
}

fn main(_args: machrt::Args) -> i32 {
    let mut ok = true;
    match host_info::call(&Kernel, host_self()) {
        Ok(r) => {
            let i = r.info;
            println!("kobj: host has {} MiB, {} free pages, HZ {}", i.memory_size >> 20, i.free_pages, i.hz);
            ok &= check("host_info", i.page_size == 4096 && i.hz == 100);
        }
        Err(kr) => ok &= failed("host_info", kr),
    }
    let m = host_get_boot_module::call(&Kernel, host_self(), 0);
    ok &= check("host_get_boot_module gives this program's line and bytes", m.is_ok_and(|r| {
        let d = r.data;
        // SAFETY: the reply mapped `size` bytes at `address` into us.
        let bytes = unsafe { core::slice::from_raw_parts(d.address as *const u8, d.size as usize) };
        let name = { r.name };
        r.count == 1 && name[..{ r.name_len } as usize].ends_with(b"kobj") && bytes.starts_with(b"\x7fELF")
    }));
    ok &= check("host_get_boot_module past the end fails",
                host_get_boot_module::call(&Kernel, host_self(), 1).is_err_and(|kr| kr == KERN_INVALID_ARGUMENT));
    let info = task_info::call(&Kernel, task_self()).map(|r| r.info);
    ok &= check("task_info on self", info.is_ok_and(|i| i.thread_count == 1 && i.virtual_size > 0));
    ok &= threads_and_suspension();
    ok &= exceptions();
    ok &= other_tasks();
    ok &= privilege();
    ok &= check("host_console_read times out (poll)", console_read_times_out(0));
    ok &= check("host_console_read times out (50 ms)", console_read_times_out(50));
    println!("kobj: {}", if ok { "all passed" } else { "SOME FAILED" });
    if ok { 0 } else { 1 }
}

machrt::entry!(main);
