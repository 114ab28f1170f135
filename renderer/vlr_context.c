/*
 * Renderer context and executor: the decode -> execute -> reply loop, the
 * object and resource tables, the reply stream, and the fatal state.
 */
#include "vlr_context.h"
#include "vlr_watchdog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "vl_futex.h"
#include "vl_protocol_defs.h"
#include "vlr_host.h"
#include "vlr_ring.h"

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

static const char *
command_name(int32_t id)
{
   const struct vl_command_info *info = vl_command_info(id);
   return info ? info->name : "unknown command";
}

/* The executor running on this thread, for host-side messages. */
static _Thread_local struct vlr_exec *current_exec;

/* Capture numbers the threads that run streams outside rings (1, 2, ... in
 * the order they first do so), for the ring field of their records. */
static atomic_uint_fast64_t capture_threads;
static _Thread_local uint64_t capture_thread;

static void
capture_stream(struct vlr_exec *x, const char *kind, const void *data, size_t size)
{
   uint16_t k = 2;
   uint64_t ring = 0, ref = 0;
   if (!strcmp(kind, "ring")) {
      k = 1;
      ring = x->ring_id;
   } else if (!strcmp(kind, "indirect") && current_exec) {
      /* run by the vkExecuteCommandStreamsMESA of the stream current_exec
       * is decoding: it belongs to that stream */
      k = 3;
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
         x->progress(x);
      if (x->capture_reply_size)
         capture_reply(x);
      if (x->arena.used_total) /* most commands decode into their frame */
         vl_arena_reset(&x->arena);
      if (atomic_load_explicit(&ctx->lost, memory_order_relaxed))
         break;
   }
   current_exec = outer;
   if (x->capture_replies_len) {
      vlr_context_capture(ctx, 4, x->capture_ring, x->capture_seq, x->capture_replies,
                          x->capture_replies_len);
      x->capture_replies_len = 0;
   }
   return !atomic_load(&ctx->lost);
}

/* ---- host-side validation ------------------------------------------------------ */

static VKAPI_ATTR VkBool32 VKAPI_CALL
host_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
             const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
   (void)types;
   struct vlr_context *ctx = user;
   const struct vlr_exec *x = current_exec;
   char where[256];
   if (x && x->ctx == ctx && x->cmd_id >= 0)
      snprintf(where, sizeof(where), "%s, command #%llu (byte %zu of the %s stream)",
               command_name(x->cmd_id), (unsigned long long)x->cmd_seq,
               (size_t)(x->cmd_start - x->stream_start), x->stream_kind);
   else
      snprintf(where, sizeof(where), "outside any command (renderer set-up)");
   const char *level = severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT     ? "error"
                       : severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT ? "warning"
                                                                                     : "info";
   char text[4096];
   snprintf(text, sizeof(text), "HOST-SIDE validation %s in %s: %s", level, where,
            data->pMessage ? data->pMessage : "");
   fprintf(stderr, "venus-loopback: %s\n", text);
   if (ctx->options.message)
      ctx->options.message(ctx->options.message_data, (int)severity,
                           data->pMessageIdName ? data->pMessageIdName : "", text);
   return VK_FALSE;
}

void
vlr_validation_messenger_info(struct vlr_context *ctx, VkDebugUtilsMessengerCreateInfoEXT *info)
{
   *info = (VkDebugUtilsMessengerCreateInfoEXT){
      .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
      .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                         VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
      .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
      .pfnUserCallback = host_message,
      .pUserData = ctx,
   };
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
               command_name(x->cmd_id), x->cmd_id, at, x->stream_kind ? x->stream_kind : "", why);
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
   return obj;
}

void
vlr_exec_remove_object(struct vlr_exec *x, struct vl_object *obj)
{
   vl_object_table_remove(&x->ctx->objects, obj);
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
              command_name(x->cmd_id), result, id);
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
   if (x->locked)
      pthread_mutex_unlock(&x->ctx->lock);
}

void
vlr_exec_lock(struct vlr_exec *x)
{
   if (x->locked)
      pthread_mutex_lock(&x->ctx->lock);
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

/* Executors for streams that do not come from a ring: one per thread, since
 * threads execute their synchronous calls concurrently. */
static pthread_key_t exec_key;
static pthread_once_t exec_once = PTHREAD_ONCE_INIT;

static void
exec_free(void *p)
{
   struct vlr_exec *x = p;
   vlr_exec_finish(x);
   free(x);
}

static void
exec_key_init(void)
{
   pthread_key_create(&exec_key, exec_free);
}

static struct vlr_exec *
thread_exec(struct vlr_context *ctx)
{
   pthread_once(&exec_once, exec_key_init);
   struct vlr_exec *x = pthread_getspecific(exec_key);
   if (!x) {
      x = malloc(sizeof(*x));
      if (!x)
         return NULL;
      vlr_exec_init(x, ctx);
      pthread_setspecific(exec_key, x);
   }
   if (x->ctx != ctx) /* a reply stream belongs to one context */
      x->own_reply = (struct vlr_reply_stream){ 0 };
   x->ctx = ctx;
   return x;
}

/* ---- context -------------------------------------------------------------------- */

struct vlr_context *
vlr_context_create(const struct vlr_context_options *options, char *err, size_t err_size)
{
   struct vlr_context *ctx = calloc(1, sizeof(*ctx));
   if (!ctx) {
      snprintf(err, err_size, "out of memory");
      return NULL;
   }
   ctx->options = *options;
   ctx->wire_formats = options->wire_formats
                          ? options->wire_formats
                          : VL_WIRE_FORMAT_BIT(VL_WIRE_FORMAT_CURRENT) | VL_WIRE_PRIVATE;
   ctx->host = options->chain
                  ? vlr_host_chain(options->chain, options->host_validation, err, err_size)
                  : vlr_host_get(options->host_icd, options->host_validation, err, err_size);
   /* the link lives on the creating call's stack; vlr_host_is_chain() tells the mode */
   ctx->options.chain = NULL;
   if (!ctx->host) {
      free(ctx);
      return NULL;
   }
   pthread_mutex_init(&ctx->lock, NULL);
   pthread_mutex_init(&ctx->resource_lock, NULL);
   /* made now, so that threads that lose the context never race its making */
   if (!vlr_ring_set_of(ctx)) {
      snprintf(err, err_size, "out of memory");
      vlr_host_release(ctx->host);
      free(ctx);
      return NULL;
   }
   vl_object_table_init(&ctx->objects);
   atomic_init(&ctx->lost, false);
   ctx->next_resource_id = 1;
   if (options->stats) {
      ctx->stats.per_command =
         calloc(VL_VENUS_COMMAND_COUNT + VL_PRIVATE_COMMAND_COUNT, sizeof(*ctx->stats.per_command));
   }
   return ctx;
}

void
vlr_context_destroy(struct vlr_context *ctx)
{
   if (!ctx)
      return;
   atomic_store(&ctx->closing, true); /* waits in slices end */
   vlr_ring_set_destroy(ctx);
   if (ctx->instance)
      vlr_instance_destroy_all(ctx);
   vlr_watchdog_destroy(ctx->watchdog);
   vlr_host_release(ctx->host);
   vl_object_table_finish(&ctx->objects);
   if (ctx->options.capture)
      fclose(ctx->options.capture);
   free(ctx->resources);
   free(ctx->stats.per_command);
   pthread_mutex_destroy(&ctx->lock);
   pthread_mutex_destroy(&ctx->resource_lock);
   free(ctx);
}

static bool
run_locked(struct vlr_context *ctx, const void *cmds, size_t size, void *reply, size_t reply_size,
           const char *kind)
{
   struct vlr_exec *x = thread_exec(ctx);
   if (!x) {
      vlr_context_set_lost(ctx, "out of memory for an executor");
      return false;
   }
   if (reply) {
      x->reply_target = VLR_REPLY_BUFFER;
      vl_enc_init(&x->reply_buf, reply, reply_size);
   } else {
      x->reply_target = VLR_REPLY_STREAM;
   }
   pthread_mutex_lock(&ctx->lock);
   x->locked = true;
   const bool ok = vlr_exec_stream(x, cmds, size, kind);
   x->locked = false;
   pthread_mutex_unlock(&ctx->lock);
   return ok;
}

bool
vlr_context_submit(struct vlr_context *ctx, const void *cmds, size_t size)
{
   return run_locked(ctx, cmds, size, NULL, 0, "direct");
}

bool
vlr_context_execute(struct vlr_context *ctx, const void *cmds, size_t size)
{
   static uint8_t no_reply;
   return run_locked(ctx, cmds, size, &no_reply, 0, "inline");
}

bool
vlr_context_call(struct vlr_context *ctx, const void *cmds, size_t size, void *reply,
                 size_t reply_size)
{
   return run_locked(ctx, cmds, size, reply, reply_size, "inline");
}

uint32_t
vlr_context_resource_create(struct vlr_context *ctx, void *data, size_t size)
{
   pthread_mutex_lock(&ctx->resource_lock);
   uint32_t id = 0;
   if (ctx->resource_count == ctx->resource_capacity) {
      const size_t cap = ctx->resource_capacity ? ctx->resource_capacity * 2 : 16;
      struct vlr_resource *r = realloc(ctx->resources, cap * sizeof(*r));
      if (!r)
         goto out;
      ctx->resources = r;
      ctx->resource_capacity = cap;
   }
   id = ctx->next_resource_id++;
   if (!ctx->next_resource_id)
      ctx->next_resource_id = 1;
   ctx->resources[ctx->resource_count++] = (struct vlr_resource){ id, data, size };
out:
   pthread_mutex_unlock(&ctx->resource_lock);
   return id;
}

void
vlr_context_resource_destroy(struct vlr_context *ctx, uint32_t id)
{
   pthread_mutex_lock(&ctx->resource_lock);
   for (size_t i = 0; i < ctx->resource_count; i++) {
      if (ctx->resources[i].id == id) {
         ctx->resources[i] = ctx->resources[--ctx->resource_count];
         break;
      }
   }
   pthread_mutex_unlock(&ctx->resource_lock);
}

bool
vlr_context_resource(struct vlr_context *ctx, uint32_t id, struct vlr_resource *out)
{
   bool found = false;
   pthread_mutex_lock(&ctx->resource_lock);
   /* Newest first: the transports look up what they just attached. */
   for (size_t i = ctx->resource_count; i-- > 0;) {
      if (ctx->resources[i].id == id) {
         *out = ctx->resources[i];
         found = true;
         break;
      }
   }
   pthread_mutex_unlock(&ctx->resource_lock);
   return found;
}

VkResult
vlr_context_map_memory(struct vlr_context *ctx, uint64_t memory_id, void **ptr, VkDeviceSize *size)
{
   VkResult result = VK_SUCCESS;
   pthread_mutex_lock(&ctx->lock);
   struct vl_object *obj = vl_object_table_lookup(&ctx->objects, memory_id);
   if (!obj || obj->type != VK_OBJECT_TYPE_DEVICE_MEMORY || !obj->data) {
      result = VK_ERROR_MEMORY_MAP_FAILED;
      goto out;
   }
   struct vlr_memory *mem = obj->data;
   if (!mem->host_visible) {
      result = VK_ERROR_MEMORY_MAP_FAILED;
      goto out;
   }
   if (!mem->map) {
      result = mem->table->MapMemory(mem->device, (VkDeviceMemory)(uintptr_t)obj->host, 0,
                                     VK_WHOLE_SIZE, 0, &mem->map);
      if (result != VK_SUCCESS)
         mem->map = NULL;
   }
   *ptr = mem->map;
   *size = mem->size;
out:
   pthread_mutex_unlock(&ctx->lock);
   return result;
}

VkResult
vlr_context_flush_ranges(struct vlr_context *ctx, bool invalidate, uint32_t count,
                         const struct vlr_mapped_range *ranges)
{
   VkResult result = VK_SUCCESS;
   pthread_mutex_lock(&ctx->lock);
   for (uint32_t i = 0; i < count && result == VK_SUCCESS; i++) {
      struct vl_object *obj = vl_object_table_lookup(&ctx->objects, ranges[i].memory_id);
      if (!obj || obj->type != VK_OBJECT_TYPE_DEVICE_MEMORY || !obj->data) {
         result = VK_ERROR_MEMORY_MAP_FAILED;
         break;
      }
      struct vlr_memory *mem = obj->data;
      const VkMappedMemoryRange range = {
         .sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
         .memory = (VkDeviceMemory)(uintptr_t)obj->host,
         .offset = ranges[i].offset,
         .size = ranges[i].size,
      };
      result = invalidate ? mem->table->InvalidateMappedMemoryRanges(mem->device, 1, &range)
                          : mem->table->FlushMappedMemoryRanges(mem->device, 1, &range);
   }
   pthread_mutex_unlock(&ctx->lock);
   return result;
}

bool
vlr_context_lost(const struct vlr_context *ctx)
{
   return atomic_load(&ctx->lost);
}

const char *
vlr_context_lost_message(const struct vlr_context *ctx)
{
   /* The flag is set first (execution stops at once), the message after it. */
   return atomic_load_explicit(&ctx->lost_message_ready, memory_order_acquire) ? ctx->lost_message
                                                                               : "";
}

void
vlr_context_set_lost(struct vlr_context *ctx, const char *message)
{
   bool expected = false;
   if (!atomic_compare_exchange_strong(&ctx->lost, &expected, true))
      return;
   snprintf(ctx->lost_message, sizeof(ctx->lost_message), "%s", message);
   atomic_store_explicit(&ctx->lost_message_ready, true, memory_order_release);
   vlr_ring_set_fatal(ctx);
   fprintf(stderr,
           "venus-loopback: renderer: %s; the renderer context is lost and the application gets "
           "VK_ERROR_DEVICE_LOST\n",
           message);
}

/* ---- statistics and capture ----------------------------------------------------------- */

static size_t
stats_index(int32_t id)
{
   if (id >= 0 && id < VL_VENUS_COMMAND_COUNT)
      return (size_t)id;
   if (id >= VL_PRIVATE_COMMAND_BASE && id - VL_PRIVATE_COMMAND_BASE < VL_PRIVATE_COMMAND_COUNT)
      return VL_VENUS_COMMAND_COUNT + (size_t)(id - VL_PRIVATE_COMMAND_BASE);
   return SIZE_MAX;
}

void
vlr_context_count(struct vlr_context *ctx, int32_t id)
{
   atomic_fetch_add_explicit(&ctx->stats.commands, 1, memory_order_relaxed);
   const size_t i = stats_index(id);
   if (i != SIZE_MAX && ctx->stats.per_command)
      atomic_fetch_add_explicit(&ctx->stats.per_command[i], 1, memory_order_relaxed);
}

void
vlr_context_print_stats(struct vlr_context *ctx, FILE *out)
{
   if (!ctx->stats.per_command)
      return;
   fprintf(out,
           "venus-loopback: renderer decoded %" PRIu64 " commands, %" PRIu64 " bytes in %" PRIu64
           " streams\n",
           (uint64_t)atomic_load(&ctx->stats.commands), (uint64_t)atomic_load(&ctx->stats.bytes),
           (uint64_t)atomic_load(&ctx->stats.streams));
   fprintf(out,
           "venus-loopback: guards (renderer/check/, VL_GUARDS=%s): %" PRIu64 " reported, %" PRIu64
           " refused\n",
           ctx->options.guards == VLR_GUARDS_REFUSE ? "refuse" : "report",
           (uint64_t)atomic_load(&ctx->stats.guard_reports),
           (uint64_t)atomic_load(&ctx->stats.guard_refusals));
   /* top commands by count */
   const size_t n = VL_VENUS_COMMAND_COUNT + VL_PRIVATE_COMMAND_COUNT;
   bool *shown = calloc(n, sizeof(*shown));
   if (!shown)
      return;
   for (int rank = 0; rank < 10; rank++) {
      size_t best = SIZE_MAX;
      uint64_t best_count = 0;
      for (size_t i = 0; i < n; i++) {
         const uint64_t c = atomic_load(&ctx->stats.per_command[i]);
         if (!shown[i] && c > best_count) {
            best = i;
            best_count = c;
         }
      }
      if (best == SIZE_MAX)
         break;
      shown[best] = true;
      const int32_t id = best < VL_VENUS_COMMAND_COUNT
                            ? (int32_t)best
                            : VL_PRIVATE_COMMAND_BASE + (int32_t)(best - VL_VENUS_COMMAND_COUNT);
      fprintf(out, "venus-loopback:   %10" PRIu64 "  %s\n", best_count, command_name(id));
   }
   free(shown);
}

uint64_t
vlr_context_capture(struct vlr_context *ctx, uint16_t kind, uint64_t ring, uint64_t ref,
                    const void *data, size_t size)
{
   /* One VKRD record per stream (docs/capture.md).  Callers hold the context
    * lock, so sequence numbers follow file order within a context.  Header
    * and payload go out in one writev on the O_APPEND descriptor: contexts
    * of one process share the file, and a record must not be split by
    * another context's record or by stdio buffering. */
   static atomic_bool warned;
   if (size > UINT32_MAX) {
      if (!atomic_exchange(&warned, true))
         fprintf(stderr,
                 "venus-loopback: capture: a %zu-byte stream is too large for a record; "
                 "the capture is incomplete\n",
                 size);
      return 0;
   }
   uint8_t header[40] = { 'V', 'K', 'R', 'D', 1, 0 };
   const uint64_t seq = ++ctx->capture_seq;
   const uint32_t length = (uint32_t)size;
   if (!ctx->capture_tag) {
      /* Process id in the high half (our vtest server runs a process per
       * client, all appending to one file), a per-process count in the low
       * half: a freed context's address may be reused, its tag is not. */
      static atomic_uint count;
      ctx->capture_tag = ((uint32_t)getpid() << 16) | ((atomic_fetch_add(&count, 1) + 1) & 0xffff);
   }
   const uint32_t tag = ctx->capture_tag;
   memcpy(header + 6, &kind, 2);
   memcpy(header + 8, &seq, 8);
   memcpy(header + 16, &ring, 8);
   memcpy(header + 24, &length, 4);
   memcpy(header + 28, &tag, 4);
   memcpy(header + 32, &ref, 8);
   struct iovec iov[2] = { { header, sizeof(header) }, { (void *)data, size } };
   const int fd = fileno(ctx->options.capture);
   size_t left = sizeof(header) + size;
   int n = 2;
   struct iovec *v = iov;
   while (left) {
      const ssize_t w = writev(fd, v, n);
      if (w < 0 && errno == EINTR)
         continue;
      if (w <= 0) {
         if (!atomic_exchange(&warned, true))
            fprintf(stderr,
                    "venus-loopback: capture: writing the capture file failed (%s); "
                    "the capture is incomplete\n",
                    strerror(errno));
         break;
      }
      /* a short write: go on after what was written */
      size_t done = (size_t)w;
      left -= done;
      for (; n && done >= v->iov_len; n--, v++)
         done -= v->iov_len;
      if (n) {
         v->iov_base = (uint8_t *)v->iov_base + done;
         v->iov_len -= done;
      }
   }
   return seq;
}
