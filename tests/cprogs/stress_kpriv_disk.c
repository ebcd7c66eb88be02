/* Writes MiB (argv[1], default 4) of a position-dependent pattern to a
 * file on the disk in 64 KiB writes, fsyncs and closes it, then reads it
 * back and compares every byte; prints "kpriv-disk: what ok|FAILED" and
 * exits with the number of failures. Booted under -icount, where a slow
 * request used to take the disk down (tests/tests/stress_kpriv.rs). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static int failures;

static void check(const char *what, int ok) {
    printf("kpriv-disk: %s %s\n", what, ok ? "ok" : "FAILED");
    if (!ok)
        failures++;
}

/* The byte at `off`: differs from chunk to chunk and within one. */
static void fill(unsigned char *b, uint64_t off) {
    for (int i = 0; i < CHUNK; i++)
        b[i] = (unsigned char)((off + i) * 131 + (off + i) / CHUNK * 7);
}

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 4;
    const char *path = argc > 2 ? argv[2] : "/big.bin";
    static unsigned char want[CHUNK], got[CHUNK];
    long chunks = mib * 1024 * 1024 / CHUNK, wrote = 0, same = 0;

    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    check("open for writing", fd >= 0);
    for (long c = 0; fd >= 0 && c < chunks; c++) {
        fill(want, (uint64_t)c * CHUNK);
        wrote += write(fd, want, CHUNK) == CHUNK;
    }
    printf("kpriv-disk: wrote %ld of %ld chunks of 64 KiB\n", wrote, chunks);
    check("every write", wrote == chunks);
    check("fsync", fd >= 0 && fsync(fd) == 0);
    check("close", fd >= 0 && close(fd) == 0);

    fd = open(path, O_RDONLY);
    check("open for reading", fd >= 0);
    for (long c = 0; fd >= 0 && c < chunks; c++) {
        fill(want, (uint64_t)c * CHUNK);
        long n = 0, r;
        while (n < CHUNK && (r = read(fd, got + n, CHUNK - n)) > 0)
            n += r;
        same += n == CHUNK && memcmp(want, got, CHUNK) == 0;
    }
    char extra;
    check("nothing past the end", fd >= 0 && read(fd, &extra, 1) == 0);
    if (fd >= 0)
        close(fd);
    printf("kpriv-disk: %ld of %ld chunks read back the same\n", same, chunks);
    check("every byte read back", same == chunks);
    printf("kpriv-disk: done, %d failed\n", failures);
    return failures;
}
