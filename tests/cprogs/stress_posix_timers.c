/* Timers, clocks and signal waits, compared with Linux: alarm,
 * setitimer/getitimer, rt_sigsuspend, rt_sigpending, rt_sigtimedwait,
 * time, clock_getres, and bad arguments to each. Every line it prints is
 * the same on Linux (the test holds the host's output); timing checks
 * print only "ok" or "FAILED" with generous bounds. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *const bad = (void *)0xdead00000000;
static volatile int alrm, usr1, prof;
static int rfd = -1, wfd = -1;

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
	case -ENOSYS: return "ENOSYS";
	}
	snprintf(b, sizeof b, "%ld", r);
	return b;
}

static void say(const char *what, long r)
{
	printf("posix: %s = %s\n", what, err(r));
}

static int failures;
static void check(int ok, const char *what)
{
	printf("posix: %s %s\n", what, ok ? "ok" : "FAILED");
	failures += !ok;
}

static long ms_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long cpu_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void on_alrm(int s) { (void)s; alrm++; }
static void on_usr1(int s) { (void)s; usr1++; }
static void on_prof(int s) { (void)s; prof++; }
static void on_alrm_write(int s) { (void)s; alrm++; if (write(wfd, "x", 1) != 1) _exit(9); }

static void handle(int sig, void (*f)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = f;
	sa.sa_flags = flags;
	sigaction(sig, &sa, 0);
}

static void block(int sig, int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, 0);
}

static struct itimerval itv(long vs, long vus, long is, long ius)
{
	struct itimerval t = { { is, ius }, { vs, vus } };
	return t;
}

static void alarms(void)
{
	printf("posix: alarm(0) first = %u\n", alarm(0));
	alarm(5);
	printf("posix: alarm(0) after alarm(5) = %u\n", alarm(0));
	alarm(0xffffffffu);
	printf("posix: alarm(0) after alarm(UINT_MAX) = %u\n", alarm(0));
	handle(SIGALRM, on_alrm, 0);
	long t0 = ms_now();
	alrm = 0;
	alarm(1);
	int r = pause();
	long ms = ms_now() - t0;
	check(r == -1 && errno == EINTR && alrm == 1, "pause after alarm(1) ends with EINTR after SIGALRM");
	check(ms >= 950 && ms < 5000, "alarm(1) fires after about a second");
	struct itimerval t = itv(0, 0, 0, 0);
	getitimer(ITIMER_REAL, &t);
	check(t.it_value.tv_sec == 0 && t.it_value.tv_usec == 0, "a fired alarm is disarmed");
}

static void intervals(void)
{
	handle(SIGALRM, on_alrm, 0);
	alrm = 0;
	struct itimerval t = itv(0, 50000, 0, 50000), old;
	long t0 = ms_now();
	setitimer(ITIMER_REAL, &t, 0);
	while (alrm < 5)
		pause();
	long ms = ms_now() - t0;
	t = itv(0, 0, 0, 0);
	setitimer(ITIMER_REAL, &t, &old);
	check(alrm == 5, "an interval timer fired 5 times");
	check(ms >= 240 && ms < 5000, "5 periods of 50 ms take at least 250 ms");
	check(old.it_interval.tv_sec == 0 && old.it_interval.tv_usec == 50000, "the old interval comes back exactly");
	check(old.it_value.tv_sec == 0 && old.it_value.tv_usec > 0 && old.it_value.tv_usec <= 50000,
	      "the old value is what is left of the period");
	t = itv(2, 0, 0, 0);
	setitimer(ITIMER_REAL, &t, 0);
	getitimer(ITIMER_REAL, &old);
	check(old.it_value.tv_sec == 1 && old.it_value.tv_usec > 500000, "getitimer of a 2 s timer says 1.x s left");
	check(old.it_interval.tv_sec == 0 && old.it_interval.tv_usec == 0, "a one-shot timer has no interval");
	t = itv(3, 0, 0, 0);
	setitimer(ITIMER_REAL, &t, &old);
	check(old.it_value.tv_sec == 1, "setitimer gives back the old timer's time left");
	t = itv(0, 0, 7, 0); /* a zero value disarms, whatever the interval */
	setitimer(ITIMER_REAL, &t, &old);
	getitimer(ITIMER_REAL, &old);
	printf("posix: after a zero value: value %ld.%06ld interval %ld.%06ld\n", (long)old.it_value.tv_sec,
	       (long)old.it_value.tv_usec, (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
}

static void bad_timers(void)
{
	struct itimerval t = itv(0, 0, 0, 0);
	say("getitimer(3)", raw(SYS_getitimer, 3, (long)&t, 0, 0));
	say("getitimer(-1)", raw(SYS_getitimer, -1, (long)&t, 0, 0));
	say("setitimer(3)", raw(SYS_setitimer, 3, (long)&t, 0, 0));
	say("getitimer into a bad pointer", raw(SYS_getitimer, ITIMER_REAL, (long)bad, 0, 0));
	say("setitimer from a bad pointer", raw(SYS_setitimer, ITIMER_REAL, (long)bad, 0, 0));
	t = itv(1, 1000000, 0, 0);
	say("setitimer with 10^6 us", raw(SYS_setitimer, ITIMER_REAL, (long)&t, 0, 0));
	t = itv(-1, 0, 0, 0);
	say("setitimer with a negative second", raw(SYS_setitimer, ITIMER_REAL, (long)&t, 0, 0));
	t = itv(1, 0, 0, -1);
	say("setitimer with a negative interval", raw(SYS_setitimer, ITIMER_REAL, (long)&t, 0, 0));
	t = itv(100, 0, 0, 0);
	say("setitimer with a bad old pointer", raw(SYS_setitimer, ITIMER_REAL, (long)&t, (long)bad, 0));
	getitimer(ITIMER_REAL, &t);
	check(t.it_value.tv_sec == 99, "the timer is set even so");
	t = itv(0x7fffffffffffffffL, 999999, 0x7fffffffffffffffL, 999999);
	say("setitimer with huge times", raw(SYS_setitimer, ITIMER_REAL, (long)&t, 0, 0));
	getitimer(ITIMER_REAL, &t);
	check(t.it_value.tv_sec > 1000000000L, "a huge timer stays far away");
	say("setitimer(NULL) disarms", raw(SYS_setitimer, ITIMER_REAL, 0, 0, 0));
	getitimer(ITIMER_REAL, &t);
	check(t.it_value.tv_sec == 0 && t.it_value.tv_usec == 0, "nothing left after setitimer(NULL)");
}

/* A timer's signal ends a blocked read: EINTR without SA_RESTART, the
 * read goes on with it (and gets the handler's byte). */
static void interrupts(void)
{
	int p[2];
	if (pipe(p))
		return;
	rfd = p[0], wfd = p[1];
	char c;
	handle(SIGALRM, on_alrm, 0);
	struct itimerval t = itv(0, 100000, 0, 0);
	setitimer(ITIMER_REAL, &t, 0);
	ssize_t r = read(rfd, &c, 1);
	say("read of an empty pipe when the timer fires", r < 0 ? -errno : r);
	handle(SIGALRM, on_alrm_write, SA_RESTART);
	setitimer(ITIMER_REAL, &t, 0);
	r = read(rfd, &c, 1);
	say("the same read with SA_RESTART", r < 0 ? -errno : r);
	close(rfd), close(wfd);
}

static void fork_and_exec(const char *self)
{
	alarm(10);
	pid_t c = fork();
	if (c == 0) {
		struct itimerval t;
		getitimer(ITIMER_REAL, &t);
		printf("posix: fork child: alarm(0) = %u, getitimer %ld s\n", alarm(0), (long)t.it_value.tv_sec);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("posix: parent's alarm after the fork = %u\n", alarm(0));
	c = fork();
	if (c == 0) {
		alarm(7); /* exec keeps it */
		execl(self, self, "exec", (char *)0);
		_exit(127);
	}
	waitpid(c, &st, 0);
	/* alarm as a guard: SIGALRM's default action ends a blocked child. */
	int p[2];
	if (pipe(p))
		return;
	c = fork();
	if (c == 0) {
		signal(SIGALRM, SIG_DFL);
		alarm(1);
		char ch;
		ssize_t r = read(p[0], &ch, 1);
		printf("posix: the guarded read returned %zd\n", r);
		_exit(0);
	}
	waitpid(c, &st, 0);
	close(p[0]), close(p[1]);
	printf("posix: a child blocked in read with alarm(1): %s %d\n", WIFSIGNALED(st) ? "killed by signal" : "exit",
	       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

static void cpu_timers(void)
{
	handle(SIGPROF, on_prof, 0);
	handle(SIGVTALRM, on_prof, 0);
	for (int which = ITIMER_VIRTUAL; which <= ITIMER_PROF; which++) {
		prof = 0;
		struct itimerval t = itv(0, 100000, 0, 0), g;
		long c0 = cpu_ms(); /* before: the timer starts after it */
		setitimer(which, &t, 0);
		getitimer(which, &g);
		int sane = g.it_value.tv_sec == 0 && g.it_value.tv_usec > 0 && g.it_value.tv_usec <= 200000;
		/* Measured on the CPU clock: the timer's own (kernel ticks
		 * here, which under load need not agree with the wall clock). */
		long t0 = ms_now();
		while (!prof && ms_now() - t0 < 20000)
			;
		long ms = cpu_ms() - c0;
		printf("posix: CPU timer %d: getitimer %s, fired %d, after %s\n", which, sane ? "sane" : "wrong", prof,
		       ms >= 90 ? "its time" : "too early");
	}
	struct timespec a, b;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (long t0 = ms_now(); ms_now() - t0 < 100;)
		;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	check((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec > 30000000, "CLOCK_PROCESS_CPUTIME_ID counts CPU time");
}

static void sigwaits(void)
{
	sigset_t set, none, got;
	siginfo_t si;
	sigemptyset(&set);
	sigemptyset(&none);
	sigaddset(&set, SIGUSR1);
	block(SIGUSR1, SIG_BLOCK);
	pid_t c = fork();
	if (c == 0) {
		usleep(100000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	struct timespec five = { 5, 0 };
	memset(&si, 0, sizeof si);
	long r = raw(SYS_rt_sigtimedwait, (long)&set, (long)&si, (long)&five, 8);
	printf("posix: sigtimedwait for a child's kill = %ld, si_signo %d si_code %d si_errno %d\n", r, si.si_signo,
	       si.si_code, si.si_errno);
	check(si.si_pid == c && si.si_uid == getuid(), "its si_pid is the child's, si_uid ours");
	waitpid(c, 0, 0);
	struct timespec tenth = { 0, 100000000 }, zero = { 0, 0 };
	long t0 = ms_now();
	say("sigtimedwait, nothing comes in 100 ms", raw(SYS_rt_sigtimedwait, (long)&set, (long)&si, (long)&tenth, 8));
	long ms = ms_now() - t0;
	check(ms >= 95 && ms < 5000, "it waited the 100 ms");
	say("sigtimedwait with a zero timeout", raw(SYS_rt_sigtimedwait, (long)&set, 0, (long)&zero, 8));
	/* No timeout: waits for as long as it takes. */
	c = fork();
	if (c == 0) {
		usleep(150000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	say("sigtimedwait without a timeout", raw(SYS_rt_sigtimedwait, (long)&set, 0, 0, 8));
	waitpid(c, 0, 0);
	/* A signal outside the set with a handler ends the wait. */
	handle(SIGALRM, on_alrm, SA_RESTART);
	alarm(1);
	say("sigtimedwait when SIGALRM's handler runs", raw(SYS_rt_sigtimedwait, (long)&set, 0, (long)&five, 8));
	/* Pending already: taken at once, even with a zero timeout. */
	raise(SIGUSR1);
	say("sigtimedwait of a pending signal", raw(SYS_rt_sigtimedwait, (long)&set, 0, (long)&zero, 8));
	struct timespec badns = { 0, 1000000000 }, neg = { -1, 0 };
	say("sigtimedwait with 10^9 ns", raw(SYS_rt_sigtimedwait, (long)&set, 0, (long)&badns, 8));
	say("sigtimedwait with a negative timeout", raw(SYS_rt_sigtimedwait, (long)&set, 0, (long)&neg, 8));
	say("sigtimedwait with size 4", raw(SYS_rt_sigtimedwait, (long)&set, 0, (long)&zero, 4));
	say("sigtimedwait from a bad set", raw(SYS_rt_sigtimedwait, (long)bad, 0, (long)&zero, 8));
	say("sigtimedwait with a bad timeout", raw(SYS_rt_sigtimedwait, (long)&set, 0, (long)bad, 8));
	raise(SIGUSR1);
	say("sigtimedwait into a bad siginfo", raw(SYS_rt_sigtimedwait, (long)&set, (long)bad, (long)&zero, 8));
	sigpending(&got);
	check(!sigismember(&got, SIGUSR1), "the signal was taken even so");
	struct timespec huge = { 0x7fffffffffffffffL, 999999999 };
	raise(SIGUSR1);
	say("sigtimedwait with a huge timeout, signal pending", raw(SYS_rt_sigtimedwait, (long)&set, 0, (long)&huge, 8));
	/* SIGKILL in the set is ignored: the wait times out. */
	sigset_t kill_set;
	sigemptyset(&kill_set);
	sigaddset(&kill_set, SIGKILL);
	say("sigtimedwait for SIGKILL only", raw(SYS_rt_sigtimedwait, (long)&kill_set, 0, (long)&zero, 8));
	block(SIGUSR1, SIG_UNBLOCK);
	(void)none;
}

static void suspends(void)
{
	sigset_t none, now;
	sigemptyset(&none);
	handle(SIGUSR1, on_usr1, 0);
	block(SIGUSR1, SIG_BLOCK);
	usr1 = 0;
	pid_t c = fork();
	if (c == 0) {
		usleep(100000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	int r = sigsuspend(&none);
	printf("posix: sigsuspend = %d %s, handler ran %d\n", r, err(-errno), usr1);
	sigprocmask(SIG_BLOCK, 0, &now);
	check(sigismember(&now, SIGUSR1), "the mask is back after sigsuspend");
	waitpid(c, 0, 0);
	raise(SIGUSR1);
	sigset_t p;
	sigpending(&p);
	check(sigismember(&p, SIGUSR1) && !sigismember(&p, SIGUSR2), "sigpending shows the blocked pending signal");
	r = sigsuspend(&none);
	printf("posix: sigsuspend with the signal pending = %d %s, handler ran %d\n", r, err(-errno), usr1);
	sigpending(&p);
	check(!sigismember(&p, SIGUSR1), "nothing pending after it");
	/* SIGCHLD is ignored by default: it does not end the wait; SIGALRM's handler does. */
	handle(SIGALRM, on_alrm, 0);
	alrm = 0;
	c = fork();
	if (c == 0)
		_exit(0);
	alarm(1);
	r = sigsuspend(&none);
	printf("posix: sigsuspend past an ignored SIGCHLD = %d %s, SIGALRM %d\n", r, err(-errno), alrm);
	waitpid(c, 0, 0);
	say("rt_sigsuspend from a bad mask", raw(SYS_rt_sigsuspend, (long)bad, 8, 0, 0));
	say("rt_sigsuspend with size 4", raw(SYS_rt_sigsuspend, (long)&none, 4, 0, 0));
	say("rt_sigpending into a bad set", raw(SYS_rt_sigpending, (long)bad, 8, 0, 0));
	say("rt_sigpending with size 9", raw(SYS_rt_sigpending, (long)&p, 9, 0, 0));
	say("rt_sigpending of 0 bytes into a bad set", raw(SYS_rt_sigpending, (long)bad, 0, 0, 0));
	unsigned char four[8] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };
	long n = raw(SYS_rt_sigpending, (long)four, 4, 0, 0);
	printf("posix: rt_sigpending of 4 bytes = %ld, byte 4 still %#x\n", n, four[4]);
	block(SIGUSR1, SIG_UNBLOCK);
}

static void clocks(void)
{
	long t = raw(SYS_time, 0, 0, 0, 0);
	long at = 0, t2 = raw(SYS_time, (long)&at, 0, 0, 0);
	struct timeval tv;
	gettimeofday(&tv, 0);
	check(t > 1600000000L && t2 >= t && at == t2 && tv.tv_sec - t2 <= 1, "time() agrees with gettimeofday");
	say("time into a bad pointer", raw(SYS_time, (long)bad, 0, 0, 0));
	struct timespec r;
	for (int c = 0; c <= 7; c++) {
		if (c == 2 || c == 3 || c == 5 || c == 6)
			continue; /* the CPU and coarse clocks' resolutions are the kernel's tick */
		r.tv_sec = r.tv_nsec = -1;
		long e = raw(SYS_clock_getres, c, (long)&r, 0, 0);
		printf("posix: clock_getres(%d) = %ld: %ld.%09ld\n", c, e, (long)r.tv_sec, (long)r.tv_nsec);
	}
	for (int c = 2; c <= 6; c++) {
		long e = raw(SYS_clock_getres, c, (long)&r, 0, 0);
		check(e == 0 && r.tv_sec == 0 && r.tv_nsec > 0 && r.tv_nsec <= 10000000, "a CPU or coarse clock's resolution");
	}
	say("clock_getres(CLOCK_MONOTONIC, NULL)", raw(SYS_clock_getres, CLOCK_MONOTONIC, 0, 0, 0));
	say("clock_getres(99)", raw(SYS_clock_getres, 99, (long)&r, 0, 0));
	say("clock_getres(10)", raw(SYS_clock_getres, 10, (long)&r, 0, 0));
	say("clock_getres into a bad pointer", raw(SYS_clock_getres, CLOCK_MONOTONIC, (long)bad, 0, 0));
	say("clock_gettime(99)", raw(SYS_clock_gettime, 99, (long)&r, 0, 0));
	say("clock_gettime(1 << 32)", raw(SYS_clock_gettime, 1L << 32, (long)&r, 0, 0));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, 0, _IONBF, 0);
	if (argc > 1 && !strcmp(argv[1], "exec")) {
		printf("posix: after exec: alarm(0) = %u\n", alarm(0));
		return 0;
	}
	alarms();
	intervals();
	bad_timers();
	interrupts();
	fork_and_exec(argv[0]);
	cpu_timers();
	sigwaits();
	suspends();
	clocks();
	printf("posix: done, %d failures\n", failures);
	return failures != 0;
}
