/* Two answers the fuzzer found different from Linux's: readv/writev look
 * the descriptor up before the iovec array, and every read and write is
 * capped at MAX_RW_COUNT (after access_ok of the whole range), even one
 * to /dev/null that copies nothing. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/select.h>
#include <time.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static long raw(long nr, long a, long b, long c)
{
	long r;
	register long r10 __asm__("r10") = 0;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
	return r;
}

static long us_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* select and poll timeouts never end early by the clock the program
 * reads (they once ran on kernel ticks, which can run ahead of it). */
static void timeouts(void)
{
	int p[2], early = 0;
	if (pipe(p))
		return;
	for (int i = 0; i < 10; i++) {
		fd_set r;
		FD_ZERO(&r);
		FD_SET(p[0], &r);
		struct timeval tv = { 0, 30000 + 1000 * i };
		long want = tv.tv_usec, t0 = us_now();
		int n = select(p[0] + 1, &r, 0, 0, &tv);
		early += n != 0 || us_now() - t0 < want;
		struct pollfd pf = { p[0], POLLIN, 0 };
		t0 = us_now();
		n = poll(&pf, 1, 30 + i);
		early += n != 0 || us_now() - t0 < (30 + i) * 1000;
	}
	printf("rw: 10 selects and 10 polls on an empty pipe, none early: %s\n", early ? "FAILED" : "ok");
}

static void say(const char *what, long r)
{
	if (r == -EBADF)
		printf("rw: %s = EBADF\n", what);
	else if (r == -EFAULT)
		printf("rw: %s = EFAULT\n", what);
	else if (r == -EINVAL)
		printf("rw: %s = EINVAL\n", what);
	else
		printf("rw: %s = %#lx\n", what, r);
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	long bad = 0xdead00000000L;
	say("readv(99, unmapped array, 1)", raw(SYS_readv, 99, bad, 1));
	say("writev(99, unmapped array, 1)", raw(SYS_writev, 99, bad, 1));
	say("readv(99, unmapped array, 5000)", raw(SYS_readv, 99, bad, 5000));
	int null = open("/dev/null", O_RDWR);
	char buf[16];
	say("write to /dev/null of 0x7fffffffdc91 bytes from 0x1000", raw(SYS_write, null, 0x1000, 0x7fffffffdc91L));
	say("write to /dev/null of 0x7fffffffdc91 bytes from the stack", raw(SYS_write, null, (long)buf, 0x7fffffffdc91L));
	say("write to /dev/null of 2^31 bytes from 0x1000", raw(SYS_write, null, 0x1000, 1L << 31));
	say("write to /dev/null of 100 bytes", raw(SYS_write, null, (long)buf, 100));
	say("read from /dev/null of 0x7fffffffdc91 bytes at 0x1000", raw(SYS_read, null, 0x1000, 0x7fffffffdc91L));
	say("read from /dev/null past the user half", raw(SYS_read, null, (long)buf, -1L));
	struct { long base, len; } iov[2] = { { (long)buf, 4 }, { (long)buf, -1 } };
	say("writev with a negative length", raw(SYS_writev, null, (long)iov, 2));
	timeouts();
	printf("rw: done\n");
	return 0;
}
