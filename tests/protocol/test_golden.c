/*
 * Golden bytes: the worked examples of the Venus wire format (wire-format.md
 * §11, special-commands.md §3, and the smaller examples of §6-7), whose bytes
 * were verified against virglrenderer 0.10.4.  Our encoders must produce them
 * byte for byte; our decoders must read them back into the same values.
 *
 * Each expected stream is written here as the example tables give it, one
 * table row per put32/put64 call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vl_protocol_guest.h"
#include "vl_protocol_host.h"

struct bytes {
   uint8_t data[512];
   size_t size;
};

static void
put32(struct bytes *b, uint32_t v)
{
   memcpy(b->data + b->size, &v, 4);
   b->size += 4;
}

static void
put64(struct bytes *b, uint64_t v)
{
   memcpy(b->data + b->size, &v, 8);
   b->size += 8;
}

static void
putstr(struct bytes *b, const char *s, size_t padded)
{
   memset(b->data + b->size, 0, padded);
   memcpy(b->data + b->size, s, strlen(s) + 1);
   b->size += padded;
}

/* Asserts that [buf, buf+size) equals the expected bytes, with a readable diff. */
static void
assert_bytes(const void *buf, size_t size, const struct bytes *want)
{
   const uint8_t *got = buf;
   if (size != want->size)
      fail_msg("size %zu, expected %zu", size, want->size);
   for (size_t i = 0; i < size; i++) {
      if (got[i] != want->data[i])
         fail_msg("byte %zu: got 0x%02x, expected 0x%02x", i, got[i], want->data[i]);
   }
}

#define ENCODE(buf, size_expr, call)                                                               \
   do {                                                                                            \
      struct vl_encoder enc;                                                                       \
      vl_enc_init(&enc, buf, sizeof(buf));                                                         \
      call;                                                                                        \
      assert_false(enc.overflow);                                                                  \
      assert_int_equal((size_t)(enc.cur - (uint8_t *)(buf)), (size_expr));                         \
      written = (size_t)(enc.cur - (uint8_t *)(buf));                                              \
   } while (0)

/* Example 1: vkCreateBuffer with a two-struct pNext chain, and its reply. */
static void
test_create_buffer(void **state)
{
   (void)state;
   struct bytes want = { 0 };
   put32(&want, 50);         /* vkCreateBuffer */
   put32(&want, 1);          /* GENERATE_REPLY */
   put64(&want, 0x30);       /* device */
   put64(&want, 1);          /* pCreateInfo present */
   put32(&want, 12);         /* VkBufferCreateInfo.sType */
   put64(&want, 1);          /* pNext present */
   put32(&want, 1000072000); /* VkExternalMemoryBufferCreateInfo */
   put64(&want, 1);          /* its pNext present */
   put32(&want, 1000257002); /* VkBufferOpaqueCaptureAddressCreateInfo */
   put64(&want, 0);          /* end of chain */
   put64(&want, 0);          /* opaqueCaptureAddress */
   put32(&want, 1);          /* handleTypes = OPAQUE_FD */
   put32(&want, 0);          /* flags */
   put64(&want, 4096);       /* size */
   put32(&want, 0x82);       /* usage */
   put32(&want, 0);          /* sharingMode */
   put32(&want, 0);          /* queueFamilyIndexCount */
   put64(&want, 0);          /* pQueueFamilyIndices */
   put64(&want, 0);          /* pAllocator */
   put64(&want, 1);          /* pBuffer present */
   put64(&want, 0x42);       /* the new buffer's id */
   assert_int_equal(want.size, 128);

   const VkBufferOpaqueCaptureAddressCreateInfo addr = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_OPAQUE_CAPTURE_ADDRESS_CREATE_INFO,
   };
   const VkExternalMemoryBufferCreateInfo ext = {
      .sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
      .pNext = &addr,
      .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
   };
   const VkBufferCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
      .pNext = &ext,
      .size = 4096,
      .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_VERTEX_BUFFER_BIT,
   };
   VkDevice device = (VkDevice)(uintptr_t)0x30;
   VkBuffer buffer = (VkBuffer)(uintptr_t)0x42;
   uint8_t buf[256];
   size_t written;
   ENCODE(buf, vl_sizeof_vkCreateBuffer(device, &info, NULL, &buffer),
          vl_encode_vkCreateBuffer(&enc, VK_COMMAND_GENERATE_REPLY_BIT_EXT, device, &info, NULL,
                                   &buffer));
   assert_bytes(buf, written, &want);

   /* Decode it as the renderer does (ids stay raw without an object table). */
   struct vl_arena arena;
   vl_arena_init(&arena, 0);
   struct vl_decoder dec;
   vl_dec_init(&dec, want.data, want.size, &arena, NULL);
   assert_int_equal(vl_dec_u32(&dec), 50);
   assert_int_equal(vl_dec_u32(&dec), 1);
   struct vl_args_vkCreateBuffer args = { 0 };
   vl_decode_vkCreateBuffer_args(&dec, &args);
   assert_null(dec.error);
   assert_int_equal(vl_dec_remaining(&dec), 0);
   assert_int_equal((uintptr_t)args.device, 0x30);
   assert_int_equal(args.pCreateInfo->size, 4096);
   assert_int_equal(args.pCreateInfo->usage, 0x82);
   assert_null(args.pCreateInfo->pQueueFamilyIndices);
   const VkExternalMemoryBufferCreateInfo *dext = args.pCreateInfo->pNext;
   assert_int_equal(dext->sType, VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO);
   assert_int_equal(dext->handleTypes, 1);
   const VkBufferOpaqueCaptureAddressCreateInfo *daddr = dext->pNext;
   assert_int_equal(daddr->sType, VK_STRUCTURE_TYPE_BUFFER_OPAQUE_CAPTURE_ADDRESS_CREATE_INFO);
   assert_null(daddr->pNext);
   assert_null(args.pAllocator);
   assert_int_equal((uintptr_t)*args.pBuffer, 0x42);

   /* The reply: 24 bytes. */
   struct bytes rwant = { 0 };
   put32(&rwant, 50);
   put32(&rwant, 0); /* VK_SUCCESS */
   put64(&rwant, 1);
   put64(&rwant, 0x42);
   args.ret = VK_SUCCESS;
   uint8_t rbuf[64];
   ENCODE(rbuf, vl_sizeof_vkCreateBuffer_reply_args(&args),
          vl_encode_vkCreateBuffer_reply_args(&enc, &args));
   assert_bytes(rbuf, written, &rwant);
   assert_int_equal(vl_sizeof_vkCreateBuffer_reply(device, &info, NULL, &buffer), 24);

   VkBuffer echoed = VK_NULL_HANDLE;
   struct vl_decoder rdec;
   vl_dec_init(&rdec, rwant.data, rwant.size, NULL, NULL);
   assert_int_equal(vl_decode_vkCreateBuffer_reply(&rdec, device, &info, NULL, &echoed),
                    VK_SUCCESS);
   assert_null(rdec.error);
   assert_int_equal((uintptr_t)echoed, 0x42);

   /* With only the first chained struct the command is 108 bytes. */
   VkExternalMemoryBufferCreateInfo ext1 = ext;
   ext1.pNext = NULL;
   VkBufferCreateInfo info1 = info;
   info1.pNext = &ext1;
   ENCODE(buf, vl_sizeof_vkCreateBuffer(device, &info1, NULL, &buffer),
          vl_encode_vkCreateBuffer(&enc, 1, device, &info1, NULL, &buffer));
   assert_int_equal(written, 108);
   uint64_t end_of_chain;
   uint32_t handle_types;
   memcpy(&end_of_chain, buf + 40, 8);
   memcpy(&handle_types, buf + 48, 4);
   assert_int_equal(end_of_chain, 0);
   assert_int_equal(handle_types, 1);
   vl_arena_finish(&arena);
}

/* Example 2: vkCmdBindVertexBuffers, two arrays, no reply. */
static void
test_bind_vertex_buffers(void **state)
{
   (void)state;
   struct bytes want = { 0 };
   put32(&want, 105);
   put32(&want, 0);
   put64(&want, 0x61);
   put32(&want, 0); /* firstBinding */
   put32(&want, 2); /* bindingCount */
   put64(&want, 2); /* pBuffers: array size */
   put64(&want, 0x40);
   put64(&want, 0x41);
   put64(&want, 2); /* pOffsets: array size */
   put64(&want, 0);
   put64(&want, 256);
   assert_int_equal(want.size, 72);

   const VkBuffer buffers[2] = { (VkBuffer)(uintptr_t)0x40, (VkBuffer)(uintptr_t)0x41 };
   const VkDeviceSize offsets[2] = { 0, 256 };
   VkCommandBuffer cmd = (VkCommandBuffer)(uintptr_t)0x61;
   uint8_t buf[128];
   size_t written;
   ENCODE(buf, vl_sizeof_vkCmdBindVertexBuffers(cmd, 0, 2, buffers, offsets),
          vl_encode_vkCmdBindVertexBuffers(&enc, 0, cmd, 0, 2, buffers, offsets));
   assert_bytes(buf, written, &want);

   struct vl_arena arena;
   vl_arena_init(&arena, 0);
   struct vl_decoder dec;
   vl_dec_init(&dec, want.data + 8, want.size - 8, &arena, NULL);
   struct vl_args_vkCmdBindVertexBuffers args = { 0 };
   vl_decode_vkCmdBindVertexBuffers_args(&dec, &args);
   assert_null(dec.error);
   assert_int_equal(args.bindingCount, 2);
   assert_int_equal((uintptr_t)args.pBuffers[1], 0x41);
   assert_int_equal(args.pOffsets[1], 256);

   /* An array size that differs from bindingCount is refused. */
   struct bytes bad = want;
   uint64_t three = 3;
   memcpy(bad.data + 48, &three, 8);
   vl_dec_init(&dec, bad.data + 8, bad.size - 8, &arena, NULL);
   vl_decode_vkCmdBindVertexBuffers_args(&dec, &args);
   assert_non_null(dec.error);
   vl_arena_finish(&arena);
}

/* Example 3: vkEnumeratePhysicalDevices, count query then ids, with replies. */
static void
test_enumerate_physical_devices(void **state)
{
   (void)state;
   VkInstance instance = (VkInstance)(uintptr_t)0x10;
   uint8_t buf[128];
   size_t written;

   struct bytes want = { 0 };
   put32(&want, 2);
   put32(&want, 1);
   put64(&want, 0x10);
   put64(&want, 1); /* pPhysicalDeviceCount present */
   put32(&want, 0); /* in/out count carries its value */
   put64(&want, 0); /* pPhysicalDevices NULL */
   assert_int_equal(want.size, 36);
   uint32_t count = 0;
   ENCODE(buf, vl_sizeof_vkEnumeratePhysicalDevices(instance, &count, NULL),
          vl_encode_vkEnumeratePhysicalDevices(&enc, 1, instance, &count, NULL));
   assert_bytes(buf, written, &want);

   struct bytes reply = { 0 };
   put32(&reply, 2);
   put32(&reply, 0);
   put64(&reply, 1);
   put32(&reply, 1);
   put64(&reply, 0);
   assert_int_equal(reply.size, 28);
   struct vl_decoder dec;
   vl_dec_init(&dec, reply.data, reply.size, NULL, NULL);
   assert_int_equal(vl_decode_vkEnumeratePhysicalDevices_reply(&dec, instance, &count, NULL),
                    VK_SUCCESS);
   assert_null(dec.error);
   assert_int_equal(count, 1);

   /* Call 2: the guest supplies the id of the device it is creating. */
   struct bytes want2 = { 0 };
   put32(&want2, 2);
   put32(&want2, 1);
   put64(&want2, 0x10);
   put64(&want2, 1);
   put32(&want2, 1);
   put64(&want2, 1);
   put64(&want2, 0x20);
   assert_int_equal(want2.size, 44);
   VkPhysicalDevice phys = (VkPhysicalDevice)(uintptr_t)0x20;
   ENCODE(buf, vl_sizeof_vkEnumeratePhysicalDevices(instance, &count, &phys),
          vl_encode_vkEnumeratePhysicalDevices(&enc, 1, instance, &count, &phys));
   assert_bytes(buf, written, &want2);

   /* The renderer's view of call 2, and its 36-byte reply. */
   struct vl_arena arena;
   vl_arena_init(&arena, 0);
   vl_dec_init(&dec, want2.data + 8, want2.size - 8, &arena, NULL);
   struct vl_args_vkEnumeratePhysicalDevices args = { 0 };
   vl_decode_vkEnumeratePhysicalDevices_args(&dec, &args);
   assert_null(dec.error);
   assert_int_equal(*args.pPhysicalDeviceCount, 1);
   assert_int_equal((uintptr_t)args.pPhysicalDevices[0], 0x20);
   args.ret = VK_SUCCESS;
   struct bytes reply2 = { 0 };
   put32(&reply2, 2);
   put32(&reply2, 0);
   put64(&reply2, 1);
   put32(&reply2, 1);
   put64(&reply2, 1);
   put64(&reply2, 0x20);
   assert_int_equal(reply2.size, 36);
   ENCODE(buf, vl_sizeof_vkEnumeratePhysicalDevices_reply_args(&args),
          vl_encode_vkEnumeratePhysicalDevices_reply_args(&enc, &args));
   assert_bytes(buf, written, &reply2);
   vl_arena_finish(&arena);
}

/* Example 4: reply-stream setup and the experimental-feature query. */
static void
test_reply_stream_setup(void **state)
{
   (void)state;
   struct bytes want = { 0 };
   put32(&want, 178);
   put32(&want, 0);
   put64(&want, 1);        /* pStream present */
   put32(&want, 1);        /* resourceId */
   put64(&want, 0);        /* offset */
   put64(&want, 0x100000); /* size */
   put32(&want, 179);
   put32(&want, 0);
   put64(&want, 0); /* position */
   put32(&want, 195);
   put32(&want, 1);
   put64(&want, 1);  /* pDataSize present */
   put64(&want, 16); /* *pDataSize */
   put64(&want, 16); /* pData: output blob, size only */
   assert_int_equal(want.size, 84);

   uint8_t buf[128];
   struct vl_encoder enc;
   vl_enc_init(&enc, buf, sizeof(buf));
   const VkCommandStreamDescriptionMESA stream = { .resourceId = 1, .offset = 0, .size = 0x100000 };
   size_t data_size = 16;
   uint8_t data[16];
   const size_t expected = vl_sizeof_vkSetReplyCommandStreamMESA(&stream) +
                           vl_sizeof_vkSeekReplyCommandStreamMESA(0) +
                           vl_sizeof_vkGetVenusExperimentalFeatureData100000MESA(&data_size, data);
   vl_encode_vkSetReplyCommandStreamMESA(&enc, 0, &stream);
   vl_encode_vkSeekReplyCommandStreamMESA(&enc, 0, 0);
   vl_encode_vkGetVenusExperimentalFeatureData100000MESA(&enc, 1, &data_size, data);
   assert_int_equal((size_t)(enc.cur - buf), expected);
   assert_bytes(buf, (size_t)(enc.cur - buf), &want);

   /* The reply, 44 bytes, decoded into the guest's variables. */
   struct bytes reply = { 0 };
   put32(&reply, 195);
   put64(&reply, 1);
   put64(&reply, 16);
   put64(&reply, 16);
   put32(&reply, 1); /* memoryResourceAllocationSize */
   put32(&reply, 0); /* globalFencing */
   put32(&reply, 1); /* largeRing */
   put32(&reply, 1); /* syncFdFencing */
   assert_int_equal(reply.size, 44);
   assert_int_equal(vl_sizeof_vkGetVenusExperimentalFeatureData100000MESA_reply(&data_size, data),
                    44);
   struct vl_decoder dec;
   vl_dec_init(&dec, reply.data, reply.size, NULL, NULL);
   data_size = 16;
   vl_decode_vkGetVenusExperimentalFeatureData100000MESA_reply(&dec, &data_size, data);
   assert_null(dec.error);
   VkVenusExperimentalFeatures100000MESA features;
   memcpy(&features, data, sizeof(features));
   assert_int_equal(features.memoryResourceAllocationSize, 1);
   assert_int_equal(features.globalFencing, 0);
   assert_int_equal(features.largeRing, 1);
   assert_int_equal(features.syncFdFencing, 1);
}

/* Example 5: vkCreateInstance with strings. */
static void
test_create_instance(void **state)
{
   (void)state;
   struct bytes want = { 0 };
   put32(&want, 0);
   put32(&want, 1);
   put64(&want, 1); /* pCreateInfo present */
   put32(&want, 1); /* sType */
   put64(&want, 0); /* pNext */
   put32(&want, 0); /* flags */
   put64(&want, 1); /* pApplicationInfo present */
   put32(&want, 0); /*   sType */
   put64(&want, 0); /*   pNext */
   put64(&want, 6); /*   pApplicationName size */
   putstr(&want, "pyapp", 8);
   put32(&want, 1);          /*   applicationVersion */
   put64(&want, 0);          /*   pEngineName NULL */
   put32(&want, 0);          /*   engineVersion */
   put32(&want, 0x00403000); /*   apiVersion 1.3.0 */
   put32(&want, 0);          /* enabledLayerCount */
   put64(&want, 0);
   put32(&want, 0); /* enabledExtensionCount */
   put64(&want, 0);
   put64(&want, 0); /* pAllocator */
   put64(&want, 1); /* pInstance present */
   put64(&want, 0x10);
   assert_int_equal(want.size, 136);

   const VkApplicationInfo app = {
      .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
      .pApplicationName = "pyapp",
      .applicationVersion = 1,
      .apiVersion = VK_API_VERSION_1_3,
   };
   const VkInstanceCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
      .pApplicationInfo = &app,
   };
   VkInstance instance = (VkInstance)(uintptr_t)0x10;
   uint8_t buf[256];
   size_t written;
   ENCODE(buf, vl_sizeof_vkCreateInstance(&info, NULL, &instance),
          vl_encode_vkCreateInstance(&enc, 1, &info, NULL, &instance));
   assert_bytes(buf, written, &want);

   struct vl_arena arena;
   vl_arena_init(&arena, 0);
   struct vl_decoder dec;
   vl_dec_init(&dec, want.data + 8, want.size - 8, &arena, NULL);
   struct vl_args_vkCreateInstance args = { 0 };
   vl_decode_vkCreateInstance_args(&dec, &args);
   assert_null(dec.error);
   assert_string_equal(args.pCreateInfo->pApplicationInfo->pApplicationName, "pyapp");
   assert_null(args.pCreateInfo->pApplicationInfo->pEngineName);
   assert_int_equal(args.pCreateInfo->pApplicationInfo->apiVersion, VK_API_VERSION_1_3);
   assert_int_equal((uintptr_t)*args.pInstance, 0x10);

   /* Reply: type, VK_SUCCESS, then the echoed id. */
   args.ret = VK_SUCCESS;
   struct bytes reply = { 0 };
   put32(&reply, 0);
   put32(&reply, 0);
   put64(&reply, 1);
   put64(&reply, 0x10);
   ENCODE(buf, vl_sizeof_vkCreateInstance_reply_args(&args),
          vl_encode_vkCreateInstance_reply_args(&enc, &args));
   assert_bytes(buf, written, &reply);
   vl_arena_finish(&arena);
}

/* Example 6: vkCreateRingMESA as Mesa sends it. */
static void
test_create_ring(void **state)
{
   (void)state;
   struct bytes want = { 0 };
   put32(&want, 188);
   put32(&want, 0);
   put64(&want, 0xdeadbeef00); /* ring id */
   put64(&want, 1);
   put32(&want, 1000384000);
   put64(&want, 0);        /* pNext */
   put32(&want, 0);        /* flags */
   put32(&want, 1);        /* resourceId */
   put64(&want, 0);        /* offset */
   put64(&want, 0x8c4);    /* size */
   put64(&want, 50000000); /* idleTimeout */
   put64(&want, 0);        /* headOffset */
   put64(&want, 0x40);     /* tailOffset */
   put64(&want, 0x80);     /* statusOffset */
   put64(&want, 0xc0);     /* bufferOffset */
   put64(&want, 0x800);    /* bufferSize */
   put64(&want, 0x8c0);    /* extraOffset */
   put64(&want, 4);        /* extraSize */
   assert_int_equal(want.size, 124);

   const VkRingCreateInfoMESA info = {
      .sType = VK_STRUCTURE_TYPE_RING_CREATE_INFO_MESA,
      .resourceId = 1,
      .size = 0x8c4,
      .idleTimeout = 50000000,
      .tailOffset = 0x40,
      .statusOffset = 0x80,
      .bufferOffset = 0xc0,
      .bufferSize = 0x800,
      .extraOffset = 0x8c0,
      .extraSize = 4,
   };
   uint8_t buf[256];
   size_t written;
   ENCODE(buf, vl_sizeof_vkCreateRingMESA(0xdeadbeef00, &info),
          vl_encode_vkCreateRingMESA(&enc, 0, 0xdeadbeef00, &info));
   assert_bytes(buf, written, &want);

   struct vl_arena arena;
   vl_arena_init(&arena, 0);
   struct vl_decoder dec;
   vl_dec_init(&dec, want.data + 8, want.size - 8, &arena, NULL);
   struct vl_args_vkCreateRingMESA args = { 0 };
   vl_decode_vkCreateRingMESA_args(&dec, &args);
   assert_null(dec.error);
   assert_int_equal(args.ring, 0xdeadbeef00);
   assert_int_equal(args.pCreateInfo->bufferSize, 0x800);
   assert_int_equal(args.pCreateInfo->extraOffset, 0x8c0);
   vl_arena_finish(&arena);
}

/* Wire format 1 (current-protocol.md §3): the ring of Mesa 25's TLS rings,
 * monitored and with a priority.  Mesa's own encoding of this command is
 * 156 bytes (140 without the priority), as seen on the wire between Mesa 25
 * and virglrenderer 1.1; the chain's headers come first, then the chained
 * structs' members, last one first. */
static void
test_create_ring_monitored(void **state)
{
   (void)state;
   struct bytes want = { 0 };
   put32(&want, 188);
   put32(&want, 0);
   put64(&want, 0x77); /* ring id */
   put64(&want, 1);
   put32(&want, 1000384000);
   put64(&want, 1); /* pNext: VkRingMonitorInfoMESA */
   put32(&want, 1000384006);
   put64(&want, 1); /* its pNext: VkRingPriorityInfoMESA */
   put32(&want, 1000384007);
   put64(&want, 0);
   put32(&want, (uint32_t)-5); /* priority */
   put32(&want, 3000000);      /* maxReportingPeriodMicroseconds */
   put32(&want, 0);            /* flags */
   put32(&want, 9);            /* resourceId */
   put64(&want, 0);            /* offset */
   put64(&want, 0x40c4);       /* size */
   put64(&want, 1000000);      /* idleTimeout */
   put64(&want, 0);            /* headOffset */
   put64(&want, 0x40);         /* tailOffset */
   put64(&want, 0x80);         /* statusOffset */
   put64(&want, 0xc0);         /* bufferOffset */
   put64(&want, 0x4000);       /* bufferSize */
   put64(&want, 0x40c0);       /* extraOffset */
   put64(&want, 4);            /* extraSize */
   assert_int_equal(want.size, 156);

   const VkRingPriorityInfoMESA priority = {
      .sType = VK_STRUCTURE_TYPE_RING_PRIORITY_INFO_MESA,
      .priority = -5,
   };
   const VkRingMonitorInfoMESA monitor = {
      .sType = VK_STRUCTURE_TYPE_RING_MONITOR_INFO_MESA,
      .pNext = &priority,
      .maxReportingPeriodMicroseconds = 3000000,
   };
   const VkRingCreateInfoMESA info = {
      .sType = VK_STRUCTURE_TYPE_RING_CREATE_INFO_MESA,
      .pNext = &monitor,
      .resourceId = 9,
      .size = 0x40c4,
      .idleTimeout = 1000000,
      .tailOffset = 0x40,
      .statusOffset = 0x80,
      .bufferOffset = 0xc0,
      .bufferSize = 0x4000,
      .extraOffset = 0x40c0,
      .extraSize = 4,
   };
   uint8_t buf[256];
   size_t written;
   ENCODE(buf, vl_sizeof_vkCreateRingMESA(0x77, &info),
          vl_encode_vkCreateRingMESA(&enc, 0, 0x77, &info));
   assert_bytes(buf, written, &want);

   struct vl_arena arena;
   vl_arena_init(&arena, 0);
   struct vl_decoder dec;
   vl_dec_init(&dec, want.data + 8, want.size - 8, &arena, NULL);
   struct vl_args_vkCreateRingMESA args = { 0 };
   vl_decode_vkCreateRingMESA_args(&dec, &args);
   assert_null(dec.error);
   const VkRingMonitorInfoMESA *m = args.pCreateInfo->pNext;
   assert_int_equal(m->sType, VK_STRUCTURE_TYPE_RING_MONITOR_INFO_MESA);
   assert_int_equal(m->maxReportingPeriodMicroseconds, 3000000);
   const VkRingPriorityInfoMESA *p = m->pNext;
   assert_int_equal(p->sType, VK_STRUCTURE_TYPE_RING_PRIORITY_INFO_MESA);
   assert_int_equal(p->priority, -5);
   assert_null(p->pNext);
   vl_arena_finish(&arena);
}

/* Wire format 1's ordering commands 251-253 and a queue bound to its
 * timeline: u64 parameters, in declaration order. */
static void
test_seqno_commands_and_queue_timeline(void **state)
{
   (void)state;
   struct bytes want = { 0 };
   put32(&want, 251);
   put32(&want, 0);
   put64(&want, 0x77);        /* ring */
   put64(&want, 0x100000002); /* seqno */
   put32(&want, 252);
   put32(&want, 0);
   put64(&want, 5);
   put32(&want, 253);
   put32(&want, 0);
   put64(&want, 0x77);
   put64(&want, 0xfffffff0);
   put32(&want, 155); /* vkGetDeviceQueue2 */
   put32(&want, 0);
   put64(&want, 0x10); /* device */
   put64(&want, 1);
   put32(&want, VK_STRUCTURE_TYPE_DEVICE_QUEUE_INFO_2);
   put64(&want, 1);
   put32(&want, 1000384005); /* VkDeviceQueueTimelineInfoMESA */
   put64(&want, 0);
   put32(&want, 3); /* ringIdx */
   put32(&want, 0); /* flags */
   put32(&want, 1); /* queueFamilyIndex */
   put32(&want, 0); /* queueIndex */
   put64(&want, 1); /* pQueue: one id */
   put64(&want, 0x11);
   assert_int_equal(want.size, 64 + 80);

   uint8_t buf[256];
   struct vl_encoder enc;
   vl_enc_init(&enc, buf, sizeof(buf));
   vl_encode_vkSubmitVirtqueueSeqnoMESA(&enc, 0, 0x77, 0x100000002);
   vl_encode_vkWaitVirtqueueSeqnoMESA(&enc, 0, 5);
   vl_encode_vkWaitRingSeqnoMESA(&enc, 0, 0x77, 0xfffffff0);
   const VkDeviceQueueTimelineInfoMESA timeline = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_TIMELINE_INFO_MESA,
      .ringIdx = 3,
   };
   const VkDeviceQueueInfo2 info = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_INFO_2,
      .pNext = &timeline,
      .queueFamilyIndex = 1,
   };
   VkQueue queue = (VkQueue)(uintptr_t)0x11;
   vl_encode_vkGetDeviceQueue2(&enc, 0, (VkDevice)(uintptr_t)0x10, &info, &queue);
   assert_false(enc.overflow);
   assert_bytes(buf, (size_t)(enc.cur - buf), &want);
}

/* §7: the partial form of an output struct, and the 4-byte void reply. */
static void
test_partial_and_void_reply(void **state)
{
   (void)state;
   struct bytes want = { 0 };
   put32(&want, 8);
   put32(&want, 1);
   put64(&want, 0x20);
   put64(&want, 1);  /* pMemoryProperties present */
   put64(&want, 32); /* memoryTypes: array size, no member data */
   put64(&want, 16); /* memoryHeaps */
   assert_int_equal(want.size, 40);
   VkPhysicalDevice phys = (VkPhysicalDevice)(uintptr_t)0x20;
   VkPhysicalDeviceMemoryProperties props;
   uint8_t buf[64];
   size_t written;
   ENCODE(buf, vl_sizeof_vkGetPhysicalDeviceMemoryProperties(phys, &props),
          vl_encode_vkGetPhysicalDeviceMemoryProperties(&enc, 1, phys, &props));
   assert_bytes(buf, written, &want);

   /* vkDestroyBuffer with the reply bit replies with its type only. */
   VkDevice device = (VkDevice)(uintptr_t)0x30;
   assert_int_equal(vl_sizeof_vkDestroyBuffer_reply(device, VK_NULL_HANDLE, NULL), 4);
   struct vl_args_vkDestroyBuffer args = { 0 };
   ENCODE(buf, 4, vl_encode_vkDestroyBuffer_reply_args(&enc, &args));
   struct bytes reply = { 0 };
   put32(&reply, 0x33);
   assert_bytes(buf, written, &reply);
}

/* §4 and §6: fixed arrays carry their declared size; a clear value is 32 bytes. */
static void
test_fixed_arrays_and_unions(void **state)
{
   (void)state;
   const VkPipelineColorBlendStateCreateInfo blend = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
      .blendConstants = { 1.0f, 0.5f, 0.25f, 0.0f },
   };
   uint8_t buf[128];
   size_t written;
   ENCODE(buf, vl_sizeof_VkPipelineColorBlendStateCreateInfo(&blend),
          vl_encode_VkPipelineColorBlendStateCreateInfo(&enc, &blend));
   /* sType, pNext, flags, logicOpEnable, logicOp, attachmentCount, pAttachments */
   const size_t at = 4 + 8 + 4 + 4 + 4 + 4 + 8;
   uint64_t n;
   memcpy(&n, buf + at, 8);
   assert_int_equal(n, 4);
   assert_memory_equal(buf + at + 8, blend.blendConstants, 16);
   assert_int_equal(written, at + 8 + 16);

   const VkClearValue clear = { .color = { .uint32 = { 1, 2, 3, 4 } } };
   ENCODE(buf, vl_sizeof_VkClearValue(&clear), vl_encode_VkClearValue(&enc, &clear));
   struct bytes want = { 0 };
   put32(&want, 0); /* VkClearValue tag: color */
   put32(&want, 2); /* VkClearColorValue tag: uint32 (raw bits) */
   put64(&want, 4);
   put32(&want, 1);
   put32(&want, 2);
   put32(&want, 3);
   put32(&want, 4);
   assert_int_equal(want.size, 32);
   assert_bytes(buf, written, &want);
}

/* special-commands.md §3: vkExecuteCommandStreamsMESA with a reply position. */
static void
test_execute_command_streams(void **state)
{
   (void)state;
   struct bytes want = { 0 };
   put32(&want, 180);
   put32(&want, 0);
   put32(&want, 1); /* streamCount */
   put64(&want, 1);
   put32(&want, 3);   /* resourceId */
   put64(&want, 128); /* offset */
   put64(&want, 16);  /* size */
   put64(&want, 1);
   put64(&want, 512); /* reply position */
   put32(&want, 0);   /* dependencyCount */
   put64(&want, 0);
   put32(&want, 0); /* flags */
   assert_int_equal(want.size, 72);

   const VkCommandStreamDescriptionMESA stream = { .resourceId = 3, .offset = 128, .size = 16 };
   const size_t pos = 512;
   uint8_t buf[128];
   size_t written;
   ENCODE(buf, vl_sizeof_vkExecuteCommandStreamsMESA(1, &stream, &pos, 0, NULL, 0),
          vl_encode_vkExecuteCommandStreamsMESA(&enc, 0, 1, &stream, &pos, 0, NULL, 0));
   assert_bytes(buf, written, &want);
}

/* A reply carries the struct's own sType whatever the host left in memory:
 * NVIDIA's vkGetDeviceGroupPresentCapabilitiesKHR writes 0 there, and the
 * guest rejects a reply whose sType differs from its request's. */
static void
test_reply_stype_is_the_structs_own(void **state)
{
   (void)state;
   VkDeviceGroupPresentCapabilitiesKHR host = {
      .sType = 0, /* what the host driver left */
      .modes = VK_DEVICE_GROUP_PRESENT_MODE_LOCAL_BIT_KHR,
   };
   host.presentMask[0] = 1;
   uint8_t buf[256];
   size_t written;
   ENCODE(buf, vl_sizeof_VkDeviceGroupPresentCapabilitiesKHR(&host),
          vl_encode_VkDeviceGroupPresentCapabilitiesKHR(&enc, &host));
   uint32_t stype;
   memcpy(&stype, buf, 4);
   assert_int_equal(stype, VK_STRUCTURE_TYPE_DEVICE_GROUP_PRESENT_CAPABILITIES_KHR);

   VkDeviceGroupPresentCapabilitiesKHR guest = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_GROUP_PRESENT_CAPABILITIES_KHR,
   };
   struct vl_decoder dec;
   vl_dec_init(&dec, buf, written, NULL, NULL);
   vl_decode_VkDeviceGroupPresentCapabilitiesKHR_reply(&dec, &guest);
   assert_null(dec.error);
   assert_int_equal(guest.modes, VK_DEVICE_GROUP_PRESENT_MODE_LOCAL_BIT_KHR);
   assert_int_equal(guest.presentMask[0], 1);
}

int
main(void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_buffer),
      cmocka_unit_test(test_bind_vertex_buffers),
      cmocka_unit_test(test_enumerate_physical_devices),
      cmocka_unit_test(test_reply_stream_setup),
      cmocka_unit_test(test_create_instance),
      cmocka_unit_test(test_create_ring),
      cmocka_unit_test(test_partial_and_void_reply),
      cmocka_unit_test(test_fixed_arrays_and_unions),
      cmocka_unit_test(test_execute_command_streams),
      cmocka_unit_test(test_reply_stype_is_the_structs_own),
      cmocka_unit_test(test_create_ring_monitored),
      cmocka_unit_test(test_seqno_commands_and_queue_timeline),
   };
   return cmocka_run_group_tests(tests, NULL, NULL);
}
