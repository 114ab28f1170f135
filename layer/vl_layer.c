/*
 * VK_LAYER_VENUS_loopback: the guest driver of icd/ as an explicit Vulkan
 * layer, so that any application's calls go encode -> in-process transport
 * -> renderer -> the next element of the loader's chain, whatever the driver.
 *
 * This file is the loader-layer interface (version 2): negotiation, the
 * GetProcAddr functions, the layer's own enumerations, and reading the
 * loader's link at instance and device creation.  Everything else is the
 * guest core of icd/, the same library the ICD links, which this file
 * switches to layer mode when it is loaded (vl_layer; see vl_icd.h for how
 * handles work then).
 *
 * What the layer answers: every command our generated entry table has, and
 * for a device only those its version and extensions enable (the device
 * offers only the extensions the protocol carries).  Instance commands the
 * protocol does not carry go straight to the next element: instance and
 * physical-device handles are the next element's own.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vl_icd.h"

#define VL_EXPORT        __attribute__((visibility("default")))
#define VL_LAYER_NAME    "VK_LAYER_VENUS_loopback"
#define VL_LAYER_VERSION VK_MAKE_API_VERSION(0, 1, 3, 239) /* as the manifest says */

static const VkLayerProperties layer_properties = {
   .layerName = VL_LAYER_NAME,
   .specVersion = VL_LAYER_VERSION,
   .implementationVersion = 1,
   .description = "venus-loopback: every call through the Venus encoder and an in-process "
                  "renderer to the next element",
};

/* ---- the loader's link -------------------------------------------------------------- */

/* The loader's struct of this function in a create info's chain. */
static void *
find_loader_struct(const void *pnext, VkStructureType stype, VkLayerFunction function)
{
   unsigned walked = 0;
   for (const VkBaseInStructure *s = pnext; s && walked < VL_MAX_CHAIN_WALK;
        s = s->pNext, walked++) {
      /* VkLayerInstanceCreateInfo and VkLayerDeviceCreateInfo start alike */
      if (s->sType == stype && ((const VkLayerInstanceCreateInfo *)s)->function == function)
         return (void *)s;
   }
   return NULL;
}

static VkResult
instance_chain(const VkInstanceCreateInfo *info, VkInstance *instance,
               struct vl_transport_options *o, struct vlr_chain *chain)
{
   VkLayerInstanceCreateInfo *link = find_loader_struct(
      info->pNext, VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO, VK_LAYER_LINK_INFO);
   if (!link || !link->u.pLayerInfo || !link->u.pLayerInfo->pfnNextGetInstanceProcAddr) {
      vl_icd_log(VL_LAYER_NAME ": vkCreateInstance without the loader's link (the layer is "
                               "enabled through the Vulkan loader only)");
      return VK_ERROR_INITIALIZATION_FAILED;
   }
   char err[512];
   if (!vl_transport_options_from_env(o, err, sizeof(err))) {
      vl_icd_log("%s", err);
      return VK_ERROR_INITIALIZATION_FAILED;
   }
   if (o->kind != VL_TRANSPORT_RING) {
      vl_icd_log(VL_LAYER_NAME " needs the in-process transport, and VL_TRANSPORT=%s names "
                               "another; unset it or set VL_TRANSPORT=ring",
                 getenv("VL_TRANSPORT"));
      return VK_ERROR_INITIALIZATION_FAILED;
   }
   if (o->host_icd)
      vl_icd_log(VL_LAYER_NAME ": VL_HOST_ICD=%s is ignored; the host is the next element of "
                               "the loader's chain (VK_ICD_FILENAMES chooses the driver)",
                 o->host_icd);
   *chain = (struct vlr_chain){
      .next_gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr,
      .next_gpdpa = link->u.pLayerInfo->pfnNextGetPhysicalDeviceProcAddr,
      .loader_pnext = info->pNext,
      .loader_object = *instance,
   };
   /* The next element reads its own link (the renderer passes the rest on). */
   link->u.pLayerInfo = link->u.pLayerInfo->pNext;
   o->chain = chain;
   return VK_SUCCESS;
}

static VkResult
device_chain(const VkDeviceCreateInfo *info, VkDevice *device, struct vlr_chain *chain)
{
   VkLayerDeviceCreateInfo *link = find_loader_struct(
      info->pNext, VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO, VK_LAYER_LINK_INFO);
   if (!link || !link->u.pLayerInfo || !link->u.pLayerInfo->pfnNextGetInstanceProcAddr ||
       !link->u.pLayerInfo->pfnNextGetDeviceProcAddr) {
      vl_icd_log(VL_LAYER_NAME ": vkCreateDevice without the loader's link");
      return VK_ERROR_INITIALIZATION_FAILED;
   }
   *chain = (struct vlr_chain){
      .next_gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr,
      .next_gdpa = link->u.pLayerInfo->pfnNextGetDeviceProcAddr,
      .loader_pnext = info->pNext,
      .loader_object = *device,
   };
   link->u.pLayerInfo = link->u.pLayerInfo->pNext;
   return VK_SUCCESS;
}

/* ---- the layer's own enumerations ------------------------------------------------------ */

static VkResult
one_layer(uint32_t *count, VkLayerProperties *props)
{
   if (!props) {
      *count = 1;
      return VK_SUCCESS;
   }
   if (!*count)
      return VK_INCOMPLETE;
   props[0] = layer_properties;
   *count = 1;
   return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL
layer_EnumerateInstanceLayerProperties(uint32_t *count, VkLayerProperties *props)
{
   return one_layer(count, props);
}

static VKAPI_ATTR VkResult VKAPI_CALL
layer_EnumerateDeviceLayerProperties(VkPhysicalDevice physical, uint32_t *count,
                                     VkLayerProperties *props)
{
   (void)physical;
   return one_layer(count, props);
}

static VKAPI_ATTR VkResult VKAPI_CALL
layer_EnumerateInstanceExtensionProperties(const char *layer, uint32_t *count,
                                           VkExtensionProperties *props)
{
   (void)props;
   /* The layer adds no extension of its own. */
   if (!layer || strcmp(layer, VL_LAYER_NAME))
      return VK_ERROR_LAYER_NOT_PRESENT;
   *count = 0;
   return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL
layer_EnumerateDeviceExtensionProperties(VkPhysicalDevice physical, const char *layer,
                                         uint32_t *count, VkExtensionProperties *props)
{
   /* The device's: what the host has and the protocol carries. */
   if (!layer)
      return vl_EnumerateDeviceExtensionProperties(physical, NULL, count, props);
   if (!strcmp(layer, VL_LAYER_NAME)) {
      *count = 0;
      return VK_SUCCESS;
   }
   /* Another layer's: the next element answers (the loader's terminator
    * reads the manifests). */
   PFN_vkEnumerateDeviceExtensionProperties next =
      vl_physical_device(physical)->instance->next_enumerate_device_extensions;
   return next ? next(physical, layer, count, props) : VK_ERROR_LAYER_NOT_PRESENT;
}

/* ---- GetProcAddr ------------------------------------------------------------------------ */

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL layer_GetDeviceProcAddr(VkDevice device,
                                                                        const char *name);
static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL layer_GetPhysicalDeviceProcAddr(VkInstance instance,
                                                                                const char *name);

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
layer_GetInstanceProcAddr(VkInstance instance, const char *name)
{
   static const struct {
      const char *name;
      PFN_vkVoidFunction fn;
   } own[] = {
      { "vkGetInstanceProcAddr", (PFN_vkVoidFunction)layer_GetInstanceProcAddr },
      { "vkGetDeviceProcAddr", (PFN_vkVoidFunction)layer_GetDeviceProcAddr },
      { "vk_layerGetPhysicalDeviceProcAddr", (PFN_vkVoidFunction)layer_GetPhysicalDeviceProcAddr },
      { "vkEnumerateInstanceLayerProperties",
        (PFN_vkVoidFunction)layer_EnumerateInstanceLayerProperties },
      { "vkEnumerateInstanceExtensionProperties",
        (PFN_vkVoidFunction)layer_EnumerateInstanceExtensionProperties },
      { "vkEnumerateDeviceLayerProperties",
        (PFN_vkVoidFunction)layer_EnumerateDeviceLayerProperties },
      { "vkEnumerateDeviceExtensionProperties",
        (PFN_vkVoidFunction)layer_EnumerateDeviceExtensionProperties },
      /* the loader answers this one itself */
      { "vkEnumerateInstanceVersion", NULL },
   };
   if (!name)
      return NULL;
   for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
      if (!strcmp(name, own[i].name))
         return own[i].fn;
   }
   const struct vl_entrypoint *e = vl_entrypoint_find(name);
   if (e)
      return e->fn;
   if (!instance)
      return NULL;
   /* Not carried by the protocol: the next element's, which takes the same
    * instance and physical-device handles. */
   return vl_instance(instance)->next_gipa(instance, name);
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
layer_GetPhysicalDeviceProcAddr(VkInstance instance, const char *name)
{
   if (!name)
      return NULL;
   const struct vl_entrypoint *e = vl_entrypoint_find(name);
   if (e)
      return e->level == VL_LEVEL_PHYSICAL_DEVICE ? e->fn : NULL;
   struct vl_instance *inst = instance ? vl_instance(instance) : NULL;
   return inst && inst->next_gpdpa ? inst->next_gpdpa(instance, name) : NULL;
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
layer_GetDeviceProcAddr(VkDevice device, const char *name)
{
   if (name && !strcmp(name, "vkGetDeviceProcAddr"))
      return (PFN_vkVoidFunction)layer_GetDeviceProcAddr;
   /* Device commands we do not carry stay NULL: the device offers none of
    * their extensions. */
   return vl_GetDeviceProcAddr(device, name);
}

/* ---- layer mode ---------------------------------------------------------------------------- */

static const struct vl_layer_hooks hooks = {
   .instance_chain = instance_chain,
   .device_chain = device_chain,
};

/* This library is the layer: its copy of the guest core runs in layer mode
 * from the moment it is loaded, before the loader calls anything. */
__attribute__((constructor)) static void
layer_mode(void)
{
   vl_layer = &hooks;
}

/* ---- negotiation -------------------------------------------------------------------------- */

VL_EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vkNegotiateLoaderLayerInterfaceVersion(VkNegotiateLayerInterface *iface)
{
   if (!iface || iface->sType != LAYER_NEGOTIATE_INTERFACE_STRUCT) {
      vl_icd_log(VL_LAYER_NAME ": the loader's negotiation struct is not one");
      return VK_ERROR_INITIALIZATION_FAILED;
   }
   if (iface->loaderLayerInterfaceVersion < 2) {
      vl_icd_log(VL_LAYER_NAME ": the Vulkan loader offers layer interface %u; the layer needs 2",
                 iface->loaderLayerInterfaceVersion);
      return VK_ERROR_INITIALIZATION_FAILED;
   }
   iface->loaderLayerInterfaceVersion = 2;
   iface->pfnGetInstanceProcAddr = layer_GetInstanceProcAddr;
   iface->pfnGetDeviceProcAddr = layer_GetDeviceProcAddr;
   iface->pfnGetPhysicalDeviceProcAddr = layer_GetPhysicalDeviceProcAddr;
   return VK_SUCCESS;
}
