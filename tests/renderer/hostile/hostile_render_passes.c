/*
 * Render passes, framebuffers and render areas (renderer/check/check_render_passes.c).
 */
#include "hostile.h"

#define VIEW 0x413
#define PASS 0x414

/* A view of mip level 1 (32x32) of the image, layer 0. */
static VkImageView
mip1_view(void)
{
   image_with_memory(true);
   const VkImageViewCreateInfo vci = { .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
                                       .image = (VkImage)(uintptr_t)IMAGE,
                                       .viewType = VK_IMAGE_VIEW_TYPE_2D,
                                       .format = VK_FORMAT_R8G8B8A8_UNORM,
                                       .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 1, 1, 0,
                                                             1 } };
   VkImageView view = (VkImageView)(uintptr_t)VIEW;
   vl_encode_vkCreateImageView(&g.enc, 0, device(), &vci, NULL, &view);
   return view;
}

static VkRenderPass
clearing_render_pass_views(uint32_t view_mask)
{
   const VkAttachmentDescription att = { .format = VK_FORMAT_R8G8B8A8_UNORM,
                                         .samples = VK_SAMPLE_COUNT_1_BIT,
                                         .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
                                         .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
                                         .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
                                         .stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
                                         .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
                                         .finalLayout = VK_IMAGE_LAYOUT_GENERAL };
   const VkAttachmentReference ref = { 0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL };
   const VkSubpassDescription sub = { .pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
                                      .colorAttachmentCount = 1,
                                      .pColorAttachments = &ref };
   const VkRenderPassMultiviewCreateInfo mv = {
      .sType = VK_STRUCTURE_TYPE_RENDER_PASS_MULTIVIEW_CREATE_INFO,
      .subpassCount = 1,
      .pViewMasks = &view_mask,
   };
   const VkRenderPassCreateInfo rpci = { .sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
                                         .pNext = view_mask ? &mv : NULL,
                                         .attachmentCount = 1,
                                         .pAttachments = &att,
                                         .subpassCount = 1,
                                         .pSubpasses = &sub };
   VkRenderPass pass = (VkRenderPass)(uintptr_t)PASS;
   vl_encode_vkCreateRenderPass(&g.enc, 0, device(), &rpci, NULL, &pass);
   return pass;
}

static VkRenderPass
clearing_render_pass(void)
{
   return clearing_render_pass_views(0);
}

static void
create_framebuffer(uint64_t id, VkRenderPass pass, VkImageView view, uint32_t width)
{
   const VkFramebufferCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
                                         .renderPass = pass,
                                         .attachmentCount = 1,
                                         .pAttachments = &view,
                                         .width = width,
                                         .height = 32,
                                         .layers = 1 };
   VkFramebuffer fb = (VkFramebuffer)(uintptr_t)id;
   vl_encode_vkCreateFramebuffer(&g.enc, 0, device(), &fci, NULL, &fb);
}

static void
test_framebuffer_larger_than_its_attachment(void **state)
{
   (void)state;
   const VkImageView view = mip1_view();
   const VkRenderPass pass = clearing_render_pass();
   create_framebuffer(0x415, pass, view, 32);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   begin();
   create_framebuffer(0x416, pass, view, 33);
   expect_lost("the framebuffer attachment (32x32, 1 layers) is smaller than the 33x32, 1 layers");
}

static void
test_multiview_framebuffer_with_too_few_layers(void **state)
{
   (void)state;
   /* valid, on a device with the multiview feature: a view of two layers,
    * the most views 0 and 1 draw into */
   const VkPhysicalDeviceMultiviewFeatures multiview = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MULTIVIEW_FEATURES,
      .multiview = VK_TRUE,
   };
   const VkDevice dev = H(VkDevice, new_id());
   create_device((uint64_t)(uintptr_t)dev, NULL, &multiview);
   const VkAttachmentDescription att = { .format = VK_FORMAT_R8G8B8A8_UNORM,
                                         .samples = VK_SAMPLE_COUNT_1_BIT,
                                         .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
                                         .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
                                         .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
                                         .stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
                                         .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
                                         .finalLayout = VK_IMAGE_LAYOUT_GENERAL };
   const VkAttachmentReference ref = { 0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL };
   const VkSubpassDescription sub = { .pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
                                      .colorAttachmentCount = 1,
                                      .pColorAttachments = &ref };
   const uint32_t mask = 0x3;
   const VkRenderPassMultiviewCreateInfo mv = {
      .sType = VK_STRUCTURE_TYPE_RENDER_PASS_MULTIVIEW_CREATE_INFO,
      .subpassCount = 1,
      .pViewMasks = &mask,
   };
   const VkRenderPassCreateInfo rpci = { .sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
                                         .pNext = &mv,
                                         .attachmentCount = 1,
                                         .pAttachments = &att,
                                         .subpassCount = 1,
                                         .pSubpasses = &sub };
   VkRenderPass two_views = H(VkRenderPass, new_id());
   vl_encode_vkCreateRenderPass(&g.enc, 0, dev, &rpci, NULL, &two_views);
   const VkImageView layers = H(VkImageView, color_view_on(dev, 32, 32, 2));
   const VkFramebufferCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
                                         .renderPass = two_views,
                                         .attachmentCount = 1,
                                         .pAttachments = &layers,
                                         .width = 32,
                                         .height = 32,
                                         .layers = 1 };
   VkFramebuffer fb = H(VkFramebuffer, new_id());
   vl_encode_vkCreateFramebuffer(&g.enc, 0, dev, &fci, NULL, &fb);
   expect_accepted();
   /* views 0 and 1 are drawn into layers 0 and 1: the view has one */
   const VkImageView view = mip1_view();
   const VkRenderPass pass = clearing_render_pass_views(0x3);
   create_framebuffer(0x415, pass, view, 32);
   expect_lost("the framebuffer attachment (32x32, 1 layers) is smaller than the 32x32, 2 layers");
}

static void
test_render_area_past_the_framebuffer(void **state)
{
   (void)state;
   /* lavapipe clears the whole render area, past the image's memory */
   const VkImageView view = mip1_view();
   const VkRenderPass pass = clearing_render_pass();
   create_framebuffer(0x415, pass, view, 32);
   const VkCommandBuffer cb = recording();
   const VkClearValue clear = { .color = { .float32 = { 1, 0, 0, 1 } } };
   VkRenderPassBeginInfo rbi = { .sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
                                 .renderPass = pass,
                                 .framebuffer = (VkFramebuffer)(uintptr_t)0x415,
                                 .renderArea = { { 0, 0 }, { 32, 32 } },
                                 .clearValueCount = 1,
                                 .pClearValues = &clear };
   vl_encode_vkCmdBeginRenderPass(&g.enc, 0, cb, &rbi, VK_SUBPASS_CONTENTS_INLINE);
   vl_encode_vkCmdEndRenderPass(&g.enc, 0, cb);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   begin();
   rbi.renderArea.offset.y = 1;
   vl_encode_vkCmdBeginRenderPass(&g.enc, 0, cb, &rbi, VK_SUBPASS_CONTENTS_INLINE);
   expect_lost("the render area (0, 1) 32x32 leaves the framebuffer's 32x32");
}

static void
test_render_area_past_the_attachment(void **state)
{
   (void)state;
   /* valid, on a device with dynamic rendering: an area whose far corner
    * is the attachment's */
   const VkPhysicalDeviceDynamicRenderingFeatures dynamic = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DYNAMIC_RENDERING_FEATURES,
      .dynamicRendering = VK_TRUE,
   };
   const VkDevice dev = H(VkDevice, new_id());
   create_device((uint64_t)(uintptr_t)dev, VK_KHR_DYNAMIC_RENDERING_EXTENSION_NAME, &dynamic);
   const VkCommandBuffer other = recording_on(dev);
   const VkRenderingAttachmentInfo exact = { .sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
                                             .imageView =
                                                H(VkImageView, color_view_on(dev, 32, 32, 1)),
                                             .imageLayout = VK_IMAGE_LAYOUT_GENERAL,
                                             .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
                                             .storeOp = VK_ATTACHMENT_STORE_OP_STORE };
   const VkRenderingInfo corner = { .sType = VK_STRUCTURE_TYPE_RENDERING_INFO,
                                    .renderArea = { { 16, 16 }, { 16, 16 } },
                                    .layerCount = 1,
                                    .colorAttachmentCount = 1,
                                    .pColorAttachments = &exact };
   vl_encode_vkCmdBeginRendering(&g.enc, 0, other, &corner);
   vl_encode_vkCmdEndRendering(&g.enc, 0, other);
   expect_accepted();
   /* dynamic rendering: the attachment's view bounds the area */
   const VkImageView view = mip1_view();
   const VkCommandBuffer cb = recording();
   const VkRenderingAttachmentInfo color = { .sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
                                             .imageView = view,
                                             .imageLayout = VK_IMAGE_LAYOUT_GENERAL,
                                             .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
                                             .storeOp = VK_ATTACHMENT_STORE_OP_STORE };
   const VkRenderingInfo ri = { .sType = VK_STRUCTURE_TYPE_RENDERING_INFO,
                                .renderArea = { { 100, 100 }, { 4000, 4000 } },
                                .layerCount = 1,
                                .colorAttachmentCount = 1,
                                .pColorAttachments = &color };
   vl_encode_vkCmdBeginRendering(&g.enc, 0, cb, &ri);
   expect_lost("the attachment (32x32, 1 layers) is smaller than the 4100x4100, 1 layers");
}

const struct CMUnitTest hostile_render_passes_tests[] = {
   HOSTILE_TEST(test_framebuffer_larger_than_its_attachment),
   HOSTILE_TEST(test_render_area_past_the_framebuffer),
   HOSTILE_TEST(test_multiview_framebuffer_with_too_few_layers),
   HOSTILE_TEST(test_render_area_past_the_attachment),
};
const size_t hostile_render_passes_count =
   sizeof(hostile_render_passes_tests) / sizeof(hostile_render_passes_tests[0]);
