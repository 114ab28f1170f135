/*
 * A stream the renderer cannot execute becomes VK_ERROR_DEVICE_LOST, with one
 * clear message on stderr, and never a crash.
 *
 * The application records a command that names a buffer it has already
 * destroyed.  The guest encodes the id as it is; the renderer finds no such
 * object, loses the context, and every later call that can report it returns
 * VK_ERROR_DEVICE_LOST.  Tearing down afterwards must still work.
 *
 * Over a virtio-gpu device (VL_TRANSPORT=virtgpu) the renderer is the host's
 * (virglrenderer), which tells the guest nothing: the one message is then
 * the transport's, saying that the host stopped the context or, when the
 * host did not even retire the call's fence (virglrenderer drops the rest of
 * a batch whose stream failed, which sometimes holds the fence), that it has
 * not answered for VL_VTEST_TIMEOUT seconds.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vkt.h"

int
main(void)
{
   struct vkt t;
   vkt_init(&t, "unknown object id loses the device, cleanly");

   /* stderr goes to a file, to count the renderer's messages */
   char path[] = "/tmp/vl-device-lost-XXXXXX";
   const int fd = mkstemp(path);
   VKT_CHECK(fd >= 0);
   fflush(stderr);
   const int saved = dup(2);
   dup2(fd, 2);

   struct vkt_buffer b;
   vkt_buffer(&t, 4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, &b);
   VkBuffer stale = b.buffer;
   vkt_buffer_destroy(&t, &b);

   VkCommandBuffer cmd = vkt_begin(&t);
   vkCmdFillBuffer(cmd, stale, 0, 4, 42);
   VKT_VK(vkEndCommandBuffer(cmd));
   const VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
   VkFence fence;
   VkResult r = vkCreateFence(t.device, &fci, NULL, &fence);
   const VkSubmitInfo si = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .commandBufferCount = 1,
      .pCommandBuffers = &cmd,
   };
   if (r == VK_SUCCESS)
      r = vkQueueSubmit(t.queue, 1, &si, fence);
   if (r == VK_SUCCESS)
      r = vkWaitForFences(t.device, 1, &fence, VK_TRUE, UINT64_MAX);
   const VkResult later = vkDeviceWaitIdle(t.device);
   const VkResult status = vkGetFenceStatus(t.device, fence);

   /* teardown must not crash */
   vkDestroyFence(t.device, fence, NULL);
   vkFreeCommandBuffers(t.device, t.pool, 1, &cmd);
   vkDestroyCommandPool(t.device, t.pool, NULL);
   vkDestroyDevice(t.device, NULL);
   vkDestroyInstance(t.instance, NULL);

   fflush(stderr);
   dup2(saved, 2);
   char log[8192] = { 0 };
   FILE *f = fopen(path, "r");
   const size_t n = f ? fread(log, 1, sizeof(log) - 1, f) : 0;
   if (f)
      fclose(f);
   unlink(path);
   log[n] = 0;

   if (r != VK_ERROR_DEVICE_LOST)
      vkt_fail("the submission or its wait returned %d, not VK_ERROR_DEVICE_LOST", r);
   VKT_CHECK(later == VK_ERROR_DEVICE_LOST);
   VKT_CHECK(status == VK_ERROR_DEVICE_LOST);
   const char *transport = getenv("VL_TRANSPORT");
   const bool foreign = transport && !strcmp(transport, "virtgpu");
   unsigned messages = 0;
   for (const char *p = log; (p = strstr(p, "venus-loopback: ")); p++)
      messages++;
   if (foreign) {
      if (messages != 1 ||
          (!strstr(log, "has stopped this context") && !strstr(log, "has not answered a call")))
         vkt_fail("expected one message saying the host stopped the context or stopped "
                  "answering, got:\n%s",
                  log);
   } else if (messages != 1 || !strstr(log, "venus-loopback: renderer:") ||
              !strstr(log, "unknown object id") || !strstr(log, "vkCmdFillBuffer")) {
      vkt_fail("expected one message naming vkCmdFillBuffer and the unknown id, got:\n%s", log);
   }
   fprintf(stderr, "%s", log);
   vkt_pass(&t);
   return 0;
}
