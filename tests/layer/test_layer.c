/*
 * What the venus-loopback layer itself promises, beyond running the
 * integration programs (which tests/layer/meson.build also runs through it):
 *
 *  1. It is a layer the loader lists, with no extension of its own, and the
 *     device it serves is the loopback's (named so, with its statistics hook)
 *     while the application's handles stay the loader's.
 *  2. The serialize -> execute path is really taken: calls cost round trips.
 *  3. Two instances at once, each with its own renderer, over one driver.
 *  4. VL_TRANSPORT=vtest is refused with a clear message (the layer needs the
 *     in-process transport), and the process goes on.
 */
#include <string.h>
#include <unistd.h>

#include "vkt.h"

#define LAYER "VK_LAYER_VENUS_loopback"

typedef void(VKAPI_PTR *PFN_stats)(VkDevice, uint64_t *);

static void
check_listed(void)
{
   uint32_t n = 0;
   VKT_VK(vkEnumerateInstanceLayerProperties(&n, NULL));
   VkLayerProperties props[64];
   n = n > 64 ? 64 : n;
   VKT_VK(vkEnumerateInstanceLayerProperties(&n, props));
   bool found = false;
   for (uint32_t i = 0; i < n; i++)
      found |= !strcmp(props[i].layerName, LAYER);
   if (!found)
      vkt_fail("vkEnumerateInstanceLayerProperties does not list " LAYER);
   uint32_t exts = 1;
   VKT_VK(vkEnumerateInstanceExtensionProperties(LAYER, &exts, NULL));
   VKT_CHECK(exts == 0);
}

/* 1 and 2, on an instance of its own. */
static void
check_device(const char *name)
{
   struct vkt t;
   vkt_init(&t, name);
   if (strncmp(t.props.deviceName, "venus-loopback (", 16))
      vkt_fail("the device is \"%s\", not the loopback's", t.props.deviceName);
   uint32_t exts = 1;
   VKT_VK(vkEnumerateDeviceExtensionProperties(t.physical, LAYER, &exts, NULL));
   VKT_CHECK(exts == 0);
   PFN_stats stats = (PFN_stats)vkGetDeviceProcAddr(t.device, "vlGetLoopbackStats");
   VKT_CHECK(stats);
   uint64_t before = 0, after = 0;
   stats(t.device, &before);
   const VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
   VkFence fence;
   VKT_VK(vkCreateFence(t.device, &fci, NULL, &fence));
   VkCommandBuffer cmd = vkt_begin(&t);
   VKT_VK(vkEndCommandBuffer(cmd));
   const VkSubmitInfo si = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .commandBufferCount = 1,
      .pCommandBuffers = &cmd,
   };
   VKT_VK(vkQueueSubmit(t.queue, 1, &si, fence));
   VKT_VK(vkWaitForFences(t.device, 1, &fence, VK_TRUE, UINT64_MAX));
   VKT_VK(vkGetFenceStatus(t.device, fence));
   /* an answer only the host has: a round trip */
   VkImageFormatProperties ifp;
   VKT_VK(vkGetPhysicalDeviceImageFormatProperties(t.physical, VK_FORMAT_R8G8B8A8_UNORM,
                                                   VK_IMAGE_TYPE_2D, VK_IMAGE_TILING_OPTIMAL,
                                                   VK_IMAGE_USAGE_SAMPLED_BIT, 0, &ifp));
   stats(t.device, &after);
   if (after <= before)
      vkt_fail("no round trip through the renderer (%llu before, %llu after)",
               (unsigned long long)before, (unsigned long long)after);
   vkFreeCommandBuffers(t.device, t.pool, 1, &cmd);
   vkDestroyFence(t.device, fence, NULL);
   vkt_finish(&t);
}

static void
check_two_instances(void)
{
   struct vkt a, b;
   vkt_init(&a, "layer: first of two instances");
   vkt_init(&b, "layer: second of two instances");
   VKT_CHECK(a.instance != b.instance && a.device != b.device);
   struct vkt_buffer ba, bb;
   vkt_buffer(&a, 4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, &ba);
   vkt_buffer(&b, 4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, &bb);
   VkCommandBuffer ca = vkt_begin(&a), cb = vkt_begin(&b);
   vkCmdFillBuffer(ca, ba.buffer, 0, VK_WHOLE_SIZE, 0x11111111u);
   vkCmdFillBuffer(cb, bb.buffer, 0, VK_WHOLE_SIZE, 0x22222222u);
   vkt_submit_wait(&a, ca);
   vkt_submit_wait(&b, cb);
   const VkMappedMemoryRange ra = { .sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                    .memory = ba.memory,
                                    .size = VK_WHOLE_SIZE };
   const VkMappedMemoryRange rb = { .sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                    .memory = bb.memory,
                                    .size = VK_WHOLE_SIZE };
   VKT_VK(vkInvalidateMappedMemoryRanges(a.device, 1, &ra));
   VKT_VK(vkInvalidateMappedMemoryRanges(b.device, 1, &rb));
   VKT_CHECK(((const uint32_t *)ba.map)[1000] == 0x11111111u);
   VKT_CHECK(((const uint32_t *)bb.map)[1000] == 0x22222222u);
   vkt_buffer_destroy(&a, &ba);
   vkt_buffer_destroy(&b, &bb);
   vkt_finish(&a);
   vkt_finish(&b);
}

static void
check_vtest_refused(void)
{
   char path[] = "/tmp/vl-layer-XXXXXX";
   const int fd = mkstemp(path);
   VKT_CHECK(fd >= 0);
   fflush(stderr);
   const int saved = dup(2);
   dup2(fd, 2);
   setenv("VL_TRANSPORT", "vtest", 1);
   const VkInstanceCreateInfo ici = { .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO };
   VkInstance instance = VK_NULL_HANDLE;
   const VkResult r = vkCreateInstance(&ici, NULL, &instance);
   unsetenv("VL_TRANSPORT");
   fflush(stderr);
   dup2(saved, 2);
   close(saved);
   char text[4096] = "";
   const ssize_t got = pread(fd, text, sizeof(text) - 1, 0);
   close(fd);
   unlink(path);
   text[got > 0 ? got : 0] = 0;
   if (r == VK_SUCCESS) {
      vkDestroyInstance(instance, NULL);
      vkt_fail("VL_TRANSPORT=vtest: the layer made an instance");
   }
   if (r != VK_ERROR_INITIALIZATION_FAILED || !strstr(text, "needs the in-process transport"))
      vkt_fail("VL_TRANSPORT=vtest: VkResult %d and the message \"%s\"", r, text);
   printf("VL_TRANSPORT=vtest: %s", text);
}

int
main(void)
{
   struct vkt t = { .name = "venus-loopback layer" };
   check_listed();
   check_device("layer: the device is the loopback's, with round trips");
   check_two_instances();
   check_vtest_refused();
   /* and the layer still works afterwards */
   check_device("layer: the device after a refused instance");
   vkt_pass(&t);
   return 0;
}
