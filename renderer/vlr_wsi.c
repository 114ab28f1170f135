/*
 * Window-system integration and debug names, host side.  In-process, the
 * application's window-system handles are valid here too, so surfaces and
 * swapchains are the host driver's own; only the ids of swapchain images and
 * the object handles inside debug-utils structs need translating.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "vlr_context.h"

void
vlr_handle_vkGetSwapchainImagesKHR(struct vlr_exec *x, struct vl_args_vkGetSwapchainImagesKHR *args)
{
   struct vl_object *swapchain = x->dec.last_object;
   const struct vlr_host_device_table *vk = vlr_object_device_table(args->owner);
   if (!swapchain) {
      vlr_exec_fail(x, "no swapchain");
      return;
   }
   if (!args->pSwapchainImages) {
      args->ret =
         vk->GetSwapchainImagesKHR(args->device, args->swapchain, args->pSwapchainImageCount, NULL);
      return;
   }
   const uint32_t cap = *args->pSwapchainImageCount;
   uint64_t *ids = (uint64_t *)args->pSwapchainImages;
   VkImage *host = vlr_exec_args(x, sizeof(*host) * (cap ? cap : 1));
   if (!host)
      return;
   args->ret =
      vk->GetSwapchainImagesKHR(args->device, args->swapchain, args->pSwapchainImageCount, host);
   if (args->ret != VK_SUCCESS && args->ret != VK_INCOMPLETE)
      return;
   for (uint32_t i = 0; i < *args->pSwapchainImageCount && i < cap; i++) {
      struct vl_object *img = vl_object_table_lookup_host(&x->ctx->objects, VK_OBJECT_TYPE_IMAGE,
                                                          (uint64_t)(uintptr_t)host[i]);
      if (img) {
         if (img->id != ids[i]) {
            vlr_exec_failf(x, "swapchain image %u already has id 0x%" PRIx64, i, img->id);
            return;
         }
         continue;
      }
      if (!vlr_exec_check_new_id(x, ids[i]) ||
          !vlr_exec_add_object(x, ids[i], VK_OBJECT_TYPE_IMAGE, (uint64_t)(uintptr_t)host[i],
                               swapchain))
         return;
   }
}

void
vlr_handle_vkDestroySwapchainKHR(struct vlr_exec *x, struct vl_args_vkDestroySwapchainKHR *args)
{
   struct vl_object *swapchain = x->dec.last_object;
   const struct vlr_host_device_table *vk = vlr_object_device_table(args->owner);
   vk->DestroySwapchainKHR(args->device, args->swapchain, NULL);
   if (!swapchain)
      return;
   while (!vl_list_empty(&swapchain->children))
      vlr_exec_remove_object(x, vl_object_from_link(swapchain->children.next));
   vlr_exec_remove_object(x, swapchain);
}

/* objectHandle is a guest id of objectType: make it the host's handle. */
static bool
translate_handle(struct vlr_exec *x, VkObjectType type, uint64_t *handle)
{
   if (!*handle)
      return true;
   struct vl_object *obj = vlr_exec_lookup(x, *handle, type);
   if (!obj)
      return false;
   *handle = obj->host;
   return true;
}

void
vlr_handle_vkSetDebugUtilsObjectNameEXT(struct vlr_exec *x,
                                        struct vl_args_vkSetDebugUtilsObjectNameEXT *args)
{
   const struct vlr_host_device_table *vk = vlr_object_device_table(args->owner);
   VkDebugUtilsObjectNameInfoEXT *info = (VkDebugUtilsObjectNameInfoEXT *)args->pNameInfo;
   if (!translate_handle(x, info->objectType, &info->objectHandle))
      return;
   args->ret = vk->SetDebugUtilsObjectNameEXT ? vk->SetDebugUtilsObjectNameEXT(args->device, info)
                                              : VK_SUCCESS;
}

void
vlr_handle_vkSetDebugUtilsObjectTagEXT(struct vlr_exec *x,
                                       struct vl_args_vkSetDebugUtilsObjectTagEXT *args)
{
   const struct vlr_host_device_table *vk = vlr_object_device_table(args->owner);
   VkDebugUtilsObjectTagInfoEXT *info = (VkDebugUtilsObjectTagInfoEXT *)args->pTagInfo;
   if (!translate_handle(x, info->objectType, &info->objectHandle))
      return;
   args->ret = vk->SetDebugUtilsObjectTagEXT ? vk->SetDebugUtilsObjectTagEXT(args->device, info)
                                             : VK_SUCCESS;
}
