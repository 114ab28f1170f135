/*
 * Hostile guests: streams a well-behaved ICD never sends, encoded by hand
 * with the generated encoders and submitted straight to a renderer context
 * on lavapipe.  Each must end in the context's fatal state with a message
 * that says why, and nothing else: no crash, and (in the sanitized build) no
 * read or write outside the memory the guest shared.
 *
 * Every test starts from a fresh context with an instance, a device and a
 * queue, made by a well-formed stream, so that a refusal is the refusal of
 * the one bad command the test adds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "vl_protocol_guest.h"
#include "vl_ring_layout.h"
#include "vlr_context.h"

/* Guest ids of the objects every test starts with. */
#define INSTANCE 0x100
#define PHYSICAL 0x101
#define DEVICE   0x102
#define QUEUE    0x103

#define REPLY_SIZE 65536

struct guest {
   struct vlr_context *ctx;
   uint8_t *reply;
   uint32_t reply_res;
   uint8_t buf[8192];
   struct vl_encoder enc;
};

static struct guest g;

static void
begin(void)
{
   vl_enc_init(&g.enc, g.buf, sizeof(g.buf));
}

static bool
submit(void)
{
   assert_false(g.enc.overflow);
   return vlr_context_submit(g.ctx, g.buf, (size_t)(g.enc.cur - g.buf));
}

/* The stream ends the context, and the reason names what went wrong. */
static void
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

static int
setup(void **state)
{
   (void)state;
   char err[512];
   /* work that never completes is released after 200 ms, not 10 s */
   const struct vlr_context_options options = { .idle_timeout_ns = 200000000,
                                                .refuse_unbounded_waits = true,
                                                .guards = VLR_GUARDS_REFUSE };
   g.ctx = vlr_context_create(&options, err, sizeof(err));
   if (!g.ctx)
      fail_msg("no renderer context: %s", err);
   g.reply = calloc(1, REPLY_SIZE);
   g.reply_res = vlr_context_resource_create(g.ctx, g.reply, REPLY_SIZE);
   assert_int_not_equal(g.reply_res, 0);

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

static int
teardown(void **state)
{
   (void)state;
   vlr_context_destroy(g.ctx);
   free(g.reply);
   g.ctx = NULL;
   return 0;
}

static VkDevice
device(void)
{
   return (VkDevice)(uintptr_t)DEVICE;
}

static void
create_buffer(uint64_t id)
{
   const VkBufferCreateInfo info = { .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                                     .size = 4096,
                                     .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT };
   VkBuffer buffer = (VkBuffer)(uintptr_t)id;
   vl_encode_vkCreateBuffer(&g.enc, 0, device(), &info, NULL, &buffer);
}

static void
create_fence(uint64_t id)
{
   const VkFenceCreateInfo info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
   VkFence fence = (VkFence)(uintptr_t)id;
   vl_encode_vkCreateFence(&g.enc, 0, device(), &info, NULL, &fence);
}

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
   vlr_context_notify_ring(g.ctx, 0x5000);
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

/* ---- work in flight ------------------------------------------------------------------- */

#define POOL 0x300
#define CB   0x301

/* A command buffer that waits for an event, submitted. */
static void
submit_waiting_for(VkEvent event, VkSemaphore wait)
{
   const VkCommandPoolCreateInfo pci = { .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO };
   VkCommandPool pool = (VkCommandPool)(uintptr_t)POOL;
   vl_encode_vkCreateCommandPool(&g.enc, 0, device(), &pci, NULL, &pool);
   const VkCommandBufferAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                            .commandPool = pool,
                                            .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                            .commandBufferCount = 1 };
   VkCommandBuffer cb = (VkCommandBuffer)(uintptr_t)CB;
   vl_encode_vkAllocateCommandBuffers(&g.enc, 0, device(), &ai, &cb);
   const VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
   vl_encode_vkBeginCommandBuffer(&g.enc, 0, cb, &bi);
   if (event)
      vl_encode_vkCmdWaitEvents(&g.enc, 0, cb, 1, &event, VK_PIPELINE_STAGE_HOST_BIT,
                                VK_PIPELINE_STAGE_TRANSFER_BIT, 0, NULL, 0, NULL, 0, NULL);
   vl_encode_vkEndCommandBuffer(&g.enc, 0, cb);
   const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
   const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .waitSemaphoreCount = wait ? 1 : 0,
                             .pWaitSemaphores = wait ? &wait : NULL,
                             .pWaitDstStageMask = wait ? &stage : NULL,
                             .commandBufferCount = 1,
                             .pCommandBuffers = &cb };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &si, VK_NULL_HANDLE);
}

static double
seconds(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_destroy_what_pending_work_uses(void **state)
{
   (void)state;
   /* Work waits for an event the guest never sets, then the guest destroys
    * the event and re-records the command buffer: the renderer releases
    * the work (sets the event) before it lets either happen. */
   const VkEventCreateInfo eci = { .sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO };
   VkEvent event = (VkEvent)(uintptr_t)0x302;
   vl_encode_vkCreateEvent(&g.enc, 0, device(), &eci, NULL, &event);
   submit_waiting_for(event, VK_NULL_HANDLE);
   assert_true(submit());
   const double start = seconds();
   begin();
   vl_encode_vkDestroyEvent(&g.enc, 0, device(), event, NULL);
   const VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
   vl_encode_vkBeginCommandBuffer(&g.enc, 0, (VkCommandBuffer)(uintptr_t)CB, &bi);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   assert_true(seconds() - start < 5.0);
   /* the event is gone */
   begin();
   vl_encode_vkDestroyEvent(&g.enc, 0, device(), event, NULL);
   expect_lost("unknown object id 0x302");
}

static void
test_rerecord_in_flight_in_the_stream_that_submitted_it(void **state)
{
   (void)state;
   /* One stream records a command buffer, submits it (its work waits for an
    * event nobody sets) and begins it again.  Every command before the
    * second vkBeginCommandBuffer found that command buffer idle; the
    * renderer must not trust that past the submission: it releases the
    * work (sets the event) before the host re-records it. */
   const VkEventCreateInfo eci = { .sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO };
   VkEvent event = (VkEvent)(uintptr_t)0x306;
   vl_encode_vkCreateEvent(&g.enc, 0, device(), &eci, NULL, &event);
   submit_waiting_for(event, VK_NULL_HANDLE);
   const VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
   vl_encode_vkBeginCommandBuffer(&g.enc, 0, (VkCommandBuffer)(uintptr_t)CB, &bi);
   vl_encode_vkEndCommandBuffer(&g.enc, 0, (VkCommandBuffer)(uintptr_t)CB);
   vl_encode_vkSeekReplyCommandStreamMESA(&g.enc, 0, 0);
   vl_encode_vkGetEventStatus(&g.enc, VK_COMMAND_GENERATE_REPLY_BIT_EXT, device(), event);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   struct vl_decoder dec;
   vl_dec_init(&dec, g.reply, REPLY_SIZE, NULL, NULL);
   assert_int_equal(vl_decode_vkGetEventStatus_reply(&dec, device(), event), VK_EVENT_SET);
   assert_null(dec.error);
}

static void
test_wait_for_binary_semaphore_never_signaled(void **state)
{
   (void)state;
   const VkSemaphoreCreateInfo sci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO };
   VkSemaphore sem = (VkSemaphore)(uintptr_t)0x303;
   vl_encode_vkCreateSemaphore(&g.enc, 0, device(), &sci, NULL, &sem);
   submit_waiting_for(VK_NULL_HANDLE, sem);
   /* the host driver would wait inside vkQueueSubmit for a signal that
    * cannot come any more */
   expect_lost("waits for a binary semaphore that nothing has signaled");
}

static void
test_binary_semaphore_signaled_then_waited(void **state)
{
   (void)state;
   /* the valid order: a submit signals, the next one waits, and the wait
    * consumes the signal: a second wait is refused */
   const VkSemaphoreCreateInfo sci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO };
   VkSemaphore sem = (VkSemaphore)(uintptr_t)0x305;
   vl_encode_vkCreateSemaphore(&g.enc, 0, device(), &sci, NULL, &sem);
   const VkSubmitInfo signal = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                 .signalSemaphoreCount = 1,
                                 .pSignalSemaphores = &sem };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &signal, VK_NULL_HANDLE);
   submit_waiting_for(VK_NULL_HANDLE, sem);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   begin();
   const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
   const VkSubmitInfo wait = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                               .waitSemaphoreCount = 1,
                               .pWaitSemaphores = &sem,
                               .pWaitDstStageMask = &stage };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &wait, VK_NULL_HANDLE);
   expect_lost("waits for a binary semaphore that nothing has signaled");
}

static void
create_semaphore(uint64_t id, VkSemaphoreType type)
{
   const VkSemaphoreTypeCreateInfo tci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                           .semaphoreType = type };
   const VkSemaphoreCreateInfo sci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                       .pNext = &tci };
   VkSemaphore sem = (VkSemaphore)(uintptr_t)id;
   vl_encode_vkCreateSemaphore(&g.enc, 0, device(), &sci, NULL, &sem);
}

/* A batch waiting for a value of the timeline semaphore t nothing has
 * signaled (the host holds the batch back) that signals the binary
 * semaphore b. */
static void
submit_held_signal(VkSemaphore t, uint64_t value, VkSemaphore b)
{
   const VkTimelineSemaphoreSubmitInfo ts = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .waitSemaphoreValueCount = 1,
      .pWaitSemaphoreValues = &value,
   };
   const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
   const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .pNext = &ts,
                             .waitSemaphoreCount = 1,
                             .pWaitSemaphores = &t,
                             .pWaitDstStageMask = &stage,
                             .signalSemaphoreCount = 1,
                             .pSignalSemaphores = &b };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &si, VK_NULL_HANDLE);
}

static void
submit_wait(VkSemaphore b)
{
   const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
   const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .waitSemaphoreCount = 1,
                             .pWaitSemaphores = &b,
                             .pWaitDstStageMask = &stage };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &si, VK_NULL_HANDLE);
}

static void
test_binary_wait_behind_held_batch(void **state)
{
   (void)state;
   /* The signal of b waits for a timeline value nobody signals: the host
    * driver (Mesa's queue code) would block inside vkQueueSubmit until it
    * is, and only this stream could signal it (the fuzzer's hang). */
   const VkSemaphore t = (VkSemaphore)(uintptr_t)0x306, b = (VkSemaphore)(uintptr_t)0x307;
   create_semaphore(0x306, VK_SEMAPHORE_TYPE_TIMELINE);
   create_semaphore(0x307, VK_SEMAPHORE_TYPE_BINARY);
   submit_held_signal(t, 5, b);
   submit_wait(b);
   const double start = seconds();
   expect_lost("whose signal is itself held back");
   assert_true(seconds() - start < 5.0);
}

static void
test_binary_wait_after_held_batch_released(void **state)
{
   (void)state;
   /* The same, valid: the host signals the timeline value first, so the
    * batch that signals b reaches the driver and the wait is accepted. */
   const VkSemaphore t = (VkSemaphore)(uintptr_t)0x306, b = (VkSemaphore)(uintptr_t)0x307;
   create_semaphore(0x306, VK_SEMAPHORE_TYPE_TIMELINE);
   create_semaphore(0x307, VK_SEMAPHORE_TYPE_BINARY);
   submit_held_signal(t, 5, b);
   const VkSemaphoreSignalInfo signal = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                          .semaphore = t,
                                          .value = 5 };
   vl_encode_vkSignalSemaphore(&g.enc, 0, device(), &signal);
   submit_wait(b);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   /* a value below the wait releases nothing */
   begin();
   submit_held_signal(t, 8, b);
   const VkSemaphoreSignalInfo low = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                       .semaphore = t,
                                       .value = 7 };
   vl_encode_vkSignalSemaphore(&g.enc, 0, device(), &low);
   submit_wait(b);
   expect_lost("whose signal is itself held back");
}

static void
test_counter_value_of_a_binary_semaphore(void **state)
{
   (void)state;
   /* lavapipe calls a NULL function for it (the fuzzer's SEGV) */
   create_semaphore(0x307, VK_SEMAPHORE_TYPE_BINARY);
   uint64_t value = 0;
   vl_encode_vkGetSemaphoreCounterValue(&g.enc, 0, device(), (VkSemaphore)(uintptr_t)0x307, &value);
   expect_lost("a binary semaphore where only timeline semaphores are valid");
}

static void
test_signal_a_binary_semaphore_from_the_host(void **state)
{
   (void)state;
   create_semaphore(0x306, VK_SEMAPHORE_TYPE_TIMELINE);
   create_semaphore(0x307, VK_SEMAPHORE_TYPE_BINARY);
   VkSemaphoreSignalInfo signal = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                    .semaphore = (VkSemaphore)(uintptr_t)0x306,
                                    .value = 1 };
   vl_encode_vkSignalSemaphore(&g.enc, 0, device(), &signal);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   begin();
   signal.semaphore = (VkSemaphore)(uintptr_t)0x307;
   vl_encode_vkSignalSemaphore(&g.enc, 0, device(), &signal);
   expect_lost("a binary semaphore where only timeline semaphores are valid");
}

/* A batch signaling value of the timeline semaphore t. */
static void
submit_timeline_signal(VkSemaphore t, uint64_t value)
{
   const VkTimelineSemaphoreSubmitInfo ts = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .signalSemaphoreValueCount = 1,
      .pSignalSemaphoreValues = &value,
   };
   const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .pNext = &ts,
                             .signalSemaphoreCount = 1,
                             .pSignalSemaphores = &t };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &si, VK_NULL_HANDLE);
}

static void
test_timeline_values_that_do_not_increase(void **state)
{
   (void)state;
   /* lavapipe loses its device over it, and its queue then blocks the next
    * wait for a binary semaphore inside vkQueueSubmit */
   const VkSemaphore t = (VkSemaphore)(uintptr_t)0x306;
   create_semaphore(0x306, VK_SEMAPHORE_TYPE_TIMELINE);
   submit_timeline_signal(t, 5);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   begin();
   submit_timeline_signal(t, 5);
   expect_lost("signals a timeline semaphore with a value not above one already signaled");
}

static void
test_host_signal_above_a_pending_queue_signal(void **state)
{
   (void)state;
   /* a batch held back by a wait for 5 will signal 8: the host may signal
    * 5 (releasing it), not 8 */
   const VkSemaphore t = (VkSemaphore)(uintptr_t)0x306;
   create_semaphore(0x306, VK_SEMAPHORE_TYPE_TIMELINE);
   const uint64_t five = 5, eight = 8;
   const VkTimelineSemaphoreSubmitInfo ts = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .waitSemaphoreValueCount = 1,
      .pWaitSemaphoreValues = &five,
      .signalSemaphoreValueCount = 1,
      .pSignalSemaphoreValues = &eight,
   };
   const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
   const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .pNext = &ts,
                             .waitSemaphoreCount = 1,
                             .pWaitSemaphores = &t,
                             .pWaitDstStageMask = &stage,
                             .signalSemaphoreCount = 1,
                             .pSignalSemaphores = &t };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &si, VK_NULL_HANDLE);
   VkSemaphoreSignalInfo signal = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                    .semaphore = t,
                                    .value = 8 };
   vl_encode_vkSignalSemaphore(&g.enc, 0, device(), &signal);
   expect_lost("vkSignalSemaphore to 8, not below the value 8 a queue batch is still to signal");
}

static void
test_timeline_semaphore_without_the_feature(void **state)
{
   (void)state;
   /* The renderer could not release work waiting on it (no host
    * vkSignalSemaphore is promised without the feature). */
   const float priority = 1.0f;
   const VkDeviceQueueCreateInfo qci = { .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                         .queueCount = 1,
                                         .pQueuePriorities = &priority };
   const VkDeviceCreateInfo dci = { .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                    .queueCreateInfoCount = 1,
                                    .pQueueCreateInfos = &qci };
   VkDevice other = (VkDevice)(uintptr_t)0x109;
   vl_encode_vkCreateDevice(&g.enc, 0, (VkPhysicalDevice)(uintptr_t)PHYSICAL, &dci, NULL, &other);
   const VkSemaphoreTypeCreateInfo tci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                           .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE };
   const VkSemaphoreCreateInfo sci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                       .pNext = &tci };
   VkSemaphore sem = (VkSemaphore)(uintptr_t)0x309;
   vl_encode_vkCreateSemaphore(&g.enc, 0, other, &sci, NULL, &sem);
   expect_lost("without the timelineSemaphore feature");
}

static void
test_timeline_values_fewer_than_semaphores(void **state)
{
   (void)state;
   /* The host reads one value per semaphore: past the end of this array. */
   const VkSemaphore sems[2] = { (VkSemaphore)(uintptr_t)0x306, (VkSemaphore)(uintptr_t)0x308 };
   create_semaphore(0x306, VK_SEMAPHORE_TYPE_TIMELINE);
   create_semaphore(0x308, VK_SEMAPHORE_TYPE_TIMELINE);
   const uint64_t zero = 0;
   const VkTimelineSemaphoreSubmitInfo ts = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .signalSemaphoreValueCount = 1,
      .pSignalSemaphoreValues = &zero,
   };
   const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .pNext = &ts,
                             .signalSemaphoreCount = 2,
                             .pSignalSemaphores = sems };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &si, VK_NULL_HANDLE);
   expect_lost("fewer signal values than the batch has signal semaphores");
}

static void
test_blocking_wait_on_transport_stream(void **state)
{
   (void)state;
   /* A fence wait that may block, on a stream of the transport: it would
    * hold the context's thread for ever if nothing else could signal. */
   create_fence(0x304);
   const VkFence fence = (VkFence)(uintptr_t)0x304;
   vl_encode_vkWaitForFences(&g.enc, VK_COMMAND_GENERATE_REPLY_BIT_EXT, device(), 1, &fence,
                             VK_TRUE, UINT64_MAX);
   expect_lost("a wait that may block, in a direct stream");
}

/* ---- buffer ranges the host driver trusts ------------------------------------------- */

#define BUF    0x400
#define MEMORY 0x401
#define POOL2  0x402
#define CB2    0x403

/* A 4096-byte buffer; with memory bound when `bind` (a 4096-byte
 * allocation, at `offset` in it). */
static void
buffer_with_memory(bool bind, VkDeviceSize offset)
{
   create_buffer(BUF);
   if (!bind)
      return;
   const VkMemoryAllocateInfo mai = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                      .allocationSize = 4096,
                                      .memoryTypeIndex = 0 };
   VkDeviceMemory memory = (VkDeviceMemory)(uintptr_t)MEMORY;
   vl_encode_vkAllocateMemory(&g.enc, 0, device(), &mai, NULL, &memory);
   vl_encode_vkBindBufferMemory(&g.enc, 0, device(), (VkBuffer)(uintptr_t)BUF, memory, offset);
}

/* A command buffer in the recording state. */
static VkCommandBuffer
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
   vl_encode_vkCmdFillBuffer(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF, 0, 16, 0);
   expect_lost("the destination buffer has no memory bound");
}

static void
test_bind_buffer_past_the_memory(void **state)
{
   (void)state;
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
   /* count x stride wraps around 2^64 */
   vl_encode_vkCmdDrawIndexedIndirect(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF, 0, 0x40000001u,
                                      0x40000000u);
   expect_lost("leaves the buffer's 4096 bytes");
}

#define IMAGE  0x410
#define IMGMEM 0x411

/* A 64x64 RGBA8 image with 2 mip levels and 2 layers, with 64 KiB of
 * memory bound when `bind`. */
static void
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
   const VkMemoryAllocateInfo mai = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                      .allocationSize = 65536,
                                      .memoryTypeIndex = 0 };
   VkDeviceMemory memory = (VkDeviceMemory)(uintptr_t)IMGMEM;
   vl_encode_vkAllocateMemory(&g.enc, 0, device(), &mai, NULL, &memory);
   vl_encode_vkBindImageMemory(&g.enc, 0, device(), image, memory, 0);
}

static void
test_copy_to_image_outside_its_mip_level(void **state)
{
   (void)state;
   buffer_with_memory(true, 0);
   image_with_memory(true);
   const VkCommandBuffer cb = recording();
   /* mip level 1 is 32x32: 16x16 at 16,16 fits (and 1 KiB of buffer) */
   VkBufferImageCopy r = { .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 1, 0, 1 },
                           .imageOffset = { 16, 16, 0 },
                           .imageExtent = { 16, 16, 1 } };
   vl_encode_vkCmdCopyBufferToImage(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF,
                                    (VkImage)(uintptr_t)IMAGE, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                    1, &r);
   assert_true(submit());
   begin();
   r.imageOffset.x = 17;
   vl_encode_vkCmdCopyBufferToImage(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF,
                                    (VkImage)(uintptr_t)IMAGE, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                    1, &r);
   expect_lost("the destination region (offset 17,16,0, extent 16,16,1) leaves mip level 1");
}

static void
test_copy_from_image_into_too_small_buffer(void **state)
{
   (void)state;
   buffer_with_memory(true, 0);
   image_with_memory(true);
   const VkCommandBuffer cb = recording();
   /* 32x32 texels of 4 bytes, 2 layers: 8 KiB into the 4 KiB buffer */
   const VkBufferImageCopy r = { .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 2 },
                                 .imageExtent = { 32, 32, 1 } };
   vl_encode_vkCmdCopyImageToBuffer(&g.enc, 0, cb, (VkImage)(uintptr_t)IMAGE,
                                    VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, (VkBuffer)(uintptr_t)BUF,
                                    1, &r);
   expect_lost("the buffer range (8192 bytes at offset 0) leaves the buffer's 4096 bytes");
}

static void
test_clear_mip_level_that_does_not_exist(void **state)
{
   (void)state;
   image_with_memory(true);
   const VkCommandBuffer cb = recording();
   const VkClearColorValue color = { .float32 = { 1, 0, 0, 1 } };
   const VkImageSubresourceRange range = { VK_IMAGE_ASPECT_COLOR_BIT, 2, 1, 0, 1 };
   vl_encode_vkCmdClearColorImage(&g.enc, 0, cb, (VkImage)(uintptr_t)IMAGE,
                                  VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &color, 1, &range);
   expect_lost("the cleared subresource range (mip levels 2+1, layers 0+1) leaves the image's 2 "
               "mip levels and 2 layers");
}

static void
test_subresource_layout_of_a_level_that_does_not_exist(void **state)
{
   (void)state;
   /* lavapipe reads its per-level tables of the image at the level given */
   image_with_memory(true);
   const VkImageSubresource sub = { VK_IMAGE_ASPECT_COLOR_BIT, 1, 1 };
   VkSubresourceLayout layout;
   vl_encode_vkGetImageSubresourceLayout(&g.enc, 0, device(), (VkImage)(uintptr_t)IMAGE, &sub,
                                         &layout);
   assert_true(submit());
   begin();
   const VkImageSubresource far = { VK_IMAGE_ASPECT_COLOR_BIT, 0x41414141, 0 };
   vl_encode_vkGetImageSubresourceLayout(&g.enc, 0, device(), (VkImage)(uintptr_t)IMAGE, &far,
                                         &layout);
   expect_lost("mip level 1094795585, layer 0: the image has 2 mip levels and 2 layers");
}

static void
test_view_of_layers_that_do_not_exist(void **state)
{
   (void)state;
   image_with_memory(true);
   const VkImageViewCreateInfo vci = { .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
                                       .image = (VkImage)(uintptr_t)IMAGE,
                                       .viewType = VK_IMAGE_VIEW_TYPE_2D_ARRAY,
                                       .format = VK_FORMAT_R8G8B8A8_UNORM,
                                       .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 1,
                                                             2 } };
   VkImageView view = (VkImageView)(uintptr_t)0x412;
   vl_encode_vkCreateImageView(&g.enc, 0, device(), &vci, NULL, &view);
   expect_lost("the view's subresource range (mip levels 0+1, layers 1+2)");
}

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

static void
test_image_without_memory(void **state)
{
   (void)state;
   buffer_with_memory(true, 0);
   image_with_memory(false);
   const VkCommandBuffer cb = recording();
   const VkBufferImageCopy r = { .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
                                 .imageExtent = { 4, 4, 1 } };
   vl_encode_vkCmdCopyBufferToImage(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF,
                                    (VkImage)(uintptr_t)IMAGE, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                    1, &r);
   expect_lost("the destination image has no memory bound");
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
test_push_constants_past_the_limit(void **state)
{
   (void)state;
   const VkCommandBuffer cb = recording();
   const VkPipelineLayoutCreateInfo plci = { .sType =
                                                VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO };
   VkPipelineLayout layout = (VkPipelineLayout)(uintptr_t)0x420;
   vl_encode_vkCreatePipelineLayout(&g.enc, 0, device(), &plci, NULL, &layout);
   uint8_t data[16] = { 0 };
   /* offset + size wraps around 2^32 */
   vl_encode_vkCmdPushConstants(&g.enc, 0, cb, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0xfffffff8u, 16,
                                data);
   expect_lost("push constant bytes 4294967288+16 exceed the host's limit");
}

static void
test_pipeline_with_a_sample_count_that_is_no_count(void **state)
{
   (void)state;
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
   vl_encode_vkCmdSetViewport(&g.enc, 0, cb, 4096, 1, &vp);
   expect_lost("viewports 4096+1 exceed the host's limit");
}

static void
test_create_image_the_host_does_not_support(void **state)
{
   (void)state;
   const VkImageCreateInfo ici = { .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                                   .imageType = VK_IMAGE_TYPE_2D,
                                   .format = VK_FORMAT_R8G8B8A8_UNORM,
                                   .extent = { 1u << 30, 1u << 30, 1 },
                                   .mipLevels = 1,
                                   .arrayLayers = 1,
                                   .samples = VK_SAMPLE_COUNT_1_BIT,
                                   .tiling = VK_IMAGE_TILING_OPTIMAL,
                                   .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT };
   VkImage image = (VkImage)(uintptr_t)0x421;
   vl_encode_vkCreateImage(&g.enc, 0, device(), &ici, NULL, &image);
   expect_lost("the host does not support this extent");
}

static void
test_malformed_spirv(void **state)
{
   (void)state;
   /* a SPIR-V header, then an instruction whose word count runs past the end */
   const uint32_t code[] = { 0x07230203, 0x00010000, 0, 8, 0, 0x00050011 };
   const VkShaderModuleCreateInfo info = { .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                           .codeSize = sizeof(code),
                                           .pCode = code };
   VkShaderModule module = (VkShaderModule)(uintptr_t)0x430;
   vl_encode_vkCreateShaderModule(&g.enc, 0, device(), &info, NULL, &module);
   expect_lost("invalid SPIR-V (");
}

static void
test_buffer_view_past_the_end(void **state)
{
   (void)state;
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

/* A storage buffer descriptor set (binding 0) and a write of 4096 bytes at
 * 1024 of a 4096-byte buffer into binding_to_write. */
static void
write_storage_descriptor(uint32_t binding_to_write)
{
   buffer_with_memory(true, 0);
   const VkDescriptorSetLayoutBinding binding = { .binding = 0,
                                                  .descriptorType =
                                                     VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                                  .descriptorCount = 1,
                                                  .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT };
   const VkDescriptorSetLayoutCreateInfo lci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .bindingCount = 1,
      .pBindings = &binding
   };
   VkDescriptorSetLayout layout = (VkDescriptorSetLayout)(uintptr_t)0x432;
   vl_encode_vkCreateDescriptorSetLayout(&g.enc, 0, device(), &lci, NULL, &layout);
   const VkDescriptorPoolSize size = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1 };
   const VkDescriptorPoolCreateInfo pci = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                            .maxSets = 1,
                                            .poolSizeCount = 1,
                                            .pPoolSizes = &size };
   VkDescriptorPool pool = (VkDescriptorPool)(uintptr_t)0x433;
   vl_encode_vkCreateDescriptorPool(&g.enc, 0, device(), &pci, NULL, &pool);
   const VkDescriptorSetAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                            .descriptorPool = pool,
                                            .descriptorSetCount = 1,
                                            .pSetLayouts = &layout };
   VkDescriptorSet set = (VkDescriptorSet)(uintptr_t)0x434;
   vl_encode_vkAllocateDescriptorSets(&g.enc, 0, device(), &ai, &set);
   const VkDescriptorBufferInfo bi = { (VkBuffer)(uintptr_t)BUF, 1024, 4096 };
   const VkWriteDescriptorSet w = { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                    .dstSet = set,
                                    .dstBinding = binding_to_write,
                                    .descriptorCount = 1,
                                    .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                    .pBufferInfo = &bi };
   vl_encode_vkUpdateDescriptorSets(&g.enc, 0, device(), 1, &w, 0, NULL);
}

static void
test_descriptor_range_past_the_end(void **state)
{
   (void)state;
   write_storage_descriptor(0);
   expect_lost("the descriptor range (4096 bytes at offset 1024) leaves the buffer's 4096 bytes");
}

static void
test_descriptor_write_to_a_binding_not_in_the_layout(void **state)
{
   (void)state;
   /* lavapipe indexes its binding table with dstBinding (the fuzzer's SEGV) */
   write_storage_descriptor(65537);
   expect_lost("the written binding 65537 is not in the descriptor set's layout");
}

/* ---- queries ----------------------------------------------------------------------- */

#define QUERIES 0x430

static void
create_query_pool_on(VkDevice dev, VkQueryType type, VkQueryPipelineStatisticFlags statistics,
                     uint32_t count)
{
   const VkQueryPoolCreateInfo info = { .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                        .queryType = type,
                                        .queryCount = count,
                                        .pipelineStatistics = statistics };
   VkQueryPool pool = (VkQueryPool)(uintptr_t)QUERIES;
   vl_encode_vkCreateQueryPool(&g.enc, 0, dev, &info, NULL, &pool);
}

static void
create_query_pool(VkQueryType type, VkQueryPipelineStatisticFlags statistics, uint32_t count)
{
   create_query_pool_on(device(), type, statistics, count);
}

#define XFB_DEVICE 0x440
#define XFB_POOL   0x441
#define XFB_CB     0x442

/* A second device, with VK_EXT_transform_feedback enabled, and a command
 * buffer of it in the recording state. */
static VkCommandBuffer
transform_feedback_recording(void)
{
   const float priority = 1.0f;
   const VkDeviceQueueCreateInfo qci = { .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                         .queueCount = 1,
                                         .pQueuePriorities = &priority };
   const char *ext = VK_EXT_TRANSFORM_FEEDBACK_EXTENSION_NAME;
   const VkDeviceCreateInfo dci = { .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                    .queueCreateInfoCount = 1,
                                    .pQueueCreateInfos = &qci,
                                    .enabledExtensionCount = 1,
                                    .ppEnabledExtensionNames = &ext };
   VkDevice dev = (VkDevice)(uintptr_t)XFB_DEVICE;
   vl_encode_vkCreateDevice(&g.enc, 0, (VkPhysicalDevice)(uintptr_t)PHYSICAL, &dci, NULL, &dev);
   const VkCommandPoolCreateInfo pci = { .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO };
   VkCommandPool pool = (VkCommandPool)(uintptr_t)XFB_POOL;
   vl_encode_vkCreateCommandPool(&g.enc, 0, dev, &pci, NULL, &pool);
   const VkCommandBufferAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                            .commandPool = pool,
                                            .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                            .commandBufferCount = 1 };
   VkCommandBuffer cb = (VkCommandBuffer)(uintptr_t)XFB_CB;
   vl_encode_vkAllocateCommandBuffers(&g.enc, 0, dev, &ai, &cb);
   const VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
   vl_encode_vkBeginCommandBuffer(&g.enc, 0, cb, &bi);
   return cb;
}

static void
test_query_results_past_their_storage(void **state)
{
   (void)state;
   /* lavapipe writes queryCount results at stride into pData, whatever
    * dataSize says (the CI fuzz run's SEGV) */
   create_query_pool(VK_QUERY_TYPE_TIMESTAMP, 0, 4);
   const VkQueryPool pool = (VkQueryPool)(uintptr_t)QUERIES;
   uint64_t data[4];
   vl_encode_vkGetQueryPoolResults(&g.enc, 0, device(), pool, 0, 2, 16, data, 8,
                                   VK_QUERY_RESULT_64_BIT);
   assert_true(submit());
   begin();
   vl_encode_vkGetQueryPoolResults(&g.enc, 0, device(), pool, 0, 4, 16, data, 1ull << 40,
                                   VK_QUERY_RESULT_64_BIT);
   expect_lost("4 results of 8 bytes, stride 1099511627776, leave the 16 bytes of pData");
}

static void
test_query_results_with_availability_one_value_short(void **state)
{
   (void)state;
   create_query_pool(VK_QUERY_TYPE_OCCLUSION, 0, 4);
   uint32_t data[4];
   /* two 32-bit results with availability: 8 + 8 bytes, stride 8 */
   vl_encode_vkGetQueryPoolResults(&g.enc, 0, device(), (VkQueryPool)(uintptr_t)QUERIES, 0, 2, 12,
                                   data, 8, VK_QUERY_RESULT_WITH_AVAILABILITY_BIT);
   expect_lost("2 results of 8 bytes, stride 8, leave the 12 bytes of pData");
}

static void
test_queries_outside_the_pool(void **state)
{
   (void)state;
   /* lavapipe indexes the pool's array of queries with them */
   create_query_pool(VK_QUERY_TYPE_OCCLUSION, 0, 4);
   const VkQueryPool pool = (VkQueryPool)(uintptr_t)QUERIES;
   vl_encode_vkResetQueryPool(&g.enc, 0, device(), pool, 0, 4);
   assert_true(submit());
   begin();
   const VkCommandBuffer cb = recording();
   vl_encode_vkCmdResetQueryPool(&g.enc, 0, cb, pool, 2, 3);
   expect_lost("queries 2..4 are outside the pool's 4");
}

static void
test_query_index_wraps(void **state)
{
   (void)state;
   create_query_pool(VK_QUERY_TYPE_TIMESTAMP, 0, 4);
   /* first + count wraps around 2^32 to 3 */
   vl_encode_vkResetQueryPool(&g.enc, 0, device(), (VkQueryPool)(uintptr_t)QUERIES, 4, UINT32_MAX);
   expect_lost("queries 4..4294967298 are outside the pool's 4");
}

static void
test_begin_query_past_the_pool(void **state)
{
   (void)state;
   create_query_pool(VK_QUERY_TYPE_OCCLUSION, 0, 4);
   const VkCommandBuffer cb = recording();
   vl_encode_vkCmdBeginQuery(&g.enc, 0, cb, (VkQueryPool)(uintptr_t)QUERIES, 4, 0);
   expect_lost("queries 4..4 are outside the pool's 4");
}

static void
test_timestamp_past_the_pool(void **state)
{
   (void)state;
   create_query_pool(VK_QUERY_TYPE_TIMESTAMP, 0, 4);
   const VkCommandBuffer cb = recording();
   vl_encode_vkCmdWriteTimestamp2(&g.enc, 0, cb, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT,
                                  (VkQueryPool)(uintptr_t)QUERIES, 70000);
   expect_lost("queries 70000..70000 are outside the pool's 4");
}

static void
test_statistics_copy_sized_by_the_pool(void **state)
{
   (void)state;
   /* three counters: 24 bytes per 64-bit result, not 8 */
   create_query_pool(VK_QUERY_TYPE_PIPELINE_STATISTICS,
                     VK_QUERY_PIPELINE_STATISTIC_INPUT_ASSEMBLY_VERTICES_BIT |
                        VK_QUERY_PIPELINE_STATISTIC_INPUT_ASSEMBLY_PRIMITIVES_BIT |
                        VK_QUERY_PIPELINE_STATISTIC_VERTEX_SHADER_INVOCATIONS_BIT,
                     2);
   buffer_with_memory(true, 0);
   const VkCommandBuffer cb = recording();
   const VkQueryPool pool = (VkQueryPool)(uintptr_t)QUERIES;
   vl_encode_vkCmdCopyQueryPoolResults(&g.enc, 0, cb, pool, 0, 2, (VkBuffer)(uintptr_t)BUF,
                                       4096 - 48, 24, VK_QUERY_RESULT_64_BIT);
   assert_true(submit());
   begin();
   vl_encode_vkCmdCopyQueryPoolResults(&g.enc, 0, cb, pool, 0, 1, (VkBuffer)(uintptr_t)BUF,
                                       4096 - 16, 24, VK_QUERY_RESULT_64_BIT);
   expect_lost("the destination range (24 bytes at offset 4080) leaves the buffer's 4096 bytes");
}

static void
test_statistics_the_host_does_not_count(void **state)
{
   (void)state;
   /* lavapipe reads a fixed table of counters at the index of every bit */
   create_query_pool(VK_QUERY_TYPE_PIPELINE_STATISTICS, 0x80000001u, 1);
   expect_lost("pipeline statistics 0x80000001 include bits the host does not count");
}

static void
test_query_type_unknown(void **state)
{
   (void)state;
   create_query_pool((VkQueryType)77, 0, 1);
   expect_lost("a VkQueryType value that Vulkan does not define: 0x4d");
}

static void
test_query_pool_too_large(void **state)
{
   (void)state;
   create_query_pool(VK_QUERY_TYPE_TIMESTAMP, 0, UINT32_MAX);
   expect_lost("4294967295 queries; the renderer takes at most 1048576 per pool");
}

static void
test_query_of_a_vertex_stream_the_device_lacks(void **state)
{
   (void)state;
   /* lavapipe indexes its table of streams with it */
   const VkCommandBuffer cb = transform_feedback_recording();
   create_query_pool_on((VkDevice)(uintptr_t)XFB_DEVICE,
                        VK_QUERY_TYPE_TRANSFORM_FEEDBACK_STREAM_EXT, 0, 1);
   const VkQueryPool pool = (VkQueryPool)(uintptr_t)QUERIES;
   vl_encode_vkCmdBeginQueryIndexedEXT(&g.enc, 0, cb, pool, 0, 0, 0);
   vl_encode_vkCmdEndQueryIndexedEXT(&g.enc, 0, cb, pool, 0, 0);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   begin();
   vl_encode_vkCmdBeginQueryIndexedEXT(&g.enc, 0, cb, pool, 0, 0, 1000);
   expect_lost("vertex stream 1000; the device has");
}

static void
test_transform_feedback_buffers_past_the_limit(void **state)
{
   (void)state;
   /* lavapipe keeps them in a fixed table */
   const VkCommandBuffer cb = transform_feedback_recording();
   const VkBuffer none = VK_NULL_HANDLE;
   const VkDeviceSize offset = 0;
   vl_encode_vkCmdBeginTransformFeedbackEXT(&g.enc, 0, cb, UINT32_MAX, 1, &none, &offset);
   expect_lost("transform feedback buffers 4294967295+1 exceed the host's limit of");
}

static void
test_blend_state_of_attachments_past_the_limit(void **state)
{
   (void)state;
   /* lavapipe keeps blend state in a table of maxColorAttachments entries */
   const VkCommandBuffer cb = recording();
   const VkBool32 on = VK_TRUE;
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
   vl_encode_vkCmdSetSampleMaskEXT(&g.enc, 0, cb, (VkSampleCountFlagBits)0, &mask);
   expect_lost("a VkSampleCountFlagBits value that Vulkan does not define: 0x0");
}

static void
test_condition_past_the_end_of_its_buffer(void **state)
{
   (void)state;
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

static void
test_draw_byte_count_with_stride_zero(void **state)
{
   (void)state;
   /* the host divides the byte count by the stride */
   buffer_with_memory(true, 0);
   const VkCommandBuffer cb = recording();
   vl_encode_vkCmdDrawIndirectByteCountEXT(&g.enc, 0, cb, 1, 0, (VkBuffer)(uintptr_t)BUF, 0, 0, 0);
   expect_lost("a vertex stride of 0 (the byte count is divided by it)");
}

int
main(void)
{
   const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
      T(test_id_used_after_destroy),
      T(test_command_buffer_used_after_free_in_its_stream),
      T(test_device_used_after_destroy_in_its_stream),
      T(test_destroy_twice),
      T(test_id_of_wrong_type),
      T(test_dispatchable_of_wrong_type),
      T(test_id_never_created),
      T(test_id_inside_array_never_created),
      T(test_new_id_in_use),
      T(test_new_id_zero),
      T(test_null_dispatchable),
      T(test_unknown_command),
      T(test_execute_unknown_resource),
      T(test_execute_offset_past_resource),
      T(test_execute_size_past_resource),
      T(test_execute_size_wraps),
      T(test_execute_nested),
      T(test_execute_reply_position_past_stream),
      T(test_ring_unknown_resource),
      T(test_ring_offset_past_resource),
      T(test_ring_size_past_resource),
      T(test_ring_offset_wraps),
      T(test_ring_head_outside),
      T(test_ring_tail_outside),
      T(test_ring_buffer_outside),
      T(test_ring_buffer_size_wraps),
      T(test_ring_regions_overlap),
      T(test_ring_buffer_not_power_of_two),
      T(test_ring_head_not_zero),
      T(test_ring_tail_beyond_buffer),
      T(test_ring_tail_behind_head),
      T(test_ring_span_wrapping_around),
      T(test_ring_write_extra_outside),
      T(test_ring_unknown_id),
      T(test_reply_too_small),
      T(test_reply_full),
      T(test_reply_stream_past_resource),
      T(test_reply_offset_past_resource),
      T(test_reply_unknown_resource),
      T(test_reply_resource_gone),
      T(test_seek_past_reply_stream),
      T(test_count_larger_than_stream),
      T(test_array_size_differs_from_count),
      T(test_stream_ends_inside_command),
      T(test_destroy_what_pending_work_uses),
      T(test_rerecord_in_flight_in_the_stream_that_submitted_it),
      T(test_wait_for_binary_semaphore_never_signaled),
      T(test_binary_semaphore_signaled_then_waited),
      T(test_binary_wait_behind_held_batch),
      T(test_binary_wait_after_held_batch_released),
      T(test_timeline_values_fewer_than_semaphores),
      T(test_timeline_semaphore_without_the_feature),
      T(test_timeline_values_that_do_not_increase),
      T(test_host_signal_above_a_pending_queue_signal),
      T(test_counter_value_of_a_binary_semaphore),
      T(test_signal_a_binary_semaphore_from_the_host),
      T(test_blocking_wait_on_transport_stream),
      T(test_update_buffer_past_the_end),
      T(test_copy_buffer_one_byte_too_far),
      T(test_fill_buffer_size_wraps),
      T(test_buffer_without_memory),
      T(test_bind_buffer_past_the_memory),
      T(test_indirect_draws_past_the_end),
      T(test_indirect_stride_overflow),
      T(test_copy_to_image_outside_its_mip_level),
      T(test_copy_from_image_into_too_small_buffer),
      T(test_clear_mip_level_that_does_not_exist),
      T(test_subresource_layout_of_a_level_that_does_not_exist),
      T(test_view_of_layers_that_do_not_exist),
      T(test_image_without_memory),
      T(test_copy_within_a_buffer_overlapping),
      T(test_push_constants_past_the_limit),
      T(test_pipeline_with_a_sample_count_that_is_no_count),
      T(test_sampler_with_a_border_color_that_does_not_exist),
      T(test_viewports_past_the_limit),
      T(test_create_image_the_host_does_not_support),
      T(test_framebuffer_larger_than_its_attachment),
      T(test_render_area_past_the_framebuffer),
      T(test_multiview_framebuffer_with_too_few_layers),
      T(test_render_area_past_the_attachment),
      T(test_malformed_spirv),
      T(test_buffer_view_past_the_end),
      T(test_descriptor_range_past_the_end),
      T(test_descriptor_write_to_a_binding_not_in_the_layout),
      T(test_query_results_past_their_storage),
      T(test_query_results_with_availability_one_value_short),
      T(test_queries_outside_the_pool),
      T(test_query_index_wraps),
      T(test_begin_query_past_the_pool),
      T(test_timestamp_past_the_pool),
      T(test_statistics_copy_sized_by_the_pool),
      T(test_statistics_the_host_does_not_count),
      T(test_query_type_unknown),
      T(test_query_pool_too_large),
      T(test_query_of_a_vertex_stream_the_device_lacks),
      T(test_transform_feedback_buffers_past_the_limit),
      T(test_draw_byte_count_with_stride_zero),
      T(test_blend_state_of_attachments_past_the_limit),
      T(test_sample_mask_of_no_samples),
      T(test_condition_past_the_end_of_its_buffer),
#undef T
   };
   const int failed = cmocka_run_group_tests(tests, NULL, NULL);
   free(ring_mem);
   return failed;
}
