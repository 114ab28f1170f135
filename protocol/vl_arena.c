/* Bump allocator for per-command temporary storage (see vl_arena.h). */
#include "vl_arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vl_asan.h"

/* Under AddressSanitizer the free part of every block is poisoned, so that a
 * decoder or handler writing past what it allocated is caught even inside a
 * block (the fuzzers rely on it). */
#define BLOCK_SIZE ((size_t)64 * 1024)

struct vl_arena_block {
   struct vl_arena_block *next;
   size_t size;
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
   VL_POISON(b->data, size);
   return b;
}

static void
block_free(struct vl_arena_block *b)
{
   VL_UNPOISON(b->data, b->size);
   free(b);
}

void
vl_arena_init(struct vl_arena *arena, size_t limit)
{
   arena->cur = arena->end = NULL;
   arena->first = NULL;
   arena->used_total = 0;
   arena->limit = limit ? limit : VL_ARENA_DEFAULT_LIMIT;
}

void
vl_arena_finish(struct vl_arena *arena)
{
   vl_arena_reset(arena);
   if (arena->first)
      block_free(arena->first);
   arena->first = NULL;
   arena->cur = arena->end = NULL;
}

static void
use_block(struct vl_arena *arena, struct vl_arena_block *b)
{
   arena->cur = b->data;
   arena->end = b->data + b->size;
}

void *
vl_arena_alloc_slow(struct vl_arena *arena, size_t size)
{
   const size_t aligned = (size + 7) & ~(size_t)7;
   if (aligned < size || aligned > arena->limit - arena->used_total)
      return NULL;

   if (!arena->first) {
      arena->first = block_new(BLOCK_SIZE);
      if (!arena->first)
         return NULL;
      use_block(arena, arena->first);
   }
   if ((size_t)(arena->end - arena->cur) < aligned) {
      /* Blocks after the first form a list behind it, freed at reset. */
      struct vl_arena_block *b = block_new(aligned > BLOCK_SIZE ? aligned : BLOCK_SIZE);
      if (!b)
         return NULL;
      b->next = arena->first->next;
      arena->first->next = b;
      use_block(arena, b);
   }
   return vl_arena_take(arena, size, aligned);
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
   VL_POISON(first->data, first->size);
   use_block(arena, first);
   arena->used_total = 0;
}
