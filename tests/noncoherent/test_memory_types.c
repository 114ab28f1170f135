/*
 * Memory types the way GPUs have them, over the test-only driver of this
 * folder (vl_noncoherent_icd.c, VL_HOST_ICD): device-local only, host-cached
 * and host-coherent system memory, and a device-local host-visible window,
 * the non-coherent types really non-coherent.  Run through the loopback and
 * natively on that driver, it checks:
 *
 *  - the types, heaps and nonCoherentAtomSize are the driver's (through the
 *    loopback: equal to what a native run reports), and buffers and images
 *    may use every type;
 *  - data travels from every type to every other one on the GPU (written by
 *    the host and flushed where host-visible, read back after an
 *    invalidate);
 *  - a device-local-only type cannot be mapped;
 *  - on each non-coherent type, a host write that is not flushed is not
 *    seen by the GPU and a GPU write is not seen by the host until
 *    invalidated, with ranges that cover part of the memory, and through a
 *    mapping at an offset;
 *  - an image in device-local-only memory, uploaded from a non-coherent
 *    staging buffer and read back through the window;
 *  - with --whole-size: a flush of VK_WHOLE_SIZE through a mapping of part
 *    of the memory ends where the mapping ends.
 *
 * The not-seen checks rely on this driver: on others such contents are
 * undefined.
 */
#include "vkt.h"

#include <string.h>
#include <unistd.h>

enum { TYPES = 4, HEAPS = 2, ATOM = 256, SIZE = 64 * 1024, WORDS = SIZE / 4 };

#define DL     VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT
#define HV     VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT
#define HC     VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
#define CACHED VK_MEMORY_PROPERTY_HOST_CACHED_BIT

/* What vl_noncoherent_icd.c presents. */
static const VkMemoryPropertyFlags want_flags[TYPES] = { DL, HV | CACHED, HV | HC, DL | HV };
static const uint32_t want_heap[TYPES] = { 0, 1, 1, 0 };
static const VkMemoryHeapFlags want_heap_flags[HEAPS] = { VK_MEMORY_HEAP_DEVICE_LOCAL_BIT, 0 };

static uint32_t
pattern(uint32_t seed, uint32_t i)
{
   uint32_t x = (i + 1) * 2654435761u ^ seed * 40503u;
   x ^= x >> 15;
   return x * 2246822519u;
}

static void
fill_pattern(uint32_t *p, uint32_t words, uint32_t seed, uint32_t first)
{
   for (uint32_t i = 0; i < words; i++)
      p[i] = pattern(seed, first + i);
}

/* got[i] == want[i] for words [first, first + count) */
static void
check_words(const char *what, const uint32_t *got, const uint32_t *want, uint32_t first,
            uint32_t count)
{
   for (uint32_t i = first; i < first + count; i++) {
      if (got[i] != want[i])
         vkt_fail("%s: word %u (byte %u) is 0x%08x, expected 0x%08x", what, i, i * 4, got[i],
                  want[i]);
   }
}

static bool
host_visible(const struct vkt *t, uint32_t type)
{
   return t->memory.memoryTypes[type].propertyFlags & HV;
}

static bool
coherent(const struct vkt *t, uint32_t type)
{
   return t->memory.memoryTypes[type].propertyFlags & HC;
}

static uint32_t
all_types(const struct vkt *t)
{
   return (1u << t->memory.memoryTypeCount) - 1;
}

/* ---- the layout --------------------------------------------------------------------- */

struct layout {
   VkPhysicalDeviceMemoryProperties memory;
   VkDeviceSize atom;
};

static void
get_layout(const struct vkt *t, struct layout *l)
{
   memset(l, 0, sizeof(*l));
   VkPhysicalDeviceMemoryProperties2 m2 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2,
   };
   vkGetPhysicalDeviceMemoryProperties2(t->physical, &m2);
   VkPhysicalDeviceProperties2 p2 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2 };
   vkGetPhysicalDeviceProperties2(t->physical, &p2);
   VKT_CHECK(m2.memoryProperties.memoryTypeCount == t->memory.memoryTypeCount);
   VKT_CHECK(m2.memoryProperties.memoryHeapCount == t->memory.memoryHeapCount);
   for (uint32_t i = 0; i < t->memory.memoryTypeCount && i < VK_MAX_MEMORY_TYPES; i++) {
      VKT_CHECK(m2.memoryProperties.memoryTypes[i].propertyFlags ==
                t->memory.memoryTypes[i].propertyFlags);
      VKT_CHECK(m2.memoryProperties.memoryTypes[i].heapIndex == t->memory.memoryTypes[i].heapIndex);
   }
   for (uint32_t i = 0; i < t->memory.memoryHeapCount && i < VK_MAX_MEMORY_HEAPS; i++) {
      VKT_CHECK(m2.memoryProperties.memoryHeaps[i].size == t->memory.memoryHeaps[i].size);
      VKT_CHECK(m2.memoryProperties.memoryHeaps[i].flags == t->memory.memoryHeaps[i].flags);
   }
   VKT_CHECK(p2.properties.limits.nonCoherentAtomSize == t->props.limits.nonCoherentAtomSize);
   /* Member by member, the counted entries only (padding and the rest stay
    * zero), so that two layouts compare with memcmp. */
   l->memory.memoryTypeCount = t->memory.memoryTypeCount;
   l->memory.memoryHeapCount = t->memory.memoryHeapCount;
   for (uint32_t i = 0; i < t->memory.memoryTypeCount && i < VK_MAX_MEMORY_TYPES; i++) {
      l->memory.memoryTypes[i].propertyFlags = t->memory.memoryTypes[i].propertyFlags;
      l->memory.memoryTypes[i].heapIndex = t->memory.memoryTypes[i].heapIndex;
   }
   for (uint32_t i = 0; i < t->memory.memoryHeapCount && i < VK_MAX_MEMORY_HEAPS; i++) {
      l->memory.memoryHeaps[i].size = t->memory.memoryHeaps[i].size;
      l->memory.memoryHeaps[i].flags = t->memory.memoryHeaps[i].flags;
   }
   l->atom = t->props.limits.nonCoherentAtomSize;
}

static void
check_layout(struct vkt *t, const char *self)
{
   struct layout here;
   get_layout(t, &here);
   if (here.memory.memoryTypeCount != TYPES || here.memory.memoryHeapCount != HEAPS)
      vkt_fail("%u memory types in %u heaps, not the %u in %u of vl_noncoherent_icd (is "
               "VL_HOST_ICD its manifest?)",
               here.memory.memoryTypeCount, here.memory.memoryHeapCount, TYPES, HEAPS);
   for (uint32_t i = 0; i < TYPES; i++) {
      const VkMemoryType *m = &here.memory.memoryTypes[i];
      if (m->propertyFlags != want_flags[i] || m->heapIndex != want_heap[i])
         vkt_fail("memory type %u: flags 0x%x in heap %u, expected 0x%x in heap %u", i,
                  m->propertyFlags, m->heapIndex, want_flags[i], want_heap[i]);
   }
   for (uint32_t i = 0; i < HEAPS; i++) {
      if (here.memory.memoryHeaps[i].flags != want_heap_flags[i] ||
          here.memory.memoryHeaps[i].size < 64u << 20)
         vkt_fail("memory heap %u: flags 0x%x, %llu bytes", i, here.memory.memoryHeaps[i].flags,
                  (unsigned long long)here.memory.memoryHeaps[i].size);
   }
   if (here.atom != ATOM)
      vkt_fail("nonCoherentAtomSize is %llu, expected %u", (unsigned long long)here.atom, ATOM);

   /* Through the loopback: exactly what the driver says natively. */
   const char *icd = getenv("VK_ICD_FILENAMES");
   if (icd && !strcmp(icd, vkt_native_icd()))
      return; /* this is the native run */
   char path[] = "/tmp/vl-memory-types-XXXXXX";
   const int fd = mkstemp(path);
   VKT_CHECK(fd >= 0);
   close(fd);
   const bool ok = vkt_run_native_child(self, "--layout", path);
   struct layout native;
   FILE *f = fopen(path, "rb");
   const bool read = f && fread(&native, sizeof(native), 1, f) == 1;
   if (f)
      fclose(f);
   remove(path);
   if (!ok || !read)
      vkt_fail("the native run on %s failed", vkt_native_icd());
   if (memcmp(&native, &here, sizeof(here)))
      vkt_fail("memory types, heaps or nonCoherentAtomSize differ from the native driver's");
}

static int
write_layout(const char *path)
{
   struct vkt t;
   vkt_init(&t, "memory types (native layout)");
   struct layout l;
   get_layout(&t, &l);
   vkt_finish(&t);
   FILE *f = fopen(path, "wb");
   if (!f || fwrite(&l, sizeof(l), 1, f) != 1)
      vkt_fail("cannot write %s", path);
   fclose(f);
   return 0;
}

/* ---- buffers of one type ------------------------------------------------------------------ */

static VkBuffer
make_buffer(struct vkt *t, VkDeviceSize size, VkDeviceMemory *memory, uint32_t type)
{
   const VkBufferCreateInfo bci = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
      .size = size,
      .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
   };
   VkBuffer buffer;
   VKT_VK(vkCreateBuffer(t->device, &bci, NULL, &buffer));
   VkMemoryRequirements reqs;
   vkGetBufferMemoryRequirements(t->device, buffer, &reqs);
   if (reqs.memoryTypeBits != all_types(t))
      vkt_fail("a transfer buffer may use memory types 0x%x, not all (0x%x)", reqs.memoryTypeBits,
               all_types(t));
   const VkMemoryAllocateInfo mai = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
      .allocationSize = reqs.size,
      .memoryTypeIndex = type,
   };
   VKT_VK(vkAllocateMemory(t->device, &mai, NULL, memory));
   VKT_VK(vkBindBufferMemory(t->device, buffer, *memory, 0));
   return buffer;
}

static void
gpu_copy(struct vkt *t, VkBuffer src, VkBuffer dst, VkDeviceSize size)
{
   VkCommandBuffer cmd = vkt_begin(t);
   const VkBufferCopy region = { 0, 0, size };
   vkCmdCopyBuffer(cmd, src, dst, 1, &region);
   vkt_transfer_to_host(cmd);
   vkt_submit_wait(t, cmd);
}

static void
gpu_fill(struct vkt *t, VkBuffer dst, uint32_t value)
{
   VkCommandBuffer cmd = vkt_begin(t);
   vkCmdFillBuffer(cmd, dst, 0, VK_WHOLE_SIZE, value);
   vkt_transfer_to_host(cmd);
   vkt_submit_wait(t, cmd);
}

static void
flush(struct vkt *t, VkDeviceMemory memory, VkDeviceSize offset, VkDeviceSize size)
{
   const VkMappedMemoryRange r = { VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, NULL, memory, offset,
                                   size };
   VKT_VK(vkFlushMappedMemoryRanges(t->device, 1, &r));
}

static void
invalidate(struct vkt *t, VkDeviceMemory memory, VkDeviceSize offset, VkDeviceSize size)
{
   const VkMappedMemoryRange r = { VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, NULL, memory, offset,
                                   size };
   VKT_VK(vkInvalidateMappedMemoryRanges(t->device, 1, &r));
}

/* ---- every type to every other --------------------------------------------------------- */

struct typed {
   VkBuffer buffer;
   VkDeviceMemory memory;
};

/* words of seed into b, by the host where it can, else by the GPU from
 * coherent staging memory */
static void
put(struct vkt *t, const struct typed *b, uint32_t type, struct vkt_buffer *staging, uint32_t seed)
{
   if (!host_visible(t, type)) {
      fill_pattern(staging->map, WORDS, seed, 0);
      gpu_copy(t, staging->buffer, b->buffer, SIZE);
      return;
   }
   void *p = NULL;
   VKT_VK(vkMapMemory(t->device, b->memory, 0, VK_WHOLE_SIZE, 0, &p));
   fill_pattern(p, WORDS, seed, 0);
   if (!coherent(t, type))
      flush(t, b->memory, 0, VK_WHOLE_SIZE);
   vkUnmapMemory(t->device, b->memory);
}

/* b's contents into out, read as put wrote them */
static void
get(struct vkt *t, const struct typed *b, uint32_t type, struct vkt_buffer *staging, uint32_t *out)
{
   if (!host_visible(t, type)) {
      gpu_copy(t, b->buffer, staging->buffer, SIZE);
      memcpy(out, staging->map, SIZE);
      return;
   }
   void *p = NULL;
   VKT_VK(vkMapMemory(t->device, b->memory, 0, VK_WHOLE_SIZE, 0, &p));
   if (!coherent(t, type))
      invalidate(t, b->memory, 0, VK_WHOLE_SIZE);
   memcpy(out, p, SIZE);
   vkUnmapMemory(t->device, b->memory);
}

static void
test_all_pairs(struct vkt *t)
{
   struct typed b[TYPES];
   for (uint32_t i = 0; i < TYPES; i++)
      b[i].buffer = make_buffer(t, SIZE, &b[i].memory, i);
   struct vkt_buffer staging;
   vkt_buffer(t, SIZE, VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT, HV | HC,
              &staging);
   static uint32_t want[WORDS], got[WORDS];
   char what[128];
   for (uint32_t src = 0; src < TYPES; src++) {
      for (uint32_t dst = 0; dst < TYPES; dst++) {
         if (src == dst)
            continue;
         const uint32_t seed = 100 + src * TYPES + dst;
         put(t, &b[src], src, &staging, seed);
         gpu_copy(t, b[src].buffer, b[dst].buffer, SIZE);
         get(t, &b[dst], dst, &staging, got);
         fill_pattern(want, WORDS, seed, 0);
         snprintf(what, sizeof(what), "GPU copy from memory type %u to type %u", src, dst);
         check_words(what, got, want, 0, WORDS);
      }
   }
   for (uint32_t i = 0; i < TYPES; i++) {
      vkDestroyBuffer(t->device, b[i].buffer, NULL);
      vkFreeMemory(t->device, b[i].memory, NULL);
   }
   vkt_buffer_destroy(t, &staging);
}

/* ---- what cannot be mapped ------------------------------------------------------------------ */

static void
test_unmappable(struct vkt *t)
{
   uint32_t tested = 0;
   for (uint32_t type = 0; type < TYPES; type++) {
      if (host_visible(t, type))
         continue;
      /* Invalid usage on purpose (VUID-vkMapMemory-memory-00682): the
       * driver must still refuse. */
      struct typed b;
      b.buffer = make_buffer(t, SIZE, &b.memory, type);
      void *p = NULL;
      const VkResult r = vkMapMemory(t->device, b.memory, 0, VK_WHOLE_SIZE, 0, &p);
      if (r != VK_ERROR_MEMORY_MAP_FAILED)
         vkt_fail("vkMapMemory of device-local-only memory type %u returned %d, not "
                  "VK_ERROR_MEMORY_MAP_FAILED",
                  type, r);
      vkDestroyBuffer(t->device, b.buffer, NULL);
      vkFreeMemory(t->device, b.memory, NULL);
      tested++;
   }
   VKT_CHECK(tested > 0);
}

/* ---- non-coherence -------------------------------------------------------------------- */

/* On non-coherent type type: what the host writes reaches the GPU only
 * where flushed, and what the GPU writes reaches the host only where
 * invalidated.  want is the device's contents as far as the test knows;
 * host is what the mapping must show. */
static void
test_noncoherent_type(struct vkt *t, uint32_t type)
{
   const uint32_t AW = ATOM / 4; /* words per atom */
   char what[160];
   struct typed b;
   b.buffer = make_buffer(t, SIZE, &b.memory, type);
   struct vkt_buffer out;
   vkt_buffer(t, SIZE, VK_BUFFER_USAGE_TRANSFER_DST_BIT, HV | HC, &out);
   static uint32_t device[WORDS], host[WORDS];

   uint32_t *p = NULL;
   VKT_VK(vkMapMemory(t->device, b.memory, 0, VK_WHOLE_SIZE, 0, (void **)&p));

   /* Flushed writes reach the GPU. */
   fill_pattern(p, WORDS, 200 + type, 0);
   flush(t, b.memory, 0, VK_WHOLE_SIZE);
   fill_pattern(device, WORDS, 200 + type, 0);
   gpu_copy(t, b.buffer, out.buffer, SIZE);
   snprintf(what, sizeof(what), "type %u: GPU copy of flushed writes", type);
   check_words(what, out.map, device, 0, WORDS);

   /* Writes to atoms 0-1 and 4, a flush of atom 4 only: the GPU sees the
    * write to atom 4 and not the others. */
   fill_pattern(p, 2 * AW, 300 + type, 0);
   fill_pattern(p + 4 * AW, AW, 301 + type, 0);
   flush(t, b.memory, 4 * ATOM, ATOM);
   fill_pattern(device + 4 * AW, AW, 301 + type, 0);
   gpu_copy(t, b.buffer, out.buffer, SIZE);
   snprintf(what, sizeof(what),
            "type %u: GPU copy after writes to atoms 0-1 (not flushed: the GPU must not see "
            "them, or the memory is coherent after all) and atom 4 (flushed)",
            type);
   check_words(what, out.map, device, 0, WORDS);
   flush(t, b.memory, 0, 2 * ATOM);
   fill_pattern(device, 2 * AW, 300 + type, 0);
   gpu_copy(t, b.buffer, out.buffer, SIZE);
   snprintf(what, sizeof(what), "type %u: GPU copy after atoms 0-1 were flushed", type);
   check_words(what, out.map, device, 0, WORDS);

   /* The GPU fills the memory: the host sees the fill only where it
    * invalidates, atoms 1-2 first, then everything. */
   memcpy(host, device, SIZE);
   gpu_fill(t, b.buffer, 0xfeedf00du);
   for (uint32_t i = 0; i < WORDS; i++)
      device[i] = 0xfeedf00du;
   snprintf(what, sizeof(what),
            "type %u: read without invalidate after a GPU fill (the host must not see the "
            "fill yet)",
            type);
   check_words(what, p, host, 0, WORDS);
   invalidate(t, b.memory, ATOM, 2 * ATOM);
   memcpy(host + AW, device + AW, 2 * ATOM);
   snprintf(what, sizeof(what), "type %u: read after invalidating atoms 1-2", type);
   check_words(what, p, host, 0, WORDS);
   invalidate(t, b.memory, 0, VK_WHOLE_SIZE);
   snprintf(what, sizeof(what), "type %u: read after invalidating everything", type);
   check_words(what, p, device, 0, WORDS);
   vkUnmapMemory(t->device, b.memory);

   /* A mapping at an offset: ranges are offsets into the memory, not into
    * the mapping. */
   const VkDeviceSize off = 3 * ATOM;
   uint32_t *q = NULL;
   VKT_VK(vkMapMemory(t->device, b.memory, off, 4 * ATOM, 0, (void **)&q));
   VKT_CHECK(((uintptr_t)q - off) % t->props.limits.minMemoryMapAlignment == 0);
   invalidate(t, b.memory, off, 4 * ATOM);
   snprintf(what, sizeof(what), "type %u: mapping at offset %u", type, (unsigned)off);
   check_words(what, q, device + off / 4, 0, 4 * AW);
   fill_pattern(q, AW, 400 + type, 0);      /* memory atom 3, not flushed */
   fill_pattern(q + AW, AW, 401 + type, 0); /* memory atom 4 */
   flush(t, b.memory, off + ATOM, ATOM);
   fill_pattern(device + off / 4 + AW, AW, 401 + type, 0);
   gpu_copy(t, b.buffer, out.buffer, SIZE);
   snprintf(what, sizeof(what),
            "type %u: GPU copy after a flush of atom 4 through a mapping at atom 3 (atom 3 was "
            "written and not flushed)",
            type);
   check_words(what, out.map, device, 0, WORDS);
   /* the rest of the mapping too (its end is an atom multiple) */
   flush(t, b.memory, off, VK_WHOLE_SIZE);
   fill_pattern(device + off / 4, AW, 400 + type, 0);
   gpu_fill(t, b.buffer, 0x0badcafeu);
   invalidate(t, b.memory, off, ATOM);
   snprintf(what, sizeof(what), "type %u: mapping at atom 3, atom 3 invalidated after a fill",
            type);
   for (uint32_t i = 0; i < AW; i++) {
      if (q[i] != 0x0badcafeu)
         vkt_fail("%s: word %u is 0x%08x, expected 0x0badcafe", what, i, q[i]);
   }
   snprintf(what, sizeof(what), "type %u: mapping at atom 3, atom 4 not invalidated after a fill",
            type);
   check_words(what, q, device + off / 4, AW, AW);
   vkUnmapMemory(t->device, b.memory);

   vkDestroyBuffer(t->device, b.buffer, NULL);
   vkFreeMemory(t->device, b.memory, NULL);
   vkt_buffer_destroy(t, &out);
}

static void
test_noncoherent(struct vkt *t)
{
   uint32_t tested = 0;
   for (uint32_t type = 0; type < TYPES; type++) {
      if (host_visible(t, type) && !coherent(t, type)) {
         test_noncoherent_type(t, type);
         tested++;
      }
   }
   VKT_CHECK(tested == 2);
}

/* ---- an image in device-local-only memory ------------------------------------------------- */

static void
test_image(struct vkt *t)
{
   enum { W = 16, H = 16, BYTES = W * H * 4 };
   const VkImageCreateInfo ici = {
      .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
      .imageType = VK_IMAGE_TYPE_2D,
      .format = VK_FORMAT_R8G8B8A8_UINT,
      .extent = { W, H, 1 },
      .mipLevels = 1,
      .arrayLayers = 1,
      .samples = VK_SAMPLE_COUNT_1_BIT,
      .tiling = VK_IMAGE_TILING_OPTIMAL,
      .usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT,
      .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
   };
   VkImage image;
   VKT_VK(vkCreateImage(t->device, &ici, NULL, &image));
   VkMemoryRequirements reqs;
   vkGetImageMemoryRequirements(t->device, image, &reqs);
   if (reqs.memoryTypeBits != all_types(t))
      vkt_fail("an optimal-tiling image may use memory types 0x%x, not all (0x%x)",
               reqs.memoryTypeBits, all_types(t));
   const VkMemoryAllocateInfo mai = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
      .allocationSize = reqs.size,
      .memoryTypeIndex = vkt_memory_type(t, reqs.memoryTypeBits, DL),
   };
   VKT_CHECK(!host_visible(t, mai.memoryTypeIndex));
   VkDeviceMemory memory;
   VKT_VK(vkAllocateMemory(t->device, &mai, NULL, &memory));
   VKT_VK(vkBindImageMemory(t->device, image, memory, 0));

   /* up: host-cached system memory; down: the device-local window */
   struct typed up, down;
   uint32_t up_type = UINT32_MAX, down_type = UINT32_MAX;
   for (uint32_t i = 0; i < TYPES; i++) {
      const VkMemoryPropertyFlags f = t->memory.memoryTypes[i].propertyFlags;
      if (f == (HV | CACHED))
         up_type = i;
      if (f == (DL | HV))
         down_type = i;
   }
   VKT_CHECK(up_type != UINT32_MAX && down_type != UINT32_MAX);
   up.buffer = make_buffer(t, BYTES, &up.memory, up_type);
   down.buffer = make_buffer(t, BYTES, &down.memory, down_type);
   uint32_t *u = NULL, *d = NULL;
   VKT_VK(vkMapMemory(t->device, up.memory, 0, VK_WHOLE_SIZE, 0, (void **)&u));
   VKT_VK(vkMapMemory(t->device, down.memory, 0, VK_WHOLE_SIZE, 0, (void **)&d));
   fill_pattern(u, W * H, 500, 0);
   flush(t, up.memory, 0, VK_WHOLE_SIZE);

   VkCommandBuffer cmd = vkt_begin(t);
   VkImageMemoryBarrier ib = {
      .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
      .dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
      .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
      .newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
      .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
      .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
      .image = image,
      .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
   };
   vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0,
                        0, NULL, 0, NULL, 1, &ib);
   const VkBufferImageCopy region = {
      .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
      .imageExtent = { W, H, 1 },
   };
   vkCmdCopyBufferToImage(cmd, up.buffer, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
   ib.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
   ib.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
   ib.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
   ib.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
   vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0,
                        NULL, 0, NULL, 1, &ib);
   vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, down.buffer, 1,
                          &region);
   vkt_transfer_to_host(cmd);
   vkt_submit_wait(t, cmd);
   invalidate(t, down.memory, 0, VK_WHOLE_SIZE);
   static uint32_t want[W * H];
   fill_pattern(want, W * H, 500, 0);
   check_words("image in device-local-only memory, uploaded from host-cached memory, read back "
               "through the device-local window",
               d, want, 0, W * H);

   vkUnmapMemory(t->device, up.memory);
   vkUnmapMemory(t->device, down.memory);
   vkDestroyBuffer(t->device, up.buffer, NULL);
   vkDestroyBuffer(t->device, down.buffer, NULL);
   vkFreeMemory(t->device, up.memory, NULL);
   vkFreeMemory(t->device, down.memory, NULL);
   vkDestroyImage(t->device, image, NULL);
   vkFreeMemory(t->device, memory, NULL);
}

/* ---- VK_WHOLE_SIZE means the end of the mapping ---------------------------------------------- */

/* A mapping of the first half of the memory, the GPU writes the second
 * half, the host writes the first half and flushes {0, VK_WHOLE_SIZE},
 * which ends where the mapping ends: the GPU's writes must survive it. */
static void
test_whole_size_type(struct vkt *t, uint32_t type)
{
   const uint32_t half = SIZE / 2;
   struct typed b;
   b.buffer = make_buffer(t, SIZE, &b.memory, type);
   struct vkt_buffer out;
   vkt_buffer(t, SIZE, VK_BUFFER_USAGE_TRANSFER_DST_BIT, HV | HC, &out);
   gpu_fill(t, b.buffer, 0x11111111u);
   uint32_t *p = NULL;
   VKT_VK(vkMapMemory(t->device, b.memory, 0, half, 0, (void **)&p));
   VkCommandBuffer cmd = vkt_begin(t);
   vkCmdFillBuffer(cmd, b.buffer, half, half, 0x22222222u);
   vkt_transfer_to_host(cmd);
   vkt_submit_wait(t, cmd);
   fill_pattern(p, half / 4, 600 + type, 0);
   flush(t, b.memory, 0, VK_WHOLE_SIZE);
   vkUnmapMemory(t->device, b.memory);
   gpu_copy(t, b.buffer, out.buffer, SIZE);

   static uint32_t want[WORDS];
   fill_pattern(want, half / 4, 600 + type, 0);
   for (uint32_t i = half / 4; i < WORDS; i++)
      want[i] = 0x22222222u;
   char what[200];
   snprintf(what, sizeof(what),
            "type %u: a flush of {0, VK_WHOLE_SIZE} through a mapping of [0, %u): the first half "
            "(flushed)",
            type, half);
   check_words(what, out.map, want, 0, half / 4);
   snprintf(what, sizeof(what),
            "type %u: a flush of {0, VK_WHOLE_SIZE} through a mapping of [0, %u) must end at "
            "the end of the mapping, but it overwrote what the GPU wrote after it",
            type, half);
   check_words(what, out.map, want, half / 4, half / 4);

   vkDestroyBuffer(t->device, b.buffer, NULL);
   vkFreeMemory(t->device, b.memory, NULL);
   vkt_buffer_destroy(t, &out);
}

static int
test_whole_size(void)
{
   struct vkt t;
   vkt_init(&t, "memory types: a VK_WHOLE_SIZE flush ends where the mapping ends");
   for (uint32_t type = 0; type < t.memory.memoryTypeCount; type++) {
      if (host_visible(&t, type) && !coherent(&t, type))
         test_whole_size_type(&t, type);
   }
   vkt_finish(&t);
   vkt_pass(&t);
   return 0;
}

int
main(int argc, char **argv)
{
   if (argc == 3 && !strcmp(argv[1], "--layout"))
      return write_layout(argv[2]);
   if (argc == 2 && !strcmp(argv[1], "--whole-size"))
      return test_whole_size();
   if (argc != 1)
      vkt_fail("usage: %s [--layout <file> | --whole-size]", argv[0]);
   struct vkt t;
   vkt_init(&t, "memory types: device-local, host-cached, coherent, BAR; non-coherent for real");
   check_layout(&t, argv[0]);
   test_all_pairs(&t);
   test_unmappable(&t);
   test_noncoherent(&t);
   test_image(&t);
   vkt_finish(&t);
   vkt_pass(&t);
   return 0;
}
