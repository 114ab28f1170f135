/*
 * The loader-ICD interface (version 5) of libvulkan_venus_loopback.so: the
 * three functions the ICD exports (icd/vl_icd.map).  The layer build has its
 * own interface on the same guest core: layer/vl_layer.c.
 */
#include "vl_icd.h"

#define VL_EXPORT __attribute__((visibility("default")))

VL_EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vk_icdNegotiateLoaderICDInterfaceVersion(uint32_t *version)
{
   if (*version < 5) {
      vl_icd_log("the Vulkan loader offers ICD interface %u; venus-loopback needs 5 or later",
                 *version);
      return VK_ERROR_INCOMPATIBLE_DRIVER;
   }
   *version = 5;
   return VK_SUCCESS;
}

VL_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vk_icdGetInstanceProcAddr(VkInstance instance, const char *name)
{
   return vl_GetInstanceProcAddr(instance, name);
}

VL_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vk_icdGetPhysicalDeviceProcAddr(VkInstance instance, const char *name)
{
   (void)instance;
   const struct vl_entrypoint *e = name ? vl_entrypoint_find(name) : NULL;
   return e && e->level == VL_LEVEL_PHYSICAL_DEVICE ? e->fn : NULL;
}
