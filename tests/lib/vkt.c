/* Integration-test base (see vkt.h). */
#include "vkt.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vl_manifest.h"

static const char *current = "test";

void
vkt_fail(const char *fmt, ...)
{
   va_list ap;
   va_start(ap, fmt);
   fprintf(stdout, "FAIL %s: ", current);
   vfprintf(stdout, fmt, ap);
   fprintf(stdout, "\n");
   va_end(ap);
   fflush(stdout);
   exit(1);
}

void
vkt_vk_failed(const char *file, int line, const char *call, VkResult r)
{
   const char *skip = getenv("VKT_SKIP_UNMAPPABLE");
   if (r == VK_ERROR_MEMORY_MAP_FAILED && skip && !strcmp(skip, "1")) {
      printf("SKIP %s: %s returned VK_ERROR_MEMORY_MAP_FAILED: this renderer cannot share "
             "host-visible memory with the application (the driver's reason is on stderr)\n",
             current, call);
      fflush(stdout);
      exit(77);
   }
   vkt_fail("%s:%d: %s returned %d", file, line, call, r);
}

void
vkt_pass(const struct vkt *t)
{
   printf("PASS %s\n", t->name);
   fflush(stdout);
}

void
vkt_init(struct vkt *t, const char *name)
{
   memset(t, 0, sizeof(*t));
   t->name = current = name;
   const VkApplicationInfo app = {
      .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
      .pApplicationName = name,
      .apiVersion = VK_API_VERSION_1_3,
   };
   const VkInstanceCreateInfo ici = {
      .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
      .pApplicationInfo = &app,
   };
   VKT_VK(vkCreateInstance(&ici, NULL, &t->instance));
   uint32_t n = 1;
   VkResult r = vkEnumeratePhysicalDevices(t->instance, &n, &t->physical);
   VKT_CHECK((r == VK_SUCCESS || r == VK_INCOMPLETE) && n == 1);
   vkGetPhysicalDeviceProperties(t->physical, &t->props);
   vkGetPhysicalDeviceMemoryProperties(t->physical, &t->memory);
   uint32_t nf = 0;
   vkGetPhysicalDeviceQueueFamilyProperties(t->physical, &nf, NULL);
   VkQueueFamilyProperties fams[16];
   nf = nf > 16 ? 16 : nf;
   vkGetPhysicalDeviceQueueFamilyProperties(t->physical, &nf, fams);
   t->family = UINT32_MAX;
   for (uint32_t i = 0; i < nf; i++) {
      if ((fams[i].queueFlags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) ==
          (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) {
         t->family = i;
         break;
      }
   }
   VKT_CHECK(t->family != UINT32_MAX);
   VkPhysicalDeviceFeatures supported;
   vkGetPhysicalDeviceFeatures(t->physical, &supported);
   t->features = (VkPhysicalDeviceFeatures){
      .pipelineStatisticsQuery = supported.pipelineStatisticsQuery,
   };
   VkPhysicalDeviceVulkan13Features f13 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES,
      .synchronization2 = VK_TRUE,
      .dynamicRendering = VK_TRUE,
   };
   VkPhysicalDeviceVulkan12Features f12 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
      .pNext = &f13,
      .timelineSemaphore = VK_TRUE,
      .hostQueryReset = VK_TRUE,
   };
   const float prio = 1.0f;
   const VkDeviceQueueCreateInfo qci = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
      .queueFamilyIndex = t->family,
      .queueCount = 1,
      .pQueuePriorities = &prio,
   };
   const VkDeviceCreateInfo dci = {
      .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
      .pNext = &f12,
      .queueCreateInfoCount = 1,
      .pQueueCreateInfos = &qci,
      .pEnabledFeatures = &t->features,
   };
   VKT_VK(vkCreateDevice(t->physical, &dci, NULL, &t->device));
   /* Layer-mode runs must fail when the layer is not in the chain (the
    * loader skips a VK_INSTANCE_LAYERS name it cannot find). */
   const char *expect = getenv("VKT_EXPECT_LOOPBACK");
   if (expect && !strcmp(expect, "1") && !vkGetDeviceProcAddr(t->device, "vlGetLoopbackStats"))
      vkt_fail("VKT_EXPECT_LOOPBACK=1, but the device is not venus-loopback's (is "
               "VK_LAYER_VENUS_loopback loaded?)");
   vkGetDeviceQueue(t->device, t->family, 0, &t->queue);
   const VkCommandPoolCreateInfo pci = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
      .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
      .queueFamilyIndex = t->family,
   };
   VKT_VK(vkCreateCommandPool(t->device, &pci, NULL, &t->pool));
}

void
vkt_finish(struct vkt *t)
{
   VKT_VK(vkDeviceWaitIdle(t->device));
   vkDestroyCommandPool(t->device, t->pool, NULL);
   vkDestroyDevice(t->device, NULL);
   vkDestroyInstance(t->instance, NULL);
}

uint32_t
vkt_pick_memory_type(const VkPhysicalDeviceMemoryProperties *m, uint32_t bits,
                     VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred)
{
   uint32_t fallback = UINT32_MAX;
   for (uint32_t i = 0; i < m->memoryTypeCount; i++) {
      const VkMemoryPropertyFlags f = m->memoryTypes[i].propertyFlags;
      if (!(bits & (1u << i)) || (f & required) != required)
         continue;
      if ((f & preferred) == preferred)
         return i;
      if (fallback == UINT32_MAX)
         fallback = i;
   }
   return fallback;
}

uint32_t
vkt_memory_type(const struct vkt *t, uint32_t bits, VkMemoryPropertyFlags flags)
{
   const uint32_t i = vkt_pick_memory_type(&t->memory, bits, flags, flags);
   if (i == UINT32_MAX)
      vkt_fail("no memory type with properties 0x%x in 0x%x", flags, bits);
   return i;
}

VkResult
vkt_make_buffer(VkDevice device, const VkPhysicalDeviceMemoryProperties *m, VkDeviceSize size,
                VkBufferUsageFlags usage, VkMemoryPropertyFlags required,
                VkMemoryPropertyFlags preferred, struct vkt_buffer *out)
{
   memset(out, 0, sizeof(*out));
   out->size = size;
   const VkBufferCreateInfo bci = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
      .size = size,
      .usage = usage,
      .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
   };
   VkResult r = vkCreateBuffer(device, &bci, NULL, &out->buffer);
   if (r != VK_SUCCESS)
      return r;
   VkMemoryRequirements reqs;
   vkGetBufferMemoryRequirements(device, out->buffer, &reqs);
   const uint32_t type = vkt_pick_memory_type(m, reqs.memoryTypeBits, required, preferred);
   if (type == UINT32_MAX)
      return VK_ERROR_FEATURE_NOT_PRESENT;
   const VkMemoryAllocateInfo mai = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
      .allocationSize = reqs.size,
      .memoryTypeIndex = type,
   };
   r = vkAllocateMemory(device, &mai, NULL, &out->memory);
   if (r == VK_SUCCESS)
      r = vkBindBufferMemory(device, out->buffer, out->memory, 0);
   if (r == VK_SUCCESS && (required & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
      r = vkMapMemory(device, out->memory, 0, VK_WHOLE_SIZE, 0, &out->map);
   return r;
}

void
vkt_free_buffer(VkDevice device, struct vkt_buffer *b)
{
   if (b->map)
      vkUnmapMemory(device, b->memory);
   vkDestroyBuffer(device, b->buffer, NULL);
   vkFreeMemory(device, b->memory, NULL);
   b->map = NULL;
}

void
vkt_buffer(struct vkt *t, VkDeviceSize size, VkBufferUsageFlags usage, VkMemoryPropertyFlags flags,
           struct vkt_buffer *out)
{
   if (vkt_pick_memory_type(&t->memory, ~0u, flags, flags) == UINT32_MAX)
      vkt_fail("no memory type with properties 0x%x", flags);
   VKT_VK(vkt_make_buffer(t->device, &t->memory, size, usage, flags, flags, out));
}

void
vkt_buffer_destroy(struct vkt *t, struct vkt_buffer *b)
{
   vkt_free_buffer(t->device, b);
}

VkResult
vkt_load_shader(VkDevice device, const char *path, VkShaderModule *out)
{
   FILE *f = fopen(path, "rb");
   if (!f) {
      fprintf(stderr, "cannot open the shader %s\n", path);
      return VK_ERROR_INITIALIZATION_FAILED;
   }
   fseek(f, 0, SEEK_END);
   const long size = ftell(f);
   fseek(f, 0, SEEK_SET);
   uint32_t *code = size > 0 && size % 4 == 0 ? malloc((size_t)size) : NULL;
   const bool ok = code && fread(code, 1, (size_t)size, f) == (size_t)size;
   fclose(f);
   if (!ok) {
      fprintf(stderr, "%s is not SPIR-V (size %ld)\n", path, size);
      free(code);
      return VK_ERROR_INITIALIZATION_FAILED;
   }
   const VkShaderModuleCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
      .codeSize = (size_t)size,
      .pCode = code,
   };
   const VkResult r = vkCreateShaderModule(device, &ci, NULL, out);
   free(code);
   return r;
}

VkResult
vkt_submit_and_wait(VkDevice device, VkQueue queue, VkCommandBuffer cmd, VkFence fence)
{
   const VkSubmitInfo si = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
      .commandBufferCount = 1,
      .pCommandBuffers = &cmd,
   };
   VkResult r = vkQueueSubmit(queue, 1, &si, fence);
   if (r == VK_SUCCESS)
      r = vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX);
   if (r == VK_SUCCESS)
      r = vkResetFences(device, 1, &fence);
   return r;
}

const char *
vkt_shader_dir(void)
{
   const char *d = getenv("VKT_SHADER_DIR");
   return d ? d : VKT_SHADER_DIR;
}

VkShaderModule
vkt_shader(struct vkt *t, const char *name)
{
   char path[4096];
   snprintf(path, sizeof(path), "%s/%s", vkt_shader_dir(), name);
   VkShaderModule m;
   VKT_VK(vkt_load_shader(t->device, path, &m));
   return m;
}

VkCommandBuffer
vkt_begin(struct vkt *t)
{
   const VkCommandBufferAllocateInfo ai = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
      .commandPool = t->pool,
      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
      .commandBufferCount = 1,
   };
   VkCommandBuffer cmd;
   VKT_VK(vkAllocateCommandBuffers(t->device, &ai, &cmd));
   const VkCommandBufferBeginInfo bi = {
      .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
      .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
   };
   VKT_VK(vkBeginCommandBuffer(cmd, &bi));
   return cmd;
}

void
vkt_submit_wait(struct vkt *t, VkCommandBuffer cmd)
{
   VKT_VK(vkEndCommandBuffer(cmd));
   const VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
   VkFence fence;
   VKT_VK(vkCreateFence(t->device, &fci, NULL, &fence));
   VKT_VK(vkt_submit_and_wait(t->device, t->queue, cmd, fence));
   vkDestroyFence(t->device, fence, NULL);
   vkFreeCommandBuffers(t->device, t->pool, 1, &cmd);
}

const char *
vkt_native_icd(void)
{
   /* The renderer's host driver (VL_HOST_ICD), or what Meson found, or the
    * loader's folders searched as the renderer does. */
   static char found[PATH_MAX];
   const char *p = getenv("VL_HOST_ICD");
   if (!p || !*p)
      p = getenv("VL_TEST_NATIVE_ICD");
   if (p && *p)
      return p;
   if (!found[0]) {
      char err[512];
      if (!vl_host_icd_manifest(found, sizeof(found), err, sizeof(err)))
         fprintf(stderr, "vkt: %s\n", err);
   }
   return found;
}

/* VK_INSTANCE_LAYERS without the venus-loopback layer. */
static void
drop_loopback_layer(void)
{
   const char *layers = getenv("VK_INSTANCE_LAYERS");
   if (!layers)
      return;
   char kept[1024] = "";
   char *copy = strdup(layers);
   for (char *save = NULL, *l = strtok_r(copy, ":", &save); l; l = strtok_r(NULL, ":", &save)) {
      if (strcmp(l, "VK_LAYER_VENUS_loopback"))
         snprintf(kept + strlen(kept), sizeof(kept) - strlen(kept), "%s%s", kept[0] ? ":" : "", l);
   }
   free(copy);
   setenv("VK_INSTANCE_LAYERS", kept, 1);
   unsetenv("VKT_EXPECT_LOOPBACK");
}

static bool
run_child(const char *self, const char *icd, bool native, const char *arg, const char *out_path)
{
   fflush(stdout);
   const pid_t pid = fork();
   if (pid < 0)
      return false;
   if (!pid) {
      setenv("VK_ICD_FILENAMES", icd, 1);
      setenv("VK_DRIVER_FILES", icd, 1);
      if (!strcmp(icd, vkt_native_icd())) {
         /* in a sanitized build, the native driver's own leaks are not ours */
         const char *old = getenv("ASAN_OPTIONS");
         char opts[512];
         snprintf(opts, sizeof(opts), "%s%sdetect_leaks=0", old ? old : "", old && *old ? ":" : "");
         setenv("ASAN_OPTIONS", opts, 1);
      }
      if (native)
         drop_loopback_layer();
      execl(self, self, arg, out_path, (char *)NULL);
      _exit(127);
   }
   int status = 0;
   if (waitpid(pid, &status, 0) < 0)
      return false;
   if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
      /* the child skipped (and said why): so does this test */
      printf("SKIP %s: the run with %s was skipped\n", current, icd);
      fflush(stdout);
      exit(77);
   }
   return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool
vkt_run_child(const char *self, const char *icd, const char *arg, const char *out_path)
{
   return run_child(self, icd, false, arg, out_path);
}

bool
vkt_run_native_child(const char *self, const char *arg, const char *out_path)
{
   return run_child(self, vkt_native_icd(), true, arg, out_path);
}

void
vkt_transfer_to_host(VkCommandBuffer cmd)
{
   const VkMemoryBarrier b = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
   };
   vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &b,
                        0, NULL, 0, NULL);
}
