/*
 * Pipelines, guest side: clearing what the spec says a create info's
 * consumer ignores, so that no stale pointer or handle is encoded
 * (wire-format.md §9).
 */
#include <string.h>

#include "vl_icd.h"
#include "vl_icd_calls.h"

static bool
has_dynamic(const VkPipelineDynamicStateCreateInfo *d, VkDynamicState s)
{
   for (uint32_t i = 0; d && i < d->dynamicStateCount; i++) {
      if (d->pDynamicStates[i] == s)
         return true;
   }
   return false;
}

struct clean_pipeline {
   VkGraphicsPipelineCreateInfo info;
   VkPipelineViewportStateCreateInfo viewport;
};

static void
clean_graphics(const VkGraphicsPipelineCreateInfo *in, struct clean_pipeline *out)
{
   VkGraphicsPipelineCreateInfo *c = &out->info;
   *c = *in;
   const VkPipelineDynamicStateCreateInfo *dyn = in->pDynamicState;

   bool tess = false;
   for (uint32_t i = 0; i < in->stageCount; i++) {
      tess |= in->pStages[i].stage & (VK_SHADER_STAGE_TESSELLATION_CONTROL_BIT |
                                      VK_SHADER_STAGE_TESSELLATION_EVALUATION_BIT);
   }
   /* Pipeline libraries carry partial state; only whole pipelines are
    * cleaned. */
   bool library = false;
   for (const VkBaseInStructure *s = in->pNext; s; s = s->pNext) {
      library |= s->sType == VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_LIBRARY_CREATE_INFO_EXT ||
                 s->sType == VK_STRUCTURE_TYPE_PIPELINE_LIBRARY_CREATE_INFO_KHR;
   }
   if (in->flags & VK_PIPELINE_CREATE_LIBRARY_BIT_KHR)
      library = true;
   if (!library && !tess)
      c->pTessellationState = NULL;

   const bool discard_dynamic = has_dynamic(dyn, VK_DYNAMIC_STATE_RASTERIZER_DISCARD_ENABLE);
   const bool discard = !library && !discard_dynamic && in->pRasterizationState &&
                        in->pRasterizationState->rasterizerDiscardEnable;
   if (discard) {
      c->pViewportState = NULL;
      c->pMultisampleState = NULL;
      c->pDepthStencilState = NULL;
      c->pColorBlendState = NULL;
   }
   if (c->pViewportState) {
      out->viewport = *c->pViewportState;
      if (has_dynamic(dyn, VK_DYNAMIC_STATE_VIEWPORT) ||
          has_dynamic(dyn, VK_DYNAMIC_STATE_VIEWPORT_WITH_COUNT))
         out->viewport.pViewports = NULL;
      if (has_dynamic(dyn, VK_DYNAMIC_STATE_SCISSOR) ||
          has_dynamic(dyn, VK_DYNAMIC_STATE_SCISSOR_WITH_COUNT))
         out->viewport.pScissors = NULL;
      c->pViewportState = &out->viewport;
   }
   if (!library && has_dynamic(dyn, VK_DYNAMIC_STATE_VERTEX_INPUT_EXT))
      c->pVertexInputState = NULL;
   if (!(in->flags & VK_PIPELINE_CREATE_DERIVATIVE_BIT)) {
      c->basePipelineHandle = VK_NULL_HANDLE;
      c->basePipelineIndex = -1;
   }
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreateGraphicsPipelines(VkDevice device, VkPipelineCache cache, uint32_t count,
                           const VkGraphicsPipelineCreateInfo *infos,
                           const VkAllocationCallbacks *alloc, VkPipeline *out)
{
   (void)alloc;
   struct clean_pipeline local[4];
   struct clean_pipeline *clean = count <= 4 ? local : malloc(count * sizeof(*clean));
   VkGraphicsPipelineCreateInfo *infos_clean = malloc((count ? count : 1) * sizeof(*infos_clean));
   if (!clean || !infos_clean) {
      if (clean != local)
         free(clean);
      free(infos_clean);
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   }
   for (uint32_t i = 0; i < count; i++) {
      clean_graphics(&infos[i], &clean[i]);
      infos_clean[i] = clean[i].info;
      out[i] = (VkPipeline)(uintptr_t)vl_new_id();
   }
   VkResult r = vl_call_vkCreateGraphicsPipelines(vl_device(device)->transport, device, cache,
                                                  count, infos_clean, NULL, out);
   if (clean != local)
      free(clean);
   free(infos_clean);
   return r;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreateComputePipelines(VkDevice device, VkPipelineCache cache, uint32_t count,
                          const VkComputePipelineCreateInfo *infos,
                          const VkAllocationCallbacks *alloc, VkPipeline *out)
{
   (void)alloc;
   VkComputePipelineCreateInfo local[4];
   VkComputePipelineCreateInfo *clean = count <= 4 ? local : malloc(count * sizeof(*clean));
   if (!clean)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   for (uint32_t i = 0; i < count; i++) {
      clean[i] = infos[i];
      if (!(clean[i].flags & VK_PIPELINE_CREATE_DERIVATIVE_BIT)) {
         clean[i].basePipelineHandle = VK_NULL_HANDLE;
         clean[i].basePipelineIndex = -1;
      }
      out[i] = (VkPipeline)(uintptr_t)vl_new_id();
   }
   VkResult r = vl_call_vkCreateComputePipelines(vl_device(device)->transport, device, cache, count,
                                                 clean, NULL, out);
   if (clean != local)
      free(clean);
   return r;
}
