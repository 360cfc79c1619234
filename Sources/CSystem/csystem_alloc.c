/*
 * Allocation accounting (INFO used_memory, maxmemory).
 *
 * glibc's mallinfo2() walks every free chunk of every arena under the arena
 * locks: milliseconds on a fragmented heap, far too slow to consult before
 * each command as maxmemory needs. Instead the process's malloc family is
 * replaced by thin wrappers around glibc's own allocator (glibc supports this
 * interposition) that add and subtract each block's usable size, as Redis's
 * zmalloc counts used_memory. Each thread counts into its own cache line, so
 * the hot path is a thread-local load and store without a locked
 * instruction; readers sum the slots of the threads seen so far.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "csystem.h"

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

#define CSYS_SLOTS 512

/* One counter per thread, each on its own cache line. The last slot is
 * shared by threads beyond the first CSYS_SLOTS - 1 and updated atomically. */
static struct {
    _Atomic int64_t bytes;
    char pad[56];
} csys_slots[CSYS_SLOTS] __attribute__((aligned(64)));

static _Atomic int csys_next_slot;
static __thread int csys_slot __attribute__((tls_model("initial-exec"))) = -1;

static inline void csys_count(int64_t delta) {
    int s = csys_slot;
    if (__builtin_expect(s < 0, 0)) {
        s = atomic_fetch_add_explicit(&csys_next_slot, 1, memory_order_relaxed);
        if (s >= CSYS_SLOTS - 1) s = CSYS_SLOTS - 1;
        csys_slot = s;
    }
    _Atomic int64_t *p = &csys_slots[s].bytes;
    if (__builtin_expect(s == CSYS_SLOTS - 1, 0)) {
        atomic_fetch_add_explicit(p, delta, memory_order_relaxed);
    } else {
        /* Only this thread writes its slot: no locked read-modify-write needed. */
        atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + delta, memory_order_relaxed);
    }
}

int64_t csystem_allocated_bytes(void) {
    int n = atomic_load_explicit(&csys_next_slot, memory_order_relaxed);
    if (n > CSYS_SLOTS) n = CSYS_SLOTS;
    int64_t total = atomic_load_explicit(&csys_slots[CSYS_SLOTS - 1].bytes, memory_order_relaxed);
    for (int i = 0; i < n && i < CSYS_SLOTS - 1; i++) {
        total += atomic_load_explicit(&csys_slots[i].bytes, memory_order_relaxed);
    }
    return total < 0 ? 0 : total;
}

void *malloc(size_t size) {
    void *p = __libc_malloc(size);
    if (p) csys_count((int64_t)malloc_usable_size(p));
    return p;
}

void free(void *p) {
    if (!p) return;
    csys_count(-(int64_t)malloc_usable_size(p));
    __libc_free(p);
}

void *calloc(size_t n, size_t size) {
    void *p = __libc_calloc(n, size);
    if (p) csys_count((int64_t)malloc_usable_size(p));
    return p;
}

void *realloc(void *old, size_t size) {
    if (!old) return malloc(size);
    if (size == 0) {
        free(old);
        return NULL;
    }
    int64_t before = (int64_t)malloc_usable_size(old);
    void *p = __libc_realloc(old, size);
    if (p) csys_count((int64_t)malloc_usable_size(p) - before);
    return p;
}

void *reallocarray(void *old, size_t n, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(old, total);
}

void *memalign(size_t alignment, size_t size) {
    void *p = __libc_memalign(alignment, size);
    if (p) csys_count((int64_t)malloc_usable_size(p));
    return p;
}

void *aligned_alloc(size_t alignment, size_t size) { return memalign(alignment, size); }

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *p = memalign(alignment, size);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void *valloc(size_t size) { return memalign((size_t)sysconf(_SC_PAGESIZE), size); }

void *pvalloc(size_t size) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return memalign(page, (size + page - 1) & ~(page - 1));
}
