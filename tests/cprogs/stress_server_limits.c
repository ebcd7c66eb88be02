/* Bad pointers and exhausted resources: each call gets an errno (or the
 * caller dies of a signal), the server lives, and afterwards a command
 * still runs. Usage: stress_server_limits bad|args|zombies N|fds|pipe|dir N
 * Prints "limits: <what> ok|FAILED". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;
/* The files live on this system's FAT root (argument "fat"). */
static int fat;
/* The program that exits 42 ($HELLO on the host, where /bin/hello is not). */
static const char *hello = "/bin/hello";
static void check(const char *what, int cond) {
    printf("limits: %s %s\n", what, cond ? "ok" : "FAILED");
    if (!cond) failures++;
}

/* Through a volatile, so the compiler does not see the bad pointer. */
static void *volatile bad_pointer = (void *)1;
#define BAD bad_pointer

static int fails_with(long r, int e) { return r == -1 && errno == e; }

static void bad_pointers(void) {
    char *env[] = {0};
    char *argv_bad0[] = {BAD, 0};
    check("execve with argv a bad pointer is EFAULT", fails_with(execve(hello, BAD, env), EFAULT));
    check("execve with argv[0] a bad pointer is EFAULT", fails_with(execve(hello, argv_bad0, env), EFAULT));
    char *ok_argv[] = {"hello", 0};
    check("execve with envp a bad pointer is EFAULT", fails_with(execve(hello, ok_argv, BAD), EFAULT));
    check("execve with a bad path pointer is EFAULT", fails_with(execve(BAD, ok_argv, env), EFAULT));
    int fd = open("/tmp/limits-file", O_RDWR | O_CREAT | O_TRUNC, 0644);
    check("a file to work on", fd >= 0);
    close(fd);
    check("chmod with a bad path pointer is EFAULT", fails_with(chmod(BAD, 0644), EFAULT));
    check("chmod of a missing file is ENOENT", fails_with(chmod("/tmp/no-such-file", 0644), ENOENT));
    struct stat st;
    check("chmod 0755 makes the file executable",
          chmod("/tmp/limits-file", 0755) == 0 && stat("/tmp/limits-file", &st) == 0 && (st.st_mode & 07777) == 0755);
    check("chmod 0644 takes the execute bits away",
          chmod("/tmp/limits-file", 0644) == 0 && stat("/tmp/limits-file", &st) == 0 && (st.st_mode & 07777) == 0644);
    /* Only on this system's FAT root (the host's file system holds any
       mode and owner): the test passes "fat" as the second argument. */
    if (fat) {
        check("a mode FAT cannot hold is EPERM, as on Linux's vfat", fails_with(chmod("/tmp/limits-file", 0600), EPERM));
        check("chown to another owner is EPERM (nothing here is owned but by root)",
              fails_with(chown("/tmp/limits-file", 1000, 1000), EPERM));
    }
    check("chown with a bad path pointer is EFAULT", fails_with(chown(BAD, 0, 0), EFAULT));
    check("utimensat with a bad path pointer is EFAULT", fails_with(utimensat(AT_FDCWD, BAD, 0, 0), EFAULT));
    check("utimensat of a missing file is ENOENT", fails_with(utimensat(AT_FDCWD, "/tmp/no-such-file", 0, 0), ENOENT));
    check("utimensat with a bad times pointer is EFAULT", fails_with(syscall(SYS_utimensat, AT_FDCWD, "/tmp/limits-file", BAD, 0), EFAULT));
    check("utimensat of a file works", utimensat(AT_FDCWD, "/tmp/limits-file", 0, 0) == 0);
    struct timespec ts[2] = {{1000000000, UTIME_OMIT}, {1000000000, 0}};
    check("utimensat sets the modification time",
          utimensat(AT_FDCWD, "/tmp/limits-file", ts, 0) == 0 && stat("/tmp/limits-file", &st) == 0 && st.st_mtime == 1000000000);
    struct timespec badns[2] = {{0, 1000000000}, {0, 0}};
    check("utimensat with a bad tv_nsec is EINVAL", fails_with(utimensat(AT_FDCWD, "/tmp/limits-file", badns, 0), EINVAL));
    check("fchmodat with a bad path pointer is EFAULT", fails_with(fchmodat(AT_FDCWD, BAD, 0644, 0), EFAULT));
    unlink("/tmp/limits-file");
}

static void big_args(void) {
    size_t len = 128 * 1024; /* MAX_ARG_STRLEN, counting the NUL */
    char *s = malloc(len + 1);
    memset(s, 'a', len);
    s[len] = 0;
    char *one[] = {"hello", s, 0};
    check("an argument of 128 KiB + 1 is E2BIG", fails_with(execve(hello, one, 0), E2BIG));
    s[len - 1] = 0; /* now 128 KiB with its NUL: allowed per string */
    int n = 2048; /* 2048 x 128 KiB: 256 MiB of arguments */
    char **many = malloc((n + 2) * sizeof *many);
    many[0] = "hello";
    for (int i = 1; i <= n; i++) many[i] = s;
    many[n + 1] = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    check("256 MiB of arguments is E2BIG", fails_with(execve(hello, many, 0), E2BIG));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("limits: E2BIG after %ld ms\n", ms);
    check("and it says so without reading them all (under 2 s)", ms < 2000);
    many[17] = 0; /* 16 x 128 KiB = 2 MiB: past a quarter of the 8 MiB stack */
    check("2 MiB of arguments is E2BIG", fails_with(execve(hello, many, 0), E2BIG));
    many[4] = 0; /* 384 KiB */
    pid_t c = fork();
    if (c == 0) {
        execve(hello, many, 0);
        _exit(99);
    }
    int st = 0;
    check("384 KiB of arguments runs", waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42);
}

static void zombies(int n) {
    int made = 0, eagain = 0, other = 0;
    for (int i = 0; i < n; i++) {
        pid_t c = fork();
        if (c == 0) _exit(0);
        if (c > 0) made++;
        else if (errno == EAGAIN) eagain++;
        else other++;
    }
    printf("limits: %d zombies made, %d EAGAIN, %d other errors\n", made, eagain, other);
    check("every fork made a zombie or said EAGAIN", other == 0 && made + eagain == n && made > 0);
    int reaped = 0;
    while (waitpid(-1, 0, 0) > 0) reaped++;
    check("every zombie was reaped", reaped == made);
}

static void fds(void) {
    int n = 0, last = 0, e = 0;
    for (;;) {
        int fd = open("/tmp", O_RDONLY);
        if (fd < 0) {
            e = errno;
            break;
        }
        n++;
        last = fd;
    }
    printf("limits: %d descriptors opened, then errno %d\n", n, e);
    check("opening until the limit ends in EMFILE", e == EMFILE && n > 100);
    for (int fd = 3; fd <= last; fd++) close(fd);
    int fd = open("/tmp", O_RDONLY);
    check("after closing them, open works again", fd >= 0);
    close(fd);
}

static void pipes(void) {
    int p[2];
    check("a pipe", pipe(p) == 0);
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    long total = 0;
    ssize_t w;
    while ((w = write(p[1], buf, sizeof buf)) > 0) total += w;
    printf("limits: the pipe took %ld bytes\n", total);
    check("a non-blocking writer nobody reads gets EAGAIN", w == -1 && errno == EAGAIN && total > 0);
    pid_t c = fork();
    if (c == 0) {
        fcntl(p[1], F_SETFL, 0);
        for (;;) write(p[1], buf, sizeof buf);
    }
    usleep(300000);
    kill(c, SIGTERM);
    int st = 0;
    check("a blocked writer dies of SIGTERM", waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    check("with the reader gone, the write is EPIPE", fails_with(write(p[1], buf, 1), EPIPE));
    close(p[1]);
}

static void dir(int n) {
    mkdir("/tmp/many", 0755);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int made = 0, e = 0;
    char name[64];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "/tmp/many/file-%05d", i);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0) {
            e = errno;
            break;
        }
        close(fd);
        made++;
        if ((i + 1) % 1000 == 0) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            printf("limits: %d files after %ld ms\n", i + 1, (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
        }
    }
    printf("limits: %d files made, then errno %d\n", made, e);
    check("every file was made", made == n && e == 0);
    struct stat st;
    snprintf(name, sizeof name, "/tmp/many/file-%05d", made - 1);
    check("the last one is there", stat(name, &st) == 0);
    int gone = 0;
    for (int i = 0; i < made; i++) {
        snprintf(name, sizeof name, "/tmp/many/file-%05d", i);
        gone += unlink(name) == 0;
    }
    check("and they all unlink", gone == made);
    check("the directory is removed", rmdir("/tmp/many") == 0);
}

int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "bad";
    fat = argc > 2 && !strcmp(argv[2], "fat");
    if (getenv("HELLO")) hello = getenv("HELLO");
    setvbuf(stdout, 0, _IONBF, 0);
    int n = argc > 2 ? atoi(argv[2]) : 0;
    if (!strcmp(what, "bad")) bad_pointers();
    else if (!strcmp(what, "args")) big_args();
    else if (!strcmp(what, "zombies")) zombies(n);
    else if (!strcmp(what, "fds")) fds();
    else if (!strcmp(what, "pipe")) pipes();
    else if (!strcmp(what, "dir")) dir(n);
    pid_t c = fork();
    if (c == 0) {
        execl(hello, "hello", (char *)0);
        _exit(99);
    }
    int st = 0;
    check("a command still runs afterwards", waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42);
    printf("limits: %d failures\n", failures);
    return failures != 0;
}
