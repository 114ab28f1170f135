/*
 * Devices and queues, host side: device creation through the host chain, its
 * dispatch table, binding guest queue ids to the queues the device created,
 * and destroying whatever the guest left behind when the device goes.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vl_protocol_defs.h"
#include "vlr_context.h"
#include "vlr_host.h"
#include "vlr_inflight.h"

/* Structs of the Venus protocol that no host driver knows. */
static bool
is_venus_struct(VkStructureType s)
{
   return (int32_t)s >= 1000384000 && (int32_t)s < 1000386000;
}

/* Drops Venus-only structs from a decoded chain (they live in the arena). */
static const void *
strip_venus_structs(const void *pnext)
{
   const VkBaseInStructure *head = pnext;
   while (head && is_venus_struct(head->sType))
      head = head->pNext;
   for (VkBaseInStructure *s = (VkBaseInStructure *)head; s && s->pNext;) {
      if (is_venus_struct(s->pNext->sType))
         s->pNext = s->pNext->pNext;
      else
         s = (VkBaseInStructure *)s->pNext;
   }
   return head;
}

/* export_memory: host-visible memory is imported from memfds, which needs
 * VK_EXT_external_memory_host; its import alignment, or 0 without it. */
static VkDeviceSize
host_pointer_alignment(struct vlr_context *ctx, VkPhysicalDevice physical)
{
   const struct vlr_host_instance_table *vk = &ctx->instance_table;
   uint32_t n = 0;
   if (vk->EnumerateDeviceExtensionProperties(physical, NULL, &n, NULL) != VK_SUCCESS)
      return 0;
   VkExtensionProperties *props = calloc(n ? n : 1, sizeof(*props));
   bool found = false;
   if (props && vk->EnumerateDeviceExtensionProperties(physical, NULL, &n, props) == VK_SUCCESS) {
      for (uint32_t i = 0; i < n; i++)
         found |= !strcmp(props[i].extensionName, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
   }
   free(props);
   if (!found)
      return 0;
   VkPhysicalDeviceExternalMemoryHostPropertiesEXT host = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT,
   };
   VkPhysicalDeviceProperties2 props2 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
      .pNext = &host,
   };
   vk->GetPhysicalDeviceProperties2(physical, &props2);
   const VkDeviceSize a = host.minImportedHostPointerAlignment;
   const long page = sysconf(_SC_PAGESIZE);
   /* a memfd is mapped at page granularity */
   return a && !(a & (a - 1)) && a <= (1u << 30) ? (a < (VkDeviceSize)page ? (VkDeviceSize)page : a)
                                                 : 0;
}

/* The transform feedback limits the host's queue state trusts (its tables
 * of streams and buffers), when the guest enabled the extension. */
static void
transform_feedback_limits(struct vlr_exec *x, const struct vl_args_vkCreateDevice *args,
                          struct vlr_device *dev)
{
   const VkDeviceCreateInfo *info = args->pCreateInfo;
   bool enabled = false;
   for (uint32_t i = 0; i < info->enabledExtensionCount; i++)
      enabled |=
         !strcmp(info->ppEnabledExtensionNames[i], VK_EXT_TRANSFORM_FEEDBACK_EXTENSION_NAME);
   const struct vlr_host_instance_table *vk = &x->ctx->instance_table;
   if (!enabled || !vk->GetPhysicalDeviceProperties2)
      return;
   VkPhysicalDeviceTransformFeedbackPropertiesEXT xfb = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TRANSFORM_FEEDBACK_PROPERTIES_EXT,
   };
   VkPhysicalDeviceProperties2 props2 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
      .pNext = &xfb,
   };
   vk->GetPhysicalDeviceProperties2(args->physicalDevice, &props2);
   dev->xfb_streams = xfb.maxTransformFeedbackStreams;
   dev->xfb_buffers = xfb.maxTransformFeedbackBuffers;
}

void
vlr_handle_vkCreateDevice(struct vlr_exec *x, struct vl_args_vkCreateDevice *args)
{
   struct vlr_context *ctx = x->ctx;
   const uint64_t id = (uint64_t)(uintptr_t)*args->pDevice;
   if (!vlr_exec_check_new_id(x, id))
      return;
   struct vlr_device *dev = calloc(1, sizeof(*dev));
   if (!dev) {
      args->ret = VK_ERROR_OUT_OF_HOST_MEMORY;
      return;
   }
   VkDeviceCreateInfo info = *args->pCreateInfo;
   info.pNext = strip_venus_structs(info.pNext);
   const VkDeviceSize alignment =
      ctx->options.export_memory ? host_pointer_alignment(ctx, args->physicalDevice) : 0;
   const char **names = NULL;
   if (alignment) {
      bool has = false;
      for (uint32_t i = 0; i < info.enabledExtensionCount; i++)
         has |=
            !strcmp(info.ppEnabledExtensionNames[i], VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
      names = has ? NULL : malloc((info.enabledExtensionCount + 1) * sizeof(*names));
      if (names) {
         if (info.enabledExtensionCount)
            memcpy(names, info.ppEnabledExtensionNames,
                   info.enabledExtensionCount * sizeof(*names));
         names[info.enabledExtensionCount++] = VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME;
         info.ppEnabledExtensionNames = names;
      }
   }
   VkDevice host = VK_NULL_HANDLE;
   PFN_vkGetDeviceProcAddr gdpa = NULL;
   args->ret = vlr_host_create_device(ctx->host, (VkInstance)(uintptr_t)ctx->instance->host,
                                      args->physicalDevice, &info, id, &host, &gdpa);
   free(names);
   if (args->ret != VK_SUCCESS) {
      free(dev);
      return;
   }
   vlr_host_device_table_load(&dev->table, gdpa, host);
   if (dev->table.GetMemoryHostPointerPropertiesEXT)
      dev->host_pointer_alignment = alignment;
   dev->physical_device = args->owner;
   VkPhysicalDeviceProperties props;
   vlr_object_instance_table(args->owner)
      ->GetPhysicalDeviceProperties(args->physicalDevice, &props);
   dev->limits = props.limits;
   transform_feedback_limits(x, args, dev);
   if (args->pCreateInfo->pEnabledFeatures)
      dev->features = *args->pCreateInfo->pEnabledFeatures;
   for (const VkBaseInStructure *s = args->pCreateInfo->pNext; s; s = s->pNext) {
      if (s->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2)
         dev->features = ((const VkPhysicalDeviceFeatures2 *)s)->features;
      else if (s->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES)
         dev->timeline_semaphores |=
            ((const VkPhysicalDeviceVulkan12Features *)s)->timelineSemaphore != VK_FALSE;
      else if (s->sType == VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES)
         dev->timeline_semaphores |=
            ((const VkPhysicalDeviceTimelineSemaphoreFeatures *)s)->timelineSemaphore != VK_FALSE;
   }
   struct vl_object *obj =
      vlr_exec_add_object(x, id, VK_OBJECT_TYPE_DEVICE, (uint64_t)(uintptr_t)host, ctx->instance);
   if (!obj) {
      vlr_host_destroy_device(ctx->host, host, dev->table.DestroyDevice);
      free(dev);
      return;
   }
   obj->data = dev;
   obj->table = &dev->table;
}

void
vlr_device_destroy_children(struct vlr_context *ctx, struct vl_object *device)
{
   struct vlr_device *dev = device->data;
   const VkDevice host = (VkDevice)(uintptr_t)device->host;
   /* Newest first: an object is destroyed before the objects it was made
    * from (views before images, pipelines before layouts ...). */
   while (!vl_list_empty(&device->children)) {
      struct vl_object *child = vl_object_from_link(device->children.prev);
      struct vlr_memory *mem = child->type == VK_OBJECT_TYPE_DEVICE_MEMORY ? child->data : NULL;
      if (mem && mem->map)
         dev->table.UnmapMemory(host, (VkDeviceMemory)(uintptr_t)child->host);
      if (child->type == VK_OBJECT_TYPE_COMMAND_POOL ||
          child->type == VK_OBJECT_TYPE_DESCRIPTOR_POOL) {
         /* their command buffers and sets go with them */
      }
      vlr_host_destroy_object(&dev->table, host, child);
      if (mem)
         vlr_memory_release_shm(mem);
      vl_object_table_remove_tree(&ctx->objects, child);
   }
}

void
vlr_handle_vkDestroyDevice(struct vlr_exec *x, struct vl_args_vkDestroyDevice *args)
{
   struct vl_object *device = args->owner;
   struct vlr_device *dev = device->data;
   if (!vlr_inflight_idle(x->ctx, device)) {
      /* work that never completes still uses the device: it stays */
      vlr_exec_fail(x, "submitted work does not complete; the device cannot be destroyed");
      return;
   }
   vlr_feedback_destroy(dev);
   vlr_inflight_finish(dev);
   vlr_device_destroy_children(x->ctx, device);
   vlr_host_destroy_device(x->ctx->host, args->device, dev->table.DestroyDevice);
   vl_object_table_remove_tree(&x->ctx->objects, device);
   x->dec.last_object = NULL; /* gone with the tree */
}

/* Binds a guest queue id to a queue the device created. */
static void
bind_queue(struct vlr_exec *x, struct vl_object *device, VkQueue host, uint64_t id)
{
   if (!host) {
      vlr_exec_fail(x, "the device has no such queue");
      return;
   }
   struct vl_object *existing = vl_object_table_lookup_host(&x->ctx->objects, VK_OBJECT_TYPE_QUEUE,
                                                            (uint64_t)(uintptr_t)host);
   if (existing) {
      if (existing->id != id)
         vlr_exec_failf(x, "queue already has id 0x%" PRIx64 ", not 0x%" PRIx64, existing->id, id);
      return;
   }
   if (!vlr_exec_check_new_id(x, id))
      return;
   vlr_exec_add_object(x, id, VK_OBJECT_TYPE_QUEUE, (uint64_t)(uintptr_t)host, device);
}

void
vlr_handle_vkGetDeviceQueue(struct vlr_exec *x, struct vl_args_vkGetDeviceQueue *args)
{
   struct vlr_device *dev = args->owner->data;
   VkQueue host = VK_NULL_HANDLE;
   dev->table.GetDeviceQueue(args->device, args->queueFamilyIndex, args->queueIndex, &host);
   bind_queue(x, args->owner, host, (uint64_t)(uintptr_t)*args->pQueue);
}

void
vlr_handle_vkGetDeviceQueue2(struct vlr_exec *x, struct vl_args_vkGetDeviceQueue2 *args)
{
   struct vlr_device *dev = args->owner->data;
   VkDeviceQueueInfo2 info = *args->pQueueInfo;
   /* VkDeviceQueueTimelineInfoMESA binds the queue to a fence timeline of
    * the transport (vlr_feedback_timeline_fence); the host never sees it. */
   uint32_t ring_idx = 0;
   for (const VkBaseInStructure *s = info.pNext; s; s = s->pNext) {
      if (s->sType == VK_STRUCTURE_TYPE_DEVICE_QUEUE_TIMELINE_INFO_MESA)
         ring_idx = ((const VkDeviceQueueTimelineInfoMESA *)s)->ringIdx;
   }
   info.pNext = strip_venus_structs(info.pNext);
   VkQueue host = VK_NULL_HANDLE;
   dev->table.GetDeviceQueue2(args->device, &info, &host);
   const uint64_t id = (uint64_t)(uintptr_t)*args->pQueue;
   bind_queue(x, args->owner, host, id);
   if (!ring_idx || atomic_load(&x->ctx->lost))
      return; /* a guest without timelines (ours before wire format 1) */
   if (ring_idx >= VLR_MAX_TIMELINES) {
      vlr_exec_failf(x, "VkDeviceQueueTimelineInfoMESA names timeline %u (1 ... %u exist)",
                     ring_idx, VLR_MAX_TIMELINES - 1);
      return;
   }
   const uint64_t bound = x->ctx->timelines[ring_idx];
   const struct vl_object *other = bound ? vl_object_table_lookup(&x->ctx->objects, bound) : NULL;
   if (other && other->type == VK_OBJECT_TYPE_QUEUE && bound != id) {
      vlr_exec_failf(x, "timeline %u is bound to queue 0x%" PRIx64 " already", ring_idx, bound);
      return;
   }
   x->ctx->timelines[ring_idx] = id;
}

/* ---- memory -------------------------------------------------------------------- */

void
vlr_memory_release_shm(struct vlr_memory *mem)
{
   if (!mem->shm)
      return;
   munmap(mem->shm, mem->shm_size);
   close(mem->fd);
   mem->shm = NULL;
   mem->fd = -1;
}

/* export_memory: backs a host-visible allocation with a memfd, imported as
 * host memory, so that the transport can pass the fd to another process.
 * Only plain allocations (no import or export of their own); anything that
 * does not work out leaves an ordinary, unshareable allocation. */
static void
back_with_memfd(struct vlr_device *dev, VkDevice device, VkMemoryAllocateInfo *info,
                VkImportMemoryHostPointerInfoEXT *import, struct vlr_memory *mem)
{
   const void *rest = NULL;
   for (const VkBaseInStructure *s = info->pNext; s; s = s->pNext) {
      switch (s->sType) {
      case VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO:
         if (rest)
            return;
         rest = s; /* kept, with what follows it */
         break;
      case VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO:
         /* a hint only: the allocation size is rounded up below */
         if (s != info->pNext)
            return;
         break;
      default:
         return;
      }
   }
   const VkDeviceSize a = dev->host_pointer_alignment;
   if (!info->allocationSize || info->allocationSize > SIZE_MAX - a)
      return;
   const size_t size = (size_t)((info->allocationSize + a - 1) & ~(a - 1));
   const int fd = memfd_create("venus-loopback-memory", MFD_CLOEXEC);
   if (fd < 0)
      return;
   void *p = MAP_FAILED;
   if (!ftruncate(fd, (off_t)size))
      p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
   VkMemoryHostPointerPropertiesEXT props = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT,
   };
   if (p == MAP_FAILED ||
       dev->table.GetMemoryHostPointerPropertiesEXT(
          device, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, p, &props) !=
          VK_SUCCESS ||
       !(props.memoryTypeBits & (1u << info->memoryTypeIndex))) {
      if (p != MAP_FAILED)
         munmap(p, size);
      close(fd);
      return;
   }
   *import = (VkImportMemoryHostPointerInfoEXT){
      .sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
      .pNext = rest,
      .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT,
      .pHostPointer = p,
   };
   info->pNext = import;
   info->allocationSize = size;
   mem->fd = fd;
   mem->shm = p;
   mem->shm_size = size;
}

int
vlr_device_export_memory(struct vlr_context *ctx, uint64_t memory_id, uint64_t size, char *why,
                         size_t why_size)
{
   int fd = -1;
   pthread_mutex_lock(&ctx->lock);
   struct vl_object *obj = vl_object_table_lookup(&ctx->objects, memory_id);
   const struct vlr_memory *mem =
      obj && obj->type == VK_OBJECT_TYPE_DEVICE_MEMORY ? obj->data : NULL;
   if (!mem)
      snprintf(why, why_size, "no VkDeviceMemory has id 0x%" PRIx64, memory_id);
   else if (!mem->host_visible)
      snprintf(why, why_size, "memory 0x%" PRIx64 " is not host-visible", memory_id);
   else if (!mem->shm)
      snprintf(why, why_size,
               "memory 0x%" PRIx64 " is not shareable (the host driver cannot import host "
               "memory for it)",
               memory_id);
   else if (!size || size > mem->shm_size)
      snprintf(why, why_size, "memory 0x%" PRIx64 " has %zu bytes, not %" PRIu64, memory_id,
               mem->shm_size, size);
   else if ((fd = fcntl(mem->fd, F_DUPFD_CLOEXEC, 0)) < 0)
      snprintf(why, why_size, "cannot duplicate the memory's fd");
   pthread_mutex_unlock(&ctx->lock);
   return fd;
}

void
vlr_handle_vkAllocateMemory(struct vlr_exec *x, struct vl_args_vkAllocateMemory *args)
{
   const uint64_t id = (uint64_t)(uintptr_t)*args->pMemory;
   if (!vlr_exec_check_new_id(x, id))
      return;
   struct vlr_device *dev = args->owner->data;
   VkMemoryAllocateInfo info = *args->pAllocateInfo;
   for (const VkBaseInStructure *s = info.pNext; s; s = s->pNext) {
      if (s->sType == VK_STRUCTURE_TYPE_IMPORT_MEMORY_RESOURCE_INFO_MESA) {
         /* Resources are memory of the transport; in-process there are no
          * dma-bufs to import. */
         args->ret = VK_ERROR_INVALID_EXTERNAL_HANDLE;
         return;
      }
   }
   const VkPhysicalDeviceMemoryProperties *props = vlr_physical_device_memory(dev->physical_device);
   if (!props || info.memoryTypeIndex >= props->memoryTypeCount) {
      args->ret = VK_ERROR_OUT_OF_DEVICE_MEMORY;
      return;
   }
   /* More than the heap holds cannot succeed: answered here, so that the
    * host driver is not asked for terabytes (the renderer fuzzer's inputs
    * did; a CPU driver passes the size to the C library). */
   const uint32_t heap = props->memoryTypes[info.memoryTypeIndex].heapIndex;
   if (heap >= props->memoryHeapCount || info.allocationSize > props->memoryHeaps[heap].size) {
      args->ret = VK_ERROR_OUT_OF_DEVICE_MEMORY;
      vlr_exec_create_failed(x, args->ret, id);
      return;
   }
   struct vlr_memory *mem = calloc(1, sizeof(*mem));
   if (!mem) {
      args->ret = VK_ERROR_OUT_OF_HOST_MEMORY;
      return;
   }
   mem->fd = -1;
   VkImportMemoryHostPointerInfoEXT import;
   if (dev->host_pointer_alignment && (props->memoryTypes[info.memoryTypeIndex].propertyFlags &
                                       VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
      back_with_memfd(dev, args->device, &info, &import, mem);
   VkDeviceMemory host = VK_NULL_HANDLE;
   args->ret = dev->table.AllocateMemory(args->device, &info, NULL, &host);
   if (args->ret != VK_SUCCESS) {
      vlr_memory_release_shm(mem);
      free(mem);
      vlr_exec_create_failed(x, args->ret, id);
      return;
   }
   mem->device = args->device;
   mem->table = &dev->table;
   mem->size = info.allocationSize;
   mem->type_index = info.memoryTypeIndex;
   mem->host_visible =
      props->memoryTypes[info.memoryTypeIndex].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
   struct vl_object *obj = vlr_exec_add_object(x, id, VK_OBJECT_TYPE_DEVICE_MEMORY,
                                               (uint64_t)(uintptr_t)host, args->owner);
   if (!obj) {
      dev->table.FreeMemory(args->device, host, NULL);
      vlr_memory_release_shm(mem);
      free(mem);
      return;
   }
   obj->data = mem;
}

void
vlr_handle_vkFreeMemory(struct vlr_exec *x, struct vl_args_vkFreeMemory *args)
{
   struct vl_object *obj = x->dec.last_object;
   if (!obj)
      return; /* VK_NULL_HANDLE */
   struct vlr_memory *mem = obj->data;
   struct vlr_device *dev = args->owner->data;
   if (mem && mem->map)
      dev->table.UnmapMemory(args->device, args->memory);
   dev->table.FreeMemory(args->device, args->memory, NULL);
   if (mem)
      vlr_memory_release_shm(mem);
   free(mem);
   obj->data = NULL;
   vlr_exec_remove_object(x, obj);
}
