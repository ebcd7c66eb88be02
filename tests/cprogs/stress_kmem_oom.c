/* Memory pressure from user space: none of these may panic the kernel.
 *   stress_kmem_oom hog MIB       a child touches MIB MiB of incompressible
 *                                 anonymous memory; on a smaller machine it
 *                                 is ended with SIGKILL, which wait reports
 *   stress_kmem_oom forkbomb MAX  fork until it fails (EAGAIN or ENOMEM)
 *   stress_kmem_oom mmaps         mmap small regions until ENOMEM
 *   stress_kmem_oom huge          mmap 2^46 bytes, touch one page a GiB
 *   stress_kmem_oom exec PATH     execve an image that cannot be loaded
 *   stress_kmem_oom hogs MIB      an idle and a busy hog of MIB MiB each
 *   stress_kmem_oom ports         the mach_reply_port trap until it fails
 *   stress_kmem_oom threads MAX   pthread_create until EAGAIN
 * Each ends by showing the system still works: a fork, exit and wait. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	printf("oom: %s %s\n", what, ok ? "ok" : "FAILED");
	fflush(stdout);
	if (!ok)
		failures++;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void describe(const char *who, int status)
{
	if (WIFEXITED(status))
		printf("oom: %s exited with status %d\n", who, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("oom: %s was killed by signal %d\n", who, WTERMSIG(status));
	else
		printf("oom: %s: wait status %#x\n", who, status);
	fflush(stdout);
}

/* The system still forks, runs and reaps a child. */
static void still_usable(void)
{
	int status = -1;
	pid_t p = fork();
	if (p == 0)
		_exit(7);
	check(p > 0 && waitpid(p, &status, 0) == p && WIFEXITED(status) && WEXITSTATUS(status) == 7,
	      "afterwards a fork, exit and wait still work");
}

/* Touches every page of `mib` MiB with bytes that do not compress. */
static void hog(long mib)
{
	size_t len = (size_t)mib << 20;
	unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("oom: hog: mmap failed, errno %d\n", errno);
		_exit(2);
	}
	uint64_t x = 88172645463325252ull;
	for (size_t off = 0; off < len; off += 8) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		*(uint64_t *)(p + off) = x;
		if (off % (64 << 20) == 0) {
			printf("oom: hog: %zu MiB touched\n", off >> 20);
			fflush(stdout);
		}
	}
	printf("oom: hog: all %ld MiB touched\n", mib);
	_exit(0);
}

static void run_hog(long mib)
{
	double t0 = now();
	pid_t p = fork();
	if (p == 0)
		hog(mib);
	int status = 0;
	check(p > 0 && waitpid(p, &status, 0) == p, "wait reaps the memory hog");
	describe("the hog", status);
	printf("oom: the hog ended after %.1f s\n", now() - t0);
	check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the hog was killed with SIGKILL");
}

/* Touches `mib` MiB and returns (the hog's loop, without the exit). */
static void touch(long mib)
{
	size_t len = (size_t)mib << 20;
	unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(2);
	uint64_t x = 88172645463325252ull;
	for (size_t off = 0; off < len; off += 8) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		*(uint64_t *)(p + off) = x;
	}
}

/* A idle process holding `mib` MiB, then a second touching as much: the
 * idle one is the largest when memory runs out, so it is ended (not the
 * one faulting), and the second finishes in the memory it gave back. */
static void run_hogs(long mib)
{
	int fds[2];
	char c;
	if (pipe(fds) != 0)
		return;
	pid_t idle = fork();
	if (idle == 0) {
		touch(mib);
		write(fds[1], "x", 1);
		pause();
		_exit(0);
	}
	check(idle > 0 && read(fds[0], &c, 1) == 1, "the idle hog holds its memory");
	pid_t busy = fork();
	if (busy == 0) {
		touch(mib);
		_exit(0);
	}
	int status = -1;
	check(busy > 0 && waitpid(busy, &status, 0) == busy, "wait reaps the busy hog");
	describe("the busy hog", status);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the busy hog finished in the memory the idle one gave back");
	/* The idle hog's death is the UNIX server's to notice (a dead-name
	 * notification on its task port); say whether wait has it yet. */
	pid_t r = 0;
	for (int i = 0; i < 30 && r == 0; i++) {
		r = waitpid(idle, &status, WNOHANG);
		if (r == 0)
			usleep(100000);
	}
	if (r == idle)
		describe("the idle hog", status);
	else {
		printf("oom: the idle hog's death is not reported to wait\n");
		kill(idle, SIGKILL);
		waitpid(idle, &status, 0);
	}
}

static void run_forkbomb(long max)
{
	pid_t *kids = calloc(max, sizeof *kids);
	long n = 0;
	int err = 0;
	while (n < max) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			err = errno;
			break;
		}
		kids[n++] = p;
	}
	printf("oom: forked %ld children, then errno %d\n", n, err);
	check(n > 10, "more than ten forks succeed");
	check(err == EAGAIN || err == ENOMEM, "fork fails with EAGAIN or ENOMEM");
	long reaped = 0;
	for (long i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (long i = 0; i < n; i++) {
		int status;
		if (waitpid(kids[i], &status, 0) == kids[i] && WIFSIGNALED(status))
			reaped++;
	}
	check(reaped == n, "every child is killed and reaped");
}

static void run_mmaps(void)
{
	enum { MAX = 1 << 20 };
	static void *regions[MAX];
	long n = 0;
	int err = 0;
	while (n < MAX) {
		/* Alternate protections so that neighbours cannot merge. */
		int prot = n & 1 ? PROT_READ : PROT_READ | PROT_WRITE;
		void *p = mmap(0, 8192, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			err = errno;
			break;
		}
		regions[n++] = p;
	}
	printf("oom: %ld mappings, then errno %d\n", n, err);
	check(err == ENOMEM, "mmap fails with ENOMEM");
	long bad = 0;
	for (long i = 0; i < n; i++)
		bad += munmap(regions[i], 8192) != 0;
	check(bad == 0, "every mapping is unmapped again");
	char *p = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(p != MAP_FAILED && (p[4096] = 1) == 1, "a new mapping works afterwards");
}

static void run_huge(void)
{
	size_t len = (size_t)1 << 46;
	unsigned char *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	printf("oom: mmap of 2^46 bytes: %s (errno %d)\n", p == MAP_FAILED ? "failed" : "mapped", p == MAP_FAILED ? errno : 0);
	check(p != MAP_FAILED || errno == ENOMEM, "mmap of 2^46 bytes maps or is ENOMEM");
	if (p == MAP_FAILED)
		return;
	pid_t c = fork();
	if (c == 0) {
		/* One page per GiB: each needs its own page-table pages. */
		for (size_t off = 0; off < len; off += 1ul << 30)
			p[off] = 1;
		printf("oom: huge: one page per GiB touched\n");
		_exit(0);
	}
	int status = 0;
	check(c > 0 && waitpid(c, &status, 0) == c, "wait reaps the child that touched it");
	describe("the toucher", status);
	check((WIFEXITED(status) && WEXITSTATUS(status) == 0) || (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL),
	      "it finished or was killed with SIGKILL");
	check(munmap(p, len) == 0, "the 2^46 bytes are unmapped");
}

static void run_exec(const char *path)
{
	pid_t c = fork();
	if (c == 0) {
		char *argv[] = { (char *)path, 0 };
		execv(path, argv);
		printf("oom: execve failed with errno %d\n", errno);
		fflush(stdout);
		_exit(errno == ENOMEM ? 12 : 1);
	}
	int status = 0;
	check(c > 0 && waitpid(c, &status, 0) == c, "wait reaps the child that exec'd");
	describe("the exec'd child", status);
	check((WIFEXITED(status) && WEXITSTATUS(status) == 12) || WIFSIGNALED(status),
	      "execve failed with ENOMEM or the child was killed");
}

/* The Mach trap mach_reply_port (-26) in a loop: each call is a new port
 * and name in the kernel. It must end with MACH_PORT_NULL, not a panic
 * (on Linux the number is ENOSYS at once). */
static void run_ports(void)
{
	pid_t c = fork();
	if (c == 0) {
		long n = 0, r;
		while ((r = syscall(-26)) > 0 && n < 10000000)
			n++;
		printf("oom: %ld reply ports, then %ld\n", n, r);
		fflush(stdout);
		_exit(r == 0 && n > 1000 ? 0 : 1);
	}
	int status = 0;
	check(c > 0 && waitpid(c, &status, 0) == c, "wait reaps the child that made ports");
	describe("the port maker", status);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "mach_reply_port ends with MACH_PORT_NULL");
}

static void *parked(void *arg)
{
	(void)arg;
	pause();
	return 0;
}

/* Threads until pthread_create fails (EAGAIN): each is a kernel stack. */
static void run_threads(long max)
{
	pid_t c = fork();
	if (c == 0) {
		long n = 0;
		int err = 0;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 16384);
		while (n < max) {
			pthread_t t;
			err = pthread_create(&t, &a, parked, 0);
			if (err)
				break;
			n++;
		}
		printf("oom: %ld threads, then error %d\n", n, err);
		fflush(stdout);
		_exit(err == EAGAIN && n > 10 ? 0 : 1);
	}
	int status = 0;
	check(c > 0 && waitpid(c, &status, 0) == c, "wait reaps the child that made threads");
	describe("the thread maker", status);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "pthread_create ends with EAGAIN");
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	if (!strcmp(what, "hog"))
		run_hog(argc > 2 ? atol(argv[2]) : 640);
	else if (!strcmp(what, "forkbomb"))
		run_forkbomb(argc > 2 ? atol(argv[2]) : 100000);
	else if (!strcmp(what, "mmaps"))
		run_mmaps();
	else if (!strcmp(what, "huge"))
		run_huge();
	else if (!strcmp(what, "hogs"))
		run_hogs(argc > 2 ? atol(argv[2]) : 150);
	else if (!strcmp(what, "threads"))
		run_threads(argc > 2 ? atol(argv[2]) : 1000000);
	else if (!strcmp(what, "ports"))
		run_ports();
	else if (!strcmp(what, "exec") && argc > 2)
		run_exec(argv[2]);
	else {
		printf("usage: stress_kmem_oom hog MIB | forkbomb MAX | mmaps | huge | exec PATH | hogs MIB | ports | threads MAX\n");
		return 2;
	}
	still_usable();
	printf("oom: %d failures\n", failures);
	return failures != 0;
}
