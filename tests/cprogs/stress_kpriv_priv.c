/* Both sides of the privilege line, from an ordinary UNIX process making
 * raw Mach traps (system calls with negative numbers, which the kernel
 * takes itself instead of bouncing them to emulib) and hand-built Mach
 * messages (mach/src/message.rs, mach/src/rpc.rs: header, body, port
 * descriptors, then data, packed to 4; a reply has its return code after
 * the descriptors; an error reply is header, body, code).
 *
 * Refused: the device master port, device_open on every send right the
 * process holds, the debug traps (print, power off, VM statistics), the
 * privileged host routines on the host port it can get (reboot, console
 * read with a receive timeout, console write, boot modules).
 * Allowed: mach_port_allocate, a message to itself, task_info and
 * thread_self on itself. Prints "kpriv: what ok|FAILED" and exits with
 * the number of failures. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MACH_MSG -25
#define MACH_REPLY_PORT -26
#define THREAD_SELF -27
#define TASK_SELF -28
#define HOST_SELF -29
#define DEBUG_PRINT -100
#define DEBUG_POWEROFF -101
#define DEBUG_VM_STATS -108

#define KERN_SUCCESS 0
#define KERN_NO_ACCESS 8
#define KERN_INVALID_HOST 22
#define SEND_MSG 1
#define RCV_MSG 2
#define RCV_TIMEOUT 0x100
#define COPY_SEND 19
#define MAKE_SEND 20
#define MAKE_SEND_ONCE 21
#define COMPLEX 0x80000000u

#define TASK_HOST_PORT 2
#define TASK_EXCEPTION_PORT 3
#define TASK_BOOTSTRAP_PORT 4
#define TASK_DEVICE_MASTER_PORT 8

static int failures;

static void check(const char *what, int ok) {
    printf("kpriv: %s %s\n", what, ok ? "ok" : "FAILED");
    if (!ok)
        failures++;
}

static long mtrap(long n, long a, long b, long c, long d, long e, long f) {
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

struct header {
    uint32_t bits, size, remote, local, reserved;
    int32_t id;
};

static uint32_t buf[1024]; /* 4 KiB, the message buffer for every call */
static uint32_t reply_port;

/* A request `id` with `len` bytes of data to `dest`, its reply received
 * with a timeout in ms (0: none). Returns mach_msg's code; the reply is in
 * buf. */
static long rpc(uint32_t dest, int id, const void *data, uint32_t len, uint32_t timeout_ms) {
    struct header h = {COPY_SEND | (MAKE_SEND_ONCE << 8), 28 + len, dest, reply_port, 0, id};
    memset(buf, 0, sizeof buf);
    memcpy(buf, &h, sizeof h);
    buf[6] = 0; /* no descriptors */
    memcpy((char *)buf + 28, data, len);
    long opt = SEND_MSG | RCV_MSG | (timeout_ms ? RCV_TIMEOUT : 0);
    return mtrap(MACH_MSG, (long)buf, opt, 28 + len, sizeof buf, reply_port, timeout_ms);
}

/* The return code of the reply in buf (after `ports` descriptors when the
 * reply is complex, at once in an error reply). */
static int32_t ret_of(int ports) {
    struct header *h = (struct header *)buf;
    return (int32_t)buf[(28 + ((h->bits & COMPLEX) ? 16 * ports : 0)) / 4];
}

/* A routine with a u32 argument whose reply carries one right: the code,
 * and the right's name in *name on success. */
static int32_t call_port(uint32_t dest, int id, const void *data, uint32_t len, uint32_t *name) {
    long kr = rpc(dest, id, data, len, 2000);
    if (kr != KERN_SUCCESS)
        return (int32_t)kr;
    int32_t r = ret_of(1);
    if (r == KERN_SUCCESS && name)
        *name = buf[7];
    return r;
}

static int32_t special_port(uint32_t task, uint32_t which, uint32_t *name) {
    return call_port(task, 3409, &which, 4, name);
}

static int32_t device_open(uint32_t master) {
    struct { uint32_t mode; char name[128]; } a = {3 /* D_READ|D_WRITE */, "hd0"};
    return call_port(master, 2800, &a, sizeof a, 0);
}

static uint32_t refs(uint32_t task, uint32_t name, uint32_t right) {
    uint32_t a[2] = {name, right};
    return rpc(task, 3207, a, 8, 2000) == KERN_SUCCESS && ret_of(0) == KERN_SUCCESS ? buf[8] : 0;
}

/* The process's name space (mach_port_get_refs on every name a table of
 * 64 slots can give), printed for the audit; the send rights go to
 * `out`, for device_open. */
static int send_rights(uint32_t task, uint32_t *out, int max) {
    uint32_t boot = 0, exc = 0;
    special_port(task, TASK_BOOTSTRAP_PORT, &boot);
    special_port(task, TASK_EXCEPTION_PORT, &exc);
    uint32_t known[] = {task, (uint32_t)mtrap(HOST_SELF, 0, 0, 0, 0, 0, 0),
                        (uint32_t)mtrap(THREAD_SELF, 0, 0, 0, 0, 0, 0), reply_port, boot, exc};
    const char *what[] = {"task_self", "host_self", "thread_self", "reply port", "bootstrap", "exception"};
    int n = 0;
    for (uint32_t idx = 1; idx < 64; idx++) {
        for (uint32_t gen = 0; gen < 256; gen++) {
            uint32_t name = idx << 8 | gen;
            uint32_t s = refs(task, name, 0), r = refs(task, name, 1), o = refs(task, name, 2);
            if (!s && !r && !o)
                continue;
            printf("kpriv: name %#x: send %u receive %u send-once %u:", name, s, r, o);
            for (unsigned k = 0; k < sizeof known / sizeof known[0]; k++)
                if (known[k] == name)
                    printf(" %s", what[k]);
            printf("\n");
            if (s && n < max)
                out[n++] = name;
        }
    }
    return n;
}

static void refused(uint32_t task, uint32_t host) {
    uint32_t master = 0;
    int32_t r = special_port(task, TASK_DEVICE_MASTER_PORT, &master);
    printf("kpriv: task_get_special_port(TASK_DEVICE_MASTER_PORT) = %d\n", r);
    check("no device master port", r == KERN_NO_ACCESS && master == 0);

    uint32_t names[64];
    int n = send_rights(task, names, 64), opened = 0;
    for (int i = 0; i < n; i++) {
        int32_t d = device_open(names[i]);
        printf("kpriv: send right %#x: device_open = %d\n", names[i], d);
        opened += d == KERN_SUCCESS;
    }
    check("device_open fails on every send right the process holds", n >= 2 && opened == 0);

    /* Split so that the bytes never appear in this program's own output. */
    char leak[] = "KPRIV-" "LEAK-ON-CONSOLE\n";
    check("DEBUG_PRINT is refused", mtrap(DEBUG_PRINT, (long)leak, sizeof leak - 1, 0, 0, 0, 0) == KERN_NO_ACCESS);
    check("DEBUG_POWEROFF is refused", mtrap(DEBUG_POWEROFF, 42, 0, 0, 0, 0, 0) == KERN_NO_ACCESS);
    char stats[64];
    check("DEBUG_VM_STATS is refused", mtrap(DEBUG_VM_STATS, (long)stats, 0, 0, 0, 0, 0) == KERN_NO_ACCESS);

    uint32_t hp = 0;
    special_port(task, TASK_HOST_PORT, &hp);
    check("TASK_HOST_PORT is the host_self trap's port", hp != 0 && hp == host);
    uint32_t reboot[2] = {8 /* HOST_REBOOT_HALT */, 42};
    long kr = rpc(host, 204, reboot, 8, 2000);
    check("host_reboot on the host port fails", kr == KERN_SUCCESS && ret_of(0) == KERN_INVALID_HOST);
    uint32_t max = 16;
    kr = rpc(host, 222, &max, 4, 200);
    printf("kpriv: host_console_read with a 200 ms timeout: %ld, %d\n", kr, ret_of(0));
    check("host_console_read with a timeout returns", kr == KERN_SUCCESS && ret_of(0) != KERN_SUCCESS);
    struct { uint32_t len; char data[256]; } w = {sizeof leak - 1, {0}};
    memcpy(w.data, leak, sizeof leak - 1);
    kr = rpc(host, 220, &w, sizeof w, 2000);
    check("host_console_write on the host port fails", kr == KERN_SUCCESS && ret_of(0) == KERN_INVALID_HOST);
    uint32_t index = 0;
    kr = rpc(host, 221, &index, 4, 2000);
    check("host_get_boot_module on the host port fails", kr == KERN_SUCCESS && ret_of(0) == KERN_INVALID_HOST);
    kr = rpc(host, 200, 0, 0, 2000);
    check("host_info on the host port works", kr == KERN_SUCCESS && ret_of(0) == KERN_SUCCESS && buf[14] == 4096);
}

static void allowed(uint32_t task) {
    uint32_t right = 1; /* MACH_PORT_RIGHT_RECEIVE */
    long kr = rpc(task, 3204, &right, 4, 2000);
    uint32_t port = buf[8];
    check("mach_port_allocate of a receive right", kr == KERN_SUCCESS && ret_of(0) == KERN_SUCCESS && port != 0);

    /* A message to itself: a send right made from the receive right. */
    struct header h = {MAKE_SEND, 32, port, 0, 0, 4242};
    memset(buf, 0, sizeof buf);
    memcpy(buf, &h, sizeof h);
    buf[7] = 0x6b707276;
    kr = mtrap(MACH_MSG, (long)buf, SEND_MSG | RCV_MSG | RCV_TIMEOUT, 32, sizeof buf, port, 2000);
    struct header *got = (struct header *)buf;
    check("a message to itself comes back", kr == KERN_SUCCESS && got->id == 4242 && buf[7] == 0x6b707276);
    uint32_t name = port;
    rpc(task, 3205, &name, 4, 2000); /* mach_port_destroy */
    check("mach_port_destroy of it", ret_of(0) == KERN_SUCCESS);

    kr = rpc(task, 3404, 0, 0, 2000);
    uint32_t threads = buf[9];
    check("task_info on itself", kr == KERN_SUCCESS && ret_of(0) == KERN_SUCCESS && threads >= 1);
    check("thread_self", mtrap(THREAD_SELF, 0, 0, 0, 0, 0, 0) > 0);
}

int main(void) {
    reply_port = (uint32_t)mtrap(MACH_REPLY_PORT, 0, 0, 0, 0, 0, 0);
    uint32_t task = (uint32_t)mtrap(TASK_SELF, 0, 0, 0, 0, 0, 0);
    uint32_t host = (uint32_t)mtrap(HOST_SELF, 0, 0, 0, 0, 0, 0);
    check("task_self, host_self and a reply port", task && host && reply_port);
    refused(task, host);
    allowed(task);
    printf("kpriv: still running, %d failed\n", failures);
    return failures;
}
