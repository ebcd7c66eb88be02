/* fork, execve and wait4 chains with exit statuses; exec failures that
 * leave the caller alive; orphans going to init; WNOHANG; brk and mmap
 * growth to many megabytes. Prints "forkexec: X ok" per check and exits
 * with the number of failures. */
#include <errno.h>
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
	printf("forkexec: %s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static int run_child(const char *arg)
{
	char *argv[] = { "child", (char *)arg, NULL };
	char *envp[] = { "MARK=exec", NULL };
	pid_t pid = fork();
	if (pid == 0) {
		execve("/bin/child", argv, envp);
		_exit(99);
	}
	int st = 0;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -2;
}

int main(void)
{
	int st;
	pid_t me = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		_exit(getppid() == me ? 3 : 4);
	}
	check(pid > 1 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 3,
	      "fork then wait4 gives the child's status 3");

	check(run_child("5") == 5, "fork, execve, wait4 gives 5");
	check(run_child("17") == 17, "a second exec chain gives 17");

	char *argv[] = { "x", NULL };
	errno = 0;
	check(execve("/bin/nope", argv, argv + 1) == -1 && errno == ENOENT, "execve of a missing file is ENOENT");
	errno = 0;
	check(execve("/bin/notelf", argv, argv + 1) == -1 && errno == ENOEXEC, "execve of a non-ELF file is ENOEXEC");

	/* A child that forks a grandchild and execs in it: a chain of three. */
	pid = fork();
	if (pid == 0) {
		int r = run_child("9");
		_exit(r == 9 ? 11 : 12);
	}
	check(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 11, "a grandchild's exec status comes back up the chain");

	/* WNOHANG with a live child, then the orphan re-parented to init. */
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			_exit(getppid() == 1 ? 21 : 22);
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		_exit(0);
	}
	check(waitpid(pid, &st, WNOHANG) == 0, "WNOHANG on a live child returns 0");
	check(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 0, "the middle process exits");
	pid_t o = wait(&st);
	check(o > 0 && o != pid && WIFEXITED(st) && WEXITSTATUS(st) == 21, "the orphan went to init and init reaped it");
	check(wait(&st) == -1 && errno == ECHILD, "no children left: ECHILD");

	/* brk and mmap growth. */
	/* musl's sbrk only reports the break: move it with the system call. */
	char *base = (char *)syscall(SYS_brk, 0);
	check(syscall(SYS_brk, base + (16 << 20)) == (long)(base + (16 << 20)), "brk grows by 16 MiB");
	for (long i = 0; i < (16 << 20); i += 4096)
		base[i] = (char)i;
	long sum = 0;
	for (long i = 0; i < (16 << 20); i += 4096)
		sum += base[i] == (char)i;
	check(sum == 4096, "every page of the brk area keeps its byte");
	size_t len = 48 << 20;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(m != MAP_FAILED, "mmap of 48 MiB anonymous memory");
	if (m != MAP_FAILED) {
		for (size_t i = 0; i < len; i += 4096)
			m[i] = 1;
		check(m[len - 4096] == 1 && munmap(m, len) == 0, "touched all of it and unmapped it");
	}
	char *big = malloc(20 << 20);
	check(big != NULL, "malloc of 20 MiB");
	if (big) {
		memset(big, 7, 20 << 20);
		check(big[(20 << 20) - 1] == 7, "and it holds what was written");
		free(big);
	}
	printf("forkexec: %d failures\n", failures);
	return failures;
}
