/* POSIX timers against Linux: timer_create (SIGEV_SIGNAL, SIGEV_NONE,
 * SIGEV_THREAD_ID, NULL sevp), timer_settime (relative, TIMER_ABSTIME,
 * intervals), timer_gettime, timer_getoverrun, timer_delete, exec and
 * fork, and bad arguments to each. Raw system calls, so the kernel's
 * answers are what is compared (musl's timer_create wraps SIGEV_THREAD). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long bad = 0xdead00000000L;
static int failures;
static volatile int alrm;

static long raw(long nr, long a, long b, long c, long d)
{
	long r;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
	return r;
}

static const char *err(long r)
{
	static char b[32];
	switch (r) {
	case -EFAULT: return "EFAULT";
	case -EINVAL: return "EINVAL";
	case -EAGAIN: return "EAGAIN";
	case -EINTR: return "EINTR";
	case -EOPNOTSUPP: return "EOPNOTSUPP";
	case -ENOSYS: return "ENOSYS";
	}
	snprintf(b, sizeof b, "%ld", r);
	return b;
}

static void say(const char *what, long r) { printf("ptimer: %s = %s\n", what, err(r)); }

static void check(int ok, const char *what)
{
	printf("ptimer: %s %s\n", what, ok ? "ok" : "FAILED");
	failures += !ok;
}

struct ev { long value; int signo, notify, tid, pad[11]; };

static int create(int clock, int notify, int signo, long value)
{
	struct ev e;
	memset(&e, 0, sizeof e);
	e.value = value, e.signo = signo, e.notify = notify, e.tid = getpid();
	int id = -1;
	long r = raw(SYS_timer_create, clock, (long)&e, (long)&id, 0);
	return r ? (int)r : id;
}

static long settime(int id, int flags, long vs, long vns, long is, long ins)
{
	struct itimerspec t = { { is, ins }, { vs, vns } };
	return raw(SYS_timer_settime, id, flags, (long)&t, 0);
}

static long ms_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int wait_sig(int sig, siginfo_t *si, long ms)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
	memset(si, 0, sizeof *si);
	return (int)raw(SYS_rt_sigtimedwait, (long)&s, (long)si, (long)&t, 8);
}

static void on_alrm(int s) { (void)s; alrm++; }

int main(int argc, char **argv)
{
	setvbuf(stdout, 0, _IONBF, 0);
	if (argc > 1) {
		struct itimerspec t;
		say("after exec: timer_gettime of the parent's timer 0", raw(SYS_timer_gettime, 0, (long)&t, 0, 0));
		printf("ptimer: after exec: a new timer's id = %d\n", create(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, 0));
		return 0;
	}
	int sig = SIGRTMIN + 1;
	sigset_t all;
	sigemptyset(&all);
	sigaddset(&all, sig);
	sigaddset(&all, SIGUSR1);
	sigaddset(&all, SIGALRM);
	sigprocmask(SIG_BLOCK, &all, 0);

	/* Ids: 0, 1, 2, then 3 after deleting 0 (not reused). */
	int a = create(CLOCK_MONOTONIC, SIGEV_SIGNAL, sig, 0x1234);
	int b = create(CLOCK_REALTIME, SIGEV_NONE, 0, 0);
	int c = -1;
	raw(SYS_timer_create, CLOCK_MONOTONIC, 0, (long)&c, 0);
	say("timer_delete(0)", raw(SYS_timer_delete, a, 0, 0, 0));
	int d = create(CLOCK_BOOTTIME, SIGEV_SIGNAL | SIGEV_THREAD_ID, sig, 0x5678);
	printf("ptimer: ids %d %d %d then %d\n", a, b, c, d);
	say("timer_delete(0) again", raw(SYS_timer_delete, a, 0, 0, 0));

	/* A one-shot signal timer: the siginfo Linux fills. */
	siginfo_t si, si_next;
	long t0 = ms_now();
	settime(d, 0, 0, 50000000, 0, 0);
	int got = wait_sig(sig, &si, 5000);
	long ms = ms_now() - t0;
	printf("ptimer: one-shot: signal %s, si_code %d, si_timerid %d, si_overrun %d, value %#lx\n",
	       got == sig ? "SIGRTMIN+1" : err(got), si.si_code, si.si_timerid, si.si_overrun,
	       (long)si.si_value.sival_ptr);
	check(ms >= 45 && ms < 5000, "it came after 50 ms");
	struct itimerspec cur;
	raw(SYS_timer_gettime, d, (long)&cur, 0, 0);
	printf("ptimer: after it fired: value %ld.%09ld interval %ld.%09ld\n", (long)cur.it_value.tv_sec,
	       cur.it_value.tv_nsec, (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
	printf("ptimer: timer_getoverrun = %ld\n", raw(SYS_timer_getoverrun, d, 0, 0, 0));

	/* NULL sevp: SIGALRM, the id as the value. */
	t0 = ms_now();
	settime(c, 0, 0, 20000000, 0, 0);
	got = wait_sig(SIGALRM, &si, 5000);
	printf("ptimer: NULL sevp: signal %d, si_code %d, si_timerid %d, value %ld\n", got, si.si_code,
	       si.si_timerid, (long)si.si_value.sival_int);

	/* An interval: 5 signals in a row; gettime between them. */
	settime(d, 0, 0, 20000000, 0, 20000000);
	int n = 0;
	t0 = ms_now();
	while (n < 5 && wait_sig(sig, &si, 5000) == sig)
		n++;
	ms = ms_now() - t0;
	raw(SYS_timer_gettime, d, (long)&cur, 0, 0);
	check(n == 5 && ms >= 80 && ms < 5000, "an interval of 20 ms signalled 5 times in 100 ms or more");
	check(cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 20000000, "timer_gettime gives the interval exactly");
	check(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 20000000,
	      "and what is left of the period");
	/* Blocked for 200 ms at 1 ms: one signal pending, the rest counted. */
	settime(d, 0, 0, 1000000, 0, 1000000);
	usleep(200000);
	got = wait_sig(sig, &si, 0);
	long ov = raw(SYS_timer_getoverrun, d, 0, 0, 0);
	settime(d, 0, 0, 0, 0, 0); /* after the wait: a disarmed timer's signal is dropped */
	usleep(30000); /* a firing under way when it was disarmed has posted by now */
	while (wait_sig(sig, &si_next, 0) == sig)
		;
	sigset_t pend;
	sigpending(&pend);
	check(got == sig && si.si_overrun > 50 && !sigismember(&pend, sig),
	      "one signal queued for 200 ms of 1 ms expiries, the others in si_overrun");
	check(ov == si.si_overrun, "timer_getoverrun says as much");

	/* Old value, disarm, TIMER_ABSTIME. */
	struct itimerspec nt = { { 0, 0 }, { 10, 0 } }, old;
	raw(SYS_timer_settime, d, 0, (long)&nt, 0);
	struct itimerspec zero = { { 0, 0 }, { 0, 0 } };
	raw(SYS_timer_settime, d, 0, (long)&zero, (long)&old);
	check(old.it_value.tv_sec == 9 && old.it_value.tv_nsec > 0, "the old value is the time left");
	raw(SYS_timer_gettime, d, (long)&cur, 0, 0);
	check(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0, "a zero value disarms");
	struct timespec now;
	clock_gettime(CLOCK_BOOTTIME, &now);
	t0 = ms_now();
	settime(d, TIMER_ABSTIME, now.tv_sec, now.tv_nsec, 0, 0);
	got = wait_sig(sig, &si, 5000);
	check(got == sig && ms_now() - t0 < 1000, "an absolute time already past fires at once");
	clock_gettime(CLOCK_REALTIME, &now);
	now.tv_nsec += 80000000;
	if (now.tv_nsec >= 1000000000)
		now.tv_sec++, now.tv_nsec -= 1000000000;
	int r = create(CLOCK_REALTIME, SIGEV_SIGNAL, SIGUSR1, 7);
	t0 = ms_now();
	settime(r, TIMER_ABSTIME, now.tv_sec, now.tv_nsec, 0, 0);
	got = wait_sig(SIGUSR1, &si, 5000);
	ms = ms_now() - t0;
	check(got == SIGUSR1 && ms >= 70 && ms < 5000, "an absolute CLOCK_REALTIME time 80 ms ahead");

	/* SIGEV_NONE counts down and sends nothing. */
	settime(b, 0, 0, 300000000, 0, 0);
	raw(SYS_timer_gettime, b, (long)&cur, 0, 0);
	check(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 300000000, "SIGEV_NONE counts down");
	usleep(400000);
	raw(SYS_timer_gettime, b, (long)&cur, 0, 0);
	sigpending(&pend);
	check(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0 && !sigismember(&pend, SIGALRM) &&
	      !sigismember(&pend, sig), "and is done after its time, with no signal");

	/* A CPU-time timer fires while the process computes. */
	int p = create(CLOCK_PROCESS_CPUTIME_ID, SIGEV_SIGNAL, SIGUSR1, 0);
	struct timespec c0, c1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0); /* before: the timer starts after it */
	settime(p, 0, 0, 50000000, 0, 0);
	t0 = ms_now();
	sigpending(&pend);
	while (!sigismember(&pend, SIGUSR1) && ms_now() - t0 < 20000)
		sigpending(&pend);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	long cpu = (c1.tv_sec - c0.tv_sec) * 1000 + (c1.tv_nsec - c0.tv_nsec) / 1000000;
	check(sigismember(&pend, SIGUSR1) && cpu >= 45, "a CLOCK_PROCESS_CPUTIME_ID timer fires on CPU time");
	wait_sig(SIGUSR1, &si, 0);

	/* Its signal ends a blocked call. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alrm;
	sigaction(SIGALRM, &sa, 0);
	sigprocmask(SIG_UNBLOCK, &all, 0);
	int pp[2];
	if (pipe(pp) == 0) {
		char ch;
		settime(c, 0, 0, 50000000, 0, 0);
		long rr = read(pp[0], &ch, 1);
		printf("ptimer: a read when the timer's SIGALRM comes = %s, handler %d\n", err(rr < 0 ? -errno : rr), alrm);
	}
	sigprocmask(SIG_BLOCK, &all, 0);

	/* Bad arguments. */
	struct ev e;
	int id;
	memset(&e, 0, sizeof e);
	say("timer_create(99)", raw(SYS_timer_create, 99, 0, (long)&id, 0));
	say("timer_create(CLOCK_MONOTONIC_RAW)", raw(SYS_timer_create, CLOCK_MONOTONIC_RAW, 0, (long)&id, 0));
	say("timer_create(CLOCK_REALTIME_COARSE)", raw(SYS_timer_create, CLOCK_REALTIME_COARSE, 0, (long)&id, 0));
	say("timer_create from a bad sigevent", raw(SYS_timer_create, CLOCK_MONOTONIC, bad, (long)&id, 0));
	say("timer_create into a bad id", raw(SYS_timer_create, CLOCK_MONOTONIC, 0, bad, 0));
	e.notify = 3, e.signo = SIGUSR1;
	say("timer_create with notify 3", raw(SYS_timer_create, CLOCK_MONOTONIC, (long)&e, (long)&id, 0));
	e.notify = SIGEV_SIGNAL, e.signo = 0;
	say("timer_create with signal 0", raw(SYS_timer_create, CLOCK_MONOTONIC, (long)&e, (long)&id, 0));
	e.signo = 65;
	say("timer_create with signal 65", raw(SYS_timer_create, CLOCK_MONOTONIC, (long)&e, (long)&id, 0));
	e.notify = SIGEV_THREAD_ID, e.signo = SIGUSR1, e.tid = 99999;
	say("timer_create for thread 99999", raw(SYS_timer_create, CLOCK_MONOTONIC, (long)&e, (long)&id, 0));
	say("timer_settime(12345)", settime(12345, 0, 1, 0, 0, 0));
	say("timer_settime(-1)", settime(-1, 0, 1, 0, 0, 0));
	say("timer_settime with NULL", raw(SYS_timer_settime, d, 0, 0, 0));
	say("timer_settime from a bad pointer", raw(SYS_timer_settime, d, 0, bad, 0));
	say("timer_settime with 10^9 ns", settime(d, 0, 0, 1000000000, 0, 0));
	say("timer_settime with a negative interval", settime(d, 0, 1, 0, -1, 0));
	say("timer_settime into a bad old", raw(SYS_timer_settime, d, 0, (long)&nt, bad));
	raw(SYS_timer_gettime, d, (long)&cur, 0, 0);
	check(cur.it_value.tv_sec == 9, "the timer is set even so");
	struct itimerspec huge = { { 0x7fffffffffffffffL, 999999999 }, { 0x7fffffffffffffffL, 999999999 } };
	say("timer_settime with huge times", raw(SYS_timer_settime, d, 0, (long)&huge, 0));
	say("timer_gettime(12345)", raw(SYS_timer_gettime, 12345, (long)&cur, 0, 0));
	say("timer_gettime into a bad pointer", raw(SYS_timer_gettime, d, bad, 0, 0));
	say("timer_getoverrun(12345)", raw(SYS_timer_getoverrun, 12345, 0, 0, 0));
	say("timer_delete(12345)", raw(SYS_timer_delete, 12345, 0, 0, 0));

	/* fork: the child has none; exec: they are gone, the count goes on. */
	pid_t k = fork();
	if (k == 0) {
		say("fork child: timer_gettime of the parent's timer", raw(SYS_timer_gettime, d, (long)&cur, 0, 0));
		printf("ptimer: fork child: a new timer's id = %d\n", create(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, 0));
		execl(argv[0], argv[0], "exec", (char *)0);
		_exit(127);
	}
	int st;
	waitpid(k, &st, 0);
	for (int i = 0; i < 8; i++)
		raw(SYS_timer_delete, i, 0, 0, 0);
	printf("ptimer: done, %d failures\n", failures);
	return failures != 0;
}
