/*
 * The renderer's executor: what generated executors and hand-written handlers
 * call while a command runs.
 *
 * An executor decodes one stream at a time with its own decoder and
 * per-command arena, so several can run at once: the ring thread, and the
 * application threads that execute their synchronous calls inline.  All of
 * them share the context and its object table, which the context lock
 * protects; an executor holds that lock while it runs, except around the host
 * call of a blocking command.
 */
#ifndef VLR_EXEC_H
#define VLR_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vl_object_table.h"
#include "vlr_gen.h"

struct vlr_context;

enum vlr_reply_target {
   VLR_REPLY_STREAM, /* the context's reply stream (Venus) */
   VLR_REPLY_BUFFER, /* the caller's buffer (in-process inline calls) */
};

/* Where a stream's replies go (vkSetReplyCommandStreamMESA).  Each ring and
 * each thread that submits streams has its own, as in virglrenderer 1.x:
 * Mesa 25 sets one before every reply its rings expect. */
struct vlr_reply_stream {
   bool set;
   uint32_t resource;
   size_t offset, size, pos;
};

struct vlr_exec {
   struct vlr_context *ctx;
   struct vlr_reply_stream *reply; /* own_reply, or the outer stream's */
   struct vlr_reply_stream own_reply;
   struct vl_decoder dec;
   struct vl_arena arena;
   /* the object a vkDestroy* being executed names (NULL: VK_NULL_HANDLE) */
   struct vl_object *destroyed;
   /* the object the command being executed created last (its state hook
    * attaches to it without a lookup) */
   struct vl_object *created;
   enum vlr_reply_target reply_target;
   struct vl_encoder reply_buf;
   /* for messages: where the current command starts */
   const uint8_t *stream_start;
   const uint8_t *cmd_start;
   int32_t cmd_id;
   uint32_t cmd_flags;
   uint64_t cmd_seq; /* position of the command among all the context decoded */
   const char *stream_kind;
   uint8_t wire_formats; /* VL_WIRE_*: the ids this stream may use (the context's) */
   bool locked;
   /* called after each command when set (a ring publishes its head), and
    * with before_current before a handler lets go of the context lock to
    * wait (everything before that command must be published by then) */
   void (*progress)(struct vlr_exec *x, bool before_current);
   void *progress_data;
   /* a vkExecuteCommandStreamsMESA runs its streams in this one */
   struct vlr_exec *nested;
   unsigned depth;
   /* VL_DEBUG=capture: the ring this executor serves (0: none), and the
    * sequence number and ring field of the stream it is decoding */
   uint64_t ring_id;
   uint64_t capture_seq, capture_ring;
   /* the replies of the stream so far, and the one the command being
    * executed writes (copied once the command is done) */
   uint8_t *capture_replies;
   size_t capture_replies_len, capture_replies_cap;
   const uint8_t *capture_reply_at;
   size_t capture_reply_size;
};

void vlr_exec_init(struct vlr_exec *x, struct vlr_context *ctx);
/* The executor running a command on this thread (NULL: none). */
struct vlr_exec *vlr_exec_current(void);
/* A command's name, for messages ("unknown command" for an unknown id). */
const char *vlr_command_name(int32_t id);
void vlr_exec_finish(struct vlr_exec *x);

/* Decodes and executes a whole stream; false once the context is lost. */
bool vlr_exec_stream(struct vlr_exec *x, const void *data, size_t size, const char *kind);

/* Zeroed storage for a command's arguments, valid until the next command. */
void *vlr_exec_args(struct vlr_exec *x, size_t size);

/* Puts the context into its fatal state (sticky), naming the command. */
void vlr_exec_fail(struct vlr_exec *x, const char *why);
void vlr_exec_failf(struct vlr_exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vlr_exec_decode_failed(struct vlr_exec *x);

/* Objects. */
bool vlr_exec_check_new_id(struct vlr_exec *x, uint64_t id);
struct vl_object *vlr_exec_add_object(struct vlr_exec *x, uint64_t id, int32_t type, uint64_t host,
                                      struct vl_object *parent);
void vlr_exec_remove_object(struct vlr_exec *x, struct vl_object *obj);
/* The live object of type with this host handle, or NULL: the one the
 * decoder resolved last when it is that one (a command often names last the
 * object it is about), else the table's lookup by host handle.  Objects leave
 * through vlr_exec_remove_object, which forgets the decoder's last one, as
 * vlr_exec_lock does (others may remove objects while the lock is let go). */
struct vl_object *vlr_exec_lookup_host(struct vlr_exec *x, int32_t type, uint64_t host);
/* A one-way create failed on the host: the id stays unknown. */
void vlr_exec_create_failed(struct vlr_exec *x, int32_t result, uint64_t id);
struct vl_object *vlr_exec_lookup(struct vlr_exec *x, uint64_t id, int32_t type);

/* Waits for GPU work or a guest's signal (fences, semaphores, query
 * results).  On an application's own thread (inline streams) they block in
 * the host driver.  On a ring or transport thread they are valid Venus (Mesa
 * sends vkWaitForFences into its ring once feedback says the fence
 * signaled; the capset says allow_vk_wait_syncs) and run in slices
 * (vlr_exec_wait_sliced), so that a context being torn down, lost, or a ring
 * being destroyed stops them; a context created with refuse_unbounded_waits
 * (the fuzz targets, where a hang is a finding) refuses them instead:
 * vlr_exec_may_block is false and the context is lost. */
bool vlr_exec_may_block(struct vlr_exec *x, bool blocks);
bool vlr_exec_wait_sliced(const struct vlr_exec *x, bool blocks);
/* The end of a wait of timeout ns (UINT64_MAX: none), one slice of it, and
 * whether to stop waiting: the deadline passed, or the context or the ring
 * is going away. */
uint64_t vlr_wait_deadline(uint64_t timeout_ns);
uint64_t vlr_wait_slice(uint64_t deadline);
bool vlr_exec_wait_over(struct vlr_exec *x, uint64_t deadline);
/* A pause between polls of a call that cannot wait in slices. */
void vlr_wait_nap(void);

/* Blocking commands release the context lock around the host call. */
void vlr_exec_unlock(struct vlr_exec *x);
void vlr_exec_lock(struct vlr_exec *x);

/* Room for a reply of exactly size bytes; NULL (and the context lost) when
 * there is no reply target or it is too small. */
struct vl_encoder *vlr_exec_reply(struct vlr_exec *x, size_t size);

/* Host entry points of a dispatchable object. */
static inline const struct vlr_host_device_table *
vlr_object_device_table(const struct vl_object *obj)
{
   return (const struct vlr_host_device_table *)obj->table;
}

static inline const struct vlr_host_instance_table *
vlr_object_instance_table(const struct vl_object *obj)
{
   return (const struct vlr_host_instance_table *)obj->table;
}

#endif
