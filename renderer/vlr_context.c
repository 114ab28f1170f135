/*
 * The renderer context: creation and teardown, the streams transports hand
 * it (run on a per-thread executor, vlr_exec.c), resources, host memory,
 * the fatal state, statistics and the capture file.
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

#include "vl_capture_format.h"
#include "vl_futex.h"
#include "vl_tls.h"
#include "vl_protocol_defs.h"
#include "vlr_host.h"
#include "vlr_ring.h"

/* ---- host-side validation ------------------------------------------------------ */

static VKAPI_ATTR VkBool32 VKAPI_CALL
host_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
             const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
   (void)types;
   struct vlr_context *ctx = user;
   const struct vlr_exec *x = vlr_exec_current();
   char where[256];
   if (x && x->ctx == ctx && x->cmd_id >= 0)
      snprintf(where, sizeof(where), "%s, command #%llu (byte %zu of the %s stream)",
               vlr_command_name(x->cmd_id), (unsigned long long)x->cmd_seq,
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

/* Executors for streams that do not come from a ring: one per thread, since
 * threads execute their synchronous calls concurrently. */
static pthread_key_t exec_key;
static pthread_once_t exec_once = PTHREAD_ONCE_INIT;

static VL_TLS struct vlr_exec *thread_exec_cached;

static void
exec_free(void *p)
{
   struct vlr_exec *x = p;
   thread_exec_cached = NULL;
   vlr_exec_finish(x);
   free(x);
}

static void
exec_key_init(void)
{
   pthread_key_create(&exec_key, exec_free);
}

/* The thread's executor is found without a library call on the per-command
 * path (thread_exec_cached); the key only frees it when the thread exits. */
static struct vlr_exec *
thread_exec(struct vlr_context *ctx)
{
   struct vlr_exec *x = thread_exec_cached;
   if (x && x->ctx == ctx)
      return x;
   pthread_once(&exec_once, exec_key_init);
   x = pthread_getspecific(exec_key);
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
   thread_exec_cached = x;
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

void
vlr_context_resource_release(struct vlr_context *ctx, uint32_t id,
                             void (*release)(void *data, size_t size))
{
   /* under the context lock: a span that runs on a ring thread holds it
    * while it reads the resource's memory */
   pthread_mutex_lock(&ctx->lock);
   struct vlr_resource r = { 0 };
   const bool found = vlr_context_resource(ctx, id, &r);
   vlr_context_resource_destroy(ctx, id);
   if (found && release)
      release(r.data, r.size);
   pthread_mutex_unlock(&ctx->lock);
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
      fprintf(out, "venus-loopback:   %10" PRIu64 "  %s\n", best_count, vlr_command_name(id));
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
   uint8_t header[VL_RECORD_HEADER_SIZE];
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
   vl_capture_header_write(header, kind, seq, ring, length, tag, ref);
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
