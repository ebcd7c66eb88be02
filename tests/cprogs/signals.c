/* Signals: handlers with siginfo, masks, default actions seen by wait4,
 * SIGCHLD, and a SIGSEGV from a real fault caught by a handler. Prints
 * "signals: X ok" per check and exits with the number of failures. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;
static volatile sig_atomic_t got, got_sig, chld;
static volatile long got_pid;
static volatile void *fault_addr;
static sigjmp_buf env;

static void check(int ok, const char *what)
{
	printf("signals: %s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got++;
	got_sig = sig;
	got_pid = si->si_pid;
}

static void on_chld(int sig) { (void)sig; chld++; }

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	fault_addr = si->si_addr;
	siglongjmp(env, 1);
}

static char altstack[64 * 1024];
static volatile long handler_sp_on_alt;
static volatile int depth_reached;
static void on_alt(int sig)
{
	char here;
	(void)sig;
	handler_sp_on_alt = &here > altstack && &here < altstack + sizeof altstack;
}
static void on_overflow(int sig, siginfo_t *si, void *uc)
{
	char here;
	(void)si; (void)uc;
	got_sig = sig;
	handler_sp_on_alt = &here > altstack && &here < altstack + sizeof altstack;
	siglongjmp(env, 1);
}
static int recurse(int n)
{
	volatile char pad[1024];
	pad[0] = (char)n;
	depth_reached = n;
	return recurse(n + 1) + pad[0];
}

static void nap(long ms)
{
	struct timespec ts = { 0, ms * 1000 * 1000 };
	nanosleep(&ts, NULL);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	check(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction installs a handler");
	kill(getpid(), SIGUSR1);
	check(got == 1 && got_sig == SIGUSR1 && got_pid == getpid(), "the handler ran with signal and sender pid");

	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	kill(getpid(), SIGUSR1);
	check(got == 1, "a blocked signal waits");
	sigprocmask(SIG_SETMASK, &old, NULL);
	check(got == 2, "unblocking delivers it");
	sigprocmask(SIG_SETMASK, NULL, &old);
	check(!sigismember(&old, SIGUSR1), "the handler's mask was undone by sigreturn");

	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	nap(20);
	kill(pid, SIGTERM);
	int st = 0;
	check(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
	      "SIGTERM's default action kills, and wait4 says so");

	signal(SIGTERM, SIG_IGN);
	pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	signal(SIGTERM, SIG_DFL);
	kill(pid, SIGTERM);
	nap(20);
	check(waitpid(pid, &st, WNOHANG) == 0, "an ignored SIGTERM leaves the child alive");
	kill(pid, SIGKILL);
	check(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "SIGKILL cannot be ignored");

	signal(SIGCHLD, on_chld);
	pid = fork();
	if (pid == 0)
		_exit(0);
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st), "the child exits");
	nap(5);
	check(chld == 1, "its parent got SIGCHLD");
	signal(SIGCHLD, SIG_DFL);

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	got_sig = 0;
	if (sigsetjmp(env, 1) == 0) {
		*(volatile int *)0xdead0000 = 1;
		check(0, "the faulting store did not fault");
	}
	check(got_sig == SIGSEGV && fault_addr == (void *)0xdead0000, "a fault became SIGSEGV with its address, caught");
	if (sigsetjmp(env, 1) == 0)
		*(volatile int *)0xdead1000 = 1;
	check(fault_addr == (void *)0xdead1000, "and again after siglongjmp restored the mask");

	/* A child spinning in pure computation, no system calls: the handler
	 * still runs (the server redirects the thread through emulib), and
	 * the computation goes on undisturbed afterwards. */
	pid = fork();
	if (pid == 0) {
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_usr1;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGUSR1, &sa, NULL);
		got = 0;
		volatile unsigned long x = 0;
		unsigned long i;
		for (i = 0; got == 0 && i < 4000000000ul; i++)
			x += i;
		_exit(got == 1 && x == i * (i - 1) / 2 ? 0 : 1);
	}
	nap(30);
	kill(pid, SIGUSR1);
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a handler interrupts a child that makes no calls, which then carries on");

	pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		*(volatile int *)8 = 1;
		_exit(0);
	}
	check(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	      "an unhandled fault kills with SIGSEGV, seen by wait4");
	/* A read blocked on a pipe when a handled signal comes: EINTR, or
	 * with SA_RESTART the read goes on and gets the byte sent later. */
	for (int restart = 0; restart < 2; restart++) {
		int pp[2];
		pipe(pp);
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_usr1;
		sa.sa_flags = SA_SIGINFO | (restart ? SA_RESTART : 0);
		sigaction(SIGUSR1, &sa, NULL);
		got = 0;
		pid_t parent = getpid();
		pid = fork();
		if (pid == 0) {
			nap(50);
			kill(parent, SIGUSR1);
			nap(50);
			write(pp[1], "r", 1);
			_exit(0);
		}
		char c = 0;
		errno = 0;
		long n = read(pp[0], &c, 1);
		waitpid(pid, &st, 0);
		if (restart)
			check(n == 1 && c == 'r' && got == 1, "with SA_RESTART a blocked read goes on after the handler");
		else
			check(n == -1 && errno == EINTR && got == 1, "without SA_RESTART it fails with EINTR");
		close(pp[0]);
		close(pp[1]);
	}
	/* Job control: a stop signal stops a child (wait4 with WUNTRACED
	 * sees it, and it makes no progress), SIGCONT continues it
	 * (WCONTINUED), SIGKILL ends a stopped one. */
	volatile unsigned long *ctr = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid = fork();
	if (pid == 0) {
		for (;;)
			(*ctr)++;
	}
	nap(50);
	kill(pid, SIGTSTP);
	check(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP,
	      "SIGTSTP stops a child and wait4 with WUNTRACED says so");
	unsigned long c1 = *ctr;
	nap(100);
	check(*ctr == c1 && c1 > 0, "a stopped child makes no progress");
	kill(pid, SIGCONT);
	check(waitpid(pid, &st, WCONTINUED) == pid && WIFCONTINUED(st), "SIGCONT continues it, seen with WCONTINUED");
	unsigned long c2 = *ctr;
	nap(100);
	check(*ctr > c2, "continued, it runs again");
	kill(pid, SIGSTOP);
	check(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "SIGSTOP stops it");
	kill(pid, SIGKILL);
	check(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "SIGKILL ends a stopped child");

	/* sigaltstack: a SA_ONSTACK handler runs on the alternate stack, and
	 * so a stack overflow can still be caught. */
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 }, oss;
	check(sigaltstack(&ss, NULL) == 0 && sigaltstack(NULL, &oss) == 0 && oss.ss_sp == altstack
	      && oss.ss_size == sizeof altstack && oss.ss_flags == 0, "sigaltstack sets and reports the stack");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alt;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	check(handler_sp_on_alt == 1, "an SA_ONSTACK handler runs on the alternate stack");
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	check(handler_sp_on_alt == 0, "without SA_ONSTACK it runs on the program's stack");
	stack_t small = { .ss_sp = altstack, .ss_size = 100, .ss_flags = 0 };
	check(sigaltstack(&small, NULL) == -1 && errno == ENOMEM, "a too small alternate stack is ENOMEM");
	pid = fork();
	if (pid == 0) {
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_overflow;
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
		sigaction(SIGSEGV, &sa, NULL);
		handler_sp_on_alt = 0;
		if (sigsetjmp(env, 1) == 0)
			recurse(0);
		_exit(got_sig == SIGSEGV && handler_sp_on_alt && depth_reached > 100 ? 0 : 1);
	}
	check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "a stack overflow is caught on the alternate stack");
	printf("signals: %d failures\n", failures);
	return failures;
}
