/*
 * Loading the host driver and its layer chain (see vlr_host.h).
 *
 * Without layers the renderer calls the ICD's own entry points.  With layers,
 * each layer's vkCreateInstance/vkCreateDevice receives the loader's link
 * structs; the last link points at the terminator below, which calls the ICD
 * and then gives every dispatchable object a dispatch key, as the Khronos
 * loader does, because layers find their per-instance and per-device data by
 * the first pointer-sized word of a dispatchable handle.
 */
#include "vlr_host.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vk_icd.h>
#include <vulkan/vk_layer.h>

#include "vl_manifest.h"

#define MAX_LAYERS 4
/* loader structs of one create info copied in chain mode (the loader sends 2-4) */
#define MAX_LOADER_STRUCTS 8

struct vlr_layer {
   char name[128];
   void *lib;
   PFN_vkGetInstanceProcAddr gipa;
   PFN_vkGetDeviceProcAddr gdpa;
   PFN_GetPhysicalDeviceProcAddr gpdpa;
};

struct vlr_host {
   struct vlr_host *next; /* process-wide list */
   char manifest[PATH_MAX];
   char library[PATH_MAX];
   bool validation;
   void *lib;
   uint32_t interface_version;
   PFN_vkGetInstanceProcAddr icd_gipa;
   PFN_GetPhysicalDeviceProcAddr icd_gpdpa;
   struct vlr_layer layers[MAX_LAYERS]; /* layers[0] is closest to the application */
   unsigned layer_count;
   /* chain mode: icd_gipa is the next element's; the instance's link is
    * used once, and each device's link waits here for its creation */
   bool chain;
   struct vlr_chain instance_chain;
   pthread_mutex_t pending_lock;
   struct pending_device *pending;
};

struct pending_device {
   struct pending_device *next;
   uint64_t id;
   struct vlr_chain chain;
};

static pthread_mutex_t hosts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vlr_host *hosts;

static bool
load_icd(struct vlr_host *h, const char *manifest, char *err, size_t err_size)
{
   snprintf(h->manifest, sizeof(h->manifest), "%s", manifest);
   if (!vl_manifest_read_icd(h->manifest, h->library, sizeof(h->library))) {
      snprintf(err, err_size,
               "VL_HOST_ICD=%s: cannot read it as an ICD manifest (a JSON file with "
               "ICD.library_path)",
               h->manifest);
      return false;
   }
   h->lib = dlopen(h->library, RTLD_NOW | RTLD_LOCAL);
   if (!h->lib) {
      snprintf(err, err_size, "cannot load the host driver %s: %s", h->library, dlerror());
      return false;
   }
   PFN_vkNegotiateLoaderICDInterfaceVersion negotiate =
      (PFN_vkNegotiateLoaderICDInterfaceVersion)dlsym(h->lib,
                                                      "vk_icdNegotiateLoaderICDInterfaceVersion");
   h->interface_version = 1;
   if (negotiate) {
      h->interface_version = 5;
      if (negotiate(&h->interface_version) != VK_SUCCESS)
         h->interface_version = 1;
   }
   h->icd_gipa = (PFN_vkGetInstanceProcAddr)dlsym(h->lib, "vk_icdGetInstanceProcAddr");
   if (!h->icd_gipa)
      h->icd_gipa = (PFN_vkGetInstanceProcAddr)dlsym(h->lib, "vkGetInstanceProcAddr");
   h->icd_gpdpa = (PFN_GetPhysicalDeviceProcAddr)dlsym(h->lib, "vk_icdGetPhysicalDeviceProcAddr");
   if (!h->icd_gipa) {
      snprintf(err, err_size, "%s does not export vk_icdGetInstanceProcAddr", h->library);
      return false;
   }
   return true;
}

/* own_namespace: dlmopen into a new link-map namespace, so that the layer's
 * globals are not shared with a copy the application loaded. */
static bool
load_layer(struct vlr_layer *l, const char *name, bool own_namespace, char *err, size_t err_size)
{
   char manifest[PATH_MAX], lib[PATH_MAX];
   if (vl_manifest_find_layer(name, manifest, sizeof(manifest), lib, sizeof(lib))) {
      snprintf(l->name, sizeof(l->name), "%s", name);
      l->lib = own_namespace ? dlmopen(LM_ID_NEWLM, lib, RTLD_NOW | RTLD_LOCAL)
                             : dlopen(lib, RTLD_NOW | RTLD_LOCAL);
      if (!l->lib) {
         snprintf(err, err_size, "cannot load %s (%s, from %s): %s", name, lib, manifest,
                  dlerror());
         return false;
      }
      PFN_vkNegotiateLoaderLayerInterfaceVersion negotiate =
         (PFN_vkNegotiateLoaderLayerInterfaceVersion)dlsym(
            l->lib, "vkNegotiateLoaderLayerInterfaceVersion");
      VkNegotiateLayerInterface iface = {
         .sType = LAYER_NEGOTIATE_INTERFACE_STRUCT,
         .loaderLayerInterfaceVersion = CURRENT_LOADER_LAYER_INTERFACE_VERSION,
      };
      if (negotiate && negotiate(&iface) == VK_SUCCESS) {
         l->gipa = iface.pfnGetInstanceProcAddr;
         l->gdpa = iface.pfnGetDeviceProcAddr;
         l->gpdpa = iface.pfnGetPhysicalDeviceProcAddr;
      }
      if (!l->gipa)
         l->gipa = (PFN_vkGetInstanceProcAddr)dlsym(l->lib, "vkGetInstanceProcAddr");
      if (!l->gdpa)
         l->gdpa = (PFN_vkGetDeviceProcAddr)dlsym(l->lib, "vkGetDeviceProcAddr");
      if (!l->gipa || !l->gdpa) {
         snprintf(err, err_size, "%s does not export its GetProcAddr functions", name);
         return false;
      }
      return true;
   }
   snprintf(err, err_size,
            "VL_HOST_VALIDATION=1 needs %s, which is not in the loader's layer folders "
            "(VK_LAYER_PATH, VK_ADD_LAYER_PATH, XDG_DATA_DIRS ...; Debian: "
            "vulkan-validationlayers)",
            name);
   return false;
}

struct vlr_host *
vlr_host_get(const char *manifest, bool validation, char *err, size_t err_size)
{
   char found[PATH_MAX];
   if (!manifest || !*manifest) {
      if (!vl_manifest_find_lavapipe(found, sizeof(found))) {
         vl_manifest_lavapipe_missing(err, err_size);
         return NULL;
      }
      manifest = found;
   }
   pthread_mutex_lock(&hosts_lock);
   struct vlr_host *h;
   for (h = hosts; h; h = h->next) {
      if (h->validation == validation && !strcmp(h->manifest, manifest))
         goto out;
   }
   h = calloc(1, sizeof(*h));
   if (!h) {
      snprintf(err, err_size, "out of memory");
      goto out;
   }
   h->validation = validation;
   if (!load_icd(h, manifest, err, err_size) ||
       (validation && !load_layer(&h->layers[h->layer_count++], "VK_LAYER_KHRONOS_validation",
                                  false, err, err_size))) {
      /* Libraries stay loaded: unloading a half-initialised driver is worse. */
      free(h);
      h = NULL;
      goto out;
   }
   h->next = hosts;
   hosts = h;
out:
   pthread_mutex_unlock(&hosts_lock);
   return h;
}

/* Chain mode's validation layer: one namespace per process (their number is
 * small), shared by every layer instance. */
static pthread_mutex_t chain_validation_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vlr_layer chain_validation;
static bool chain_validation_tried;
static char chain_validation_error[512];

static const struct vlr_layer *
chain_validation_layer(char *err, size_t err_size)
{
   pthread_mutex_lock(&chain_validation_lock);
   if (!chain_validation_tried) {
      chain_validation_tried = true;
      if (!load_layer(&chain_validation, "VK_LAYER_KHRONOS_validation", true,
                      chain_validation_error, sizeof(chain_validation_error)))
         chain_validation.gipa = NULL;
   }
   const bool ok = chain_validation.gipa && chain_validation.gdpa;
   if (!ok)
      snprintf(err, err_size, "%s", chain_validation_error);
   pthread_mutex_unlock(&chain_validation_lock);
   return ok ? &chain_validation : NULL;
}

struct vlr_host *
vlr_host_chain(const struct vlr_chain *chain, bool validation, char *err, size_t err_size)
{
   if (!chain->next_gipa) {
      snprintf(err, err_size, "the loader gave the layer no next element");
      return NULL;
   }
   struct vlr_host *h = calloc(1, sizeof(*h));
   if (!h) {
      snprintf(err, err_size, "out of memory");
      return NULL;
   }
   h->chain = true;
   h->validation = validation;
   h->instance_chain = *chain;
   h->icd_gipa = chain->next_gipa;
   h->icd_gpdpa = chain->next_gpdpa;
   snprintf(h->library, sizeof(h->library), "the next element of the Vulkan loader's chain");
   pthread_mutex_init(&h->pending_lock, NULL);
   if (validation) {
      const struct vlr_layer *l = chain_validation_layer(err, err_size);
      if (!l) {
         vlr_host_release(h);
         return NULL;
      }
      h->layers[h->layer_count++] = *l;
   }
   return h;
}

bool
vlr_host_is_chain(const struct vlr_host *host)
{
   return host->chain;
}

void
vlr_host_set_device_chain(struct vlr_host *host, uint64_t id, const struct vlr_chain *chain)
{
   if (!host->chain)
      return;
   pthread_mutex_lock(&host->pending_lock);
   struct pending_device *p;
   for (p = host->pending; p && p->id != id; p = p->next)
      ;
   if (!p && (p = calloc(1, sizeof(*p)))) {
      p->id = id;
      p->next = host->pending;
      host->pending = p;
   }
   if (p)
      p->chain = *chain;
   pthread_mutex_unlock(&host->pending_lock);
}

static bool
take_device_chain(struct vlr_host *host, uint64_t id, struct vlr_chain *out)
{
   bool found = false;
   pthread_mutex_lock(&host->pending_lock);
   for (struct pending_device **p = &host->pending; *p; p = &(*p)->next) {
      if ((*p)->id == id) {
         struct pending_device *d = *p;
         *p = d->next;
         *out = d->chain;
         free(d);
         found = true;
         break;
      }
   }
   pthread_mutex_unlock(&host->pending_lock);
   return found;
}

void
vlr_host_release(struct vlr_host *host)
{
   if (!host || !host->chain)
      return;
   while (host->pending) {
      struct pending_device *d = host->pending;
      host->pending = d->next;
      free(d);
   }
   pthread_mutex_destroy(&host->pending_lock);
   free(host);
}

const char *
vlr_host_library(const struct vlr_host *host)
{
   return host->library;
}

bool
vlr_host_has_validation(const struct vlr_host *host)
{
   return host->layer_count > 0;
}

/* ---- the terminator: the end of the layer chain ---------------------------- */

/* Dispatch keys are unique pointers; layers only compare them. */
struct dispatch_key {
   const char *what;
};

static inline void
set_key(void *object, void *key)
{
   *(void **)object = key;
}

static inline void *
get_key(const void *object)
{
   return *(void *const *)object;
}

/* The ICD of the chain being created (one at a time: creation is serialized
 * by the renderer context lock; hosts_lock guards the handoff). */
static struct vlr_host *creating;

static VKAPI_ATTR VkResult VKAPI_CALL
term_CreateInstance(const VkInstanceCreateInfo *info, const VkAllocationCallbacks *alloc,
                    VkInstance *instance)
{
   struct vlr_host *h = creating;
   PFN_vkCreateInstance create = (PFN_vkCreateInstance)h->icd_gipa(NULL, "vkCreateInstance");
   VkResult r = create(info, alloc, instance);
   if (r == VK_SUCCESS) {
      struct dispatch_key *key = malloc(sizeof(*key));
      if (!key) {
         PFN_vkDestroyInstance destroy =
            (PFN_vkDestroyInstance)h->icd_gipa(*instance, "vkDestroyInstance");
         destroy(*instance, alloc);
         *instance = VK_NULL_HANDLE;
         return VK_ERROR_OUT_OF_HOST_MEMORY;
      }
      key->what = "instance";
      set_key(*instance, key);
   }
   return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL term_EnumeratePhysicalDevices(VkInstance, uint32_t *,
                                                                    VkPhysicalDevice *);
static VKAPI_ATTR VkResult VKAPI_CALL
term_EnumeratePhysicalDeviceGroups(VkInstance, uint32_t *, VkPhysicalDeviceGroupProperties *);
static VKAPI_ATTR VkResult VKAPI_CALL term_CreateDevice(VkPhysicalDevice,
                                                        const VkDeviceCreateInfo *,
                                                        const VkAllocationCallbacks *, VkDevice *);
static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL term_GetDeviceProcAddr(VkDevice, const char *);

static struct vlr_host *
host_of_instance(VkInstance instance)
{
   (void)instance;
   return creating;
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
term_GetInstanceProcAddr(VkInstance instance, const char *name)
{
   if (!strcmp(name, "vkCreateInstance"))
      return (PFN_vkVoidFunction)term_CreateInstance;
   if (!strcmp(name, "vkEnumeratePhysicalDevices"))
      return (PFN_vkVoidFunction)term_EnumeratePhysicalDevices;
   if (!strcmp(name, "vkEnumeratePhysicalDeviceGroups") ||
       !strcmp(name, "vkEnumeratePhysicalDeviceGroupsKHR"))
      return (PFN_vkVoidFunction)term_EnumeratePhysicalDeviceGroups;
   if (!strcmp(name, "vkCreateDevice"))
      return (PFN_vkVoidFunction)term_CreateDevice;
   if (!strcmp(name, "vkGetDeviceProcAddr"))
      return (PFN_vkVoidFunction)term_GetDeviceProcAddr;
   struct vlr_host *h = host_of_instance(instance);
   return h ? h->icd_gipa(instance, name) : NULL;
}

/* Physical devices answer to their instance's key (the loader does the same
 * through its trampoline objects). */
static void *term_instance_key;
static VkInstance term_instance;

static VKAPI_ATTR VkResult VKAPI_CALL
term_EnumeratePhysicalDevices(VkInstance instance, uint32_t *count, VkPhysicalDevice *devices)
{
   PFN_vkEnumeratePhysicalDevices f =
      (PFN_vkEnumeratePhysicalDevices)creating->icd_gipa(instance, "vkEnumeratePhysicalDevices");
   VkResult r = f(instance, count, devices);
   if (devices && (r == VK_SUCCESS || r == VK_INCOMPLETE)) {
      for (uint32_t i = 0; i < *count; i++)
         set_key(devices[i], get_key(instance));
   }
   return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL
term_EnumeratePhysicalDeviceGroups(VkInstance instance, uint32_t *count,
                                   VkPhysicalDeviceGroupProperties *groups)
{
   PFN_vkEnumeratePhysicalDeviceGroups f = (PFN_vkEnumeratePhysicalDeviceGroups)creating->icd_gipa(
      instance, "vkEnumeratePhysicalDeviceGroups");
   VkResult r = f(instance, count, groups);
   if (groups && (r == VK_SUCCESS || r == VK_INCOMPLETE)) {
      for (uint32_t i = 0; i < *count; i++)
         for (uint32_t j = 0; j < groups[i].physicalDeviceCount; j++)
            set_key(groups[i].physicalDevices[j], get_key(instance));
   }
   return r;
}

static PFN_vkGetDeviceProcAddr icd_gdpa_for_term;

static VKAPI_ATTR VkResult VKAPI_CALL
term_CreateDevice(VkPhysicalDevice physical, const VkDeviceCreateInfo *info,
                  const VkAllocationCallbacks *alloc, VkDevice *device)
{
   PFN_vkCreateDevice f = (PFN_vkCreateDevice)creating->icd_gipa(term_instance, "vkCreateDevice");
   VkResult r = f(physical, info, alloc, device);
   if (r == VK_SUCCESS) {
      /* freed by vlr_host_destroy_device */
      struct dispatch_key *key = malloc(sizeof(*key));
      if (!key) {
         PFN_vkDestroyDevice destroy =
            (PFN_vkDestroyDevice)icd_gdpa_for_term(*device, "vkDestroyDevice");
         destroy(*device, alloc);
         *device = VK_NULL_HANDLE;
         return VK_ERROR_OUT_OF_HOST_MEMORY;
      }
      key->what = "device";
      set_key(*device, key);
   }
   return r;
}

static VKAPI_ATTR void VKAPI_CALL
term_GetDeviceQueue(VkDevice device, uint32_t family, uint32_t index, VkQueue *queue)
{
   PFN_vkGetDeviceQueue f = (PFN_vkGetDeviceQueue)icd_gdpa_for_term(device, "vkGetDeviceQueue");
   f(device, family, index, queue);
   if (*queue)
      set_key(*queue, get_key(device));
}

static VKAPI_ATTR void VKAPI_CALL
term_GetDeviceQueue2(VkDevice device, const VkDeviceQueueInfo2 *info, VkQueue *queue)
{
   PFN_vkGetDeviceQueue2 f = (PFN_vkGetDeviceQueue2)icd_gdpa_for_term(device, "vkGetDeviceQueue2");
   f(device, info, queue);
   if (*queue)
      set_key(*queue, get_key(device));
}

static VKAPI_ATTR VkResult VKAPI_CALL
term_AllocateCommandBuffers(VkDevice device, const VkCommandBufferAllocateInfo *info,
                            VkCommandBuffer *cmds)
{
   PFN_vkAllocateCommandBuffers f =
      (PFN_vkAllocateCommandBuffers)icd_gdpa_for_term(device, "vkAllocateCommandBuffers");
   VkResult r = f(device, info, cmds);
   if (r == VK_SUCCESS) {
      for (uint32_t i = 0; i < info->commandBufferCount; i++)
         set_key(cmds[i], get_key(device));
   }
   return r;
}

static VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL
term_GetDeviceProcAddr(VkDevice device, const char *name)
{
   if (!strcmp(name, "vkGetDeviceQueue"))
      return (PFN_vkVoidFunction)term_GetDeviceQueue;
   if (!strcmp(name, "vkGetDeviceQueue2"))
      return (PFN_vkVoidFunction)term_GetDeviceQueue2;
   if (!strcmp(name, "vkAllocateCommandBuffers"))
      return (PFN_vkVoidFunction)term_AllocateCommandBuffers;
   if (!strcmp(name, "vkGetDeviceProcAddr"))
      return (PFN_vkVoidFunction)term_GetDeviceProcAddr;
   return icd_gdpa_for_term(device, name);
}

static VKAPI_ATTR VkResult VKAPI_CALL
set_instance_loader_data(VkInstance instance, void *object)
{
   set_key(object, get_key(instance));
   return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL
set_device_loader_data(VkDevice device, void *object)
{
   set_key(object, get_key(device));
   return VK_SUCCESS;
}

void
vlr_host_set_device_child(VkDevice device, void *child)
{
   (void)device;
   (void)child;
   /* Without layers nobody reads the key; with layers the terminator has
    * already set it. */
}

/* ---- the top of the chain ----------------------------------------------------- */

PFN_vkVoidFunction
vlr_host_get_instance_proc_addr(struct vlr_host *host, VkInstance instance, const char *name)
{
   /* Chain mode: before an instance, the loader answers the application. */
   if (host->chain && !instance && strcmp(name, "vkCreateInstance"))
      return NULL;
   if (host->layer_count)
      return host->layers[0].gipa(instance, name);
   return host->icd_gipa(instance, name);
}

/* Chain mode: copies of the loader's structs of a create info's chain, linked
 * in front of next; the validation layer, if any, gets a link of its own in
 * front of the loader's next one. */
static unsigned
instance_loader_structs(const struct vlr_host *h, const struct vlr_chain *c,
                        VkLayerInstanceCreateInfo *out, VkLayerInstanceLink *validation_link,
                        const void *next)
{
   unsigned n = 0, walked = 0;
   for (const VkBaseInStructure *s = c->loader_pnext; s && n < MAX_LOADER_STRUCTS && walked < 1024;
        s = s->pNext, walked++) {
      if (s->sType != VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO)
         continue;
      out[n] = *(const VkLayerInstanceCreateInfo *)s;
      if (h->layer_count && out[n].function == VK_LAYER_LINK_INFO) {
         *validation_link = (VkLayerInstanceLink){
            .pNext = out[n].u.pLayerInfo,
            .pfnNextGetInstanceProcAddr = c->next_gipa,
            .pfnNextGetPhysicalDeviceProcAddr = c->next_gpdpa,
         };
         out[n].u.pLayerInfo = validation_link;
      }
      n++;
   }
   for (unsigned i = 0; i < n; i++)
      out[i].pNext = i + 1 < n ? (const void *)&out[i + 1] : next;
   return n;
}

static VkResult
chain_create_instance(struct vlr_host *h, const VkInstanceCreateInfo *info, VkInstance *instance)
{
   struct vlr_chain *c = &h->instance_chain;
   if (!c->loader_object) {
      fprintf(stderr, "venus-loopback: renderer: a layer instance has one host instance\n");
      return VK_ERROR_INITIALIZATION_FAILED;
   }
   VkLayerInstanceCreateInfo loader[MAX_LOADER_STRUCTS];
   VkLayerInstanceLink validation_link;
   const unsigned n = instance_loader_structs(h, c, loader, &validation_link, info->pNext);
   VkInstanceCreateInfo chained = *info;
   chained.pNext = n ? (const void *)loader : info->pNext;
   *instance = (VkInstance)c->loader_object;
   /* The link structs live on the stack of the application's call. */
   c->loader_pnext = NULL;
   c->loader_object = NULL;
   PFN_vkCreateInstance create =
      (PFN_vkCreateInstance)vlr_host_get_instance_proc_addr(h, NULL, "vkCreateInstance");
   return create ? create(&chained, NULL, instance) : VK_ERROR_INITIALIZATION_FAILED;
}

VkResult
vlr_host_create_instance(struct vlr_host *host, const VkInstanceCreateInfo *info,
                         VkInstance *instance)
{
   if (host->chain)
      return chain_create_instance(host, info, instance);
   if (!host->layer_count) {
      PFN_vkCreateInstance create = (PFN_vkCreateInstance)host->icd_gipa(NULL, "vkCreateInstance");
      return create(info, NULL, instance);
   }
   /* Link i's next is layer i+1; the last one's is the terminator. */
   VkLayerInstanceLink links[MAX_LAYERS];
   for (unsigned i = 0; i < host->layer_count; i++) {
      const bool last = i + 1 == host->layer_count;
      links[i] = (VkLayerInstanceLink){
         .pNext = last ? NULL : &links[i + 1],
         .pfnNextGetInstanceProcAddr = last ? term_GetInstanceProcAddr : host->layers[i + 1].gipa,
         .pfnNextGetPhysicalDeviceProcAddr = last ? NULL : host->layers[i + 1].gpdpa,
      };
   }
   VkLayerInstanceCreateInfo data = {
      .sType = VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO,
      .pNext = info->pNext,
      .function = VK_LOADER_DATA_CALLBACK,
      .u.pfnSetInstanceLoaderData = set_instance_loader_data,
   };
   VkLayerInstanceCreateInfo link = {
      .sType = VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO,
      .pNext = &data,
      .function = VK_LAYER_LINK_INFO,
      .u.pLayerInfo = &links[1 < host->layer_count ? 1 : 0],
   };
   /* The first layer reads links from the chain starting at its own link. */
   link.u.pLayerInfo = &links[0];
   VkInstanceCreateInfo chained = *info;
   chained.pNext = &link;
   pthread_mutex_lock(&hosts_lock);
   creating = host;
   PFN_vkCreateInstance create =
      (PFN_vkCreateInstance)host->layers[0].gipa(NULL, "vkCreateInstance");
   VkResult r = create(&chained, NULL, instance);
   if (r == VK_SUCCESS) {
      term_instance = *instance;
      term_instance_key = get_key(*instance);
   }
   pthread_mutex_unlock(&hosts_lock);
   return r;
}

void
vlr_host_destroy_instance(struct vlr_host *host, VkInstance instance, PFN_vkDestroyInstance destroy)
{
   /* chain mode: the keys are the loader's */
   void *key = host->layer_count && !host->chain ? get_key(instance) : NULL;
   /* Chain mode: once the loader's vkCreateInstance is done, the next
    * element's lookups answer with the top of the chain. */
   if (!destroy)
      destroy = (PFN_vkDestroyInstance)vlr_host_get_instance_proc_addr(host, instance,
                                                                       "vkDestroyInstance");
   destroy(instance, NULL);
   free(key);
}

void
vlr_host_destroy_device(struct vlr_host *host, VkDevice device, PFN_vkDestroyDevice destroy)
{
   void *key = host->layer_count && !host->chain ? get_key(device) : NULL;
   destroy(device, NULL);
   free(key);
}

static unsigned
device_loader_structs(const struct vlr_host *h, const struct vlr_chain *c,
                      VkLayerDeviceCreateInfo *out, VkLayerDeviceLink *validation_link,
                      const void *next)
{
   unsigned n = 0, walked = 0;
   for (const VkBaseInStructure *s = c->loader_pnext; s && n < MAX_LOADER_STRUCTS && walked < 1024;
        s = s->pNext, walked++) {
      if (s->sType != VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO)
         continue;
      out[n] = *(const VkLayerDeviceCreateInfo *)s;
      if (h->layer_count && out[n].function == VK_LAYER_LINK_INFO) {
         *validation_link = (VkLayerDeviceLink){
            .pNext = out[n].u.pLayerInfo,
            .pfnNextGetInstanceProcAddr = c->next_gipa,
            .pfnNextGetDeviceProcAddr = c->next_gdpa,
         };
         out[n].u.pLayerInfo = validation_link;
      }
      n++;
   }
   for (unsigned i = 0; i < n; i++)
      out[i].pNext = i + 1 < n ? (const void *)&out[i + 1] : next;
   return n;
}

static VkResult
chain_create_device(struct vlr_host *h, VkInstance instance, VkPhysicalDevice physical,
                    const VkDeviceCreateInfo *info, uint64_t id, VkDevice *device,
                    PFN_vkGetDeviceProcAddr *gdpa)
{
   struct vlr_chain c;
   if (!take_device_chain(h, id, &c) || !c.next_gipa || !c.next_gdpa) {
      fprintf(stderr, "venus-loopback: renderer: no loader link for the device being created\n");
      return VK_ERROR_INITIALIZATION_FAILED;
   }
   VkLayerDeviceCreateInfo loader[MAX_LOADER_STRUCTS];
   VkLayerDeviceLink validation_link;
   const unsigned n = device_loader_structs(h, &c, loader, &validation_link, info->pNext);
   VkDeviceCreateInfo chained = *info;
   chained.pNext = n ? (const void *)loader : info->pNext;
   *device = (VkDevice)c.loader_object;
   const PFN_vkGetInstanceProcAddr gipa = h->layer_count ? h->layers[0].gipa : c.next_gipa;
   PFN_vkCreateDevice create = (PFN_vkCreateDevice)gipa(instance, "vkCreateDevice");
   *gdpa = h->layer_count ? h->layers[0].gdpa : c.next_gdpa;
   return create ? create(physical, &chained, NULL, device) : VK_ERROR_INITIALIZATION_FAILED;
}

VkResult
vlr_host_create_device(struct vlr_host *host, VkInstance instance, VkPhysicalDevice physical,
                       const VkDeviceCreateInfo *info, uint64_t id, VkDevice *device,
                       PFN_vkGetDeviceProcAddr *gdpa)
{
   if (host->chain)
      return chain_create_device(host, instance, physical, info, id, device, gdpa);
   (void)id;
   if (!host->layer_count) {
      PFN_vkCreateDevice create = (PFN_vkCreateDevice)host->icd_gipa(instance, "vkCreateDevice");
      VkResult r = create(physical, info, NULL, device);
      *gdpa = (PFN_vkGetDeviceProcAddr)host->icd_gipa(instance, "vkGetDeviceProcAddr");
      return r;
   }
   VkLayerDeviceLink links[MAX_LAYERS];
   for (unsigned i = 0; i < host->layer_count; i++) {
      const bool last = i + 1 == host->layer_count;
      links[i] = (VkLayerDeviceLink){
         .pNext = last ? NULL : &links[i + 1],
         .pfnNextGetInstanceProcAddr = last ? term_GetInstanceProcAddr : host->layers[i + 1].gipa,
         .pfnNextGetDeviceProcAddr = last ? term_GetDeviceProcAddr : host->layers[i + 1].gdpa,
      };
   }
   VkLayerDeviceCreateInfo data = {
      .sType = VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO,
      .pNext = info->pNext,
      .function = VK_LOADER_DATA_CALLBACK,
      .u.pfnSetDeviceLoaderData = set_device_loader_data,
   };
   VkLayerDeviceCreateInfo link = {
      .sType = VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO,
      .pNext = &data,
      .function = VK_LAYER_LINK_INFO,
      .u.pLayerInfo = &links[0],
   };
   VkDeviceCreateInfo chained = *info;
   chained.pNext = &link;
   pthread_mutex_lock(&hosts_lock);
   creating = host;
   term_instance = instance;
   icd_gdpa_for_term = (PFN_vkGetDeviceProcAddr)host->icd_gipa(instance, "vkGetDeviceProcAddr");
   PFN_vkCreateDevice create = (PFN_vkCreateDevice)host->layers[0].gipa(instance, "vkCreateDevice");
   VkResult r = create(physical, &chained, NULL, device);
   pthread_mutex_unlock(&hosts_lock);
   *gdpa = host->layers[0].gdpa;
   return r;
}
