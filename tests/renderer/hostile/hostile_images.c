/*
 * Images: creation, subresources and regions (renderer/check/check_images.c).
 */
#include "hostile.h"

/* A create info of a 2D image: a simple one, for editing. */
static VkImageCreateInfo
image_info(VkFormat format, uint32_t width, uint32_t height, VkImageUsageFlags usage)
{
   return (VkImageCreateInfo){ .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                               .imageType = VK_IMAGE_TYPE_2D,
                               .format = format,
                               .extent = { width, height, 1 },
                               .mipLevels = 1,
                               .arrayLayers = 1,
                               .samples = VK_SAMPLE_COUNT_1_BIT,
                               .tiling = VK_IMAGE_TILING_OPTIMAL,
                               .usage = usage };
}

static void
test_copy_to_image_outside_its_mip_level(void **state)
{
   (void)state;
   buffer_with_memory(true, 0);
   image_with_memory(true);
   const VkCommandBuffer cb = recording();
   /* mip level 1 is 32x32: 16x16 at 16,16 fits (and 1 KiB of buffer) */
   VkBufferImageCopy r = { .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 1, 0, 1 },
                           .imageOffset = { 16, 16, 0 },
                           .imageExtent = { 16, 16, 1 } };
   vl_encode_vkCmdCopyBufferToImage(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF,
                                    (VkImage)(uintptr_t)IMAGE, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                    1, &r);
   assert_true(submit());
   begin();
   r.imageOffset.x = 17;
   vl_encode_vkCmdCopyBufferToImage(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF,
                                    (VkImage)(uintptr_t)IMAGE, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                    1, &r);
   expect_lost("the destination region (offset 17,16,0, extent 16,16,1) leaves mip level 1");
}

static void
test_copy_from_image_into_too_small_buffer(void **state)
{
   (void)state;
   buffer_with_memory(true, 0);
   image_with_memory(true);
   const VkCommandBuffer cb = recording();
   /* valid: 32x16 texels of 4 bytes, 2 layers: the buffer's 4 KiB exactly */
   const VkBufferImageCopy fits = { .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 2 },
                                    .imageExtent = { 32, 16, 1 } };
   vl_encode_vkCmdCopyImageToBuffer(&g.enc, 0, cb, (VkImage)(uintptr_t)IMAGE,
                                    VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, (VkBuffer)(uintptr_t)BUF,
                                    1, &fits);
   expect_accepted();
   /* 32x32 texels of 4 bytes, 2 layers: 8 KiB into the 4 KiB buffer */
   const VkBufferImageCopy r = { .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 2 },
                                 .imageExtent = { 32, 32, 1 } };
   vl_encode_vkCmdCopyImageToBuffer(&g.enc, 0, cb, (VkImage)(uintptr_t)IMAGE,
                                    VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, (VkBuffer)(uintptr_t)BUF,
                                    1, &r);
   expect_lost("the buffer range (8192 bytes at offset 0) leaves the buffer's 4096 bytes");
}

static void
test_clear_mip_level_that_does_not_exist(void **state)
{
   (void)state;
   image_with_memory(true);
   const VkCommandBuffer cb = recording();
   const VkClearColorValue color = { .float32 = { 1, 0, 0, 1 } };
   /* valid: the last mip level and layer, by count and by VK_REMAINING_* */
   const VkImageSubresourceRange last[2] = {
      { VK_IMAGE_ASPECT_COLOR_BIT, 1, 1, 1, 1 },
      { VK_IMAGE_ASPECT_COLOR_BIT, 1, VK_REMAINING_MIP_LEVELS, 1, VK_REMAINING_ARRAY_LAYERS },
   };
   vl_encode_vkCmdClearColorImage(&g.enc, 0, cb, (VkImage)(uintptr_t)IMAGE,
                                  VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &color, 2, last);
   expect_accepted();
   const VkImageSubresourceRange range = { VK_IMAGE_ASPECT_COLOR_BIT, 2, 1, 0, 1 };
   vl_encode_vkCmdClearColorImage(&g.enc, 0, cb, (VkImage)(uintptr_t)IMAGE,
                                  VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &color, 1, &range);
   expect_lost("the cleared subresource range (mip levels 2+1, layers 0+1) leaves the image's 2 "
               "mip levels and 2 layers");
}

static void
test_subresource_layout_of_a_level_that_does_not_exist(void **state)
{
   (void)state;
   /* lavapipe reads its per-level tables of the image at the level given */
   image_with_memory(true);
   const VkImageSubresource sub = { VK_IMAGE_ASPECT_COLOR_BIT, 1, 1 };
   VkSubresourceLayout layout;
   vl_encode_vkGetImageSubresourceLayout(&g.enc, 0, device(), (VkImage)(uintptr_t)IMAGE, &sub,
                                         &layout);
   assert_true(submit());
   begin();
   const VkImageSubresource far = { VK_IMAGE_ASPECT_COLOR_BIT, 0x41414141, 0 };
   vl_encode_vkGetImageSubresourceLayout(&g.enc, 0, device(), (VkImage)(uintptr_t)IMAGE, &far,
                                         &layout);
   expect_lost("mip level 1094795585, layer 0: the image has 2 mip levels and 2 layers");
}

static void
test_view_of_layers_that_do_not_exist(void **state)
{
   (void)state;
   image_with_memory(true);
   /* valid: the image's last layer; and the last 4 depth slices of a 3D
    * image made 2D_ARRAY_COMPATIBLE, seen as the layers of a 2D array */
   VkImageViewCreateInfo last = { .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
                                  .image = (VkImage)(uintptr_t)IMAGE,
                                  .viewType = VK_IMAGE_VIEW_TYPE_2D_ARRAY,
                                  .format = VK_FORMAT_R8G8B8A8_UNORM,
                                  .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 1, 1 } };
   VkImageView ok = H(VkImageView, new_id());
   vl_encode_vkCreateImageView(&g.enc, 0, device(), &last, NULL, &ok);
   VkImageCreateInfo volume =
      image_info(VK_FORMAT_R8G8B8A8_UNORM, 16, 16, VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT);
   volume.imageType = VK_IMAGE_TYPE_3D;
   volume.extent.depth = 8;
   volume.flags = VK_IMAGE_CREATE_2D_ARRAY_COMPATIBLE_BIT;
   last.image = H(VkImage, bound_image(&volume));
   last.subresourceRange.baseArrayLayer = 4;
   last.subresourceRange.layerCount = 4;
   ok = H(VkImageView, new_id());
   vl_encode_vkCreateImageView(&g.enc, 0, device(), &last, NULL, &ok);
   expect_accepted();
   const VkImageViewCreateInfo vci = { .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
                                       .image = (VkImage)(uintptr_t)IMAGE,
                                       .viewType = VK_IMAGE_VIEW_TYPE_2D_ARRAY,
                                       .format = VK_FORMAT_R8G8B8A8_UNORM,
                                       .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 1,
                                                             2 } };
   VkImageView view = (VkImageView)(uintptr_t)0x412;
   vl_encode_vkCreateImageView(&g.enc, 0, device(), &vci, NULL, &view);
   expect_lost("the view's subresource range (mip levels 0+1, layers 1+2)");
}

static void
test_image_without_memory(void **state)
{
   (void)state;
   buffer_with_memory(true, 0);
   image_with_memory(false);
   const VkCommandBuffer cb = recording();
   /* valid: an image with memory bound just before */
   const VkImageCreateInfo ici =
      image_info(VK_FORMAT_R8G8B8A8_UNORM, 4, 4, VK_IMAGE_USAGE_TRANSFER_DST_BIT);
   const VkImage bound = H(VkImage, bound_image(&ici));
   const VkBuffer src = H(VkBuffer, bound_buffer(4096, VK_BUFFER_USAGE_TRANSFER_SRC_BIT));
   const VkBufferImageCopy all = { .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
                                   .imageExtent = { 4, 4, 1 } };
   vl_encode_vkCmdCopyBufferToImage(&g.enc, 0, cb, src, bound, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                    1, &all);
   expect_accepted();
   const VkBufferImageCopy r = { .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
                                 .imageExtent = { 4, 4, 1 } };
   vl_encode_vkCmdCopyBufferToImage(&g.enc, 0, cb, (VkBuffer)(uintptr_t)BUF,
                                    (VkImage)(uintptr_t)IMAGE, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                    1, &r);
   expect_lost("the destination image has no memory bound");
}

static void
test_create_image_the_host_does_not_support(void **state)
{
   (void)state;
   /* valid: the largest extent, mip levels and layers the host reports for
    * the format (made, then destroyed: an unknown id would be refused) */
   vl_encode_vkSeekReplyCommandStreamMESA(&g.enc, 0, 0);
   VkImageFormatProperties p;
   vl_encode_vkGetPhysicalDeviceImageFormatProperties(
      &g.enc, VK_COMMAND_GENERATE_REPLY_BIT_EXT, (VkPhysicalDevice)(uintptr_t)PHYSICAL,
      VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D, VK_IMAGE_TILING_OPTIMAL,
      VK_IMAGE_USAGE_TRANSFER_DST_BIT, 0, &p);
   expect_accepted();
   struct vl_decoder dec;
   vl_dec_init(&dec, g.reply, REPLY_SIZE, NULL, NULL);
   memset(&p, 0, sizeof(p));
   assert_int_equal(vl_decode_vkGetPhysicalDeviceImageFormatProperties_reply(
                       &dec, (VkPhysicalDevice)(uintptr_t)PHYSICAL, VK_FORMAT_R8G8B8A8_UNORM,
                       VK_IMAGE_TYPE_2D, VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_USAGE_TRANSFER_DST_BIT,
                       0, &p),
                    VK_SUCCESS);
   assert_null(dec.error);
   VkImageCreateInfo largest =
      image_info(VK_FORMAT_R8G8B8A8_UNORM, p.maxExtent.width, 1, VK_IMAGE_USAGE_TRANSFER_DST_BIT);
   largest.mipLevels = p.maxMipLevels;
   largest.arrayLayers = p.maxArrayLayers;
   VkImage largest_image = H(VkImage, new_id());
   vl_encode_vkCreateImage(&g.enc, 0, device(), &largest, NULL, &largest_image);
   vl_encode_vkDestroyImage(&g.enc, 0, device(), largest_image, NULL);
   largest =
      image_info(VK_FORMAT_R8G8B8A8_UNORM, 1, p.maxExtent.height, VK_IMAGE_USAGE_TRANSFER_DST_BIT);
   largest_image = H(VkImage, new_id());
   vl_encode_vkCreateImage(&g.enc, 0, device(), &largest, NULL, &largest_image);
   vl_encode_vkDestroyImage(&g.enc, 0, device(), largest_image, NULL);
   expect_accepted();
   const VkImageCreateInfo ici = { .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                                   .imageType = VK_IMAGE_TYPE_2D,
                                   .format = VK_FORMAT_R8G8B8A8_UNORM,
                                   .extent = { 1u << 30, 1u << 30, 1 },
                                   .mipLevels = 1,
                                   .arrayLayers = 1,
                                   .samples = VK_SAMPLE_COUNT_1_BIT,
                                   .tiling = VK_IMAGE_TILING_OPTIMAL,
                                   .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT };
   VkImage image = (VkImage)(uintptr_t)0x421;
   vl_encode_vkCreateImage(&g.enc, 0, device(), &ici, NULL, &image);
   expect_lost("the host does not support this extent");
}

static void
test_copy_from_2d_array_layers_to_3d_depth_slices(void **state)
{
   (void)state;
   /* Vulkan 1.1 (maintenance1) copies the layers of a 2D image to the depth
    * slices of a 3D image: extent.depth is the source's layerCount
    * (VUID-vkCmdCopyImage-srcImage-01791), and the source's z range is only
    * bounded for 3D images (VUID-vkCmdCopyImage-srcOffset-00147). */
   VkImageCreateInfo layers =
      image_info(VK_FORMAT_R8G8B8A8_UNORM, 16, 16, VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
   layers.arrayLayers = 4;
   const VkImage src = H(VkImage, bound_image(&layers));
   VkImageCreateInfo volume =
      image_info(VK_FORMAT_R8G8B8A8_UNORM, 16, 16, VK_IMAGE_USAGE_TRANSFER_DST_BIT);
   volume.imageType = VK_IMAGE_TYPE_3D;
   volume.extent.depth = 4;
   const VkImage dst = H(VkImage, bound_image(&volume));
   const VkCommandBuffer cb = recording();
   const VkImageCopy region = { .srcSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 4 },
                                .dstSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
                                .extent = { 16, 16, 4 } };
   vl_encode_vkCmdCopyImage(&g.enc, 0, cb, src, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, dst,
                            VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
   expect_accepted();
   /* one slice further: past the volume's depth */
   VkImageCopy past = region;
   past.dstOffset.z = 1;
   vl_encode_vkCmdCopyImage(&g.enc, 0, cb, src, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, dst,
                            VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &past);
   expect_lost("the destination region (offset 0,0,1, extent 16,16,4) leaves mip level 0");
}

static void
test_copy_from_compressed_to_size_compatible_uncompressed(void **state)
{
   (void)state;
   /* BC1 (8-byte blocks of 4x4 texels) to R32G32_UINT (8-byte texels):
    * extent is in the source's texels, and the destination's range is the
    * extent adjusted for size-compatibility, 16x16
    * (VUID-vkCmdCopyImage-dstOffset-00150, -00151). */
   const VkImageCreateInfo bc1 =
      image_info(VK_FORMAT_BC1_RGBA_UNORM_BLOCK, 64, 64, VK_IMAGE_USAGE_TRANSFER_SRC_BIT);
   const VkImage src = H(VkImage, bound_image(&bc1));
   const VkImageCreateInfo rg32 =
      image_info(VK_FORMAT_R32G32_UINT, 16, 16, VK_IMAGE_USAGE_TRANSFER_DST_BIT);
   const VkImage dst = H(VkImage, bound_image(&rg32));
   const VkCommandBuffer cb = recording();
   const VkImageCopy region = { .srcSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
                                .dstSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
                                .extent = { 64, 64, 1 } };
   vl_encode_vkCmdCopyImage(&g.enc, 0, cb, src, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, dst,
                            VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
   expect_accepted();
   /* one texel to the right: the 16x16 it covers leaves the destination */
   VkImageCopy past = region;
   past.dstOffset.x = 1;
   vl_encode_vkCmdCopyImage(&g.enc, 0, cb, src, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, dst,
                            VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &past);
   expect_lost("the destination region (offset 1,0,0, extent 16,16,1) leaves mip level 0");
}

const struct CMUnitTest hostile_images_tests[] = {
   HOSTILE_TEST(test_copy_to_image_outside_its_mip_level),
   HOSTILE_TEST(test_copy_from_image_into_too_small_buffer),
   HOSTILE_TEST(test_clear_mip_level_that_does_not_exist),
   HOSTILE_TEST(test_subresource_layout_of_a_level_that_does_not_exist),
   HOSTILE_TEST(test_view_of_layers_that_do_not_exist),
   HOSTILE_TEST(test_image_without_memory),
   HOSTILE_TEST(test_create_image_the_host_does_not_support),
   HOSTILE_TEST(test_copy_from_2d_array_layers_to_3d_depth_slices),
   HOSTILE_TEST(test_copy_from_compressed_to_size_compatible_uncompressed),
};
const size_t hostile_images_count = sizeof(hostile_images_tests) / sizeof(hostile_images_tests[0]);
