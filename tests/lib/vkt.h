/*
 * A small base for the integration tests: real Vulkan programs that run
 * through the Khronos loader (the ICD is whatever VK_ICD_FILENAMES names: our
 * build-tree manifest under `meson test`, lavapipe when a test compares with
 * native).  Every check that fails prints FAIL with the reason and exits 1;
 * a test that completes prints PASS.
 */
#ifndef VKT_H
#define VKT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <vulkan/vulkan.h>

struct vkt {
   const char *name;
   VkInstance instance;
   VkPhysicalDevice physical;
   VkDevice device;
   uint32_t family;
   VkQueue queue;
   VkCommandPool pool;
   VkPhysicalDeviceMemoryProperties memory;
   VkPhysicalDeviceProperties props;
   /* the core features enabled: pipelineStatisticsQuery when the device has it */
   VkPhysicalDeviceFeatures features;
};

struct vkt_buffer {
   VkBuffer buffer;
   VkDeviceMemory memory;
   VkDeviceSize size;
   void *map;
};

void vkt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define VKT_CHECK(expr)                                                                            \
   do {                                                                                            \
      if (!(expr))                                                                                 \
         vkt_fail("%s:%d: %s", __FILE__, __LINE__, #expr);                                         \
   } while (0)

#define VKT_VK(call)                                                                               \
   do {                                                                                            \
      const VkResult vkt_r = (call);                                                               \
      if (vkt_r != VK_SUCCESS)                                                                     \
         vkt_vk_failed(__FILE__, __LINE__, #call, vkt_r);                                          \
   } while (0)

/* Fails; but a VK_ERROR_MEMORY_MAP_FAILED is a skip (exit 77) when
 * VKT_SKIP_UNMAPPABLE=1 says the renderer cannot share host-visible memory
 * (virglrenderer's vtest server on lavapipe). */
void vkt_vk_failed(const char *file, int line, const char *call, VkResult r)
   __attribute__((noreturn));

/* Instance (API 1.3), the first physical device, a device with one queue
 * that does graphics and compute, with the 1.2/1.3 features the tests use,
 * and a resettable command pool. */
void vkt_init(struct vkt *t, const char *name);
void vkt_finish(struct vkt *t);

uint32_t vkt_memory_type(const struct vkt *t, uint32_t bits, VkMemoryPropertyFlags flags);

/* ---- the same on any device (bench/bench_vk.c, which drives two at once) ----- */

/* A memory type of bits with the required flags, one with the preferred ones
 * too if any; UINT32_MAX when none has the required flags. */
uint32_t vkt_pick_memory_type(const VkPhysicalDeviceMemoryProperties *m, uint32_t bits,
                              VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred);
/* A buffer with its own memory, mapped when host-visible is required. */
VkResult vkt_make_buffer(VkDevice device, const VkPhysicalDeviceMemoryProperties *m,
                         VkDeviceSize size, VkBufferUsageFlags usage,
                         VkMemoryPropertyFlags required, VkMemoryPropertyFlags preferred,
                         struct vkt_buffer *out);
void vkt_free_buffer(VkDevice device, struct vkt_buffer *b);
/* A shader module from a SPIR-V file; VK_ERROR_INITIALIZATION_FAILED (and
 * why, on stderr) when the file is not there or not SPIR-V. */
VkResult vkt_load_shader(VkDevice device, const char *path, VkShaderModule *out);
/* Submits one command buffer with the fence, waits, and resets the fence. */
VkResult vkt_submit_and_wait(VkDevice device, VkQueue queue, VkCommandBuffer cmd, VkFence fence);
/* A buffer with memory of these properties, mapped when host-visible. */
void vkt_buffer(struct vkt *t, VkDeviceSize size, VkBufferUsageFlags usage,
                VkMemoryPropertyFlags flags, struct vkt_buffer *out);
void vkt_buffer_destroy(struct vkt *t, struct vkt_buffer *b);

/* Makes transfer writes visible to the host once the submission is waited for
 * (by fence, semaphore or query wait). */
void vkt_transfer_to_host(VkCommandBuffer cmd);

VkShaderModule vkt_shader(struct vkt *t, const char *spirv_path);
VkCommandBuffer vkt_begin(struct vkt *t);
/* Ends, submits with a fence, and waits. */
void vkt_submit_wait(struct vkt *t, VkCommandBuffer cmd);

/* The SPIR-V folder (VKT_SHADER_DIR at build time, overridable). */
const char *vkt_shader_dir(void);
void vkt_pass(const struct vkt *t);

/* Runs this same program again in a child process with VK_ICD_FILENAMES set
 * to icd and extra argument arg; false when the child failed. */
bool vkt_run_child(const char *self, const char *icd, const char *arg, const char *out_path);
/* The same on the native driver alone: vkt_native_icd(), and without the
 * venus-loopback layer when VK_INSTANCE_LAYERS names it (layer mode). */
bool vkt_run_native_child(const char *self, const char *arg, const char *out_path);
/* The native driver's manifest: the renderer's host driver (VL_HOST_ICD, else
 * lavapipe found as the loader finds manifests), or VL_TEST_NATIVE_ICD. */
const char *vkt_native_icd(void);

#endif
