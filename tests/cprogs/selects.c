/* select and pselect6 on pipes: readiness, timeouts, blocking until a
 * writer comes, fd_set contents on return, and the errors (EBADF,
 * EINVAL, EFAULT, EINTR). Prints "select: <what> ok|FAILED" per check,
 * then "select: N failures"; exits with N. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	printf("select: %s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The raw call, so that bad arguments reach the server as given. */
static long raw_select(long n, void *r, void *w, void *e, void *tv)
{
	return syscall(SYS_select, n, r, w, e, tv);
}

static void timeouts(int rfd)
{
	fd_set r;
	FD_ZERO(&r);
	FD_SET(rfd, &r);
	struct timeval tv = { 0, 0 };
	check(select(rfd + 1, &r, NULL, NULL, &tv) == 0 && !FD_ISSET(rfd, &r), "a zero timeout polls an empty pipe: 0, set cleared");
	FD_SET(rfd, &r);
	tv.tv_usec = 150 * 1000;
	long t0 = now_ms();
	int n = select(rfd + 1, &r, NULL, NULL, &tv);
	long ms = now_ms() - t0;
	if (ms < 140 || ms > 3000)
		printf("select: a 150 ms timeout took %ld ms\n", ms);
	check(n == 0 && !FD_ISSET(rfd, &r) && ms >= 140 && ms < 3000, "a 150 ms timeout on an empty pipe waits and gives 0");
	struct timespec ts = { 0, 80 * 1000 * 1000 };
	FD_SET(rfd, &r);
	t0 = now_ms();
	n = pselect(rfd + 1, &r, NULL, NULL, &ts, NULL);
	ms = now_ms() - t0;
	check(n == 0 && ms >= 70 && ms < 3000, "pselect's 80 ms timespec times out");
}

static void readiness(int rfd, int wfd)
{
	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(rfd, &r);
	FD_SET(wfd, &w);
	check(select(wfd > rfd ? wfd + 1 : rfd + 1, &r, &w, NULL, NULL) == 1 && !FD_ISSET(rfd, &r) && FD_ISSET(wfd, &w),
	      "an empty pipe's write end is writable, its read end not");
	check(write(wfd, "x", 1) == 1, "write a byte");
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(rfd, &r);
	FD_SET(wfd, &w);
	FD_SET(rfd, &w);
	int n = select(64, &r, &w, NULL, NULL);
	check(n == 2 && FD_ISSET(rfd, &r) && FD_ISSET(wfd, &w) && !FD_ISSET(rfd, &w),
	      "with data: readable and writable, counted per bit (2), the read end not writable");
	struct timeval tv = { 0, 0 };
	FD_ZERO(&r);
	FD_SET(rfd, &r);
	check(select(rfd, &r, NULL, NULL, &tv) == 0 && !FD_ISSET(rfd, &r), "a descriptor at or above nfds is not looked at");
	FD_ZERO(&r);
	FD_SET(rfd, &r);
	FD_SET(63, &r); /* not open, but above nfds: ignored, and cleared */
	check(select(rfd + 1, &r, NULL, NULL, &tv) == 1 && FD_ISSET(rfd, &r) && !FD_ISSET(63, &r),
	      "bits above nfds are ignored and come back clear");
	FD_ZERO(&r);
	FD_SET(rfd, &r);
	struct timespec ts = { 1, 0 };
	check(pselect(rfd + 1, &r, NULL, NULL, &ts, NULL) == 1 && FD_ISSET(rfd, &r), "pselect sees the data");
	struct timeval million = { 0, 1000000 };
	FD_ZERO(&r);
	FD_SET(rfd, &r);
	check(raw_select(rfd + 1, &r, NULL, NULL, &million) == 1 && FD_ISSET(rfd, &r),
	      "a timeval of a million microseconds is a second, not an error");
	char c;
	check(read(rfd, &c, 1) == 1 && c == 'x', "read it back");
}

/* A child writes after a delay: select with no timeout sleeps till then. */
static void blocks_until_written(int rfd, int wfd)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec d = { 0, 250 * 1000 * 1000 };
		nanosleep(&d, NULL);
		write(wfd, "late", 4);
		_exit(0);
	}
	fd_set r;
	FD_ZERO(&r);
	FD_SET(rfd, &r);
	long t0 = now_ms();
	int n = select(rfd + 1, &r, NULL, NULL, NULL);
	long ms = now_ms() - t0;
	check(n == 1 && FD_ISSET(rfd, &r) && ms >= 200, "select without a timeout waits for another process's write");
	char b[8];
	check(read(rfd, b, sizeof b) == 4 && memcmp(b, "late", 4) == 0, "and the data is there");
	int st;
	waitpid(pid, &st, 0);
}

static void hangups(void)
{
	int p[2];
	pipe(p);
	close(p[1]);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timeval tv = { 0, 0 };
	char c;
	check(select(p[0] + 1, &r, NULL, NULL, &tv) == 1 && FD_ISSET(p[0], &r) && read(p[0], &c, 1) == 0,
	      "a read end without writers is readable (EOF)");
	close(p[0]);
	pipe(p);
	close(p[0]);
	fd_set w;
	FD_ZERO(&w);
	FD_SET(p[1], &w);
	signal(SIGPIPE, SIG_IGN);
	check(select(p[1] + 1, NULL, &w, NULL, &tv) == 1 && FD_ISSET(p[1], &w) && write(p[1], "x", 1) == -1 && errno == EPIPE,
	      "a write end without readers is writable (and the write is EPIPE)");
	close(p[1]);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void errors(int rfd)
{
	fd_set r;
	struct timeval tv = { 0, 0 };
	FD_ZERO(&r);
	int closed = dup(rfd);
	close(closed);
	FD_SET(closed, &r);
	check(select(closed + 1, &r, NULL, NULL, &tv) == -1 && errno == EBADF, "a closed descriptor is EBADF");
	FD_ZERO(&r);
	check(raw_select(-1, &r, NULL, NULL, &tv) == -1 && errno == EINVAL, "nfds < 0 is EINVAL");
	struct timeval bad = { 0, -1 };
	FD_SET(rfd, &r);
	check(raw_select(rfd + 1, &r, NULL, NULL, &bad) == -1 && errno == EINVAL, "a negative tv_usec is EINVAL");
	struct timespec badns = { 0, 1000000000 };
	check(syscall(SYS_pselect6, rfd + 1, &r, NULL, NULL, &badns, NULL) == -1 && errno == EINVAL,
	      "pselect6 with a billion tv_nsec is EINVAL");
	struct timeval neg = { -1, 0 };
	check(raw_select(rfd + 1, &r, NULL, NULL, &neg) == -1 && errno == EINVAL, "a negative timeout is EINVAL");
	check(raw_select(rfd + 1, (void *)8, NULL, NULL, &tv) == -1 && errno == EFAULT, "a bad fd_set pointer is EFAULT");
	check(raw_select(rfd + 1, &r, NULL, NULL, (void *)8) == -1 && errno == EFAULT, "a bad timeout pointer is EFAULT");
	struct timespec ts = { 0, 0 };
	struct { void *ss; size_t len; } mask = { &r, 3 };
	check(syscall(SYS_pselect6, rfd + 1, &r, NULL, NULL, &ts, &mask) == -1 && errno == EINVAL,
	      "pselect6 with a sigset size other than 8 is EINVAL");
	check(raw_select(0, NULL, NULL, NULL, &tv) == 0, "nothing to wait for, no time: 0");
	struct timeval half = { 0, 500 * 1000 };
	fd_set w;
	FD_ZERO(&w);
	FD_SET(1, &w);
	check(raw_select(0x7fffffff, NULL, &w, NULL, &half) == 1 && FD_ISSET(1, &w),
	      "a huge nfds is cut to what the descriptor table can hold");

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	pid_t me = getpid(), pid = fork();
	if (pid == 0) {
		struct timespec d = { 0, 150 * 1000 * 1000 };
		nanosleep(&d, NULL);
		kill(me, SIGUSR1);
		_exit(0);
	}
	FD_ZERO(&r);
	FD_SET(rfd, &r);
	check(select(rfd + 1, &r, NULL, NULL, NULL) == -1 && errno == EINTR, "a signal interrupts a waiting select: EINTR");
	int st;
	waitpid(pid, &st, 0);
}

int main(void)
{
	int p[2];
	if (pipe(p) != 0) {
		printf("select: no pipe\n");
		return 1;
	}
	timeouts(p[0]);
	readiness(p[0], p[1]);
	blocks_until_written(p[0], p[1]);
	hangups();
	errors(p[0]);
	printf("select: %d failures\n", failures);
	return failures;
}
