/* A hostile client: bad pointers everywhere (EFAULT, never a crash of
 * the server), unknown and out-of-range call numbers, attempts on
 * emulib's memory, a flood of calls and of processes. The server must
 * answer everything and still serve afterwards. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	printf("hostile: %s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static long raw(long nr, long a, long b, long c)
{
	long r;
	register long r10 __asm__("r10") = 0;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
	return r;
}

int main(void)
{
	void *bad = (void *)0xdead00000000;
	check(raw(SYS_write, 1, (long)bad, 10) == -EFAULT, "write from a bad buffer is EFAULT");
	check(raw(SYS_writev, 1, (long)bad, 2) == -EFAULT, "writev with a bad iovec is EFAULT");
	check(raw(SYS_uname, (long)bad, 0, 0) == -EFAULT, "uname into a bad buffer is EFAULT");
	check(raw(SYS_clock_gettime, 0, 1, 0) == -EFAULT, "clock_gettime into address 1 is EFAULT");
	check(raw(SYS_rt_sigaction, SIGUSR1, (long)bad, 0) == -EFAULT, "sigaction from a bad struct is EFAULT");
	check(raw(SYS_execve, (long)bad, 0, 0) == -EFAULT, "execve of a bad path is EFAULT");
	check(raw(SYS_execve, (long)"/bin/hostile", (long)bad, 0) == -EFAULT, "execve with a bad argv is EFAULT");
	check(raw(SYS_arch_prctl, 0x1003, (long)bad, 0) == -EFAULT, "ARCH_GET_FS into a bad pointer is EFAULT");
	check(raw(SYS_nanosleep, (long)bad, 0, 0) == -EFAULT, "nanosleep with a bad timespec is EFAULT");
	check(raw(SYS_read, 77, 0, 0) == -EBADF, "a read on a closed fd is EBADF");
	int unknown = 1;
	for (long nr = 440; nr < 512; nr++)
		unknown &= raw(nr, 1, 2, 3) == -ENOSYS;
	check(unknown, "unknown calls 440..511 are ENOSYS");
	check(raw(100000, 0, 0, 0) == -ENOSYS && raw(1L << 40, 0, 0, 0) == -ENOSYS,
	      "numbers past the emulation range are ENOSYS");
	check(munmap((void *)0x7f0000000000, 4096) == -1 && errno == EINVAL, "munmap of emulib is refused");
	check(mprotect((void *)0x7f0000000000, 4096, PROT_NONE) == -1 && errno == EINVAL, "mprotect of emulib is refused");
	check(mmap((void *)0x7f0000000000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED,
	      "mmap over emulib is refused");
	check(mmap(NULL, 1L << 47, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED, "a 128 TiB mmap (more than user space) fails");
	int flood = 1;
	for (int i = 0; i < 20000; i++)
		flood &= raw(SYS_sched_yield, 0, 0, 0) == 0;
	check(flood, "20000 RPCs in a row are all answered");
	int forks = 0;
	for (int i = 0; i < 60; i++) {
		pid_t p = fork();
		if (p == 0)
			_exit(i & 0x7f);
		if (p > 0)
			forks++;
	}
	int reaped = 0, st;
	while (wait(&st) > 0)
		reaped++;
	check(forks == 60 && reaped == 60, "60 processes forked and reaped");
	check(getppid() == 0 && raw(SYS_getpgid, 0, 0, 0) == 1, "and the server still answers");
	printf("hostile: %d failures\n", failures);
	return failures;
}
