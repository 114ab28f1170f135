/*
 * The in-process transport: a Venus ring in ordinary memory, consumed by a
 * renderer thread of the same process (VL_TRANSPORT=ring, the default).
 *
 *  - One-way commands are copied into the ring; the renderer thread is
 *    notified only when it has gone idle (Venus's IDLE handshake).
 *  - Streams larger than a slice of the ring (command buffers, big creates)
 *    travel indirectly: the memory is attached as a resource and the ring
 *    carries a vkExecuteCommandStreamsMESA naming it.
 *  - A call waits until the ring has executed everything submitted before it
 *    (spinning briefly, then sleeping on the head word), then decodes and
 *    executes the call on the calling thread itself: the full serialize ->
 *    execute path, without a thread hop or a trip through the reply stream.
 *  - A small one-way command that finds the ring drained is executed the
 *    same way, on the calling thread; the ring and its thread take over
 *    whenever work is queued, and always for big streams (command buffers),
 *    which the renderer thread then records while the application goes on.
 *  - A burst of one-way commands (more than BURST_MIN in a row, with no call,
 *    wait or queue submission between them: an engine creating a level's
 *    objects) goes through the ring even when it is drained, so that the
 *    renderer thread executes it on another core while the application
 *    encodes what follows.  The next call, wait or submission ends the burst.
 *  - Within a burst, stream-local commands (creates, destroys, binds,
 *    descriptor updates: what nothing outside the stream sees before a later
 *    command uses it) are published in batches of PUBLISH_BATCH bytes: the
 *    tail's cache line, which the renderer thread polls, changes hands once
 *    a batch instead of once a command.  Any other command, call, wait or
 *    queue submission publishes everything before it.
 *  - VL_DEBUG=ring turns both shortcuts off: every command goes through the
 *    ring and every reply through the Venus reply stream.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "vl_cacheline.h"
#include "vl_futex.h"
#include "vl_protocol_guest.h"
#include "vl_ring_layout.h"
#include "vl_transport.h"
#include "vlr_renderer.h"

#define RING_BUFFER_SIZE (256u * 1024u)
/* Larger streams go through a resource instead of being copied. */
#define DIRECT_MAX (RING_BUFFER_SIZE / 16u)
/* How long a waiting thread polls the head before it sleeps. */
#define WAIT_SPIN_NS 20000u
/* One-way streams up to this size may execute on the calling thread. */
#define INLINE_MAX 4096u
/* A command buffer handed over by its submission may execute on the calling
 * thread up to this size: the application is about to wait for its work,
 * and recording on its own thread is what the native driver does too.
 * Bigger ones go to the ring thread, so that one huge recording does not
 * hold up other threads' submissions. */
#define SUBMIT_INLINE_MAX (256u * 1024u)
/* One-way commands in a row after which the application counts as streaming
 * work it does not wait for.  Small enough that a level load goes parallel
 * at once, large enough that the few one-way commands between two calls
 * (set an event, then ask for its status) stay on the calling thread, where
 * they cost no thread hop. */
#define BURST_MIN 8u
/* How far a burst may run ahead of the renderer thread: past it, the
 * application waits until an eighth of it is done, which takes the renderer
 * a few microseconds, well within the spin of wait_head.  Waiting for more
 * (or for room in a full ring) made the application fall asleep, the
 * renderer drain everything, then idle while the application refilled: the
 * two threads took turns instead of working at once. */
#define BURST_LEAD (32u * 1024u)
/* How much of a burst of stream-local commands may wait unpublished: a few
 * microseconds of the application's encoding, well within the renderer
 * thread's spin before it naps. */
#define PUBLISH_BATCH 1024u
/* How far past the tail a push asks for ring lines to write (about two
 * descriptor-set cycles of commands). */
#define PREFETCH_AHEAD 512u
/* The reply stream of VL_DEBUG=ring mode. */
#define REPLY_BUFFER_SIZE (1u << 20)

struct retired {
   uint32_t seqno;
   uint32_t resource;
   void *free_data; /* an upload copy to free, or NULL */
};

struct inproc {
   struct vl_transport base;
   struct vlr_context *ctx;
   void *ring_mem;
   uint32_t ring_resource;
   uint64_t ring_id;
   _Atomic uint32_t *head, *tail, *status, *extra;
   uint8_t *buffer;

   /* The producers' state on cache lines of their own (vl_cacheline.h) */
   _Alignas(VL_CACHE_LINE) pthread_mutex_t lock; /* producers */
   uint32_t cur;                                 /* next tail */
   /* a head seen lately (under lock): the head only moves forward, so room
    * and lead computed from it are on the safe side, and the head's cache
    * line, which the renderer thread writes, is read only when they run out */
   uint32_t head_seen;
   bool ring_only;
   uint32_t published; /* the tail last stored */
   /* commands in the ring past the published tail; set under lock, read
    * from anywhere */
   _Atomic bool unpublished;
   /* one-way submissions since the last call, wait or queue submission;
    * written under lock, reset from anywhere */
   _Atomic uint32_t oneway_run;
   /* VL_DEBUG=ring: calls one at a time through the reply stream */
   _Alignas(VL_CACHE_LINE) pthread_mutex_t call_lock;
   uint8_t *reply_mem;
   uint32_t reply_resource;
   struct retired *retire;
   size_t retire_count, retire_cap;
};

static inline bool
passed(uint32_t head, uint32_t seqno)
{
   return (int32_t)(head - seqno) >= 0;
}

/* Waits until the renderer has executed everything up to seqno. */
static void
wait_head(struct inproc *t, uint32_t seqno)
{
   uint32_t head = atomic_load_explicit(t->head, memory_order_acquire);
   if (passed(head, seqno))
      return;
   const uint64_t start = vl_now_ns();
   while (vl_now_ns() - start < WAIT_SPIN_NS) {
      for (int i = 0; i < 32; i++)
         vl_cpu_relax();
      /* the renderer thread may be waiting for this very CPU */
      sched_yield();
      if (passed(atomic_load_explicit(t->head, memory_order_acquire), seqno))
         return;
      if (vlr_context_lost(t->ctx))
         return;
   }
   atomic_fetch_add(&t->extra[1], 1);
   while (!passed(head = atomic_load(t->head), seqno) && !vlr_context_lost(t->ctx))
      vl_futex_wait(t->head, head, 100000000u);
   atomic_fetch_sub(&t->extra[1], 1);
}

static void
retire_locked(struct inproc *t)
{
   const uint32_t head = atomic_load_explicit(t->head, memory_order_acquire);
   size_t keep = 0;
   for (size_t i = 0; i < t->retire_count; i++) {
      if (passed(head, t->retire[i].seqno)) {
         vlr_context_resource_destroy(t->ctx, t->retire[i].resource);
         free(t->retire[i].free_data);
      } else {
         t->retire[keep++] = t->retire[i];
      }
   }
   t->retire_count = keep;
}

/* Asks for a ring line in the state a store needs: the renderer core read it
 * a lap ago, and taking it back while the next commands are encoded keeps
 * the producers' lock from waiting for that transfer. */
static inline void
prefetch_for_write(const uint8_t *p)
{
#if defined(__x86_64__) || defined(__i386__)
   /* gcc emits PREFETCHW for __builtin_prefetch only with -mprfchw; x86-64
    * CPUs without it (Intel's before Broadwell) execute it as a no-op */
   __asm__ volatile("prefetchw %0" ::"m"(*p));
#else
   __builtin_prefetch(p, 1);
#endif
}

/* Stores the tail: the renderer thread sees everything pushed so far. */
static void
publish_locked(struct inproc *t)
{
   if (t->published == t->cur)
      return;
   t->published = t->cur;
   atomic_store_explicit(&t->unpublished, false, memory_order_relaxed);
   atomic_store_explicit(t->tail, t->cur, memory_order_seq_cst);
   if (atomic_load_explicit(t->status, memory_order_seq_cst) & VL_RING_STATUS_IDLE)
      vlr_ring_notify(t->ctx, t->ring_id);
}

/* Publishes what other pushes held back, before a call or wait. */
static void
publish(struct inproc *t)
{
   if (!atomic_load_explicit(&t->unpublished, memory_order_relaxed))
      return;
   pthread_mutex_lock(&t->lock);
   publish_locked(t);
   pthread_mutex_unlock(&t->lock);
}

/* Copies whole commands into the ring; returns their seqno.  hold: the
 * tail may stay unpublished until PUBLISH_BATCH bytes have gathered. */
static uint32_t
push_locked(struct inproc *t, const void *cmds, size_t size, bool hold)
{
   while (t->cur + (uint32_t)size - t->head_seen > RING_BUFFER_SIZE) {
      t->head_seen = atomic_load_explicit(t->head, memory_order_acquire);
      if (t->cur + (uint32_t)size - t->head_seen <= RING_BUFFER_SIZE)
         break;
      if (vlr_context_lost(t->ctx))
         return t->cur;
      publish_locked(t);
      wait_head(t, t->cur + (uint32_t)size - RING_BUFFER_SIZE);
   }
   const uint32_t off = t->cur & (RING_BUFFER_SIZE - 1);
   const uint32_t first = RING_BUFFER_SIZE - off < size ? RING_BUFFER_SIZE - off : (uint32_t)size;
   memcpy(t->buffer + off, cmds, first);
   if (first < size)
      memcpy(t->buffer, (const uint8_t *)cmds + first, size - first);
   t->cur += (uint32_t)size;
   if (hold) {
      /* a burst: this thread is the one writing the next lines too (with
       * several producers, lines asked for by one would move to the next) */
      for (uint32_t ahead = 0; ahead < PREFETCH_AHEAD; ahead += 64)
         prefetch_for_write(t->buffer + ((t->cur + ahead) & (RING_BUFFER_SIZE - 1)));
   }
   if (hold && t->cur - t->published < PUBLISH_BATCH)
      atomic_store_explicit(&t->unpublished, true, memory_order_relaxed);
   else
      publish_locked(t);
   return t->cur;
}

/* The ring carries a vkExecuteCommandStreamsMESA naming the memory. */
static uint32_t
push_indirect_locked(struct inproc *t, const void *data, size_t size, void *free_data)
{
   const uint32_t res = vlr_context_resource_create(t->ctx, (void *)data, size);
   if (!res) {
      free(free_data);
      vlr_context_set_lost(t->ctx, "cannot attach a stream to the renderer");
      return t->cur;
   }
   const VkCommandStreamDescriptionMESA stream = { .resourceId = res, .offset = 0, .size = size };
   uint8_t cmd[96];
   struct vl_encoder enc;
   vl_enc_init(&enc, cmd, sizeof(cmd));
   vl_encode_vkExecuteCommandStreamsMESA(&enc, 0, 1, &stream, NULL, 0, NULL, 0);
   const uint32_t seqno = push_locked(t, cmd, (size_t)(enc.cur - cmd), false);
   if (t->retire_count == t->retire_cap) {
      const size_t cap = t->retire_cap ? t->retire_cap * 2 : 32;
      struct retired *r = realloc(t->retire, cap * sizeof(*r));
      if (r) {
         t->retire = r;
         t->retire_cap = cap;
      }
   }
   if (t->retire_count < t->retire_cap)
      t->retire[t->retire_count++] = (struct retired){ seqno, res, free_data };
   return seqno;
}

static inline bool
drained_locked(struct inproc *t)
{
   return atomic_load_explicit(t->head, memory_order_acquire) == t->cur;
}

/* Inlined into its two entry points: the event cycle's one-way commands
 * run through here, and a call between them cost it 18 instructions. */
static inline __attribute__((always_inline)) bool
submit(struct inproc *t, const void *cmds, size_t size, bool local)
{
   if (vlr_context_lost(t->ctx))
      return false;
   pthread_mutex_lock(&t->lock);
   if (t->retire_count)
      retire_locked(t);
   const uint32_t run = atomic_load_explicit(&t->oneway_run, memory_order_relaxed) + 1;
   atomic_store_explicit(&t->oneway_run, run, memory_order_relaxed);
   if (size <= INLINE_MAX && !t->ring_only && run <= BURST_MIN && drained_locked(t)) {
      /* Nothing queued: no thread hop needed to keep the order. */
      vlr_context_execute(t->ctx, cmds, size);
   } else if (size <= DIRECT_MAX) {
      if (run > BURST_MIN && t->cur - t->head_seen > BURST_LEAD &&
          t->cur - (t->head_seen = atomic_load_explicit(t->head, memory_order_acquire)) >
             BURST_LEAD) {
         publish_locked(t);
         wait_head(t, t->cur - BURST_LEAD + BURST_LEAD / 8);
         t->head_seen = atomic_load_explicit(t->head, memory_order_acquire);
      }
      push_locked(t, cmds, size, local && run > BURST_MIN);
   } else {
      void *copy = malloc(size);
      if (copy) {
         memcpy(copy, cmds, size);
         push_indirect_locked(t, copy, size, copy);
      } else {
         vlr_context_set_lost(t->ctx, "out of memory for an upload");
      }
   }
   pthread_mutex_unlock(&t->lock);
   return !vlr_context_lost(t->ctx);
}

static bool
inproc_submit(struct vl_transport *base, const void *cmds, size_t size)
{
   return submit((struct inproc *)base, cmds, size, false);
}

static bool
inproc_submit_local(struct vl_transport *base, const void *cmds, size_t size)
{
   return submit((struct inproc *)base, cmds, size, true);
}

static bool
inproc_submit_stream(struct vl_transport *base, const void *data, size_t size, bool at_submit,
                     uint32_t *token)
{
   struct inproc *t = (struct inproc *)base;
   if (vlr_context_lost(t->ctx))
      return false;
   if (at_submit)
      atomic_store_explicit(&t->oneway_run, 0, memory_order_relaxed);
   pthread_mutex_lock(&t->lock);
   if (t->retire_count)
      retire_locked(t);
   if (size <= (at_submit ? SUBMIT_INLINE_MAX : INLINE_MAX) && !t->ring_only && drained_locked(t)) {
      vlr_context_execute(t->ctx, data, size);
      *token = t->cur;
   } else {
      *token = size <= DIRECT_MAX ? push_locked(t, data, size, false)
                                  : push_indirect_locked(t, data, size, NULL);
   }
   pthread_mutex_unlock(&t->lock);
   return !vlr_context_lost(t->ctx);
}

static void
inproc_wait(struct vl_transport *base, uint32_t token)
{
   struct inproc *t = (struct inproc *)base;
   atomic_store_explicit(&t->oneway_run, 0, memory_order_relaxed);
   publish(t);
   wait_head(t, token);
}

static void
inproc_sync_point(struct vl_transport *base)
{
   struct inproc *t = (struct inproc *)base;
   atomic_store_explicit(&t->oneway_run, 0, memory_order_relaxed);
   publish(t);
}

/* VL_DEBUG=ring: the call travels through the ring after a seek of the reply
 * stream to 0, and its reply is read from the reply stream once the head has
 * passed it.  One call at a time, so the stream's start is always free. */
static bool
ring_call(struct inproc *t, const void *cmds, size_t size, void *reply, size_t reply_size)
{
   if (reply_size > REPLY_BUFFER_SIZE) {
      vlr_context_set_lost(t->ctx, "a reply larger than the reply stream");
      return false;
   }
   uint8_t seek[16];
   struct vl_encoder enc;
   vl_enc_init(&enc, seek, sizeof(seek));
   vl_encode_vkSeekReplyCommandStreamMESA(&enc, 0, 0);
   pthread_mutex_lock(&t->call_lock);
   pthread_mutex_lock(&t->lock);
   push_locked(t, seek, (size_t)(enc.cur - seek), false);
   uint32_t seqno = t->cur;
   if (size <= DIRECT_MAX) {
      seqno = push_locked(t, cmds, size, false);
   } else {
      void *copy = malloc(size);
      if (copy) {
         memcpy(copy, cmds, size);
         seqno = push_indirect_locked(t, copy, size, copy);
      } else {
         vlr_context_set_lost(t->ctx, "out of memory for an upload");
      }
   }
   pthread_mutex_unlock(&t->lock);
   wait_head(t, seqno);
   const bool ok = !vlr_context_lost(t->ctx);
   if (ok)
      memcpy(reply, t->reply_mem, reply_size);
   pthread_mutex_unlock(&t->call_lock);
   return ok;
}

static bool
inproc_call(struct vl_transport *base, const void *cmds, size_t size, void *reply,
            size_t reply_size)
{
   struct inproc *t = (struct inproc *)base;
   if (t->ring_only)
      return ring_call(t, cmds, size, reply, reply_size);
   atomic_store_explicit(&t->oneway_run, 0, memory_order_relaxed);
   publish(t);
   /* The published tail is everything pushed before (a push stores it before
    * it returns, or leaves the flag publish reads): no need for the
    * producers' lock. */
   wait_head(t, atomic_load_explicit(t->tail, memory_order_acquire));
   return vlr_context_call(t->ctx, cmds, size, reply, reply_size);
}

static VkResult
inproc_map_memory(struct vl_transport *base, uint64_t memory_id, void **ptr, VkDeviceSize *size)
{
   struct inproc *t = (struct inproc *)base;
   return vlr_context_map_memory(t->ctx, memory_id, ptr, size);
}

static VkResult
inproc_flush_ranges(struct vl_transport *base, bool invalidate, uint32_t count,
                    const struct vlr_mapped_range *ranges)
{
   struct inproc *t = (struct inproc *)base;
   return vlr_context_flush_ranges(t->ctx, invalidate, count, ranges);
}

static void
inproc_print_stats(struct vl_transport *base, FILE *out)
{
   struct inproc *t = (struct inproc *)base;
   vlr_context_print_stats(t->ctx, out);
}

static uint32_t
inproc_share_memory(struct vl_transport *base, void *data, size_t size)
{
   struct inproc *t = (struct inproc *)base;
   return vlr_context_resource_create(t->ctx, data, size);
}

static void
inproc_unshare_memory(struct vl_transport *base, uint32_t resource)
{
   struct inproc *t = (struct inproc *)base;
   vlr_context_resource_destroy(t->ctx, resource);
}

static bool
inproc_lost(struct vl_transport *base)
{
   struct inproc *t = (struct inproc *)base;
   return vlr_context_lost(t->ctx);
}

static bool
inproc_adopt_host_handle(struct vl_transport *base, uint64_t id, uint64_t *host)
{
   struct inproc *t = (struct inproc *)base;
   pthread_mutex_lock(&t->lock);
   publish_locked(t);
   const uint32_t before = t->cur;
   pthread_mutex_unlock(&t->lock);
   wait_head(t, before);
   return vlr_layer_adopt(t->ctx, id, host);
}

static void
inproc_set_device_chain(struct vl_transport *base, uint64_t device_id,
                        const struct vlr_chain *chain)
{
   struct inproc *t = (struct inproc *)base;
   vlr_layer_set_device_chain(t->ctx, device_id, chain);
}

static void
inproc_destroy(struct vl_transport *base)
{
   struct inproc *t = (struct inproc *)base;
   if (t->ring_id) {
      pthread_mutex_lock(&t->lock);
      publish_locked(t);
      const uint32_t last = t->cur;
      pthread_mutex_unlock(&t->lock);
      wait_head(t, last);
      uint8_t cmd[32];
      struct vl_encoder enc;
      vl_enc_init(&enc, cmd, sizeof(cmd));
      vl_encode_vkDestroyRingMESA(&enc, 0, t->ring_id);
      vlr_context_submit(t->ctx, cmd, (size_t)(enc.cur - cmd));
   }
   /* Everything has executed: uploads can go (the context drops its
    * resource table itself). */
   for (size_t i = 0; i < t->retire_count; i++)
      free(t->retire[i].free_data);
   free(t->retire);
   vlr_context_destroy(t->ctx);
   free(t->ring_mem);
   free(t->reply_mem);
   pthread_mutex_destroy(&t->lock);
   pthread_mutex_destroy(&t->call_lock);
   free(t);
}

static const struct vl_transport_ops inproc_ops = {
   .destroy = inproc_destroy,
   .submit = inproc_submit,
   .submit_local = inproc_submit_local,
   .call = inproc_call,
   .submit_stream = inproc_submit_stream,
   .wait = inproc_wait,
   .sync_point = inproc_sync_point,
   .map_memory = inproc_map_memory,
   .flush_ranges = inproc_flush_ranges,
   .print_stats = inproc_print_stats,
   .share_memory = inproc_share_memory,
   .unshare_memory = inproc_unshare_memory,
   .lost = inproc_lost,
   .adopt_host_handle = inproc_adopt_host_handle,
   .set_device_chain = inproc_set_device_chain,
};

struct vl_transport *
vl_transport_inproc_create(const struct vl_transport_options *o, char *err, size_t err_size)
{
   struct inproc *t = vl_calloc_lines(sizeof(*t));
   if (!t) {
      snprintf(err, err_size, "out of memory");
      return NULL;
   }
   t->base.ops = &inproc_ops;
   t->base.wire_formats = VL_WIRE_FORMAT_BIT(VL_WIRE_FORMAT_CURRENT) | VL_WIRE_PRIVATE;
   t->base.stats = o->stats;
   t->ring_only = o->ring_only;
   t->base.serialized_waits = o->ring_only;
   pthread_mutex_init(&t->lock, NULL);
   pthread_mutex_init(&t->call_lock, NULL);

   struct vlr_context_options co = {
      .host_icd = o->host_icd,
      .host_validation = o->host_validation,
      .guards = o->guards == VL_GUARDS_REFUSE ? VLR_GUARDS_REFUSE : VLR_GUARDS_REPORT,
      .stats = o->stats,
      .message = o->message,
      .message_data = o->message_data,
      .chain = o->chain,
   };
   if (o->capture_file) {
      co.capture = fopen(o->capture_file, "ab");
      if (!co.capture) {
         snprintf(err, err_size, "VL_CAPTURE_FILE=%s cannot be opened for writing",
                  o->capture_file);
         goto fail;
      }
   }
   t->ctx = vlr_context_create(&co, err, err_size);
   if (!t->ctx)
      goto fail;

   /* The ring, laid out as Mesa lays it out, in memory both sides see. */
   const size_t area = (size_t)vl_ring_area_size(RING_BUFFER_SIZE);
   if (posix_memalign(&t->ring_mem, 64, area)) {
      snprintf(err, err_size, "out of memory for the ring");
      goto fail;
   }
   memset(t->ring_mem, 0, area);
   uint8_t *base = t->ring_mem;
   t->head = (_Atomic uint32_t *)(base + VL_RING_HEAD_OFFSET);
   t->tail = (_Atomic uint32_t *)(base + VL_RING_TAIL_OFFSET);
   t->status = (_Atomic uint32_t *)(base + VL_RING_STATUS_OFFSET);
   t->buffer = base + VL_RING_BUFFER_OFFSET;
   t->extra = (_Atomic uint32_t *)(base + VL_RING_BUFFER_OFFSET + RING_BUFFER_SIZE);
   t->ring_resource = vlr_context_resource_create(t->ctx, t->ring_mem, area);
   t->ring_id = (uint64_t)(uintptr_t)t;
   const VkRingCreateInfoMESA info = {
      .sType = VK_STRUCTURE_TYPE_RING_CREATE_INFO_MESA,
      .resourceId = t->ring_resource,
      .offset = 0,
      .size = area,
      /* notifications are direct calls here: sleep as soon as the spin ends */
      .idleTimeout = 0,
      .headOffset = VL_RING_HEAD_OFFSET,
      .tailOffset = VL_RING_TAIL_OFFSET,
      .statusOffset = VL_RING_STATUS_OFFSET,
      .bufferOffset = VL_RING_BUFFER_OFFSET,
      .bufferSize = RING_BUFFER_SIZE,
      .extraOffset = VL_RING_BUFFER_OFFSET + RING_BUFFER_SIZE,
      .extraSize = VL_RING_EXTRA_SIZE,
   };
   uint8_t cmd[160];
   struct vl_encoder enc;
   vl_enc_init(&enc, cmd, sizeof(cmd));
   vl_encode_vkCreateRingMESA(&enc, 0, t->ring_id, &info);
   if (!t->ring_resource || !vlr_context_submit(t->ctx, cmd, (size_t)(enc.cur - cmd))) {
      snprintf(err, err_size, "cannot create the ring: %s", vlr_context_lost_message(t->ctx));
      t->ring_id = 0;
      goto fail;
   }
   if (t->ring_only) {
      /* The reply stream, set through the ring as Mesa does. */
      t->reply_mem = calloc(1, REPLY_BUFFER_SIZE);
      t->reply_resource =
         t->reply_mem ? vlr_context_resource_create(t->ctx, t->reply_mem, REPLY_BUFFER_SIZE) : 0;
      if (!t->reply_resource) {
         snprintf(err, err_size, "out of memory for the reply stream");
         goto fail;
      }
      const VkCommandStreamDescriptionMESA stream = { .resourceId = t->reply_resource,
                                                      .size = REPLY_BUFFER_SIZE };
      vl_enc_init(&enc, cmd, sizeof(cmd));
      vl_encode_vkSetReplyCommandStreamMESA(&enc, 0, &stream);
      pthread_mutex_lock(&t->lock);
      push_locked(t, cmd, (size_t)(enc.cur - cmd), false);
      pthread_mutex_unlock(&t->lock);
   }
   return &t->base;

fail:
   if (t->ctx)
      vlr_context_destroy(t->ctx);
   else if (co.capture)
      fclose(co.capture);
   free(t->ring_mem);
   free(t->reply_mem);
   pthread_mutex_destroy(&t->lock);
   pthread_mutex_destroy(&t->call_lock);
   free(t);
   return NULL;
}
