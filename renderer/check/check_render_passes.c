/*
 * Render passes, framebuffers and dynamic rendering: attachment references,
 * colour attachment counts against the host's table, and render areas.
 * lavapipe clears and stores the whole render area, past the attachment's
 * memory when the area is larger (an application's heap was overwritten
 * that way), so views remember their size and layers and framebuffers
 * theirs, and render areas and attachments are checked against them,
 * layers included (multiview renders view i into layer i).
 */
#include <stddef.h>

#include "vlr_check.h"

static uint32_t
mask_layers(uint32_t mask)
{
   uint32_t n = 0;
   for (; mask; mask >>= 1)
      n++;
   return n;
}

static uint32_t
max_u32(uint32_t a, uint32_t b)
{
   return a > b ? a : b;
}

static uint32_t
render_pass_layers(struct vlr_exec *x, VkRenderPass pass)
{
   const struct vlr_render_pass *rp = vlr_render_pass_state(x, pass);
   return rp ? rp->view_layers : 0;
}

/* ---- render passes ---------------------------------------------------------------------- */

/* An attachment reference of a render pass: an attachment or UNUSED. */
static bool
reference_ok(struct vlr_exec *x, uint32_t attachment, uint32_t count)
{
   return attachment == VK_ATTACHMENT_UNUSED || attachment < count ||
          vlr_guard(x, "attachment-reference", "a subpass refers to attachment %u of %u",
                    attachment, count);
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

bool
vlr_check_vkCreateRenderPass(struct vlr_exec *x, const struct vl_args_vkCreateRenderPass *a)
{
   const VkPhysicalDeviceLimits *l = vlr_limits_of(a->owner);
   const VkRenderPassCreateInfo *info = a->pCreateInfo;
   const uint32_t n = info->attachmentCount;
   for (uint32_t i = 0; l && i < info->subpassCount; i++) {
      const VkSubpassDescription *sp = &info->pSubpasses[i];
      if (!vlr_check_index(x, "color attachments", 0, sp->colorAttachmentCount,
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

bool
vlr_check_vkCreateRenderPass2(struct vlr_exec *x, const struct vl_args_vkCreateRenderPass2 *a)
{
   const VkPhysicalDeviceLimits *l = vlr_limits_of(a->owner);
   const VkRenderPassCreateInfo2 *info = a->pCreateInfo;
   const uint32_t n = info->attachmentCount;
   for (uint32_t i = 0; l && i < info->subpassCount; i++) {
      const VkSubpassDescription2 *sp = &info->pSubpasses[i];
      if (!vlr_check_index(x, "color attachments", 0, sp->colorAttachmentCount,
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

static void
record_view_layers(struct vlr_exec *x, VkRenderPass pass, uint32_t view_layers)
{
   if (!view_layers)
      return;
   struct vlr_render_pass *rp =
      vlr_state_attach(x, (uint64_t)(uintptr_t)pass, VK_OBJECT_TYPE_RENDER_PASS, sizeof(*rp));
   if (rp)
      rp->view_layers = view_layers;
}

void
vlr_record_vkCreateRenderPass(struct vlr_exec *x, const struct vl_args_vkCreateRenderPass *a)
{
   uint32_t view_layers = 0;
   for (const VkBaseInStructure *p = a->pCreateInfo->pNext; p; p = p->pNext) {
      if (p->sType != VK_STRUCTURE_TYPE_RENDER_PASS_MULTIVIEW_CREATE_INFO)
         continue;
      const VkRenderPassMultiviewCreateInfo *m = (const VkRenderPassMultiviewCreateInfo *)p;
      for (uint32_t i = 0; m->pViewMasks && i < m->subpassCount; i++)
         view_layers = max_u32(view_layers, mask_layers(m->pViewMasks[i]));
   }
   record_view_layers(x, *a->pRenderPass, view_layers);
}

void
vlr_record_vkCreateRenderPass2(struct vlr_exec *x, const struct vl_args_vkCreateRenderPass2 *a)
{
   uint32_t view_layers = 0;
   for (uint32_t i = 0; i < a->pCreateInfo->subpassCount; i++)
      view_layers = max_u32(view_layers, mask_layers(a->pCreateInfo->pSubpasses[i].viewMask));
   record_view_layers(x, *a->pRenderPass, view_layers);
}

void
vlr_forget_vkDestroyRenderPass(struct vlr_exec *x, const struct vl_args_vkDestroyRenderPass *a)
{
   (void)a;
   vlr_state_forget(x);
}

/* ---- framebuffers and render areas --------------------------------------------------------- */

/* A host driver clears and stores the render area without clamping it to
 * the attachments. */
static bool
area_inside(struct vlr_exec *x, const char *what, const VkRect2D *area, uint32_t width,
            uint32_t height)
{
   if (area->offset.x >= 0 && area->offset.y >= 0 &&
       (uint64_t)area->offset.x + area->extent.width <= width &&
       (uint64_t)area->offset.y + area->extent.height <= height)
      return true;
   return vlr_guard(x, "render-area", "the render area (%d, %d) %ux%u leaves the %s's %ux%u",
                    area->offset.x, area->offset.y, area->extent.width, area->extent.height, what,
                    width, height);
}

static bool
view_covers(struct vlr_exec *x, const char *what, VkImageView handle, uint32_t width,
            uint32_t height, uint32_t layers)
{
   const struct vlr_view *v = vlr_view_state(x, handle);
   if (!v || (v->width >= width && v->height >= height && v->layers >= layers))
      return true;
   return vlr_guard(x, "attachment-size",
                    "the %s (%ux%u, %u layers) is smaller than the %ux%u, %u layers it must "
                    "cover",
                    what, v->width, v->height, v->layers, width, height, layers);
}

bool
vlr_check_vkCreateFramebuffer(struct vlr_exec *x, const struct vl_args_vkCreateFramebuffer *a)
{
   const VkFramebufferCreateInfo *info = a->pCreateInfo;
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

void
vlr_record_vkCreateFramebuffer(struct vlr_exec *x, const struct vl_args_vkCreateFramebuffer *a)
{
   struct vlr_framebuffer *fb = vlr_state_attach(x, (uint64_t)(uintptr_t)*a->pFramebuffer,
                                                 VK_OBJECT_TYPE_FRAMEBUFFER, sizeof(*fb));
   if (!fb)
      return;
   fb->width = a->pCreateInfo->width;
   fb->height = a->pCreateInfo->height;
   fb->layers = a->pCreateInfo->layers;
}

void
vlr_forget_vkDestroyFramebuffer(struct vlr_exec *x, const struct vl_args_vkDestroyFramebuffer *a)
{
   (void)a;
   vlr_state_forget(x);
}

static bool
render_pass_begin_ok(struct vlr_exec *x, const VkRenderPassBeginInfo *info)
{
   const struct vlr_framebuffer *fb = vlr_framebuffer_state(x, info->framebuffer);
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

bool
vlr_check_vkCmdBeginRenderPass(struct vlr_exec *x, const struct vl_args_vkCmdBeginRenderPass *a)
{
   return render_pass_begin_ok(x, a->pRenderPassBegin);
}

bool
vlr_check_vkCmdBeginRenderPass2(struct vlr_exec *x, const struct vl_args_vkCmdBeginRenderPass2 *a)
{
   return render_pass_begin_ok(x, a->pRenderPassBegin);
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

bool
vlr_check_vkCmdBeginRendering(struct vlr_exec *x, const struct vl_args_vkCmdBeginRendering *a)
{
   const VkRenderingInfo *info = a->pRenderingInfo;
   const VkPhysicalDeviceLimits *l = vlr_limits_of(a->owner);
   if (l && !vlr_check_index(x, "color attachments", 0, info->colorAttachmentCount,
                             l->maxColorAttachments))
      return false;
   const VkRect2D *r = &info->renderArea;
   if ((r->offset.x < 0 || r->offset.y < 0 ||
        (uint64_t)r->offset.x + r->extent.width > UINT32_MAX ||
        (uint64_t)r->offset.y + r->extent.height > UINT32_MAX) &&
       !vlr_guard(x, "render-area", "the render area (%d, %d) %ux%u is outside any image",
                  r->offset.x, r->offset.y, r->extent.width, r->extent.height))
      return false;
   /* with multiview, the highest view is the last layer drawn */
   const uint32_t layers = info->viewMask ? mask_layers(info->viewMask) : info->layerCount;
   for (uint32_t i = 0; info->pColorAttachments && i < info->colorAttachmentCount; i++) {
      if (!rendering_attachment_ok(x, info, layers, &info->pColorAttachments[i]))
         return false;
   }
   return rendering_attachment_ok(x, info, layers, info->pDepthAttachment) &&
          rendering_attachment_ok(x, info, layers, info->pStencilAttachment);
}
