/* Bad pointers to the calls emulib answers itself (read, write, pread64,
 * pwrite64, readv, writev on a mapped regular file; clock_gettime and
 * gettimeofday): each case runs in a child, so a SIGSEGV is seen as such,
 * and prints "badptr: <case> = <result>" (a count, an errno name, or
 * "signal N"). The same binary run on Linux gives the expected lines;
 * the test compares. Ends with "badptr: done". */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FILE_BYTES 12288
static const char *path = "/tmp/stress_emulib_badptr.bin";
static char *edge;       /* first byte of an unmapped page; the page below is mapped */
static char *rdonly;     /* a read-only page */
static const unsigned long kernel_half = 0xffff800000001000ul;

static const char *name(long r) {
    static char b[32];
    switch (r) {
    case -EFAULT: return "EFAULT";
    case -EINVAL: return "EINVAL";
    case -EBADF: return "EBADF";
    case -ENOSYS: return "ENOSYS";
    }
    snprintf(b, sizeof b, "%ld", r);
    return b;
}

/* A raw call's result as the kernel gave it (-errno, not -1). */
static long raw(long nr, long a, long b, long c, long d) {
    long r = syscall(nr, a, b, c, d);
    return r == -1 ? -errno : r;
}

static int fd_at(int flags, long off) {
    int fd = open(path, flags);
    if (fd >= 0) lseek(fd, off, SEEK_SET);
    return fd;
}

/* Byte i of the file is (i * 7) mod 251: a read's bytes say where they
 * came from. */
static int good_bytes(const char *p, long off, long n) {
    for (long i = 0; i < n; i++)
        if ((unsigned char)p[i] != (unsigned char)((off + i) * 7 % 251)) return 0;
    return 1;
}

static void on_signal(int sig) {
    printf("badptr: handler ran for %d\n", sig);
    fflush(stdout);
    _exit(0);
}

static void report(const char *what, long r) {
    printf("badptr: %s = %s\n", what, name(r));
}

/* The description's offset after a call. */
static void report_offset(const char *what, int fd) {
    printf("badptr: %s offset after = %ld\n", what, (long)lseek(fd, 0, SEEK_CUR));
}

static void run_case(int which) {
    int rd = fd_at(O_RDONLY, 0), wr = fd_at(O_RDWR, 0);
    char *cross = edge - 100; /* 100 mapped bytes, then the hole */
    struct iovec two[2];
    switch (which) {
    case 0:
        report("read into an unmapped buffer", raw(SYS_read, rd, (long)edge, 200, 0));
        report_offset("read into an unmapped buffer", rd);
        break;
    case 1: {
        long r = raw(SYS_read, rd, (long)cross, 200, 0);
        report("read across the edge", r);
        report_offset("read across the edge", rd);
        printf("badptr: read across the edge bytes %s\n", r > 0 && good_bytes(cross, 0, r) ? "right" : "wrong");
        break;
    }
    case 2:
        report("pread into an unmapped buffer", raw(SYS_pread64, rd, (long)edge, 200, 4096));
        break;
    case 3: {
        long r = raw(SYS_pread64, rd, (long)cross, 200, 4096);
        report("pread across the edge", r);
        printf("badptr: pread across the edge bytes %s\n", r > 0 && good_bytes(cross, 4096, r) ? "right" : "wrong");
        break;
    }
    case 4:
        report("read into a read-only page", raw(SYS_read, rd, (long)rdonly, 100, 0));
        break;
    case 5:
        report("read into the kernel half", raw(SYS_read, rd, kernel_half, 100, 0));
        break;
    case 6:
        report("write from an unmapped buffer", raw(SYS_write, wr, (long)edge, 200, 0));
        report_offset("write from an unmapped buffer", wr);
        break;
    case 7:
        memset(cross, 'x', 100);
        report("write across the edge", raw(SYS_write, wr, (long)cross, 200, 0));
        report_offset("write across the edge", wr);
        break;
    case 8:
        report("pwrite from an unmapped buffer", raw(SYS_pwrite64, wr, (long)edge, 200, 0));
        break;
    case 9:
        memset(cross, 'y', 100);
        report("pwrite across the edge", raw(SYS_pwrite64, wr, (long)cross, 200, 4096));
        break;
    case 10:
        report("write from the kernel half", raw(SYS_write, wr, kernel_half, 100, 0));
        break;
    case 11:
        report("readv with an unmapped iovec array", raw(SYS_readv, rd, (long)edge, 1, 0));
        report_offset("readv with an unmapped iovec array", rd);
        break;
    case 12:
        report("writev with an unmapped iovec array", raw(SYS_writev, wr, (long)edge, 1, 0));
        break;
    case 13: {
        /* The array's first element is mapped, the second in the hole. */
        struct iovec *v = (struct iovec *)(edge - sizeof *v);
        static char b[64];
        v[0].iov_base = b;
        v[0].iov_len = 64;
        report("readv with an array across the edge", raw(SYS_readv, rd, (long)v, 2, 0));
        break;
    }
    case 14: {
        static char b[50];
        two[0] = (struct iovec){b, 50};
        two[1] = (struct iovec){edge, 50};
        report("readv with a bad second element", raw(SYS_readv, rd, (long)two, 2, 0));
        report_offset("readv with a bad second element", rd);
        printf("badptr: readv first element bytes %s\n", good_bytes(b, 0, 50) ? "right" : "wrong");
        break;
    }
    case 15: {
        static char b[50];
        memset(b, 'z', 50);
        two[0] = (struct iovec){b, 50};
        two[1] = (struct iovec){edge, 50};
        report("writev with a bad second element", raw(SYS_writev, wr, (long)two, 2, 0));
        report_offset("writev with a bad second element", wr);
        break;
    }
    case 16: {
        static char b[50];
        two[0] = (struct iovec){b, 50};
        two[1] = (struct iovec){(void *)kernel_half, 50};
        report("readv with a kernel-half second element", raw(SYS_readv, rd, (long)two, 2, 0));
        break;
    }
    case 17: {
        static char b[50];
        two[0] = (struct iovec){b, 50};
        two[1] = (struct iovec){edge - 20, 50};
        report("readv with a second element across the edge", raw(SYS_readv, rd, (long)two, 2, 0));
        break;
    }
    case 18:
        report("clock_gettime into an unmapped timespec", raw(SYS_clock_gettime, CLOCK_MONOTONIC, (long)edge, 0, 0));
        break;
    case 19:
        report("clock_gettime across the edge", raw(SYS_clock_gettime, CLOCK_REALTIME, (long)(edge - 8), 0, 0));
        break;
    case 20:
        report("gettimeofday into an unmapped timeval", raw(SYS_gettimeofday, (long)edge, 0, 0, 0));
        break;
    case 21:
        report("readv of a closed descriptor with an unmapped array", raw(SYS_readv, 99, (long)edge, 1, 0));
        break;
    case 22: case 23: {
        /* A handler on an alternate stack that is not mapped: the frame
         * cannot be written (Linux: SIGSEGV, whatever the handler). */
        stack_t ss = {.ss_sp = edge, .ss_size = 65536};
        struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_ONSTACK};
        int sig = which == 22 ? SIGUSR1 : SIGSEGV;
        sigaction(sig, &sa, 0);
        printf("badptr: sigaltstack on unmapped memory = %s\n", name(raw(SYS_sigaltstack, (long)&ss, 0, 0, 0)));
        fflush(stdout);
        if (which == 22) raise(SIGUSR1);
        else *(volatile int *)(long)getpagesize() = 1; /* page 1 is never mapped */
        printf("badptr: case %d came back\n", which);
        break;
    }
    case 24: case 25:
        /* rt_sigreturn with no frame at rsp: SIGSEGV (with a handler for
         * it or without). */
        if (which == 25) {
            struct sigaction sa = {.sa_handler = on_signal};
            sigaction(SIGSEGV, &sa, 0);
        }
        __asm__ volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tsyscall" ::"r"(edge + 64) : "memory");
        break;
    default:
        break;
    }
    fflush(stdout);
}

#define CASES 26

int main(void) {
    static char pattern[FILE_BYTES];
    for (long i = 0; i < FILE_BYTES; i++) pattern[i] = (char)(i * 7 % 251);
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0 || write(fd, pattern, FILE_BYTES) != FILE_BYTES) {
        printf("badptr: cannot make %s FAILED\n", path);
        return 1;
    }
    close(fd);
    char *two_pages = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    rdonly = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (two_pages == MAP_FAILED || rdonly == MAP_FAILED || munmap(two_pages + 4096, 4096) != 0) {
        printf("badptr: cannot map FAILED\n");
        return 1;
    }
    edge = two_pages + 4096;
    for (int c = 0; c < CASES; c++) {
        /* Every case starts from the original file. */
        fd = open(path, O_RDWR);
        if (fd < 0 || pwrite(fd, pattern, FILE_BYTES, 0) != FILE_BYTES) printf("badptr: reset FAILED\n");
        close(fd);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            run_case(c);
            _exit(0);
        }
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) != pid) printf("badptr: case %d not waited FAILED\n", c);
        else if (WIFSIGNALED(st)) printf("badptr: case %d = signal %d\n", c, WTERMSIG(st));
        else if (WEXITSTATUS(st) != 0) printf("badptr: case %d = exit %d\n", c, WEXITSTATUS(st));
        /* What the writes left in the file. */
        fd = open(path, O_RDONLY);
        static char now[FILE_BYTES];
        long n = fd < 0 ? -1 : pread(fd, now, FILE_BYTES, 0);
        close(fd);
        long first = -1, count = 0;
        for (long i = 0; i < n; i++)
            if (now[i] != pattern[i]) {
                if (first < 0) first = i;
                count++;
            }
        if (n != FILE_BYTES || count)
            printf("badptr: case %d changed %ld bytes from %ld (length %ld)\n", c, count, first, n);
    }
    unlink(path);
    printf("badptr: done\n");
    return 0;
}
