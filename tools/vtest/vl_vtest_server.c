/*
 * vl-vtest-server: our renderer (renderer/) behind the vtest socket protocol,
 * for Venus guests: this project's ICD with VL_TRANSPORT=vtest, or any other
 * Venus guest that speaks vtest (../shared/venus/vtest.md).
 *
 * Like virgl_test_server, the server forks one process per client.  The
 * parent never loads a Vulkan driver; each child creates one renderer context
 * and serves one connection.  So a client cannot disturb another one: a bad
 * stream loses its own context, a protocol error (garbage, oversized lengths,
 * unknown ids, a disconnect mid-command) closes its own connection, and the
 * child tears its context down and exits.  The parent logs every child that
 * dies abnormally, and exits with status 3 when one did, so that tests notice
 * a crash that no client saw.
 *
 * Host-visible memory: lavapipe exports device memory only as opaque fds.
 * Instead, the renderer backs every host-visible allocation with a memfd that
 * it imports into the host driver (VK_EXT_external_memory_host); a HOST3D
 * blob whose blob_id is the VkDeviceMemory's id passes a duplicate of that
 * memfd, and both processes map the same pages.
 *
 * Offered: venus contexts only (capset 4, version 0) in Venus wire format 1
 * (virglrenderer 1.x, Mesa 23+; a 160-byte capset) or, with --wire-format 0,
 * wire format 0 (virglrenderer 0.10.4, older Mesa; 156 bytes); protocol
 * version 3, shm blobs (GUEST, or HOST3D with blob_id 0), memory blobs, vtest
 * syncs on 64 timelines: ring_idx 0 is the CPU (a batch's syncs are reached
 * once it executed), 1 ... 63 the VkQueues the guest bound with
 * VkDeviceQueueTimelineInfoMESA (reached once the queue's work so far has
 * completed on the host), and two negotiated loopback additions
 * (vl_vtest_protocol.h).  Anything else is an error that closes the
 * connection, with the reason in the log.  Before a client's context is
 * dropped its rings show FATAL, so that a guest waiting on a ring stops.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vl_protocol_defs.h"
#include "vl_transport.h"
#include "vl_vtest_protocol.h"
#include "vlr_renderer.h"

/* Limits that keep a bad client from taking the process down. */
#define MAX_MESSAGE_WORDS  (64u << 20) /* 256 MiB */
#define MAX_NAME_BYTES     (1u << 20)
#define MAX_SHM_SIZE       (4ull << 30)
#define MAX_RESOURCES      65536u
#define MAX_SYNCS          65536u
#define MAX_WAITS          4096u
#define MAX_WAIT_ENTRIES   4096u
#define MAX_CLIENTS        64u
#define MAX_TIMELINE_COUNT VL_VTEST_MAX_TIMELINE_COUNT

static const char *prog = "vl-vtest-server";

struct resource {
   uint32_t id;
   void *map;
   size_t size;
};

struct sync {
   uint32_t id;
   uint64_t value;
};

struct wait_entry {
   uint32_t id;
   uint64_t value;
};

struct wait {
   int efd;
   bool any;
   uint64_t deadline_ns; /* UINT64_MAX: forever */
   uint32_t count;
   struct wait_entry *entries;
};

struct client {
   int fd;
   unsigned number;
   char name[64];
   bool loopback_errors; /* the client asked for VL_VCMD_PARAM_LOOPBACK */
   uint32_t wire_format; /* announced in the capset: 0 or 1 */
   struct vlr_context_options options;
   struct vlr_context *ctx;
   struct resource *res;
   size_t res_count, res_cap;
   /* syncs and waits: timeline fences reach syncs from the renderer's
    * waiter threads, so they change under sync_lock (never held while the
    * context executes) */
   pthread_mutex_t sync_lock;
   struct sync *syncs;
   size_t sync_count, sync_cap;
   uint32_t next_sync_id;
   struct wait *waits;
   size_t wait_count, wait_cap;
   uint32_t *buf; /* the current message's payload */
   size_t buf_cap;
   char error[768];
};

static bool fail(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records why the connection must close; always false. */
static bool
fail(struct client *c, const char *fmt, ...)
{
   if (c->error[0])
      return false;
   va_list ap;
   va_start(ap, fmt);
   vsnprintf(c->error, sizeof(c->error), fmt, ap);
   va_end(ap);
   return false;
}

static uint64_t
now_ns(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads exactly size bytes; *eof tells a clean end before the first byte. */
static bool
read_exact(struct client *c, void *buf, size_t size, bool *eof)
{
   uint8_t *p = buf;
   size_t done = 0;
   while (done < size) {
      const ssize_t n = recv(c->fd, p + done, size - done, 0);
      if (n > 0) {
         done += (size_t)n;
         continue;
      }
      if (n < 0 && errno == EINTR)
         continue;
      if (n == 0 && done == 0 && eof) {
         *eof = true;
         return false;
      }
      if (n == 0)
         return fail(c, "the client disconnected in the middle of a message");
      return fail(c, "reading from the client failed: %s", strerror(errno));
   }
   return true;
}

static bool
write_all(struct client *c, const void *buf, size_t size)
{
   const uint8_t *p = buf;
   while (size) {
      const ssize_t n = send(c->fd, p, size, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
         continue;
      if (n <= 0)
         return fail(c, "writing to the client failed: %s", strerror(errno));
      p += n;
      size -= (size_t)n;
   }
   return true;
}

static bool
reply(struct client *c, uint32_t id, const uint32_t *payload, uint32_t words)
{
   const uint32_t hdr[2] = { words, id };
   return write_all(c, hdr, sizeof(hdr)) && write_all(c, payload, (size_t)words * 4);
}

/* One fd on one dummy byte, right after its reply. */
static bool
send_fd(struct client *c, int fd)
{
   char byte = 0;
   struct iovec iov = { &byte, 1 };
   union {
      char buf[CMSG_SPACE(sizeof(int))];
      struct cmsghdr align;
   } control;
   memset(&control, 0, sizeof(control));
   struct msghdr msg = {
      .msg_iov = &iov,
      .msg_iovlen = 1,
      .msg_control = control.buf,
      .msg_controllen = sizeof(control.buf),
   };
   struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
   cm->cmsg_level = SOL_SOCKET;
   cm->cmsg_type = SCM_RIGHTS;
   cm->cmsg_len = CMSG_LEN(sizeof(int));
   memcpy(CMSG_DATA(cm), &fd, sizeof(int));
   ssize_t n;
   do
      n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
   while (n < 0 && errno == EINTR);
   return n == 1 || fail(c, "passing a file descriptor failed: %s", strerror(errno));
}

/* A loopback-private message: NUL-terminated text in whole words. */
static bool
send_text(struct client *c, uint32_t id, const char *text)
{
   uint32_t words[(768 + 4) / 4];
   memset(words, 0, sizeof(words));
   size_t len = strlen(text);
   if (len > sizeof(words) - 1)
      len = sizeof(words) - 1;
   memcpy(words, text, len);
   return reply(c, id, words, (uint32_t)(len / 4 + 1));
}

/* The payload of the current message, in c->buf. */
static bool
read_payload(struct client *c, uint32_t words)
{
   if (words > MAX_MESSAGE_WORDS)
      return fail(c, "a message of %u words is larger than the %u this server accepts", words,
                  MAX_MESSAGE_WORDS);
   if (words > c->buf_cap) {
      uint32_t *b = realloc(c->buf, (size_t)words * 4);
      if (!b)
         return fail(c, "out of memory for a message of %u words", words);
      c->buf = b;
      c->buf_cap = words;
   }
   return read_exact(c, c->buf, (size_t)words * 4, NULL);
}

static bool
expect_words(struct client *c, const char *what, uint32_t words, uint32_t expected)
{
   if (words != expected)
      return fail(c, "%s takes %u words, not %u", what, expected, words);
   return read_payload(c, words);
}

static bool
need_context(struct client *c, const char *what)
{
   if (!c->ctx)
      return fail(c, "%s before CONTEXT_INIT(venus): this server offers venus contexts only", what);
   return true;
}

/* ---- capset ----------------------------------------------------------------------- */

/* The capset of wire format wf; its size on the wire. */
static size_t
fill_capset(struct vl_vtest_capset_venus *caps, uint32_t wf)
{
   memset(caps, 0, sizeof(*caps));
   caps->wire_format_version = wf;
   caps->vk_xml_version = VL_PROTOCOL_VK_XML_VERSION;
   /* wire format 0: the experimental entry points (syncFdFencing is 0);
    * wire format 1: the released extension, ring priority included */
   caps->vk_ext_command_serialization_spec_version = wf ? 1 : 0;
   caps->vk_mesa_venus_protocol_spec_version = wf ? 2 : 100000;
   /* shm may be HOST3D with blob_id 0 (GUEST blobs work as well) */
   caps->supports_blob_id_0 = 1;
   /* bit 0: the mask is valid; then the extensions of the wire format */
   caps->vk_extension_mask1[0] = 1;
   for (uint32_t i = 0; i < VL_EXTENSION_COUNT; i++) {
      const uint32_t n = vl_extension_table[i].number;
      if ((vl_extension_table[i].formats & VL_WIRE_FORMAT_BIT(wf)) && n < 32 * 32)
         caps->vk_extension_mask1[n / 32] |= 1u << (n % 32);
   }
   caps->allow_vk_wait_syncs = 1;
   caps->supports_multiple_timelines = 1;
   caps->use_guest_vram = 0;
   return wf ? sizeof(*caps) : VL_VTEST_CAPSET_VENUS_MIN_SIZE;
}

/* ---- resources -------------------------------------------------------------------- */

static struct resource *
find_resource(struct client *c, uint32_t id)
{
   for (size_t i = 0; i < c->res_count; i++) {
      if (c->res[i].id == id)
         return &c->res[i];
   }
   return NULL;
}

static bool
create_blob(struct client *c)
{
   const uint32_t type = c->buf[0], flags = c->buf[1];
   const uint64_t size = c->buf[2] | (uint64_t)c->buf[3] << 32;
   const uint64_t blob_id = c->buf[4] | (uint64_t)c->buf[5] << 32;
   if (!need_context(c, "RESOURCE_CREATE_BLOB"))
      return false;
   if (!size)
      return fail(c, "RESOURCE_CREATE_BLOB of size 0");
   if (c->res_count >= MAX_RESOURCES)
      return fail(c, "more than %u resources", MAX_RESOURCES);
   if (c->res_count == c->res_cap) {
      const size_t cap = c->res_cap ? c->res_cap * 2 : 16;
      struct resource *r = realloc(c->res, cap * sizeof(*r));
      if (!r)
         return fail(c, "out of memory for a resource");
      c->res = r;
      c->res_cap = cap;
   }
   int fd = -1;
   if (type == VL_VCMD_BLOB_TYPE_GUEST || (type == VL_VCMD_BLOB_TYPE_HOST3D && blob_id == 0)) {
      /* shared memory: ring, reply and upload buffers */
      if (size > MAX_SHM_SIZE)
         return fail(c, "a shared-memory blob of %" PRIu64 " bytes (at most %llu)", size,
                     MAX_SHM_SIZE);
      fd = memfd_create("vl-vtest-shm", MFD_CLOEXEC);
      if (fd < 0 || ftruncate(fd, (off_t)size)) {
         if (fd >= 0)
            close(fd);
         return fail(c, "cannot create %" PRIu64 " bytes of shared memory: %s", size,
                     strerror(errno));
      }
   } else if (type == VL_VCMD_BLOB_TYPE_HOST3D) {
      /* host-visible device memory, by its object id */
      char why[256];
      fd = vlr_device_export_memory(c->ctx, blob_id, size, why, sizeof(why));
      if (fd < 0 && c->loopback_errors) {
         /* our ICD fails vkMapMemory with the reason; the context lives on */
         fprintf(stderr, "%s: client %u (%s): memory 0x%" PRIx64 " cannot be shared: %s\n", prog,
                 c->number, c->name, blob_id, why);
         const uint32_t none = 0;
         return reply(c, VL_VCMD_RESOURCE_CREATE_BLOB, &none, 1) &&
                send_text(c, VL_VCMD_LOOPBACK_BLOB_REFUSED, why);
      }
      if (fd < 0)
         return fail(c, "RESOURCE_CREATE_BLOB of memory 0x%" PRIx64 " (flags 0x%x): %s", blob_id,
                     flags, why);
   } else {
      return fail(c, "RESOURCE_CREATE_BLOB of type %u (this server has GUEST and HOST3D blobs)",
                  type);
   }
   void *map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
   if (map == MAP_FAILED) {
      close(fd);
      return fail(c, "cannot map a blob of %" PRIu64 " bytes: %s", size, strerror(errno));
   }
   const uint32_t id = vlr_context_resource_create(c->ctx, map, (size_t)size);
   if (!id) {
      munmap(map, (size_t)size);
      close(fd);
      return fail(c, "out of memory for a resource");
   }
   c->res[c->res_count++] = (struct resource){ id, map, (size_t)size };
   const bool ok = reply(c, VL_VCMD_RESOURCE_CREATE_BLOB, &id, 1) && send_fd(c, fd);
   close(fd);
   return ok;
}

static void
unmap_resource(void *data, size_t size)
{
   munmap(data, size);
}

static void
release_resource(struct client *c, size_t i)
{
   struct resource r = c->res[i];
   c->res[i] = c->res[--c->res_count];
   /* Rings in it stop (the context is then lost, as in Venus); spans that
    * run on ring threads hold the context lock, so none uses the mapping
    * while it goes. */
   vlr_ring_stop_on_resource(c->ctx, r.id);
   vlr_context_resource_release(c->ctx, r.id, unmap_resource);
}

static bool
unref_resource(struct client *c)
{
   if (!need_context(c, "RESOURCE_UNREF"))
      return false;
   /* unknown ids are ignored, as virglrenderer does */
   for (size_t i = 0; i < c->res_count; i++) {
      if (c->res[i].id == c->buf[0]) {
         release_resource(c, i);
         break;
      }
   }
   return true;
}

/* ---- syncs ---------------------------------------------------------------------------- */

/* Functions named *_locked run under c->sync_lock; the dispatch functions
 * below take it around the sync work only, never around executing streams
 * (the renderer's waiter threads, which reach timeline syncs, are joined
 * when the guest destroys a device). */

static struct sync *
find_sync_locked(struct client *c, uint32_t id)
{
   for (size_t i = 0; i < c->sync_count; i++) {
      if (c->syncs[i].id == id)
         return &c->syncs[i];
   }
   return NULL;
}

static bool
wait_satisfied_locked(struct client *c, const struct wait *w)
{
   uint32_t reached = 0;
   for (uint32_t i = 0; i < w->count; i++) {
      const struct sync *s = find_sync_locked(c, w->entries[i].id);
      if (s && s->value >= w->entries[i].value)
         reached++;
   }
   return w->any ? reached > 0 : reached == w->count;
}

static void
signal_fd(int efd)
{
   const uint64_t one = 1;
   ssize_t n;
   do
      n = write(efd, &one, sizeof(one));
   while (n < 0 && errno == EINTR);
}

/* Signals the waits that are now satisfied and drops those that expired. */
static void
update_waits_locked(struct client *c)
{
   const uint64_t now = now_ns();
   for (size_t i = 0; i < c->wait_count;) {
      struct wait *w = &c->waits[i];
      const bool done = wait_satisfied_locked(c, w);
      if (done || now >= w->deadline_ns) {
         if (done)
            signal_fd(w->efd);
         close(w->efd);
         free(w->entries);
         c->waits[i] = c->waits[--c->wait_count];
      } else {
         i++;
      }
   }
}

static bool
set_sync_locked(struct client *c, uint32_t id, uint64_t value)
{
   struct sync *s = find_sync_locked(c, id);
   if (!s)
      return fail(c, "unknown sync id %u", id);
   s->value = value;
   return true;
}

static bool
sync_create_locked(struct client *c)
{
   if (!need_context(c, "SYNC_CREATE"))
      return false;
   if (c->sync_count >= MAX_SYNCS)
      return fail(c, "more than %u syncs", MAX_SYNCS);
   if (c->sync_count == c->sync_cap) {
      const size_t cap = c->sync_cap ? c->sync_cap * 2 : 16;
      struct sync *s = realloc(c->syncs, cap * sizeof(*s));
      if (!s)
         return fail(c, "out of memory for a sync");
      c->syncs = s;
      c->sync_cap = cap;
   }
   uint32_t id = c->next_sync_id;
   while (!id || find_sync_locked(c, id))
      id++;
   c->next_sync_id = id + 1;
   c->syncs[c->sync_count++] = (struct sync){ id, c->buf[0] | (uint64_t)c->buf[1] << 32 };
   return reply(c, VL_VCMD_SYNC_CREATE, &id, 1);
}

static bool
sync_wait_locked(struct client *c, uint32_t words)
{
   struct wait w = {
      .any = c->buf[0] & VL_VCMD_SYNC_WAIT_FLAG_ANY,
      .count = (words - 2) / 3,
   };
   const uint32_t timeout_ms = c->buf[1];
   w.deadline_ns = timeout_ms > INT32_MAX ? UINT64_MAX : now_ns() + timeout_ms * 1000000ull;
   w.entries = calloc(w.count ? w.count : 1, sizeof(*w.entries));
   if (!w.entries)
      return fail(c, "out of memory for a wait");
   for (uint32_t i = 0; i < w.count; i++) {
      const uint32_t *e = c->buf + 2 + 3 * i;
      w.entries[i] = (struct wait_entry){ e[0], e[1] | (uint64_t)e[2] << 32 };
      if (!find_sync_locked(c, e[0])) {
         free(w.entries);
         return fail(c, "SYNC_WAIT on unknown sync id %u", e[0]);
      }
   }
   w.efd = eventfd(0, EFD_CLOEXEC);
   if (w.efd < 0) {
      free(w.entries);
      return fail(c, "cannot create an eventfd: %s", strerror(errno));
   }
   const bool done = wait_satisfied_locked(c, &w);
   if (done)
      signal_fd(w.efd);
   const bool ok = reply(c, VL_VCMD_SYNC_WAIT, NULL, 0) && send_fd(c, w.efd);
   if (done || !timeout_ms || !ok) {
      close(w.efd);
      free(w.entries);
      return ok;
   }
   /* Kept until the syncs get there or the timeout passes. */
   update_waits_locked(c);
   if (c->wait_count >= MAX_WAITS || (c->wait_count == c->wait_cap && c->wait_cap >= MAX_WAITS)) {
      close(w.efd);
      free(w.entries);
      return fail(c, "more than %u pending waits", MAX_WAITS);
   }
   if (c->wait_count == c->wait_cap) {
      const size_t cap = c->wait_cap ? c->wait_cap * 2 : 16;
      struct wait *n = realloc(c->waits, cap * sizeof(*n));
      if (!n) {
         close(w.efd);
         free(w.entries);
         return fail(c, "out of memory for a wait");
      }
      c->waits = n;
      c->wait_cap = cap;
   }
   c->waits[c->wait_count++] = w;
   return true;
}

static bool
sync_wait(struct client *c, uint32_t words)
{
   if (!need_context(c, "SYNC_WAIT"))
      return false;
   if (words < 2 || (words - 2) % 3)
      return fail(c, "SYNC_WAIT of %u words is not 2 + 3n", words);
   if ((words - 2) / 3 > MAX_WAIT_ENTRIES)
      return fail(c, "SYNC_WAIT on more than %u syncs", MAX_WAIT_ENTRIES);
   if (!read_payload(c, words))
      return false;
   pthread_mutex_lock(&c->sync_lock);
   const bool ok = sync_wait_locked(c, words);
   pthread_mutex_unlock(&c->sync_lock);
   return ok;
}

/* The syncs of one batch on a queue timeline, reached once the queue's work
 * before them has completed on the host (vlr_feedback_timeline_fence). */
struct timeline_signal {
   struct client *c;
   uint32_t count;
   struct wait_entry syncs[];
};

static void
timeline_reached(void *data, uint64_t value, bool ok)
{
   (void)value;
   struct timeline_signal *t = data;
   struct client *c = t->c;
   pthread_mutex_lock(&c->sync_lock);
   /* a lost device reaches nothing: the guest learns it from its context */
   for (uint32_t i = 0; ok && i < t->count; i++) {
      struct sync *s = find_sync_locked(c, t->syncs[i].id);
      if (s) /* unknown: the guest dropped it meanwhile */
         s->value = t->syncs[i].value;
   }
   update_waits_locked(c);
   pthread_mutex_unlock(&c->sync_lock);
   free(t);
}

/* ---- submissions ---------------------------------------------------------------------- */

static bool
submit_cmd2(struct client *c, uint32_t words)
{
   if (!need_context(c, "SUBMIT_CMD2") || !read_payload(c, words))
      return false;
   if (!words)
      return fail(c, "SUBMIT_CMD2 without a batch count");
   const uint32_t *w = c->buf;
   const uint32_t count = w[0];
   /* Batch headers are 6 words (recent Mesa) or 8 (2021 Mesa, which puts
    * the first stream right after them); batch 0 is at word 1 either way. */
   uint64_t stride = VL_VCMD_SUBMIT_CMD2_BATCH_WORDS;
   if (count > 1 && 1 + 8ull * count <= words && w[2] == 1 + 8ull * count)
      stride = 8;
   if (1 + stride * count > words)
      return fail(c, "SUBMIT_CMD2: %u batches do not fit %u words", count, words);
   for (uint32_t b = 0; b < count; b++) {
      const uint32_t *h = w + 1 + stride * b;
      const uint32_t flags = h[0], cmd_offset = h[1], cmd_size = h[2];
      const uint32_t sync_offset = h[3], sync_count = h[4], ring_idx = h[5];
      if ((uint64_t)cmd_offset + cmd_size > words)
         return fail(c, "SUBMIT_CMD2 batch %u: its stream lies outside the message", b);
      if ((uint64_t)sync_offset + 3ull * sync_count > words)
         return fail(c, "SUBMIT_CMD2 batch %u: its syncs lie outside the message", b);
      const uint32_t timeline = (flags & VL_VCMD_SUBMIT_CMD2_FLAG_RING_IDX) ? ring_idx : 0;
      if (timeline >= MAX_TIMELINE_COUNT)
         return fail(c, "SUBMIT_CMD2 batch %u: timeline %u (this server has %u: 0 ... %u)", b,
                     ring_idx, MAX_TIMELINE_COUNT, MAX_TIMELINE_COUNT - 1);
      pthread_mutex_lock(&c->sync_lock);
      for (uint32_t i = 0; i < sync_count; i++) {
         if (!find_sync_locked(c, w[sync_offset + 3 * i])) {
            pthread_mutex_unlock(&c->sync_lock);
            return fail(c, "SUBMIT_CMD2 batch %u: unknown sync id %u", b, w[sync_offset + 3 * i]);
         }
      }
      pthread_mutex_unlock(&c->sync_lock);
      if (cmd_size && !vlr_context_submit(c->ctx, w + cmd_offset, (size_t)cmd_size * 4))
         return fail(c, "%s", vlr_context_lost_message(c->ctx));
      if (!sync_count)
         continue;
      if (timeline) {
         /* reached once the bound queue has done everything so far */
         struct timeline_signal *t = malloc(sizeof(*t) + sync_count * sizeof(t->syncs[0]));
         if (!t)
            return fail(c, "out of memory for a timeline signal");
         t->c = c;
         t->count = sync_count;
         for (uint32_t i = 0; i < sync_count; i++) {
            const uint32_t *s = w + sync_offset + 3 * i;
            t->syncs[i] = (struct wait_entry){ s[0], s[1] | (uint64_t)s[2] << 32 };
         }
         char why[256];
         if (!vlr_feedback_timeline_fence(c->ctx, timeline, timeline_reached, t, 0, why,
                                          sizeof(why))) {
            free(t);
            return fail(c, "SUBMIT_CMD2 batch %u: %s", b, why);
         }
         continue;
      }
      /* Executed: the batch's syncs are reached (CPU timeline). */
      pthread_mutex_lock(&c->sync_lock);
      for (uint32_t i = 0; i < sync_count; i++) {
         const uint32_t *s = w + sync_offset + 3 * i;
         set_sync_locked(c, s[0], s[1] | (uint64_t)s[2] << 32);
      }
      update_waits_locked(c);
      pthread_mutex_unlock(&c->sync_lock);
   }
   return true;
}

/* ---- dispatch ------------------------------------------------------------------------- */

static bool
context_init(struct client *c)
{
   const uint32_t capset = c->buf[0];
   if (capset != VL_VIRGL_RENDERER_CAPSET_VENUS)
      return fail(c, "CONTEXT_INIT with capset %u (this server offers venus, capset 4)", capset);
   if (c->ctx)
      return true; /* the same capset again is a no-op */
   char err[512];
   c->ctx = vlr_context_create(&c->options, err, sizeof(err));
   if (!c->ctx)
      return fail(c, "the renderer context cannot be created: %s", err);
   return true;
}

static bool
get_param(struct client *c)
{
   uint32_t answer[2] = { 0, 0 };
   switch (c->buf[0]) {
   case VL_VCMD_PARAM_MAX_TIMELINE_COUNT:
      answer[0] = 1;
      answer[1] = MAX_TIMELINE_COUNT;
      break;
   case VL_VCMD_PARAM_LOOPBACK:
      answer[0] = 1;
      answer[1] = VL_VTEST_LOOPBACK_MAPPABLE_MEMORY | VL_VTEST_LOOPBACK_ERROR_REPORTS;
      c->loopback_errors = true;
      break;
   }
   return reply(c, VL_VCMD_GET_PARAM, answer, 2);
}

static bool
get_capset(struct client *c)
{
   if (c->buf[0] != VL_VIRGL_RENDERER_CAPSET_VENUS || c->buf[1] != 0) {
      const uint32_t invalid = 0;
      return reply(c, VL_VCMD_GET_CAPSET, &invalid, 1);
   }
   uint32_t answer[1 + sizeof(struct vl_vtest_capset_venus) / 4];
   struct vl_vtest_capset_venus caps;
   const size_t size = fill_capset(&caps, c->wire_format);
   answer[0] = 1;
   memcpy(answer + 1, &caps, size);
   return reply(c, VL_VCMD_GET_CAPSET, answer, (uint32_t)(1 + size / 4));
}

/* One message; false when the connection must close (c->error says why,
 * or is empty for a clean disconnect). */
static bool
dispatch(struct client *c, bool first)
{
   uint32_t hdr[2];
   bool eof = false;
   if (!read_exact(c, hdr, sizeof(hdr), &eof))
      return false;
   const uint32_t words = hdr[VL_VTEST_CMD_LEN], id = hdr[VL_VTEST_CMD_ID];
   if (first && id != VL_VCMD_CREATE_RENDERER)
      return fail(c, "the first message is command %u, not CREATE_RENDERER", id);
   if (!first && id == VL_VCMD_CREATE_RENDERER)
      return fail(c, "a second CREATE_RENDERER");
   switch (id) {
   case VL_VCMD_CREATE_RENDERER: {
      /* the length is in bytes here */
      if (words > MAX_NAME_BYTES)
         return fail(c, "a renderer name of %u bytes", words);
      char *name = malloc(words + 1);
      if (!name)
         return fail(c, "out of memory");
      const bool ok = read_exact(c, name, words, NULL);
      name[words] = 0;
      size_t n = 0;
      for (size_t i = 0; ok && name[i] && n < sizeof(c->name) - 1; i++)
         c->name[n++] = name[i] >= 32 && name[i] < 127 ? name[i] : '?';
      if (n)
         c->name[n] = 0;
      free(name);
      return ok;
   }
   case VL_VCMD_PING_PROTOCOL_VERSION:
      return expect_words(c, "PING_PROTOCOL_VERSION", words, 0) &&
             reply(c, VL_VCMD_PING_PROTOCOL_VERSION, NULL, 0);
   case VL_VCMD_RESOURCE_BUSY_WAIT: {
      if (!expect_words(c, "RESOURCE_BUSY_WAIT", words, 2))
         return false;
      if (c->buf[0] && !find_resource(c, c->buf[0]))
         return fail(c, "RESOURCE_BUSY_WAIT on unknown resource %u", c->buf[0]);
      const uint32_t busy = 0; /* resources are never busy: submissions run at once */
      return reply(c, VL_VCMD_RESOURCE_BUSY_WAIT, &busy, 1);
   }
   case VL_VCMD_PROTOCOL_VERSION: {
      if (!expect_words(c, "PROTOCOL_VERSION", words, 1))
         return false;
      uint32_t v = c->buf[0] < VL_VTEST_PROTOCOL_VERSION ? c->buf[0] : VL_VTEST_PROTOCOL_VERSION;
      if (v == 1)
         v = 0;
      return reply(c, VL_VCMD_PROTOCOL_VERSION, &v, 1);
   }
   case VL_VCMD_GET_PARAM:
      return expect_words(c, "GET_PARAM", words, 1) && get_param(c);
   case VL_VCMD_GET_CAPSET:
      return expect_words(c, "GET_CAPSET", words, 2) && get_capset(c);
   case VL_VCMD_CONTEXT_INIT:
      return expect_words(c, "CONTEXT_INIT", words, 1) && context_init(c);
   case VL_VCMD_RESOURCE_CREATE_BLOB:
      return expect_words(c, "RESOURCE_CREATE_BLOB", words, 6) && create_blob(c);
   case VL_VCMD_RESOURCE_UNREF:
      return expect_words(c, "RESOURCE_UNREF", words, 1) && unref_resource(c);
   case VL_VCMD_SYNC_CREATE: {
      if (!expect_words(c, "SYNC_CREATE", words, 2))
         return false;
      pthread_mutex_lock(&c->sync_lock);
      const bool ok = sync_create_locked(c);
      pthread_mutex_unlock(&c->sync_lock);
      return ok;
   }
   case VL_VCMD_SYNC_UNREF:
      if (!expect_words(c, "SYNC_UNREF", words, 1) || !need_context(c, "SYNC_UNREF"))
         return false;
      pthread_mutex_lock(&c->sync_lock);
      for (size_t i = 0; i < c->sync_count; i++) {
         if (c->syncs[i].id == c->buf[0]) {
            c->syncs[i] = c->syncs[--c->sync_count];
            break;
         }
      }
      pthread_mutex_unlock(&c->sync_lock);
      return true;
   case VL_VCMD_SYNC_READ: {
      if (!expect_words(c, "SYNC_READ", words, 1) || !need_context(c, "SYNC_READ"))
         return false;
      pthread_mutex_lock(&c->sync_lock);
      const struct sync *s = find_sync_locked(c, c->buf[0]);
      const uint64_t value = s ? s->value : 0;
      pthread_mutex_unlock(&c->sync_lock);
      if (!s)
         return fail(c, "SYNC_READ of unknown sync id %u", c->buf[0]);
      const uint32_t v[2] = { (uint32_t)value, (uint32_t)(value >> 32) };
      return reply(c, VL_VCMD_SYNC_READ, v, 2);
   }
   case VL_VCMD_SYNC_WRITE: {
      if (!expect_words(c, "SYNC_WRITE", words, 3) || !need_context(c, "SYNC_WRITE"))
         return false;
      pthread_mutex_lock(&c->sync_lock);
      const bool ok = set_sync_locked(c, c->buf[0], c->buf[1] | (uint64_t)c->buf[2] << 32);
      update_waits_locked(c);
      pthread_mutex_unlock(&c->sync_lock);
      return ok;
   }
   case VL_VCMD_SYNC_WAIT:
      return sync_wait(c, words);
   case VL_VCMD_SUBMIT_CMD2:
      return submit_cmd2(c, words);
   default:
      return fail(c, "command id %u (%u words) is not one this venus-only server knows", id, words);
   }
}

static void
teardown(struct client *c)
{
   /* The context first: it stops its rings, which may live in resources,
    * and its waiter threads, which reach timeline syncs. */
   if (c->ctx)
      vlr_context_destroy(c->ctx);
   for (size_t i = 0; i < c->wait_count; i++) {
      close(c->waits[i].efd);
      free(c->waits[i].entries);
   }
   free(c->waits);
   pthread_mutex_destroy(&c->sync_lock);
   for (size_t i = 0; i < c->res_count; i++)
      munmap(c->res[i].map, c->res[i].size);
   free(c->res);
   free(c->syncs);
   free(c->buf);
   close(c->fd);
}

/* Serves one client in its own process; the exit status of the child. */
static int
serve(int fd, unsigned number, const struct vlr_context_options *options, uint32_t wire_format,
      const char *capture_path)
{
   struct client c = {
      .fd = fd,
      .number = number,
      .options = *options,
      .wire_format = wire_format,
      .next_sync_id = 1,
   };
   pthread_mutex_init(&c.sync_lock, NULL);
   if (capture_path) {
      c.options.capture = fopen(capture_path, "ab");
      if (!c.options.capture)
         fprintf(stderr, "%s: client %u: cannot append to VL_CAPTURE_FILE=%s: %s\n", prog, number,
                 capture_path, strerror(errno));
   }
   snprintf(c.name, sizeof(c.name), "?");
   bool first = true;
   while (dispatch(&c, first))
      first = false;
   if (c.error[0]) {
      fprintf(stderr, "%s: client %u (%s, pid %d): %s; closing its connection\n", prog, number,
              c.name, (int)getpid(), c.error);
      if (c.loopback_errors) {
         /* our ICD prints it */
         char text[sizeof(c.error)];
         memcpy(text, c.error, sizeof(text));
         c.error[0] = 0;
         send_text(&c, VL_VCMD_LOOPBACK_ERROR, text);
      }
   }
   if (c.ctx && c.options.stats)
      vlr_context_print_stats(c.ctx, stderr);
   teardown(&c);
   if (c.options.capture)
      fclose(c.options.capture);
   return 0;
}

/* ---- the listening parent ---------------------------------------------------------------- */

struct child {
   pid_t pid;
   unsigned number;
};

static struct child children[MAX_CLIENTS];
static unsigned child_count;
static unsigned crashes;

static void
reap(bool stopping)
{
   int status;
   pid_t pid;
   while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      unsigned number = 0;
      for (unsigned i = 0; i < child_count; i++) {
         if (children[i].pid == pid) {
            number = children[i].number;
            children[i] = children[--child_count];
            break;
         }
      }
      if (WIFSIGNALED(status) && !(stopping && WTERMSIG(status) == SIGTERM)) {
         crashes++;
         fprintf(stderr, "%s: CRASH: the process of client %u (pid %d) died of signal %d (%s)\n",
                 prog, number, (int)pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
      } else if (WIFEXITED(status) && WEXITSTATUS(status)) {
         crashes++;
         /* a sanitizer turns a fault into an exit status (ThreadSanitizer: 66) */
         fprintf(stderr,
                 "%s: CRASH: the process of client %u (pid %d) exited with status %d (a fault "
                 "under a sanitizer, or an error exit)\n",
                 prog, number, (int)pid, WEXITSTATUS(status));
      }
   }
}

/* What this build speaks: tests compare it with other peers by it. */
static void
print_protocol(void)
{
   printf("wire formats: 0 1 (default %u)\n", VL_WIRE_FORMAT_CURRENT);
   printf("vk.xml: %u.%u.%u\n", VK_API_VERSION_MAJOR(VL_PROTOCOL_VK_XML_VERSION),
          VK_API_VERSION_MINOR(VL_PROTOCOL_VK_XML_VERSION),
          VK_API_VERSION_PATCH(VL_PROTOCOL_VK_XML_VERSION));
   unsigned n = 0;
   for (uint32_t i = 0; i < VL_EXTENSION_COUNT; i++)
      n += (vl_extension_table[i].formats & VL_WIRE_FORMAT_1) != 0;
   printf("extensions of wire format 1: %u\n", n);
   printf("absent from this build's vk.xml:");
   for (const char *const *e = vl_absent_extensions; *e; e++)
      printf(" %s", *e);
   printf("\n");
   printf("commands absent from this build's vk.xml:");
   for (const struct vl_absent_command *c = vl_absent_commands; c->name; c++)
      printf(" %s(%d)", c->name, c->id);
   printf("\n");
}

static void
usage(FILE *out)
{
   fprintf(out,
           "usage: %s [--socket-path PATH] [--wire-format 0|1] [--host-icd MANIFEST]\n"
           "          [--host-validation] [--guards refuse|report]\n"
           "\n"
           "Serves Venus guests (capset 4) over the vtest protocol with the venus-loopback\n"
           "renderer, one process per client.\n"
           "\n"
           "  --socket-path PATH   the UNIX socket to listen on (default %s);\n"
           "                       --socket-path=PATH works too\n"
           "  --wire-format 0|1    the Venus wire format to announce: 1 (default) for Mesa 23+\n"
           "                       and virglrenderer 1.x peers, 0 for guests of the\n"
           "                       virglrenderer 0.10.4 generation\n"
           "  --host-icd MANIFEST  the host Vulkan driver's ICD manifest (default: VL_HOST_ICD,\n"
           "                       else lavapipe's)\n"
           "  --host-validation    put the Khronos validation layer above the host driver\n"
           "                       (also VL_HOST_VALIDATION=1)\n"
           "  --guards refuse|report  what to do with a call that breaks a rule the host\n"
           "                       driver trusts (an index past a host table, a range past a\n"
           "                       buffer): refuse it and end the client's context (default;\n"
           "                       also VL_GUARDS), or report it and run it\n"
           "  --protocol           print what this build of the server speaks and exit\n"
           "\n"
           "SIGTERM or SIGINT stops the server and its clients; the exit status is 3 when a\n"
           "client's process crashed, 0 otherwise.\n",
           prog, VL_VTEST_DEFAULT_SOCKET);
}

int
main(int argc, char **argv)
{
   const char *path = VL_VTEST_DEFAULT_SOCKET;
   /* A hostile guest must not reach what the host driver trusts. */
   struct vlr_context_options options = { .export_memory = true, .guards = VLR_GUARDS_REFUSE };
   int guards_flag = -1;
   uint32_t wire_format = VL_WIRE_FORMAT_CURRENT;
   options.host_icd = getenv("VL_HOST_ICD");
   if (options.host_icd && !*options.host_icd)
      options.host_icd = NULL;
   const char *hv = getenv("VL_HOST_VALIDATION");
   options.host_validation = hv && !strcmp(hv, "1");
   for (int i = 1; i < argc; i++) {
      const char *a = argv[i];
      if (!strcmp(a, "--socket-path") && i + 1 < argc) {
         path = argv[++i];
      } else if (!strncmp(a, "--socket-path=", 14) && a[14]) {
         path = a + 14;
      } else if (!strcmp(a, "--host-icd") && i + 1 < argc) {
         options.host_icd = argv[++i];
      } else if (!strncmp(a, "--host-icd=", 11) && a[11]) {
         options.host_icd = a + 11;
      } else if ((!strcmp(a, "--wire-format") && i + 1 < argc) ||
                 !strncmp(a, "--wire-format=", 14)) {
         const char *v = a[13] == '=' ? a + 14 : argv[++i];
         if (strcmp(v, "0") && strcmp(v, "1")) {
            fprintf(stderr, "%s: --wire-format %s: valid values are 0 and 1\n", prog, v);
            return 2;
         }
         wire_format = (uint32_t)(v[0] - '0');
      } else if ((!strcmp(a, "--guards") && i + 1 < argc) || !strncmp(a, "--guards=", 9)) {
         const char *v = a[8] == '=' ? a + 9 : argv[++i];
         if (!strcmp(v, "refuse")) {
            guards_flag = VLR_GUARDS_REFUSE;
         } else if (!strcmp(v, "report")) {
            guards_flag = VLR_GUARDS_REPORT;
         } else {
            fprintf(stderr, "%s: --guards %s: valid values are refuse and report\n", prog, v);
            return 2;
         }
      } else if (!strcmp(a, "--host-validation")) {
         options.host_validation = true;
      } else if (!strcmp(a, "--protocol")) {
         print_protocol();
         return 0;
      } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
         usage(stdout);
         return 0;
      } else {
         fprintf(stderr, "%s: unknown or incomplete option '%s'\n", prog, a);
         usage(stderr);
         return 2;
      }
   }
   struct sockaddr_un addr = { .sun_family = AF_UNIX };
   options.wire_formats = (uint8_t)VL_WIRE_FORMAT_BIT(wire_format);
   /* VL_DEBUG as for the ICD: capture (every client's streams into
    * VL_CAPTURE_FILE; each client process appends its own records) and stats */
   struct vl_transport_options env;
   char env_err[512];
   if (!vl_transport_options_from_env(&env, env_err, sizeof(env_err))) {
      fprintf(stderr, "%s: %s\n", prog, env_err);
      return 2;
   }
   options.stats = env.stats;
   if (env.guards != VL_GUARDS_UNSET)
      options.guards = env.guards == VL_GUARDS_REPORT ? VLR_GUARDS_REPORT : VLR_GUARDS_REFUSE;
   if (guards_flag >= 0)
      options.guards = (enum vlr_guard_policy)guards_flag;
   const char *capture_path = env.capture_file;
   if (strlen(path) >= sizeof(addr.sun_path)) {
      fprintf(stderr, "%s: the socket path %s is too long (at most %zu bytes)\n", prog, path,
              sizeof(addr.sun_path) - 1);
      return 2;
   }
   memcpy(addr.sun_path, path, strlen(path) + 1);

   /* Signals arrive through a signalfd; children get the mask back. */
   sigset_t mask, old_mask;
   sigemptyset(&mask);
   sigaddset(&mask, SIGCHLD);
   sigaddset(&mask, SIGTERM);
   sigaddset(&mask, SIGINT);
   sigprocmask(SIG_BLOCK, &mask, &old_mask);
   const int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
   signal(SIGPIPE, SIG_IGN);

   const int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
   unlink(path);
   if (sfd < 0 || lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) || listen(lfd, 16)) {
      fprintf(stderr, "%s: cannot listen on %s: %s\n", prog, path, strerror(errno));
      return 1;
   }
   fprintf(stderr, "%s: listening on %s\n", prog, path);

   unsigned number = 0;
   bool stopping = false;
   while (!stopping) {
      struct pollfd p[2] = { { .fd = lfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
      if (poll(p, 2, -1) < 0) {
         if (errno == EINTR)
            continue;
         fprintf(stderr, "%s: poll failed: %s\n", prog, strerror(errno));
         break;
      }
      if (p[1].revents & POLLIN) {
         struct signalfd_siginfo si;
         while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
            if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
               stopping = true;
            else
               reap(false);
            break;
         }
      }
      if (stopping || !(p[0].revents & POLLIN))
         continue;
      const int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
      if (cfd < 0)
         continue;
      number++;
      reap(false);
      if (child_count >= MAX_CLIENTS) {
         fprintf(stderr, "%s: client %u refused: %u clients are connected already\n", prog, number,
                 MAX_CLIENTS);
         close(cfd);
         continue;
      }
      fflush(stderr);
      const pid_t pid = fork();
      if (pid < 0) {
         fprintf(stderr, "%s: client %u refused: fork failed: %s\n", prog, number, strerror(errno));
         close(cfd);
         continue;
      }
      if (pid == 0) {
         close(lfd);
         close(sfd);
         sigprocmask(SIG_SETMASK, &old_mask, NULL);
         signal(SIGPIPE, SIG_IGN);
         _exit(serve(cfd, number, &options, wire_format, capture_path));
      }
      children[child_count++] = (struct child){ pid, number };
      close(cfd);
   }

   /* Stop: no new clients; the current ones are asked to end, then made to. */
   close(lfd);
   unlink(path);
   for (unsigned i = 0; i < child_count; i++)
      kill(children[i].pid, SIGTERM);
   const uint64_t deadline = now_ns() + 5000000000ull;
   while (child_count && now_ns() < deadline) {
      reap(true);
      if (child_count) {
         struct timespec ts = { 0, 10000000 };
         nanosleep(&ts, NULL);
      }
   }
   for (unsigned i = 0; i < child_count; i++) {
      fprintf(stderr, "%s: client %u (pid %d) did not stop; killing it\n", prog, children[i].number,
              (int)children[i].pid);
      kill(children[i].pid, SIGKILL);
   }
   while (child_count) {
      reap(true);
      if (child_count) {
         struct timespec ts = { 0, 10000000 };
         nanosleep(&ts, NULL);
      }
   }
   if (crashes)
      fprintf(stderr, "%s: %u client process(es) crashed\n", prog, crashes);
   return crashes ? 3 : 0;
}
