/*
 * Buffer ranges the host driver trusts (renderer/check/check_buffers.c).
 */
#include "hostile.h"

static void
test_update_buffer_past_the_end(void **state)
{
   (void)state;
   buffer_with_memory(true, 0);
   const VkCommandBuffer cb = recording();
   uint32_t data[64] = { 0 };
   /* inside: accepted */
   vl_encode_vkCmdUpdateBuffer(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF, 4096 - 256, 256, data);
   assert_true(submit());
   begin();
   /* the offset the renderer fuzzer found: lavapipe's memcpy went there */
   vl_encode_vkCmdUpdateBuffer(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF, 70368744177354240ull, 256,
                               data);
   expect_lost("the destination range (256 bytes at offset 70368744177354240) leaves the "
               "buffer's 4096 bytes");
}

static void
test_copy_buffer_one_byte_too_far(void **state)
{
   (void)state;
   buffer_with_memory(true, 0);
   const VkCommandBuffer cb = recording();
   /* valid: a copy to the buffer's last 2048 bytes, ending at its end */
   const VkBuffer both = H(VkBuffer, bound_buffer(4096, VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                                           VK_BUFFER_USAGE_TRANSFER_DST_BIT));
   const VkBufferCopy last = { .srcOffset = 0, .dstOffset = 2048, .size = 2048 };
   vl_encode_vkCmdCopyBuffer(&g.enc, 0, cb, both, both, 1, &last);
   expect_accepted();
   const VkBufferCopy region = { .srcOffset = 0, .dstOffset = 2049, .size = 2048 };
   vl_encode_vkCmdCopyBuffer(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF, (VkBuffer)(uintptr_t)BUF, 1,
                             &region);
   expect_lost("the destination range (2048 bytes at offset 2049)");
}

static void
test_fill_buffer_size_wraps(void **state)
{
   (void)state;
   buffer_with_memory(true, 0);
   const VkCommandBuffer cb = recording();
   /* valid: from 16 to the end, by size and by VK_WHOLE_SIZE */
   vl_encode_vkCmdFillBuffer(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF, 16, 4096 - 16, 0);
   vl_encode_vkCmdFillBuffer(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF, 4092, VK_WHOLE_SIZE, 0);
   expect_accepted();
   /* offset + size overflows to a small number */
   vl_encode_vkCmdFillBuffer(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF, 16, UINT64_MAX - 7, 0);
   expect_lost("leaves the buffer's 4096 bytes");
}

static void
test_buffer_without_memory(void **state)
{
   (void)state;
   buffer_with_memory(false, 0);
   const VkCommandBuffer cb = recording();
   /* valid: a buffer with memory bound, just before the command */
   create_buffer(0x404);
   allocate_memory(0x405, 4096);
   vl_encode_vkBindBufferMemory(&g.enc, 0, device(), H(VkBuffer, 0x404), H(VkDeviceMemory, 0x405),
                                0);
   vl_encode_vkCmdFillBuffer(&g.enc, 0, cb, H(VkBuffer, 0x404), 0, 16, 0);
   expect_accepted();
   vl_encode_vkCmdFillBuffer(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF, 0, 16, 0);
   expect_lost("the destination buffer has no memory bound");
}

static void
test_bind_buffer_past_the_memory(void **state)
{
   (void)state;
   /* valid: the same buffer at offset 64 of 64 bytes more, ending at the
    * memory's end */
   create_buffer(0x404);
   allocate_memory(0x405, 4096 + 64);
   vl_encode_vkBindBufferMemory(&g.enc, 0, device(), H(VkBuffer, 0x404), H(VkDeviceMemory, 0x405),
                                64);
   expect_accepted();
   buffer_with_memory(true, 64);
   expect_lost("a 4096-byte buffer at offset 64 leaves the memory's 4096 bytes");
}

static void
test_indirect_draws_past_the_end(void **state)
{
   (void)state;
   buffer_with_memory(true, 0);
   const VkCommandBuffer cb = recording();
   /* 16-byte records: 256 of them fit from offset 0, not 257 */
   vl_encode_vkCmdDrawIndirect(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF, 0, 256, 16);
   assert_true(submit());
   begin();
   vl_encode_vkCmdDrawIndirect(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF, 0, 257, 16);
   expect_lost("the indirect range (257 records of 16 bytes, stride 16, at offset 0)");
}

static void
test_indirect_stride_overflow(void **state)
{
   (void)state;
   buffer_with_memory(true, 0);
   const VkCommandBuffer cb = recording();
   /* valid, in a render pass with a pipeline and an index buffer: the
    * last 20-byte record of the buffer (more than one needs the
    * multiDrawIndirect feature, which the device does not enable) */
   const VkBuffer indirect = H(VkBuffer, bound_buffer(4096, VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT |
                                                               VK_BUFFER_USAGE_INDEX_BUFFER_BIT));
   drawing_on(device(), cb);
   vl_encode_vkCmdBindIndexBuffer(&g.enc, 0, cb, indirect, 0, VK_INDEX_TYPE_UINT32);
   vl_encode_vkCmdDrawIndexedIndirect(&g.enc, 0, cb, indirect,
                                      4096 - sizeof(VkDrawIndexedIndirectCommand), 1,
                                      sizeof(VkDrawIndexedIndirectCommand));
   expect_accepted();
   /* count x stride wraps around 2^64 */
   vl_encode_vkCmdDrawIndexedIndirect(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF, 0, 0x40000001u,
                                      0x40000000u);
   expect_lost("leaves the buffer's 4096 bytes");
}

static void
test_copy_within_a_buffer_overlapping(void **state)
{
   (void)state;
   buffer_with_memory(true, 0);
   const VkCommandBuffer cb = recording();
   /* two regions: the second one's source is the first one's destination */
   const VkBufferCopy r[2] = { { .srcOffset = 0, .dstOffset = 1024, .size = 512 },
                               { .srcOffset = 1200, .dstOffset = 3000, .size = 16 } };
   vl_encode_vkCmdCopyBuffer(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF, (VkBuffer)(uintptr_t)BUF, 1,
                             r);
   assert_true(submit());
   begin();
   vl_encode_vkCmdCopyBuffer(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF, (VkBuffer)(uintptr_t)BUF, 2,
                             r);
   expect_lost("a copy within one buffer whose source and destination overlap");
}

static void
test_buffer_view_past_the_end(void **state)
{
   (void)state;
   /* valid: the buffer's last 16 bytes, by range and by VK_WHOLE_SIZE */
   VkBufferViewCreateInfo last = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
      .buffer = H(VkBuffer, bound_buffer(4096, VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT)),
      .format = VK_FORMAT_R32_UINT,
      .offset = 4096 - 16,
      .range = 16
   };
   VkBufferView whole = H(VkBufferView, new_id());
   vl_encode_vkCreateBufferView(&g.enc, 0, device(), &last, NULL, &whole);
   last.range = VK_WHOLE_SIZE;
   whole = H(VkBufferView, new_id());
   vl_encode_vkCreateBufferView(&g.enc, 0, device(), &last, NULL, &whole);
   expect_accepted();
   buffer_with_memory(true, 0);
   const VkBufferViewCreateInfo info = { .sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
                                         .buffer = (VkBuffer)(uintptr_t)BUF,
                                         .format = VK_FORMAT_R32_UINT,
                                         .offset = 4096 - 16,
                                         .range = 32 };
   VkBufferView view = (VkBufferView)(uintptr_t)0x431;
   vl_encode_vkCreateBufferView(&g.enc, 0, device(), &info, NULL, &view);
   expect_lost("the viewed range (32 bytes at offset 4080) leaves the buffer's 4096 bytes");
}

static void
test_condition_past_the_end_of_its_buffer(void **state)
{
   (void)state;
   /* valid: the buffer's last 4 bytes, on a device with the extension */
   const VkPhysicalDeviceConditionalRenderingFeaturesEXT feature = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_CONDITIONAL_RENDERING_FEATURES_EXT,
      .conditionalRendering = VK_TRUE,
   };
   const VkDevice dev = H(VkDevice, new_id());
   create_device((uint64_t)(uintptr_t)dev, VK_EXT_CONDITIONAL_RENDERING_EXTENSION_NAME, &feature);
   const VkCommandBuffer other = recording_on(dev);
   const VkConditionalRenderingBeginInfoEXT last = {
      .sType = VK_STRUCTURE_TYPE_CONDITIONAL_RENDERING_BEGIN_INFO_EXT,
      .buffer =
         H(VkBuffer, bound_buffer_on(dev, 4096, VK_BUFFER_USAGE_CONDITIONAL_RENDERING_BIT_EXT)),
      .offset = 4096 - 4,
   };
   vl_encode_vkCmdBeginConditionalRenderingEXT(&g.enc, 0, other, &last);
   vl_encode_vkCmdEndConditionalRenderingEXT(&g.enc, 0, other);
   expect_accepted();
   buffer_with_memory(true, 0);
   const VkCommandBuffer cb = recording();
   /* (refused before the host is asked, which does not provide the
    * command on this device: the extension is not enabled) */
   const VkConditionalRenderingBeginInfoEXT info = {
      .sType = VK_STRUCTURE_TYPE_CONDITIONAL_RENDERING_BEGIN_INFO_EXT,
      .buffer = (VkBuffer)(uintptr_t)BUF,
      .offset = 4094,
   };
   vl_encode_vkCmdBeginConditionalRenderingEXT(&g.enc, 0, cb, &info);
   expect_lost("the condition range (4 bytes at offset 4094) leaves the buffer's 4096 bytes");
}

const struct CMUnitTest hostile_buffers_tests[] = {
   HOSTILE_TEST(test_update_buffer_past_the_end),
   HOSTILE_TEST(test_copy_buffer_one_byte_too_far),
   HOSTILE_TEST(test_fill_buffer_size_wraps),
   HOSTILE_TEST(test_buffer_without_memory),
   HOSTILE_TEST(test_bind_buffer_past_the_memory),
   HOSTILE_TEST(test_indirect_draws_past_the_end),
   HOSTILE_TEST(test_indirect_stride_overflow),
   HOSTILE_TEST(test_copy_within_a_buffer_overlapping),
   HOSTILE_TEST(test_buffer_view_past_the_end),
   HOSTILE_TEST(test_condition_past_the_end_of_its_buffer),
};
const size_t hostile_buffers_count =
   sizeof(hostile_buffers_tests) / sizeof(hostile_buffers_tests[0]);
