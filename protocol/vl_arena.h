/*
 * A bump allocator for the temporary storage of one decoded command.
 *
 * The decoder allocates every struct, array and string of a command from here;
 * the renderer resets the arena once the command has executed, so decoding
 * never calls malloc per struct.  The first block is kept across resets; bigger
 * requests get blocks of their own, freed at reset.  A cap bounds what one
 * command may take (a hostile count must not exhaust the host).
 */
#ifndef VL_ARENA_H
#define VL_ARENA_H

#include <stddef.h>
#include <string.h>

#include "vl_asan.h"

struct vl_arena_block;

struct vl_arena {
   unsigned char *cur, *end;     /* the free part of the current block */
   struct vl_arena_block *first; /* kept across resets */
   size_t used_total;            /* bytes handed out since the last reset */
   size_t limit;                 /* cap per command */
};

#define VL_ARENA_DEFAULT_LIMIT ((size_t)1 << 30)

void vl_arena_init(struct vl_arena *arena, size_t limit);
void vl_arena_finish(struct vl_arena *arena);
/* size bytes (aligned, rounded up) from the current block, which has room. */
static inline void *
vl_arena_take(struct vl_arena *arena, size_t size, size_t aligned)
{
   void *p = arena->cur;
   arena->cur += aligned;
   arena->used_total += aligned;
   VL_UNPOISON(p, size);
   memset(p, 0, size);
   return p;
}

/* The rest of vl_arena_alloc: a new block, the cap, overflow. */
void *vl_arena_alloc_slow(struct vl_arena *arena, size_t size);

/* Zeroed, 8-byte aligned; NULL when the cap is reached or memory runs out.
 * A zero-size request returns a valid non-NULL pointer.  Inline: the decoder
 * calls it for every struct and array of a command. */
static inline void *
vl_arena_alloc(struct vl_arena *arena, size_t size)
{
   const size_t aligned = (size + 7) & ~(size_t)7;
   /* strictly less: an arena without a block (cur == end == NULL) and
    * sizes that overflow take the slow path */
   if (__builtin_expect(aligned >= size && aligned < (size_t)(arena->end - arena->cur) &&
                           aligned <= arena->limit - arena->used_total,
                        1))
      return vl_arena_take(arena, size, aligned);
   return vl_arena_alloc_slow(arena, size);
}
void vl_arena_reset(struct vl_arena *arena);

#endif
