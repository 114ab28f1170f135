/*
 * Memory on cache lines of its own, for the few long-lived blocks two
 * threads work on: the hash tables' slot arrays (the renderer's are written
 * by whichever thread executes a command, the application's inline or the
 * ring thread) and the in-process transport's producer state.  A block that
 * shares a line with memory another thread keeps writing misses the cache
 * on every access.  Not for small objects made by the thousand: glibc's
 * aligned allocation costs several times a malloc (level-load lost 3 % of
 * its instructions to it).
 */
#ifndef VL_CACHELINE_H
#define VL_CACHELINE_H

#include <stdlib.h>
#include <string.h>

#define VL_CACHE_LINE 64u

/* size zeroed bytes on whole cache lines of their own; free() frees them */
static inline void *
vl_calloc_lines(size_t size)
{
   const size_t rounded = (size + VL_CACHE_LINE - 1) & ~(size_t)(VL_CACHE_LINE - 1);
   if (rounded < size)
      return NULL;
   void *p = aligned_alloc(VL_CACHE_LINE, rounded);
   if (p)
      memset(p, 0, rounded);
   return p;
}

#endif
