/*
 * A fence wait over fences of two kinds at once: one that vkAcquireNextImageKHR
 * signals (only the host knows it: the ICD sends such waits to the host) and
 * one of a queue submission (the ICD answers it from fence feedback, and the
 * host's twin of it is never signaled: the renderer submitted a fence of its
 * own in its place).  Run natively and through the loopback under Xvfb by
 * test_wsi_fences.py; prints OK and exits 0 when every wait returns
 * VK_SUCCESS in time, exits 1 otherwise, 77 without an X server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>
#include <vulkan/vulkan_xcb.h>
#include <xcb/xcb.h>

#define SECOND 1000000000ull

#define CHECK(call)                                                                                \
   do {                                                                                            \
      const VkResult r_ = (call);                                                                  \
      if (r_ != VK_SUCCESS) {                                                                      \
         fprintf(stderr, "FAIL: %s returned %d (line %d)\n", #call, r_, __LINE__);                 \
         exit(1);                                                                                  \
      }                                                                                            \
   } while (0)

int
main(void)
{
   xcb_connection_t *conn = xcb_connect(NULL, NULL);
   if (!conn || xcb_connection_has_error(conn)) {
      fprintf(stderr, "SKIP: no X server\n");
      return 77;
   }
   const xcb_screen_t *screen = xcb_setup_roots_iterator(xcb_get_setup(conn)).data;
   const xcb_window_t window = xcb_generate_id(conn);
   xcb_create_window(conn, XCB_COPY_FROM_PARENT, window, screen->root, 0, 0, 64, 64, 0,
                     XCB_WINDOW_CLASS_INPUT_OUTPUT, screen->root_visual, 0, NULL);
   xcb_map_window(conn, window);
   xcb_flush(conn);

   const char *instance_ext[] = { VK_KHR_SURFACE_EXTENSION_NAME,
                                  VK_KHR_XCB_SURFACE_EXTENSION_NAME };
   const VkApplicationInfo app = { .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                                   .apiVersion = VK_API_VERSION_1_1 };
   const VkInstanceCreateInfo ici = { .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                      .pApplicationInfo = &app,
                                      .enabledExtensionCount = 2,
                                      .ppEnabledExtensionNames = instance_ext };
   VkInstance instance;
   CHECK(vkCreateInstance(&ici, NULL, &instance));
   uint32_t count = 1;
   VkPhysicalDevice physical;
   const VkResult er = vkEnumeratePhysicalDevices(instance, &count, &physical);
   if ((er != VK_SUCCESS && er != VK_INCOMPLETE) || !count) {
      fprintf(stderr, "FAIL: no physical device\n");
      return 1;
   }
   const VkXcbSurfaceCreateInfoKHR sci = { .sType = VK_STRUCTURE_TYPE_XCB_SURFACE_CREATE_INFO_KHR,
                                           .connection = conn,
                                           .window = window };
   VkSurfaceKHR surface;
   CHECK(vkCreateXcbSurfaceKHR(instance, &sci, NULL, &surface));
   VkBool32 supported = VK_FALSE;
   CHECK(vkGetPhysicalDeviceSurfaceSupportKHR(physical, 0, surface, &supported));
   if (!supported) {
      fprintf(stderr, "FAIL: queue family 0 cannot present\n");
      return 1;
   }

   const float priority = 1.0f;
   const VkDeviceQueueCreateInfo qci = { .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                         .queueCount = 1,
                                         .pQueuePriorities = &priority };
   const char *device_ext[] = { VK_KHR_SWAPCHAIN_EXTENSION_NAME };
   const VkDeviceCreateInfo dci = { .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                    .queueCreateInfoCount = 1,
                                    .pQueueCreateInfos = &qci,
                                    .enabledExtensionCount = 1,
                                    .ppEnabledExtensionNames = device_ext };
   VkDevice device;
   CHECK(vkCreateDevice(physical, &dci, NULL, &device));
   VkQueue queue;
   vkGetDeviceQueue(device, 0, 0, &queue);

   VkSurfaceCapabilitiesKHR caps;
   CHECK(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(physical, surface, &caps));
   uint32_t nformats = 1;
   VkSurfaceFormatKHR format;
   const VkResult fr = vkGetPhysicalDeviceSurfaceFormatsKHR(physical, surface, &nformats, &format);
   if ((fr != VK_SUCCESS && fr != VK_INCOMPLETE) || !nformats) {
      fprintf(stderr, "FAIL: no surface format\n");
      return 1;
   }
   VkExtent2D extent = caps.currentExtent;
   if (extent.width == UINT32_MAX)
      extent = (VkExtent2D){ 64, 64 };
   const VkSwapchainCreateInfoKHR swci = {
      .sType = VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR,
      .surface = surface,
      .minImageCount = caps.minImageCount < 2 ? 2 : caps.minImageCount,
      .imageFormat = format.format,
      .imageColorSpace = format.colorSpace,
      .imageExtent = extent,
      .imageArrayLayers = 1,
      .imageUsage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT,
      .imageSharingMode = VK_SHARING_MODE_EXCLUSIVE,
      .preTransform = caps.currentTransform,
      .compositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR,
      .presentMode = VK_PRESENT_MODE_FIFO_KHR,
      .clipped = VK_TRUE,
   };
   VkSwapchainKHR swapchain;
   CHECK(vkCreateSwapchainKHR(device, &swci, NULL, &swapchain));

   const VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
   VkFence fences[2]; /* [0]: the acquire's, [1]: a submission's */
   CHECK(vkCreateFence(device, &fci, NULL, &fences[0]));
   CHECK(vkCreateFence(device, &fci, NULL, &fences[1]));

   /* both at once, every one */
   uint32_t index;
   CHECK(vkAcquireNextImageKHR(device, swapchain, 5 * SECOND, VK_NULL_HANDLE, fences[0], &index));
   CHECK(vkQueueSubmit(queue, 0, NULL, fences[1]));
   CHECK(vkWaitForFences(device, 2, fences, VK_TRUE, 5 * SECOND));
   CHECK(vkGetFenceStatus(device, fences[0]));
   CHECK(vkGetFenceStatus(device, fences[1]));

   /* any one, the submission's reset and submitted again */
   CHECK(vkResetFences(device, 1, &fences[1]));
   CHECK(vkQueueSubmit(queue, 0, NULL, fences[1]));
   CHECK(vkWaitForFences(device, 2, fences, VK_FALSE, 5 * SECOND));
   CHECK(vkWaitForFences(device, 1, &fences[1], VK_TRUE, 5 * SECOND));
   CHECK(vkWaitForFences(device, 2, fences, VK_TRUE, 5 * SECOND));

   CHECK(vkQueueWaitIdle(queue));
   vkDestroyFence(device, fences[0], NULL);
   vkDestroyFence(device, fences[1], NULL);
   vkDestroySwapchainKHR(device, swapchain, NULL);
   vkDestroyDevice(device, NULL);
   vkDestroySurfaceKHR(instance, surface, NULL);
   vkDestroyInstance(instance, NULL);
   xcb_destroy_window(conn, window);
   xcb_disconnect(conn);
   printf("OK\n");
   return 0;
}
