/*
 * present_gate: an LD_PRELOAD shim that freezes a Vulkan program right after
 * it presented frame N, so that a screenshot shows exactly that frame.
 *
 * Programs like vkcube animate by frame count; stopping after a known present
 * makes their window contents deterministic, natively and through the
 * loopback alike.  The shim wraps vkQueuePresentKHR wherever the program looks
 * it up (vkGetInstanceProcAddr / vkGetDeviceProcAddr), waits for the device
 * to be idle after present N, gives the window system a moment, and stops the
 * process with SIGSTOP.  The test takes its screenshot and kills it.
 *
 *   VL_GATE_FRAME=N      the frame to stop after (1-based)
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vulkan/vulkan.h>

static PFN_vkQueuePresentKHR next_present;
static PFN_vkGetDeviceProcAddr next_gdpa;
static PFN_vkGetInstanceProcAddr next_gipa;
static PFN_vkQueueWaitIdle next_wait_idle;
static atomic_uint presents;

static VKAPI_ATTR VkResult VKAPI_CALL
gate_QueuePresentKHR(VkQueue queue, const VkPresentInfoKHR *info)
{
   const VkResult r = next_present(queue, info);
   const char *frame = getenv("VL_GATE_FRAME");
   if (frame && atomic_fetch_add(&presents, 1) + 1 == strtoul(frame, NULL, 10)) {
      if (next_wait_idle)
         next_wait_idle(queue);
      /* the window system may deliver the image from its own thread */
      const struct timespec settle = { 0, 300 * 1000 * 1000 };
      nanosleep(&settle, NULL);
      fprintf(stderr, "present_gate: stopped after frame %s\n", frame);
      fflush(stderr);
      raise(SIGSTOP);
   }
   return r;
}

/* The two symbols the shim shadows (the project builds with hidden
 * visibility). */
#define GATE_EXPORT __attribute__((visibility("default")))
GATE_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkGetInstanceProcAddr(VkInstance instance,
                                                                           const char *name);
GATE_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkGetDeviceProcAddr(VkDevice device,
                                                                         const char *name);

static void
init(void)
{
   /* The loader's own entry points: the symbols this shim shadows. */
   if (!next_gipa) {
      next_gipa = (PFN_vkGetInstanceProcAddr)dlsym(RTLD_NEXT, "vkGetInstanceProcAddr");
      next_gdpa = (PFN_vkGetDeviceProcAddr)dlsym(RTLD_NEXT, "vkGetDeviceProcAddr");
   }
}

static PFN_vkVoidFunction
wrap(const char *name, PFN_vkVoidFunction f)
{
   /* The loader hands out the addresses of its exported functions, which
    * this shim interposes: never store those as "next". */
   if (!f)
      return f;
   if (!strcmp(name, "vkGetInstanceProcAddr"))
      return (PFN_vkVoidFunction)vkGetInstanceProcAddr;
   if (!strcmp(name, "vkGetDeviceProcAddr"))
      return (PFN_vkVoidFunction)vkGetDeviceProcAddr;
   if (!strcmp(name, "vkQueuePresentKHR")) {
      next_present = (PFN_vkQueuePresentKHR)f;
      return (PFN_vkVoidFunction)gate_QueuePresentKHR;
   }
   if (!strcmp(name, "vkQueueWaitIdle"))
      next_wait_idle = (PFN_vkQueueWaitIdle)f;
   return f;
}

GATE_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vkGetInstanceProcAddr(VkInstance instance, const char *name)
{
   init();
   return wrap(name, next_gipa(instance, name));
}

GATE_EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vkGetDeviceProcAddr(VkDevice device, const char *name)
{
   init();
   return wrap(name, next_gdpa(device, name));
}
