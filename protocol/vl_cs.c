/* Out-of-line decoder helpers: strings and object-id lookups. */
#include "vl_cs.h"

#include "vl_object_table.h"

VL_TLS uint8_t vl_chain_formats = 0xff;

void
vl_enc_overflow(struct vl_encoder *enc)
{
   enc->overflow = true;
   enc->cur = enc->end;
}

void
vl_dec_fail(struct vl_decoder *dec, const char *why)
{
   if (!dec->error) {
      dec->error = why;
      dec->error_at = dec->cur;
   }
   dec->cur = dec->end;
}

void
vl_dec_fail_value(struct vl_decoder *dec, const char *why, uint32_t value)
{
   if (!dec->error)
      dec->error_id = value;
   vl_dec_fail(dec, why);
}

const char *
vl_dec_string(struct vl_decoder *dec, bool optional)
{
   const uint64_t n = vl_dec_u64(dec);
   if (dec->error)
      return NULL;
   if (n == 0) {
      if (!optional)
         vl_dec_fail(dec, "NULL string where one is required");
      return NULL;
   }
   if (n > vl_dec_remaining(dec)) {
      vl_dec_fail(dec, "string longer than the bytes left in the stream");
      return NULL;
   }
   char *s = vl_dec_alloc(dec, 1, n);
   if (!s)
      return NULL;
   vl_dec_bytes(dec, s, (size_t)n, vl_pad4((size_t)n));
   if (!memchr(s, 0, (size_t)n)) {
      vl_dec_fail(dec, "string not terminated within its size");
      return NULL;
   }
   return s;
}

void
vl_dec_char_array(struct vl_decoder *dec, char *dst, size_t n)
{
   if (!vl_dec_bytes(dec, dst, n, vl_pad4(n)))
      return;
   if (n && !memchr(dst, 0, n)) {
      dst[n - 1] = '\0';
      vl_dec_fail(dec, "string not terminated within its array");
   }
}

static struct vl_object *
lookup(struct vl_decoder *dec, uint64_t id, int32_t objtype)
{
   struct vl_object *obj = vl_object_table_lookup(dec->objects, id);
   if (!obj || obj->type != objtype) {
      vl_dec_fail(dec, obj ? "object id names an object of another type" : "unknown object id");
      dec->error_id = id;
      return NULL;
   }
   return obj;
}

uint64_t
vl_dec_handle_lookup(struct vl_decoder *dec, int32_t objtype)
{
   const uint64_t id = vl_dec_u64(dec);
   dec->last_object = NULL;
   if (!id || !dec->objects || dec->error)
      return dec->error ? 0 : id;
   struct vl_object *obj = lookup(dec, id, objtype);
   dec->last_object = obj;
   return obj ? obj->host : 0;
}

uint64_t
vl_dec_dispatch_handle_lookup(struct vl_decoder *dec, int32_t objtype, struct vl_object **owner)
{
   *owner = NULL;
   const uint64_t id = vl_dec_u64(dec);
   if (dec->error)
      return 0;
   if (!id) {
      vl_dec_fail(dec, "NULL dispatchable handle");
      return 0;
   }
   if (!dec->objects)
      return id;
   struct vl_object *obj = lookup(dec, id, objtype);
   if (!obj)
      return 0;
   /* for vl_dec_dispatch_handle's inline path: the next command most likely
    * names the same command buffer, device or queue */
   dec->cached = obj;
   dec->cached_generation = dec->objects->generation;
   *owner = obj;
   return obj->host;
}
