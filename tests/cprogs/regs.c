/* Register preservation across system calls through emulib: every
 * general register but rax, rcx and r11, all sixteen xmm registers and
 * the 128-byte red zone below rsp must come back as they were, for calls
 * answered in emulib's fast path, in its Rust code, and by RPC to the
 * server, and across a signal handler run on the way out. Exits with the
 * number of failures. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* 0-8: rbx rbp r8 r9 r10 r12 r13 r14 r15; 9-11: rdi rsi rdx; 12-27: red zone */
unsigned long after[28];
unsigned char xin[256], xout[256];

long regcall(long nr, long a0, long a1, long a2);
__asm__(
	".globl regcall\n"
	"regcall:\n"
	"  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
	"  mov %rdi, %rax\n mov %rsi, %rdi\n mov %rdx, %rsi\n mov %rcx, %rdx\n"
	"  movabs $0x1111111111111111, %rbx\n movabs $0x2222222222222222, %rbp\n"
	"  movabs $0x8888888888888888, %r8\n movabs $0x9999999999999999, %r9\n"
	"  movabs $0xaaaaaaaaaaaaaaaa, %r10\n movabs $0xcccccccccccccccc, %r12\n"
	"  movabs $0xdddddddddddddddd, %r13\n movabs $0xeeeeeeeeeeeeeeee, %r14\n"
	"  movabs $0xffffffffffffffff, %r15\n"
	"  movdqu xin+0(%rip), %xmm0\n movdqu xin+16(%rip), %xmm1\n movdqu xin+32(%rip), %xmm2\n"
	"  movdqu xin+48(%rip), %xmm3\n movdqu xin+64(%rip), %xmm4\n movdqu xin+80(%rip), %xmm5\n"
	"  movdqu xin+96(%rip), %xmm6\n movdqu xin+112(%rip), %xmm7\n movdqu xin+128(%rip), %xmm8\n"
	"  movdqu xin+144(%rip), %xmm9\n movdqu xin+160(%rip), %xmm10\n movdqu xin+176(%rip), %xmm11\n"
	"  movdqu xin+192(%rip), %xmm12\n movdqu xin+208(%rip), %xmm13\n movdqu xin+224(%rip), %xmm14\n"
	"  movdqu xin+240(%rip), %xmm15\n"
	/* the red zone: 16 words below rsp */
	"  mov %rbx, -8(%rsp)\n mov %rbp, -16(%rsp)\n mov %r8, -24(%rsp)\n mov %r9, -32(%rsp)\n"
	"  mov %r10, -40(%rsp)\n mov %r12, -48(%rsp)\n mov %r13, -56(%rsp)\n mov %r14, -64(%rsp)\n"
	"  mov %r15, -72(%rsp)\n mov %rbx, -80(%rsp)\n mov %rbp, -88(%rsp)\n mov %r8, -96(%rsp)\n"
	"  mov %r9, -104(%rsp)\n mov %r10, -112(%rsp)\n mov %r12, -120(%rsp)\n mov %r13, -128(%rsp)\n"
	"  syscall\n"
	"  mov %rbx, after+0(%rip)\n mov %rbp, after+8(%rip)\n mov %r8, after+16(%rip)\n"
	"  mov %r9, after+24(%rip)\n mov %r10, after+32(%rip)\n mov %r12, after+40(%rip)\n"
	"  mov %r13, after+48(%rip)\n mov %r14, after+56(%rip)\n mov %r15, after+64(%rip)\n"
	"  mov %rdi, after+72(%rip)\n mov %rsi, after+80(%rip)\n mov %rdx, after+88(%rip)\n"
	"  movdqu %xmm0, xout+0(%rip)\n movdqu %xmm1, xout+16(%rip)\n movdqu %xmm2, xout+32(%rip)\n"
	"  movdqu %xmm3, xout+48(%rip)\n movdqu %xmm4, xout+64(%rip)\n movdqu %xmm5, xout+80(%rip)\n"
	"  movdqu %xmm6, xout+96(%rip)\n movdqu %xmm7, xout+112(%rip)\n movdqu %xmm8, xout+128(%rip)\n"
	"  movdqu %xmm9, xout+144(%rip)\n movdqu %xmm10, xout+160(%rip)\n movdqu %xmm11, xout+176(%rip)\n"
	"  movdqu %xmm12, xout+192(%rip)\n movdqu %xmm13, xout+208(%rip)\n movdqu %xmm14, xout+224(%rip)\n"
	"  movdqu %xmm15, xout+240(%rip)\n"
	"  lea after+96(%rip), %rcx\n"
	"  mov $1, %r11\n"
	"1: mov %r11, %rdi\n neg %rdi\n mov (%rsp,%rdi,8), %rdi\n mov %rdi, -8(%rcx,%r11,8)\n"
	"  inc %r11\n cmp $17, %r11\n jne 1b\n"
	"  pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n ret\n");

static const unsigned long pattern[9] = {
	0x1111111111111111, 0x2222222222222222, 0x8888888888888888, 0x9999999999999999,
	0xaaaaaaaaaaaaaaaa, 0xcccccccccccccccc, 0xdddddddddddddddd, 0xeeeeeeeeeeeeeeee, 0xffffffffffffffff,
};
static const unsigned long redzone[16] = {
	0x1111111111111111, 0x2222222222222222, 0x8888888888888888, 0x9999999999999999,
	0xaaaaaaaaaaaaaaaa, 0xcccccccccccccccc, 0xdddddddddddddddd, 0xeeeeeeeeeeeeeeee,
	0xffffffffffffffff, 0x1111111111111111, 0x2222222222222222, 0x8888888888888888,
	0x9999999999999999, 0xaaaaaaaaaaaaaaaa, 0xcccccccccccccccc, 0xdddddddddddddddd,
};

static int failures;
static volatile int handled;

static void on_usr1(int sig)
{
	/* Use registers and SSE freely: sigreturn must undo all of it. */
	volatile double d = sig * 3.25;
	char buf[64];
	memset(buf, 0x5a, sizeof buf);
	handled += 1 + ((int)d + buf[3] - 0x5a - 32);
}

static void test(const char *what, long nr, long a0, long a1, long a2)
{
	for (int i = 0; i < 256; i++)
		xin[i] = (unsigned char)(i * 7 + nr);
	memset(after, 0, sizeof after);
	memset(xout, 0, sizeof xout);
	long r = regcall(nr, a0, a1, a2);
	int bad = 0;
	for (int i = 0; i < 9; i++)
		bad |= after[i] != pattern[i];
	bad |= after[9] != (unsigned long)a0 || after[10] != (unsigned long)a1 || after[11] != (unsigned long)a2;
	bad |= memcmp(xin, xout, 256) != 0;
	for (int i = 0; i < 16; i++)
		bad |= after[12 + i] != redzone[i];
	printf("regs: %s (returned %ld) %s\n", what, r, bad ? "FAILED" : "ok");
	failures += bad;
}

int main(void)
{
	static const char msg[] = "regs: write through the server\n";
	struct utsname_buf { char b[65 * 6]; } u;
	struct timespec ts;
	sigset_t old;
	test("getpid (emulib fast path)", SYS_getpid, 0, 0, 0);
	test("gettid (emulib fast path)", SYS_gettid, 0, 0, 0);
	test("getuid (emulib, from the process page)", SYS_getuid, 0, 0, 0);
	test("sched_yield (RPC)", SYS_sched_yield, 0, 0, 0);
	test("write (RPC)", SYS_write, 1, (long)msg, sizeof msg - 1);
	test("uname (RPC, server writes memory)", SYS_uname, (long)&u, 0, 0);
	test("clock_gettime (RPC)", SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0);
	test("rt_sigprocmask (RPC)", SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&old);
	test("an unknown call (ENOSYS)", 400, 1, 2, 3);
	signal(SIGUSR1, on_usr1);
	test("kill with a handler run on the way out", SYS_kill, getpid(), SIGUSR1, 0);
	printf("regs: handler ran %d\n", handled);
	printf("regs: %d failures\n", failures);
	return failures + (handled != 0 ? 0 : 1);
}
