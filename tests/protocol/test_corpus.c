/*
 * Interoperation with streams nobody here wrote: every command stream that a
 * Mesa venus guest sent to virglrenderer 0.10.4 (../shared/venus/corpus) is
 * decoded with our renderer-side decoder.
 *
 *  - Our command boundaries must equal the renderer's own (the index records).
 *  - Each decoded command, encoded again by our guest encoder, must give the
 *    captured bytes back, padding aside (padding positions are found by
 *    encoding twice with different padding values).
 *  - Each reply the renderer wrote is decoded by our guest-side reply decoder
 *    into the command's output storage, encoded again by our renderer-side
 *    reply encoder, and must give the captured reply bytes back likewise.
 *
 * Skips (exit 77) when the corpus is not next to the checkout.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_protocol_any.h"

#define SKIP 77

struct record {
   uint16_t kind;
   uint64_t seq;
   uint32_t ctx;
   uint64_t ref;
   const uint8_t *data;
   uint32_t size;
};

struct counts {
   unsigned streams, commands, identical, replies, reply_identical, failures;
};

static uint8_t *
read_file(const char *path, size_t *size)
{
   FILE *f = fopen(path, "rb");
   if (!f)
      return NULL;
   fseek(f, 0, SEEK_END);
   long n = ftell(f);
   fseek(f, 0, SEEK_SET);
   uint8_t *data = malloc((size_t)n + 1);
   if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
      free(data);
      data = NULL;
   }
   fclose(f);
   *size = (size_t)n;
   return data;
}

static size_t
parse(const uint8_t *data, size_t size, struct record *recs, size_t max)
{
   size_t n = 0, off = 0;
   while (off + 40 <= size && n < max) {
      struct record *r = &recs[n];
      if (memcmp(data + off, "VKRD", 4))
         break;
      memcpy(&r->kind, data + off + 6, 2);
      memcpy(&r->seq, data + off + 8, 8);
      memcpy(&r->size, data + off + 24, 4);
      memcpy(&r->ctx, data + off + 28, 4);
      memcpy(&r->ref, data + off + 32, 8);
      r->data = data + off + 40;
      off += 40 + r->size;
      if (off > size)
         break;
      n++;
   }
   return n;
}

static const struct record *
find(const struct record *recs, size_t n, uint16_t kind, uint32_t ctx, uint64_t ref)
{
   for (size_t i = 0; i < n; i++) {
      if (recs[i].kind == kind && recs[i].ctx == ctx && recs[i].ref == ref)
         return &recs[i];
   }
   return NULL;
}

/* Compares a re-encoding with the captured bytes, ignoring padding. */
static bool
same_but_padding(const uint8_t *orig, size_t size, const uint8_t *a, const uint8_t *b,
                 size_t enc_size)
{
   if (enc_size != size)
      return false;
   for (size_t i = 0; i < size; i++) {
      const bool padding = a[i] != b[i];
      if (!padding && a[i] != orig[i])
         return false;
   }
   return true;
}

static void
check_stream(const char *file, const struct record *recs, size_t nrec, const struct record *s,
             struct counts *c)
{
   const struct record *index = find(recs, nrec, 5, s->ctx, s->seq);
   const struct record *reply = find(recs, nrec, 4, s->ctx, s->seq);
   size_t reply_off = 0;
   struct vl_arena arena;
   vl_arena_init(&arena, 0);
   struct vl_decoder dec;
   vl_dec_init(&dec, s->data, s->size, &arena, NULL);
   unsigned i = 0;
   c->streams++;
   while (vl_dec_remaining(&dec)) {
      const uint32_t offset = (uint32_t)(dec.cur - s->data);
      const int32_t id = (int32_t)vl_dec_u32(&dec);
      const uint32_t flags = vl_dec_u32(&dec);
      uint32_t want_off = 0;
      int32_t want_id = -1;
      if (index && (i + 1) * 8 <= index->size) {
         memcpy(&want_off, index->data + i * 8, 4);
         memcpy(&want_id, index->data + i * 8 + 4, 4);
      }
      if (want_off != offset || want_id != id) {
         printf("FAIL %s seq %llu: command %u at %u id %d, renderer saw %u id %d\n", file,
                (unsigned long long)s->seq, i, offset, id, want_off, want_id);
         c->failures++;
         break;
      }
      const size_t args_size = vl_args_size(id);
      void *args = calloc(1, args_size ? args_size : 1);
      if (!args_size || !vl_decode_any_args(&dec, id, args) || dec.error) {
         printf("FAIL %s seq %llu: command %u (id %d) does not decode: %s\n", file,
                (unsigned long long)s->seq, i, id, dec.error ? dec.error : "unknown id");
         c->failures++;
         free(args);
         break;
      }
      c->commands++;
      const size_t size = (size_t)(dec.cur - s->data) - offset;
      uint8_t *a = malloc(size + 64), *b = malloc(size + 64);
      struct vl_encoder enc;
      vl_enc_init(&enc, a, size + 64);
      vl_reencode_any(&enc, id, flags, args);
      const size_t enc_size = (size_t)(enc.cur - a);
      vl_enc_init(&enc, b, size + 64);
      enc.pad = 0xff;
      vl_reencode_any(&enc, id, flags, args);
      if (same_but_padding(s->data + offset, size, a, b, enc_size)) {
         c->identical++;
      } else {
         printf("FAIL %s seq %llu: command %u (id %d) encodes differently (%zu vs %zu bytes)\n",
                file, (unsigned long long)s->seq, i, id, enc_size, size);
         c->failures++;
      }
      free(a);
      free(b);

      if ((flags & VK_COMMAND_GENERATE_REPLY_BIT_EXT) && reply) {
         /* This command's reply starts at reply_off; its length is what our
          * guest-side decoder consumes. */
         struct vl_decoder rdec;
         vl_dec_init(&rdec, reply->data + reply_off, reply->size - reply_off, NULL, NULL);
         vl_decode_any_reply(&rdec, id, args);
         const size_t rsize = (size_t)(rdec.cur - (reply->data + reply_off));
         c->replies++;
         uint8_t *ra = malloc(rsize + 64), *rb = malloc(rsize + 64);
         vl_enc_init(&enc, ra, rsize + 64);
         vl_encode_any_reply_args(&enc, id, args);
         const size_t renc = (size_t)(enc.cur - ra);
         vl_enc_init(&enc, rb, rsize + 64);
         enc.pad = 0xff;
         vl_encode_any_reply_args(&enc, id, args);
         if (!rdec.error && same_but_padding(reply->data + reply_off, rsize, ra, rb, renc)) {
            c->reply_identical++;
         } else {
            printf("FAIL %s seq %llu: reply of command %u (id %d): %s (%zu vs %zu bytes)\n", file,
                   (unsigned long long)s->seq, i, id, rdec.error ? rdec.error : "differs", renc,
                   rsize);
            c->failures++;
         }
         reply_off += rsize;
         free(ra);
         free(rb);
      }
      free(args);
      vl_arena_reset(&arena);
      i++;
   }
   if (index && i * 8 != index->size && !dec.error) {
      printf("FAIL %s seq %llu: %u commands, renderer saw %u\n", file, (unsigned long long)s->seq,
             i, index->size / 8);
      c->failures++;
   }
   if (reply && reply_off != reply->size) {
      printf("FAIL %s seq %llu: replies cover %zu of %u bytes\n", file, (unsigned long long)s->seq,
             reply_off, reply->size);
      c->failures++;
   }
   vl_arena_finish(&arena);
}

int
main(void)
{
   const char *dir = getenv("VL_CORPUS_DIR");
   if (!dir)
      dir = VL_SHARED_DIR "/venus/corpus";
   DIR *d = opendir(dir);
   if (!d) {
      printf("SKIP: no corpus at %s\n", dir);
      return SKIP;
   }
   struct counts c = { 0 };
   unsigned files = 0;
   struct dirent *e;
   while ((e = readdir(d))) {
      const size_t len = strlen(e->d_name);
      if (len < 5 || strcmp(e->d_name + len - 5, ".vkrd"))
         continue;
      char path[4096];
      snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
      size_t size;
      uint8_t *data = read_file(path, &size);
      if (!data) {
         printf("FAIL cannot read %s\n", path);
         c.failures++;
         continue;
      }
      const size_t max = size / 40 + 1;
      struct record *recs = calloc(max, sizeof(*recs));
      const size_t n = parse(data, size, recs, max);
      for (size_t i = 0; i < n; i++) {
         if (recs[i].kind >= 1 && recs[i].kind <= 3)
            check_stream(e->d_name, recs, n, &recs[i], &c);
      }
      files++;
      free(recs);
      free(data);
   }
   closedir(d);
   printf("corpus: %u files, %u streams, %u commands decoded at the renderer's boundaries, "
          "%u re-encoded byte for byte; %u replies, %u re-encoded byte for byte\n",
          files, c.streams, c.commands, c.identical, c.replies, c.reply_identical);
   if (!files) {
      printf("SKIP: no .vkrd files in %s\n", dir);
      return SKIP;
   }
   return c.failures ? 1 : 0;
}
