/*
 * Synchronization through the loopback: fences, binary and timeline
 * semaphores (host and queue signals and waits, vkQueueSubmit and
 * vkQueueSubmit2, batches that wait for a value the host signals only later,
 * from another thread), events (host and device set/reset, device waits on
 * host-set events), timestamp queries and occlusion queries around zero
 * draws and around a draw.
 *
 * Every GPU effect is a word pattern in one host-visible buffer: the checks
 * show not only that a wait returned but that the work it guards happened,
 * and, for waits on values signalled later, that it had not happened before.
 */
#include "vkt.h"

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

/* The shared buffer is cut into regions of this many bytes. */
#define REGION 256u
#define WORDS  (REGION / 4)

static struct vkt_buffer buf;

static uint32_t *
region(uint32_t i)
{
   return (uint32_t *)buf.map + i * WORDS;
}

static void
check_region(const char *what, uint32_t i, uint32_t want)
{
   const uint32_t *p = region(i);
   for (uint32_t k = 0; k < WORDS; k++) {
      if (p[k] != want)
         vkt_fail("%s: region %u word %u is 0x%08x, expected 0x%08x", what, i, k, p[k], want);
   }
}

static void
set_region(uint32_t i, uint32_t value)
{
   uint32_t *p = region(i);
   for (uint32_t k = 0; k < WORDS; k++)
      p[k] = value;
}

static double
now_ms(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
sleep_ms(unsigned ms)
{
   const struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
   nanosleep(&ts, NULL);
}

static VkFence
make_fence(struct vkt *t, bool signaled)
{
   const VkFenceCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO,
      .flags = signaled ? VK_FENCE_CREATE_SIGNALED_BIT : 0,
   };
   VkFence f;
   VKT_VK(vkCreateFence(t->device, &ci, NULL, &f));
   return f;
}

static VkSemaphore
make_semaphore(struct vkt *t, VkSemaphoreType type, uint64_t initial)
{
   const VkSemaphoreTypeCreateInfo tci = {
      .sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
      .semaphoreType = type,
      .initialValue = initial,
   };
   const VkSemaphoreCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
      .pNext = &tci,
   };
   VkSemaphore s;
   VKT_VK(vkCreateSemaphore(t->device, &ci, NULL, &s));
   return s;
}

static uint64_t
counter(struct vkt *t, VkSemaphore s)
{
   uint64_t v = UINT64_MAX;
   VKT_VK(vkGetSemaphoreCounterValue(t->device, s, &v));
   return v;
}

static VkResult
wait_value(struct vkt *t, VkSemaphore s, uint64_t value, uint64_t timeout)
{
   const VkSemaphoreWaitInfo wi = {
      .sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
      .semaphoreCount = 1,
      .pSemaphores = &s,
      .pValues = &value,
   };
   return vkWaitSemaphores(t->device, &wi, timeout);
}

static void
signal_value(struct vkt *t, VkSemaphore s, uint64_t value)
{
   const VkSemaphoreSignalInfo si = {
      .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
      .semaphore = s,
      .value = value,
   };
   VKT_VK(vkSignalSemaphore(t->device, &si));
}

/* A recorded, ended command buffer that fills region i with value. */
static VkCommandBuffer
fill_cmd(struct vkt *t, uint32_t i, uint32_t value)
{
   VkCommandBuffer cmd = vkt_begin(t);
   vkCmdFillBuffer(cmd, buf.buffer, i * REGION, REGION, value);
   vkt_transfer_to_host(cmd);
   VKT_VK(vkEndCommandBuffer(cmd));
   return cmd;
}

/* A recorded, ended command buffer that copies region from to region to. */
static VkCommandBuffer
copy_cmd(struct vkt *t, uint32_t from, uint32_t to)
{
   VkCommandBuffer cmd = vkt_begin(t);
   const VkBufferCopy c = { from * REGION, to * REGION, REGION };
   vkCmdCopyBuffer(cmd, buf.buffer, buf.buffer, 1, &c);
   vkt_transfer_to_host(cmd);
   VKT_VK(vkEndCommandBuffer(cmd));
   return cmd;
}

static void
free_cmds(struct vkt *t, uint32_t n, const VkCommandBuffer *cmds)
{
   vkFreeCommandBuffers(t->device, t->pool, n, cmds);
}

/* ---- fences ----------------------------------------------------------------------- */

static void
test_fences(struct vkt *t)
{
   VkFence on = make_fence(t, true), off = make_fence(t, false);
   VKT_CHECK(vkGetFenceStatus(t->device, on) == VK_SUCCESS);
   VKT_CHECK(vkGetFenceStatus(t->device, off) == VK_NOT_READY);
   VKT_CHECK(vkWaitForFences(t->device, 1, &on, VK_TRUE, 0) == VK_SUCCESS);
   VKT_CHECK(vkWaitForFences(t->device, 1, &on, VK_TRUE, UINT64_MAX) == VK_SUCCESS);
   VKT_CHECK(vkWaitForFences(t->device, 1, &off, VK_TRUE, 0) == VK_TIMEOUT);
   /* A real timeout must wait: a 20 ms one that returned at once would
    * make an application spin. */
   double t0 = now_ms();
   VKT_CHECK(vkWaitForFences(t->device, 1, &off, VK_TRUE, 20 * 1000000ull) == VK_TIMEOUT);
   VKT_CHECK(now_ms() - t0 >= 15.0);

   VkFence both[2] = { on, off };
   VKT_CHECK(vkWaitForFences(t->device, 2, both, VK_FALSE, 0) == VK_SUCCESS);
   VKT_CHECK(vkWaitForFences(t->device, 2, both, VK_TRUE, 0) == VK_TIMEOUT);
   VKT_CHECK(vkWaitForFences(t->device, 2, both, VK_TRUE, 1000000) == VK_TIMEOUT);

   VKT_VK(vkResetFences(t->device, 1, &on));
   VKT_CHECK(vkGetFenceStatus(t->device, on) == VK_NOT_READY);
   VKT_CHECK(vkWaitForFences(t->device, 2, both, VK_FALSE, 0) == VK_TIMEOUT);

   /* A submission with no batches signals its fence too. */
   VKT_VK(vkQueueSubmit(t->queue, 0, NULL, off));
   VKT_CHECK(vkWaitForFences(t->device, 1, &off, VK_TRUE, UINT64_MAX) == VK_SUCCESS);
   VKT_CHECK(vkGetFenceStatus(t->device, off) == VK_SUCCESS);

   /* The fence of a real batch covers its work. */
   set_region(0, 0);
   VkCommandBuffer cmd = fill_cmd(t, 0, 0xf0000001u);
   const VkSubmitInfo si = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .commandBufferCount = 1,
      .pCommandBuffers = &cmd,
   };
   VKT_VK(vkQueueSubmit(t->queue, 1, &si, on));
   VKT_CHECK(vkWaitForFences(t->device, 2, both, VK_TRUE, UINT64_MAX) == VK_SUCCESS);
   VKT_CHECK(vkGetFenceStatus(t->device, on) == VK_SUCCESS);
   check_region("fill guarded by a fence", 0, 0xf0000001u);
   free_cmds(t, 1, &cmd);

   VKT_VK(vkResetFences(t->device, 2, both));
   VKT_CHECK(vkGetFenceStatus(t->device, on) == VK_NOT_READY);
   VKT_CHECK(vkGetFenceStatus(t->device, off) == VK_NOT_READY);
   vkDestroyFence(t->device, on, NULL);
   vkDestroyFence(t->device, off, NULL);
}

/* ---- binary semaphores ---------------------------------------------------------- */

static void
test_binary_semaphores(struct vkt *t)
{
   VkSemaphore s = make_semaphore(t, VK_SEMAPHORE_TYPE_BINARY, 0);
   VkFence f = make_fence(t, false);
   set_region(1, 0);
   set_region(2, 0);

   /* vkQueueSubmit: the fill signals, the copy waits. */
   VkCommandBuffer cmds[4] = { fill_cmd(t, 1, 0xb0000001u), copy_cmd(t, 1, 2) };
   const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
   const VkSubmitInfo first = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .commandBufferCount = 1,
      .pCommandBuffers = &cmds[0],
      .signalSemaphoreCount = 1,
      .pSignalSemaphores = &s,
   };
   const VkSubmitInfo second = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .waitSemaphoreCount = 1,
      .pWaitSemaphores = &s,
      .pWaitDstStageMask = &stage,
      .commandBufferCount = 1,
      .pCommandBuffers = &cmds[1],
   };
   VKT_VK(vkQueueSubmit(t->queue, 1, &first, VK_NULL_HANDLE));
   VKT_VK(vkQueueSubmit(t->queue, 1, &second, f));
   VKT_VK(vkWaitForFences(t->device, 1, &f, VK_TRUE, UINT64_MAX));
   check_region("binary semaphore (vkQueueSubmit): source", 1, 0xb0000001u);
   check_region("binary semaphore (vkQueueSubmit): copy", 2, 0xb0000001u);
   VKT_VK(vkResetFences(t->device, 1, &f));

   /* vkQueueSubmit2, both batches in one call. */
   cmds[2] = fill_cmd(t, 1, 0xb0000002u);
   cmds[3] = copy_cmd(t, 1, 2);
   const VkSemaphoreSubmitInfo signal = {
      .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
      .semaphore = s,
      .stageMask = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT,
   };
   const VkSemaphoreSubmitInfo wait = {
      .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
      .semaphore = s,
      .stageMask = VK_PIPELINE_STAGE_2_COPY_BIT,
   };
   const VkCommandBufferSubmitInfo c0 = { VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO, NULL,
                                          cmds[2], 0 };
   const VkCommandBufferSubmitInfo c1 = { VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO, NULL,
                                          cmds[3], 0 };
   const VkSubmitInfo2 batches[2] = {
      { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
        .commandBufferInfoCount = 1,
        .pCommandBufferInfos = &c0,
        .signalSemaphoreInfoCount = 1,
        .pSignalSemaphoreInfos = &signal },
      { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
        .waitSemaphoreInfoCount = 1,
        .pWaitSemaphoreInfos = &wait,
        .commandBufferInfoCount = 1,
        .pCommandBufferInfos = &c1 },
   };
   VKT_VK(vkQueueSubmit2(t->queue, 2, batches, f));
   VKT_VK(vkWaitForFences(t->device, 1, &f, VK_TRUE, UINT64_MAX));
   check_region("binary semaphore (vkQueueSubmit2): source", 1, 0xb0000002u);
   check_region("binary semaphore (vkQueueSubmit2): copy", 2, 0xb0000002u);

   free_cmds(t, 4, cmds);
   vkDestroyFence(t->device, f, NULL);
   vkDestroySemaphore(t->device, s, NULL);
}

/* ---- timeline semaphores --------------------------------------------------------- */

static void
test_timeline_host(struct vkt *t)
{
   VkSemaphore s = make_semaphore(t, VK_SEMAPHORE_TYPE_TIMELINE, 5);
   VkSemaphore u = make_semaphore(t, VK_SEMAPHORE_TYPE_TIMELINE, 0);
   VKT_CHECK(counter(t, s) == 5);
   VKT_CHECK(counter(t, u) == 0);
   signal_value(t, s, 7);
   VKT_CHECK(counter(t, s) == 7);
   VKT_CHECK(wait_value(t, s, 7, 0) == VK_SUCCESS);
   VKT_CHECK(wait_value(t, s, 6, UINT64_MAX) == VK_SUCCESS);
   VKT_CHECK(wait_value(t, s, 8, 0) == VK_TIMEOUT);
   const double t0 = now_ms();
   VKT_CHECK(wait_value(t, s, 8, 20 * 1000000ull) == VK_TIMEOUT);
   VKT_CHECK(now_ms() - t0 >= 15.0);

   const VkSemaphore both[2] = { s, u };
   const uint64_t values[2] = { 7, 1 };
   VkSemaphoreWaitInfo wi = {
      .sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
      .flags = VK_SEMAPHORE_WAIT_ANY_BIT,
      .semaphoreCount = 2,
      .pSemaphores = both,
      .pValues = values,
   };
   VKT_CHECK(vkWaitSemaphores(t->device, &wi, 0) == VK_SUCCESS);
   wi.flags = 0;
   VKT_CHECK(vkWaitSemaphores(t->device, &wi, 0) == VK_TIMEOUT);
   signal_value(t, u, 1000);
   VKT_CHECK(vkWaitSemaphores(t->device, &wi, 0) == VK_SUCCESS);
   VKT_CHECK(counter(t, u) == 1000);
   vkDestroySemaphore(t->device, s, NULL);
   vkDestroySemaphore(t->device, u, NULL);
}

static void
test_timeline_queue(struct vkt *t)
{
   VkSemaphore s = make_semaphore(t, VK_SEMAPHORE_TYPE_TIMELINE, 0);
   VkSemaphore u = make_semaphore(t, VK_SEMAPHORE_TYPE_TIMELINE, 0);
   VkSemaphore bin = make_semaphore(t, VK_SEMAPHORE_TYPE_BINARY, 0);
   for (uint32_t i = 3; i <= 6; i++)
      set_region(i, 0);
   const VkPipelineStageFlags stages[2] = { VK_PIPELINE_STAGE_TRANSFER_BIT,
                                            VK_PIPELINE_STAGE_TRANSFER_BIT };

   /* Queue signal through VkTimelineSemaphoreSubmitInfo, host wait. */
   VkCommandBuffer cmds[4];
   cmds[0] = fill_cmd(t, 3, 0x70000001u);
   const uint64_t ten = 10;
   const VkTimelineSemaphoreSubmitInfo ts0 = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .signalSemaphoreValueCount = 1,
      .pSignalSemaphoreValues = &ten,
   };
   const VkSubmitInfo si0 = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .pNext = &ts0,
      .commandBufferCount = 1,
      .pCommandBuffers = &cmds[0],
      .signalSemaphoreCount = 1,
      .pSignalSemaphores = &s,
   };
   VKT_VK(vkQueueSubmit(t->queue, 1, &si0, VK_NULL_HANDLE));
   VKT_CHECK(wait_value(t, s, 10, UINT64_MAX) == VK_SUCCESS);
   VKT_CHECK(counter(t, s) == 10);
   check_region("timeline queue signal", 3, 0x70000001u);

   /* Queue wait on the value just reached; the batch signals a timeline and
    * a binary semaphore at once (the binary's value entry is ignored). */
   cmds[1] = copy_cmd(t, 3, 4);
   const uint64_t eleven[2] = { 11, 0xdeadbeefull };
   const VkSemaphore signals[2] = { s, bin };
   const VkTimelineSemaphoreSubmitInfo ts1 = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .waitSemaphoreValueCount = 1,
      .pWaitSemaphoreValues = &ten,
      .signalSemaphoreValueCount = 2,
      .pSignalSemaphoreValues = eleven,
   };
   const VkSubmitInfo si1 = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .pNext = &ts1,
      .waitSemaphoreCount = 1,
      .pWaitSemaphores = &s,
      .pWaitDstStageMask = stages,
      .commandBufferCount = 1,
      .pCommandBuffers = &cmds[1],
      .signalSemaphoreCount = 2,
      .pSignalSemaphores = signals,
   };
   VKT_VK(vkQueueSubmit(t->queue, 1, &si1, VK_NULL_HANDLE));

   /* Waits for the binary and the timeline semaphore, signals u = 3. */
   cmds[2] = copy_cmd(t, 4, 5);
   const uint64_t wait2[2] = { 0, 11 }, three = 3;
   const VkSemaphore waits2[2] = { bin, s };
   const VkTimelineSemaphoreSubmitInfo ts2 = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .waitSemaphoreValueCount = 2,
      .pWaitSemaphoreValues = wait2,
      .signalSemaphoreValueCount = 1,
      .pSignalSemaphoreValues = &three,
   };
   const VkSubmitInfo si2 = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .pNext = &ts2,
      .waitSemaphoreCount = 2,
      .pWaitSemaphores = waits2,
      .pWaitDstStageMask = stages,
      .commandBufferCount = 1,
      .pCommandBuffers = &cmds[2],
      .signalSemaphoreCount = 1,
      .pSignalSemaphores = &u,
   };
   VKT_VK(vkQueueSubmit(t->queue, 1, &si2, VK_NULL_HANDLE));
   VKT_CHECK(wait_value(t, u, 3, UINT64_MAX) == VK_SUCCESS);
   VKT_CHECK(counter(t, s) == 11);
   VKT_CHECK(counter(t, u) == 3);
   check_region("timeline queue wait: first copy", 4, 0x70000001u);
   check_region("timeline + binary wait: second copy", 5, 0x70000001u);

   /* vkQueueSubmit2: wait s = 11, signal s = 12. */
   cmds[3] = fill_cmd(t, 6, 0x70000002u);
   const VkSemaphoreSubmitInfo wait = {
      .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
      .semaphore = s,
      .value = 11,
      .stageMask = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT,
   };
   const VkSemaphoreSubmitInfo signal = {
      .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
      .semaphore = s,
      .value = 12,
      .stageMask = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT,
   };
   const VkCommandBufferSubmitInfo cbi = { VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO, NULL,
                                           cmds[3], 0 };
   const VkSubmitInfo2 si3 = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
      .waitSemaphoreInfoCount = 1,
      .pWaitSemaphoreInfos = &wait,
      .commandBufferInfoCount = 1,
      .pCommandBufferInfos = &cbi,
      .signalSemaphoreInfoCount = 1,
      .pSignalSemaphoreInfos = &signal,
   };
   VKT_VK(vkQueueSubmit2(t->queue, 1, &si3, VK_NULL_HANDLE));
   VKT_CHECK(wait_value(t, s, 12, UINT64_MAX) == VK_SUCCESS);
   VKT_CHECK(counter(t, s) == 12);
   check_region("vkQueueSubmit2 timeline wait/signal", 6, 0x70000002u);

   free_cmds(t, 4, cmds);
   vkDestroySemaphore(t->device, s, NULL);
   vkDestroySemaphore(t->device, u, NULL);
   vkDestroySemaphore(t->device, bin, NULL);
}

struct signaller {
   struct vkt *t;
   VkSemaphore semaphore;
   uint64_t value;
   atomic_int signalled; /* set just before vkSignalSemaphore */
};

static void *
signal_later(void *data)
{
   struct signaller *s = data;
   sleep_ms(30);
   atomic_store(&s->signalled, 1);
   signal_value(s->t, s->semaphore, s->value);
   return NULL;
}

struct waiter {
   struct vkt *t;
   VkFence fence;
   VkResult result;
   atomic_int returned;
};

static void *
wait_fence(void *data)
{
   struct waiter *w = data;
   w->result = vkWaitForFences(w->t->device, 1, &w->fence, VK_TRUE, UINT64_MAX);
   atomic_store(&w->returned, 1);
   return NULL;
}

/* Batches submitted before the value they wait for is signalled. */
static void
test_wait_before_signal(struct vkt *t)
{
   VkSemaphore s = make_semaphore(t, VK_SEMAPHORE_TYPE_TIMELINE, 0);
   VkFence f = make_fence(t, false);
   set_region(7, 0xaaaa0000u);
   set_region(8, 0xaaaa0000u);

   /* 1. vkQueueSubmit waits for s = 3 and signals s = 4; a second thread
    *    signals 3 while this one blocks in vkWaitSemaphores. */
   VkCommandBuffer cmds[2] = { fill_cmd(t, 7, 0xbbbb0001u), fill_cmd(t, 8, 0xbbbb0002u) };
   const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
   const uint64_t three = 3, four = 4;
   const VkTimelineSemaphoreSubmitInfo ts = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .waitSemaphoreValueCount = 1,
      .pWaitSemaphoreValues = &three,
      .signalSemaphoreValueCount = 1,
      .pSignalSemaphoreValues = &four,
   };
   const VkSubmitInfo si = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .pNext = &ts,
      .waitSemaphoreCount = 1,
      .pWaitSemaphores = &s,
      .pWaitDstStageMask = &stage,
      .commandBufferCount = 1,
      .pCommandBuffers = &cmds[0],
      .signalSemaphoreCount = 1,
      .pSignalSemaphores = &s,
   };
   VKT_VK(vkQueueSubmit(t->queue, 1, &si, f));
   sleep_ms(20);
   check_region("wait-before-signal ran before its signal", 7, 0xaaaa0000u);
   VKT_CHECK(vkGetFenceStatus(t->device, f) == VK_NOT_READY);
   VKT_CHECK(counter(t, s) == 0);
   /* A value below the wait must not release the batch. */
   signal_value(t, s, 2);
   VKT_CHECK(wait_value(t, s, 4, 20 * 1000000ull) == VK_TIMEOUT);
   check_region("wait-before-signal ran at a lower value", 7, 0xaaaa0000u);
   VKT_CHECK(vkGetFenceStatus(t->device, f) == VK_NOT_READY);
   VKT_CHECK(counter(t, s) == 2);

   struct signaller sig = { .t = t, .semaphore = s, .value = 3 };
   pthread_t thread;
   VKT_CHECK(pthread_create(&thread, NULL, signal_later, &sig) == 0);
   VKT_CHECK(wait_value(t, s, 4, UINT64_MAX) == VK_SUCCESS);
   /* The batch could only finish after the other thread's signal. */
   VKT_CHECK(atomic_load(&sig.signalled) == 1);
   VKT_CHECK(pthread_join(thread, NULL) == 0);
   VKT_CHECK(counter(t, s) == 4);
   VKT_VK(vkWaitForFences(t->device, 1, &f, VK_TRUE, UINT64_MAX));
   check_region("wait-before-signal after its signal", 7, 0xbbbb0001u);
   VKT_VK(vkResetFences(t->device, 1, &f));

   /* 2. vkQueueSubmit2 waits for s = 6; another thread blocks in
    *    vkWaitForFences on the batch's fence; this thread signals 6. */
   const VkSemaphoreSubmitInfo wait = {
      .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
      .semaphore = s,
      .value = 6,
      .stageMask = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT,
   };
   const VkSemaphoreSubmitInfo signal = {
      .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO,
      .semaphore = s,
      .value = 7,
      .stageMask = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT,
   };
   const VkCommandBufferSubmitInfo cbi = { VK_STRUCTURE_TYPE_COMMAND_BUFFER_SUBMIT_INFO, NULL,
                                           cmds[1], 0 };
   const VkSubmitInfo2 si2 = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO_2,
      .waitSemaphoreInfoCount = 1,
      .pWaitSemaphoreInfos = &wait,
      .commandBufferInfoCount = 1,
      .pCommandBufferInfos = &cbi,
      .signalSemaphoreInfoCount = 1,
      .pSignalSemaphoreInfos = &signal,
   };
   VKT_VK(vkQueueSubmit2(t->queue, 1, &si2, f));
   struct waiter w = { .t = t, .fence = f, .result = VK_ERROR_UNKNOWN };
   VKT_CHECK(pthread_create(&thread, NULL, wait_fence, &w) == 0);
   sleep_ms(30);
   VKT_CHECK(atomic_load(&w.returned) == 0);
   check_region("vkQueueSubmit2 wait-before-signal ran early", 8, 0xaaaa0000u);
   VKT_CHECK(counter(t, s) == 4);
   signal_value(t, s, 6);
   VKT_CHECK(pthread_join(thread, NULL) == 0);
   VKT_CHECK(w.result == VK_SUCCESS);
   VKT_CHECK(wait_value(t, s, 7, UINT64_MAX) == VK_SUCCESS);
   VKT_CHECK(counter(t, s) == 7);
   check_region("vkQueueSubmit2 wait-before-signal after its signal", 8, 0xbbbb0002u);

   /* 3. A wait-before-signal batch signals a binary semaphore; the host
    *    signals the timeline value, then a batch waits for the binary one
    *    (valid: its signal and what that depends on have been submitted). */
   const VkSemaphore b = make_semaphore(t, VK_SEMAPHORE_TYPE_BINARY, 0);
   VkCommandBuffer copy = fill_cmd(t, 9, 0xbbbb0003u);
   const uint64_t nine = 9;
   const VkTimelineSemaphoreSubmitInfo ts3 = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .waitSemaphoreValueCount = 1,
      .pWaitSemaphoreValues = &nine,
   };
   const VkSubmitInfo held = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .pNext = &ts3,
      .waitSemaphoreCount = 1,
      .pWaitSemaphores = &s,
      .pWaitDstStageMask = &stage,
      .signalSemaphoreCount = 1,
      .pSignalSemaphores = &b,
   };
   const VkSubmitInfo after = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .waitSemaphoreCount = 1,
      .pWaitSemaphores = &b,
      .pWaitDstStageMask = &stage,
      .commandBufferCount = 1,
      .pCommandBuffers = &copy,
   };
   set_region(9, 0xaaaa0000u);
   VKT_VK(vkResetFences(t->device, 1, &f));
   VKT_VK(vkQueueSubmit(t->queue, 1, &held, VK_NULL_HANDLE));
   signal_value(t, s, 9);
   VKT_VK(vkQueueSubmit(t->queue, 1, &after, f));
   VKT_VK(vkWaitForFences(t->device, 1, &f, VK_TRUE, UINT64_MAX));
   check_region("binary wait behind a released wait-before-signal batch", 9, 0xbbbb0003u);
   free_cmds(t, 1, &copy);
   vkDestroySemaphore(t->device, b, NULL);

   free_cmds(t, 2, cmds);
   vkDestroyFence(t->device, f, NULL);
   vkDestroySemaphore(t->device, s, NULL);
}

/* ---- events ------------------------------------------------------------------------ */

static void
submit_fence(struct vkt *t, VkCommandBuffer cmd, VkFence f)
{
   const VkSubmitInfo si = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .commandBufferCount = 1,
      .pCommandBuffers = &cmd,
   };
   VKT_VK(vkQueueSubmit(t->queue, 1, &si, f));
}

/* Ends, submits, waits, frees, like vkt_submit_wait, through fence f. */
static void
run(struct vkt *t, VkCommandBuffer cmd, VkFence f)
{
   VKT_VK(vkEndCommandBuffer(cmd));
   submit_fence(t, cmd, f);
   VKT_VK(vkWaitForFences(t->device, 1, &f, VK_TRUE, UINT64_MAX));
   VKT_VK(vkResetFences(t->device, 1, &f));
   free_cmds(t, 1, &cmd);
}

/* Records a wait for a host-set event, then a copy of region from to region
 * to: the host's writes before vkSetEvent are what the copy must read. */
static VkCommandBuffer
wait_host_event_cmd(struct vkt *t, VkEvent e, uint32_t from, uint32_t to)
{
   VkCommandBuffer cmd = vkt_begin(t);
   const VkMemoryBarrier b = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_HOST_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
   };
   vkCmdWaitEvents(cmd, 1, &e, VK_PIPELINE_STAGE_HOST_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 1, &b, 0,
                   NULL, 0, NULL);
   const VkBufferCopy c = { from * REGION, to * REGION, REGION };
   vkCmdCopyBuffer(cmd, buf.buffer, buf.buffer, 1, &c);
   vkt_transfer_to_host(cmd);
   VKT_VK(vkEndCommandBuffer(cmd));
   return cmd;
}

static void
test_events(struct vkt *t)
{
   const VkEventCreateInfo ci = { .sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO };
   VkEvent e;
   VKT_VK(vkCreateEvent(t->device, &ci, NULL, &e));
   VkFence f = make_fence(t, false);

   /* Host set and reset. */
   VKT_CHECK(vkGetEventStatus(t->device, e) == VK_EVENT_RESET);
   VKT_VK(vkSetEvent(t->device, e));
   VKT_CHECK(vkGetEventStatus(t->device, e) == VK_EVENT_SET);
   VKT_VK(vkSetEvent(t->device, e));
   VKT_CHECK(vkGetEventStatus(t->device, e) == VK_EVENT_SET);
   VKT_VK(vkResetEvent(t->device, e));
   VKT_CHECK(vkGetEventStatus(t->device, e) == VK_EVENT_RESET);

   /* Device set after a fill, observed from the host; then device reset. */
   set_region(9, 0);
   VkCommandBuffer cmd = vkt_begin(t);
   vkCmdFillBuffer(cmd, buf.buffer, 9 * REGION, REGION, 0xe0000001u);
   vkCmdSetEvent(cmd, e, VK_PIPELINE_STAGE_TRANSFER_BIT);
   vkt_transfer_to_host(cmd);
   run(t, cmd, f);
   VKT_CHECK(vkGetEventStatus(t->device, e) == VK_EVENT_SET);
   check_region("fill before vkCmdSetEvent", 9, 0xe0000001u);
   cmd = vkt_begin(t);
   vkCmdResetEvent(cmd, e, VK_PIPELINE_STAGE_TRANSFER_BIT);
   run(t, cmd, f);
   VKT_CHECK(vkGetEventStatus(t->device, e) == VK_EVENT_RESET);

   /* synchronization2: vkCmdSetEvent2 then vkCmdWaitEvents2 in one command
    * buffer order a fill before a copy; the event stays set. */
   set_region(10, 0);
   set_region(11, 0);
   cmd = vkt_begin(t);
   vkCmdFillBuffer(cmd, buf.buffer, 10 * REGION, REGION, 0xe0000002u);
   const VkMemoryBarrier2 mb2 = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2,
      .srcStageMask = VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT,
      .srcAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT,
      .dstStageMask = VK_PIPELINE_STAGE_2_COPY_BIT,
      .dstAccessMask = VK_ACCESS_2_TRANSFER_READ_BIT,
   };
   const VkDependencyInfo dep = {
      .sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
      .memoryBarrierCount = 1,
      .pMemoryBarriers = &mb2,
   };
   vkCmdSetEvent2(cmd, e, &dep);
   vkCmdWaitEvents2(cmd, 1, &e, &dep);
   const VkBufferCopy c = { 10 * REGION, 11 * REGION, REGION };
   vkCmdCopyBuffer(cmd, buf.buffer, buf.buffer, 1, &c);
   vkt_transfer_to_host(cmd);
   run(t, cmd, f);
   VKT_CHECK(vkGetEventStatus(t->device, e) == VK_EVENT_SET);
   check_region("vkCmdSetEvent2 / vkCmdWaitEvents2 copy", 11, 0xe0000002u);
   VKT_VK(vkResetEvent(t->device, e));

   /* vkCmdWaitEvents on an event the host set before the submission. */
   set_region(12, 0xe0000003u);
   set_region(13, 0);
   VKT_VK(vkSetEvent(t->device, e));
   cmd = wait_host_event_cmd(t, e, 12, 13);
   submit_fence(t, cmd, f);
   VKT_VK(vkWaitForFences(t->device, 1, &f, VK_TRUE, UINT64_MAX));
   VKT_VK(vkResetFences(t->device, 1, &f));
   free_cmds(t, 1, &cmd);
   check_region("vkCmdWaitEvents on a host-set event", 13, 0xe0000003u);

   /* ... and on one the host sets only after the submission (allowed
    * outside a render pass): the copy must see what the host wrote just
    * before vkSetEvent, not what was there at submission. */
   VKT_VK(vkResetEvent(t->device, e));
   set_region(12, 0xe0000004u);
   set_region(13, 0);
   cmd = wait_host_event_cmd(t, e, 12, 13);
   submit_fence(t, cmd, f);
   sleep_ms(20);
   VKT_CHECK(vkGetFenceStatus(t->device, f) == VK_NOT_READY);
   check_region("vkCmdWaitEvents ran before vkSetEvent", 13, 0);
   set_region(12, 0xe0000005u);
   VKT_VK(vkSetEvent(t->device, e));
   VKT_VK(vkWaitForFences(t->device, 1, &f, VK_TRUE, UINT64_MAX));
   free_cmds(t, 1, &cmd);
   check_region("vkCmdWaitEvents on an event set after submission", 13, 0xe0000005u);
   VKT_CHECK(vkGetEventStatus(t->device, e) == VK_EVENT_SET);

   vkDestroyFence(t->device, f, NULL);
   vkDestroyEvent(t->device, e, NULL);
}

/* ---- one-way work the ring may hold back --------------------------------------------- */

/* The in-process ring publishes a burst's creates, destroys and updates in
 * batches (transport/vl_transport_inproc.c).  What the world outside the
 * stream sees must not wait for the batch: a vkSetEvent after such a burst
 * releases a device wait with no further Vulkan call, and a call, from this
 * thread or another, finds the objects the held commands made. */

#define HELD 12 /* more one-way commands in a row than a burst needs */

struct status_arg {
   struct vkt *t;
   VkEvent event;
   VkResult status;
};

static void *
status_thread(void *p)
{
   struct status_arg *a = p;
   a->status = vkGetEventStatus(a->t->device, a->event);
   return NULL;
}

static void
create_events(struct vkt *t, uint32_t n, VkEvent *out)
{
   const VkEventCreateInfo ci = { .sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO };
   for (uint32_t i = 0; i < n; i++)
      VKT_VK(vkCreateEvent(t->device, &ci, NULL, &out[i]));
}

static void
test_held_back_work(struct vkt *t)
{
   VkEvent e, made[3 * HELD];
   create_events(t, 1, &e);
   VkFence f = make_fence(t, false);

   /* A device wait for an event the host sets after a burst of creates. */
   set_region(14, 0xe0000006u);
   set_region(15, 0);
   VkCommandBuffer cmd = wait_host_event_cmd(t, e, 14, 15);
   submit_fence(t, cmd, f);
   create_events(t, HELD, made);
   VKT_VK(vkSetEvent(t->device, e));
   const uint32_t *copied = region(15);
   const double start = now_ms();
   while (*(volatile const uint32_t *)copied != 0xe0000006u && now_ms() - start < 5000)
      sleep_ms(1);
   check_region("a device wait for vkSetEvent sent after a burst of creates", 15, 0xe0000006u);
   VKT_VK(vkWaitForFences(t->device, 1, &f, VK_TRUE, UINT64_MAX));
   free_cmds(t, 1, &cmd);

   /* A call on the newest of a burst's objects, from this thread ... */
   create_events(t, HELD, made + HELD);
   VKT_CHECK(vkGetEventStatus(t->device, made[2 * HELD - 1]) == VK_EVENT_RESET);
   /* ... and from another, handed the handle as an application would. */
   create_events(t, HELD, made + 2 * HELD);
   struct status_arg a = { t, made[3 * HELD - 1], VK_ERROR_UNKNOWN };
   pthread_t thread;
   VKT_CHECK(pthread_create(&thread, NULL, status_thread, &a) == 0);
   VKT_CHECK(pthread_join(thread, NULL) == 0);
   VKT_CHECK(a.status == VK_EVENT_RESET);

   for (uint32_t i = 0; i < 3 * HELD; i++)
      vkDestroyEvent(t->device, made[i], NULL);
   vkDestroyFence(t->device, f, NULL);
   vkDestroyEvent(t->device, e, NULL);
}

/* ---- queries ----------------------------------------------------------------------- */

static VkQueryPool
make_query_pool(struct vkt *t, VkQueryType type, uint32_t count)
{
   const VkQueryPoolCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
      .queryType = type,
      .queryCount = count,
   };
   VkQueryPool pool;
   VKT_VK(vkCreateQueryPool(t->device, &ci, NULL, &pool));
   return pool;
}

/* After a host reset, results without WAIT are not ready and report their
 * availability as 0. */
static void
check_reset(struct vkt *t, VkQueryPool pool, uint32_t count)
{
   vkResetQueryPool(t->device, pool, 0, count);
   uint64_t r[8][2];
   VKT_CHECK(count <= 8);
   memset(r, 0xff, sizeof(r));
   VKT_CHECK(vkGetQueryPoolResults(t->device, pool, 0, count, sizeof(r), r, sizeof(r[0]),
                                   VK_QUERY_RESULT_64_BIT |
                                      VK_QUERY_RESULT_WITH_AVAILABILITY_BIT) == VK_NOT_READY);
   for (uint32_t i = 0; i < count; i++) {
      if (r[i][1] != 0)
         vkt_fail("query %u is available after vkResetQueryPool (%llu)", i,
                  (unsigned long long)r[i][1]);
   }
}

static void
test_timestamps(struct vkt *t)
{
   uint32_t nf = 0;
   vkGetPhysicalDeviceQueueFamilyProperties(t->physical, &nf, NULL);
   VkQueueFamilyProperties fams[16];
   nf = nf > 16 ? 16 : nf;
   vkGetPhysicalDeviceQueueFamilyProperties(t->physical, &nf, fams);
   VKT_CHECK(t->family < nf);
   const uint32_t bits = fams[t->family].timestampValidBits;
   VKT_CHECK(bits > 0); /* lavapipe has 64 */
   VKT_CHECK(t->props.limits.timestampPeriod > 0.0f);
   const uint64_t mask = bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;

   VkQueryPool pool = make_query_pool(t, VK_QUERY_TYPE_TIMESTAMP, 4);
   vkResetQueryPool(t->device, pool, 0, 4);
   /* 16 MiB fills between the timestamps: enough work that a later
    * timestamp is strictly greater at any plausible resolution. */
   struct vkt_buffer work, copy;
   vkt_buffer(t, 16u << 20, VK_BUFFER_USAGE_TRANSFER_DST_BIT, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT,
              &work);
   vkt_buffer(t, 3 * 8, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
              VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, &copy);
   memset(copy.map, 0, 3 * 8);
   const VkMemoryBarrier fill_done = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
   };

   VkCommandBuffer cmd = vkt_begin(t);
   vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, pool, 0);
   vkCmdFillBuffer(cmd, work.buffer, 0, VK_WHOLE_SIZE, 1);
   vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool, 1);
   vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1,
                        &fill_done, 0, NULL, 0, NULL);
   vkCmdFillBuffer(cmd, work.buffer, 0, VK_WHOLE_SIZE, 2);
   vkCmdWriteTimestamp2(cmd, VK_PIPELINE_STAGE_2_ALL_TRANSFER_BIT, pool, 2);
   vkCmdCopyQueryPoolResults(cmd, pool, 0, 3, copy.buffer, 0, 8,
                             VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
   vkt_transfer_to_host(cmd);
   vkt_submit_wait(t, cmd);

   uint64_t ts[3] = { 0 };
   VKT_VK(vkGetQueryPoolResults(t->device, pool, 0, 3, sizeof(ts), ts, 8,
                                VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
   for (int i = 0; i < 3; i++)
      ts[i] &= mask;
   if (!(ts[0] < ts[1] && ts[1] < ts[2]))
      vkt_fail("timestamps not increasing: %llu %llu %llu", (unsigned long long)ts[0],
               (unsigned long long)ts[1], (unsigned long long)ts[2]);
   const uint64_t *copied = copy.map;
   for (int i = 0; i < 3; i++) {
      if ((copied[i] & mask) != ts[i])
         vkt_fail("vkCmdCopyQueryPoolResults timestamp %d is %llu, vkGetQueryPoolResults %llu", i,
                  (unsigned long long)copied[i], (unsigned long long)ts[i]);
   }
   /* The same results with availability, two at a time from query 1. */
   uint64_t av[2][2] = { { 0 } };
   VKT_VK(vkGetQueryPoolResults(t->device, pool, 1, 2, sizeof(av), av, sizeof(av[0]),
                                VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT |
                                   VK_QUERY_RESULT_WITH_AVAILABILITY_BIT));
   VKT_CHECK((av[0][0] & mask) == ts[1] && av[0][1] != 0);
   VKT_CHECK((av[1][0] & mask) == ts[2] && av[1][1] != 0);
   /* Query 3 was reset and never written. */
   uint64_t q3[2] = { 1, 1 };
   VKT_CHECK(vkGetQueryPoolResults(t->device, pool, 3, 1, sizeof(q3), q3, sizeof(q3),
                                   VK_QUERY_RESULT_64_BIT |
                                      VK_QUERY_RESULT_WITH_AVAILABILITY_BIT) == VK_NOT_READY);
   VKT_CHECK(q3[1] == 0);

   /* A later submission's timestamp is later. */
   cmd = vkt_begin(t);
   vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool, 3);
   vkt_submit_wait(t, cmd);
   uint64_t later = 0;
   VKT_VK(vkGetQueryPoolResults(t->device, pool, 3, 1, sizeof(later), &later, 8,
                                VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
   VKT_CHECK((later & mask) > ts[2]);

   check_reset(t, pool, 4);
   vkt_buffer_destroy(t, &work);
   vkt_buffer_destroy(t, &copy);
   vkDestroyQueryPool(t->device, pool, NULL);
}

/* Occlusion: within one dynamic-rendering instance, query 0 surrounds no
 * draw and query 1 a draw clipped by the scissor to a 5x3 rectangle.  The
 * image is read back to check the draw itself. */
enum { FB = 16, SX = 4, SY = 6, SW = 5, SH = 3 };

static VkPipeline
occlusion_pipeline(struct vkt *t, VkPipelineLayout layout, VkFormat format)
{
   VkShaderModule vs = vkt_shader(t, "sync.vert.spv"), fs = vkt_shader(t, "sync.frag.spv");
   const VkPipelineShaderStageCreateInfo stages[2] = {
      { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_VERTEX_BIT,
        .module = vs,
        .pName = "main" },
      { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_FRAGMENT_BIT,
        .module = fs,
        .pName = "main" },
   };
   const VkPipelineVertexInputStateCreateInfo vi = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
   };
   const VkPipelineInputAssemblyStateCreateInfo ia = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
      .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST,
   };
   const VkPipelineViewportStateCreateInfo vp = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
      .viewportCount = 1,
      .scissorCount = 1,
   };
   const VkPipelineRasterizationStateCreateInfo rs = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
      .polygonMode = VK_POLYGON_MODE_FILL,
      .cullMode = VK_CULL_MODE_NONE,
      .frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE,
      .lineWidth = 1.0f,
   };
   const VkPipelineMultisampleStateCreateInfo ms = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
      .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT,
   };
   const VkPipelineColorBlendAttachmentState att = {
      .colorWriteMask = VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT |
                        VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT,
   };
   const VkPipelineColorBlendStateCreateInfo cb = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
      .attachmentCount = 1,
      .pAttachments = &att,
   };
   const VkDynamicState dyn[2] = { VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR };
   const VkPipelineDynamicStateCreateInfo ds = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO,
      .dynamicStateCount = 2,
      .pDynamicStates = dyn,
   };
   const VkPipelineRenderingCreateInfo rci = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO,
      .colorAttachmentCount = 1,
      .pColorAttachmentFormats = &format,
   };
   const VkGraphicsPipelineCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
      .pNext = &rci,
      .stageCount = 2,
      .pStages = stages,
      .pVertexInputState = &vi,
      .pInputAssemblyState = &ia,
      .pViewportState = &vp,
      .pRasterizationState = &rs,
      .pMultisampleState = &ms,
      .pColorBlendState = &cb,
      .pDynamicState = &ds,
      .layout = layout,
   };
   VkPipeline pipeline = VK_NULL_HANDLE;
   VKT_VK(vkCreateGraphicsPipelines(t->device, VK_NULL_HANDLE, 1, &ci, NULL, &pipeline));
   VKT_CHECK(pipeline != VK_NULL_HANDLE);
   vkDestroyShaderModule(t->device, vs, NULL);
   vkDestroyShaderModule(t->device, fs, NULL);
   return pipeline;
}

/* Records one rendering instance into cmd: query 0 around nothing, then, if
 * draw, query 1 around the scissored draw. */
static void
record_rendering(VkCommandBuffer cmd, VkImageView view, VkPipeline pipeline, VkQueryPool pool,
                 bool draw)
{
   const VkRenderingAttachmentInfo color = {
      .sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
      .imageView = view,
      .imageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
      .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
      .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
      .clearValue = { .color = { .float32 = { 0, 0, 0, 0 } } },
   };
   const VkRenderingInfo ri = {
      .sType = VK_STRUCTURE_TYPE_RENDERING_INFO,
      .renderArea = { { 0, 0 }, { FB, FB } },
      .layerCount = 1,
      .colorAttachmentCount = 1,
      .pColorAttachments = &color,
   };
   vkCmdBeginRendering(cmd, &ri);
   vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline);
   const VkViewport viewport = { 0, 0, FB, FB, 0, 1 };
   vkCmdSetViewport(cmd, 0, 1, &viewport);
   const VkRect2D scissor = { { SX, SY }, { SW, SH } };
   vkCmdSetScissor(cmd, 0, 1, &scissor);
   vkCmdBeginQuery(cmd, pool, 0, 0);
   vkCmdEndQuery(cmd, pool, 0);
   if (draw) {
      vkCmdBeginQuery(cmd, pool, 1, 0);
      vkCmdDraw(cmd, 3, 1, 0, 0);
      vkCmdEndQuery(cmd, pool, 1);
   }
   vkCmdEndRendering(cmd);
}

/* Pipeline statistics around the same rendering (the image already in
 * COLOR_ATTACHMENT_OPTIMAL): three counters a query, read back with
 * availability by vkGetQueryPoolResults and copied by
 * vkCmdCopyQueryPoolResults into a buffer that holds exactly two results. */
static void
check_statistics(struct vkt *t, VkImageView view, VkPipeline pipeline)
{
   const VkQueryPoolCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
      .queryType = VK_QUERY_TYPE_PIPELINE_STATISTICS,
      .queryCount = 2,
      .pipelineStatistics = VK_QUERY_PIPELINE_STATISTIC_INPUT_ASSEMBLY_VERTICES_BIT |
                            VK_QUERY_PIPELINE_STATISTIC_INPUT_ASSEMBLY_PRIMITIVES_BIT |
                            VK_QUERY_PIPELINE_STATISTIC_VERTEX_SHADER_INVOCATIONS_BIT,
   };
   VkQueryPool pool;
   VKT_VK(vkCreateQueryPool(t->device, &ci, NULL, &pool));
   vkResetQueryPool(t->device, pool, 0, 2);
   struct vkt_buffer copy;
   vkt_buffer(t, 2 * 4 * sizeof(uint64_t), VK_BUFFER_USAGE_TRANSFER_DST_BIT,
              VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, &copy);
   memset(copy.map, 0x55, copy.size);
   VkCommandBuffer cmd = vkt_begin(t);
   record_rendering(cmd, view, pipeline, pool, true);
   vkCmdCopyQueryPoolResults(cmd, pool, 0, 2, copy.buffer, 0, 4 * sizeof(uint64_t),
                             VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT |
                                VK_QUERY_RESULT_WITH_AVAILABILITY_BIT);
   vkt_transfer_to_host(cmd);
   vkt_submit_wait(t, cmd);

   /* vertices, primitives, vertex shader invocations, availability */
   uint64_t r[2][4];
   memset(r, 0x55, sizeof(r));
   VKT_VK(vkGetQueryPoolResults(t->device, pool, 0, 2, sizeof(r), r, sizeof(r[0]),
                                VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT |
                                   VK_QUERY_RESULT_WITH_AVAILABILITY_BIT));
   if (r[0][0] || r[0][1] || r[0][2] || !r[0][3])
      vkt_fail("statistics around no draw: %llu vertices, %llu primitives, %llu invocations, "
               "available %llu",
               (unsigned long long)r[0][0], (unsigned long long)r[0][1],
               (unsigned long long)r[0][2], (unsigned long long)r[0][3]);
   if (r[1][0] != 3 || r[1][1] != 1 || r[1][2] < 3 || !r[1][3])
      vkt_fail("statistics around one triangle: %llu vertices, %llu primitives, %llu "
               "invocations, available %llu",
               (unsigned long long)r[1][0], (unsigned long long)r[1][1],
               (unsigned long long)r[1][2], (unsigned long long)r[1][3]);
   if (memcmp(copy.map, r, sizeof(r)))
      vkt_fail("vkCmdCopyQueryPoolResults copied other statistics than vkGetQueryPoolResults "
               "read");
   /* 32-bit results, without availability: 12 bytes each, tightly packed */
   uint32_t r32[6];
   VKT_VK(vkGetQueryPoolResults(t->device, pool, 0, 2, sizeof(r32), r32, 3 * sizeof(uint32_t),
                                VK_QUERY_RESULT_WAIT_BIT));
   for (int q = 0; q < 2; q++) {
      for (int v = 0; v < 3; v++)
         VKT_CHECK(r32[q * 3 + v] == r[q][v]);
   }
   vkt_buffer_destroy(t, &copy);
   vkDestroyQueryPool(t->device, pool, NULL);
}

static void
test_occlusion(struct vkt *t)
{
   const VkFormat format = VK_FORMAT_R8G8B8A8_UNORM;
   const VkImageCreateInfo ici = {
      .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
      .imageType = VK_IMAGE_TYPE_2D,
      .format = format,
      .extent = { FB, FB, 1 },
      .mipLevels = 1,
      .arrayLayers = 1,
      .samples = VK_SAMPLE_COUNT_1_BIT,
      .tiling = VK_IMAGE_TILING_OPTIMAL,
      .usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
   };
   VkImage image;
   VKT_VK(vkCreateImage(t->device, &ici, NULL, &image));
   VkMemoryRequirements reqs;
   vkGetImageMemoryRequirements(t->device, image, &reqs);
   const VkMemoryAllocateInfo mai = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
      .allocationSize = reqs.size,
      .memoryTypeIndex =
         vkt_memory_type(t, reqs.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT),
   };
   VkDeviceMemory memory;
   VKT_VK(vkAllocateMemory(t->device, &mai, NULL, &memory));
   VKT_VK(vkBindImageMemory(t->device, image, memory, 0));
   const VkImageViewCreateInfo vci = {
      .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
      .image = image,
      .viewType = VK_IMAGE_VIEW_TYPE_2D,
      .format = format,
      .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
   };
   VkImageView view;
   VKT_VK(vkCreateImageView(t->device, &vci, NULL, &view));
   const VkPipelineLayoutCreateInfo plci = { .sType =
                                                VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO };
   VkPipelineLayout layout;
   VKT_VK(vkCreatePipelineLayout(t->device, &plci, NULL, &layout));
   VkPipeline pipeline = occlusion_pipeline(t, layout, format);
   struct vkt_buffer pixels;
   vkt_buffer(t, FB * FB * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
              VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, &pixels);
   memset(pixels.map, 0x55, FB * FB * 4);
   VkQueryPool pool = make_query_pool(t, VK_QUERY_TYPE_OCCLUSION, 2);
   /* Host reset (hostQueryReset) instead of vkCmdResetQueryPool. */
   vkResetQueryPool(t->device, pool, 0, 2);

   VkCommandBuffer cmd = vkt_begin(t);
   VkImageMemoryBarrier ib = {
      .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
      .dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
      .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
      .newLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
      .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
      .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
      .image = image,
      .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
   };
   vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
                        VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT, 0, 0, NULL, 0, NULL, 1, &ib);
   record_rendering(cmd, view, pipeline, pool, true);
   ib.srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
   ib.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
   ib.oldLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
   ib.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
   vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
                        VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 0, NULL, 1, &ib);
   const VkBufferImageCopy region = {
      .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
      .imageExtent = { FB, FB, 1 },
   };
   vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, pixels.buffer, 1,
                          &region);
   vkt_transfer_to_host(cmd);
   vkt_submit_wait(t, cmd);

   uint64_t r[2][2] = { { 1, 0 }, { 0, 0 } };
   VKT_VK(vkGetQueryPoolResults(t->device, pool, 0, 2, sizeof(r), r, sizeof(r[0]),
                                VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT |
                                   VK_QUERY_RESULT_WITH_AVAILABILITY_BIT));
   VKT_CHECK(r[0][1] != 0 && r[1][1] != 0);
   if (r[0][0] != 0)
      vkt_fail("occlusion query around no draw counted %llu samples", (unsigned long long)r[0][0]);
   /* Without occlusionQueryPrecise (not enabled), any non-zero count is
    * valid for a draw whose samples pass. */
   if (r[1][0] == 0)
      vkt_fail("occlusion query around a %ux%u draw counted 0 samples", SW, SH);
   const uint32_t *px = pixels.map;
   for (uint32_t y = 0; y < FB; y++) {
      for (uint32_t x = 0; x < FB; x++) {
         const bool in = x >= SX && x < SX + SW && y >= SY && y < SY + SH;
         const uint32_t want = in ? 0xff0000ffu : 0; /* RGBA bytes (255, 0, 0, 255) */
         if (px[y * FB + x] != want)
            vkt_fail("pixel (%u, %u) is 0x%08x, expected 0x%08x", x, y, px[y * FB + x], want);
      }
   }

   /* A host reset makes both queries unavailable; reusing query 0 around no
    * draw counts 0 again, with query 1 left unavailable. */
   check_reset(t, pool, 2);
   cmd = vkt_begin(t);
   ib.srcAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
   ib.dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
   ib.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
   ib.newLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
   vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                        VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT, 0, 0, NULL, 0, NULL, 1, &ib);
   record_rendering(cmd, view, pipeline, pool, false);
   vkt_submit_wait(t, cmd);
   uint64_t again[2] = { 1, 0 };
   VKT_VK(vkGetQueryPoolResults(t->device, pool, 0, 1, sizeof(again), again, sizeof(again),
                                VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT |
                                   VK_QUERY_RESULT_WITH_AVAILABILITY_BIT));
   VKT_CHECK(again[0] == 0 && again[1] != 0);
   uint64_t unused[2] = { 1, 1 };
   VKT_CHECK(vkGetQueryPoolResults(t->device, pool, 1, 1, sizeof(unused), unused, sizeof(unused),
                                   VK_QUERY_RESULT_64_BIT |
                                      VK_QUERY_RESULT_WITH_AVAILABILITY_BIT) == VK_NOT_READY);
   VKT_CHECK(unused[1] == 0);
   if (t->features.pipelineStatisticsQuery)
      check_statistics(t, view, pipeline);
   else
      printf("sync: no pipelineStatisticsQuery on this device; statistics not checked\n");

   vkDestroyQueryPool(t->device, pool, NULL);
   vkt_buffer_destroy(t, &pixels);
   vkDestroyPipeline(t->device, pipeline, NULL);
   vkDestroyPipelineLayout(t->device, layout, NULL);
   vkDestroyImageView(t->device, view, NULL);
   vkDestroyImage(t->device, image, NULL);
   vkFreeMemory(t->device, memory, NULL);
}

int
main(void)
{
   struct vkt t;
   vkt_init(&t, "sync: fences, semaphores, events, queries");
   vkt_buffer(&t, 64 * REGION, VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
              VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, &buf);
   test_fences(&t);
   test_binary_semaphores(&t);
   test_timeline_host(&t);
   test_timeline_queue(&t);
   test_wait_before_signal(&t);
   test_events(&t);
   test_held_back_work(&t);
   test_timestamps(&t);
   test_occlusion(&t);
   vkt_buffer_destroy(&t, &buf);
   vkt_finish(&t);
   vkt_pass(&t);
   return 0;
}
