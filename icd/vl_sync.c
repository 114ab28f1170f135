/*
 * Fences and host waits, guest side.
 *
 * Fence feedback: a frame loop waits for a fence every frame, and a round
 * trip per wait would put the renderer on the application's critical path.
 * Where the transport can share memory (in-process), each device has a
 * region the renderer writes: just before a fenced submission the ICD sends
 * vkQueueFenceFeedbackNextVL (loopback.xml), the renderer submits with a
 * fence of its own in the application's place, and once that one signals
 * it stores the submission's serial in the fence's slot and wakes a futex.
 * Status and waits are answered from that memory.  Fences that something
 * else signals (WSI acquire, fd import/export) go back to asking the host
 * until they are reset; an exportable fence (and vkQueueBindSparse's) keeps
 * its host payload: after the submission the ICD sends vkQueueFenceFeedbackVL,
 * and the renderer reports through an empty batch of its own.
 *
 * Host waits: in-process, a wait runs on the calling thread without the
 * renderer's context lock, so it simply blocks in the host driver.  A
 * transport that runs every command on one renderer thread (VL_DEBUG=ring,
 * vtest) cannot do that: a blocked wait would stop the very signal it waits
 * for.  There the guest polls with a zero timeout and backs off between
 * polls, as a virtio guest must.
 */
#include <sched.h>
#include <string.h>
#include <time.h>

#include "vl_futex.h"
#include "vl_icd.h"
#include "vl_icd_calls.h"

/* Region layout: the futex word, then the slots (one per live fence). */
#define FEEDBACK_SLOTS     4096
#define FEEDBACK_SLOT_BASE 64
#define FEEDBACK_SIZE      (FEEDBACK_SLOT_BASE + 8 * FEEDBACK_SLOTS)
/* A long guest-side wait looks at the connection this often. */
#define LOST_CHECK_NS 100000000ull
/* How long a fence wait polls its slot before it sleeps. */
#define WAIT_SPIN_NS 20000u

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

/* ---- fence feedback ------------------------------------------------------------ */

static struct vl_fence *
fence_of(VkFence fence)
{
   return VL_FROM_HANDLE(struct vl_fence, fence);
}

static _Atomic uint32_t *
feedback_epoch(struct vl_device *dev)
{
   return (_Atomic uint32_t *)dev->feedback.memory;
}

static _Atomic uint64_t *
feedback_slot(struct vl_device *dev, int32_t slot)
{
   return (_Atomic uint64_t *)(dev->feedback.memory + FEEDBACK_SLOT_BASE + 8 * (size_t)slot);
}

/* Under dev->lock. */
static void
feedback_init_locked(struct vl_device *dev)
{
   struct vl_feedback *fb = &dev->feedback;
   fb->initialized = true;
   struct vl_transport *t = dev->transport;
   if (!t->ops->share_memory)
      return;
   fb->memory = aligned_alloc(64, FEEDBACK_SIZE);
   fb->free_slots = malloc(FEEDBACK_SLOTS * sizeof(*fb->free_slots));
   if (fb->memory && fb->free_slots) {
      memset(fb->memory, 0, FEEDBACK_SIZE);
      fb->resource = t->ops->share_memory(t, fb->memory, FEEDBACK_SIZE);
   }
   if (!fb->resource) {
      free(fb->memory);
      free(fb->free_slots);
      fb->memory = NULL;
      fb->free_slots = NULL;
      return;
   }
   /* lowest slots handed out first */
   for (uint32_t i = 0; i < FEEDBACK_SLOTS; i++)
      fb->free_slots[i] = FEEDBACK_SLOTS - 1 - i;
   fb->free_count = FEEDBACK_SLOTS;
}

void
vl_feedback_fini(struct vl_device *dev)
{
   /* the renderer stopped writing when it destroyed the device */
   if (dev->feedback.resource)
      dev->transport->ops->unshare_memory(dev->transport, dev->feedback.resource);
   free(dev->feedback.memory);
   free(dev->feedback.free_slots);
   memset(&dev->feedback, 0, sizeof(dev->feedback));
}

VkResult
vl_fence_create(struct vl_device *dev, bool signaled, VkFence *out)
{
   struct vl_fence *f = calloc(1, sizeof(*f));
   if (!f)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   f->slot = -1;
   atomic_init(&f->signaled, signaled);
   pthread_mutex_lock(&dev->lock);
   if (!dev->feedback.initialized)
      feedback_init_locked(dev);
   if (dev->feedback.free_count) {
      f->slot = (int32_t)dev->feedback.free_slots[--dev->feedback.free_count];
      atomic_store(feedback_slot(dev, f->slot), 0);
   }
   pthread_mutex_unlock(&dev->lock);
   *out = VL_TO_HANDLE(VkFence, f);
   return VK_SUCCESS;
}

void
vl_fence_destroy(struct vl_device *dev, VkFence fence)
{
   struct vl_fence *f = fence_of(fence);
   if (f->slot >= 0) {
      pthread_mutex_lock(&dev->lock);
      dev->feedback.free_slots[dev->feedback.free_count++] = (uint32_t)f->slot;
      pthread_mutex_unlock(&dev->lock);
   }
   free(f);
}

void
vl_fence_submitted(struct vl_device *dev, VkQueue queue, VkFence fence)
{
   struct vl_fence *f = fence_of(fence);
   atomic_store(&f->signaled, false);
   if (f->slot < 0 || atomic_load(&f->untracked))
      return;
   const uint64_t serial = atomic_fetch_add(&dev->feedback.serial, 1) + 1;
   atomic_store(&f->pending, serial);
   vl_send_vkQueueFenceFeedbackVL(dev->transport, queue, dev->feedback.resource,
                                  FEEDBACK_SLOT_BASE + 8 * (uint32_t)f->slot, serial);
}

bool
vl_fence_submitting(struct vl_device *dev, VkQueue queue, VkFence fence)
{
   struct vl_fence *f = fence_of(fence);
   /* An exportable fence's host payload may be asked for (vkGetFenceFdKHR
    * on a pending fence): the host must signal that fence itself. */
   if (f->slot < 0 || f->exportable || atomic_load(&f->untracked))
      return false;
   atomic_store(&f->signaled, false);
   const uint64_t serial = atomic_fetch_add(&dev->feedback.serial, 1) + 1;
   atomic_store(&f->pending, serial);
   vl_send_vkQueueFenceFeedbackNextVL(dev->transport, queue, fence, dev->feedback.resource,
                                      FEEDBACK_SLOT_BASE + 8 * (uint32_t)f->slot, serial);
   return true;
}

void
vl_fence_untrack(VkFence fence)
{
   if (fence)
      atomic_store(&fence_of(fence)->untracked, true);
}

static bool
fence_tracked(const struct vl_fence *f)
{
   return f->slot >= 0 && !atomic_load(&f->untracked);
}

static bool
fence_done(struct vl_device *dev, struct vl_fence *f)
{
   if (atomic_load(&f->signaled))
      return true;
   const uint64_t pending = atomic_load(&f->pending);
   return pending &&
          atomic_load_explicit(feedback_slot(dev, f->slot), memory_order_acquire) >= pending;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreateFence(VkDevice device, const VkFenceCreateInfo *info, const VkAllocationCallbacks *alloc,
               VkFence *out)
{
   (void)alloc;
   struct vl_device *dev = vl_device(device);
   VkFence fence;
   VkResult r = vl_fence_create(dev, info->flags & VK_FENCE_CREATE_SIGNALED_BIT, &fence);
   if (r != VK_SUCCESS)
      return r;
   for (const VkBaseInStructure *e = info->pNext; e; e = e->pNext) {
      if (e->sType == VK_STRUCTURE_TYPE_EXPORT_FENCE_CREATE_INFO)
         fence_of(fence)->exportable = true;
   }
   r = vl_send_vkCreateFence(dev->transport, device, info, NULL, &fence);
   /* a lost connection surfaces at the next command that may report it */
   if (r != VK_SUCCESS && r != VK_ERROR_DEVICE_LOST) {
      vl_fence_destroy(dev, fence);
      return r;
   }
   *out = fence;
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroyFence(VkDevice device, VkFence fence, const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   if (!fence)
      return;
   struct vl_device *dev = vl_device(device);
   vl_send_vkDestroyFence(dev->transport, device, fence, NULL);
   vl_fence_destroy(dev, fence);
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_ResetFences(VkDevice device, uint32_t count, const VkFence *fences)
{
   for (uint32_t i = 0; i < count; i++) {
      struct vl_fence *f = fence_of(fences[i]);
      atomic_store(&f->signaled, false);
      atomic_store(&f->pending, 0);
      atomic_store(&f->untracked, false);
   }
   const VkResult r = vl_send_vkResetFences(vl_device(device)->transport, device, count, fences);
   return r == VK_ERROR_DEVICE_LOST ? VK_SUCCESS : r;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_GetFenceStatus(VkDevice device, VkFence fence)
{
   struct vl_device *dev = vl_device(device);
   struct vl_fence *f = fence_of(fence);
   if (!fence_tracked(f))
      return vl_call_vkGetFenceStatus(dev->transport, device, fence);
   vl_transport_sync_point(dev->transport);
   if (fence_done(dev, f))
      return VK_SUCCESS;
   if (vl_transport_is_lost(dev->transport))
      return VK_ERROR_DEVICE_LOST;
   return VK_NOT_READY;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_ImportFenceFdKHR(VkDevice device, const VkImportFenceFdInfoKHR *info)
{
   vl_fence_untrack(info->fence);
   return vl_call_vkImportFenceFdKHR(vl_device(device)->transport, device, info);
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_GetFenceFdKHR(VkDevice device, const VkFenceGetFdInfoKHR *info, int *fd)
{
   vl_fence_untrack(info->fence);
   return vl_call_vkGetFenceFdKHR(vl_device(device)->transport, device, info, fd);
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_QueueSubmit(VkQueue queue, uint32_t count, const VkSubmitInfo *submits, VkFence fence)
{
   struct vl_device *dev = vl_queue(queue)->device;
   for (uint32_t i = 0; i < count; i++) {
      for (uint32_t j = 0; j < submits[i].commandBufferCount; j++)
         vl_command_buffer_flush(vl_command_buffer(submits[i].pCommandBuffers[j]));
   }
   const bool fed = fence && vl_fence_submitting(dev, queue, fence);
   VkResult r = vl_send_vkQueueSubmit(dev->transport, queue, count, submits, fence);
   if (r == VK_SUCCESS && fence && !fed)
      vl_fence_submitted(dev, queue, fence);
   vl_device_send_doomed(dev);
   vl_transport_sync_point(dev->transport);
   return r;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_QueueSubmit2(VkQueue queue, uint32_t count, const VkSubmitInfo2 *submits, VkFence fence)
{
   struct vl_device *dev = vl_queue(queue)->device;
   for (uint32_t i = 0; i < count; i++) {
      for (uint32_t j = 0; j < submits[i].commandBufferInfoCount; j++)
         vl_command_buffer_flush(
            vl_command_buffer(submits[i].pCommandBufferInfos[j].commandBuffer));
   }
   const bool fed = fence && vl_fence_submitting(dev, queue, fence);
   VkResult r = vl_send_vkQueueSubmit2(dev->transport, queue, count, submits, fence);
   if (r == VK_SUCCESS && fence && !fed)
      vl_fence_submitted(dev, queue, fence);
   vl_device_send_doomed(dev);
   vl_transport_sync_point(dev->transport);
   return r;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_QueueBindSparse(VkQueue queue, uint32_t count, const VkBindSparseInfo *binds, VkFence fence)
{
   struct vl_device *dev = vl_queue(queue)->device;
   VkResult r = vl_send_vkQueueBindSparse(dev->transport, queue, count, binds, fence);
   if (r == VK_SUCCESS && fence)
      vl_fence_submitted(dev, queue, fence);
   return r;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_AcquireNextImageKHR(VkDevice device, VkSwapchainKHR swapchain, uint64_t timeout,
                       VkSemaphore semaphore, VkFence fence, uint32_t *index)
{
   vl_fence_untrack(fence);
   return vl_call_vkAcquireNextImageKHR(vl_device(device)->transport, device, swapchain, timeout,
                                        semaphore, fence, index);
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_AcquireNextImage2KHR(VkDevice device, const VkAcquireNextImageInfoKHR *info, uint32_t *index)
{
   vl_fence_untrack(info->fence);
   return vl_call_vkAcquireNextImage2KHR(vl_device(device)->transport, device, info, index);
}

/* Every fence has feedback: wait on the region's futex word. */
static VkResult
wait_feedback(struct vl_device *dev, uint32_t count, const VkFence *fences, bool all,
              uint64_t timeout)
{
   const uint64_t deadline = deadline_after(timeout);
   const uint64_t start = now_ns();
   _Atomic uint32_t *epoch = feedback_epoch(dev);
   vl_transport_sync_point(dev->transport);
   for (;;) {
      /* read the word first: a completion after the check changes it */
      const uint32_t seen = atomic_load_explicit(epoch, memory_order_acquire);
      uint32_t done = 0;
      for (uint32_t i = 0; i < count; i++)
         done += fence_done(dev, fence_of(fences[i]));
      if (all ? done == count : done > 0)
         return VK_SUCCESS;
      if (vl_transport_is_lost(dev->transport))
         return VK_ERROR_DEVICE_LOST;
      const uint64_t now = now_ns();
      if (timeout == 0 || now >= deadline)
         return VK_TIMEOUT;
      /* Poll briefly before sleeping: a short job completes within the
       * spin, and the application then does not pay for a thread wake-up
       * on top of the waiter thread's (an empty submission and its wait:
       * submit-latency in bench_vk).  Longer waits sleep. */
      if (now - start < WAIT_SPIN_NS) {
         for (int i = 0; i < 64; i++)
            vl_cpu_relax();
         /* a host driver that computes on the CPU may need this one */
         sched_yield();
         continue;
      }
      const uint64_t left = deadline - now;
      vl_futex_wait(epoch, seen, left < LOST_CHECK_NS ? left : LOST_CHECK_NS);
   }
}

/* A wait the host answers: blocking in-process, polled where waits must not
 * block the renderer's one thread. */
static VkResult
wait_host(VkDevice device, uint32_t count, const VkFence *fences, bool all, uint64_t timeout)
{
   struct vl_device *dev = vl_device(device);
   struct vl_transport *t = dev->transport;
   if (!must_poll(dev) || timeout == 0)
      return vl_call_vkWaitForFences(t, device, count, fences, all, timeout);
   const uint64_t deadline = deadline_after(timeout);
   for (uint32_t i = 0;;) {
      const VkResult r = vl_call_vkWaitForFences(t, device, count, fences, all, 0);
      if (r != VK_TIMEOUT || now_ns() >= deadline)
         return r;
      relax(&i);
   }
}

/* Fences only the host can answer (untracked: WSI, an fd) with fences only
 * the feedback can: a tracked fence's host twin is never signaled when the
 * renderer put a fence of its own in the submission (vl_fence_submitting). */
static VkResult
wait_mixed(VkDevice device, uint32_t count, const VkFence *fences, bool all, uint64_t timeout)
{
   struct vl_device *dev = vl_device(device);
   VkFence stack[32];
   VkFence *fed = count <= 16 ? stack : malloc(2 * sizeof(VkFence) * count);
   if (!fed)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   VkFence *host = fed + count;
   uint32_t nfed = 0, nhost = 0;
   for (uint32_t i = 0; i < count; i++) {
      if (fence_tracked(fence_of(fences[i])))
         fed[nfed++] = fences[i];
      else
         host[nhost++] = fences[i];
   }
   const uint64_t deadline = deadline_after(timeout);
   VkResult r;
   if (all) {
      /* every one: the feedback's first, then the host's in the time left */
      r = wait_feedback(dev, nfed, fed, true, timeout);
      if (r == VK_SUCCESS) {
         const uint64_t now = now_ns();
         r = wait_host(device, nhost, host, true,
                       deadline == UINT64_MAX ? UINT64_MAX
                       : deadline > now       ? deadline - now
                                              : 0);
      }
   } else {
      /* any one: both sides polled, backing off as a polled wait does */
      for (uint32_t i = 0;;) {
         r = wait_feedback(dev, nfed, fed, false, 0);
         if (r != VK_TIMEOUT)
            break;
         r = vl_call_vkWaitForFences(dev->transport, device, nhost, host, VK_FALSE, 0);
         if (r != VK_TIMEOUT || now_ns() >= deadline)
            break;
         relax(&i);
      }
   }
   if (fed != stack)
      free(fed);
   return r;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_WaitForFences(VkDevice device, uint32_t count, const VkFence *fences, VkBool32 all,
                 uint64_t timeout)
{
   struct vl_device *dev = vl_device(device);
   uint32_t tracked = 0;
   for (uint32_t i = 0; i < count; i++)
      tracked += fence_tracked(fence_of(fences[i]));
   if (count && tracked == count)
      return wait_feedback(dev, count, fences, all, timeout);
   if (tracked)
      return wait_mixed(device, count, fences, all, timeout);
   return wait_host(device, count, fences, all, timeout);
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
vl_CreateQueryPool(VkDevice device, const VkQueryPoolCreateInfo *info,
                   const VkAllocationCallbacks *alloc, VkQueryPool *out)
{
   (void)alloc;
   struct vl_query_pool *qp = calloc(1, sizeof(*qp));
   if (!qp)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   switch (info->queryType) {
   case VK_QUERY_TYPE_OCCLUSION:
   case VK_QUERY_TYPE_TIMESTAMP:
   case VK_QUERY_TYPE_PRIMITIVES_GENERATED_EXT:
      qp->values = 1;
      break;
   case VK_QUERY_TYPE_TRANSFORM_FEEDBACK_STREAM_EXT:
      qp->values = 2;
      break;
   case VK_QUERY_TYPE_PIPELINE_STATISTICS:
      qp->values = (uint32_t)__builtin_popcount(info->pipelineStatistics);
      break;
   default:
      qp->values = 0; /* passed through as before */
      break;
   }
   VkQueryPool handle = VL_TO_HANDLE(VkQueryPool, qp);
   const VkResult r =
      vl_send_vkCreateQueryPool(vl_device(device)->transport, device, info, NULL, &handle);
   if (r != VK_SUCCESS && r != VK_ERROR_DEVICE_LOST) {
      free(qp);
      return r;
   }
   *out = handle;
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroyQueryPool(VkDevice device, VkQueryPool pool, const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   if (!pool)
      return;
   vl_send_vkDestroyQueryPool(vl_device(device)->transport, device, pool, NULL);
   free(VL_FROM_HANDLE(struct vl_query_pool, pool));
}

/* Without WAIT or PARTIAL, the host writes no value of an unavailable query
 * (only its availability word), but the reply carries the whole pData: the
 * renderer's zeroed storage would overwrite what the application had there.
 * Ask for results and availability into packed storage, and copy only what
 * the host wrote, as Mesa's venus guest does. */
static VkResult
get_available_results(struct vl_transport *t, VkDevice device, VkQueryPool pool, uint32_t first,
                      uint32_t count, uint8_t *data, VkDeviceSize stride, VkQueryResultFlags flags)
{
   const uint32_t values = VL_FROM_HANDLE(struct vl_query_pool, pool)->values;
   const size_t word = flags & VK_QUERY_RESULT_64_BIT ? 8 : 4;
   const size_t packed = (values + 1) * word;
   uint8_t *tmp = malloc(packed * (count ? count : 1));
   if (!tmp)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   const VkResult r =
      vl_call_vkGetQueryPoolResults(t, device, pool, first, count, packed * count, tmp, packed,
                                    flags | VK_QUERY_RESULT_WITH_AVAILABILITY_BIT);
   if (r == VK_SUCCESS || r == VK_NOT_READY) {
      for (uint32_t i = 0; i < count; i++) {
         const uint8_t *src = tmp + i * packed;
         uint8_t *dst = data + i * stride;
         uint64_t available = 0;
         memcpy(&available, src + values * word, word); /* little-endian */
         if (available)
            memcpy(dst, src, values * word);
         if (flags & VK_QUERY_RESULT_WITH_AVAILABILITY_BIT)
            memcpy(dst + values * word, src + values * word, word);
      }
   }
   free(tmp);
   return r;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_GetQueryPoolResults(VkDevice device, VkQueryPool pool, uint32_t first, uint32_t count,
                       size_t size, void *data, VkDeviceSize stride, VkQueryResultFlags flags)
{
   struct vl_transport *t = vl_device(device)->transport;
   if (!(flags & (VK_QUERY_RESULT_WAIT_BIT | VK_QUERY_RESULT_PARTIAL_BIT)) &&
       VL_FROM_HANDLE(struct vl_query_pool, pool)->values)
      return get_available_results(t, device, pool, first, count, data, stride, flags);
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
