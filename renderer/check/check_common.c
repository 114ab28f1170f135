/*
 * The checks' shared pieces (vlr_check.h): per-object state, the policy
 * that turns a finding into a report or a refusal, the arithmetic of
 * ranges and indices, and objects freed twice in one call.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlr_check.h"

void *
vlr_state(struct vlr_exec *x, VkObjectType type, uint64_t handle)
{
   const struct vl_object *obj = handle ? vlr_exec_lookup_host(x, (int32_t)type, handle) : NULL;
   assert(!obj || obj->type == (int32_t)type);
   return obj ? obj->data : NULL;
}

void *
vlr_state_attach(struct vlr_exec *x, uint64_t id, VkObjectType type, size_t size)
{
   struct vl_object *obj = x->created && x->created->id == id
                              ? x->created
                              : vl_object_table_lookup(&x->ctx->objects, id);
   if (!obj || obj->type != (int32_t)type)
      return NULL;
   assert(!obj->data);
   void *data = obj->inline_data;
   if (size <= sizeof(obj->inline_data)) {
      memset(data, 0, size);
   } else if (!(data = calloc(1, size))) {
      vlr_exec_failf(x, "out of memory for the renderer's state of object 0x%" PRIx64, id);
      return NULL;
   }
   obj->data = data;
   return data;
}

void
vlr_state_forget(struct vlr_exec *x)
{
   if (x->destroyed)
      vl_object_free_data(x->destroyed);
}

/* Whether this command has reported this kind already (under the lock);
 * remembers it if not. */
static bool
reported_before(struct vlr_context *ctx, int32_t cmd, const char *kind)
{
   for (unsigned i = 0; i < ctx->guard_reported_count; i++) {
      if (ctx->guard_reported[i].cmd == cmd && ctx->guard_reported[i].kind == kind)
         return true;
   }
   if (ctx->guard_reported_count < VLR_GUARD_REPORTS) {
      ctx->guard_reported[ctx->guard_reported_count].cmd = cmd;
      ctx->guard_reported[ctx->guard_reported_count].kind = kind;
      ctx->guard_reported_count++;
      return false;
   }
   return true; /* enough said */
}

bool
vlr_guard(struct vlr_exec *x, const char *kind, const char *fmt, ...)
{
   char why[512];
   va_list ap;
   va_start(ap, fmt);
   vsnprintf(why, sizeof(why), fmt, ap);
   va_end(ap);
   struct vlr_context *ctx = x->ctx;
   if (ctx->options.guards == VLR_GUARDS_REFUSE) {
      atomic_fetch_add(&ctx->stats.guard_refusals, 1);
      vlr_exec_fail(x, why);
      return false;
   }
   atomic_fetch_add(&ctx->stats.guard_reports, 1);
   if (reported_before(ctx, x->cmd_id, kind))
      return true;
   const struct vl_command_info *info = vl_command_info(x->cmd_id);
   char text[768];
   snprintf(text, sizeof(text),
            "%s (command #%" PRIu64 "): %s; the host driver gets the call as the application "
            "made it (VL_GUARDS=refuse refuses such calls; reported once per command and kind)",
            info ? info->name : "unknown command", x->cmd_seq, why);
   fprintf(stderr, "venus-loopback: report: %s\n", text);
   if (ctx->options.message) {
      char id[96];
      snprintf(id, sizeof(id), "VL-guard-%s", kind);
      ctx->options.message(ctx->options.message_data,
                           (int)VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT, id, text);
   }
   return true;
}

bool
vlr_span_inside(VkDeviceSize total, VkDeviceSize offset, uint64_t count, uint64_t stride,
                VkDeviceSize size)
{
   if (offset > total)
      return false;
   if (!count)
      return true;
   const VkDeviceSize left = total - offset;
   if (size > left)
      return false;
   return !stride || (count - 1) <= (left - size) / stride;
}

static int
compare_u64(const void *a, const void *b)
{
   const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
   return (x > y) - (x < y);
}

static uint64_t
handle_at(const void *handles, uint32_t i)
{
   uint64_t h;
   memcpy(&h, (const char *)handles + (size_t)i * 8, 8);
   return h;
}

bool
vlr_check_freed_once(struct vlr_exec *x, const char *what, const void *handles, uint32_t n)
{
   if (n < 2)
      return true;
   bool twice = false;
   if (n <= 32) {
      for (uint32_t i = 1; i < n && !twice; i++) {
         const uint64_t h = handle_at(handles, i);
         for (uint32_t j = 0; j < i && !twice; j++)
            twice = h && h == handle_at(handles, j);
      }
   } else {
      /* sorted, so that a hostile count costs n log n, not n squared */
      uint64_t *sorted = vlr_exec_args(x, sizeof(*sorted) * n);
      if (!sorted)
         return false;
      memcpy(sorted, handles, sizeof(*sorted) * n);
      qsort(sorted, n, sizeof(*sorted), compare_u64);
      for (uint32_t i = 1; i < n && !twice; i++)
         twice = sorted[i] && sorted[i] == sorted[i - 1];
   }
   return !twice || vlr_guard(x, "freed-twice", "one %s is freed twice in one call", what);
}

/* Pools: lavapipe frees each command buffer it is given, a repeated one twice. */
bool
vlr_check_vkFreeCommandBuffers(struct vlr_exec *x, const struct vl_args_vkFreeCommandBuffers *a)
{
   _Static_assert(sizeof(VkCommandBuffer) == 8, "64-bit handles");
   return !a->pCommandBuffers ||
          vlr_check_freed_once(x, "command buffer", a->pCommandBuffers, a->commandBufferCount);
}

bool
vlr_check_index(struct vlr_exec *x, const char *what, uint64_t first, uint64_t count, uint64_t max)
{
   if (first <= max && count <= max - first)
      return true;
   return vlr_guard(x, "host-table-index",
                    "%s %" PRIu64 "+%" PRIu64 " exceed the host's limit of %" PRIu64, what, first,
                    count, max);
}

const struct vlr_device *
vlr_device_of(const struct vl_object *obj)
{
   while (obj && obj->type != VK_OBJECT_TYPE_DEVICE)
      obj = obj->parent;
   return obj ? obj->data : NULL;
}

const VkPhysicalDeviceLimits *
vlr_limits_of(const struct vl_object *obj)
{
   const struct vlr_device *dev = vlr_device_of(obj);
   return dev ? &dev->limits : NULL;
}
