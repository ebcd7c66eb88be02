/* How processes end: exit_group never returns into the program, and a
 * task that dies behind the server's back (the Mach task-exit trap, here
 * DEBUG_TASK_EXIT, -102) is reaped by its parent's wait as killed by
 * SIGKILL. Prints "death: <what> ok|FAILED". */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
static void check(const char *what, int cond) {
    printf("death: %s %s\n", what, cond ? "ok" : "FAILED");
    if (!cond) failures++;
}

/* The status of a child that runs `f`, or -1. */
static int status_of(void (*f)(void)) {
    pid_t c = fork();
    if (c == 0) {
        f();
        _exit(99);
    }
    int st = 0;
    if (c < 0 || waitpid(c, &st, 0) != c) return -1;
    return st;
}

static void exit_group_3(void) {
    syscall(SYS_exit_group, 3);
    /* exit_group came back: say so in the status. */
    _exit(98);
}

static void mach_exit(void) {
    syscall(-102, 5); /* a Mach trap: the kernel ends the task, not the server */
    _exit(97);
}

static void mach_exit_threads(void) {
    /* the same with a second thread blocked in a server call */
    if (fork() == 0) { pause(); _exit(0); }
    syscall(-102, 6);
    _exit(97);
}

int main(void) {
    int st = status_of(exit_group_3);
    check("exit_group(3) ends the process with status 3", WIFEXITED(st) && WEXITSTATUS(st) == 3);
    st = status_of(mach_exit);
    check("a task ended by a Mach trap is reaped as killed by SIGKILL", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    st = status_of(mach_exit_threads);
    check("and one with a child of its own", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    int n = 0;
    for (int i = 0; i < 50; i++) {
        st = status_of(mach_exit);
        n += WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
    }
    check("fifty of them, each reaped", n == 50);
    pid_t c = fork();
    if (c == 0) { execl("/bin/hello", "hello", (char *)0); _exit(99); }
    check("a command still runs afterwards", waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42);
    printf("death: %d failures\n", failures);
    return failures != 0;
}
