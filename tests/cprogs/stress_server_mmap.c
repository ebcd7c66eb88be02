/* emulib's range [0x7f0000000000, 0x7f0010000000) (its image, pages and
 * thread area) is out of every program call's reach: mmap "anywhere"
 * (with a hint below or inside it, anonymous or a file), mremap that
 * moves, MAP_FIXED, munmap and mprotect. Prints "mmap: <what> ok|FAILED". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define EMU_BASE 0x7f0000000000UL
#define EMU_END 0x7f0010000000UL

static int failures;
static void check(const char *what, int cond) {
    printf("mmap: %s %s\n", what, cond ? "ok" : "FAILED");
    if (!cond) failures++;
}

static int outside(void *p, size_t len) {
    uintptr_t a = (uintptr_t)p;
    return p != MAP_FAILED && (a + len <= EMU_BASE || a >= EMU_END);
}

static void *anon(uintptr_t hint, size_t len) {
    return mmap((void *)hint, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void *nothing(void *a) { return a; }

int main(void) {
    size_t mib = 1 << 20;
    void *p = anon(EMU_BASE - 0x10000, mib);
    check("a hint just below the range gives memory outside it", outside(p, mib));
    if (p != MAP_FAILED) memset(p, 1, mib);
    void *q = anon(EMU_BASE + 0x100000, mib);
    check("a hint inside the range gives memory outside it", outside(q, mib));
    int many = 1;
    for (int i = 0; i < 64; i++) {
        void *r = anon(EMU_BASE - 0x10000, 4 * mib);
        many &= outside(r, 4 * mib);
    }
    check("so do 64 more near it", many);
    check("MAP_FIXED over the range is EINVAL",
          mmap((void *)(EMU_BASE + 0x1000000), mib, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED &&
              errno == EINVAL);
    check("munmap of the range is EINVAL", munmap((void *)EMU_BASE, EMU_END - EMU_BASE) == -1 && errno == EINVAL);
    check("munmap across its start is EINVAL", munmap((void *)(EMU_BASE - 0x1000), 0x2000) == -1 && errno == EINVAL);
    check("mprotect of it is EINVAL", mprotect((void *)EMU_BASE, 0x1000, PROT_NONE) == -1 && errno == EINVAL);
    void *below = mmap((void *)(EMU_BASE - 2 * mib), 2 * mib, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check("MAP_FIXED just below it works", below == (void *)(EMU_BASE - 2 * mib));
    if (below != MAP_FAILED) {
        memset(below, 7, 2 * mib);
        void *moved = mremap(below, 2 * mib, 8 * mib, MREMAP_MAYMOVE);
        check("mremap growing into it moves elsewhere, outside it", outside(moved, 8 * mib));
        check("and keeps the bytes", moved != MAP_FAILED && ((char *)moved)[2 * mib - 1] == 7);
        void *stay = mremap(moved == MAP_FAILED ? below : moved, 8 * mib, 8 * mib, 0);
        (void)stay;
    }
    int fd = open("/tmp/mmap-file", O_RDWR | O_CREAT | O_TRUNC, 0644);
    check("a file to map", fd >= 0 && write(fd, "hello file", 10) == 10);
    void *f = mmap((void *)(EMU_BASE + 0x200000), 4096, PROT_READ, MAP_SHARED, fd, 0);
    check("a file mapping hinted inside it lands outside it", outside(f, 4096) && memcmp(f, "hello file", 10) == 0);
    pthread_t t;
    check("a thread still starts (emulib's thread area is whole)",
          pthread_create(&t, 0, nothing, (void *)5) == 0 && pthread_join(t, 0) == 0);
    pid_t c = fork();
    if (c == 0) {
        execl("/bin/hello", "hello", (char *)0);
        _exit(99);
    }
    int st = 0;
    check("a command still runs afterwards", waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42);
    printf("mmap: %d failures\n", failures);
    return failures != 0;
}
