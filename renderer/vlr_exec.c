/*
 * Executors: the decode -> execute -> reply loop of one stream, the services
 * generated executors and hand-written handlers call (object ids, failures,
 * replies, waits), and the capture of what they execute.
 */
#include "vlr_exec.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vl_capture_format.h"
#include "vl_futex.h"
#include "vl_protocol_defs.h"
#include "vl_tls.h"
#include "vlr_context.h"
#include "vlr_ring.h"
#include "vlr_watchdog.h"

/* ---- executors ---------------------------------------------------------------- */

void
vlr_exec_init(struct vlr_exec *x, struct vlr_context *ctx)
{
   memset(x, 0, sizeof(*x));
   x->ctx = ctx;
   x->reply = &x->own_reply;
   vl_arena_init(&x->arena, 0);
}

void
vlr_exec_finish(struct vlr_exec *x)
{
   if (x->nested) {
      vlr_exec_finish(x->nested);
      free(x->nested);
   }
   free(x->capture_replies);
   vl_arena_finish(&x->arena);
}

const char *
vlr_command_name(int32_t id)
{
   const struct vl_command_info *info = vl_command_info(id);
   return info ? info->name : "unknown command";
}

/* The executor running on this thread, for host-side messages. */
static VL_TLS struct vlr_exec *current_exec;

struct vlr_exec *
vlr_exec_current(void)
{
   return current_exec;
}

/* Capture numbers the threads that run streams outside rings (1, 2, ... in
 * the order they first do so), for the ring field of their records. */
static atomic_uint_fast64_t capture_threads;
static VL_TLS uint64_t capture_thread;

static void
capture_stream(struct vlr_exec *x, const char *kind, const void *data, size_t size)
{
   uint16_t k = VL_RECORD_DIRECT;
   uint64_t ring = 0, ref = 0;
   if (!strcmp(kind, "ring")) {
      k = VL_RECORD_RING;
      ring = x->ring_id;
   } else if (!strcmp(kind, "indirect") && current_exec) {
      /* run by the vkExecuteCommandStreamsMESA of the stream current_exec
       * is decoding: it belongs to that stream */
      k = VL_RECORD_INDIRECT;
      ring = current_exec->capture_ring;
      ref = current_exec->capture_seq;
   } else {
      if (!capture_thread)
         capture_thread = atomic_fetch_add(&capture_threads, 1) + 1;
      ring = capture_thread;
   }
   x->capture_ring = ring;
   x->capture_seq = vlr_context_capture(x->ctx, k, ring, ref, data, size);
   x->capture_replies_len = 0;
   x->capture_reply_size = 0;
}

/* Keeps the reply the command just executed wrote, for the stream's reply
 * record. */
static void
capture_reply(struct vlr_exec *x)
{
   const size_t size = x->capture_reply_size;
   x->capture_reply_size = 0;
   if (x->capture_replies_cap - x->capture_replies_len < size) {
      size_t cap = x->capture_replies_cap ? x->capture_replies_cap : 4096;
      while (cap - x->capture_replies_len < size)
         cap *= 2;
      uint8_t *p = realloc(x->capture_replies, cap);
      if (!p)
         return; /* the reply record will lack it; execution is unaffected */
      x->capture_replies = p;
      x->capture_replies_cap = cap;
   }
   memcpy(x->capture_replies + x->capture_replies_len, x->capture_reply_at, size);
   x->capture_replies_len += size;
}

bool
vlr_exec_stream(struct vlr_exec *x, const void *data, size_t size, const char *kind)
{
   struct vlr_context *ctx = x->ctx;
   if (atomic_load(&ctx->lost))
      return false;
   if (ctx->options.capture)
      capture_stream(x, kind, data, size);
   if (ctx->options.stats) {
      atomic_fetch_add(&ctx->stats.bytes, size);
      atomic_fetch_add(&ctx->stats.streams, 1);
   }
   vl_dec_init(&x->dec, data, size, &x->arena, &ctx->objects);
   /* an enum value vk.xml does not define is a finding of the refusing
    * policy (renderer/check/vlr_check.h), checked while decoding */
   x->dec.strict_enums = ctx->options.guards == VLR_GUARDS_REFUSE;
   x->wire_formats = ctx->wire_formats;
   /* wire format 0 (virglrenderer 0.10.4) has one reply stream for the
    * whole context; wire format 1 one per ring and per transport thread */
   if (!x->depth)
      x->reply = (ctx->wire_formats & VL_WIRE_FORMAT_0) ? &ctx->shared_reply : &x->own_reply;
   x->stream_start = data;
   x->stream_kind = kind;
   struct vlr_exec *outer = current_exec;
   current_exec = x;
   while (vl_dec_remaining(&x->dec)) {
      x->cmd_start = x->dec.cur;
      x->cmd_id = -1;
      /* the command's header, its id and flags, read with one check */
      uint32_t head[2];
      if (!vl_dec_bytes(&x->dec, head, sizeof(head), sizeof(head))) {
         vlr_exec_decode_failed(x);
         break;
      }
      const int32_t id = (int32_t)head[0];
      const uint32_t flags = head[1];
      x->cmd_id = id;
      x->cmd_flags = flags;
      x->cmd_seq = ++ctx->command_seq;
      x->destroyed = NULL;
      x->created = NULL;
      if (ctx->options.stats)
         vlr_context_count(ctx, id);
      vlr_dispatch_command(x, id, flags);
      if (ctx->watchdog_armed) {
         ctx->watchdog_armed = false;
         if (vlr_watchdog_disarm(ctx->watchdog))
            vlr_exec_fail(x, "blocked inside the host driver, whose device is lost; the renderer "
                             "signaled the device's timeline semaphores to release it");
      }
      if (x->progress)
         x->progress(x, false);
      if (x->capture_reply_size)
         capture_reply(x);
      if (x->arena.used_total) /* most commands decode into their frame */
         vl_arena_reset(&x->arena);
      if (atomic_load_explicit(&ctx->lost, memory_order_relaxed))
         break;
   }
   current_exec = outer;
   if (x->capture_replies_len) {
      vlr_context_capture(ctx, VL_RECORD_REPLY, x->capture_ring, x->capture_seq, x->capture_replies,
                          x->capture_replies_len);
      x->capture_replies_len = 0;
   }
   return !atomic_load(&ctx->lost);
}

void *
vlr_exec_args(struct vlr_exec *x, size_t size)
{
   void *p = vl_arena_alloc(&x->arena, size);
   if (!p)
      vlr_exec_fail(x, "out of memory for the command's arguments");
   return p;
}

void
vlr_exec_fail(struct vlr_exec *x, const char *why)
{
   char msg[512];
   const size_t at = x->cmd_start && x->stream_start ? (size_t)(x->cmd_start - x->stream_start) : 0;
   if (x->cmd_id >= 0)
      snprintf(msg, sizeof(msg), "%s (id %d), byte %zu of the %s stream: %s",
               vlr_command_name(x->cmd_id), x->cmd_id, at, x->stream_kind ? x->stream_kind : "",
               why);
   else
      snprintf(msg, sizeof(msg), "command header, byte %zu of the %s stream: %s", at,
               x->stream_kind ? x->stream_kind : "", why);
   vlr_context_set_lost(x->ctx, msg);
}

void
vlr_exec_failf(struct vlr_exec *x, const char *fmt, ...)
{
   char why[384];
   va_list ap;
   va_start(ap, fmt);
   vsnprintf(why, sizeof(why), fmt, ap);
   va_end(ap);
   vlr_exec_fail(x, why);
}

void
vlr_exec_decode_failed(struct vlr_exec *x)
{
   const char *e = x->dec.error;
   /* a message ending in ':' names its value (vl_dec_fail_value), 0 too */
   if (x->dec.error_id || (e && *e && e[strlen(e) - 1] == ':'))
      vlr_exec_failf(x, "%s 0x%" PRIx64, e, x->dec.error_id);
   else
      vlr_exec_fail(x, x->dec.error ? x->dec.error : "decoding failed");
}

bool
vlr_exec_check_new_id(struct vlr_exec *x, uint64_t id)
{
   if (!id) {
      vlr_exec_fail(x, "a new object's id is 0");
      return false;
   }
   if (vl_object_table_lookup(&x->ctx->objects, id)) {
      vlr_exec_failf(x, "a new object's id 0x%" PRIx64 " is already in use", id);
      return false;
   }
   return true;
}

struct vl_object *
vlr_exec_add_object(struct vlr_exec *x, uint64_t id, int32_t type, uint64_t host,
                    struct vl_object *parent)
{
   struct vl_object *obj = vl_object_table_add(&x->ctx->objects, id, type, host, parent);
   if (!obj) {
      vlr_exec_failf(x, "cannot register object 0x%" PRIx64, id);
      return NULL;
   }
   /* Children of dispatchable objects inherit their host entry points. */
   if (parent)
      obj->table = parent->table;
   x->created = obj;
   return obj;
}

void
vlr_exec_remove_object(struct vlr_exec *x, struct vl_object *obj)
{
   if (x->dec.last_object == obj)
      x->dec.last_object = NULL;
   vl_object_table_remove(&x->ctx->objects, obj);
}

struct vl_object *
vlr_exec_lookup_host(struct vlr_exec *x, int32_t type, uint64_t host)
{
   struct vl_object *o = x->dec.last_object;
   if (o && o->host == host && o->type == type)
      return o;
   return vl_object_table_lookup_host(&x->ctx->objects, type, host);
}

void
vlr_exec_create_failed(struct vlr_exec *x, int32_t result, uint64_t id)
{
   /* A one-way create cannot report its result: say so, since the next use
    * of the id will be fatal. */
   if (!(x->cmd_flags & VK_COMMAND_GENERATE_REPLY_BIT_EXT))
      fprintf(stderr,
              "venus-loopback: renderer: %s failed on the host (VkResult %d); object 0x%" PRIx64
              " does not exist and using it will lose the device\n",
              vlr_command_name(x->cmd_id), result, id);
}

struct vl_object *
vlr_exec_lookup(struct vlr_exec *x, uint64_t id, int32_t type)
{
   struct vl_object *obj = vl_object_table_lookup(&x->ctx->objects, id);
   if (!obj || obj->type != type) {
      vlr_exec_failf(x, "%s object id 0x%" PRIx64, obj ? "wrongly typed" : "unknown", id);
      return NULL;
   }
   return obj;
}

static bool
inline_stream(const struct vlr_exec *x)
{
   return x->stream_kind && !strcmp(x->stream_kind, "inline");
}

bool
vlr_exec_may_block(struct vlr_exec *x, bool blocks)
{
   if (!blocks || inline_stream(x) || !x->ctx->options.refuse_unbounded_waits)
      return true;
   vlr_exec_failf(x,
                  "a wait that may block, in a %s stream: it would stall the thread that "
                  "must run what it waits for (poll with a zero timeout instead)",
                  x->stream_kind ? x->stream_kind : "");
   return false;
}

bool
vlr_exec_wait_sliced(const struct vlr_exec *x, bool blocks)
{
   return blocks && !inline_stream(x);
}

/* Long enough to cost nothing, short enough that teardown is prompt. */
#define WAIT_SLICE_NS 100000000ull

uint64_t
vlr_wait_deadline(uint64_t timeout_ns)
{
   const uint64_t now = vl_now_ns();
   return timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
}

uint64_t
vlr_wait_slice(uint64_t deadline)
{
   const uint64_t now = vl_now_ns();
   if (deadline <= now)
      return 0;
   return deadline - now < WAIT_SLICE_NS ? deadline - now : WAIT_SLICE_NS;
}

bool
vlr_exec_wait_over(struct vlr_exec *x, uint64_t deadline)
{
   return atomic_load(&x->ctx->lost) || atomic_load(&x->ctx->closing) ||
          (deadline != UINT64_MAX && vl_now_ns() >= deadline) || vlr_ring_of_exec_stopping(x);
}

void
vlr_wait_nap(void)
{
   const struct timespec ts = { 0, 1000000 };
   nanosleep(&ts, NULL);
}

void
vlr_exec_unlock(struct vlr_exec *x)
{
   if (x->progress)
      x->progress(x, true);
   if (x->locked)
      pthread_mutex_unlock(&x->ctx->lock);
}

void
vlr_exec_lock(struct vlr_exec *x)
{
   if (x->locked)
      pthread_mutex_lock(&x->ctx->lock);
   /* another executor may have removed it while the lock was let go */
   x->dec.last_object = NULL;
}

struct vl_encoder *
vlr_exec_reply(struct vlr_exec *x, size_t size)
{
   struct vlr_context *ctx = x->ctx;
   if (atomic_load(&ctx->lost))
      return NULL;
   if (x->reply_target == VLR_REPLY_BUFFER) {
      if ((size_t)(x->reply_buf.end - x->reply_buf.cur) < size) {
         vlr_exec_fail(x, "reply larger than the space reserved for it");
         return NULL;
      }
      if (ctx->options.capture) {
         x->capture_reply_at = x->reply_buf.cur;
         x->capture_reply_size = size;
      }
      return &x->reply_buf;
   }
   struct vlr_reply_stream *r = x->reply;
   if (!r->set) {
      vlr_exec_fail(x, "a reply is requested but no reply stream is set");
      return NULL;
   }
   struct vlr_resource res;
   if (!vlr_context_resource(ctx, r->resource, &res)) {
      vlr_exec_fail(x, "a reply is requested but the reply stream's resource was released");
      return NULL;
   }
   if (r->offset > res.size || r->size > res.size - r->offset || size > r->size - r->pos) {
      vlr_exec_fail(x, "reply does not fit the reply stream");
      return NULL;
   }
   uint8_t *at = (uint8_t *)res.data + r->offset + r->pos;
   vl_enc_init(&x->reply_buf, at, size);
   r->pos += size;
   if (ctx->options.capture) {
      x->capture_reply_at = at;
      x->capture_reply_size = size;
   }
   return &x->reply_buf;
}
