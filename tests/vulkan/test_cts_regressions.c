/*
 * What the Khronos CTS found (docs/conformance.md), as valid programs:
 *
 *  1. A pipeline layout destroyed after vkEndCommandBuffer and before the
 *     submission of a command buffer that pushed constants with it (valid:
 *     vkDestroyPipelineLayout forbids only command buffers still
 *     recording).  The ICD hands a primary's stream over at its submission,
 *     so the host destroy must wait for that: it lost the device before.
 *  2. vkGetQueryPoolResults of a query the host reset, without WAIT or
 *     PARTIAL: VK_NOT_READY, and no result value written, only the
 *     availability word.  The reply overwrote the application's memory with
 *     the renderer's zeroed storage before.
 *
 * Both run the same natively; the checks are the spec's.
 */
#include <string.h>

#include "vkt.h"

static void
layout_destroyed_before_submit(struct vkt *t)
{
   const VkPushConstantRange range = { VK_SHADER_STAGE_VERTEX_BIT, 0, 16 };
   const VkPipelineLayoutCreateInfo li = { .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                           .pushConstantRangeCount = 1,
                                           .pPushConstantRanges = &range };
   VkPipelineLayout layout;
   VKT_VK(vkCreatePipelineLayout(t->device, &li, NULL, &layout));
   VkCommandBuffer cmd = vkt_begin(t);
   const float data[4] = { 1, 2, 3, 4 };
   vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_VERTEX_BIT, 0, sizeof(data), data);
   VKT_VK(vkEndCommandBuffer(cmd));
   vkDestroyPipelineLayout(t->device, layout, NULL);
   /* a new layout must not take the destroyed one's place meanwhile */
   VkPipelineLayout other;
   VKT_VK(vkCreatePipelineLayout(t->device, &li, NULL, &other));
   const VkFenceCreateInfo fi = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
   VkFence fence;
   VKT_VK(vkCreateFence(t->device, &fi, NULL, &fence));
   const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .commandBufferCount = 1,
                             .pCommandBuffers = &cmd };
   VKT_VK(vkQueueSubmit(t->queue, 1, &si, fence));
   VKT_VK(vkWaitForFences(t->device, 1, &fence, VK_TRUE, UINT64_MAX));
   VKT_VK(vkDeviceWaitIdle(t->device));
   vkDestroyFence(t->device, fence, NULL);
   vkDestroyPipelineLayout(t->device, other, NULL);
   vkFreeCommandBuffers(t->device, t->pool, 1, &cmd);
   printf("a layout destroyed between vkEndCommandBuffer and vkQueueSubmit: submitted, waited\n");
}

static void
query_results_not_ready(struct vkt *t)
{
   const VkQueryPoolCreateInfo qi = { .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                      .queryType = VK_QUERY_TYPE_OCCLUSION,
                                      .queryCount = 2 };
   VkQueryPool pool;
   VKT_VK(vkCreateQueryPool(t->device, &qi, NULL, &pool));
   vkResetQueryPool(t->device, pool, 0, 2); /* hostQueryReset (Vulkan 1.2) */
   for (int avail = 0; avail < 2; avail++) {
      /* two queries, 64-bit values, with and without the availability word */
      uint64_t data[4] = { 0x1234567812345678ull, 0xdeadbeefull, 0x8765432187654321ull, 7 };
      const VkQueryResultFlags flags =
         VK_QUERY_RESULT_64_BIT | (avail ? VK_QUERY_RESULT_WITH_AVAILABILITY_BIT : 0);
      const VkResult r =
         vkGetQueryPoolResults(t->device, pool, 0, 2, sizeof(data), data, 16, flags);
      if (r != VK_NOT_READY)
         vkt_fail("vkGetQueryPoolResults of reset queries returned %d, not VK_NOT_READY", r);
      if (data[0] != 0x1234567812345678ull || data[2] != 0x8765432187654321ull)
         vkt_fail("an unavailable query's value was written: 0x%llx, 0x%llx",
                  (unsigned long long)data[0], (unsigned long long)data[2]);
      if (avail && (data[1] != 0 || data[3] != 0))
         vkt_fail("availability words %llu, %llu (expected 0, 0)", (unsigned long long)data[1],
                  (unsigned long long)data[3]);
      if (!avail && (data[1] != 0xdeadbeefull || data[3] != 7))
         vkt_fail("the words between results were written without WITH_AVAILABILITY");
   }
   vkDestroyQueryPool(t->device, pool, NULL);
   printf("vkGetQueryPoolResults of reset queries: VK_NOT_READY, values untouched\n");
}

int
main(void)
{
   struct vkt t;
   vkt_init(&t, "what the CTS found: a layout destroyed before submission, unready queries");
   layout_destroyed_before_submit(&t);
   query_results_not_ready(&t);
   vkt_finish(&t);
   vkt_pass(&t);
   return 0;
}
