/*
 * Poisoning memory the project keeps for reuse (the decoder's arena, the
 * renderer's spare table entries), so that AddressSanitizer still catches a
 * use of it; no-ops without the sanitizer.
 */
#ifndef VL_ASAN_H
#define VL_ASAN_H

#if defined(__SANITIZE_ADDRESS__)
#define VL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VL_ASAN 1
#endif
#endif

#ifdef VL_ASAN
#include <sanitizer/asan_interface.h>
#define VL_POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define VL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define VL_POISON(p, n)   ((void)(p), (void)(n))
#define VL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#endif
