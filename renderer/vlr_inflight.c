/*
 * Work in flight on the host driver.
 *
 * A host driver without a GPU (lavapipe) runs submitted work on threads of
 * this process.  A guest that destroys, frees or re-records what pending
 * work still uses would make the host driver read or write freed memory: a
 * host crash at best.  So before such a command the renderer waits for the
 * device to go idle, when work may still be in flight.
 *
 * To keep well-behaved guests from waiting, the renderer knows how far
 * submissions have provably completed.  Submissions are numbered per device;
 * a command buffer and a fence keep the number of their last submission
 * (vl_object.flags).  A fence the guest saw signaled proves that its
 * submission, and every earlier one on its queue, has completed (the
 * submission order of Vulkan): a guest that waits for its fences before it
 * reuses things, as Vulkan requires, never waits here.
 *
 * vl_object.flags of a command buffer or fence: bits 0-30 the number of its
 * last submission (0: none), bit 31 (command buffers) "executed by a primary
 * command buffer", whose submissions are not tracked per command buffer.
 * Of a semaphore: bit 0, a timeline semaphore; bit 1, a binary semaphore
 * with a signal pending.  A queue operation that waits for a binary
 * semaphore nothing has signaled is refused: the host driver would wait for
 * the signal inside the call, for ever (Vulkan requires one pending).
 *
 * Waiting is bounded: work that waits for an event or a semaphore nobody
 * will signal never completes.  Then the renderer releases it (sets every
 * event, signals every timeline semaphore), and if even that does not end
 * it, the context is lost and the device is left alone at teardown.
 */
#include "vlr_inflight.h"

#include <string.h>

#include "vl_protocol_defs.h"
#include "vlr_context.h"

/* How long the renderer waits for submitted work before it releases the
 * waits that hold it (vlr_context_options.idle_timeout_ns overrides). */
#define VLR_IDLE_TIMEOUT_NS (10ull * 1000 * 1000 * 1000)

#define SEQ_MASK  0x7fffffffu
#define SECONDARY 0x80000000u /* command buffers */
#define TIMELINE  1u          /* semaphores */
#define SIGNALED  2u          /* binary semaphores: a signal is pending */

/* Submission numbers are 31 bits and wrap; a difference below 2^30 is ahead. */
static bool
after(uint32_t a, uint32_t b)
{
   const uint32_t d = (a - b) & SEQ_MASK;
   return d && d < 0x40000000u;
}

static struct vl_object *
device_of(struct vl_object *o)
{
   while (o && o->type != VK_OBJECT_TYPE_DEVICE)
      o = o->parent;
   return o;
}

static bool
pending(const struct vlr_device *dev, uint32_t flags)
{
   const uint32_t seq = flags & SEQ_MASK;
   return seq && after(seq, dev->completed);
}

/* Waits, at most timeout_ns, for the work submitted to every queue of the
 * device the guest has bound: a fence submitted after it on each. */
static bool
wait_idle(struct vl_object *device, uint64_t timeout_ns)
{
   struct vlr_device *dev = device->data;
   const VkDevice host = (VkDevice)(uintptr_t)device->host;
   VkFence fences[16];
   uint32_t n = 0;
   bool ok = true;
   for (const struct vl_list *l = device->children.next; l != &device->children && ok;
        l = l->next) {
      const struct vl_object *q = vl_object_from_link(l);
      if (q->type != VK_OBJECT_TYPE_QUEUE)
         continue;
      if (n == sizeof(fences) / sizeof(fences[0])) {
         ok = false;
         break;
      }
      const VkFenceCreateInfo info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
      if (dev->table.CreateFence(host, &info, NULL, &fences[n]) != VK_SUCCESS) {
         ok = false;
         break;
      }
      if (dev->table.QueueSubmit((VkQueue)(uintptr_t)q->host, 0, NULL, fences[n]) != VK_SUCCESS)
         ok = false;
      n++;
   }
   if (!ok) {
      /* no way to bound the wait: wait for idle as the guest asked */
      dev->table.DeviceWaitIdle(host);
   } else if (n && dev->table.WaitForFences(host, n, fences, VK_TRUE, timeout_ns) != VK_SUCCESS) {
      return false; /* the fences stay behind: destroying a pending fence is worse */
   }
   for (uint32_t i = 0; i < n; i++)
      dev->table.DestroyFence(host, fences[i], NULL);
   return true;
}

/* Work that waits for an event or a timeline value that no command will
 * set can only be released by the renderer: every event of the device is
 * set and every timeline semaphore signaled to its largest value. */
static void
release_waits(struct vl_object *device)
{
   struct vlr_device *dev = device->data;
   const VkDevice host = (VkDevice)(uintptr_t)device->host;
   for (const struct vl_list *l = device->children.next; l != &device->children; l = l->next) {
      const struct vl_object *o = vl_object_from_link(l);
      if (o->type == VK_OBJECT_TYPE_EVENT && dev->table.SetEvent) {
         dev->table.SetEvent(host, (VkEvent)(uintptr_t)o->host);
      } else if (o->type == VK_OBJECT_TYPE_SEMAPHORE && (o->flags & TIMELINE) &&
                 dev->table.SignalSemaphore) {
         const VkSemaphoreSignalInfo info = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                              .semaphore = (VkSemaphore)(uintptr_t)o->host,
                                              .value = UINT64_MAX };
         dev->table.SignalSemaphore(host, &info);
      }
   }
}

bool
vlr_inflight_idle(struct vlr_context *ctx, struct vl_object *device)
{
   const uint64_t timeout =
      ctx->options.idle_timeout_ns ? ctx->options.idle_timeout_ns : VLR_IDLE_TIMEOUT_NS;
   struct vlr_device *dev = device->data;
   if (!wait_idle(device, timeout)) {
      release_waits(device);
      if (!wait_idle(device, timeout))
         return false;
   }
   dev->completed = dev->submitted;
   return true;
}

/* Waits until everything submitted to the device has completed; false
 * (and the context lost) when it does not. */
static bool
quiesce(struct vlr_exec *x, struct vl_object *device)
{
   struct vlr_device *dev = device->data;
   if (dev->submitted == dev->completed)
      return true;
   if (vlr_inflight_idle(x->ctx, device))
      return true;
   vlr_exec_fail(x, "submitted work does not complete, and this command would destroy, free or "
                    "re-record what it may use");
   return false;
}

static bool
cb_in_flight(const struct vlr_device *dev, const struct vl_object *cb)
{
   /* a secondary is in flight whenever anything may be */
   if (cb->flags & SECONDARY)
      return dev->submitted != dev->completed;
   return pending(dev, cb->flags);
}

static struct vl_object *
lookup(struct vlr_exec *x, int32_t type, uint64_t host)
{
   return host ? vl_object_table_lookup_host(&x->ctx->objects, type, host) : NULL;
}

/* Fence feedback (vlr_feedback.c) proves completion as a fence wait does. */
static void
absorb_feedback(struct vlr_device *dev)
{
   const uint32_t seen = atomic_load_explicit(&dev->feedback_completed, memory_order_acquire);
   if (seen && !dev->several_queues && after(seen, dev->completed))
      dev->completed = seen;
}

/* ---- binary semaphores ------------------------------------------------------------ */

struct sem_state {
   struct vl_object *obj;
   uint32_t flags;
};

struct sem_sim {
   struct sem_state *v;
   size_t n, cap;
   bool ok;
};

/* The simulated state of a semaphore, or NULL for a timeline one. */
static struct sem_state *
sem(struct vlr_exec *x, struct sem_sim *sim, VkSemaphore host)
{
   struct vl_object *o = lookup(x, VK_OBJECT_TYPE_SEMAPHORE, (uint64_t)(uintptr_t)host);
   if (!o || (o->flags & TIMELINE))
      return NULL;
   for (size_t i = 0; i < sim->n; i++) {
      if (sim->v[i].obj == o)
         return &sim->v[i];
   }
   if (sim->n == sim->cap) {
      const size_t cap = sim->cap ? sim->cap * 2 : 16;
      struct sem_state *v = vlr_exec_args(x, cap * sizeof(*v));
      if (!v) {
         sim->ok = false;
         return NULL;
      }
      if (sim->n)
         memcpy(v, sim->v, sim->n * sizeof(*v));
      sim->v = v;
      sim->cap = cap;
   }
   sim->v[sim->n] = (struct sem_state){ o, o->flags };
   return &sim->v[sim->n++];
}

static void
sim_wait(struct vlr_exec *x, struct sem_sim *sim, VkSemaphore host)
{
   struct sem_state *st = sem(x, sim, host);
   if (!st)
      return;
   if (!(st->flags & SIGNALED))
      sim->ok = false;
   st->flags &= ~SIGNALED;
}

static void
sim_signal(struct vlr_exec *x, struct sem_sim *sim, VkSemaphore host)
{
   struct sem_state *st = sem(x, sim, host);
   if (st)
      st->flags |= SIGNALED;
}

/* Runs the semaphore operations of a queue command in order; false when one
 * waits for a binary semaphore without a pending signal.  apply: keep the
 * resulting state. */
static bool
semaphores(struct vlr_exec *x, int32_t id, const void *args, bool apply)
{
   struct sem_sim sim = { .ok = true };
   switch (id) {
   case VL_CMD_vkQueueSubmit: {
      const struct vl_args_vkQueueSubmit *a = args;
      for (uint32_t i = 0; a->pSubmits && i < a->submitCount; i++) {
         const VkSubmitInfo *b = &a->pSubmits[i];
         for (uint32_t j = 0; b->pWaitSemaphores && j < b->waitSemaphoreCount; j++)
            sim_wait(x, &sim, b->pWaitSemaphores[j]);
         for (uint32_t j = 0; b->pSignalSemaphores && j < b->signalSemaphoreCount; j++)
            sim_signal(x, &sim, b->pSignalSemaphores[j]);
      }
      break;
   }
   case VL_CMD_vkQueueSubmit2: {
      const struct vl_args_vkQueueSubmit2 *a = args;
      for (uint32_t i = 0; a->pSubmits && i < a->submitCount; i++) {
         const VkSubmitInfo2 *b = &a->pSubmits[i];
         for (uint32_t j = 0; b->pWaitSemaphoreInfos && j < b->waitSemaphoreInfoCount; j++)
            sim_wait(x, &sim, b->pWaitSemaphoreInfos[j].semaphore);
         for (uint32_t j = 0; b->pSignalSemaphoreInfos && j < b->signalSemaphoreInfoCount; j++)
            sim_signal(x, &sim, b->pSignalSemaphoreInfos[j].semaphore);
      }
      break;
   }
   case VL_CMD_vkQueueBindSparse: {
      const struct vl_args_vkQueueBindSparse *a = args;
      for (uint32_t i = 0; a->pBindInfo && i < a->bindInfoCount; i++) {
         const VkBindSparseInfo *b = &a->pBindInfo[i];
         for (uint32_t j = 0; b->pWaitSemaphores && j < b->waitSemaphoreCount; j++)
            sim_wait(x, &sim, b->pWaitSemaphores[j]);
         for (uint32_t j = 0; b->pSignalSemaphores && j < b->signalSemaphoreCount; j++)
            sim_signal(x, &sim, b->pSignalSemaphores[j]);
      }
      break;
   }
   case VL_CMD_vkQueuePresentKHR: {
      const VkPresentInfoKHR *p = ((const struct vl_args_vkQueuePresentKHR *)args)->pPresentInfo;
      for (uint32_t j = 0; p && p->pWaitSemaphores && j < p->waitSemaphoreCount; j++)
         sim_wait(x, &sim, p->pWaitSemaphores[j]);
      break;
   }
   case VL_CMD_vkAcquireNextImageKHR:
      sim_signal(x, &sim, ((const struct vl_args_vkAcquireNextImageKHR *)args)->semaphore);
      break;
   case VL_CMD_vkAcquireNextImage2KHR: {
      const VkAcquireNextImageInfoKHR *i =
         ((const struct vl_args_vkAcquireNextImage2KHR *)args)->pAcquireInfo;
      if (i)
         sim_signal(x, &sim, i->semaphore);
      break;
   }
   default:
      break;
   }
   if (apply && sim.ok) {
      for (size_t i = 0; i < sim.n; i++)
         sim.v[i].obj->flags = sim.v[i].flags;
   }
   return sim.ok;
}

/* ---- before and after commands --------------------------------------------------------- */

bool
vlr_inflight_before(struct vlr_exec *x, int32_t id, struct vl_object *owner, const void *args)
{
   if (owner && owner->type == VK_OBJECT_TYPE_QUEUE) {
      if (!semaphores(x, id, args, false)) {
         vlr_exec_fail(x, "waits for a binary semaphore that nothing has signaled");
         return false;
      }
      return true;
   }
   struct vl_object *device = device_of(owner);
   struct vlr_device *dev = device ? device->data : NULL;
   if (dev && dev->submitted != dev->completed)
      absorb_feedback(dev);
   if (!dev || dev->submitted == dev->completed)
      return true; /* nothing in flight */
   switch (id) {
   case VL_CMD_vkFreeCommandBuffers: {
      const struct vl_args_vkFreeCommandBuffers *a = args;
      for (uint32_t i = 0; a->pCommandBuffers && i < a->commandBufferCount; i++) {
         const struct vl_object *cb =
            lookup(x, VK_OBJECT_TYPE_COMMAND_BUFFER, (uint64_t)(uintptr_t)a->pCommandBuffers[i]);
         if (cb && cb_in_flight(dev, cb))
            return quiesce(x, device);
      }
      return true;
   }
   case VL_CMD_vkResetCommandPool:
   case VL_CMD_vkDestroyCommandPool: {
      const uint64_t pool_host =
         id == VL_CMD_vkResetCommandPool
            ? (uint64_t)(uintptr_t)((const struct vl_args_vkResetCommandPool *)args)->commandPool
            : (uint64_t)(uintptr_t)((const struct vl_args_vkDestroyCommandPool *)args)->commandPool;
      const struct vl_object *pool = lookup(x, VK_OBJECT_TYPE_COMMAND_POOL, pool_host);
      if (!pool)
         return true;
      for (const struct vl_list *l = pool->children.next; l != &pool->children; l = l->next) {
         if (cb_in_flight(dev, vl_object_from_link(l)))
            return quiesce(x, device);
      }
      return true;
   }
   default:
      break;
   }
   /* recording into, resetting or re-beginning a command buffer */
   if (owner->type == VK_OBJECT_TYPE_COMMAND_BUFFER)
      return !cb_in_flight(dev, owner) || quiesce(x, device);
   /* destroying, freeing or resetting a resource: its users are unknown */
   return quiesce(x, device);
}

static void
stamp_cb(struct vlr_exec *x, VkCommandBuffer host, uint32_t seq)
{
   struct vl_object *cb = lookup(x, VK_OBJECT_TYPE_COMMAND_BUFFER, (uint64_t)(uintptr_t)host);
   if (cb)
      cb->flags = (cb->flags & SECONDARY) | seq;
}

static void
stamp_fence(struct vlr_exec *x, const struct vlr_device *dev, VkFence host, uint32_t seq)
{
   struct vl_object *fence = lookup(x, VK_OBJECT_TYPE_FENCE, (uint64_t)(uintptr_t)host);
   /* A fence submitted again while pending (invalid) keeps its first
    * number: its signal proves no more than that. */
   if (fence && !pending(dev, fence->flags))
      fence->flags = seq;
}

/* The guest saw the fence signaled. */
static void
signaled(struct vlr_exec *x, struct vlr_device *dev, VkFence host)
{
   const struct vl_object *fence = lookup(x, VK_OBJECT_TYPE_FENCE, (uint64_t)(uintptr_t)host);
   if (fence && !dev->several_queues && pending(dev, fence->flags))
      dev->completed = fence->flags & SEQ_MASK;
}

static uint32_t
next_submission(struct vlr_device *dev, struct vl_object *queue)
{
   /* Fences prove the order of one queue only. */
   if (dev->queue && dev->queue != queue)
      dev->several_queues = true;
   dev->queue = queue;
   dev->submitted = (dev->submitted + 1) & SEQ_MASK;
   if (!dev->submitted)
      dev->submitted = 1;
   return dev->submitted;
}

void
vlr_inflight_after(struct vlr_exec *x, int32_t id, struct vl_object *owner, const void *args)
{
   struct vl_object *device = device_of(owner);
   struct vlr_device *dev = device ? device->data : NULL;
   if (!dev)
      return;
   switch (id) {
   case VL_CMD_vkQueuePresentKHR:
      semaphores(x, id, args, true);
      return;
   case VL_CMD_vkAcquireNextImageKHR:
   case VL_CMD_vkAcquireNextImage2KHR: {
      const VkResult r = id == VL_CMD_vkAcquireNextImageKHR
                            ? ((const struct vl_args_vkAcquireNextImageKHR *)args)->ret
                            : ((const struct vl_args_vkAcquireNextImage2KHR *)args)->ret;
      if (r == VK_SUCCESS || r == VK_SUBOPTIMAL_KHR)
         semaphores(x, id, args, true);
      return;
   }
   case VL_CMD_vkQueueSubmit: {
      const struct vl_args_vkQueueSubmit *a = args;
      if (a->ret != VK_SUCCESS)
         return;
      semaphores(x, id, args, true);
      const uint32_t seq = next_submission(dev, owner);
      for (uint32_t i = 0; a->pSubmits && i < a->submitCount; i++) {
         const VkSubmitInfo *s = &a->pSubmits[i];
         for (uint32_t j = 0; s->pCommandBuffers && j < s->commandBufferCount; j++)
            stamp_cb(x, s->pCommandBuffers[j], seq);
      }
      stamp_fence(x, dev, a->fence, seq);
      return;
   }
   case VL_CMD_vkQueueSubmit2: {
      const struct vl_args_vkQueueSubmit2 *a = args;
      if (a->ret != VK_SUCCESS)
         return;
      semaphores(x, id, args, true);
      const uint32_t seq = next_submission(dev, owner);
      for (uint32_t i = 0; a->pSubmits && i < a->submitCount; i++) {
         const VkSubmitInfo2 *s = &a->pSubmits[i];
         for (uint32_t j = 0; s->pCommandBufferInfos && j < s->commandBufferInfoCount; j++)
            stamp_cb(x, s->pCommandBufferInfos[j].commandBuffer, seq);
      }
      stamp_fence(x, dev, a->fence, seq);
      return;
   }
   case VL_CMD_vkQueueBindSparse: {
      const struct vl_args_vkQueueBindSparse *a = args;
      if (a->ret != VK_SUCCESS)
         return;
      semaphores(x, id, args, true);
      stamp_fence(x, dev, a->fence, next_submission(dev, owner));
      return;
   }
   case VL_CMD_vkCmdExecuteCommands: {
      const struct vl_args_vkCmdExecuteCommands *a = args;
      for (uint32_t i = 0; a->pCommandBuffers && i < a->commandBufferCount; i++) {
         struct vl_object *cb =
            lookup(x, VK_OBJECT_TYPE_COMMAND_BUFFER, (uint64_t)(uintptr_t)a->pCommandBuffers[i]);
         if (cb)
            cb->flags |= SECONDARY;
      }
      return;
   }
   case VL_CMD_vkCreateSemaphore: {
      const struct vl_args_vkCreateSemaphore *a = args;
      if (a->ret != VK_SUCCESS || !a->pSemaphore)
         return;
      for (const VkBaseInStructure *s = a->pCreateInfo->pNext; s; s = s->pNext) {
         if (s->sType == VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO &&
             ((const VkSemaphoreTypeCreateInfo *)s)->semaphoreType == VK_SEMAPHORE_TYPE_TIMELINE) {
            struct vl_object *o =
               vl_object_table_lookup(&x->ctx->objects, (uint64_t)(uintptr_t)*a->pSemaphore);
            if (o && o->type == VK_OBJECT_TYPE_SEMAPHORE)
               o->flags |= TIMELINE;
         }
      }
      return;
   }
   case VL_CMD_vkWaitForFences: {
      const struct vl_args_vkWaitForFences *a = args;
      /* with waitAny, which fence signaled is unknown */
      if (a->ret != VK_SUCCESS || (!a->waitAll && a->fenceCount != 1))
         return;
      for (uint32_t i = 0; a->pFences && i < a->fenceCount; i++)
         signaled(x, dev, a->pFences[i]);
      return;
   }
   case VL_CMD_vkGetFenceStatus: {
      const struct vl_args_vkGetFenceStatus *a = args;
      if (a->ret == VK_SUCCESS)
         signaled(x, dev, a->fence);
      return;
   }
   default:
      return;
   }
}
