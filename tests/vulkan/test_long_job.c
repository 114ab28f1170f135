/*
 * Slow valid work is not a hang: one GPU job of more than 10 s (the
 * renderer's idle timeout) goes through the loopback and completes with the
 * right result, and the device goes on working after it.
 *
 * The job is submitted on a queue that has already held a batch back for a
 * timeline value (wait-before-signal, released by a host signal), which is
 * when the renderer watches queue commands for a host driver that blocks
 * for ever (vlr_watchdog.c), and a second submission waits for the job's
 * binary semaphore, which lavapipe makes a vkQueueSubmit that lasts as long
 * as the job: a watchdog that took that for a hang would lose the device.
 *
 * Each invocation of the job steps a 32-bit LCG 60000 times from its own
 * seed and adds the result into one word; the CPU checks the sum, composing
 * the LCG's affine map in log2(n) steps per invocation.  The number of
 * invocations is calibrated on this machine first (short runs, then scaled
 * to about 12 s).
 */
#include <stdio.h>
#include <time.h>

#include "vkt.h"

#define LCG_A    1664525u
#define LCG_C    1013904223u
#define TARGET_S 13.0

/* x stepped n times */
static uint32_t
lcg_jump(uint32_t x, uint64_t n)
{
   uint32_t a = LCG_A, c = LCG_C; /* the map f^(2^k) = x -> a x + c */
   uint32_t ra = 1, rc = 0;       /* the composition so far */
   for (; n; n >>= 1) {
      if (n & 1) {
         ra = a * ra;
         rc = a * rc + c;
      }
      c = a * c + c;
      a = a * a;
   }
   return ra * x + rc;
}

struct job {
   VkPipelineLayout layout;
   VkPipeline pipeline;
   VkDescriptorSet set;
   struct vkt_buffer result;
};

static double
now_s(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Steps per invocation: under the 65535 iterations llvmpipe allows a loop
 * on a CPU device, a hundred times more on a GPU (whose thousands of lanes
 * would otherwise need more invocations than one dispatch holds). */
static uint32_t steps = 60000u;

/* Dispatches groups x 64 invocations of steps steps each (groups a
 * multiple of 1024: a grid of 1024 x groups/1024); the wall time of submit
 * and wait.  With wait_for, the batch first waits for a timeline value the
 * host then signals. */
static double
run(struct vkt *t, struct job *j, uint32_t groups, uint32_t seed, VkSemaphore wait_for,
    uint64_t wait_value, VkSemaphore then)
{
   *(volatile uint32_t *)j->result.map = 0;
   const uint32_t gx = groups < 1024 ? groups : 1024, gy = groups < 1024 ? 1 : groups / 1024;
   VkCommandBuffer cmd = vkt_begin(t);
   vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, j->pipeline);
   vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, j->layout, 0, 1, &j->set, 0, NULL);
   const uint32_t pc[2] = { seed, steps };
   vkCmdPushConstants(cmd, j->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(pc), pc);
   vkCmdDispatch(cmd, gx, gy, 1);
   VKT_VK(vkEndCommandBuffer(cmd));
   const VkTimelineSemaphoreSubmitInfo tl = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .waitSemaphoreValueCount = wait_for ? 1 : 0,
      .pWaitSemaphoreValues = &wait_value,
   };
   const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
   const VkSubmitInfo si = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .pNext = &tl,
      .waitSemaphoreCount = wait_for ? 1 : 0,
      .pWaitSemaphores = &wait_for,
      .pWaitDstStageMask = &stage,
      .commandBufferCount = 1,
      .pCommandBuffers = &cmd,
      .signalSemaphoreCount = then ? 1 : 0,
      .pSignalSemaphores = &then,
   };
   /* then: a second batch waits for the job's binary semaphore; lavapipe's
    * queue, once it has a submit thread, blocks inside that vkQueueSubmit
    * until the job's batch went to the driver, which executes it there and
    * then: the call lasts as long as the job */
   const VkSubmitInfo after = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .waitSemaphoreCount = 1,
      .pWaitSemaphores = &then,
      .pWaitDstStageMask = &stage,
   };
   const VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
   VkFence fence;
   VKT_VK(vkCreateFence(t->device, &fci, NULL, &fence));
   const double start = now_s();
   VKT_VK(vkQueueSubmit(t->queue, 1, &si, then ? VK_NULL_HANDLE : fence));
   if (then)
      VKT_VK(vkQueueSubmit(t->queue, 1, &after, fence));
   if (wait_for) {
      /* wait-before-signal: the batch waits until the host signals */
      VKT_CHECK(vkGetFenceStatus(t->device, fence) == VK_NOT_READY);
      const VkSemaphoreSignalInfo signal = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                             .semaphore = wait_for,
                                             .value = wait_value };
      VKT_VK(vkSignalSemaphore(t->device, &signal));
   }
   VKT_VK(vkWaitForFences(t->device, 1, &fence, VK_TRUE, 120ull * 1000 * 1000 * 1000));
   const double wall = now_s() - start;
   vkDestroyFence(t->device, fence, NULL);
   vkFreeCommandBuffers(t->device, t->pool, 1, &cmd);
   const uint32_t got = *(volatile uint32_t *)j->result.map;
   uint32_t want = 0;
   for (uint32_t id = 0; id < gx * gy * 64; id++)
      want += lcg_jump(seed + id, steps);
   if (got != want)
      vkt_fail("%u invocations of %u steps from %u: the GPU's sum is %u, the CPU's %u",
               gx * gy * 64, steps, seed, got, want);
   return wall;
}

int
main(void)
{
   struct vkt t;
   vkt_init(&t, "a GPU job longer than the renderer's idle timeout completes");
   struct job j;
   vkt_buffer(&t, 256, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
              VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
              &j.result);
   const VkDescriptorSetLayoutBinding binding = { 0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                                                  VK_SHADER_STAGE_COMPUTE_BIT, NULL };
   const VkDescriptorSetLayoutCreateInfo dslci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .bindingCount = 1,
      .pBindings = &binding,
   };
   VkDescriptorSetLayout dsl;
   VKT_VK(vkCreateDescriptorSetLayout(t.device, &dslci, NULL, &dsl));
   const VkPushConstantRange range = { VK_SHADER_STAGE_COMPUTE_BIT, 0, 8 };
   const VkPipelineLayoutCreateInfo plci = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
      .setLayoutCount = 1,
      .pSetLayouts = &dsl,
      .pushConstantRangeCount = 1,
      .pPushConstantRanges = &range,
   };
   VKT_VK(vkCreatePipelineLayout(t.device, &plci, NULL, &j.layout));
   VkShaderModule shader = vkt_shader(&t, "spin.comp.spv");
   const VkComputePipelineCreateInfo cpci = {
      .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
      .stage = { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                 .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                 .module = shader,
                 .pName = "main" },
      .layout = j.layout,
   };
   VKT_VK(vkCreateComputePipelines(t.device, VK_NULL_HANDLE, 1, &cpci, NULL, &j.pipeline));
   const VkDescriptorPoolSize size = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1 };
   const VkDescriptorPoolCreateInfo dpci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
      .maxSets = 1,
      .poolSizeCount = 1,
      .pPoolSizes = &size,
   };
   VkDescriptorPool pool;
   VKT_VK(vkCreateDescriptorPool(t.device, &dpci, NULL, &pool));
   const VkDescriptorSetAllocateInfo dsai = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
      .descriptorPool = pool,
      .descriptorSetCount = 1,
      .pSetLayouts = &dsl,
   };
   VKT_VK(vkAllocateDescriptorSets(t.device, &dsai, &j.set));
   const VkDescriptorBufferInfo dbi = { j.result.buffer, 0, VK_WHOLE_SIZE };
   const VkWriteDescriptorSet w = {
      .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
      .dstSet = j.set,
      .descriptorCount = 1,
      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .pBufferInfo = &dbi,
   };
   vkUpdateDescriptorSets(t.device, 1, &w, 0, NULL);

   /* the queue holds a batch back for a timeline value, then goes on */
   const VkSemaphoreTypeCreateInfo type = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                            .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE };
   const VkSemaphoreCreateInfo sci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                       .pNext = &type };
   VkSemaphore timeline;
   VKT_VK(vkCreateSemaphore(t.device, &sci, NULL, &timeline));
   if (t.props.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU)
      steps = 6000000u;
   run(&t, &j, 1, 7, timeline, 1, VK_NULL_HANDLE);
   const VkSemaphoreCreateInfo bci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO };
   VkSemaphore binary;
   VKT_VK(vkCreateSemaphore(t.device, &bci, NULL, &binary));

   /* calibrate: 1024 groups, doubled until they take 0.5 s; then ~12 s */
   uint32_t groups = 1024;
   double wall = run(&t, &j, groups, 11, VK_NULL_HANDLE, 0, VK_NULL_HANDLE);
   while (wall < 0.5 && groups < (1u << 20)) {
      groups *= 2;
      wall = run(&t, &j, groups, 11, VK_NULL_HANDLE, 0, VK_NULL_HANDLE);
   }
   const double scaled = (double)groups * TARGET_S / (wall > 1e-3 ? wall : 1e-3);
   groups = scaled > (double)(65535u * 1024u) ? (65535u * 1024u)
                                              : ((uint32_t)scaled + 1023) / 1024 * 1024;
   wall = run(&t, &j, groups, 13, VK_NULL_HANDLE, 0, binary);
   printf("a job of %u invocations x %u steps took %.1f s\n", groups * 64, steps, wall);
   for (int again = 0; again < 2 && wall < 11 && groups < (65535u * 1024u); again++) {
      /* the machine got faster than calibrated (it is shared): longer */
      const double more = (double)groups * TARGET_S / wall;
      const uint32_t up =
         more > (double)(65535u * 1024u) ? (65535u * 1024u) : ((uint32_t)more + 1023) / 1024 * 1024;
      groups = up > groups ? up : groups + 1024;
      wall = run(&t, &j, groups, 13 + (uint32_t)again, VK_NULL_HANDLE, 0, binary);
      printf("a job of %u invocations x %u steps took %.1f s\n", groups * 64, steps, wall);
   }
   if (wall < 10.5)
      vkt_fail("no job longer than the 10 s idle timeout could be made (%.1f s)", wall);

   /* the device still works */
   run(&t, &j, 1, 17, VK_NULL_HANDLE, 0, VK_NULL_HANDLE);

   vkDestroySemaphore(t.device, binary, NULL);
   vkDestroySemaphore(t.device, timeline, NULL);
   vkDestroyDescriptorPool(t.device, pool, NULL);
   vkDestroyPipeline(t.device, j.pipeline, NULL);
   vkDestroyShaderModule(t.device, shader, NULL);
   vkDestroyPipelineLayout(t.device, j.layout, NULL);
   vkDestroyDescriptorSetLayout(t.device, dsl, NULL);
   vkt_buffer_destroy(&t, &j.result);
   vkt_finish(&t);
   vkt_pass(&t);
   return 0;
}
