/*
 * The vtest transport: the guest talks to a renderer in another process over
 * the vtest UNIX-socket protocol, as a Venus guest does (VL_TRANSPORT=vtest,
 * socket VL_VTEST_SOCKET, default /tmp/.virgl_test).  The peer is either
 * virglrenderer's `virgl_test_server --venus` or our tools/vtest server.
 *
 *  - Handshake as Mesa does it: CREATE_RENDERER, the protocol-version probe,
 *    version 3, the venus capset, CONTEXT_INIT(venus).  The capset's wire
 *    format (1: virglrenderer 1.x and our server; 0: virglrenderer 0.10.4)
 *    is the one this connection speaks.
 *  - Every queue is bound to a timeline of its own (vkGetDeviceQueue2 with
 *    VkDeviceQueueTimelineInfoMESA, done by the ICD), and its work travels
 *    in batches on that timeline (ring_idx).
 *  - Every stream travels in a SUBMIT_CMD2 batch.  The socket is the only
 *    queue, so ordering is the order of the writes; no ring is needed, and
 *    a stream is copied into the socket, so the caller may reuse it at once.
 *  - Replies land in a shared-memory blob named by
 *    vkSetReplyCommandStreamMESA.  A call seeks the reply stream to 0, sends
 *    its command in a batch that signals a vtest sync on the CPU timeline
 *    (ring_idx 0, retired once the batch has executed, also in
 *    virglrenderer's render-server mode), waits on the eventfd SYNC_WAIT
 *    returns, and reads the reply.  Calls are serialized; one-way
 *    submissions from other threads go on meanwhile.
 *  - The peer runs every command of the context on one thread: host waits
 *    must be polled (serialized_waits), and only Venus commands may be sent
 *    (no private_commands).
 *  - Host-visible memory is a HOST3D blob whose blob_id is the
 *    VkDeviceMemory's id, mapped from the fd the server passes.  Only a
 *    server that says it can (the loopback parameter) is asked: virglrenderer
 *    closes the connection when the host driver exports only opaque fds, so
 *    against it vkMapMemory fails with VK_ERROR_MEMORY_MAP_FAILED and one
 *    message on stderr.
 *  - A lost connection is reported once and makes every later operation
 *    fail, which the ICD turns into VK_ERROR_DEVICE_LOST.  So is a server
 *    that leaves a call unanswered for VL_VTEST_TIMEOUT seconds (default
 *    60): virglrenderer 1.x keeps the socket of a context it marked fatal
 *    open and never answers again.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "vl_mappings.h"
#include "vl_protocol_guest.h"
#include "vl_transport.h"
#include "vl_vtest_protocol.h"

struct vtest {
   struct vl_transport base;
   int fd;
   char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
   /* every write, and a request together with its reply */
   pthread_mutex_t io_lock;
   /* the reply stream: one call at a time */
   pthread_mutex_t call_lock;
   pthread_mutex_t map_lock;
   atomic_bool lost;
   atomic_bool reported;
   uint32_t features; /* VL_VTEST_LOOPBACK_*; 0 for a foreign server */
   struct vl_vtest_capset_venus caps;
   uint32_t sync_id;
   uint64_t sync_value;
   uint32_t timeout_s; /* VL_VTEST_TIMEOUT; 0: wait for ever */
   uint32_t reply_res;
   uint8_t *reply_map;
   size_t reply_size;
   bool reply_set;
   struct vl_mappings maps;
   bool map_refusal_reported;
};

static void report(struct vtest *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Marks the connection lost and says why, once. */
static void
report(struct vtest *t, const char *fmt, ...)
{
   atomic_store(&t->lost, true);
   if (atomic_exchange(&t->reported, true))
      return;
   char msg[768];
   va_list ap;
   va_start(ap, fmt);
   vsnprintf(msg, sizeof(msg), fmt, ap);
   va_end(ap);
   fprintf(stderr,
           "venus-loopback: vtest: %s (server %s); the device is lost and the application gets "
           "VK_ERROR_DEVICE_LOST\n",
           msg, t->path);
}

static bool
recv_all(struct vtest *t, void *buf, size_t size)
{
   uint8_t *p = buf;
   while (size) {
      const ssize_t n = recv(t->fd, p, size, 0);
      if (n > 0) {
         p += n;
         size -= (size_t)n;
         continue;
      }
      if (n < 0 && errno == EINTR)
         continue;
      if (n == 0 || errno == ECONNRESET)
         report(t, "the server closed the connection");
      else if (errno == EAGAIN || errno == EWOULDBLOCK)
         report(t, "the server did not answer for %u s (VL_VTEST_TIMEOUT)", t->timeout_s);
      else
         report(t, "reading from the socket failed: %s", strerror(errno));
      return false;
   }
   return true;
}

/* The server's last words before it closed the connection. */
static void
read_error_report(struct vtest *t, uint32_t words)
{
   char text[1024];
   const size_t keep = (size_t)words * 4 < sizeof(text) - 1 ? (size_t)words * 4 : sizeof(text) - 1;
   size_t total = (size_t)words * 4;
   memset(text, 0, sizeof(text));
   if (recv_all(t, text, keep)) {
      total -= keep;
      /* the rest is dropped */
      char sink[256];
      while (total) {
         const size_t n = total < sizeof(sink) ? total : sizeof(sink);
         if (!recv_all(t, sink, n))
            break;
         total -= n;
      }
   }
   atomic_store(&t->lost, true);
   if (atomic_exchange(&t->reported, true))
      return;
   /* The same words the in-process renderer prints. */
   fprintf(stderr,
           "venus-loopback: renderer: %s; the renderer context is lost and the application gets "
           "VK_ERROR_DEVICE_LOST\n",
           text[0] ? text : "(no reason given)");
}

/* Reads a reply header; the server's error report ends the connection. */
static bool
read_header(struct vtest *t, uint32_t hdr[2])
{
   if (!recv_all(t, hdr, 8))
      return false;
   if (hdr[VL_VTEST_CMD_ID] == VL_VCMD_LOOPBACK_ERROR) {
      read_error_report(t, hdr[VL_VTEST_CMD_LEN]);
      return false;
   }
   return true;
}

/* A reply of exactly this id and length. */
static bool
read_reply(struct vtest *t, uint32_t id, uint32_t *payload, uint32_t words)
{
   uint32_t hdr[2];
   if (!read_header(t, hdr))
      return false;
   if (hdr[VL_VTEST_CMD_ID] != id || hdr[VL_VTEST_CMD_LEN] != words) {
      report(t, "unexpected reply [%u, %u] to command %u", hdr[0], hdr[1], id);
      return false;
   }
   return recv_all(t, payload, (size_t)words * 4);
}

/* After a failed write: the server may have said why before it closed. */
static void
pick_up_error(struct vtest *t)
{
   struct pollfd p = { .fd = t->fd, .events = POLLIN };
   if (poll(&p, 1, 100) != 1 || !(p.revents & POLLIN))
      return;
   uint32_t hdr[2];
   if (recv(t->fd, hdr, sizeof(hdr), MSG_DONTWAIT | MSG_PEEK) == (ssize_t)sizeof(hdr) &&
       hdr[VL_VTEST_CMD_ID] == VL_VCMD_LOOPBACK_ERROR)
      read_header(t, hdr);
}

static bool
send_iov(struct vtest *t, struct iovec *iov, int count)
{
   if (atomic_load(&t->lost))
      return false;
   while (count) {
      struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)count };
      ssize_t n = sendmsg(t->fd, &msg, MSG_NOSIGNAL);
      if (n < 0) {
         if (errno == EINTR)
            continue;
         const int e = errno;
         pick_up_error(t);
         report(t, "writing to the socket failed: %s", strerror(e));
         return false;
      }
      while (count && (size_t)n >= iov->iov_len) {
         n -= (ssize_t)iov->iov_len;
         iov++;
         count--;
      }
      if (count) {
         iov->iov_base = (uint8_t *)iov->iov_base + n;
         iov->iov_len -= (size_t)n;
      }
   }
   return true;
}

static bool
send_words(struct vtest *t, const uint32_t *words, size_t count)
{
   struct iovec iov = { (void *)words, count * 4 };
   return send_iov(t, &iov, 1);
}

/* The fd that follows a reply, on its one dummy byte. */
static int
recv_fd(struct vtest *t)
{
   char byte;
   struct iovec iov = { &byte, 1 };
   union {
      char buf[CMSG_SPACE(sizeof(int))];
      struct cmsghdr align;
   } control;
   struct msghdr msg = {
      .msg_iov = &iov,
      .msg_iovlen = 1,
      .msg_control = control.buf,
      .msg_controllen = sizeof(control.buf),
   };
   ssize_t n;
   do
      n = recvmsg(t->fd, &msg, MSG_CMSG_CLOEXEC);
   while (n < 0 && errno == EINTR);
   if (n != 1) {
      report(t, n == 0 ? "the server closed the connection" : "receiving a file descriptor failed");
      return -1;
   }
   struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
   if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
       c->cmsg_len != CMSG_LEN(sizeof(int))) {
      report(t, "a reply came without its file descriptor");
      return -1;
   }
   int fd;
   memcpy(&fd, CMSG_DATA(c), sizeof(fd));
   return fd;
}

/* ---- resources ------------------------------------------------------------------- */

/* A blob and its fd; res 0 on failure (the connection is then lost). */
static uint32_t
create_blob_locked(struct vtest *t, uint32_t type, uint32_t flags, uint64_t size, uint64_t blob_id,
                   int *fd)
{
   const uint32_t req[8] = {
      6,
      VL_VCMD_RESOURCE_CREATE_BLOB,
      type,
      flags,
      (uint32_t)size,
      (uint32_t)(size >> 32),
      (uint32_t)blob_id,
      (uint32_t)(blob_id >> 32),
   };
   uint32_t res = 0;
   if (!send_words(t, req, 8) || !read_reply(t, VL_VCMD_RESOURCE_CREATE_BLOB, &res, 1))
      return 0;
   if (!res && (t->features & VL_VTEST_LOOPBACK_ERROR_REPORTS)) {
      /* our server refused to share the memory, and says why */
      uint32_t hdr[2];
      char text[1024] = { 0 };
      if (read_header(t, hdr) && hdr[VL_VTEST_CMD_ID] == VL_VCMD_LOOPBACK_BLOB_REFUSED &&
          hdr[VL_VTEST_CMD_LEN] <= sizeof(text) / 4 - 1 &&
          recv_all(t, text, (size_t)hdr[VL_VTEST_CMD_LEN] * 4)) {
         fprintf(stderr,
                 "venus-loopback: vtest: vkMapMemory fails with VK_ERROR_MEMORY_MAP_FAILED: the "
                 "server cannot share this memory: %s\n",
                 text);
      } else if (!atomic_load(&t->lost)) {
         report(t, "a refused blob came without its reason");
      }
      return 0;
   }
   *fd = recv_fd(t);
   if (*fd < 0)
      return 0;
   return res;
}

static void
unref_locked(struct vtest *t, uint32_t res)
{
   const uint32_t req[3] = { 1, VL_VCMD_RESOURCE_UNREF, res };
   send_words(t, req, 3);
}

/* Shared memory for the reply stream (HOST3D with blob_id 0: what every
 * venus server accepts, render-server mode included). */
static bool
create_shm_locked(struct vtest *t, size_t size, uint32_t *res, uint8_t **map)
{
   int fd = -1;
   *res = create_blob_locked(t, VL_VCMD_BLOB_TYPE_HOST3D, VL_VCMD_BLOB_FLAG_MAPPABLE, size, 0, &fd);
   if (!*res) {
      report(t, "the server gave no shared memory for the reply stream");
      return false;
   }
   void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
   close(fd);
   if (p == MAP_FAILED) {
      unref_locked(t, *res);
      report(t, "cannot map the reply stream's shared memory: %s", strerror(errno));
      return false;
   }
   *map = p;
   return true;
}

/* ---- submissions ----------------------------------------------------------------- */

/* One SUBMIT_CMD2 batch of the concatenated parts on a timeline (0: the
 * CPU); with a sync value, the sync reaches it once the batch has executed
 * (on the CPU timeline, which calls use). */
static bool
submit_locked(struct vtest *t, struct iovec *parts, int count, uint32_t timeline,
              uint64_t sync_value)
{
   size_t bytes = 0;
   for (int i = 0; i < count; i++)
      bytes += parts[i].iov_len;
   if (bytes % 4 || bytes > VL_STREAM_MAX) {
      report(t, "a stream of %zu bytes cannot be sent (whole words, at most %u MiB)", bytes,
             VL_STREAM_MAX >> 20);
      return false;
   }
   const uint32_t cmd_words = (uint32_t)(bytes / 4);
   const uint32_t first = 1 + VL_VCMD_SUBMIT_CMD2_BATCH_WORDS;
   const uint32_t sync_count = sync_value ? 1 : 0;
   const uint32_t head[2 + 1 + VL_VCMD_SUBMIT_CMD2_BATCH_WORDS] = {
      first + cmd_words + 3 * sync_count,
      VL_VCMD_SUBMIT_CMD2,
      1, /* batch_count: both batch layouts agree on one batch */
      sync_count || timeline ? VL_VCMD_SUBMIT_CMD2_FLAG_RING_IDX : 0,
      first,
      cmd_words,
      first + cmd_words,
      sync_count,
      timeline,
   };
   const uint32_t sync[3] = { t->sync_id, (uint32_t)sync_value, (uint32_t)(sync_value >> 32) };
   struct iovec iov[8];
   if (count > 6) {
      report(t, "internal error: too many parts in one submission");
      return false;
   }
   iov[0] = (struct iovec){ (void *)head, sizeof(head) };
   memcpy(iov + 1, parts, (size_t)count * sizeof(*parts));
   int n = 1 + count;
   if (sync_count)
      iov[n++] = (struct iovec){ (void *)sync, sizeof(sync) };
   return send_iov(t, iov, n);
}

static bool
vtest_submit(struct vl_transport *base, const void *cmds, size_t size)
{
   struct vtest *t = (struct vtest *)base;
   struct iovec part = { (void *)cmds, size };
   pthread_mutex_lock(&t->io_lock);
   const bool ok = submit_locked(t, &part, 1, 0, 0);
   pthread_mutex_unlock(&t->io_lock);
   return ok;
}

static bool
vtest_submit_on(struct vl_transport *base, uint32_t timeline, const void *cmds, size_t size)
{
   struct vtest *t = (struct vtest *)base;
   struct iovec part = { (void *)cmds, size };
   pthread_mutex_lock(&t->io_lock);
   const bool ok = submit_locked(t, &part, 1, timeline, 0);
   pthread_mutex_unlock(&t->io_lock);
   return ok;
}

static bool
vtest_submit_stream(struct vl_transport *base, const void *data, size_t size, bool at_submit,
                    uint32_t *token)
{
   /* The socket copies the stream: the caller never has to wait. */
   *token = 0;
   return vtest_submit(base, data, size);
}

static void
vtest_wait(struct vl_transport *base, uint32_t token)
{
   (void)base;
   (void)token;
}

/* Waits until the sync reaches value: an eventfd from SYNC_WAIT, polled
 * together with the socket so that a server that goes away is noticed. */
static bool
wait_sync(struct vtest *t, uint64_t value)
{
   const uint32_t req[7] = {
      5, VL_VCMD_SYNC_WAIT, 0, UINT32_MAX, t->sync_id, (uint32_t)value, (uint32_t)(value >> 32)
   };
   pthread_mutex_lock(&t->io_lock);
   int fd = -1;
   if (send_words(t, req, 7) && read_reply(t, VL_VCMD_SYNC_WAIT, NULL, 0))
      fd = recv_fd(t);
   pthread_mutex_unlock(&t->io_lock);
   if (fd < 0)
      return false;
   bool ok = false;
   /* in slices, so that a server that stays silent is noticed */
   const uint64_t slice_ms = 1000;
   uint64_t waited_ms = 0;
   for (;;) {
      struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = t->fd, .events = 0 } };
      const int n = poll(p, 2, (int)slice_ms);
      if (n < 0 && errno == EINTR)
         continue;
      if (n > 0 && (p[0].revents & POLLIN)) {
         ok = true;
         break;
      }
      if (n == 0) {
         waited_ms += slice_ms;
         if (t->timeout_s && waited_ms >= (uint64_t)t->timeout_s * 1000) {
            report(t,
                   "the server has not answered a call for %u s (a server whose context failed "
                   "stops answering: virglrenderer logs why; VL_VTEST_TIMEOUT sets how long to "
                   "wait)",
                   t->timeout_s);
            break;
         }
         continue;
      }
      if (n < 0 || (p[1].revents & (POLLHUP | POLLERR))) {
         pthread_mutex_lock(&t->io_lock);
         pick_up_error(t);
         report(t, "the server went away during a wait");
         pthread_mutex_unlock(&t->io_lock);
         break;
      }
   }
   close(fd);
   return ok;
}

static bool
vtest_call(struct vl_transport *base, const void *cmds, size_t size, void *reply, size_t reply_size)
{
   struct vtest *t = (struct vtest *)base;
   pthread_mutex_lock(&t->call_lock);
   bool ok = false;
   uint32_t old_res = 0;
   uint8_t *old_map = NULL;
   size_t old_size = 0;
   uint8_t set_cmd[64], seek_cmd[32];
   struct iovec parts[3];
   int count = 0;
   struct vl_encoder enc;

   pthread_mutex_lock(&t->io_lock);
   if (reply_size > t->reply_size || !t->reply_set) {
      /* A bigger reply stream; the old one goes once the switch executed. */
      const size_t want = vl_reply_stream_size(t->reply_size, reply_size);
      if (!want) {
         pthread_mutex_unlock(&t->io_lock);
         report(t, "a reply of %zu bytes is too large", reply_size);
         goto out;
      }
      uint32_t res = 0;
      uint8_t *map = NULL;
      if (!create_shm_locked(t, want, &res, &map)) {
         pthread_mutex_unlock(&t->io_lock);
         goto out;
      }
      old_res = t->reply_res;
      old_map = t->reply_map;
      old_size = t->reply_size;
      t->reply_res = res;
      t->reply_map = map;
      t->reply_size = want;
      t->reply_set = true;
      const VkCommandStreamDescriptionMESA stream = { .resourceId = res, .size = want };
      vl_enc_init(&enc, set_cmd, sizeof(set_cmd));
      vl_encode_vkSetReplyCommandStreamMESA(&enc, 0, &stream);
      parts[count++] = (struct iovec){ set_cmd, (size_t)(enc.cur - set_cmd) };
   }
   vl_enc_init(&enc, seek_cmd, sizeof(seek_cmd));
   vl_encode_vkSeekReplyCommandStreamMESA(&enc, 0, 0);
   parts[count++] = (struct iovec){ seek_cmd, (size_t)(enc.cur - seek_cmd) };
   parts[count++] = (struct iovec){ (void *)cmds, size };
   const uint64_t value = ++t->sync_value;
   ok = submit_locked(t, parts, count, 0, value);
   if (ok && old_res)
      unref_locked(t, old_res);
   pthread_mutex_unlock(&t->io_lock);
   if (old_map)
      munmap(old_map, old_size);
   if (ok)
      ok = wait_sync(t, value);
   if (ok)
      memcpy(reply, t->reply_map, reply_size);
out:
   pthread_mutex_unlock(&t->call_lock);
   return ok && !atomic_load(&t->lost);
}

/* ---- host-visible memory ------------------------------------------------------------ */

static VkResult
vtest_map_memory(struct vl_transport *base, uint64_t memory_id, void **ptr, VkDeviceSize *size)
{
   struct vtest *t = (struct vtest *)base;
   VkResult result = VK_ERROR_MEMORY_MAP_FAILED;
   pthread_mutex_lock(&t->map_lock);
   const struct vl_mapping *known = vl_mappings_find(&t->maps, memory_id);
   if (known) {
      *ptr = known->map;
      *size = known->size;
      result = VK_SUCCESS;
      goto out;
   }
   if (atomic_load(&t->lost))
      goto out;
   if (!(t->features & VL_VTEST_LOOPBACK_MAPPABLE_MEMORY)) {
      if (!t->map_refusal_reported) {
         t->map_refusal_reported = true;
         fprintf(stderr,
                 "venus-loopback: vtest: vkMapMemory fails with VK_ERROR_MEMORY_MAP_FAILED: the "
                 "vtest server at %s does not offer host-visible memory as mappable fds (it is "
                 "not a venus-loopback server; virglrenderer shares only dma-buf or shm memory, "
                 "and closes the connection when the host driver exports opaque fds, as "
                 "lavapipe does)\n",
                 t->path);
      }
      goto out;
   }
   const uint64_t bytes = *size;
   if (!bytes || bytes > SIZE_MAX || !vl_mappings_reserve(&t->maps))
      goto out;
   int fd = -1;
   pthread_mutex_lock(&t->io_lock);
   const uint32_t res = create_blob_locked(t, VL_VCMD_BLOB_TYPE_HOST3D, VL_VCMD_BLOB_FLAG_MAPPABLE,
                                           bytes, memory_id, &fd);
   pthread_mutex_unlock(&t->io_lock);
   if (!res)
      goto out;
   void *p = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
   const int e = errno;
   close(fd);
   if (p == MAP_FAILED) {
      pthread_mutex_lock(&t->io_lock);
      unref_locked(t, res);
      pthread_mutex_unlock(&t->io_lock);
      fprintf(stderr,
              "venus-loopback: vtest: vkMapMemory fails with VK_ERROR_MEMORY_MAP_FAILED: mapping "
              "the fd the server passed for %llu bytes failed: %s\n",
              (unsigned long long)bytes, strerror(e));
      goto out;
   }
   vl_mappings_add(
      &t->maps,
      &(struct vl_mapping){ .memory_id = memory_id, .res = res, .map = p, .size = (size_t)bytes });
   *ptr = p;
   result = VK_SUCCESS;
out:
   pthread_mutex_unlock(&t->map_lock);
   return result;
}

static void
vtest_free_memory(struct vl_transport *base, uint64_t memory_id)
{
   struct vtest *t = (struct vtest *)base;
   struct vl_mapping m;
   pthread_mutex_lock(&t->map_lock);
   if (vl_mappings_take(&t->maps, memory_id, &m)) {
      munmap(m.map, m.size);
      pthread_mutex_lock(&t->io_lock);
      unref_locked(t, m.res);
      pthread_mutex_unlock(&t->io_lock);
   }
   pthread_mutex_unlock(&t->map_lock);
}

static VkResult
vtest_flush_ranges(struct vl_transport *base, bool invalidate, uint32_t count,
                   const struct vlr_mapped_range *ranges)
{
   /* Both processes map the same pages: nothing to copy. */
   (void)invalidate;
   (void)count;
   (void)ranges;
   struct vtest *t = (struct vtest *)base;
   return atomic_load(&t->lost) ? VK_ERROR_DEVICE_LOST : VK_SUCCESS;
}

static void
vtest_destroy(struct vl_transport *base)
{
   struct vtest *t = (struct vtest *)base;
   /* Closing the socket destroys the context and everything in it. */
   if (t->fd >= 0)
      close(t->fd);
   vl_mappings_finish(&t->maps);
   if (t->reply_map)
      munmap(t->reply_map, t->reply_size);
   pthread_mutex_destroy(&t->io_lock);
   pthread_mutex_destroy(&t->call_lock);
   pthread_mutex_destroy(&t->map_lock);
   free(t);
}

static const struct vl_transport_ops vtest_ops = {
   .destroy = vtest_destroy,
   .submit = vtest_submit,
   .call = vtest_call,
   .submit_stream = vtest_submit_stream,
   .wait = vtest_wait,
   .map_memory = vtest_map_memory,
   .free_memory = vtest_free_memory,
   .flush_ranges = vtest_flush_ranges,
   .submit_on = vtest_submit_on,
};

/* ---- connection ------------------------------------------------------------------- */

static bool
handshake(struct vtest *t, char *err, size_t err_size)
{
   /* CREATE_RENDERER: the name is only a label for the server's logs. */
   char name[64];
   snprintf(name, sizeof(name), "%s", program_invocation_short_name);
   const uint32_t len = (uint32_t)strlen(name) + 1;
   const uint32_t create[2] = { len, VL_VCMD_CREATE_RENDERER };
   struct iovec iov[2] = { { (void *)create, sizeof(create) }, { name, len } };
   /* The protocol-version probe, as Mesa sends it. */
   const uint32_t probe[6] = {
      0, VL_VCMD_PING_PROTOCOL_VERSION, 2, VL_VCMD_RESOURCE_BUSY_WAIT, 0, 0
   };
   if (!send_iov(t, iov, 2) || !send_words(t, probe, 6)) {
      snprintf(err, err_size, "the vtest server at %s did not accept a connection", t->path);
      return false;
   }
   uint32_t hdr[2], word;
   if (!read_header(t, hdr)) {
      snprintf(err, err_size,
               "the vtest server at %s closed the connection at once (a virgl_test_server on a "
               "machine without /dev/dri needs --use-egl-surfaceless)",
               t->path);
      return false;
   }
   if (hdr[VL_VTEST_CMD_ID] != VL_VCMD_PING_PROTOCOL_VERSION || hdr[VL_VTEST_CMD_LEN] != 0) {
      snprintf(err, err_size, "the vtest server at %s is too old: it has no protocol versions",
               t->path);
      return false;
   }
   if (!read_reply(t, VL_VCMD_RESOURCE_BUSY_WAIT, &word, 1))
      goto lost;
   const uint32_t version[3] = { 1, VL_VCMD_PROTOCOL_VERSION, VL_VTEST_PROTOCOL_VERSION };
   if (!send_words(t, version, 3) || !read_reply(t, VL_VCMD_PROTOCOL_VERSION, &word, 1))
      goto lost;
   if (word < VL_VTEST_PROTOCOL_VERSION) {
      snprintf(err, err_size,
               "the vtest server at %s speaks vtest protocol version %u; Venus needs %u", t->path,
               word, VL_VTEST_PROTOCOL_VERSION);
      return false;
   }
   /* Which loopback features the server has; a foreign one says "invalid". */
   const uint32_t param[3] = { 1, VL_VCMD_GET_PARAM, VL_VCMD_PARAM_LOOPBACK };
   uint32_t answer[2];
   if (!send_words(t, param, 3) || !read_reply(t, VL_VCMD_GET_PARAM, answer, 2))
      goto lost;
   t->features = answer[0] ? answer[1] : 0;

   const uint32_t capset[4] = { 2, VL_VCMD_GET_CAPSET, VL_VIRGL_RENDERER_CAPSET_VENUS, 0 };
   if (!send_words(t, capset, 4) || !read_header(t, hdr))
      goto lost;
   if (hdr[VL_VTEST_CMD_ID] != VL_VCMD_GET_CAPSET || hdr[VL_VTEST_CMD_LEN] < 1 ||
       !recv_all(t, &word, 4))
      goto lost;
   if (!word) {
      snprintf(err, err_size,
               "the vtest server at %s offers no venus capset (start virgl_test_server with "
               "--venus)",
               t->path);
      return false;
   }
   /* Read what we know of the capset; a longer one's tail is dropped. */
   size_t left = (size_t)(hdr[VL_VTEST_CMD_LEN] - 1) * 4;
   if (left < VL_VTEST_CAPSET_VENUS_MIN_SIZE) {
      snprintf(err, err_size,
               "the vtest server at %s sent a venus capset of %zu bytes; every Venus server "
               "sends at least %u (is it a vtest server?)",
               t->path, left, VL_VTEST_CAPSET_VENUS_MIN_SIZE);
      return false;
   }
   const size_t known = left < sizeof(t->caps) ? left : sizeof(t->caps);
   if (!recv_all(t, &t->caps, known))
      goto lost;
   left -= known;
   while (left) {
      uint8_t sink[256];
      const size_t n = left < sizeof(sink) ? left : sizeof(sink);
      if (!recv_all(t, sink, n))
         goto lost;
      left -= n;
   }
   /* Speak the server's wire format: 1 (virglrenderer 1.x, our server) or
    * 0 (virglrenderer 0.10.4). */
   t->base.wire_formats = (uint8_t)VL_WIRE_FORMAT_BIT(t->caps.wire_format_version);
   if (!t->base.wire_formats) {
      snprintf(err, err_size,
               "the vtest server at %s speaks Venus wire format %u; this driver speaks 0 and 1 "
               "(a newer server needs a newer venus-loopback)",
               t->path, t->caps.wire_format_version);
      return false;
   }
   if (t->caps.vk_xml_version < VK_API_VERSION_1_1) {
      snprintf(err, err_size, "the vtest server at %s implements Vulkan %u.%u; Venus needs 1.1",
               t->path, VK_API_VERSION_MAJOR(t->caps.vk_xml_version),
               VK_API_VERSION_MINOR(t->caps.vk_xml_version));
      return false;
   }

   const uint32_t init[3] = { 1, VL_VCMD_CONTEXT_INIT, VL_VIRGL_RENDERER_CAPSET_VENUS };
   const uint32_t sync[4] = { 2, VL_VCMD_SYNC_CREATE, 0, 0 };
   if (!send_words(t, init, 3) || !send_words(t, sync, 4) ||
       !read_reply(t, VL_VCMD_SYNC_CREATE, &t->sync_id, 1))
      goto lost;
   return true;

lost:
   snprintf(err, err_size,
            "the vtest handshake with %s failed: the server closed the connection or did not "
            "answer within %u s (VL_VTEST_TIMEOUT)",
            t->path, t->timeout_s);
   return false;
}

struct vl_transport *
vl_transport_vtest_create(const struct vl_transport_options *o, char *err, size_t err_size)
{
   struct vtest *t = calloc(1, sizeof(*t));
   if (!t) {
      snprintf(err, err_size, "out of memory");
      return NULL;
   }
   t->base.ops = &vtest_ops;
   /* Pure Venus (wire_formats is the server's, read from its capset): the
    * peer may be virglrenderer, which knows no private command and runs each
    * context on one thread. */
   t->base.serialized_waits = true;
   t->base.stats = o->stats;
   t->timeout_s = o->vtest_timeout_s;
   t->fd = -1;
   pthread_mutex_init(&t->io_lock, NULL);
   pthread_mutex_init(&t->call_lock, NULL);
   pthread_mutex_init(&t->map_lock, NULL);
   atomic_init(&t->lost, false);
   atomic_init(&t->reported, true); /* the handshake reports through err */

   const char *path = o->vtest_socket ? o->vtest_socket : VL_VTEST_DEFAULT_SOCKET;
   struct sockaddr_un addr = { .sun_family = AF_UNIX };
   if (strlen(path) >= sizeof(addr.sun_path)) {
      snprintf(err, err_size, "VL_VTEST_SOCKET=%s is longer than a socket path may be (%zu)", path,
               sizeof(addr.sun_path) - 1);
      goto fail;
   }
   memcpy(addr.sun_path, path, strlen(path) + 1);
   memcpy(t->path, path, strlen(path) + 1);
   t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
   if (t->fd < 0 || connect(t->fd, (struct sockaddr *)&addr, sizeof(addr))) {
      snprintf(err, err_size,
               "cannot connect to the vtest server at %s: %s (start one: vl-vtest-server "
               "--socket-path %s, or virgl_test_server --venus --use-egl-surfaceless "
               "--socket-path=%s; VL_VTEST_SOCKET names another)",
               path, strerror(errno), path, path);
      goto fail;
   }
   if (t->timeout_s) {
      /* every answer the server owes comes within the timeout */
      const struct timeval tv = { .tv_sec = t->timeout_s };
      setsockopt(t->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
   }
   if (!handshake(t, err, err_size))
      goto fail;
   atomic_store(&t->reported, false);
   return &t->base;

fail:
   vtest_destroy(&t->base);
   return NULL;
}
