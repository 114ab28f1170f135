/*
 * A test-only Vulkan ICD: lavapipe with the memory types GPUs have, whose
 * non-coherent types really are non-coherent.
 *
 * Lavapipe has one memory type (device-local, host-visible, coherent,
 * cached) in one heap.  This ICD loads lavapipe (found as the renderer finds
 * it, common/vl_manifest.h), hands out lavapipe's own dispatchable handles
 * and forwards every call, except the ones below, which it substitutes
 * through vk_icdGetInstanceProcAddr, vk_icdGetPhysicalDeviceProcAddr and
 * vkGetDeviceProcAddr:
 *
 *  - memory properties: four types over two heaps, all backed by lavapipe's
 *    type (TYPES below); nonCoherentAtomSize is ATOM; every memoryTypeBits
 *    that allows lavapipe's type allows all four;
 *  - mapping a non-coherent type returns a shadow copy (anonymous memory) of
 *    the mapped range, filled from the memory when it is mapped (a host cache
 *    that starts cold).  vkFlushMappedMemoryRanges copies the ranges (rounded
 *    out to ATOM) from the shadow into lavapipe's memory,
 *    vkInvalidateMappedMemoryRanges the other way; nothing else copies, so
 *    host writes that are not flushed never reach the device, and device
 *    writes are not seen until invalidated.  vkUnmapMemory drops the shadow
 *    unflushed.  Ranges that break the spec's atom-size rules are reported on
 *    stderr (and still copied, rounded out, as a cache would);
 *  - mapping a type that is not host-visible fails with
 *    VK_ERROR_MEMORY_MAP_FAILED.
 *
 * VK_KHR_map_memory2 (and its core form) is not offered: vkGetDeviceProcAddr
 * answers NULL for its commands, so nothing maps around the shadows.
 * Imported host pointers are the application's own memory and stay coherent.
 *
 * Everything it reports starts with "vl-noncoherent:" on stderr.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <vulkan/vk_icd.h>
#include <vulkan/vulkan.h>

#include "vl_manifest.h"

#define EXPORT __attribute__((visibility("default")))

#define ATOM       ((VkDeviceSize)256)
#define TYPE_COUNT 4u
#define HEAP_COUNT 2u

#define DL     VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT
#define HV     VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT
#define HC     VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
#define CACHED VK_MEMORY_PROPERTY_HOST_CACHED_BIT

/* Heap 0 is "video memory", heap 1 system memory; each gets half of
 * lavapipe's heap. */
static const VkMemoryType TYPES[TYPE_COUNT] = {
   { DL, 0 },          /* device-local only */
   { HV | CACHED, 1 }, /* host-cached system memory, not coherent */
   { HV | HC, 1 },     /* host-coherent system memory (upload heaps) */
   { DL | HV, 0 },     /* a BAR window into video memory, not coherent */
};

static void
report(const char *fmt, ...)
{
   char msg[1024];
   va_list ap;
   va_start(ap, fmt);
   vsnprintf(msg, sizeof(msg), fmt, ap);
   va_end(ap);
   fprintf(stderr, "vl-noncoherent: %s\n", msg);
}

/* ---- lavapipe --------------------------------------------------------------------- */

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static PFN_vkGetInstanceProcAddr real_gipa;
static PFN_GetPhysicalDeviceProcAddr real_gpdpa;
static PFN_vkNegotiateLoaderICDInterfaceVersion real_negotiate;

static void
load_lavapipe(void)
{
   char manifest[PATH_MAX], library[PATH_MAX];
   if (!vl_manifest_find_lavapipe(manifest, sizeof(manifest))) {
      char err[2048];
      vl_manifest_lavapipe_missing(err, sizeof(err));
      report("%s", err);
      return;
   }
   if (!vl_manifest_read_icd(manifest, library, sizeof(library))) {
      report("%s is not an ICD manifest", manifest);
      return;
   }
   /* Never closed: the loader may load and unload this ICD many times. */
   void *lib = dlopen(library, RTLD_NOW | RTLD_LOCAL);
   if (!lib) {
      report("cannot load lavapipe (%s): %s", library, dlerror());
      return;
   }
   real_negotiate = (PFN_vkNegotiateLoaderICDInterfaceVersion)dlsym(
      lib, "vk_icdNegotiateLoaderICDInterfaceVersion");
   real_gpdpa = (PFN_GetPhysicalDeviceProcAddr)dlsym(lib, "vk_icdGetPhysicalDeviceProcAddr");
   real_gipa = (PFN_vkGetInstanceProcAddr)dlsym(lib, "vk_icdGetInstanceProcAddr");
   if (!real_gipa || !real_negotiate)
      report("%s does not have the loader-ICD interface 5", library);
}

/* ---- what is substituted ------------------------------------------------------------ */

enum hook_id {
   H_GET_DEVICE_PROC_ADDR,
   H_PD_MEMORY_PROPERTIES,
   H_PD_MEMORY_PROPERTIES2,
   H_PD_PROPERTIES,
   H_PD_PROPERTIES2,
   H_ALLOCATE_MEMORY,
   H_FREE_MEMORY,
   H_MAP_MEMORY,
   H_UNMAP_MEMORY,
   H_BUFFER_REQS,
   H_BUFFER_REQS2,
   H_IMAGE_REQS,
   H_IMAGE_REQS2,
   H_DEVICE_BUFFER_REQS,
   H_DEVICE_IMAGE_REQS,
   H_MEMORY_FD_PROPERTIES,
   H_HOST_POINTER_PROPERTIES,
   H_NEXT_COUNT,
   /* no next function */
   H_FLUSH = H_NEXT_COUNT,
   H_INVALIDATE,
   H_HIDDEN,
};

/* lavapipe's function for each hook, learnt when the hook is handed out
 * (lavapipe's functions are the same for every instance and device) */
static _Atomic(PFN_vkVoidFunction) next_fn[H_NEXT_COUNT];

#define NEXT(id, type) ((type)atomic_load_explicit(&next_fn[id], memory_order_acquire))

/* The memory type behind all of ours: lavapipe's first host-visible coherent
 * one (learnt from its memory properties). */
static _Atomic uint32_t backing_type;

static uint32_t
remap_type_bits(uint32_t bits)
{
   return bits & (1u << atomic_load(&backing_type)) ? (1u << TYPE_COUNT) - 1 : 0;
}

/* ---- physical devices ---------------------------------------------------------------- */

static void
present_memory(const VkPhysicalDeviceMemoryProperties *real, VkPhysicalDeviceMemoryProperties *out)
{
   uint32_t backing = UINT32_MAX;
   for (uint32_t i = 0; i < real->memoryTypeCount && backing == UINT32_MAX; i++) {
      if ((real->memoryTypes[i].propertyFlags & (HV | HC)) == (HV | HC))
         backing = i;
   }
   if (backing == UINT32_MAX) {
      report("the host driver has no host-visible coherent memory type to back ours");
      backing = 0;
   }
   atomic_store(&backing_type, backing);
   const VkDeviceSize size = real->memoryHeaps[real->memoryTypes[backing].heapIndex].size;
   memset(out, 0, sizeof(*out));
   out->memoryTypeCount = TYPE_COUNT;
   memcpy(out->memoryTypes, TYPES, sizeof(TYPES));
   out->memoryHeapCount = HEAP_COUNT;
   out->memoryHeaps[0] = (VkMemoryHeap){ size / 2, VK_MEMORY_HEAP_DEVICE_LOCAL_BIT };
   out->memoryHeaps[1] = (VkMemoryHeap){ size - size / 2, 0 };
}

static VKAPI_ATTR void VKAPI_CALL
nc_GetPhysicalDeviceMemoryProperties(VkPhysicalDevice physical,
                                     VkPhysicalDeviceMemoryProperties *props)
{
   VkPhysicalDeviceMemoryProperties real;
   NEXT(H_PD_MEMORY_PROPERTIES, PFN_vkGetPhysicalDeviceMemoryProperties)(physical, &real);
   present_memory(&real, props);
}

static VKAPI_ATTR void VKAPI_CALL
nc_GetPhysicalDeviceMemoryProperties2(VkPhysicalDevice physical,
                                      VkPhysicalDeviceMemoryProperties2 *props)
{
   NEXT(H_PD_MEMORY_PROPERTIES2, PFN_vkGetPhysicalDeviceMemoryProperties2)(physical, props);
   const VkPhysicalDeviceMemoryProperties real = props->memoryProperties;
   present_memory(&real, &props->memoryProperties);
   for (VkBaseOutStructure *s = props->pNext; s; s = s->pNext) {
      if (s->sType != VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT)
         continue;
      /* the backing heap's budget and usage, shared out as the heaps are */
      VkPhysicalDeviceMemoryBudgetPropertiesEXT *b = (VkPhysicalDeviceMemoryBudgetPropertiesEXT *)s;
      const uint32_t heap = real.memoryTypes[atomic_load(&backing_type)].heapIndex;
      const VkDeviceSize budget = b->heapBudget[heap], usage = b->heapUsage[heap];
      memset(b->heapBudget, 0, sizeof(b->heapBudget));
      memset(b->heapUsage, 0, sizeof(b->heapUsage));
      b->heapBudget[0] = budget / 2;
      b->heapBudget[1] = budget - budget / 2;
      b->heapUsage[0] = usage / 2;
      b->heapUsage[1] = usage - usage / 2;
   }
}

static VKAPI_ATTR void VKAPI_CALL
nc_GetPhysicalDeviceProperties(VkPhysicalDevice physical, VkPhysicalDeviceProperties *props)
{
   NEXT(H_PD_PROPERTIES, PFN_vkGetPhysicalDeviceProperties)(physical, props);
   props->limits.nonCoherentAtomSize = ATOM;
}

static VKAPI_ATTR void VKAPI_CALL
nc_GetPhysicalDeviceProperties2(VkPhysicalDevice physical, VkPhysicalDeviceProperties2 *props)
{
   NEXT(H_PD_PROPERTIES2, PFN_vkGetPhysicalDeviceProperties2)(physical, props);
   props->properties.limits.nonCoherentAtomSize = ATOM;
}

/* ---- memory objects ---------------------------------------------------------------- */

struct nc_memory {
   struct nc_memory *next;
   VkDeviceMemory handle;
   uint32_t type;
   VkDeviceSize size;
   bool mapped;
   VkDeviceSize map_offset, map_end; /* the mapped range */
   /* non-coherent types: lavapipe's mapping of the whole memory, and the
    * shadow (as large as the memory; the mapped range rounded out to ATOM,
    * [window_start, window_end), is what it holds) */
   uint8_t *real;
   uint8_t *shadow;
   VkDeviceSize window_start, window_end;
};

#define BUCKETS 251u

static pthread_mutex_t memory_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nc_memory *memories[BUCKETS];

static struct nc_memory **
memory_slot(VkDeviceMemory handle)
{
   struct nc_memory **p = &memories[((uint64_t)(uintptr_t)handle >> 4) % BUCKETS];
   while (*p && (*p)->handle != handle)
      p = &(*p)->next;
   return p;
}

static VkDeviceSize
round_down(VkDeviceSize v)
{
   return v / ATOM * ATOM;
}

/* v rounded up to a multiple of ATOM, at most limit */
static VkDeviceSize
round_up(VkDeviceSize v, VkDeviceSize limit)
{
   if (v >= limit || v > UINT64_MAX - ATOM)
      return limit;
   const VkDeviceSize r = (v + ATOM - 1) / ATOM * ATOM;
   return r < limit ? r : limit;
}

static VKAPI_ATTR VkResult VKAPI_CALL
nc_AllocateMemory(VkDevice device, const VkMemoryAllocateInfo *info,
                  const VkAllocationCallbacks *alloc, VkDeviceMemory *out)
{
   if (info->memoryTypeIndex >= TYPE_COUNT) {
      report("VUID-vkAllocateMemory-pAllocateInfo-01714: memoryTypeIndex %u is not one of the %u "
             "memory types",
             info->memoryTypeIndex, TYPE_COUNT);
      return VK_ERROR_OUT_OF_DEVICE_MEMORY;
   }
   struct nc_memory *m = calloc(1, sizeof(*m));
   if (!m)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   VkMemoryAllocateInfo real = *info;
   real.memoryTypeIndex = atomic_load(&backing_type);
   const VkResult r = NEXT(H_ALLOCATE_MEMORY, PFN_vkAllocateMemory)(device, &real, alloc, out);
   if (r != VK_SUCCESS) {
      free(m);
      return r;
   }
   m->handle = *out;
   m->type = info->memoryTypeIndex;
   m->size = info->allocationSize;
   pthread_mutex_lock(&memory_lock);
   struct nc_memory **slot = memory_slot(m->handle), *stale = *slot;
   if (stale) { /* a handle lavapipe reuses after a free we did not see */
      *slot = stale->next;
      free(stale);
   }
   m->next = NULL;
   *memory_slot(m->handle) = m;
   pthread_mutex_unlock(&memory_lock);
   return VK_SUCCESS;
}

static void
drop_shadow(struct nc_memory *m)
{
   if (m->shadow)
      munmap(m->shadow, (size_t)m->size);
   m->shadow = m->real = NULL;
   m->mapped = false;
}

static VKAPI_ATTR void VKAPI_CALL
nc_FreeMemory(VkDevice device, VkDeviceMemory memory, const VkAllocationCallbacks *alloc)
{
   if (memory) {
      pthread_mutex_lock(&memory_lock);
      struct nc_memory **slot = memory_slot(memory), *m = *slot;
      if (m) {
         *slot = m->next;
         drop_shadow(m); /* freeing unmaps */
         free(m);
      }
      pthread_mutex_unlock(&memory_lock);
   }
   NEXT(H_FREE_MEMORY, PFN_vkFreeMemory)(device, memory, alloc);
}

static VKAPI_ATTR VkResult VKAPI_CALL
nc_MapMemory(VkDevice device, VkDeviceMemory memory, VkDeviceSize offset, VkDeviceSize size,
             VkMemoryMapFlags flags, void **data)
{
   VkResult r = VK_ERROR_MEMORY_MAP_FAILED;
   pthread_mutex_lock(&memory_lock);
   struct nc_memory *m = *memory_slot(memory);
   if (!m) {
      report("vkMapMemory: memory 0x%" PRIx64 " was not allocated through this driver",
             (uint64_t)(uintptr_t)memory);
      goto out;
   }
   const VkMemoryPropertyFlags f = TYPES[m->type].propertyFlags;
   if (!(f & HV)) {
      report("VUID-vkMapMemory-memory-00682: vkMapMemory of memory type %u, which is not "
             "host-visible: VK_ERROR_MEMORY_MAP_FAILED",
             m->type);
      goto out;
   }
   if (m->mapped) {
      report("VUID-vkMapMemory-memory-00678: vkMapMemory of memory that is already mapped");
      goto out;
   }
   if (offset >= m->size || (size != VK_WHOLE_SIZE && (!size || size > m->size - offset))) {
      report("VUID-vkMapMemory-offset-00679/size-00680/size-00681: vkMapMemory of [%" PRIu64
             ", +%" PRIu64 ") of a %" PRIu64 "-byte memory",
             offset, size, m->size);
      goto out;
   }
   const VkDeviceSize end = size == VK_WHOLE_SIZE ? m->size : offset + size;
   if (f & HC) {
      r = NEXT(H_MAP_MEMORY, PFN_vkMapMemory)(device, memory, offset, size, flags, data);
   } else {
      void *real = NULL;
      r = NEXT(H_MAP_MEMORY, PFN_vkMapMemory)(device, memory, 0, VK_WHOLE_SIZE, 0, &real);
      if (r != VK_SUCCESS)
         goto out;
      void *shadow =
         mmap(NULL, (size_t)m->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (shadow == MAP_FAILED) {
         NEXT(H_UNMAP_MEMORY, PFN_vkUnmapMemory)(device, memory);
         r = VK_ERROR_MEMORY_MAP_FAILED;
         goto out;
      }
      m->real = real;
      m->shadow = shadow;
      m->window_start = round_down(offset);
      m->window_end = round_up(end, m->size);
      memcpy(m->shadow + m->window_start, m->real + m->window_start,
             (size_t)(m->window_end - m->window_start));
      *data = m->shadow + offset;
   }
   if (r == VK_SUCCESS) {
      m->mapped = true;
      m->map_offset = offset;
      m->map_end = end;
   }
out:
   pthread_mutex_unlock(&memory_lock);
   return r;
}

static VKAPI_ATTR void VKAPI_CALL
nc_UnmapMemory(VkDevice device, VkDeviceMemory memory)
{
   pthread_mutex_lock(&memory_lock);
   struct nc_memory *m = *memory_slot(memory);
   const bool mapped = m && m->mapped;
   if (mapped)
      drop_shadow(m); /* what was not flushed is lost */
   pthread_mutex_unlock(&memory_lock);
   if (!mapped) {
      report("VUID-vkUnmapMemory-memory-00689: vkUnmapMemory of memory that is not mapped");
      return;
   }
   NEXT(H_UNMAP_MEMORY, PFN_vkUnmapMemory)(device, memory);
}

/* Checks range i of a flush or invalidate against the spec's rules and
 * returns the bytes it covers, [*start, *end). */
static void
check_range(const char *what, uint32_t i, const struct nc_memory *m, const VkMappedMemoryRange *r,
            VkDeviceSize *start, VkDeviceSize *end)
{
   *start = r->offset;
   if (r->offset % ATOM)
      report("VUID-VkMappedMemoryRange-offset-00687: %s: pMemoryRanges[%u].offset %" PRIu64
             " is not a multiple of nonCoherentAtomSize (%" PRIu64 ")",
             what, i, r->offset, ATOM);
   if (r->size == VK_WHOLE_SIZE) {
      if (r->offset < m->map_offset || r->offset >= m->map_end)
         report("VUID-VkMappedMemoryRange-size-00686: %s: pMemoryRanges[%u].offset %" PRIu64
                " is outside the mapped range [%" PRIu64 ", %" PRIu64 ")",
                what, i, r->offset, m->map_offset, m->map_end);
      if (m->map_end % ATOM && m->map_end != m->size)
         report("VUID-VkMappedMemoryRange-size-01389: %s: pMemoryRanges[%u] is VK_WHOLE_SIZE, "
                "and the mapping ends at %" PRIu64
                ", neither a multiple of nonCoherentAtomSize nor the end of the memory",
                what, i, m->map_end);
      *end = m->map_end;
      return;
   }
   if (r->size % ATOM && (r->offset > m->size || r->size != m->size - r->offset))
      report("VUID-VkMappedMemoryRange-size-01390: %s: pMemoryRanges[%u].size %" PRIu64
             " is not a multiple of nonCoherentAtomSize (%" PRIu64
             "), and offset + size is not the end of the memory",
             what, i, r->size, ATOM);
   if (r->offset < m->map_offset || r->offset > m->map_end || r->size > m->map_end - r->offset)
      report("VUID-VkMappedMemoryRange-size-00685: %s: pMemoryRanges[%u] [%" PRIu64 ", +%" PRIu64
             ") is not inside the mapped range [%" PRIu64 ", %" PRIu64 ")",
             what, i, r->offset, r->size, m->map_offset, m->map_end);
   *end = r->size > UINT64_MAX - r->offset ? UINT64_MAX : r->offset + r->size;
}

static VkResult
sync_ranges(uint32_t count, const VkMappedMemoryRange *ranges, bool invalidate)
{
   const char *what = invalidate ? "vkInvalidateMappedMemoryRanges" : "vkFlushMappedMemoryRanges";
   pthread_mutex_lock(&memory_lock);
   for (uint32_t i = 0; i < count; i++) {
      struct nc_memory *m = *memory_slot(ranges[i].memory);
      if (!m || !m->mapped) {
         report("VUID-VkMappedMemoryRange-memory-00684: %s: pMemoryRanges[%u].memory is not "
                "mapped",
                what, i);
         continue;
      }
      VkDeviceSize start, end;
      check_range(what, i, m, &ranges[i], &start, &end);
      if (!m->shadow)
         continue; /* coherent: nothing to do */
      /* whole atoms, within what the shadow holds */
      start = round_down(start);
      end = round_up(end, m->size);
      if (start < m->window_start)
         start = m->window_start;
      if (end > m->window_end)
         end = m->window_end;
      if (start >= end)
         continue;
      if (invalidate)
         memcpy(m->shadow + start, m->real + start, (size_t)(end - start));
      else
         memcpy(m->real + start, m->shadow + start, (size_t)(end - start));
   }
   pthread_mutex_unlock(&memory_lock);
   return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL
nc_FlushMappedMemoryRanges(VkDevice device, uint32_t count, const VkMappedMemoryRange *ranges)
{
   (void)device;
   return sync_ranges(count, ranges, false);
}

static VKAPI_ATTR VkResult VKAPI_CALL
nc_InvalidateMappedMemoryRanges(VkDevice device, uint32_t count, const VkMappedMemoryRange *ranges)
{
   (void)device;
   return sync_ranges(count, ranges, true);
}

/* ---- memory requirements: every type where lavapipe allows its own ---------------------- */

static VKAPI_ATTR void VKAPI_CALL
nc_GetBufferMemoryRequirements(VkDevice device, VkBuffer buffer, VkMemoryRequirements *reqs)
{
   NEXT(H_BUFFER_REQS, PFN_vkGetBufferMemoryRequirements)(device, buffer, reqs);
   reqs->memoryTypeBits = remap_type_bits(reqs->memoryTypeBits);
}

static VKAPI_ATTR void VKAPI_CALL
nc_GetBufferMemoryRequirements2(VkDevice device, const VkBufferMemoryRequirementsInfo2 *info,
                                VkMemoryRequirements2 *reqs)
{
   NEXT(H_BUFFER_REQS2, PFN_vkGetBufferMemoryRequirements2)(device, info, reqs);
   reqs->memoryRequirements.memoryTypeBits =
      remap_type_bits(reqs->memoryRequirements.memoryTypeBits);
}

static VKAPI_ATTR void VKAPI_CALL
nc_GetImageMemoryRequirements(VkDevice device, VkImage image, VkMemoryRequirements *reqs)
{
   NEXT(H_IMAGE_REQS, PFN_vkGetImageMemoryRequirements)(device, image, reqs);
   reqs->memoryTypeBits = remap_type_bits(reqs->memoryTypeBits);
}

static VKAPI_ATTR void VKAPI_CALL
nc_GetImageMemoryRequirements2(VkDevice device, const VkImageMemoryRequirementsInfo2 *info,
                               VkMemoryRequirements2 *reqs)
{
   NEXT(H_IMAGE_REQS2, PFN_vkGetImageMemoryRequirements2)(device, info, reqs);
   reqs->memoryRequirements.memoryTypeBits =
      remap_type_bits(reqs->memoryRequirements.memoryTypeBits);
}

static VKAPI_ATTR void VKAPI_CALL
nc_GetDeviceBufferMemoryRequirements(VkDevice device, const VkDeviceBufferMemoryRequirements *info,
                                     VkMemoryRequirements2 *reqs)
{
   NEXT(H_DEVICE_BUFFER_REQS, PFN_vkGetDeviceBufferMemoryRequirements)(device, info, reqs);
   reqs->memoryRequirements.memoryTypeBits =
      remap_type_bits(reqs->memoryRequirements.memoryTypeBits);
}

static VKAPI_ATTR void VKAPI_CALL
nc_GetDeviceImageMemoryRequirements(VkDevice device, const VkDeviceImageMemoryRequirements *info,
                                    VkMemoryRequirements2 *reqs)
{
   NEXT(H_DEVICE_IMAGE_REQS, PFN_vkGetDeviceImageMemoryRequirements)(device, info, reqs);
   reqs->memoryRequirements.memoryTypeBits =
      remap_type_bits(reqs->memoryRequirements.memoryTypeBits);
}

static VKAPI_ATTR VkResult VKAPI_CALL
nc_GetMemoryFdPropertiesKHR(VkDevice device, VkExternalMemoryHandleTypeFlagBits type, int fd,
                            VkMemoryFdPropertiesKHR *props)
{
   const VkResult r =
      NEXT(H_MEMORY_FD_PROPERTIES, PFN_vkGetMemoryFdPropertiesKHR)(device, type, fd, props);
   if (r == VK_SUCCESS)
      props->memoryTypeBits = remap_type_bits(props->memoryTypeBits);
   return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL
nc_GetMemoryHostPointerPropertiesEXT(VkDevice device, VkExternalMemoryHandleTypeFlagBits type,
                                     const void *pointer, VkMemoryHostPointerPropertiesEXT *props)
{
   const VkResult r = NEXT(H_HOST_POINTER_PROPERTIES,
                           PFN_vkGetMemoryHostPointerPropertiesEXT)(device, type, pointer, props);
   if (r == VK_SUCCESS)
      props->memoryTypeBits = remap_type_bits(props->memoryTypeBits);
   return r;
}

/* ---- the lookups ----------------------------------------------------------------------- */

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL nc_GetDeviceProcAddr(VkDevice device,
                                                                     const char *name);

#define HOOK(name, id, fn)                                                                         \
   {                                                                                               \
      name, id, (PFN_vkVoidFunction)(fn)                                                           \
   }
static const struct hook {
   const char *name;
   enum hook_id id;
   PFN_vkVoidFunction fn;
} hooks[] = {
   HOOK("vkGetDeviceProcAddr", H_GET_DEVICE_PROC_ADDR, nc_GetDeviceProcAddr),
   HOOK("vkGetPhysicalDeviceMemoryProperties", H_PD_MEMORY_PROPERTIES,
        nc_GetPhysicalDeviceMemoryProperties),
   HOOK("vkGetPhysicalDeviceMemoryProperties2", H_PD_MEMORY_PROPERTIES2,
        nc_GetPhysicalDeviceMemoryProperties2),
   HOOK("vkGetPhysicalDeviceMemoryProperties2KHR", H_PD_MEMORY_PROPERTIES2,
        nc_GetPhysicalDeviceMemoryProperties2),
   HOOK("vkGetPhysicalDeviceProperties", H_PD_PROPERTIES, nc_GetPhysicalDeviceProperties),
   HOOK("vkGetPhysicalDeviceProperties2", H_PD_PROPERTIES2, nc_GetPhysicalDeviceProperties2),
   HOOK("vkGetPhysicalDeviceProperties2KHR", H_PD_PROPERTIES2, nc_GetPhysicalDeviceProperties2),
   HOOK("vkAllocateMemory", H_ALLOCATE_MEMORY, nc_AllocateMemory),
   HOOK("vkFreeMemory", H_FREE_MEMORY, nc_FreeMemory),
   HOOK("vkMapMemory", H_MAP_MEMORY, nc_MapMemory),
   HOOK("vkUnmapMemory", H_UNMAP_MEMORY, nc_UnmapMemory),
   HOOK("vkFlushMappedMemoryRanges", H_FLUSH, nc_FlushMappedMemoryRanges),
   HOOK("vkInvalidateMappedMemoryRanges", H_INVALIDATE, nc_InvalidateMappedMemoryRanges),
   HOOK("vkGetBufferMemoryRequirements", H_BUFFER_REQS, nc_GetBufferMemoryRequirements),
   HOOK("vkGetBufferMemoryRequirements2", H_BUFFER_REQS2, nc_GetBufferMemoryRequirements2),
   HOOK("vkGetBufferMemoryRequirements2KHR", H_BUFFER_REQS2, nc_GetBufferMemoryRequirements2),
   HOOK("vkGetImageMemoryRequirements", H_IMAGE_REQS, nc_GetImageMemoryRequirements),
   HOOK("vkGetImageMemoryRequirements2", H_IMAGE_REQS2, nc_GetImageMemoryRequirements2),
   HOOK("vkGetImageMemoryRequirements2KHR", H_IMAGE_REQS2, nc_GetImageMemoryRequirements2),
   HOOK("vkGetDeviceBufferMemoryRequirements", H_DEVICE_BUFFER_REQS,
        nc_GetDeviceBufferMemoryRequirements),
   HOOK("vkGetDeviceBufferMemoryRequirementsKHR", H_DEVICE_BUFFER_REQS,
        nc_GetDeviceBufferMemoryRequirements),
   HOOK("vkGetDeviceImageMemoryRequirements", H_DEVICE_IMAGE_REQS,
        nc_GetDeviceImageMemoryRequirements),
   HOOK("vkGetDeviceImageMemoryRequirementsKHR", H_DEVICE_IMAGE_REQS,
        nc_GetDeviceImageMemoryRequirements),
   HOOK("vkGetMemoryFdPropertiesKHR", H_MEMORY_FD_PROPERTIES, nc_GetMemoryFdPropertiesKHR),
   HOOK("vkGetMemoryHostPointerPropertiesEXT", H_HOST_POINTER_PROPERTIES,
        nc_GetMemoryHostPointerPropertiesEXT),
   /* mapping without the shadows: not offered */
   HOOK("vkMapMemory2", H_HIDDEN, NULL),
   HOOK("vkMapMemory2KHR", H_HIDDEN, NULL),
   HOOK("vkUnmapMemory2", H_HIDDEN, NULL),
   HOOK("vkUnmapMemory2KHR", H_HIDDEN, NULL),
};

/* Our function for name where there is one (lavapipe's, real, becomes its
 * next), else real. */
static PFN_vkVoidFunction
substitute(const char *name, PFN_vkVoidFunction real)
{
   for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
      const struct hook *h = &hooks[i];
      if (strcmp(name, h->name))
         continue;
      if (!real || h->id == H_HIDDEN)
         return NULL;
      if (h->id < H_NEXT_COUNT)
         atomic_store_explicit(&next_fn[h->id], real, memory_order_release);
      return h->fn;
   }
   return real;
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
nc_GetDeviceProcAddr(VkDevice device, const char *name)
{
   if (!name)
      return NULL;
   PFN_vkGetDeviceProcAddr real = NEXT(H_GET_DEVICE_PROC_ADDR, PFN_vkGetDeviceProcAddr);
   return substitute(name, real(device, name));
}

EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vk_icdGetInstanceProcAddr(VkInstance instance, const char *name)
{
   pthread_once(&load_once, load_lavapipe);
   if (!real_gipa || !name)
      return NULL;
   if (!strcmp(name, "vkGetInstanceProcAddr"))
      return (PFN_vkVoidFunction)vk_icdGetInstanceProcAddr;
   if (!instance)
      return real_gipa(NULL, name); /* the global commands */
   return substitute(name, real_gipa(instance, name));
}

EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vk_icdGetPhysicalDeviceProcAddr(VkInstance instance, const char *name)
{
   pthread_once(&load_once, load_lavapipe);
   if (!real_gpdpa || !name)
      return NULL;
   return substitute(name, real_gpdpa(instance, name));
}

EXPORT VKAPI_ATTR VkResult VKAPI_CALL
vk_icdNegotiateLoaderICDInterfaceVersion(uint32_t *version)
{
   pthread_once(&load_once, load_lavapipe);
   if (!real_gipa || !real_negotiate)
      return VK_ERROR_INCOMPATIBLE_DRIVER;
   if (*version < 5) {
      report("the loader offers ICD interface %u; this driver needs 5", *version);
      return VK_ERROR_INCOMPATIBLE_DRIVER;
   }
   /* lavapipe at 5 as well: what it does then is what we forward */
   uint32_t v = 5;
   const VkResult r = real_negotiate(&v);
   if (r != VK_SUCCESS || v < 5) {
      report("lavapipe does not speak ICD interface 5");
      return VK_ERROR_INCOMPATIBLE_DRIVER;
   }
   *version = 5;
   return VK_SUCCESS;
}
