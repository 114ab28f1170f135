/*
 * Instance and device lifecycle: 100 cycles of create instance, enumerate,
 * create device, get a queue, create and destroy a few objects, destroy
 * device and instance.  Each cycle brings up and tears down a renderer
 * context with its ring thread; under LeakSanitizer (the sanitized build)
 * any leak fails the test.
 */
#include "vkt.h"

int
main(void)
{
   struct vkt t;
   for (int i = 0; i < 100; i++) {
      vkt_init(&t, "instance and device lifecycle, 100 cycles");
      struct vkt_buffer b;
      vkt_buffer(&t, 4096, VK_BUFFER_USAGE_TRANSFER_DST_BIT, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
                 &b);
      ((uint32_t *)b.map)[0] = (uint32_t)i;
      VkCommandBuffer cmd = vkt_begin(&t);
      vkCmdFillBuffer(cmd, b.buffer, 4, 4, 0xabcd0000u + (uint32_t)i);
      vkt_submit_wait(&t, cmd);
      VKT_CHECK(((uint32_t *)b.map)[0] == (uint32_t)i);
      VKT_CHECK(((uint32_t *)b.map)[1] == 0xabcd0000u + (uint32_t)i);
      /* objects left for vkDestroyDevice to clean up on the host */
      const VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
      VkFence leftover;
      VKT_VK(vkCreateFence(t.device, &fci, NULL, &leftover));
      vkt_buffer_destroy(&t, &b);
      vkDestroyFence(t.device, leftover, NULL);
      vkt_finish(&t);
   }
   vkt_pass(&t);
   return 0;
}
