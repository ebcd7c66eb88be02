//! Pipes: a buffer (`unix_server::pipe::PipeBuf`) shared by a read and a
//! write vnode. Readers of an empty pipe and writers of a full one are
//! parked like wait4 (no worker waits) and retried whenever the pipe
//! changes: data in or out, or the last end of one side closing.

use crate::{mem, Answer, Park, Parked, Pcb, Server};
use alloc::sync::Arc;
use alloc::vec::Vec;
use linux_abi::Errno;
use mach::defs::bsd::bsd_syscall;
use mach::message::MsgHeader;
use machrt::sync::Mutex;
use unix_server::pipe::{PipeBuf, ReadOutcome, WriteOutcome};

pub struct Pipe {
    pub buf: Mutex<PipeBuf>,
}

const SIGPIPE: u32 = 13;

pub fn new() -> Arc<Pipe> {
    Arc::new(Pipe { buf: Mutex::new(PipeBuf::new()) })
}

/// The last description of one end went.
pub fn close_end(p: &Arc<Pipe>, reader: bool) {
    {
        let mut b = p.buf.lock();
        if reader {
            b.readers = b.readers.saturating_sub(1);
        } else {
            b.writers = b.writers.saturating_sub(1);
        }
    }
    if let Some(s) = crate::server() {
        wake(s, p);
    }
}

/// A read: data, 0 at end of file, EAGAIN or parked when empty.
pub fn read(s: &Server, p: &Pcb, h: &MsgHeader, pipe: &Arc<Pipe>, buf: u64, len: u64, nonblock: bool) -> Answer {
    match try_read(p, pipe, buf, len) {
        Some(r) => {
            wake(s, pipe);
            Answer::Rval(r)
        }
        None if nonblock => Answer::Rval(Errno::EAGAIN.to_ret()),
        None => crate::calls::park(s, p, h, Park::PipeRead { pipe: pipe.clone(), buf, len }),
    }
}

fn try_read(p: &Pcb, pipe: &Arc<Pipe>, buf: u64, len: u64) -> Option<i64> {
    let out = pipe.buf.lock().read(len.min(1 << 20) as usize);
    let r = match out {
        ReadOutcome::WouldBlock => return None,
        ReadOutcome::Eof => 0,
        ReadOutcome::Data(d) => match mem::write(p.task, buf, &d) {
            Ok(()) => d.len() as i64,
            Err(e) => e.to_ret(),
        },
    };
    Some(r)
}

/// A write: all of it (parked while full), EPIPE and SIGPIPE with no reader.
pub fn write(s: &'static Server, p: &Pcb, h: &MsgHeader, pipe: &Arc<Pipe>, buf: u64, len: u64, nonblock: bool) -> Answer {
    let len = len.min(1 << 20);
    let r = try_write(s, p, pipe, buf, len, 0);
    if r.as_ref().is_ok_and(|d| *d > 0) {
        wake(s, pipe);
    }
    match r {
        Ok(done) if done == len || (nonblock && done > 0) => Answer::Rval(done as i64),
        Ok(_) if nonblock => Answer::Rval(Errno::EAGAIN.to_ret()),
        Ok(done) => crate::calls::park(s, p, h, Park::PipeWrite { pipe: pipe.clone(), buf, len, done }),
        Err(e) => Answer::Rval(e.to_ret()),
    }
}

/// Writes what fits from `done` on; the new count.
fn try_write(s: &'static Server, p: &Pcb, pipe: &Arc<Pipe>, buf: u64, len: u64, mut done: u64) -> Result<u64, Errno> {
    let data = mem::read(p.task, buf.checked_add(done).ok_or(Errno::EFAULT)?, (len - done) as usize)?;
    let first = done;
    while done < len {
        let r = pipe.buf.lock().write(&data[(done - first) as usize..]);
        match r {
            WriteOutcome::Wrote(n) => done += n as u64,
            WriteOutcome::WouldBlock => break,
            WriteOutcome::Broken => {
                crate::signals::post(s, p.pid, p.pid, SIGPIPE);
                return if done > 0 { Ok(done) } else { Err(Errno::EPIPE) };
            }
        }
    }
    Ok(done)
}

/// Retries the calls parked on `pipe` until none makes progress.
pub fn wake(s: &Server, pipe: &Arc<Pipe>) {
    while wake_once(s, pipe) {}
}

/// One pass over the calls parked on `pipe`: whether any moved data.
fn wake_once(s: &Server, pipe: &Arc<Pipe>) -> bool {
    let mine: Vec<Parked> = crate::calls::unpark(s, |w| match &w.what {
            Park::PipeRead { pipe: q, .. } | Park::PipeWrite { pipe: q, .. } => Arc::ptr_eq(q, pipe),
            _ => false,
        });
    let Some(st) = crate::server() else { return false };
    let mut progress = false;
    for w in mine {
        let Some(pcb) = s.procs.lock().values().copied().find(|c| c.pid == w.pid) else {
            crate::drop_reply(&w.header);
            continue;
        };
        let r = match &w.what {
            Park::PipeRead { pipe, buf, len } => try_read(&pcb, pipe, *buf, *len),
            Park::PipeWrite { pipe, buf, len, done } => match try_write(st, &pcb, pipe, *buf, *len, *done) {
                Ok(d) if d == *len => Some(d as i64),
                Ok(d) => {
                    progress |= d > *done;
                    let (pipe, buf, len) = (pipe.clone(), *buf, *len);
                    s.parked.lock().push(Parked { what: Park::PipeWrite { pipe, buf, len, done: d }, ..w });
                    continue;
                }
                Err(e) => Some(e.to_ret()),
            },
            _ => None,
        };
        match r {
            Some(v) => {
                progress = true;
                crate::reply(&mut bsd_syscall::Reply::new(&w.header, v))
            }
            None => s.parked.lock().push(w),
        }
    }
    progress
}
