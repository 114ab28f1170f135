/*
 * Memory through the loopback: mapping (map, write, unmap, map again at an
 * offset), flush and invalidate, buffer <-> image copies, vkCmdCopyBuffer,
 * vkCmdUpdateBuffer and vkCmdFillBuffer, and a 256 MiB allocation written at
 * its start, middle and end and copied by the GPU.  Every byte that a step
 * produces is checked against a pattern computed on the host.
 */
#include "vkt.h"

#include <string.h>

#define MiB (1024u * 1024u)

/* A deterministic word for position i of stream seed: a multiplicative hash,
 * so that a copy from the wrong offset or a stale page shows up. */
static uint32_t
pattern(uint32_t seed, uint32_t i)
{
   uint32_t x = (i + 1) * 2654435761u ^ seed * 40503u;
   x ^= x >> 15;
   return x * 2246822519u;
}

static void
fill_pattern(uint32_t *p, size_t words, uint32_t seed, uint32_t first)
{
   for (size_t i = 0; i < words; i++)
      p[i] = pattern(seed, first + (uint32_t)i);
}

static void
check_pattern(const char *what, const uint32_t *p, size_t words, uint32_t seed, uint32_t first)
{
   for (size_t i = 0; i < words; i++) {
      const uint32_t want = pattern(seed, first + (uint32_t)i);
      if (p[i] != want)
         vkt_fail("%s: word %zu is 0x%08x, expected 0x%08x", what, i, p[i], want);
   }
}

static void
check_words(const char *what, const uint32_t *p, size_t words, uint32_t want)
{
   for (size_t i = 0; i < words; i++) {
      if (p[i] != want)
         vkt_fail("%s: word %zu is 0x%08x, expected 0x%08x", what, i, p[i], want);
   }
}

/* Orders a transfer write before a later transfer read or write. */
static void
transfer_to_transfer(VkCommandBuffer cmd)
{
   const VkMemoryBarrier b = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
   };
   vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1,
                        &b, 0, NULL, 0, NULL);
}

/* A buffer bound at offset 0 of its own allocation of memory type type,
 * not mapped (the tests map it themselves). */
static void
raw_buffer(struct vkt *t, VkDeviceSize size, uint32_t type, struct vkt_buffer *out)
{
   memset(out, 0, sizeof(*out));
   out->size = size;
   const VkBufferCreateInfo bci = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
      .size = size,
      .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
   };
   VKT_VK(vkCreateBuffer(t->device, &bci, NULL, &out->buffer));
   VkMemoryRequirements reqs;
   vkGetBufferMemoryRequirements(t->device, out->buffer, &reqs);
   VKT_CHECK(reqs.size >= size);
   VKT_CHECK(reqs.memoryTypeBits & (1u << type));
   const VkMemoryAllocateInfo mai = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
      .allocationSize = reqs.size,
      .memoryTypeIndex = type,
   };
   VKT_VK(vkAllocateMemory(t->device, &mai, NULL, &out->memory));
   VKT_VK(vkBindBufferMemory(t->device, out->buffer, out->memory, 0));
}

static uint32_t
host_visible_type(const struct vkt *t)
{
   return vkt_memory_type(t, ~0u, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT);
}

/* Map, write, unmap; map again at an offset (and with VK_WHOLE_SIZE at
 * another) and read back; write through the offset mapping and let the GPU
 * copy it, which shows the writes reached the memory itself.  On a
 * non-coherent type the writes are flushed before each unmap (unmapping does
 * not flush), and the offset is a multiple of nonCoherentAtomSize, without
 * which the start of the mapping could not be flushed. */
static void
test_map_unmap(struct vkt *t)
{
   const uint32_t words = 64 * 1024 / 4;
   const uint32_t type = host_visible_type(t);
   const bool coherent =
      t->memory.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
   const VkDeviceSize atom = t->props.limits.nonCoherentAtomSize;
   struct vkt_buffer b, out;
   raw_buffer(t, words * 4, type, &b);
   vkt_buffer(t, words * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
              VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, &out);
   const VkDeviceSize align = t->props.limits.minMemoryMapAlignment;

   void *p = NULL;
   VKT_VK(vkMapMemory(t->device, b.memory, 0, VK_WHOLE_SIZE, 0, &p));
   VKT_CHECK(p != NULL);
   VKT_CHECK((uintptr_t)p % align == 0);
   fill_pattern(p, words, 1, 0);
   if (!coherent) {
      const VkMappedMemoryRange whole = { VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, NULL, b.memory, 0,
                                          VK_WHOLE_SIZE };
      VKT_VK(vkFlushMappedMemoryRanges(t->device, 1, &whole));
   }
   vkUnmapMemory(t->device, b.memory);

   /* The spec promises (ppData - offset) is aligned, i.e. the offset is
    * applied to an aligned base.  4160 (or the next atom multiple) is not a
    * multiple of the page size. */
   VkDeviceSize offset = 4096 + 64;
   if (!coherent) {
      VKT_CHECK(atom > 0 && 4096 % atom == 0);
      offset = (offset + atom - 1) / atom * atom;
   }
   p = NULL;
   VKT_VK(vkMapMemory(t->device, b.memory, offset, 8192, 0, &p));
   VKT_CHECK(p != NULL);
   VKT_CHECK(((uintptr_t)p - offset) % align == 0);
   char what[64];
   snprintf(what, sizeof(what), "map at offset %llu", (unsigned long long)offset);
   check_pattern(what, p, 8192 / 4, 1, offset / 4);
   /* Overwrite part of the mapped range with a second pattern. */
   fill_pattern(p, 1024, 2, 0);
   if (!coherent) {
      const VkMappedMemoryRange written = { VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, NULL, b.memory,
                                            offset, 4096 };
      VKT_VK(vkFlushMappedMemoryRanges(t->device, 1, &written));
   }
   vkUnmapMemory(t->device, b.memory);

   p = NULL;
   VKT_VK(vkMapMemory(t->device, b.memory, 32768, VK_WHOLE_SIZE, 0, &p));
   VKT_CHECK(p != NULL);
   check_pattern("map at offset 32768 to the end", p, (words * 4 - 32768) / 4, 1, 32768 / 4);
   vkUnmapMemory(t->device, b.memory);

   /* Unmapped now: the GPU reads what the host left in the memory. */
   VkCommandBuffer cmd = vkt_begin(t);
   const VkBufferCopy all = { 0, 0, words * 4 };
   vkCmdCopyBuffer(cmd, b.buffer, out.buffer, 1, &all);
   vkt_transfer_to_host(cmd);
   vkt_submit_wait(t, cmd);
   const uint32_t *o = out.map;
   check_pattern("GPU copy, before the offset", o, offset / 4, 1, 0);
   check_pattern("GPU copy, the write through the offset mapping", o + offset / 4, 1024, 2, 0);
   check_pattern("GPU copy, after that write", o + offset / 4 + 1024, words - offset / 4 - 1024, 1,
                 (uint32_t)(offset / 4 + 1024));

   vkt_buffer_destroy(t, &b);
   vkt_buffer_destroy(t, &out);
}

/* Flush host writes, let the GPU copy and fill, invalidate, read back.  On a
 * non-coherent type these calls are what makes the data move; on a coherent
 * one (lavapipe has only that) they must still succeed and change nothing. */
static void
test_flush_invalidate(struct vkt *t)
{
   uint32_t type = UINT32_MAX;
   for (uint32_t i = 0; i < t->memory.memoryTypeCount; i++) {
      const VkMemoryPropertyFlags f = t->memory.memoryTypes[i].propertyFlags;
      if ((f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) &&
          !(f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)) {
         type = i;
         break;
      }
   }
   if (type == UINT32_MAX)
      type = host_visible_type(t);

   /* Ranges must start and end on nonCoherentAtomSize multiples (or at the
    * end of the allocation): use whole pages, which are multiples of any
    * atom size a driver reports in practice. */
   const VkDeviceSize atom = t->props.limits.nonCoherentAtomSize;
   VKT_CHECK(atom > 0 && 4096 % atom == 0);
   const uint32_t size = 64 * 1024, half = size / 2;
   struct vkt_buffer b;
   raw_buffer(t, size, type, &b);
   void *p = NULL;
   VKT_VK(vkMapMemory(t->device, b.memory, 0, VK_WHOLE_SIZE, 0, &p));
   uint32_t *w = p;
   fill_pattern(w, half / 4, 3, 0);

   /* Two ranges in one call: the first half in two pieces. */
   const VkMappedMemoryRange flush[2] = {
      { VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, NULL, b.memory, 0, 4096 },
      { VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, NULL, b.memory, 4096, half - 4096 },
   };
   VKT_VK(vkFlushMappedMemoryRanges(t->device, 2, flush));

   VkCommandBuffer cmd = vkt_begin(t);
   /* The host writes were flushed before the submission, which makes them
    * visible to the device (the submit's implicit host-write dependency). */
   const VkBufferCopy copy = { 0, half, half - 4096 };
   vkCmdCopyBuffer(cmd, b.buffer, b.buffer, 1, &copy);
   vkCmdFillBuffer(cmd, b.buffer, size - 4096, 4096, 0x5eed1e55u);
   vkt_transfer_to_host(cmd);
   vkt_submit_wait(t, cmd);

   const VkMappedMemoryRange inval[2] = {
      { VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, NULL, b.memory, half, half - 4096 },
      { VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, NULL, b.memory, size - 4096, VK_WHOLE_SIZE },
   };
   VKT_VK(vkInvalidateMappedMemoryRanges(t->device, 2, inval));
   check_pattern("flushed source after the copy", w, half / 4, 3, 0);
   check_pattern("GPU copy of flushed data", w + half / 4, (half - 4096) / 4, 3, 0);
   check_words("GPU fill after invalidate", w + (size - 4096) / 4, 4096 / 4, 0x5eed1e55u);

   /* A whole-allocation flush and invalidate with nothing pending. */
   const VkMappedMemoryRange whole = { VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, NULL, b.memory, 0,
                                       VK_WHOLE_SIZE };
   VKT_VK(vkFlushMappedMemoryRanges(t->device, 1, &whole));
   VKT_VK(vkInvalidateMappedMemoryRanges(t->device, 1, &whole));
   check_pattern("after a whole-range invalidate", w, half / 4, 3, 0);
   vkUnmapMemory(t->device, b.memory);
   vkt_buffer_destroy(t, &b);
}

/* Texel (x, y) of layer l of the test image, as a packed RGBA8 word. */
static uint32_t
texel(uint32_t l, uint32_t x, uint32_t y)
{
   return pattern(10 + l, y * 1000 + x);
}

/* Buffer -> image -> buffer with a padded upload row length, two array
 * layers in two regions, and a download of the whole image plus an offset
 * sub-rectangle of layer 1 at a buffer offset. */
static void
test_image_copies(struct vkt *t)
{
   enum { W = 37, H = 23, PITCH = 40, LAYERS = 2, SX = 5, SY = 3, SW = 11, SH = 7, SUB_AT = 256 };
   const VkFormat format = VK_FORMAT_R8G8B8A8_UINT;
   VkFormatProperties fp;
   vkGetPhysicalDeviceFormatProperties(t->physical, format, &fp);
   VKT_CHECK(fp.optimalTilingFeatures & VK_FORMAT_FEATURE_TRANSFER_SRC_BIT);
   VKT_CHECK(fp.optimalTilingFeatures & VK_FORMAT_FEATURE_TRANSFER_DST_BIT);

   const VkImageCreateInfo ici = {
      .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
      .imageType = VK_IMAGE_TYPE_2D,
      .format = format,
      .extent = { W, H, 1 },
      .mipLevels = 1,
      .arrayLayers = LAYERS,
      .samples = VK_SAMPLE_COUNT_1_BIT,
      .tiling = VK_IMAGE_TILING_OPTIMAL,
      .usage = VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT,
      .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
   };
   VkImage image;
   VKT_VK(vkCreateImage(t->device, &ici, NULL, &image));
   VkMemoryRequirements reqs;
   vkGetImageMemoryRequirements(t->device, image, &reqs);
   VKT_CHECK(reqs.size >= (VkDeviceSize)W * H * LAYERS * 4);
   const VkMemoryAllocateInfo mai = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
      .allocationSize = reqs.size,
      .memoryTypeIndex =
         vkt_memory_type(t, reqs.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT),
   };
   VkDeviceMemory memory;
   VKT_VK(vkAllocateMemory(t->device, &mai, NULL, &memory));
   VKT_VK(vkBindImageMemory(t->device, image, memory, 0));

   const VkMemoryPropertyFlags host =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
   const uint32_t layer_words = PITCH * H;
   struct vkt_buffer up, down;
   vkt_buffer(t, layer_words * LAYERS * 4, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, host, &up);
   const VkDeviceSize down_size = W * H * LAYERS * 4 + SUB_AT + SW * SH * 4;
   vkt_buffer(t, down_size, VK_BUFFER_USAGE_TRANSFER_DST_BIT, host, &down);
   uint32_t *u = up.map;
   for (uint32_t l = 0; l < LAYERS; l++) {
      for (uint32_t y = 0; y < H; y++) {
         for (uint32_t x = 0; x < PITCH; x++) /* the padding must never be read */
            u[l * layer_words + y * PITCH + x] = x < W ? texel(l, x, y) : 0xdeadbeefu;
      }
   }
   memset(down.map, 0xcd, down_size);

   VkCommandBuffer cmd = vkt_begin(t);
   VkImageMemoryBarrier ib = {
      .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
      .srcAccessMask = 0,
      .dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
      .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
      .newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
      .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
      .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
      .image = image,
      .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, LAYERS },
   };
   vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0,
                        0, NULL, 0, NULL, 1, &ib);
   VkBufferImageCopy upload[LAYERS];
   for (uint32_t l = 0; l < LAYERS; l++) {
      upload[l] = (VkBufferImageCopy){
         .bufferOffset = (VkDeviceSize)l * layer_words * 4,
         .bufferRowLength = PITCH,
         .bufferImageHeight = H,
         .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, l, 1 },
         .imageOffset = { 0, 0, 0 },
         .imageExtent = { W, H, 1 },
      };
   }
   vkCmdCopyBufferToImage(cmd, up.buffer, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, LAYERS,
                          upload);
   ib.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
   ib.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
   ib.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
   ib.newLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
   vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0,
                        NULL, 0, NULL, 1, &ib);
   const VkBufferImageCopy download[2] = {
      { .bufferOffset = 0,
        .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, LAYERS },
        .imageExtent = { W, H, 1 } },
      { .bufferOffset = W * H * LAYERS * 4 + SUB_AT,
        .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 1 },
        .imageOffset = { SX, SY, 0 },
        .imageExtent = { SW, SH, 1 } },
   };
   vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, down.buffer, 2,
                          download);
   vkt_transfer_to_host(cmd);
   vkt_submit_wait(t, cmd);

   const uint32_t *d = down.map;
   for (uint32_t l = 0; l < LAYERS; l++) {
      for (uint32_t y = 0; y < H; y++) {
         for (uint32_t x = 0; x < W; x++) {
            const uint32_t got = d[(l * H + y) * W + x], want = texel(l, x, y);
            if (got != want)
               vkt_fail("image round trip: layer %u (%u, %u) is 0x%08x, expected 0x%08x", l, x, y,
                        got, want);
         }
      }
   }
   /* The gap between the two regions stays as the host left it. */
   const uint8_t *gap = (const uint8_t *)down.map + W * H * LAYERS * 4;
   for (uint32_t i = 0; i < SUB_AT; i++) {
      if (gap[i] != 0xcd)
         vkt_fail("image download wrote byte %u of the gap (0x%02x)", i, gap[i]);
   }
   const uint32_t *s = (const uint32_t *)(gap + SUB_AT);
   for (uint32_t y = 0; y < SH; y++) {
      for (uint32_t x = 0; x < SW; x++) {
         const uint32_t got = s[y * SW + x], want = texel(1, SX + x, SY + y);
         if (got != want)
            vkt_fail("image sub-rectangle: (%u, %u) is 0x%08x, expected 0x%08x", x, y, got, want);
      }
   }

   vkt_buffer_destroy(t, &up);
   vkt_buffer_destroy(t, &down);
   vkDestroyImage(t->device, image, NULL);
   vkFreeMemory(t->device, memory, NULL);
}

/* vkCmdCopyBuffer with several regions, vkCmdUpdateBuffer (its 65536-byte
 * maximum, and a small one), vkCmdFillBuffer over part of an update and with
 * VK_WHOLE_SIZE on a buffer whose size is not a multiple of 4. */
static void
test_buffer_commands(struct vkt *t)
{
   const VkMemoryPropertyFlags host =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
   const VkBufferUsageFlags usage =
      VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
   enum { SRC = 16384, UPD = 65536, ODD = 1030 };
   struct vkt_buffer src, dst, upd, odd;
   vkt_buffer(t, SRC * 4, usage, host, &src);
   vkt_buffer(t, SRC * 4, usage, host, &dst);
   vkt_buffer(t, UPD + 4096, usage, host, &upd);
   vkt_buffer(t, ODD, usage, host, &odd);
   fill_pattern(src.map, SRC, 20, 0);
   memset(dst.map, 0, SRC * 4);
   memset(upd.map, 0, UPD + 4096);
   memset(odd.map, 0xab, ODD);

   /* The update data lives in this array only until vkCmdUpdateBuffer
    * returns: clobbering it afterwards checks that the command copied it. */
   static uint32_t data[UPD / 4];
   fill_pattern(data, UPD / 4, 21, 0);
   const uint32_t small[5] = { 1, 2, 3, 0xfffffffeu, 0x80000000u };

   VkCommandBuffer cmd = vkt_begin(t);
   /* Three regions, out of order, with different sizes and offsets. */
   const VkBufferCopy regions[3] = {
      { 8192 * 4, 0, 4096 * 4 },
      { 0, 4096 * 4, 4 },
      { 100 * 4, 8192 * 4, 3000 * 4 },
   };
   vkCmdCopyBuffer(cmd, src.buffer, dst.buffer, 3, regions);
   vkCmdUpdateBuffer(cmd, upd.buffer, 4096, UPD, data);
   memset(data, 0, sizeof(data));
   vkCmdUpdateBuffer(cmd, upd.buffer, 16, sizeof(small), small);
   transfer_to_transfer(cmd);
   /* Overwrites words [100, 300) of the big update. */
   vkCmdFillBuffer(cmd, upd.buffer, 4096 + 400, 800, 0x01020304u);
   /* Fills bytes [4, 1028): the last two bytes are past the last whole word. */
   vkCmdFillBuffer(cmd, odd.buffer, 4, VK_WHOLE_SIZE, 0xc0ffee00u);
   vkt_transfer_to_host(cmd);
   vkt_submit_wait(t, cmd);

   const uint32_t *d = dst.map;
   check_pattern("copy region 0", d, 4096, 20, 8192);
   check_pattern("copy region 1", d + 4096, 1, 20, 0);
   check_words("between copy regions 1 and 2", d + 4097, 8192 - 4097, 0);
   check_pattern("copy region 2", d + 8192, 3000, 20, 100);
   check_words("after copy region 2", d + 11192, SRC - 11192, 0);
   check_pattern("copy source unchanged", src.map, SRC, 20, 0);

   const uint32_t *u = upd.map;
   check_words("before the small update", u, 4, 0);
   for (uint32_t i = 0; i < 5; i++) {
      if (u[4 + i] != small[i])
         vkt_fail("small update word %u is 0x%08x, expected 0x%08x", i, u[4 + i], small[i]);
   }
   check_words("between the updates", u + 9, 1024 - 9, 0);
   check_pattern("65536-byte update, head", u + 1024, 100, 21, 0);
   check_words("fill over the update", u + 1024 + 100, 200, 0x01020304u);
   check_pattern("65536-byte update, tail", u + 1024 + 300, UPD / 4 - 300, 21, 300);

   const uint8_t *o = odd.map;
   for (uint32_t i = 0; i < ODD; i++) {
      const bool filled = i >= 4 && i < ODD - ODD % 4;
      /* Little-endian bytes of 0xc0ffee00 */
      const uint8_t want = filled ? (uint8_t)(0xc0ffee00u >> (8 * (i % 4))) : 0xab;
      if (o[i] != want)
         vkt_fail("VK_WHOLE_SIZE fill: byte %u is 0x%02x, expected 0x%02x", i, o[i], want);
   }

   vkt_buffer_destroy(t, &src);
   vkt_buffer_destroy(t, &dst);
   vkt_buffer_destroy(t, &upd);
   vkt_buffer_destroy(t, &odd);
}

/* One 256 MiB allocation, mapped whole, written at its start, middle and
 * end; the GPU copies those three MiB to three other places of the same
 * buffer (sources and destinations do not overlap, as vkCmdCopyBuffer
 * requires); the host checks them, the sentinels around them, and the
 * sources, and maps a destination again at its own offset. */
static void
test_big_allocation(struct vkt *t)
{
   const VkDeviceSize size = 256 * (VkDeviceSize)MiB;
   const uint32_t chunk = MiB, words = chunk / 4;
   const VkDeviceSize src[3] = { 0, size / 2 - chunk / 2, size - chunk };
   const VkDeviceSize dst[3] = { 64 * (VkDeviceSize)MiB, 192 * (VkDeviceSize)MiB,
                                 32 * (VkDeviceSize)MiB };
   const uint32_t sentinel = 0x5e5e5e5eu;

   struct vkt_buffer b;
   raw_buffer(t, size, host_visible_type(t), &b);
   void *p = NULL;
   VKT_VK(vkMapMemory(t->device, b.memory, 0, VK_WHOLE_SIZE, 0, &p));
   uint8_t *base = p;
   for (int i = 0; i < 3; i++) {
      fill_pattern((uint32_t *)(base + src[i]), words, 30 + (uint32_t)i, 0);
      /* One word either side of each destination. */
      ((uint32_t *)(base + dst[i]))[-1] = sentinel;
      ((uint32_t *)(base + dst[i] + chunk))[0] = sentinel;
   }
   /* Coherent or not, flushing the whole mapping is always valid. */
   const VkMappedMemoryRange whole = { VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, NULL, b.memory, 0,
                                       VK_WHOLE_SIZE };
   VKT_VK(vkFlushMappedMemoryRanges(t->device, 1, &whole));

   VkCommandBuffer cmd = vkt_begin(t);
   VkBufferCopy regions[3];
   for (int i = 0; i < 3; i++)
      regions[i] = (VkBufferCopy){ src[i], dst[i], chunk };
   vkCmdCopyBuffer(cmd, b.buffer, b.buffer, 3, regions);
   vkt_transfer_to_host(cmd);
   vkt_submit_wait(t, cmd);
   VKT_VK(vkInvalidateMappedMemoryRanges(t->device, 1, &whole));

   static const char *const names[3] = { "start", "middle", "end" };
   char what[64];
   for (int i = 0; i < 3; i++) {
      snprintf(what, sizeof(what), "256 MiB: copy of the %s", names[i]);
      check_pattern(what, (const uint32_t *)(base + dst[i]), words, 30 + (uint32_t)i, 0);
      snprintf(what, sizeof(what), "256 MiB: the %s itself", names[i]);
      check_pattern(what, (const uint32_t *)(base + src[i]), words, 30 + (uint32_t)i, 0);
      snprintf(what, sizeof(what), "256 MiB: sentinel before copy %d", i);
      check_words(what, (const uint32_t *)(base + dst[i]) - 1, 1, sentinel);
      snprintf(what, sizeof(what), "256 MiB: sentinel after copy %d", i);
      check_words(what, (const uint32_t *)(base + dst[i] + chunk), 1, sentinel);
   }
   vkUnmapMemory(t->device, b.memory);

   /* The copy of the middle through a mapping of just that MiB. */
   p = NULL;
   VKT_VK(vkMapMemory(t->device, b.memory, dst[1], chunk, 0, &p));
   VKT_CHECK(p != NULL);
   check_pattern("256 MiB: remapped copy of the middle", p, words, 31, 0);
   vkUnmapMemory(t->device, b.memory);
   vkt_buffer_destroy(t, &b);
}

int
main(void)
{
   struct vkt t;
   vkt_init(&t, "memory: mapping, flush/invalidate, copies, 256 MiB");
   test_map_unmap(&t);
   test_flush_invalidate(&t);
   test_image_copies(&t);
   test_buffer_commands(&t);
   test_big_allocation(&t);
   vkt_finish(&t);
   vkt_pass(&t);
   return 0;
}
