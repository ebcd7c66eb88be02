//! Timers, clocks and signal waits of the UNIX server against Linux:
//! alarm, setitimer/getitimer (ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF),
//! rt_sigsuspend, rt_sigpending, rt_sigtimedwait, time, clock_getres,
//! with bad pointers, bad ids and huge values to each.

use mk_tests::{cprog, unix};

/// What `stress_posix_timers` prints on Linux (the same static musl
/// binary run on the host, 6.x kernel), in order. Timing checks print
/// only ok/FAILED, with bounds that hold on a loaded host.
const LINUX_TIMERS: &[&str] = &[
    "posix: alarm(0) first = 0",
    "posix: alarm(0) after alarm(5) = 5",
    "posix: alarm(0) after alarm(UINT_MAX) = 4294967295",
    "posix: pause after alarm(1) ends with EINTR after SIGALRM ok",
    "posix: alarm(1) fires after about a second ok",
    "posix: a fired alarm is disarmed ok",
    "posix: an interval timer fired 5 times ok",
    "posix: 5 periods of 50 ms take at least 250 ms ok",
    "posix: the old interval comes back exactly ok",
    "posix: the old value is what is left of the period ok",
    "posix: getitimer of a 2 s timer says 1.x s left ok",
    "posix: a one-shot timer has no interval ok",
    "posix: setitimer gives back the old timer's time left ok",
    "posix: after a zero value: value 0.000000 interval 0.000000",
    "posix: getitimer(3) = EINVAL",
    "posix: getitimer(-1) = EINVAL",
    "posix: setitimer(3) = EINVAL",
    "posix: getitimer into a bad pointer = EFAULT",
    "posix: setitimer from a bad pointer = EFAULT",
    "posix: setitimer with 10^6 us = EINVAL",
    "posix: setitimer with a negative second = EINVAL",
    "posix: setitimer with a negative interval = EINVAL",
    "posix: setitimer with a bad old pointer = EFAULT",
    "posix: the timer is set even so ok",
    "posix: setitimer with huge times = 0",
    "posix: a huge timer stays far away ok",
    "posix: setitimer(NULL) disarms = 0",
    "posix: nothing left after setitimer(NULL) ok",
    "posix: read of an empty pipe when the timer fires = EINTR",
    "posix: the same read with SA_RESTART = 1",
    "posix: fork child: alarm(0) = 0, getitimer 0 s",
    "posix: parent's alarm after the fork = 10",
    "posix: after exec: alarm(0) = 7",
    "posix: a child blocked in read with alarm(1): killed by signal 14",
    "posix: CPU timer 1: getitimer sane, fired 1, after its time",
    "posix: CPU timer 2: getitimer sane, fired 1, after its time",
    "posix: CLOCK_PROCESS_CPUTIME_ID counts CPU time ok",
    "posix: sigtimedwait for a child's kill = 10, si_signo 10 si_code 0 si_errno 0",
    "posix: its si_pid is the child's, si_uid ours ok",
    "posix: sigtimedwait, nothing comes in 100 ms = EAGAIN",
    "posix: it waited the 100 ms ok",
    "posix: sigtimedwait with a zero timeout = EAGAIN",
    "posix: sigtimedwait without a timeout = 10",
    "posix: sigtimedwait when SIGALRM's handler runs = EINTR",
    "posix: sigtimedwait of a pending signal = 10",
    "posix: sigtimedwait with 10^9 ns = EINVAL",
    "posix: sigtimedwait with a negative timeout = EINVAL",
    "posix: sigtimedwait with size 4 = EINVAL",
    "posix: sigtimedwait from a bad set = EFAULT",
    "posix: sigtimedwait with a bad timeout = EFAULT",
    "posix: sigtimedwait into a bad siginfo = EFAULT",
    "posix: the signal was taken even so ok",
    "posix: sigtimedwait with a huge timeout, signal pending = 10",
    "posix: sigtimedwait for SIGKILL only = EAGAIN",
    "posix: sigsuspend = -1 EINTR, handler ran 1",
    "posix: the mask is back after sigsuspend ok",
    "posix: sigpending shows the blocked pending signal ok",
    "posix: sigsuspend with the signal pending = -1 EINTR, handler ran 2",
    "posix: nothing pending after it ok",
    "posix: sigsuspend past an ignored SIGCHLD = -1 EINTR, SIGALRM 1",
    "posix: rt_sigsuspend from a bad mask = EFAULT",
    "posix: rt_sigsuspend with size 4 = EINVAL",
    "posix: rt_sigpending into a bad set = EFAULT",
    "posix: rt_sigpending with size 9 = EINVAL",
    "posix: rt_sigpending of 0 bytes into a bad set = 0",
    "posix: rt_sigpending of 4 bytes = 0, byte 4 still 0xaa",
    "posix: time() agrees with gettimeofday ok",
    "posix: time into a bad pointer = EFAULT",
    "posix: clock_getres(0) = 0: 0.000000001",
    "posix: clock_getres(1) = 0: 0.000000001",
    "posix: clock_getres(4) = 0: 0.000000001",
    "posix: clock_getres(7) = 0: 0.000000001",
    "posix: a CPU or coarse clock's resolution ok",
    "posix: a CPU or coarse clock's resolution ok",
    "posix: a CPU or coarse clock's resolution ok",
    "posix: a CPU or coarse clock's resolution ok",
    "posix: a CPU or coarse clock's resolution ok",
    "posix: clock_getres(CLOCK_MONOTONIC, NULL) = 0",
    "posix: clock_getres(99) = EINVAL",
    "posix: clock_getres(10) = EINVAL",
    "posix: clock_getres into a bad pointer = EFAULT",
    "posix: clock_gettime(99) = EINVAL",
    "posix: clock_gettime(1 << 32) = 0",
    "posix: done, 0 failures",
];

#[test]
fn timers_clocks_and_signal_waits_give_linux_answers() {
    let o = unix("/bin/stress_posix_timers", &[cprog("stress_posix_timers")]).timeout(120).run();
    let got: Vec<&str> = o.lines_with("posix: ");
    assert_eq!(got, LINUX_TIMERS, "\n{}", o.output);
    o.expect_status(0);
}

/// What `stress_posix_rw` prints on Linux: readv/writev look up the
/// descriptor before the array, reads and writes are capped at
/// MAX_RW_COUNT after access_ok, and select/poll timeouts never end early.
const LINUX_RW: &[&str] = &[
    "rw: readv(99, unmapped array, 1) = EBADF",
    "rw: writev(99, unmapped array, 1) = EBADF",
    "rw: readv(99, unmapped array, 5000) = EBADF",
    "rw: write to /dev/null of 0x7fffffffdc91 bytes from 0x1000 = 0x7ffff000",
    "rw: write to /dev/null of 0x7fffffffdc91 bytes from the stack = EFAULT",
    "rw: write to /dev/null of 2^31 bytes from 0x1000 = 0x7ffff000",
    "rw: write to /dev/null of 100 bytes = 0x64",
    "rw: read from /dev/null of 0x7fffffffdc91 bytes at 0x1000 = 0",
    "rw: read from /dev/null past the user half = EFAULT",
    "rw: writev with a negative length = EINVAL",
    "rw: 10 selects and 10 polls on an empty pipe, none early: ok",
    "rw: done",
];

#[test]
fn descriptor_first_rw_caps_and_timeouts_that_never_end_early() {
    let o = unix("/bin/stress_posix_rw", &[cprog("stress_posix_rw")]).timeout(90).run();
    let got: Vec<&str> = o.lines_with("rw: ");
    assert_eq!(got, LINUX_RW, "\n{}", o.output);
    o.expect_status(0);
}

/// What `stress_posix_ptimers` prints on Linux: POSIX timers (ids, the
/// siginfo of their signals, intervals, overruns, absolute times,
/// SIGEV_NONE, a CPU-time clock, fork and exec, bad arguments).
const LINUX_PTIMERS: &[&str] = &[
    "ptimer: timer_delete(0) = 0",
    "ptimer: ids 0 1 2 then 3",
    "ptimer: timer_delete(0) again = EINVAL",
    "ptimer: one-shot: signal SIGRTMIN+1, si_code -2, si_timerid 3, si_overrun 0, value 0x5678",
    "ptimer: it came after 50 ms ok",
    "ptimer: after it fired: value 0.000000000 interval 0.000000000",
    "ptimer: timer_getoverrun = 0",
    "ptimer: NULL sevp: signal 14, si_code -2, si_timerid 2, value 2",
    "ptimer: an interval of 20 ms signalled 5 times in 100 ms or more ok",
    "ptimer: timer_gettime gives the interval exactly ok",
    "ptimer: and what is left of the period ok",
    "ptimer: one signal queued for 200 ms of 1 ms expiries, the others in si_overrun ok",
    "ptimer: timer_getoverrun says as much ok",
    "ptimer: the old value is the time left ok",
    "ptimer: a zero value disarms ok",
    "ptimer: an absolute time already past fires at once ok",
    "ptimer: an absolute CLOCK_REALTIME time 80 ms ahead ok",
    "ptimer: SIGEV_NONE counts down ok",
    "ptimer: and is done after its time, with no signal ok",
    "ptimer: a CLOCK_PROCESS_CPUTIME_ID timer fires on CPU time ok",
    "ptimer: a read when the timer's SIGALRM comes = EINTR, handler 1",
    "ptimer: timer_create(99) = EINVAL",
    "ptimer: timer_create(CLOCK_MONOTONIC_RAW) = EOPNOTSUPP",
    "ptimer: timer_create(CLOCK_REALTIME_COARSE) = EOPNOTSUPP",
    "ptimer: timer_create from a bad sigevent = EFAULT",
    "ptimer: timer_create into a bad id = EFAULT",
    "ptimer: timer_create with notify 3 = EINVAL",
    "ptimer: timer_create with signal 0 = EINVAL",
    "ptimer: timer_create with signal 65 = EINVAL",
    "ptimer: timer_create for thread 99999 = EINVAL",
    "ptimer: timer_settime(12345) = EINVAL",
    "ptimer: timer_settime(-1) = EINVAL",
    "ptimer: timer_settime with NULL = EINVAL",
    "ptimer: timer_settime from a bad pointer = EFAULT",
    "ptimer: timer_settime with 10^9 ns = EINVAL",
    "ptimer: timer_settime with a negative interval = EINVAL",
    "ptimer: timer_settime into a bad old = EFAULT",
    "ptimer: the timer is set even so ok",
    "ptimer: timer_settime with huge times = 0",
    "ptimer: timer_gettime(12345) = EINVAL",
    "ptimer: timer_gettime into a bad pointer = EFAULT",
    "ptimer: timer_getoverrun(12345) = EINVAL",
    "ptimer: timer_delete(12345) = EINVAL",
    "ptimer: fork child: timer_gettime of the parent's timer = EINVAL",
    "ptimer: fork child: a new timer's id = 0",
    "ptimer: after exec: timer_gettime of the parent's timer 0 = EINVAL",
    "ptimer: after exec: a new timer's id = 1",
    "ptimer: done, 0 failures",
];

#[test]
fn posix_timers_give_linux_answers() {
    let o = unix("/bin/stress_posix_ptimers", &[cprog("stress_posix_ptimers")]).timeout(120).run();
    let got: Vec<&str> = o.lines_with("ptimer: ");
    assert_eq!(got, LINUX_PTIMERS, "\n{}", o.output);
    o.expect_status(0);
}
