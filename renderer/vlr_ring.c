/*
 * The renderer side of a Venus ring: one thread per ring that consumes what
 * the guest publishes and executes it (ring.md §4), and the transport
 * commands that create, wake, monitor and order rings.
 *
 * Idle handling follows Venus's handshake: after its last work the thread
 * spins briefly (VLR_RING_SPIN_NS), then polls with growing sleeps until the
 * guest's idleTimeout has passed (Mesa notifies an IDLE ring at most once per
 * idleTimeout, so a renderer that sleeps sooner can miss work), then sets
 * IDLE and sleeps on a futex, so an idle application or a busy GPU does not
 * cost a core.
 *
 * Wire format 1 adds (current-protocol.md §3):
 *  - monitoring: a ring created with VkRingMonitorInfoMESA gets the ALIVE
 *    status bit from the context's monitor thread at least every period the
 *    guest asked for, whatever the ring or the context lock are doing;
 *  - FATAL: set on every ring once the context is lost, so that a guest
 *    waiting on a ring stops waiting instead of spinning;
 *  - ordering between a ring and the virtqueue (the transport's own
 *    submissions): vkSubmitVirtqueueSeqnoMESA (virtqueue) publishes a
 *    sequence number that vkWaitVirtqueueSeqnoMESA (ring) waits for, and
 *    vkWaitRingSeqnoMESA (virtqueue) waits until a ring's head passes a
 *    position.  The head advances within a span (ring_progress), and
 *    always before a command that waits, so that a ring blocked in a wait
 *    has published everything before it.
 */
#include "vlr_ring.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vl_futex.h"
#include "vl_ring_layout.h"
#include "vlr_context.h"

/* How long the thread keeps polling after its last work before it sleeps. */
#define VLR_RING_SPIN_NS 20000u

struct vlr_ring {
   struct vlr_context *ctx;
   struct vlr_ring_set *set;
   uint64_t id;
   uint32_t resource;
   _Atomic uint32_t *head, *tail, *status;
   _Atomic uint32_t *extra;
   size_t extra_size;
   uint8_t *buffer;
   uint32_t buffer_size;
   uint8_t *copy;            /* a span that wraps around is copied here */
   uint64_t idle_timeout_ns; /* VkRingCreateInfoMESA::idleTimeout */
   pthread_t thread;
   atomic_bool stop;
   _Atomic uint32_t notify; /* futex word the thread sleeps on */
   bool monitored;          /* ALIVE is reported (VkRingMonitorInfoMESA) */
   /* ordering with the virtqueue (wire format 1), under set->lock */
   uint64_t virtqueue_seqno;
   uint32_t span_head;   /* ring position of the span being executed */
   uint32_t unpublished; /* commands executed since the head was published */
   const uint8_t *span_start;
   struct vlr_exec exec;
};

/* The rings of a context as the monitor and the seqno waits see them: the
 * list changes under both the context lock and this lock, so that reading
 * it needs only this one, never the context lock a long host call holds. */
struct vlr_ring_set {
   pthread_mutex_t lock;
   pthread_cond_t cond; /* seqnos, heads, the monitor's period and stop */
   struct vlr_ring **rings;
   size_t count;
   /* the monitor thread: started by the first monitored ring */
   pthread_t monitor;
   bool monitor_started, monitor_stop;
   uint32_t period_us; /* the shortest period any ring asked for */
   bool fatal;         /* the context is lost: FATAL on every ring */
   /* threads in vkWaitRingSeqnoMESA: a head that moves wakes them (a ring
    * nobody waits on publishes its head without taking the lock) */
   _Atomic uint32_t head_waiters;
};

static bool add_ring(struct vlr_ring_set *set, struct vlr_ring *ring);
static void remove_ring(struct vlr_ring_set *set, struct vlr_ring *ring);
static bool start_monitor(struct vlr_ring_set *set, uint32_t period_us);

static void
set_status(struct vlr_ring *ring, uint32_t bits)
{
   atomic_fetch_or_explicit(ring->status, bits, memory_order_seq_cst);
}

static void
clear_status(struct vlr_ring *ring, uint32_t bits)
{
   atomic_fetch_and_explicit(ring->status, ~bits, memory_order_seq_cst);
}

/* Publishes a ring position; wakes the threads waiting for one.  A waiter
 * counts itself before it reads the head (both sequentially consistent):
 * either it sees this head, or this sees it and broadcasts under the lock
 * it waits with. */
static void
publish_head(struct vlr_ring *ring, uint32_t head)
{
   atomic_store_explicit(ring->head, head, memory_order_seq_cst);
   if (atomic_load_explicit(&ring->set->head_waiters, memory_order_seq_cst)) {
      pthread_mutex_lock(&ring->set->lock);
      pthread_cond_broadcast(&ring->set->cond);
      pthread_mutex_unlock(&ring->set->lock);
   }
}

/* Publishes the ring position reached within a span: after every command
 * while a thread waits for a position, before a command that waits itself,
 * and every PROGRESS_EVERY commands; the span's end is always published.
 * Fewer stores of the head line mean fewer transfers of it to the guest's
 * core, which polls it while it streams commands in. */
#define PROGRESS_EVERY 32u
static void
ring_progress(struct vlr_exec *x, bool before_current)
{
   struct vlr_ring *ring = x->progress_data;
   if (before_current) {
      publish_head(ring, ring->span_head + (uint32_t)(x->cmd_start - ring->span_start));
      return;
   }
   if (++ring->unpublished < PROGRESS_EVERY &&
       !atomic_load_explicit(&ring->set->head_waiters, memory_order_seq_cst) &&
       !(ring->extra_size >= 8 && atomic_load_explicit(&ring->extra[1], memory_order_relaxed)))
      return;
   ring->unpublished = 0;
   publish_head(ring, ring->span_head + (uint32_t)(x->dec.cur - ring->span_start));
}

static void *
ring_thread(void *data)
{
   struct vlr_ring *ring = data;
   struct vlr_context *ctx = ring->ctx;
   uint32_t cur = atomic_load_explicit(ring->head, memory_order_relaxed);
   uint64_t last_work = vl_now_ns();
   unsigned spins = 0;
   uint32_t naps = 0;

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
         ring->span_head = cur;
         ring->span_start = span;
         /* A lost context still consumes, so that the head keeps moving. */
         if (!vlr_exec_stream(&ring->exec, span, n, "ring"))
            set_status(ring, VL_RING_STATUS_FATAL);
         ring->exec.locked = false;
         pthread_mutex_unlock(&ctx->lock);
         cur = tail;
         publish_head(ring, cur);
         if (ring->extra_size >= 8 && atomic_load(&ring->extra[1]))
            vl_futex_wake(ring->head);
         last_work = vl_now_ns();
         spins = 0;
         naps = 0;
         continue;
      }
      const uint64_t quiet = vl_now_ns() - last_work;
      if (++spins < 64 || quiet < VLR_RING_SPIN_NS) {
         vl_cpu_relax();
         continue;
      }
      if (quiet < ring->idle_timeout_ns) {
         /* poll until the guest's idle timeout, each nap a little longer
          * (10 us for 16 naps, then 20 us ...): a call that arrives while
          * the thread naps waits for the rest of the nap */
         const uint32_t nap_us = 10u * (1u + naps++ / 16u);
         const struct timespec ts = { 0, (long)(nap_us < 200u ? nap_us : 200u) * 1000 };
         nanosleep(&ts, NULL);
         continue;
      }
      naps = 0;
      /* Going idle: either we see the new tail, or the guest sees IDLE and
       * notifies (both sides use sequentially consistent operations). */
      const uint32_t wake = atomic_load(&ring->notify);
      set_status(ring, VL_RING_STATUS_IDLE);
      if (atomic_load(ring->tail) == cur && !atomic_load(&ring->stop))
         vl_futex_wait(&ring->notify, wake, 0);
      clear_status(ring, VL_RING_STATUS_IDLE);
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
   /* at most 10 ms: a longer poll only costs CPU */
   ring->idle_timeout_ns = info->idleTimeout < 10000000u ? info->idleTimeout : 10000000u;
   if (atomic_load(ring->head) || atomic_load(ring->status) || atomic_load(ring->tail)) {
      free(ring->copy);
      free(ring);
      vlr_exec_fail(x, "the ring's head, tail and status must start at 0");
      return;
   }
   vlr_exec_init(&ring->exec, ctx);
   ring->exec.ring_id = ring->id;
   ring->exec.progress = ring_progress;
   ring->exec.progress_data = ring;
   /* wire format 1: monitoring and priority */
   uint32_t period_us = 0;
   for (const VkBaseInStructure *p = info->pNext; p; p = p->pNext) {
      if (p->sType == VK_STRUCTURE_TYPE_RING_MONITOR_INFO_MESA) {
         period_us = ((const VkRingMonitorInfoMESA *)p)->maxReportingPeriodMicroseconds;
         if (!period_us) {
            vlr_exec_fail(x, "a ring monitor with a reporting period of 0");
            vlr_exec_finish(&ring->exec);
            free(ring->copy);
            free(ring);
            return;
         }
      }
      /* VkRingPriorityInfoMESA: a scheduling hint; this renderer's ring
       * threads keep the server's priority. */
   }
   ring->monitored = period_us != 0;
   struct vlr_ring_set *set = vlr_ring_set_of(ctx);
   if (!set || !add_ring(set, ring) || pthread_create(&ring->thread, NULL, ring_thread, ring)) {
      if (set)
         remove_ring(set, ring);
      vlr_exec_finish(&ring->exec);
      free(ring->copy);
      free(ring);
      vlr_exec_fail(x, "cannot start the ring thread");
      return;
   }
   if (period_us && !start_monitor(set, period_us))
      vlr_exec_fail(x, "cannot start the ring monitor thread");
}

/* ---- the rings of a context ------------------------------------------------------------ */

struct vlr_ring_set *
vlr_ring_set_of(struct vlr_context *ctx)
{
   if (!ctx->ring_set) {
      struct vlr_ring_set *set = calloc(1, sizeof(*set));
      if (!set)
         return NULL;
      pthread_mutex_init(&set->lock, NULL);
      pthread_condattr_t attr;
      pthread_condattr_init(&attr);
      pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
      pthread_cond_init(&set->cond, &attr);
      pthread_condattr_destroy(&attr);
      ctx->ring_set = set;
   }
   return ctx->ring_set;
}

/* Under the context lock (the list's other guard). */
static bool
add_ring(struct vlr_ring_set *set, struct vlr_ring *ring)
{
   pthread_mutex_lock(&set->lock);
   struct vlr_ring **rings = realloc(set->rings, (set->count + 1) * sizeof(*rings));
   if (rings) {
      set->rings = rings;
      set->rings[set->count++] = ring;
      ring->set = set;
      if (set->fatal)
         set_status(ring, VL_RING_STATUS_FATAL);
   }
   pthread_mutex_unlock(&set->lock);
   return rings != NULL;
}

static void
remove_ring(struct vlr_ring_set *set, struct vlr_ring *ring)
{
   pthread_mutex_lock(&set->lock);
   for (size_t i = 0; i < set->count; i++) {
      if (set->rings[i] == ring) {
         set->rings[i] = set->rings[--set->count];
         break;
      }
   }
   pthread_mutex_unlock(&set->lock);
}

static void *
monitor_thread(void *data)
{
   struct vlr_ring_set *set = data;
   pthread_mutex_lock(&set->lock);
   while (!set->monitor_stop) {
      for (size_t i = 0; i < set->count; i++) {
         if (set->rings[i]->monitored)
            set_status(set->rings[i], VL_RING_STATUS_ALIVE);
      }
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      /* half the period: the guest sees ALIVE again well within it */
      const uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)set->period_us * 500u;
      ts.tv_sec += (time_t)(ns / 1000000000u);
      ts.tv_nsec = (long)(ns % 1000000000u);
      pthread_cond_timedwait(&set->cond, &set->lock, &ts);
   }
   pthread_mutex_unlock(&set->lock);
   return NULL;
}

static bool
start_monitor(struct vlr_ring_set *set, uint32_t period_us)
{
   bool ok = true;
   pthread_mutex_lock(&set->lock);
   if (!set->period_us || period_us < set->period_us)
      set->period_us = period_us;
   if (!set->monitor_started) {
      set->monitor_started = !pthread_create(&set->monitor, NULL, monitor_thread, set);
      ok = set->monitor_started;
   }
   pthread_cond_broadcast(&set->cond); /* a shorter period starts now */
   pthread_mutex_unlock(&set->lock);
   return ok;
}

void
vlr_ring_set_fatal(struct vlr_context *ctx)
{
   struct vlr_ring_set *set = ctx->ring_set;
   if (!set)
      return;
   pthread_mutex_lock(&set->lock);
   set->fatal = true;
   for (size_t i = 0; i < set->count; i++)
      set_status(set->rings[i], VL_RING_STATUS_FATAL);
   pthread_cond_broadcast(&set->cond); /* seqno waits give up */
   pthread_mutex_unlock(&set->lock);
}

void
vlr_ring_set_destroy(struct vlr_context *ctx)
{
   struct vlr_ring_set *set = ctx->ring_set;
   if (!set)
      return;
   /* The guest may still look at its rings: say they are gone for good. */
   vlr_ring_set_fatal(ctx);
   for (;;) {
      pthread_mutex_lock(&set->lock);
      struct vlr_ring *ring = set->count ? set->rings[--set->count] : NULL;
      pthread_mutex_unlock(&set->lock);
      if (!ring)
         break;
      vlr_ring_destroy(ring);
   }
   if (set->monitor_started) {
      pthread_mutex_lock(&set->lock);
      set->monitor_stop = true;
      pthread_cond_broadcast(&set->cond);
      pthread_mutex_unlock(&set->lock);
      pthread_join(set->monitor, NULL);
   }
   pthread_cond_destroy(&set->cond);
   pthread_mutex_destroy(&set->lock);
   free(set->rings);
   free(set);
   ctx->ring_set = NULL;
}

/* The ring with this id, under the set's lock; NULL if there is none. */
static struct vlr_ring *
lookup_locked(struct vlr_ring_set *set, uint64_t id)
{
   for (size_t i = 0; set && i < set->count; i++) {
      if (set->rings[i]->id == id)
         return set->rings[i];
   }
   return NULL;
}

static struct vlr_ring *
find_ring(struct vlr_exec *x, uint64_t id)
{
   struct vlr_ring_set *set = x->ctx->ring_set;
   struct vlr_ring *ring = NULL;
   if (set) {
      pthread_mutex_lock(&set->lock);
      ring = lookup_locked(set, id);
      pthread_mutex_unlock(&set->lock);
   }
   if (!ring)
      vlr_exec_failf(x, "unknown ring 0x%" PRIx64, id);
   return ring;
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
   /* a ring thread waiting for the virtqueue gives up */
   pthread_mutex_lock(&ring->set->lock);
   pthread_cond_broadcast(&ring->set->cond);
   pthread_mutex_unlock(&ring->set->lock);
   pthread_join(ring->thread, NULL);
   vlr_exec_finish(&ring->exec);
   free(ring->copy);
   free(ring);
}

void
vlr_handle_vkDestroyRingMESA(struct vlr_exec *x, struct vl_args_vkDestroyRingMESA *args)
{
   struct vlr_ring *ring = find_ring(x, args->ring);
   if (!ring)
      return;
   if (x == &ring->exec) {
      vlr_exec_fail(x, "a ring cannot destroy itself");
      return;
   }
   remove_ring(ring->set, ring);
   /* The ring thread takes the context lock for every span: let go of it
    * while waiting for the thread to end. */
   vlr_exec_unlock(x);
   vlr_ring_destroy(ring);
   vlr_exec_lock(x);
}

void
vlr_ring_notify(struct vlr_context *ctx, uint64_t ring_id)
{
   struct vlr_ring_set *set = ctx->ring_set;
   if (!set)
      return;
   pthread_mutex_lock(&set->lock);
   struct vlr_ring *ring = lookup_locked(set, ring_id);
   if (ring)
      wake(ring);
   pthread_mutex_unlock(&set->lock);
}

void
vlr_ring_stop_on_resource(struct vlr_context *ctx, uint32_t resource)
{
   struct vlr_ring_set *set = ctx->ring_set;
   if (!set)
      return;
   /* A ring's own span may create rings: the list changes under the lock. */
   for (;;) {
      struct vlr_ring *ring = NULL;
      pthread_mutex_lock(&ctx->lock);
      pthread_mutex_lock(&set->lock);
      for (size_t i = 0; i < set->count && !ring; i++) {
         if (set->rings[i]->resource == resource) {
            ring = set->rings[i];
            set->rings[i] = set->rings[--set->count];
         }
      }
      pthread_mutex_unlock(&set->lock);
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
   struct vlr_ring *ring = find_ring(x, args->ring);
   if (ring)
      wake(ring);
}

void
vlr_handle_vkWriteRingExtraMESA(struct vlr_exec *x, struct vl_args_vkWriteRingExtraMESA *args)
{
   struct vlr_ring *ring = find_ring(x, args->ring);
   if (!ring)
      return;
   if (args->offset % 4 || args->offset > ring->extra_size || ring->extra_size - args->offset < 4) {
      vlr_exec_fail(x, "write outside the ring's extra region");
      return;
   }
   atomic_store_explicit(&ring->extra[args->offset / 4], args->value, memory_order_release);
}

/* ---- ordering between rings and the virtqueue (wire format 1) ---------------------------- */

/* The ring this executor serves; NULL for the virtqueue. */
static struct vlr_ring *
ring_of(const struct vlr_exec *x)
{
   return x->progress == ring_progress ? x->progress_data : NULL;
}

bool
vlr_ring_of_exec_stopping(const struct vlr_exec *x)
{
   const struct vlr_ring *ring = ring_of(x);
   return ring && atomic_load(&ring->stop);
}

void
vlr_handle_vkSubmitVirtqueueSeqnoMESA(struct vlr_exec *x,
                                      struct vl_args_vkSubmitVirtqueueSeqnoMESA *args)
{
   if (ring_of(x)) {
      vlr_exec_fail(x, "vkSubmitVirtqueueSeqnoMESA on a ring (it belongs to the virtqueue)");
      return;
   }
   struct vlr_ring *ring = find_ring(x, args->ring);
   if (!ring)
      return;
   pthread_mutex_lock(&ring->set->lock);
   ring->virtqueue_seqno = args->seqno;
   pthread_cond_broadcast(&ring->set->cond);
   pthread_mutex_unlock(&ring->set->lock);
   wake(ring); /* an idle ring checks again */
}

void
vlr_handle_vkWaitVirtqueueSeqnoMESA(struct vlr_exec *x,
                                    struct vl_args_vkWaitVirtqueueSeqnoMESA *args)
{
   struct vlr_ring *ring = ring_of(x);
   if (!ring) {
      vlr_exec_fail(x, "vkWaitVirtqueueSeqnoMESA outside a ring (it belongs to a ring)");
      return;
   }
   /* The virtqueue needs the context lock to get there. */
   vlr_exec_unlock(x);
   struct vlr_ring_set *set = ring->set;
   pthread_mutex_lock(&set->lock);
   while (ring->virtqueue_seqno < args->seqno && !atomic_load(&ring->stop) && !set->fatal)
      pthread_cond_wait(&set->cond, &set->lock);
   pthread_mutex_unlock(&set->lock);
   vlr_exec_lock(x);
}

/* Venus's ring positions wrap at 2^32: a is at or after b within half of it. */
static bool
seqno_ge(uint32_t a, uint32_t b)
{
   return (int32_t)(a - b) >= 0;
}

void
vlr_handle_vkWaitRingSeqnoMESA(struct vlr_exec *x, struct vl_args_vkWaitRingSeqnoMESA *args)
{
   if (ring_of(x)) {
      vlr_exec_fail(x, "vkWaitRingSeqnoMESA on a ring (it belongs to the virtqueue)");
      return;
   }
   struct vlr_ring *ring = find_ring(x, args->ring);
   if (!ring)
      return;
   const uint32_t seqno = (uint32_t)args->seqno;
   wake(ring); /* a ring that sleeps with work before the position */
   vlr_exec_unlock(x);
   struct vlr_ring_set *set = ring->set;
   pthread_mutex_lock(&set->lock);
   atomic_fetch_add_explicit(&set->head_waiters, 1, memory_order_seq_cst);
   bool reached;
   while (!(reached = seqno_ge(atomic_load(ring->head), seqno)) && !set->fatal &&
          !atomic_load(&ring->stop)) {
      /* a position the guest never published cannot be reached */
      if (!seqno_ge(atomic_load(ring->tail), seqno) &&
          seqno_ge(atomic_load(ring->head), atomic_load(ring->tail)))
         break;
      pthread_cond_wait(&set->cond, &set->lock);
   }
   atomic_fetch_sub_explicit(&set->head_waiters, 1, memory_order_seq_cst);
   pthread_mutex_unlock(&set->lock);
   vlr_exec_lock(x);
   if (!reached && !set->fatal)
      vlr_exec_failf(x, "waits for ring position %u, which the guest never published", seqno);
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
   *x->reply = (struct vlr_reply_stream){
      .set = true,
      .resource = args->pStream->resourceId,
      .offset = args->pStream->offset,
      .size = args->pStream->size,
   };
}

void
vlr_handle_vkSeekReplyCommandStreamMESA(struct vlr_exec *x,
                                        struct vl_args_vkSeekReplyCommandStreamMESA *args)
{
   if (!x->reply->set || args->position > x->reply->size) {
      vlr_exec_fail(x, "seek outside the reply stream");
      return;
   }
   x->reply->pos = args->position;
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
   n->reply = x->reply; /* nested streams reply into the outer one's stream */
   n->depth = x->depth + 1;
   n->locked = x->locked;
   n->reply_target = x->reply_target;
   n->reply_buf = x->reply_buf;
   for (uint32_t i = 0; i < args->streamCount; i++) {
      const VkCommandStreamDescriptionMESA *s = &args->pStreams[i];
      if (args->pReplyPositions) {
         if (!x->reply->set || args->pReplyPositions[i] > x->reply->size) {
            vlr_exec_fail(x, "reply position outside the reply stream");
            return;
         }
         x->reply->pos = args->pReplyPositions[i];
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
vlr_handle_vkResetFenceResourceMESA(struct vlr_exec *x,
                                    struct vl_args_vkResetFenceResourceMESA *args)
{
   (void)args;
   vlr_exec_fail(x, "sync_fd fencing is not offered by this renderer (syncFdFencing is 0)");
}

void
vlr_handle_vkWaitSemaphoreResourceMESA(struct vlr_exec *x,
                                       struct vl_args_vkWaitSemaphoreResourceMESA *args)
{
   (void)args;
   vlr_exec_fail(x, "sync_fd fencing is not offered by this renderer (syncFdFencing is 0)");
}

void
vlr_handle_vkImportSemaphoreResourceMESA(struct vlr_exec *x,
                                         struct vl_args_vkImportSemaphoreResourceMESA *args)
{
   (void)args;
   vlr_exec_fail(x, "sync_fd fencing is not offered by this renderer (syncFdFencing is 0)");
}
