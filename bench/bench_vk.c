/*
 * bench_vk: what the loopback costs, against the native driver it replays on.
 *
 * Method
 *  - One process, two drivers.  The Khronos loader reads VK_ICD_FILENAMES and
 *    VK_DRIVER_FILES at every vkCreateInstance, so the benchmark points them at
 *    the native manifest (lavapipe) and creates the native instance, then at
 *    the loopback's manifest and creates the loopback instance.  Both live side
 *    by side; each gets a device with one graphics+compute queue, reused by
 *    every workload but startup.  The loopback replays on the same lavapipe, so
 *    the difference is encoding, the ring, decoding and the round trips.
 *  - Each workload is set up on both sides, warmed up once per side, and its
 *    iteration count calibrated per side so that one measurement takes about
 *    50 ms (a single iteration may take longer).  Then, for each round, it is
 *    measured natively and through the loopback, the first side alternating
 *    between rounds so that ordering effects (caches, clocks) cancel out.
 *    Time is CLOCK_MONOTONIC.  After every measurement the queue is drained
 *    outside the timed region, so that work one side left in flight (on the
 *    loopback, a renderer thread still replaying) does not land in the next
 *    measurement.  Record-only workloads also drain before each recording and
 *    time vkBeginCommandBuffer..vkEndCommandBuffer alone.
 *  - The table gives, per workload, the median over the rounds of each side,
 *    the ratio of the medians (loopback/native; for times above 1 means the
 *    loopback is slower, for bandwidth below 1 means it is slower) and
 *    min..max of each side.  RT/op is the number of synchronous round trips
 *    per operation on the loopback, read through vlGetLoopbackStats (the
 *    benchmark's own drains excluded).
 *  - Results are checked on the way: event statuses, the uploaded data, the
 *    saxpy sums, and the images of draw-frame and frame-loop, which must be
 *    the same bytes on both sides since both end up in the same lavapipe.
 *
 *  - Two aids for reading the ratios: --native-twice runs the native driver
 *    in both columns (an A/A run: the spread of its ratios is what this
 *    machine can resolve), and --phases splits draw-frame's frames into
 *    recording, vkQueueSubmit and the fence wait (median per frame).
 *
 * Usage: bench_vk [--quick] [--rounds N] [--only SUBSTRING] [--list] [--native-twice] [--phases]
 *                 [--loopback-icd MANIFEST] [--native-icd MANIFEST] [--guest-icd MANIFEST]
 * Environment: VL_BENCH_LOOPBACK_ICD, VL_BENCH_NATIVE_ICD, VL_BENCH_SHADER_DIR;
 * under `meson devenv` the loopback manifest is taken from VK_ICD_FILENAMES.
 */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vulkan/vulkan.h>

#include "vkt.h"
#include "vl_manifest.h"

/* Where this build's shaders, manifest and sources are (bench/meson.build). */
#if !defined(BENCH_SHADER_DIR) || !defined(BENCH_LOOPBACK_ICD) || !defined(BENCH_SOURCE_DIR)
#error                                                                                             \
   "bench_vk is built by Meson, which defines BENCH_SHADER_DIR, BENCH_LOOPBACK_ICD and BENCH_SOURCE_DIR"
#endif

#define TARGET_W      256 /* offscreen render target */
#define TARGET_H      256
#define RECORD_COUNT  100000 /* commands per command buffer in the recording workloads */
#define FRAME_DRAWS   1000
#define PHASE_FRAMES  100000 /* --phases: frames kept per side */
#define UPLOAD_BYTES  (64u << 20)
#define SAXPY_N       (16u << 20)
#define LOOP_FRAMES   60
#define CUBE_VERTICES 36

/* The loopback's statistics entry point; NULL on any other driver. */
typedef void(VKAPI_PTR *PFN_vlGetLoopbackStats)(VkDevice device, uint64_t *round_trips);

/* ---- errors -------------------------------------------------------------------- */

/* Which side is running, for error messages. */
static const char *current_side = "setup";

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
   va_list ap;
   va_start(ap, fmt);
   fprintf(stderr, "bench_vk: [%s] ", current_side);
   vfprintf(stderr, fmt, ap);
   fputc('\n', stderr);
   va_end(ap);
   exit(2);
}

static const char *
result_name(VkResult r)
{
   switch (r) {
#define R(x)                                                                                       \
   case x:                                                                                         \
      return #x
      R(VK_SUCCESS);
      R(VK_NOT_READY);
      R(VK_TIMEOUT);
      R(VK_EVENT_SET);
      R(VK_EVENT_RESET);
      R(VK_INCOMPLETE);
      R(VK_ERROR_OUT_OF_HOST_MEMORY);
      R(VK_ERROR_OUT_OF_DEVICE_MEMORY);
      R(VK_ERROR_INITIALIZATION_FAILED);
      R(VK_ERROR_DEVICE_LOST);
      R(VK_ERROR_MEMORY_MAP_FAILED);
      R(VK_ERROR_LAYER_NOT_PRESENT);
      R(VK_ERROR_EXTENSION_NOT_PRESENT);
      R(VK_ERROR_FEATURE_NOT_PRESENT);
      R(VK_ERROR_INCOMPATIBLE_DRIVER);
      R(VK_ERROR_TOO_MANY_OBJECTS);
      R(VK_ERROR_FORMAT_NOT_SUPPORTED);
      R(VK_ERROR_FRAGMENTED_POOL);
      R(VK_ERROR_OUT_OF_POOL_MEMORY);
      R(VK_ERROR_UNKNOWN);
#undef R
   default:
      return "unknown VkResult";
   }
}

#define VK_CHECK(call) vk_check((call), #call, __LINE__)

static void
vk_check(VkResult r, const char *what, int line)
{
   if (r != VK_SUCCESS)
      die("line %d: %s failed: %s (%d)", line, what, result_name(r), (int)r);
}

static void *
xcalloc(size_t n, size_t size)
{
   void *p = calloc(n, size);
   if (!p)
      die("out of memory (%zu bytes)", n * size);
   return p;
}

static double
now(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- one driver ------------------------------------------------------------------ */

struct side {
   const char *name; /* "native" or "loopback" */
   const char *manifest;
   VkInstance instance;
   VkPhysicalDevice phys;
   VkPhysicalDeviceProperties props;
   VkPhysicalDeviceMemoryProperties mem;
   uint32_t family;
   VkDevice device;
   VkQueue queue;
   VkCommandPool pool;
   PFN_vlGetLoopbackStats stats;
   uint64_t rt_extra;   /* round trips on connections other than this device's (startup) */
   uint64_t rt_untimed; /* round trips of the benchmark's own drains */
   /* --phases: draw-frame's frames split into recording, vkQueueSubmit and
    * the fence wait (seconds), every frame run, warm-up included */
   double *phase[3];
   size_t phase_count;

   /* Shared by the draw workloads, made on first use. */
   bool have_graphics;
   VkImage color;
   VkDeviceMemory color_mem;
   VkImageView color_view;
   VkRenderPass pass;
   VkFramebuffer framebuffer;
   VkPipelineLayout empty_layout;
   VkPipeline tri_pipeline;
   VkPipeline empty_compute;
};

/* The loader reads these at every vkCreateInstance. */
static void
point_loader_at(const char *manifest)
{
   setenv("VK_ICD_FILENAMES", manifest, 1);
   setenv("VK_DRIVER_FILES", manifest, 1);
}

/* Instance, first physical device, a graphics+compute family, device, queue:
 * what both the contexts and the startup workload do. */
static void
open_driver(const char *manifest, VkInstance *instance, VkPhysicalDevice *phys, uint32_t *family,
            VkDevice *device, VkQueue *queue)
{
   point_loader_at(manifest);
   const VkApplicationInfo app = {
      .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
      .pApplicationName = "bench_vk",
      .apiVersion = VK_API_VERSION_1_1,
   };
   const VkInstanceCreateInfo ici = {
      .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
      .pApplicationInfo = &app,
   };
   VK_CHECK(vkCreateInstance(&ici, NULL, instance));

   uint32_t count = 1;
   VkResult r = vkEnumeratePhysicalDevices(*instance, &count, phys);
   if (r != VK_SUCCESS && r != VK_INCOMPLETE)
      die("vkEnumeratePhysicalDevices failed: %s", result_name(r));
   if (count == 0)
      die("no physical device through %s", manifest);

   VkQueueFamilyProperties families[16];
   uint32_t nfam = 16;
   vkGetPhysicalDeviceQueueFamilyProperties(*phys, &nfam, families);
   const VkQueueFlags want = VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT;
   *family = UINT32_MAX;
   for (uint32_t i = 0; i < nfam && *family == UINT32_MAX; i++)
      if ((families[i].queueFlags & want) == want)
         *family = i;
   if (*family == UINT32_MAX)
      die("no graphics+compute queue family through %s", manifest);

   const float priority = 1.0f;
   const VkDeviceQueueCreateInfo qci = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
      .queueFamilyIndex = *family,
      .queueCount = 1,
      .pQueuePriorities = &priority,
   };
   const VkDeviceCreateInfo dci = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
      .queueCreateInfoCount = 1,
      .pQueueCreateInfos = &qci,
   };
   VK_CHECK(vkCreateDevice(*phys, &dci, NULL, device));
   vkGetDeviceQueue(*device, *family, 0, queue);
}

/* What a column runs on: the native driver, our ICD, or another Venus
 * guest driver (--guest-icd: Mesa's venus driver, measured like ours but
 * without our statistics). */
enum side_kind { SIDE_NATIVE, SIDE_LOOPBACK, SIDE_GUEST };

static void
side_open(struct side *s, const char *name, const char *manifest, enum side_kind kind)
{
   const bool loopback = kind == SIDE_LOOPBACK;
   current_side = name;
   s->name = name;
   s->manifest = manifest;
   open_driver(manifest, &s->instance, &s->phys, &s->family, &s->device, &s->queue);
   vkGetPhysicalDeviceProperties(s->phys, &s->props);
   vkGetPhysicalDeviceMemoryProperties(s->phys, &s->mem);
   s->stats = (PFN_vlGetLoopbackStats)vkGetDeviceProcAddr(s->device, "vlGetLoopbackStats");
   /* A wrong manifest would silently compare a driver with itself. */
   if (loopback && !s->stats)
      die("%s does not provide vlGetLoopbackStats: it is not the venus-loopback ICD "
          "(set --loopback-icd or VL_BENCH_LOOPBACK_ICD)",
          manifest);
   if (!loopback && s->stats)
      die("the %s manifest %s is the loopback (set --native-icd or VL_BENCH_NATIVE_ICD)",
          kind == SIDE_GUEST ? "guest" : "native", manifest);
   const VkCommandPoolCreateInfo pci = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
      .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
      .queueFamilyIndex = s->family,
   };
   VK_CHECK(vkCreateCommandPool(s->device, &pci, NULL, &s->pool));
}

static uint64_t
raw_round_trips(struct side *s)
{
   uint64_t v = 0;
   if (s->stats)
      s->stats(s->device, &v);
   return v;
}

/* The workload's round trips: the benchmark's drains are not the workload's. */
static uint64_t
round_trips(struct side *s)
{
   return raw_round_trips(s) + s->rt_extra - s->rt_untimed;
}

/* Waits until the queue is idle (and, on the loopback, until the renderer has
 * consumed everything sent before). */
static void
drain(struct side *s)
{
   const uint64_t rt0 = raw_round_trips(s);
   VK_CHECK(vkQueueWaitIdle(s->queue));
   s->rt_untimed += raw_round_trips(s) - rt0;
}

/* ---- small helpers ----------------------------------------------------------------- */

/* Memory types, buffers, shaders and submissions come from tests/lib/vkt.h,
 * shared with the integration programs; these wrappers only die on failure. */
static uint32_t
memory_type(struct side *s, uint32_t bits, VkMemoryPropertyFlags required,
            VkMemoryPropertyFlags preferred)
{
   const uint32_t i = vkt_pick_memory_type(&s->mem, bits, required, preferred);
   if (i == UINT32_MAX)
      die("no memory type with flags 0x%x among bits 0x%x", (unsigned)required, (unsigned)bits);
   return i;
}

static VkDeviceMemory
allocate(struct side *s, const VkMemoryRequirements *reqs, VkMemoryPropertyFlags required,
         VkMemoryPropertyFlags preferred)
{
   const VkMemoryAllocateInfo ai = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
      .allocationSize = reqs->size,
      .memoryTypeIndex = memory_type(s, reqs->memoryTypeBits, required, preferred),
   };
   VkDeviceMemory mem;
   VK_CHECK(vkAllocateMemory(s->device, &ai, NULL, &mem));
   return mem;
}

static struct vkt_buffer
make_buffer(struct side *s, VkDeviceSize size, VkBufferUsageFlags usage,
            VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred)
{
   struct vkt_buffer b;
   memory_type(s, ~0u, required, preferred); /* dies with the message when none fits */
   VK_CHECK(vkt_make_buffer(s->device, &s->mem, size, usage, required, preferred, &b));
   return b;
}

static void
free_buffer(struct side *s, struct vkt_buffer *b)
{
   vkt_free_buffer(s->device, b);
}

static VkCommandBuffer
make_cmd(struct side *s)
{
   const VkCommandBufferAllocateInfo ai = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
      .commandPool = s->pool,
      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
      .commandBufferCount = 1,
   };
   VkCommandBuffer cmd;
   VK_CHECK(vkAllocateCommandBuffers(s->device, &ai, &cmd));
   return cmd;
}

static VkFence
make_fence(struct side *s)
{
   const VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
   VkFence f;
   VK_CHECK(vkCreateFence(s->device, &fci, NULL, &f));
   return f;
}

static void
begin_cmd(VkCommandBuffer cmd)
{
   const VkCommandBufferBeginInfo bi = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
      .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
   };
   VK_CHECK(vkBeginCommandBuffer(cmd, &bi));
}

static void
submit(struct side *s, VkCommandBuffer cmd, VkFence fence)
{
   const VkSubmitInfo si = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .commandBufferCount = 1,
      .pCommandBuffers = &cmd,
   };
   VK_CHECK(vkQueueSubmit(s->queue, 1, &si, fence));
}

static void
wait_fence(struct side *s, VkFence fence)
{
   VK_CHECK(vkWaitForFences(s->device, 1, &fence, VK_TRUE, UINT64_MAX));
}

/* Submit, wait for completion and make the fence reusable. */
static void
submit_wait(struct side *s, VkCommandBuffer cmd, VkFence fence)
{
   VK_CHECK(vkt_submit_and_wait(s->device, s->queue, cmd, fence));
}

static const char *
shader_dir(void)
{
   const char *d = getenv("VL_BENCH_SHADER_DIR");
   return d && *d ? d : BENCH_SHADER_DIR;
}

static VkShaderModule
load_shader(struct side *s, const char *name)
{
   char path[4096];
   snprintf(path, sizeof(path), "%s/%s.spv", shader_dir(), name);
   VkShaderModule m;
   const VkResult r = vkt_load_shader(s->device, path, &m);
   if (r == VK_ERROR_INITIALIZATION_FAILED)
      die("cannot read %s as SPIR-V: compile bench/shaders/%s with glslangValidator -V, "
          "or point VL_BENCH_SHADER_DIR at the folder holding %s.spv",
          path, name, name);
   VK_CHECK(r);
   return m;
}

static VkPipelineLayout
make_layout(struct side *s, const VkDescriptorSetLayout *set_layout, uint32_t push_size,
            VkShaderStageFlags push_stages)
{
   const VkPushConstantRange range = { push_stages, 0, push_size };
   const VkPipelineLayoutCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
      .setLayoutCount = set_layout ? 1 : 0,
      .pSetLayouts = set_layout,
      .pushConstantRangeCount = push_size ? 1 : 0,
      .pPushConstantRanges = push_size ? &range : NULL,
   };
   VkPipelineLayout layout;
   VK_CHECK(vkCreatePipelineLayout(s->device, &ci, NULL, &layout));
   return layout;
}

static VkDescriptorSetLayout
make_set_layout(struct side *s, const VkDescriptorSetLayoutBinding *bindings, uint32_t count)
{
   const VkDescriptorSetLayoutCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .bindingCount = count,
      .pBindings = bindings,
   };
   VkDescriptorSetLayout l;
   VK_CHECK(vkCreateDescriptorSetLayout(s->device, &ci, NULL, &l));
   return l;
}

static VkPipeline
make_compute_pipeline(struct side *s, const char *shader, VkPipelineLayout layout)
{
   VkShaderModule m = load_shader(s, shader);
   const VkComputePipelineCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
      .stage = {
         .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
         .stage = VK_SHADER_STAGE_COMPUTE_BIT,
         .module = m,
         .pName = "main",
      },
      .layout = layout,
   };
   VkPipeline p;
   VK_CHECK(vkCreateComputePipelines(s->device, VK_NULL_HANDLE, 1, &ci, NULL, &p));
   vkDestroyShaderModule(s->device, m, NULL);
   return p;
}

/* A triangle-list pipeline for the shared render pass: static viewport over
 * the whole target, no vertex input, no culling, no blending. */
static VkPipeline
make_graphics_pipeline(struct side *s, const char *vert, const char *frag, VkPipelineLayout layout)
{
   VkShaderModule vm = load_shader(s, vert), fm = load_shader(s, frag);
   const VkPipelineShaderStageCreateInfo stages[2] = {
      { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_VERTEX_BIT,
        .module = vm,
        .pName = "main" },
      { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
        .stage = VK_SHADER_STAGE_FRAGMENT_BIT,
        .module = fm,
        .pName = "main" },
   };
   const VkPipelineVertexInputStateCreateInfo vertex_input = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
   };
   const VkPipelineInputAssemblyStateCreateInfo assembly = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
      .topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST,
   };
   const VkViewport viewport = { 0, 0, TARGET_W, TARGET_H, 0, 1 };
   const VkRect2D scissor = { { 0, 0 }, { TARGET_W, TARGET_H } };
   const VkPipelineViewportStateCreateInfo viewport_state = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
      .viewportCount = 1,
      .pViewports = &viewport,
      .scissorCount = 1,
      .pScissors = &scissor,
   };
   const VkPipelineRasterizationStateCreateInfo raster = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
      .polygonMode = VK_POLYGON_MODE_FILL,
      .cullMode = VK_CULL_MODE_NONE,
      .frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE,
      .lineWidth = 1.0f,
   };
   const VkPipelineMultisampleStateCreateInfo multisample = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
      .rasterizationSamples = VK_SAMPLE_COUNT_1_BIT,
   };
   const VkPipelineColorBlendAttachmentState blend_attachment = {
      .colorWriteMask = VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT |
                        VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT,
   };
   const VkPipelineColorBlendStateCreateInfo blend = {
      .sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
      .attachmentCount = 1,
      .pAttachments = &blend_attachment,
   };
   const VkGraphicsPipelineCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO,
      .stageCount = 2,
      .pStages = stages,
      .pVertexInputState = &vertex_input,
      .pInputAssemblyState = &assembly,
      .pViewportState = &viewport_state,
      .pRasterizationState = &raster,
      .pMultisampleState = &multisample,
      .pColorBlendState = &blend,
      .layout = layout,
      .renderPass = s->pass,
   };
   VkPipeline p;
   VK_CHECK(vkCreateGraphicsPipelines(s->device, VK_NULL_HANDLE, 1, &ci, NULL, &p));
   vkDestroyShaderModule(s->device, vm, NULL);
   vkDestroyShaderModule(s->device, fm, NULL);
   return p;
}

/* The offscreen target, its render pass and the small-triangle pipeline. */
static void
ensure_graphics(struct side *s)
{
   if (s->have_graphics)
      return;
   s->have_graphics = true;
   const VkImageCreateInfo ici = {
      .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
      .imageType = VK_IMAGE_TYPE_2D,
      .format = VK_FORMAT_R8G8B8A8_UNORM,
      .extent = { TARGET_W, TARGET_H, 1 },
      .mipLevels = 1,
      .arrayLayers = 1,
      .samples = VK_SAMPLE_COUNT_1_BIT,
      .tiling = VK_IMAGE_TILING_OPTIMAL,
      .usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT,
      .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
   };
   VK_CHECK(vkCreateImage(s->device, &ici, NULL, &s->color));
   VkMemoryRequirements reqs;
   vkGetImageMemoryRequirements(s->device, s->color, &reqs);
   s->color_mem = allocate(s, &reqs, 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
   VK_CHECK(vkBindImageMemory(s->device, s->color, s->color_mem, 0));
   const VkImageViewCreateInfo vci = {
      .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
      .image = s->color,
      .viewType = VK_IMAGE_VIEW_TYPE_2D,
      .format = ici.format,
      .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
   };
   VK_CHECK(vkCreateImageView(s->device, &vci, NULL, &s->color_view));

   /* Every frame starts from a clear and ends ready to be read back. */
   const VkAttachmentDescription attachment = {
      .format = ici.format,
      .samples = VK_SAMPLE_COUNT_1_BIT,
      .loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
      .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
      .stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE,
      .stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE,
      .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
      .finalLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
   };
   const VkAttachmentReference ref = { 0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL };
   const VkSubpassDescription subpass = {
      .pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
      .colorAttachmentCount = 1,
      .pColorAttachments = &ref,
   };
   const VkSubpassDependency deps[2] = {
      /* the previous frame's writes and read-back before this frame's writes */
      { VK_SUBPASS_EXTERNAL, 0,
        VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
        VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT, VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
        VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT, 0 },
      /* this frame's writes before a read-back */
      { 0, VK_SUBPASS_EXTERNAL, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
        VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
        VK_ACCESS_TRANSFER_READ_BIT, 0 },
   };
   const VkRenderPassCreateInfo rci = {
      .sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
      .attachmentCount = 1,
      .pAttachments = &attachment,
      .subpassCount = 1,
      .pSubpasses = &subpass,
      .dependencyCount = 2,
      .pDependencies = deps,
   };
   VK_CHECK(vkCreateRenderPass(s->device, &rci, NULL, &s->pass));
   const VkFramebufferCreateInfo fci = {
      .sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
      .renderPass = s->pass,
      .attachmentCount = 1,
      .pAttachments = &s->color_view,
      .width = TARGET_W,
      .height = TARGET_H,
      .layers = 1,
   };
   VK_CHECK(vkCreateFramebuffer(s->device, &fci, NULL, &s->framebuffer));
   s->empty_layout = make_layout(s, NULL, 0, 0);
   s->tri_pipeline = make_graphics_pipeline(s, "tri.vert", "color.frag", s->empty_layout);
}

static void
ensure_empty_compute(struct side *s)
{
   ensure_graphics(s); /* for the empty layout */
   if (!s->empty_compute)
      s->empty_compute = make_compute_pipeline(s, "empty.comp", s->empty_layout);
}

static void
begin_pass(struct side *s, VkCommandBuffer cmd)
{
   const VkClearValue clear = { .color = { .float32 = { 0.0f, 0.0f, 0.2f, 1.0f } } };
   const VkRenderPassBeginInfo bi = {
      .sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
      .renderPass = s->pass,
      .framebuffer = s->framebuffer,
      .renderArea = { { 0, 0 }, { TARGET_W, TARGET_H } },
      .clearValueCount = 1,
      .pClearValues = &clear,
   };
   vkCmdBeginRenderPass(cmd, &bi, VK_SUBPASS_CONTENTS_INLINE);
}

/* count small triangles, each one draw, in one render pass. */
static void
record_draws(struct side *s, VkCommandBuffer cmd, uint32_t count)
{
   begin_cmd(cmd);
   begin_pass(s, cmd);
   vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, s->tri_pipeline);
   for (uint32_t i = 0; i < count; i++)
      vkCmdDraw(cmd, 3, 1, 0, i % 1024); /* firstInstance picks the triangle's cell */
   vkCmdEndRenderPass(cmd);
   VK_CHECK(vkEndCommandBuffer(cmd));
}

static void
record_dispatches(struct side *s, VkCommandBuffer cmd, uint32_t count)
{
   begin_cmd(cmd);
   vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, s->empty_compute);
   for (uint32_t i = 0; i < count; i++)
      vkCmdDispatch(cmd, 1, 1, 1);
   VK_CHECK(vkEndCommandBuffer(cmd));
}

/* FNV-1a of the render target as it is now: both sides run the same lavapipe,
 * so the same frame must give the same bytes. */
static uint64_t
image_hash(struct side *s)
{
   const VkDeviceSize size = (VkDeviceSize)TARGET_W * TARGET_H * 4;
   struct vkt_buffer b =
      make_buffer(s, size, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                  VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                  VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
   VkCommandBuffer cmd = make_cmd(s);
   VkFence fence = make_fence(s);
   begin_cmd(cmd);
   const VkBufferImageCopy region = {
      .imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
      .imageExtent = { TARGET_W, TARGET_H, 1 },
   };
   vkCmdCopyImageToBuffer(cmd, s->color, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, b.buffer, 1,
                          &region);
   const VkBufferMemoryBarrier to_host = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
      .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
      .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
      .buffer = b.buffer,
      .size = VK_WHOLE_SIZE,
   };
   vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, NULL,
                        1, &to_host, 0, NULL);
   VK_CHECK(vkEndCommandBuffer(cmd));
   submit_wait(s, cmd, fence);
   uint64_t h = 0xcbf29ce484222325ull;
   const uint8_t *p = b.map;
   for (VkDeviceSize i = 0; i < size; i++)
      h = (h ^ p[i]) * 0x100000001b3ull;
   vkDestroyFence(s->device, fence, NULL);
   vkFreeCommandBuffers(s->device, s->pool, 1, &cmd);
   free_buffer(s, &b);
   return h;
}

/* ---- workloads: synchronous round trips ------------------------------------------- */

struct event_state {
   VkEvent event;
};

static void *
event_setup(struct side *s)
{
   struct event_state *st = xcalloc(1, sizeof(*st));
   const VkEventCreateInfo ci = { .sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO };
   VK_CHECK(vkCreateEvent(s->device, &ci, NULL, &st->event));
   return st;
}

static double
event_run(struct side *s, void *p, uint64_t n)
{
   struct event_state *st = p;
   const double t0 = now();
   for (uint64_t i = 0; i < n; i++) {
      VK_CHECK(vkSetEvent(s->device, st->event));
      VkResult r = vkGetEventStatus(s->device, st->event);
      if (r != VK_EVENT_SET)
         die("vkGetEventStatus after vkSetEvent: %s, expected VK_EVENT_SET", result_name(r));
      VK_CHECK(vkResetEvent(s->device, st->event));
      r = vkGetEventStatus(s->device, st->event);
      if (r != VK_EVENT_RESET)
         die("vkGetEventStatus after vkResetEvent: %s, expected VK_EVENT_RESET", result_name(r));
   }
   return now() - t0;
}

static uint64_t
event_teardown(struct side *s, void *p)
{
   struct event_state *st = p;
   vkDestroyEvent(s->device, st->event, NULL);
   free(st);
   return 0;
}

#define QUERIES 4

struct query_state {
   VkQueryPool pool;
};

static void *
query_setup(struct side *s)
{
   VkQueueFamilyProperties families[16];
   uint32_t n = 16;
   vkGetPhysicalDeviceQueueFamilyProperties(s->phys, &n, families);
   if (families[s->family].timestampValidBits == 0)
      die("the queue family has no timestamps (timestampValidBits = 0)");
   struct query_state *st = xcalloc(1, sizeof(*st));
   const VkQueryPoolCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
      .queryType = VK_QUERY_TYPE_TIMESTAMP,
      .queryCount = QUERIES,
   };
   VK_CHECK(vkCreateQueryPool(s->device, &ci, NULL, &st->pool));
   /* Write every timestamp once and wait: the timed calls find them available. */
   VkCommandBuffer cmd = make_cmd(s);
   VkFence fence = make_fence(s);
   begin_cmd(cmd);
   vkCmdResetQueryPool(cmd, st->pool, 0, QUERIES);
   for (uint32_t i = 0; i < QUERIES; i++)
      vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, st->pool, i);
   VK_CHECK(vkEndCommandBuffer(cmd));
   submit_wait(s, cmd, fence);
   vkDestroyFence(s->device, fence, NULL);
   vkFreeCommandBuffers(s->device, s->pool, 1, &cmd);
   return st;
}

static double
query_run(struct side *s, void *p, uint64_t n)
{
   struct query_state *st = p;
   uint64_t data[QUERIES];
   const double t0 = now();
   for (uint64_t i = 0; i < n; i++) {
      /* Without WAIT_BIT: VK_NOT_READY would mean the results were lost. */
      VK_CHECK(vkGetQueryPoolResults(s->device, st->pool, 0, QUERIES, sizeof(data), data,
                                     sizeof(data[0]), VK_QUERY_RESULT_64_BIT));
   }
   return now() - t0;
}

static uint64_t
query_teardown(struct side *s, void *p)
{
   struct query_state *st = p;
   vkDestroyQueryPool(s->device, st->pool, NULL);
   free(st);
   return 0;
}

/* ---- workloads: object churn ---------------------------------------------------- */

static void *
no_setup(struct side *s)
{
   (void)s;
   return NULL;
}

static uint64_t
no_teardown(struct side *s, void *p)
{
   (void)s;
   (void)p;
   return 0;
}

static double
buffer_run(struct side *s, void *p, uint64_t n)
{
   (void)p;
   const VkBufferCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
      .size = 65536,
      .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
      .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
   };
   const double t0 = now();
   for (uint64_t i = 0; i < n; i++) {
      VkBuffer b;
      VK_CHECK(vkCreateBuffer(s->device, &ci, NULL, &b));
      VkMemoryRequirements reqs;
      vkGetBufferMemoryRequirements(s->device, b, &reqs);
      if (reqs.size < ci.size || !reqs.memoryTypeBits)
         die("vkGetBufferMemoryRequirements: size %llu, type bits 0x%x for a %llu-byte buffer",
             (unsigned long long)reqs.size, reqs.memoryTypeBits, (unsigned long long)ci.size);
      vkDestroyBuffer(s->device, b, NULL);
   }
   return now() - t0;
}

struct descriptor_state {
   VkDescriptorSetLayout layout;
   VkDescriptorPool pool;
   struct vkt_buffer buffer;
};

static void *
descriptor_setup(struct side *s)
{
   struct descriptor_state *st = xcalloc(1, sizeof(*st));
   const VkDescriptorSetLayoutBinding bindings[2] = {
      { 0, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1, VK_SHADER_STAGE_ALL, NULL },
      { 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_ALL, NULL },
   };
   st->layout = make_set_layout(s, bindings, 2);
   const VkDescriptorPoolSize sizes[2] = {
      { VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1 },
      { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1 },
   };
   const VkDescriptorPoolCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
      .flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT,
      .maxSets = 1, /* one set: a set that was not freed makes the next allocation fail */
      .poolSizeCount = 2,
      .pPoolSizes = sizes,
   };
   VK_CHECK(vkCreateDescriptorPool(s->device, &ci, NULL, &st->pool));
   st->buffer =
      make_buffer(s, 65536, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                  0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
   return st;
}

static double
descriptor_run(struct side *s, void *p, uint64_t n)
{
   struct descriptor_state *st = p;
   const VkDescriptorSetAllocateInfo ai = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
      .descriptorPool = st->pool,
      .descriptorSetCount = 1,
      .pSetLayouts = &st->layout,
   };
   const VkDescriptorBufferInfo infos[2] = {
      { st->buffer.buffer, 0, 256 },
      { st->buffer.buffer, 4096, 4096 },
   };
   const double t0 = now();
   for (uint64_t i = 0; i < n; i++) {
      VkDescriptorSet set;
      VK_CHECK(vkAllocateDescriptorSets(s->device, &ai, &set));
      const VkWriteDescriptorSet writes[2] = {
         { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
           .dstSet = set,
           .dstBinding = 0,
           .descriptorCount = 1,
           .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
           .pBufferInfo = &infos[0] },
         { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
           .dstSet = set,
           .dstBinding = 1,
           .descriptorCount = 1,
           .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
           .pBufferInfo = &infos[1] },
      };
      vkUpdateDescriptorSets(s->device, 2, writes, 0, NULL);
      VK_CHECK(vkFreeDescriptorSets(s->device, st->pool, 1, &set));
   }
   return now() - t0;
}

static uint64_t
descriptor_teardown(struct side *s, void *p)
{
   struct descriptor_state *st = p;
   vkDestroyDescriptorPool(s->device, st->pool, NULL);
   vkDestroyDescriptorSetLayout(s->device, st->layout, NULL);
   free_buffer(s, &st->buffer);
   free(st);
   return 0;
}

/* ---- workloads: submission and recording -------------------------------------------- */

/* A command buffer and a fence: enough for the submit and recording workloads. */
struct cmd_state {
   VkCommandBuffer cmd;
   VkFence fence;
};

static struct cmd_state *
cmd_state_new(struct side *s)
{
   struct cmd_state *st = xcalloc(1, sizeof(*st));
   st->cmd = make_cmd(s);
   st->fence = make_fence(s);
   return st;
}

static void *
submit_setup(struct side *s)
{
   return cmd_state_new(s);
}

static void *
draw_setup(struct side *s)
{
   ensure_graphics(s);
   return cmd_state_new(s);
}

static void *
dispatch_setup(struct side *s)
{
   ensure_empty_compute(s);
   return cmd_state_new(s);
}

static uint64_t
cmd_teardown(struct side *s, void *p)
{
   struct cmd_state *st = p;
   vkDestroyFence(s->device, st->fence, NULL);
   vkFreeCommandBuffers(s->device, s->pool, 1, &st->cmd);
   free(st);
   return 0;
}

static uint64_t
draw_frame_teardown(struct side *s, void *p)
{
   const uint64_t h = image_hash(s);
   cmd_teardown(s, p);
   return h;
}

static double
submit_run(struct side *s, void *p, uint64_t n)
{
   struct cmd_state *st = p;
   const double t0 = now();
   for (uint64_t i = 0; i < n; i++) {
      VK_CHECK(vkQueueSubmit(s->queue, 0, NULL, st->fence));
      wait_fence(s, st->fence);
      VK_CHECK(vkResetFences(s->device, 1, &st->fence));
   }
   return now() - t0;
}

/* Record-only: the time of vkBeginCommandBuffer..vkEndCommandBuffer alone,
 * each recording starting with an idle queue.  On the loopback,
 * vkBeginCommandBuffer waits until the renderer has consumed the buffer's
 * previous stream, so back-to-back recordings would measure the replay and
 * depend on the iteration count; the e2e workloads measure the whole cost. */
static double
record_draw_run(struct side *s, void *p, uint64_t n)
{
   struct cmd_state *st = p;
   double timed = 0.0;
   for (uint64_t i = 0; i < n; i++) {
      drain(s);
      const double t0 = now();
      record_draws(s, st->cmd, RECORD_COUNT);
      timed += now() - t0;
   }
   return timed;
}

static double
record_draw_e2e_run(struct side *s, void *p, uint64_t n)
{
   struct cmd_state *st = p;
   const double t0 = now();
   for (uint64_t i = 0; i < n; i++) {
      record_draws(s, st->cmd, RECORD_COUNT);
      submit_wait(s, st->cmd, st->fence);
   }
   return now() - t0;
}

static double
record_dispatch_run(struct side *s, void *p, uint64_t n)
{
   struct cmd_state *st = p;
   double timed = 0.0;
   for (uint64_t i = 0; i < n; i++) {
      drain(s);
      const double t0 = now();
      record_dispatches(s, st->cmd, RECORD_COUNT);
      timed += now() - t0;
   }
   return timed;
}

static double
record_dispatch_e2e_run(struct side *s, void *p, uint64_t n)
{
   struct cmd_state *st = p;
   const double t0 = now();
   for (uint64_t i = 0; i < n; i++) {
      record_dispatches(s, st->cmd, RECORD_COUNT);
      submit_wait(s, st->cmd, st->fence);
   }
   return now() - t0;
}

/* ---- workloads: memory and compute ------------------------------------------------- */

/* Host data shared by both sides: two patterns alternate so that a stale
 * read-back cannot pass the check. */
static uint8_t *upload_src[2];
static uint8_t *upload_dst;

struct upload_state {
   struct vkt_buffer in, device, out;
   VkCommandBuffer cmd;
   VkFence fence;
   uint64_t count;
};

static void *
upload_setup(struct side *s)
{
   if (!upload_src[0]) {
      uint64_t x = 0x9e3779b97f4a7c15ull;
      for (int k = 0; k < 2; k++) {
         upload_src[k] = xcalloc(1, UPLOAD_BYTES);
         uint64_t *w = (uint64_t *)upload_src[k];
         for (size_t i = 0; i < UPLOAD_BYTES / 8; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            w[i] = x;
         }
      }
      upload_dst = xcalloc(1, UPLOAD_BYTES);
   }
   struct upload_state *st = xcalloc(1, sizeof(*st));
   const VkMemoryPropertyFlags host =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
   st->in = make_buffer(s, UPLOAD_BYTES, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, host, 0);
   st->device = make_buffer(s, UPLOAD_BYTES,
                            VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT, 0,
                            VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
   st->out = make_buffer(s, UPLOAD_BYTES, VK_BUFFER_USAGE_TRANSFER_DST_BIT, host,
                         VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
   st->fence = make_fence(s);
   /* The same copies every time: record them once. */
   st->cmd = make_cmd(s);
   const VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
   VK_CHECK(vkBeginCommandBuffer(st->cmd, &bi));
   const VkBufferCopy region = { 0, 0, UPLOAD_BYTES };
   vkCmdCopyBuffer(st->cmd, st->in.buffer, st->device.buffer, 1, &region);
   const VkMemoryBarrier copied = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
   };
   vkCmdPipelineBarrier(st->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0,
                        1, &copied, 0, NULL, 0, NULL);
   vkCmdCopyBuffer(st->cmd, st->device.buffer, st->out.buffer, 1, &region);
   vkt_transfer_to_host(st->cmd);
   VK_CHECK(vkEndCommandBuffer(st->cmd));
   return st;
}

static double
upload_run(struct side *s, void *p, uint64_t n)
{
   struct upload_state *st = p;
   const double t0 = now();
   for (uint64_t i = 0; i < n; i++) {
      const uint8_t *src = upload_src[st->count++ & 1];
      memcpy(st->in.map, src, UPLOAD_BYTES);
      submit_wait(s, st->cmd, st->fence);
      memcpy(upload_dst, st->out.map, UPLOAD_BYTES);
      if (memcmp(upload_dst, src, UPLOAD_BYTES))
         die("upload: the data read back differs from the data written (iteration %llu)",
             (unsigned long long)st->count);
   }
   return now() - t0;
}

static uint64_t
upload_teardown(struct side *s, void *p)
{
   struct upload_state *st = p;
   vkDestroyFence(s->device, st->fence, NULL);
   vkFreeCommandBuffers(s->device, s->pool, 1, &st->cmd);
   free_buffer(s, &st->in);
   free_buffer(s, &st->device);
   free_buffer(s, &st->out);
   free(st);
   return 0;
}

struct saxpy_state {
   struct vkt_buffer x, y;
   VkDescriptorSetLayout set_layout;
   VkDescriptorPool pool;
   VkDescriptorSet set;
   VkPipelineLayout layout;
   VkPipeline pipeline;
   VkCommandBuffer cmd;
   VkFence fence;
   uint64_t frames;
};

static void *
saxpy_setup(struct side *s)
{
   struct saxpy_state *st = xcalloc(1, sizeof(*st));
   const VkDeviceSize size = (VkDeviceSize)SAXPY_N * sizeof(float);
   /* Host-visible so that the inputs can be written and the result checked
    * directly; on lavapipe all memory is. */
   const VkMemoryPropertyFlags host =
      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
   st->x = make_buffer(s, size, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, host,
                       VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
   st->y = make_buffer(s, size, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, host,
                       VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
   /* x[i] = i % 7, y = 0, a = 1: after k frames y[i] = k * (i % 7), exact in floats. */
   float *x = st->x.map, *y = st->y.map;
   for (uint32_t i = 0; i < SAXPY_N; i++) {
      x[i] = (float)(i % 7);
      y[i] = 0.0f;
   }
   const VkDescriptorSetLayoutBinding bindings[2] = {
      { 0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
      { 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, NULL },
   };
   st->set_layout = make_set_layout(s, bindings, 2);
   const VkDescriptorPoolSize pool_size = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2 };
   const VkDescriptorPoolCreateInfo pci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
      .maxSets = 1,
      .poolSizeCount = 1,
      .pPoolSizes = &pool_size,
   };
   VK_CHECK(vkCreateDescriptorPool(s->device, &pci, NULL, &st->pool));
   const VkDescriptorSetAllocateInfo ai = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
      .descriptorPool = st->pool,
      .descriptorSetCount = 1,
      .pSetLayouts = &st->set_layout,
   };
   VK_CHECK(vkAllocateDescriptorSets(s->device, &ai, &st->set));
   const VkDescriptorBufferInfo infos[2] = {
      { st->x.buffer, 0, VK_WHOLE_SIZE },
      { st->y.buffer, 0, VK_WHOLE_SIZE },
   };
   const VkWriteDescriptorSet write = {
      .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
      .dstSet = st->set,
      .dstBinding = 0,
      .descriptorCount = 2,
      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
      .pBufferInfo = infos,
   };
   vkUpdateDescriptorSets(s->device, 1, &write, 0, NULL);
   st->layout = make_layout(s, &st->set_layout, 8, VK_SHADER_STAGE_COMPUTE_BIT);
   st->pipeline = make_compute_pipeline(s, "saxpy.comp", st->layout);
   st->cmd = make_cmd(s);
   st->fence = make_fence(s);
   return st;
}

static double
saxpy_run(struct side *s, void *p, uint64_t n)
{
   struct saxpy_state *st = p;
   const struct {
      float a;
      uint32_t n;
   } params = { 1.0f, SAXPY_N };
   const double t0 = now();
   for (uint64_t i = 0; i < n; i++) {
      /* a frame records its work, submits it and waits for it */
      begin_cmd(st->cmd);
      vkCmdBindPipeline(st->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, st->pipeline);
      vkCmdBindDescriptorSets(st->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, st->layout, 0, 1, &st->set,
                              0, NULL);
      vkCmdPushConstants(st->cmd, st->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(params),
                         &params);
      vkCmdDispatch(st->cmd, 256, SAXPY_N / (256 * 256), 1);
      const VkMemoryBarrier to_host = {
         .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
         .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
         .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
      };
      vkCmdPipelineBarrier(st->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                           VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0, NULL, 0, NULL);
      VK_CHECK(vkEndCommandBuffer(st->cmd));
      submit_wait(s, st->cmd, st->fence);
      st->frames++;
   }
   return now() - t0;
}

static void
saxpy_check(const struct saxpy_state *st, uint32_t i)
{
   const float *y = st->y.map;
   const float want = (float)st->frames * (float)(i % 7);
   if (y[i] != want)
      die("saxpy: y[%u] = %g after %llu frames, expected %g", i, (double)y[i],
          (unsigned long long)st->frames, (double)want);
}

static uint64_t
saxpy_teardown(struct side *s, void *p)
{
   struct saxpy_state *st = p;
   /* Every 4099th element and the last one (the 2D dispatch's far corner). */
   for (uint32_t i = 0; i < SAXPY_N; i += 4099)
      saxpy_check(st, i);
   saxpy_check(st, SAXPY_N - 1);
   vkDestroyFence(s->device, st->fence, NULL);
   vkFreeCommandBuffers(s->device, s->pool, 1, &st->cmd);
   vkDestroyPipeline(s->device, st->pipeline, NULL);
   vkDestroyPipelineLayout(s->device, st->layout, NULL);
   vkDestroyDescriptorPool(s->device, st->pool, NULL);
   vkDestroyDescriptorSetLayout(s->device, st->set_layout, NULL);
   free_buffer(s, &st->x);
   free_buffer(s, &st->y);
   free(st);
   return 0;
}

/* ---- workloads: frames --------------------------------------------------------------- */

static double
draw_frame_run(struct side *s, void *p, uint64_t n)
{
   struct cmd_state *st = p;
   const double t0 = now();
   for (uint64_t i = 0; i < n; i++) {
      /* timed per phase always (four clock reads in a ~2 ms frame), kept
       * with --phases */
      const double a = now();
      record_draws(s, st->cmd, FRAME_DRAWS);
      const double b = now();
      submit(s, st->cmd, st->fence);
      const double c = now();
      wait_fence(s, st->fence);
      const double d = now();
      VK_CHECK(vkResetFences(s->device, 1, &st->fence));
      if (s->phase[0] && s->phase_count < PHASE_FRAMES) {
         s->phase[0][s->phase_count] = b - a;
         s->phase[1][s->phase_count] = c - b;
         s->phase[2][s->phase_count] = d - c;
         s->phase_count++;
      }
   }
   return now() - t0;
}

/* Column-major, as GLSL reads a mat4. */
static void
mat4_mul(float *out, const float *a, const float *b)
{
   float r[16];
   for (int c = 0; c < 4; c++)
      for (int row = 0; row < 4; row++) {
         float sum = 0.0f;
         for (int k = 0; k < 4; k++)
            sum += a[k * 4 + row] * b[c * 4 + k];
         r[c * 4 + row] = sum;
      }
   memcpy(out, r, sizeof(r));
}

/* vkcube's transform: a cube spinning about Y, seen from z = 5. */
static void
cube_mvp(float *mvp, unsigned frame)
{
   const float angle = (float)frame * 0.05f;
   const float c = cosf(angle), s = sinf(angle);
   const float model[16] = { c, 0, -s, 0, 0, 1, 0, 0, s, 0, c, 0, 0, 0, 0, 1 };
   const float view[16] = { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, -5, 1 };
   const float f = 1.0f / tanf(3.14159265f / 8.0f), zn = 0.1f, zf = 100.0f;
   /* Vulkan clip space: y down, depth 0..1 */
   const float proj[16] = {
      f, 0, 0, 0, 0, -f, 0, 0, 0, 0, zf / (zn - zf), -1, 0, 0, zn * zf / (zn - zf), 0
   };
   float mv[16];
   mat4_mul(mv, view, model);
   mat4_mul(mvp, proj, mv);
}

#define IN_FLIGHT 2

struct loop_state {
   VkDescriptorSetLayout set_layout;
   VkDescriptorPool pool;
   VkDescriptorSet sets[IN_FLIGHT];
   VkPipelineLayout layout;
   VkPipeline pipeline;
   struct vkt_buffer ubo; /* one slot per frame in flight, persistently mapped */
   VkDeviceSize stride;
   VkCommandBuffer cmd[IN_FLIGHT];
   VkFence fence[IN_FLIGHT];
};

static void *
loop_setup(struct side *s)
{
   ensure_graphics(s);
   struct loop_state *st = xcalloc(1, sizeof(*st));
   const VkDescriptorSetLayoutBinding binding = { 0, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1,
                                                  VK_SHADER_STAGE_VERTEX_BIT, NULL };
   st->set_layout = make_set_layout(s, &binding, 1);
   st->layout = make_layout(s, &st->set_layout, 0, 0);
   st->pipeline = make_graphics_pipeline(s, "cube.vert", "color.frag", st->layout);
   const VkDeviceSize align = s->props.limits.minUniformBufferOffsetAlignment;
   st->stride = (64 + align - 1) / align * align;
   st->ubo = make_buffer(s, st->stride * IN_FLIGHT, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT,
                         VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                         VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
   const VkDescriptorPoolSize pool_size = { VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, IN_FLIGHT };
   const VkDescriptorPoolCreateInfo pci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
      .maxSets = IN_FLIGHT,
      .poolSizeCount = 1,
      .pPoolSizes = &pool_size,
   };
   VK_CHECK(vkCreateDescriptorPool(s->device, &pci, NULL, &st->pool));
   for (int i = 0; i < IN_FLIGHT; i++) {
      const VkDescriptorSetAllocateInfo ai = {
         .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
         .descriptorPool = st->pool,
         .descriptorSetCount = 1,
         .pSetLayouts = &st->set_layout,
      };
      VK_CHECK(vkAllocateDescriptorSets(s->device, &ai, &st->sets[i]));
      const VkDescriptorBufferInfo info = { st->ubo.buffer, st->stride * (VkDeviceSize)i, 64 };
      const VkWriteDescriptorSet write = {
         .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
         .dstSet = st->sets[i],
         .dstBinding = 0,
         .descriptorCount = 1,
         .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
         .pBufferInfo = &info,
      };
      vkUpdateDescriptorSets(s->device, 1, &write, 0, NULL);
      st->cmd[i] = make_cmd(s);
      st->fence[i] = make_fence(s);
   }
   return st;
}

static double
loop_run(struct side *s, void *p, uint64_t n)
{
   struct loop_state *st = p;
   const double t0 = now();
   for (uint64_t it = 0; it < n; it++) {
      for (unsigned f = 0; f < LOOP_FRAMES; f++) {
         /* Slot f % 2 was last used by frame f - 2, waited for during frame f - 1. */
         const unsigned slot = f % IN_FLIGHT;
         cube_mvp((float *)((uint8_t *)st->ubo.map + st->stride * slot), f);
         VK_CHECK(vkResetFences(s->device, 1, &st->fence[slot]));
         VkCommandBuffer cmd = st->cmd[slot];
         begin_cmd(cmd);
         begin_pass(s, cmd);
         vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, st->pipeline);
         vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, st->layout, 0, 1,
                                 &st->sets[slot], 0, NULL);
         vkCmdDraw(cmd, CUBE_VERTICES, 1, 0, 0);
         vkCmdEndRenderPass(cmd);
         VK_CHECK(vkEndCommandBuffer(cmd));
         submit(s, cmd, st->fence[slot]);
         if (f > 0)
            wait_fence(s, st->fence[(f - 1) % IN_FLIGHT]);
      }
      wait_fence(s, st->fence[(LOOP_FRAMES - 1) % IN_FLIGHT]);
   }
   return now() - t0;
}

static uint64_t
loop_teardown(struct side *s, void *p)
{
   struct loop_state *st = p;
   const uint64_t h = image_hash(s); /* always frame LOOP_FRAMES - 1 */
   for (int i = 0; i < IN_FLIGHT; i++) {
      vkDestroyFence(s->device, st->fence[i], NULL);
      vkFreeCommandBuffers(s->device, s->pool, 1, &st->cmd[i]);
   }
   vkDestroyPipeline(s->device, st->pipeline, NULL);
   vkDestroyPipelineLayout(s->device, st->layout, NULL);
   vkDestroyDescriptorPool(s->device, st->pool, NULL);
   vkDestroyDescriptorSetLayout(s->device, st->set_layout, NULL);
   free_buffer(s, &st->ubo);
   free(st);
   return h;
}

/* ---- workloads: startup ---------------------------------------------------------------- */

/* Creation and destruction run together; one of the two is timed.  This is a
 * warm start: both drivers' libraries are already loaded by the contexts. */
static double
startup(struct side *s, uint64_t n, bool time_destroy)
{
   double timed = 0.0;
   for (uint64_t i = 0; i < n; i++) {
      VkInstance instance;
      VkPhysicalDevice phys;
      uint32_t family;
      VkDevice device;
      VkQueue queue;
      double t0 = now();
      open_driver(s->manifest, &instance, &phys, &family, &device, &queue);
      double t1 = now();
      if (!time_destroy)
         timed += t1 - t0;
      /* The new instance has its own connection: count its round trips too. */
      PFN_vlGetLoopbackStats stats =
         (PFN_vlGetLoopbackStats)vkGetDeviceProcAddr(device, "vlGetLoopbackStats");
      if (stats && !time_destroy) {
         uint64_t rt = 0;
         stats(device, &rt);
         s->rt_extra += rt;
      }
      t0 = now();
      vkDestroyDevice(device, NULL);
      vkDestroyInstance(instance, NULL);
      t1 = now();
      if (time_destroy)
         timed += t1 - t0;
   }
   return timed;
}

static double
startup_run(struct side *s, void *p, uint64_t n)
{
   (void)p;
   return startup(s, n, false);
}

static double
startup_destroy_run(struct side *s, void *p, uint64_t n)
{
   (void)p;
   return startup(s, n, true);
}

/* ---- the workload table ------------------------------------------------------------- */

/* ---- level-load: what an engine creates when a level loads, then frees ------------ */

#define LEVEL_BUFFERS   2000
#define LEVEL_IMAGES    500
#define LEVEL_SAMPLERS  64
#define LEVEL_SETS      1000
#define LEVEL_PIPELINES 4

struct level_state {
   VkDescriptorSetLayout set_layout;
   VkPipelineLayout layout;
   VkShaderModule shader;
   VkBuffer *buffers;
   VkImage *images;
   VkImageView *views;
   VkSampler samplers[LEVEL_SAMPLERS];
   VkDescriptorSet *sets;
};

static void *
level_setup(struct side *s)
{
   struct level_state *st = xcalloc(1, sizeof(*st));
   const VkDescriptorSetLayoutBinding bindings[2] = {
      { 0, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1, VK_SHADER_STAGE_ALL, NULL },
      { 1, VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 1, VK_SHADER_STAGE_ALL, NULL },
   };
   st->set_layout = make_set_layout(s, bindings, 2);
   st->layout = make_layout(s, NULL, 0, 0);
   st->shader = load_shader(s, "empty.comp");
   st->buffers = xcalloc(LEVEL_BUFFERS, sizeof(*st->buffers));
   st->images = xcalloc(LEVEL_IMAGES, sizeof(*st->images));
   st->views = xcalloc(LEVEL_IMAGES, sizeof(*st->views));
   st->sets = xcalloc(LEVEL_SETS, sizeof(*st->sets));
   return st;
}

/* One level: buffers and images with their memory, views, samplers, a pool of
 * descriptor sets written once, a few compute pipelines; then all destroyed. */
static double
level_run(struct side *s, void *p, uint64_t n)
{
   struct level_state *st = p;
   const double t0 = now();
   for (uint64_t it = 0; it < n; it++) {
      const VkBufferCreateInfo bci = {
         .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
         .size = 4096,
         .usage = VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT | VK_BUFFER_USAGE_VERTEX_BUFFER_BIT,
      };
      VkDeviceSize buffer_bytes = 0, buffer_align = 1;
      uint32_t buffer_bits = ~0u;
      for (uint32_t i = 0; i < LEVEL_BUFFERS; i++) {
         VK_CHECK(vkCreateBuffer(s->device, &bci, NULL, &st->buffers[i]));
         VkMemoryRequirements r;
         vkGetBufferMemoryRequirements(s->device, st->buffers[i], &r);
         buffer_bytes = r.size;
         buffer_align = r.alignment;
         buffer_bits &= r.memoryTypeBits;
      }
      const VkDeviceSize buffer_stride =
         (buffer_bytes + buffer_align - 1) / buffer_align * buffer_align;
      const VkMemoryRequirements breqs = { buffer_stride * LEVEL_BUFFERS, buffer_align,
                                           buffer_bits };
      VkDeviceMemory buffer_mem = allocate(s, &breqs, 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
      for (uint32_t i = 0; i < LEVEL_BUFFERS; i++)
         VK_CHECK(vkBindBufferMemory(s->device, st->buffers[i], buffer_mem, buffer_stride * i));

      const VkImageCreateInfo ici = {
         .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
         .imageType = VK_IMAGE_TYPE_2D,
         .format = VK_FORMAT_R8G8B8A8_UNORM,
         .extent = { 64, 64, 1 },
         .mipLevels = 1,
         .arrayLayers = 1,
         .samples = VK_SAMPLE_COUNT_1_BIT,
         .tiling = VK_IMAGE_TILING_OPTIMAL,
         .usage = VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT,
         .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
      };
      VkDeviceSize image_bytes = 0, image_align = 1;
      uint32_t image_bits = ~0u;
      for (uint32_t i = 0; i < LEVEL_IMAGES; i++) {
         VK_CHECK(vkCreateImage(s->device, &ici, NULL, &st->images[i]));
         VkMemoryRequirements r;
         vkGetImageMemoryRequirements(s->device, st->images[i], &r);
         image_bytes = r.size;
         image_align = r.alignment;
         image_bits &= r.memoryTypeBits;
      }
      const VkDeviceSize image_stride = (image_bytes + image_align - 1) / image_align * image_align;
      const VkMemoryRequirements ireqs = { image_stride * LEVEL_IMAGES, image_align, image_bits };
      VkDeviceMemory image_mem = allocate(s, &ireqs, 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
      for (uint32_t i = 0; i < LEVEL_IMAGES; i++) {
         VK_CHECK(vkBindImageMemory(s->device, st->images[i], image_mem, image_stride * i));
         const VkImageViewCreateInfo vci = {
            .sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
            .image = st->images[i],
            .viewType = VK_IMAGE_VIEW_TYPE_2D,
            .format = VK_FORMAT_R8G8B8A8_UNORM,
            .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
         };
         VK_CHECK(vkCreateImageView(s->device, &vci, NULL, &st->views[i]));
      }
      for (uint32_t i = 0; i < LEVEL_SAMPLERS; i++) {
         const VkSamplerCreateInfo sci = {
            .sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
            .magFilter = i & 1 ? VK_FILTER_LINEAR : VK_FILTER_NEAREST,
            .minFilter = VK_FILTER_LINEAR,
            .addressModeU = VK_SAMPLER_ADDRESS_MODE_REPEAT,
            .addressModeV = VK_SAMPLER_ADDRESS_MODE_REPEAT,
            .addressModeW = VK_SAMPLER_ADDRESS_MODE_REPEAT,
            .maxLod = (float)i,
         };
         VK_CHECK(vkCreateSampler(s->device, &sci, NULL, &st->samplers[i]));
      }

      const VkDescriptorPoolSize sizes[2] = {
         { VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, LEVEL_SETS },
         { VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, LEVEL_SETS },
      };
      const VkDescriptorPoolCreateInfo pci = {
         .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
         .maxSets = LEVEL_SETS,
         .poolSizeCount = 2,
         .pPoolSizes = sizes,
      };
      VkDescriptorPool pool;
      VK_CHECK(vkCreateDescriptorPool(s->device, &pci, NULL, &pool));
      for (uint32_t i = 0; i < LEVEL_SETS; i++) {
         const VkDescriptorSetAllocateInfo ai = {
            .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
            .descriptorPool = pool,
            .descriptorSetCount = 1,
            .pSetLayouts = &st->set_layout,
         };
         VK_CHECK(vkAllocateDescriptorSets(s->device, &ai, &st->sets[i]));
         const VkDescriptorBufferInfo bi = { st->buffers[i % LEVEL_BUFFERS], 0, 256 };
         const VkDescriptorImageInfo ii = { st->samplers[i % LEVEL_SAMPLERS],
                                            st->views[i % LEVEL_IMAGES],
                                            VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL };
         const VkWriteDescriptorSet writes[2] = {
            { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
              .dstSet = st->sets[i],
              .dstBinding = 0,
              .descriptorCount = 1,
              .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
              .pBufferInfo = &bi },
            { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
              .dstSet = st->sets[i],
              .dstBinding = 1,
              .descriptorCount = 1,
              .descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER,
              .pImageInfo = &ii },
         };
         vkUpdateDescriptorSets(s->device, 2, writes, 0, NULL);
      }

      VkPipeline pipelines[LEVEL_PIPELINES];
      for (uint32_t i = 0; i < LEVEL_PIPELINES; i++) {
         /* one variant per pipeline, as engines have them */
         const uint32_t value = i;
         const VkSpecializationMapEntry entry = { 0, 0, sizeof(value) };
         const VkSpecializationInfo spec = { 1, &entry, sizeof(value), &value };
         const VkComputePipelineCreateInfo ci = {
            .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
            .stage = { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                       .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                       .module = st->shader,
                       .pName = "main",
                       .pSpecializationInfo = &spec },
            .layout = st->layout,
         };
         VK_CHECK(vkCreateComputePipelines(s->device, VK_NULL_HANDLE, 1, &ci, NULL, &pipelines[i]));
      }

      for (uint32_t i = 0; i < LEVEL_PIPELINES; i++)
         vkDestroyPipeline(s->device, pipelines[i], NULL);
      vkDestroyDescriptorPool(s->device, pool, NULL);
      for (uint32_t i = 0; i < LEVEL_SAMPLERS; i++)
         vkDestroySampler(s->device, st->samplers[i], NULL);
      for (uint32_t i = 0; i < LEVEL_IMAGES; i++) {
         vkDestroyImageView(s->device, st->views[i], NULL);
         vkDestroyImage(s->device, st->images[i], NULL);
      }
      for (uint32_t i = 0; i < LEVEL_BUFFERS; i++)
         vkDestroyBuffer(s->device, st->buffers[i], NULL);
      vkFreeMemory(s->device, image_mem, NULL);
      vkFreeMemory(s->device, buffer_mem, NULL);
   }
   drain(s);
   return now() - t0;
}

static uint64_t
level_teardown(struct side *s, void *p)
{
   struct level_state *st = p;
   vkDestroyShaderModule(s->device, st->shader, NULL);
   vkDestroyPipelineLayout(s->device, st->layout, NULL);
   vkDestroyDescriptorSetLayout(s->device, st->set_layout, NULL);
   free(st->buffers);
   free(st->images);
   free(st->views);
   free(st->sets);
   free(st);
   return 0;
}

/* ---- threads: 4 threads recording and submitting at once ----------------------------- */

#define THREADS           4
#define THREAD_DISPATCHES 200

struct thread_state {
   struct side *s;
   pthread_mutex_t *queue_lock; /* vkQueueSubmit needs the queue externally synchronized */
   VkCommandPool pool;
   VkCommandBuffer cmd;
   VkFence fence;
   uint64_t iterations;
};

struct threads_state {
   pthread_mutex_t queue_lock;
   struct thread_state t[THREADS];
};

static void *
threads_setup(struct side *s)
{
   ensure_empty_compute(s);
   struct threads_state *st = xcalloc(1, sizeof(*st));
   pthread_mutex_init(&st->queue_lock, NULL);
   for (int i = 0; i < THREADS; i++) {
      struct thread_state *t = &st->t[i];
      t->s = s;
      t->queue_lock = &st->queue_lock;
      const VkCommandPoolCreateInfo pci = {
         .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
         .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
         .queueFamilyIndex = s->family,
      };
      VK_CHECK(vkCreateCommandPool(s->device, &pci, NULL, &t->pool));
      const VkCommandBufferAllocateInfo ai = {
         .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
         .commandPool = t->pool,
         .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
         .commandBufferCount = 1,
      };
      VK_CHECK(vkAllocateCommandBuffers(s->device, &ai, &t->cmd));
      t->fence = make_fence(s);
   }
   return st;
}

static void *
thread_main(void *p)
{
   struct thread_state *t = p;
   for (uint64_t i = 0; i < t->iterations; i++) {
      VK_CHECK(vkResetCommandPool(t->s->device, t->pool, 0));
      record_dispatches(t->s, t->cmd, THREAD_DISPATCHES);
      const VkSubmitInfo si = {
         .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
         .commandBufferCount = 1,
         .pCommandBuffers = &t->cmd,
      };
      pthread_mutex_lock(t->queue_lock);
      const VkResult r = vkQueueSubmit(t->s->queue, 1, &si, t->fence);
      pthread_mutex_unlock(t->queue_lock);
      VK_CHECK(r);
      VK_CHECK(vkWaitForFences(t->s->device, 1, &t->fence, VK_TRUE, UINT64_MAX));
      VK_CHECK(vkResetFences(t->s->device, 1, &t->fence));
   }
   return NULL;
}

/* One iteration: each thread records THREAD_DISPATCHES dispatches, submits and waits. */
static double
threads_run(struct side *s, void *p, uint64_t n)
{
   (void)s;
   struct threads_state *st = p;
   pthread_t th[THREADS];
   const double t0 = now();
   for (int i = 0; i < THREADS; i++) {
      st->t[i].iterations = n;
      if (pthread_create(&th[i], NULL, thread_main, &st->t[i]))
         die("cannot start a thread");
   }
   for (int i = 0; i < THREADS; i++)
      pthread_join(th[i], NULL);
   return now() - t0;
}

static uint64_t
threads_teardown(struct side *s, void *p)
{
   struct threads_state *st = p;
   for (int i = 0; i < THREADS; i++) {
      vkDestroyFence(s->device, st->t[i].fence, NULL);
      vkDestroyCommandPool(s->device, st->t[i].pool, NULL);
   }
   pthread_mutex_destroy(&st->queue_lock);
   free(st);
   return 0;
}

struct workload {
   const char *name; /* what --only matches */
   const char *unit;
   double scale;  /* seconds per op -> unit */
   double ops;    /* operations per iteration */
   double bytes;  /* > 0: a bandwidth in MB/s of this many bytes per iteration */
   bool count_rt; /* round trips are observable */
   const char *about;
   void *(*setup)(struct side *);
   double (*run)(struct side *, void *, uint64_t iterations);
   uint64_t (*teardown)(struct side *, void *); /* non-zero: must be equal on both sides */
};

static const struct workload workloads[] = {
   { "event-roundtrip", "us/cycle", 1e6, 1, 0, true,
     "vkSetEvent + vkGetEventStatus + vkResetEvent + vkGetEventStatus", event_setup, event_run,
     event_teardown },
   { "query-results", "us/call", 1e6, 1, 0, true, "vkGetQueryPoolResults, 4 available timestamps",
     query_setup, query_run, query_teardown },
   { "buffer-churn", "us/cycle", 1e6, 1, 0, true,
     "vkCreateBuffer + vkGetBufferMemoryRequirements + vkDestroyBuffer", no_setup, buffer_run,
     no_teardown },
   { "descriptor-churn", "us/cycle", 1e6, 1, 0, true,
     "vkAllocateDescriptorSets + vkUpdateDescriptorSets (2) + vkFreeDescriptorSets",
     descriptor_setup, descriptor_run, descriptor_teardown },
   { "submit-latency", "us/submit", 1e6, 1, 0, true,
     "empty vkQueueSubmit with a fence + vkWaitForFences + vkResetFences", submit_setup, submit_run,
     cmd_teardown },
   { "record-draw", "ms/cmdbuf", 1e3, 1, 0, true,
     "record 100k vkCmdDraw in a render pass (Begin..End only)", draw_setup, record_draw_run,
     cmd_teardown },
   { "record-draw-e2e", "ms/cmdbuf", 1e3, 1, 0, true, "record 100k vkCmdDraw + submit + wait",
     draw_setup, record_draw_e2e_run, cmd_teardown },
   { "record-dispatch", "ms/cmdbuf", 1e3, 1, 0, true, "record 100k vkCmdDispatch (Begin..End only)",
     dispatch_setup, record_dispatch_run, cmd_teardown },
   { "record-dispatch-e2e", "ms/cmdbuf", 1e3, 1, 0, true,
     "record 100k vkCmdDispatch + submit + wait", dispatch_setup, record_dispatch_e2e_run,
     cmd_teardown },
   { "upload-64MiB", "MB/s", 0, 1, UPLOAD_BYTES, true,
     "memcpy in, GPU copy to a second buffer and back, memcpy out, verify", upload_setup,
     upload_run, upload_teardown },
   { "saxpy-16M", "ms/frame", 1e3, 1, 0, true,
     "y = a*x + y on 16M floats: record, dispatch, submit, wait", saxpy_setup, saxpy_run,
     saxpy_teardown },
   { "draw-frame", "ms/frame", 1e3, 1, 0, true,
     "256x256 offscreen, 1000 small-triangle draws: record, submit, wait", draw_setup,
     draw_frame_run, draw_frame_teardown },
   { "startup", "ms", 1e3, 1, 0, true,
     "vkCreateInstance + vkEnumeratePhysicalDevices + vkCreateDevice (warm)", no_setup, startup_run,
     no_teardown },
   { "startup-destroy", "ms", 1e3, 1, 0, false, "vkDestroyDevice + vkDestroyInstance", no_setup,
     startup_destroy_run, no_teardown },
   { "frame-loop", "ms/frame", 1e3, LOOP_FRAMES, 0, true,
     "vkcube-like: 60 frames, UBO via persistent map, 36 vertices, 2 in flight", loop_setup,
     loop_run, loop_teardown },
   { "level-load", "ms/level", 1e3, 1, 0, true,
     "2000 buffers, 500 images + views, 64 samplers, 1000 descriptor sets, 4 compute pipelines: "
     "created, bound, written, destroyed",
     level_setup, level_run, level_teardown },
   { "threads-4", "ms/round", 1e3, 1, 0, false,
     "4 threads at once, each: record 200 vkCmdDispatch, submit, wait", threads_setup, threads_run,
     threads_teardown },
};

#define WORKLOAD_COUNT (sizeof(workloads) / sizeof(workloads[0]))

/* ---- measuring ------------------------------------------------------------------------ */

struct options {
   bool quick;
   int rounds;
   const char *only;
   const char *loopback_icd;
   const char *native_icd;
   bool native_twice;     /* A/A: the second column is the native driver too */
   const char *guest_icd; /* the second column is this Venus guest driver */
   bool phases;           /* draw-frame: time its phases (struct side) */
};

struct result {
   const struct workload *w;
   double median[2], min[2], max[2];
   uint64_t iterations[2];
   double rt_per_op;  /* loopback, < 0 when not observable */
   uint64_t check[2]; /* the teardown's check value (image hash) per side */
};

static int
cmp_double(const void *a, const void *b)
{
   const double x = *(const double *)a, y = *(const double *)b;
   return x < y ? -1 : x > y;
}

static void
summarize(double *v, int n, double *median, double *min, double *max)
{
   qsort(v, (size_t)n, sizeof(*v), cmp_double);
   *median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
   *min = v[0];
   *max = v[n - 1];
}

/* --phases: the median frame of each phase, per side. */
static void
print_phases(struct side sides[2])
{
   printf("draw-frame phases, median per frame in us (every frame run, warm-up included):\n");
   static const char *const names[3] = { "record", "vkQueueSubmit", "wait" };
   for (int k = 0; k < 2; k++) {
      struct side *s = &sides[k];
      if (!s->phase_count)
         return;
      printf("  %-12s %zu frames:", s->name, s->phase_count);
      for (int p = 0; p < 3; p++) {
         double med, lo, hi;
         summarize(s->phase[p], (int)s->phase_count, &med, &lo, &hi);
         printf("  %s %.1f", names[p], med * 1e6);
      }
      printf("\n");
   }
}

/* The value of one measurement in the workload's unit. */
static double
value(const struct workload *w, double seconds, uint64_t iterations)
{
   if (w->bytes > 0)
      return w->bytes * (double)iterations / seconds / 1e6;
   return seconds / ((double)iterations * w->ops) * w->scale;
}

/* Warms the workload up on one side (first-use costs stay out of the
 * measurements) and returns the iterations for one measurement of about
 * target seconds of wall time (for startup that includes the untimed half). */
static uint64_t
warm_up_and_calibrate(const struct workload *w, struct side *s, void *st, double target)
{
   double t0 = now();
   w->run(s, st, 1);
   double t = now() - t0;
   drain(s);
   if (t >= 2 * target)
      return 1; /* one iteration is long already: spare the calibration runs */
   uint64_t n = 1;
   for (;;) {
      t0 = now();
      w->run(s, st, n);
      t = now() - t0;
      drain(s);
      if (t >= target / 4 || n >= (1ull << 32)) {
         const double want = (double)n * target / (t > 0 ? t : 1e-9);
         return want < 1 ? 1 : (uint64_t)want;
      }
      double grow = t > 0 ? target / 2 / t : 100;
      grow = grow < 2 ? 2 : grow > 100 ? 100 : grow;
      n = (uint64_t)((double)n * grow);
   }
}

static struct result
measure(const struct workload *w, struct side sides[2], const struct options *o)
{
   const double target = o->quick ? 0.005 : 0.050;
   struct result res = { .w = w, .rt_per_op = -1 };
   void *state[2];
   for (int k = 0; k < 2; k++) {
      current_side = sides[k].name;
      state[k] = w->setup(&sides[k]);
      res.iterations[k] = warm_up_and_calibrate(w, &sides[k], state[k], target);
   }
   double *v[2] = { xcalloc((size_t)o->rounds, sizeof(double)),
                    xcalloc((size_t)o->rounds, sizeof(double)) };
   uint64_t rt = 0, rt_iterations = 0;
   for (int r = 0; r < o->rounds; r++) {
      for (int j = 0; j < 2; j++) {
         const int k = (r + j) % 2; /* native first in even rounds, loopback in odd ones */
         struct side *s = &sides[k];
         current_side = s->name;
         const uint64_t rt0 = round_trips(s);
         const double t = w->run(s, state[k], res.iterations[k]);
         const uint64_t rt1 = round_trips(s);
         drain(s);
         v[k][r] = value(w, t, res.iterations[k]);
         if (s->stats) {
            rt += rt1 - rt0;
            rt_iterations += res.iterations[k];
         }
      }
   }
   if (w->count_rt && rt_iterations)
      res.rt_per_op = (double)rt / ((double)rt_iterations * w->ops);
   for (int k = 0; k < 2; k++) {
      current_side = sides[k].name;
      summarize(v[k], o->rounds, &res.median[k], &res.min[k], &res.max[k]);
      res.check[k] = w->teardown(&sides[k], state[k]);
      free(v[k]);
   }
   current_side = "main";
   return res;
}

/* ---- report ------------------------------------------------------------------------- */

static void
trim(char *s)
{
   size_t n = strlen(s);
   while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
      s[--n] = 0;
}

/* First line of a command's output, or "" when it fails. */
static void
command_line(const char *cmd, char *out, size_t size)
{
   out[0] = 0;
   FILE *p = popen(cmd, "r");
   if (!p)
      return;
   if (!fgets(out, (int)size, p))
      out[0] = 0;
   if (pclose(p) != 0)
      out[0] = 0;
   trim(out);
}

static void
print_machine(const struct side sides[2], const struct options *o)
{
   char cpu[256] = "unknown";
   FILE *f = fopen("/proc/cpuinfo", "r");
   if (f) {
      char line[512];
      while (fgets(line, sizeof(line), f)) {
         if (!strncmp(line, "model name", 10)) {
            const char *colon = strchr(line, ':');
            if (colon) {
               snprintf(cpu, sizeof(cpu), "%s", colon + 1 + (colon[1] == ' '));
               trim(cpu);
            }
            break;
         }
      }
      fclose(f);
   }
   char commit[64], dirty[64];
   command_line("git -C '" BENCH_SOURCE_DIR "' rev-parse --short HEAD 2>/dev/null", commit,
                sizeof(commit));
   command_line("git -C '" BENCH_SOURCE_DIR "' status --porcelain --untracked-files=no "
                "2>/dev/null",
                dirty, sizeof(dirty));
   if (o->native_twice)
      printf("venus-loopback benchmark: A/A run, the native driver against itself "
             "(--native-twice); the loopback column is native too\n");
   else
      printf("venus-loopback benchmark: loopback against native, interleaved\n");
   printf("  cpu        %s, %ld online\n", cpu, sysconf(_SC_NPROCESSORS_ONLN));
   printf("  commit     %s%s\n", commit[0] ? commit : "unknown (no git)",
          commit[0] && dirty[0] ? " (with uncommitted changes)" : "");
   for (int k = 0; k < 2; k++)
      printf("  %-10s %s\n             %s\n", sides[k].name, sides[k].props.deviceName,
             sides[k].manifest);
   printf("  rounds     %d%s, about %d ms per measurement\n\n", o->rounds,
          o->quick ? " (--quick)" : "", o->quick ? 5 : 50);
}

static void
print_number(char *out, size_t size, double v)
{
   if (v >= 1000)
      snprintf(out, size, "%.0f", v);
   else if (v >= 100)
      snprintf(out, size, "%.1f", v);
   else if (v >= 10)
      snprintf(out, size, "%.2f", v);
   else
      snprintf(out, size, "%.3f", v);
}

static void
print_table(const struct result *res, int n)
{
   printf("%-20s %-10s %11s %11s %8s %21s %21s %7s\n", "workload", "unit", "native", "loopback",
          "ratio", "native min..max", "loopback min..max", "RT/op");
   for (int i = 0; i < n; i++) {
      const struct result *r = &res[i];
      char med[2][32], lo[2][32], hi[2][32], range[2][80], rt[32] = "-";
      for (int k = 0; k < 2; k++) {
         print_number(med[k], sizeof(med[k]), r->median[k]);
         print_number(lo[k], sizeof(lo[k]), r->min[k]);
         print_number(hi[k], sizeof(hi[k]), r->max[k]);
         snprintf(range[k], sizeof(range[k]), "%s..%s", lo[k], hi[k]);
      }
      if (r->rt_per_op >= 0)
         snprintf(rt, sizeof(rt), "%.2f", r->rt_per_op);
      printf("%-20s %-10s %11s %11s %7.2fx %21s %21s %7s%s\n", r->w->name, r->w->unit, med[0],
             med[1], r->median[1] / r->median[0], range[0], range[1], rt,
             r->w->bytes > 0 ? "  (ratio of bandwidths)" : "");
   }
   printf("\nmedians over the rounds; ratio = loopback/native median (times: >1 is slower;\n"
          "MB/s: ratio of bandwidths, <1 is slower); RT/op = synchronous round trips per\n"
          "operation on the loopback (vlGetLoopbackStats; frame-loop: per frame).\n\n");
   for (int i = 0; i < n; i++)
      printf("  %-20s %s\n", res[i].w->name, res[i].w->about);
}

static void
usage(FILE *f)
{
   fprintf(f,
           "usage: bench_vk [--quick] [--rounds N] [--only SUBSTRING] [--list] [--native-twice] "
           "[--phases]\n"
           "                [--loopback-icd MANIFEST] [--native-icd MANIFEST] [--guest-icd "
           "MANIFEST]\n"
           "  --quick          3 rounds of about 5 ms: a smoke run\n"
           "  --rounds N       rounds per workload (default 7, 3 with --quick)\n"
           "  --only S[,S...]  run the workloads whose name contains one of the S\n"
           "  --list           list the workloads\n"
           "  --phases         draw-frame: also the median record, vkQueueSubmit and wait\n"
           "                   time per frame of each side\n"
           "  --native-twice   an A/A run: the native driver in both columns, to see how\n"
           "                   far apart two identical sides measure on this machine\n"
           "  --guest-icd M    the second column is another Venus guest driver (Mesa's\n"
           "                   venus ICD over a vtest server, say): no round-trip counts\n"
           "environment: VL_BENCH_LOOPBACK_ICD, VL_BENCH_NATIVE_ICD, VL_BENCH_SHADER_DIR\n"
           "(shaders: %s); under `meson devenv` the loopback manifest comes from\n"
           "VK_ICD_FILENAMES.\n",
           BENCH_SHADER_DIR);
}

/* --only: a comma-separated list of substrings. */
static bool
matches(const char *name, const char *only)
{
   char buf[256];
   snprintf(buf, sizeof(buf), "%s", only);
   for (char *save = NULL, *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save))
      if (strstr(name, s))
         return true;
   return false;
}

static const char *
nonempty_env(const char *name)
{
   const char *v = getenv(name);
   return v && *v ? v : NULL;
}

int
main(int argc, char **argv)
{
   const double start = now();
   struct options o = { 0 };
   for (int i = 1; i < argc; i++) {
      const char *a = argv[i];
      const bool has_value = i + 1 < argc;
      if (!strcmp(a, "--quick")) {
         o.quick = true;
      } else if (!strcmp(a, "--rounds") && has_value) {
         char *end;
         const long n = strtol(argv[++i], &end, 10);
         if (*end || n < 1 || n > 1000)
            die("--rounds wants a number from 1 to 1000, not '%s'", argv[i]);
         o.rounds = (int)n;
      } else if (!strcmp(a, "--only") && has_value) {
         o.only = argv[++i];
      } else if (!strcmp(a, "--loopback-icd") && has_value) {
         o.loopback_icd = argv[++i];
      } else if (!strcmp(a, "--native-icd") && has_value) {
         o.native_icd = argv[++i];
      } else if (!strcmp(a, "--guest-icd") && has_value) {
         o.guest_icd = argv[++i];
      } else if (!strcmp(a, "--phases")) {
         o.phases = true;
      } else if (!strcmp(a, "--native-twice")) {
         o.native_twice = true;
      } else if (!strcmp(a, "--list")) {
         for (size_t w = 0; w < WORKLOAD_COUNT; w++)
            printf("%-20s %s\n", workloads[w].name, workloads[w].about);
         return 0;
      } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
         usage(stdout);
         return 0;
      } else {
         usage(stderr);
         return 2;
      }
   }
   if (!o.rounds)
      o.rounds = o.quick ? 3 : 7;

   /* Read what meson devenv set before it is overwritten. */
   const char *native = o.native_icd ? o.native_icd : nonempty_env("VL_BENCH_NATIVE_ICD");
   static char host_manifest[PATH_MAX];
   char host_err[512];
   if (!native)
      native =
         vl_host_icd_manifest(host_manifest, sizeof(host_manifest), host_err, sizeof(host_err));
   if (!native)
      die("%s (or pass --native-icd)", host_err);
   const char *loopback = o.loopback_icd ? o.loopback_icd : nonempty_env("VL_BENCH_LOOPBACK_ICD");
   if (!loopback) {
      const char *env = nonempty_env("VK_DRIVER_FILES");
      if (!env)
         env = nonempty_env("VK_ICD_FILENAMES");
      if (env && strcmp(env, native))
         loopback = env;
   }
   if (!loopback)
      loopback = BENCH_LOOPBACK_ICD;
   char *native_path = strdup(native), *loopback_path = strdup(loopback);
   if (!native_path || !loopback_path)
      die("out of memory");
   if (access(native_path, R_OK))
      die("native manifest %s is not readable (--native-icd, VL_BENCH_NATIVE_ICD)", native_path);
   if (access(loopback_path, R_OK))
      die("loopback manifest %s is not readable: build the project, or set --loopback-icd or "
          "VL_BENCH_LOOPBACK_ICD",
          loopback_path);

   const struct workload *selected[WORKLOAD_COUNT];
   int count = 0;
   for (size_t w = 0; w < WORKLOAD_COUNT; w++)
      if (!o.only || matches(workloads[w].name, o.only))
         selected[count++] = &workloads[w];
   if (!count)
      die("no workload matches '%s' (--list shows them)", o.only);

   /* Index 0 is native, 1 the loopback, everywhere. */
   struct side sides[2] = { { 0 }, { 0 } };
   side_open(&sides[0], "native", native_path, SIDE_NATIVE);
   if (o.native_twice)
      side_open(&sides[1], "native-again", native_path, SIDE_NATIVE);
   else if (o.guest_icd)
      side_open(&sides[1], "guest", o.guest_icd, SIDE_GUEST);
   else
      side_open(&sides[1], "loopback", loopback_path, SIDE_LOOPBACK);
   current_side = "main";
   for (int k = 0; k < 2 && o.phases; k++)
      for (int p = 0; p < 3; p++)
         sides[k].phase[p] = xcalloc(PHASE_FRAMES, sizeof(double));
   print_machine(sides, &o);
   fflush(stdout);

   struct result results[WORKLOAD_COUNT];
   bool mismatch = false;
   for (int i = 0; i < count; i++) {
      const double t0 = now();
      fprintf(stderr, "[%2d/%d] %-20s ", i + 1, count, selected[i]->name);
      results[i] = measure(selected[i], sides, &o);
      fprintf(stderr, "%llu + %llu iterations per measurement, %.1f s\n",
              (unsigned long long)results[i].iterations[0],
              (unsigned long long)results[i].iterations[1], now() - t0);
      mismatch |= results[i].check[0] != results[i].check[1];
   }
   printf("\n");
   print_table(results, count);
   for (int i = 0; i < count; i++) {
      const struct result *r = &results[i];
      if (r->check[0] != r->check[1])
         printf("MISMATCH: %s rendered a different image through the loopback "
                "(FNV-1a %016llx native, %016llx loopback)\n",
                r->w->name, (unsigned long long)r->check[0], (unsigned long long)r->check[1]);
      else if (r->check[0])
         printf("%s: same image on both sides (FNV-1a %016llx)\n", r->w->name,
                (unsigned long long)r->check[0]);
   }
   if (o.phases)
      print_phases(sides);
   for (int i = 0; i < count; i++)
      if (!strcmp(results[i].w->name, "frame-loop") && results[i].rt_per_op >= 0)
         printf("frame-loop: %.3f ms per frame natively, %.3f ms through the loopback, which "
                "makes %.2f synchronous round trips per frame\n",
                results[i].median[0], results[i].median[1], results[i].rt_per_op);

   for (int k = 1; k >= 0; k--) {
      struct side *s = &sides[k];
      current_side = s->name;
      drain(s);
      if (s->have_graphics) {
         if (s->empty_compute)
            vkDestroyPipeline(s->device, s->empty_compute, NULL);
         vkDestroyPipeline(s->device, s->tri_pipeline, NULL);
         vkDestroyPipelineLayout(s->device, s->empty_layout, NULL);
         vkDestroyFramebuffer(s->device, s->framebuffer, NULL);
         vkDestroyRenderPass(s->device, s->pass, NULL);
         vkDestroyImageView(s->device, s->color_view, NULL);
         vkDestroyImage(s->device, s->color, NULL);
         vkFreeMemory(s->device, s->color_mem, NULL);
      }
      vkDestroyCommandPool(s->device, s->pool, NULL);
      vkDestroyDevice(s->device, NULL);
      vkDestroyInstance(s->instance, NULL);
      for (int p = 0; p < 3; p++)
         free(s->phase[p]);
   }
   free(upload_src[0]);
   free(upload_src[1]);
   free(upload_dst);
   free(native_path);
   free(loopback_path);
   printf("total time %.1f s\n", now() - start);
   return mismatch ? 1 : 0;
}
