//! Per-process signal state: dispositions, blocked mask, pending set,
//! the alternate stack, and the POSIX rules that tie them together.
//!
//! Pure state: posting here never runs anything. Job-control effects
//! that involve *other* processes (a SIGCONT waking a stopped process,
//! SIGCHLD to the parent) are done by `proc` around these calls, and
//! the glue turns a [`Delivery`] into a signal frame or a default action.

use alloc::collections::VecDeque;
use linux_abi::consts::signal::*;
use linux_abi::structs::{KernelSigaction, Siginfo, StackT};
use linux_abi::Errno;

/// A signal number, 1..=64.
pub type Signo = u32;

/// Highest standard (coalescing) signal; 32..=64 are real-time.
pub const SIGSTD_MAX: Signo = 31;

/// Real-time signals a process may have queued before `sigqueue` says
/// EAGAIN; a bound so one sender cannot exhaust the server's memory.
pub const RT_QUEUE_LIMIT: usize = 1024;

/// A set of signals, bit `sig - 1` per signal, as in `sigset_t`.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct SigSet(pub u64);

impl SigSet {
    pub const EMPTY: SigSet = SigSet(0);
    /// SIGKILL and SIGSTOP: never blocked, caught or ignored.
    pub const UNBLOCKABLE: SigSet = SigSet(1 << (SIGKILL - 1) | 1 << (SIGSTOP - 1));
    /// The stop signals, discarded from pending by SIGCONT.
    pub const STOPS: SigSet =
        SigSet(1 << (SIGSTOP - 1) | 1 << (SIGTSTP - 1) | 1 << (SIGTTIN - 1) | 1 << (SIGTTOU - 1));

    pub const fn of(sig: Signo) -> SigSet {
        SigSet(1 << (sig - 1))
    }
    pub const fn contains(self, sig: Signo) -> bool {
        self.0 & (1 << (sig - 1)) != 0
    }
    pub fn add(&mut self, sig: Signo) {
        self.0 |= 1 << (sig - 1);
    }
    pub fn remove(&mut self, sig: Signo) {
        self.0 &= !(1 << (sig - 1));
    }
    pub const fn union(self, o: SigSet) -> SigSet {
        SigSet(self.0 | o.0)
    }
    pub const fn minus(self, o: SigSet) -> SigSet {
        SigSet(self.0 & !o.0)
    }
    pub const fn and(self, o: SigSet) -> SigSet {
        SigSet(self.0 & o.0)
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The lowest-numbered member.
    pub const fn lowest(self) -> Option<Signo> {
        if self.0 == 0 { None } else { Some(self.0.trailing_zeros() + 1) }
    }
    /// The set with SIGKILL/SIGSTOP removed: what a mask may hold.
    pub const fn maskable(self) -> SigSet {
        self.minus(SigSet::UNBLOCKABLE)
    }
}

pub const fn valid(sig: Signo) -> bool {
    sig >= 1 && sig <= NSIG
}

/// What SIG_DFL does for a signal (POSIX table; Linux's choice for the
/// non-POSIX ones: SIGSTKFLT and SIGPWR terminate, SIGWINCH/SIGURG ignore).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DefaultAction {
    Terminate,
    Core,
    Ignore,
    Stop,
    Continue,
}

pub const fn default_action(sig: Signo) -> DefaultAction {
    use DefaultAction::*;
    match sig {
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ | SIGSYS => Core,
        SIGCHLD | SIGURG | SIGWINCH => Ignore,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => Stop,
        SIGCONT => Continue,
        _ => Terminate,
    }
}

/// A disposition, as `rt_sigaction` sets it.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct SigAction {
    /// SIG_DFL (0), SIG_IGN (1) or the handler's address.
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: SigSet,
}

impl From<KernelSigaction> for SigAction {
    fn from(k: KernelSigaction) -> Self {
        SigAction { handler: k.sa_handler, flags: k.sa_flags, restorer: k.sa_restorer, mask: SigSet(k.sa_mask) }
    }
}

impl From<SigAction> for KernelSigaction {
    fn from(a: SigAction) -> Self {
        KernelSigaction { sa_handler: a.handler, sa_flags: a.flags, sa_restorer: a.restorer, sa_mask: a.mask.0 }
    }
}

impl SigAction {
    pub const fn is_handler(&self) -> bool {
        self.handler != SIG_DFL && self.handler != SIG_IGN
    }
}

/// What delivering the next signal means for the glue.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Delivery {
    /// Run SIG_DFL: terminate (with or without core) or stop the process.
    /// Ignore/continue defaults never surface here.
    Default { sig: Signo, action: DefaultAction, info: Siginfo },
    /// Build a signal frame for `action` (as it was before any
    /// SA_RESETHAND reset); `frame_mask` is the mask to save in the frame
    /// and restore at `rt_sigreturn`. The new blocked mask is installed.
    Handler { sig: Signo, info: Siginfo, action: SigAction, frame_mask: SigSet },
}

/// Outcome of posting a signal.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Posted {
    /// Ignored and not blocked: dropped at generation.
    Discarded,
    /// A standard signal already pending: merged with it.
    Coalesced,
    /// Now pending.
    Pending,
}

/// The alternate signal stack (`sigaltstack`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AltStack {
    pub sp: u64,
    pub size: u64,
    /// SS_DISABLE, or 0, possibly with SS_AUTODISARM.
    pub flags: i32,
}

impl Default for AltStack {
    fn default() -> Self {
        AltStack { sp: 0, size: 0, flags: SS_DISABLE }
    }
}

impl AltStack {
    pub const fn enabled(&self) -> bool {
        self.flags & SS_DISABLE == 0
    }
    /// True when `sp` is on this stack (Linux's test: sp in (base, base+size]).
    pub const fn contains(&self, sp: u64) -> bool {
        self.enabled() && sp > self.sp && sp - self.sp <= self.size
    }
    /// The `stack_t` that `sigaltstack` reports and signal frames save.
    pub fn report(&self, sp: u64) -> StackT {
        let state = if self.contains(sp) {
            SS_ONSTACK
        } else if self.enabled() {
            0
        } else {
            SS_DISABLE
        };
        StackT { ss_sp: self.sp, ss_flags: state | (self.flags & SS_AUTODISARM), __pad: 0, ss_size: self.size }
    }
}

#[derive(Clone, Debug)]
pub struct SigState {
    actions: [SigAction; NSIG as usize],
    blocked: SigSet,
    pending: SigSet,
    /// siginfo of each pending standard signal (index = signo).
    std_info: [Siginfo; SIGSTD_MAX as usize + 1],
    /// Queued real-time signals, in arrival order.
    rt_queue: VecDeque<Siginfo>,
    /// The mask `sigsuspend` replaced; restored at the end of the call or
    /// saved into the frame of the handler that ends it.
    saved_mask: Option<SigSet>,
    altstack: AltStack,
}

impl Default for SigState {
    fn default() -> Self {
        SigState {
            actions: [SigAction::default(); NSIG as usize],
            blocked: SigSet::EMPTY,
            pending: SigSet::EMPTY,
            std_info: [Siginfo::default(); SIGSTD_MAX as usize + 1],
            rt_queue: VecDeque::new(),
            saved_mask: None,
            altstack: AltStack::default(),
        }
    }
}

impl SigState {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn action(&self, sig: Signo) -> Result<SigAction, Errno> {
        check(sig)?;
        Ok(self.actions[sig as usize - 1])
    }

    pub fn blocked(&self) -> SigSet {
        self.blocked
    }

    /// Raw pending set (blocked or not).
    pub fn pending(&self) -> SigSet {
        self.pending
    }

    /// `rt_sigpending`: pending signals that are blocked.
    pub fn sigpending(&self) -> SigSet {
        self.pending.and(self.blocked)
    }

    pub fn altstack(&self) -> AltStack {
        self.altstack
    }

    /// True when `sig` would be dropped at delivery: SIG_IGN, or SIG_DFL
    /// with an ignore (or continue, which proc has already acted on) default.
    pub fn is_ignored(&self, sig: Signo) -> bool {
        let a = &self.actions[sig as usize - 1];
        match a.handler {
            SIG_IGN => true,
            SIG_DFL => matches!(default_action(sig), DefaultAction::Ignore | DefaultAction::Continue),
            _ => false,
        }
    }

    /// SIGCHLD is SIG_IGN or has SA_NOCLDWAIT: children are reaped at
    /// exit instead of becoming zombies.
    pub fn reaps_children_automatically(&self) -> bool {
        let a = &self.actions[SIGCHLD as usize - 1];
        a.handler == SIG_IGN || a.flags & SA_NOCLDWAIT != 0
    }

    /// SA_NOCLDSTOP: no SIGCHLD when a child stops or continues.
    pub fn wants_child_stop_notice(&self) -> bool {
        self.actions[SIGCHLD as usize - 1].flags & SA_NOCLDSTOP == 0
    }

    /// `rt_sigaction`: returns the old action, installs `new` if given.
    pub fn sigaction(&mut self, sig: Signo, new: Option<SigAction>) -> Result<SigAction, Errno> {
        check(sig)?;
        let old = self.actions[sig as usize - 1];
        let Some(mut new) = new else { return Ok(old) };
        if SigSet::UNBLOCKABLE.contains(sig) {
            return Err(Errno::EINVAL);
        }
        new.mask = new.mask.maskable();
        self.actions[sig as usize - 1] = new;
        // POSIX: setting SIG_IGN, or SIG_DFL for a signal whose default
        // is to ignore, discards a pending instance.
        if self.is_ignored(sig) {
            self.discard(SigSet::of(sig));
        }
        Ok(old)
    }

    /// `rt_sigprocmask`: returns the old mask. KILL/STOP are never blocked.
    pub fn sigprocmask(&mut self, how: u32, set: Option<SigSet>) -> Result<SigSet, Errno> {
        let old = self.blocked;
        let Some(set) = set else { return Ok(old) };
        self.blocked = match how {
            SIG_BLOCK => old.union(set),
            SIG_UNBLOCK => old.minus(set),
            SIG_SETMASK => set,
            _ => return Err(Errno::EINVAL),
        }
        .maskable();
        Ok(old)
    }

    /// Installs a mask directly (rt_sigreturn restoring the frame's mask).
    pub fn set_blocked(&mut self, mask: SigSet) {
        self.blocked = mask.maskable();
    }

    /// Generates `sig` for this process. Applies the stop/continue
    /// discards; drops signals that are ignored and not blocked (a blocked
    /// one stays: its handler may change before it is unblocked).
    pub fn post(&mut self, sig: Signo, info: Siginfo) -> Result<Posted, Errno> {
        check(sig)?;
        if sig == SIGCONT {
            self.discard(SigSet::STOPS);
        } else if SigSet::STOPS.contains(sig) {
            self.discard(SigSet::of(SIGCONT));
        }
        if self.is_ignored(sig) && !self.blocked.contains(sig) {
            return Ok(Posted::Discarded);
        }
        if sig <= SIGSTD_MAX {
            return Ok(self.post_standard(sig, info));
        }
        if self.rt_queue.len() >= RT_QUEUE_LIMIT {
            return Err(Errno::EAGAIN);
        }
        self.rt_queue.push_back(info);
        self.pending.add(sig);
        Ok(Posted::Pending)
    }

    fn post_standard(&mut self, sig: Signo, info: Siginfo) -> Posted {
        if self.pending.contains(sig) {
            return Posted::Coalesced;
        }
        self.pending.add(sig);
        self.std_info[sig as usize] = info;
        Posted::Pending
    }

    /// Removes every pending instance of the signals in `set`.
    pub fn discard(&mut self, set: SigSet) {
        self.pending = self.pending.minus(set);
        self.rt_queue.retain(|i| !set.contains(i.si_signo as Signo));
    }

    /// The lowest-numbered pending, unblocked signal.
    pub fn next_deliverable(&self) -> Option<Signo> {
        self.pending.minus(self.blocked).lowest()
    }

    pub fn has_deliverable(&self) -> bool {
        self.next_deliverable().is_some()
    }

    /// Takes one instance of pending `sig` off the pending set.
    fn dequeue(&mut self, sig: Signo) -> Siginfo {
        if sig <= SIGSTD_MAX {
            self.pending.remove(sig);
            return self.std_info[sig as usize];
        }
        let pos = self.rt_queue.iter().position(|i| i.si_signo as Signo == sig);
        let info = pos.and_then(|p| self.rt_queue.remove(p)).unwrap_or_else(|| Siginfo::new(sig as i32, SI_USER));
        if !self.rt_queue.iter().any(|i| i.si_signo as Signo == sig) {
            self.pending.remove(sig);
        }
        info
    }

    /// `rt_sigtimedwait`: takes the lowest pending signal of `set`,
    /// blocked or not (SIGKILL and SIGSTOP cannot be waited for).
    pub fn take(&mut self, set: SigSet) -> Option<Siginfo> {
        let sig = self.pending.and(set.maskable()).lowest()?;
        Some(self.dequeue(sig))
    }

    /// The pending instance of `sig` that `is` picks (a POSIX timer's
    /// signal not yet taken), to update in place (its overrun count).
    pub fn queued_mut(&mut self, sig: Signo, is: impl Fn(&Siginfo) -> bool) -> Option<&mut Siginfo> {
        if !valid(sig) || !self.pending.contains(sig) {
            return None;
        }
        if sig <= SIGSTD_MAX {
            return Some(&mut self.std_info[sig as usize]).filter(|i| is(i));
        }
        self.rt_queue.iter_mut().find(|i| i.si_signo as Signo == sig && is(i))
    }

    /// Dequeues the next deliverable signal and says what to do with it.
    /// Signals that are ignored at this point are consumed silently.
    pub fn deliver(&mut self) -> Option<Delivery> {
        while let Some(sig) = self.next_deliverable() {
            let info = self.dequeue(sig);
            if self.is_ignored(sig) {
                continue;
            }
            let action = self.actions[sig as usize - 1];
            if !action.is_handler() {
                return Some(Delivery::Default { sig, action: default_action(sig), info });
            }
            return Some(self.enter_handler(sig, info, action));
        }
        None
    }

    /// Installs the handler's mask (sa_mask, plus the signal itself
    /// unless SA_NODEFER) and applies SA_RESETHAND.
    fn enter_handler(&mut self, sig: Signo, info: Siginfo, action: SigAction) -> Delivery {
        let frame_mask = self.saved_mask.take().unwrap_or(self.blocked);
        let mut add = action.mask;
        if action.flags & SA_NODEFER == 0 {
            add.add(sig);
        }
        self.blocked = self.blocked.union(add).maskable();
        if action.flags & SA_RESETHAND != 0 {
            self.actions[sig as usize - 1] = SigAction::default();
        }
        Delivery::Handler { sig, info, action, frame_mask }
    }

    /// `rt_sigsuspend` start: installs the temporary mask. The glue then
    /// parks the thread until [`Self::has_deliverable`]; a handler's frame
    /// saves the old mask (see `deliver`), otherwise [`Self::end_suspend`]
    /// restores it. The call always ends with EINTR.
    pub fn suspend(&mut self, mask: SigSet) {
        self.saved_mask = Some(self.blocked);
        self.blocked = mask.maskable();
    }

    /// Restores the mask `suspend` replaced, if no handler took it.
    pub fn end_suspend(&mut self) {
        if let Some(m) = self.saved_mask.take() {
            self.blocked = m;
        }
    }

    /// `sigaltstack`: returns the old setting; `sp` is the caller's
    /// current stack pointer (changing the stack while on it is EPERM).
    pub fn sigaltstack(&mut self, new: Option<StackT>, sp: u64) -> Result<StackT, Errno> {
        let old = self.altstack.report(sp);
        let Some(new) = new else { return Ok(old) };
        if self.altstack.contains(sp) {
            return Err(Errno::EPERM);
        }
        let mode = new.ss_flags & !SS_AUTODISARM;
        self.altstack = match mode {
            SS_DISABLE => AltStack::default(),
            // SS_ONSTACK is accepted as 0 for old binaries, as Linux does.
            0 | SS_ONSTACK if new.ss_size < MINSIGSTKSZ => return Err(Errno::ENOMEM),
            0 | SS_ONSTACK => AltStack { sp: new.ss_sp, size: new.ss_size, flags: new.ss_flags & SS_AUTODISARM },
            _ => return Err(Errno::EINVAL),
        };
        Ok(old)
    }

    /// Where a handler with `action` runs, the program being at `sp`: on
    /// the alternate stack (its top, and the stack_t the frame saves)
    /// when the handler asked for it (SA_ONSTACK), one is set and the
    /// program is not on it already; else None. SS_AUTODISARM disarms it.
    pub fn handler_stack(&mut self, action: &SigAction, sp: u64) -> (Option<u64>, StackT) {
        let saved = self.altstack.report(sp);
        if action.flags & SA_ONSTACK == 0 || !self.altstack.enabled() || self.altstack.contains(sp) {
            return (None, saved);
        }
        let top = self.altstack.sp + self.altstack.size;
        self.disarm_altstack();
        (Some(top), saved)
    }

    /// SS_AUTODISARM: the stack is disabled while a handler runs on it.
    pub fn disarm_altstack(&mut self) {
        if self.altstack.flags & SS_AUTODISARM != 0 {
            self.altstack = AltStack::default();
        }
    }

    /// Restores the alternate stack saved in a frame (rt_sigreturn),
    /// ignoring an invalid one as Linux does.
    pub fn restore_altstack(&mut self, st: StackT, sp: u64) {
        let _ = self.sigaltstack(Some(st), sp);
    }

    /// The state of a fork child: same dispositions, mask and altstack;
    /// nothing pending.
    pub fn fork_copy(&self) -> SigState {
        let mut s = self.clone();
        s.pending = SigSet::EMPTY;
        s.rt_queue.clear();
        s.saved_mask = None;
        s
    }

    /// execve: caught signals revert to SIG_DFL (the handlers' code is
    /// gone); ignored ones stay ignored; mask and pending are kept; the
    /// alternate stack is gone with the old image.
    pub fn exec_reset(&mut self) {
        for a in self.actions.iter_mut() {
            let handler = if a.handler == SIG_IGN { SIG_IGN } else { SIG_DFL };
            *a = SigAction { handler, ..SigAction::default() };
        }
        self.altstack = AltStack::default();
        self.saved_mask = None;
    }
}

fn check(sig: Signo) -> Result<(), Errno> {
    if valid(sig) { Ok(()) } else { Err(Errno::EINVAL) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handler(addr: u64) -> SigAction {
        SigAction { handler: addr, flags: SA_RESTORER | SA_SIGINFO, restorer: 0x4000, mask: SigSet::EMPTY }
    }
    fn info(sig: Signo) -> Siginfo {
        Siginfo::new(sig as i32, SI_USER)
    }

    #[test]
    fn take_dequeues_the_lowest_of_the_set_blocked_or_not_never_kill() {
        let mut s = SigState::new();
        s.sigprocmask(SIG_BLOCK, Some(SigSet::of(SIGUSR1))).unwrap();
        s.post(SIGUSR1, info(SIGUSR1)).unwrap();
        s.post(SIGUSR2, info(SIGUSR2)).unwrap();
        s.post(SIGRTMIN, info(SIGRTMIN)).unwrap();
        s.post(SIGRTMIN, info(SIGRTMIN)).unwrap();
        let set = SigSet::of(SIGUSR1).union(SigSet::of(SIGRTMIN)).union(SigSet::of(SIGKILL));
        assert_eq!(s.take(set).map(|i| i.si_signo), Some(SIGUSR1 as i32));
        assert_eq!(s.take(set).map(|i| i.si_signo), Some(SIGRTMIN as i32));
        assert_eq!(s.take(set).map(|i| i.si_signo), Some(SIGRTMIN as i32));
        assert!(s.take(set).is_none());
        assert!(s.pending().contains(SIGUSR2));
        s.post(SIGKILL, info(SIGKILL)).unwrap();
        assert!(s.take(SigSet::of(SIGKILL)).is_none(), "SIGKILL cannot be waited for");
    }

    #[test]
    fn queued_mut_finds_the_pending_instance_it_is_asked_for() {
        let mut s = SigState::new();
        s.sigprocmask(SIG_BLOCK, Some(SigSet::of(SIGRTMIN).union(SigSet::of(SIGALRM)))).unwrap();
        let mut t = Siginfo::new(SIGRTMIN as i32, SI_TIMER);
        t.fields[0] = 3;
        s.post(SIGRTMIN, info(SIGRTMIN)).unwrap();
        s.post(SIGRTMIN, t).unwrap();
        let timer3 = |i: &Siginfo| i.si_code == SI_TIMER && i.fields[0] == 3;
        s.queued_mut(SIGRTMIN, timer3).unwrap().fields[1] = 41;
        assert!(s.queued_mut(SIGALRM, timer3).is_none(), "nothing pending");
        assert_eq!(s.take(SigSet::of(SIGRTMIN)).unwrap().si_code, SI_USER);
        assert_eq!(s.take(SigSet::of(SIGRTMIN)).unwrap().fields[1], 41);
        assert!(s.queued_mut(SIGRTMIN, timer3).is_none(), "taken");
    }

    #[test]
    fn defaults_table() {
        assert_eq!(default_action(SIGSEGV), DefaultAction::Core);
        assert_eq!(default_action(SIGTERM), DefaultAction::Terminate);
        assert_eq!(default_action(SIGCHLD), DefaultAction::Ignore);
        assert_eq!(default_action(SIGTSTP), DefaultAction::Stop);
        assert_eq!(default_action(SIGCONT), DefaultAction::Continue);
        assert_eq!(default_action(SIGRTMIN + 3), DefaultAction::Terminate);
    }

    #[test]
    fn kill_and_stop_cannot_be_caught_blocked_or_ignored() {
        let mut s = SigState::new();
        let ign = SigAction { handler: SIG_IGN, ..Default::default() };
        assert_eq!(s.sigaction(SIGKILL, Some(ign)), Err(Errno::EINVAL));
        assert_eq!(s.sigaction(SIGSTOP, Some(handler(0x1000))), Err(Errno::EINVAL));
        assert!(s.sigaction(SIGKILL, None).is_ok());
        s.sigprocmask(SIG_SETMASK, Some(SigSet(u64::MAX))).unwrap();
        assert!(!s.blocked().contains(SIGKILL) && !s.blocked().contains(SIGSTOP));
        assert!(s.blocked().contains(SIGINT));
        assert_eq!(s.sigaction(0, None), Err(Errno::EINVAL));
        assert_eq!(s.sigaction(65, None), Err(Errno::EINVAL));
        assert_eq!(s.sigprocmask(7, Some(SigSet::EMPTY)), Err(Errno::EINVAL));
    }

    #[test]
    fn sigprocmask_modes() {
        let mut s = SigState::new();
        s.sigprocmask(SIG_BLOCK, Some(SigSet::of(SIGINT).union(SigSet::of(SIGTERM)))).unwrap();
        let old = s.sigprocmask(SIG_UNBLOCK, Some(SigSet::of(SIGINT))).unwrap();
        assert!(old.contains(SIGINT));
        assert_eq!(s.blocked(), SigSet::of(SIGTERM));
        assert_eq!(s.sigprocmask(SIG_SETMASK, None).unwrap(), SigSet::of(SIGTERM));
    }

    #[test]
    fn standard_signals_coalesce_rt_queue() {
        let mut s = SigState::new();
        s.sigprocmask(SIG_BLOCK, Some(SigSet(u64::MAX))).unwrap();
        assert_eq!(s.post(SIGUSR1, info(SIGUSR1)), Ok(Posted::Pending));
        assert_eq!(s.post(SIGUSR1, info(SIGUSR1)), Ok(Posted::Coalesced));
        let rt = SIGRTMIN + 1;
        for v in 0..3 {
            let mut i = info(rt);
            i.set_value(v);
            assert_eq!(s.post(rt, i), Ok(Posted::Pending));
        }
        s.sigaction(SIGUSR1, Some(handler(0x1000))).unwrap();
        s.sigaction(rt, Some(handler(0x2000))).unwrap();
        s.sigprocmask(SIG_SETMASK, Some(SigSet::EMPTY)).unwrap();
        let mut seen = std::vec::Vec::new();
        while let Some(Delivery::Handler { sig, info, .. }) = s.deliver() {
            seen.push((sig, info.value()));
            s.set_blocked(SigSet::EMPTY); // as rt_sigreturn would
        }
        assert_eq!(seen, [(SIGUSR1, 0), (rt, 0), (rt, 1), (rt, 2)]);
    }

    #[test]
    fn rt_queue_is_bounded() {
        let mut s = SigState::new();
        s.sigprocmask(SIG_BLOCK, Some(SigSet(u64::MAX))).unwrap();
        for _ in 0..RT_QUEUE_LIMIT {
            s.post(40, info(40)).unwrap();
        }
        assert_eq!(s.post(40, info(40)), Err(Errno::EAGAIN));
    }

    #[test]
    fn lowest_numbered_first_and_blocked_wait() {
        let mut s = SigState::new();
        s.sigprocmask(SIG_BLOCK, Some(SigSet::of(SIGHUP))).unwrap();
        s.post(SIGTERM, info(SIGTERM)).unwrap();
        s.post(SIGHUP, info(SIGHUP)).unwrap();
        s.post(SIGINT, info(SIGINT)).unwrap();
        assert_eq!(s.next_deliverable(), Some(SIGINT));
        assert_eq!(s.sigpending(), SigSet::of(SIGHUP));
    }

    #[test]
    fn ignore_discards_pending_and_drops_new() {
        let mut s = SigState::new();
        s.sigprocmask(SIG_BLOCK, Some(SigSet::of(SIGUSR1))).unwrap();
        s.post(SIGUSR1, info(SIGUSR1)).unwrap();
        let ign = SigAction { handler: SIG_IGN, ..Default::default() };
        s.sigaction(SIGUSR1, Some(ign)).unwrap();
        assert!(s.pending().is_empty());
        // Blocked ignored signals stay pending (the handler may change)...
        assert_eq!(s.post(SIGUSR1, info(SIGUSR1)), Ok(Posted::Pending));
        // ...unblocked ones are dropped at generation.
        s.sigprocmask(SIG_SETMASK, Some(SigSet::EMPTY)).unwrap();
        assert_eq!(s.post(SIGUSR2, info(SIGUSR2)), Ok(Posted::Pending));
        s.sigaction(SIGUSR2, Some(ign)).unwrap();
        assert_eq!(s.post(SIGUSR2, info(SIGUSR2)), Ok(Posted::Discarded));
        // Default-ignore signals are dropped too.
        assert_eq!(s.post(SIGCHLD, info(SIGCHLD)), Ok(Posted::Discarded));
        // An ignored, still-pending one is consumed silently at delivery.
        assert_eq!(s.deliver(), None);
    }

    #[test]
    fn stop_and_continue_discard_each_other() {
        let mut s = SigState::new();
        s.sigprocmask(SIG_BLOCK, Some(SigSet(u64::MAX))).unwrap();
        s.post(SIGTSTP, info(SIGTSTP)).unwrap();
        s.post(SIGTTIN, info(SIGTTIN)).unwrap();
        s.post(SIGCONT, info(SIGCONT)).unwrap();
        assert_eq!(s.pending(), SigSet::of(SIGCONT));
        s.post(SIGSTOP, info(SIGSTOP)).unwrap();
        assert_eq!(s.pending(), SigSet::of(SIGSTOP));
    }

    #[test]
    fn delivery_installs_mask_and_resethand() {
        let mut s = SigState::new();
        let mut a = handler(0x1000);
        a.mask = SigSet::of(SIGUSR2).union(SigSet::of(SIGKILL));
        a.flags |= SA_RESETHAND;
        s.sigaction(SIGUSR1, Some(a)).unwrap();
        s.post(SIGUSR1, info(SIGUSR1)).unwrap();
        let Some(Delivery::Handler { sig, action, frame_mask, .. }) = s.deliver() else { panic!() };
        assert_eq!((sig, action.handler, frame_mask), (SIGUSR1, 0x1000, SigSet::EMPTY));
        assert_eq!(s.blocked(), SigSet::of(SIGUSR1).union(SigSet::of(SIGUSR2)));
        assert_eq!(s.action(SIGUSR1).unwrap().handler, SIG_DFL);
        // SA_NODEFER: the signal itself is not added.
        let mut b = handler(0x2000);
        b.flags |= SA_NODEFER;
        s.sigaction(SIGHUP, Some(b)).unwrap();
        s.set_blocked(SigSet::EMPTY);
        s.post(SIGHUP, info(SIGHUP)).unwrap();
        s.deliver().unwrap();
        assert!(!s.blocked().contains(SIGHUP));
        // Default terminate.
        s.post(SIGTERM, info(SIGTERM)).unwrap();
        assert!(matches!(s.deliver(), Some(Delivery::Default { sig: SIGTERM, action: DefaultAction::Terminate, .. })));
    }

    #[test]
    fn sigsuspend_saves_mask_into_frame() {
        let mut s = SigState::new();
        s.sigaction(SIGUSR1, Some(handler(0x1000))).unwrap();
        s.sigprocmask(SIG_SETMASK, Some(SigSet::of(SIGUSR1))).unwrap();
        s.suspend(SigSet::EMPTY);
        assert!(!s.has_deliverable());
        s.post(SIGUSR1, info(SIGUSR1)).unwrap();
        let Some(Delivery::Handler { frame_mask, .. }) = s.deliver() else { panic!() };
        assert_eq!(frame_mask, SigSet::of(SIGUSR1));
        // No handler ran: end_suspend restores.
        s.set_blocked(SigSet::of(SIGINT));
        s.suspend(SigSet::EMPTY);
        s.end_suspend();
        assert_eq!(s.blocked(), SigSet::of(SIGINT));
    }

    #[test]
    fn altstack_rules() {
        let mut s = SigState::new();
        let st = |sp, size, flags| StackT { ss_sp: sp, ss_size: size, ss_flags: flags, __pad: 0 };
        assert_eq!(s.sigaltstack(None, 0).unwrap().ss_flags, SS_DISABLE);
        assert_eq!(s.sigaltstack(Some(st(0x10000, 1024, 0)), 0), Err(Errno::ENOMEM));
        assert_eq!(s.sigaltstack(Some(st(0x10000, 8192, 99)), 0), Err(Errno::EINVAL));
        s.sigaltstack(Some(st(0x10000, 8192, 0)), 0).unwrap();
        let on = 0x11000;
        assert_eq!(s.sigaltstack(None, on).unwrap().ss_flags, SS_ONSTACK);
        assert_eq!(s.sigaltstack(Some(st(0, 0, SS_DISABLE)), on), Err(Errno::EPERM));
        assert_eq!(s.sigaltstack(Some(st(0, 0, SS_DISABLE)), 0x50000).unwrap().ss_flags, 0);
        assert!(!s.altstack().enabled());
    }

    #[test]
    fn fork_and_exec() {
        let mut s = SigState::new();
        s.sigaction(SIGINT, Some(handler(0x1000))).unwrap();
        s.sigaction(SIGQUIT, Some(SigAction { handler: SIG_IGN, ..Default::default() })).unwrap();
        s.sigprocmask(SIG_BLOCK, Some(SigSet::of(SIGHUP))).unwrap();
        s.post(SIGHUP, info(SIGHUP)).unwrap();
        let child = s.fork_copy();
        assert!(child.pending().is_empty());
        assert_eq!(child.action(SIGINT).unwrap().handler, 0x1000);
        assert_eq!(child.blocked(), SigSet::of(SIGHUP));
        s.exec_reset();
        assert_eq!(s.action(SIGINT).unwrap().handler, SIG_DFL);
        assert_eq!(s.action(SIGQUIT).unwrap().handler, SIG_IGN);
        assert_eq!(s.blocked(), SigSet::of(SIGHUP));
        assert_eq!(s.pending(), SigSet::of(SIGHUP));
    }
}
