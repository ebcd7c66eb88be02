/* A system call fuzzer: random calls (numbers 0..460) with random
 * arguments (small integers, pointers to a scratch buffer and across its
 * edge, NULL and unmapped low pages, the kernel half, non-canonical
 * addresses, emulib's range, the top of the user range, huge sizes,
 * random words) from throw-away children, BATCH calls each, until COUNT
 * calls were made. Each call must give an errno or a value, or kill its
 * caller with a signal; the kernel and the UNIX server must live on, and
 * afterwards fork+exec must still work.
 *
 *   stress_emulib_fuzz SEED COUNT            the run (prints the seed first)
 *   stress_emulib_fuzz SEED COUNT K          only child K's batch, for a
 *                                            repro, with every call listed
 *   stress_emulib_fuzz SEED COUNT -1 P       P children at once (default 2)
 *
 * A quarter of the calls are drawn from the ones emulib answers itself
 * (read, write, pread64, pwrite64, readv, writev, lseek on the mapped
 * fuzz file; clock_gettime, gettimeofday, arch_prctl, set_tid_address).
 *
 * Reproducible: child K draws from a generator seeded with (SEED, K)
 * alone. Before each call a child writes it (its index, number and
 * arguments) into a MAP_SHARED page, so the parent can name the call in
 * flight when the child dies or hangs.
 *
 * Skipped, because they would legitimately end or stall the run rather
 * than test anything: exit, exit_group (end the batch), pause,
 * rt_sigsuspend, nanosleep, clock_nanosleep (sleep, maybe for ever),
 * vfork (suspends the parent), reboot (ends the machine). Calls that
 * name a process (kill, tkill, tgkill, rt_sigqueueinfo,
 * rt_tgsigqueueinfo, prlimit64, setpgid) are aimed at the child itself,
 * so that it cannot kill or cripple the parent or init. The children's
 * descriptors 0..2 are /dev/null (no console reads, no garbage on the
 * console), 3..8 are a regular file (read-write and read-only), a
 * non-blocking pipe, /dev/zero and the root directory, and each child is
 * its own session. A child that makes no
 * progress for HANG_MS is killed and counted as hung.
 *
 * Output: "fuzz: ..." lines; a death or hang names the call in flight;
 * the summary; "fuzz: fork+exec after the run ok|FAILED"; "fuzz: done". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 100
#define MAX_NR 460
#define HANG_MS 2000
#define SCRATCH (64 * 1024)
#define REPORTS 40 /* deaths and hangs named one by one, then only counted */

struct shared {
    volatile long index; /* of the call in flight in the batch */
    volatile long nr, a[6];
    volatile long made;  /* calls made (returned or in flight) */
    /* Every call of the batch and its result (for a repro's listing). */
    volatile long log[BATCH][8];
};
#define SHARED_BYTES ((sizeof(struct shared) + 4095) & ~4095ul)
#define MAX_PARALLEL 8

static const char *FUZZ_FILE = "/tmp/stress_emulib_fuzz.bin";
static unsigned long rng;

static unsigned long next(void) { /* splitmix64 */
    unsigned long z = (rng += 0x9e3779b97f4a7c15ul);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ul;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebul;
    return z ^ (z >> 31);
}

static char *scratch; /* SCRATCH bytes, an unmapped page after them */

static long arg(void) {
    unsigned long r = next();
    switch (r % 16) {
    case 0: case 1: case 2: return (long)((r >> 8) % 8);
    case 3: return -1;
    case 4: return (long)(scratch + (r >> 8) % SCRATCH);
    case 5: return (long)(scratch + SCRATCH - (r >> 8) % 256);          /* across the edge */
    case 6: return (long)(((r >> 8) % 16) * 4096);                      /* NULL, unmapped low pages */
    case 7: return (long)(0xffff800000000000ul + ((r >> 8) & 0xfffffff000ul)); /* the kernel half */
    case 8: return (long)(0x8000000000000000ul | (r >> 4));             /* non-canonical */
    case 9: return (long)(0x7ffffffff000ul - (r >> 8) % 8192);          /* the top of the user range */
    case 10: return (long)(0x7f0000000000ul + (r >> 8) % 0x10000000);   /* emulib's range */
    case 11: return (long)(1ul << (30 + (r >> 8) % 34));                /* huge sizes */
    case 12: return (long)((r >> 8) % 65536);
    case 13: return (long)r;
    case 14: return (long)(unsigned)r;
    default: return (long)((r >> 8) % 4096);
    }
}

static int skipped(long nr) {
    switch (nr) {
    case SYS_exit: case SYS_exit_group: case SYS_pause: case SYS_rt_sigsuspend: case SYS_nanosleep:
    case SYS_clock_nanosleep: case SYS_vfork: case SYS_reboot:
        return 1;
    }
    return 0;
}

/* A quarter of the calls are ones emulib answers itself, on the mapped
 * fuzz file when they take a descriptor: its copies, offsets and
 * iovecs see the random pointers and sizes most. */
static void local_bias(long *nr, long *a) {
    static const long local[] = {SYS_read, SYS_write, SYS_pread64, SYS_pwrite64, SYS_readv, SYS_writev,
                                 SYS_lseek, SYS_clock_gettime, SYS_gettimeofday, SYS_arch_prctl, SYS_set_tid_address};
    unsigned long r = next();
    if (r % 4) return;
    int k = (int)((r >> 8) % (sizeof local / sizeof local[0]));
    *nr = local[k];
    if (k <= 6) a[0] = 3 + (long)((r >> 16) % 2);
}

/* Arguments that name a process name the caller. */
static void aim_at_self(long nr, long *a, long me) {
    switch (nr) {
    case SYS_kill: case SYS_tkill: case SYS_rt_sigqueueinfo: a[0] = me; break;
    case SYS_tgkill: case SYS_rt_tgsigqueueinfo: a[0] = me; a[1] = me; break;
    case SYS_prlimit64: case SYS_setpgid: a[0] = 0; break;
    }
}

/* The call. rbx keeps the number across it (every register but rax, rcx
 * and r11 survives a system call): a process or thread that a fork or
 * clone made starts right after the syscall, maybe on a wild stack, and
 * leaves at once with exit, touching no memory. */
static long raw(long nr, const long *a) {
    register long r10 __asm__("r10") = a[3], r8 __asm__("r8") = a[4], r9 __asm__("r9") = a[5];
    long ret;
    __asm__ volatile(
        "mov %%rax, %%rbx\n\t"
        "syscall\n\t"
        "test %%rax, %%rax\n\t"
        "jnz 1f\n\t"
        "cmp $56, %%rbx\n\t" /* clone */
        "je 2f\n\t"
        "cmp $57, %%rbx\n\t" /* fork */
        "je 2f\n\t"
        "cmp $435, %%rbx\n\t" /* clone3 */
        "jne 1f\n"
        "2:\n\t"
        "mov $60, %%eax\n\t"
        "xor %%edi, %%edi\n\t"
        "syscall\n\t"
        "hlt\n"
        "1:"
        : "=a"(ret)
        : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
        : "rbx", "rcx", "r11", "memory");
    return ret;
}

static long raw0(long nr) {
    long z[6] = {0};
    return raw(nr, z);
}

static void child(unsigned long seed, long k, struct shared *sh) {
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0), dup2(null, 1), dup2(null, 2);
        if (null > 2) close(null);
    }
    /* Live descriptors for the small integers to name: 3 and 4 the
     * fuzz file read-write and read-only (mapped: emulib answers their
     * reads and writes itself), 5 and 6 a non-blocking pipe, 7
     * /dev/zero, 8 the root directory. */
    open(FUZZ_FILE, O_RDWR);
    open(FUZZ_FILE, O_RDONLY);
    int p[2];
    pipe2(p, O_NONBLOCK);
    open("/dev/zero", O_RDWR);
    open("/", O_RDONLY | O_DIRECTORY);
    scratch = mmap(0, SCRATCH + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (scratch == MAP_FAILED) _exit(111);
    munmap(scratch + SCRATCH, 4096);
    long me = raw0(SYS_getpid);
    rng = seed * 0x100000001b3ul ^ (unsigned long)k * 0xff51afd7ed558ccdul;
    for (long i = 0; i < BATCH; i++) {
        long nr = (long)(next() % (MAX_NR + 1)), a[6];
        for (int j = 0; j < 6; j++) a[j] = arg();
        local_bias(&nr, a);
        if (skipped(nr)) continue;
        aim_at_self(nr, a, me);
        sh->index = i;
        sh->nr = nr;
        for (int j = 0; j < 6; j++) sh->a[j] = a[j];
        sh->made++;
        sh->log[i][0] = nr;
        for (int j = 0; j < 6; j++) sh->log[i][1 + j] = a[j];
        sh->log[i][7] = raw(nr, a);
    }
    raw0(SYS_exit_group);
}

static void nap_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&t, 0);
}

static void name_call(const char *what, unsigned long seed, long k, struct shared *sh) {
    printf("fuzz: seed %lu child %ld %s in call %ld: %ld(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)\n", seed, k, what,
           sh->index, sh->nr, sh->a[0], sh->a[1], sh->a[2], sh->a[3], sh->a[4], sh->a[5]);
}

/* A child at work: its pid, its index, how far it had got at the last
 * look and for how long it has not moved. */
struct slot {
    pid_t pid;
    long k, last, still;
};

/* Starts child k's batch in slot `sl`; false when fork failed. */
static int start(unsigned long seed, long k, struct slot *sl, struct shared *sh) {
    memset((void *)sh, 0, sizeof *sh);
    sh->index = -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("fuzz: fork: %s\n", strerror(errno));
        return 0;
    }
    if (pid == 0) child(seed, k, sh);
    *sl = (struct slot){pid, k, -1, 0};
    return 1;
}

/* One look at a running child: 1 when it has ended (*end: 0 exited, a
 * signal, 1000 + a nonzero status, -1 hung and killed, -3 wait failed),
 * else 0; a child that made no progress for HANG_MS is killed. */
static int look(struct slot *sl, struct shared *sh, int *end) {
    int st = 0;
    pid_t r = waitpid(sl->pid, &st, WNOHANG);
    if (r < 0) {
        printf("fuzz: waitpid: %s\n", strerror(errno));
        *end = -3;
        return 1;
    }
    if (r == 0) {
        if (sh->made != sl->last) sl->last = sh->made, sl->still = 0;
        else if ((sl->still += 10) > HANG_MS) {
            kill(sl->pid, SIGKILL);
            waitpid(sl->pid, &st, 0);
            *end = -1;
            return 1;
        }
        return 0;
    }
    *end = WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st) ? 1000 + WEXITSTATUS(st) : 0;
    return 1;
}

static int exec_still_works(const char *self) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {(char *)self, "exec-check", 0};
        execv(self, argv);
        _exit(99);
    }
    int st = 0;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "exec-check") == 0) {
        printf("fuzz: exec-check runs\n");
        return 7;
    }
    unsigned long seed = argc > 1 ? strtoul(argv[1], 0, 0) : (unsigned long)time(0);
    long count = argc > 2 ? atol(argv[2]) : 20000;
    long only = argc > 3 ? atol(argv[3]) : -1;
    int parallel = argc > 4 ? atoi(argv[4]) : 2;
    if (only >= 0 || parallel < 1) parallel = 1;
    if (parallel > MAX_PARALLEL) parallel = MAX_PARALLEL;
    printf("fuzz: seed %lu count %ld batch %d parallel %d\n", seed, count, BATCH, parallel);
    /* At an address none of arg()'s classes makes (a child that wrote
     * over the page would spoil the record of its calls). */
    struct shared *sh = mmap((void *)0x2a5a5a5a0000ul, MAX_PARALLEL * SHARED_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        printf("fuzz: no shared page FAILED\n");
        return 1;
    }
    static char block[65536];
    int fd = open(FUZZ_FILE, O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0 || write(fd, block, sizeof block) != sizeof block) printf("fuzz: cannot make %s FAILED\n", FUZZ_FILE);
    close(fd);
    long calls = 0, children = 0, hung = 0, odd = 0, reports = 0, signals[65] = {0}, by_nr[MAX_NR + 1] = {0};
    int failed = 0, live = 0;
    long next_k = only >= 0 ? only : 0;
    struct slot slots[MAX_PARALLEL];
    for (int i = 0; i < parallel; i++) slots[i].pid = 0;
    for (;;) {
        /* Fill the free slots while calls are still wanted. */
        for (int i = 0; i < parallel && !failed; i++) {
            int wanted = only >= 0 ? next_k == only : calls < count;
            if (slots[i].pid || !wanted) continue;
            if (!start(seed, next_k, &slots[i], &sh[i])) {
                printf("fuzz: seed %lu child %ld: fork failed FAILED\n", seed, next_k);
                failed = 1;
                break;
            }
            next_k++, live++;
        }
        if (!live) break;
        nap_ms(10);
        for (int i = 0; i < parallel; i++) {
            int end;
            if (!slots[i].pid || !look(&slots[i], &sh[i], &end)) continue;
            struct shared *c = &sh[i];
            long k = slots[i].k;
            slots[i].pid = 0, live--, children++;
            if (c->made < 0 || c->made > BATCH || c->index >= BATCH) {
                /* It wrote over the record anyway (a random pointer hit it). */
                printf("fuzz: seed %lu child %ld wrote over the shared page\n", seed, k);
                c->made = BATCH, c->index = -1, c->nr = -1;
            }
            calls += c->made;
            for (long j = 0; only >= 0 && j <= c->index; j++) {
                volatile long *l = c->log[j];
                if (l[0] || l[1] || l[7])
                    printf("fuzz: call %ld: %ld(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = %ld\n", j, l[0], l[1], l[2], l[3],
                           l[4], l[5], l[6], j == c->index && end ? 0 : l[7]);
            }
            if (end == -3) {
                printf("fuzz: seed %lu child %ld: wait failed FAILED\n", seed, k);
                failed = 1;
            }
            if (end == 0 || end == -3) continue;
            if (end == -1) hung++;
            else if (end > 0 && end < 65) signals[end]++;
            else odd++;
            if (c->nr >= 0 && c->nr <= MAX_NR && c->index >= 0) by_nr[c->nr]++;
            if (reports++ < REPORTS || only >= 0) {
                char what[32];
                if (end == -1) snprintf(what, sizeof what, "hung");
                else if (end < 65) snprintf(what, sizeof what, "died of signal %d", end);
                else snprintf(what, sizeof what, "exited %d", end - 1000);
                name_call(what, seed, k, c);
            }
        }
    }
    printf("fuzz: seed %lu calls %ld children %ld hung %ld other exits %ld\n", seed, calls, children, hung, odd);
    for (int s = 1; s < 65; s++)
        if (signals[s]) printf("fuzz: died of signal %d: %ld\n", s, signals[s]);
    printf("fuzz: calls in flight at a death or hang:");
    for (int n = 0; n <= MAX_NR; n++)
        if (by_nr[n]) printf(" %d x%ld", n, by_nr[n]);
    printf("\n");
    int ok = exec_still_works(argv[0]);
    printf("fuzz: fork+exec after the run %s\n", ok ? "ok" : "FAILED");
    printf("fuzz: done\n");
    return failed || !ok;
}
