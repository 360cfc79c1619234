#ifndef CINNABAR_CSYSTEM_H
#define CINNABAR_CSYSTEM_H
/* Linux interfaces the Swift Glibc module does not export. */
#include <sys/socket.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/random.h>
#include <malloc.h>
#include <signal.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <liblzf/lzf.h>
#include <stdio.h>
#include <stdint.h>

static inline int csystem_epoll_data_fd(struct epoll_event *ev) { return ev->data.fd; }
/* Declared here rather than via _GNU_SOURCE, which would change libc struct
   layouts seen by other Clang modules (Foundation, Dispatch). */
extern int accept4(int, struct sockaddr *, socklen_t *, int);
extern int pthread_setname_np(pthread_t, const char *);

static inline int csystem_accept4(int fd) { return accept4(fd, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC); }
static inline int csystem_set_thread_name(pthread_t t, const char *name) { return pthread_setname_np(t, name); }
static inline void csystem_epoll_set_fd(struct epoll_event *ev, int fd) { ev->data.fd = fd; }
/* Bytes of heap blocks in use (usable sizes), counted by the malloc
 * wrappers in csystem_alloc.c; cheap enough to read before every command. */
int64_t csystem_allocated_bytes(void);
/* A spin-wait hint to the CPU (x86 PAUSE); a no-op elsewhere. */
static inline void csystem_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __asm__ __volatile__("pause");
#endif
}
/* `%.17g`, as Redis 7.0 prints doubles in replies; Swift cannot call variadic snprintf. */
static inline int csystem_format_double17g(char *buf, int size, double d) { return snprintf(buf, (size_t)size, "%.17g", d); }
#endif
