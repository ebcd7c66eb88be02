//! The console as a terminal: typed bytes go through the line discipline
//! (`unix_server::tty::Ldisc`: editing, echo, ^C/^Z/^\ to the foreground
//! group), reads are parked until it has a line (or bytes, in raw mode),
//! and the tty ioctls set modes and the foreground group.

use crate::{mem, Answer, Park, Parked, Pcb, Server};
use alloc::vec::Vec;
use linux_abi::consts::ioctl::*;
use linux_abi::structs::Termios;
use linux_abi::Errno;
use mach::defs::bsd::bsd_syscall;
use mach::defs::host::*;
use mach::message::MsgHeader;
use machrt::rpc::Kernel;
use machrt::sync::Mutex;
use unix_server::tty::Ldisc;

pub static TTY: Mutex<Option<Ldisc>> = Mutex::new(None);

use linux_abi::consts::signal::{SIGTTIN, SIGWINCH};
use linux_abi::structs::Winsize;

/// The terminal's size: 80x24 unless the boot line said otherwise
/// (`tty=COLSxROWS` from scripts/boot, the host terminal's size, or
/// `tty=0x0` when the console is a pipe); TIOCSWINSZ changes it.
static WINSIZE: Mutex<Winsize> = Mutex::new(Winsize { ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 });

/// A boot argument's `COLSxROWS`; false if it is not one.
pub fn boot_size(spec: &str) -> bool {
    let Some((c, r)) = spec.split_once('x') else { return false };
    let (Ok(cols), Ok(rows)) = (c.parse::<u16>(), r.parse::<u16>()) else { return false };
    *WINSIZE.lock() = Winsize { ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0 };
    true
}

fn with<T>(f: impl FnOnce(&mut Ldisc) -> T) -> T {
    let mut g = TTY.lock();
    f(g.get_or_insert_with(|| {
        let mut l = Ldisc::new();
        (l.fg_pgrp, l.session) = (1, 1);
        l
    }))
}

/// The terminal's session and foreground group (/proc/<pid>/stat).
pub fn owner() -> (i32, i32) {
    with(|l| (l.session, l.fg_pgrp))
}

/// Bytes to the console.
pub fn output(bytes: &[u8]) {
    for chunk in bytes.chunks(256) {
        let mut data = [0u8; 256];
        data[..chunk.len()].copy_from_slice(chunk);
        let _ = host_console_write::call(&Kernel, machrt::trap::host_self(), chunk.len() as u32, data);
    }
}

/// A read from the terminal: a line (canonical) or what is there (raw);
/// a background process of the terminal's session gets SIGTTIN.
pub fn read(s: &'static Server, p: &Pcb, h: &MsgHeader, buf: u64, len: u64, nonblock: bool) -> Answer {
    let pgrp = s.table.getpgid(p.pid, 0).unwrap_or(0);
    let sid = s.table.getsid(p.pid, 0).unwrap_or(0);
    let (fg, session) = with(|l| (l.fg_pgrp, l.session));
    if sid == session && fg != 0 && pgrp != fg {
        crate::signals::post(s, crate::signals::KERNEL, -pgrp, SIGTTIN);
        return Answer::Rval(Errno::EINTR.to_ret());
    }
    match try_read(p, buf, len) {
        Some(r) => Answer::Rval(r),
        None if nonblock => Answer::Rval(Errno::EAGAIN.to_ret()),
        None => crate::calls::park(s, p, h, Park::Tty { buf, len }),
    }
}

fn try_read(p: &Pcb, buf: u64, len: u64) -> Option<i64> {
    let data = with(|l| l.read(len.min(1 << 16) as usize))?;
    Some(match mem::write(p.task, buf, &data) {
        Ok(()) => data.len() as i64,
        Err(e) => e.to_ret(),
    })
}

/// The console reader thread: parks in the kernel's host_console_read
/// (so no worker does), runs the typed bytes through the line
/// discipline, echoes, signals, and answers the parked readers.
pub extern "C" fn console_reader(arg: u64) -> ! {
    // SAFETY: main passed the leaked, never-freed Server.
    let s: &'static Server = unsafe { &*(arg as *const Server) };
    loop {
        let Ok(r) = host_console_read::call(&Kernel, machrt::trap::host_self(), 256) else { continue };
        let data = { r.data };
        let (mut echo, mut sigs) = (Vec::new(), Vec::new());
        let fg = with(|l| {
            for &b in &data[..(r.len as usize).min(256)] {
                sigs.extend(l.input(b, &mut echo));
            }
            l.fg_pgrp
        });
        output(&echo);
        for sig in sigs {
            if fg > 0 {
                crate::signals::post(s, crate::signals::KERNEL, -fg, sig);
            }
        }
        wake(s);
    }
}

/// Answers parked terminal readers while there is input, in order.
pub fn wake(s: &Server) {
    loop {
        let next = {
            let mut l = s.parked.lock();
            let i = l.iter().position(|w| matches!(w.what, Park::Tty { .. }));
            i.map(|i| l.remove(i))
        };
        let Some(w) = next else { break };
        let Park::Tty { buf, len } = w.what else { break };
        let Some(pcb) = s.procs.lock().values().copied().find(|c| c.pid == w.pid) else {
            crate::drop_reply(&w.header);
            continue;
        };
        match try_read(&pcb, buf, len) {
            Some(n) => crate::reply(&mut bsd_syscall::Reply::new(&w.header, n)),
            None => {
                s.parked.lock().insert(0, Parked { ..w });
                break;
            }
        }
    }
}

pub fn readable() -> bool {
    with(|l| l.readable())
}

/// The terminal ioctls.
pub fn ioctl(s: &'static Server, p: &Pcb, req: u32, arg: u64) -> Result<i64, Errno> {
    match req {
        TCGETS => mem::write_struct(p.task, arg, &with(|l| l.termios)).map(|_| 0),
        TCSETS | TCSETSW | TCSETSF => {
            let t: Termios = mem::read_struct(p.task, arg)?;
            with(|l| l.set(t, req == TCSETSF));
            wake(s);
            Ok(0)
        }
        TIOCGWINSZ => {
            let ws = *WINSIZE.lock();
            mem::write_struct(p.task, arg, &ws).map(|_| 0)
        }
        TIOCSWINSZ => {
            // As Linux: a new size sends SIGWINCH to the foreground group.
            let ws: Winsize = mem::read_struct(p.task, arg)?;
            let changed = {
                let mut cur = WINSIZE.lock();
                let changed = (cur.ws_row, cur.ws_col, cur.ws_xpixel, cur.ws_ypixel) != (ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel);
                *cur = ws;
                changed
            };
            let fg = with(|l| l.fg_pgrp);
            if changed && fg > 0 {
                crate::signals::post(s, crate::signals::KERNEL, -fg, SIGWINCH);
            }
            Ok(0)
        }
        TCSBRK | TCXONC | TCFLSH | TIOCNXCL | TIOCEXCL => Ok(0),
        TIOCGPGRP => mem::write(p.task, arg, &with(|l| l.fg_pgrp).to_le_bytes()).map(|_| 0),
        TIOCGSID => mem::write(p.task, arg, &with(|l| l.session).to_le_bytes()).map(|_| 0),
        TIOCSPGRP => {
            let b = mem::read(p.task, arg, 4)?;
            let pgrp = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            if pgrp <= 0 {
                return Err(Errno::EINVAL);
            }
            with(|l| l.fg_pgrp = pgrp);
            Ok(0)
        }
        TIOCSCTTY => {
            let sid = s.table.getsid(p.pid, 0)?;
            let pgrp = s.table.getpgid(p.pid, 0)?;
            with(|l| (l.session, l.fg_pgrp) = (sid, pgrp));
            Ok(0)
        }
        TIOCNOTTY => Ok(0),
        FIONREAD => mem::write(p.task, arg, &(with(|l| l.pending()) as i32).to_le_bytes()).map(|_| 0),
        _ => Err(Errno::ENOTTY),
    }
}
