/*
 * Round trip of every generated codec: the cases are generated from vk.xml
 * (vl_test_roundtrip.c); this file runs them, reports failures, and fails
 * unless every command with a wire form and every struct was covered.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "vl_test_roundtrip_support.h"

void *
talloc(struct tctx *t, size_t size)
{
   void *p = vl_arena_alloc(&t->mem, size);
   if (!p) {
      fprintf(stderr, "test memory exhausted\n");
      abort();
   }
   return p;
}

uint64_t
rnd_u64(struct tctx *t)
{
   /* xorshift64*: deterministic for a given seed */
   t->rng ^= t->rng >> 12;
   t->rng ^= t->rng << 25;
   t->rng ^= t->rng >> 27;
   return t->rng * 0x2545F4914F6CDD1Dull;
}

void
rnd_bytes(struct tctx *t, void *dst, size_t size)
{
   uint8_t *d = dst;
   while (size) {
      uint64_t v = rnd_u64(t);
      size_t n = size < 8 ? size : 8;
      memcpy(d, &v, n);
      d += n;
      size -= n;
   }
}

uint64_t
rnd_id(struct tctx *t)
{
   uint64_t v;
   do
      v = rnd_u64(t);
   while (!v);
   return v;
}

uint32_t
rnd_len(struct tctx *t)
{
   /* 0, 1, 2 or 3 elements: empty, single and several */
   return (uint32_t)(rnd_u64(t) % 4);
}

bool
rnd_maybe(struct tctx *t)
{
   return rnd_u64(t) % 4 == 0;
}

void
rnd_string_into(struct tctx *t, char *dst, size_t size)
{
   size_t len = (size_t)(rnd_u64(t) % (size < 13 ? size : 13));
   for (size_t i = 0; i < len; i++)
      dst[i] = (char)('a' + rnd_u64(t) % 26);
   memset(dst + len, 0, size - len);
}

const char *
rnd_string(struct tctx *t)
{
   char *s = talloc(t, 16);
   rnd_string_into(t, s, 16);
   return s;
}

void *
fill_chain(struct tctx *t, const int32_t *allowed, size_t count)
{
   /* 0 to 3 distinct structs of the allowed list, in random order */
   int32_t pick[3];
   size_t max = count < 3 ? count : 3;
   size_t n = (size_t)(rnd_u64(t) % (max + 1));
   for (size_t i = 0; i < n; i++) {
      bool dup;
      do {
         pick[i] = allowed[rnd_u64(t) % count];
         dup = false;
         for (size_t j = 0; j < i; j++)
            dup |= pick[j] == pick[i];
      } while (dup);
   }
   VkBaseOutStructure *head = NULL, *tail = NULL;
   for (size_t i = 0; i < n; i++) {
      VkBaseOutStructure *s = talloc(t, chained_size(pick[i]));
      s->sType = (VkStructureType)pick[i];
      fill_chained_self(t, s);
      if (tail)
         tail->pNext = s;
      else
         head = s;
      tail = s;
   }
   return head;
}

void *
skel_chain(struct tctx *t, const void *src)
{
   VkBaseOutStructure *head = NULL, *tail = NULL;
   for (const VkBaseOutStructure *s = src; s; s = s->pNext) {
      VkBaseOutStructure *d = talloc(t, chained_size((int32_t)s->sType));
      d->sType = s->sType;
      skel_chained_self(t, d, s);
      if (tail)
         tail->pNext = d;
      else
         head = d;
      tail = d;
   }
   return head;
}

void
cmp_chain(struct cmp *c, const void *va, const void *vb, bool partial)
{
   const VkBaseOutStructure *a = va, *b = vb;
   while (a && b) {
      if (a->sType != b->sType) {
         c->failed = true;
         c->path = "pNext chain";
         return;
      }
      cmp_chained_self(c, a, b, partial);
      a = a->pNext;
      b = b->pNext;
   }
   if (a || b) {
      c->failed = true;
      c->path = "pNext chain length";
   }
}

void
cmp_bytes(struct cmp *c, const void *a, const void *b, size_t n, const char *path)
{
   if (!c->failed && n && memcmp(a, b, n)) {
      c->failed = true;
      c->path = path;
   }
}

void
cmp_str(struct cmp *c, const char *a, const char *b, const char *path)
{
   if (c->failed)
      return;
   if ((!a) != (!b) || (a && strcmp(a, b))) {
      c->failed = true;
      c->path = path;
   }
}

void
cmp_empty(struct cmp *c, const void *a, const void *b, uint64_t n, const char *path)
{
   /* One side is NULL: equal only when nothing was there to carry. */
   if (!c->failed && n && (a || b)) {
      c->failed = true;
      c->path = path;
   }
}

void
cmp_present(struct cmp *c, const void *a, const void *b, uint64_t n, const char *path)
{
   if (!c->failed && n && (!a) != (!b)) {
      c->failed = true;
      c->path = path;
   }
}

void
t_fail(struct tctx *t, const char *what, const char *fmt, ...)
{
   if (t->failure)
      return;
   va_list ap;
   va_start(ap, fmt);
   vsnprintf(t->detail, sizeof(t->detail), fmt, ap);
   va_end(ap);
   t->failure = what;
}

static unsigned
run(const struct rt_case *cases, size_t count, const char *kind, unsigned *failed)
{
   unsigned passed = 0;
   for (size_t i = 0; i < count; i++) {
      struct tctx t = { .rng = 0x9E3779B97F4A7C15ull ^ (i * 0x100000001B3ull) };
      vl_arena_init(&t.arena, 0);
      vl_arena_init(&t.mem, 0);
      cases[i].run(&t);
      if (t.failure) {
         printf("FAIL %s %s: %s: %s\n", kind, cases[i].name, t.failure, t.detail);
         (*failed)++;
      } else {
         passed++;
      }
      vl_arena_finish(&t.arena);
      vl_arena_finish(&t.mem);
   }
   return passed;
}

int
main(void)
{
   unsigned failed = 0;
   const unsigned structs = run(rt_struct_cases, rt_struct_case_count, "struct", &failed);
   const unsigned commands = run(rt_command_cases, rt_command_case_count, "command", &failed);

   size_t without = 0;
   for (const char *const *n = rt_commands_without_wire_form; *n; n++) {
      printf("no wire form (guest-only, never encoded): %s\n", *n);
      without++;
   }
   printf("round trip: %u/%zu commands, %u/%zu structs and unions (%d commands in the tables)\n",
          commands, rt_command_case_count, structs, rt_struct_case_count,
          (int)rt_table_command_count);
   const bool complete = commands == rt_command_case_count && structs == rt_struct_case_count &&
                         rt_command_case_count + without == rt_table_command_count &&
                         rt_struct_case_count == VL_STRUCT_COUNT;
   if (!complete)
      printf("FAIL: not every generated command and struct round-trips\n");
   return failed || !complete ? 1 : 0;
}
