/* exit and exit_group never return to the program, even when emulib's
 * call to the UNIX server fails: a child spoils the server port name in
 * its emulib thread block (gs:44, mach::defs::bsd::EmulThread), so every
 * RPC it makes fails, then calls exit_group (or exit). Before each step
 * it writes how far it got into a shared page; the parent watches that
 * page. Were the call to come back, the step after it would show.
 * Prints "exit: <what> ok|FAILED" and "exit: done N failures". */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *what, int ok) {
    printf("exit: %s %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) failures++;
}

static void nap_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&t, 0);
}

static void spoil_server_port(void) {
    __asm__ volatile("movl $0x5eed0, %%gs:44" ::: "memory");
}

/* One child: spoils its port, calls `nr`, records each step. */
static void run(const char *what, long nr) {
    volatile int *step = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (step == MAP_FAILED) {
        check("a shared page", 0);
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        *step = 1;
        /* Proof that the port is spoiled: getppid is answered by emulib
         * alone, but a call for the server now fails. */
        spoil_server_port();
        long r = syscall(SYS_getpgid, 0);
        *step = r < 0 ? 2 : 9;
        syscall(nr, 3);
        *step = 3; /* the call came back */
        for (;;) syscall(SYS_sched_yield);
    }
    /* The child's steps after the call would come within microseconds;
     * two seconds of patience make a missed one very unlikely. */
    for (int i = 0; i < 40 && *step < 3; i++) nap_ms(50);
    char line[128];
    snprintf(line, sizeof line, "%s: a call for the server fails once the port is spoiled", what);
    check(line, *step == 2 || *step == 3);
    snprintf(line, sizeof line, "%s: the call never returns", what);
    check(line, *step == 2);
    /* The server does not hear of a task that ended itself: SIGKILL
     * makes it reap the process all the same. */
    kill(pid, SIGKILL);
    int st = 0;
    snprintf(line, sizeof line, "%s: the child is reaped", what);
    check(line, waitpid(pid, &st, 0) == pid);
    munmap((void *)step, 4096);
}

int main(void) {
    run("exit_group", SYS_exit_group);
    run("exit", SYS_exit);
    printf("exit: done %d failures\n", failures);
    return failures != 0;
}
