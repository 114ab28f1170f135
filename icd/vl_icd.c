/*
 * The loader-ICD interface (version 5), the global commands, and the
 * entry-point lookups the loader and applications make.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vl_icd.h"
#include "vl_icd_calls.h"

void
vl_icd_log(const char *fmt, ...)
{
   char msg[1024];
   va_list ap;
   va_start(ap, fmt);
   vsnprintf(msg, sizeof(msg), fmt, ap);
   va_end(ap);
   fprintf(stderr, "venus-loopback: %s\n", msg);
}

uint64_t
vl_new_id(void)
{
   /* Counter ids stay far below heap addresses (which are also ids). */
   static atomic_uint_fast64_t next = 1;
   return atomic_fetch_add_explicit(&next, 1, memory_order_relaxed);
}

void
vl_reply_error(struct vl_transport *t, const char *command, const char *why)
{
   (void)t;
   vl_icd_log("the reply to %s is malformed (%s); treating the device as lost", command, why);
}

/* ---- requirements of entry points ---------------------------------------------- */

static bool
requirement_met(const struct vl_entry_requirement *r, uint32_t api_version,
                const bool *instance_enabled, const bool *device_enabled)
{
   if (r->core && api_version < r->core)
      return false;
   if (!r->core && r->ext[0] < 0)
      return true;
   for (int i = 0; i < 3 && r->ext[i] >= 0; i++) {
      const int e = r->ext[i];
      const bool on =
         (instance_enabled && instance_enabled[e]) || (device_enabled && device_enabled[e]);
      if (!on)
         return false;
   }
   return true;
}

static bool
entry_enabled(const struct vl_entrypoint *e, uint32_t api_version, const bool *instance_enabled,
              const bool *device_enabled)
{
   for (unsigned i = 0; i < e->requirement_count; i++) {
      if (requirement_met(&e->requirements[i], api_version, instance_enabled, device_enabled))
         return true;
   }
   return false;
}

/* ---- the loader interface ---------------------------------------------------------- */

/* Layer mode's hooks: layer/vl_layer.c sets them when it is loaded. */
const struct vl_layer_hooks *vl_layer;

static PFN_vkVoidFunction
global_proc_addr(const char *name)
{
   static const char *const globals[] = {
      "vkCreateInstance",
      "vkEnumerateInstanceExtensionProperties",
      "vkEnumerateInstanceLayerProperties",
      "vkEnumerateInstanceVersion",
      "vkGetInstanceProcAddr",
   };
   for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++) {
      if (!strcmp(name, globals[i]))
         return vl_entrypoint_find(name)->fn;
   }
   return NULL;
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vl_GetInstanceProcAddr(VkInstance instance, const char *name)
{
   if (!name)
      return NULL;
   if (!instance)
      return global_proc_addr(name);
   const struct vl_entrypoint *e = vl_entrypoint_find(name);
   if (!e)
      return NULL;
   /* Instance-level lookups answer for every level (the loader builds its
    * tables from them); device-level ones of disabled extensions too, as
    * the spec allows. */
   return e->fn;
}

/* Test-only hook (VL_TEST_HOOKS=1): sends raw Venus commands one-way, in
 * order with everything else, so a test can put into the stream what no
 * application call produces. */
static VKAPI_ATTR VkResult VKAPI_CALL
vl_TestInjectCommands(VkDevice device, const void *stream, size_t size)
{
   return vl_transport_submit(vl_device(device)->transport, stream, size) ? VK_SUCCESS
                                                                          : VK_ERROR_DEVICE_LOST;
}

/* Statistics for benchmarks and tools: synchronous round trips so far on this
 * device's connection.  Found through vkGetDeviceProcAddr; absent (NULL) on
 * any other driver. */
static VKAPI_ATTR void VKAPI_CALL
vl_GetLoopbackStats(VkDevice device, uint64_t *round_trips)
{
   *round_trips = atomic_load(&vl_device(device)->transport->round_trips);
}

static bool
test_hooks_enabled(void)
{
   const char *v = getenv("VL_TEST_HOOKS");
   if (!v || !*v || !strcmp(v, "0"))
      return false;
   if (!strcmp(v, "1"))
      return true;
   vl_icd_log("VL_TEST_HOOKS=%s is not valid; valid values: 0, 1", v);
   return false;
}

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
vl_GetDeviceProcAddr(VkDevice device, const char *name)
{
   if (!name)
      return NULL;
   if (!strcmp(name, "vlGetLoopbackStats"))
      return (PFN_vkVoidFunction)vl_GetLoopbackStats;
   if (!strcmp(name, "vlTestInjectCommands"))
      return test_hooks_enabled() ? (PFN_vkVoidFunction)vl_TestInjectCommands : NULL;
   const struct vl_entrypoint *e = vl_entrypoint_find(name);
   if (!e || e->level != VL_LEVEL_DEVICE)
      return NULL;
   struct vl_device *dev = vl_device(device);
   /* Only what the device's version and enabled extensions provide. */
   if (!entry_enabled(e, dev->api_version, dev->instance->enabled, dev->enabled))
      return NULL;
   return e->fn;
}

/* ---- global commands --------------------------------------------------------------- */

/* Answers that exist before any instance: asked of the host once, through a
 * connection made for the purpose and kept for the life of the process. */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static struct {
   VkResult result;
   uint32_t version;
   VkExtensionProperties *extensions;
   uint32_t extension_count;
   char error[512];
} global;

static void
query_global(void)
{
   struct vl_transport_options o;
   if (!vl_transport_options_from_env(&o, global.error, sizeof(global.error))) {
      global.result = VK_ERROR_INITIALIZATION_FAILED;
      return;
   }
   o.stats = false;
   o.capture_file = NULL;
   o.host_validation = false;
   struct vl_transport *t = vl_transport_create(&o, global.error, sizeof(global.error));
   if (!t) {
      global.result = VK_ERROR_INITIALIZATION_FAILED;
      return;
   }
   global.result = vl_call_vkEnumerateInstanceVersion(t, &global.version);
   if (global.result == VK_SUCCESS && !vl_transport_speaks(t, VL_WIRE_PRIVATE)) {
      /* A Venus renderer implements no instance extension of its own
       * (virglrenderer lists only its private two and refuses any in
       * vkCreateInstance): the guest offers the protocol's, which are core
       * in the renderer's Vulkan 1.1+ instance. */
      global.extensions = calloc(VL_EXTENSION_COUNT, sizeof(*global.extensions));
      for (uint32_t i = 0; global.extensions && i < VL_EXTENSION_COUNT; i++) {
         const struct vl_extension_info *e = &vl_extension_table[i];
         if (!e->instance || !vl_transport_speaks(t, e->formats))
            continue;
         VkExtensionProperties *p = &global.extensions[global.extension_count++];
         snprintf(p->extensionName, sizeof(p->extensionName), "%s", e->name);
         p->specVersion = e->spec_version;
      }
      t->ops->destroy(t);
      return;
   }
   uint32_t n = 0;
   if (global.result == VK_SUCCESS)
      global.result = vl_call_vkEnumerateInstanceExtensionProperties(t, NULL, &n, NULL);
   global.extensions = calloc(n ? n : 1, sizeof(*global.extensions));
   if (global.result == VK_SUCCESS && global.extensions)
      global.result =
         vl_call_vkEnumerateInstanceExtensionProperties(t, NULL, &n, global.extensions);
   /* Extensions only the in-process transport carries disappear elsewhere. */
   uint32_t kept = 0;
   for (uint32_t i = 0; i < n; i++) {
      const struct vl_extension_info *e = vl_extension_find(global.extensions[i].extensionName);
      if (e && vl_transport_speaks(t, e->formats))
         global.extensions[kept++] = global.extensions[i];
   }
   global.extension_count = kept;
   t->ops->destroy(t);
}

/* The instance extensions the ICD offers; VK_SUCCESS or the reason why not. */
VkResult
vl_global_extensions(const VkExtensionProperties **props, uint32_t *count)
{
   pthread_once(&global_once, query_global);
   if (global.result != VK_SUCCESS) {
      vl_icd_log("%s", global.error[0] ? global.error : "the renderer cannot be reached");
      return global.result;
   }
   *props = global.extensions;
   *count = global.extension_count;
   return VK_SUCCESS;
}

uint32_t
vl_global_instance_version(void)
{
   pthread_once(&global_once, query_global);
   return global.result == VK_SUCCESS ? global.version : VK_API_VERSION_1_0;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_EnumerateInstanceVersion(uint32_t *version)
{
   pthread_once(&global_once, query_global);
   *version = global.result == VK_SUCCESS ? global.version : VK_API_VERSION_1_3;
   return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_EnumerateInstanceExtensionProperties(const char *layer, uint32_t *count,
                                        VkExtensionProperties *props)
{
   if (layer)
      return VK_ERROR_LAYER_NOT_PRESENT;
   const VkExtensionProperties *list = NULL;
   uint32_t n = 0;
   VkResult r = vl_global_extensions(&list, &n);
   if (r != VK_SUCCESS)
      return r;
   if (!props) {
      *count = n;
      return VK_SUCCESS;
   }
   const uint32_t copy = *count < n ? *count : n;
   memcpy(props, list, copy * sizeof(*props));
   *count = copy;
   return copy < n ? VK_INCOMPLETE : VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_EnumerateInstanceLayerProperties(uint32_t *count, VkLayerProperties *props)
{
   (void)props;
   *count = 0;
   return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_EnumerateDeviceLayerProperties(VkPhysicalDevice physical, uint32_t *count,
                                  VkLayerProperties *props)
{
   (void)physical;
   (void)props;
   *count = 0;
   return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_GetPhysicalDeviceToolProperties(VkPhysicalDevice physical, uint32_t *count,
                                   VkPhysicalDeviceToolProperties *props)
{
   (void)physical;
   (void)props;
   *count = 0;
   return VK_SUCCESS;
}
