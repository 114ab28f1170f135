/*
 * What the host driver trusts, checked by the renderer (renderer/check/).
 *
 * A driver takes valid usage as given: lavapipe executes vkCmdUpdateBuffer
 * with an offset past the end of the buffer as a memcpy past the end of the
 * memory (the renderer fuzzer found exactly that), indexes fixed tables with
 * vertex attribute locations, descriptor bindings, query numbers and
 * attachment indices, clears whole render areas past an attachment's memory,
 * and jumps through tables indexed by enum values.  The checks run before
 * the commands that do so; the state they need (each buffer's size, each
 * image's format, extent, levels and layers, what memory is bound, views'
 * and framebuffers' sizes, descriptor set layouts' bindings, query pools'
 * sizes) is recorded after the commands that make it.
 *
 * Each check is a typed hook of one command (vlr_check_<command>), declared
 * by the generator for the commands whose "hooks" column in
 * protocol/special_commands.tsv says so, and defined in the file of its area:
 * check_buffers.c, check_images.c, check_render_passes.c,
 * check_descriptors.c, check_queries.c, check_pipelines.c, check_sync.c,
 * check_shaders.c.  A hook the table lists and no file defines does not link.
 *
 * A finding goes through vlr_guard(), which applies the context's policy:
 *  - report (in-process, the default): the application is the guest, there
 *    is no boundary to defend, and native behaviour comes first.  The finding
 *    is reported once per command and kind (stderr and the application's
 *    debug-utils messengers, as a warning) and the host gets the call exactly
 *    as the application made it;
 *  - refuse (vl-vtest-server, the fuzz targets, VL_GUARDS=refuse): the
 *    context is lost and the command does not run, as before.
 * Valid Vulkan never makes a finding, in either policy.  What the renderer
 * needs for its own safety (decoding, object ids and types, the ring, shared
 * memory, its own bookkeeping) is enforced elsewhere and always.
 *
 * Not covered (the host driver still trusts them): dynamic offsets added to
 * descriptor ranges at bind time, the index and vertex ranges a draw reads,
 * memory freed while a recorded command buffer still uses it, the attachment
 * and layers of vkCmdClearAttachments (they depend on the rendering a
 * command buffer is in when it runs, secondaries included), bindings named
 * by push descriptors and update templates, and how long GPU work takes.
 * Images the host made (swapchain images) carry no bookkeeping.
 */
#ifndef VLR_CHECK_H
#define VLR_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#include "vlr_context.h"
#include "vlr_gen.h"

/* ---- per-object state (vl_object.data, freed with the object) --------------------------- */

struct vlr_buffer {
   VkDeviceSize size;
   bool sparse; /* bound through sparse binding: not tracked */
   bool bound;
};

struct vlr_image {
   VkImageType type;
   VkImageCreateFlags flags;
   VkFormat format;
   VkExtent3D extent;
   uint32_t mips, layers;
   bool sparse;
   bool bound;
};

/* A view of an image made by vkCreateImage: the size of the mip level it
 * starts at, and its layers (a 2D view of a 3D image: its depth slices). */
struct vlr_view {
   uint32_t width, height, layers;
};

struct vlr_framebuffer {
   uint32_t width, height, layers;
};

/* A render pass with multiview: the layers its attachments need. */
struct vlr_render_pass {
   uint32_t view_layers;
};

/* A descriptor set layout's bindings in binding order, and a copy of it in
 * each descriptor set allocated with it (lavapipe indexes its binding table
 * with a write's dstBinding). */
struct vlr_set_layout {
   uint32_t count;
   struct {
      uint32_t binding, descriptors;
   } b[];
};

/* Whether a shader module declares a push constant block, and the stages a
 * pipeline layout's push constant ranges name: a stage whose module declares
 * one needs a range for it (lavapipe's compiled shader reads the block
 * through a pointer it sets only for the stages of the ranges). */
struct vlr_shader_module {
   bool push_constants;
};

struct vlr_pipeline_layout {
   VkShaderStageFlags push_stages;
};

struct vlr_query_pool {
   uint32_t count;  /* queries */
   uint32_t values; /* values of one query's result, availability apart */
};

/* The state of the object of this type behind a host handle: NULL for
 * VK_NULL_HANDLE and for objects the renderer keeps no state of. */
void *vlr_state(struct vlr_exec *x, VkObjectType type, uint64_t handle);

#define VLR_STATE(x, type, handle) vlr_state((x), (type), (uint64_t)(uintptr_t)(handle))

static inline struct vlr_buffer *
vlr_buffer_state(struct vlr_exec *x, VkBuffer h)
{
   return VLR_STATE(x, VK_OBJECT_TYPE_BUFFER, h);
}

static inline struct vlr_image *
vlr_image_state(struct vlr_exec *x, VkImage h)
{
   return VLR_STATE(x, VK_OBJECT_TYPE_IMAGE, h);
}

static inline struct vlr_view *
vlr_view_state(struct vlr_exec *x, VkImageView h)
{
   return VLR_STATE(x, VK_OBJECT_TYPE_IMAGE_VIEW, h);
}

static inline struct vlr_framebuffer *
vlr_framebuffer_state(struct vlr_exec *x, VkFramebuffer h)
{
   return VLR_STATE(x, VK_OBJECT_TYPE_FRAMEBUFFER, h);
}

static inline struct vlr_render_pass *
vlr_render_pass_state(struct vlr_exec *x, VkRenderPass h)
{
   return VLR_STATE(x, VK_OBJECT_TYPE_RENDER_PASS, h);
}

static inline struct vlr_query_pool *
vlr_query_pool_state(struct vlr_exec *x, VkQueryPool h)
{
   return VLR_STATE(x, VK_OBJECT_TYPE_QUERY_POOL, h);
}

/* Zeroed state of size bytes for the object of this type a create command
 * just made under guest id; NULL when there is no such object, or (the
 * context lost: the renderer's own failure) no memory. */
void *vlr_state_attach(struct vlr_exec *x, uint64_t id, VkObjectType type, size_t size);
/* The destroyed object's state goes (forget hooks). */
void vlr_state_forget(struct vlr_exec *x);

/* ---- findings ---------------------------------------------------------------------------- */

/* A finding about what the host driver trusts (see above): false when the
 * policy refused the command (the context is lost), true when it was
 * reported and the command goes on.  kind names the rule, for reporting
 * each once per command (a string literal). */
bool vlr_guard(struct vlr_exec *x, const char *kind, const char *fmt, ...)
   __attribute__((format(printf, 3, 4)));

/* ---- shared checks ---------------------------------------------------------------------- */

/* No object of n 64-bit handles to free is named twice (VK_NULL_HANDLE may
 * repeat): the host would free it twice.  what names the objects. */
bool vlr_check_freed_once(struct vlr_exec *x, const char *what, const void *handles, uint32_t n);

/* [offset, offset + count * stride - stride + size) inside `total` bytes,
 * without overflow; count 0 is an empty range at offset. */
bool vlr_span_inside(VkDeviceSize total, VkDeviceSize offset, uint64_t count, uint64_t stride,
                     VkDeviceSize size);
/* A buffer the command reads or writes through [offset, ... size): it must
 * have memory and hold the range.  role names it ("destination", ...). */
bool vlr_check_buffer_range(struct vlr_exec *x, const char *role, VkBuffer buffer,
                            VkDeviceSize offset, uint64_t count, uint64_t stride,
                            VkDeviceSize size);
/* The same for a buffer whose state (vlr_buffer_state) the caller has. */
bool vlr_check_buffer_state_range(struct vlr_exec *x, const char *role, const struct vlr_buffer *b,
                                  VkDeviceSize offset, uint64_t count, uint64_t stride,
                                  VkDeviceSize size);
/* first + count <= max, without overflow: indices into a host table. */
bool vlr_check_index(struct vlr_exec *x, const char *what, uint64_t first, uint64_t count,
                     uint64_t max);
/* One region of one image: the subresource exists and the box lies inside
 * its mip level. */
bool vlr_check_image_region(struct vlr_exec *x, const char *role, VkImage image,
                            const VkImageSubresourceLayers *sub, VkOffset3D offset,
                            VkExtent3D extent);

/* The device an object belongs to, and its limits. */
const struct vlr_device *vlr_device_of(const struct vl_object *obj);
const VkPhysicalDeviceLimits *vlr_limits_of(const struct vl_object *obj);

/* Gives a set allocated with this layout a copy of the layout's state as its
 * own (none when the layout has none, or memory runs out). */
void vlr_set_layout_copy(struct vlr_exec *x, struct vl_object *set, VkDescriptorSetLayout layout);

#endif
