/*
 * The renderer side of a Venus ring: one thread per ring that consumes what
 * the guest publishes and executes it (ring.md §4), and the transport
 * commands that create, wake and destroy rings.
 *
 * Idle handling follows Venus's handshake, but the thread spins only briefly
 * (VLR_RING_SPIN_NS) before it sleeps on a futex, so an idle application or a
 * busy GPU does not cost a core.
 */
#include "vlr_ring.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vl_futex.h"
#include "vl_ring_layout.h"
#include "vlr_context.h"

/* How long the thread keeps polling after its last work before it sleeps. */
#define VLR_RING_SPIN_NS 20000u

struct vlr_ring {
   struct vlr_context *ctx;
   uint64_t id;
   uint32_t resource;
   _Atomic uint32_t *head, *tail, *status;
   _Atomic uint32_t *extra;
   size_t extra_size;
   uint8_t *buffer;
   uint32_t buffer_size;
   uint8_t *copy; /* a span that wraps around is copied here */
   pthread_t thread;
   atomic_bool stop;
   _Atomic uint32_t notify; /* futex word the thread sleeps on */
   struct vlr_exec exec;
};

static void *
ring_thread(void *data)
{
   struct vlr_ring *ring = data;
   struct vlr_context *ctx = ring->ctx;
   uint32_t cur = atomic_load_explicit(ring->head, memory_order_relaxed);
   uint64_t last_work = vl_now_ns();
   unsigned spins = 0;

   while (!atomic_load(&ring->stop)) {
      const uint32_t tail = atomic_load_explicit(ring->tail, memory_order_acquire);
      const uint32_t n = tail - cur;
      if (n) {
         if (n > ring->buffer_size) {
            vlr_context_set_lost(ctx, "a ring span is larger than the ring");
            break;
         }
         const uint32_t mask = ring->buffer_size - 1;
         const uint32_t off = cur & mask;
         const uint8_t *span = ring->buffer + off;
         if (off + n > ring->buffer_size) {
            const uint32_t first = ring->buffer_size - off;
            memcpy(ring->copy, ring->buffer + off, first);
            memcpy(ring->copy + first, ring->buffer, n - first);
            span = ring->copy;
         }
         pthread_mutex_lock(&ctx->lock);
         ring->exec.locked = true;
         ring->exec.reply_target = VLR_REPLY_STREAM;
         /* A lost context still consumes, so that the head keeps moving. */
         vlr_exec_stream(&ring->exec, span, n, "ring");
         ring->exec.locked = false;
         pthread_mutex_unlock(&ctx->lock);
         cur = tail;
         atomic_store_explicit(ring->head, cur, memory_order_seq_cst);
         if (ring->extra_size >= 8 && atomic_load(&ring->extra[1]))
            vl_futex_wake(ring->head);
         last_work = vl_now_ns();
         spins = 0;
         continue;
      }
      if (++spins < 64 || vl_now_ns() - last_work < VLR_RING_SPIN_NS) {
         vl_cpu_relax();
         continue;
      }
      /* Going idle: either we see the new tail, or the guest sees IDLE and
       * notifies (both sides use sequentially consistent operations). */
      const uint32_t wake = atomic_load(&ring->notify);
      atomic_store(ring->status, VL_RING_STATUS_IDLE);
      if (atomic_load(ring->tail) == cur && !atomic_load(&ring->stop))
         vl_futex_wait(&ring->notify, wake, 0);
      atomic_store(ring->status, 0);
      last_work = vl_now_ns();
      spins = 0;
   }
   return NULL;
}

static bool
region_ok(uint64_t begin, uint64_t size, uint64_t area)
{
   return begin % 4 == 0 && size % 4 == 0 && begin <= area && size <= area - begin;
}

static bool
disjoint(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
   return !as || !bs || a + as <= b || b + bs <= a;
}

void
vlr_handle_vkCreateRingMESA(struct vlr_exec *x, struct vl_args_vkCreateRingMESA *args)
{
   struct vlr_context *ctx = x->ctx;
   const VkRingCreateInfoMESA *info = args->pCreateInfo;
   struct vlr_resource resource, *res = &resource;
   if (!vlr_context_resource(ctx, info->resourceId, res)) {
      vlr_exec_fail(x, "the ring's resource is not attached");
      return;
   }
   if (info->offset > res->size || info->size > res->size - info->offset) {
      vlr_exec_fail(x, "the ring lies outside its resource");
      return;
   }
   const uint64_t area = info->size;
   const uint64_t regions[5][2] = {
      { info->headOffset, 4 },
      { info->tailOffset, 4 },
      { info->statusOffset, 4 },
      { info->bufferOffset, info->bufferSize },
      { info->extraOffset, info->extraSize },
   };
   for (int i = 0; i < 5; i++) {
      if (!region_ok(regions[i][0], regions[i][1], area)) {
         vlr_exec_fail(x, "a ring region is misaligned or outside the ring");
         return;
      }
      for (int j = 0; j < i; j++) {
         if (!disjoint(regions[i][0], regions[i][1], regions[j][0], regions[j][1])) {
            vlr_exec_fail(x, "ring regions overlap");
            return;
         }
      }
   }
   if (!info->bufferSize || (info->bufferSize & (info->bufferSize - 1)) ||
       info->bufferSize > VL_RING_MAX_BUFFER_SIZE) {
      vlr_exec_fail(x, "the ring buffer size is not a power of two up to 16 MiB");
      return;
   }
   uint8_t *base = (uint8_t *)res->data + info->offset;
   struct vlr_ring *ring = calloc(1, sizeof(*ring));
   if (!ring || !(ring->copy = malloc(info->bufferSize))) {
      free(ring);
      vlr_exec_fail(x, "out of memory for a ring");
      return;
   }
   ring->ctx = ctx;
   ring->id = args->ring;
   ring->resource = info->resourceId;
   ring->head = (_Atomic uint32_t *)(base + info->headOffset);
   ring->tail = (_Atomic uint32_t *)(base + info->tailOffset);
   ring->status = (_Atomic uint32_t *)(base + info->statusOffset);
   ring->buffer = base + info->bufferOffset;
   ring->buffer_size = (uint32_t)info->bufferSize;
   ring->extra = (_Atomic uint32_t *)(base + info->extraOffset);
   ring->extra_size = info->extraSize;
   if (atomic_load(ring->head) || atomic_load(ring->status) || atomic_load(ring->tail)) {
      free(ring->copy);
      free(ring);
      vlr_exec_fail(x, "the ring's head, tail and status must start at 0");
      return;
   }
   vlr_exec_init(&ring->exec, ctx);
   ring->exec.ring_id = ring->id;
   struct vlr_ring **rings = realloc(ctx->rings, (ctx->ring_count + 1) * sizeof(*rings));
   if (!rings || pthread_create(&ring->thread, NULL, ring_thread, ring)) {
      if (rings)
         ctx->rings = rings;
      vlr_exec_finish(&ring->exec);
      free(ring->copy);
      free(ring);
      vlr_exec_fail(x, "cannot start the ring thread");
      return;
   }
   ctx->rings = rings;
   ctx->rings[ctx->ring_count++] = ring;
}

static struct vlr_ring *
find_ring(struct vlr_exec *x, uint64_t id, size_t *index)
{
   for (size_t i = 0; i < x->ctx->ring_count; i++) {
      if (x->ctx->rings[i]->id == id) {
         if (index)
            *index = i;
         return x->ctx->rings[i];
      }
   }
   vlr_exec_failf(x, "unknown ring 0x%" PRIx64, id);
   return NULL;
}

static void
wake(struct vlr_ring *ring)
{
   atomic_fetch_add(&ring->notify, 1);
   vl_futex_wake(&ring->notify);
}

void
vlr_ring_destroy(struct vlr_ring *ring)
{
   atomic_store(&ring->stop, true);
   wake(ring);
   pthread_join(ring->thread, NULL);
   vlr_exec_finish(&ring->exec);
   free(ring->copy);
   free(ring);
}

void
vlr_handle_vkDestroyRingMESA(struct vlr_exec *x, struct vl_args_vkDestroyRingMESA *args)
{
   size_t i;
   struct vlr_ring *ring = find_ring(x, args->ring, &i);
   if (!ring)
      return;
   if (x == &ring->exec) {
      vlr_exec_fail(x, "a ring cannot destroy itself");
      return;
   }
   x->ctx->rings[i] = x->ctx->rings[--x->ctx->ring_count];
   /* The ring thread takes the context lock for every span: let go of it
    * while waiting for the thread to end. */
   vlr_exec_unlock(x);
   vlr_ring_destroy(ring);
   vlr_exec_lock(x);
}

void
vlr_context_notify_ring(struct vlr_context *ctx, uint64_t ring_id)
{
   /* Rings are added and removed under the context lock by the transport's
    * own thread, never concurrently with its notifications. */
   for (size_t i = 0; i < ctx->ring_count; i++) {
      if (ctx->rings[i]->id == ring_id)
         wake(ctx->rings[i]);
   }
}

void
vlr_context_stop_rings_on(struct vlr_context *ctx, uint32_t resource)
{
   /* A ring's own span may create rings: the list changes under the lock. */
   for (;;) {
      struct vlr_ring *ring = NULL;
      pthread_mutex_lock(&ctx->lock);
      for (size_t i = 0; i < ctx->ring_count && !ring; i++) {
         if (ctx->rings[i]->resource == resource) {
            ring = ctx->rings[i];
            ctx->rings[i] = ctx->rings[--ctx->ring_count];
         }
      }
      pthread_mutex_unlock(&ctx->lock);
      if (!ring)
         return;
      vlr_context_set_lost(ctx, "the resource of a ring was released while the ring ran");
      vlr_ring_destroy(ring);
   }
}

void
vlr_handle_vkNotifyRingMESA(struct vlr_exec *x, struct vl_args_vkNotifyRingMESA *args)
{
   struct vlr_ring *ring = find_ring(x, args->ring, NULL);
   if (ring)
      wake(ring);
}

void
vlr_handle_vkWriteRingExtraMESA(struct vlr_exec *x, struct vl_args_vkWriteRingExtraMESA *args)
{
   struct vlr_ring *ring = find_ring(x, args->ring, NULL);
   if (!ring)
      return;
   if (args->offset % 4 || args->offset > ring->extra_size || ring->extra_size - args->offset < 4) {
      vlr_exec_fail(x, "write outside the ring's extra region");
      return;
   }
   atomic_store_explicit(&ring->extra[args->offset / 4], args->value, memory_order_release);
}

/* ---- reply stream and indirect streams -------------------------------------------- */

void
vlr_handle_vkSetReplyCommandStreamMESA(struct vlr_exec *x,
                                       struct vl_args_vkSetReplyCommandStreamMESA *args)
{
   struct vlr_context *ctx = x->ctx;
   struct vlr_resource res;
   if (!vlr_context_resource(ctx, args->pStream->resourceId, &res) ||
       args->pStream->offset > res.size) {
      vlr_exec_fail(x, "the reply stream's resource is unknown or too small");
      return;
   }
   ctx->reply.set = true;
   ctx->reply.resource = args->pStream->resourceId;
   ctx->reply.offset = args->pStream->offset;
   ctx->reply.size = args->pStream->size;
   ctx->reply.pos = 0;
}

void
vlr_handle_vkSeekReplyCommandStreamMESA(struct vlr_exec *x,
                                        struct vl_args_vkSeekReplyCommandStreamMESA *args)
{
   struct vlr_context *ctx = x->ctx;
   if (!ctx->reply.set || args->position > ctx->reply.size) {
      vlr_exec_fail(x, "seek outside the reply stream");
      return;
   }
   ctx->reply.pos = args->position;
}

void
vlr_handle_vkExecuteCommandStreamsMESA(struct vlr_exec *x,
                                       struct vl_args_vkExecuteCommandStreamsMESA *args)
{
   struct vlr_context *ctx = x->ctx;
   if (!args->streamCount) {
      vlr_exec_fail(x, "no streams to execute");
      return;
   }
   if (x->depth) {
      vlr_exec_fail(x, "vkExecuteCommandStreamsMESA inside an executed stream");
      return;
   }
   if (!x->nested) {
      x->nested = malloc(sizeof(*x->nested));
      if (!x->nested) {
         vlr_exec_fail(x, "out of memory");
         return;
      }
      vlr_exec_init(x->nested, ctx);
   }
   struct vlr_exec *n = x->nested;
   n->ctx = ctx;
   n->depth = x->depth + 1;
   n->locked = x->locked;
   n->reply_target = x->reply_target;
   n->reply_buf = x->reply_buf;
   for (uint32_t i = 0; i < args->streamCount; i++) {
      const VkCommandStreamDescriptionMESA *s = &args->pStreams[i];
      if (args->pReplyPositions) {
         if (!ctx->reply.set || args->pReplyPositions[i] > ctx->reply.size) {
            vlr_exec_fail(x, "reply position outside the reply stream");
            return;
         }
         ctx->reply.pos = args->pReplyPositions[i];
      }
      if (!s->size)
         continue;
      struct vlr_resource res;
      if (!vlr_context_resource(ctx, s->resourceId, &res) || s->offset > res.size ||
          s->size > res.size - s->offset) {
         vlr_exec_fail(x, "an executed stream lies outside its resource");
         return;
      }
      /* In-process the guest keeps the stream unchanged until the ring head
       * passes this command, so it is decoded in place rather than copied. */
      if (!vlr_exec_stream(n, (const uint8_t *)res.data + s->offset, s->size, "indirect"))
         return;
   }
   x->reply_buf = n->reply_buf;
}

void
vlr_handle_vkGetVenusExperimentalFeatureData100000MESA(
   struct vlr_exec *x, struct vl_args_vkGetVenusExperimentalFeatureData100000MESA *args)
{
   (void)x;
   const VkVenusExperimentalFeatures100000MESA features = {
      .memoryResourceAllocationSize = VK_FALSE,
      .globalFencing = VK_FALSE,
      .largeRing = VK_TRUE,
      .syncFdFencing = VK_FALSE,
   };
   if (args->pData) {
      const size_t n = *args->pDataSize < sizeof(features) ? *args->pDataSize : sizeof(features);
      memcpy(args->pData, &features, n);
      *args->pDataSize = n;
   } else {
      *args->pDataSize = sizeof(features);
   }
}

void
vlr_handle_vkGetMemoryResourcePropertiesMESA(struct vlr_exec *x,
                                             struct vl_args_vkGetMemoryResourcePropertiesMESA *args)
{
   (void)x;
   /* Resources of this renderer are plain memory, never dma-bufs. */
   args->ret = VK_ERROR_INVALID_EXTERNAL_HANDLE;
}

void
vlr_handle_vkResetFenceResource100000MESA(struct vlr_exec *x,
                                          struct vl_args_vkResetFenceResource100000MESA *args)
{
   (void)args;
   vlr_exec_fail(x, "sync_fd fencing is not offered by this renderer (syncFdFencing is 0)");
}

void
vlr_handle_vkWaitSemaphoreResource100000MESA(struct vlr_exec *x,
                                             struct vl_args_vkWaitSemaphoreResource100000MESA *args)
{
   (void)args;
   vlr_exec_fail(x, "sync_fd fencing is not offered by this renderer (syncFdFencing is 0)");
}

void
vlr_handle_vkImportSemaphoreResource100000MESA(
   struct vlr_exec *x, struct vl_args_vkImportSemaphoreResource100000MESA *args)
{
   (void)args;
   vlr_exec_fail(x, "sync_fd fencing is not offered by this renderer (syncFdFencing is 0)");
}
