/*
 * Decoding: object ids, unknown commands, executed streams, rings, the reply stream,
 * counts and sizes: what the renderer enforces for its own safety, whatever the
 * guard policy.
 */
#include <time.h>

#include "hostile.h"
#include "vl_ring_layout.h"

/* ---- object ids --------------------------------------------------------------- */

static void
test_id_used_after_destroy(void **state)
{
   (void)state;
   create_buffer(0x200);
   vl_encode_vkDestroyBuffer(&g.enc, 0, device(), (VkBuffer)(uintptr_t)0x200, NULL);
   assert_true(submit());
   begin();
   VkMemoryRequirements req;
   vl_encode_vkGetBufferMemoryRequirements(&g.enc, VK_COMMAND_GENERATE_REPLY_BIT_EXT, device(),
                                           (VkBuffer)(uintptr_t)0x200, &req);
   expect_lost("unknown object id 0x200");
}

static void
test_command_buffer_used_after_free_in_its_stream(void **state)
{
   (void)state;
   /* The decoder remembers the object the last command named (every command
    * of a recording names the same command buffer); freeing it in the same
    * stream must make the next use an unknown id, not a read of freed memory. */
   const VkCommandPoolCreateInfo pci = { .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO };
   VkCommandPool pool = (VkCommandPool)(uintptr_t)0x20a;
   vl_encode_vkCreateCommandPool(&g.enc, 0, device(), &pci, NULL, &pool);
   const VkCommandBufferAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                            .commandPool = pool,
                                            .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                            .commandBufferCount = 1 };
   VkCommandBuffer cb = (VkCommandBuffer)(uintptr_t)0x20b;
   vl_encode_vkAllocateCommandBuffers(&g.enc, 0, device(), &ai, &cb);
   const VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
   vl_encode_vkBeginCommandBuffer(&g.enc, 0, cb, &bi);
   vl_encode_vkEndCommandBuffer(&g.enc, 0, cb);
   vl_encode_vkFreeCommandBuffers(&g.enc, 0, device(), pool, 1, &cb);
   vl_encode_vkEndCommandBuffer(&g.enc, 0, cb);
   expect_lost("unknown object id 0x20b");
}

static void
test_device_used_after_destroy_in_its_stream(void **state)
{
   (void)state;
   /* vkDestroyDevice names the device as its dispatchable handle, which the
    * decoder remembers for the next command; the device's entry is freed by
    * the command itself, so the next command naming it must find an unknown
    * id without reading the freed entry (AddressSanitizer would say). */
   vl_encode_vkDestroyDevice(&g.enc, 0, device(), NULL);
   const VkFenceCreateInfo info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
   VkFence fence = (VkFence)(uintptr_t)0x20c;
   vl_encode_vkCreateFence(&g.enc, 0, device(), &info, NULL, &fence);
   expect_lost("unknown object id");
}

static void
test_destroy_twice(void **state)
{
   (void)state;
   create_fence(0x201);
   vl_encode_vkDestroyFence(&g.enc, 0, device(), (VkFence)(uintptr_t)0x201, NULL);
   vl_encode_vkDestroyFence(&g.enc, 0, device(), (VkFence)(uintptr_t)0x201, NULL);
   expect_lost("unknown object id 0x201");
}

static void
test_id_of_wrong_type(void **state)
{
   (void)state;
   create_fence(0x202);
   /* a fence where a buffer belongs */
   vl_encode_vkDestroyBuffer(&g.enc, 0, device(), (VkBuffer)(uintptr_t)0x202, NULL);
   expect_lost("object id names an object of another type");
}

static void
test_dispatchable_of_wrong_type(void **state)
{
   (void)state;
   /* the queue's id where the device belongs: the command would reach the
    * host through the wrong dispatch table */
   const VkFenceCreateInfo info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
   VkFence fence = (VkFence)(uintptr_t)0x203;
   vl_encode_vkCreateFence(&g.enc, 0, (VkDevice)(uintptr_t)QUEUE, &info, NULL, &fence);
   expect_lost("object id names an object of another type");
}

static void
test_id_never_created(void **state)
{
   (void)state;
   const VkBufferViewCreateInfo info = { .sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
                                         .buffer = (VkBuffer)(uintptr_t)0xdead0000,
                                         .format = VK_FORMAT_R32_UINT,
                                         .range = VK_WHOLE_SIZE };
   VkBufferView view = (VkBufferView)(uintptr_t)0x204;
   vl_encode_vkCreateBufferView(&g.enc, 0, device(), &info, NULL, &view);
   expect_lost("unknown object id 0xdead0000");
}

static void
test_id_inside_array_never_created(void **state)
{
   (void)state;
   create_fence(0x205);
   const VkFence fences[3] = { (VkFence)(uintptr_t)0x205, (VkFence)(uintptr_t)0x205,
                               (VkFence)(uintptr_t)0x7777 };
   vl_encode_vkResetFences(&g.enc, 0, device(), 3, fences);
   expect_lost("unknown object id 0x7777");
}

static void
test_new_id_in_use(void **state)
{
   (void)state;
   create_buffer(0x206);
   create_fence(0x206);
   expect_lost("id 0x206 is already in use");
}

static void
test_new_id_zero(void **state)
{
   (void)state;
   create_buffer(0);
   expect_lost("a new object's id is 0");
}

static void
test_null_dispatchable(void **state)
{
   (void)state;
   vl_encode_vkDestroyBuffer(&g.enc, 0, VK_NULL_HANDLE, (VkBuffer)(uintptr_t)0x1, NULL);
   expect_lost("NULL dispatchable handle");
}

static void
test_unknown_command(void **state)
{
   (void)state;
   vl_enc_u32(&g.enc, 0x7ffffff0);
   vl_enc_u32(&g.enc, 0);
   expect_lost("unknown command type");
}

/* ---- shared memory: executed streams ---------------------------------------------- */

static void
execute(uint32_t resource, uint64_t offset, uint64_t size)
{
   const VkCommandStreamDescriptionMESA s = { .resourceId = resource,
                                              .offset = offset,
                                              .size = size };
   vl_encode_vkExecuteCommandStreamsMESA(&g.enc, 0, 1, &s, NULL, 0, NULL, 0);
}

static void
test_execute_unknown_resource(void **state)
{
   (void)state;
   execute(999, 0, 16);
   expect_lost("an executed stream lies outside its resource");
}

static uint8_t small[64];

static void
test_execute_offset_past_resource(void **state)
{
   (void)state;
   const uint32_t res = vlr_context_resource_create(g.ctx, small, sizeof(small));
   execute(res, sizeof(small) + 4, 4);
   expect_lost("an executed stream lies outside its resource");
}

static void
test_execute_size_past_resource(void **state)
{
   (void)state;
   const uint32_t res = vlr_context_resource_create(g.ctx, small, sizeof(small));
   execute(res, 16, sizeof(small) - 12);
   expect_lost("an executed stream lies outside its resource");
}

static void
test_execute_size_wraps(void **state)
{
   (void)state;
   const uint32_t res = vlr_context_resource_create(g.ctx, small, sizeof(small));
   /* offset + size overflows to a small number */
   execute(res, 16, UINT64_MAX - 8);
   expect_lost("an executed stream lies outside its resource");
}

static void
test_execute_nested(void **state)
{
   (void)state;
   /* a stream in shared memory that executes itself */
   struct vl_encoder inner;
   memset(small, 0, sizeof(small));
   vl_enc_init(&inner, small, sizeof(small));
   const uint32_t res = vlr_context_resource_create(g.ctx, small, sizeof(small));
   const VkCommandStreamDescriptionMESA s = { .resourceId = res, .size = 60 };
   vl_encode_vkExecuteCommandStreamsMESA(&inner, 0, 1, &s, NULL, 0, NULL, 0);
   assert_false(inner.overflow);
   execute(res, 0, (uint64_t)(inner.cur - small));
   expect_lost("vkExecuteCommandStreamsMESA inside an executed stream");
}

static void
test_execute_reply_position_past_stream(void **state)
{
   (void)state;
   const uint32_t res = vlr_context_resource_create(g.ctx, small, sizeof(small));
   const VkCommandStreamDescriptionMESA s = { .resourceId = res, .size = 0 };
   const size_t position = REPLY_SIZE + 4;
   vl_encode_vkExecuteCommandStreamsMESA(&g.enc, 0, 1, &s, &position, 0, NULL, 0);
   expect_lost("reply position outside the reply stream");
}

/* ---- shared memory: rings ------------------------------------------------------------- */

#define RING_BUFFER 4096u

static uint8_t *ring_mem;

void
hostile_decoding_cleanup(void)
{
   free(ring_mem);
   ring_mem = NULL;
}

static VkRingCreateInfoMESA
ring_info(uint32_t resource)
{
   return (VkRingCreateInfoMESA){
      .sType = VK_STRUCTURE_TYPE_RING_CREATE_INFO_MESA,
      .resourceId = resource,
      .offset = 0,
      .size = vl_ring_area_size(RING_BUFFER),
      .headOffset = VL_RING_HEAD_OFFSET,
      .tailOffset = VL_RING_TAIL_OFFSET,
      .statusOffset = VL_RING_STATUS_OFFSET,
      .bufferOffset = VL_RING_BUFFER_OFFSET,
      .bufferSize = RING_BUFFER,
      .extraOffset = VL_RING_BUFFER_OFFSET + RING_BUFFER,
      .extraSize = VL_RING_EXTRA_SIZE,
   };
}

static uint32_t
ring_resource(void)
{
   free(ring_mem);
   /* aligned_alloc wants a size that is a multiple of the alignment. */
   ring_mem = aligned_alloc(64, ((size_t)vl_ring_area_size(RING_BUFFER) + 63) & ~(size_t)63);
   memset(ring_mem, 0, (size_t)vl_ring_area_size(RING_BUFFER));
   return vlr_context_resource_create(g.ctx, ring_mem, (size_t)vl_ring_area_size(RING_BUFFER));
}

static void
create_ring(const VkRingCreateInfoMESA *info)
{
   vl_encode_vkCreateRingMESA(&g.enc, 0, 0x5000, info);
}

static void
test_ring_unknown_resource(void **state)
{
   (void)state;
   VkRingCreateInfoMESA info = ring_info(12345);
   create_ring(&info);
   expect_lost("the ring's resource is not attached");
}

static void
test_ring_offset_past_resource(void **state)
{
   (void)state;
   VkRingCreateInfoMESA info = ring_info(ring_resource());
   info.offset = 64;
   create_ring(&info);
   expect_lost("the ring lies outside its resource");
}

static void
test_ring_size_past_resource(void **state)
{
   (void)state;
   VkRingCreateInfoMESA info = ring_info(ring_resource());
   info.size += 4;
   create_ring(&info);
   expect_lost("the ring lies outside its resource");
}

static void
test_ring_offset_wraps(void **state)
{
   (void)state;
   VkRingCreateInfoMESA info = ring_info(ring_resource());
   info.offset = UINT64_MAX - 3;
   create_ring(&info);
   expect_lost("the ring lies outside its resource");
}

static void
test_ring_head_outside(void **state)
{
   (void)state;
   VkRingCreateInfoMESA info = ring_info(ring_resource());
   info.headOffset = info.size - 2;
   create_ring(&info);
   expect_lost("a ring region is misaligned or outside the ring");
}

static void
test_ring_tail_outside(void **state)
{
   (void)state;
   VkRingCreateInfoMESA info = ring_info(ring_resource());
   info.tailOffset = info.size + 64;
   create_ring(&info);
   expect_lost("a ring region is misaligned or outside the ring");
}

static void
test_ring_buffer_outside(void **state)
{
   (void)state;
   VkRingCreateInfoMESA info = ring_info(ring_resource());
   info.bufferOffset = 256; /* bufferOffset + bufferSize past the end */
   create_ring(&info);
   expect_lost("a ring region is misaligned or outside the ring");
}

static void
test_ring_buffer_size_wraps(void **state)
{
   (void)state;
   VkRingCreateInfoMESA info = ring_info(ring_resource());
   info.bufferSize = UINT64_MAX - VL_RING_BUFFER_OFFSET + 4;
   create_ring(&info);
   expect_lost("a ring region is misaligned or outside the ring");
}

static void
test_ring_regions_overlap(void **state)
{
   (void)state;
   VkRingCreateInfoMESA info = ring_info(ring_resource());
   info.tailOffset = VL_RING_BUFFER_OFFSET + 8; /* the tail inside the buffer */
   create_ring(&info);
   expect_lost("ring regions overlap");
}

static void
test_ring_buffer_not_power_of_two(void **state)
{
   (void)state;
   VkRingCreateInfoMESA info = ring_info(ring_resource());
   info.bufferSize = RING_BUFFER - 4;
   info.extraOffset -= 4;
   create_ring(&info);
   expect_lost("the ring buffer size is not a power of two");
}

static void
test_ring_head_not_zero(void **state)
{
   (void)state;
   VkRingCreateInfoMESA info = ring_info(ring_resource());
   uint32_t head = 8;
   memcpy(ring_mem + VL_RING_HEAD_OFFSET, &head, 4);
   create_ring(&info);
   expect_lost("the ring's head, tail and status must start at 0");
}

static void
publish(uint32_t tail)
{
   __atomic_store_n((uint32_t *)(ring_mem + VL_RING_TAIL_OFFSET), tail, __ATOMIC_SEQ_CST);
   vlr_ring_notify(g.ctx, 0x5000);
}

/* The ring thread finds the tail; wait for its verdict. */
static void
expect_ring_lost(const char *why)
{
   /* The ring thread sets the context lost, then writes the message: wait
    * for both. */
   for (int i = 0;
        i < 5000 && !(vlr_context_lost(g.ctx) && strstr(vlr_context_lost_message(g.ctx), why));
        i++) {
      const struct timespec ms = { 0, 1000000 };
      nanosleep(&ms, NULL);
   }
   assert_true(vlr_context_lost(g.ctx));
   if (!strstr(vlr_context_lost_message(g.ctx), why))
      fail_msg("lost for another reason: \"%s\" (expected \"%s\")", vlr_context_lost_message(g.ctx),
               why);
}

static void
test_ring_tail_beyond_buffer(void **state)
{
   (void)state;
   VkRingCreateInfoMESA info = ring_info(ring_resource());
   create_ring(&info);
   assert_true(submit());
   /* more bytes published than the buffer holds */
   publish(RING_BUFFER + 4);
   expect_ring_lost("a ring span is larger than the ring");
}

static void
test_ring_tail_behind_head(void **state)
{
   (void)state;
   VkRingCreateInfoMESA info = ring_info(ring_resource());
   create_ring(&info);
   assert_true(submit());
   /* a tail that moves backwards: the span "wraps" to almost 4 GiB */
   publish(UINT32_MAX - 3);
   expect_ring_lost("a ring span is larger than the ring");
}

static void
test_ring_span_wrapping_around(void **state)
{
   (void)state;
   /* A span that wraps around the end of the buffer is decoded from the
    * renderer's own copy: here a valid command, then a malformed one that
    * starts exactly at the wrap. */
   VkRingCreateInfoMESA info = ring_info(ring_resource());
   create_ring(&info);
   assert_true(submit());
   uint8_t *buffer = ring_mem + VL_RING_BUFFER_OFFSET;
   struct vl_encoder enc;
   vl_enc_init(&enc, buffer, RING_BUFFER - 16);
   /* a ring waiting for virtqueue seqno 0 goes on at once */
   while (enc.cur < enc.end)
      vl_encode_vkWaitVirtqueueSeqnoMESA(&enc, 0, 0); /* 16 bytes each */
   assert_false(enc.overflow);
   publish(RING_BUFFER - 16);
   for (int i = 0; i < 5000 && __atomic_load_n((uint32_t *)(ring_mem + VL_RING_HEAD_OFFSET),
                                               __ATOMIC_ACQUIRE) != RING_BUFFER - 16;
        i++) {
      const struct timespec ms = { 0, 1000000 };
      nanosleep(&ms, NULL);
   }
   assert_false(vlr_context_lost(g.ctx));
   vl_enc_init(&enc, buffer + RING_BUFFER - 16, 16);
   vl_encode_vkWaitVirtqueueSeqnoMESA(&enc, 0, 0);
   const uint32_t unknown[2] = { 0x7ffffff0u, 0 };
   memcpy(buffer, unknown, sizeof(unknown));
   publish(RING_BUFFER + 8);
   expect_ring_lost("byte 16 of the ring stream: unknown command type");
}

static void
test_ring_write_extra_outside(void **state)
{
   (void)state;
   VkRingCreateInfoMESA info = ring_info(ring_resource());
   create_ring(&info);
   assert_true(submit());
   begin();
   vl_encode_vkWriteRingExtraMESA(&g.enc, 0, 0x5000, VL_RING_EXTRA_SIZE, 1);
   expect_lost("write outside the ring's extra region");
}

static void
test_ring_unknown_id(void **state)
{
   (void)state;
   vl_encode_vkNotifyRingMESA(&g.enc, 0, 0x6000, 0, 0);
   expect_lost("unknown ring 0x6000");
}

/* ---- the reply stream ---------------------------------------------------------------- */

static void
set_reply(uint32_t resource, uint64_t offset, uint64_t size)
{
   const VkCommandStreamDescriptionMESA s = { .resourceId = resource,
                                              .offset = offset,
                                              .size = size };
   vl_encode_vkSetReplyCommandStreamMESA(&g.enc, 0, &s);
}

static void
reply_command(void)
{
   /* a reply of 4 + 4 + 8 + 4 bytes */
   uint32_t version;
   vl_encode_vkEnumerateInstanceVersion(&g.enc, VK_COMMAND_GENERATE_REPLY_BIT_EXT, &version);
}

static void
test_reply_too_small(void **state)
{
   (void)state;
   const uint32_t res = vlr_context_resource_create(g.ctx, small, sizeof(small));
   set_reply(res, 0, 12);
   reply_command();
   expect_lost("reply does not fit the reply stream");
}

static void
test_reply_full(void **state)
{
   (void)state;
   const uint32_t res = vlr_context_resource_create(g.ctx, small, sizeof(small));
   set_reply(res, 0, sizeof(small));
   for (int i = 0; i < 4; i++)
      reply_command(); /* the fourth no longer fits */
   expect_lost("reply does not fit the reply stream");
   /* and nothing was written past the stream */
}

static void
test_reply_stream_past_resource(void **state)
{
   (void)state;
   const uint32_t res = vlr_context_resource_create(g.ctx, small, sizeof(small));
   /* accepted when set (Venus checks the offset only), refused when used */
   set_reply(res, 48, 1 << 20);
   assert_true(submit());
   begin();
   reply_command();
   expect_lost("reply does not fit the reply stream");
}

static void
test_reply_offset_past_resource(void **state)
{
   (void)state;
   const uint32_t res = vlr_context_resource_create(g.ctx, small, sizeof(small));
   set_reply(res, sizeof(small) + 8, 8);
   expect_lost("the reply stream's resource is unknown or too small");
}

static void
test_reply_unknown_resource(void **state)
{
   (void)state;
   set_reply(4242, 0, 64);
   expect_lost("the reply stream's resource is unknown or too small");
}

static void
test_reply_resource_gone(void **state)
{
   (void)state;
   const uint32_t res = vlr_context_resource_create(g.ctx, small, sizeof(small));
   set_reply(res, 0, sizeof(small));
   assert_true(submit());
   vlr_context_resource_destroy(g.ctx, res);
   begin();
   reply_command();
   expect_lost("a reply is requested but the reply stream's resource was released");
}

static void
test_seek_past_reply_stream(void **state)
{
   (void)state;
   vl_encode_vkSeekReplyCommandStreamMESA(&g.enc, 0, REPLY_SIZE + 1);
   expect_lost("seek outside the reply stream");
}

/* ---- counts and sizes ---------------------------------------------------------------- */

static void
test_count_larger_than_stream(void **state)
{
   (void)state;
   /* vkResetFences with fenceCount 2^31 and an array size to match, and
    * nothing after: refused before anything is allocated */
   vl_enc_u32(&g.enc, VL_CMD_vkResetFences);
   vl_enc_u32(&g.enc, 0);
   vl_enc_u64(&g.enc, DEVICE);
   vl_enc_u32(&g.enc, 1u << 31);
   vl_enc_u64(&g.enc, 1u << 31);
   expect_lost("count larger than the bytes left in the stream");
}

static void
test_array_size_differs_from_count(void **state)
{
   (void)state;
   create_fence(0x207);
   vl_enc_u32(&g.enc, VL_CMD_vkResetFences);
   vl_enc_u32(&g.enc, 0);
   vl_enc_u64(&g.enc, DEVICE);
   vl_enc_u32(&g.enc, 1);
   vl_enc_u64(&g.enc, 2);
   vl_enc_u64(&g.enc, 0x207);
   vl_enc_u64(&g.enc, 0x207);
   expect_lost("array size differs from its count");
}

static void
test_stream_ends_inside_command(void **state)
{
   (void)state;
   create_buffer(0x208);
   g.enc.cur -= 12;
   expect_lost("stream ends inside a command");
}

const struct CMUnitTest hostile_decoding_tests[] = {
   HOSTILE_TEST(test_id_used_after_destroy),
   HOSTILE_TEST(test_command_buffer_used_after_free_in_its_stream),
   HOSTILE_TEST(test_device_used_after_destroy_in_its_stream),
   HOSTILE_TEST(test_destroy_twice),
   HOSTILE_TEST(test_id_of_wrong_type),
   HOSTILE_TEST(test_dispatchable_of_wrong_type),
   HOSTILE_TEST(test_id_never_created),
   HOSTILE_TEST(test_id_inside_array_never_created),
   HOSTILE_TEST(test_new_id_in_use),
   HOSTILE_TEST(test_new_id_zero),
   HOSTILE_TEST(test_null_dispatchable),
   HOSTILE_TEST(test_unknown_command),
   HOSTILE_TEST(test_execute_unknown_resource),
   HOSTILE_TEST(test_execute_offset_past_resource),
   HOSTILE_TEST(test_execute_size_past_resource),
   HOSTILE_TEST(test_execute_size_wraps),
   HOSTILE_TEST(test_execute_nested),
   HOSTILE_TEST(test_execute_reply_position_past_stream),
   HOSTILE_TEST(test_ring_unknown_resource),
   HOSTILE_TEST(test_ring_offset_past_resource),
   HOSTILE_TEST(test_ring_size_past_resource),
   HOSTILE_TEST(test_ring_offset_wraps),
   HOSTILE_TEST(test_ring_head_outside),
   HOSTILE_TEST(test_ring_tail_outside),
   HOSTILE_TEST(test_ring_buffer_outside),
   HOSTILE_TEST(test_ring_buffer_size_wraps),
   HOSTILE_TEST(test_ring_regions_overlap),
   HOSTILE_TEST(test_ring_buffer_not_power_of_two),
   HOSTILE_TEST(test_ring_head_not_zero),
   HOSTILE_TEST(test_ring_tail_beyond_buffer),
   HOSTILE_TEST(test_ring_tail_behind_head),
   HOSTILE_TEST(test_ring_span_wrapping_around),
   HOSTILE_TEST(test_ring_write_extra_outside),
   HOSTILE_TEST(test_ring_unknown_id),
   HOSTILE_TEST(test_reply_too_small),
   HOSTILE_TEST(test_reply_full),
   HOSTILE_TEST(test_reply_stream_past_resource),
   HOSTILE_TEST(test_reply_offset_past_resource),
   HOSTILE_TEST(test_reply_unknown_resource),
   HOSTILE_TEST(test_reply_resource_gone),
   HOSTILE_TEST(test_seek_past_reply_stream),
   HOSTILE_TEST(test_count_larger_than_stream),
   HOSTILE_TEST(test_array_size_differs_from_count),
   HOSTILE_TEST(test_stream_ends_inside_command),
};
const size_t hostile_decoding_count =
   sizeof(hostile_decoding_tests) / sizeof(hostile_decoding_tests[0]);
