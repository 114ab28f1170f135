/*
 * Device memory, buffers and images, guest side.
 *
 *  - Mapping is a transport operation: in-process it returns the host
 *    driver's own mapping, so the application writes straight into it.
 *  - Buffers and images are created one-way.  Their memory requirements are
 *    cached per create info (compared as encoded bytes), so creating the same
 *    kind of buffer again needs no round trip at all.
 */
#include <string.h>

#include "vl_icd.h"
#include "vl_icd_calls.h"

/* ---- memory ---------------------------------------------------------------- */

VKAPI_ATTR VkResult VKAPI_CALL
vl_AllocateMemory(VkDevice device, const VkMemoryAllocateInfo *info,
                  const VkAllocationCallbacks *alloc, VkDeviceMemory *out)
{
   (void)alloc;
   struct vl_device *dev = vl_device(device);
   struct vl_memory *mem = calloc(1, sizeof(*mem));
   if (!mem)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   mem->size = info->allocationSize;
   mem->type_index = info->memoryTypeIndex;
   VkDeviceMemory handle = VL_TO_HANDLE(VkDeviceMemory, mem);
   VkResult r = vl_call_vkAllocateMemory(dev->transport, device, info, NULL, &handle);
   if (r != VK_SUCCESS) {
      free(mem);
      return r;
   }
   *out = handle;
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_FreeMemory(VkDevice device, VkDeviceMemory memory, const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   if (!memory)
      return;
   struct vl_device *dev = vl_device(device);
   struct vl_memory *mem = VL_FROM_HANDLE(struct vl_memory, memory);
   if (mem->map && dev->transport->ops->free_memory)
      dev->transport->ops->free_memory(dev->transport, (uint64_t)(uintptr_t)memory);
   vl_send_vkFreeMemory(dev->transport, device, memory, NULL);
   free(mem);
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_MapMemory(VkDevice device, VkDeviceMemory memory, VkDeviceSize offset, VkDeviceSize size,
             VkMemoryMapFlags flags, void **data)
{
   (void)size;
   (void)flags;
   struct vl_device *dev = vl_device(device);
   struct vl_memory *mem = VL_FROM_HANDLE(struct vl_memory, memory);
   if (!mem->map) {
      VkDeviceSize mapped_size = mem->size;
      VkResult r = dev->transport->ops->map_memory(dev->transport, (uint64_t)(uintptr_t)memory,
                                                   &mem->map, &mapped_size);
      if (r != VK_SUCCESS) {
         mem->map = NULL;
         return r;
      }
   }
   mem->map_end = size == VK_WHOLE_SIZE ? mem->size : offset + size;
   *data = (uint8_t *)mem->map + offset;
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_UnmapMemory(VkDevice device, VkDeviceMemory memory)
{
   /* The mapping stays until the memory is freed: mapping again is free. */
   (void)device;
   (void)memory;
}

static VkResult
flush(VkDevice device, uint32_t count, const VkMappedMemoryRange *ranges, bool invalidate)
{
   struct vl_device *dev = vl_device(device);
   struct vlr_mapped_range local[16] = { 0 };
   struct vlr_mapped_range *r = count <= 16 ? local : malloc(count * sizeof(*r));
   if (!r)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   for (uint32_t i = 0; i < count; i++) {
      const struct vl_memory *mem = VL_FROM_HANDLE(struct vl_memory, ranges[i].memory);
      VkDeviceSize size = ranges[i].size;
      if (size == VK_WHOLE_SIZE && mem->map_end < mem->size && ranges[i].offset < mem->map_end)
         size = mem->map_end - ranges[i].offset;
      r[i] =
         (struct vlr_mapped_range){ (uint64_t)(uintptr_t)ranges[i].memory, ranges[i].offset, size };
   }
   VkResult result = dev->transport->ops->flush_ranges(dev->transport, invalidate, count, r);
   if (r != local)
      free(r);
   return result;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_FlushMappedMemoryRanges(VkDevice device, uint32_t count, const VkMappedMemoryRange *ranges)
{
   return flush(device, count, ranges, false);
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_InvalidateMappedMemoryRanges(VkDevice device, uint32_t count, const VkMappedMemoryRange *ranges)
{
   return flush(device, count, ranges, true);
}

/* ---- the requirements cache ------------------------------------------------------ */

struct vl_reqs_entry {
   uint64_t hash;
   size_t size;
   VkMemoryRequirements reqs;
   VkBool32 prefers_dedicated, requires_dedicated;
   uint8_t bytes[]; /* the encoded create info */
};

#define REQS_CACHE_MAX 4096

/* The hash of an encoded create info (a multiple of 4 bytes): a word at a
 * time, since every vkCreateBuffer and vkCreateImage computes one. */
static uint64_t
key_hash(const uint8_t *p, size_t n)
{
   uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ull;
   size_t i = 0;
   for (; i + 8 <= n; i += 8) {
      uint64_t w;
      memcpy(&w, p + i, sizeof(w));
      h = (h ^ w) * 0xff51afd7ed558ccdull;
      h ^= h >> 32;
   }
   for (; i < n; i++)
      h = (h ^ p[i]) * 0x100000001b3ull;
   return h;
}

struct reqs_key {
   const uint8_t *bytes;
   size_t size;
};

static bool
reqs_eq(const void *entry, const void *key)
{
   const struct vl_reqs_entry *e = entry;
   const struct reqs_key *k = key;
   return e->size == k->size && !memcmp(e->bytes, k->bytes, k->size);
}

static size_t
reqs_hash_of(const void *entry)
{
   return (size_t)((const struct vl_reqs_entry *)entry)->hash;
}

static struct vl_reqs_entry *
reqs_find(struct vl_device *dev, const uint8_t *bytes, size_t size, uint64_t hash)
{
   const struct reqs_key k = { bytes, size };
   return vl_hash_table_find(&dev->reqs, (size_t)hash, reqs_eq, &k);
}

static void
free_entry(void *entry, void *data)
{
   (void)data;
   free(entry);
}

static void
reqs_add(struct vl_device *dev, const uint8_t *bytes, size_t size, uint64_t hash,
         const VkMemoryRequirements *reqs, const VkMemoryDedicatedRequirements *dedicated)
{
   if (dev->reqs.count == REQS_CACHE_MAX) /* an application of ever-new create infos */
      vl_device_free_caches(dev);
   if (!vl_hash_table_reserve(&dev->reqs, reqs_hash_of))
      return;
   struct vl_reqs_entry *e = malloc(sizeof(*e) + size);
   if (!e)
      return;
   e->hash = hash;
   e->size = size;
   e->reqs = *reqs;
   e->prefers_dedicated = dedicated->prefersDedicatedAllocation;
   e->requires_dedicated = dedicated->requiresDedicatedAllocation;
   memcpy(e->bytes, bytes, size);
   vl_hash_table_insert(&dev->reqs, (size_t)hash, e);
}

void
vl_device_free_caches(struct vl_device *dev)
{
   vl_hash_table_each(&dev->reqs, free_entry, NULL);
   vl_hash_table_finish(&dev->reqs);
}

/* The object's create info, encoded, is its cache key: in the object when
 * it fits (a plain buffer's or image's does), allocated otherwise. */
struct vl_object_key {
   uint8_t *bytes;
   size_t size;
   uint64_t hash;
   _Alignas(8) uint8_t inline_bytes[96];
};

struct vl_buffer_state {
   struct vl_buffer base;
   struct vl_object_key key;
};

struct vl_image_state {
   struct vl_image base;
   struct vl_object_key key;
};

static bool
make_key(struct vl_object_key *key, size_t size, void (*encode)(struct vl_encoder *, const void *),
         const void *info)
{
   key->bytes = size <= sizeof(key->inline_bytes) ? key->inline_bytes : malloc(size);
   if (!key->bytes)
      return false;
   struct vl_encoder enc;
   vl_enc_init(&enc, key->bytes, size);
   encode(&enc, info);
   key->size = size;
   key->hash = key_hash(key->bytes, size);
   return true;
}

/* The key of the commonest buffer (no pNext, exclusive): its four fields
 * behind a 0 where encoded keys have their sType, without encoding them. */
static void
plain_buffer_key(struct vl_object_key *key, const VkBufferCreateInfo *info)
{
   const uint32_t words[6] = {
      0,
      info->flags,
      (uint32_t)info->size,
      (uint32_t)(info->size >> 32),
      info->usage,
      (uint32_t)info->sharingMode,
   };
   memcpy(key->inline_bytes, words, sizeof(words));
   key->bytes = key->inline_bytes;
   key->size = sizeof(words);
   key->hash = key_hash(key->bytes, key->size);
}

static void
free_key(struct vl_object_key *key)
{
   if (key->bytes != key->inline_bytes)
      free(key->bytes);
   key->bytes = NULL;
}

static void
encode_buffer_info(struct vl_encoder *enc, const void *info)
{
   vl_encode_VkBufferCreateInfo(enc, info);
}

static void
encode_image_info(struct vl_encoder *enc, const void *info)
{
   vl_encode_VkImageCreateInfo(enc, info);
}

/* The requirements of an object with this key: cached, or asked for by
 * query (which fills reqs and dedicated). */
static bool
cached_reqs(struct vl_device *dev, const struct vl_object_key *key, VkMemoryRequirements *reqs,
            VkMemoryDedicatedRequirements *dedicated)
{
   pthread_mutex_lock(&dev->lock);
   struct vl_reqs_entry *e = reqs_find(dev, key->bytes, key->size, key->hash);
   if (e) {
      *reqs = e->reqs;
      dedicated->prefersDedicatedAllocation = e->prefers_dedicated;
      dedicated->requiresDedicatedAllocation = e->requires_dedicated;
   }
   pthread_mutex_unlock(&dev->lock);
   return e != NULL;
}

static void
remember_reqs(struct vl_device *dev, const struct vl_object_key *key,
              const VkMemoryRequirements *reqs, const VkMemoryDedicatedRequirements *dedicated)
{
   pthread_mutex_lock(&dev->lock);
   if (!reqs_find(dev, key->bytes, key->size, key->hash))
      reqs_add(dev, key->bytes, key->size, key->hash, reqs, dedicated);
   pthread_mutex_unlock(&dev->lock);
}

/* Answers a vkGet*MemoryRequirements2 output chain from cached values when
 * it holds only what the cache knows. */
static bool
fill_reqs2(VkMemoryRequirements2 *out, const VkMemoryRequirements *reqs,
           const VkMemoryDedicatedRequirements *dedicated)
{
   for (const VkBaseInStructure *s = out->pNext; s; s = s->pNext) {
      if (s->sType != VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS)
         return false;
   }
   out->memoryRequirements = *reqs;
   for (VkBaseOutStructure *s = out->pNext; s; s = s->pNext) {
      VkMemoryDedicatedRequirements *d = (VkMemoryDedicatedRequirements *)s;
      d->prefersDedicatedAllocation = dedicated->prefersDedicatedAllocation;
      d->requiresDedicatedAllocation = dedicated->requiresDedicatedAllocation;
   }
   return true;
}

/* ---- buffers ------------------------------------------------------------------------- */

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreateBuffer(VkDevice device, const VkBufferCreateInfo *info, const VkAllocationCallbacks *alloc,
                VkBuffer *out)
{
   (void)alloc;
   struct vl_device *dev = vl_device(device);
   /* not calloc: the key's inline bytes need no zeroing */
   struct vl_buffer_state *b = malloc(sizeof(*b));
   if (!b)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   b->base = (struct vl_buffer){ 0 };
   /* Hygiene: the queue family list only counts for concurrent sharing. */
   VkBufferCreateInfo clean = *info;
   if (clean.sharingMode != VK_SHARING_MODE_CONCURRENT) {
      clean.queueFamilyIndexCount = 0;
      clean.pQueueFamilyIndices = NULL;
   }
   if (!clean.pNext && clean.sharingMode == VK_SHARING_MODE_EXCLUSIVE) {
      plain_buffer_key(&b->key, &clean);
   } else if (!make_key(&b->key, vl_sizeof_VkBufferCreateInfo(&clean), encode_buffer_info,
                        &clean)) {
      free(b);
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   }
   VkBuffer handle = VL_TO_HANDLE(VkBuffer, b);
   VkResult r = vl_send_vkCreateBuffer(dev->transport, device, &clean, NULL, &handle);
   if (r != VK_SUCCESS) {
      free_key(&b->key);
      free(b);
      return r;
   }
   *out = handle;
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroyBuffer(VkDevice device, VkBuffer buffer, const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   if (!buffer)
      return;
   vl_send_vkDestroyBuffer(vl_device(device)->transport, device, buffer, NULL);
   struct vl_buffer_state *b = VL_FROM_HANDLE(struct vl_buffer_state, buffer);
   free_key(&b->key);
   free(b);
}

static void
buffer_reqs(VkDevice device, VkBuffer buffer, VkMemoryRequirements *reqs,
            VkMemoryDedicatedRequirements *dedicated)
{
   struct vl_device *dev = vl_device(device);
   struct vl_buffer_state *b = VL_FROM_HANDLE(struct vl_buffer_state, buffer);
   if (cached_reqs(dev, &b->key, reqs, dedicated))
      return;
   VkMemoryRequirements2 out = { .sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2,
                                 .pNext = dedicated };
   const VkBufferMemoryRequirementsInfo2 info = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_REQUIREMENTS_INFO_2,
      .buffer = buffer,
   };
   dedicated->sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS;
   dedicated->pNext = NULL;
   if (vl_call_vkGetBufferMemoryRequirements2(dev->transport, device, &info, &out)) {
      *reqs = out.memoryRequirements;
      remember_reqs(dev, &b->key, reqs, dedicated);
   } else {
      memset(reqs, 0, sizeof(*reqs));
   }
}

VKAPI_ATTR void VKAPI_CALL
vl_GetBufferMemoryRequirements(VkDevice device, VkBuffer buffer, VkMemoryRequirements *reqs)
{
   VkMemoryDedicatedRequirements dedicated;
   buffer_reqs(device, buffer, reqs, &dedicated);
}

VKAPI_ATTR void VKAPI_CALL
vl_GetBufferMemoryRequirements2(VkDevice device, const VkBufferMemoryRequirementsInfo2 *info,
                                VkMemoryRequirements2 *out)
{
   if (!info->pNext) {
      VkMemoryRequirements reqs;
      VkMemoryDedicatedRequirements dedicated;
      buffer_reqs(device, info->buffer, &reqs, &dedicated);
      if (fill_reqs2(out, &reqs, &dedicated))
         return;
   }
   vl_call_vkGetBufferMemoryRequirements2(vl_device(device)->transport, device, info, out);
}

/* ---- images ---------------------------------------------------------------------------- */

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreateImage(VkDevice device, const VkImageCreateInfo *info, const VkAllocationCallbacks *alloc,
               VkImage *out)
{
   (void)alloc;
   struct vl_device *dev = vl_device(device);
   struct vl_image_state *img = calloc(1, sizeof(*img));
   if (!img)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   VkImageCreateInfo clean = *info;
   if (clean.sharingMode != VK_SHARING_MODE_CONCURRENT) {
      clean.queueFamilyIndexCount = 0;
      clean.pQueueFamilyIndices = NULL;
   }
   if (!make_key(&img->key, vl_sizeof_VkImageCreateInfo(&clean), encode_image_info, &clean)) {
      free(img);
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   }
   VkImage handle = VL_TO_HANDLE(VkImage, img);
   VkResult r = vl_send_vkCreateImage(dev->transport, device, &clean, NULL, &handle);
   if (r != VK_SUCCESS) {
      free_key(&img->key);
      free(img);
      return r;
   }
   *out = handle;
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroyImage(VkDevice device, VkImage image, const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   if (!image)
      return;
   vl_send_vkDestroyImage(vl_device(device)->transport, device, image, NULL);
   struct vl_image_state *img = VL_FROM_HANDLE(struct vl_image_state, image);
   free_key(&img->key);
   free(img);
}

static bool
image_reqs(VkDevice device, VkImage image, VkMemoryRequirements *reqs,
           VkMemoryDedicatedRequirements *dedicated)
{
   struct vl_device *dev = vl_device(device);
   struct vl_image_state *img = VL_FROM_HANDLE(struct vl_image_state, image);
   if (img->base.swapchain || !img->key.bytes)
      return false; /* swapchain images are the host's: no create info */
   if (cached_reqs(dev, &img->key, reqs, dedicated))
      return true;
   VkMemoryRequirements2 out = { .sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2,
                                 .pNext = dedicated };
   const VkImageMemoryRequirementsInfo2 info = {
      .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2,
      .image = image,
   };
   dedicated->sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS;
   dedicated->pNext = NULL;
   if (!vl_call_vkGetImageMemoryRequirements2(dev->transport, device, &info, &out))
      return false;
   *reqs = out.memoryRequirements;
   remember_reqs(dev, &img->key, reqs, dedicated);
   return true;
}

VKAPI_ATTR void VKAPI_CALL
vl_GetImageMemoryRequirements(VkDevice device, VkImage image, VkMemoryRequirements *reqs)
{
   VkMemoryDedicatedRequirements dedicated;
   if (!image_reqs(device, image, reqs, &dedicated))
      vl_call_vkGetImageMemoryRequirements(vl_device(device)->transport, device, image, reqs);
}

VKAPI_ATTR void VKAPI_CALL
vl_GetImageMemoryRequirements2(VkDevice device, const VkImageMemoryRequirementsInfo2 *info,
                               VkMemoryRequirements2 *out)
{
   if (!info->pNext) {
      VkMemoryRequirements reqs;
      VkMemoryDedicatedRequirements dedicated;
      if (image_reqs(device, info->image, &reqs, &dedicated) && fill_reqs2(out, &reqs, &dedicated))
         return;
   }
   vl_call_vkGetImageMemoryRequirements2(vl_device(device)->transport, device, info, out);
}

/* Swapchain images are guest objects too (vl_wsi.c). */
struct vl_image *
vl_image_create_swapchain(void)
{
   struct vl_image_state *img = calloc(1, sizeof(*img));
   if (img)
      img->base.swapchain = true;
   return img ? &img->base : NULL;
}

void
vl_image_free(struct vl_image *image)
{
   struct vl_image_state *img = (struct vl_image_state *)image;
   free_key(&img->key);
   free(img);
}
