/*
 * Graphics through the loopback: the same scene is drawn twice into 128x128
 * RGBA8 images, once in a classic render pass and once with dynamic
 * rendering (Vulkan 1.3), with vertex and index buffers, a uniform buffer
 * and a 4x4 texture (uploaded with vkCmdCopyBufferToImage) in a descriptor
 * set, push constants and a D32 depth buffer; both images are copied to a
 * host-visible buffer.
 *
 * Without arguments this is the test: it runs itself with "--render <file>"
 * once on native lavapipe and once on the ICD it was given (the loopback),
 * and the two files must be byte-identical, since the loopback replays on
 * that same lavapipe.  Identical is not enough (two black images are
 * identical), so a few probe pixels of the native image are checked against
 * what the scene must produce: the clear colors, texels times the uniform
 * tint, and which of two overlapping primitives wins the depth test.
 */
#include "vkt.h"

#include <stddef.h>
#include <string.h>
#include <unistd.h>

#define W           128
#define H           128
#define PASSES      2
#define IMAGE_BYTES (W * H * 4)
#define TEX         4

static const VkFormat color_format = VK_FORMAT_R8G8B8A8_UNORM;
static const VkFormat depth_format = VK_FORMAT_D32_SFLOAT;

struct vertex {
   float pos[2];
   float uv[2];
   uint8_t color[4];
};

/* Matches the push-constant block of graphics.vert and graphics.frag. */
struct draw_constants {
   float offset[2];
   float depth;
   uint32_t textured;
};

/* A quad (vertices 0-3, indices 0-5) covering pixels [32, 96) in both axes,
 * with the whole texture on it, and a big triangle (vertices 4-6, indices
 * 6-8 with vertex offset 4) from (6.4, 115.2) and (121.6, 115.2) to
 * (64, 6.4) in pixels, yellow at the first vertex and green at the others,
 * so its green channel is 255 everywhere while red varies. */
static const struct vertex vertices[] = {
   { { -0.5f, -0.5f }, { 0.0f, 0.0f }, { 255, 255, 255, 255 } },
   { { 0.5f, -0.5f }, { 1.0f, 0.0f }, { 255, 255, 255, 255 } },
   { { 0.5f, 0.5f }, { 1.0f, 1.0f }, { 255, 255, 255, 255 } },
   { { -0.5f, 0.5f }, { 0.0f, 1.0f }, { 255, 255, 255, 255 } },
   { { -0.9f, 0.8f }, { 0.0f, 0.0f }, { 255, 255, 0, 255 } },
   { { 0.9f, 0.8f }, { 0.0f, 0.0f }, { 0, 255, 0, 255 } },
   { { 0.0f, -0.9f }, { 0.0f, 0.0f }, { 0, 255, 0, 255 } },
};
static const uint16_t indices[] = { 0, 1, 2, 2, 3, 0, 0, 1, 2 };

struct draw {
   uint32_t first_index, index_count;
   int32_t vertex_offset;
   struct draw_constants constants;
};

/* Each pass draws the front primitive first, so that a depth test that did
 * nothing would let the back one overwrite it.  The first pass puts the
 * triangle in front; the second puts the quad in front and moves it right
 * by 16 pixels. */
static const struct draw draws[PASSES][2] = {
   { { 6, 3, 4, { { 0.0f, 0.0f }, 0.25f, 0 } }, { 0, 6, 0, { { 0.0f, 0.0f }, 0.75f, 1 } } },
   { { 0, 6, 0, { { 0.25f, 0.0f }, 0.25f, 1 } }, { 6, 3, 4, { { 0.0f, 0.0f }, 0.75f, 0 } } },
};

/* Values chosen so that every probed color is exact: clear colors and the
 * tint are k/255, texels are 0 or 255, so texel * tint is k/255 too. */
static const uint8_t clear_rgba[PASSES][4] = { { 32, 64, 96, 255 }, { 96, 32, 64, 255 } };
static const uint8_t tint_rgba[4] = { 200, 100, 50, 255 };
static const uint8_t white[4] = { 255, 255, 255, 255 };
static const uint8_t red[4] = { 255, 0, 0, 255 };
static const char *const pass_names[PASSES] = { "render pass", "dynamic rendering" };

/* Checkerboard: texel (x, y) is red when x + y is odd. */
static const uint8_t *
texel(uint32_t x, uint32_t y)
{
   return (x + y) & 1 ? red : white;
}

struct image {
   VkImage image;
   VkDeviceMemory memory;
   VkImageView view;
};

static void
image_create(struct vkt *t, VkFormat format, VkImageUsageFlags usage, VkImageAspectFlags aspect,
             uint32_t w, uint32_t h, struct image *out)
{
   const VkImageCreateInfo ici = {
      .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
      .imageType = VK_IMAGE_TYPE_2D,
      .format = format,
      .extent = { w, h, 1 },
      .mipLevels = 1,
      .arrayLayers = 1,
      .samples = VK_SAMPLE_COUNT_1_BIT,
      .tiling = VK_IMAGE_TILING_OPTIMAL,
      .usage = usage,
      .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
   };
   VKT_VK(vkCreateImage(t->device, &ici, NULL, &out->image));
   VkMemoryRequirements reqs;
   vkGetImageMemoryRequirements(t->device, out->image, &reqs);
   const VkMemoryAllocateInfo mai = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
      .allocationSize = reqs.size,
      .memoryTypeIndex =
         vkt_memory_type(t, reqs.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT),
   };
   VKT_VK(vkAllocateMemory(t->device, &mai, NULL, &out->memory));
   VKT_VK(vkBindImageMemory(t->device, out->image, out->memory, 0));
   const VkImageViewCreateInfo ivci = {
      .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
      .image = out->image,
      .viewType = VK_IMAGE_VIEW_TYPE_2D,
      .format = format,
      .subresourceRange = { aspect, 0, 1, 0, 1 },
   };
   VKT_VK(vkCreateImageView(t->device, &ivci, NULL, &out->view));
}

static void
image_destroy(struct vkt *t, struct image *img)
{
   vkDestroyImageView(t->device, img->view, NULL);
   vkDestroyImage(t->device, img->image, NULL);
   vkFreeMemory(t->device, img->memory, NULL);
}

/* Image barriers go through synchronization2, which vkt_init enables. */
static VkImageMemoryBarrier2
layout_barrier(VkImage image, VkImageAspectFlags aspect, VkPipelineStageFlags2 src_stage,
               VkAccessFlags2 src_access, VkPipelineStageFlags2 dst_stage,
               VkAccessFlags2 dst_access, VkImageLayout from, VkImageLayout to)
{
   return (VkImageMemoryBarrier2){
      .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2,
      .srcStageMask = src_stage,
      .srcAccessMask = src_access,
      .dstStageMask = dst_stage,
      .dstAccessMask = dst_access,
      .oldLayout = from,
      .newLayout = to,
      .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
      .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
      .image = image,
      .subresourceRange = { aspect, 0, 1, 0, 1 },
   };
}

static void
image_barriers(VkCommandBuffer cmd, uint32_t count, const VkImageMemoryBarrier2 *barriers)
{
   const VkDependencyInfo dep = {
      .sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
      .imageMemoryBarrierCount = count,
      .pImageMemoryBarriers = barriers,
   };
   vkCmdPipelineBarrier2(cmd, &dep);
}

/* One pipeline per pass: the render-pass one names the render pass, the
 * dynamic-rendering one has none and gives the formats in pnext instead. */
static VkPipeline
pipeline_create(struct vkt *t, VkPipelineLayout layout, VkShaderModule vs, VkShaderModule fs,
                VkRenderPass render_pass, const void *pnext)
{
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
   const VkVertexInputBindingDescription binding = { 0, sizeof(struct vertex),
                                                     VK_VERTEX_INPUT_RATE_VERTEX };
   const VkVertexInputAttributeDescription attributes[3] = {
      { 0, 0, VK_FORMAT_R32G32_SFLOAT, offsetof(struct vertex, pos) },
      { 1, 0, VK_FORMAT_R32G32_SFLOAT, offsetof(struct vertex, uv) },
      { 2, 0, VK_FORMAT_R8G8B8A8_UNORM, offsetof(struct vertex, color) },
   };
   const VkPipelineVertexInputStateCreateInfo vertex_input = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
      .vertexBindingDescriptionCount = 1,
      .pVertexBindingDescriptions = &binding,
      .vertexAttributeDescriptionCount = 3,
      .pVertexAttributeDescriptions = attributes,
   };
   const VkPipelineInputAssemblyStateCreateInfo input_assembly = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
      .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST,
   };
   const VkPipelineViewportStateCreateInfo viewport = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
      .viewportCount = 1,
      .scissorCount = 1,
   };
   const VkPipelineRasterizationStateCreateInfo raster = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
      .polygonMode = VK_POLYGON_MODE_FILL,
      .cullMode = VK_CULL_MODE_NONE,
      .frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE,
      .lineWidth = 1.0f,
   };
   const VkPipelineMultisampleStateCreateInfo multisample = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
      .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT,
   };
   const VkPipelineDepthStencilStateCreateInfo depth = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO,
      .depthTestEnable = VK_TRUE,
      .depthWriteEnable = VK_TRUE,
      .depthCompareOp = VK_COMPARE_OP_LESS,
   };
   const VkPipelineColorBlendAttachmentState blend_attachment = {
      .colorWriteMask = VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT |
                        VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT,
   };
   const VkPipelineColorBlendStateCreateInfo blend = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
      .attachmentCount = 1,
      .pAttachments = &blend_attachment,
   };
   const VkDynamicState dynamic_states[2] = { VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR };
   const VkPipelineDynamicStateCreateInfo dynamic = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO,
      .dynamicStateCount = 2,
      .pDynamicStates = dynamic_states,
   };
   const VkGraphicsPipelineCreateInfo gpci = {
      .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
      .pNext = pnext,
      .stageCount = 2,
      .pStages = stages,
      .pVertexInputState = &vertex_input,
      .pInputAssemblyState = &input_assembly,
      .pViewportState = &viewport,
      .pRasterizationState = &raster,
      .pMultisampleState = &multisample,
      .pDepthStencilState = &depth,
      .pColorBlendState = &blend,
      .pDynamicState = &dynamic,
      .layout = layout,
      .renderPass = render_pass,
   };
   VkPipeline pipeline;
   VKT_VK(vkCreateGraphicsPipelines(t->device, VK_NULL_HANDLE, 1, &gpci, NULL, &pipeline));
   VKT_CHECK(pipeline != VK_NULL_HANDLE);
   return pipeline;
}

struct scene {
   VkPipelineLayout layout;
   VkDescriptorSet set;
   struct vkt_buffer vertices, indices;
};

/* Everything a pass records between its begin and end: all state is bound
 * again in each pass rather than relying on what the previous one left. */
static void
record_draws(VkCommandBuffer cmd, const struct scene *s, VkPipeline pipeline, uint32_t pass)
{
   vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline);
   const VkViewport viewport = { 0.0f, 0.0f, (float)W, (float)H, 0.0f, 1.0f };
   const VkRect2D scissor = { { 0, 0 }, { W, H } };
   vkCmdSetViewport(cmd, 0, 1, &viewport);
   vkCmdSetScissor(cmd, 0, 1, &scissor);
   const VkDeviceSize offset = 0;
   vkCmdBindVertexBuffers(cmd, 0, 1, &s->vertices.buffer, &offset);
   vkCmdBindIndexBuffer(cmd, s->indices.buffer, 0, VK_INDEX_TYPE_UINT16);
   vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, s->layout, 0, 1, &s->set, 0, NULL);
   for (uint32_t i = 0; i < 2; i++) {
      const struct draw *d = &draws[pass][i];
      vkCmdPushConstants(cmd, s->layout, VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT,
                         0, sizeof(d->constants), &d->constants);
      vkCmdDrawIndexed(cmd, d->index_count, 1, d->first_index, d->vertex_offset, 0);
   }
}

static VkClearColorValue
clear_color(uint32_t pass)
{
   VkClearColorValue c;
   for (uint32_t i = 0; i < 4; i++)
      c.float32[i] = clear_rgba[pass][i] / 255.0f;
   return c;
}

static void
upload_texture(struct vkt *t, const struct image *tex)
{
   struct vkt_buffer staging;
   vkt_buffer(t, TEX * TEX * 4, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
              VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, &staging);
   uint8_t *p = staging.map;
   for (uint32_t y = 0; y < TEX; y++) {
      for (uint32_t x = 0; x < TEX; x++)
         memcpy(p + (y * TEX + x) * 4, texel(x, y), 4);
   }
   VkCommandBuffer cmd = vkt_begin(t);
   VkImageMemoryBarrier2 b =
      layout_barrier(tex->image, VK_IMAGE_ASPECT_COLOR_BIT, VK_PIPELINE_STAGE_2_NONE, 0,
                     VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_WRITE_BIT,
                     VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
   image_barriers(cmd, 1, &b);
   const VkBufferImageCopy region = {
      .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
      .imageExtent = { TEX, TEX, 1 },
   };
   vkCmdCopyBufferToImage(cmd, staging.buffer, tex->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1,
                          &region);
   b = layout_barrier(tex->image, VK_IMAGE_ASPECT_COLOR_BIT, VK_PIPELINE_STAGE_2_COPY_BIT,
                      VK_ACCESS_2_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_2_FRAGMENT_SHADER_BIT,
                      VK_ACCESS_2_SHADER_SAMPLED_READ_BIT, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                      VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL);
   image_barriers(cmd, 1, &b);
   vkt_submit_wait(t, cmd);
   vkt_buffer_destroy(t, &staging);
}

/* The child: renders both passes on whatever ICD VK_ICD_FILENAMES names and
 * writes the two images, one after the other, to path. */
static int
render(const char *path)
{
   static char name[512];
   const char *icd = getenv("VK_ICD_FILENAMES");
   snprintf(name, sizeof(name), "graphics render on %s", icd ? icd : "default ICD");
   struct vkt t;
   vkt_init(&t, name);

   VkFormatProperties fp;
   vkGetPhysicalDeviceFormatProperties(t.physical, color_format, &fp);
   VKT_CHECK(fp.optimalTilingFeatures & VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT);
   VKT_CHECK(fp.optimalTilingFeatures & VK_FORMAT_FEATURE_SAMPLED_IMAGE_BIT);
   vkGetPhysicalDeviceFormatProperties(t.physical, depth_format, &fp);
   VKT_CHECK(fp.optimalTilingFeatures & VK_FORMAT_FEATURE_DEPTH_STENCIL_ATTACHMENT_BIT);

   const VkMemoryPropertyFlags host =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
   struct scene s;
   vkt_buffer(&t, sizeof(vertices), VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, host, &s.vertices);
   memcpy(s.vertices.map, vertices, sizeof(vertices));
   vkt_buffer(&t, sizeof(indices), VK_BUFFER_USAGE_INDEX_BUFFER_BIT, host, &s.indices);
   memcpy(s.indices.map, indices, sizeof(indices));
   struct vkt_buffer uniform;
   vkt_buffer(&t, 4 * sizeof(float), VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT, host, &uniform);
   float *tint = uniform.map;
   for (uint32_t i = 0; i < 4; i++)
      tint[i] = tint_rgba[i] / 255.0f;
   struct vkt_buffer readback;
   vkt_buffer(&t, PASSES * IMAGE_BYTES, VK_BUFFER_USAGE_TRANSFER_DST_BIT, host, &readback);

   struct image tex, color[PASSES], depth;
   image_create(&t, color_format, VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT,
                VK_IMAGE_ASPECT_COLOR_BIT, TEX, TEX, &tex);
   for (uint32_t p = 0; p < PASSES; p++) {
      image_create(&t, color_format,
                   VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
                   VK_IMAGE_ASPECT_COLOR_BIT, W, H, &color[p]);
   }
   /* One depth buffer, cleared by each pass. */
   image_create(&t, depth_format, VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT,
                VK_IMAGE_ASPECT_DEPTH_BIT, W, H, &depth);
   upload_texture(&t, &tex);

   /* Nearest filtering keeps every pixel of the quad an exact texel. */
   const VkSamplerCreateInfo sci = {
      .sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
      .magFilter = VK_FILTER_NEAREST,
      .minFilter = VK_FILTER_NEAREST,
      .mipmapMode = VK_SAMPLER_MIPMAP_MODE_NEAREST,
      .addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
      .addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
      .addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
   };
   VkSampler sampler;
   VKT_VK(vkCreateSampler(t.device, &sci, NULL, &sampler));

   const VkDescriptorSetLayoutBinding bindings[2] = {
      { 0, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1, VK_SHADER_STAGE_FRAGMENT_BIT, NULL },
      { 1, VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 1, VK_SHADER_STAGE_FRAGMENT_BIT, NULL },
   };
   const VkDescriptorSetLayoutCreateInfo dslci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .bindingCount = 2,
      .pBindings = bindings,
   };
   VkDescriptorSetLayout dsl;
   VKT_VK(vkCreateDescriptorSetLayout(t.device, &dslci, NULL, &dsl));
   const VkPushConstantRange range = { VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT, 0,
                                       sizeof(struct draw_constants) };
   const VkPipelineLayoutCreateInfo plci = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
      .setLayoutCount = 1,
      .pSetLayouts = &dsl,
      .pushConstantRangeCount = 1,
      .pPushConstantRanges = &range,
   };
   VKT_VK(vkCreatePipelineLayout(t.device, &plci, NULL, &s.layout));

   const VkDescriptorPoolSize sizes[2] = { { VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1 },
                                           { VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 1 } };
   const VkDescriptorPoolCreateInfo dpci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
      .maxSets = 1,
      .poolSizeCount = 2,
      .pPoolSizes = sizes,
   };
   VkDescriptorPool pool;
   VKT_VK(vkCreateDescriptorPool(t.device, &dpci, NULL, &pool));
   const VkDescriptorSetAllocateInfo dsai = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
      .descriptorPool = pool,
      .descriptorSetCount = 1,
      .pSetLayouts = &dsl,
   };
   VKT_VK(vkAllocateDescriptorSets(t.device, &dsai, &s.set));
   const VkDescriptorBufferInfo buffer_info = { uniform.buffer, 0, VK_WHOLE_SIZE };
   const VkDescriptorImageInfo image_info = { sampler, tex.view,
                                              VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL };
   const VkWriteDescriptorSet writes[2] = {
      { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = s.set,
        .dstBinding = 0,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
        .pBufferInfo = &buffer_info },
      { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = s.set,
        .dstBinding = 1,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER,
        .pImageInfo = &image_info },
   };
   vkUpdateDescriptorSets(t.device, 2, writes, 0, NULL);

   /* The render pass leaves the color image ready for the copy; the subpass
    * dependency makes the attachment writes visible to it. */
   const VkAttachmentDescription attachments[2] = {
      { .format = color_format,
        .samples = VK_SAMPLE_COUNT_1_BIT,
        .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
        .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
        .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
        .stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
        .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
        .finalLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL },
      { .format = depth_format,
        .samples = VK_SAMPLE_COUNT_1_BIT,
        .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
        .storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
        .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
        .stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
        .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
        .finalLayout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL },
   };
   const VkAttachmentReference color_ref = { 0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL };
   const VkAttachmentReference depth_ref = { 1, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL };
   const VkSubpassDescription subpass = {
      .pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
      .colorAttachmentCount = 1,
      .pColorAttachments = &color_ref,
      .pDepthStencilAttachment = &depth_ref,
   };
   const VkSubpassDependency dependency = {
      .srcSubpass = 0,
      .dstSubpass = VK_SUBPASS_EXTERNAL,
      .srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
      .dstStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT,
      .srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
   };
   const VkRenderPassCreateInfo rpci = {
      .sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
      .attachmentCount = 2,
      .pAttachments = attachments,
      .subpassCount = 1,
      .pSubpasses = &subpass,
      .dependencyCount = 1,
      .pDependencies = &dependency,
   };
   VkRenderPass render_pass;
   VKT_VK(vkCreateRenderPass(t.device, &rpci, NULL, &render_pass));
   const VkImageView fb_views[2] = { color[0].view, depth.view };
   const VkFramebufferCreateInfo fbci = {
      .sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
      .renderPass = render_pass,
      .attachmentCount = 2,
      .pAttachments = fb_views,
      .width = W,
      .height = H,
      .layers = 1,
   };
   VkFramebuffer framebuffer;
   VKT_VK(vkCreateFramebuffer(t.device, &fbci, NULL, &framebuffer));

   VkShaderModule vs = vkt_shader(&t, "graphics.vert.spv");
   VkShaderModule fs = vkt_shader(&t, "graphics.frag.spv");
   const VkPipelineRenderingCreateInfo rendering_formats = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO,
      .colorAttachmentCount = 1,
      .pColorAttachmentFormats = &color_format,
      .depthAttachmentFormat = depth_format,
   };
   VkPipeline pipelines[PASSES] = {
      pipeline_create(&t, s.layout, vs, fs, render_pass, NULL),
      pipeline_create(&t, s.layout, vs, fs, VK_NULL_HANDLE, &rendering_formats),
   };

   VkCommandBuffer cmd = vkt_begin(&t);

   /* Pass 0: classic render pass. */
   const VkClearValue clears[2] = { { .color = clear_color(0) }, { .depthStencil = { 1.0f, 0 } } };
   const VkRenderPassBeginInfo rpbi = {
      .sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
      .renderPass = render_pass,
      .framebuffer = framebuffer,
      .renderArea = { { 0, 0 }, { W, H } },
      .clearValueCount = 2,
      .pClearValues = clears,
   };
   vkCmdBeginRenderPass(cmd, &rpbi, VK_SUBPASS_CONTENTS_INLINE);
   record_draws(cmd, &s, pipelines[0], 0);
   vkCmdEndRenderPass(cmd);

   /* Pass 1: dynamic rendering, which does no layout transitions of its
    * own.  The depth buffer is cleared again, but only after pass 0's depth
    * writes are done. */
   VkImageMemoryBarrier2 before[2] = {
      layout_barrier(color[1].image, VK_IMAGE_ASPECT_COLOR_BIT, VK_PIPELINE_STAGE_2_NONE, 0,
                     VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
                     VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT, VK_IMAGE_LAYOUT_UNDEFINED,
                     VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL),
      layout_barrier(
         depth.image, VK_IMAGE_ASPECT_DEPTH_BIT, VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT,
         VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT,
         VK_PIPELINE_STAGE_2_EARLY_FRAGMENT_TESTS_BIT | VK_PIPELINE_STAGE_2_LATE_FRAGMENT_TESTS_BIT,
         VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_READ_BIT |
            VK_ACCESS_2_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT,
         VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL),
   };
   image_barriers(cmd, 2, before);
   const VkRenderingAttachmentInfo color_attachment = {
      .sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
      .imageView = color[1].view,
      .imageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
      .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
      .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
      .clearValue = { .color = clear_color(1) },
   };
   const VkRenderingAttachmentInfo depth_attachment = {
      .sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
      .imageView = depth.view,
      .imageLayout = VK_IMAGE_LAYOUT_DEPTH_ATTACHMENT_OPTIMAL,
      .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
      .storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
      .clearValue = { .depthStencil = { 1.0f, 0 } },
   };
   const VkRenderingInfo rendering = {
      .sType = VK_STRUCTURE_TYPE_RENDERING_INFO,
      .renderArea = { { 0, 0 }, { W, H } },
      .layerCount = 1,
      .colorAttachmentCount = 1,
      .pColorAttachments = &color_attachment,
      .pDepthAttachment = &depth_attachment,
   };
   vkCmdBeginRendering(cmd, &rendering);
   record_draws(cmd, &s, pipelines[1], 1);
   vkCmdEndRendering(cmd);
   const VkImageMemoryBarrier2 after = layout_barrier(
      color[1].image, VK_IMAGE_ASPECT_COLOR_BIT, VK_PIPELINE_STAGE_2_COLOR_ATTACHMENT_OUTPUT_BIT,
      VK_ACCESS_2_COLOR_ATTACHMENT_WRITE_BIT, VK_PIPELINE_STAGE_2_COPY_BIT,
      VK_ACCESS_2_TRANSFER_READ_BIT, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
      VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
   image_barriers(cmd, 1, &after);

   /* Both images, tightly packed, one after the other. */
   for (uint32_t p = 0; p < PASSES; p++) {
      const VkBufferImageCopy region = {
         .bufferOffset = p * IMAGE_BYTES,
         .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
         .imageExtent = { W, H, 1 },
      };
      vkCmdCopyImageToBuffer(cmd, color[p].image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                             readback.buffer, 1, &region);
   }
   const VkMemoryBarrier2 to_host = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER_2,
      .srcStageMask = VK_PIPELINE_STAGE_2_COPY_BIT,
      .srcAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT,
      .dstStageMask = VK_PIPELINE_STAGE_2_HOST_BIT,
      .dstAccessMask = VK_ACCESS_2_HOST_READ_BIT,
   };
   const VkDependencyInfo dep = {
      .sType = VK_STRUCTURE_TYPE_DEPENDENCY_INFO,
      .memoryBarrierCount = 1,
      .pMemoryBarriers = &to_host,
   };
   vkCmdPipelineBarrier2(cmd, &dep);
   vkt_submit_wait(&t, cmd);

   FILE *f = fopen(path, "wb");
   if (!f)
      vkt_fail("cannot write %s", path);
   const size_t written = fwrite(readback.map, 1, PASSES * IMAGE_BYTES, f);
   VKT_CHECK(fclose(f) == 0 && written == PASSES * IMAGE_BYTES);

   for (uint32_t p = 0; p < PASSES; p++)
      vkDestroyPipeline(t.device, pipelines[p], NULL);
   vkDestroyShaderModule(t.device, vs, NULL);
   vkDestroyShaderModule(t.device, fs, NULL);
   vkDestroyFramebuffer(t.device, framebuffer, NULL);
   vkDestroyRenderPass(t.device, render_pass, NULL);
   vkDestroyDescriptorPool(t.device, pool, NULL);
   vkDestroyPipelineLayout(t.device, s.layout, NULL);
   vkDestroyDescriptorSetLayout(t.device, dsl, NULL);
   vkDestroySampler(t.device, sampler, NULL);
   image_destroy(&t, &depth);
   for (uint32_t p = 0; p < PASSES; p++)
      image_destroy(&t, &color[p]);
   image_destroy(&t, &tex);
   vkt_buffer_destroy(&t, &readback);
   vkt_buffer_destroy(&t, &uniform);
   vkt_buffer_destroy(&t, &s.indices);
   vkt_buffer_destroy(&t, &s.vertices);
   vkt_finish(&t);
   return 0;
}

/* What a probe pixel must be. */
enum expect {
   CLEAR,
   TEXEL_EVEN, /* white texel times the tint */
   TEXEL_ODD,  /* red texel times the tint */
   TRIANGLE,   /* green 255, blue 0; red is interpolated */
};

/* Pixel centers well inside their primitives (edges at least 2.5 pixels
 * away), worked out from the geometry above: the quad spans [32, 96) in
 * pass 0 and [48, 112) x [32, 96) in pass 1, 16 pixels per texel. */
static const struct {
   uint32_t pass, x, y;
   enum expect what;
   const char *where;
} probes[] = {
   { 0, 2, 2, CLEAR, "corner" },
   { 0, 64, 64, TRIANGLE, "center, triangle in front of the quad" },
   { 0, 52, 36, TRIANGLE, "triangle in front of texel (1,0)" },
   { 0, 36, 36, TEXEL_EVEN, "quad texel (0,0) beside the triangle" },
   { 0, 36, 52, TEXEL_ODD, "quad texel (0,1) beside the triangle" },
   { 0, 64, 110, TRIANGLE, "triangle below the quad" },
   { 0, 104, 40, CLEAR, "right of the quad" },
   { 1, 2, 2, CLEAR, "corner" },
   { 1, 64, 64, TEXEL_ODD, "center, quad texel (1,2) in front of the triangle" },
   { 1, 56, 64, TEXEL_EVEN, "quad texel (0,2) in front of the triangle" },
   { 1, 52, 36, TEXEL_EVEN, "quad texel (0,0) in front of the triangle" },
   { 1, 104, 40, TEXEL_ODD, "quad texel (3,0), moved right by push constant" },
   { 1, 40, 64, TRIANGLE, "triangle left of the moved quad" },
   { 1, 36, 36, CLEAR, "left of the moved quad" },
   { 1, 64, 110, TRIANGLE, "triangle below the quad" },
};

static bool
probe_matches(const uint8_t *px, uint32_t pass, enum expect what)
{
   uint8_t want[4];
   switch (what) {
   case CLEAR:
      return !memcmp(px, clear_rgba[pass], 4);
   case TEXEL_EVEN:
   case TEXEL_ODD:
      for (uint32_t i = 0; i < 4; i++)
         want[i] = (uint8_t)((what == TEXEL_EVEN ? white : red)[i] * tint_rgba[i] / 255);
      return !memcmp(px, want, 4);
   case TRIANGLE:
      return px[1] == 255 && px[2] == 0 && px[3] == 255;
   }
   return false;
}

static char paths[2][64];

static void
remove_files(void)
{
   for (uint32_t i = 0; i < 2; i++) {
      if (paths[i][0])
         unlink(paths[i]);
   }
}

static void
read_image(const char *path, uint8_t *data)
{
   FILE *f = fopen(path, "rb");
   if (!f)
      vkt_fail("cannot read %s", path);
   const size_t n = fread(data, 1, PASSES * IMAGE_BYTES, f);
   const bool at_end = fgetc(f) == EOF;
   fclose(f);
   if (n != PASSES * IMAGE_BYTES || !at_end)
      vkt_fail("%s is not %u bytes", path, PASSES * IMAGE_BYTES);
}

/* Runs "--render path" on icd.  In a sanitized build the native reference
 * runs without leak detection: the loader unloads lavapipe when the
 * instance is destroyed, after which LeakSanitizer no longer scans
 * lavapipe's globals and reports what they held as leaks of an unnamed
 * module, which lsan.supp cannot match.  The loopback run of the same code
 * keeps leak detection, so leaks of this program are still caught. */
static bool
render_child(const char *self, const char *icd, const char *path, bool reference)
{
   if (!reference)
      return vkt_run_child(self, icd, "--render", path);
   /* the reference: the native driver alone (in layer mode, without the layer) */
   const char *old = getenv("ASAN_OPTIONS");
   char *saved = old ? strdup(old) : NULL;
   char opts[1024];
   snprintf(opts, sizeof(opts), "%s%sdetect_leaks=0", saved ? saved : "",
            saved && *saved ? ":" : "");
   setenv("ASAN_OPTIONS", opts, 1);
   const bool ok = vkt_run_native_child(self, "--render", path);
   if (saved)
      setenv("ASAN_OPTIONS", saved, 1);
   else
      unsetenv("ASAN_OPTIONS");
   free(saved);
   return ok;
}

int
main(int argc, char **argv)
{
   if (argc == 3 && !strcmp(argv[1], "--render"))
      return render(argv[2]);

   /* The test proper.  vkt_init here names the test for vkt_fail and checks
    * the ICD under test comes up at all before anything is compared. */
   struct vkt t;
   vkt_init(&t, "graphics render pass and dynamic rendering vs native");
   vkt_finish(&t);
   if (argc != 1)
      vkt_fail("usage: %s [--render <file>]", argv[0]);
   const char *icd = getenv("VK_ICD_FILENAMES");
   if (!icd || !*icd)
      vkt_fail("VK_ICD_FILENAMES does not name the ICD under test");

   atexit(remove_files);
   const char *const labels[2] = { "native", "loopback" };
   const char *const icds[2] = { vkt_native_icd(), icd };
   static uint8_t images[2][PASSES * IMAGE_BYTES];
   for (uint32_t i = 0; i < 2; i++) {
      snprintf(paths[i], sizeof(paths[i]), "/tmp/vl-graphics-%s-XXXXXX", labels[i]);
      const int fd = mkstemp(paths[i]);
      if (fd < 0) {
         paths[i][0] = '\0';
         vkt_fail("mkstemp failed");
      }
      close(fd);
      if (!render_child(argv[0], icds[i], paths[i], i == 0))
         vkt_fail("%s render (%s) failed", labels[i], icds[i]);
      read_image(paths[i], images[i]);
   }

   /* The reference must show the scene before it can vouch for the copy. */
   for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
      const uint8_t *px =
         images[0] + probes[i].pass * IMAGE_BYTES + (probes[i].y * W + probes[i].x) * 4;
      if (!probe_matches(px, probes[i].pass, probes[i].what)) {
         vkt_fail("native %s pixel (%u,%u), %s, is %u,%u,%u,%u", pass_names[probes[i].pass],
                  probes[i].x, probes[i].y, probes[i].where, px[0], px[1], px[2], px[3]);
      }
   }

   uint32_t first = UINT32_MAX, differing = 0;
   for (uint32_t px = 0; px < PASSES * W * H; px++) {
      if (memcmp(images[0] + px * 4, images[1] + px * 4, 4)) {
         if (first == UINT32_MAX)
            first = px;
         differing++;
      }
   }
   if (differing) {
      const uint8_t *a = images[0] + first * 4, *b = images[1] + first * 4;
      const uint32_t pass = first / (W * H), x = first % W, y = first / W % H;
      vkt_fail("%s pixel (%u,%u) is %u,%u,%u,%u on the loopback, %u,%u,%u,%u native "
               "(%u of %u pixels differ)",
               pass_names[pass], x, y, b[0], b[1], b[2], b[3], a[0], a[1], a[2], a[3], differing,
               PASSES * W * H);
   }
   vkt_pass(&t);
   return 0;
}
