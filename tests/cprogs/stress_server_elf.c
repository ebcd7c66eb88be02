/* A zoo of hostile executables, made at run time in /tmp and execve'd by
 * a child each: the failures must leave the caller's image whole (the
 * child then checks its memory and exits with errno). A tiny valid ELF of
 * the same make runs first, so the generator is known good. Prints
 * "elf: <case> gives N ok|FAILED" (N: the errno, 42 for the valid one,
 * 200 + signal if the child died). The expected values are ours: each
 * fails before the point of no return, so the caller lives; where Linux,
 * run on the host, differs (it kills the process after the point of no
 * return, or runs a program where emulib lives here) the line says so. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

/* mov $60,%eax; mov $42,%edi; syscall */
static const unsigned char code[] = {0xb8, 0x3c, 0, 0, 0, 0xbf, 0x2a, 0, 0, 0, 0x0f, 0x05};
#define BASE 0x400000UL

struct img {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[3];
    char interp[32];
    unsigned char code[sizeof code];
};

static void base(struct img *m, int nph) {
    memset(m, 0, sizeof *m);
    memcpy(m->eh.e_ident, ELFMAG, SELFMAG);
    m->eh.e_ident[EI_CLASS] = ELFCLASS64;
    m->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    m->eh.e_ident[EI_VERSION] = EV_CURRENT;
    m->eh.e_type = ET_EXEC;
    m->eh.e_machine = EM_X86_64;
    m->eh.e_version = EV_CURRENT;
    m->eh.e_entry = BASE + offsetof(struct img, code);
    m->eh.e_phoff = offsetof(struct img, ph);
    m->eh.e_ehsize = sizeof(Elf64_Ehdr);
    m->eh.e_phentsize = sizeof(Elf64_Phdr);
    m->eh.e_phnum = nph;
    for (int i = 0; i < 3; i++) {
        m->ph[i].p_type = PT_LOAD;
        m->ph[i].p_flags = PF_R | PF_X;
        m->ph[i].p_offset = 0;
        m->ph[i].p_vaddr = m->ph[i].p_paddr = BASE;
        m->ph[i].p_filesz = m->ph[i].p_memsz = sizeof *m;
        m->ph[i].p_align = 0x1000;
    }
    memcpy(m->code, code, sizeof code);
}

static int put(const char *path, const void *b, size_t n) {
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0) return -1;
    int ok = write(fd, b, n) == (ssize_t)n;
    close(fd);
    return ok ? 0 : -1;
}

static volatile long canary[1024];

/* The child's exit status: its errno if execve failed and its memory was
 * intact, 100 + errno if the canary was hurt, or what the program did. */
static int run(const char *path) {
    pid_t c = fork();
    if (c == 0) {
        char *av[] = {(char *)path, 0};
        execve(path, av, 0);
        int e = errno;
        for (int i = 0; i < 1024; i++)
            if (canary[i] != i * 7) _exit(100 + e);
        _exit(e);
    }
    int st = 0;
    if (c < 0 || waitpid(c, &st, 0) != c) return -1;
    if (WIFSIGNALED(st)) return 200 + WTERMSIG(st);
    return WEXITSTATUS(st);
}

static void expect(const char *what, const char *path, int want, const char *linux_note) {
    int got = run(path);
    int ok = got == want;
    printf("elf: %s gives %d%s%s %s\n", what, got, linux_note ? " " : "", linux_note ? linux_note : "",
           ok ? "ok" : "FAILED");
    if (!ok) failures++;
}

int main(void) {
    for (int i = 0; i < 1024; i++) canary[i] = i * 7;
    struct img m;
    const char *p = "/tmp/zoo";

    base(&m, 1);
    put(p, &m, sizeof m);
    expect("a tiny valid ELF (exits 42)", p, 42, 0);

    put(p, "", 0);
    expect("a 0-byte file", p, ENOEXEC, 0);
    expect("a directory", "/tmp", EACCES, 0);

    base(&m, 1);
    put(p, &m, 40);
    expect("a file cut inside the ELF header", p, ENOEXEC, 0);
    put(p, &m, 80);
    expect("a file cut inside the program headers", p, ENOEXEC, 0);

    unsigned char junk[4096];
    srand(7);
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = rand();
    memcpy(junk, ELFMAG, SELFMAG);
    put(p, junk, sizeof junk);
    expect("ELF magic then garbage", p, ENOEXEC, 0);

    base(&m, 1);
    m.eh.e_phnum = 0xffff;
    put(p, &m, sizeof m);
    expect("phnum 65535", p, ENOEXEC, 0);

    base(&m, 2);
    m.ph[1].p_vaddr = BASE + 0x10;
    put(p, &m, sizeof m);
    expect("overlapping segments", p, ENOEXEC, "(Linux: SIGSEGV once past the point of no return)");

    base(&m, 1);
    m.eh.e_entry = BASE + 0x100000;
    put(p, &m, sizeof m);
    expect("an entry outside every segment", p, ENOEXEC, "(Linux: SIGSEGV at the entry)");

    base(&m, 1);
    m.ph[0].p_vaddr = 0xffff800000400000UL;
    m.eh.e_entry = m.ph[0].p_vaddr + offsetof(struct img, code);
    put(p, &m, sizeof m);
    expect("a segment in the kernel half", p, ENOEXEC, "(Linux: SIGSEGV once past the point of no return)");

    base(&m, 1);
    m.ph[0].p_vaddr = 0x7ffffffff000UL;
    m.eh.e_entry = m.ph[0].p_vaddr + offsetof(struct img, code);
    put(p, &m, sizeof m);
    expect("a segment across the user top", p, ENOEXEC, "(Linux: SIGSEGV once past the point of no return)");

    base(&m, 1);
    m.ph[0].p_vaddr = 0x7f0000400000UL;
    m.eh.e_entry = m.ph[0].p_vaddr + offsetof(struct img, code);
    put(p, &m, sizeof m);
    expect("a segment over emulib's range", p, ENOEXEC, "(Linux runs it: no emulib there)");

    base(&m, 2);
    m.ph[0].p_type = PT_INTERP;
    m.ph[0].p_offset = offsetof(struct img, interp);
    m.ph[0].p_filesz = m.ph[0].p_memsz = strlen("/lib/ld-none.so") + 1;
    strcpy(m.interp, "/lib/ld-none.so");
    put(p, &m, sizeof m);
    expect("a PT_INTERP", p, ENOEXEC, "(Linux: ENOENT, no such interpreter)");

    base(&m, 1);
    m.ph[0].p_flags = PF_R | PF_W | PF_X;
    m.ph[0].p_memsz = 1UL << 46;
    put(p, &m, sizeof m);
    expect("a PT_LOAD of memsz 2^46", p, ENOMEM, "(Linux: SIGSEGV once past the point of no return)");

    base(&m, 1);
    m.ph[0].p_filesz = sizeof m + 4096;
    put(p, &m, sizeof m);
    expect("a filesz past the end of the file", p, ENOEXEC, "(Linux: SIGSEGV once past the point of no return)");

    base(&m, 1);
    put(p, &m, sizeof m);
    expect("and the valid one still runs", p, 42, 0);
    unlink(p);
    printf("elf: %d failures\n", failures);
    return failures != 0;
}
