/*
 * Host waits: vkWaitForFences, vkWaitSemaphores, vkGetQueryPoolResults(WAIT).
 *
 * In-process, a wait runs on the calling thread without the renderer's
 * context lock, so it simply blocks in the host driver.  A transport that
 * runs every command on one renderer thread (VL_DEBUG=ring, vtest) cannot do
 * that: a blocked wait would stop the very signal it waits for.  There the
 * guest polls with a zero timeout and backs off between polls, as a virtio
 * guest must.
 */
#include <sched.h>
#include <time.h>

#include "vl_icd.h"
#include "vl_icd_calls.h"

static uint64_t
now_ns(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
deadline_after(uint64_t timeout)
{
   const uint64_t now = now_ns();
   return timeout > UINT64_MAX - now ? UINT64_MAX : now + timeout;
}

/* Yield first (the signal is usually close), then sleep 10 µs doubling to
 * 1 ms: a long wait costs about a thousand polls a second, not a core. */
static void
relax(uint32_t *iteration)
{
   const uint32_t i = (*iteration)++;
   if (i < 8) {
      sched_yield();
      return;
   }
   const uint32_t shift = i - 8 < 7 ? i - 8 : 7;
   const long ns = 10000L << shift;
   struct timespec ts = { 0, ns > 1000000L ? 1000000L : ns };
   nanosleep(&ts, NULL);
}

static bool
must_poll(const struct vl_device *dev)
{
   return dev->transport->serialized_waits;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_WaitForFences(VkDevice device, uint32_t count, const VkFence *fences, VkBool32 all,
                 uint64_t timeout)
{
   struct vl_transport *t = vl_device(device)->transport;
   if (!must_poll(vl_device(device)) || timeout == 0)
      return vl_call_vkWaitForFences(t, device, count, fences, all, timeout);
   const uint64_t deadline = deadline_after(timeout);
   for (uint32_t i = 0;;) {
      const VkResult r = vl_call_vkWaitForFences(t, device, count, fences, all, 0);
      if (r != VK_TIMEOUT || now_ns() >= deadline)
         return r;
      relax(&i);
   }
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_WaitSemaphores(VkDevice device, const VkSemaphoreWaitInfo *info, uint64_t timeout)
{
   struct vl_transport *t = vl_device(device)->transport;
   if (!must_poll(vl_device(device)) || timeout == 0)
      return vl_call_vkWaitSemaphores(t, device, info, timeout);
   const uint64_t deadline = deadline_after(timeout);
   for (uint32_t i = 0;;) {
      const VkResult r = vl_call_vkWaitSemaphores(t, device, info, 0);
      if (r != VK_TIMEOUT || now_ns() >= deadline)
         return r;
      relax(&i);
   }
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_GetQueryPoolResults(VkDevice device, VkQueryPool pool, uint32_t first, uint32_t count,
                       size_t size, void *data, VkDeviceSize stride, VkQueryResultFlags flags)
{
   struct vl_transport *t = vl_device(device)->transport;
   if (!must_poll(vl_device(device)) || !(flags & VK_QUERY_RESULT_WAIT_BIT))
      return vl_call_vkGetQueryPoolResults(t, device, pool, first, count, size, data, stride,
                                           flags);
   /* Without WAIT the host answers VK_NOT_READY until every query is
    * available; with WAIT the application expects all of them. */
   const VkQueryResultFlags poll_flags = flags & ~(VkQueryResultFlags)VK_QUERY_RESULT_WAIT_BIT;
   for (uint32_t i = 0;;) {
      const VkResult r = vl_call_vkGetQueryPoolResults(t, device, pool, first, count, size, data,
                                                       stride, poll_flags);
      if (r != VK_NOT_READY)
         return r;
      relax(&i);
   }
}
