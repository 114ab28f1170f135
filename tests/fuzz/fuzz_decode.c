/*
 * Fuzzing target: bytes -> the decoders alone (no renderer, no host driver).
 *
 * The input is a command stream, optionally followed by replies: when it
 * starts with a u32 n that fits, the n bytes after it are the stream and
 * the rest are its replies.  Every command goes through the generated
 * dispatch (vl_decode_any_args), its decoded arguments through the generated
 * printer of vl-dump (into no file), and a reply, when there is one for it,
 * through the guest's reply decoder (vl_decode_any_reply) into the output
 * storage the command's decoder allocated: the path vl-dump and the replay
 * take with a capture, and the ICD with a reply.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vl_capture.h"
#include "vl_dump_gen.h"
#include "vl_dump_print.h"

/* Temporary storage per command: the renderer allows 1 GiB; a fuzzer that
 * zeroes that much per input learns nothing more at 64 MiB. */
#define FUZZ_ARENA_LIMIT ((size_t)64 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
   const uint8_t *stream = data;
   size_t stream_size = size;
   struct vl_record replies_record = { .kind = VL_RECORD_REPLY };
   bool with_replies = false;
   if (size >= 4) {
      uint32_t n;
      memcpy(&n, data, 4);
      if (n <= size - 4) {
         stream = data + 4;
         stream_size = n;
         replies_record.data = data + 4 + n;
         replies_record.length = (uint32_t)(size - 4 - n);
         with_replies = true;
      }
   }

   struct vl_walk w;
   vl_walk_init(&w, stream, stream_size);
   w.arena.limit = FUZZ_ARENA_LIMIT;
   struct vl_replies replies;
   vl_replies_init(&replies, with_replies ? &replies_record : NULL);
   struct vl_dump d;
   vl_dump_init(&d, NULL, 4);
   while (vl_walk_next(&w) == 1) {
      vl_dump_args(&d, w.id, w.args);
      const uint8_t *reply;
      size_t reply_size;
      if (vl_replies_next(&replies, &w, &reply, &reply_size))
         vl_dump_result(&d, w.id, w.args);
      vl_dump_end_line(&d);
   }
   vl_walk_finish(&w);
   vl_dump_finish(&d);
   return 0;
}
