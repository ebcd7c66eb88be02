/* /proc: self and the pid directories (exe, stat, cmdline, maps),
 * meminfo, uptime, the listing, snapshots at open, and the errors of
 * writes and bad names. Run with its absolute path as argv[0]. Prints
 * "proc: <what> ok|FAILED" per check, then "proc: N failures"; exits
 * with N. With "child" as argv[1] it only checks its own cmdline. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	printf("proc: %s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

/* A whole /proc file (they are small), NUL-terminated; its length. */
static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long n = 0, r;
	while (n < (long)size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	return n;
}

static int err_is(long r, int e)
{
	return r == -1 && errno == e;
}

static void links(const char *me)
{
	char b[256], want[32];
	long n = readlink("/proc/self/exe", b, sizeof b);
	check(n == (long)strlen(me) && memcmp(b, me, n) == 0, "readlink /proc/self/exe is the program's path");
	if (n >= 0 && (n != (long)strlen(me) || memcmp(b, me, n) != 0))
		printf("proc: /proc/self/exe -> %.*s\n", (int)n, b);
	snprintf(want, sizeof want, "%d", getpid());
	n = readlink("/proc/self", b, sizeof b);
	check(n == (long)strlen(want) && memcmp(b, want, n) == 0, "readlink /proc/self is the pid");
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/exe", getpid());
	n = readlink(path, b, sizeof b);
	check(n == (long)strlen(me) && memcmp(b, me, n) == 0, "readlink /proc/<pid>/exe");
	n = readlink("/proc/self/exe", b, 4);
	check(n == 4 && memcmp(b, me, 4) == 0, "readlink cuts the target to the buffer, no NUL");
	check(err_is(readlink(me, b, sizeof b), EINVAL), "readlink of a regular file is EINVAL");
	check(err_is(readlink("/proc/meminfo", b, sizeof b), EINVAL), "readlink of a /proc file is EINVAL");
	/* musl turns a zero size into a one-byte buffer: ask the kernel itself. */
	check(err_is(syscall(SYS_readlink, "/proc/self/exe", b, 0), EINVAL), "readlink with a zero size is EINVAL");
	check(err_is(readlink("/proc/self/exe", (char *)8, sizeof b), EFAULT), "readlink into a bad buffer is EFAULT");
	check(err_is(readlink("/proc/self/nothing", b, sizeof b), ENOENT), "readlink of a missing name is ENOENT");

	struct stat a, l, f;
	check(stat("/proc/self", &a) == 0 && S_ISDIR(a.st_mode), "stat /proc/self follows it to a directory");
	check(lstat("/proc/self", &l) == 0 && S_ISLNK(l.st_mode), "lstat /proc/self is a link");
	check(stat("/proc/self/exe", &a) == 0 && stat(me, &f) == 0 && a.st_ino == f.st_ino && a.st_size == f.st_size,
	      "stat /proc/self/exe is the executable itself");
	check(lstat("/proc/self/exe", &l) == 0 && S_ISLNK(l.st_mode), "lstat /proc/self/exe is a link");
	int fd = open("/proc/self/exe", O_RDONLY);
	char elf[4];
	check(fd >= 0 && read(fd, elf, 4) == 4 && memcmp(elf, "\177ELF", 4) == 0, "open /proc/self/exe reads the ELF");
	close(fd);
}

/* The fields of a stat line after "pid (comm)": state is field 3. */
static int stat_fields(const char *line, char *comm, char *state, long *f, int max)
{
	const char *l = strchr(line, '('), *r = strrchr(line, ')');
	if (!l || !r || r < l || r[1] != ' ')
		return -1;
	snprintf(comm, 32, "%.*s", (int)(r - l - 1), l + 1);
	*state = r[2];
	int n = 3; /* fields so far: pid, comm, state */
	for (const char *p = r + 3; *p && *p != '\n' && n + 1 < max; ) {
		f[++n] = strtol(p, (char **)&p, 10);
		while (*p == ' ')
			p++;
	}
	f[1] = atol(line);
	return n;
}

static void stat_file(const char *me)
{
	char b[1024], comm[32], st;
	long f[64] = { 0 };
	check(slurp("/proc/self/stat", b, sizeof b) > 0, "read /proc/self/stat");
	int n = stat_fields(b, comm, &st, f, 64);
	const char *base = strrchr(me, '/') ? strrchr(me, '/') + 1 : me;
	check(n == 52, "stat has Linux's 52 fields");
	check(f[1] == getpid() && strncmp(comm, base, 15) == 0 && st == 'R', "stat: pid, (comm), state R");
	check(f[4] == getppid() && f[5] == getpgrp() && f[6] == getsid(0), "stat: ppid, pgrp, session");
	check(f[23] > 0, "stat: a virtual size");

	int pfd[2];
	pipe(pfd);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		close(pfd[0]);
		write(pfd[1], "r", 1);
		pause();
		_exit(0);
	}
	char c;
	read(pfd[0], &c, 1);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	/* The child may not be parked in pause yet: give it time. */
	for (int i = 0; i < 50; i++) {
		slurp(path, b, sizeof b);
		stat_fields(b, comm, &st, f, 64);
		if (st == 'S')
			break;
		struct timespec d = { 0, 20 * 1000 * 1000 };
		nanosleep(&d, NULL);
	}
	check(stat_fields(b, comm, &st, f, 64) == 52 && f[1] == pid && f[4] == getpid() && f[5] == pid,
	      "a child's stat: its pid, its parent, its own group");
	check(st == 'S', "a child in pause is S (sleeping)");
	kill(pid, SIGKILL);
	for (int i = 0; i < 50; i++) {
		slurp(path, b, sizeof b);
		stat_fields(b, comm, &st, f, 64);
		if (st == 'Z')
			break;
		struct timespec d = { 0, 20 * 1000 * 1000 };
		nanosleep(&d, NULL);
	}
	check(st == 'Z' && f[52] == SIGKILL, "killed and not yet waited for: Z, with its exit code");
	snprintf(path, sizeof path, "/proc/%d/exe", pid);
	check(err_is(readlink(path, b, sizeof b), ENOENT), "a zombie's exe is ENOENT");
	int ws;
	waitpid(pid, &ws, 0);
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	check(err_is(open(path, O_RDONLY), ENOENT), "a reaped child's directory is gone");
	close(pfd[0]);
	close(pfd[1]);
}

/* cmdline of a child exec'd (through /proc/self/exe) with argv holding
 * an empty string and spaces. */
static void cmdline(const char *me)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)me, "child", "", "two words", NULL };
		execv("/proc/self/exe", argv);
		_exit(99);
	}
	int ws;
	check(waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
	      "exec of /proc/self/exe runs the program, which finds its argv, NULs and all, in /proc/self/cmdline");
}

static int child_cmdline(int argc, char **argv)
{
	char b[512], want[512];
	long n = slurp("/proc/self/cmdline", b, sizeof b), w = 0;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;
		memcpy(want + w, argv[i], l);
		w += l;
	}
	char exe[256];
	long e = readlink("/proc/self/exe", exe, sizeof exe);
	int exe_ok = e == (long)strlen(argv[0]) && memcmp(exe, argv[0], e) == 0;
	return !(n == w && memcmp(b, want, w) == 0 && exe_ok);
}

/* The maps line whose range holds `addr`, or NULL. */
static char *map_line(char *maps, unsigned long addr)
{
	for (char *l = maps; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long a, b;
		if (sscanf(l, "%lx-%lx", &a, &b) == 2 && a <= addr && addr < b)
			return l;
	}
	return NULL;
}

static int line_has(const char *l, const char *s)
{
	const char *e = l ? strchr(l, '\n') : NULL;
	const char *f = l ? strstr(l, s) : NULL;
	return f && (!e || f < e);
}

static void maps(const char *me)
{
	static char m[65536];
	int local = 0;
	check(slurp("/proc/self/maps", m, sizeof m) > 0, "read /proc/self/maps");
	char *code = map_line(m, (unsigned long)&maps);
	check(line_has(code, "r-xp") && line_has(code, me), "maps: the code's line is r-xp and names the executable");
	char *stack = map_line(m, (unsigned long)&local);
	check(line_has(stack, "rw-p") && line_has(stack, "[stack]"), "maps: the stack's line is rw-p [stack]");
	int ascending = 1;
	unsigned long last = 0;
	for (char *l = m; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned long a, b;
		char perm[5];
		if (sscanf(l, "%lx-%lx %4s", &a, &b, perm) != 3 || a < last || b <= a)
			ascending = 0;
		last = b;
	}
	check(ascending, "maps: every line is start-end perms, in ascending order");

	int fd = open("/proc/self/maps", O_RDONLY);
	char *p = mmap(NULL, 5 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static char before[65536];
	long n = read(fd, before, sizeof before - 1);
	before[n > 0 ? n : 0] = 0;
	check(p != MAP_FAILED && map_line(before, (unsigned long)p) == NULL, "a descriptor reads the maps of when it was opened");
	slurp("/proc/self/maps", m, sizeof m);
	char *l = map_line(m, (unsigned long)p);
	check(line_has(l, "r--p"), "a new open shows the new read-only mapping");
	struct stat st;
	off_t end = lseek(fd, 0, SEEK_END);
	check(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && end == st.st_size && end == n, "lseek SEEK_END is the snapshot's size");
	char again[64];
	check(lseek(fd, 0, SEEK_SET) == 0 && read(fd, again, 20) == 20 && memcmp(again, before, 20) == 0 &&
	      pread(fd, again, 10, 5) == 10 && memcmp(again, before + 5, 10) == 0, "lseek back and pread read the same bytes");
	close(fd);
	munmap(p, 5 * 4096);
}

static void meminfo_uptime(void)
{
	char b[2048];
	unsigned long total = 0, avail = 0;
	check(slurp("/proc/meminfo", b, sizeof b) > 0, "read /proc/meminfo");
	char *t = strstr(b, "MemTotal:"), *f = strstr(b, "MemFree:");
	check(t == b && f && sscanf(t, "MemTotal: %lu kB", &total) == 1 && sscanf(f, "MemFree: %lu kB", &avail) == 1 &&
	      total > 0 && avail <= total && strstr(t, " kB\n"), "meminfo: MemTotal and MemFree in kB, free <= total");
	double u1, u2, idle;
	slurp("/proc/uptime", b, sizeof b);
	int ok = sscanf(b, "%lf %lf", &u1, &idle) == 2;
	struct timespec d = { 0, 300 * 1000 * 1000 };
	nanosleep(&d, NULL);
	slurp("/proc/uptime", b, sizeof b);
	ok &= sscanf(b, "%lf", &u2) == 1;
	check(ok && u1 > 0 && u2 - u1 >= 0.25 && u2 - u1 < 5, "uptime grows with the clock");
}

static int listed(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;
	while (d && (e = readdir(d)))
		found |= strcmp(e->d_name, name) == 0;
	if (d)
		closedir(d);
	return found;
}

static void listing(void)
{
	char me[16], kid[16];
	snprintf(me, sizeof me, "%d", getpid());
	pid_t pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	snprintf(kid, sizeof kid, "%d", pid);
	check(listed("/proc", "self") && listed("/proc", "meminfo") && listed("/proc", me) && listed("/proc", kid),
	      "ls /proc: self, meminfo, this pid and a child's");
	kill(pid, SIGKILL);
	int ws;
	waitpid(pid, &ws, 0);
	check(!listed("/proc", kid), "a reaped child is no longer listed");
	check(listed("/proc/self", "stat") && listed("/proc/self", "maps") && listed("/proc/self", "exe") &&
	      listed("/proc/self", "cmdline"), "ls /proc/self: exe stat cmdline maps");
	char cwd[64], want[64];
	snprintf(want, sizeof want, "/proc/%d", getpid());
	char b[512];
	check(chdir("/proc/self") == 0 && getcwd(cwd, sizeof cwd) && strcmp(cwd, want) == 0 && slurp("stat", b, sizeof b) > 0,
	      "chdir /proc/self lands in /proc/<pid>, where stat opens");
	chdir("/");
}

static void refusals(void)
{
	char b[16];
	check(err_is(open("/proc/meminfo", O_WRONLY), EACCES), "open /proc/meminfo for writing is EACCES");
	check(err_is(open("/proc/self/stat", O_RDWR), EACCES), "open /proc/self/stat O_RDWR is EACCES");
	check(err_is(open("/proc/newfile", O_WRONLY | O_CREAT, 0644), EACCES), "creating a file in /proc is EACCES");
	check(err_is(unlink("/proc/meminfo"), EPERM), "unlink in /proc is EPERM");
	check(err_is(mkdir("/proc/newdir", 0755), EPERM) && err_is(mkdir("/proc/self", 0755), EEXIST),
	      "mkdir in /proc: EPERM, or EEXIST for a name there");
	check(err_is(open("/proc/meminfo/x", O_RDONLY), ENOTDIR), "a name below /proc/meminfo is ENOTDIR");
	check(err_is(rename("/proc/uptime", "/proc/up"), EPERM), "rename in /proc is EPERM");
	int fd = open("/proc/uptime", O_RDONLY);
	check(fd >= 0 && err_is(write(fd, "1", 1), EBADF), "write to a read-only /proc descriptor is EBADF");
	close(fd);
	check(err_is(access("/proc/meminfo", W_OK), EACCES) && access("/proc/meminfo", R_OK) == 0, "access: readable, not writable");
	check(err_is(open("/proc/99999/stat", O_RDONLY), ENOENT), "a pid that does not exist is ENOENT");
	check(err_is(open("/proc/01/stat", O_RDONLY), ENOENT), "a pid spelled with a leading zero is ENOENT");
	check(err_is(open("/proc/self/stat/x", O_RDONLY), ENOTDIR), "a name below a /proc file is ENOTDIR");
	check(err_is(open("/proc/meminfo/", O_RDONLY), ENOTDIR), "a /proc file with a trailing slash is ENOTDIR");
	check(err_is(open("/proc/self/nothing", O_RDONLY), ENOENT), "a missing name in a pid directory is ENOENT");
	fd = open("/proc/self", O_RDONLY | O_DIRECTORY);
	check(fd >= 0 && err_is(read(fd, b, sizeof b), EISDIR), "read of a /proc directory is EISDIR");
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0)
		return child_cmdline(argc, argv);
	const char *me = argv[0];
	links(me);
	stat_file(me);
	cmdline(me);
	maps(me);
	meminfo_uptime();
	listing();
	refusals();
	printf("proc: %d failures\n", failures);
	return failures;
}
