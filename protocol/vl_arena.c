/* Bump allocator for per-command temporary storage (see vl_arena.h). */
#include "vl_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE ((size_t)64 * 1024)

/* Under AddressSanitizer the free part of every block is poisoned, so that a
 * decoder or handler writing past what it allocated is caught even inside a
 * block (the fuzzers rely on it). */
#if defined(__SANITIZE_ADDRESS__)
#define VL_ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VL_ARENA_ASAN 1
#endif
#endif
#ifdef VL_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct vl_arena_block {
   struct vl_arena_block *next;
   size_t size;
   size_t used;
   _Alignas(16) unsigned char data[];
};

static struct vl_arena_block *
block_new(size_t size)
{
   struct vl_arena_block *b = malloc(sizeof(*b) + size);
   if (!b)
      return NULL;
   b->next = NULL;
   b->size = size;
   b->used = 0;
   POISON(b->data, size);
   return b;
}

static void
block_free(struct vl_arena_block *b)
{
   UNPOISON(b->data, b->size);
   free(b);
}

void
vl_arena_init(struct vl_arena *arena, size_t limit)
{
   arena->first = NULL;
   arena->head = NULL;
   arena->used_total = 0;
   arena->limit = limit ? limit : VL_ARENA_DEFAULT_LIMIT;
}

void
vl_arena_finish(struct vl_arena *arena)
{
   vl_arena_reset(arena);
   if (arena->first)
      block_free(arena->first);
   arena->first = arena->head = NULL;
}

void *
vl_arena_alloc(struct vl_arena *arena, size_t size)
{
   const size_t aligned = (size + 7) & ~(size_t)7;
   if (aligned < size || aligned > arena->limit - arena->used_total)
      return NULL;

   if (!arena->first) {
      arena->first = arena->head = block_new(BLOCK_SIZE);
      if (!arena->first)
         return NULL;
   }
   struct vl_arena_block *b = arena->head;
   if (b->size - b->used < aligned) {
      /* Blocks after the first form a list behind it, freed at reset. */
      b = block_new(aligned > BLOCK_SIZE ? aligned : BLOCK_SIZE);
      if (!b)
         return NULL;
      b->next = arena->head->next;
      arena->head->next = b;
      arena->head = b;
   }
   void *p = b->data + b->used;
   b->used += aligned;
   arena->used_total += aligned;
   UNPOISON(p, size);
   memset(p, 0, size);
   return p;
}

void
vl_arena_reset(struct vl_arena *arena)
{
   struct vl_arena_block *first = arena->first;
   if (!first)
      return;
   /* Every block but the first was linked after it. */
   struct vl_arena_block *b = first->next;
   while (b) {
      struct vl_arena_block *next = b->next;
      block_free(b);
      b = next;
   }
   first->next = NULL;
   first->used = 0;
   POISON(first->data, first->size);
   arena->head = first;
   arena->used_total = 0;
}
