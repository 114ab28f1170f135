/*
 * Fence feedback, host side (vkQueueFenceFeedbackVL, protocol/loopback.xml).
 *
 * The guest asks to learn, through memory it shares with us, when the work
 * submitted to a queue so far has completed.  The renderer submits an empty
 * batch with a fence of its own (signaled once everything before it on the
 * queue is done) and a per-device waiter thread blocks on those fences in
 * order, stores each serial into the guest's slot and wakes the guest's
 * futex.  Using our own fences keeps the application's fence free for it
 * to reset or destroy whenever it likes.  The waiter sleeps in the host
 * driver's wait; it never spins.
 *
 * vkQueueFenceFeedbackNextVL saves the empty batch: it comes just before a
 * submission whose fence the guest answers for alone (tracked, not
 * exportable), and that submission goes to the host with a fence of ours in
 * the application's place.  The host never signals the application's fence;
 * nothing asks the host about it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "vl_futex.h"
#include "vlr_context.h"
#include "vlr_inflight.h"

/* More queues than this with a request each is not a guest we know. */
#define MAX_ARMED 64

struct pending {
   VkFence fence;
   /* the guest's slot and futex word (vkQueueFenceFeedbackVL), or a callback
    * (vlr_feedback_timeline_fence) */
   _Atomic uint64_t *slot;
   _Atomic uint32_t *epoch;
   void (*done)(void *data, uint64_t value, bool ok);
   void *data;
   uint64_t serial;
   uint32_t submission; /* vlr_inflight.c's number of the last submission before it */
};

struct vlr_feedback {
   struct vlr_context *ctx;
   struct vlr_device *dev;
   VkDevice device;
   const struct vlr_host_device_table *vk;
   pthread_t thread;
   pthread_mutex_t lock;
   pthread_cond_t cond;
   bool stop;
   struct pending *queue; /* FIFO ring of cap entries */
   size_t head, count, cap;
   VkFence *pool; /* signaled-and-reset fences ready for reuse */
   size_t pool_count, pool_cap;
   /* Under the context lock: vkQueueFenceFeedbackNextVL requests waiting for
    * their queue's next submission (one per queue at most), and the one
    * that submission took, between the in-flight hooks around the host
    * call. */
   struct armed {
      const struct vl_object *queue;
      uint64_t fence; /* the application's, host handle */
      struct pending p;
   } armed[MAX_ARMED];
   unsigned armed_count;
   struct armed taken;
   bool taking, swapped;
   VkFence ours;
};

static void *
waiter_main(void *data)
{
   struct vlr_feedback *fb = data;
   pthread_mutex_lock(&fb->lock);
   for (;;) {
      while (!fb->count && !fb->stop)
         pthread_cond_wait(&fb->cond, &fb->lock);
      if (!fb->count)
         break;
      const struct pending p = fb->queue[fb->head];
      fb->head = (fb->head + 1) % fb->cap;
      fb->count--;
      pthread_mutex_unlock(&fb->lock);

      const VkResult r = fb->vk->WaitForFences(fb->device, 1, &p.fence, VK_TRUE, UINT64_MAX);
      if (r != VK_SUCCESS)
         vlr_context_set_lost(fb->ctx, "the host driver failed a fence wait (device lost)");
      else if (p.submission)
         atomic_store_explicit(&fb->dev->feedback_completed, p.submission, memory_order_release);
      if (p.done) {
         p.done(p.data, p.serial, r == VK_SUCCESS);
      } else {
         /* Written even on failure: the guest sees the context lost and stops. */
         atomic_store_explicit(p.slot, p.serial, memory_order_release);
         atomic_fetch_add_explicit(p.epoch, 1, memory_order_release);
         vl_futex_wake(p.epoch);
      }
      fb->vk->ResetFences(fb->device, 1, &p.fence);

      pthread_mutex_lock(&fb->lock);
      fb->pool[fb->pool_count++] = p.fence; /* room: pool_cap >= fences made */
   }
   pthread_mutex_unlock(&fb->lock);
   return NULL;
}

static struct vlr_feedback *
feedback_get(struct vlr_context *ctx, struct vlr_device *dev, VkDevice device, const char **why)
{
   if (dev->feedback)
      return dev->feedback;
   struct vlr_feedback *fb = calloc(1, sizeof(*fb));
   if (!fb) {
      *why = "out of memory for fence feedback";
      return NULL;
   }
   fb->ctx = ctx;
   fb->dev = dev;
   fb->device = device;
   fb->vk = &dev->table;
   pthread_mutex_init(&fb->lock, NULL);
   pthread_cond_init(&fb->cond, NULL);
   if (pthread_create(&fb->thread, NULL, waiter_main, fb)) {
      pthread_cond_destroy(&fb->cond);
      pthread_mutex_destroy(&fb->lock);
      free(fb);
      *why = "cannot start the fence feedback thread";
      return NULL;
   }
   dev->feedback = fb;
   return fb;
}

/* Under fb->lock: a fence for one more pending entry, and room for it. */
static bool
reserve_locked(struct vlr_feedback *fb, VkFence *fence)
{
   if (fb->count == fb->cap) {
      const size_t cap = fb->cap ? fb->cap * 2 : 16;
      struct pending *q = malloc(cap * sizeof(*q));
      if (!q)
         return false;
      for (size_t i = 0; i < fb->count; i++)
         q[i] = fb->queue[(fb->head + i) % fb->cap];
      free(fb->queue);
      fb->queue = q;
      fb->head = 0;
      fb->cap = cap;
   }
   if (fb->pool_count) {
      *fence = fb->pool[--fb->pool_count];
      return true;
   }
   /* A new fence: every fence is either pending or in the pool, so the
    * pool's capacity must cover them all. */
   if (fb->pool_cap < fb->cap) {
      VkFence *p = realloc(fb->pool, fb->cap * sizeof(*p));
      if (!p)
         return false;
      fb->pool = p;
      fb->pool_cap = fb->cap;
   }
   const VkFenceCreateInfo info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
   return fb->vk->CreateFence(fb->device, &info, NULL, fence) == VK_SUCCESS;
}

static const char *enqueue(struct vlr_context *ctx, struct vl_object *queue,
                           const struct pending *p);

/* The guest's slot at offset of resource (its futex word at offset 0) into
 * p; false, the context failed, if there is no such slot. */
static bool
slot_of(struct vlr_exec *x, uint32_t resource, uint32_t offset, struct pending *p)
{
   struct vlr_resource res;
   if (!vlr_context_resource(x->ctx, resource, &res)) {
      vlr_exec_failf(x, "fence feedback: unknown resource %u", resource);
      return false;
   }
   if (res.size < 8 || offset < 8 || offset % 8 || offset > res.size - 8) {
      vlr_exec_failf(x, "fence feedback: slot offset %u outside the %zu bytes of resource %u",
                     offset, res.size, resource);
      return false;
   }
   if (((uintptr_t)res.data) % 8) {
      vlr_exec_fail(x, "fence feedback: the resource is not 8-byte aligned");
      return false;
   }
   *p = (struct pending){
      .slot = (_Atomic uint64_t *)((uint8_t *)res.data + offset),
      .epoch = (_Atomic uint32_t *)res.data,
   };
   return true;
}

void
vlr_handle_vkQueueFenceFeedbackVL(struct vlr_exec *x, struct vl_args_vkQueueFenceFeedbackVL *args)
{
   struct pending p;
   if (!slot_of(x, args->resourceId, args->offset, &p))
      return;
   p.serial = args->serial;
   const char *why = enqueue(x->ctx, args->owner, &p);
   if (why)
      vlr_exec_failf(x, "fence feedback: %s", why);
}

void
vlr_handle_vkQueueFenceFeedbackNextVL(struct vlr_exec *x,
                                      struct vl_args_vkQueueFenceFeedbackNextVL *args)
{
   struct pending p;
   if (!slot_of(x, args->resourceId, args->offset, &p))
      return;
   p.serial = args->serial;
   struct vl_object *device = args->owner->parent;
   struct vlr_device *dev = device->data;
   const char *why = NULL;
   struct vlr_feedback *fb = feedback_get(x->ctx, dev, (VkDevice)(uintptr_t)device->host, &why);
   if (!fb) {
      vlr_exec_failf(x, "fence feedback: %s", why);
      return;
   }
   for (unsigned i = 0; i < fb->armed_count; i++) {
      if (fb->armed[i].queue == args->owner) {
         vlr_exec_fail(x, "fence feedback: a second request before the queue's next submission");
         return;
      }
   }
   if (fb->armed_count == MAX_ARMED) {
      vlr_exec_failf(x, "fence feedback: requests waiting on more than %u queues", MAX_ARMED);
      return;
   }
   fb->armed[fb->armed_count++] =
      (struct armed){ .queue = args->owner, .fence = (uint64_t)(uintptr_t)args->fence, .p = p };
}

bool
vlr_feedback_before_submit(struct vlr_exec *x, struct vl_object *queue, VkFence *fence)
{
   struct vlr_device *dev = queue->parent->data;
   struct vlr_feedback *fb = dev->feedback;
   if (!fb || !fb->armed_count)
      return true;
   unsigned i = 0;
   while (i < fb->armed_count && fb->armed[i].queue != queue)
      i++;
   if (i == fb->armed_count)
      return true;
   fb->taken = fb->armed[i];
   fb->armed[i] = fb->armed[--fb->armed_count];
   fb->taking = true;
   fb->swapped = false;
   /* Another fence than the request named (not what the ICD sends): the
    * application's fence stays, and an empty batch after it reports. */
   if ((uint64_t)(uintptr_t)*fence != fb->taken.fence)
      return true;
   pthread_mutex_lock(&fb->lock);
   const bool ok = reserve_locked(fb, &fb->ours);
   pthread_mutex_unlock(&fb->lock);
   if (!ok) {
      vlr_exec_fail(x, "fence feedback: out of host memory");
      return false;
   }
   *fence = fb->ours;
   fb->swapped = true;
   return true;
}

void
vlr_feedback_after_submit(struct vlr_exec *x, struct vl_object *queue, VkResult result)
{
   struct vlr_device *dev = queue->parent->data;
   struct vlr_feedback *fb = dev->feedback;
   if (!fb || !fb->taking)
      return;
   fb->taking = false;
   struct pending p = fb->taken.p;
   if (fb->swapped && result == VK_SUCCESS) {
      pthread_mutex_lock(&fb->lock);
      p.fence = fb->ours;
      p.submission = dev->submitted;
      fb->queue[(fb->head + fb->count++) % fb->cap] = p; /* room: reserve_locked */
      pthread_cond_signal(&fb->cond);
      pthread_mutex_unlock(&fb->lock);
      return;
   }
   if (fb->swapped) /* a failed submission: the fence's state is unknown */
      dev->table.DestroyFence(fb->device, fb->ours, NULL);
   const char *why = enqueue(x->ctx, queue, &p);
   if (why)
      vlr_exec_failf(x, "fence feedback: %s", why);
}

/* Under the context lock: an empty batch with a fence of ours on the queue,
 * and p (its fence and submission filled in) for the waiter.  NULL, or why
 * not. */
static const char *
enqueue(struct vlr_context *ctx, struct vl_object *queue, const struct pending *p)
{
   struct vl_object *device = queue->parent;
   struct vlr_device *dev = device->data;
   const VkDevice host_device = (VkDevice)(uintptr_t)device->host;
   const char *why = NULL;
   struct vlr_feedback *fb = feedback_get(ctx, dev, host_device, &why);
   if (!fb)
      return why;
   pthread_mutex_lock(&fb->lock);
   VkFence fence;
   if (!reserve_locked(fb, &fence)) {
      pthread_mutex_unlock(&fb->lock);
      return "out of host memory";
   }
   pthread_mutex_unlock(&fb->lock);
   /* An empty batch with a fence: signaled once all earlier work on the
    * queue has completed. */
   if (dev->table.QueueSubmit((VkQueue)(uintptr_t)queue->host, 0, NULL, fence) != VK_SUCCESS) {
      dev->table.DestroyFence(host_device, fence, NULL);
      return "the host refused an empty submission";
   }
   pthread_mutex_lock(&fb->lock);
   struct pending *e = &fb->queue[(fb->head + fb->count++) % fb->cap];
   *e = *p;
   e->fence = fence;
   e->submission = dev->submitted;
   pthread_cond_signal(&fb->cond);
   pthread_mutex_unlock(&fb->lock);
   return NULL;
}

bool
vlr_feedback_timeline_fence(struct vlr_context *ctx, uint32_t ring_idx,
                            void (*done)(void *data, uint64_t value, bool ok), void *data,
                            uint64_t value, char *why, size_t why_size)
{
   pthread_mutex_lock(&ctx->lock);
   const char *problem = NULL;
   struct vl_object *queue = NULL;
   if (atomic_load(&ctx->lost))
      problem = "the context is lost";
   else if (ring_idx >= VLR_MAX_TIMELINES || !ctx->timelines[ring_idx])
      problem = "no VkQueue is bound to it (vkGetDeviceQueue2 with VkDeviceQueueTimelineInfoMESA)";
   else if (!(queue = vl_object_table_lookup(&ctx->objects, ctx->timelines[ring_idx])) ||
            queue->type != VK_OBJECT_TYPE_QUEUE)
      problem = "the VkQueue bound to it is gone";
   else
      problem =
         enqueue(ctx, queue, &(struct pending){ .done = done, .data = data, .serial = value });
   pthread_mutex_unlock(&ctx->lock);
   if (problem)
      snprintf(why, why_size, "timeline %u: %s", ring_idx, problem);
   return !problem;
}

void
vlr_feedback_destroy(struct vlr_device *dev)
{
   struct vlr_feedback *fb = dev->feedback;
   if (!fb)
      return;
   /* The device is idle: every pending fence is signaled, the thread drains
    * the queue and leaves. */
   pthread_mutex_lock(&fb->lock);
   fb->stop = true;
   pthread_cond_signal(&fb->cond);
   pthread_mutex_unlock(&fb->lock);
   pthread_join(fb->thread, NULL);
   if (fb->taking && fb->swapped) /* the context failed between the hooks */
      fb->vk->DestroyFence(fb->device, fb->ours, NULL);
   for (size_t i = 0; i < fb->pool_count; i++)
      fb->vk->DestroyFence(fb->device, fb->pool[i], NULL);
   pthread_cond_destroy(&fb->cond);
   pthread_mutex_destroy(&fb->lock);
   free(fb->pool);
   free(fb->queue);
   free(fb);
   dev->feedback = NULL;
}
