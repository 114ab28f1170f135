/*
 * Instance and physical devices, host side: the host instance, binding the
 * guest's physical-device ids to host devices, and the answers the renderer
 * filters to what the protocol carries (extension lists, API versions).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vl_protocol_defs.h"
#include "vlr_context.h"
#include "vlr_host.h"
#include "vlr_inflight.h"

/* Per-instance state (vl_object.data of the VkInstance). */
struct vlr_instance {
   VkPhysicalDevice *physical; /* host enumeration order */
   uint64_t *bound;            /* guest id bound to each, 0 if none */
   uint32_t physical_count;
};

/* Per-physical-device state (vl_object.data of a VkPhysicalDevice). */
struct vlr_physical_device {
   VkPhysicalDeviceMemoryProperties memory;
};

static uint32_t
cap_version(uint32_t v)
{
   return v > VL_PROTOCOL_VK_XML_VERSION ? VL_PROTOCOL_VK_XML_VERSION : v;
}

void
vlr_handle_vkCreateInstance(struct vlr_exec *x, struct vl_args_vkCreateInstance *args)
{
   struct vlr_context *ctx = x->ctx;
   if (ctx->instance) {
      vlr_exec_fail(x, "a second instance in one context");
      return;
   }
   const uint64_t id = (uint64_t)(uintptr_t)*args->pInstance;
   if (!vlr_exec_check_new_id(x, id))
      return;
   const VkInstanceCreateInfo *info = args->pCreateInfo;
   if (info->enabledLayerCount) {
      args->ret = VK_ERROR_LAYER_NOT_PRESENT;
      return;
   }
   /* Only extensions the protocol carries; the host must have them.  Layer
    * mode: the application's own instance, whose extensions the loader
    * checked; those the protocol does not carry work below the layer. */
   const bool chain = vlr_host_is_chain(ctx->host);
   for (uint32_t i = 0; i < info->enabledExtensionCount && !chain; i++) {
      const struct vl_extension_info *e = vl_extension_find(info->ppEnabledExtensionNames[i]);
      if (!e || !e->instance) {
         args->ret = VK_ERROR_EXTENSION_NOT_PRESENT;
         return;
      }
   }
   VkApplicationInfo app = {
      .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
      .apiVersion = VK_API_VERSION_1_1,
   };
   if (info->pApplicationInfo) {
      app = *info->pApplicationInfo;
      if (app.apiVersion < VK_API_VERSION_1_1)
         app.apiVersion = VK_API_VERSION_1_1;
   }
   VkInstanceCreateInfo host_info = *info;
   host_info.pApplicationInfo = &app;
   /* Host-side validation reports through a debug-utils messenger of ours;
    * chained here, it also covers instance creation itself. */
   const char **exts = NULL;
   const bool validation = vlr_host_has_validation(ctx->host);
   VkDebugUtilsMessengerCreateInfoEXT messenger_info;
   if (validation) {
      exts = vlr_exec_args(x, (info->enabledExtensionCount + 1) * sizeof(*exts));
      if (!exts)
         return;
      bool has = false;
      for (uint32_t i = 0; i < info->enabledExtensionCount; i++) {
         exts[i] = info->ppEnabledExtensionNames[i];
         has |= !strcmp(exts[i], VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
      }
      host_info.enabledExtensionCount = info->enabledExtensionCount;
      if (!has)
         exts[host_info.enabledExtensionCount++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
      host_info.ppEnabledExtensionNames = exts;
      vlr_validation_messenger_info(ctx, &messenger_info);
      messenger_info.pNext = host_info.pNext;
      host_info.pNext = &messenger_info;
   }
   VkInstance host = VK_NULL_HANDLE;
   args->ret = vlr_host_create_instance(ctx->host, &host_info, &host);
   if (args->ret != VK_SUCCESS)
      return;
   struct vlr_instance *data = calloc(1, sizeof(*data));
   struct vl_object *obj =
      data ? vlr_exec_add_object(x, id, VK_OBJECT_TYPE_INSTANCE, (uint64_t)(uintptr_t)host, NULL)
           : NULL;
   if (!obj) {
      free(data);
      vlr_host_destroy_instance(ctx->host, host, NULL);
      vlr_exec_fail(x, "out of memory");
      return;
   }
   obj->data = data;
   PFN_vkGetInstanceProcAddr gipa = (PFN_vkGetInstanceProcAddr)vlr_host_get_instance_proc_addr(
      ctx->host, host, "vkGetInstanceProcAddr");
   vlr_host_instance_table_load(&ctx->instance_table, gipa, host);
   obj->table = &ctx->instance_table;
   ctx->instance = obj;
   ctx->instance_api_version = app.apiVersion;
   if (validation && ctx->instance_table.CreateDebugUtilsMessengerEXT)
      ctx->instance_table.CreateDebugUtilsMessengerEXT(host, &messenger_info, NULL,
                                                       &ctx->messenger);
}

/* Devices whose work never completes are left to the host driver, with the
 * state it may still use: kept here, reachable, for the process's life. */
static pthread_mutex_t abandoned_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vlr_device *abandoned;

static void
abandon(struct vlr_device *dev)
{
   pthread_mutex_lock(&abandoned_lock);
   dev->abandoned_next = abandoned;
   abandoned = dev;
   pthread_mutex_unlock(&abandoned_lock);
}

void
vlr_instance_destroy_all(struct vlr_context *ctx)
{
   struct vl_object *inst = ctx->instance;
   const VkInstance host = (VkInstance)(uintptr_t)inst->host;
   bool leaked = false;
   /* Devices first (with everything under them), then instance children. */
   for (struct vl_list *l = inst->children.prev; l != &inst->children;) {
      struct vl_object *child = vl_object_from_link(l);
      l = l->prev;
      if (child->type == VK_OBJECT_TYPE_DEVICE) {
         struct vlr_device *dev = child->data;
         const VkDevice device = (VkDevice)(uintptr_t)child->host;
         if (!vlr_inflight_idle(ctx, child)) {
            /* Work that never completes still runs on the device: the
             * device, its state and the instance are left to the host
             * driver rather than freed under it. */
            fprintf(stderr, "venus-loopback: renderer: submitted work does not complete; the "
                            "host device is leaked\n");
            vlr_inflight_finish(dev);
            child->data = NULL;
            if (dev)
               abandon(dev);
            vl_object_table_remove_tree(&ctx->objects, child);
            leaked = true;
            continue;
         }
         vlr_feedback_destroy(dev);
         vlr_inflight_finish(dev);
         vlr_device_destroy_children(ctx, child);
         vlr_host_destroy_device(ctx->host, device, dev->table.DestroyDevice);
         vl_object_table_remove_tree(&ctx->objects, child);
      }
   }
   for (struct vl_list *l = inst->children.prev; l != &inst->children;) {
      struct vl_object *child = vl_object_from_link(l);
      l = l->prev;
      if (child->type == VK_OBJECT_TYPE_SURFACE_KHR && ctx->instance_table.DestroySurfaceKHR)
         ctx->instance_table.DestroySurfaceKHR(host, (VkSurfaceKHR)(uintptr_t)child->host, NULL);
      if (child->type != VK_OBJECT_TYPE_PHYSICAL_DEVICE)
         vl_object_table_remove_tree(&ctx->objects, child);
   }
   struct vlr_instance *data = inst->data;
   if (data) {
      free(data->physical);
      free(data->bound);
   }
   vl_object_table_remove_tree(&ctx->objects, inst);
   ctx->instance = NULL;
   if (leaked) {
      ctx->messenger = VK_NULL_HANDLE;
      return; /* a leaked device keeps its instance */
   }
   if (ctx->messenger && ctx->instance_table.DestroyDebugUtilsMessengerEXT)
      ctx->instance_table.DestroyDebugUtilsMessengerEXT(host, ctx->messenger, NULL);
   ctx->messenger = VK_NULL_HANDLE;
   vlr_host_destroy_instance(ctx->host, host, ctx->instance_table.DestroyInstance);
}

void
vlr_handle_vkDestroyInstance(struct vlr_exec *x, struct vl_args_vkDestroyInstance *args)
{
   if (args->owner != x->ctx->instance) {
      vlr_exec_fail(x, "not the context's instance");
      return;
   }
   vlr_instance_destroy_all(x->ctx);
   x->dec.last_object = NULL; /* gone with the rest */
}

void
vlr_handle_vkEnumerateInstanceVersion(struct vlr_exec *x,
                                      struct vl_args_vkEnumerateInstanceVersion *args)
{
   PFN_vkEnumerateInstanceVersion f =
      (PFN_vkEnumerateInstanceVersion)vlr_host_get_instance_proc_addr(x->ctx->host, NULL,
                                                                      "vkEnumerateInstanceVersion");
   uint32_t v = VK_API_VERSION_1_0;
   args->ret = f ? f(&v) : VK_SUCCESS;
   *args->pApiVersion = cap_version(v);
}

/* The host's list, filtered to what the protocol carries, with spec versions
 * capped to the protocol's, answered with the usual count/array rules. */
static VkResult
filtered_extensions(VkExtensionProperties *host, uint32_t host_count, bool instance,
                    uint32_t *count, VkExtensionProperties *props)
{
   uint32_t n = 0;
   for (uint32_t i = 0; i < host_count; i++) {
      const struct vl_extension_info *e = vl_extension_find(host[i].extensionName);
      if (!e || e->instance != instance)
         continue;
      VkExtensionProperties p = host[i];
      if (p.specVersion > e->spec_version)
         p.specVersion = e->spec_version;
      host[n++] = p;
   }
   if (!props) {
      *count = n;
      return VK_SUCCESS;
   }
   const uint32_t copy = *count < n ? *count : n;
   memcpy(props, host, copy * sizeof(*props));
   *count = copy;
   return copy < n ? VK_INCOMPLETE : VK_SUCCESS;
}

void
vlr_handle_vkEnumerateInstanceExtensionProperties(
   struct vlr_exec *x, struct vl_args_vkEnumerateInstanceExtensionProperties *args)
{
   if (args->pLayerName) {
      args->ret = VK_ERROR_LAYER_NOT_PRESENT;
      return;
   }
   PFN_vkEnumerateInstanceExtensionProperties f =
      (PFN_vkEnumerateInstanceExtensionProperties)vlr_host_get_instance_proc_addr(
         x->ctx->host, NULL, "vkEnumerateInstanceExtensionProperties");
   uint32_t n = 0;
   if (!f) {
      /* layer mode: the loader answers this before there is an instance */
      args->ret = VK_ERROR_INITIALIZATION_FAILED;
      return;
   }
   f(NULL, &n, NULL);
   VkExtensionProperties *host = calloc(n ? n : 1, sizeof(*host));
   if (!host) {
      args->ret = VK_ERROR_OUT_OF_HOST_MEMORY;
      return;
   }
   f(NULL, &n, host);
   args->ret = filtered_extensions(host, n, true, args->pPropertyCount, args->pProperties);
   free(host);
}

void
vlr_handle_vkEnumerateDeviceExtensionProperties(
   struct vlr_exec *x, struct vl_args_vkEnumerateDeviceExtensionProperties *args)
{
   if (args->pLayerName) {
      vlr_exec_fail(x, "a layer name in vkEnumerateDeviceExtensionProperties");
      return;
   }
   const struct vlr_host_instance_table *vk = vlr_object_instance_table(args->owner);
   uint32_t n = 0;
   vk->EnumerateDeviceExtensionProperties(args->physicalDevice, NULL, &n, NULL);
   VkExtensionProperties *host = calloc(n ? n : 1, sizeof(*host));
   if (!host) {
      args->ret = VK_ERROR_OUT_OF_HOST_MEMORY;
      return;
   }
   vk->EnumerateDeviceExtensionProperties(args->physicalDevice, NULL, &n, host);
   args->ret = filtered_extensions(host, n, false, args->pPropertyCount, args->pProperties);
   free(host);
}

static bool
load_physical_devices(struct vlr_exec *x, struct vlr_instance *inst, VkInstance instance)
{
   if (inst->physical)
      return true;
   const struct vlr_host_instance_table *vk = &x->ctx->instance_table;
   uint32_t n = 0;
   if (vk->EnumeratePhysicalDevices(instance, &n, NULL) != VK_SUCCESS)
      return false;
   inst->physical = calloc(n ? n : 1, sizeof(*inst->physical));
   inst->bound = calloc(n ? n : 1, sizeof(*inst->bound));
   if (!inst->physical || !inst->bound)
      return false;
   VkResult r = vk->EnumeratePhysicalDevices(instance, &n, inst->physical);
   inst->physical_count = n;
   return r == VK_SUCCESS || r == VK_INCOMPLETE;
}

void
vlr_handle_vkEnumeratePhysicalDevices(struct vlr_exec *x,
                                      struct vl_args_vkEnumeratePhysicalDevices *args)
{
   struct vl_object *instance = args->owner;
   struct vlr_instance *inst = instance->data;
   if (!load_physical_devices(x, inst, args->instance)) {
      args->ret = VK_ERROR_INITIALIZATION_FAILED;
      return;
   }
   if (!args->pPhysicalDevices) {
      *args->pPhysicalDeviceCount = inst->physical_count;
      args->ret = VK_SUCCESS;
      return;
   }
   const uint32_t n = *args->pPhysicalDeviceCount < inst->physical_count
                         ? *args->pPhysicalDeviceCount
                         : inst->physical_count;
   for (uint32_t i = 0; i < n; i++) {
      const uint64_t id = (uint64_t)(uintptr_t)args->pPhysicalDevices[i];
      if (inst->bound[i]) {
         /* Binding is once and for all (Venus). */
         if (inst->bound[i] != id) {
            vlr_exec_failf(x, "physical device %u is bound to id 0x%" PRIx64 ", not 0x%" PRIx64, i,
                           inst->bound[i], id);
            return;
         }
         continue;
      }
      if (!vlr_exec_check_new_id(x, id))
         return;
      struct vl_object *obj = vlr_exec_add_object(x, id, VK_OBJECT_TYPE_PHYSICAL_DEVICE,
                                                  (uint64_t)(uintptr_t)inst->physical[i], instance);
      if (!obj)
         return;
      struct vlr_physical_device *pd = calloc(1, sizeof(*pd));
      if (pd)
         x->ctx->instance_table.GetPhysicalDeviceMemoryProperties(inst->physical[i], &pd->memory);
      obj->data = pd;
      inst->bound[i] = id;
   }
   *args->pPhysicalDeviceCount = n;
   args->ret = n < inst->physical_count ? VK_INCOMPLETE : VK_SUCCESS;
}

void
vlr_handle_vkEnumeratePhysicalDeviceGroups(struct vlr_exec *x,
                                           struct vl_args_vkEnumeratePhysicalDeviceGroups *args)
{
   const struct vlr_host_instance_table *vk = vlr_object_instance_table(args->owner);
   args->ret = vk->EnumeratePhysicalDeviceGroups(args->instance, args->pPhysicalDeviceGroupCount,
                                                 args->pPhysicalDeviceGroupProperties);
   if ((args->ret != VK_SUCCESS && args->ret != VK_INCOMPLETE) ||
       !args->pPhysicalDeviceGroupProperties)
      return;
   /* Host handles become the guest ids they are bound to. */
   for (uint32_t i = 0; i < *args->pPhysicalDeviceGroupCount; i++) {
      VkPhysicalDeviceGroupProperties *g = &args->pPhysicalDeviceGroupProperties[i];
      for (uint32_t j = 0; j < VK_MAX_DEVICE_GROUP_SIZE; j++) {
         if (j >= g->physicalDeviceCount) {
            g->physicalDevices[j] = VK_NULL_HANDLE;
            continue;
         }
         struct vl_object *obj =
            vl_object_table_lookup_host(&x->ctx->objects, VK_OBJECT_TYPE_PHYSICAL_DEVICE,
                                        (uint64_t)(uintptr_t)g->physicalDevices[j]);
         if (!obj) {
            vlr_exec_fail(x, "a physical device of a group has no id yet: enumerate physical "
                             "devices first");
            return;
         }
         g->physicalDevices[j] = (VkPhysicalDevice)(uintptr_t)obj->id;
      }
   }
}

void
vlr_handle_vkGetPhysicalDeviceProperties(struct vlr_exec *x,
                                         struct vl_args_vkGetPhysicalDeviceProperties *args)
{
   const struct vlr_host_instance_table *vk = vlr_object_instance_table(args->owner);
   vk->GetPhysicalDeviceProperties(args->physicalDevice, args->pProperties);
   args->pProperties->apiVersion = cap_version(args->pProperties->apiVersion);
}

void
vlr_handle_vkGetPhysicalDeviceProperties2(struct vlr_exec *x,
                                          struct vl_args_vkGetPhysicalDeviceProperties2 *args)
{
   const struct vlr_host_instance_table *vk = vlr_object_instance_table(args->owner);
   vk->GetPhysicalDeviceProperties2(args->physicalDevice, args->pProperties);
   args->pProperties->properties.apiVersion = cap_version(args->pProperties->properties.apiVersion);
}

void
vlr_instance_rename_physical_device(struct vl_object *instance, uint64_t old_id, uint64_t new_id)
{
   struct vlr_instance *inst = instance->data;
   for (uint32_t i = 0; inst && i < inst->physical_count; i++) {
      if (inst->bound[i] == old_id)
         inst->bound[i] = new_id;
   }
}

const VkPhysicalDeviceMemoryProperties *
vlr_physical_device_memory(const struct vl_object *physical_device)
{
   const struct vlr_physical_device *pd = physical_device->data;
   return pd ? &pd->memory : NULL;
}
