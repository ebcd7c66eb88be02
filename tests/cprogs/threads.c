/* POSIX threads on the trampoline: pthread_create/join, a contended
 * mutex, a condition variable ping-pong, thread-local storage, distinct
 * tids, a timed wait that times out, and a thread exiting while others
 * run. Prints "ok"/"FAIL" per check, then "threads done N failures". */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
static void check(const char *what, int cond) {
    printf("%s %s\n", cond ? "ok" : "FAIL", what);
    if (!cond) failures++;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread long mine = 7;
static long tids[4];

static void *adder(void *arg) {
    long i = (long)arg;
    tids[i] = syscall(SYS_gettid);
    mine += i; /* thread-local: every thread starts from 7 */
    for (int k = 0; k < 20000; k++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        if (k % 1000 == 0) sched_yield();
    }
    return (void *)(mine * 100 + i);
}

static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn, rounds_done;
static void *ponger(void *arg) {
    (void)arg;
    for (int r = 0; r < 200; r++) {
        pthread_mutex_lock(&lock);
        while (turn != 1) pthread_cond_wait(&cv, &lock);
        turn = 0;
        rounds_done++;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&lock);
    }
    return 0;
}

static void *nothing(void *arg) { return arg; }

static volatile int spin = 1;
static void *spinner(void *arg) {
    (void)arg;
    while (spin) {}
    return 0;
}
static void *execer(void *arg) {
    (void)arg;
    execl("/bin/hello", "hello", (char *)0);
    return (void *)1;
}

int main(void) {
    pthread_t t[4];
    int created = 1;
    for (long i = 0; i < 4; i++) created &= pthread_create(&t[i], 0, adder, (void *)i) == 0;
    check("pthread_create x4", created);
    int joined = 1;
    for (long i = 0; i < 4; i++) {
        void *ret = 0;
        joined &= pthread_join(t[i], &ret) == 0 && (long)ret == (7 + i) * 100 + i;
    }
    check("pthread_join returns each thread's value (thread-local state)", joined);
    printf("counter %ld\n", counter);
    check("the contended mutex lost no increment", counter == 4 * 20000);
    check("the main thread's thread-local is its own", mine == 7);
    long me = syscall(SYS_gettid);
    int distinct = me == getpid();
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) distinct &= tids[i] != me && (i == j || tids[i] != tids[j]);
    check("tids are distinct, the main thread's is the pid", distinct);

    pthread_t p;
    pthread_create(&p, 0, ponger, 0);
    for (int r = 0; r < 200; r++) {
        pthread_mutex_lock(&lock);
        turn = 1;
        pthread_cond_signal(&cv);
        while (turn != 0) pthread_cond_wait(&cv, &lock);
        pthread_mutex_unlock(&lock);
    }
    pthread_join(p, 0);
    check("200 condition-variable round trips", rounds_done == 200);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    pthread_mutex_lock(&lock);
    int r = pthread_cond_timedwait(&cv, &lock, &ts);
    pthread_mutex_unlock(&lock);
    check("a timed wait times out", r == ETIMEDOUT);

    /* A detached thread that exits on its own while main goes on. */
    pthread_t d;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    check("a detached thread", pthread_create(&d, &at, adder, (void *)0) == 0);
    usleep(200 * 1000);
    pthread_mutex_lock(&lock);
    long c = counter;
    pthread_mutex_unlock(&lock);
    check("it ran to its end", c == 5 * 20000);
    /* More threads, one after another, than emulib lists at once: the
     * blocks of ended threads are used again. */
    int many = 1;
    for (long i = 0; i < 300 && many; i++) {
        pthread_t x;
        void *ret = 0;
        many = pthread_create(&x, 0, nothing, (void *)i) == 0 && pthread_join(x, &ret) == 0 && (long)ret == i;
    }
    check("300 threads created and joined in turn", many);

    /* exec from a second thread while a third spins: the new program
     * replaces all of them. */
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t s, e;
        pthread_create(&s, 0, spinner, 0);
        pthread_create(&e, 0, execer, 0);
        pthread_join(s, 0); /* never returns: the exec ends this thread */
        _exit(3);
    }
    int st = 0;
    check("exec from a thread runs the new program alone", waitpid(pid, &st, 0) == pid && WIFEXITED(st)
          && WEXITSTATUS(st) == 42);
    printf("threads done %d failures\n", failures);
    return failures != 0;
}
