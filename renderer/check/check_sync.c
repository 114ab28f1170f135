/*
 * Semaphores: lavapipe's vkGetSemaphoreCounterValue, vkSignalSemaphore and
 * vkWaitSemaphores call through a timeline-only function pointer that a
 * binary semaphore leaves NULL, and a timeline semaphore needs the feature
 * the driver was told about at vkCreateDevice.
 */
#include "vlr_check.h"
#include "vlr_inflight.h"

bool
vlr_check_vkCreateSemaphore(struct vlr_exec *x, const struct vl_args_vkCreateSemaphore *a)
{
   const struct vlr_device *dev = vlr_device_of(a->owner);
   if (!dev)
      return true;
   for (const VkBaseInStructure *s = a->pCreateInfo->pNext; s; s = s->pNext) {
      if (s->sType != VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO ||
          ((const VkSemaphoreTypeCreateInfo *)s)->semaphoreType != VK_SEMAPHORE_TYPE_TIMELINE)
         continue;
      /* The renderer releases work held for a timeline with the host's
       * vkSignalSemaphore (vlr_inflight.c): its own need, always enforced. */
      if (!dev->table.SignalSemaphore) {
         vlr_exec_fail(x, "a timeline semaphore, but the host driver gives no vkSignalSemaphore "
                          "for this device");
         return false;
      }
      if (!dev->timeline_semaphores &&
          !vlr_guard(x, "timeline-feature",
                     "a timeline semaphore on a device without the timelineSemaphore feature "
                     "enabled"))
         return false;
   }
   return true;
}

static bool
timeline_ok(struct vlr_exec *x, VkSemaphore handle)
{
   const struct vl_object *obj =
      handle ? vl_object_table_lookup_host(&x->ctx->objects, VK_OBJECT_TYPE_SEMAPHORE,
                                           (uint64_t)(uintptr_t)handle)
             : NULL;
   return vlr_inflight_timeline(obj) ||
          vlr_guard(x, "binary-semaphore",
                    "a binary semaphore where only timeline semaphores "
                    "are valid");
}

bool
vlr_check_vkGetSemaphoreCounterValue(struct vlr_exec *x,
                                     const struct vl_args_vkGetSemaphoreCounterValue *a)
{
   return timeline_ok(x, a->semaphore);
}

bool
vlr_check_vkSignalSemaphore(struct vlr_exec *x, const struct vl_args_vkSignalSemaphore *a)
{
   if (!timeline_ok(x, a->pSignalInfo->semaphore))
      return false;
   /* What the renderer holds for the timeline is its own bookkeeping. */
   return vlr_inflight_host_signal_ok(x, a->pSignalInfo);
}

bool
vlr_check_vkWaitSemaphores(struct vlr_exec *x, const struct vl_args_vkWaitSemaphores *a)
{
   const VkSemaphoreWaitInfo *info = a->pWaitInfo;
   for (uint32_t i = 0; info->pSemaphores && i < info->semaphoreCount; i++) {
      if (!timeline_ok(x, info->pSemaphores[i]))
         return false;
   }
   return true;
}
