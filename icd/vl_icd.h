/*
 * The guest driver: state it keeps per Vulkan object, and the helpers the
 * generated entry points (vl_icd_gen.c) and the hand-written ones share.
 *
 * Object ids: a handle's value is its Venus object id.  Dispatchable objects
 * and the non-dispatchable ones the guest keeps state for are structs here
 * (id = address); every other non-dispatchable handle is a number from a
 * process-wide counter, which never reaches the range of heap addresses.
 * The guest never calls host Vulkan; everything goes through the transport.
 *
 * Layer mode (libVkLayer_venus_loopback.so: the same guest core, with
 * layer/vl_layer.c on top, which sets vl_layer at load): the application's
 * dispatchable handles are the objects of the loader's chain below the layer
 * (their first word is the loader's, never ours).  Such an object's id is its
 * host handle: created under the address of our struct, it is renamed once
 * the renderer made it (vl_adopt), and our struct is found through a map
 * (vl_handles.c).
 */
#ifndef VL_ICD_H
#define VL_ICD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <vulkan/vk_icd.h>

#include "vl_hash_table.h"
#include "vl_icd_gen.h"
#include "vl_protocol_guest.h"
#include "vl_transport.h"

#define VL_ICD_DRIVER_NAME "venus-loopback"

/* ---- objects -------------------------------------------------------------- */

struct vl_physical_device;
struct vl_device;

struct vl_debug_messenger {
   struct vl_debug_messenger *next;
   VkDebugUtilsMessengerCreateInfoEXT info;
};

struct vl_instance {
   VK_LOADER_DATA loader;
   uint64_t handle; /* the chain's instance (layer mode) */
   /* the next element, for the instance commands the protocol does not carry
    * (its lookups answer correctly only while the instance is being created,
    * with the Khronos loader 1.3.239: what we need later is looked up then) */
   PFN_vkGetInstanceProcAddr next_gipa;
   PFN_GetPhysicalDeviceProcAddr next_gpdpa;
   PFN_vkEnumerateDeviceExtensionProperties next_enumerate_device_extensions;
   struct vl_transport *transport;
   uint32_t api_version;
   bool *enabled; /* per vl_extension_table entry */
   pthread_mutex_t lock;
   struct vl_physical_device **physical;
   uint32_t physical_count;
   bool enumerated;
   /* Its own lock: host-side messages arrive from inside the renderer, which
    * may be running for a thread that holds inst->lock (enumeration). */
   pthread_mutex_t messenger_lock;
   struct vl_debug_messenger *messengers;
};

struct vl_format_cache {
   VkFormat format;
   VkFormatProperties props;
   VkFormatProperties3 props3;
   bool has_props3;
};

struct vl_physical_device {
   VK_LOADER_DATA loader;
   uint64_t handle;
   struct vl_instance *instance;
   /* immutable answers, fetched once */
   VkPhysicalDeviceProperties2 properties;
   VkPhysicalDeviceFeatures2 features;
   VkPhysicalDeviceMemoryProperties2 memory;
   VkQueueFamilyProperties2 *queue_families;
   uint32_t queue_family_count;
   VkExtensionProperties *extensions;
   uint32_t extension_count;
   bool *supported; /* per vl_extension_table entry */
   /* the chained property and feature structs, by sType */
   VkBaseOutStructure **chained;
   uint32_t chained_count;
   pthread_mutex_t format_lock;
   struct vl_format_cache *formats;
   size_t format_count, format_cap;
};

struct vl_queue {
   VK_LOADER_DATA loader;
   uint64_t handle;
   struct vl_device *device;
   struct vl_queue *next;
   uint32_t family, index;
   VkDeviceQueueCreateFlags flags;
   uint32_t timeline;  /* the transport timeline (ring index) it is bound to; 0: none */
   VkFence idle_fence; /* for vkQueueWaitIdle, created on first use */
   pthread_mutex_t lock;
};

struct vl_reqs_entry;

/* Fence completion written by the renderer into memory shared with it
 * (vl_sync.c): a futex word bumped on every completion, then one 64-bit slot
 * per fence holding the serial of its last completed submission. */
struct vl_feedback {
   bool initialized;
   uint32_t resource; /* 0: the transport cannot share memory */
   uint8_t *memory;
   uint32_t *free_slots;
   uint32_t free_count;
   atomic_uint_fast64_t serial;
};

struct vl_fence {
   int32_t slot;             /* -1: no slot; every question goes to the host */
   _Atomic uint64_t pending; /* serial of the last submission to signal it; 0: none */
   atomic_bool signaled;     /* created signaled and not reset since */
   atomic_bool untracked;    /* changed by something the guest does not follow */
   bool exportable;          /* VkExportFenceCreateInfo: the host's fence may be asked */
};

struct vl_device {
   VK_LOADER_DATA loader;
   uint64_t handle;
   struct vl_instance *instance;
   struct vl_physical_device *physical;
   struct vl_transport *transport;
   uint32_t api_version;
   bool *enabled; /* per vl_extension_table entry */
   pthread_mutex_t lock;
   struct vl_queue *queues;
   /* memory requirements of identical create infos (vl_memory.c) */
   struct vl_hash_table reqs;
   /* private data */
   struct vl_private_entry **private_data;
   size_t private_count, private_cap;
   struct vl_feedback feedback; /* under lock */
   pthread_mutex_t flush_lock;  /* hands over unsent command buffers */
   /* under flush_lock: pipeline layouts the application destroyed, whose
    * host destroy waits for the next submission (vl_device_send_doomed) */
   struct vl_pipeline_layout *doomed;
};

struct vl_memory {
   VkDeviceSize size;
   uint32_t type_index;
   void *map;            /* the host's mapping of the whole allocation */
   VkDeviceSize map_end; /* where the application's mapping ends */
};

struct vl_buffer {
   VkMemoryRequirements reqs;
   bool reqs_valid;
   uint64_t key; /* hash of the create info */
};

struct vl_image {
   VkMemoryRequirements reqs;
   bool reqs_valid;
   uint64_t key;
   bool swapchain;
};

struct vl_command_pool;

enum vl_cmd_state { VL_CMD_INITIAL, VL_CMD_RECORDING, VL_CMD_EXECUTABLE, VL_CMD_INVALID };

struct vl_command_buffer {
   VK_LOADER_DATA loader;
   uint64_t handle;
   struct vl_device *device;
   struct vl_command_pool *pool;
   struct vl_command_buffer *next, *prev;
   VkCommandBufferLevel level;
   enum vl_cmd_state state;
   VkResult error; /* reported by vkEndCommandBuffer */
   uint8_t *data;  /* the recorded stream */
   size_t capacity;
   struct vl_encoder enc;
   bool in_flight; /* the stream was handed to the transport */
   uint32_t token;
   /* ended, but not handed over yet: a primary goes with its first
    * submission (under the device's flush_lock) */
   bool unsent;
};

struct vl_command_pool {
   struct vl_device *device;
   struct vl_command_buffer *buffers;
   uint32_t family;
};

/* Descriptor types a pool's capacity is counted in guest-side (SAMPLER ..
 * INPUT_ATTACHMENT); layouts with other types allocate synchronously. */
#define VL_POOL_TYPES (VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT + 1)

struct vl_descriptor_set_layout {
   /* the application's handle and every set or pipeline layout made with it
    * (which outlive vkDestroyDescriptorSetLayout) hold a reference; the
    * object does not change once created */
   _Atomic uint32_t refs;
   /* descriptors per type a set of this layout takes from its pool; valid
    * when countable (no other types, no flags, no pNext) */
   bool countable;
   uint32_t counts[VL_POOL_TYPES];
   /* the types whose count is not 0, for the pools' per-set arithmetic */
   uint8_t type_count;
   uint8_t types[VL_POOL_TYPES];
   uint32_t binding_count;
   /* per binding number (sparse): its type and whether it has immutable samplers */
   struct {
      uint32_t binding;
      VkDescriptorType type;
      bool immutable_samplers;
   } * bindings;
};

/* What vkGetQueryPoolResults needs to leave unavailable results alone. */
struct vl_query_pool {
   uint32_t values; /* result values per query; 0: unknown layout */
};

struct vl_pipeline_layout {
   uint32_t set_count;
   struct vl_descriptor_set_layout **sets;
   struct vl_pipeline_layout *next_doomed; /* the device's doomed list */
};

struct vl_descriptor_pool;

struct vl_descriptor_set {
   struct vl_descriptor_set_layout *layout;
};

struct vl_update_template {
   VkDescriptorUpdateTemplateType type;
   VkDescriptorSetLayout set_layout;
   VkPipelineLayout pipeline_layout;
   uint32_t set;
   VkPipelineBindPoint bind_point;
   uint32_t entry_count;
   VkDescriptorUpdateTemplateEntry *entries;
};

struct vl_swapchain {
   uint32_t image_count;
   struct vl_image *images;
};

struct vl_private_slot {
   uint64_t id;
};

/* ---- handles ------------------------------------------------------------------ */

/* Layer mode: what layer/vl_layer.c gives the guest core (NULL in the ICD).
 * Our element's part of the loader's link for a vkCreateInstance or
 * vkCreateDevice: takes the next element's entry points, advances the link
 * past us, and describes what the renderer needs to call the next element;
 * the instance's version also reads and checks the transport options
 * (in-process only) and points o->chain at chain. */
struct vl_layer_hooks {
   VkResult (*instance_chain)(const VkInstanceCreateInfo *info, VkInstance *instance,
                              struct vl_transport_options *o, struct vlr_chain *chain);
   VkResult (*device_chain)(const VkDeviceCreateInfo *info, VkDevice *device,
                            struct vlr_chain *chain);
};
extern const struct vl_layer_hooks *vl_layer;

/* Layer mode (vl_handles.c): handle -> our struct.  An unknown handle is a
 * fatal application error, reported before the process aborts (as the
 * loader does); VK_NULL_HANDLE gives NULL. */
void *vl_handle_lookup(uint64_t handle, VkObjectType type);
/* Maps a host handle to our struct; a stale entry (a host object destroyed
 * and its address reused) is replaced. */
bool vl_handle_register(uint64_t handle, VkObjectType type, void *object);
/* Forgets handle, if it still maps to object. */
void vl_handle_unregister(uint64_t handle, const void *object);
/* After the renderer made the object created under the id object: renames
 * it to its host handle and maps that to object.  0 when the connection is
 * lost or the renderer refused. */
uint64_t vl_adopt(struct vl_transport *t, void *object, VkObjectType type);

/* As an ICD a handle is our struct's address; as a layer it is the chain's
 * object, found through the map. */
#define VL_DISPATCHABLE(h, type)                                                                   \
   (__builtin_expect(vl_layer != NULL, 0) ? vl_handle_lookup((uint64_t)(uintptr_t)(h), type)       \
                                          : (void *)(h))
#define VL_DISPATCHABLE_HANDLE(Type, p)                                                            \
   (__builtin_expect(vl_layer != NULL, 0) ? (Type)(uintptr_t)(p)->handle : (Type)(uintptr_t)(p))

/* Our struct behind an application's handle, and the handle of a struct. */
static inline struct vl_instance *
vl_instance(VkInstance h)
{
   return (struct vl_instance *)VL_DISPATCHABLE(h, VK_OBJECT_TYPE_INSTANCE);
}

static inline VkInstance
vl_instance_handle(const struct vl_instance *p)
{
   return VL_DISPATCHABLE_HANDLE(VkInstance, p);
}

static inline struct vl_physical_device *
vl_physical_device(VkPhysicalDevice h)
{
   return (struct vl_physical_device *)VL_DISPATCHABLE(h, VK_OBJECT_TYPE_PHYSICAL_DEVICE);
}

static inline VkPhysicalDevice
vl_physical_device_handle(const struct vl_physical_device *p)
{
   return VL_DISPATCHABLE_HANDLE(VkPhysicalDevice, p);
}

static inline struct vl_device *
vl_device(VkDevice h)
{
   return (struct vl_device *)VL_DISPATCHABLE(h, VK_OBJECT_TYPE_DEVICE);
}

static inline VkDevice
vl_device_handle(const struct vl_device *p)
{
   return VL_DISPATCHABLE_HANDLE(VkDevice, p);
}

static inline struct vl_queue *
vl_queue(VkQueue h)
{
   return (struct vl_queue *)VL_DISPATCHABLE(h, VK_OBJECT_TYPE_QUEUE);
}

static inline VkQueue
vl_queue_handle(const struct vl_queue *p)
{
   return VL_DISPATCHABLE_HANDLE(VkQueue, p);
}

/* The transport timeline a queue's work travels on (generated senders). */
static inline uint32_t
vl_queue_timeline(VkQueue h)
{
   return h ? vl_queue(h)->timeline : 0;
}

static inline struct vl_command_buffer *
vl_command_buffer(VkCommandBuffer h)
{
   return (struct vl_command_buffer *)VL_DISPATCHABLE(h, VK_OBJECT_TYPE_COMMAND_BUFFER);
}

static inline VkCommandBuffer
vl_command_buffer_handle(const struct vl_command_buffer *p)
{
   return VL_DISPATCHABLE_HANDLE(VkCommandBuffer, p);
}

#define VL_FROM_HANDLE(type, h) ((type *)(uintptr_t)(h))
#define VL_TO_HANDLE(type, p)   ((type)(uintptr_t)(p))

/* The transport behind each dispatchable handle type. */
static inline struct vl_transport *
vl_transport_of_VkInstance(VkInstance h)
{
   return vl_instance(h)->transport;
}

static inline struct vl_transport *
vl_transport_of_VkPhysicalDevice(VkPhysicalDevice h)
{
   return vl_physical_device(h)->instance->transport;
}

static inline struct vl_transport *
vl_transport_of_VkDevice(VkDevice h)
{
   return vl_device(h)->transport;
}

static inline struct vl_transport *
vl_transport_of_VkQueue(VkQueue h)
{
   return vl_queue(h)->device->transport;
}

static inline struct vl_transport *
vl_transport_of_VkCommandBuffer(VkCommandBuffer h)
{
   return vl_command_buffer(h)->device->transport;
}

/* A fresh id for an object without guest state. */
uint64_t vl_new_id(void);

/* ---- calls -------------------------------------------------------------------- */

/* The reply did not decode: the connection can no longer be trusted. */
void vl_reply_error(struct vl_transport *t, const char *command, const char *why);

/* Scratch space for encoding: on the stack when small. */
struct vl_scratch {
   uint8_t *data;
   uint8_t local[1024];
};

static inline uint8_t *
vl_scratch_get(struct vl_scratch *s, size_t size)
{
   s->data = size <= sizeof(s->local) ? s->local : malloc(size);
   return s->data;
}

static inline void
vl_scratch_put(struct vl_scratch *s)
{
   if (s->data != s->local)
      free(s->data);
}

/* Room for one command in a command buffer's stream (NULL: out of memory,
 * remembered for vkEndCommandBuffer). */
struct vl_encoder *vl_cmd_reserve(struct vl_command_buffer *cmd, size_t size);

/* Host-side messages for the application (VK_EXT_debug_utils messengers). */
void vl_instance_message(struct vl_instance *instance, VkDebugUtilsMessageSeverityFlagBitsEXT sev,
                         const char *id_name, const char *text);

/* Swapchain images are guest objects like any image (vl_memory.c). */
struct vl_image *vl_image_create_swapchain(void);
void vl_image_free(struct vl_image *image);
/* Frees the device's memory-requirements cache. */
void vl_device_free_caches(struct vl_device *dev);

/* The instance extensions the ICD offers (asked of the host once per process). */
VkResult vl_global_extensions(const VkExtensionProperties **props, uint32_t *count);
/* Hands a primary command buffer's stream over before its submission. */
void vl_command_buffer_flush(struct vl_command_buffer *cmd);
/* Sends the host destroys of the pipeline layouts the application destroyed
 * since the last call: after a submission has handed over its command
 * buffers, and before the device goes. */
void vl_device_send_doomed(struct vl_device *dev);

/* Fences (vl_sync.c). */
VkResult vl_fence_create(struct vl_device *dev, bool signaled, VkFence *out);
void vl_fence_destroy(struct vl_device *dev, VkFence fence);
/* Just before a vkQueueSubmit or vkQueueSubmit2 that signals fence: true if
 * the renderer will put a fence of its own in its place and report
 * completion (vkQueueFenceFeedbackNextVL); false: call vl_fence_submitted
 * after the submission. */
bool vl_fence_submitting(struct vl_device *dev, VkQueue queue, VkFence fence);
/* After a submission that signals fence: the renderer reports completion. */
void vl_fence_submitted(struct vl_device *dev, VkQueue queue, VkFence fence);
/* Something the guest does not follow (WSI, an fd) changed the fence. */
void vl_fence_untrack(VkFence fence);
void vl_feedback_fini(struct vl_device *dev);

/* The host's instance version (vkEnumerateInstanceVersion), asked once. */
uint32_t vl_global_instance_version(void);

/* Fatal guest-side trouble (a lost connection) as a message on stderr. */
void vl_icd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
