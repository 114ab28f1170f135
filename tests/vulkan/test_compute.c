/*
 * Compute through the loopback: saxpy (y = a*x + y) on 1M floats with a
 * SPIR-V shader compiled at build time, storage buffers in a descriptor set,
 * push constants; every value is checked.  The inputs make the products and
 * sums exact in float, so the comparison is exact.
 */
#include "vkt.h"

#define N (1u << 20)

int
main(void)
{
   struct vkt t;
   vkt_init(&t, "compute saxpy 1M floats");
   struct vkt_buffer x, y;
   const VkMemoryPropertyFlags host =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
   vkt_buffer(&t, N * sizeof(float), VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, host, &x);
   vkt_buffer(&t, N * sizeof(float), VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, host, &y);
   float *xs = x.map, *ys = y.map;
   for (uint32_t i = 0; i < N; i++) {
      xs[i] = (float)i;
      ys[i] = (float)(2 * i);
   }

   const VkDescriptorSetLayoutBinding bindings[2] = {
      { 0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
      { 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
   };
   const VkDescriptorSetLayoutCreateInfo dslci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .bindingCount = 2,
      .pBindings = bindings,
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
   VkPipelineLayout layout;
   VKT_VK(vkCreatePipelineLayout(t.device, &plci, NULL, &layout));
   VkShaderModule shader = vkt_shader(&t, "saxpy.comp.spv");
   const VkComputePipelineCreateInfo cpci = {
      .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
      .stage = { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                 .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                 .module = shader,
                 .pName = "main" },
      .layout = layout,
   };
   VkPipeline pipeline;
   VKT_VK(vkCreateComputePipelines(t.device, VK_NULL_HANDLE, 1, &cpci, NULL, &pipeline));
   VKT_CHECK(pipeline != VK_NULL_HANDLE);

   const VkDescriptorPoolSize size = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2 };
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
   VkDescriptorSet set;
   VKT_VK(vkAllocateDescriptorSets(t.device, &dsai, &set));
   const VkDescriptorBufferInfo infos[2] = { { x.buffer, 0, VK_WHOLE_SIZE },
                                             { y.buffer, 0, VK_WHOLE_SIZE } };
   const VkWriteDescriptorSet write = {
      .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
      .dstSet = set,
      .descriptorCount = 2,
      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .pBufferInfo = infos,
   };
   vkUpdateDescriptorSets(t.device, 1, &write, 0, NULL);

   VkCommandBuffer cmd = vkt_begin(&t);
   vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
   vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, NULL);
   const struct {
      float a;
      uint32_t n;
   } pc = { 3.0f, N };
   vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(pc), &pc);
   vkCmdDispatch(cmd, N / 256, 1, 1);
   const VkMemoryBarrier barrier = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
   };
   vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                        &barrier, 0, NULL, 0, NULL);
   vkt_submit_wait(&t, cmd);

   for (uint32_t i = 0; i < N; i++) {
      if (ys[i] != (float)(5 * i))
         vkt_fail("y[%u] = %f, expected %f", i, ys[i], (float)(5 * i));
   }
   vkDestroyPipeline(t.device, pipeline, NULL);
   vkDestroyShaderModule(t.device, shader, NULL);
   vkDestroyDescriptorPool(t.device, pool, NULL);
   vkDestroyPipelineLayout(t.device, layout, NULL);
   vkDestroyDescriptorSetLayout(t.device, dsl, NULL);
   vkt_buffer_destroy(&t, &x);
   vkt_buffer_destroy(&t, &y);
   vkt_finish(&t);
   vkt_pass(&t);
   return 0;
}
