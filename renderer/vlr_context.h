/*
 * A renderer context: the host half of one Venus connection.
 *
 * It owns the object table (guest id -> host object), the host instance and
 * everything under it, the resources the guest shared with it, the reply
 * stream, and its rings.  Like virglrenderer's, it is poisoned for good by the
 * first fatal error (a malformed stream, an unknown id): every later
 * submission is refused and the guest reports VK_ERROR_DEVICE_LOST.
 *
 * The renderer's own header: transports, tools and tests use
 * vlr_renderer.h, where the context is opaque.
 */
#ifndef VLR_CONTEXT_H
#define VLR_CONTEXT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vl_object_table.h"
#include "vlr_renderer.h"
#include "vlr_exec.h"
#include "vlr_gen.h"

struct vlr_host;
struct vlr_ring;

struct vlr_resource {
   uint32_t id;
   void *data;
   size_t size;
};

/* Per-device state of the renderer (vl_object.data of a VkDevice). */
struct vlr_feedback;
struct vlr_device {
   struct vlr_host_device_table table;
   /* the next device left to the host driver (vlr_instance.c) */
   struct vlr_device *abandoned_next;
   struct vl_object *physical_device;
   /* vlr_inflight.c: submissions so far and how far they have provably
    * completed (31-bit numbers), the queue of the last one, and whether
    * several queues were used */
   uint32_t submitted, completed;
   struct vl_object *queue;
   bool several_queues;
   /* vlr_inflight.c: batches the host driver holds back until a timeline
    * value is signaled (wait-before-signal), oldest first */
   struct vlr_held_batch *held;
   size_t held_count;
   bool ever_held; /* the host's queue may have a submit thread (vlr_watchdog.c) */
   /* the latest submission number fence feedback saw complete (written by
    * the feedback waiter thread, absorbed into completed by vlr_inflight.c) */
   _Atomic uint32_t feedback_completed;
   struct vlr_feedback *feedback; /* fence feedback waiter, made on first use */
   /* export_memory: host-visible memory is imported from memfds
    * (VK_EXT_external_memory_host), with this alignment */
   VkDeviceSize host_pointer_alignment;
   /* the host's limits, for indices the host driver trusts (renderer/check/) */
   VkPhysicalDeviceLimits limits;
   /* ... and, when the guest enabled VK_EXT_transform_feedback, its vertex
    * streams and buffers (0 otherwise: only stream 0, no buffers) */
   uint32_t xfb_streams, xfb_buffers;
   VkPhysicalDeviceFeatures features; /* the core features the guest enabled */
   bool timeline_semaphores;          /* ... and the timelineSemaphore feature */
};

/* Stops the fence feedback waiter of an idle device (vlr_feedback.c). */
void vlr_feedback_destroy(struct vlr_device *dev);

/* Per-memory state (vl_object.data of a VkDeviceMemory). */
struct vlr_memory {
   VkDevice device;
   const struct vlr_host_device_table *table;
   VkDeviceSize size;
   uint32_t type_index;
   bool host_visible;
   void *map; /* the host's own mapping, made on first use */
   /* export_memory: the memfd behind the memory and its mapping (shm is
    * NULL when the memory is not shareable) */
   int fd;
   void *shm;
   size_t shm_size;
};

struct vlr_stats {
   /* findings of renderer/check/: reported (policy report) or refused */
   atomic_uint_fast64_t guard_reports;
   atomic_uint_fast64_t guard_refusals;
   atomic_uint_fast64_t commands;
   atomic_uint_fast64_t bytes;
   atomic_uint_fast64_t streams;
   /* per command id: Venus ids, then private ids */
   atomic_uint_fast64_t *per_command;
};

struct vlr_context {
   pthread_mutex_t lock;
   uint8_t wire_formats; /* VL_WIRE_*: the command ids this context accepts */
   /* the resource table has its own lock: transports attach resources while
    * a long span executes under the context lock */
   pthread_mutex_t resource_lock;
   struct vlr_context_options options;
   struct vlr_host *host;
   struct vl_object_table objects;
   struct vl_object *instance; /* at most one */
   struct vlr_host_instance_table instance_table;
   uint32_t instance_api_version;

   atomic_bool lost;
   atomic_bool closing;    /* vlr_context_destroy has begun */
   char lost_message[512]; /* read it through vlr_context_lost_message() */
   atomic_bool lost_message_ready;

   struct vlr_resource *resources;
   size_t resource_count, resource_capacity;
   uint32_t next_resource_id;

   struct vlr_ring_set *ring_set; /* vlr_ring.c; made with the context */
   /* wire format 0: the one reply stream of every ring and thread (wire
    * format 1 keeps one per executor, vlr_exec.h) */
   struct vlr_reply_stream shared_reply;
   /* what renderer/check/ reported (policy report), once per command and
    * kind; under the context lock */
#define VLR_GUARD_REPORTS 64
   struct {
      int32_t cmd;
      const char *kind;
   } guard_reported[VLR_GUARD_REPORTS];
   unsigned guard_reported_count;
   /* the VkQueue id each transport timeline (ring index 1 ...) is bound to
    * by vkGetDeviceQueue2 with VkDeviceQueueTimelineInfoMESA; 0: none */
   uint64_t timelines[VLR_MAX_TIMELINES];

   struct vlr_stats stats;
   uint64_t capture_seq;
   uint32_t capture_tag; /* names the context in the capture (docs/capture.md) */
   /* vlr_inflight.c: a command buffer known not to be in flight, while no
    * submission or vkCmdExecuteCommands happened and the object table's
    * generation is this one */
   struct vl_object *idle_cb;
   uint64_t idle_cb_generation;
   /* commands decoded so far, for "command #N" in host-side messages
    * (executors count under the lock) */
   uint64_t command_seq;
   VkDebugUtilsMessengerEXT messenger; /* host-side validation */
   /* vlr_watchdog.c: releases a host call blocked inside the host driver
    * (made on first use); armed: one is running now */
   struct vlr_watchdog *watchdog;
   bool watchdog_armed;
};

/* ---- inside the renderer ------------------------------------------------------ */

/* A copy of the resource's description (the table may move). */
bool vlr_context_resource(struct vlr_context *ctx, uint32_t id, struct vlr_resource *out);
/* Writes one VKRD record (docs/capture.md) and returns its sequence number. */
uint64_t vlr_context_capture(struct vlr_context *ctx, uint16_t kind, uint64_t ring, uint64_t ref,
                             const void *data, size_t size);
void vlr_context_count(struct vlr_context *ctx, int32_t id);

/* The host messenger that turns validation messages into host-side reports. */
void vlr_validation_messenger_info(struct vlr_context *ctx,
                                   VkDebugUtilsMessengerCreateInfoEXT *info);

/* Host destruction of everything under a device (vkDestroyDevice), and of
 * the instance with everything under it (context teardown). */
void vlr_device_destroy_children(struct vlr_context *ctx, struct vl_object *device);
/* The memfd behind an exportable memory, after the host freed the memory. */
void vlr_memory_release_shm(struct vlr_memory *mem);
void vlr_instance_destroy_all(struct vlr_context *ctx);
/* Layer mode: physical device old_id is now new_id (vlr_instance.c). */
void vlr_instance_rename_physical_device(struct vl_object *instance, uint64_t old_id,
                                         uint64_t new_id);
/* Memory properties of a physical device, read when its id was bound. */
const VkPhysicalDeviceMemoryProperties *
vlr_physical_device_memory(const struct vl_object *physical_device);

#endif
