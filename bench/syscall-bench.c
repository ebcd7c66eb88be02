/*
 * syscall-bench: per-operation cost of UNIX system calls, for comparing
 * this system with Linux on the same emulator (see bench/README.md).
 *
 *   syscall-bench [--quick] [--verbose] [DIR]   DIR (default /tmp) holds the
 *                                     test files; --verbose prints every repetition
 *   syscall-bench --exit-now          exits at once (the fork+execve case)
 *
 * Build: musl-gcc -static -O2 -o syscall-bench syscall-bench.c
 *
 * Each case runs REPS repetitions of N operations and prints the median
 * per-operation cost in rdtsc ticks (exact guest instructions under QEMU's
 * -icount shift=0) and in nanoseconds of CLOCK_MONOTONIC:
 *
 *   BENCH <case> ticks=<t> ns=<ns> iters=<N> spread=<%> [mbps=<MB/s>]
 *   BENCH <case> FAILED errno=<e> (<text>)
 *   BENCH-DONE
 *
 * The measured calls go through the raw `syscall` instruction, with the
 * numbers musl itself uses on x86_64, so that no libc caching or wrapper
 * work hides or adds to the kernel's (or the UNIX server's) cost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define REPS 7
#define PAGE 4096
#define DATA_SIZE (4 << 20)     /* the 4 MiB file read and mapped */
#define CHUNK (64 << 10)        /* sequential read chunk */

/* ---- raw system calls ------------------------------------------------ */

static inline long sc6(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}
#define sc0(n) sc6(n, 0, 0, 0, 0, 0, 0)
#define sc1(n, a) sc6(n, (long)(a), 0, 0, 0, 0, 0)
#define sc2(n, a, b) sc6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sc3(n, a, b, c) sc6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sc4(n, a, b, c, d) sc6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	sc2(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* ---- state shared by the cases ---------------------------------------- */

static const char *dir = "/tmp";
static const char *self_exe;
static char data_path[512], write_path[512];
static int fd_zero = -1, fd_null = -1, fd_data = -1, fd_write = -1;
static long seq_off;
static char buf[CHUNK] __attribute__((aligned(PAGE)));
static volatile long sig_count;
static int quick, verbose;

/* Each case does n operations and returns 0, or a negative errno. */
typedef long (*case_fn)(long n);

/* A result other than `want` becomes a negative errno (EIO for a short count). */
static long expect(long r, long want)
{
	if (r == want)
		return 0;
	return r < 0 ? r : -EIO;
}

static long c_getpid(long n)
{
	for (long i = 0; i < n; i++)
		sc0(SYS_getpid);
	return 0;
}

static long c_getppid(long n)
{
	for (long i = 0; i < n; i++)
		sc0(SYS_getppid);
	return 0;
}

static long c_read_zero(long n)
{
	for (long i = 0; i < n; i++) {
		long r = expect(sc3(SYS_read, fd_zero, buf, 1), 1);
		if (r) return r;
	}
	return 0;
}

static long c_write_null(long n)
{
	for (long i = 0; i < n; i++) {
		long r = expect(sc3(SYS_write, fd_null, buf, 1), 1);
		if (r) return r;
	}
	return 0;
}

static long c_pread(long n)
{
	for (long i = 0; i < n; i++) {
		long r = expect(sc4(SYS_pread64, fd_data, buf, PAGE, 0), PAGE);
		if (r) return r;
	}
	return 0;
}

static long c_seqread(long n)
{
	for (long i = 0; i < n; i++) {
		if (seq_off >= DATA_SIZE) {
			long r = expect(sc3(SYS_lseek, fd_data, 0, SEEK_SET), 0);
			if (r) return r;
			seq_off = 0;
		}
		long r = expect(sc3(SYS_read, fd_data, buf, CHUNK), CHUNK);
		if (r) return r;
		seq_off += CHUNK;
	}
	return 0;
}

static long c_pwrite(long n)
{
	for (long i = 0; i < n; i++) {
		long r = expect(sc4(SYS_pwrite64, fd_write, buf, PAGE, 0), PAGE);
		if (r) return r;
	}
	return 0;
}

static long c_lseek(long n)
{
	for (long i = 0; i < n; i++) {
		long r = expect(sc3(SYS_lseek, fd_data, PAGE, SEEK_SET), PAGE);
		if (r) return r;
	}
	return 0;
}

static long c_stat(long n)
{
	struct stat st;
	for (long i = 0; i < n; i++) {
		long r = sc2(SYS_stat, data_path, &st);
		if (r) return r;
	}
	return 0;
}

static long c_fstat(long n)
{
	struct stat st;
	for (long i = 0; i < n; i++) {
		long r = sc2(SYS_fstat, fd_data, &st);
		if (r) return r;
	}
	return 0;
}

static long c_open_close(long n)
{
	for (long i = 0; i < n; i++) {
		long fd = sc3(SYS_open, data_path, O_RDONLY | O_CLOEXEC, 0);
		if (fd < 0) return fd;
		long r = sc1(SYS_close, fd);
		if (r) return r;
	}
	return 0;
}

/* A child echoes each byte back until its input closes. */
static long c_pipe_rt(long n)
{
	int to[2], from[2];
	long r = sc1(SYS_pipe, to);
	if (r) return r;
	r = sc1(SYS_pipe, from);
	if (r) return r;
	pid_t pid = fork();
	if (pid < 0) return -errno;
	if (pid == 0) {
		char c;
		sc1(SYS_close, to[1]);
		sc1(SYS_close, from[0]);
		while (sc3(SYS_read, to[0], &c, 1) == 1)
			if (sc3(SYS_write, from[1], &c, 1) != 1)
				break;
		sc1(SYS_exit_group, 0);
	}
	sc1(SYS_close, to[0]);
	sc1(SYS_close, from[1]);
	char c = 'x';
	r = 0;
	for (long i = 0; i < n && !r; i++) {
		r = expect(sc3(SYS_write, to[1], &c, 1), 1);
		if (!r) r = expect(sc3(SYS_read, from[0], &c, 1), 1);
	}
	sc1(SYS_close, to[1]);
	sc1(SYS_close, from[0]);
	sc4(SYS_wait4, pid, 0, 0, 0);
	return r;
}

static long wait_ok(pid_t pid)
{
	int status;
	long r = sc4(SYS_wait4, pid, &status, 0, 0);
	if (r < 0) return r;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

static long c_fork(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) return -errno;
		if (pid == 0) sc1(SYS_exit_group, 0);
		long r = wait_ok(pid);
		if (r) return r;
	}
	return 0;
}

static long c_fork_exec(long n)
{
	char *argv[] = {(char *)self_exe, "--exit-now", 0};
	char *envp[] = {0};
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) return -errno;
		if (pid == 0) {
			sc3(SYS_execve, self_exe, argv, envp);
			sc1(SYS_exit_group, 127);
		}
		long r = wait_ok(pid);
		if (r) return r;
	}
	return 0;
}

/* n pages of fresh anonymous memory, one write each, then unmapped. */
static long c_mmap_anon(long n)
{
	long p = sc6(SYS_mmap, 0, n * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p > -4096) return p;
	for (long i = 0; i < n; i++)
		((volatile char *)p)[i * PAGE] = 1;
	return sc2(SYS_munmap, p, n * PAGE);
}

/* The data file mapped privately, one read per page (n <= its pages). */
static long c_mmap_file(long n)
{
	long p = sc6(SYS_mmap, 0, n * PAGE, PROT_READ, MAP_PRIVATE, fd_data, 0);
	if (p < 0 && p > -4096) return p;
	unsigned long sum = 0, want = 0;
	for (long i = 0; i < n; i++) {
		sum += ((volatile unsigned char *)p)[i * PAGE];
		want += i & 0xff; /* page i starts with the pattern byte i & 0xff */
	}
	long r = sc2(SYS_munmap, p, n * PAGE);
	return r ? r : (sum == want ? 0 : -EIO);
}

static void on_usr1(int sig)
{
	(void)sig;
	sig_count++;
}

static long c_signal(long n)
{
	long pid = sc0(SYS_getpid), start = sig_count;
	for (long i = 0; i < n; i++) {
		long r = sc2(SYS_kill, pid, SIGUSR1);
		if (r) return r;
	}
	return sig_count - start == n ? 0 : -EINTR;
}

static long c_clock(long n)
{
	struct timespec ts;
	for (long i = 0; i < n; i++) {
		long r = sc2(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
		if (r) return r;
	}
	return 0;
}

/* ---- measurement -------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* Runs fn(n) REPS times after a warm-up; bytes_per_op > 0 adds MB/s.
 * Under icount a timer tick costs about 9,000 instructions (HZ=250: one
 * per 4 M instructions); it lands in some repetitions, and the median
 * leaves those out. */
static void measure(const char *name, case_fn fn, long n, long bytes_per_op)
{
	double ticks[REPS], ns[REPS];
	if (quick) n = n / 50 > 2 ? n / 50 : 2;
	/* Warm-up: one whole repetition, so that e.g. the sequential read has
	 * been through the whole file once before it is timed. */
	long r = fn(n);
	for (int i = 0; i < REPS && !r; i++) {
		uint64_t c0 = now_ns(), t0 = rdtsc();
		r = fn(n);
		uint64_t t1 = rdtsc(), c1 = now_ns();
		ticks[i] = (double)(t1 - t0) / n;
		ns[i] = (double)(c1 - c0) / n;
	}
	if (verbose && !r) {
		printf("BENCH-REPS %s ticks", name);
		for (int i = 0; i < REPS; i++)
			printf(" %.1f", ticks[i]);
		printf("\n");
	}
	if (r) {
		printf("BENCH %s FAILED errno=%ld (%s)\n", name, -r, strerror(-r));
	} else {
		double mt = median(ticks, REPS), mn = median(ns, REPS);
		/* spread: how far apart the repetitions' tick counts were (sorted
		 * by median()), e.g. a timer tick landing in some of them. */
		double spread = mt > 0 ? (ticks[REPS - 1] - ticks[0]) / mt * 100 : 0;
		printf("BENCH %s ticks=%.1f ns=%.1f iters=%ld spread=%.2f%%", name, mt, mn, n, spread);
		if (bytes_per_op)
			printf(" mbps=%.1f", mn > 0 ? bytes_per_op / mn * 1e3 : 0.0);
		printf("\n");
	}
	fflush(stdout);
}

/* What the tick counter itself counts, for reading the figures: the cost of
 * back-to-back rdtsc, of one turn of an empty loop, and of one 4 KiB
 * `rep movsb` (one instruction, or one per byte, depending on the emulator). */
static void calibrate(void)
{
	static char src[PAGE], dst[PAGE];
	double t[REPS];
	for (int i = 0; i < REPS; i++) {
		uint64_t a = rdtsc(), b = rdtsc();
		t[i] = (double)(b - a);
	}
	printf("BENCH-INFO calib rdtsc-rdtsc ticks=%.1f\n", median(t, REPS));
	for (int i = 0; i < REPS; i++) {
		uint64_t a = rdtsc();
		for (long j = 0; j < 10000; j++)
			__asm__ volatile("" ::: "memory");
		t[i] = (double)(rdtsc() - a) / 10000;
	}
	printf("BENCH-INFO calib empty-loop-turn ticks=%.1f\n", median(t, REPS));
	for (int i = 0; i < REPS; i++) {
		void *d = dst, *s = src;
		long n = PAGE;
		uint64_t a = rdtsc();
		__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
		t[i] = (double)(rdtsc() - a);
	}
	printf("BENCH-INFO calib rep-movsb-4096 ticks=%.1f\n", median(t, REPS));
}

/* Opens a file the cases use; a failure is reported by the first case using it. */
static int open_or_report(const char *what, const char *path, int flags)
{
	long fd = sc3(SYS_open, path, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		printf("BENCH-SETUP open %s (%s) errno=%ld (%s)\n", what, path, -fd, strerror(-fd));
	return fd < 0 ? -EBADF : fd;
}

/* The 4 MiB data file: byte i is (i ^ i >> 12) & 0xff, a fixed pattern. */
static void make_data_file(void)
{
	int fd = open_or_report("data", data_path, O_RDWR | O_CREAT | O_TRUNC);
	if (fd < 0) return;
	for (long off = 0; off < DATA_SIZE; off += CHUNK) {
		for (long i = 0; i < CHUNK; i++)
			buf[i] = (char)((off + i) ^ (off + i) >> 12);
		long w = sc3(SYS_write, fd, buf, CHUNK);
		if (w != CHUNK) {
			printf("BENCH-SETUP write %s errno=%ld\n", data_path, w < 0 ? -w : EIO);
			break;
		}
	}
	sc1(SYS_close, fd);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--exit-now"))
		_exit(0);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--verbose"))
			verbose = 1;
		else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: %s [--quick] [--verbose] [DIR] | --exit-now\n", argv[0]);
			return 2;
		} else
			dir = argv[i];
	}
	self_exe = strchr(argv[0], '/') ? argv[0] : "/proc/self/exe";
	snprintf(data_path, sizeof data_path, "%s/syscall-bench.dat", dir);
	snprintf(write_path, sizeof write_path, "%s/syscall-bench.wr", dir);
	setvbuf(stdout, 0, _IOLBF, 0);
	printf("BENCH-START reps=%d quick=%d dir=%s\n", REPS, quick, dir);

	make_data_file();
	fd_data = open_or_report("data", data_path, O_RDONLY);
	fd_write = open_or_report("write", write_path, O_RDWR | O_CREAT | O_TRUNC);
	fd_zero = open_or_report("zero", "/dev/zero", O_RDONLY);
	fd_null = open_or_report("null", "/dev/null", O_WRONLY);
	struct sigaction sa = {.sa_handler = on_usr1};
	if (sigaction(SIGUSR1, &sa, 0))
		printf("BENCH-SETUP sigaction errno=%d (%s)\n", errno, strerror(errno));
	memset(buf, 'x', sizeof buf);
	calibrate();

	/* Iteration counts give each repetition roughly 1-5 million guest
	 * instructions on Linux: long enough to be stable, short enough that
	 * most repetitions see no timer tick (HZ=250 is 4 M instructions). */
	measure("getpid", c_getpid, 4000, 0);
	measure("getppid", c_getppid, 4000, 0);
	measure("read-devzero-1", c_read_zero, 2000, 0);
	measure("write-devnull-1", c_write_null, 2000, 0);
	measure("pread-4k", c_pread, 1000, 0);
	measure("read-seq-64k", c_seqread, 128, CHUNK);
	measure("pwrite-4k", c_pwrite, 1000, 0);
	measure("lseek", c_lseek, 4000, 0);
	measure("stat", c_stat, 400, 0);
	measure("fstat", c_fstat, 2000, 0);
	measure("open-close", c_open_close, 400, 0);
	measure("pipe-roundtrip", c_pipe_rt, 400, 0);
	measure("fork-exit-wait", c_fork, 30, 0);
	measure("fork-exec-wait", c_fork_exec, 15, 0);
	measure("mmap-anon-touch-page", c_mmap_anon, 512, 0);
	measure("mmap-file-fault-page", c_mmap_file, DATA_SIZE / PAGE, 0);
	measure("signal-self", c_signal, 1000, 0);
	measure("clock-gettime", c_clock, 4000, 0);

	sc1(SYS_unlink, data_path);
	sc1(SYS_unlink, write_path);
	printf("BENCH-DONE\n");
	return 0;
}
