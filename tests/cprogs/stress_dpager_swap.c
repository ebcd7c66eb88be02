/* Anonymous memory larger than RAM, through the default pager's swap.
 *
 *   stress_dpager_swap MIB     touch MIB MiB with a pattern no compressor
 *                              shrinks, read every page back, fork: the
 *                              child reads every page too, writes half,
 *                              and the parent's pages must not change
 *
 * Prints "dpager: <what> ok|FAILED" lines and a final failure count.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
static int failures;

static void check(const char *what, int ok) {
    printf("dpager: %s %s\n", what, ok ? "ok" : "FAILED");
    fflush(stdout);
    if (!ok) failures++;
}

/* Word i of page p in generation g: a mix that does not repeat. */
static uint64_t word(uint64_t p, uint64_t i, uint64_t g) {
    uint64_t x = (p << 20 | i) * 0x9e3779b97f4a7c15ull ^ g * 0xbf58476d1ce4e5b9ull;
    return x ^ x >> 29;
}

static void fill(uint64_t *m, size_t pages, uint64_t g, size_t step) {
    for (size_t p = 0; p < pages; p += step)
        for (size_t i = 0; i < PAGE / 8; i++) m[p * PAGE / 8 + i] = word(p, i, g);
}

/* Pages whose contents are not generation g's (every `step`th page). */
static size_t bad_pages(const uint64_t *m, size_t pages, uint64_t g, size_t from, size_t step) {
    size_t bad = 0;
    for (size_t p = from; p < pages; p += step) {
        for (size_t i = 0; i < PAGE / 8; i++) {
            if (m[p * PAGE / 8 + i] != word(p, i, g)) {
                if (bad < 3) fprintf(stderr, "page %zu word %zu wrong\n", p, i);
                bad++;
                break;
            }
        }
    }
    return bad;
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 64;
    size_t pages = mib * 256;
    uint64_t *m = mmap(0, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap", m != MAP_FAILED);
    if (m == MAP_FAILED) return 1;
    fill(m, pages, 1, 1);
    printf("dpager: %zu MiB written\n", mib);
    fflush(stdout);
    check("every page reads back as written", bad_pages(m, pages, 1, 0, 1) == 0);
    pid_t c = fork();
    if (c == 0) {
        size_t bad = bad_pages(m, pages, 1, 0, 1);
        /* Its own copies of every other page: the parent must not see them. */
        fill(m, pages, 2, 2);
        bad += bad_pages(m, pages, 2, 0, 2) + bad_pages(m, pages, 1, 1, 2);
        _exit(bad ? 1 : 0);
    }
    check("fork", c > 0);
    int st = 0;
    check("wait", waitpid(c, &st, 0) == c);
    check("the child saw every page, and its own writes", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st)) printf("dpager: child status %#x\n", st);
    check("the parent's pages are unchanged by the child", bad_pages(m, pages, 1, 0, 1) == 0);
    check("munmap", munmap(m, pages * PAGE) == 0);
    printf("dpager: %d failures\n", failures);
    return failures != 0;
}
