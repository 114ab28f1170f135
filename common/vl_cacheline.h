/*
 * Memory on cache lines of its own.  The renderer's tables are written by
 * whichever thread executes a command (the application's, inline, or the
 * ring thread); an allocation that shares a line with memory the other
 * thread keeps writing misses the cache on every access.
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
