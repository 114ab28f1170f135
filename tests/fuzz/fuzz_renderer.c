/*
 * Fuzzing target: bytes -> a fresh renderer context on lavapipe.
 *
 * Each input gets a context of its own, as a guest connection would: a reply
 * stream (resource 1) is set, a copy of the input is attached as resource 2
 * (so that vkExecuteCommandStreamsMESA and rings can name memory the input
 * controls), and the input is submitted as one direct stream.  The context
 * is then destroyed, with whatever the input left behind.  Seeds are
 * flattened captures of the integration tests (vl-dump --flatten).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_protocol_guest.h"
#include "vlr_renderer.h"

#define REPLY_SIZE ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
   char err[512];
   /* lavapipe, no validation; work that waits for a signal the input never
    * gives is released after 100 ms rather than 10 s */
   const struct vlr_context_options options = { .idle_timeout_ns = 100000000,
                                                .refuse_unbounded_waits = true,
                                                .guards = VLR_GUARDS_REFUSE };
   struct vlr_context *ctx = vlr_context_create(&options, err, sizeof(err));
   if (!ctx) {
      fprintf(stderr, "fuzz_renderer: no renderer context: %s\n", err);
      abort();
   }
   uint8_t *reply = calloc(1, REPLY_SIZE);
   uint8_t *shared = malloc(size ? size : 1);
   uint8_t *stream = malloc(size ? size : 1);
   if (!reply || !shared || !stream)
      abort();
   memcpy(shared, data, size);
   memcpy(stream, data, size);
   const uint32_t reply_id = vlr_context_resource_create(ctx, reply, REPLY_SIZE);
   vlr_context_resource_create(ctx, shared, size);

   uint8_t cmd[64];
   struct vl_encoder enc;
   vl_enc_init(&enc, cmd, sizeof(cmd));
   const VkCommandStreamDescriptionMESA desc = { .resourceId = reply_id, .size = REPLY_SIZE };
   vl_encode_vkSetReplyCommandStreamMESA(&enc, 0, &desc);
   if (!vlr_context_submit(ctx, cmd, (size_t)(enc.cur - cmd)))
      abort();

   vlr_context_submit(ctx, stream, size);

   vlr_context_destroy(ctx);
   free(stream);
   free(shared);
   free(reply);
   return 0;
}
