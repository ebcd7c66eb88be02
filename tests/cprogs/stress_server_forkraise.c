/* A signal handler that forks while another thread raises the signal in a
 * tight loop, and the main thread polls and reaps meanwhile: the mix that
 * wedged the UNIX server (every worker spinning on the process table's
 * lock). Usage: stress_server_forkraise [raises]. Prints
 * "forkraise: <what> ok|FAILED" lines; afterwards a fork+exec of a child
 * must still work, so the server is known to be alive. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
static void check(const char *what, int cond) {
    printf("forkraise: %s %s\n", what, cond ? "ok" : "FAILED");
    if (!cond) failures++;
}

static volatile long forks, fork_errors, handled;
static volatile int last_errno;

static void on_usr1(int sig) {
    (void)sig;
    int saved = errno;
    __sync_fetch_and_add(&handled, 1);
    pid_t c = fork();
    if (c == 0) _exit(7);
    if (c < 0) {
        __sync_fetch_and_add(&fork_errors, 1);
        last_errno = errno;
    } else {
        __sync_fetch_and_add(&forks, 1);
    }
    errno = saved;
}

static long raises = 2000;
static volatile int done;

static volatile int running;

static void *raiser(void *arg) {
    (void)arg;
    pid_t tid = syscall(SYS_gettid);
    for (long i = 0; i < raises; i++) {
        if (i & 1) raise(SIGUSR1);
        else syscall(SYS_tkill, tid, SIGUSR1);
    }
    if (__sync_sub_and_fetch(&running, 1) == 0) done = 1;
    return 0;
}

/* Reaps what has exited; counts statuses that are not exit(7). */
static long reaped, bad_status;
static void reap(int flags) {
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, flags)) > 0) {
        reaped++;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 7) bad_status++;
    }
}

/* One process's storm: `threads` raisers, the main thread polling and
 * reaping. Returns the number of failed checks. */
static int storm(int threads) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, 0);

    /* Signal state is per process here, so the handler may run on any
     * thread; raises may coalesce while a handler runs, as the standard
     * signals do, so the counts below are bounds, not equalities. */
    pthread_t t[8];
    int started = 0;
    running = threads;
    for (int i = 0; i < threads; i++) started += pthread_create(&t[i], 0, raiser, 0) == 0;
    check("the raiser threads start", started == threads);

    int fds[2];
    check("a pipe to poll on", pipe(fds) == 0);
    while (!done) {
        struct pollfd pf = {fds[0], POLLIN, 0};
        poll(&pf, 1, 1);
        reap(WNOHANG);
    }
    for (int i = 0; i < started; i++) pthread_join(t[i], 0);
    reap(0);
    printf("forkraise: pid %d: %ld raises, %ld handled, %ld forks, %ld fork errors (last errno %d), %ld reaped\n",
           getpid(), raises * threads, (long)handled, (long)forks, (long)fork_errors, last_errno, reaped);
    check("the handler ran", handled > 0 && handled <= raises * threads);
    check("every handler's fork succeeded", fork_errors == 0 && forks == handled);
    check("every child was reaped with status 7", reaped == forks && bad_status == 0);
    return failures;
}

int main(int argc, char **argv) {
    if (argc > 1) raises = atol(argv[1]);
    int procs = argc > 2 ? atoi(argv[2]) : 1;
    int threads = argc > 3 ? atoi(argv[3]) : 1;
    if (threads < 1 || threads > 8) threads = 1;
    pid_t kids[16];
    int nk = 0;
    /* The storms run in children, so that the reaps of one storm never
     * take another storm's process. */
    for (int i = 0; i < procs && i < 16; i++) {
        pid_t k = fork();
        if (k == 0) _exit(storm(threads) ? 1 : 0);
        if (k > 0) kids[nk++] = k;
    }
    int bad = nk == procs ? 0 : 1, left = nk, hung = 0;
    /* A watchdog: a storm that has not ended in time is killed, so that a
     * wedge shows as a FAILED line, and the checks below still say
     * whether the server serves others. */
    for (int tick = 0; left > 0 && tick < 400; tick++) {
        for (int i = 0; i < nk; i++) {
            int st = 0;
            if (kids[i] > 0 && waitpid(kids[i], &st, WNOHANG) == kids[i]) {
                if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) bad++;
                kids[i] = 0;
                left--;
            }
        }
        if (left > 0) usleep(100000);
    }
    for (int i = 0; i < nk; i++) {
        if (kids[i] > 0) {
            hung++;
            kill(kids[i], SIGKILL);
            waitpid(kids[i], 0, 0);
        }
    }
    check("no storm hung for 40 s", hung == 0);
    check("every storming process succeeded", bad == 0);

    /* The server still serves others: a fork, an exec, a wait. */
    pid_t c = fork();
    if (c == 0) {
        char *av[] = {"hello", 0};
        execv("/bin/hello", av);
        _exit(99);
    }
    int st = 0;
    check("a fork after the storm", c > 0);
    check("and its exec'd child exits 42", waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42);
    printf("forkraise: %d failures\n", failures);
    return failures ? 1 : 0;
}
