/*
 * Codec micro-benchmark: nanoseconds per encode (guest) and per decode
 * (renderer, with object-table lookups) of three representative commands:
 *   vkCmdDraw, vkCmdBindDescriptorSets (4 sets, 2 dynamic offsets), and
 *   vkCreateGraphicsPipelines with a typical create info.
 * Each figure is the median of 15 batches.  Not a test: run it by hand.
 *
 *   build/bench/bench_codec [name filter]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vl_object_table.h"
#include "vl_protocol_guest.h"
#include "vl_protocol_host.h"

#define BATCHES 15

static double
now_ns(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
   const double x = *(const double *)a, y = *(const double *)b;
   return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
   qsort(v, (size_t)n, sizeof(*v), cmp_double);
   return v[n / 2];
}

#define CLOBBER() __asm__ volatile("" ::: "memory")

static uint8_t stream[1 << 24];

/* ---- vkCmdDraw ---------------------------------------------------------- */

static size_t
encode_draws(unsigned n)
{
   struct vl_encoder enc;
   vl_enc_init(&enc, stream, sizeof(stream));
   VkCommandBuffer cmd = (VkCommandBuffer)(uintptr_t)0x61;
   for (unsigned i = 0; i < n; i++) {
      /* what the ICD does per call: size, room check, encode */
      const size_t size = vl_sizeof_vkCmdDraw(cmd, 3, 1, i, 0);
      if ((size_t)(enc.end - enc.cur) < size)
         abort();
      vl_encode_vkCmdDraw(&enc, 0, cmd, 3, 1, i, 0);
      CLOBBER();
   }
   return (size_t)(enc.cur - stream);
}

static void
decode_draws(size_t size, unsigned n, struct vl_object_table *objects, struct vl_arena *arena)
{
   struct vl_decoder dec;
   vl_dec_init(&dec, stream, size, arena, objects);
   for (unsigned i = 0; i < n; i++) {
      struct vl_args_vkCmdDraw args;
      vl_dec_u32(&dec);
      vl_dec_u32(&dec);
      vl_decode_vkCmdDraw_args(&dec, &args);
      CLOBBER();
   }
   if (dec.error || vl_dec_remaining(&dec))
      abort();
}

/* ---- vkCmdBindDescriptorSets -------------------------------------------- */

static const VkDescriptorSet sets[4] = { (VkDescriptorSet)(uintptr_t)0x101,
                                         (VkDescriptorSet)(uintptr_t)0x102,
                                         (VkDescriptorSet)(uintptr_t)0x103,
                                         (VkDescriptorSet)(uintptr_t)0x104 };
static const uint32_t dyn_offsets[2] = { 256, 512 };

static size_t
encode_binds(unsigned n)
{
   struct vl_encoder enc;
   vl_enc_init(&enc, stream, sizeof(stream));
   VkCommandBuffer cmd = (VkCommandBuffer)(uintptr_t)0x61;
   VkPipelineLayout layout = (VkPipelineLayout)(uintptr_t)0x200;
   for (unsigned i = 0; i < n; i++) {
      const size_t size = vl_sizeof_vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS,
                                                            layout, 0, 4, sets, 2, dyn_offsets);
      if ((size_t)(enc.end - enc.cur) < size)
         abort();
      vl_encode_vkCmdBindDescriptorSets(&enc, 0, cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, layout, 0, 4,
                                        sets, 2, dyn_offsets);
      CLOBBER();
   }
   return (size_t)(enc.cur - stream);
}

static void
decode_binds(size_t size, unsigned n, struct vl_object_table *objects, struct vl_arena *arena)
{
   struct vl_decoder dec;
   vl_dec_init(&dec, stream, size, arena, objects);
   for (unsigned i = 0; i < n; i++) {
      struct vl_args_vkCmdBindDescriptorSets args;
      vl_dec_u32(&dec);
      vl_dec_u32(&dec);
      vl_decode_vkCmdBindDescriptorSets_args(&dec, &args);
      vl_arena_reset(arena);
      CLOBBER();
   }
   if (dec.error || vl_dec_remaining(&dec))
      abort();
}

/* ---- vkCreateGraphicsPipelines ------------------------------------------ */

static VkGraphicsPipelineCreateInfo pipeline_info;

static void
init_pipeline_info(void)
{
   static const VkPipelineShaderStageCreateInfo stages[2] = {
      { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_VERTEX_BIT,
        .module = (VkShaderModule)(uintptr_t)0x301,
        .pName = "main" },
      { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_FRAGMENT_BIT,
        .module = (VkShaderModule)(uintptr_t)0x302,
        .pName = "main" },
   };
   static const VkVertexInputBindingDescription bindings[2] = {
      { 0, 32, VK_VERTEX_INPUT_RATE_VERTEX }, { 1, 16, VK_VERTEX_INPUT_RATE_INSTANCE }
   };
   static const VkVertexInputAttributeDescription attrs[4] = {
      { 0, 0, VK_FORMAT_R32G32B32_SFLOAT, 0 },
      { 1, 0, VK_FORMAT_R32G32B32_SFLOAT, 12 },
      { 2, 0, VK_FORMAT_R32G32_SFLOAT, 24 },
      { 3, 1, VK_FORMAT_R32G32B32A32_SFLOAT, 0 },
   };
   static const VkPipelineVertexInputStateCreateInfo vi = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
      .vertexBindingDescriptionCount = 2,
      .pVertexBindingDescriptions = bindings,
      .vertexAttributeDescriptionCount = 4,
      .pVertexAttributeDescriptions = attrs,
   };
   static const VkPipelineInputAssemblyStateCreateInfo ia = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
      .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST,
   };
   static const VkPipelineViewportStateCreateInfo vp = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
      .viewportCount = 1,
      .scissorCount = 1,
   };
   static const VkPipelineRasterizationStateCreateInfo rs = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
      .cullMode = VK_CULL_MODE_BACK_BIT,
      .lineWidth = 1.0f,
   };
   static const VkPipelineMultisampleStateCreateInfo ms = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
      .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT,
   };
   static const VkPipelineDepthStencilStateCreateInfo dss = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO,
      .depthTestEnable = VK_TRUE,
      .depthWriteEnable = VK_TRUE,
      .depthCompareOp = VK_COMPARE_OP_LESS,
   };
   static const VkPipelineColorBlendAttachmentState att = { .colorWriteMask = 0xf };
   static const VkPipelineColorBlendStateCreateInfo cb = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
      .attachmentCount = 1,
      .pAttachments = &att,
   };
   static const VkDynamicState dyn[2] = { VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR };
   static const VkPipelineDynamicStateCreateInfo ds = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO,
      .dynamicStateCount = 2,
      .pDynamicStates = dyn,
   };
   pipeline_info = (VkGraphicsPipelineCreateInfo){
      .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
      .stageCount = 2,
      .pStages = stages,
      .pVertexInputState = &vi,
      .pInputAssemblyState = &ia,
      .pViewportState = &vp,
      .pRasterizationState = &rs,
      .pMultisampleState = &ms,
      .pDepthStencilState = &dss,
      .pColorBlendState = &cb,
      .pDynamicState = &ds,
      .layout = (VkPipelineLayout)(uintptr_t)0x200,
      .renderPass = (VkRenderPass)(uintptr_t)0x400,
   };
}

static size_t
encode_pipelines(unsigned n)
{
   struct vl_encoder enc;
   vl_enc_init(&enc, stream, sizeof(stream));
   VkDevice device = (VkDevice)(uintptr_t)0x30;
   VkPipeline id = (VkPipeline)(uintptr_t)0x500;
   for (unsigned i = 0; i < n; i++) {
      const size_t size =
         vl_sizeof_vkCreateGraphicsPipelines(device, VK_NULL_HANDLE, 1, &pipeline_info, NULL, &id);
      if ((size_t)(enc.end - enc.cur) < size)
         abort();
      vl_encode_vkCreateGraphicsPipelines(&enc, 1, device, VK_NULL_HANDLE, 1, &pipeline_info, NULL,
                                          &id);
      CLOBBER();
   }
   return (size_t)(enc.cur - stream);
}

static void
decode_pipelines(size_t size, unsigned n, struct vl_object_table *objects, struct vl_arena *arena)
{
   struct vl_decoder dec;
   vl_dec_init(&dec, stream, size, arena, objects);
   for (unsigned i = 0; i < n; i++) {
      struct vl_args_vkCreateGraphicsPipelines args;
      vl_dec_u32(&dec);
      vl_dec_u32(&dec);
      vl_decode_vkCreateGraphicsPipelines_args(&dec, &args);
      vl_arena_reset(arena);
      CLOBBER();
   }
   if (dec.error || vl_dec_remaining(&dec))
      abort();
}

/* ------------------------------------------------------------------------- */

struct workload {
   const char *name;
   unsigned n;
   size_t (*encode)(unsigned n);
   void (*decode)(size_t size, unsigned n, struct vl_object_table *, struct vl_arena *);
};

int
main(int argc, char **argv)
{
   init_pipeline_info();
   /* The renderer's object table, holding every id the commands name. */
   struct vl_object_table objects;
   vl_object_table_init(&objects);
   const struct {
      uint64_t id;
      VkObjectType type;
   } ids[] = {
      { 0x30, VK_OBJECT_TYPE_DEVICE },           { 0x61, VK_OBJECT_TYPE_COMMAND_BUFFER },
      { 0x101, VK_OBJECT_TYPE_DESCRIPTOR_SET },  { 0x102, VK_OBJECT_TYPE_DESCRIPTOR_SET },
      { 0x103, VK_OBJECT_TYPE_DESCRIPTOR_SET },  { 0x104, VK_OBJECT_TYPE_DESCRIPTOR_SET },
      { 0x200, VK_OBJECT_TYPE_PIPELINE_LAYOUT }, { 0x301, VK_OBJECT_TYPE_SHADER_MODULE },
      { 0x302, VK_OBJECT_TYPE_SHADER_MODULE },   { 0x400, VK_OBJECT_TYPE_RENDER_PASS },
   };
   for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
      vl_object_table_add(&objects, ids[i].id, ids[i].type, ids[i].id * 16, NULL);
   /* A realistic table size: thousands of live objects. */
   for (uint64_t i = 0; i < 5000; i++)
      vl_object_table_add(&objects, 0x100000 + i * 8, VK_OBJECT_TYPE_BUFFER, i, NULL);
   struct vl_arena arena;
   vl_arena_init(&arena, 0);

   const struct workload w[] = {
      { "vkCmdDraw", 100000, encode_draws, decode_draws },
      { "vkCmdBindDescriptorSets (4 sets, 2 dynamic offsets)", 50000, encode_binds, decode_binds },
      { "vkCreateGraphicsPipelines (typical create info)", 5000, encode_pipelines,
        decode_pipelines },
   };
   printf("%-55s %8s %10s %10s\n", "command", "bytes", "encode ns", "decode ns");
   for (size_t k = 0; k < sizeof(w) / sizeof(w[0]); k++) {
      if (argc > 1 && !strstr(w[k].name, argv[1]))
         continue; /* bench_codec <name filter> */
      double enc[BATCHES], dec[BATCHES];
      size_t size = 0;
      for (int b = 0; b < BATCHES; b++) {
         double t0 = now_ns();
         size = w[k].encode(w[k].n);
         double t1 = now_ns();
         w[k].decode(size, w[k].n, &objects, &arena);
         double t2 = now_ns();
         enc[b] = (t1 - t0) / w[k].n;
         dec[b] = (t2 - t1) / w[k].n;
      }
      printf("%-55s %8zu %10.1f %10.1f\n", w[k].name, size / w[k].n, median(enc, BATCHES),
             median(dec, BATCHES));
   }
   vl_arena_finish(&arena);
   vl_object_table_finish(&objects);
   return 0;
}
