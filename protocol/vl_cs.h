/*
 * Command-stream primitives: the encoder and decoder that generated code calls.
 *
 * Encoding (guest commands, host replies) writes into a buffer whose size was
 * computed first by the generated sizeof functions; every write is still
 * bounds-checked, and an overflow is recorded instead of performed.
 *
 * Decoding (host commands, guest replies) treats the input as untrusted: every
 * read is bounds-checked, every count is checked against the bytes left before
 * anything is allocated, and the first failure is recorded in the decoder and
 * moves it to the end of its input so that every later read fails at once.
 * Temporary storage comes from an arena that the caller resets after each
 * command.  All values are little-endian; items are 4-byte aligned at most.
 */
#ifndef VL_CS_H
#define VL_CS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vl_arena.h"
#include "vl_object_table.h"
#include "vl_tls.h"

/* Longest pNext chain accepted (and walked) on either side. */
#define VL_MAX_CHAIN 128
/* How many chained structs the guest walks before giving up on a looping chain. */
#define VL_MAX_CHAIN_WALK 1024

/* The wire formats (VL_WIRE_*) of the encoding in progress on this thread:
 * pNext structs of extensions outside them are dropped, so that a peer of
 * wire format 0 never sees a struct of wire format 1.  The guest's senders
 * set it to their transport's; elsewhere it keeps every struct. */
extern VL_TLS uint8_t vl_chain_formats;

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the wire format is little-endian; big-endian hosts need byte swapping"
#endif

/* The primitives must inline even into the large generated files, where the
 * compiler's unit-growth limits would otherwise keep them out of line. */
#define VL_INLINE static inline __attribute__((always_inline))

/* ---- encoder ----------------------------------------------------------- */

struct vl_encoder {
   uint8_t *cur;
   uint8_t *end;
   bool overflow;
   uint8_t pad; /* value written into padding bytes (0; tests vary it) */
};

VL_INLINE void
vl_enc_init(struct vl_encoder *enc, void *buf, size_t size)
{
   enc->cur = (uint8_t *)buf;
   enc->end = (uint8_t *)buf + size;
   enc->overflow = false;
   enc->pad = 0;
}

static inline size_t
vl_pad4(size_t n)
{
   return (n + 3) & ~(size_t)3;
}

/* Out of line: the cold path of every write. */
void vl_enc_overflow(struct vl_encoder *enc);

/* A run of fixed-size fields the generator writes with one bounds check:
 * where they go (then stored with vl_put_*), or NULL on overflow. */
VL_INLINE uint8_t *
vl_enc_run(struct vl_encoder *enc, size_t size)
{
   if (__builtin_expect((size_t)(enc->end - enc->cur) < size, 0)) {
      vl_enc_overflow(enc);
      return NULL;
   }
   uint8_t *p = enc->cur;
   enc->cur += size;
   return p;
}

VL_INLINE void
vl_put_u32(uint8_t *p, uint32_t v)
{
   memcpy(p, &v, 4);
}

VL_INLINE void
vl_put_u64(uint8_t *p, uint64_t v)
{
   memcpy(p, &v, 8);
}

VL_INLINE void
vl_enc_bytes(struct vl_encoder *enc, const void *data, size_t size, size_t padded)
{
   if (__builtin_expect((size_t)(enc->end - enc->cur) < padded, 0)) {
      vl_enc_overflow(enc);
      return;
   }
   if (size)
      memcpy(enc->cur, data, size);
   if (padded > size)
      memset(enc->cur + size, enc->pad, padded - size);
   enc->cur += padded;
}

VL_INLINE void
vl_enc_u32(struct vl_encoder *enc, uint32_t v)
{
   if (__builtin_expect(enc->end - enc->cur < 4, 0)) {
      vl_enc_overflow(enc);
      return;
   }
   memcpy(enc->cur, &v, 4);
   enc->cur += 4;
}

VL_INLINE void
vl_enc_u64(struct vl_encoder *enc, uint64_t v)
{
   if (__builtin_expect(enc->end - enc->cur < 8, 0)) {
      vl_enc_overflow(enc);
      return;
   }
   memcpy(enc->cur, &v, 8);
   enc->cur += 8;
}

VL_INLINE void
vl_enc_u8(struct vl_encoder *enc, uint8_t v)
{
   vl_enc_u32(enc, v);
}

VL_INLINE void
vl_enc_u16(struct vl_encoder *enc, uint16_t v)
{
   vl_enc_u32(enc, v);
}

VL_INLINE void
vl_enc_f32(struct vl_encoder *enc, float v)
{
   uint32_t bits;
   memcpy(&bits, &v, 4);
   vl_enc_u32(enc, bits);
}

VL_INLINE void
vl_enc_f64(struct vl_encoder *enc, double v)
{
   uint64_t bits;
   memcpy(&bits, &v, 8);
   vl_enc_u64(enc, bits);
}

VL_INLINE void
vl_enc_size(struct vl_encoder *enc, size_t v)
{
   vl_enc_u64(enc, (uint64_t)v);
}

/* The "array size" that precedes every pointer, array and string. */
VL_INLINE void
vl_enc_array_size(struct vl_encoder *enc, uint64_t n)
{
   vl_enc_u64(enc, n);
}

/* A pointer to one object: u64 1 then the object, or u64 0 for NULL. */
VL_INLINE bool
vl_enc_ptr(struct vl_encoder *enc, const void *p)
{
   vl_enc_u64(enc, p ? 1 : 0);
   return p != NULL;
}

VL_INLINE void
vl_enc_blob(struct vl_encoder *enc, const void *data, size_t size)
{
   vl_enc_bytes(enc, data, size, vl_pad4(size));
}

static inline size_t
vl_sizeof_string(const char *s)
{
   return s ? 8 + vl_pad4(strlen(s) + 1) : 8;
}

VL_INLINE void
vl_enc_string(struct vl_encoder *enc, const char *s)
{
   if (!s) {
      vl_enc_u64(enc, 0);
      return;
   }
   const size_t n = strlen(s) + 1;
   vl_enc_u64(enc, n);
   vl_enc_blob(enc, s, n);
}

/* ---- decoder ----------------------------------------------------------- */

struct vl_object_table;
struct vl_object;

struct vl_decoder {
   const uint8_t *cur;
   const uint8_t *end;
   /* Temporary storage of the command being decoded (host side only). */
   struct vl_arena *arena;
   /* Object ids become host handles through this table.  NULL: ids decode
    * as raw handle values (tests, tools, and guest-side reply decoding). */
   struct vl_object_table *objects;
   /* Table entry of the last handle looked up (NULL for VK_NULL_HANDLE);
    * the renderer uses it to find the object a vkDestroy* names. */
   struct vl_object *last_object;
   /* The last object a command's dispatchable handle named, valid while the
    * table's generation is this one: a command buffer's stream names the
    * same command buffer in every command, and this saves the hash lookup. */
   struct vl_object *cached;
   uint64_t cached_generation;
   /* First failure, a static string; NULL while decoding succeeds. */
   const char *error;
   /* Object id that caused the failure, if one did. */
   uint64_t error_id;
   /* Where the decoder stood when it failed (tools report the byte). */
   const uint8_t *error_at;
   /* Enum values vk.xml does not define fail (the renderer's refusing
    * policy); off by default. */
   bool strict_enums;
};

VL_INLINE void
vl_dec_init(struct vl_decoder *dec, const void *data, size_t size, struct vl_arena *arena,
            struct vl_object_table *objects)
{
   dec->cur = (const uint8_t *)data;
   dec->end = (const uint8_t *)data + size;
   dec->arena = arena;
   dec->objects = objects;
   dec->last_object = NULL;
   dec->cached = NULL;
   dec->cached_generation = 0;
   dec->error = NULL;
   dec->error_id = 0;
   dec->error_at = NULL;
   dec->strict_enums = false;
}

/* Records the first failure and moves to the end, so every later read
 * fails at once.  Out of line: it is the cold path of every read. */
void vl_dec_fail(struct vl_decoder *dec, const char *why);
/* The same, naming the value that failed (reported as error_id). */
void vl_dec_fail_value(struct vl_decoder *dec, const char *why, uint32_t value);

VL_INLINE size_t
vl_dec_remaining(const struct vl_decoder *dec)
{
   return (size_t)(dec->end - dec->cur);
}

/* Copies size bytes out and skips padded - size bytes of padding. */
VL_INLINE bool
vl_dec_bytes(struct vl_decoder *dec, void *dst, size_t size, size_t padded)
{
   if (vl_dec_remaining(dec) < padded) {
      vl_dec_fail(dec, "stream ends inside a command");
      if (size)
         memset(dst, 0, size);
      return false;
   }
   if (size)
      memcpy(dst, dec->cur, size);
   dec->cur += padded;
   return true;
}

/* A run of fixed-size fields the generator reads with one bounds check:
 * where they are (then read with vl_get_*), or NULL when the stream ends
 * first (the decoder has failed, as a read of the first field would). */
VL_INLINE const uint8_t *
vl_dec_run(struct vl_decoder *dec, size_t size)
{
   if (__builtin_expect((size_t)(dec->end - dec->cur) < size, 0)) {
      vl_dec_fail(dec, "stream ends inside a command");
      return NULL;
   }
   const uint8_t *p = dec->cur;
   dec->cur += size;
   return p;
}

VL_INLINE uint32_t
vl_get_u32(const uint8_t *p)
{
   uint32_t v;
   memcpy(&v, p, 4);
   return v;
}

VL_INLINE uint64_t
vl_get_u64(const uint8_t *p)
{
   uint64_t v;
   memcpy(&v, p, 8);
   return v;
}

VL_INLINE uint32_t
vl_dec_u32(struct vl_decoder *dec)
{
   uint32_t v = 0;
   if (__builtin_expect(dec->end - dec->cur < 4, 0)) {
      vl_dec_fail(dec, "stream ends inside a command");
      return 0;
   }
   memcpy(&v, dec->cur, 4);
   dec->cur += 4;
   return v;
}

VL_INLINE uint64_t
vl_dec_u64(struct vl_decoder *dec)
{
   uint64_t v = 0;
   if (__builtin_expect(dec->end - dec->cur < 8, 0)) {
      vl_dec_fail(dec, "stream ends inside a command");
      return 0;
   }
   memcpy(&v, dec->cur, 8);
   dec->cur += 8;
   return v;
}

VL_INLINE uint8_t
vl_dec_u8(struct vl_decoder *dec)
{
   return (uint8_t)vl_dec_u32(dec);
}

VL_INLINE uint16_t
vl_dec_u16(struct vl_decoder *dec)
{
   return (uint16_t)vl_dec_u32(dec);
}

VL_INLINE float
vl_dec_f32(struct vl_decoder *dec)
{
   const uint32_t bits = vl_dec_u32(dec);
   float v;
   memcpy(&v, &bits, 4);
   return v;
}

VL_INLINE double
vl_dec_f64(struct vl_decoder *dec)
{
   const uint64_t bits = vl_dec_u64(dec);
   double v;
   memcpy(&v, &bits, 8);
   return v;
}

VL_INLINE size_t
vl_dec_size(struct vl_decoder *dec)
{
   const uint64_t v = vl_dec_u64(dec);
   if (v > SIZE_MAX) {
      vl_dec_fail(dec, "size_t value does not fit");
      return 0;
   }
   return (size_t)v;
}

VL_INLINE uint64_t
vl_dec_peek_u64(const struct vl_decoder *dec)
{
   uint64_t v = 0;
   if (vl_dec_remaining(dec) >= 8)
      memcpy(&v, dec->cur, 8);
   return v;
}

/* Reads an array size that must equal expected. */
VL_INLINE bool
vl_dec_array_size(struct vl_decoder *dec, uint64_t expected)
{
   const uint64_t n = vl_dec_u64(dec);
   if (dec->error)
      return false;
   if (n != expected) {
      vl_dec_fail(dec, "array size differs from its count");
      return false;
   }
   return true;
}

/* Fails unless count elements of at least min_size wire bytes each can still
 * follow.  Called before anything is allocated for them. */
VL_INLINE bool
vl_dec_check_count(struct vl_decoder *dec, uint64_t count, size_t min_size)
{
   if (min_size && count > vl_dec_remaining(dec) / min_size) {
      vl_dec_fail(dec, "count larger than the bytes left in the stream");
      return false;
   }
   return true;
}

/* Zeroed temporary storage for count elements of elem_size bytes. */
VL_INLINE void *
vl_dec_alloc(struct vl_decoder *dec, size_t elem_size, uint64_t count)
{
   if (dec->error)
      return NULL;
   if (!dec->arena) {
      vl_dec_fail(dec, "decoder has no temporary storage");
      return NULL;
   }
   if (count && elem_size > SIZE_MAX / count) {
      vl_dec_fail(dec, "allocation size overflows");
      return NULL;
   }
   void *p = vl_arena_alloc(dec->arena, elem_size * (size_t)count);
   if (!p)
      vl_dec_fail(dec, "temporary storage limit exceeded");
   return p;
}

/* A string: u64 size (strlen + 1), then the bytes padded to 4; size 0 is NULL.
 * The string must be terminated within its size. */
const char *vl_dec_string(struct vl_decoder *dec, bool optional);

/* The same for a fixed char array of exactly n bytes (already sized). */
void vl_dec_char_array(struct vl_decoder *dec, char *dst, size_t n);

/* Object ids.  An input handle is looked up (existence and type); id 0 is
 * VK_NULL_HANDLE.  The first parameter of a command, when dispatchable, must
 * not be NULL; its table entry is returned through owner. */
uint64_t vl_dec_handle_lookup(struct vl_decoder *dec, int32_t objtype);

/* Inline for the common case, a known id of the right type (every command
 * names a few handles: the call was 7 % of the renderer's instructions in a
 * descriptor-set cycle); vl_dec_handle_lookup does the rest: VK_NULL_HANDLE,
 * no table, and every failure. */
VL_INLINE uint64_t
vl_dec_handle(struct vl_decoder *dec, int32_t objtype)
{
   if (dec->end - dec->cur >= 8 && dec->objects && !dec->error) {
      uint64_t id;
      memcpy(&id, dec->cur, 8);
      struct vl_object *o = vl_object_table_lookup(dec->objects, id);
      if (o && o->type == objtype) {
         dec->cur += 8;
         dec->last_object = o;
         return o->host;
      }
   }
   return vl_dec_handle_lookup(dec, objtype);
}
/* A pNext chain's common case, none: its 0 marker read without a call.  Anything
 * else (a chain, a short stream) is left to the chain's decoder. */
VL_INLINE bool
vl_dec_chain_empty(struct vl_decoder *dec)
{
   if (dec->end - dec->cur >= 8 && !vl_dec_peek_u64(dec)) {
      dec->cur += 8;
      return true;
   }
   return false;
}
/* The same where vk.xml allows no VK_NULL_HANDLE. */
VL_INLINE uint64_t
vl_dec_handle_required(struct vl_decoder *dec, int32_t objtype)
{
   if (dec->end - dec->cur >= 8 && !vl_dec_peek_u64(dec)) {
      vl_dec_fail(dec, "VK_NULL_HANDLE where a handle is required");
      return 0;
   }
   return vl_dec_handle(dec, objtype);
}
uint64_t vl_dec_dispatch_handle_lookup(struct vl_decoder *dec, int32_t objtype,
                                       struct vl_object **owner);

/* Inline for the common case: the object the previous command named. */
VL_INLINE uint64_t
vl_dec_dispatch_handle(struct vl_decoder *dec, int32_t objtype, struct vl_object **owner)
{
   struct vl_object *o = dec->cached; /* stale unless the generation matches: checked first */
   if (o && dec->end - dec->cur >= 8 && dec->cached_generation == dec->objects->generation &&
       o->type == objtype) {
      uint64_t id;
      memcpy(&id, dec->cur, 8);
      if (id == o->id) {
         dec->cur += 8;
         *owner = o;
         return o->host;
      }
   }
   return vl_dec_dispatch_handle_lookup(dec, objtype, owner);
}

/* ---- chains ------------------------------------------------------------- */

/* Struct header shared by every chained struct (VkBaseInStructure). */
struct vl_chain_link {
   int32_t sType;
   const struct vl_chain_link *pNext;
};

#endif /* VL_CS_H */
