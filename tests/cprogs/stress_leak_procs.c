/* Runs many short processes (fork+exit+wait, fork+exec+wait of a tiny
 * program, children whose threads are blocked in the server when they
 * exit) and threads (pthread_create+join), and checks that nothing outlives them: free memory
 * (/proc/meminfo MemFree) and, where the system offers them, the
 * kernel's object counts (/proc/machobjs: tasks, threads, ports, VM
 * objects...) must come back to where they were after a warm-up.
 *
 *   stress_leak_procs N [exec-path]
 *
 * Prints "stress_leak: <what> ok|FAILED" lines and the per-process
 * figures; exits 0 when every check passed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXC 32

static int failures;

static void check(int ok, const char *what)
{
	printf("stress_leak: %s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static long read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long n = 0, r;
	while (n < (long)len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return n;
}

static long memfree_kb(void)
{
	char buf[2048];
	if (read_file("/proc/meminfo", buf, sizeof buf) <= 0)
		return -1;
	char *p = strstr(buf, "MemFree:");
	return p ? strtol(p + 8, 0, 10) : -1;
}

/* A snapshot of the kernel's counts: names and values from /proc/machobjs
 * ("name value" lines); n = 0 when the file is not there. */
struct counts {
	int n;
	char name[MAXC][32];
	long val[MAXC];
};

static void read_counts(struct counts *c)
{
	char buf[4096];
	c->n = 0;
	if (read_file("/proc/machobjs", buf, sizeof buf) <= 0)
		return;
	char *line = buf;
	while (*line && c->n < MAXC) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		char name[32];
		long v;
		if (sscanf(line, "%31s %ld", name, &v) == 2) {
			strcpy(c->name[c->n], name);
			c->val[c->n++] = v;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
}

/* Object counts must match exactly; byte counts (the kernel heap) within
 * a page, since a message or a timer in flight at the moment of reading
 * is a few hundred bytes that come and go (measured: +-304 over 20,000
 * processes, not growing with their number). */
#define BYTES_SLACK 4096

/* How many objects a phase may differ by (0 for processes). A dead
 * thread's emulib block, with its reply port and names, is taken back
 * when a later clone reuses it; a clone that comes before the previous
 * thread has marked its block dead (it wakes pthread_join first) makes a
 * fresh one, so a few dead threads may be waiting for reuse at a reading:
 * bounded, not growing with the number of threads. */
static long object_slack;
#define THREAD_OBJECT_SLACK 4
#define LOCK_PORT_SLACK 8

static int count_matches(const char *name, long a, long b)
{
	size_t n = strlen(name);
	if (n > 6 && strcmp(name + n - 6, "_bytes") == 0)
		return labs(a - b) <= BYTES_SLACK * (1 + object_slack);
	/* A task's heap grows by VM objects (vm_allocate): the server's may
	 * take one more chunk at a new high-water mark (seen once in 20,000
	 * processes), which is not a leak; one per process would be 2,000. */
	if (strcmp(name, "vm_objects") == 0)
		return b - a <= (object_slack > 1 ? object_slack : 1) && a - b <= object_slack;
	/* The server's sleeping locks (machrt::sync) make their wakeup port at
	 * their first contention, and its static locks keep it: a phase may
	 * see a few more, never fewer; one per process would be 2,000. */
	if (strcmp(name, "ports") == 0)
		return b - a <= object_slack + LOCK_PORT_SLACK && a - b <= object_slack;
	return labs(a - b) <= object_slack;
}

static int same_counts(const struct counts *a, const struct counts *b)
{
	if (a->n != b->n)
		return 0;
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->name[i], b->name[i]) != 0 || !count_matches(a->name[i], a->val[i], b->val[i]))
			return 0;
	return 1;
}

/* The counts once the system is quiet: a task's end is asynchronous (its
 * threads run once more to unwind their kernel calls after wait4 has
 * already reported it), so read until two readings 20 ms apart agree,
 * or, with `want`, until they equal it (for at most about 2 s). */
static void settled_counts(struct counts *c, const struct counts *want)
{
	struct counts prev;
	read_counts(&prev);
	for (int i = 0; i < 100; i++) {
		usleep(20000);
		read_counts(c);
		if (want ? same_counts(c, want) : same_counts(c, &prev))
			return;
		prev = *c;
	}
}

/* What one step of a phase does. */
enum mode {
	FORK_EXIT,     /* fork, the child _exits at once */
	FORK_EXEC,     /* fork, the child execs the tiny program */
	FORK_THREADS,  /* fork, the child starts threads that block, then _exits */
	THREAD,        /* pthread_create + pthread_join in this process */
};

static const char *exe_path;
static int block_pipe[2]; /* never written: a child's threads block reading it */

static void *blocker(void *arg)
{
	char c;
	(void)arg;
	read(block_pipe[0], &c, 1);
	return 0;
}

static void *nothing(void *arg)
{
	return arg;
}

/* The child's part of FORK_THREADS: three threads blocked in the server
 * (a read of an empty pipe) when the process exits under them. */
static void child_with_threads(void)
{
	pthread_t t;
	for (int i = 0; i < 3; i++)
		if (pthread_create(&t, 0, blocker, 0) != 0)
			_exit(2);
	usleep(1000);
	_exit(0);
}

/* One step; 0 on success. */
static int one(enum mode m)
{
	if (m == THREAD) {
		pthread_t t;
		void *r = 0;
		if (pthread_create(&t, 0, nothing, (void *)1) != 0 || pthread_join(t, &r) != 0)
			return -1;
		return r == (void *)1 ? 0 : -1;
	}
	pid_t p = fork();
	if (p < 0)
		return -1;
	if (p == 0) {
		if (m == FORK_EXEC) {
			char *argv[] = { (char *)exe_path, "0", 0 };
			char *envp[] = { 0 };
			execve(exe_path, argv, envp);
			_exit(126);
		}
		if (m == FORK_THREADS)
			child_with_threads();
		_exit(0);
	}
	int st;
	if (waitpid(p, &st, 0) != p)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Runs n steps; returns how many failed. */
static int run(int n, enum mode m)
{
	int bad = 0;
	for (int i = 0; i < n; i++) {
		if (one(m) != 0) {
			if (bad++ < 3)
				printf("stress_leak: step %d of %d failed (errno %d)\n", i, n, errno);
		}
	}
	return bad;
}

static void compare(const struct counts *a, const struct counts *b, const char *phase)
{
	char what[160];
	int same = a->n == b->n;
	for (int i = 0; a->n == b->n && i < a->n; i++) {
		if (strcmp(a->name[i], b->name[i]) != 0) {
			same = 0;
		} else if (a->val[i] != b->val[i]) {
			printf("stress_leak: %s: %s went from %ld to %ld\n", phase, a->name[i], a->val[i], b->val[i]);
			same &= count_matches(a->name[i], a->val[i], b->val[i]);
		}
	}
	if (object_slack)
		snprintf(what, sizeof what, "%s: the kernel's object counts are back within %ld (heap bytes within %ld)", phase,
			 object_slack, BYTES_SLACK * (1 + object_slack));
	else
		snprintf(what, sizeof what, "%s: the kernel's object counts are back where they were (heap bytes within %d, VM objects 1, lock ports %d)",
			 phase, BYTES_SLACK, LOCK_PORT_SLACK);
	check(same, what);
}

static void phase(int n, enum mode m, const char *name, long slack_kb)
{
	char what[160];
	struct counts c0, c1;
	/* Warm-up: heaps and caches reach their working size. */
	run(n / 10 + 50, m);
	settled_counts(&c0, 0);
	long m0 = memfree_kb();
	int bad = run(n, m);
	settled_counts(&c1, &c0);
	long m1 = memfree_kb();
	long lost = m0 - m1;
	printf("stress_leak: %s: %d times, MemFree %ld kB -> %ld kB, %ld bytes each\n",
	       name, n, m0, m1, lost * 1024 / n);
	snprintf(what, sizeof what, "%s: all %d ran and ended well", name, n);
	check(bad == 0, what);
	snprintf(what, sizeof what, "%s: free memory comes back within %ld kB", name, slack_kb);
	check(m0 > 0 && lost <= slack_kb, what);
	if (c0.n > 0) {
		for (int i = 0; i < c1.n; i++)
			printf("stress_leak: %s: %s %ld\n", name, c1.name[i], c1.val[i]);
		compare(&c0, &c1, name);
	} else {
		check(0, "/proc/machobjs is readable");
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	exe_path = argc > 2 ? argv[2] : 0;
	long slack = argc > 3 ? atol(argv[3]) : 16;
	setvbuf(stdout, 0, _IONBF, 0);
	if (pipe(block_pipe) != 0)
		check(0, "pipe");
	phase(n, FORK_EXIT, "fork+exit+wait", slack);
	if (exe_path)
		phase(n, FORK_EXEC, "fork+exec+wait", slack);
	phase(n / 4, FORK_THREADS, "fork+3 blocked threads+exit+wait", slack);
	object_slack = THREAD_OBJECT_SLACK;
	phase(n, THREAD, "pthread_create+join", slack);
	printf("stress_leak: %d failures\n", failures);
	return failures ? 1 : 0;
}
