/*
 * Futex wait and wake on a 32-bit word shared by the threads of one process
 * (the ring's head word, a renderer's notify word).
 */
#ifndef VL_FUTEX_H
#define VL_FUTEX_H

#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleeps while *word == expected (or until woken, or timeout_ns passes when
 * non-zero).  Spurious returns are possible: callers re-check. */
static inline void
vl_futex_wait(_Atomic uint32_t *word, uint32_t expected, uint64_t timeout_ns)
{
   struct timespec ts = { (time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u) };
   syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, timeout_ns ? &ts : NULL, NULL,
           0);
}

static inline void
vl_futex_wake(_Atomic uint32_t *word)
{
   syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static inline void
vl_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
   __builtin_ia32_pause();
#elif defined(__aarch64__)
   __asm__ volatile("yield");
#endif
}

static inline uint64_t
vl_now_ns(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
