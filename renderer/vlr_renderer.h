/*
 * The renderer, as transports, tools and tests see it: a context per guest
 * connection that decodes Venus streams and executes them on the host's
 * Vulkan driver (docs/design.md).  The context itself is opaque here;
 * vlr_context.h is the renderer's own.
 */
#ifndef VLR_RENDERER_H
#define VLR_RENDERER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>

struct vlr_context;

/* Transport timelines: ring index 0 is the CPU, 1 ... 63 queues (vtest's
 * MAX_TIMELINE_COUNT, as virglrenderer and Mesa use it). */
#define VLR_MAX_TIMELINES 64u

/* Layer mode: the host is the next element of the Khronos loader's chain.
 * What our element's vkCreateInstance or vkCreateDevice received, so that the
 * renderer calls the next element as the loader-layer interface says. */
struct vlr_chain {
   PFN_vkGetInstanceProcAddr next_gipa;
   PFN_vkGetDeviceProcAddr next_gdpa;        /* device creation only */
   PFN_GetPhysicalDeviceProcAddr next_gpdpa; /* instance creation only; may be NULL */
   /* the create info's own chain: its VK_STRUCTURE_TYPE_LOADER_*_CREATE_INFO
    * structs (the link already advanced past us) go in front of the decoded
    * chain; valid during the create call only */
   const void *loader_pnext;
   /* *pInstance / *pDevice on entry: the loader's object, which its
    * terminator expects to find there */
   void *loader_object;
};

/* A range of a host-visible VkDeviceMemory the guest flushes or invalidates. */
struct vlr_mapped_range {
   uint64_t memory_id;
   VkDeviceSize offset, size;
};

/* What a finding about what the host driver trusts does (renderer/check/). */
enum vlr_guard_policy {
   VLR_GUARDS_REPORT, /* in-process: reported once, the call goes to the host as made */
   VLR_GUARDS_REFUSE, /* a server's, the fuzz targets': the context is lost */
};

struct vlr_context_options {
   const char *host_icd; /* host ICD manifest; NULL: lavapipe's */
   bool host_validation; /* insert the Khronos validation layer */
   bool stats;           /* count commands and bytes */
   FILE *capture;        /* write every stream in the VKRD format */
   /* Messages of the host-side validation layer go here (NULL: stderr). */
   void (*message)(void *data, int severity, const char *id_name, const char *text);
   void *message_data;
   /* Host-visible memory must be shareable with another process: it is
    * backed by memfds (vlr_device_export_memory); for the vtest server. */
   bool export_memory;
   /* Layer mode: the host is the next element of the loader's chain
    * (host_icd is ignored); see vlr_layer.c. */
   const struct vlr_chain *chain;
   /* How long submitted work may take to complete before a command that
    * must wait for it (vlr_inflight.c); 0: 10 s. */
   uint64_t idle_timeout_ns;
   /* The command ids the context accepts (VL_WIRE_*): a server, the Venus
    * wire format it announced; 0, what the in-process transport speaks (the
    * current wire format and the loopback-private ids). */
   uint8_t wire_formats;
   /* Waits that could last for ever in a ring or transport stream are
    * refused (the fuzz targets: a hang is a finding); otherwise they run
    * in slices (vlr_exec.h). */
   bool refuse_unbounded_waits;
   enum vlr_guard_policy guards;
};

/* NULL on failure, with the reason in err. */
struct vlr_context *vlr_context_create(const struct vlr_context_options *options, char *err,
                                       size_t err_size);
void vlr_context_destroy(struct vlr_context *ctx);

/* A stream submitted through the transport (not a ring), executed now on the
 * calling thread; replies go to the reply stream.  False once lost. */
bool vlr_context_submit(struct vlr_context *ctx, const void *cmds, size_t size);

/* In-process fast path: executes cmds now on the calling thread and writes the
 * reply of its last command into reply.  False once lost. */
bool vlr_context_call(struct vlr_context *ctx, const void *cmds, size_t size, void *reply,
                      size_t reply_size);

/* In-process fast path for one-way commands: executes them now on the
 * calling thread (none may ask for a reply).  False once lost. */
bool vlr_context_execute(struct vlr_context *ctx, const void *cmds, size_t size);

/* Memory the guest shares with the context (ring, reply and upload buffers,
 * command-buffer streams).  Returns the resource id, 0 on failure. */
uint32_t vlr_context_resource_create(struct vlr_context *ctx, void *data, size_t size);
void vlr_context_resource_destroy(struct vlr_context *ctx, uint32_t id);
/* The same, then release(data, size) (an munmap, say), both under the
 * context lock, so that no command running meanwhile reads the memory. */
void vlr_context_resource_release(struct vlr_context *ctx, uint32_t id,
                                  void (*release)(void *data, size_t size));

/* The host's mapping of a host-visible VkDeviceMemory (whole allocation). */
VkResult vlr_context_map_memory(struct vlr_context *ctx, uint64_t memory_id, void **ptr,
                                VkDeviceSize *size);

VkResult vlr_context_flush_ranges(struct vlr_context *ctx, bool invalidate, uint32_t count,
                                  const struct vlr_mapped_range *ranges);

bool vlr_context_lost(const struct vlr_context *ctx);
/* Poisons the context (the renderer's failures, or a transport's that gave
 * up on it); the first message is kept and printed once. */
void vlr_context_set_lost(struct vlr_context *ctx, const char *message);
/* Why the context was lost: "" until the thread that lost it has said why. */
const char *vlr_context_lost_message(const struct vlr_context *ctx);

/* Layer mode (vlr_layer.c).  Renames the instance, physical device, device,
 * queue or command buffer with this id to its host handle, the id the
 * application's handle gives it from now on; false if there is no such
 * object or the host handle is taken. */
bool vlr_layer_adopt(struct vlr_context *ctx, uint64_t id, uint64_t *host);
/* The loader's link for the vkCreateDevice of device id that follows. */
void vlr_layer_set_device_chain(struct vlr_context *ctx, uint64_t id,
                                const struct vlr_chain *chain);

/* export_memory: a new fd of the memfd behind a host-visible VkDeviceMemory
 * of at least size bytes, to be mapped by another process; -1 with the
 * reason in why. */
int vlr_device_export_memory(struct vlr_context *ctx, uint64_t memory_id, uint64_t size, char *why,
                             size_t why_size);
/* A transport resource is going away: the rings that live in it stop, and
 * the context is lost (Venus).  Call without the context lock. */
void vlr_ring_stop_on_resource(struct vlr_context *ctx, uint32_t resource);

/* Wakes a sleeping ring thread.  In-process, the transport's wake-up is a
 * direct call (ring.md §9), so it does not wait for the context lock. */
void vlr_ring_notify(struct vlr_context *ctx, uint64_t ring_id);
/* Once all work submitted so far to the VkQueue bound to transport timeline
 * ring_idx (VkDeviceQueueTimelineInfoMESA) has completed on the host,
 * done(data, value, ok) runs on another thread (ok false: the device was
 * lost).  False, with why, when nothing is bound to ring_idx. */
bool vlr_feedback_timeline_fence(struct vlr_context *ctx, uint32_t ring_idx,
                                 void (*done)(void *data, uint64_t value, bool ok), void *data,
                                 uint64_t value, char *why, size_t why_size);
/* Prints the statistics (VL_DEBUG=stats). */
void vlr_context_print_stats(struct vlr_context *ctx, FILE *out);

#endif
