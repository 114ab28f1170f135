/*
 * Window-system integration, guest side.  In-process, surfaces, swapchains
 * and presentation are the host driver's own, reached through
 * loopback-private commands; the guest only keeps ids for the swapchain's
 * images.
 */
#include <string.h>

#include "vl_icd.h"
#include "vl_icd_calls.h"

struct vl_swapchain_state {
   uint32_t image_count;
   struct vl_image **images;
};

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreateSwapchainKHR(VkDevice device, const VkSwapchainCreateInfoKHR *info,
                      const VkAllocationCallbacks *alloc, VkSwapchainKHR *out)
{
   (void)alloc;
   struct vl_transport *t = vl_device(device)->transport;
   if (!vl_transport_speaks(t, VL_WIRE_PRIVATE))
      return VK_ERROR_EXTENSION_NOT_PRESENT;
   struct vl_swapchain_state *sc = calloc(1, sizeof(*sc));
   if (!sc)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   VkSwapchainCreateInfoKHR clean = *info;
   if (clean.imageSharingMode != VK_SHARING_MODE_CONCURRENT) {
      clean.queueFamilyIndexCount = 0;
      clean.pQueueFamilyIndices = NULL;
   }
   VkSwapchainKHR handle = VL_TO_HANDLE(VkSwapchainKHR, sc);
   /* With a reply: a window system may refuse the swapchain. */
   VkResult r = vl_call_vkCreateSwapchainKHR(t, device, &clean, NULL, &handle);
   if (r != VK_SUCCESS) {
      free(sc);
      return r;
   }
   *out = handle;
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroySwapchainKHR(VkDevice device, VkSwapchainKHR swapchain,
                       const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   if (!swapchain)
      return;
   vl_send_vkDestroySwapchainKHR(vl_device(device)->transport, device, swapchain, NULL);
   struct vl_swapchain_state *sc = VL_FROM_HANDLE(struct vl_swapchain_state, swapchain);
   for (uint32_t i = 0; i < sc->image_count; i++)
      vl_image_free(sc->images[i]);
   free(sc->images);
   free(sc);
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_GetSwapchainImagesKHR(VkDevice device, VkSwapchainKHR swapchain, uint32_t *count,
                         VkImage *images)
{
   struct vl_transport *t = vl_device(device)->transport;
   struct vl_swapchain_state *sc = VL_FROM_HANDLE(struct vl_swapchain_state, swapchain);
   if (!sc->images) {
      uint32_t n = 0;
      VkResult r = vl_call_vkGetSwapchainImagesKHR(t, device, swapchain, &n, NULL);
      if (r != VK_SUCCESS)
         return r;
      struct vl_image **imgs = calloc(n ? n : 1, sizeof(*imgs));
      VkImage *ids = calloc(n ? n : 1, sizeof(*ids));
      if (!imgs || !ids) {
         free(imgs);
         free(ids);
         return VK_ERROR_OUT_OF_HOST_MEMORY;
      }
      for (uint32_t i = 0; i < n; i++) {
         imgs[i] = vl_image_create_swapchain();
         ids[i] = VL_TO_HANDLE(VkImage, imgs[i]);
      }
      r = vl_call_vkGetSwapchainImagesKHR(t, device, swapchain, &n, ids);
      free(ids);
      if (r != VK_SUCCESS) {
         for (uint32_t i = 0; i < n; i++)
            vl_image_free(imgs[i]);
         free(imgs);
         return r;
      }
      sc->images = imgs;
      sc->image_count = n;
   }
   if (!images) {
      *count = sc->image_count;
      return VK_SUCCESS;
   }
   const uint32_t n = *count < sc->image_count ? *count : sc->image_count;
   for (uint32_t i = 0; i < n; i++)
      images[i] = VL_TO_HANDLE(VkImage, sc->images[i]);
   *count = n;
   return n < sc->image_count ? VK_INCOMPLETE : VK_SUCCESS;
}
