/* The small calls: ids, groups and sessions, limits, uname, getrandom,
 * clocks and sleeping, times, umask; and blocked calls that do not hold
 * the server's workers. Exits with the number of failures. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	printf("misc: %s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static long ms_between(struct timespec a, struct timespec b)
{
	return (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}

static void *big_page(void)
{
	return mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

int main(void)
{
	struct utsname u;
	check(uname(&u) == 0 && strcmp(u.sysname, "Linux") == 0 && strcmp(u.machine, "x86_64") == 0, "uname");
	unsigned char r1[32], r2[32];
	check(getrandom(r1, 32, 0) == 32 && getrandom(r2, 32, 0) == 32 && memcmp(r1, r2, 32) != 0, "getrandom");
	struct rlimit rl;
	check(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 0, "getrlimit");
	rl.rlim_cur = 64;
	check(setrlimit(RLIMIT_NOFILE, &rl) == 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == 64, "setrlimit");
	check(umask(077) == 022 && umask(022) == 077, "umask");
	/* CPU time: a child spins for a while; wait4's rusage, the
	 * children's getrusage and times() all count it. */
	{
		pid_t c = fork();
		if (c == 0) {
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			volatile unsigned long x = 0;
			do {
				for (int i = 0; i < 100000; i++) x += i;
				clock_gettime(CLOCK_MONOTONIC, &t1);
			} while ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 300);
			_exit(0);
		}
		struct rusage ru, kids, self;
		int st;
		memset(&ru, 0, sizeof ru);
		long ms = -1;
		if (wait4(c, &st, 0, &ru) == c)
			ms = ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000;
		printf("misc: the spinning child used %ld ms of user time\n", ms);
		check(ms >= 100 && ms <= 2000 && ru.ru_maxrss > 0, "wait4 reports the child's user time and size");
		check(getrusage(RUSAGE_CHILDREN, &kids) == 0 && kids.ru_utime.tv_sec * 1000 + kids.ru_utime.tv_usec / 1000 >= ms,
		      "getrusage(RUSAGE_CHILDREN) counts it");
		check(getrusage(RUSAGE_SELF, &self) == 0 && self.ru_maxrss > 0, "getrusage(RUSAGE_SELF)");
		struct tms tm;
		check(times(&tm) > 0 && tm.tms_cutime >= ms / 10 - 1 && tm.tms_cutime > 0, "times() has the children's time");
		check(getrusage(7, &self) == -1 && errno == EINVAL, "getrusage of nonsense is EINVAL");
	}
	/* mremap: in place, moved (copy-on-write), shrunk; and realloc of a
	 * large block, which musl does with it. */
	{
		unsigned *m = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		munmap((char *)m + 4096, 2 * 4096);
		void *block = mmap((char *)m + 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		for (int i = 0; i < 1024; i++) m[i] = i * 3;
		check(block != MAP_FAILED && mremap(m, 4096, 8192, 0) == MAP_FAILED && errno == ENOMEM,
		      "mremap cannot grow into a mapping without MREMAP_MAYMOVE");
		unsigned *n = mremap(m, 4096, 1 << 20, MREMAP_MAYMOVE);
		int same = n != MAP_FAILED;
		for (int i = 0; same && i < 1024; i++) same = n[i] == (unsigned)i * 3;
		check(same && n != m && n[(1 << 18) - 1] == 0, "mremap moves a block with its contents");
		n[1000] = 7;
		check(mremap(n, 1 << 20, 8192, 0) == n && n[1000] == 7, "mremap shrinks in place");
		check(mremap((char *)n + 1, 4096, 8192, MREMAP_MAYMOVE) == MAP_FAILED && errno == EINVAL,
		      "mremap of an unaligned address is EINVAL");
		char *big = malloc(1 << 20);
		memset(big, 0x5a, 1 << 20);
		big = realloc(big, 8 << 20);
		int kept = big != 0;
		for (int i = 0; kept && i < (1 << 20); i += 4093) kept = big[i] == 0x5a;
		check(kept, "realloc of a large block keeps its bytes");
		free(big);
	}
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	check(sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_ISSET(0, &cpus) && CPU_COUNT(&cpus) == 1
	      && sched_setaffinity(0, sizeof cpus, &cpus) == 0, "sched_getaffinity: one CPU");
	char nm[16] = {0};
	check(prctl(PR_SET_NAME, "worker-name") == 0 && prctl(PR_GET_NAME, nm) == 0 && strcmp(nm, "worker-name") == 0
	      && prctl(12345, 0) == -1 && errno == EINVAL, "prctl names the thread");
	check(madvise(big_page(), 4096, MADV_WILLNEED) == 0 && madvise((void *)1, 4096, MADV_DONTNEED) == -1
	      && errno == EINVAL, "madvise takes advice and refuses an unaligned address");
	struct sysinfo si;
	memset(&si, 0xa5, sizeof si);
	check(sysinfo(&si) == 0 && si.mem_unit == 1 && si.totalram >= (16ul << 20) && si.freeram > 0
	      && si.freeram <= si.totalram && si.procs >= 1 && si.uptime >= 0 && si.uptime < 3600
	      && si.totalswap == 0, "sysinfo");

	pid_t pid = fork();
	if (pid == 0) {
		int ok = setsid() == getpid() && getsid(0) == getpid() && getpgid(0) == getpid();
		ok &= setuid(1000) == 0 && getuid() == 1000 && geteuid() == 1000;
		ok &= setuid(0) == -1 && errno == EPERM;
		_exit(ok ? 0 : 1);
	}
	int st;
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a child's setsid, getsid, getpgid, setuid (and losing root)");
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	check(setpgid(pid, pid) == 0 && getpgid(pid) == pid, "setpgid of a child into its own group");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct timespec nap = { 0, 100 * 1000 * 1000 };
	check(nanosleep(&nap, NULL) == 0, "nanosleep");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = ms_between(t0, t1);
	if (!(ms >= 90 && ms < 2000))
		printf("misc: the monotonic clock moved %ld ms over a 100 ms sleep\n", ms);
	check(ms >= 90 && ms < 2000, "the monotonic clock moved by about the sleep");
	struct timeval tv;
	check(gettimeofday(&tv, NULL) == 0, "gettimeofday");
	struct tms tm;
	check(times(&tm) != (clock_t)-1, "times");

	/* More blocked calls than the server has workers: it still serves. */
	pid_t kids[8];
	for (int i = 0; i < 8; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			pause();
			_exit(0);
		}
	}
	struct timespec shortnap = { 0, 20 * 1000 * 1000 };
	nanosleep(&shortnap, NULL);
	check(getpgid(0) == 1 && uname(&u) == 0, "eight processes parked in pause, calls still answered");
	for (int i = 0; i < 8; i++)
		kill(kids[i], SIGKILL);
	int reaped = 0;
	while (wait(&st) > 0)
		reaped += WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
	check(reaped == 8, "and they all die of SIGKILL");
	printf("misc: %d failures\n", failures);
	return failures;
}
