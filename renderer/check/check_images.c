/*
 * Images: what vkCreateImage may ask of the host, formats, extents, levels
 * and layers, bound memory, views, and every command that addresses an
 * image's texels (copies, blits, resolves, clears, subresource layouts).
 * Texel block sizes come from the registry (vlr_format_block, generated).
 */
#include <inttypes.h>

#include "vlr_check.h"

/* ---- creation, memory ------------------------------------------------------------------- */

/* An image the host can make without reading or writing out of bounds: a
 * known type, tiling and format, and an extent, mip levels and layers
 * within what vkGetPhysicalDeviceImageFormatProperties reports.  Usage
 * combinations and sample counts it does not list are left to the host:
 * applications (zink among them) make such images and drivers tolerate
 * them; host-side validation reports them. */
bool
vlr_check_vkCreateImage(struct vlr_exec *x, const struct vl_args_vkCreateImage *a)
{
   const VkImageCreateInfo *info = a->pCreateInfo;
   const struct vlr_device *dev = a->owner->data;
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
   return vlr_guard(x, "image-unsupported",
                    "the host does not support %s (format %d, type %d, tiling %d, extent "
                    "%ux%ux%u, %u mip levels, %u layers, %d samples)",
                    why, info->format, info->imageType, info->tiling, e.width, e.height, e.depth,
                    info->mipLevels, info->arrayLayers, info->samples);
}

void
vlr_record_vkCreateImage(struct vlr_exec *x, const struct vl_args_vkCreateImage *a)
{
   struct vlr_image *img =
      vlr_state_attach(x, (uint64_t)(uintptr_t)*a->pImage, VK_OBJECT_TYPE_IMAGE, sizeof(*img));
   if (!img)
      return;
   const VkImageCreateInfo *info = a->pCreateInfo;
   img->type = info->imageType;
   img->flags = info->flags;
   img->format = info->format;
   img->extent = info->extent;
   img->mips = info->mipLevels;
   img->layers = info->arrayLayers;
   img->sparse = info->flags & VK_IMAGE_CREATE_SPARSE_BINDING_BIT;
}

void
vlr_forget_vkDestroyImage(struct vlr_exec *x, const struct vl_args_vkDestroyImage *a)
{
   (void)a;
   vlr_state_forget(x);
}

static bool
bind_ok(struct vlr_exec *x, const struct vl_object *device, VkImage image, VkDeviceMemory memory,
        VkDeviceSize offset, bool plane)
{
   const struct vlr_image *img = vlr_image_state(x, image);
   if (!img)
      return true;
   if (img->bound)
      return vlr_guard(x, "bind-twice", "the image already has memory");
   if (!memory || plane)
      return true; /* swapchain memory, or one plane of a disjoint image: the host's to check */
   const struct vlr_memory *mem = VLR_STATE(x, VK_OBJECT_TYPE_DEVICE_MEMORY, memory);
   if (!mem)
      return vlr_guard(x, "bind-unknown", "unknown memory");
   VkMemoryRequirements reqs = { 0 };
   const struct vlr_host_device_table *vk = vlr_object_device_table(device);
   vk->GetImageMemoryRequirements((VkDevice)(uintptr_t)device->host, image, &reqs);
   if (vlr_span_inside(mem->size, offset, 1, 0, reqs.size))
      return true;
   return vlr_guard(x, "bind-range",
                    "an image needing %" PRIu64 " bytes at offset %" PRIu64
                    " leaves the memory's %" PRIu64 " bytes",
                    reqs.size, offset, mem->size);
}

static void
mark_bound(struct vlr_exec *x, VkImage image)
{
   struct vlr_image *img = vlr_image_state(x, image);
   if (img)
      img->bound = true;
}

bool
vlr_check_vkBindImageMemory(struct vlr_exec *x, const struct vl_args_vkBindImageMemory *a)
{
   return bind_ok(x, a->owner, a->image, a->memory, a->memoryOffset, false);
}

void
vlr_record_vkBindImageMemory(struct vlr_exec *x, const struct vl_args_vkBindImageMemory *a)
{
   mark_bound(x, a->image);
}

bool
vlr_check_vkBindImageMemory2(struct vlr_exec *x, const struct vl_args_vkBindImageMemory2 *a)
{
   for (uint32_t i = 0; i < a->bindInfoCount; i++) {
      const VkBindImageMemoryInfo *b = &a->pBindInfos[i];
      bool plane = false;
      for (const VkBaseInStructure *p = b->pNext; p; p = p->pNext)
         plane |= p->sType == VK_STRUCTURE_TYPE_BIND_IMAGE_PLANE_MEMORY_INFO;
      if (!bind_ok(x, a->owner, b->image, b->memory, b->memoryOffset, plane))
         return false;
   }
   return true;
}

void
vlr_record_vkBindImageMemory2(struct vlr_exec *x, const struct vl_args_vkBindImageMemory2 *a)
{
   for (uint32_t i = 0; i < a->bindInfoCount; i++)
      mark_bound(x, a->pBindInfos[i].image);
}

/* ---- subresources --------------------------------------------------------------------------- */

static bool
usable(struct vlr_exec *x, const char *role, const struct vlr_image *img)
{
   return img->bound || img->sparse ||
          vlr_guard(x, "image-unbound", "the %s image has no memory bound", role);
}

static uint32_t
minify(uint32_t d, uint32_t mip)
{
   const uint32_t v = d >> (mip < 32 ? mip : 31);
   return v ? v : 1;
}

/* Mip levels [base, base + count) and layers likewise, inside the image;
 * VK_REMAINING_* counts mean "to the end".  layers: how many the range may
 * address (the image's layers, or a 3D image's depth slices for a 2D view). */
static bool
range_inside(struct vlr_exec *x, const char *role, const struct vlr_image *img,
             const VkImageSubresourceRange *r, uint32_t layers)
{
   const bool mips_ok =
      r->baseMipLevel < img->mips &&
      (r->levelCount == VK_REMAINING_MIP_LEVELS || r->levelCount <= img->mips - r->baseMipLevel);
   const bool layers_ok =
      r->baseArrayLayer < layers &&
      (r->layerCount == VK_REMAINING_ARRAY_LAYERS || r->layerCount <= layers - r->baseArrayLayer);
   if (mips_ok && layers_ok)
      return true;
   return vlr_guard(x, "image-subresource",
                    "the %s subresource range (mip levels %u+%u, layers %u+%u) leaves the image's "
                    "%u mip levels and %u layers",
                    role, r->baseMipLevel, r->levelCount, r->baseArrayLayer, r->layerCount,
                    img->mips, layers);
}

static bool
check_range(struct vlr_exec *x, const char *role, VkImage handle, const VkImageSubresourceRange *r)
{
   const struct vlr_image *img = vlr_image_state(x, handle);
   return !img || (usable(x, role, img) && range_inside(x, role, img, r, img->layers));
}

/* The layers a view of this type can address: a 2D or 2D-array view of a
 * 3D image (VK_IMAGE_CREATE_2D_ARRAY_COMPATIBLE_BIT, or
 * VK_EXT_image_2d_view_of_3d's 2D_VIEW_COMPATIBLE) addresses the depth
 * slices of its mip level as layers. */
static uint32_t
view_layers(const struct vlr_image *img, VkImageViewType type, uint32_t mip)
{
   if (img->type == VK_IMAGE_TYPE_3D &&
       (type == VK_IMAGE_VIEW_TYPE_2D || type == VK_IMAGE_VIEW_TYPE_2D_ARRAY))
      return minify(img->extent.depth, mip);
   return img->layers;
}

bool
vlr_check_vkCreateImageView(struct vlr_exec *x, const struct vl_args_vkCreateImageView *a)
{
   const VkImageViewCreateInfo *info = a->pCreateInfo;
   const struct vlr_image *img = vlr_image_state(x, info->image);
   return !img ||
          range_inside(x, "view's", img, &info->subresourceRange,
                       view_layers(img, info->viewType, info->subresourceRange.baseMipLevel));
}

void
vlr_record_vkCreateImageView(struct vlr_exec *x, const struct vl_args_vkCreateImageView *a)
{
   const VkImageViewCreateInfo *info = a->pCreateInfo;
   const struct vlr_image *img = vlr_image_state(x, info->image);
   if (!img)
      return; /* a swapchain's image: the host made it, it knows its size */
   struct vlr_view *v =
      vlr_state_attach(x, (uint64_t)(uintptr_t)*a->pView, VK_OBJECT_TYPE_IMAGE_VIEW, sizeof(*v));
   if (!v)
      return;
   const uint32_t mip = info->subresourceRange.baseMipLevel;
   v->width = minify(img->extent.width, mip);
   v->height = minify(img->extent.height, mip);
   const uint32_t all = view_layers(img, info->viewType, mip);
   const uint32_t base = info->subresourceRange.baseArrayLayer;
   v->layers = info->subresourceRange.layerCount == VK_REMAINING_ARRAY_LAYERS
                  ? (all > base ? all - base : 0)
                  : info->subresourceRange.layerCount;
}

void
vlr_forget_vkDestroyImageView(struct vlr_exec *x, const struct vl_args_vkDestroyImageView *a)
{
   (void)a;
   vlr_state_forget(x);
}

bool
vlr_check_vkGetImageSubresourceLayout(struct vlr_exec *x,
                                      const struct vl_args_vkGetImageSubresourceLayout *a)
{
   /* lavapipe reads its per-level tables at the level given */
   const struct vlr_image *img = vlr_image_state(x, a->image);
   const VkImageSubresource *sub = a->pSubresource;
   if (!img || (sub->mipLevel < img->mips && sub->arrayLayer < img->layers))
      return true;
   return vlr_guard(x, "image-subresource",
                    "mip level %u, layer %u: the image has %u mip levels and %u layers",
                    sub->mipLevel, sub->arrayLayer, img->mips, img->layers);
}

/* ---- regions ------------------------------------------------------------------------------ */

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

bool
vlr_check_image_region(struct vlr_exec *x, const char *role, VkImage handle,
                       const VkImageSubresourceLayers *sub, VkOffset3D offset, VkExtent3D extent)
{
   const struct vlr_image *img = vlr_image_state(x, handle);
   if (!img)
      return true;
   if (!usable(x, role, img))
      return false;
   const VkImageSubresourceRange range = { sub->aspectMask, sub->mipLevel, 1, sub->baseArrayLayer,
                                           sub->layerCount };
   if (!range_inside(x, role, img, &range, img->layers))
      return false;
   uint64_t e[3];
   if (!level_extent(img, sub->aspectMask, sub->mipLevel, e))
      return vlr_guard(x, "image-aspect", "the %s image has no aspect 0x%x to copy", role,
                       sub->aspectMask);
   const int32_t o[3] = { offset.x, offset.y, offset.z };
   const uint32_t n[3] = { extent.width, extent.height, extent.depth };
   for (int i = 0; i < 3; i++) {
      if (o[i] < 0 || (uint64_t)o[i] + n[i] > e[i])
         return vlr_guard(x, "image-region",
                          "the %s region (offset %d,%d,%d, extent %u,%u,%u) leaves mip level %u "
                          "(%" PRIu64 "x%" PRIu64 "x%" PRIu64 ")",
                          role, offset.x, offset.y, offset.z, extent.width, extent.height,
                          extent.depth, sub->mipLevel, e[0], e[1], e[2]);
   }
   return true;
}

/* A blit's two corners: each coordinate between 0 and the level's extent
 * (corners may come in either order: blits can mirror). */
static bool
corners_ok(struct vlr_exec *x, const char *role, VkImage handle,
           const VkImageSubresourceLayers *sub, const VkOffset3D c[2])
{
   const int32_t lo[3] = { c[0].x < c[1].x ? c[0].x : c[1].x, c[0].y < c[1].y ? c[0].y : c[1].y,
                           c[0].z < c[1].z ? c[0].z : c[1].z };
   const int32_t hi[3] = { c[0].x < c[1].x ? c[1].x : c[0].x, c[0].y < c[1].y ? c[1].y : c[0].y,
                           c[0].z < c[1].z ? c[1].z : c[0].z };
   const VkOffset3D offset = { lo[0], lo[1], lo[2] };
   const VkExtent3D span = { (uint32_t)((int64_t)hi[0] - lo[0]), (uint32_t)((int64_t)hi[1] - lo[1]),
                             (uint32_t)((int64_t)hi[2] - lo[2]) };
   return vlr_check_image_region(x, role, handle, sub, offset, span);
}

/* ---- buffer <-> image copies ---------------------------------------------------------------- */

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
buffer_image_ok(struct vlr_exec *x, const char *image_role, VkImage image, VkBuffer buffer,
                const VkBufferImageCopy2 *r)
{
   if (!vlr_check_image_region(x, image_role, image, &r->imageSubresource, r->imageOffset,
                               r->imageExtent))
      return false;
   const struct vlr_image *img = vlr_image_state(x, image);
   if (!img)
      return vlr_check_buffer_range(x, "buffer", buffer, r->bufferOffset, 1, 0, 0);
   uint64_t bytes;
   if (!copy_footprint(img, r, &bytes))
      return vlr_guard(x, "buffer-range", "the buffer side of the copy overflows");
   return vlr_check_buffer_range(x, "buffer", buffer, r->bufferOffset, 1, 0, bytes);
}

static VkBufferImageCopy2
copy2(const VkBufferImageCopy *r)
{
   return (VkBufferImageCopy2){ .sType = VK_STRUCTURE_TYPE_BUFFER_IMAGE_COPY_2,
                                .bufferOffset = r->bufferOffset,
                                .bufferRowLength = r->bufferRowLength,
                                .bufferImageHeight = r->bufferImageHeight,
                                .imageSubresource = r->imageSubresource,
                                .imageOffset = r->imageOffset,
                                .imageExtent = r->imageExtent };
}

bool
vlr_check_vkCmdCopyBufferToImage(struct vlr_exec *x, const struct vl_args_vkCmdCopyBufferToImage *a)
{
   for (uint32_t i = 0; i < a->regionCount; i++) {
      const VkBufferImageCopy2 r = copy2(&a->pRegions[i]);
      if (!buffer_image_ok(x, "destination", a->dstImage, a->srcBuffer, &r))
         return false;
   }
   return true;
}

bool
vlr_check_vkCmdCopyImageToBuffer(struct vlr_exec *x, const struct vl_args_vkCmdCopyImageToBuffer *a)
{
   for (uint32_t i = 0; i < a->regionCount; i++) {
      const VkBufferImageCopy2 r = copy2(&a->pRegions[i]);
      if (!buffer_image_ok(x, "source", a->srcImage, a->dstBuffer, &r))
         return false;
   }
   return true;
}

bool
vlr_check_vkCmdCopyBufferToImage2(struct vlr_exec *x,
                                  const struct vl_args_vkCmdCopyBufferToImage2 *a)
{
   const VkCopyBufferToImageInfo2 *info = a->pCopyBufferToImageInfo;
   for (uint32_t i = 0; i < info->regionCount; i++) {
      if (!buffer_image_ok(x, "destination", info->dstImage, info->srcBuffer, &info->pRegions[i]))
         return false;
   }
   return true;
}

bool
vlr_check_vkCmdCopyImageToBuffer2(struct vlr_exec *x,
                                  const struct vl_args_vkCmdCopyImageToBuffer2 *a)
{
   const VkCopyImageToBufferInfo2 *info = a->pCopyImageToBufferInfo;
   for (uint32_t i = 0; i < info->regionCount; i++) {
      if (!buffer_image_ok(x, "source", info->srcImage, info->dstBuffer, &info->pRegions[i]))
         return false;
   }
   return true;
}

/* ---- image <-> image ------------------------------------------------------------------------ */

/* Two regions of one image overlap in memory: the same mip level, aspects
 * in common, layers in common, and boxes that meet
 * (VUID-vkCmdCopyImage-pRegions-00124 forbids a source region to overlap a
 * destination region). */
static bool
boxes_meet(const VkImageSubresourceLayers *sa, VkOffset3D a, VkExtent3D ea,
           const VkImageSubresourceLayers *sb, VkOffset3D b, VkExtent3D eb)
{
   if (sa->mipLevel != sb->mipLevel || !(sa->aspectMask & sb->aspectMask) ||
       (uint64_t)sa->baseArrayLayer + sa->layerCount <= sb->baseArrayLayer ||
       (uint64_t)sb->baseArrayLayer + sb->layerCount <= sa->baseArrayLayer)
      return false;
   return (int64_t)a.x < (int64_t)b.x + eb.width && (int64_t)b.x < (int64_t)a.x + ea.width &&
          (int64_t)a.y < (int64_t)b.y + eb.height && (int64_t)b.y < (int64_t)a.y + ea.height &&
          (int64_t)a.z < (int64_t)b.z + eb.depth && (int64_t)b.z < (int64_t)a.z + ea.depth;
}

/* The extent a copy region covers in each image.  extent is in the
 * source's texels: between size-compatible formats of different block
 * sizes (a compressed and an uncompressed one) the destination's is scaled
 * by the blocks' ratio (VUID-vkCmdCopyImage-dstOffset-00150); between a 2D
 * and a 3D image, the 2D side's layers are the 3D side's depth slices
 * (VUID-vkCmdCopyImage-srcImage-01791, -dstImage-01792), so its own depth
 * is 1. */
static void
copy_extents(struct vlr_exec *x, VkImage src, VkImage dst, VkExtent3D e, VkExtent3D *se,
             VkExtent3D *de)
{
   *se = *de = e;
   const struct vlr_image *si = vlr_image_state(x, src), *di = vlr_image_state(x, dst);
   if (!si || !di)
      return;
   if (si->type == VK_IMAGE_TYPE_3D && di->type != VK_IMAGE_TYPE_3D)
      de->depth = 1;
   if (di->type == VK_IMAGE_TYPE_3D && si->type != VK_IMAGE_TYPE_3D)
      se->depth = 1;
   uint32_t ssize, sw, sh, sd, dsize, dw, dh, dd;
   if (vlr_format_block(si->format, &ssize, &sw, &sh, &sd) &&
       vlr_format_block(di->format, &dsize, &dw, &dh, &dd) && (sw != dw || sh != dh)) {
      de->width = (uint32_t)(((uint64_t)e.width + sw - 1) / sw * dw);
      de->height = (uint32_t)(((uint64_t)e.height + sh - 1) / sh * dh);
   }
}

/* An image copy's regions, as VkImageCopy2 (v1 converted by the caller). */
static bool
image_copy_ok(struct vlr_exec *x, VkImage src, VkImage dst, uint32_t n, const VkImageCopy *r1,
              const VkImageCopy2 *r2)
{
   for (uint32_t i = 0; i < n; i++) {
      const VkImageSubresourceLayers *ss = r1 ? &r1[i].srcSubresource : &r2[i].srcSubresource;
      const VkImageSubresourceLayers *ds = r1 ? &r1[i].dstSubresource : &r2[i].dstSubresource;
      const VkOffset3D so = r1 ? r1[i].srcOffset : r2[i].srcOffset;
      const VkOffset3D dof = r1 ? r1[i].dstOffset : r2[i].dstOffset;
      const VkExtent3D e = r1 ? r1[i].extent : r2[i].extent;
      VkExtent3D se, de;
      copy_extents(x, src, dst, e, &se, &de);
      if (!vlr_check_image_region(x, "source", src, ss, so, se) ||
          !vlr_check_image_region(x, "destination", dst, ds, dof, de))
         return false;
      for (uint32_t j = 0; src == dst && j < n; j++) {
         const VkImageSubresourceLayers *qs = r1 ? &r1[j].dstSubresource : &r2[j].dstSubresource;
         if (boxes_meet(ss, so, e, qs, r1 ? r1[j].dstOffset : r2[j].dstOffset,
                        r1 ? r1[j].extent : r2[j].extent) &&
             !vlr_guard(x, "copy-overlap",
                        "a copy within one image whose source and destination regions overlap"))
            return false;
      }
   }
   return true;
}

bool
vlr_check_vkCmdCopyImage(struct vlr_exec *x, const struct vl_args_vkCmdCopyImage *a)
{
   return image_copy_ok(x, a->srcImage, a->dstImage, a->regionCount, a->pRegions, NULL);
}

bool
vlr_check_vkCmdCopyImage2(struct vlr_exec *x, const struct vl_args_vkCmdCopyImage2 *a)
{
   const VkCopyImageInfo2 *info = a->pCopyImageInfo;
   return image_copy_ok(x, info->srcImage, info->dstImage, info->regionCount, NULL, info->pRegions);
}

bool
vlr_check_vkCmdResolveImage(struct vlr_exec *x, const struct vl_args_vkCmdResolveImage *a)
{
   for (uint32_t i = 0; i < a->regionCount; i++) {
      const VkImageResolve *r = &a->pRegions[i];
      if (!vlr_check_image_region(x, "source", a->srcImage, &r->srcSubresource, r->srcOffset,
                                  r->extent) ||
          !vlr_check_image_region(x, "destination", a->dstImage, &r->dstSubresource, r->dstOffset,
                                  r->extent))
         return false;
   }
   return true;
}

bool
vlr_check_vkCmdResolveImage2(struct vlr_exec *x, const struct vl_args_vkCmdResolveImage2 *a)
{
   const VkResolveImageInfo2 *info = a->pResolveImageInfo;
   for (uint32_t i = 0; i < info->regionCount; i++) {
      const VkImageResolve2 *r = &info->pRegions[i];
      if (!vlr_check_image_region(x, "source", info->srcImage, &r->srcSubresource, r->srcOffset,
                                  r->extent) ||
          !vlr_check_image_region(x, "destination", info->dstImage, &r->dstSubresource,
                                  r->dstOffset, r->extent))
         return false;
   }
   return true;
}

bool
vlr_check_vkCmdBlitImage(struct vlr_exec *x, const struct vl_args_vkCmdBlitImage *a)
{
   for (uint32_t i = 0; i < a->regionCount; i++) {
      const VkImageBlit *r = &a->pRegions[i];
      if (!corners_ok(x, "source", a->srcImage, &r->srcSubresource, r->srcOffsets) ||
          !corners_ok(x, "destination", a->dstImage, &r->dstSubresource, r->dstOffsets))
         return false;
   }
   return true;
}

bool
vlr_check_vkCmdBlitImage2(struct vlr_exec *x, const struct vl_args_vkCmdBlitImage2 *a)
{
   const VkBlitImageInfo2 *info = a->pBlitImageInfo;
   for (uint32_t i = 0; i < info->regionCount; i++) {
      const VkImageBlit2 *r = &info->pRegions[i];
      if (!corners_ok(x, "source", info->srcImage, &r->srcSubresource, r->srcOffsets) ||
          !corners_ok(x, "destination", info->dstImage, &r->dstSubresource, r->dstOffsets))
         return false;
   }
   return true;
}

bool
vlr_check_vkCmdClearColorImage(struct vlr_exec *x, const struct vl_args_vkCmdClearColorImage *a)
{
   for (uint32_t i = 0; i < a->rangeCount; i++) {
      if (!check_range(x, "cleared", a->image, &a->pRanges[i]))
         return false;
   }
   return true;
}

bool
vlr_check_vkCmdClearDepthStencilImage(struct vlr_exec *x,
                                      const struct vl_args_vkCmdClearDepthStencilImage *a)
{
   for (uint32_t i = 0; i < a->rangeCount; i++) {
      if (!check_range(x, "cleared", a->image, &a->pRanges[i]))
         return false;
   }
   return true;
}
