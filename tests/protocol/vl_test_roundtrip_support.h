/*
 * Support for the generated round-trip test (vl_test_roundtrip.c, emitted by
 * protocol/gen/emit_tests.py): a deterministic random source, test-owned
 * memory, and field comparison that records the first mismatch.
 */
#ifndef VL_TEST_ROUNDTRIP_SUPPORT_H
#define VL_TEST_ROUNDTRIP_SUPPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vl_protocol_guest.h"
#include "vl_protocol_host.h"

struct tctx {
   uint64_t rng;
   struct vl_arena arena; /* the decoder's temporary storage */
   struct vl_arena mem;   /* everything the test itself allocates */
   const char *failure;   /* first failure of the current case */
   char detail[256];
};

struct cmp {
   const char *what;
   bool failed;
   const char *path;
};

struct rt_case {
   const char *name;
   void (*run)(struct tctx *t);
};

extern const struct rt_case rt_struct_cases[];
extern const size_t rt_struct_case_count;
extern const struct rt_case rt_command_cases[];
extern const size_t rt_command_case_count;
extern const size_t rt_table_command_count;
extern const char *const rt_commands_without_wire_form[];

void *talloc(struct tctx *t, size_t size);
uint64_t rnd_u64(struct tctx *t);
void rnd_bytes(struct tctx *t, void *dst, size_t size);
uint64_t rnd_id(struct tctx *t);
uint32_t rnd_len(struct tctx *t);
bool rnd_maybe(struct tctx *t);
const char *rnd_string(struct tctx *t);
void rnd_string_into(struct tctx *t, char *dst, size_t size);

void *fill_chain(struct tctx *t, const int32_t *allowed, size_t count);
void *skel_chain(struct tctx *t, const void *src);
void cmp_chain(struct cmp *c, const void *a, const void *b, bool partial);

/* Generated per-sType dispatch used by the helpers above. */
size_t chained_size(int32_t stype);
void fill_chained_self(struct tctx *t, VkBaseOutStructure *s);
void cmp_chained_self(struct cmp *c, const VkBaseOutStructure *a, const VkBaseOutStructure *b,
                      bool partial);
void skel_chained_self(struct tctx *t, VkBaseOutStructure *dst, const VkBaseOutStructure *src);
void refill_chained(struct tctx *t, VkBaseOutStructure *s);

void t_fail(struct tctx *t, const char *what, const char *fmt, ...)
   __attribute__((format(printf, 3, 4)));

void cmp_bytes(struct cmp *c, const void *a, const void *b, size_t n, const char *path);
void cmp_str(struct cmp *c, const char *a, const char *b, const char *path);
void cmp_empty(struct cmp *c, const void *a, const void *b, uint64_t n, const char *path);
void cmp_present(struct cmp *c, const void *a, const void *b, uint64_t n, const char *path);

#define CMP_BYTES(a, b, n, path)   cmp_bytes(c, (a), (b), (n), (path))
#define CMP_STR(a, b, path)        cmp_str(c, (a), (b), (path))
#define CMP_EMPTY(a, b, n, path)   cmp_empty(c, (a), (b), (n), (path))
#define CMP_PRESENT(a, b, n, path) cmp_present(c, (a), (b), (n), (path))

#define CHECK_SIZE(what, written, size)                                                            \
   do {                                                                                            \
      if ((written) != (size)) {                                                                   \
         t_fail(t, what, "wrote %zu bytes, sizeof says %zu", (size_t)(written), (size_t)(size));   \
         return;                                                                                   \
      }                                                                                            \
   } while (0)
#define CHECK_DECODED(what, dec)                                                                   \
   do {                                                                                            \
      if ((dec)->error || vl_dec_remaining(dec)) {                                                 \
         t_fail(t, what, "decode: %s (%zu bytes left)", (dec)->error ? (dec)->error : "ok",        \
                vl_dec_remaining(dec));                                                            \
         return;                                                                                   \
      }                                                                                            \
   } while (0)
#define CHECK_CMP(cmpp)                                                                            \
   do {                                                                                            \
      if ((cmpp)->failed) {                                                                        \
         t_fail(t, (cmpp)->what, "field %s differs", (cmpp)->path);                                \
         return;                                                                                   \
      }                                                                                            \
   } while (0)
#define CHECK_TRUE(what, cond)                                                                     \
   do {                                                                                            \
      if (!(cond)) {                                                                               \
         t_fail(t, what, "check failed: %s", #cond);                                               \
         return;                                                                                   \
      }                                                                                            \
   } while (0)

#endif
