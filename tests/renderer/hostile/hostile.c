/*
 * The hostile guests' fixture (hostile.h): a renderer context with the
 * refusing policy, the stream being encoded, and the objects most tests
 * start from.
 */
#include "hostile.h"

struct guest g;

/* HOSTILE_HOST_VALIDATION=1: the Khronos validation layer between the
 * renderer and the host, and expect_accepted() fails on any error it
 * reports (how the valid calls were checked to be valid Vulkan; slow). */
static bool validating;
static unsigned validation_errors;

static void
on_message(void *data, int severity, const char *id, const char *text)
{
   (void)data;
   if (!(severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT))
      return;
   validation_errors++;
   print_message("host-side validation error %s: %s\n", id, text);
}

void
begin(void)
{
   vl_enc_init(&g.enc, g.buf, sizeof(g.buf));
}

bool
submit(void)
{
   assert_false(g.enc.overflow);
   return vlr_context_submit(g.ctx, g.buf, (size_t)(g.enc.cur - g.buf));
}

void
expect_accepted(void)
{
   const unsigned errors = validation_errors;
   if (!submit())
      fail_msg("a valid stream was refused: %s", vlr_context_lost_message(g.ctx));
   assert_false(vlr_context_lost(g.ctx));
   if (validation_errors != errors)
      fail_msg("%u host-side validation errors in a valid stream", validation_errors - errors);
   begin();
}

void
expect_lost(const char *why)
{
   assert_false(submit());
   assert_true(vlr_context_lost(g.ctx));
   if (!strstr(vlr_context_lost_message(g.ctx), why))
      fail_msg("lost for another reason: \"%s\" (expected \"%s\")", vlr_context_lost_message(g.ctx),
               why);
   /* and stays lost: the next well-formed stream is refused too */
   begin();
   vl_encode_vkSeekReplyCommandStreamMESA(&g.enc, 0, 0);
   assert_false(submit());
}

int
hostile_setup(void **state)
{
   (void)state;
   char err[512];
   /* work that never completes is released after 200 ms, not 10 s */
   const char *v = getenv("HOSTILE_HOST_VALIDATION");
   validating = v && !strcmp(v, "1");
   validation_errors = 0;
   const struct vlr_context_options options = { .idle_timeout_ns = 200000000,
                                                .refuse_unbounded_waits = true,
                                                .guards = VLR_GUARDS_REFUSE,
                                                .host_validation = validating,
                                                .message = validating ? on_message : NULL };
   g.ctx = vlr_context_create(&options, err, sizeof(err));
   if (!g.ctx)
      fail_msg("no renderer context: %s", err);
   g.reply = calloc(1, REPLY_SIZE);
   g.reply_res = vlr_context_resource_create(g.ctx, g.reply, REPLY_SIZE);
   assert_int_not_equal(g.reply_res, 0);
   g.next_id = 0x10000;

   begin();
   const VkCommandStreamDescriptionMESA reply = { .resourceId = g.reply_res, .size = REPLY_SIZE };
   vl_encode_vkSetReplyCommandStreamMESA(&g.enc, 0, &reply);
   const VkApplicationInfo app = { .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                                   .apiVersion = VK_API_VERSION_1_2 };
   const VkInstanceCreateInfo ici = { .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                      .pApplicationInfo = &app };
   VkInstance instance = (VkInstance)(uintptr_t)INSTANCE;
   vl_encode_vkCreateInstance(&g.enc, 0, &ici, NULL, &instance);
   uint32_t count = 1;
   VkPhysicalDevice physical = (VkPhysicalDevice)(uintptr_t)PHYSICAL;
   vl_encode_vkEnumeratePhysicalDevices(&g.enc, 0, instance, &count, &physical);
   const float priority = 1.0f;
   const VkDeviceQueueCreateInfo qci = { .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                         .queueFamilyIndex = 0,
                                         .queueCount = 1,
                                         .pQueuePriorities = &priority };
   const VkPhysicalDeviceTimelineSemaphoreFeatures timeline = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES,
      .timelineSemaphore = VK_TRUE,
   };
   const VkDeviceCreateInfo dci = { .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                    .pNext = &timeline,
                                    .queueCreateInfoCount = 1,
                                    .pQueueCreateInfos = &qci };
   VkDevice device = (VkDevice)(uintptr_t)DEVICE;
   vl_encode_vkCreateDevice(&g.enc, 0, physical, &dci, NULL, &device);
   VkQueue queue = (VkQueue)(uintptr_t)QUEUE;
   vl_encode_vkGetDeviceQueue(&g.enc, 0, device, 0, 0, &queue);
   if (!submit())
      fail_msg("the well-formed set-up stream was refused: %s", vlr_context_lost_message(g.ctx));
   begin();
   return 0;
}

int
hostile_teardown(void **state)
{
   (void)state;
   vlr_context_destroy(g.ctx);
   free(g.reply);
   g.ctx = NULL;
   return 0;
}

VkDevice
device(void)
{
   return (VkDevice)(uintptr_t)DEVICE;
}

VkQueue
queue(void)
{
   return (VkQueue)(uintptr_t)QUEUE;
}

uint64_t
new_id(void)
{
   return g.next_id++;
}

void
create_buffer(uint64_t id)
{
   const VkBufferCreateInfo info = { .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                     .size = 4096,
                                     .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT };
   VkBuffer buffer = (VkBuffer)(uintptr_t)id;
   vl_encode_vkCreateBuffer(&g.enc, 0, device(), &info, NULL, &buffer);
}

void
create_fence(uint64_t id)
{
   const VkFenceCreateInfo info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
   VkFence fence = (VkFence)(uintptr_t)id;
   vl_encode_vkCreateFence(&g.enc, 0, device(), &info, NULL, &fence);
}

void
allocate_memory(uint64_t id, VkDeviceSize size)
{
   const VkMemoryAllocateInfo mai = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                      .allocationSize = size,
                                      .memoryTypeIndex = 0 };
   VkDeviceMemory memory = (VkDeviceMemory)(uintptr_t)id;
   vl_encode_vkAllocateMemory(&g.enc, 0, device(), &mai, NULL, &memory);
}

void
buffer_with_memory(bool bind, VkDeviceSize offset)
{
   create_buffer(BUF);
   if (!bind)
      return;
   allocate_memory(MEMORY, 4096);
   vl_encode_vkBindBufferMemory(&g.enc, 0, device(), (VkBuffer)(uintptr_t)BUF,
                                (VkDeviceMemory)(uintptr_t)MEMORY, offset);
}

uint64_t
bound_buffer_on(VkDevice dev, VkDeviceSize size, VkBufferUsageFlags usage)
{
   const uint64_t id = new_id();
   const VkBufferCreateInfo info = { .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                     .size = size,
                                     .usage = usage };
   VkBuffer buffer = (VkBuffer)(uintptr_t)id;
   vl_encode_vkCreateBuffer(&g.enc, 0, dev, &info, NULL, &buffer);
   /* lavapipe asks for the size rounded up to its 64-byte alignment */
   const VkMemoryAllocateInfo mai = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                      .allocationSize = (size + 63) & ~(VkDeviceSize)63,
                                      .memoryTypeIndex = 0 };
   VkDeviceMemory memory = (VkDeviceMemory)(uintptr_t)new_id();
   vl_encode_vkAllocateMemory(&g.enc, 0, dev, &mai, NULL, &memory);
   vl_encode_vkBindBufferMemory(&g.enc, 0, dev, buffer, memory, 0);
   return id;
}

uint64_t
bound_buffer(VkDeviceSize size, VkBufferUsageFlags usage)
{
   return bound_buffer_on(device(), size, usage);
}

void
create_device(uint64_t id, const char *extension, const void *features)
{
   create_device_with(id, extension ? 1 : 0, &extension, features);
}

void
create_device_with(uint64_t id, uint32_t count, const char *const *extensions, const void *features)
{
   const float priority = 1.0f;
   const VkDeviceQueueCreateInfo qci = { .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                         .queueCount = 1,
                                         .pQueuePriorities = &priority };
   const VkDeviceCreateInfo dci = { .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                    .pNext = features,
                                    .queueCreateInfoCount = 1,
                                    .pQueueCreateInfos = &qci,
                                    .enabledExtensionCount = count,
                                    .ppEnabledExtensionNames = count ? extensions : NULL };
   VkDevice dev = (VkDevice)(uintptr_t)id;
   vl_encode_vkCreateDevice(&g.enc, 0, (VkPhysicalDevice)(uintptr_t)PHYSICAL, &dci, NULL, &dev);
}

VkCommandBuffer
recording_on(VkDevice dev)
{
   const VkCommandPoolCreateInfo pci = { .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO };
   VkCommandPool pool = (VkCommandPool)(uintptr_t)new_id();
   vl_encode_vkCreateCommandPool(&g.enc, 0, dev, &pci, NULL, &pool);
   const VkCommandBufferAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                            .commandPool = pool,
                                            .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                            .commandBufferCount = 1 };
   VkCommandBuffer cb = (VkCommandBuffer)(uintptr_t)new_id();
   vl_encode_vkAllocateCommandBuffers(&g.enc, 0, dev, &ai, &cb);
   const VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
   vl_encode_vkBeginCommandBuffer(&g.enc, 0, cb, &bi);
   return cb;
}

uint64_t
shader_module_on(VkDevice dev, const uint32_t *code, size_t size)
{
   const VkShaderModuleCreateInfo info = { .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                           .codeSize = size,
                                           .pCode = code };
   VkShaderModule module = (VkShaderModule)(uintptr_t)new_id();
   vl_encode_vkCreateShaderModule(&g.enc, 0, dev, &info, NULL, &module);
   return (uint64_t)(uintptr_t)module;
}

VkRenderPass
color_pass_on(VkDevice dev, VkSampleCountFlagBits samples)
{
   const VkAttachmentDescription att = { .format = VK_FORMAT_R8G8B8A8_UNORM,
                                         .samples = samples,
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
   const VkRenderPassCreateInfo rpci = { .sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
                                         .attachmentCount = 1,
                                         .pAttachments = &att,
                                         .subpassCount = 1,
                                         .pSubpasses = &sub };
   VkRenderPass pass = (VkRenderPass)(uintptr_t)new_id();
   vl_encode_vkCreateRenderPass(&g.enc, 0, dev, &rpci, NULL, &pass);
   return pass;
}

VkPipeline
graphics_pipeline_on(VkDevice dev, VkRenderPass pass, VkSampleCountFlagBits samples)
{
   return graphics_pipeline_with(dev, pass, samples, NULL, NULL, VK_FALSE);
}

VkPipeline
graphics_pipeline_with(VkDevice dev, VkRenderPass pass, VkSampleCountFlagBits samples,
                       const VkPipelineViewportStateCreateInfo *viewports,
                       const VkPipelineDynamicStateCreateInfo *dynamic, VkBool32 discard)
{
   const VkPipelineLayoutCreateInfo plci = { .sType =
                                                VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO };
   VkPipelineLayout layout = (VkPipelineLayout)(uintptr_t)new_id();
   vl_encode_vkCreatePipelineLayout(&g.enc, 0, dev, &plci, NULL, &layout);
   const VkPipelineShaderStageCreateInfo stages[2] = {
      { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_VERTEX_BIT,
        .module = (VkShaderModule)(uintptr_t)shader_module_on(dev, hostile_vertex_spirv,
                                                              hostile_vertex_spirv_size),
        .pName = "main" },
      { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_FRAGMENT_BIT,
        .module = (VkShaderModule)(uintptr_t)shader_module_on(dev, hostile_fragment_spirv,
                                                              hostile_fragment_spirv_size),
        .pName = "main" },
   };
   const VkPipelineVertexInputStateCreateInfo vi = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO
   };
   const VkPipelineInputAssemblyStateCreateInfo ia = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
      .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST
   };
   const VkViewport viewport = { 0, 0, 32, 32, 0, 1 };
   const VkRect2D scissor = { { 0, 0 }, { 32, 32 } };
   const VkPipelineViewportStateCreateInfo vp = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
      .viewportCount = 1,
      .pViewports = &viewport,
      .scissorCount = 1,
      .pScissors = &scissor
   };
   const VkPipelineRasterizationStateCreateInfo rs = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
      .rasterizerDiscardEnable = discard,
      .polygonMode = VK_POLYGON_MODE_FILL,
      .cullMode = VK_CULL_MODE_NONE,
      .lineWidth = 1.0f
   };
   const VkPipelineMultisampleStateCreateInfo ms = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
      .rasterizationSamples = samples
   };
   const VkPipelineColorBlendAttachmentState blend = { .colorWriteMask = 0xf };
   const VkPipelineColorBlendStateCreateInfo cb_state = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
      .attachmentCount = 1,
      .pAttachments = &blend
   };
   const VkGraphicsPipelineCreateInfo gpci = { .sType =
                                                  VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
                                               .stageCount = 2,
                                               .pStages = stages,
                                               .pVertexInputState = &vi,
                                               .pInputAssemblyState = &ia,
                                               .pViewportState = viewports ? viewports : &vp,
                                               .pRasterizationState = &rs,
                                               .pMultisampleState = &ms,
                                               .pColorBlendState = &cb_state,
                                               .pDynamicState = dynamic,
                                               .layout = layout,
                                               .renderPass = pass };
   VkPipeline pipeline = (VkPipeline)(uintptr_t)new_id();
   vl_encode_vkCreateGraphicsPipelines(&g.enc, 0, dev, VK_NULL_HANDLE, 1, &gpci, NULL, &pipeline);
   return pipeline;
}

void
drawing_on(VkDevice dev, VkCommandBuffer cb)
{
   /* the colour attachment: a 32x32 image with its own memory (64 KiB is
    * more than lavapipe asks for it) */
   const VkImageCreateInfo ici = { .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                                   .imageType = VK_IMAGE_TYPE_2D,
                                   .format = VK_FORMAT_R8G8B8A8_UNORM,
                                   .extent = { 32, 32, 1 },
                                   .mipLevels = 1,
                                   .arrayLayers = 1,
                                   .samples = VK_SAMPLE_COUNT_1_BIT,
                                   .tiling = VK_IMAGE_TILING_OPTIMAL,
                                   .usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT };
   VkImage image = (VkImage)(uintptr_t)new_id();
   vl_encode_vkCreateImage(&g.enc, 0, dev, &ici, NULL, &image);
   const VkMemoryAllocateInfo mai = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                      .allocationSize = 65536,
                                      .memoryTypeIndex = 0 };
   VkDeviceMemory memory = (VkDeviceMemory)(uintptr_t)new_id();
   vl_encode_vkAllocateMemory(&g.enc, 0, dev, &mai, NULL, &memory);
   vl_encode_vkBindImageMemory(&g.enc, 0, dev, image, memory, 0);
   const VkImageViewCreateInfo vci = { .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
                                       .image = image,
                                       .viewType = VK_IMAGE_VIEW_TYPE_2D,
                                       .format = VK_FORMAT_R8G8B8A8_UNORM,
                                       .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0,
                                                             1 } };
   VkImageView view = (VkImageView)(uintptr_t)new_id();
   vl_encode_vkCreateImageView(&g.enc, 0, dev, &vci, NULL, &view);
   const VkRenderPass pass = color_pass_on(dev, VK_SAMPLE_COUNT_1_BIT);
   const VkFramebufferCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
                                         .renderPass = pass,
                                         .attachmentCount = 1,
                                         .pAttachments = &view,
                                         .width = 32,
                                         .height = 32,
                                         .layers = 1 };
   VkFramebuffer fb = (VkFramebuffer)(uintptr_t)new_id();
   vl_encode_vkCreateFramebuffer(&g.enc, 0, dev, &fci, NULL, &fb);
   const VkPipeline pipeline = graphics_pipeline_on(dev, pass, VK_SAMPLE_COUNT_1_BIT);
   const VkClearValue clear = { .color = { .float32 = { 0, 0, 0, 1 } } };
   const VkRenderPassBeginInfo rbi = { .sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
                                       .renderPass = pass,
                                       .framebuffer = fb,
                                       .renderArea = { { 0, 0 }, { 32, 32 } },
                                       .clearValueCount = 1,
                                       .pClearValues = &clear };
   vl_encode_vkCmdBeginRenderPass(&g.enc, 0, cb, &rbi, VK_SUBPASS_CONTENTS_INLINE);
   vl_encode_vkCmdBindPipeline(&g.enc, 0, cb, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline);
}

VkCommandBuffer
recording(void)
{
   const VkCommandPoolCreateInfo pci = { .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO };
   VkCommandPool pool = (VkCommandPool)(uintptr_t)POOL2;
   vl_encode_vkCreateCommandPool(&g.enc, 0, device(), &pci, NULL, &pool);
   const VkCommandBufferAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                            .commandPool = pool,
                                            .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                            .commandBufferCount = 1 };
   VkCommandBuffer cb = (VkCommandBuffer)(uintptr_t)CB2;
   vl_encode_vkAllocateCommandBuffers(&g.enc, 0, device(), &ai, &cb);
   const VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
   vl_encode_vkBeginCommandBuffer(&g.enc, 0, cb, &bi);
   return cb;
}

void
image_with_memory(bool bind)
{
   const VkImageCreateInfo ici = { .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                                   .imageType = VK_IMAGE_TYPE_2D,
                                   .format = VK_FORMAT_R8G8B8A8_UNORM,
                                   .extent = { 64, 64, 1 },
                                   .mipLevels = 2,
                                   .arrayLayers = 2,
                                   .samples = VK_SAMPLE_COUNT_1_BIT,
                                   .tiling = VK_IMAGE_TILING_OPTIMAL,
                                   .usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT |
                                            VK_IMAGE_USAGE_TRANSFER_DST_BIT |
                                            VK_IMAGE_USAGE_SAMPLED_BIT |
                                            VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT };
   VkImage image = (VkImage)(uintptr_t)IMAGE;
   vl_encode_vkCreateImage(&g.enc, 0, device(), &ici, NULL, &image);
   if (!bind)
      return;
   allocate_memory(IMGMEM, 65536);
   vl_encode_vkBindImageMemory(&g.enc, 0, device(), image, (VkDeviceMemory)(uintptr_t)IMGMEM, 0);
}

uint64_t
bound_image_on(VkDevice dev, const VkImageCreateInfo *info)
{
   const uint64_t id = new_id();
   VkImage image = (VkImage)(uintptr_t)id;
   vl_encode_vkCreateImage(&g.enc, 0, dev, info, NULL, &image);
   /* the host says how much memory it needs: through the reply stream */
   vl_encode_vkSeekReplyCommandStreamMESA(&g.enc, 0, 0);
   VkMemoryRequirements req;
   vl_encode_vkGetImageMemoryRequirements(&g.enc, VK_COMMAND_GENERATE_REPLY_BIT_EXT, dev, image,
                                          &req);
   expect_accepted();
   struct vl_decoder dec;
   vl_dec_init(&dec, g.reply, REPLY_SIZE, NULL, NULL);
   memset(&req, 0, sizeof(req));
   vl_decode_vkGetImageMemoryRequirements_reply(&dec, dev, image, &req);
   assert_null(dec.error);
   assert_true(req.size && (req.memoryTypeBits & 1));
   const VkMemoryAllocateInfo mai = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                      .allocationSize = req.size,
                                      .memoryTypeIndex = 0 };
   VkDeviceMemory memory = (VkDeviceMemory)(uintptr_t)new_id();
   vl_encode_vkAllocateMemory(&g.enc, 0, dev, &mai, NULL, &memory);
   vl_encode_vkBindImageMemory(&g.enc, 0, dev, image, memory, 0);
   return id;
}

uint64_t
bound_image(const VkImageCreateInfo *info)
{
   return bound_image_on(device(), info);
}

uint64_t
color_view_on(VkDevice dev, uint32_t width, uint32_t height, uint32_t layers)
{
   const VkImageCreateInfo ici = { .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                                   .imageType = VK_IMAGE_TYPE_2D,
                                   .format = VK_FORMAT_R8G8B8A8_UNORM,
                                   .extent = { width, height, 1 },
                                   .mipLevels = 1,
                                   .arrayLayers = layers,
                                   .samples = VK_SAMPLE_COUNT_1_BIT,
                                   .tiling = VK_IMAGE_TILING_OPTIMAL,
                                   .usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT };
   const VkImageViewCreateInfo vci = {
      .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
      .image = (VkImage)(uintptr_t)bound_image_on(dev, &ici),
      .viewType = layers > 1 ? VK_IMAGE_VIEW_TYPE_2D_ARRAY : VK_IMAGE_VIEW_TYPE_2D,
      .format = VK_FORMAT_R8G8B8A8_UNORM,
      .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, layers }
   };
   VkImageView view = (VkImageView)(uintptr_t)new_id();
   vl_encode_vkCreateImageView(&g.enc, 0, dev, &vci, NULL, &view);
   return (uint64_t)(uintptr_t)view;
}
