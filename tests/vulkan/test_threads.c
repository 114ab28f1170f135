/*
 * Threads through the loopback: 4 threads, each with its own command pool
 * and fence, record and submit 200 small command buffers each at the same
 * time.  Every iteration fills one slot of the thread's region of a shared
 * host-visible buffer (vkCmdFillBuffer, vkCmdUpdateBuffer, then a
 * vkCmdCopyBuffer of the update), and the thread checks it as soon as its
 * fence signals; after all threads are joined every slot of every thread is
 * checked again, which catches a submission that wrote to another thread's
 * slot after that thread had checked it.
 *
 * The command buffers vary the way applications do: a fresh one freed after
 * use, a long-lived one re-recorded (implicit reset), or a pool reset; odd
 * iterations submit with vkQueueSubmit2.  vkQueueSubmit needs the queue
 * externally synchronized, so submissions take a mutex; recording and fence
 * waits do not.
 */
#include "vkt.h"

#include <pthread.h>
#include <string.h>

#define THREADS    4
#define ITERATIONS 200
/* One slot: a fill, an update and a copy of the update, SEG bytes each. */
#define SEG        256u
#define SEG_WORDS  (SEG / 4)
#define SLOT       (3 * SEG)
#define SLOT_WORDS (SLOT / 4)

static struct vkt t;
static struct vkt_buffer shared;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;

struct worker {
   uint32_t index;
   char error[256]; /* the first failure; empty when the thread passed */
};

static uint32_t
fill_value(uint32_t thread, uint32_t it)
{
   return 0xf0000000u | thread << 16 | it;
}

static uint32_t
update_word(uint32_t thread, uint32_t it, uint32_t k)
{
   return (thread * 1000003u + it * 7919u + k) * 2654435761u;
}

static VkDeviceSize
slot_offset(uint32_t thread, uint32_t it)
{
   return ((VkDeviceSize)thread * ITERATIONS + it) * SLOT;
}

/* The first mismatch in the slot, written into err; false when there is one. */
static bool
check_slot(uint32_t thread, uint32_t it, char *err, size_t err_size)
{
   const uint32_t *p = (const uint32_t *)((const uint8_t *)shared.map + slot_offset(thread, it));
   for (uint32_t k = 0; k < SLOT_WORDS; k++) {
      const uint32_t want =
         k < SEG_WORDS ? fill_value(thread, it) : update_word(thread, it, k % SEG_WORDS);
      if (p[k] != want) {
         snprintf(err, err_size, "thread %u iteration %u word %u is 0x%08x, expected 0x%08x",
                  thread, it, k, p[k], want);
         return false;
      }
   }
   return true;
}

/* Worker failures are recorded and end the thread, rather than exiting the
 * process while other threads are inside the driver. */
#define W_VK(call)                                                                                 \
   do {                                                                                            \
      const VkResult w_r = (call);                                                                 \
      if (w_r != VK_SUCCESS) {                                                                     \
         snprintf(w->error, sizeof(w->error), "thread %u, iteration %u: %s returned %d", w->index, \
                  it, #call, w_r);                                                                 \
         goto out;                                                                                 \
      }                                                                                            \
   } while (0)

static void
record(VkCommandBuffer cmd, uint32_t thread, uint32_t it)
{
   const VkDeviceSize base = slot_offset(thread, it);
   uint32_t data[SEG_WORDS];
   for (uint32_t k = 0; k < SEG_WORDS; k++)
      data[k] = update_word(thread, it, k);
   vkCmdFillBuffer(cmd, shared.buffer, base, SEG, fill_value(thread, it));
   vkCmdUpdateBuffer(cmd, shared.buffer, base + SEG, SEG, data);
   const VkMemoryBarrier to_copy = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
   };
   vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1,
                        &to_copy, 0, NULL, 0, NULL);
   const VkBufferCopy c = { base + SEG, base + 2 * SEG, SEG };
   vkCmdCopyBuffer(cmd, shared.buffer, shared.buffer, 1, &c);
   vkt_transfer_to_host(cmd);
}

static VkResult
submit(VkCommandBuffer cmd, VkFence fence, bool submit2)
{
   pthread_mutex_lock(&queue_lock);
   VkResult r;
   if (submit2) {
      const VkCommandBufferSubmitInfo cbi = { VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO, NULL,
                                              cmd, 0 };
      const VkSubmitInfo2 si = {
         .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
         .commandBufferInfoCount = 1,
         .pCommandBufferInfos = &cbi,
      };
      r = vkQueueSubmit2(t.queue, 1, &si, fence);
   } else {
      const VkSubmitInfo si = {
         .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
         .commandBufferCount = 1,
         .pCommandBuffers = &cmd,
      };
      r = vkQueueSubmit(t.queue, 1, &si, fence);
   }
   pthread_mutex_unlock(&queue_lock);
   return r;
}

static void *
work(void *data)
{
   struct worker *w = data;
   uint32_t it = 0;
   bool started = false;
   VkCommandPool pool = VK_NULL_HANDLE;
   VkCommandBuffer reused = VK_NULL_HANDLE;
   VkFence fence = VK_NULL_HANDLE;

   const VkCommandPoolCreateInfo pci = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
      .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
      .queueFamilyIndex = t.family,
   };
   W_VK(vkCreateCommandPool(t.device, &pci, NULL, &pool));
   const VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
   W_VK(vkCreateFence(t.device, &fci, NULL, &fence));
   VkCommandBufferAllocateInfo ai = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
      .commandPool = pool,
      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
      .commandBufferCount = 1,
   };
   W_VK(vkAllocateCommandBuffers(t.device, &ai, &reused));

   /* All threads start recording together. */
   pthread_barrier_wait(&start);
   started = true;
   for (it = 0; it < ITERATIONS; it++) {
      /* 0: a fresh command buffer, freed after use; 1: the long-lived one,
       * re-recorded; 2: the long-lived one after vkResetCommandPool. */
      const uint32_t mode = it % 3;
      VkCommandBuffer cmd = reused;
      if (mode == 0)
         W_VK(vkAllocateCommandBuffers(t.device, &ai, &cmd));
      else if (mode == 2)
         W_VK(vkResetCommandPool(t.device, pool, 0));
      const VkCommandBufferBeginInfo bi = {
         .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
         .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
      };
      W_VK(vkBeginCommandBuffer(cmd, &bi));
      record(cmd, w->index, it);
      W_VK(vkEndCommandBuffer(cmd));
      W_VK(submit(cmd, fence, it % 2 == 1));
      W_VK(vkWaitForFences(t.device, 1, &fence, VK_TRUE, UINT64_MAX));
      W_VK(vkResetFences(t.device, 1, &fence));
      if (mode == 0)
         vkFreeCommandBuffers(t.device, pool, 1, &cmd);
      char err[200];
      if (!check_slot(w->index, it, err, sizeof(err))) {
         snprintf(w->error, sizeof(w->error), "right after its fence: %s", err);
         goto out;
      }
   }
out:
   if (!started) /* the others wait for this thread */
      pthread_barrier_wait(&start);
   if (w->error[0]) {
      /* Still needed so that no submission is pending on destruction. */
      pthread_mutex_lock(&queue_lock);
      vkQueueWaitIdle(t.queue);
      pthread_mutex_unlock(&queue_lock);
   }
   if (fence)
      vkDestroyFence(t.device, fence, NULL);
   if (pool)
      vkDestroyCommandPool(t.device, pool, NULL); /* frees reused too */
   return NULL;
}

int
main(void)
{
   vkt_init(&t, "threads: 4 threads x 200 submissions");
   const VkDeviceSize size = (VkDeviceSize)THREADS * ITERATIONS * SLOT;
   vkt_buffer(&t, size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
              VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, &shared);
   /* A value no slot ever holds, so an iteration that never ran shows. */
   memset(shared.map, 0x11, size);

   VKT_CHECK(pthread_barrier_init(&start, NULL, THREADS) == 0);
   struct worker workers[THREADS];
   pthread_t threads[THREADS];
   for (uint32_t i = 0; i < THREADS; i++) {
      workers[i] = (struct worker){ .index = i };
      VKT_CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
   }
   for (uint32_t i = 0; i < THREADS; i++)
      VKT_CHECK(pthread_join(threads[i], NULL) == 0);
   pthread_barrier_destroy(&start);
   for (uint32_t i = 0; i < THREADS; i++) {
      if (workers[i].error[0])
         vkt_fail("%s", workers[i].error);
   }

   char err[200];
   for (uint32_t i = 0; i < THREADS; i++) {
      for (uint32_t it = 0; it < ITERATIONS; it++) {
         if (!check_slot(i, it, err, sizeof(err)))
            vkt_fail("at the end: %s", err);
      }
   }
   vkt_buffer_destroy(&t, &shared);
   vkt_finish(&t);
   vkt_pass(&t);
   return 0;
}
