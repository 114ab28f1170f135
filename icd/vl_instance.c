/*
 * Instances and physical devices, guest side.  Everything a physical device
 * answers is immutable, so it is fetched once, when the devices are first
 * enumerated, and every later query is answered from that cache.
 */
#include <stdio.h>
#include <string.h>

#include "vl_icd.h"
#include "vl_icd_calls.h"

static void destroy_physical_device(struct vl_physical_device *pd);

/* Instances still alive at exit print their statistics then. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vl_instance *live[64];
static bool atexit_set;

static void
print_stats(struct vl_instance *inst)
{
   struct vl_transport *t = inst->transport;
   if (!t->stats)
      return;
   fprintf(stderr,
           "venus-loopback: stats: %lu bytes encoded in %lu one-way submissions and %lu "
           "synchronous round trips\n",
           (unsigned long)atomic_load(&t->bytes), (unsigned long)atomic_load(&t->submissions),
           (unsigned long)atomic_load(&t->round_trips));
   if (t->ops->print_stats)
      t->ops->print_stats(t, stderr);
}

static void
print_stats_at_exit(void)
{
   pthread_mutex_lock(&live_lock);
   for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
      if (live[i])
         print_stats(live[i]);
   }
   pthread_mutex_unlock(&live_lock);
}

static void
track(struct vl_instance *inst, bool add)
{
   pthread_mutex_lock(&live_lock);
   for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
      if (add ? !live[i] : live[i] == inst) {
         live[i] = add ? inst : NULL;
         break;
      }
   }
   if (add && !atexit_set) {
      atexit(print_stats_at_exit);
      atexit_set = true;
   }
   pthread_mutex_unlock(&live_lock);
}

/* Host-side validation messages, for the application's messengers. */
static void
host_message(void *data, int severity, const char *id_name, const char *text)
{
   vl_instance_message(data, (VkDebugUtilsMessageSeverityFlagBitsEXT)severity, id_name, text);
}

static int
extension_index(const char *name)
{
   const struct vl_extension_info *e = vl_extension_find(name);
   return e ? (int)(e - vl_extension_table) : -1;
}

/* Layer mode: the host instance is the application's own, made by the next
 * element of the chain from exactly its application info and extensions (the
 * loader checked them); the layers are the loader's business. */
static void
host_create_info(const VkInstanceCreateInfo *info, struct vl_instance *inst, VkApplicationInfo *app,
                 VkInstanceCreateInfo *host_info)
{
   for (uint32_t i = 0; i < info->enabledExtensionCount; i++) {
      const int e = extension_index(info->ppEnabledExtensionNames[i]);
      if (e >= 0)
         inst->enabled[e] = true;
   }
   *app = (VkApplicationInfo){ .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO };
   if (info->pApplicationInfo) {
      *app = *info->pApplicationInfo;
      app->pNext = NULL;
   }
   inst->api_version = app->apiVersion ? app->apiVersion : VK_API_VERSION_1_0;
   *host_info = (VkInstanceCreateInfo){
      .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
      .flags = info->flags,
      .pApplicationInfo = app,
      .enabledExtensionCount = info->enabledExtensionCount,
      .ppEnabledExtensionNames = info->ppEnabledExtensionNames,
   };
}

static VkResult
create_instance_layer(const VkInstanceCreateInfo *info, VkInstance *out)
{
   struct vl_transport_options o;
   char err[512];
   struct vlr_chain chain;
   VkResult r = vl_layer->instance_chain(info, out, &o, &chain);
   if (r != VK_SUCCESS)
      return r;
   struct vl_instance *inst = calloc(1, sizeof(*inst));
   bool *enabled = calloc(VL_EXTENSION_COUNT, sizeof(*enabled));
   if (!inst || !enabled) {
      free(inst);
      free(enabled);
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   }
   inst->enabled = enabled;
   inst->next_gipa = chain.next_gipa;
   inst->next_gpdpa = chain.next_gpdpa;
   pthread_mutex_init(&inst->lock, NULL);
   pthread_mutex_init(&inst->messenger_lock, NULL);
   o.message = host_message;
   o.message_data = inst;
   inst->transport = vl_transport_create(&o, err, sizeof(err));
   if (!inst->transport) {
      vl_icd_log("%s", err);
      pthread_mutex_destroy(&inst->lock);
      pthread_mutex_destroy(&inst->messenger_lock);
      free(enabled);
      free(inst);
      return VK_ERROR_INITIALIZATION_FAILED;
   }
   VkApplicationInfo app;
   VkInstanceCreateInfo host_info;
   host_create_info(info, inst, &app, &host_info);
   VkInstance id = VL_TO_HANDLE(VkInstance, inst);
   r = vl_call_vkCreateInstance(inst->transport, &host_info, NULL, &id);
   if (r == VK_SUCCESS) {
      inst->handle = vl_adopt(inst->transport, inst, VK_OBJECT_TYPE_INSTANCE);
      if (!inst->handle) {
         /* the host instance goes with the renderer context */
         r = VK_ERROR_INITIALIZATION_FAILED;
      } else {
         inst->next_enumerate_device_extensions =
            (PFN_vkEnumerateDeviceExtensionProperties)inst->next_gipa(
               vl_instance_handle(inst), "vkEnumerateDeviceExtensionProperties");
      }
   }
   if (r != VK_SUCCESS) {
      inst->transport->ops->destroy(inst->transport);
      pthread_mutex_destroy(&inst->lock);
      pthread_mutex_destroy(&inst->messenger_lock);
      free(enabled);
      free(inst);
      return r;
   }
   track(inst, true);
   *out = vl_instance_handle(inst);
   return VK_SUCCESS;
}

/* ICD mode: the host instance is the renderer's, made with the extensions
 * the host must implement itself. */
static VkResult
create_instance_icd(const VkInstanceCreateInfo *info, VkInstance *out)
{
   const VkExtensionProperties *offered = NULL;
   uint32_t offered_count = 0;
   VkResult r = vl_global_extensions(&offered, &offered_count);
   if (r != VK_SUCCESS)
      return r;
   for (uint32_t i = 0; i < info->enabledExtensionCount; i++) {
      bool found = false;
      for (uint32_t j = 0; j < offered_count && !found; j++)
         found = !strcmp(info->ppEnabledExtensionNames[i], offered[j].extensionName);
      if (!found)
         return VK_ERROR_EXTENSION_NOT_PRESENT;
   }

   struct vl_transport_options o;
   char err[512];
   if (!vl_transport_options_from_env(&o, err, sizeof(err))) {
      vl_icd_log("%s", err);
      return VK_ERROR_INITIALIZATION_FAILED;
   }
   struct vl_instance *inst = calloc(1, sizeof(*inst));
   bool *enabled = calloc(VL_EXTENSION_COUNT, sizeof(*enabled));
   if (!inst || !enabled) {
      free(inst);
      free(enabled);
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   }
   set_loader_magic_value(inst);
   inst->enabled = enabled;
   pthread_mutex_init(&inst->lock, NULL);
   pthread_mutex_init(&inst->messenger_lock, NULL);
   o.message = host_message;
   o.message_data = inst;
   inst->transport = vl_transport_create(&o, err, sizeof(err));
   if (!inst->transport) {
      vl_icd_log("%s", err);
      free(enabled);
      free(inst);
      return VK_ERROR_INITIALIZATION_FAILED;
   }

   /* The host instance gets the extensions it must implement itself:
    * window-system surfaces, and debug utils for object names. */
   const char *host_exts[VL_EXTENSION_COUNT];
   uint32_t host_count = 0;
   for (uint32_t i = 0; i < info->enabledExtensionCount; i++) {
      const int e = extension_index(info->ppEnabledExtensionNames[i]);
      if (e < 0)
         continue;
      enabled[e] = true;
      if (strcmp(vl_extension_table[e].name, "VK_EXT_debug_report"))
         host_exts[host_count++] = vl_extension_table[e].name;
   }
   VkApplicationInfo app = { .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .apiVersion = VK_API_VERSION_1_0 };
   if (info->pApplicationInfo) {
      app = *info->pApplicationInfo;
      app.pNext = NULL;
      if (!app.apiVersion)
         app.apiVersion = VK_API_VERSION_1_0;
   }
   inst->api_version = app.apiVersion;
   /* The host instance gets the highest version the host offers: the ICD
    * asks for properties and features through the core structs of that
    * version, which an older instance version would make invalid host-side.
    * The application's own version still governs what it sees and may use. */
   const uint32_t host_version = vl_global_instance_version();
   if (VK_API_VERSION_MAJOR(app.apiVersion) == 1 && host_version > app.apiVersion)
      app.apiVersion = host_version > VK_API_VERSION_1_3 ? VK_API_VERSION_1_3 : host_version;
   /* Pure Venus: the guest implements the instance extensions itself. */
   if (!vl_transport_speaks(inst->transport, VL_WIRE_PRIVATE))
      host_count = 0;
   const VkInstanceCreateInfo host_info = {
      .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
      .pApplicationInfo = &app,
      .enabledExtensionCount = host_count,
      .ppEnabledExtensionNames = host_exts,
   };
   VkInstance handle = VL_TO_HANDLE(VkInstance, inst);
   r = vl_call_vkCreateInstance(inst->transport, &host_info, NULL, &handle);
   if (r != VK_SUCCESS) {
      inst->transport->ops->destroy(inst->transport);
      free(enabled);
      free(inst);
      return r;
   }
   track(inst, true);
   *out = handle;
   return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreateInstance(const VkInstanceCreateInfo *info, const VkAllocationCallbacks *alloc,
                  VkInstance *out)
{
   (void)alloc;
   return vl_layer ? create_instance_layer(info, out) : create_instance_icd(info, out);
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroyInstance(VkInstance instance, const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   if (!instance)
      return;
   struct vl_instance *inst = vl_instance(instance);
   vl_call_vkDestroyInstance(inst->transport, instance, NULL);
   if (vl_layer) {
      vl_handle_unregister((uint64_t)(uintptr_t)instance, inst);
   }
   track(inst, false);
   print_stats(inst);
   inst->transport->ops->destroy(inst->transport);
   for (uint32_t i = 0; i < inst->physical_count; i++)
      destroy_physical_device(inst->physical[i]);
   free(inst->physical);
   while (inst->messengers) {
      struct vl_debug_messenger *m = inst->messengers;
      inst->messengers = m->next;
      free(m);
   }
   pthread_mutex_destroy(&inst->lock);
   pthread_mutex_destroy(&inst->messenger_lock);
   free(inst->enabled);
   free(inst);
}

/* ---- physical devices -------------------------------------------------------- */

static void
destroy_physical_device(struct vl_physical_device *pd)
{
   if (vl_layer) {
      vl_handle_unregister(pd->handle, pd);
   }
   for (uint32_t i = 0; i < pd->chained_count; i++)
      free(pd->chained[i]);
   free(pd->chained);
   free(pd->queue_families);
   free(pd->extensions);
   free(pd->supported);
   free(pd->formats);
   pthread_mutex_destroy(&pd->format_lock);
   free(pd);
}

static bool
chain_supported(const struct vl_chained_info *c, uint32_t api_version, const bool *instance,
                const bool *device)
{
   for (unsigned i = 0; i < c->requirement_count; i++) {
      const struct vl_entry_requirement *r = &c->requirements[i];
      if (r->core && api_version < r->core)
         continue;
      bool ok = true;
      for (int k = 0; k < 3 && r->ext[k] >= 0; k++)
         ok &= instance[r->ext[k]] || device[r->ext[k]];
      if (ok)
         return true;
   }
   return false;
}

/* Builds the chain of every supported struct of a table under head. */
static bool
build_chain(struct vl_physical_device *pd, const struct vl_chained_info *table, uint32_t count,
            VkBaseOutStructure *head, uint32_t api_version)
{
   VkBaseOutStructure *tail = head;
   for (uint32_t i = 0; i < count; i++) {
      if (!chain_supported(&table[i], api_version, pd->instance->enabled, pd->supported))
         continue;
      VkBaseOutStructure *s = calloc(1, table[i].size);
      VkBaseOutStructure **grown =
         realloc(pd->chained, (pd->chained_count + 1) * sizeof(*pd->chained));
      if (!s || !grown) {
         free(s);
         if (grown)
            pd->chained = grown;
         return false;
      }
      pd->chained = grown;
      pd->chained[pd->chained_count++] = s;
      s->sType = table[i].sType;
      tail->pNext = s;
      tail = s;
   }
   tail->pNext = NULL;
   return true;
}

static VkBaseOutStructure *
find_cached(const struct vl_physical_device *pd, VkStructureType s)
{
   for (uint32_t i = 0; i < pd->chained_count; i++) {
      if (pd->chained[i]->sType == s)
         return pd->chained[i];
   }
   return NULL;
}

/* Copies every cached struct the application chained (body only: its own
 * sType and pNext stay). */
static void
fill_chain(const struct vl_physical_device *pd, void *pnext)
{
   unsigned walked = 0;
   for (VkBaseOutStructure *s = pnext; s && walked < VL_MAX_CHAIN_WALK; s = s->pNext, walked++) {
      const VkBaseOutStructure *c = find_cached(pd, s->sType);
      if (!c)
         continue;
      size_t size = 0;
      for (uint32_t i = 0; i < vl_properties_chain_count && !size; i++)
         if (vl_properties_chain[i].sType == s->sType)
            size = vl_properties_chain[i].size;
      for (uint32_t i = 0; i < vl_features_chain_count && !size; i++)
         if (vl_features_chain[i].sType == s->sType)
            size = vl_features_chain[i].size;
      if (size > sizeof(VkBaseOutStructure))
         memcpy((uint8_t *)s + sizeof(VkBaseOutStructure),
                (const uint8_t *)c + sizeof(VkBaseOutStructure), size - sizeof(VkBaseOutStructure));
   }
}

static void
copy_name(char *dst, size_t size, const char *prefix, const char *src)
{
   char buf[512];
   snprintf(buf, sizeof(buf), "%s%s", prefix, src);
   snprintf(dst, size, "%s", buf);
}

/* Everything immutable about one physical device, in a few calls. */
/* The highest version this ICD implements: the core of the vk.xml the
 * protocol was generated from.  A newer host (virglrenderer 1.1 passes
 * lavapipe 25's 1.4 through) is reported at this version. */
static uint32_t
clamp_api_version(uint32_t host)
{
   const uint32_t ours = VL_PROTOCOL_VK_XML_VERSION;
   return host > ours ? ours : host;
}

/* A conformance version above the reported API version would claim a CTS of
 * an API this device does not offer: report the newest one it can claim. */
static void
clamp_conformance(VkConformanceVersion *c, uint32_t api)
{
   const uint32_t major = VK_API_VERSION_MAJOR(api), minor = VK_API_VERSION_MINOR(api);
   if (c->major > major || (c->major == major && c->minor > minor))
      *c = (VkConformanceVersion){ (uint8_t)major, (uint8_t)minor, 0, 0 };
}

static VkResult
load_physical_device(struct vl_physical_device *pd)
{
   struct vl_transport *t = pd->instance->transport;
   VkPhysicalDevice handle = vl_physical_device_handle(pd);
   uint32_t n = 0;
   VkResult r = vl_call_vkEnumerateDeviceExtensionProperties(t, handle, NULL, &n, NULL);
   if (r != VK_SUCCESS)
      return r;
   /* room for the extensions the ICD implements itself, too */
   pd->extensions = calloc(n + VL_EXTENSION_COUNT, sizeof(*pd->extensions));
   pd->supported = calloc(VL_EXTENSION_COUNT, sizeof(*pd->supported));
   if (!pd->extensions || !pd->supported)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   r = vl_call_vkEnumerateDeviceExtensionProperties(t, handle, NULL, &n, pd->extensions);
   if (r != VK_SUCCESS)
      return r;
   /* What the host offers and the peer carries; fd-based ones only where
    * the renderer shares this process (extensions.tsv's offer column). */
   const bool in_process = vl_transport_speaks(t, VL_WIRE_PRIVATE);
   uint32_t kept = 0;
   for (uint32_t i = 0; i < n; i++) {
      const int e = extension_index(pd->extensions[i].extensionName);
      if (e < 0 || !vl_transport_speaks(t, vl_extension_table[e].formats) ||
          (vl_extension_table[e].inproc_only && !in_process))
         continue;
      pd->supported[e] = true;
      pd->extensions[kept++] = pd->extensions[i];
   }
   /* and, for a Venus peer, what the ICD implements itself, whatever the
    * host says (in-process the list stays the host driver's own) */
   for (uint32_t e = 0; !in_process && e < VL_EXTENSION_COUNT; e++) {
      if (!vl_extension_table[e].guest || vl_extension_table[e].instance || pd->supported[e])
         continue;
      pd->supported[e] = true;
      VkExtensionProperties *p = &pd->extensions[kept++];
      snprintf(p->extensionName, sizeof(p->extensionName), "%s", vl_extension_table[e].name);
      p->specVersion = vl_extension_table[e].spec_version;
   }
   pd->extension_count = kept;

   /* the version decides which core structs exist */
   pd->properties.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
   if (!vl_call_vkGetPhysicalDeviceProperties(t, handle, &pd->properties.properties))
      return VK_ERROR_INITIALIZATION_FAILED;
   const uint32_t version = clamp_api_version(pd->properties.properties.apiVersion);
   if (!build_chain(pd, vl_properties_chain, vl_properties_chain_count,
                    (VkBaseOutStructure *)&pd->properties, version))
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   if (!vl_call_vkGetPhysicalDeviceProperties2(t, handle, &pd->properties))
      return VK_ERROR_INITIALIZATION_FAILED;
   pd->properties.properties.apiVersion = version;
   pd->features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
   if (!build_chain(pd, vl_features_chain, vl_features_chain_count,
                    (VkBaseOutStructure *)&pd->features, version))
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   if (!vl_call_vkGetPhysicalDeviceFeatures2(t, handle, &pd->features))
      return VK_ERROR_INITIALIZATION_FAILED;
   pd->memory.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2;
   if (!vl_call_vkGetPhysicalDeviceMemoryProperties2(t, handle, &pd->memory))
      return VK_ERROR_INITIALIZATION_FAILED;
   if (!vl_call_vkGetPhysicalDeviceQueueFamilyProperties2(t, handle, &pd->queue_family_count, NULL))
      return VK_ERROR_INITIALIZATION_FAILED;
   pd->queue_families =
      calloc(pd->queue_family_count ? pd->queue_family_count : 1, sizeof(*pd->queue_families));
   if (!pd->queue_families)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   for (uint32_t i = 0; i < pd->queue_family_count; i++)
      pd->queue_families[i].sType = VK_STRUCTURE_TYPE_QUEUE_FAMILY_PROPERTIES_2;
   if (!vl_call_vkGetPhysicalDeviceQueueFamilyProperties2(t, handle, &pd->queue_family_count,
                                                          pd->queue_families))
      return VK_ERROR_INITIALIZATION_FAILED;

   /* Say who is driving: the device and driver names carry ours. */
   VkPhysicalDeviceProperties *p = &pd->properties.properties;
   char host_name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
   snprintf(host_name, sizeof(host_name), "%s", p->deviceName);
   snprintf(p->deviceName, sizeof(p->deviceName), VL_ICD_DRIVER_NAME " (%s)", host_name);
   VkPhysicalDeviceDriverProperties *drv = (VkPhysicalDeviceDriverProperties *)find_cached(
      pd, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES);
   VkPhysicalDeviceVulkan12Properties *v12 = (VkPhysicalDeviceVulkan12Properties *)find_cached(
      pd, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_PROPERTIES);
   char info[VK_MAX_DRIVER_NAME_SIZE + VK_MAX_DRIVER_INFO_SIZE + 4];
   if (drv) {
      clamp_conformance(&drv->conformanceVersion, version);
      snprintf(info, sizeof(info), "%s: %s", drv->driverName, drv->driverInfo);
      copy_name(drv->driverInfo, sizeof(drv->driverInfo), "Venus over ", info);
      snprintf(drv->driverName, sizeof(drv->driverName), VL_ICD_DRIVER_NAME);
   }
   if (v12) {
      clamp_conformance(&v12->conformanceVersion, version);
      snprintf(info, sizeof(info), "%s: %s", v12->driverName, v12->driverInfo);
      copy_name(v12->driverInfo, sizeof(v12->driverInfo), "Venus over ", info);
      snprintf(v12->driverName, sizeof(v12->driverName), VL_ICD_DRIVER_NAME);
   }
   return VK_SUCCESS;
}

static VkResult
enumerate_locked(struct vl_instance *inst)
{
   if (inst->enumerated)
      return VK_SUCCESS;
   struct vl_transport *t = inst->transport;
   VkInstance handle = vl_instance_handle(inst);
   uint32_t n = 0;
   VkResult r = vl_call_vkEnumeratePhysicalDevices(t, handle, &n, NULL);
   if (r != VK_SUCCESS)
      return r;
   inst->physical = calloc(n ? n : 1, sizeof(*inst->physical));
   VkPhysicalDevice *ids = calloc(n ? n : 1, sizeof(*ids));
   if (!inst->physical || !ids) {
      free(ids);
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   }
   for (uint32_t i = 0; i < n; i++) {
      struct vl_physical_device *pd = calloc(1, sizeof(*pd));
      if (!pd) {
         free(ids);
         return VK_ERROR_OUT_OF_HOST_MEMORY;
      }
      set_loader_magic_value(pd);
      pd->instance = inst;
      pthread_mutex_init(&pd->format_lock, NULL);
      inst->physical[inst->physical_count++] = pd;
      ids[i] = VL_TO_HANDLE(VkPhysicalDevice, pd);
   }
   r = vl_call_vkEnumeratePhysicalDevices(t, handle, &n, ids);
   free(ids);
   if (r != VK_SUCCESS)
      return r;
   if (vl_layer) {
      for (uint32_t i = 0; i < inst->physical_count; i++) {
         inst->physical[i]->handle = vl_adopt(t, inst->physical[i], VK_OBJECT_TYPE_PHYSICAL_DEVICE);
         if (!inst->physical[i]->handle)
            return VK_ERROR_INITIALIZATION_FAILED;
      }
   }
   for (uint32_t i = 0; i < inst->physical_count; i++) {
      r = load_physical_device(inst->physical[i]);
      if (r != VK_SUCCESS)
         return r;
   }
   inst->enumerated = true;
   return VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_EnumeratePhysicalDevices(VkInstance instance, uint32_t *count, VkPhysicalDevice *devices)
{
   struct vl_instance *inst = vl_instance(instance);
   pthread_mutex_lock(&inst->lock);
   VkResult r = enumerate_locked(inst);
   pthread_mutex_unlock(&inst->lock);
   if (r != VK_SUCCESS)
      return r;
   if (!devices) {
      *count = inst->physical_count;
      return VK_SUCCESS;
   }
   const uint32_t n = *count < inst->physical_count ? *count : inst->physical_count;
   for (uint32_t i = 0; i < n; i++)
      devices[i] = vl_physical_device_handle(inst->physical[i]);
   *count = n;
   return n < inst->physical_count ? VK_INCOMPLETE : VK_SUCCESS;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_EnumeratePhysicalDeviceGroups(VkInstance instance, uint32_t *count,
                                 VkPhysicalDeviceGroupProperties *groups)
{
   struct vl_instance *inst = vl_instance(instance);
   pthread_mutex_lock(&inst->lock);
   VkResult r = enumerate_locked(inst);
   pthread_mutex_unlock(&inst->lock);
   if (r != VK_SUCCESS)
      return r;
   return vl_call_vkEnumeratePhysicalDeviceGroups(inst->transport, instance, count, groups);
}

VKAPI_ATTR void VKAPI_CALL
vl_GetPhysicalDeviceProperties(VkPhysicalDevice physical, VkPhysicalDeviceProperties *props)
{
   *props = vl_physical_device(physical)->properties.properties;
}

VKAPI_ATTR void VKAPI_CALL
vl_GetPhysicalDeviceProperties2(VkPhysicalDevice physical, VkPhysicalDeviceProperties2 *props)
{
   struct vl_physical_device *pd = vl_physical_device(physical);
   props->properties = pd->properties.properties;
   fill_chain(pd, props->pNext);
}

VKAPI_ATTR void VKAPI_CALL
vl_GetPhysicalDeviceFeatures(VkPhysicalDevice physical, VkPhysicalDeviceFeatures *features)
{
   *features = vl_physical_device(physical)->features.features;
}

VKAPI_ATTR void VKAPI_CALL
vl_GetPhysicalDeviceFeatures2(VkPhysicalDevice physical, VkPhysicalDeviceFeatures2 *features)
{
   struct vl_physical_device *pd = vl_physical_device(physical);
   features->features = pd->features.features;
   fill_chain(pd, features->pNext);
}

VKAPI_ATTR void VKAPI_CALL
vl_GetPhysicalDeviceMemoryProperties(VkPhysicalDevice physical,
                                     VkPhysicalDeviceMemoryProperties *props)
{
   *props = vl_physical_device(physical)->memory.memoryProperties;
}

VKAPI_ATTR void VKAPI_CALL
vl_GetPhysicalDeviceMemoryProperties2(VkPhysicalDevice physical,
                                      VkPhysicalDeviceMemoryProperties2 *props)
{
   struct vl_physical_device *pd = vl_physical_device(physical);
   /* The types and heaps never change; a chained struct (the memory budget)
    * does, and is asked of the host each time. */
   if (props->pNext) {
      vl_call_vkGetPhysicalDeviceMemoryProperties2(pd->instance->transport, physical, props);
      return;
   }
   props->memoryProperties = pd->memory.memoryProperties;
}

VKAPI_ATTR void VKAPI_CALL
vl_GetPhysicalDeviceQueueFamilyProperties(VkPhysicalDevice physical, uint32_t *count,
                                          VkQueueFamilyProperties *props)
{
   struct vl_physical_device *pd = vl_physical_device(physical);
   if (!props) {
      *count = pd->queue_family_count;
      return;
   }
   const uint32_t n = *count < pd->queue_family_count ? *count : pd->queue_family_count;
   for (uint32_t i = 0; i < n; i++)
      props[i] = pd->queue_families[i].queueFamilyProperties;
   *count = n;
}

VKAPI_ATTR void VKAPI_CALL
vl_GetPhysicalDeviceQueueFamilyProperties2(VkPhysicalDevice physical, uint32_t *count,
                                           VkQueueFamilyProperties2 *props)
{
   struct vl_physical_device *pd = vl_physical_device(physical);
   if (!props) {
      *count = pd->queue_family_count;
      return;
   }
   const uint32_t n = *count < pd->queue_family_count ? *count : pd->queue_family_count;
   for (uint32_t i = 0; i < n; i++)
      props[i].queueFamilyProperties = pd->queue_families[i].queueFamilyProperties;
   *count = n;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_EnumerateDeviceExtensionProperties(VkPhysicalDevice physical, const char *layer, uint32_t *count,
                                      VkExtensionProperties *props)
{
   if (layer)
      return VK_ERROR_LAYER_NOT_PRESENT;
   struct vl_physical_device *pd = vl_physical_device(physical);
   if (!props) {
      *count = pd->extension_count;
      return VK_SUCCESS;
   }
   const uint32_t n = *count < pd->extension_count ? *count : pd->extension_count;
   memcpy(props, pd->extensions, n * sizeof(*props));
   *count = n;
   return n < pd->extension_count ? VK_INCOMPLETE : VK_SUCCESS;
}

/* Format properties: asked once per format (with VkFormatProperties3 when
 * the device has it), then cached. */
static struct vl_format_cache *
format_props(struct vl_physical_device *pd, VkFormat format)
{
   pthread_mutex_lock(&pd->format_lock);
   for (size_t i = 0; i < pd->format_count; i++) {
      if (pd->formats[i].format == format) {
         pthread_mutex_unlock(&pd->format_lock);
         return &pd->formats[i];
      }
   }
   pthread_mutex_unlock(&pd->format_lock);
   struct vl_format_cache c = { .format = format };
   c.props3.sType = VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_3;
   VkFormatProperties2 p2 = { .sType = VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_2 };
   const int e = extension_index("VK_KHR_format_feature_flags2");
   c.has_props3 =
      pd->properties.properties.apiVersion >= VK_API_VERSION_1_3 || (e >= 0 && pd->supported[e]);
   if (c.has_props3)
      p2.pNext = &c.props3;
   if (!vl_call_vkGetPhysicalDeviceFormatProperties2(pd->instance->transport,
                                                     vl_physical_device_handle(pd), format, &p2))
      return NULL;
   c.props = p2.formatProperties;
   c.props3.pNext = NULL;
   pthread_mutex_lock(&pd->format_lock);
   struct vl_format_cache *slot = NULL;
   if (pd->format_count == pd->format_cap) {
      const size_t cap = pd->format_cap ? pd->format_cap * 2 : 64;
      struct vl_format_cache *f = realloc(pd->formats, cap * sizeof(*f));
      if (f) {
         pd->formats = f;
         pd->format_cap = cap;
      }
   }
   if (pd->format_count < pd->format_cap) {
      slot = &pd->formats[pd->format_count++];
      *slot = c;
   }
   pthread_mutex_unlock(&pd->format_lock);
   return slot;
}

VKAPI_ATTR void VKAPI_CALL
vl_GetPhysicalDeviceFormatProperties(VkPhysicalDevice physical, VkFormat format,
                                     VkFormatProperties *props)
{
   struct vl_format_cache *c = format_props(vl_physical_device(physical), format);
   if (c)
      *props = c->props;
   else
      memset(props, 0, sizeof(*props));
}

VKAPI_ATTR void VKAPI_CALL
vl_GetPhysicalDeviceFormatProperties2(VkPhysicalDevice physical, VkFormat format,
                                      VkFormatProperties2 *props)
{
   struct vl_physical_device *pd = vl_physical_device(physical);
   /* Chains beyond VkFormatProperties3 (DRM modifier lists) are asked for. */
   for (const VkBaseInStructure *s = props->pNext; s; s = s->pNext) {
      if (s->sType != VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_3) {
         vl_call_vkGetPhysicalDeviceFormatProperties2(pd->instance->transport, physical, format,
                                                      props);
         return;
      }
   }
   struct vl_format_cache *c = format_props(pd, format);
   if (!c) {
      memset(&props->formatProperties, 0, sizeof(props->formatProperties));
      return;
   }
   props->formatProperties = c->props;
   for (VkBaseOutStructure *s = props->pNext; s; s = s->pNext) {
      if (s->sType == VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_3 && c->has_props3) {
         VkFormatProperties3 *p3 = (VkFormatProperties3 *)s;
         p3->linearTilingFeatures = c->props3.linearTilingFeatures;
         p3->optimalTilingFeatures = c->props3.optimalTilingFeatures;
         p3->bufferFeatures = c->props3.bufferFeatures;
      }
   }
}

/* ---- debug messengers: the application's callbacks, kept guest-side ----------- */

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreateDebugUtilsMessengerEXT(VkInstance instance, const VkDebugUtilsMessengerCreateInfoEXT *info,
                                const VkAllocationCallbacks *alloc,
                                VkDebugUtilsMessengerEXT *messenger)
{
   (void)alloc;
   struct vl_instance *inst = vl_instance(instance);
   struct vl_debug_messenger *m = calloc(1, sizeof(*m));
   if (!m)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   m->info = *info;
   m->info.pNext = NULL;
   pthread_mutex_lock(&inst->messenger_lock);
   m->next = inst->messengers;
   inst->messengers = m;
   pthread_mutex_unlock(&inst->messenger_lock);
   *messenger = VL_TO_HANDLE(VkDebugUtilsMessengerEXT, m);
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroyDebugUtilsMessengerEXT(VkInstance instance, VkDebugUtilsMessengerEXT messenger,
                                 const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   struct vl_instance *inst = vl_instance(instance);
   struct vl_debug_messenger *m = VL_FROM_HANDLE(struct vl_debug_messenger, messenger);
   pthread_mutex_lock(&inst->messenger_lock);
   for (struct vl_debug_messenger **p = &inst->messengers; *p; p = &(*p)->next) {
      if (*p == m) {
         *p = m->next;
         free(m);
         break;
      }
   }
   pthread_mutex_unlock(&inst->messenger_lock);
}

static void
submit_message(struct vl_instance *inst, VkDebugUtilsMessageSeverityFlagBitsEXT severity,
               VkDebugUtilsMessageTypeFlagsEXT types,
               const VkDebugUtilsMessengerCallbackDataEXT *data)
{
   pthread_mutex_lock(&inst->messenger_lock);
   for (struct vl_debug_messenger *m = inst->messengers; m; m = m->next) {
      if ((m->info.messageSeverity & severity) && (m->info.messageType & types))
         m->info.pfnUserCallback(severity, types, data, m->info.pUserData);
   }
   pthread_mutex_unlock(&inst->messenger_lock);
}

VKAPI_ATTR void VKAPI_CALL
vl_SubmitDebugUtilsMessageEXT(VkInstance instance, VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                              VkDebugUtilsMessageTypeFlagsEXT types,
                              const VkDebugUtilsMessengerCallbackDataEXT *data)
{
   submit_message(vl_instance(instance), severity, types, data);
}

/* Host-side messages may come while the instance is being created, before it
 * has a handle (layer mode): they go to the messengers directly. */
void
vl_instance_message(struct vl_instance *inst, VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                    const char *id_name, const char *text)
{
   const VkDebugUtilsMessengerCallbackDataEXT data = {
      .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CALLBACK_DATA_EXT,
      .pMessageIdName = id_name,
      .pMessage = text,
   };
   submit_message(inst, severity, VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT, &data);
}

/* VK_EXT_debug_report: accepted for compatibility; the loader routes its own
 * messages, and host-side messages go through debug utils. */
VKAPI_ATTR VkResult VKAPI_CALL
vl_CreateDebugReportCallbackEXT(VkInstance instance, const VkDebugReportCallbackCreateInfoEXT *info,
                                const VkAllocationCallbacks *alloc,
                                VkDebugReportCallbackEXT *callback)
{
   (void)instance;
   (void)info;
   (void)alloc;
   *callback = (VkDebugReportCallbackEXT)(uintptr_t)vl_new_id();
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroyDebugReportCallbackEXT(VkInstance instance, VkDebugReportCallbackEXT callback,
                                 const VkAllocationCallbacks *alloc)
{
   (void)instance;
   (void)callback;
   (void)alloc;
}

VKAPI_ATTR void VKAPI_CALL
vl_DebugReportMessageEXT(VkInstance instance, VkDebugReportFlagsEXT flags,
                         VkDebugReportObjectTypeEXT type, uint64_t object, size_t location,
                         int32_t code, const char *layer, const char *message)
{
   (void)instance;
   (void)flags;
   (void)type;
   (void)object;
   (void)location;
   (void)code;
   (void)layer;
   (void)message;
}
