/*
 * Pipelines and the state commands that feed the same host tables: vertex
 * bindings and attribute locations (one at location 16386 made lavapipe
 * write past an array inside vkCreateGraphicsPipelines), viewports, colour
 * attachments' blend state, sample counts (lavapipe derives table indices
 * and mask sizes from them), shader stages, push constant bytes, descriptor
 * set layouts, work group counts, and samplers' enums (lavapipe jumps
 * through tables indexed by them).
 */
#include "vlr_check.h"

static bool
vertex_input_ok(struct vlr_exec *x, const VkPhysicalDeviceLimits *l, uint32_t nb,
                const uint32_t *binding, size_t bstride, const uint32_t *stride, uint32_t na,
                const uint32_t *location, const uint32_t *abinding, const uint32_t *offset,
                size_t astride)
{
   if (!vlr_check_index(x, "vertex bindings", 0, nb, l->maxVertexInputBindings) ||
       !vlr_check_index(x, "vertex attributes", 0, na, l->maxVertexInputAttributes))
      return false;
   for (uint32_t i = 0; binding && i < nb; i++) {
      const uint32_t b = *(const uint32_t *)((const char *)binding + i * bstride);
      const uint32_t st = *(const uint32_t *)((const char *)stride + i * bstride);
      if (!vlr_check_index(x, "vertex binding", b, 1, l->maxVertexInputBindings) ||
          !vlr_check_index(x, "vertex binding stride", st, 0, l->maxVertexInputBindingStride))
         return false;
   }
   for (uint32_t i = 0; location && i < na; i++) {
      const uint32_t loc = *(const uint32_t *)((const char *)location + i * astride);
      const uint32_t b = *(const uint32_t *)((const char *)abinding + i * astride);
      const uint32_t off = *(const uint32_t *)((const char *)offset + i * astride);
      if (!vlr_check_index(x, "vertex attribute location", loc, 1, l->maxVertexInputAttributes) ||
          !vlr_check_index(x, "vertex attribute binding", b, 1, l->maxVertexInputBindings) ||
          !vlr_check_index(x, "vertex attribute offset", off, 0, l->maxVertexInputAttributeOffset))
         return false;
   }
   return true;
}

static bool
stage_ok(struct vlr_exec *x, VkShaderStageFlagBits stage, VkShaderStageFlags allowed)
{
   return (stage && !(stage & (stage - 1)) && (stage & allowed)) ||
          vlr_guard(x, "shader-stage", "shader stage 0x%x is not one stage this pipeline can have",
                    stage);
}

/* A sample count: one of VK_SAMPLE_COUNT_1_BIT ... 64. */
/* A stage whose module declares push constants needs a range for its stage
 * in the layout (VUID-VkComputePipelineCreateInfo-layout-07987 and its
 * graphics twin); modules given inline or unknown layouts are not checked. */
static bool
push_constants_ok(struct vlr_exec *x, const VkPipelineShaderStageCreateInfo *stage,
                  VkPipelineLayout layout)
{
   const struct vlr_shader_module *m = VLR_STATE(x, VK_OBJECT_TYPE_SHADER_MODULE, stage->module);
   const struct vlr_pipeline_layout *l = VLR_STATE(x, VK_OBJECT_TYPE_PIPELINE_LAYOUT, layout);
   if (!m || !l || !m->push_constants || (l->push_stages & stage->stage))
      return true;
   return vlr_guard(x, "push-constant-stage",
                    "the shader of stage 0x%x declares push constants, and no push constant "
                    "range of the pipeline layout names that stage",
                    (unsigned)stage->stage);
}

static bool
samples_ok(struct vlr_exec *x, const char *what, VkSampleCountFlagBits samples)
{
   return (samples && !(samples & (samples - 1)) && samples <= VK_SAMPLE_COUNT_64_BIT) ||
          vlr_guard(x, "sample-count", "%s of %u (one of 1, 2, 4 ... 64)", what, (unsigned)samples);
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
   if (ms && ms->alphaToOneEnable && !dev->features.alphaToOne &&
       !vlr_guard(x, "feature", "alphaToOneEnable without the alphaToOne feature"))
      return false;
   if (ms && ms->sampleShadingEnable && !dev->features.sampleRateShading &&
       !vlr_guard(x, "feature", "sampleShadingEnable without the sampleRateShading feature"))
      return false;
   if (ms && !dynamic(info, VK_DYNAMIC_STATE_RASTERIZATION_SAMPLES_EXT) &&
       !samples_ok(x, "rasterizationSamples", ms->rasterizationSamples))
      return false;
   const VkShaderStageFlags graphics =
      VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_TESSELLATION_CONTROL_BIT |
      VK_SHADER_STAGE_TESSELLATION_EVALUATION_BIT | VK_SHADER_STAGE_GEOMETRY_BIT |
      VK_SHADER_STAGE_FRAGMENT_BIT | VK_SHADER_STAGE_TASK_BIT_EXT | VK_SHADER_STAGE_MESH_BIT_EXT;
   for (uint32_t i = 0; info->pStages && i < info->stageCount; i++) {
      if (!stage_ok(x, info->pStages[i].stage, graphics) ||
          !push_constants_ok(x, &info->pStages[i], info->layout))
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
   if (vp && (!vlr_check_index(x, "viewports", 0, vp->viewportCount, l->maxViewports) ||
              !vlr_check_index(x, "scissors", 0, vp->scissorCount, l->maxViewports)))
      return false;
   /* static viewports and scissors are read from their arrays (lavapipe
    * copies them), unless rasterization is statically discarded */
   const VkPipelineRasterizationStateCreateInfo *rs = info->pRasterizationState;
   const bool discarded = rs && rs->rasterizerDiscardEnable &&
                          !dynamic(info, VK_DYNAMIC_STATE_RASTERIZER_DISCARD_ENABLE);
   if (vp && !discarded && vp->viewportCount && !vp->pViewports &&
       !dynamic(info, VK_DYNAMIC_STATE_VIEWPORT) &&
       !dynamic(info, VK_DYNAMIC_STATE_VIEWPORT_WITH_COUNT) &&
       !vlr_guard(x, "viewport-array", "static viewports without pViewports"))
      return false;
   if (vp && !discarded && vp->scissorCount && !vp->pScissors &&
       !dynamic(info, VK_DYNAMIC_STATE_SCISSOR) &&
       !dynamic(info, VK_DYNAMIC_STATE_SCISSOR_WITH_COUNT) &&
       !vlr_guard(x, "viewport-array", "static scissors without pScissors"))
      return false;
   const VkPipelineColorBlendStateCreateInfo *cb = info->pColorBlendState;
   if (cb && !vlr_check_index(x, "blended color attachments", 0, cb->attachmentCount,
                              l->maxColorAttachments))
      return false;
   for (const VkBaseInStructure *p = info->pNext; p; p = p->pNext) {
      if (p->sType == VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO &&
          !vlr_check_index(x, "color attachments", 0,
                           ((const VkPipelineRenderingCreateInfo *)p)->colorAttachmentCount,
                           l->maxColorAttachments))
         return false;
   }
   return true;
}

bool
vlr_check_vkCreateGraphicsPipelines(struct vlr_exec *x,
                                    const struct vl_args_vkCreateGraphicsPipelines *a)
{
   const struct vlr_device *dev = vlr_device_of(a->owner);
   for (uint32_t i = 0; dev && i < a->createInfoCount; i++) {
      if (!graphics_pipeline_ok(x, dev, &a->pCreateInfos[i]))
         return false;
   }
   return true;
}

bool
vlr_check_vkCreateComputePipelines(struct vlr_exec *x,
                                   const struct vl_args_vkCreateComputePipelines *a)
{
   for (uint32_t i = 0; i < a->createInfoCount; i++) {
      if (!stage_ok(x, a->pCreateInfos[i].stage.stage, VK_SHADER_STAGE_COMPUTE_BIT) ||
          !push_constants_ok(x, &a->pCreateInfos[i].stage, a->pCreateInfos[i].layout))
         return false;
   }
   return true;
}

bool
vlr_check_vkCreatePipelineLayout(struct vlr_exec *x, const struct vl_args_vkCreatePipelineLayout *a)
{
   const VkPhysicalDeviceLimits *l = vlr_limits_of(a->owner);
   const VkPipelineLayoutCreateInfo *info = a->pCreateInfo;
   if (!l)
      return true;
   if (!vlr_check_index(x, "descriptor set layouts", 0, info->setLayoutCount,
                        l->maxBoundDescriptorSets))
      return false;
   for (uint32_t i = 0; info->pPushConstantRanges && i < info->pushConstantRangeCount; i++) {
      const VkPushConstantRange *r = &info->pPushConstantRanges[i];
      if (!vlr_check_index(x, "push constant bytes", r->offset, r->size, l->maxPushConstantsSize))
         return false;
   }
   return true;
}

void
vlr_record_vkCreatePipelineLayout(struct vlr_exec *x,
                                  const struct vl_args_vkCreatePipelineLayout *a)
{
   struct vlr_pipeline_layout *l = vlr_state_attach(x, (uint64_t)(uintptr_t)*a->pPipelineLayout,
                                                    VK_OBJECT_TYPE_PIPELINE_LAYOUT, sizeof(*l));
   const VkPipelineLayoutCreateInfo *info = a->pCreateInfo;
   for (uint32_t i = 0; l && info->pPushConstantRanges && i < info->pushConstantRangeCount; i++)
      l->push_stages |= info->pPushConstantRanges[i].stageFlags;
}

void
vlr_forget_vkDestroyPipelineLayout(struct vlr_exec *x,
                                   const struct vl_args_vkDestroyPipelineLayout *a)
{
   (void)a;
   vlr_state_forget(x);
}

bool
vlr_check_vkCmdPushConstants(struct vlr_exec *x, const struct vl_args_vkCmdPushConstants *a)
{
   const VkPhysicalDeviceLimits *l = vlr_limits_of(a->owner);
   return !l ||
          vlr_check_index(x, "push constant bytes", a->offset, a->size, l->maxPushConstantsSize);
}

/* ---- dynamic state ---------------------------------------------------------------------- */

/* [first, first + count) of the host's table of maxViewports entries, or of
 * maxColorAttachments (lavapipe keeps per-attachment blend state there). */
static bool
table_ok(struct vlr_exec *x, const struct vl_object *owner, const char *what, uint32_t first,
         uint32_t count, bool attachments)
{
   const VkPhysicalDeviceLimits *l = vlr_limits_of(owner);
   return !l || vlr_check_index(x, what, first, count,
                                attachments ? l->maxColorAttachments : l->maxViewports);
}

bool
vlr_check_vkCmdSetViewport(struct vlr_exec *x, const struct vl_args_vkCmdSetViewport *a)
{
   return table_ok(x, a->owner, "viewports", a->firstViewport, a->viewportCount, false);
}

bool
vlr_check_vkCmdSetScissor(struct vlr_exec *x, const struct vl_args_vkCmdSetScissor *a)
{
   return table_ok(x, a->owner, "scissors", a->firstScissor, a->scissorCount, false);
}

bool
vlr_check_vkCmdSetViewportWithCount(struct vlr_exec *x,
                                    const struct vl_args_vkCmdSetViewportWithCount *a)
{
   return table_ok(x, a->owner, "viewports", 0, a->viewportCount, false);
}

bool
vlr_check_vkCmdSetScissorWithCount(struct vlr_exec *x,
                                   const struct vl_args_vkCmdSetScissorWithCount *a)
{
   return table_ok(x, a->owner, "scissors", 0, a->scissorCount, false);
}

bool
vlr_check_vkCmdSetColorWriteEnableEXT(struct vlr_exec *x,
                                      const struct vl_args_vkCmdSetColorWriteEnableEXT *a)
{
   return table_ok(x, a->owner, "color attachments", 0, a->attachmentCount, true);
}

bool
vlr_check_vkCmdSetColorBlendEnableEXT(struct vlr_exec *x,
                                      const struct vl_args_vkCmdSetColorBlendEnableEXT *a)
{
   return table_ok(x, a->owner, "color attachments", a->firstAttachment, a->attachmentCount, true);
}

bool
vlr_check_vkCmdSetColorBlendEquationEXT(struct vlr_exec *x,
                                        const struct vl_args_vkCmdSetColorBlendEquationEXT *a)
{
   return table_ok(x, a->owner, "color attachments", a->firstAttachment, a->attachmentCount, true);
}

bool
vlr_check_vkCmdSetColorWriteMaskEXT(struct vlr_exec *x,
                                    const struct vl_args_vkCmdSetColorWriteMaskEXT *a)
{
   return table_ok(x, a->owner, "color attachments", a->firstAttachment, a->attachmentCount, true);
}

bool
vlr_check_vkCmdSetColorBlendAdvancedEXT(struct vlr_exec *x,
                                        const struct vl_args_vkCmdSetColorBlendAdvancedEXT *a)
{
   return table_ok(x, a->owner, "color attachments", a->firstAttachment, a->attachmentCount, true);
}

bool
vlr_check_vkCmdSetSampleMaskEXT(struct vlr_exec *x, const struct vl_args_vkCmdSetSampleMaskEXT *a)
{
   /* the host reads the mask's first word whatever the sample count */
   return samples_ok(x, "a sample count", a->samples);
}

bool
vlr_check_vkCmdSetRasterizationSamplesEXT(struct vlr_exec *x,
                                          const struct vl_args_vkCmdSetRasterizationSamplesEXT *a)
{
   return samples_ok(x, "rasterizationSamples", a->rasterizationSamples);
}

bool
vlr_check_vkCmdSetVertexInputEXT(struct vlr_exec *x, const struct vl_args_vkCmdSetVertexInputEXT *a)
{
   const VkPhysicalDeviceLimits *l = vlr_limits_of(a->owner);
   return !l ||
          vertex_input_ok(
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

/* ---- dispatch ------------------------------------------------------------------------------- */

static bool
groups_ok(struct vlr_exec *x, const struct vl_object *owner, const uint32_t base[3],
          const uint32_t count[3])
{
   const VkPhysicalDeviceLimits *l = vlr_limits_of(owner);
   static const char *const what[3] = { "work groups (x)", "work groups (y)", "work groups (z)" };
   for (int i = 0; l && i < 3; i++) {
      if (!vlr_check_index(x, what[i], base[i], count[i], l->maxComputeWorkGroupCount[i]))
         return false;
   }
   return true;
}

bool
vlr_check_vkCmdDispatch(struct vlr_exec *x, const struct vl_args_vkCmdDispatch *a)
{
   const uint32_t base[3] = { 0, 0, 0 };
   const uint32_t count[3] = { a->groupCountX, a->groupCountY, a->groupCountZ };
   return groups_ok(x, a->owner, base, count);
}

bool
vlr_check_vkCmdDispatchBase(struct vlr_exec *x, const struct vl_args_vkCmdDispatchBase *a)
{
   const uint32_t base[3] = { a->baseGroupX, a->baseGroupY, a->baseGroupZ };
   const uint32_t count[3] = { a->groupCountX, a->groupCountY, a->groupCountZ };
   return groups_ok(x, a->owner, base, count);
}
