/*
 * Malformed input must fail cleanly: an error is reported, nothing is read or
 * written outside the buffers, nothing huge is allocated.  Run under
 * AddressSanitizer and UndefinedBehaviorSanitizer in CI (the second build of
 * .ci/run), where any out-of-bounds access aborts the test.
 *
 * Every stream here is copied into a heap buffer of exactly its size, so that
 * reading one byte past the end is caught.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vl_object_table.h"
#include "vl_protocol_any.h"
#include "vl_protocol_guest.h"

/* Decodes a whole stream the way the renderer walks it.  Returns the first
 * error, or NULL when every command decoded. */
static const char *
decode_stream(const void *data, size_t size, struct vl_object_table *objects)
{
   void *copy = malloc(size ? size : 1);
   memcpy(copy, data, size);
   struct vl_arena arena;
   vl_arena_init(&arena, 64u << 20);
   struct vl_decoder dec;
   vl_dec_init(&dec, copy, size, &arena, objects);
   const char *error = NULL;
   while (vl_dec_remaining(&dec) && !error) {
      const int32_t id = (int32_t)vl_dec_u32(&dec);
      vl_dec_u32(&dec); /* flags */
      const struct vl_command_info *info = vl_command_info(id);
      if (dec.error) {
         error = dec.error;
         break;
      }
      if (!info || !info->has_wire_form) {
         error = "unknown command type";
         break;
      }
      void *args = calloc(1, vl_args_size(id));
      vl_decode_any_args(&dec, id, args);
      free(args);
      error = dec.error;
      vl_arena_reset(&arena);
   }
   vl_arena_finish(&arena);
   free(copy);
   return error;
}

struct stream {
   uint8_t data[4096];
   size_t size;
};

static void
finish(struct stream *s, struct vl_encoder *enc)
{
   assert_false(enc->overflow);
   s->size = (size_t)(enc->cur - s->data);
}

static void
put32(struct stream *s, uint32_t v)
{
   memcpy(s->data + s->size, &v, 4);
   s->size += 4;
}

static void
put64(struct stream *s, uint64_t v)
{
   memcpy(s->data + s->size, &v, 8);
   s->size += 8;
}

/* ---- a set of valid commands ------------------------------------------- */

static const VkBufferOpaqueCaptureAddressCreateInfo addr_info = {
   .sType = VK_STRUCTURE_TYPE_BUFFER_OPAQUE_CAPTURE_ADDRESS_CREATE_INFO,
   .opaqueCaptureAddress = 77,
};
static const VkExternalMemoryBufferCreateInfo ext_info = {
   .sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
   .pNext = &addr_info,
   .handleTypes = 1,
};
static const uint32_t families[2] = { 0, 1 };
static const VkBufferCreateInfo buffer_info = {
   .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
   .pNext = &ext_info,
   .size = 65536,
   .usage = 0x20,
   .sharingMode = VK_SHARING_MODE_CONCURRENT,
   .queueFamilyIndexCount = 2,
   .pQueueFamilyIndices = families,
};

static void
enc_create_buffer(struct stream *s)
{
   VkBuffer id = (VkBuffer)(uintptr_t)0x42;
   struct vl_encoder enc;
   vl_enc_init(&enc, s->data, sizeof(s->data));
   vl_encode_vkCreateBuffer(&enc, 1, (VkDevice)(uintptr_t)0x30, &buffer_info, NULL, &id);
   finish(s, &enc);
}

static void
enc_create_instance(struct stream *s)
{
   const char *exts[] = { "VK_KHR_surface", "VK_KHR_xcb_surface" };
   const VkApplicationInfo app = {
      .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
      .pApplicationName = "malformed",
      .pEngineName = "none",
      .apiVersion = VK_API_VERSION_1_3,
   };
   const VkInstanceCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
      .pApplicationInfo = &app,
      .enabledExtensionCount = 2,
      .ppEnabledExtensionNames = exts,
   };
   VkInstance id = (VkInstance)(uintptr_t)0x10;
   struct vl_encoder enc;
   vl_enc_init(&enc, s->data, sizeof(s->data));
   vl_encode_vkCreateInstance(&enc, 1, &info, NULL, &id);
   finish(s, &enc);
}

static void
enc_bind_vertex_buffers(struct stream *s)
{
   const VkBuffer buffers[3] = { (VkBuffer)(uintptr_t)1, (VkBuffer)(uintptr_t)2,
                                 (VkBuffer)(uintptr_t)3 };
   const VkDeviceSize offsets[3] = { 0, 16, 32 };
   struct vl_encoder enc;
   vl_enc_init(&enc, s->data, sizeof(s->data));
   vl_encode_vkCmdBindVertexBuffers(&enc, 0, (VkCommandBuffer)(uintptr_t)0x61, 0, 3, buffers,
                                    offsets);
   finish(s, &enc);
}

static void
enc_graphics_pipeline(struct stream *s)
{
   static const uint32_t spec_data[2] = { 1, 2 };
   static const VkSpecializationMapEntry entries[2] = { { 0, 0, 4 }, { 1, 4, 4 } };
   static const VkSpecializationInfo spec = { 2, entries, 8, spec_data };
   const VkPipelineShaderStageCreateInfo stages[2] = {
      { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_VERTEX_BIT,
        .module = (VkShaderModule)(uintptr_t)5,
        .pName = "main",
        .pSpecializationInfo = &spec },
      { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_FRAGMENT_BIT,
        .module = (VkShaderModule)(uintptr_t)6,
        .pName = "main" },
   };
   const VkVertexInputBindingDescription binding = { 0, 16, VK_VERTEX_INPUT_RATE_VERTEX };
   const VkVertexInputAttributeDescription attr = { 0, 0, VK_FORMAT_R32G32B32A32_SFLOAT, 0 };
   const VkPipelineVertexInputStateCreateInfo vi = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
      .vertexBindingDescriptionCount = 1,
      .pVertexBindingDescriptions = &binding,
      .vertexAttributeDescriptionCount = 1,
      .pVertexAttributeDescriptions = &attr,
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
      .lineWidth = 1.0f,
   };
   const VkSampleMask mask = ~0u;
   const VkPipelineMultisampleStateCreateInfo ms = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
      .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT,
      .pSampleMask = &mask,
   };
   const VkPipelineColorBlendAttachmentState att = { .colorWriteMask = 0xf };
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
   const VkFormat color = VK_FORMAT_B8G8R8A8_UNORM;
   const VkPipelineRenderingCreateInfo rendering = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO,
      .colorAttachmentCount = 1,
      .pColorAttachmentFormats = &color,
   };
   const VkGraphicsPipelineCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
      .pNext = &rendering,
      .stageCount = 2,
      .pStages = stages,
      .pVertexInputState = &vi,
      .pInputAssemblyState = &ia,
      .pViewportState = &vp,
      .pRasterizationState = &rs,
      .pMultisampleState = &ms,
      .pColorBlendState = &cb,
      .pDynamicState = &ds,
      .layout = (VkPipelineLayout)(uintptr_t)7,
   };
   VkPipeline id = (VkPipeline)(uintptr_t)0x99;
   struct vl_encoder enc;
   vl_enc_init(&enc, s->data, sizeof(s->data));
   vl_encode_vkCreateGraphicsPipelines(&enc, 1, (VkDevice)(uintptr_t)0x30, VK_NULL_HANDLE, 1, &info,
                                       NULL, &id);
   finish(s, &enc);
}

static void
enc_queue_submit(struct stream *s)
{
   const VkCommandBuffer cmds[2] = { (VkCommandBuffer)(uintptr_t)0x61,
                                     (VkCommandBuffer)(uintptr_t)0x62 };
   const VkSemaphore sem = (VkSemaphore)(uintptr_t)0x70;
   const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
   const uint64_t value = 5;
   const VkTimelineSemaphoreSubmitInfo timeline = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .waitSemaphoreValueCount = 1,
      .pWaitSemaphoreValues = &value,
   };
   const VkSubmitInfo submit = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .pNext = &timeline,
      .waitSemaphoreCount = 1,
      .pWaitSemaphores = &sem,
      .pWaitDstStageMask = &stage,
      .commandBufferCount = 2,
      .pCommandBuffers = cmds,
   };
   struct vl_encoder enc;
   vl_enc_init(&enc, s->data, sizeof(s->data));
   vl_encode_vkQueueSubmit(&enc, 0, (VkQueue)(uintptr_t)0x50, 1, &submit, (VkFence)(uintptr_t)0x80);
   finish(s, &enc);
}

static void
enc_update_descriptor_sets(struct stream *s)
{
   const VkDescriptorBufferInfo buf = { (VkBuffer)(uintptr_t)0x42, 0, VK_WHOLE_SIZE };
   const VkDescriptorImageInfo img = { VK_NULL_HANDLE, (VkImageView)(uintptr_t)0x43,
                                       VK_IMAGE_LAYOUT_GENERAL };
   const VkWriteDescriptorSet writes[2] = {
      { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = (VkDescriptorSet)(uintptr_t)0x90,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &buf },
      { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = (VkDescriptorSet)(uintptr_t)0x90,
        .dstBinding = 1,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
        .pImageInfo = &img },
   };
   struct vl_encoder enc;
   vl_enc_init(&enc, s->data, sizeof(s->data));
   vl_encode_vkUpdateDescriptorSets(&enc, 0, (VkDevice)(uintptr_t)0x30, 2, writes, 0, NULL);
   finish(s, &enc);
}

static void (*const valid_commands[])(struct stream *) = {
   enc_create_buffer,     enc_create_instance, enc_bind_vertex_buffers,
   enc_graphics_pipeline, enc_queue_submit,    enc_update_descriptor_sets,
};

/* ---- tests ---------------------------------------------------------------- */

static void
test_valid_commands_decode(void **state)
{
   (void)state;
   for (size_t i = 0; i < sizeof(valid_commands) / sizeof(valid_commands[0]); i++) {
      struct stream s = { 0 };
      valid_commands[i](&s);
      assert_null(decode_stream(s.data, s.size, NULL));
   }
}

/* Every proper prefix of a command is refused; no prefix reads past its end. */
static void
test_truncation_at_every_offset(void **state)
{
   (void)state;
   unsigned checked = 0;
   for (size_t i = 0; i < sizeof(valid_commands) / sizeof(valid_commands[0]); i++) {
      struct stream s = { 0 };
      valid_commands[i](&s);
      for (size_t k = 1; k < s.size; k++) {
         const char *error = decode_stream(s.data, k, NULL);
         if (!error)
            fail_msg("command %zu: a %zu-byte prefix of %zu bytes decoded", i, k, s.size);
         checked++;
      }
   }
   assert_true(checked > 1000);
}

/* Counts of 2^32-1 (and array sizes to match) are refused before anything
 * is allocated for them. */
static void
test_huge_counts(void **state)
{
   (void)state;
   struct stream s = { 0 };
   put32(&s, VL_CMD_vkCmdBindVertexBuffers);
   put32(&s, 0);
   put64(&s, 0x61);
   put32(&s, 0);
   put32(&s, 0xffffffffu);
   put64(&s, 0xffffffffu);
   put64(&s, 1);
   assert_string_equal(decode_stream(s.data, s.size, NULL),
                       "count larger than the bytes left in the stream");

   /* An array size of 2^63 against a 2^32-1 count */
   s.size = 0;
   put32(&s, VL_CMD_vkCmdBindVertexBuffers);
   put32(&s, 0);
   put64(&s, 0x61);
   put32(&s, 0);
   put32(&s, 0xffffffffu);
   put64(&s, 1ull << 63);
   assert_string_equal(decode_stream(s.data, s.size, NULL), "array size differs from its count");

   /* Output array of handles: its elements (ids) must be in the stream. */
   s.size = 0;
   put32(&s, VL_CMD_vkEnumeratePhysicalDevices);
   put32(&s, 1);
   put64(&s, 0x10);
   put64(&s, 1);
   put32(&s, 0xffffffffu);
   put64(&s, 0xffffffffu);
   assert_string_equal(decode_stream(s.data, s.size, NULL),
                       "count larger than the bytes left in the stream");

   /* Output blob: nothing follows, so only the storage cap stops it. */
   s.size = 0;
   put32(&s, VL_CMD_vkGetQueryPoolResults);
   put32(&s, 1);
   put64(&s, 0x30);
   put64(&s, 0x31);
   put32(&s, 0);
   put32(&s, 1);
   put64(&s, 1ull << 40); /* dataSize */
   put64(&s, 1ull << 40); /* pData: output blob size */
   put64(&s, 8);
   put32(&s, 0);
   assert_string_equal(decode_stream(s.data, s.size, NULL), "temporary storage limit exceeded");

   /* Output array of structs whose partial form is empty. */
   s.size = 0;
   put32(&s, VL_CMD_vkEnumerateDeviceExtensionProperties);
   put32(&s, 1);
   put64(&s, 0x20);
   put64(&s, 0);           /* pLayerName NULL */
   put64(&s, 1);           /* pPropertyCount present */
   put32(&s, 0xffffffffu); /* capacity */
   put64(&s, 0xffffffffu);
   assert_string_equal(decode_stream(s.data, s.size, NULL), "temporary storage limit exceeded");

   /* A string size beyond the stream */
   s.size = 0;
   put32(&s, VL_CMD_vkEnumerateDeviceExtensionProperties);
   put32(&s, 1);
   put64(&s, 0x20);
   put64(&s, 0xffffffffffffffffull);
   assert_string_equal(decode_stream(s.data, s.size, NULL),
                       "string longer than the bytes left in the stream");
}

static void
test_wrong_stype(void **state)
{
   (void)state;
   struct stream s = { 0 };
   enc_create_buffer(&s);
   /* VkBufferCreateInfo.sType sits right after type, flags, device, pointer. */
   const uint32_t image_info = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO;
   memcpy(s.data + 24, &image_info, 4);
   assert_string_equal(decode_stream(s.data, s.size, NULL), "unexpected sType");

   /* A chained struct that this parent does not accept */
   s.size = 0;
   enc_create_buffer(&s);
   const uint32_t not_allowed = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES;
   memcpy(s.data + 36, &not_allowed, 4);
   assert_string_equal(decode_stream(s.data, s.size, NULL),
                       "struct not allowed in the pNext chain of VkBufferCreateInfo");
}

static void
test_deep_and_looping_chains(void **state)
{
   (void)state;
   /* 200 chain headers naming the same struct: what a looping chain looks
    * like once serialized; also deeper than any chain is allowed to be. */
   struct stream s = { 0 };
   put32(&s, VL_CMD_vkCreateBuffer);
   put32(&s, 1);
   put64(&s, 0x30);
   put64(&s, 1);
   put32(&s, VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
   for (int i = 0; i < 200; i++) {
      put64(&s, 1);
      put32(&s, VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO);
   }
   put64(&s, 0);
   assert_string_equal(decode_stream(s.data, s.size, NULL), "struct twice in one pNext chain");

   /* The longest chain VkDeviceCreateInfo can carry, twice over: distinct
    * structs run out, and a repeat is refused, before the depth limit. */
   s.size = 0;
   put32(&s, VL_CMD_vkCreateDevice);
   put32(&s, 1);
   put64(&s, 0x20);
   put64(&s, 1);
   put32(&s, VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO);
   for (int i = 0; i < 300; i++) {
      put64(&s, 1);
      put32(&s, i % 2 ? VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES
                      : VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES);
   }
   assert_non_null(decode_stream(s.data, s.size, NULL));

   /* Guest side: an application chain that loops is cut, and what is sent
    * still decodes. */
   VkExternalMemoryBufferCreateInfo loop = ext_info;
   loop.pNext = &loop;
   VkBufferCreateInfo info = buffer_info;
   info.pNext = &loop;
   VkBuffer id = (VkBuffer)(uintptr_t)0x42;
   const size_t size = vl_sizeof_vkCreateBuffer((VkDevice)(uintptr_t)0x30, &info, NULL, &id);
   struct vl_encoder enc;
   vl_enc_init(&enc, s.data, sizeof(s.data));
   vl_encode_vkCreateBuffer(&enc, 1, (VkDevice)(uintptr_t)0x30, &info, NULL, &id);
   assert_false(enc.overflow);
   assert_int_equal((size_t)(enc.cur - s.data), size);
   assert_null(decode_stream(s.data, size, NULL));
}

static void
test_unterminated_strings(void **state)
{
   (void)state;
   struct stream s = { 0 };
   enc_create_instance(&s);
   /* "malformed\0" is 10 bytes at some offset: find it and drop its NUL. */
   uint8_t *name = memmem(s.data, s.size, "malformed", 10);
   assert_non_null(name);
   name[9] = 'X';
   assert_string_equal(decode_stream(s.data, s.size, NULL),
                       "string not terminated within its size");

   /* A fixed char array in a reply without a NUL within its size */
   struct stream r = { 0 };
   put32(&r, VL_CMD_vkEnumerateDeviceExtensionProperties);
   put32(&r, 0);
   put64(&r, 1);
   put32(&r, 1);
   put64(&r, 1);
   put64(&r, VK_MAX_EXTENSION_NAME_SIZE);
   memset(r.data + r.size, 'A', VK_MAX_EXTENSION_NAME_SIZE);
   r.size += VK_MAX_EXTENSION_NAME_SIZE;
   put32(&r, 1);
   uint32_t count = 1;
   VkExtensionProperties props;
   struct vl_decoder dec;
   vl_dec_init(&dec, r.data, r.size, NULL, NULL);
   vl_decode_vkEnumerateDeviceExtensionProperties_reply(&dec, (VkPhysicalDevice)(uintptr_t)0x20,
                                                        NULL, &count, &props);
   assert_string_equal(dec.error, "string not terminated within its array");
   assert_int_equal(props.extensionName[VK_MAX_EXTENSION_NAME_SIZE - 1], 0);
}

static void
test_unknown_command_ids(void **state)
{
   (void)state;
   /* past the last Venus id, a retired private id (now a Venus command),
    * past the last private id, negative */
   const int32_t ids[] = { VL_VENUS_COMMAND_COUNT,
                           4096,
                           0x7fffffff,
                           -1,
                           -5,
                           VL_PRIVATE_COMMAND_BASE + 23,
                           VL_PRIVATE_COMMAND_BASE + 9999,
                           VL_PRIVATE_COMMAND_BASE - 1 };
   for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
      struct stream s = { 0 };
      put32(&s, (uint32_t)ids[i]);
      put32(&s, 0);
      put64(&s, 0);
      assert_string_equal(decode_stream(s.data, s.size, NULL), "unknown command type");
   }
   /* A stream that is not a multiple of 4 bytes, or a lone header word */
   struct stream s = { 0 };
   put32(&s, VL_CMD_vkCmdDraw);
   assert_non_null(decode_stream(s.data, 3, NULL));
   assert_non_null(decode_stream(s.data, 4, NULL));
}

static void
test_other_violations(void **state)
{
   (void)state;
   /* A non-NULL allocator */
   struct stream s = { 0 };
   put32(&s, VL_CMD_vkDestroyBuffer);
   put32(&s, 0);
   put64(&s, 0x30);
   put64(&s, 0x42);
   put64(&s, 1);
   assert_string_equal(decode_stream(s.data, s.size, NULL), "allocation callbacks on the wire");

   /* A required pointer that is NULL */
   s.size = 0;
   put32(&s, VL_CMD_vkCreateBuffer);
   put32(&s, 1);
   put64(&s, 0x30);
   put64(&s, 0);
   put64(&s, 0);
   put64(&s, 1);
   put64(&s, 0x42);
   assert_string_equal(decode_stream(s.data, s.size, NULL), "NULL pointer where one is required");

   /* A bad union tag in vkCmdClearColorImage's VkClearColorValue */
   s.size = 0;
   put32(&s, VL_CMD_vkCmdClearColorImage);
   put32(&s, 0);
   put64(&s, 0x61);
   put64(&s, 0x44);
   put32(&s, VK_IMAGE_LAYOUT_GENERAL);
   put64(&s, 1);
   put32(&s, 7); /* tag */
   assert_string_equal(decode_stream(s.data, s.size, NULL), "unknown union tag");

   /* A NULL dispatchable handle */
   s.size = 0;
   put32(&s, VL_CMD_vkCmdDraw);
   put32(&s, 0);
   put64(&s, 0);
   put32(&s, 3);
   put32(&s, 1);
   put32(&s, 0);
   put32(&s, 0);
   assert_string_equal(decode_stream(s.data, s.size, NULL), "NULL dispatchable handle");

   /* VK_NULL_HANDLE where vk.xml requires a handle (vkCmdFillBuffer's buffer) */
   s.size = 0;
   put32(&s, VL_CMD_vkCmdFillBuffer);
   put32(&s, 0);
   put64(&s, 0x61);
   put64(&s, 0);
   put64(&s, 0);
   put64(&s, 4);
   put32(&s, 7);
   assert_string_equal(decode_stream(s.data, s.size, NULL),
                       "VK_NULL_HANDLE where a handle is required");

   /* Object ids: unknown, and of the wrong type */
   struct vl_object_table objects;
   vl_object_table_init(&objects);
   assert_non_null(vl_object_table_add(&objects, 0x61, VK_OBJECT_TYPE_COMMAND_BUFFER, 1, NULL));
   assert_non_null(vl_object_table_add(&objects, 0x62, VK_OBJECT_TYPE_BUFFER, 2, NULL));
   s.size = 0;
   put32(&s, VL_CMD_vkCmdDraw);
   put32(&s, 0);
   put64(&s, 0x61);
   put32(&s, 3);
   put32(&s, 1);
   put32(&s, 0);
   put32(&s, 0);
   assert_null(decode_stream(s.data, s.size, &objects));
   memcpy(s.data + 8, &(uint64_t){ 0x63 }, 8);
   assert_string_equal(decode_stream(s.data, s.size, &objects), "unknown object id");
   memcpy(s.data + 8, &(uint64_t){ 0x62 }, 8);
   assert_string_equal(decode_stream(s.data, s.size, &objects),
                       "object id names an object of another type");
   vl_object_table_finish(&objects);
}

/* Random corruption of valid commands: whatever the outcome, no crash and
 * no access outside the stream (the sanitizers watch). */
static void
test_random_corruption(void **state)
{
   (void)state;
   uint64_t rng = 0x1234567887654321ull;
   unsigned failed = 0, runs = 0;
   for (size_t i = 0; i < sizeof(valid_commands) / sizeof(valid_commands[0]); i++) {
      struct stream orig = { 0 };
      valid_commands[i](&orig);
      for (int iter = 0; iter < 3000; iter++) {
         struct stream s = orig;
         const int flips = 1 + iter % 4;
         for (int f = 0; f < flips; f++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            const size_t at = (size_t)(rng % s.size);
            s.data[at] = (uint8_t)(rng >> 32);
         }
         failed += decode_stream(s.data, s.size, NULL) != NULL;
         runs++;
      }
   }
   /* Most corruptions must be detected: sizes, counts, sTypes and tags are
    * checked.  (Flips inside plain values decode fine, as they should.) */
   assert_true(failed > runs / 4);
}

int
main(void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_commands_decode),
      cmocka_unit_test(test_truncation_at_every_offset),
      cmocka_unit_test(test_huge_counts),
      cmocka_unit_test(test_wrong_stype),
      cmocka_unit_test(test_deep_and_looping_chains),
      cmocka_unit_test(test_unterminated_strings),
      cmocka_unit_test(test_unknown_command_ids),
      cmocka_unit_test(test_other_violations),
      cmocka_unit_test(test_random_corruption),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
