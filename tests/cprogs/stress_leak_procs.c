/* Runs many short processes (fork+exit+wait, and fork+exec+wait of a tiny
 * program) and checks that nothing outlives them: free memory
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

static int count_matches(const char *name, long a, long b)
{
	size_t n = strlen(name);
	if (n > 6 && strcmp(name + n - 6, "_bytes") == 0)
		return labs(a - b) <= BYTES_SLACK;
	return a == b;
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

/* One fork+exit+wait, or fork+exec+wait of `exe`; 0 on success. */
static int one(const char *exe)
{
	pid_t p = fork();
	if (p < 0)
		return -1;
	if (p == 0) {
		if (exe) {
			char *argv[] = { (char *)exe, "0", 0 };
			char *envp[] = { 0 };
			execve(exe, argv, envp);
			_exit(126);
		}
		_exit(0);
	}
	int st;
	if (waitpid(p, &st, 0) != p)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Runs n processes; returns how many failed. */
static int run(int n, const char *exe)
{
	int bad = 0;
	for (int i = 0; i < n; i++) {
		if (one(exe) != 0) {
			if (bad++ < 3)
				printf("stress_leak: process %d of %d failed (errno %d)\n", i, n, errno);
		}
	}
	return bad;
}

static void compare(const struct counts *a, const struct counts *b, const char *phase)
{
	char what[128];
	int same = a->n == b->n;
	for (int i = 0; same && i < a->n; i++) {
		if (strcmp(a->name[i], b->name[i]) != 0) {
			same = 0;
		} else if (a->val[i] != b->val[i]) {
			printf("stress_leak: %s: %s went from %ld to %ld\n", phase, a->name[i], a->val[i], b->val[i]);
			same = count_matches(a->name[i], a->val[i], b->val[i]);
		}
	}
	snprintf(what, sizeof what, "%s: the kernel's object counts are back where they were (heap bytes within %d)", phase,
		 BYTES_SLACK);
	check(same, what);
}

static void phase(int n, const char *exe, const char *name, long slack_kb)
{
	char what[160];
	struct counts c0, c1;
	/* Warm-up: heaps and caches reach their working size. */
	run(n / 10 + 50, exe);
	settled_counts(&c0, 0);
	long m0 = memfree_kb();
	int bad = run(n, exe);
	settled_counts(&c1, &c0);
	long m1 = memfree_kb();
	long lost = m0 - m1;
	printf("stress_leak: %s: %d processes, MemFree %ld kB -> %ld kB, %ld bytes per process\n",
	       name, n, m0, m1, lost * 1024 / n);
	snprintf(what, sizeof what, "%s: all %d processes ran and exited 0", name, n);
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
	const char *exe = argc > 2 ? argv[2] : 0;
	long slack = argc > 3 ? atol(argv[3]) : 16;
	setvbuf(stdout, 0, _IONBF, 0);
	phase(n, 0, "fork+exit+wait", slack);
	if (exe)
		phase(n, exe, "fork+exec+wait", slack);
	printf("stress_leak: %d failures\n", failures);
	return failures ? 1 : 0;
}
