/* Reading captures and walking streams (see vl_capture.h). */
#include "vl_capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_protocol_any.h"

/* The dumper decodes with the renderer's per-command cap. */
#define WALK_ARENA_LIMIT 0

const char *
vl_record_kind_name(uint16_t kind)
{
   switch (kind) {
   case VL_RECORD_RING:
      return "ring";
   case VL_RECORD_DIRECT:
      return "direct";
   case VL_RECORD_INDIRECT:
      return "indirect";
   case VL_RECORD_REPLY:
      return "reply";
   case VL_RECORD_INDEX:
      return "index";
   default:
      return "unknown";
   }
}

static bool
read_file(struct vl_capture *c, const char *path)
{
   memset(c, 0, sizeof(*c));
   FILE *f = fopen(path, "rb");
   if (!f) {
      snprintf(c->error, sizeof(c->error), "%s: %s", path, strerror(errno));
      return false;
   }
   size_t cap = 1 << 16;
   c->file = malloc(cap);
   while (c->file) {
      c->size += fread(c->file + c->size, 1, cap - c->size, f);
      if (c->size < cap)
         break;
      uint8_t *bigger = realloc(c->file, cap * 2);
      if (!bigger) {
         free(c->file);
         c->file = NULL;
         break;
      }
      c->file = bigger;
      cap *= 2;
   }
   const bool failed = ferror(f) || !c->file;
   fclose(f);
   if (failed) {
      snprintf(c->error, sizeof(c->error), "%s: cannot be read", path);
      free(c->file);
      c->file = NULL;
      return false;
   }
   return true;
}

static struct vl_record *
add_record(struct vl_capture *c)
{
   if ((c->count & (c->count - 1)) == 0) {
      const size_t cap = c->count ? c->count * 2 : 64;
      struct vl_record *r = realloc(c->records, cap * sizeof(*r));
      if (!r)
         return NULL;
      c->records = r;
   }
   struct vl_record *r = &c->records[c->count++];
   memset(r, 0, sizeof(*r));
   return r;
}

bool
vl_capture_load(struct vl_capture *c, const char *path)
{
   if (!read_file(c, path))
      return false;
   size_t at = 0;
   while (at < c->size) {
      const uint8_t *h = c->file + at;
      if (c->size - at < VL_RECORD_HEADER_SIZE) {
         snprintf(c->error, sizeof(c->error),
                  "byte %zu: %zu bytes left, too few for a record header", at, c->size - at);
         break;
      }
      struct vl_capture_header head;
      vl_capture_header_read(h, &head);
      if (memcmp(head.magic, VL_CAPTURE_MAGIC, 4)) {
         snprintf(c->error, sizeof(c->error), "byte %zu: no record starts here (magic is not VKRD)",
                  at);
         break;
      }
      if (head.version != VL_CAPTURE_VERSION) {
         snprintf(c->error, sizeof(c->error), "byte %zu: record version %u, not %u", at,
                  head.version, VL_CAPTURE_VERSION);
         break;
      }
      const uint32_t length = head.length;
      if (length > c->size - at - VL_RECORD_HEADER_SIZE) {
         snprintf(c->error, sizeof(c->error),
                  "byte %zu: the record claims %u payload bytes, the file has %zu left", at, length,
                  c->size - at - VL_RECORD_HEADER_SIZE);
         break;
      }
      struct vl_record *r = add_record(c);
      if (!r) {
         snprintf(c->error, sizeof(c->error), "out of memory");
         break;
      }
      r->kind = head.kind;
      r->seq = head.seq;
      r->ring = head.ring;
      r->length = length;
      r->tag = head.tag;
      r->ref = head.ref;
      r->data = h + VL_RECORD_HEADER_SIZE;
      r->offset = at;
      at += VL_RECORD_HEADER_SIZE + (size_t)length;
   }
   return true;
}

bool
vl_capture_load_raw(struct vl_capture *c, const char *path)
{
   if (!read_file(c, path))
      return false;
   if (c->size > UINT32_MAX) {
      snprintf(c->error, sizeof(c->error), "%s: a stream of more than 4 GiB", path);
      return false;
   }
   struct vl_record *r = add_record(c);
   if (!r) {
      snprintf(c->error, sizeof(c->error), "out of memory");
      return false;
   }
   r->kind = VL_RECORD_DIRECT;
   r->seq = 1;
   r->data = c->file;
   r->length = (uint32_t)c->size;
   return true;
}

void
vl_capture_free(struct vl_capture *c)
{
   free(c->file);
   free(c->records);
   memset(c, 0, sizeof(*c));
}

struct vl_record *
vl_capture_take_indirect(struct vl_capture *c, uint32_t tag, uint64_t seq)
{
   for (size_t i = 0; i < c->count; i++) {
      struct vl_record *r = &c->records[i];
      if (r->kind == VL_RECORD_INDIRECT && !r->used && r->tag == tag && r->ref == seq) {
         r->used = true;
         return r;
      }
   }
   return NULL;
}

struct vl_record *
vl_capture_take_reply(struct vl_capture *c, uint32_t tag, uint64_t seq)
{
   for (size_t i = 0; i < c->count; i++) {
      struct vl_record *r = &c->records[i];
      if (r->kind == VL_RECORD_REPLY && !r->used && r->tag == tag && r->ref == seq) {
         r->used = true;
         return r;
      }
   }
   return NULL;
}

/* ---- walking a stream ------------------------------------------------------------- */

void
vl_walk_init(struct vl_walk *w, const void *data, size_t size)
{
   memset(w, 0, sizeof(*w));
   w->data = data;
   w->size = size;
   vl_arena_init(&w->arena, WALK_ARENA_LIMIT);
   vl_dec_init(&w->dec, data, size, &w->arena, NULL);
}

void
vl_walk_finish(struct vl_walk *w)
{
   vl_arena_finish(&w->arena);
}

static int
failed(struct vl_walk *w)
{
   w->error = w->dec.error ? w->dec.error : "decoding failed";
   w->error_id = w->dec.error_id;
   w->error_at = w->dec.error_at ? (size_t)(w->dec.error_at - w->data) : w->offset;
   return -1;
}

int
vl_walk_next(struct vl_walk *w)
{
   if (w->error)
      return -1;
   vl_arena_reset(&w->arena);
   w->args = NULL;
   w->id = -1;
   w->flags = 0;
   w->offset = (size_t)(w->dec.cur - w->data);
   w->length = 0;
   if (!vl_dec_remaining(&w->dec))
      return 0;
   w->id = (int32_t)vl_dec_u32(&w->dec);
   w->flags = vl_dec_u32(&w->dec);
   if (w->dec.error) {
      w->id = -1;
      return failed(w);
   }
   const size_t size = vl_args_size(w->id);
   if (!size) {
      vl_dec_fail(&w->dec, "unknown command type");
      return failed(w);
   }
   w->args = vl_dec_alloc(&w->dec, size, 1);
   if (w->args)
      vl_decode_any_args(&w->dec, w->id, w->args);
   if (w->dec.error)
      return failed(w);
   w->length = (size_t)(w->dec.cur - w->data) - w->offset;
   return 1;
}

void
vl_replies_init(struct vl_replies *r, const struct vl_record *record)
{
   static const uint8_t none[1];
   memset(r, 0, sizeof(*r));
   r->present = record != NULL;
   r->data = record ? record->data : none; /* never NULL: NULL + 0 is undefined */
   /* no arena: a reply is decoded into the storage the command's decoder
    * allocated for its outputs */
   vl_dec_init(&r->dec, r->data, record ? record->length : 0, NULL, NULL);
}

bool
vl_replies_next(struct vl_replies *r, struct vl_walk *w, const uint8_t **bytes, size_t *size)
{
   if (!(w->flags & VK_COMMAND_GENERATE_REPLY_BIT_EXT) || !r->present || r->broken)
      return false;
   const uint8_t *start = r->dec.cur;
   if (!vl_dec_remaining(&r->dec) || !vl_decode_any_reply(&r->dec, w->id, w->args) ||
       r->dec.error) {
      r->broken = true;
      return false;
   }
   *bytes = start;
   *size = (size_t)(r->dec.cur - start);
   return true;
}
