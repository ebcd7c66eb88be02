use super::*;
use std::collections::BTreeMap;

/// A sparse user memory for the read accessor.
#[derive(Default)]
struct Mem(BTreeMap<u64, u8>);
impl Mem {
    fn write(&mut self, addr: u64, b: &[u8]) {
        for (i, x) in b.iter().enumerate() {
            self.0.insert(addr + i as u64, *x);
        }
    }
    fn reader(&self) -> impl FnMut(u64, &mut [u8]) -> Result<(), Errno> + '_ {
        move |addr, buf| {
            for (i, x) in buf.iter_mut().enumerate() {
                *x = *self.0.get(&(addr + i as u64)).ok_or(Errno::EFAULT)?;
            }
            Ok(())
        }
    }
}

fn regs() -> Regs {
    Regs {
        r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15,
        rdi: 0xd1, rsi: 0x51, rbp: 0xbb, rbx: 0xb0, rdx: 0xd0, rax: 0xa0, rcx: 0xc0,
        rsp: 0x7fff_0000_1003, rip: 0x40_1234, rflags: 0x246 | RFLAGS_DF,
        cs: USER_CS, ss: USER_SS, fs_base: 0x1111, gs_base: 0,
    }
}
fn action(flags: u64) -> SigAction {
    SigAction { handler: 0x40_2000, flags: SA_RESTORER | SA_SIGINFO | flags, restorer: 0x40_3000, mask: SigSet::EMPTY }
}
fn fx() -> [u8; FXSAVE_SIZE] {
    let mut f = [0u8; FXSAVE_SIZE];
    for (i, b) in f.iter_mut().enumerate() {
        *b = i as u8;
    }
    f[FX_MXCSR..FX_MXCSR + 4].copy_from_slice(&0x1f80u32.to_le_bytes());
    f
}
fn req<'a>(r: &'a Regs, f: &'a [u8; 512], i: &'a Siginfo, a: &'a SigAction, alt: AltStack) -> FrameRequest<'a> {
    FrameRequest { regs: r, fxsave: f, sig: SIGUSR1, info: i, action: a, frame_mask: SigSet::of(SIGINT), altstack: alt, trap: TrapInfo { err: 4, trapno: 14, cr2: 0xdead } }
}

#[test]
fn frame_layout_word_by_word() {
    let (r, f, a) = (regs(), fx(), action(0));
    let mut info = Siginfo::new(SIGUSR1 as i32, SI_USER);
    info.set_pid(42);
    let fr = build(&req(&r, &f, &info, &a, AltStack::default())).unwrap();
    // Below the red zone; rsp+8 16-aligned at entry.
    assert!(fr.addr + fr.bytes.len() as u64 <= r.rsp - RED_ZONE);
    assert_eq!((fr.addr + 8) % 16, 0);
    assert!(!fr.on_altstack);
    let b = &fr.bytes;
    assert_eq!(get64(b, 0), 0x40_3000, "pretcode = sa_restorer");
    let uc = 8;
    assert_eq!(get64(b, uc), UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
    assert_eq!(get_stack(b, uc + 16).ss_flags, SS_DISABLE);
    let mc = uc + 40;
    let expect = [8, 9, 10, 11, 12, 13, 14, 15, 0xd1, 0x51, 0xbb, 0xb0, 0xd0, 0xa0, 0xc0, r.rsp, r.rip, r.rflags];
    for (i, v) in expect.iter().enumerate() {
        assert_eq!(get64(b, mc + 8 * i), *v, "greg {i}");
    }
    assert_eq!(get16(b, mc + 144), USER_CS);
    assert_eq!(get16(b, mc + 150), USER_SS);
    assert_eq!((get64(b, mc + 152), get64(b, mc + 160), get64(b, mc + 176)), (4, 14, 0xdead));
    assert_eq!(get64(b, mc + 168), SigSet::of(SIGINT).0, "oldmask");
    let fp = get64(b, mc + 184);
    assert_eq!(fp % 64, 0);
    assert!(fp + 512 <= r.rsp - RED_ZONE);
    assert_eq!(&b[(fp - fr.addr) as usize..][..512], &f[..]);
    assert_eq!(get64(b, uc + 296), SigSet::of(SIGINT).0, "uc_sigmask");
    let si = Siginfo::from_bytes(b[312..440].try_into().unwrap());
    assert_eq!((si.si_signo, si.pid()), (SIGUSR1 as i32, 42));
    // Entry registers.
    let e = fr.regs;
    assert_eq!((e.rip, e.rsp, e.rdi), (0x40_2000, fr.addr, SIGUSR1 as u64));
    assert_eq!((e.rsi, e.rdx), (fr.addr + 312, fr.addr + 8));
    assert_eq!(e.rflags & RFLAGS_DF, 0);
    assert_eq!(e.fs_base, 0x1111);
}

#[test]
fn restorer_required() {
    let (r, f, i) = (regs(), fx(), Siginfo::default());
    let mut a = action(0);
    a.flags &= !SA_RESTORER;
    assert_eq!(build(&req(&r, &f, &i, &a, AltStack::default())).err(), Some(Errno::EFAULT));
}

#[test]
fn altstack_used_with_sa_onstack() {
    let (r, f, i, a) = (regs(), fx(), Siginfo::default(), action(SA_ONSTACK));
    let alt = AltStack { sp: 0x10_0000, size: 0x4000, flags: 0 };
    let fr = build(&req(&r, &f, &i, &a, alt)).unwrap();
    assert!(fr.on_altstack);
    assert!(fr.addr >= alt.sp && fr.addr + fr.bytes.len() as u64 <= alt.sp + alt.size);
    assert_eq!((fr.addr + 8) % 16, 0);
    // Without SA_ONSTACK the normal stack is used.
    let b = action(0);
    assert!(!build(&req(&r, &f, &i, &b, alt)).unwrap().on_altstack);
    // Nested signal while on the altstack: stays on it, below the sp.
    let mut on = r;
    on.rsp = alt.sp + 0x3000;
    let fr2 = build(&req(&on, &f, &i, &a, alt)).unwrap();
    assert!(fr2.on_altstack && fr2.addr < on.rsp - RED_ZONE);
    assert_eq!(get_stack(&fr2.bytes, 8 + 16).ss_flags, SS_ONSTACK);
    // Overflowing it is refused.
    on.rsp = alt.sp + 0x300;
    assert_eq!(build(&req(&on, &f, &i, &a, alt)).err(), Some(Errno::EFAULT));
}

fn round_trip_setup() -> (Mem, Frame, Regs) {
    let (r, f, i, a) = (regs(), fx(), Siginfo::default(), action(0));
    let fr = build(&req(&r, &f, &i, &a, AltStack::default())).unwrap();
    let mut m = Mem::default();
    m.write(fr.addr, &fr.bytes);
    (m, fr, r)
}

#[test]
fn sigreturn_restores_registers_mask_and_fpu() {
    let (m, fr, r) = round_trip_setup();
    // Handler's `ret` pops pretcode.
    let mut cur = fr.regs;
    cur.rsp += 8;
    let sr = parse_sigreturn(cur.rsp, &cur, &mut m.reader()).unwrap();
    let mut expect = r;
    expect.rflags = (r.rflags & RFLAGS_USER_MASK) | RFLAGS_IF | RFLAGS_FIXED;
    assert_eq!(sr.regs, expect);
    assert_eq!(sr.mask, SigSet::of(SIGINT));
    assert_eq!(sr.fxsave.unwrap(), fx());
    assert_eq!(sr.altstack.ss_flags, SS_DISABLE);
}

fn tamper(off_in_mc: usize, bytes: &[u8]) -> Result<SigReturn, Errno> {
    let (mut m, fr, _) = round_trip_setup();
    m.write(fr.addr + 8 + 40 + off_in_mc as u64, bytes);
    let cur = fr.regs;
    let r = parse_sigreturn(fr.addr + 8, &cur, &mut m.reader());
    r
}

#[test]
fn sigreturn_refuses_kernel_cs_and_bad_rip() {
    assert_eq!(tamper(144, &0x08u16.to_le_bytes()).err(), Some(Errno::EFAULT), "kernel cs");
    assert_eq!(tamper(144, &0x23u16.to_le_bytes()).err(), Some(Errno::EFAULT), "32-bit cs");
    assert_eq!(tamper(128, &0x0000_8000_0000_0000u64.to_le_bytes()).err(), Some(Errno::EFAULT), "non-canonical rip");
    assert_eq!(tamper(128, &0xffff_ffff_8100_0000u64.to_le_bytes()).err(), Some(Errno::EFAULT), "kernel rip");
    assert_eq!(tamper(150, &0x10u16.to_le_bytes()).err(), Some(Errno::EFAULT), "kernel ss");
    assert_eq!(tamper(184, &0x1008u64.to_le_bytes()).err(), Some(Errno::EFAULT), "misaligned fpstate");
    assert_eq!(tamper(184, &0x7000_0000u64.to_le_bytes()).err(), Some(Errno::EFAULT), "unmapped fpstate");
    // IOPL and other privileged flags are stripped, IF forced on.
    let sr = tamper(136, &0x3000u64.to_le_bytes()).unwrap();
    assert_eq!(sr.regs.rflags, RFLAGS_IF | RFLAGS_FIXED);
    // No fpstate: FPU reset.
    assert_eq!(tamper(184, &0u64.to_le_bytes()).unwrap().fxsave, None);
}

#[test]
fn sigreturn_sanitises_mxcsr() {
    let (mut m, fr, _) = round_trip_setup();
    let fp = get64(&fr.bytes, 8 + 40 + 184);
    m.write(fp + FX_MXCSR as u64, &0xdead_1f80u32.to_le_bytes());
    let sr = parse_sigreturn(fr.addr + 8, &fr.regs, &mut m.reader()).unwrap();
    assert_eq!(&sr.fxsave.unwrap()[FX_MXCSR..FX_MXCSR + 4], &0x1f80u32.to_le_bytes());
}

#[test]
fn unreadable_frame_is_efault() {
    let m = Mem::default();
    assert_eq!(parse_sigreturn(0x5000, &regs(), &mut m.reader()).err(), Some(Errno::EFAULT));
}

#[test]
fn restart_rules() {
    let run = |err: Errno, handler, sa_restart| {
        let mut r = regs();
        r.rax = err.to_ret() as u64;
        fixup_restart(&mut r, 7, handler, sa_restart);
        (r.rax, r.rip)
    };
    let rip = regs().rip;
    let eintr = Errno::EINTR.to_ret() as u64;
    assert_eq!(run(Errno::ERESTARTSYS, true, false), (eintr, rip));
    assert_eq!(run(Errno::ERESTARTSYS, true, true), (7, rip - 2));
    assert_eq!(run(Errno::ERESTARTSYS, false, false), (7, rip - 2));
    assert_eq!(run(Errno::ERESTARTNOHAND, true, true), (eintr, rip));
    assert_eq!(run(Errno::ERESTARTNOINTR, true, false), (7, rip - 2));
    assert_eq!(run(Errno::ERESTART_RESTARTBLOCK, false, false), (linux_abi::sysno::RESTART_SYSCALL as u64, rip - 2));
    assert_eq!(run(Errno::EBADF, true, false), (Errno::EBADF.to_ret() as u64, rip));
}
