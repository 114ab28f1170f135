/*
 * Devices, queues, waiting for idle, and private data, guest side.
 *
 * Venus refuses vkQueueWaitIdle and vkDeviceWaitIdle on the wire (they would
 * block the renderer), so the guest waits on a fence it submits itself.
 * Private data never leaves the guest.
 */
#include <string.h>

#include "vl_icd.h"
#include "vl_icd_calls.h"

struct vl_private_entry {
   uint64_t slot;
   VkObjectType type;
   uint64_t handle;
   uint64_t data;
};

static int
extension_index(const char *name)
{
   const struct vl_extension_info *e = vl_extension_find(name);
   return e ? (int)(e - vl_extension_table) : -1;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreateDevice(VkPhysicalDevice physical, const VkDeviceCreateInfo *info,
                const VkAllocationCallbacks *alloc, VkDevice *out)
{
   (void)alloc;
   struct vl_physical_device *pd = vl_physical_device(physical);
   const char *const *names = info->ppEnabledExtensionNames;
   uint32_t name_count = info->enabledExtensionCount;
   struct vlr_chain chain;
   const char **kept = NULL;
   VkResult r;
   if (vl_layer) {
      r = vl_layer->device_chain(info, out, &chain);
      if (r != VK_SUCCESS)
         return r;
      /* Extensions we do not offer belong to layers above us (the loader
       * checked them): they stop here, as the loader's terminator leaves out
       * what its driver lacks. */
      kept = malloc((name_count ? name_count : 1) * sizeof(*kept));
      if (!kept)
         return VK_ERROR_OUT_OF_HOST_MEMORY;
      uint32_t kept_count = 0;
      for (uint32_t i = 0; i < name_count; i++) {
         const int e = extension_index(names[i]);
         if (e >= 0 && pd->supported[e])
            kept[kept_count++] = names[i];
      }
      names = kept;
      name_count = kept_count;
   } else {
      for (uint32_t i = 0; i < info->enabledExtensionCount; i++) {
         const int e = extension_index(info->ppEnabledExtensionNames[i]);
         if (e < 0 || !pd->supported[e])
            return VK_ERROR_EXTENSION_NOT_PRESENT;
      }
   }
   struct vl_device *dev = calloc(1, sizeof(*dev));
   bool *enabled = calloc(VL_EXTENSION_COUNT, sizeof(*enabled));
   if (!dev || !enabled) {
      free(dev);
      free(enabled);
      free(kept);
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   }
   set_loader_magic_value(dev);
   dev->instance = pd->instance;
   dev->physical = pd;
   dev->transport = pd->instance->transport;
   dev->enabled = enabled;
   pthread_mutex_init(&dev->lock, NULL);
   pthread_mutex_init(&dev->flush_lock, NULL);
   for (uint32_t i = 0; i < name_count; i++)
      enabled[extension_index(names[i])] = true;
   /* The device's version: what both the instance and the device have. */
   dev->api_version = pd->properties.properties.apiVersion;
   if (pd->instance->api_version < dev->api_version)
      dev->api_version = pd->instance->api_version;

   VkDeviceCreateInfo host_info = *info;
   host_info.enabledLayerCount = 0;
   host_info.ppEnabledLayerNames = NULL;
   host_info.enabledExtensionCount = name_count;
   host_info.ppEnabledExtensionNames = names;
   VkDevice handle = VL_TO_HANDLE(VkDevice, dev);
   if (vl_layer && dev->transport->ops->set_device_chain)
      dev->transport->ops->set_device_chain(dev->transport, (uint64_t)(uintptr_t)handle, &chain);
   r = vl_call_vkCreateDevice(dev->transport, physical, &host_info, NULL, &handle);
   free(kept);
   if (vl_layer && r == VK_SUCCESS) {
      dev->handle = vl_adopt(dev->transport, dev, VK_OBJECT_TYPE_DEVICE);
      if (dev->handle)
         handle = vl_device_handle(dev);
      else
         r = VK_ERROR_INITIALIZATION_FAILED; /* the connection is lost */
   }
   if (r != VK_SUCCESS) {
      pthread_mutex_destroy(&dev->lock);
      pthread_mutex_destroy(&dev->flush_lock);
      free(enabled);
      free(dev);
      return r;
   }
   *out = handle;
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroyDevice(VkDevice device, const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   if (!device)
      return;
   struct vl_device *dev = vl_device(device);
   vl_device_send_doomed(dev);
   vl_call_vkDestroyDevice(dev->transport, device, NULL);
   if (vl_layer)
      vl_handle_unregister((uint64_t)(uintptr_t)device, dev);
   while (dev->queues) {
      struct vl_queue *q = dev->queues;
      dev->queues = q->next;
      if (vl_layer)
         vl_handle_unregister(q->handle, q);
      /* the host fence went with the device */
      if (q->idle_fence)
         vl_fence_destroy(dev, q->idle_fence);
      vl_transport_timeline_put(dev->transport, q->timeline);
      pthread_mutex_destroy(&q->lock);
      free(q);
   }
   vl_device_free_caches(dev);
   vl_feedback_fini(dev);
   for (size_t i = 0; i < dev->private_count; i++)
      free(dev->private_data[i]);
   free(dev->private_data);
   pthread_mutex_destroy(&dev->lock);
   pthread_mutex_destroy(&dev->flush_lock);
   free(dev->enabled);
   free(dev);
}

static VkQueue
get_queue(struct vl_device *dev, uint32_t family, uint32_t index, VkDeviceQueueCreateFlags flags,
          const void *pnext)
{
   pthread_mutex_lock(&dev->lock);
   struct vl_queue *q;
   for (q = dev->queues; q; q = q->next) {
      if (q->family == family && q->index == index && q->flags == flags)
         goto out;
   }
   q = calloc(1, sizeof(*q));
   if (!q)
      goto out;
   set_loader_magic_value(q);
   q->device = dev;
   q->family = family;
   q->index = index;
   q->flags = flags;
   pthread_mutex_init(&q->lock, NULL);
   q->next = dev->queues;
   dev->queues = q;
   VkDevice device = vl_device_handle(dev);
   VkQueue handle = VL_TO_HANDLE(VkQueue, q);
   /* Venus binds every queue to a transport timeline of its own, through
    * vkGetDeviceQueue2 (virglrenderer 1.x refuses vkGetDeviceQueue); its
    * work and the fences of that timeline then travel on it. */
   q->timeline = vl_transport_timeline_get(dev->transport);
   const VkDeviceQueueTimelineInfoMESA timeline = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_TIMELINE_INFO_MESA,
      .pNext = pnext,
      .ringIdx = q->timeline,
   };
   const VkDeviceQueueInfo2 info = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_INFO_2,
      .pNext = q->timeline ? &timeline : pnext,
      .flags = flags,
      .queueFamilyIndex = family,
      .queueIndex = index,
   };
   vl_send_vkGetDeviceQueue2(dev->transport, device, &info, &handle);
   if (vl_layer) {
      q->handle = vl_adopt(dev->transport, q, VK_OBJECT_TYPE_QUEUE);
      if (!q->handle) {
         dev->queues = q->next;
         pthread_mutex_destroy(&q->lock);
         free(q);
         q = NULL;
      }
   }
out:
   pthread_mutex_unlock(&dev->lock);
   return q ? vl_queue_handle(q) : VK_NULL_HANDLE;
}

VKAPI_ATTR void VKAPI_CALL
vl_GetDeviceQueue(VkDevice device, uint32_t family, uint32_t index, VkQueue *queue)
{
   *queue = get_queue(vl_device(device), family, index, 0, NULL);
}

VKAPI_ATTR void VKAPI_CALL
vl_GetDeviceQueue2(VkDevice device, const VkDeviceQueueInfo2 *info, VkQueue *queue)
{
   *queue =
      get_queue(vl_device(device), info->queueFamilyIndex, info->queueIndex, info->flags, NULL);
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_QueueWaitIdle(VkQueue queue)
{
   struct vl_queue *q = vl_queue(queue);
   struct vl_device *dev = q->device;
   VkDevice device = vl_device_handle(dev);
   pthread_mutex_lock(&q->lock);
   VkResult r = VK_SUCCESS;
   if (!q->idle_fence) {
      const VkFenceCreateInfo info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
      r = vl_CreateFence(device, &info, NULL, &q->idle_fence);
   }
   if (r == VK_SUCCESS)
      r = vl_QueueSubmit(queue, 0, NULL, q->idle_fence);
   if (r == VK_SUCCESS)
      r = vl_WaitForFences(device, 1, &q->idle_fence, VK_TRUE, UINT64_MAX);
   if (r == VK_SUCCESS)
      r = vl_ResetFences(device, 1, &q->idle_fence);
   pthread_mutex_unlock(&q->lock);
   return r;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_DeviceWaitIdle(VkDevice device)
{
   struct vl_device *dev = vl_device(device);
   pthread_mutex_lock(&dev->lock);
   struct vl_queue *queues = dev->queues;
   pthread_mutex_unlock(&dev->lock);
   /* Queues are only ever prepended: the list seen here stays valid. */
   for (struct vl_queue *q = queues; q; q = q->next) {
      VkResult r = vl_QueueWaitIdle(vl_queue_handle(q));
      if (r != VK_SUCCESS)
         return r;
   }
   /* A device whose queues were never fetched has no work, but it can be lost. */
   return vl_transport_is_lost(dev->transport) ? VK_ERROR_DEVICE_LOST : VK_SUCCESS;
}

/* ---- private data ------------------------------------------------------------ */

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreatePrivateDataSlot(VkDevice device, const VkPrivateDataSlotCreateInfo *info,
                         const VkAllocationCallbacks *alloc, VkPrivateDataSlot *slot)
{
   (void)device;
   (void)info;
   (void)alloc;
   *slot = (VkPrivateDataSlot)(uintptr_t)vl_new_id();
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroyPrivateDataSlot(VkDevice device, VkPrivateDataSlot slot,
                          const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   struct vl_device *dev = vl_device(device);
   pthread_mutex_lock(&dev->lock);
   size_t keep = 0;
   for (size_t i = 0; i < dev->private_count; i++) {
      if (dev->private_data[i]->slot == (uint64_t)(uintptr_t)slot)
         free(dev->private_data[i]);
      else
         dev->private_data[keep++] = dev->private_data[i];
   }
   dev->private_count = keep;
   pthread_mutex_unlock(&dev->lock);
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_SetPrivateData(VkDevice device, VkObjectType type, uint64_t handle, VkPrivateDataSlot slot,
                  uint64_t data)
{
   struct vl_device *dev = vl_device(device);
   VkResult r = VK_SUCCESS;
   pthread_mutex_lock(&dev->lock);
   for (size_t i = 0; i < dev->private_count; i++) {
      struct vl_private_entry *e = dev->private_data[i];
      if (e->slot == (uint64_t)(uintptr_t)slot && e->type == type && e->handle == handle) {
         e->data = data;
         goto out;
      }
   }
   if (dev->private_count == dev->private_cap) {
      const size_t cap = dev->private_cap ? dev->private_cap * 2 : 16;
      struct vl_private_entry **p = realloc(dev->private_data, cap * sizeof(*p));
      if (!p) {
         r = VK_ERROR_OUT_OF_HOST_MEMORY;
         goto out;
      }
      dev->private_data = p;
      dev->private_cap = cap;
   }
   struct vl_private_entry *e = malloc(sizeof(*e));
   if (!e) {
      r = VK_ERROR_OUT_OF_HOST_MEMORY;
      goto out;
   }
   *e = (struct vl_private_entry){ (uint64_t)(uintptr_t)slot, type, handle, data };
   dev->private_data[dev->private_count++] = e;
out:
   pthread_mutex_unlock(&dev->lock);
   return r;
}

VKAPI_ATTR void VKAPI_CALL
vl_GetPrivateData(VkDevice device, VkObjectType type, uint64_t handle, VkPrivateDataSlot slot,
                  uint64_t *data)
{
   struct vl_device *dev = vl_device(device);
   *data = 0;
   pthread_mutex_lock(&dev->lock);
   for (size_t i = 0; i < dev->private_count; i++) {
      struct vl_private_entry *e = dev->private_data[i];
      if (e->slot == (uint64_t)(uintptr_t)slot && e->type == type && e->handle == handle)
         *data = e->data;
   }
   pthread_mutex_unlock(&dev->lock);
}
