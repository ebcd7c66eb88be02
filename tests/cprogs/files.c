/* The file system calls and their errors, on the root disk. Prints
 * "ok <what>" or "FAIL <what>" per check, then "files done N failures". */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/uio.h>
#include <unistd.h>
#include <signal.h>

static int failures;

static void check(const char *what, int cond) {
    printf("%s %s\n", cond ? "ok" : "FAIL", what);
    if (!cond) failures++;
}

static int err_is(long r, int e) { return r == -1 && errno == e; }

static void basic_io(void) {
    int fd = open("/tmp/a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    check("open O_CREAT", fd >= 0);
    check("write", write(fd, "hello world\n", 12) == 12);
    check("lseek SEEK_SET", lseek(fd, 6, SEEK_SET) == 6);
    char b[32] = {0};
    check("read after seek", read(fd, b, 5) == 5 && memcmp(b, "world", 5) == 0);
    check("pread", pread(fd, b, 5, 0) == 5 && memcmp(b, "hello", 5) == 0);
    check("pwrite", pwrite(fd, "HELLO", 5, 0) == 5);
    check("offset kept by pread/pwrite", lseek(fd, 0, SEEK_CUR) == 11);
    struct iovec iov[2] = {{"ab", 2}, {"cd", 2}};
    lseek(fd, 0, SEEK_END);
    check("writev", writev(fd, iov, 2) == 4);
    struct stat st;
    check("fstat size", fstat(fd, &st) == 0 && st.st_size == 16 && S_ISREG(st.st_mode));
    check("ftruncate", ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5);
    check("fsync", fsync(fd) == 0);
    close(fd);
    check("stat nlink/ino", stat("/tmp/a.txt", &st) == 0 && st.st_nlink == 1 && st.st_ino != 0);
    struct stat st2;
    check("stable inode", stat("/tmp/a.txt", &st2) == 0 && st2.st_ino == st.st_ino);
    fd = open("/tmp/a.txt", O_WRONLY | O_APPEND);
    check("O_APPEND", write(fd, "xyz", 3) == 3 && fstat(fd, &st) == 0 && st.st_size == 8);
    close(fd);
    fd = open("/tmp/a.txt", O_RDONLY);
    char c[16] = {0};
    struct iovec r[2] = {{c, 3}, {c + 3, 5}};
    check("readv", readv(fd, r, 2) == 8 && memcmp(c, "HELLOxyz", 8) == 0);
    check("read at EOF", read(fd, c, 4) == 0);
    check("write on O_RDONLY: EBADF", err_is(write(fd, "x", 1), EBADF));
    close(fd);
}

static void errors(void) {
    check("ENOENT", err_is(open("/nonexistent", O_RDONLY), ENOENT));
    check("ENOTDIR", err_is(open("/tmp/a.txt/x", O_RDONLY), ENOTDIR));
    check("EISDIR", err_is(open("/tmp", O_WRONLY), EISDIR));
    check("EEXIST", err_is(open("/tmp/a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST));
    check("EBADF close", err_is(close(999), EBADF));
    check("EFAULT", err_is(open((char *)8, O_RDONLY), EFAULT));
    char longname[300];
    memset(longname, 'n', 299);
    longname[299] = 0;
    check("ENAMETOOLONG", err_is(open(longname, O_RDONLY), ENAMETOOLONG));
    check("O_DIRECTORY on a file: ENOTDIR", err_is(open("/tmp/a.txt", O_RDONLY | O_DIRECTORY), ENOTDIR));
    check("lseek negative: EINVAL", err_is(lseek(0 + open("/tmp/a.txt", O_RDONLY), -5, SEEK_SET), EINVAL));
    check("readlink on FAT: EINVAL", err_is(readlink("/tmp/a.txt", longname, 10), EINVAL));
    check("access F_OK", access("/tmp/a.txt", F_OK) == 0 && err_is(access("/nope", F_OK), ENOENT));
}

static void dirs(void) {
    check("mkdir", mkdir("/tmp/d", 0755) == 0);
    check("mkdir EEXIST", err_is(mkdir("/tmp/d", 0755), EEXIST));
    int fd = open("/tmp/d/f1", O_CREAT | O_WRONLY, 0644);
    close(fd);
    check("rmdir ENOTEMPTY", err_is(rmdir("/tmp/d"), ENOTEMPTY));
    check("rmdir on a file: ENOTDIR", err_is(rmdir("/tmp/d/f1"), ENOTDIR));
    check("unlink on a dir: EISDIR", err_is(unlink("/tmp/d"), EISDIR));
    check("chdir", chdir("/tmp/d") == 0);
    char cwd[64];
    check("getcwd", getcwd(cwd, sizeof cwd) && strcmp(cwd, "/tmp/d") == 0);
    check("relative open", access("f1", F_OK) == 0);
    check("chdir to a file: ENOTDIR", err_is(chdir("f1"), ENOTDIR));
    fd = open("f2", O_CREAT | O_WRONLY, 0644);
    write(fd, "two", 3);
    close(fd);
    check("rename over an existing file", rename("f2", "f1") == 0 && access("f2", F_OK) != 0);
    struct stat st;
    check("renamed content", stat("f1", &st) == 0 && st.st_size == 3);
    DIR *d = opendir(".");
    int seen = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) seen += strcmp(e->d_name, "f1") == 0;
    if (d) closedir(d);
    check("getdents64 sees f1", seen == 1);
    int dfd = open("/tmp", O_RDONLY | O_DIRECTORY);
    check("openat relative to a dir fd", openat(dfd, "d/f1", O_RDONLY) >= 0);
    check("fstatat", fstatat(dfd, "d", &st, 0) == 0 && S_ISDIR(st.st_mode));
    check("unlinkat", unlinkat(dfd, "d/f1", 0) == 0);
    check("fchdir", fchdir(dfd) == 0 && getcwd(cwd, sizeof cwd) && strcmp(cwd, "/tmp") == 0);
    check("rmdir", rmdir("/tmp/d") == 0);
    check("mkdirat", mkdirat(dfd, "e", 0755) == 0 && unlinkat(dfd, "e", AT_REMOVEDIR) == 0);
    close(dfd);
    chdir("/");
}

static void fds(void) {
    int fd = open("/tmp/a.txt", O_RDONLY);
    int d = dup(fd);
    check("dup shares the offset", lseek(fd, 3, SEEK_SET) == 3 && lseek(d, 0, SEEK_CUR) == 3);
    check("dup2", dup2(fd, 20) == 20);
    check("dup3 same fd: EINVAL", err_is(dup3(fd, fd, 0), EINVAL));
    check("dup3 O_CLOEXEC", dup3(fd, 21, O_CLOEXEC) == 21 && fcntl(21, F_GETFD) == FD_CLOEXEC);
    check("F_DUPFD", fcntl(fd, F_DUPFD, 30) == 30);
    check("F_DUPFD_CLOEXEC", fcntl(fd, F_DUPFD_CLOEXEC, 40) == 40 && fcntl(40, F_GETFD) == FD_CLOEXEC);
    check("F_SETFD", fcntl(40, F_SETFD, 0) == 0 && fcntl(40, F_GETFD) == 0);
    check("F_SETFL O_NONBLOCK", fcntl(fd, F_SETFL, O_NONBLOCK) == 0 && (fcntl(d, F_GETFL) & O_NONBLOCK));
    pid_t pid = fork();
    if (pid == 0) {
        lseek(fd, 7, SEEK_SET);
        _exit(0);
    }
    waitpid(pid, 0, 0);
    check("offset shared with a forked child", lseek(fd, 0, SEEK_CUR) == 7);
    struct rlimit { long cur, max; } rl = {64, 64};
    setrlimit(7 /* RLIMIT_NOFILE */, (void *)&rl);
    int n = 0, last = 0;
    while ((last = dup(fd)) >= 0) n++;
    check("EMFILE", errno == EMFILE);
}

static void devs(void) {
    int fd = open("/dev/null", O_RDWR);
    char b[8] = {1, 1, 1, 1};
    check("/dev/null", write(fd, "abc", 3) == 3 && read(fd, b, 4) == 0);
    fd = open("/dev/zero", O_RDONLY);
    check("/dev/zero", read(fd, b, 4) == 4 && b[0] == 0 && b[3] == 0);
    fd = open("/dev/full", O_WRONLY);
    check("/dev/full: ENOSPC", err_is(write(fd, "x", 1), ENOSPC));
    fd = open("/dev/urandom", O_RDONLY);
    check("/dev/urandom", read(fd, b, 8) == 8);
    check("/dev/tty is a tty", isatty(open("/dev/tty", O_RDWR)));
}

static void pipes(void) {
    int p[2];
    check("pipe", pipe(p) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        for (int i = 0; i < 100; i++) write(p[1], "0123456789", 10);
        _exit(0);
    }
    close(p[1]);
    char b[256];
    long total = 0, n;
    while ((n = read(p[0], b, sizeof b)) > 0) total += n;
    check("pipe between processes, EOF at the last close", n == 0 && total == 1000);
    waitpid(pid, 0, 0);
    close(p[0]);
    check("pipe2 O_NONBLOCK", pipe2(p, O_NONBLOCK) == 0 && err_is(read(p[0], b, 1), EAGAIN));
    signal(SIGPIPE, SIG_IGN);
    close(p[0]);
    check("EPIPE", err_is(write(p[1], "x", 1), EPIPE));
}

int main(void) {
    basic_io();
    errors();
    dirs();
    devs();
    pipes();
    fds();
    sync();
    printf("files done %d failures\n", failures);
    return failures != 0;
}
