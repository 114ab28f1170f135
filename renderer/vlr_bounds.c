/*
 * Buffer and image ranges the host driver trusts.
 *
 * A driver takes valid usage as given: lavapipe executes vkCmdUpdateBuffer
 * with an offset past the end of the buffer as a memcpy past the end of the
 * memory, in this process (the renderer fuzzer found exactly that).  So the
 * renderer keeps what it needs to check the commands that address memory
 * by offset: each buffer's size and each image's format, extent, mip levels
 * and layers (vkCreateBuffer, vkCreateImage), and whether memory large
 * enough is bound (vkBind*Memory*, checked against the allocation's size).
 * A command whose range leaves its buffer or image, or that uses one without
 * memory, loses the context before the host sees it.  Texel block sizes come
 * from the registry (vlr_format_block, generated).
 *
 * Likewise indices into the host's fixed-size tables: vertex bindings and
 * attribute locations, viewports, color attachments, descriptor sets, push
 * constant bytes and shader stages are checked against the host's limits
 * (a vertex attribute at location 16386 made lavapipe write past an array
 * inside vkCreateGraphicsPipelines), and render pass attachment references
 * against the attachments.
 *
 * And render areas: lavapipe clears and stores the whole render area, past
 * the attachment's memory when the area is larger (an application's heap
 * was overwritten that way).  Views of our images remember the size of
 * their first mip level and their layers, framebuffers their size; render
 * areas, framebuffer attachments and dynamic rendering attachments are
 * checked against them, layers included (multiview renders view i into
 * layer i).
 *
 * And queries: lavapipe indexes a pool's array with the query numbers it is
 * given and writes every result at its stride, whatever the storage's size
 * (a vkGetQueryPoolResults with a 2^40 stride wrote there).  Pools keep their
 * size and the values of one result; query ranges, result storage and copy
 * destinations are checked against them.  Transform feedback streams and
 * buffers index fixed tables: checked against the extension's limits.
 *
 * The generator calls vlr_bounds_before/after for the commands listed in
 * protocol/gen/emit_renderer.py (BOUNDS_BEFORE, BOUNDS_AFTER).  Not covered
 * (the host driver still trusts them): dynamic offsets added to descriptor
 * ranges at bind time, the index and vertex ranges a draw reads, memory
 * freed while a recorded command buffer still uses it, the attachment and
 * layers of vkCmdClearAttachments (they depend on the rendering a command
 * buffer is in when it runs, secondaries included), and how long GPU work
 * takes (a draw of 2^31 vertices runs until it is done).  Images the host made (swapchain images)
 * carry no bookkeeping and are not checked.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vl_protocol_defs.h"
#include "vlr_bounds.h"
#include "vlr_context.h"
#include "vlr_gen.h"
#include "vlr_inflight.h"

#include <spirv-tools/libspirv.h>

/* obj->data of a VK_OBJECT_TYPE_BUFFER (freed with the object) */
struct vlr_buffer {
   VkDeviceSize size;
   bool sparse; /* bound through sparse binding: not tracked here */
   bool bound;
};

static const struct vlr_buffer *
buffer_of(struct vlr_exec *x, VkBuffer handle)
{
   const struct vl_object *obj =
      handle ? vl_object_table_lookup_host(&x->ctx->objects, VK_OBJECT_TYPE_BUFFER,
                                           (uint64_t)(uintptr_t)handle)
             : NULL;
   return obj ? obj->data : NULL;
}

/* [offset, offset + count * stride - stride + size) inside a buffer of
 * `total` bytes, without overflow; count 0 is an empty range at offset. */
static bool
span_inside(VkDeviceSize total, VkDeviceSize offset, uint64_t count, uint64_t stride,
            VkDeviceSize size)
{
   if (offset > total)
      return false;
   if (!count)
      return true;
   const VkDeviceSize left = total - offset;
   if (size > left)
      return false;
   return !stride || (count - 1) <= (left - size) / stride;
}

/* A buffer the command reads or writes through [offset, ... size): it must
 * exist, have memory and hold the range.  `role` names the buffer in the
 * message ("destination", "count buffer", ...). */
static bool
check(struct vlr_exec *x, const char *role, VkBuffer handle, VkDeviceSize offset, uint64_t count,
      uint64_t stride, VkDeviceSize size)
{
   const struct vlr_buffer *b = buffer_of(x, handle);
   if (!b) {
      vlr_exec_failf(x, "the %s buffer is unknown", role);
      return false;
   }
   if (b->sparse)
      return true;
   if (!b->bound) {
      vlr_exec_failf(x, "the %s buffer has no memory bound", role);
      return false;
   }
   if (span_inside(b->size, offset, count, stride, size))
      return true;
   if (count == 1)
      vlr_exec_failf(x,
                     "the %s range (%" PRIu64 " bytes at offset %" PRIu64
                     ") leaves the buffer's %" PRIu64 " bytes",
                     role, size, offset, b->size);
   else
      vlr_exec_failf(x,
                     "the %s range (%" PRIu64 " records of %" PRIu64 " bytes, stride %" PRIu64
                     ", at offset %" PRIu64 ") leaves the buffer's %" PRIu64 " bytes",
                     role, count, size, stride, offset, b->size);
   return false;
}

/* obj->data of a VK_OBJECT_TYPE_QUERY_POOL (freed with the object) */
struct vlr_query_pool {
   uint32_t count;  /* queries */
   uint32_t values; /* values of one query's result, availability apart */
};

/* lavapipe's vkDestroyQueryPool visits every query: a pool of 2^32 queries
 * would take minutes and touch 32 GiB.  Far above what applications use. */
#define MAX_QUERIES (1u << 20)

/* The statistics Vulkan 1.0 defines (bits 0..10): the host reads a fixed
 * table of counters with the index of every bit set. */
#define CORE_STATISTICS                                                                            \
   ((VkQueryPipelineStatisticFlags)VK_QUERY_PIPELINE_STATISTIC_COMPUTE_SHADER_INVOCATIONS_BIT *    \
       2 -                                                                                         \
    1)

/* The values one query's result holds (availability apart); false for a
 * type whose results the renderer cannot size. */
static bool
query_values(const VkQueryPoolCreateInfo *info, uint32_t *values)
{
   switch (info->queryType) {
   case VK_QUERY_TYPE_OCCLUSION:
   case VK_QUERY_TYPE_TIMESTAMP:
   case VK_QUERY_TYPE_PRIMITIVES_GENERATED_EXT:
      *values = 1;
      return true;
   case VK_QUERY_TYPE_TRANSFORM_FEEDBACK_STREAM_EXT:
      *values = 2; /* primitives written, storage needed */
      return true;
   case VK_QUERY_TYPE_PIPELINE_STATISTICS:
      *values = (uint32_t)__builtin_popcount(info->pipelineStatistics);
      return true;
   default:
      return false;
   }
}

static bool
query_pool_ok(struct vlr_exec *x, const VkQueryPoolCreateInfo *info)
{
   uint32_t values;
   if (!query_values(info, &values)) {
      vlr_exec_failf(x, "query type %d is not one whose results the renderer can size",
                     (int)info->queryType);
      return false;
   }
   if (info->queryType == VK_QUERY_TYPE_PIPELINE_STATISTICS &&
       (info->pipelineStatistics & ~CORE_STATISTICS)) {
      vlr_exec_failf(x,
                     "pipeline statistics 0x%x include bits the host does not count (known: 0x%x)",
                     info->pipelineStatistics, (unsigned)CORE_STATISTICS);
      return false;
   }
   if (info->queryCount > MAX_QUERIES) {
      vlr_exec_failf(x, "%u queries; the renderer takes at most %u per pool", info->queryCount,
                     MAX_QUERIES);
      return false;
   }
   return true;
}

/* Queries [first, first + count) of a pool; the pool, or NULL (context lost). */
static const struct vlr_query_pool *
queries(struct vlr_exec *x, VkQueryPool handle, uint32_t first, uint32_t count)
{
   const struct vl_object *obj =
      handle ? vl_object_table_lookup_host(&x->ctx->objects, VK_OBJECT_TYPE_QUERY_POOL,
                                           (uint64_t)(uintptr_t)handle)
             : NULL;
   const struct vlr_query_pool *p = obj ? obj->data : NULL;
   if (!p) {
      vlr_exec_fail(x, "the query pool is unknown");
      return NULL;
   }
   if ((uint64_t)first + count > p->count) {
      vlr_exec_failf(x, "queries %u..%" PRIu64 " are outside the pool's %u", first,
                     (uint64_t)first + count - 1, p->count);
      return NULL;
   }
   return p;
}

/* Bytes of one query's result written with these flags. */
static VkDeviceSize
result_size(const struct vlr_query_pool *p, VkQueryResultFlags flags)
{
   const bool status =
      flags & (VK_QUERY_RESULT_WITH_AVAILABILITY_BIT | VK_QUERY_RESULT_WITH_STATUS_BIT_KHR);
   return (VkDeviceSize)(p->values + status) * (flags & VK_QUERY_RESULT_64_BIT ? 8 : 4);
}

static bool
check_bind(struct vlr_exec *x, VkBuffer buffer, VkDeviceMemory memory, VkDeviceSize offset)
{
   const struct vlr_buffer *b = buffer_of(x, buffer);
   const struct vl_object *m =
      memory ? vl_object_table_lookup_host(&x->ctx->objects, VK_OBJECT_TYPE_DEVICE_MEMORY,
                                           (uint64_t)(uintptr_t)memory)
             : NULL;
   const struct vlr_memory *mem = m ? m->data : NULL;
   if (!b || !mem) {
      vlr_exec_fail(x, "unknown buffer or memory");
      return false;
   }
   if (b->bound) {
      vlr_exec_fail(x, "the buffer already has memory");
      return false;
   }
   if (!span_inside(mem->size, offset, 1, 0, b->size)) {
      vlr_exec_failf(
         x, "a %" PRIu64 "-byte buffer at offset %" PRIu64 " leaves the memory's %" PRIu64 " bytes",
         b->size, offset, mem->size);
      return false;
   }
   return true;
}

static void
mark_bound(struct vlr_exec *x, VkBuffer buffer)
{
   struct vlr_buffer *b = (struct vlr_buffer *)buffer_of(x, buffer);
   if (b)
      b->bound = true;
}

/* The renderer's bookkeeping of a host object (vl_object.data). */
static void *
data_of(struct vlr_exec *x, int32_t type, uint64_t handle)
{
   const struct vl_object *obj =
      handle ? vl_object_table_lookup_host(&x->ctx->objects, type, handle) : NULL;
   return obj ? obj->data : NULL;
}

/* Zeroed bookkeeping of size bytes for the object a create command just
 * made under guest id; NULL when there is no such object, or (the context
 * lost) no memory. */
static void *
attach(struct vlr_exec *x, uint64_t id, size_t size, const char *what)
{
   struct vl_object *obj = vl_object_table_lookup(&x->ctx->objects, id);
   if (!obj)
      return NULL;
   void *data = calloc(1, size);
   if (!data) {
      vlr_exec_failf(x, "out of memory for the %s's bookkeeping", what);
      return NULL;
   }
   obj->data = data;
   return data;
}

/* obj->data of a VK_OBJECT_TYPE_IMAGE made by vkCreateImage */
struct vlr_image {
   VkImageType type;
   VkFormat format;
   VkExtent3D extent;
   uint32_t mips, layers;
   bool sparse;
   bool bound;
};

static const struct vlr_image *
image_of(struct vlr_exec *x, VkImage handle)
{
   const struct vl_object *obj =
      handle ? vl_object_table_lookup_host(&x->ctx->objects, VK_OBJECT_TYPE_IMAGE,
                                           (uint64_t)(uintptr_t)handle)
             : NULL;
   return obj ? obj->data : NULL;
}

static bool
image_usable(struct vlr_exec *x, const char *role, const struct vlr_image *img)
{
   if (!img->bound && !img->sparse) {
      vlr_exec_failf(x, "the %s image has no memory bound", role);
      return false;
   }
   return true;
}

/* Mip levels [base, base + count) and layers likewise, inside the image;
 * VK_REMAINING_* counts mean "to the end". */
static bool
range_inside(struct vlr_exec *x, const char *role, const struct vlr_image *img,
             const VkImageSubresourceRange *r)
{
   const bool mips_ok =
      r->baseMipLevel < img->mips &&
      (r->levelCount == VK_REMAINING_MIP_LEVELS || r->levelCount <= img->mips - r->baseMipLevel);
   const bool layers_ok =
      r->baseArrayLayer < img->layers && (r->layerCount == VK_REMAINING_ARRAY_LAYERS ||
                                          r->layerCount <= img->layers - r->baseArrayLayer);
   if (mips_ok && layers_ok)
      return true;
   vlr_exec_failf(x,
                  "the %s subresource range (mip levels %u+%u, layers %u+%u) leaves the image's "
                  "%u mip levels and %u layers",
                  role, r->baseMipLevel, r->levelCount, r->baseArrayLayer, r->layerCount, img->mips,
                  img->layers);
   return false;
}

static bool
check_range(struct vlr_exec *x, const char *role, VkImage handle, const VkImageSubresourceRange *r)
{
   const struct vlr_image *img = image_of(x, handle);
   return !img || (image_usable(x, role, img) && range_inside(x, role, img, r));
}

static uint64_t
round_up(uint64_t v, uint32_t to)
{
   return (v + to - 1) / to * to;
}

/* The extent of a mip level of an aspect, in texels, rounded up to whole
 * blocks; false for an aspect the format does not have. */
static bool
level_extent(const struct vlr_image *img, VkImageAspectFlags aspect, uint32_t mip, uint64_t e[3])
{
   uint32_t wdiv = 1, hdiv = 1, size, bw, bh, bd;
   VkFormat format = img->format;
   const VkImageAspectFlags planes =
      VK_IMAGE_ASPECT_PLANE_0_BIT | VK_IMAGE_ASPECT_PLANE_1_BIT | VK_IMAGE_ASPECT_PLANE_2_BIT;
   if (aspect & planes) {
      const uint32_t plane = aspect & VK_IMAGE_ASPECT_PLANE_0_BIT   ? 0
                             : aspect & VK_IMAGE_ASPECT_PLANE_1_BIT ? 1
                                                                    : 2;
      format = vlr_format_plane(img->format, plane, &wdiv, &hdiv);
      if (format == VK_FORMAT_UNDEFINED)
         return false;
   }
   if (!vlr_format_block(format, &size, &bw, &bh, &bd))
      return false;
   const uint32_t dims[3] = { img->extent.width / wdiv, img->extent.height / hdiv,
                              img->extent.depth };
   const uint32_t block[3] = { bw, bh, bd };
   for (int i = 0; i < 3; i++) {
      const uint32_t d = dims[i] >> (mip < 32 ? mip : 31);
      e[i] = round_up(d ? d : 1, block[i]);
   }
   return true;
}

/* One region of one image: the subresource exists and [offset, offset +
 * extent) lies inside its mip level. */
static bool
check_region(struct vlr_exec *x, const char *role, VkImage handle,
             const VkImageSubresourceLayers *sub, VkOffset3D offset, VkExtent3D extent)
{
   const struct vlr_image *img = image_of(x, handle);
   if (!img)
      return true;
   if (!image_usable(x, role, img))
      return false;
   const VkImageSubresourceRange range = { sub->aspectMask, sub->mipLevel, 1, sub->baseArrayLayer,
                                           sub->layerCount };
   if (!range_inside(x, role, img, &range))
      return false;
   uint64_t e[3];
   if (!level_extent(img, sub->aspectMask, sub->mipLevel, e)) {
      vlr_exec_failf(x, "the %s image has no aspect 0x%x to copy", role, sub->aspectMask);
      return false;
   }
   const int32_t o[3] = { offset.x, offset.y, offset.z };
   const uint32_t n[3] = { extent.width, extent.height, extent.depth };
   for (int i = 0; i < 3; i++) {
      if (o[i] < 0 || (uint64_t)o[i] + n[i] > e[i]) {
         vlr_exec_failf(x,
                        "the %s region (offset %d,%d,%d, extent %u,%u,%u) leaves mip level %u "
                        "(%" PRIu64 "x%" PRIu64 "x%" PRIu64 ")",
                        role, offset.x, offset.y, offset.z, extent.width, extent.height,
                        extent.depth, sub->mipLevel, e[0], e[1], e[2]);
         return false;
      }
   }
   return true;
}

/* A blit's two corners: each coordinate between 0 and the level's extent
 * (corners may come in either order: blits can mirror). */
static bool
check_corners(struct vlr_exec *x, const char *role, VkImage handle,
              const VkImageSubresourceLayers *sub, const VkOffset3D c[2])
{
   const int32_t lo[3] = { c[0].x < c[1].x ? c[0].x : c[1].x, c[0].y < c[1].y ? c[0].y : c[1].y,
                           c[0].z < c[1].z ? c[0].z : c[1].z };
   const int32_t hi[3] = { c[0].x < c[1].x ? c[1].x : c[0].x, c[0].y < c[1].y ? c[1].y : c[0].y,
                           c[0].z < c[1].z ? c[1].z : c[0].z };
   const VkOffset3D offset = { lo[0], lo[1], lo[2] };
   const VkExtent3D span = { (uint32_t)((int64_t)hi[0] - lo[0]), (uint32_t)((int64_t)hi[1] - lo[1]),
                             (uint32_t)((int64_t)hi[2] - lo[2]) };
   return check_region(x, role, handle, sub, offset, span);
}

/* The bytes a buffer<->image copy touches in the buffer, from its offset
 * (the spec's minimum: up to the last texel of the last row); false on
 * overflow or an aspect the format does not have. */
static bool
copy_footprint(const struct vlr_image *img, const VkBufferImageCopy2 *r, uint64_t *bytes)
{
   const VkImageAspectFlags aspect = r->imageSubresource.aspectMask;
   uint32_t size, bw = 1, bh = 1, bd = 1, wdiv = 1, hdiv = 1;
   VkFormat format = img->format;
   if (aspect == VK_IMAGE_ASPECT_STENCIL_BIT) {
      size = 1;
   } else if (aspect == VK_IMAGE_ASPECT_DEPTH_BIT) {
      size = format == VK_FORMAT_D16_UNORM || format == VK_FORMAT_D16_UNORM_S8_UINT ? 2 : 4;
   } else {
      if (aspect & (VK_IMAGE_ASPECT_PLANE_0_BIT | VK_IMAGE_ASPECT_PLANE_1_BIT |
                    VK_IMAGE_ASPECT_PLANE_2_BIT)) {
         const uint32_t plane = aspect & VK_IMAGE_ASPECT_PLANE_0_BIT   ? 0
                                : aspect & VK_IMAGE_ASPECT_PLANE_1_BIT ? 1
                                                                       : 2;
         format = vlr_format_plane(format, plane, &wdiv, &hdiv);
      }
      if (format == VK_FORMAT_UNDEFINED || !vlr_format_block(format, &size, &bw, &bh, &bd))
         return false;
   }
   (void)wdiv, (void)hdiv;
   const VkExtent3D e = r->imageExtent;
   if (!e.width || !e.height || !e.depth || !r->imageSubresource.layerCount) {
      *bytes = 0;
      return true;
   }
   const uint64_t row_len = r->bufferRowLength ? r->bufferRowLength : e.width;
   const uint64_t img_height = r->bufferImageHeight ? r->bufferImageHeight : e.height;
   const uint64_t row_blocks = (row_len + bw - 1) / bw;
   const uint64_t height_blocks = (img_height + bh - 1) / bh;
   const uint64_t w = (e.width + bw - 1) / bw, h = (e.height + bh - 1) / bh;
   const uint64_t slices = ((uint64_t)e.depth + bd - 1) / bd * r->imageSubresource.layerCount;
   /* every factor is below 2^32, products of two below 2^64 */
   uint64_t blocks, t;
   if (__builtin_mul_overflow(slices - 1, height_blocks, &t) ||
       __builtin_add_overflow(t, h - 1, &t) || __builtin_mul_overflow(t, row_blocks, &t) ||
       __builtin_add_overflow(t, w, &blocks) ||
       __builtin_mul_overflow(blocks, (uint64_t)size, bytes))
      return false;
   return true;
}

static bool
check_buffer_image(struct vlr_exec *x, const char *image_role, VkImage image, VkBuffer buffer,
                   const VkBufferImageCopy2 *r)
{
   if (!check_region(x, image_role, image, &r->imageSubresource, r->imageOffset, r->imageExtent))
      return false;
   const struct vlr_image *img = image_of(x, image);
   if (!img)
      return check(x, "buffer", buffer, r->bufferOffset, 1, 0, 0);
   uint64_t bytes;
   if (!copy_footprint(img, r, &bytes)) {
      vlr_exec_fail(x, "the buffer side of the copy overflows");
      return false;
   }
   return check(x, "buffer", buffer, r->bufferOffset, 1, 0, bytes);
}

static VkBufferImageCopy2
buffer_image_copy2(const VkBufferImageCopy *r)
{
   return (VkBufferImageCopy2){ .sType = VK_STRUCTURE_TYPE_BUFFER_IMAGE_COPY_2,
                                .bufferOffset = r->bufferOffset,
                                .bufferRowLength = r->bufferRowLength,
                                .bufferImageHeight = r->bufferImageHeight,
                                .imageSubresource = r->imageSubresource,
                                .imageOffset = r->imageOffset,
                                .imageExtent = r->imageExtent };
}

static bool
check_image_bind(struct vlr_exec *x, const struct vl_object *device, VkImage image,
                 VkDeviceMemory memory, VkDeviceSize offset, bool plane)
{
   const struct vlr_image *img = image_of(x, image);
   if (!img)
      return true;
   if (img->bound) {
      vlr_exec_fail(x, "the image already has memory");
      return false;
   }
   if (!memory || plane)
      return true; /* swapchain memory, or one plane of a disjoint image: the host's to check */
   const struct vl_object *m = vl_object_table_lookup_host(
      &x->ctx->objects, VK_OBJECT_TYPE_DEVICE_MEMORY, (uint64_t)(uintptr_t)memory);
   const struct vlr_memory *mem = m ? m->data : NULL;
   if (!mem) {
      vlr_exec_fail(x, "unknown memory");
      return false;
   }
   VkMemoryRequirements reqs = { 0 };
   const struct vlr_host_device_table *vk = vlr_object_device_table(device);
   vk->GetImageMemoryRequirements((VkDevice)(uintptr_t)device->host, image, &reqs);
   if (!span_inside(mem->size, offset, 1, 0, reqs.size)) {
      vlr_exec_failf(x,
                     "an image needing %" PRIu64 " bytes at offset %" PRIu64
                     " leaves the memory's %" PRIu64 " bytes",
                     reqs.size, offset, mem->size);
      return false;
   }
   return true;
}

/* obj->data of a VK_OBJECT_TYPE_DESCRIPTOR_SET_LAYOUT, and a copy of it in
 * each descriptor set allocated with it: its bindings, in binding order
 * (lavapipe indexes its binding table with a write's dstBinding). */
struct vlr_set_layout {
   uint32_t count;
   struct {
      uint32_t binding, descriptors;
   } b[];
};

static int
by_binding(const void *a, const void *b)
{
   const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
   return x < y ? -1 : x > y;
}

void *
vlr_bounds_set_layout_copy(struct vlr_exec *x, VkDescriptorSetLayout layout)
{
   const struct vlr_set_layout *l =
      data_of(x, VK_OBJECT_TYPE_DESCRIPTOR_SET_LAYOUT, (uint64_t)(uintptr_t)layout);
   if (!l)
      return NULL;
   const size_t size = sizeof(*l) + l->count * sizeof(l->b[0]);
   void *copy = malloc(size);
   if (copy)
      memcpy(copy, l, size);
   return copy;
}

/* The array elements [element, element + count) of binding and the
 * bindings after it exist in the set (a write may run on into the next
 * bindings). */
static bool
set_range_ok(struct vlr_exec *x, const char *role, VkDescriptorSet set, uint32_t binding,
             uint32_t element, uint32_t count)
{
   const struct vlr_set_layout *l =
      data_of(x, VK_OBJECT_TYPE_DESCRIPTOR_SET, (uint64_t)(uintptr_t)set);
   if (!l)
      return true;
   uint32_t i = 0;
   while (i < l->count && l->b[i].binding != binding)
      i++;
   if (i == l->count) {
      vlr_exec_failf(x, "the %s binding %u is not in the descriptor set's layout", role, binding);
      return false;
   }
   uint64_t room = 0;
   for (uint32_t k = i; k < l->count; k++)
      room += l->b[k].descriptors;
   if ((uint64_t)element + count <= room)
      return true;
   vlr_exec_failf(x,
                  "the %s descriptors %u+%u of binding %u leave the %" PRIu64
                  " the set has from that binding on",
                  role, element, count, binding, room);
   return false;
}

/* Descriptor writes: the arrays the type needs are there, and buffer
 * ranges lie inside their buffers (a shader reads and writes through them). */
static bool
descriptor_writes_ok(struct vlr_exec *x, uint32_t n, const VkWriteDescriptorSet *w)
{
   for (uint32_t i = 0; i < n; i++) {
      const VkWriteDescriptorSet *d = &w[i];
      bool image = false, buffer = false, texel = false;
      switch (d->descriptorType) {
      case VK_DESCRIPTOR_TYPE_SAMPLER:
      case VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER:
      case VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE:
      case VK_DESCRIPTOR_TYPE_STORAGE_IMAGE:
      case VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT:
         image = true;
         break;
      case VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER:
      case VK_DESCRIPTOR_TYPE_STORAGE_BUFFER:
      case VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER_DYNAMIC:
      case VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC:
         buffer = true;
         break;
      case VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER:
      case VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER:
         texel = true;
         break;
      default:
         break; /* inline uniform blocks and the like carry their data in pNext */
      }
      if (d->descriptorCount && ((image && !d->pImageInfo) || (buffer && !d->pBufferInfo) ||
                                 (texel && !d->pTexelBufferView))) {
         vlr_exec_failf(x, "a descriptor write of type %d without its array", d->descriptorType);
         return false;
      }
      for (uint32_t k = 0; buffer && k < d->descriptorCount; k++) {
         const VkDescriptorBufferInfo *b = &d->pBufferInfo[k];
         if (b->buffer && !check(x, "descriptor", b->buffer, b->offset, 1, 0,
                                 b->range == VK_WHOLE_SIZE ? 0 : b->range))
            return false;
      }
   }
   return true;
}

static void
mark_image_bound(struct vlr_exec *x, VkImage image)
{
   struct vlr_image *img = (struct vlr_image *)image_of(x, image);
   if (img)
      img->bound = true;
}

/* ---- shader code the host compiler trusts ------------------------------------------ */

/* Host shader compilers take SPIR-V as valid: a malformed module crashed
 * lavapipe's compiler under the renderer fuzzer.  SPIRV-Tools validates it
 * first, structurally (the universal environment, block layout rules off:
 * which layout rules apply depends on features the validator is not told
 * about, and a layout the host does not support is no memory hazard). */
static spv_context spv_ctx;
static spv_validator_options spv_options;

static void
spv_init(void)
{
   spv_ctx = spvContextCreate(SPV_ENV_UNIVERSAL_1_6);
   spv_options = spvValidatorOptionsCreate();
   if (spv_options)
      spvValidatorOptionsSetSkipBlockLayout(spv_options, true);
}

static bool
spirv_ok(struct vlr_exec *x, const VkShaderModuleCreateInfo *info)
{
   static pthread_once_t once = PTHREAD_ONCE_INIT;
   pthread_once(&once, spv_init);
   if (!info->codeSize || info->codeSize % 4 || !info->pCode) {
      vlr_exec_failf(x, "vkCreateShaderModule: %zu bytes of code are no SPIR-V module",
                     info->codeSize);
      return false;
   }
   if (!spv_ctx || !spv_options) {
      vlr_exec_fail(x, "vkCreateShaderModule: the SPIR-V validator is not available");
      return false;
   }
   spv_const_binary_t binary = { info->pCode, info->codeSize / 4 };
   spv_diagnostic diag = NULL;
   const spv_result_t r = spvValidateWithOptions(spv_ctx, spv_options, &binary, &diag);
   if (r != SPV_SUCCESS)
      vlr_exec_failf(x, "vkCreateShaderModule: invalid SPIR-V (%s)",
                     diag && diag->error ? diag->error : "no diagnostic");
   spvDiagnosticDestroy(diag);
   return r == SPV_SUCCESS;
}

/* ---- indices the host driver trusts ------------------------------------------------ */

static const struct vlr_device *
device_of(const struct vl_object *obj)
{
   while (obj && obj->type != VK_OBJECT_TYPE_DEVICE)
      obj = obj->parent;
   return obj ? obj->data : NULL;
}

static const VkPhysicalDeviceLimits *
limits_of(const struct vl_object *obj)
{
   const struct vlr_device *dev = device_of(obj);
   return dev ? &dev->limits : NULL;
}

/* first + count <= max, without overflow */
static bool
index_ok(struct vlr_exec *x, const char *what, uint64_t first, uint64_t count, uint64_t max)
{
   if (first <= max && count <= max - first)
      return true;
   vlr_exec_failf(x, "%s %" PRIu64 "+%" PRIu64 " exceed the host's limit of %" PRIu64, what, first,
                  count, max);
   return false;
}

static bool
vertex_input_ok(struct vlr_exec *x, const VkPhysicalDeviceLimits *l, uint32_t nb,
                const uint32_t *binding, size_t bstride, const uint32_t *stride, uint32_t na,
                const uint32_t *location, const uint32_t *abinding, const uint32_t *offset,
                size_t astride)
{
   if (!index_ok(x, "vertex bindings", 0, nb, l->maxVertexInputBindings) ||
       !index_ok(x, "vertex attributes", 0, na, l->maxVertexInputAttributes))
      return false;
   for (uint32_t i = 0; i < nb; i++) {
      const uint32_t b = *(const uint32_t *)((const char *)binding + i * bstride);
      const uint32_t st = *(const uint32_t *)((const char *)stride + i * bstride);
      if (!index_ok(x, "vertex binding", b, 1, l->maxVertexInputBindings) ||
          !index_ok(x, "vertex binding stride", st, 0, l->maxVertexInputBindingStride))
         return false;
   }
   for (uint32_t i = 0; i < na; i++) {
      const uint32_t loc = *(const uint32_t *)((const char *)location + i * astride);
      const uint32_t b = *(const uint32_t *)((const char *)abinding + i * astride);
      const uint32_t off = *(const uint32_t *)((const char *)offset + i * astride);
      if (!index_ok(x, "vertex attribute location", loc, 1, l->maxVertexInputAttributes) ||
          !index_ok(x, "vertex attribute binding", b, 1, l->maxVertexInputBindings) ||
          !index_ok(x, "vertex attribute offset", off, 0, l->maxVertexInputAttributeOffset))
         return false;
   }
   return true;
}

static bool
stage_ok(struct vlr_exec *x, VkShaderStageFlagBits stage, VkShaderStageFlags allowed)
{
   if (stage && !(stage & (stage - 1)) && (stage & allowed))
      return true;
   vlr_exec_failf(x, "shader stage 0x%x is not one stage this pipeline can have", stage);
   return false;
}

/* A sample count: one of VK_SAMPLE_COUNT_1_BIT ... 64 (lavapipe derives
 * table indices and mask sizes from it). */
static bool
samples_ok(struct vlr_exec *x, const char *what, VkSampleCountFlagBits samples)
{
   if (samples && !(samples & (samples - 1)) && samples <= VK_SAMPLE_COUNT_64_BIT)
      return true;
   vlr_exec_failf(x, "%s of %u (one of 1, 2, 4 ... 64)", what, (unsigned)samples);
   return false;
}

static bool
dynamic(const VkGraphicsPipelineCreateInfo *info, VkDynamicState state)
{
   const VkPipelineDynamicStateCreateInfo *d = info->pDynamicState;
   for (uint32_t i = 0; d && d->pDynamicStates && i < d->dynamicStateCount; i++) {
      if (d->pDynamicStates[i] == state)
         return true;
   }
   return false;
}

static bool
graphics_pipeline_ok(struct vlr_exec *x, const struct vlr_device *dev,
                     const VkGraphicsPipelineCreateInfo *info)
{
   const VkPhysicalDeviceLimits *l = &dev->limits;
   /* features whose state the host's pipeline compiler assumes enabled */
   const VkPipelineMultisampleStateCreateInfo *ms = info->pMultisampleState;
   if (ms && ms->alphaToOneEnable && !dev->features.alphaToOne) {
      vlr_exec_fail(x, "alphaToOneEnable without the alphaToOne feature");
      return false;
   }
   if (ms && ms->sampleShadingEnable && !dev->features.sampleRateShading) {
      vlr_exec_fail(x, "sampleShadingEnable without the sampleRateShading feature");
      return false;
   }
   if (ms && !dynamic(info, VK_DYNAMIC_STATE_RASTERIZATION_SAMPLES_EXT) &&
       !samples_ok(x, "rasterizationSamples", ms->rasterizationSamples))
      return false;
   const VkShaderStageFlags graphics =
      VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_TESSELLATION_CONTROL_BIT |
      VK_SHADER_STAGE_TESSELLATION_EVALUATION_BIT | VK_SHADER_STAGE_GEOMETRY_BIT |
      VK_SHADER_STAGE_FRAGMENT_BIT | VK_SHADER_STAGE_TASK_BIT_EXT | VK_SHADER_STAGE_MESH_BIT_EXT;
   for (uint32_t i = 0; i < info->stageCount; i++) {
      if (!stage_ok(x, info->pStages[i].stage, graphics))
         return false;
   }
   const VkPipelineVertexInputStateCreateInfo *vi = info->pVertexInputState;
   if (vi &&
       !vertex_input_ok(
          x, l, vi->vertexBindingDescriptionCount,
          vi->pVertexBindingDescriptions ? &vi->pVertexBindingDescriptions[0].binding : NULL,
          sizeof(VkVertexInputBindingDescription),
          vi->pVertexBindingDescriptions ? &vi->pVertexBindingDescriptions[0].stride : NULL,
          vi->vertexAttributeDescriptionCount,
          vi->pVertexAttributeDescriptions ? &vi->pVertexAttributeDescriptions[0].location : NULL,
          vi->pVertexAttributeDescriptions ? &vi->pVertexAttributeDescriptions[0].binding : NULL,
          vi->pVertexAttributeDescriptions ? &vi->pVertexAttributeDescriptions[0].offset : NULL,
          sizeof(VkVertexInputAttributeDescription)))
      return false;
   const VkPipelineViewportStateCreateInfo *vp = info->pViewportState;
   if (vp && (!index_ok(x, "viewports", 0, vp->viewportCount, l->maxViewports) ||
              !index_ok(x, "scissors", 0, vp->scissorCount, l->maxViewports)))
      return false;
   const VkPipelineColorBlendStateCreateInfo *cb = info->pColorBlendState;
   if (cb &&
       !index_ok(x, "blended color attachments", 0, cb->attachmentCount, l->maxColorAttachments))
      return false;
   for (const VkBaseInStructure *p = info->pNext; p; p = p->pNext) {
      if (p->sType == VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO &&
          !index_ok(x, "color attachments", 0,
                    ((const VkPipelineRenderingCreateInfo *)p)->colorAttachmentCount,
                    l->maxColorAttachments))
         return false;
   }
   return true;
}

/* An attachment reference of a render pass: an attachment or UNUSED. */
static bool
reference_ok(struct vlr_exec *x, uint32_t attachment, uint32_t count)
{
   if (attachment == VK_ATTACHMENT_UNUSED || attachment < count)
      return true;
   vlr_exec_failf(x, "a subpass refers to attachment %u of %u", attachment, count);
   return false;
}

/* n references at `refs`, `stride` bytes apart, each starting with its
 * attachment index (VkAttachmentReference and VkAttachmentReference2 alike). */
static bool
refs_ok(struct vlr_exec *x, const void *refs, size_t stride, uint32_t n, uint32_t count)
{
   for (uint32_t i = 0; refs && i < n; i++) {
      const size_t at = i * stride + (stride == sizeof(VkAttachmentReference)
                                         ? offsetof(VkAttachmentReference, attachment)
                                         : offsetof(VkAttachmentReference2, attachment));
      if (!reference_ok(x, *(const uint32_t *)((const char *)refs + at), count))
         return false;
   }
   return true;
}

#define REFS_OK(x, refs, n, count) refs_ok((x), (refs), sizeof(*(refs)), (n), (count))

/* An image the host can make without reading or writing out of bounds: a
 * known type, tiling and format, and an extent, mip levels and layers
 * within what vkGetPhysicalDeviceImageFormatProperties reports.  Usage
 * combinations and sample counts it does not list are left to the host:
 * applications (zink among them) make such images and drivers tolerate
 * them; host-side validation reports them. */
static bool
image_supported(struct vlr_exec *x, const struct vl_object *device, const VkImageCreateInfo *info)
{
   const struct vlr_device *dev = device ? device->data : NULL;
   if (!dev || info->tiling == VK_IMAGE_TILING_DRM_FORMAT_MODIFIER_EXT)
      return true; /* a modifier's support is the host's to check */
   const struct vl_object *physical = dev->physical_device;
   const struct vlr_host_instance_table *vk = vlr_object_instance_table(physical);
   const VkPhysicalDevice pd = (VkPhysicalDevice)(uintptr_t)physical->host;
   const VkExtent3D e = info->extent;
   uint32_t size, bw, bh, bd, wd, hd;
   const char *why = NULL;
   VkImageFormatProperties p;
   if (info->imageType > VK_IMAGE_TYPE_3D ||
       (info->tiling != VK_IMAGE_TILING_OPTIMAL && info->tiling != VK_IMAGE_TILING_LINEAR))
      why = "this image type or tiling";
   else if (!vlr_format_block(info->format, &size, &bw, &bh, &bd) &&
            vlr_format_plane(info->format, 0, &wd, &hd) == VK_FORMAT_UNDEFINED)
      why = "this format";
   else if (!info->samples || (info->samples & (info->samples - 1)) ||
            info->samples > VK_SAMPLE_COUNT_64_BIT)
      why = "this sample count";
   else if (vk->GetPhysicalDeviceImageFormatProperties(pd, info->format, info->imageType,
                                                       info->tiling, info->usage, info->flags,
                                                       &p) != VK_SUCCESS &&
            vk->GetPhysicalDeviceImageFormatProperties(
               pd, info->format, info->imageType, info->tiling, VK_IMAGE_USAGE_TRANSFER_DST_BIT, 0,
               &p) != VK_SUCCESS)
      why = "this format with this type and tiling";
   else if (!e.width || !e.height || !e.depth || e.width > p.maxExtent.width ||
            e.height > p.maxExtent.height || e.depth > p.maxExtent.depth)
      why = "this extent";
   else if (!info->mipLevels || info->mipLevels > p.maxMipLevels)
      why = "this many mip levels";
   else if (!info->arrayLayers || info->arrayLayers > p.maxArrayLayers)
      why = "this many layers";
   if (!why)
      return true;
   vlr_exec_failf(x,
                  "vkCreateImage: the host does not support %s (format %d, type %d, tiling %d, "
                  "extent %ux%ux%u, %u mip levels, %u layers, %d samples)",
                  why, info->format, info->imageType, info->tiling, e.width, e.height, e.depth,
                  info->mipLevels, info->arrayLayers, info->samples);
   return false;
}

/* Sorted by offset: intervals [offset, offset + size) */
struct interval {
   VkDeviceSize offset, size;
};

static int
interval_cmp(const void *a, const void *b)
{
   const struct interval *p = a, *q = b;
   return p->offset < q->offset ? -1 : p->offset > q->offset;
}

/* Whether any of a[] meets any of b[] (both sorted in place). */
static bool
intervals_meet(struct interval *a, size_t na, struct interval *b, size_t nb)
{
   qsort(a, na, sizeof(*a), interval_cmp);
   qsort(b, nb, sizeof(*b), interval_cmp);
   for (size_t i = 0, j = 0; i < na && j < nb;) {
      if (a[i].size && b[j].size && a[i].offset < b[j].offset + b[j].size &&
          b[j].offset < a[i].offset + a[i].size)
         return true;
      if (a[i].offset + a[i].size <= b[j].offset + b[j].size)
         i++;
      else
         j++;
   }
   return false;
}

/* A copy within one buffer: the source regions and the destination regions
 * must not meet (the host copies with memcpy).  Ranges were checked to lie
 * inside the buffer, so the sums cannot overflow. */
static bool
copy_within_ok(struct vlr_exec *x, uint32_t n, const VkDeviceSize *src, const VkDeviceSize *dst,
               const VkDeviceSize *size, size_t stride)
{
   struct interval *iv = n ? calloc(2 * (size_t)n, sizeof(*iv)) : NULL;
   if (n && !iv) {
      vlr_exec_fail(x, "out of memory checking a copy");
      return false;
   }
   for (uint32_t i = 0; i < n; i++) {
      const size_t at = i * stride;
      const VkDeviceSize sz = *(const VkDeviceSize *)((const char *)size + at);
      iv[i] = (struct interval){ *(const VkDeviceSize *)((const char *)src + at), sz };
      iv[n + i] = (struct interval){ *(const VkDeviceSize *)((const char *)dst + at), sz };
   }
   const bool meet = n && intervals_meet(iv, n, iv + n, n);
   free(iv);
   if (meet)
      vlr_exec_fail(x, "a copy within one buffer whose source and destination overlap");
   return !meet;
}

/* A copy within one image: regions of the same mip level whose layers and
 * boxes meet overlap. */
static bool
boxes_meet(const VkImageSubresourceLayers *sa, VkOffset3D a, VkExtent3D ea,
           const VkImageSubresourceLayers *sb, VkOffset3D b, VkExtent3D eb)
{
   if (sa->mipLevel != sb->mipLevel ||
       (uint64_t)sa->baseArrayLayer + sa->layerCount <= sb->baseArrayLayer ||
       (uint64_t)sb->baseArrayLayer + sb->layerCount <= sa->baseArrayLayer)
      return false;
   return (int64_t)a.x < (int64_t)b.x + eb.width && (int64_t)b.x < (int64_t)a.x + ea.width &&
          (int64_t)a.y < (int64_t)b.y + eb.height && (int64_t)b.y < (int64_t)a.y + ea.height &&
          (int64_t)a.z < (int64_t)b.z + eb.depth && (int64_t)b.z < (int64_t)a.z + ea.depth;
}

/* A timeline semaphore needs the feature, and the renderer needs
 * vkSignalSemaphore to release work that waits on one (vlr_inflight.c). */
static bool
semaphore_ok(struct vlr_exec *x, const struct vlr_device *dev, const VkSemaphoreCreateInfo *info)
{
   for (const VkBaseInStructure *s = info->pNext; s; s = s->pNext) {
      if (s->sType != VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO ||
          ((const VkSemaphoreTypeCreateInfo *)s)->semaphoreType != VK_SEMAPHORE_TYPE_TIMELINE)
         continue;
      if (!dev->timeline_semaphores) {
         vlr_exec_fail(x, "a timeline semaphore on a device without the timelineSemaphore "
                          "feature enabled");
         return false;
      }
      if (!dev->table.SignalSemaphore) {
         vlr_exec_fail(x, "a timeline semaphore, but the host driver gives no vkSignalSemaphore "
                          "for this device");
         return false;
      }
   }
   return true;
}

static bool
limits_before(struct vlr_exec *x, int32_t id, const struct vl_object *owner, const void *args)
{
   const VkPhysicalDeviceLimits *l = limits_of(owner);
   if (!l)
      return true;
   switch (id) {
   case VL_CMD_vkCreateSemaphore:
      return semaphore_ok(x, device_of(owner),
                          ((const struct vl_args_vkCreateSemaphore *)args)->pCreateInfo);
   case VL_CMD_vkCreateShaderModule:
      return spirv_ok(x, ((const struct vl_args_vkCreateShaderModule *)args)->pCreateInfo);
   case VL_CMD_vkCreateImage:
      return image_supported(x, owner, ((const struct vl_args_vkCreateImage *)args)->pCreateInfo);
   case VL_CMD_vkCreateGraphicsPipelines: {
      const struct vl_args_vkCreateGraphicsPipelines *a = args;
      for (uint32_t i = 0; i < a->createInfoCount; i++) {
         if (!graphics_pipeline_ok(x, device_of(owner), &a->pCreateInfos[i]))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCreateComputePipelines: {
      const struct vl_args_vkCreateComputePipelines *a = args;
      for (uint32_t i = 0; i < a->createInfoCount; i++) {
         if (!stage_ok(x, a->pCreateInfos[i].stage.stage, VK_SHADER_STAGE_COMPUTE_BIT))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCreatePipelineLayout: {
      const VkPipelineLayoutCreateInfo *info =
         ((const struct vl_args_vkCreatePipelineLayout *)args)->pCreateInfo;
      if (!index_ok(x, "descriptor set layouts", 0, info->setLayoutCount,
                    l->maxBoundDescriptorSets))
         return false;
      for (uint32_t i = 0; i < info->pushConstantRangeCount; i++) {
         const VkPushConstantRange *r = &info->pPushConstantRanges[i];
         if (!index_ok(x, "push constant bytes", r->offset, r->size, l->maxPushConstantsSize))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCreateRenderPass: {
      const VkRenderPassCreateInfo *info =
         ((const struct vl_args_vkCreateRenderPass *)args)->pCreateInfo;
      const uint32_t n = info->attachmentCount;
      for (uint32_t i = 0; i < info->subpassCount; i++) {
         const VkSubpassDescription *sp = &info->pSubpasses[i];
         if (!index_ok(x, "color attachments", 0, sp->colorAttachmentCount,
                       l->maxColorAttachments) ||
             !REFS_OK(x, sp->pInputAttachments, sp->inputAttachmentCount, n) ||
             !REFS_OK(x, sp->pColorAttachments, sp->colorAttachmentCount, n) ||
             !REFS_OK(x, sp->pResolveAttachments, sp->colorAttachmentCount, n) ||
             !REFS_OK(x, sp->pDepthStencilAttachment, 1u, n))
            return false;
         for (uint32_t k = 0; k < sp->preserveAttachmentCount; k++) {
            if (!reference_ok(x, sp->pPreserveAttachments[k], n))
               return false;
         }
      }
      return true;
   }
   case VL_CMD_vkCreateRenderPass2: {
      const VkRenderPassCreateInfo2 *info =
         ((const struct vl_args_vkCreateRenderPass2 *)args)->pCreateInfo;
      const uint32_t n = info->attachmentCount;
      for (uint32_t i = 0; i < info->subpassCount; i++) {
         const VkSubpassDescription2 *sp = &info->pSubpasses[i];
         if (!index_ok(x, "color attachments", 0, sp->colorAttachmentCount,
                       l->maxColorAttachments) ||
             !REFS_OK(x, sp->pInputAttachments, sp->inputAttachmentCount, n) ||
             !REFS_OK(x, sp->pColorAttachments, sp->colorAttachmentCount, n) ||
             !REFS_OK(x, sp->pResolveAttachments, sp->colorAttachmentCount, n) ||
             !REFS_OK(x, sp->pDepthStencilAttachment, 1u, n))
            return false;
         for (uint32_t k = 0; k < sp->preserveAttachmentCount; k++) {
            if (!reference_ok(x, sp->pPreserveAttachments[k], n))
               return false;
         }
         for (const VkBaseInStructure *p = sp->pNext; p; p = p->pNext) {
            if (p->sType == VK_STRUCTURE_TYPE_SUBPASS_DESCRIPTION_DEPTH_STENCIL_RESOLVE) {
               const VkSubpassDescriptionDepthStencilResolve *r = (const void *)p;
               if (!REFS_OK(x, r->pDepthStencilResolveAttachment, 1u, n))
                  return false;
            }
         }
      }
      return true;
   }
   case VL_CMD_vkCmdPushConstants: {
      const struct vl_args_vkCmdPushConstants *a = args;
      return index_ok(x, "push constant bytes", a->offset, a->size, l->maxPushConstantsSize);
   }
   case VL_CMD_vkCmdBindDescriptorSets: {
      const struct vl_args_vkCmdBindDescriptorSets *a = args;
      return index_ok(x, "descriptor sets", a->firstSet, a->descriptorSetCount,
                      l->maxBoundDescriptorSets) &&
             index_ok(x, "dynamic offsets", 0, a->dynamicOffsetCount,
                      (uint64_t)l->maxDescriptorSetUniformBuffersDynamic +
                         l->maxDescriptorSetStorageBuffersDynamic);
   }
   case VL_CMD_vkCmdPushDescriptorSetKHR: {
      const struct vl_args_vkCmdPushDescriptorSetKHR *a = args;
      return index_ok(x, "descriptor set", a->set, 1, l->maxBoundDescriptorSets);
   }
   case VL_CMD_vkCmdBindVertexBuffers: {
      const struct vl_args_vkCmdBindVertexBuffers *a = args;
      return index_ok(x, "vertex bindings", a->firstBinding, a->bindingCount,
                      l->maxVertexInputBindings);
   }
   case VL_CMD_vkCmdBindVertexBuffers2: {
      const struct vl_args_vkCmdBindVertexBuffers2 *a = args;
      return index_ok(x, "vertex bindings", a->firstBinding, a->bindingCount,
                      l->maxVertexInputBindings);
   }
   case VL_CMD_vkCmdSetViewport: {
      const struct vl_args_vkCmdSetViewport *a = args;
      return index_ok(x, "viewports", a->firstViewport, a->viewportCount, l->maxViewports);
   }
   case VL_CMD_vkCmdSetScissor: {
      const struct vl_args_vkCmdSetScissor *a = args;
      return index_ok(x, "scissors", a->firstScissor, a->scissorCount, l->maxViewports);
   }
   case VL_CMD_vkCmdSetViewportWithCount: {
      const struct vl_args_vkCmdSetViewportWithCount *a = args;
      return index_ok(x, "viewports", 0, a->viewportCount, l->maxViewports);
   }
   case VL_CMD_vkCmdSetScissorWithCount: {
      const struct vl_args_vkCmdSetScissorWithCount *a = args;
      return index_ok(x, "scissors", 0, a->scissorCount, l->maxViewports);
   }
   case VL_CMD_vkCmdBeginRendering: {
      const VkRenderingInfo *info =
         ((const struct vl_args_vkCmdBeginRendering *)args)->pRenderingInfo;
      return index_ok(x, "color attachments", 0, info->colorAttachmentCount,
                      l->maxColorAttachments);
   }
   case VL_CMD_vkCmdSetVertexInputEXT: {
      const struct vl_args_vkCmdSetVertexInputEXT *a = args;
      return vertex_input_ok(
         x, l, a->vertexBindingDescriptionCount,
         a->pVertexBindingDescriptions ? &a->pVertexBindingDescriptions[0].binding : NULL,
         sizeof(VkVertexInputBindingDescription2EXT),
         a->pVertexBindingDescriptions ? &a->pVertexBindingDescriptions[0].stride : NULL,
         a->vertexAttributeDescriptionCount,
         a->pVertexAttributeDescriptions ? &a->pVertexAttributeDescriptions[0].location : NULL,
         a->pVertexAttributeDescriptions ? &a->pVertexAttributeDescriptions[0].binding : NULL,
         a->pVertexAttributeDescriptions ? &a->pVertexAttributeDescriptions[0].offset : NULL,
         sizeof(VkVertexInputAttributeDescription2EXT));
   }
   /* lavapipe keeps per-attachment blend state in a table of
    * maxColorAttachments entries */
   case VL_CMD_vkCmdSetColorWriteEnableEXT:
      return index_ok(x, "color attachments", 0,
                      ((const struct vl_args_vkCmdSetColorWriteEnableEXT *)args)->attachmentCount,
                      l->maxColorAttachments);
   case VL_CMD_vkCmdSetColorBlendEnableEXT: {
      const struct vl_args_vkCmdSetColorBlendEnableEXT *a = args;
      return index_ok(x, "color attachments", a->firstAttachment, a->attachmentCount,
                      l->maxColorAttachments);
   }
   case VL_CMD_vkCmdSetColorBlendEquationEXT: {
      const struct vl_args_vkCmdSetColorBlendEquationEXT *a = args;
      return index_ok(x, "color attachments", a->firstAttachment, a->attachmentCount,
                      l->maxColorAttachments);
   }
   case VL_CMD_vkCmdSetColorWriteMaskEXT: {
      const struct vl_args_vkCmdSetColorWriteMaskEXT *a = args;
      return index_ok(x, "color attachments", a->firstAttachment, a->attachmentCount,
                      l->maxColorAttachments);
   }
   case VL_CMD_vkCmdSetColorBlendAdvancedEXT: {
      const struct vl_args_vkCmdSetColorBlendAdvancedEXT *a = args;
      return index_ok(x, "color attachments", a->firstAttachment, a->attachmentCount,
                      l->maxColorAttachments);
   }
   case VL_CMD_vkCmdSetSampleMaskEXT:
      /* the host reads the mask's first word whatever the sample count */
      return samples_ok(x, "a sample count",
                        ((const struct vl_args_vkCmdSetSampleMaskEXT *)args)->samples);
   case VL_CMD_vkCmdSetRasterizationSamplesEXT:
      return samples_ok(
         x, "rasterizationSamples",
         ((const struct vl_args_vkCmdSetRasterizationSamplesEXT *)args)->rasterizationSamples);
   case VL_CMD_vkCmdDispatch: {
      const struct vl_args_vkCmdDispatch *a = args;
      return index_ok(x, "work groups (x)", 0, a->groupCountX, l->maxComputeWorkGroupCount[0]) &&
             index_ok(x, "work groups (y)", 0, a->groupCountY, l->maxComputeWorkGroupCount[1]) &&
             index_ok(x, "work groups (z)", 0, a->groupCountZ, l->maxComputeWorkGroupCount[2]);
   }
   case VL_CMD_vkCmdDispatchBase: {
      const struct vl_args_vkCmdDispatchBase *a = args;
      return index_ok(x, "work groups (x)", a->baseGroupX, a->groupCountX,
                      l->maxComputeWorkGroupCount[0]) &&
             index_ok(x, "work groups (y)", a->baseGroupY, a->groupCountY,
                      l->maxComputeWorkGroupCount[1]) &&
             index_ok(x, "work groups (z)", a->baseGroupZ, a->groupCountZ,
                      l->maxComputeWorkGroupCount[2]);
   }
   default:
      return true;
   }
}

/* ---- render areas ------------------------------------------------------------------- */

/* obj->data of a VK_OBJECT_TYPE_IMAGE_VIEW of an image made by vkCreateImage:
 * the size of the mip level it starts at, and its layers. */
struct vlr_view {
   uint32_t width, height, layers;
};

/* obj->data of a VK_OBJECT_TYPE_FRAMEBUFFER */
struct vlr_framebuffer {
   uint32_t width, height, layers;
};

/* obj->data of a VK_OBJECT_TYPE_RENDER_PASS with multiview: the layers its
 * attachments need (the highest view index + 1). */
struct vlr_render_pass {
   uint32_t view_layers;
};

static uint32_t
mask_layers(uint32_t mask)
{
   uint32_t n = 0;
   for (; mask; mask >>= 1)
      n++;
   return n;
}

static uint32_t
render_pass_layers(struct vlr_exec *x, VkRenderPass pass)
{
   const struct vlr_render_pass *rp =
      data_of(x, VK_OBJECT_TYPE_RENDER_PASS, (uint64_t)(uintptr_t)pass);
   return rp ? rp->view_layers : 0;
}

static uint32_t
max_u32(uint32_t a, uint32_t b)
{
   return a > b ? a : b;
}

static const struct vlr_view *
view_of(struct vlr_exec *x, VkImageView view)
{
   return data_of(x, VK_OBJECT_TYPE_IMAGE_VIEW, (uint64_t)(uintptr_t)view);
}

/* A host driver clears and stores the render area without clamping it to
 * the attachments (lavapipe writes past the image). */
static bool
area_inside(struct vlr_exec *x, const char *what, const VkRect2D *area, uint32_t width,
            uint32_t height)
{
   if (area->offset.x >= 0 && area->offset.y >= 0 &&
       (uint64_t)area->offset.x + area->extent.width <= width &&
       (uint64_t)area->offset.y + area->extent.height <= height)
      return true;
   vlr_exec_failf(x, "the render area (%d, %d) %ux%u leaves the %s's %ux%u", area->offset.x,
                  area->offset.y, area->extent.width, area->extent.height, what, width, height);
   return false;
}

static bool
view_covers(struct vlr_exec *x, const char *what, VkImageView handle, uint32_t width,
            uint32_t height, uint32_t layers)
{
   const struct vlr_view *v = view_of(x, handle);
   if (!v || (v->width >= width && v->height >= height && v->layers >= layers))
      return true;
   vlr_exec_failf(x, "the %s (%ux%u, %u layers) is smaller than the %ux%u, %u layers it must cover",
                  what, v->width, v->height, v->layers, width, height, layers);
   return false;
}

static bool
framebuffer_ok(struct vlr_exec *x, const VkFramebufferCreateInfo *info)
{
   if (info->flags & VK_FRAMEBUFFER_CREATE_IMAGELESS_BIT)
      return true; /* the views come with vkCmdBeginRenderPass */
   const uint32_t layers = max_u32(info->layers, render_pass_layers(x, info->renderPass));
   for (uint32_t i = 0; info->pAttachments && i < info->attachmentCount; i++) {
      if (!view_covers(x, "framebuffer attachment", info->pAttachments[i], info->width,
                       info->height, layers))
         return false;
   }
   return true;
}

static bool
render_pass_begin_ok(struct vlr_exec *x, const VkRenderPassBeginInfo *info)
{
   const struct vlr_framebuffer *fb =
      data_of(x, VK_OBJECT_TYPE_FRAMEBUFFER, (uint64_t)(uintptr_t)info->framebuffer);
   if (!fb)
      return true;
   if (!area_inside(x, "framebuffer", &info->renderArea, fb->width, fb->height))
      return false;
   for (const VkBaseInStructure *p = info->pNext; p; p = p->pNext) {
      if (p->sType != VK_STRUCTURE_TYPE_RENDER_PASS_ATTACHMENT_BEGIN_INFO)
         continue;
      const VkRenderPassAttachmentBeginInfo *a = (const VkRenderPassAttachmentBeginInfo *)p;
      const uint32_t layers = max_u32(fb->layers, render_pass_layers(x, info->renderPass));
      for (uint32_t i = 0; a->pAttachments && i < a->attachmentCount; i++) {
         if (!view_covers(x, "framebuffer attachment", a->pAttachments[i], fb->width, fb->height,
                          layers))
            return false;
      }
   }
   return true;
}

static bool
rendering_attachment_ok(struct vlr_exec *x, const VkRenderingInfo *info, uint32_t layers,
                        const VkRenderingAttachmentInfo *a)
{
   const VkRect2D *r = &info->renderArea;
   const uint64_t w = (uint64_t)r->offset.x + r->extent.width;
   const uint64_t h = (uint64_t)r->offset.y + r->extent.height;
   if (!a || w > UINT32_MAX || h > UINT32_MAX)
      return true; /* the area's own check reports it */
   return view_covers(x, "attachment", a->imageView, (uint32_t)w, (uint32_t)h, layers) &&
          view_covers(x, "resolve attachment", a->resolveImageView, (uint32_t)w, (uint32_t)h,
                      layers);
}

static bool
rendering_ok(struct vlr_exec *x, const VkRenderingInfo *info)
{
   const VkRect2D *r = &info->renderArea;
   if (r->offset.x < 0 || r->offset.y < 0 || (uint64_t)r->offset.x + r->extent.width > UINT32_MAX ||
       (uint64_t)r->offset.y + r->extent.height > UINT32_MAX) {
      vlr_exec_failf(x, "the render area (%d, %d) %ux%u is outside any image", r->offset.x,
                     r->offset.y, r->extent.width, r->extent.height);
      return false;
   }
   /* with multiview, the highest view is the last layer drawn */
   const uint32_t layers = info->viewMask ? mask_layers(info->viewMask) : info->layerCount;
   for (uint32_t i = 0; info->pColorAttachments && i < info->colorAttachmentCount; i++) {
      if (!rendering_attachment_ok(x, info, layers, &info->pColorAttachments[i]))
         return false;
   }
   return rendering_attachment_ok(x, info, layers, info->pDepthAttachment) &&
          rendering_attachment_ok(x, info, layers, info->pStencilAttachment);
}

/* vkGetSemaphoreCounterValue, vkWaitSemaphores and vkSignalSemaphore take
 * timeline semaphores only: lavapipe calls a NULL function for a binary one. */
static bool
timeline_ok(struct vlr_exec *x, const char *cmd, VkSemaphore handle)
{
   const struct vl_object *obj =
      handle ? vl_object_table_lookup_host(&x->ctx->objects, VK_OBJECT_TYPE_SEMAPHORE,
                                           (uint64_t)(uintptr_t)handle)
             : NULL;
   if (vlr_inflight_timeline(obj))
      return true;
   vlr_exec_failf(x, "%s of a binary semaphore (timeline semaphores only)", cmd);
   return false;
}

/* A vertex stream of a query: lavapipe indexes its table of streams with it. */
static bool
stream_ok(struct vlr_exec *x, const struct vl_object *owner, uint32_t index)
{
   const struct vlr_device *dev = device_of(owner);
   const uint32_t streams = dev && dev->xfb_streams ? dev->xfb_streams : 1;
   if (index < streams)
      return true;
   vlr_exec_failf(x, "vertex stream %u; the device has %u", index, streams);
   return false;
}

/* Transform feedback buffers [first, first + count): its table of them. */
static bool
xfb_buffers_ok(struct vlr_exec *x, const struct vl_object *owner, uint32_t first, uint32_t count)
{
   const struct vlr_device *dev = device_of(owner);
   return index_ok(x, "transform feedback buffers", first, count, dev ? dev->xfb_buffers : 0);
}

/* The counter buffers of vkCmdBegin/EndTransformFeedbackEXT: their slots,
 * and the 4 bytes the host reads or writes in each. */
static bool
xfb_counters_ok(struct vlr_exec *x, const struct vl_object *owner, uint32_t first, uint32_t count,
                const VkBuffer *buffers, const VkDeviceSize *offsets)
{
   if (!xfb_buffers_ok(x, owner, first, count))
      return false;
   for (uint32_t i = 0; buffers && i < count; i++) {
      if (buffers[i] &&
          !check(x, "counter", buffers[i], offsets ? offsets[i] : 0, 1, 0, sizeof(uint32_t)))
         return false;
   }
   return true;
}

/* lavapipe translates a sampler's enums through tables and jump tables:
 * a value no Vulkan version defines made it jump into data (the fuzzer's
 * borderColor 65536). */
static bool
sampler_ok(struct vlr_exec *x, const VkSamplerCreateInfo *info)
{
   const VkSamplerAddressMode modes[3] = { info->addressModeU, info->addressModeV,
                                           info->addressModeW };
   bool ok = (unsigned)info->magFilter <= VK_FILTER_LINEAR &&
             (unsigned)info->minFilter <= VK_FILTER_LINEAR &&
             (unsigned)info->mipmapMode <= VK_SAMPLER_MIPMAP_MODE_LINEAR &&
             (unsigned)info->compareOp <= VK_COMPARE_OP_ALWAYS &&
             ((unsigned)info->borderColor <= VK_BORDER_COLOR_INT_OPAQUE_WHITE ||
              info->borderColor == VK_BORDER_COLOR_FLOAT_CUSTOM_EXT ||
              info->borderColor == VK_BORDER_COLOR_INT_CUSTOM_EXT);
   for (int i = 0; i < 3; i++)
      ok &= (unsigned)modes[i] <= VK_SAMPLER_ADDRESS_MODE_MIRROR_CLAMP_TO_EDGE;
   if (ok)
      return true;
   vlr_exec_failf(x,
                  "a sampler with values Vulkan does not define (filters %d/%d, mipmap mode %d, "
                  "address modes %d/%d/%d, compare op %d, border color %d)",
                  (int)info->magFilter, (int)info->minFilter, (int)info->mipmapMode, (int)modes[0],
                  (int)modes[1], (int)modes[2], (int)info->compareOp, (int)info->borderColor);
   return false;
}

static void
free_destroyed_data(struct vlr_exec *x)
{
   if (x->destroyed) {
      free(x->destroyed->data);
      x->destroyed->data = NULL;
   }
}

bool
vlr_bounds_before(struct vlr_exec *x, int32_t id, const struct vl_object *owner, const void *args)
{
   if (!limits_before(x, id, owner, args))
      return false;
   switch (id) {
   case VL_CMD_vkDestroyImage:
   case VL_CMD_vkDestroyImageView:
   case VL_CMD_vkDestroyFramebuffer:
   case VL_CMD_vkDestroyRenderPass:
   case VL_CMD_vkDestroyDescriptorSetLayout:
   case VL_CMD_vkDestroyQueryPool:
      free_destroyed_data(x);
      return true;
   case VL_CMD_vkCreateSampler:
      return sampler_ok(x, ((const struct vl_args_vkCreateSampler *)args)->pCreateInfo);
   case VL_CMD_vkCreateQueryPool:
      return query_pool_ok(x, ((const struct vl_args_vkCreateQueryPool *)args)->pCreateInfo);
   case VL_CMD_vkGetSemaphoreCounterValue:
      return timeline_ok(x, "vkGetSemaphoreCounterValue",
                         ((const struct vl_args_vkGetSemaphoreCounterValue *)args)->semaphore);
   case VL_CMD_vkSignalSemaphore: {
      const VkSemaphoreSignalInfo *info =
         ((const struct vl_args_vkSignalSemaphore *)args)->pSignalInfo;
      return timeline_ok(x, "vkSignalSemaphore", info->semaphore) &&
             vlr_inflight_host_signal_ok(x, info);
   }
   case VL_CMD_vkWaitSemaphores: {
      const VkSemaphoreWaitInfo *info = ((const struct vl_args_vkWaitSemaphores *)args)->pWaitInfo;
      for (uint32_t i = 0; info->pSemaphores && i < info->semaphoreCount; i++) {
         if (!timeline_ok(x, "vkWaitSemaphores", info->pSemaphores[i]))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCreateFramebuffer:
      return framebuffer_ok(x, ((const struct vl_args_vkCreateFramebuffer *)args)->pCreateInfo);
   case VL_CMD_vkCmdBeginRendering:
      return rendering_ok(x, ((const struct vl_args_vkCmdBeginRendering *)args)->pRenderingInfo);
   case VL_CMD_vkCmdBeginRenderPass:
      return render_pass_begin_ok(
         x, ((const struct vl_args_vkCmdBeginRenderPass *)args)->pRenderPassBegin);
   case VL_CMD_vkCmdBeginRenderPass2:
      return render_pass_begin_ok(
         x, ((const struct vl_args_vkCmdBeginRenderPass2 *)args)->pRenderPassBegin);
   case VL_CMD_vkBindImageMemory: {
      const struct vl_args_vkBindImageMemory *a = args;
      return check_image_bind(x, a->owner, a->image, a->memory, a->memoryOffset, false);
   }
   case VL_CMD_vkBindImageMemory2: {
      const struct vl_args_vkBindImageMemory2 *a = args;
      for (uint32_t i = 0; i < a->bindInfoCount; i++) {
         const VkBindImageMemoryInfo *b = &a->pBindInfos[i];
         bool plane = false;
         for (const VkBaseInStructure *p = b->pNext; p; p = p->pNext)
            plane |= p->sType == VK_STRUCTURE_TYPE_BIND_IMAGE_PLANE_MEMORY_INFO;
         if (!check_image_bind(x, a->owner, b->image, b->memory, b->memoryOffset, plane))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCreateImageView: {
      const VkImageViewCreateInfo *info =
         ((const struct vl_args_vkCreateImageView *)args)->pCreateInfo;
      const struct vlr_image *img = image_of(x, info->image);
      return !img || range_inside(x, "view's", img, &info->subresourceRange);
   }
   case VL_CMD_vkCmdCopyBufferToImage: {
      const struct vl_args_vkCmdCopyBufferToImage *a = args;
      for (uint32_t i = 0; i < a->regionCount; i++) {
         const VkBufferImageCopy2 r = buffer_image_copy2(&a->pRegions[i]);
         if (!check_buffer_image(x, "destination", a->dstImage, a->srcBuffer, &r))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdCopyImageToBuffer: {
      const struct vl_args_vkCmdCopyImageToBuffer *a = args;
      for (uint32_t i = 0; i < a->regionCount; i++) {
         const VkBufferImageCopy2 r = buffer_image_copy2(&a->pRegions[i]);
         if (!check_buffer_image(x, "source", a->srcImage, a->dstBuffer, &r))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdCopyBufferToImage2: {
      const VkCopyBufferToImageInfo2 *info =
         ((const struct vl_args_vkCmdCopyBufferToImage2 *)args)->pCopyBufferToImageInfo;
      for (uint32_t i = 0; i < info->regionCount; i++) {
         if (!check_buffer_image(x, "destination", info->dstImage, info->srcBuffer,
                                 &info->pRegions[i]))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdCopyImageToBuffer2: {
      const VkCopyImageToBufferInfo2 *info =
         ((const struct vl_args_vkCmdCopyImageToBuffer2 *)args)->pCopyImageToBufferInfo;
      for (uint32_t i = 0; i < info->regionCount; i++) {
         if (!check_buffer_image(x, "source", info->srcImage, info->dstBuffer, &info->pRegions[i]))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdCopyImage: {
      const struct vl_args_vkCmdCopyImage *a = args;
      for (uint32_t i = 0; i < a->regionCount; i++) {
         const VkImageCopy *r = &a->pRegions[i];
         if (!check_region(x, "source", a->srcImage, &r->srcSubresource, r->srcOffset, r->extent) ||
             !check_region(x, "destination", a->dstImage, &r->dstSubresource, r->dstOffset,
                           r->extent))
            return false;
         for (uint32_t j = 0; a->srcImage == a->dstImage && j < a->regionCount; j++) {
            const VkImageCopy *q = &a->pRegions[j];
            if (boxes_meet(&r->srcSubresource, r->srcOffset, r->extent, &q->dstSubresource,
                           q->dstOffset, q->extent)) {
               vlr_exec_fail(x, "a copy within one image whose source and destination overlap");
               return false;
            }
         }
      }
      return true;
   }
   case VL_CMD_vkCmdCopyImage2: {
      const VkCopyImageInfo2 *info = ((const struct vl_args_vkCmdCopyImage2 *)args)->pCopyImageInfo;
      for (uint32_t i = 0; i < info->regionCount; i++) {
         const VkImageCopy2 *r = &info->pRegions[i];
         if (!check_region(x, "source", info->srcImage, &r->srcSubresource, r->srcOffset,
                           r->extent) ||
             !check_region(x, "destination", info->dstImage, &r->dstSubresource, r->dstOffset,
                           r->extent))
            return false;
         for (uint32_t j = 0; info->srcImage == info->dstImage && j < info->regionCount; j++) {
            const VkImageCopy2 *q = &info->pRegions[j];
            if (boxes_meet(&r->srcSubresource, r->srcOffset, r->extent, &q->dstSubresource,
                           q->dstOffset, q->extent)) {
               vlr_exec_fail(x, "a copy within one image whose source and destination overlap");
               return false;
            }
         }
      }
      return true;
   }
   case VL_CMD_vkCmdResolveImage: {
      const struct vl_args_vkCmdResolveImage *a = args;
      for (uint32_t i = 0; i < a->regionCount; i++) {
         const VkImageResolve *r = &a->pRegions[i];
         if (!check_region(x, "source", a->srcImage, &r->srcSubresource, r->srcOffset, r->extent) ||
             !check_region(x, "destination", a->dstImage, &r->dstSubresource, r->dstOffset,
                           r->extent))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdResolveImage2: {
      const VkResolveImageInfo2 *info =
         ((const struct vl_args_vkCmdResolveImage2 *)args)->pResolveImageInfo;
      for (uint32_t i = 0; i < info->regionCount; i++) {
         const VkImageResolve2 *r = &info->pRegions[i];
         if (!check_region(x, "source", info->srcImage, &r->srcSubresource, r->srcOffset,
                           r->extent) ||
             !check_region(x, "destination", info->dstImage, &r->dstSubresource, r->dstOffset,
                           r->extent))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdBlitImage: {
      const struct vl_args_vkCmdBlitImage *a = args;
      for (uint32_t i = 0; i < a->regionCount; i++) {
         const VkImageBlit *r = &a->pRegions[i];
         if (!check_corners(x, "source", a->srcImage, &r->srcSubresource, r->srcOffsets) ||
             !check_corners(x, "destination", a->dstImage, &r->dstSubresource, r->dstOffsets))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdBlitImage2: {
      const VkBlitImageInfo2 *info = ((const struct vl_args_vkCmdBlitImage2 *)args)->pBlitImageInfo;
      for (uint32_t i = 0; i < info->regionCount; i++) {
         const VkImageBlit2 *r = &info->pRegions[i];
         if (!check_corners(x, "source", info->srcImage, &r->srcSubresource, r->srcOffsets) ||
             !check_corners(x, "destination", info->dstImage, &r->dstSubresource, r->dstOffsets))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdClearColorImage: {
      const struct vl_args_vkCmdClearColorImage *a = args;
      for (uint32_t i = 0; i < a->rangeCount; i++) {
         if (!check_range(x, "cleared", a->image, &a->pRanges[i]))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdClearDepthStencilImage: {
      const struct vl_args_vkCmdClearDepthStencilImage *a = args;
      for (uint32_t i = 0; i < a->rangeCount; i++) {
         if (!check_range(x, "cleared", a->image, &a->pRanges[i]))
            return false;
      }
      return true;
   }
   case VL_CMD_vkUpdateDescriptorSets: {
      const struct vl_args_vkUpdateDescriptorSets *a = args;
      for (uint32_t i = 0; a->pDescriptorWrites && i < a->descriptorWriteCount; i++) {
         const VkWriteDescriptorSet *w = &a->pDescriptorWrites[i];
         if (!set_range_ok(x, "written", w->dstSet, w->dstBinding, w->dstArrayElement,
                           w->descriptorCount))
            return false;
      }
      for (uint32_t i = 0; a->pDescriptorCopies && i < a->descriptorCopyCount; i++) {
         const VkCopyDescriptorSet *c = &a->pDescriptorCopies[i];
         if (!set_range_ok(x, "copied", c->srcSet, c->srcBinding, c->srcArrayElement,
                           c->descriptorCount) ||
             !set_range_ok(x, "copied-to", c->dstSet, c->dstBinding, c->dstArrayElement,
                           c->descriptorCount))
            return false;
      }
      return descriptor_writes_ok(x, a->descriptorWriteCount, a->pDescriptorWrites);
   }
   case VL_CMD_vkCmdPushDescriptorSetKHR: {
      const struct vl_args_vkCmdPushDescriptorSetKHR *a = args;
      return descriptor_writes_ok(x, a->descriptorWriteCount, a->pDescriptorWrites);
   }
   case VL_CMD_vkCreateBufferView: {
      const VkBufferViewCreateInfo *info =
         ((const struct vl_args_vkCreateBufferView *)args)->pCreateInfo;
      return check(x, "viewed", info->buffer, info->offset, 1, 0,
                   info->range == VK_WHOLE_SIZE ? 0 : info->range);
   }
   case VL_CMD_vkDestroyBuffer:
      free_destroyed_data(x);
      return true;
   case VL_CMD_vkBindBufferMemory: {
      const struct vl_args_vkBindBufferMemory *a = args;
      return check_bind(x, a->buffer, a->memory, a->memoryOffset);
   }
   case VL_CMD_vkBindBufferMemory2: {
      const struct vl_args_vkBindBufferMemory2 *a = args;
      for (uint32_t i = 0; i < a->bindInfoCount; i++) {
         const VkBindBufferMemoryInfo *b = &a->pBindInfos[i];
         if (!check_bind(x, b->buffer, b->memory, b->memoryOffset))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdUpdateBuffer: {
      const struct vl_args_vkCmdUpdateBuffer *a = args;
      return check(x, "destination", a->dstBuffer, a->dstOffset, 1, 0, a->dataSize);
   }
   case VL_CMD_vkCmdFillBuffer: {
      const struct vl_args_vkCmdFillBuffer *a = args;
      return check(x, "destination", a->dstBuffer, a->dstOffset, 1, 0,
                   a->size == VK_WHOLE_SIZE ? 0 : a->size);
   }
   case VL_CMD_vkCmdCopyBuffer: {
      const struct vl_args_vkCmdCopyBuffer *a = args;
      for (uint32_t i = 0; i < a->regionCount; i++) {
         const VkBufferCopy *r = &a->pRegions[i];
         if (!check(x, "source", a->srcBuffer, r->srcOffset, 1, 0, r->size) ||
             !check(x, "destination", a->dstBuffer, r->dstOffset, 1, 0, r->size))
            return false;
      }
      return a->srcBuffer != a->dstBuffer || !a->regionCount ||
             copy_within_ok(x, a->regionCount, &a->pRegions[0].srcOffset, &a->pRegions[0].dstOffset,
                            &a->pRegions[0].size, sizeof(VkBufferCopy));
   }
   case VL_CMD_vkCmdCopyBuffer2: {
      const VkCopyBufferInfo2 *info =
         ((const struct vl_args_vkCmdCopyBuffer2 *)args)->pCopyBufferInfo;
      for (uint32_t i = 0; i < info->regionCount; i++) {
         const VkBufferCopy2 *r = &info->pRegions[i];
         if (!check(x, "source", info->srcBuffer, r->srcOffset, 1, 0, r->size) ||
             !check(x, "destination", info->dstBuffer, r->dstOffset, 1, 0, r->size))
            return false;
      }
      return info->srcBuffer != info->dstBuffer || !info->regionCount ||
             copy_within_ok(x, info->regionCount, &info->pRegions[0].srcOffset,
                            &info->pRegions[0].dstOffset, &info->pRegions[0].size,
                            sizeof(VkBufferCopy2));
   }
   case VL_CMD_vkCmdDrawIndirect: {
      const struct vl_args_vkCmdDrawIndirect *a = args;
      return check(x, "indirect", a->buffer, a->offset, a->drawCount, a->stride,
                   sizeof(VkDrawIndirectCommand));
   }
   case VL_CMD_vkCmdDrawIndexedIndirect: {
      const struct vl_args_vkCmdDrawIndexedIndirect *a = args;
      return check(x, "indirect", a->buffer, a->offset, a->drawCount, a->stride,
                   sizeof(VkDrawIndexedIndirectCommand));
   }
   case VL_CMD_vkCmdDrawIndirectCount: {
      const struct vl_args_vkCmdDrawIndirectCount *a = args;
      return check(x, "indirect", a->buffer, a->offset, a->maxDrawCount, a->stride,
                   sizeof(VkDrawIndirectCommand)) &&
             check(x, "count", a->countBuffer, a->countBufferOffset, 1, 0, sizeof(uint32_t));
   }
   case VL_CMD_vkCmdDrawIndexedIndirectCount: {
      const struct vl_args_vkCmdDrawIndexedIndirectCount *a = args;
      return check(x, "indirect", a->buffer, a->offset, a->maxDrawCount, a->stride,
                   sizeof(VkDrawIndexedIndirectCommand)) &&
             check(x, "count", a->countBuffer, a->countBufferOffset, 1, 0, sizeof(uint32_t));
   }
   case VL_CMD_vkCmdDispatchIndirect: {
      const struct vl_args_vkCmdDispatchIndirect *a = args;
      return check(x, "indirect", a->buffer, a->offset, 1, 0, sizeof(VkDispatchIndirectCommand));
   }
   case VL_CMD_vkCmdCopyQueryPoolResults: {
      const struct vl_args_vkCmdCopyQueryPoolResults *a = args;
      const struct vlr_query_pool *p = queries(x, a->queryPool, a->firstQuery, a->queryCount);
      return p && check(x, "destination", a->dstBuffer, a->dstOffset, a->queryCount, a->stride,
                        result_size(p, a->flags));
   }
   case VL_CMD_vkGetImageSubresourceLayout: {
      /* lavapipe reads its per-level tables at the level given */
      const struct vl_args_vkGetImageSubresourceLayout *a = args;
      const struct vlr_image *img = image_of(x, a->image);
      const VkImageSubresource *sub = a->pSubresource;
      if (!img || (sub->mipLevel < img->mips && sub->arrayLayer < img->layers))
         return true;
      vlr_exec_failf(x, "mip level %u, layer %u: the image has %u mip levels and %u layers",
                     sub->mipLevel, sub->arrayLayer, img->mips, img->layers);
      return false;
   }
   case VL_CMD_vkGetQueryPoolResults: {
      const struct vl_args_vkGetQueryPoolResults *a = args;
      const struct vlr_query_pool *p = queries(x, a->queryPool, a->firstQuery, a->queryCount);
      if (!p)
         return false;
      const VkDeviceSize size = result_size(p, a->flags);
      if (span_inside(a->dataSize, 0, a->queryCount, a->stride, size))
         return true;
      vlr_exec_failf(
         x, "%u results of %" PRIu64 " bytes, stride %" PRIu64 ", leave the %zu bytes of pData",
         a->queryCount, size, a->stride, a->dataSize);
      return false;
   }
   case VL_CMD_vkResetQueryPool: {
      const struct vl_args_vkResetQueryPool *a = args;
      return queries(x, a->queryPool, a->firstQuery, a->queryCount) != NULL;
   }
   case VL_CMD_vkCmdResetQueryPool: {
      const struct vl_args_vkCmdResetQueryPool *a = args;
      return queries(x, a->queryPool, a->firstQuery, a->queryCount) != NULL;
   }
   case VL_CMD_vkCmdBeginQuery: {
      const struct vl_args_vkCmdBeginQuery *a = args;
      return queries(x, a->queryPool, a->query, 1) != NULL;
   }
   case VL_CMD_vkCmdEndQuery: {
      const struct vl_args_vkCmdEndQuery *a = args;
      return queries(x, a->queryPool, a->query, 1) != NULL;
   }
   case VL_CMD_vkCmdWriteTimestamp: {
      const struct vl_args_vkCmdWriteTimestamp *a = args;
      return queries(x, a->queryPool, a->query, 1) != NULL;
   }
   case VL_CMD_vkCmdWriteTimestamp2: {
      const struct vl_args_vkCmdWriteTimestamp2 *a = args;
      return queries(x, a->queryPool, a->query, 1) != NULL;
   }
   case VL_CMD_vkCmdBeginQueryIndexedEXT: {
      const struct vl_args_vkCmdBeginQueryIndexedEXT *a = args;
      return queries(x, a->queryPool, a->query, 1) && stream_ok(x, owner, a->index);
   }
   case VL_CMD_vkCmdEndQueryIndexedEXT: {
      const struct vl_args_vkCmdEndQueryIndexedEXT *a = args;
      return queries(x, a->queryPool, a->query, 1) && stream_ok(x, owner, a->index);
   }
   case VL_CMD_vkCmdBindTransformFeedbackBuffersEXT: {
      const struct vl_args_vkCmdBindTransformFeedbackBuffersEXT *a = args;
      if (!xfb_buffers_ok(x, owner, a->firstBinding, a->bindingCount))
         return false;
      for (uint32_t i = 0; a->pBuffers && i < a->bindingCount; i++) {
         const VkDeviceSize size =
            a->pSizes && a->pSizes[i] != VK_WHOLE_SIZE ? a->pSizes[i] : (VkDeviceSize)0;
         if (!check(x, "transform feedback", a->pBuffers[i], a->pOffsets[i], 1, 0, size))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdBeginTransformFeedbackEXT: {
      const struct vl_args_vkCmdBeginTransformFeedbackEXT *a = args;
      return xfb_counters_ok(x, owner, a->firstCounterBuffer, a->counterBufferCount,
                             a->pCounterBuffers, a->pCounterBufferOffsets);
   }
   case VL_CMD_vkCmdEndTransformFeedbackEXT: {
      const struct vl_args_vkCmdEndTransformFeedbackEXT *a = args;
      return xfb_counters_ok(x, owner, a->firstCounterBuffer, a->counterBufferCount,
                             a->pCounterBuffers, a->pCounterBufferOffsets);
   }
   case VL_CMD_vkCmdSetRasterizationStreamEXT:
      return stream_ok(
         x, owner,
         ((const struct vl_args_vkCmdSetRasterizationStreamEXT *)args)->rasterizationStream);
   case VL_CMD_vkCmdBeginConditionalRenderingEXT: {
      const VkConditionalRenderingBeginInfoEXT *info =
         ((const struct vl_args_vkCmdBeginConditionalRenderingEXT *)args)
            ->pConditionalRenderingBegin;
      return check(x, "condition", info->buffer, info->offset, 1, 0, sizeof(uint32_t));
   }
   case VL_CMD_vkCmdDrawIndirectByteCountEXT: {
      const struct vl_args_vkCmdDrawIndirectByteCountEXT *a = args;
      if (!a->vertexStride) {
         vlr_exec_fail(x, "a vertex stride of 0 (the byte count is divided by it)");
         return false;
      }
      return check(x, "counter", a->counterBuffer, a->counterBufferOffset, 1, 0, sizeof(uint32_t));
   }
   case VL_CMD_vkCmdBindIndexBuffer: {
      const struct vl_args_vkCmdBindIndexBuffer *a = args;
      return check(x, "index", a->buffer, a->offset, 1, 0, 1);
   }
   case VL_CMD_vkCmdBindVertexBuffers: {
      const struct vl_args_vkCmdBindVertexBuffers *a = args;
      for (uint32_t i = 0; i < a->bindingCount; i++) {
         if (a->pBuffers[i] && !check(x, "vertex", a->pBuffers[i], a->pOffsets[i], 1, 0, 1))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdBindVertexBuffers2: {
      const struct vl_args_vkCmdBindVertexBuffers2 *a = args;
      for (uint32_t i = 0; i < a->bindingCount; i++) {
         const VkDeviceSize size =
            a->pSizes && a->pSizes[i] != VK_WHOLE_SIZE ? a->pSizes[i] : (VkDeviceSize)1;
         if (a->pBuffers[i] && !check(x, "vertex", a->pBuffers[i], a->pOffsets[i], 1, 0, size))
            return false;
      }
      return true;
   }
   default:
      return true;
   }
}

void
vlr_bounds_after(struct vlr_exec *x, int32_t id, const void *args)
{
   switch (id) {
   case VL_CMD_vkCreateImage: {
      const struct vl_args_vkCreateImage *a = args;
      if (a->ret != VK_SUCCESS)
         return;
      struct vlr_image *img = attach(x, (uint64_t)(uintptr_t)*a->pImage, sizeof(*img), "image");
      if (!img)
         return;
      const VkImageCreateInfo *info = a->pCreateInfo;
      img->type = info->imageType;
      img->format = info->format;
      img->extent = info->extent;
      img->mips = info->mipLevels;
      img->layers = info->arrayLayers;
      img->sparse = info->flags & VK_IMAGE_CREATE_SPARSE_BINDING_BIT;
      return;
   }
   case VL_CMD_vkCreateImageView: {
      const struct vl_args_vkCreateImageView *a = args;
      if (a->ret != VK_SUCCESS)
         return;
      const VkImageViewCreateInfo *info = a->pCreateInfo;
      const struct vlr_image *img = image_of(x, info->image);
      if (!img)
         return; /* a swapchain's image: the host made it, it knows its size */
      struct vlr_view *v = attach(x, (uint64_t)(uintptr_t)*a->pView, sizeof(*v), "view");
      if (!v)
         return;
      const uint32_t mip = info->subresourceRange.baseMipLevel;
      const uint32_t shift = mip < 32 ? mip : 31;
      v->width = img->extent.width >> shift ? img->extent.width >> shift : 1;
      v->height = img->extent.height >> shift ? img->extent.height >> shift : 1;
      /* a 2D view of a 3D image has its depth slices as layers */
      const uint32_t depth = img->extent.depth >> shift ? img->extent.depth >> shift : 1;
      const uint32_t all = img->type == VK_IMAGE_TYPE_3D ? depth : img->layers;
      const uint32_t base = info->subresourceRange.baseArrayLayer;
      v->layers = info->subresourceRange.layerCount == VK_REMAINING_ARRAY_LAYERS
                     ? (all > base ? all - base : 0)
                     : info->subresourceRange.layerCount;
      return;
   }
   case VL_CMD_vkCreateDescriptorSetLayout: {
      const struct vl_args_vkCreateDescriptorSetLayout *a = args;
      if (a->ret != VK_SUCCESS)
         return;
      const VkDescriptorSetLayoutCreateInfo *info = a->pCreateInfo;
      const uint32_t n = info->pBindings ? info->bindingCount : 0;
      struct vlr_set_layout *l = attach(x, (uint64_t)(uintptr_t)*a->pSetLayout,
                                        sizeof(*l) + n * sizeof(l->b[0]), "descriptor set layout");
      if (!l)
         return;
      l->count = n;
      for (uint32_t i = 0; i < n; i++) {
         l->b[i].binding = info->pBindings[i].binding;
         l->b[i].descriptors = info->pBindings[i].descriptorCount;
      }
      qsort(l->b, n, sizeof(l->b[0]), by_binding);
      return;
   }
   case VL_CMD_vkCreateRenderPass:
   case VL_CMD_vkCreateRenderPass2: {
      uint32_t view_layers = 0;
      VkRenderPass pass;
      if (id == VL_CMD_vkCreateRenderPass) {
         const struct vl_args_vkCreateRenderPass *a = args;
         if (a->ret != VK_SUCCESS)
            return;
         pass = *a->pRenderPass;
         for (const VkBaseInStructure *p = a->pCreateInfo->pNext; p; p = p->pNext) {
            if (p->sType != VK_STRUCTURE_TYPE_RENDER_PASS_MULTIVIEW_CREATE_INFO)
               continue;
            const VkRenderPassMultiviewCreateInfo *m = (const VkRenderPassMultiviewCreateInfo *)p;
            for (uint32_t i = 0; m->pViewMasks && i < m->subpassCount; i++)
               view_layers = max_u32(view_layers, mask_layers(m->pViewMasks[i]));
         }
      } else {
         const struct vl_args_vkCreateRenderPass2 *a = args;
         if (a->ret != VK_SUCCESS)
            return;
         pass = *a->pRenderPass;
         for (uint32_t i = 0; i < a->pCreateInfo->subpassCount; i++)
            view_layers = max_u32(view_layers, mask_layers(a->pCreateInfo->pSubpasses[i].viewMask));
      }
      if (!view_layers)
         return;
      struct vlr_render_pass *rp = attach(x, (uint64_t)(uintptr_t)pass, sizeof(*rp), "render pass");
      if (rp)
         rp->view_layers = view_layers;
      return;
   }
   case VL_CMD_vkCreateFramebuffer: {
      const struct vl_args_vkCreateFramebuffer *a = args;
      if (a->ret != VK_SUCCESS)
         return;
      struct vlr_framebuffer *fb =
         attach(x, (uint64_t)(uintptr_t)*a->pFramebuffer, sizeof(*fb), "framebuffer");
      if (!fb)
         return;
      fb->width = a->pCreateInfo->width;
      fb->height = a->pCreateInfo->height;
      fb->layers = a->pCreateInfo->layers;
      return;
   }
   case VL_CMD_vkBindImageMemory: {
      const struct vl_args_vkBindImageMemory *a = args;
      if (a->ret == VK_SUCCESS)
         mark_image_bound(x, a->image);
      return;
   }
   case VL_CMD_vkBindImageMemory2: {
      const struct vl_args_vkBindImageMemory2 *a = args;
      if (a->ret == VK_SUCCESS)
         for (uint32_t i = 0; i < a->bindInfoCount; i++)
            mark_image_bound(x, a->pBindInfos[i].image);
      return;
   }
   case VL_CMD_vkCreateQueryPool: {
      const struct vl_args_vkCreateQueryPool *a = args;
      uint32_t values;
      if (a->ret != VK_SUCCESS || !query_values(a->pCreateInfo, &values))
         return;
      struct vlr_query_pool *p =
         attach(x, (uint64_t)(uintptr_t)*a->pQueryPool, sizeof(*p), "query pool");
      if (!p)
         return;
      p->count = a->pCreateInfo->queryCount;
      p->values = values;
      return;
   }
   case VL_CMD_vkCreateBuffer: {
      const struct vl_args_vkCreateBuffer *a = args;
      if (a->ret != VK_SUCCESS)
         return;
      struct vlr_buffer *b = attach(x, (uint64_t)(uintptr_t)*a->pBuffer, sizeof(*b), "buffer");
      if (!b)
         return;
      b->size = a->pCreateInfo->size;
      b->sparse = a->pCreateInfo->flags & VK_BUFFER_CREATE_SPARSE_BINDING_BIT;
      return;
   }
   case VL_CMD_vkBindBufferMemory: {
      const struct vl_args_vkBindBufferMemory *a = args;
      if (a->ret == VK_SUCCESS)
         mark_bound(x, a->buffer);
      return;
   }
   case VL_CMD_vkBindBufferMemory2: {
      const struct vl_args_vkBindBufferMemory2 *a = args;
      if (a->ret == VK_SUCCESS)
         for (uint32_t i = 0; i < a->bindInfoCount; i++)
            mark_bound(x, a->pBindInfos[i].buffer);
      return;
   }
   default:
      return;
   }
}
