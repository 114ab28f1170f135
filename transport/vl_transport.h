/*
 * The guest's view of a renderer connection.
 *
 * One transport per VkInstance.  Streams are whole commands in the Venus wire
 * format.  A one-way submission is ordered after everything submitted before
 * it, from any thread; a call also waits until its reply is there.  Command
 * buffers hand over their recorded stream in place and wait for it to be
 * consumed before they write to it again.
 *
 * Backends: ring (in-process renderer thread, the default), vtest (a
 * virgl_test_server --venus or vl-vtest-server over a UNIX socket), virtgpu
 * (the virtio-gpu render node of a virtual machine).
 */
#ifndef VL_TRANSPORT_H
#define VL_TRANSPORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>

#include "vl_protocol_defs.h"
#include "vlr_renderer.h"

struct vl_transport;

struct vl_transport_ops {
   void (*destroy)(struct vl_transport *t);
   /* One-way stream; false once the connection is lost. */
   bool (*submit)(struct vl_transport *t, const void *cmds, size_t size);
   /* Optional: one stream-local command (it only makes, destroys, binds or
    * fills objects; protocol/gen/protocol.py): the transport may hold it back
    * until the next command that is not, or a call or wait. */
   bool (*submit_local)(struct vl_transport *t, const void *cmds, size_t size);
   /* Stream whose last command asks for a reply; the reply lands in reply. */
   bool (*call)(struct vl_transport *t, const void *cmds, size_t size, void *reply,
                size_t reply_size);
   /* A stream the caller keeps unchanged until wait(*token) returns.
    * at_submit: a primary command buffer handed over by the submission that
    * executes it (the caller waits for that work anyway). */
   bool (*submit_stream)(struct vl_transport *t, const void *data, size_t size, bool at_submit,
                         uint32_t *token);
   void (*wait)(struct vl_transport *t, uint32_t token);
   /* Optional: the application submitted work to a queue or waits for some:
    * what comes next is not a burst of one-way work to run in parallel. */
   void (*sync_point)(struct vl_transport *t);
   /* Host-visible memory (whole allocation); *size is the allocation size
    * on entry. */
   VkResult (*map_memory)(struct vl_transport *t, uint64_t memory_id, void **ptr,
                          VkDeviceSize *size);
   /* Optional: the memory is about to be freed; drop its mapping. */
   void (*free_memory)(struct vl_transport *t, uint64_t memory_id);
   VkResult (*flush_ranges)(struct vl_transport *t, bool invalidate, uint32_t count,
                            const struct vlr_mapped_range *ranges);
   void (*print_stats)(struct vl_transport *t, FILE *out);
   /* Guest memory the renderer may write (in-process only; NULL elsewhere):
    * a resource id, 0 on failure.  Unshare only once nothing can write. */
   uint32_t (*share_memory)(struct vl_transport *t, void *data, size_t size);
   void (*unshare_memory)(struct vl_transport *t, uint32_t resource);
   /* The renderer gave up on this connection. */
   bool (*lost)(struct vl_transport *t);
   /* Layer mode (in-process only; NULL elsewhere).  Once everything submitted
    * so far has executed, the dispatchable object created under id is renamed
    * to its host handle, which *host receives; false if there is none. */
   bool (*adopt_host_handle)(struct vl_transport *t, uint64_t id, uint64_t *host);
   /* The loader's link for the vkCreateDevice of device id, sent next. */
   void (*set_device_chain)(struct vl_transport *t, uint64_t device_id,
                            const struct vlr_chain *chain);
   /* Optional: a one-way stream of a queue's work, on the transport timeline
    * (ring index) the queue is bound to; NULL: submit. */
   bool (*submit_on)(struct vl_transport *t, uint32_t timeline, const void *cmds, size_t size);
};

struct vl_transport {
   const struct vl_transport_ops *ops;
   /* What the peer understands (VL_WIRE_*): one Venus wire format, plus the
    * loopback-private commands in-process. */
   uint8_t wire_formats;
   /* One renderer thread runs every command in order, so a host wait would
    * block the signal it waits for: the guest must poll instead. */
   bool serialized_waits;
   /* Transport timelines bound to queues (bit i: ring index i, 1 ... 63),
    * vl_transport_timeline_get/put. */
   _Atomic uint64_t timelines;
   /* statistics */
   bool stats;
   atomic_uint_fast64_t round_trips;
   atomic_uint_fast64_t bytes;
   atomic_uint_fast64_t submissions;
};

/* Whether the peer understands something carried by these VL_WIRE_* formats. */
static inline bool
vl_transport_speaks(const struct vl_transport *t, uint8_t formats)
{
   return (t->wire_formats & formats) != 0;
}

/* The transports to another process (vtest, virtgpu) send every stream as one
 * message of at most VL_STREAM_MAX bytes (our server accepts 256 MiB), and
 * read replies from a reply stream of VL_REPLY_STREAM_MIN bytes at first. */
#define VL_STREAM_MAX       (256u << 20)
#define VL_REPLY_STREAM_MIN (1u << 20)

/* The size the reply stream (now `current` bytes, 0 before the first) needs
 * for a reply of `need` bytes: doubled until it fits; 0 when it cannot. */
static inline size_t
vl_reply_stream_size(size_t current, size_t need)
{
   size_t want = current ? current : VL_REPLY_STREAM_MIN;
   while (want < need && want <= VL_STREAM_MAX)
      want *= 2;
   return want < need ? 0 : want;
}

static inline void
vl_transport_sync_point(struct vl_transport *t)
{
   if (t->ops->sync_point)
      t->ops->sync_point(t);
}

/* Whether the connection or the renderer context is gone for good. */
static inline bool
vl_transport_is_lost(struct vl_transport *t)
{
   return t->ops->lost && t->ops->lost(t);
}

/* Options, from the environment (VL_TRANSPORT, VL_HOST_ICD, VL_DEBUG ...). */
struct vl_transport_options {
   enum { VL_TRANSPORT_RING, VL_TRANSPORT_VTEST, VL_TRANSPORT_VIRTGPU } kind;
   const char *vtest_socket;
   /* how long a vtest call may go unanswered before the peer counts as
    * gone (VL_VTEST_TIMEOUT, seconds; 0: for ever) */
   uint32_t vtest_timeout_s;
   /* the virtio-gpu render node (VL_VIRTGPU_DEVICE); NULL: the first
    * virtio-gpu node with a venus capset */
   const char *virtgpu_device;
   const char *host_icd;
   bool host_validation;
   /* VL_GUARDS: what the renderer does with a call that breaks a rule the
    * host driver trusts (renderer/check/vlr_check.h); unset: the side's
    * default (report in-process, refuse in vl-vtest-server) */
   enum { VL_GUARDS_UNSET, VL_GUARDS_REPORT, VL_GUARDS_REFUSE } guards;
   bool stats;
   /* every command and reply through the ring and the reply stream, as a
    * Venus peer would see them (VL_DEBUG=ring) */
   bool ring_only;
   const char *capture_file;
   void (*message)(void *data, int severity, const char *id_name, const char *text);
   void *message_data;
   /* layer mode: the loader's link for the instance (in-process only) */
   const struct vlr_chain *chain;
};

/* Reads and checks the VL_* environment.  On an unknown value, writes a
 * message that lists the valid ones into err and returns false. */
bool vl_transport_options_from_env(struct vl_transport_options *o, char *err, size_t err_size);

/* NULL with a reason in err. */
struct vl_transport *vl_transport_create(const struct vl_transport_options *o, char *err,
                                         size_t err_size);

struct vl_transport *vl_transport_inproc_create(const struct vl_transport_options *o, char *err,
                                                size_t err_size);
struct vl_transport *vl_transport_vtest_create(const struct vl_transport_options *o, char *err,
                                               size_t err_size);
struct vl_transport *vl_transport_virtgpu_create(const struct vl_transport_options *o, char *err,
                                                 size_t err_size);

/* VL_DEBUG=stats: a one-way submission of size bytes. */
static inline void
vl_transport_count(struct vl_transport *t, size_t size)
{
   if (t->stats) {
      atomic_fetch_add_explicit(&t->bytes, size, memory_order_relaxed);
      atomic_fetch_add_explicit(&t->submissions, 1, memory_order_relaxed);
   }
}

static inline bool
vl_transport_submit(struct vl_transport *t, const void *cmds, size_t size)
{
   vl_transport_count(t, size);
   return t->ops->submit(t, cmds, size);
}

static inline bool
vl_transport_submit_local(struct vl_transport *t, const void *cmds, size_t size)
{
   if (!t->ops->submit_local)
      return vl_transport_submit(t, cmds, size);
   vl_transport_count(t, size);
   return t->ops->submit_local(t, cmds, size);
}

static inline bool
vl_transport_submit_on(struct vl_transport *t, uint32_t timeline, const void *cmds, size_t size)
{
   if (!timeline || !t->ops->submit_on)
      return vl_transport_submit(t, cmds, size);
   vl_transport_count(t, size);
   return t->ops->submit_on(t, timeline, cmds, size);
}

/* A free transport timeline for a queue (VkDeviceQueueTimelineInfoMESA): 1 ...
 * 63, or 0 when all are taken. */
static inline uint32_t
vl_transport_timeline_get(struct vl_transport *t)
{
   uint64_t used = atomic_load(&t->timelines);
   for (;;) {
      const uint64_t free_bits = ~used & ~1ull; /* 0 is the CPU's */
      if (!free_bits)
         return 0;
      const uint32_t i = (uint32_t)__builtin_ctzll(free_bits);
      if (atomic_compare_exchange_weak(&t->timelines, &used, used | (1ull << i)))
         return i;
   }
}

static inline void
vl_transport_timeline_put(struct vl_transport *t, uint32_t timeline)
{
   if (timeline)
      atomic_fetch_and(&t->timelines, ~(1ull << timeline));
}

static inline bool
vl_transport_call(struct vl_transport *t, const void *cmds, size_t size, void *reply,
                  size_t reply_size)
{
   /* round trips are always counted: vlGetLoopbackStats reports them */
   atomic_fetch_add_explicit(&t->round_trips, 1, memory_order_relaxed);
   if (t->stats)
      atomic_fetch_add_explicit(&t->bytes, size, memory_order_relaxed);
   return t->ops->call(t, cmds, size, reply, reply_size);
}

#endif
