/* getpid through the trampoline and emulib, in guest instructions: under
 * QEMU's -icount shift=0 the TSC counts one per instruction. Prints the
 * minimum and the mean over many calls, less the cost of the timing
 * itself, for the fast path (getpid) and an RPC to the server. */
#include <stdio.h>
#include <sys/syscall.h>

static inline unsigned long tsc(void)
{
	unsigned lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long)hi << 32) | lo;
}

static inline long raw0(long nr)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
	return r;
}

static void bench(const char *name, long nr, int n)
{
	unsigned long min = ~0ul, total = 0, empty = ~0ul;
	for (int i = 0; i < 100; i++) {
		unsigned long t0 = tsc();
		unsigned long t1 = tsc();
		if (t1 - t0 < empty)
			empty = t1 - t0;
	}
	for (int i = 0; i < n; i++) {
		unsigned long t0 = tsc();
		raw0(nr);
		unsigned long d = tsc() - t0 - empty;
		if (i > 10) {
			total += d;
			if (d < min)
				min = d;
		}
	}
	printf("bench: %s %lu instructions (mean %lu over %d calls)\n", name, min, total / (n - 11), n - 11);
}

int main(void)
{
	bench("getpid", SYS_getpid, 2000);
	bench("getuid", SYS_getuid, 2000);
	bench("sched_yield-rpc", SYS_sched_yield, 300);
	return 0;
}
