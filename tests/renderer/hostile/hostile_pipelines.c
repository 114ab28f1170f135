/*
 * Pipelines, pipeline layouts, samplers and dynamic state (renderer/check/check_pipelines.c
 * and the generated enum checks).
 */
#include "hostile.h"

/* A device with the core features at `features` (VkPhysicalDeviceFeatures2)
 * or an extension's: its id. */
static VkDevice
device_with(const char *extension, const void *features)
{
   const VkDevice dev = H(VkDevice, new_id());
   create_device((uint64_t)(uintptr_t)dev, extension, features);
   return dev;
}

static void
test_push_constants_past_the_limit(void **state)
{
   (void)state;
   const VkCommandBuffer cb = recording();
   const VkPipelineLayoutCreateInfo plci = { .sType =
                                                VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO };
   VkPipelineLayout layout = (VkPipelineLayout)(uintptr_t)0x420;
   vl_encode_vkCreatePipelineLayout(&g.enc, 0, device(), &plci, NULL, &layout);
   uint8_t data[16] = { 0 };
   /* valid: the last 8 of the host's 128 bytes (maxPushConstantsSize), in
    * a layout whose range ends there */
   const VkPushConstantRange range = { VK_SHADER_STAGE_COMPUTE_BIT, 0, 128 };
   const VkPipelineLayoutCreateInfo pushing = { .sType =
                                                   VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                                .pushConstantRangeCount = 1,
                                                .pPushConstantRanges = &range };
   VkPipelineLayout all = H(VkPipelineLayout, new_id());
   vl_encode_vkCreatePipelineLayout(&g.enc, 0, device(), &pushing, NULL, &all);
   vl_encode_vkCmdPushConstants(&g.enc, 0, cb, all, VK_SHADER_STAGE_COMPUTE_BIT, 120, 8, data);
   expect_accepted();
   /* offset + size wraps around 2^32 */
   vl_encode_vkCmdPushConstants(&g.enc, 0, cb, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0xfffffff8u, 16,
                                data);
   expect_lost("push constant bytes 4294967288+16 exceed the host's limit");
}

static void
test_pipeline_with_a_sample_count_that_is_no_count(void **state)
{
   (void)state;
   /* valid: 4 samples (lavapipe supports 1 and 4), with a render pass
    * of 4 samples */
   graphics_pipeline_on(device(), color_pass_on(device(), VK_SAMPLE_COUNT_4_BIT),
                        VK_SAMPLE_COUNT_4_BIT);
   expect_accepted();
   /* the renderer fuzzer's read fault inside lavapipe's
    * vkCreateGraphicsPipelines (refused before the stages are looked at) */
   const VkPipelineLayoutCreateInfo plci = { .sType =
                                                VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO };
   VkPipelineLayout layout = (VkPipelineLayout)(uintptr_t)0x420;
   vl_encode_vkCreatePipelineLayout(&g.enc, 0, device(), &plci, NULL, &layout);
   const VkPipelineMultisampleStateCreateInfo ms = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
      .rasterizationSamples = (VkSampleCountFlagBits)0x10000001,
   };
   const VkGraphicsPipelineCreateInfo ci = { .sType =
                                                VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
                                             .pMultisampleState = &ms,
                                             .layout = layout };
   VkPipeline pipeline = (VkPipeline)(uintptr_t)0x421;
   vl_encode_vkCreateGraphicsPipelines(&g.enc, 0, device(), VK_NULL_HANDLE, 1, &ci, NULL,
                                       &pipeline);
   expect_lost("a VkSampleCountFlagBits value that Vulkan does not define: 0x10000001");
}

static void
test_sampler_with_a_border_color_that_does_not_exist(void **state)
{
   (void)state;
   /* the renderer fuzzer's: lavapipe jumped into data translating it */
   VkSamplerCreateInfo info = { .sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
                                .borderColor = VK_BORDER_COLOR_INT_OPAQUE_WHITE };
   VkSampler sampler = (VkSampler)(uintptr_t)0x422;
   vl_encode_vkCreateSampler(&g.enc, 0, device(), &info, NULL, &sampler);
   assert_true(submit());
   begin();
   /* borderColor is ignored without a border address mode, and valid
    * Vulkan may leave anything there (vk.xml: noautovalidity): the
    * refusing policy makes it a defined value instead of refusing it */
   info.borderColor = (VkBorderColor)65536;
   info.compareOp = (VkCompareOp)-7;
   sampler = (VkSampler)(uintptr_t)0x423;
   vl_encode_vkCreateSampler(&g.enc, 0, device(), &info, NULL, &sampler);
   assert_true(submit());
   begin();
   /* a filter is always used: a value Vulkan does not define is refused
    * (the generated enum checks) */
   info.magFilter = (VkFilter)99;
   sampler = (VkSampler)(uintptr_t)0x424;
   vl_encode_vkCreateSampler(&g.enc, 0, device(), &info, NULL, &sampler);
   expect_lost("a VkFilter value that Vulkan does not define: 0x63");
}

static void
test_viewports_past_the_limit(void **state)
{
   (void)state;
   const VkCommandBuffer cb = recording();
   const VkViewport vp = { 0, 0, 1, 1, 0, 1 };
   /* valid, with the multiViewport feature: the last of the host's 16
    * (maxViewports), and all 16 */
   const VkPhysicalDeviceFeatures2 multi = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                             .features = { .multiViewport = VK_TRUE } };
   const VkCommandBuffer other = recording_on(device_with(NULL, &multi));
   VkViewport sixteen[16];
   for (int i = 0; i < 16; i++)
      sixteen[i] = vp;
   vl_encode_vkCmdSetViewport(&g.enc, 0, other, 15, 1, &vp);
   vl_encode_vkCmdSetViewport(&g.enc, 0, other, 0, 16, sixteen);
   expect_accepted();
   vl_encode_vkCmdSetViewport(&g.enc, 0, cb, 4096, 1, &vp);
   expect_lost("viewports 4096+1 exceed the host's limit");
}

static void
test_blend_state_of_attachments_past_the_limit(void **state)
{
   (void)state;
   /* lavapipe keeps blend state in a table of maxColorAttachments entries */
   const VkCommandBuffer cb = recording();
   const VkBool32 on = VK_TRUE;
   /* valid, with the extension and feature: the last of the host's 8 */
   const VkPhysicalDeviceExtendedDynamicState3FeaturesEXT eds3 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTENDED_DYNAMIC_STATE_3_FEATURES_EXT,
      .extendedDynamicState3ColorBlendEnable = VK_TRUE,
   };
   const VkCommandBuffer other =
      recording_on(device_with(VK_EXT_EXTENDED_DYNAMIC_STATE_3_EXTENSION_NAME, &eds3));
   vl_encode_vkCmdSetColorBlendEnableEXT(&g.enc, 0, other, 7, 1, &on);
   expect_accepted();
   vl_encode_vkCmdSetColorBlendEnableEXT(&g.enc, 0, cb, UINT32_MAX, 1, &on);
   expect_lost("color attachments 4294967295+1 exceed the host's limit of");
}

static void
test_sample_mask_of_no_samples(void **state)
{
   (void)state;
   /* no words of mask, and the host reads the first */
   const VkCommandBuffer cb = recording();
   const VkSampleMask mask = 1;
   /* valid, with the extension and feature: 64 samples, two words */
   const VkPhysicalDeviceExtendedDynamicState3FeaturesEXT eds3 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTENDED_DYNAMIC_STATE_3_FEATURES_EXT,
      .extendedDynamicState3SampleMask = VK_TRUE,
   };
   const VkCommandBuffer other =
      recording_on(device_with(VK_EXT_EXTENDED_DYNAMIC_STATE_3_EXTENSION_NAME, &eds3));
   const VkSampleMask words[2] = { ~0u, ~0u };
   vl_encode_vkCmdSetSampleMaskEXT(&g.enc, 0, other, VK_SAMPLE_COUNT_64_BIT, words);
   expect_accepted();
   vl_encode_vkCmdSetSampleMaskEXT(&g.enc, 0, cb, (VkSampleCountFlagBits)0, &mask);
   expect_lost("a VkSampleCountFlagBits value that Vulkan does not define: 0x0");
}

static void
test_push_constants_without_a_range_for_the_stage(void **state)
{
   (void)state;
   /* the fuzzer's: lavapipe's compiled shader read the block through a
    * pointer it sets only for the stages the layout's ranges name */
   const uint64_t module =
      shader_module_on(device(), hostile_push_constant_spirv, hostile_push_constant_spirv_size);
   const VkPipelineShaderStageCreateInfo stage = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
      .stage = VK_SHADER_STAGE_COMPUTE_BIT,
      .module = H(VkShaderModule, module),
      .pName = "main",
   };
   VkPushConstantRange range = { VK_SHADER_STAGE_COMPUTE_BIT, 0, 4 };
   const VkPipelineLayoutCreateInfo plci = { .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                             .pushConstantRangeCount = 1,
                                             .pPushConstantRanges = &range };
   VkComputePipelineCreateInfo ci = { .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
                                      .stage = stage };
   /* valid: the layout's range names the compute stage */
   VkPipelineLayout layout = H(VkPipelineLayout, new_id());
   vl_encode_vkCreatePipelineLayout(&g.enc, 0, device(), &plci, NULL, &layout);
   ci.layout = layout;
   VkPipeline pipeline = H(VkPipeline, new_id());
   vl_encode_vkCreateComputePipelines(&g.enc, 0, device(), VK_NULL_HANDLE, 1, &ci, NULL, &pipeline);
   expect_accepted();
   /* the same shader with a range for the vertex stage only */
   range.stageFlags = VK_SHADER_STAGE_VERTEX_BIT;
   layout = H(VkPipelineLayout, new_id());
   vl_encode_vkCreatePipelineLayout(&g.enc, 0, device(), &plci, NULL, &layout);
   ci.layout = layout;
   pipeline = H(VkPipeline, new_id());
   vl_encode_vkCreateComputePipelines(&g.enc, 0, device(), VK_NULL_HANDLE, 1, &ci, NULL, &pipeline);
   expect_lost("declares push constants");
}

static void
test_static_viewports_without_their_array(void **state)
{
   (void)state;
   /* the fuzzer's: lavapipe copied static viewports from NULL */
   const VkRenderPass pass = color_pass_on(device(), VK_SAMPLE_COUNT_1_BIT);
   const VkRect2D scissor = { { 0, 0 }, { 32, 32 } };
   VkPipelineViewportStateCreateInfo vp = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
      .viewportCount = 1,
      .scissorCount = 1,
   };
   /* valid: dynamic viewports and scissors need no arrays */
   const VkDynamicState states[2] = { VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR };
   const VkPipelineDynamicStateCreateInfo dynamic = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO,
      .dynamicStateCount = 2,
      .pDynamicStates = states,
   };
   graphics_pipeline_with(device(), pass, VK_SAMPLE_COUNT_1_BIT, &vp, &dynamic, VK_FALSE);
   /* valid: nothing is rasterized, so the viewport state is not read */
   graphics_pipeline_with(device(), pass, VK_SAMPLE_COUNT_1_BIT, &vp, NULL, VK_TRUE);
   expect_accepted();
   /* static viewports without their array (the scissor has its own) */
   vp.pScissors = &scissor;
   graphics_pipeline_with(device(), pass, VK_SAMPLE_COUNT_1_BIT, &vp, NULL, VK_FALSE);
   expect_lost("static viewports without pViewports");
}

const struct CMUnitTest hostile_pipelines_tests[] = {
   HOSTILE_TEST(test_push_constants_past_the_limit),
   HOSTILE_TEST(test_pipeline_with_a_sample_count_that_is_no_count),
   HOSTILE_TEST(test_sampler_with_a_border_color_that_does_not_exist),
   HOSTILE_TEST(test_viewports_past_the_limit),
   HOSTILE_TEST(test_blend_state_of_attachments_past_the_limit),
   HOSTILE_TEST(test_sample_mask_of_no_samples),
   HOSTILE_TEST(test_push_constants_without_a_range_for_the_stage),
   HOSTILE_TEST(test_static_viewports_without_their_array),
};
const size_t hostile_pipelines_count =
   sizeof(hostile_pipelines_tests) / sizeof(hostile_pipelines_tests[0]);
