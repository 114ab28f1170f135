/*
 * The virtio-gpu transport: the guest driver of a virtual machine talks to
 * the host's Venus renderer (virglrenderer behind QEMU, crosvm, ...) through
 * the virtio-gpu render node, as Mesa's venus driver does
 * (VL_TRANSPORT=virtgpu; VL_VIRTGPU_DEVICE names a node, else the first
 * virtio-gpu node with a venus capset).
 *
 *  - Setup: the node's driver must be virtio_gpu; the kernel must have
 *    3D, the capset query fix, blob resources and context initialization
 *    (Linux 5.16+); the host must offer the venus capset, whose wire format
 *    (1: virglrenderer 1.x; 0: 0.10.4) is the one this connection speaks.
 *    The context is initialized with the venus capset and 64 rings
 *    (timelines: ring 0 is the CPU's, 1 ... 63 the queues the ICD binds
 *    with VkDeviceQueueTimelineInfoMESA).
 *  - Every stream travels in one EXECBUFFER on the ring of its queue (0 for
 *    everything else): the kernel copies it and the host runs the context's
 *    streams in order, so, as over vtest, no shared ring is needed and the
 *    caller may reuse a stream at once.
 *  - Replies land in a shared-memory blob (HOST3D, blob id 0) named by
 *    vkSetReplyCommandStreamMESA.  A call seeks the reply stream to 0 and
 *    sends its command in an EXECBUFFER on ring 0 that asks for a fence
 *    (a sync_file, signaled once the host has executed the stream), waits on
 *    it and reads the reply.
 *  - Host-visible memory is a HOST3D blob whose blob id is the
 *    VkDeviceMemory's id, mapped from the render node: the host's pages,
 *    coherent (the kernel maps them so), so flushes copy nothing.
 *  - The host runs each context on one thread: host waits are polled
 *    (serialized_waits), and only Venus commands are sent.
 *  - A call whose fence signals but whose reply never came (virglrenderer
 *    stops executing a context it marked fatal, and still retires its
 *    fences), a call left unanswered for VL_VTEST_TIMEOUT seconds (default
 *    60), or a failed ioctl, loses the device: one message, then
 *    VK_ERROR_DEVICE_LOST.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>

#include "vl_mappings.h"
#include "vl_protocol_guest.h"
#include "vl_transport.h"
#include "vl_virtgpu_drm.h"
#include "vl_vtest_protocol.h"

/* Rings of the context: 0 is the CPU's, the rest are queues'. */
#define NUM_RINGS 64u

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_GPU_DEVICE 0x1050

struct virtgpu {
   struct vl_transport base;
   int fd;
   char node[64];
   /* ioctls that create or destroy resources, and the reply stream */
   pthread_mutex_t call_lock;
   pthread_mutex_t map_lock;
   atomic_bool lost;
   atomic_bool reported;
   struct vl_vtest_capset_venus caps;
   uint32_t timeout_s;
   uint32_t reply_res, reply_handle;
   uint8_t *reply_map;
   size_t reply_size;
   bool reply_set;
   struct vl_mappings maps;
};

static void report(struct virtgpu *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Marks the device lost and says why, once. */
static void
report(struct virtgpu *t, const char *fmt, ...)
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
           "venus-loopback: virtgpu: %s (%s); the device is lost and the application gets "
           "VK_ERROR_DEVICE_LOST\n",
           msg, t->node);
}

static int
xioctl(int fd, unsigned long request, void *arg)
{
   int r;
   do
      r = ioctl(fd, request, arg);
   while (r == -1 && (errno == EINTR || errno == EAGAIN));
   return r;
}

/* ---- resources ---------------------------------------------------------------------- */

static void
close_handle(struct virtgpu *t, uint32_t handle)
{
   struct drm_gem_close close_args = { .handle = handle };
   xioctl(t->fd, DRM_IOCTL_GEM_CLOSE, &close_args);
}

/* A mappable HOST3D blob (blob_id 0: fresh shared memory; else the
 * VkDeviceMemory of that id), mapped; false with errno's reason in why. */
static bool
create_blob(struct virtgpu *t, uint64_t size, uint64_t blob_id, uint32_t *res, uint32_t *handle,
            void **map, const char **why)
{
   struct vl_virtgpu_resource_create_blob blob = {
      .blob_mem = VL_VIRTGPU_BLOB_MEM_HOST3D,
      .blob_flags = VL_VIRTGPU_BLOB_FLAG_MAPPABLE,
      .size = size,
      .blob_id = blob_id,
   };
   if (xioctl(t->fd, VL_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &blob)) {
      *why = "the host refused the blob resource";
      return false;
   }
   struct vl_virtgpu_map m = { .handle = blob.bo_handle };
   void *p = MAP_FAILED;
   if (!xioctl(t->fd, VL_IOCTL_VIRTGPU_MAP, &m))
      p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, (off_t)m.offset);
   if (p == MAP_FAILED) {
      *why = "mapping the blob failed";
      close_handle(t, blob.bo_handle);
      return false;
   }
   *res = blob.res_handle;
   *handle = blob.bo_handle;
   *map = p;
   return true;
}

/* ---- submissions -------------------------------------------------------------------- */

/* One EXECBUFFER of the stream on a ring; with fence_fd, a sync_file that
 * signals once the host has executed it. */
static bool
execbuffer(struct virtgpu *t, const void *cmds, size_t size, uint32_t ring, int *fence_fd)
{
   if (atomic_load(&t->lost))
      return false;
   if (size % 4 || size > VL_STREAM_MAX) {
      report(t, "a stream of %zu bytes cannot be sent (whole words, at most %u MiB)", size,
             VL_STREAM_MAX >> 20);
      return false;
   }
   if (!size && !fence_fd)
      return true;
   struct vl_virtgpu_execbuffer eb = {
      .flags = VL_VIRTGPU_EXECBUF_RING_IDX | (fence_fd ? VL_VIRTGPU_EXECBUF_FENCE_FD_OUT : 0),
      .size = (uint32_t)size,
      .command = (uint64_t)(uintptr_t)cmds,
      .fence_fd = -1,
      .ring_idx = ring,
   };
   if (xioctl(t->fd, VL_IOCTL_VIRTGPU_EXECBUFFER, &eb)) {
      report(t, "submitting %zu bytes on ring %u failed: %s", size, ring, strerror(errno));
      return false;
   }
   if (fence_fd)
      *fence_fd = eb.fence_fd;
   return true;
}

static bool
virtgpu_submit(struct vl_transport *base, const void *cmds, size_t size)
{
   return execbuffer((struct virtgpu *)base, cmds, size, 0, NULL);
}

static bool
virtgpu_submit_on(struct vl_transport *base, uint32_t timeline, const void *cmds, size_t size)
{
   return execbuffer((struct virtgpu *)base, cmds, size, timeline, NULL);
}

static bool
virtgpu_submit_stream(struct vl_transport *base, const void *data, size_t size, bool at_submit,
                      uint32_t *token)
{
   /* The kernel copies the stream: the caller never has to wait. */
   (void)at_submit;
   *token = 0;
   return virtgpu_submit(base, data, size);
}

static void
virtgpu_wait(struct vl_transport *base, uint32_t token)
{
   (void)base;
   (void)token;
}

/* Waits for a sync_file, in slices so that a host that stops answering is
 * noticed. */
static bool
wait_fence(struct virtgpu *t, int fd)
{
   const int slice_ms = 1000;
   uint64_t waited_ms = 0;
   for (;;) {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      const int n = poll(&p, 1, slice_ms);
      if (n < 0 && errno == EINTR)
         continue;
      if (n > 0 && (p.revents & POLLIN))
         return true;
      if (n < 0 || (n > 0 && (p.revents & (POLLERR | POLLNVAL)))) {
         report(t, "waiting for the host failed: %s", n < 0 ? strerror(errno) : "fence error");
         return false;
      }
      waited_ms += (uint64_t)slice_ms;
      if (t->timeout_s && waited_ms >= (uint64_t)t->timeout_s * 1000) {
         report(t,
                "the host has not answered a call for %u s (a context the host renderer marked "
                "fatal stops answering: the VMM's log says why; VL_VTEST_TIMEOUT sets how long "
                "to wait)",
                t->timeout_s);
         return false;
      }
   }
}

static bool
virtgpu_call(struct vl_transport *base, const void *cmds, size_t size, void *reply,
             size_t reply_size)
{
   struct virtgpu *t = (struct virtgpu *)base;
   pthread_mutex_lock(&t->call_lock);
   bool ok = false;
   uint32_t old_handle = 0;
   uint8_t *old_map = NULL;
   size_t old_size = 0;
   uint8_t *stream = NULL;
   struct vl_encoder enc;

   if (reply_size > t->reply_size || !t->reply_set) {
      /* A bigger reply stream; the old one goes once the switch executed. */
      const size_t want = vl_reply_stream_size(t->reply_size, reply_size);
      if (!want) {
         report(t, "a reply of %zu bytes is too large", reply_size);
         goto out;
      }
      uint32_t res = 0, handle = 0;
      void *map = NULL;
      const char *why = NULL;
      if (!create_blob(t, want, 0, &res, &handle, &map, &why)) {
         report(t, "no shared memory for the reply stream: %s: %s", why, strerror(errno));
         goto out;
      }
      old_handle = t->reply_handle;
      old_map = t->reply_map;
      old_size = t->reply_size;
      t->reply_res = res;
      t->reply_handle = handle;
      t->reply_map = map;
      t->reply_size = want;
      t->reply_set = false;
   }
   /* [vkSetReplyCommandStreamMESA] vkSeekReplyCommandStreamMESA, the call */
   const size_t prefix = 64;
   stream = malloc(prefix + size);
   if (!stream) {
      report(t, "out of memory for a call of %zu bytes", size);
      goto out;
   }
   vl_enc_init(&enc, stream, prefix);
   if (!t->reply_set) {
      const VkCommandStreamDescriptionMESA desc = { .resourceId = t->reply_res,
                                                    .size = t->reply_size };
      vl_encode_vkSetReplyCommandStreamMESA(&enc, 0, &desc);
      t->reply_set = true;
   }
   vl_encode_vkSeekReplyCommandStreamMESA(&enc, 0, 0);
   const size_t head = (size_t)(enc.cur - stream);
   memcpy(stream + head, cmds, size);
   /* A reply starts with its command's id; this is none.  Still there once
    * the fence signaled, it says the host did not run the call. */
   const uint32_t unanswered = UINT32_MAX;
   memcpy(t->reply_map, &unanswered, 4);
   int fence = -1;
   ok = execbuffer(t, stream, head + size, 0, &fence);
   if (ok && old_handle) {
      /* the host switched streams before it could run anything later */
      munmap(old_map, old_size);
      close_handle(t, old_handle);
      old_handle = 0;
   }
   if (ok)
      ok = fence >= 0 ? wait_fence(t, fence) : false;
   if (fence >= 0)
      close(fence);
   if (ok && !memcmp(t->reply_map, &unanswered, 4)) {
      /* virglrenderer's venus stops executing a context's streams once a
       * command made it mark the context fatal, and still retires fences */
      report(t, "the host renderer did not execute a call: it has stopped this context, as "
                "virglrenderer does after a command it refuses (the VMM's log says which)");
      ok = false;
   }
   if (ok)
      memcpy(reply, t->reply_map, reply_size);
out:
   if (old_handle) {
      munmap(old_map, old_size);
      close_handle(t, old_handle);
   }
   free(stream);
   pthread_mutex_unlock(&t->call_lock);
   return ok && !atomic_load(&t->lost);
}

/* ---- host-visible memory -------------------------------------------------------------- */

static VkResult
virtgpu_map_memory(struct vl_transport *base, uint64_t memory_id, void **ptr, VkDeviceSize *size)
{
   struct virtgpu *t = (struct virtgpu *)base;
   VkResult result = VK_ERROR_MEMORY_MAP_FAILED;
   pthread_mutex_lock(&t->map_lock);
   const struct vl_mapping *known = vl_mappings_find(&t->maps, memory_id);
   if (known) {
      *ptr = known->map;
      *size = known->size;
      result = VK_SUCCESS;
      goto out;
   }
   if (atomic_load(&t->lost)) {
      result = VK_ERROR_DEVICE_LOST;
      goto out;
   }
   const uint64_t bytes = *size;
   if (!bytes || bytes > SIZE_MAX || !vl_mappings_reserve(&t->maps))
      goto out;
   struct vl_mapping m = { .memory_id = memory_id, .size = (size_t)bytes };
   const char *why = NULL;
   if (!create_blob(t, bytes, memory_id, &m.res, &m.handle, &m.map, &why)) {
      fprintf(stderr,
              "venus-loopback: virtgpu: vkMapMemory fails with VK_ERROR_MEMORY_MAP_FAILED: %s for "
              "%llu bytes of memory 0x%llx: %s (the VMM needs blob=true and hostmem= on its "
              "virtio-gpu device)\n",
              why, (unsigned long long)bytes, (unsigned long long)memory_id, strerror(errno));
      goto out;
   }
   vl_mappings_add(&t->maps, &m);
   *ptr = m.map;
   result = VK_SUCCESS;
out:
   pthread_mutex_unlock(&t->map_lock);
   return result;
}

static void
virtgpu_free_memory(struct vl_transport *base, uint64_t memory_id)
{
   struct virtgpu *t = (struct virtgpu *)base;
   struct vl_mapping m;
   pthread_mutex_lock(&t->map_lock);
   if (vl_mappings_take(&t->maps, memory_id, &m)) {
      munmap(m.map, m.size);
      close_handle(t, m.handle);
   }
   pthread_mutex_unlock(&t->map_lock);
}

static VkResult
virtgpu_flush_ranges(struct vl_transport *base, bool invalidate, uint32_t count,
                     const struct vlr_mapped_range *ranges)
{
   /* The guest maps the host's own pages, coherently. */
   (void)invalidate;
   (void)count;
   (void)ranges;
   struct virtgpu *t = (struct virtgpu *)base;
   return atomic_load(&t->lost) ? VK_ERROR_DEVICE_LOST : VK_SUCCESS;
}

static bool
virtgpu_lost(struct vl_transport *base)
{
   return atomic_load(&((struct virtgpu *)base)->lost);
}

static void
virtgpu_destroy(struct vl_transport *base)
{
   struct virtgpu *t = (struct virtgpu *)base;
   vl_mappings_finish(&t->maps);
   if (t->reply_map)
      munmap(t->reply_map, t->reply_size);
   /* Closing the node destroys the context and every resource in it. */
   if (t->fd >= 0)
      close(t->fd);
   pthread_mutex_destroy(&t->call_lock);
   pthread_mutex_destroy(&t->map_lock);
   free(t);
}

static const struct vl_transport_ops virtgpu_ops = {
   .destroy = virtgpu_destroy,
   .submit = virtgpu_submit,
   .call = virtgpu_call,
   .submit_stream = virtgpu_submit_stream,
   .wait = virtgpu_wait,
   .map_memory = virtgpu_map_memory,
   .free_memory = virtgpu_free_memory,
   .flush_ranges = virtgpu_flush_ranges,
   .lost = virtgpu_lost,
   .submit_on = virtgpu_submit_on,
};

/* ---- the device ----------------------------------------------------------------------- */

static bool
get_param(int fd, uint64_t param, uint64_t *value)
{
   *value = 0;
   struct vl_virtgpu_getparam p = { .param = param, .value = (uint64_t)(uintptr_t)value };
   return !xioctl(fd, VL_IOCTL_VIRTGPU_GETPARAM, &p);
}

/* Whether the node at path is a virtio-gpu node a Venus guest can use; the
 * reason why not in err.  On success t->fd is the open node and t->caps its
 * venus capset. */
static bool
probe(struct virtgpu *t, const char *path, char *err, size_t err_size)
{
   snprintf(t->node, sizeof(t->node), "%s", path);
   t->fd = open(path, O_RDWR | O_CLOEXEC);
   if (t->fd < 0) {
      snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
      return false;
   }
   drmVersionPtr v = drmGetVersion(t->fd);
   const bool virtio = v && v->name && !strcmp(v->name, "virtio_gpu");
   if (!virtio) {
      if (v && v->name)
         snprintf(err, err_size, "%s is a %s device, not virtio_gpu", path, v->name);
      else
         snprintf(err, err_size, "%s is not a DRM device", path);
      drmFreeVersion(v);
      goto fail;
   }
   drmFreeVersion(v);
   static const struct {
      uint64_t param;
      const char *name, *what;
   } required[] = {
      { VL_VIRTGPU_PARAM_3D_FEATURES, "3D_FEATURES",
        "the VMM's device has no 3D (QEMU: -device virtio-gpu-gl-pci)" },
      { VL_VIRTGPU_PARAM_CAPSET_QUERY_FIX, "CAPSET_QUERY_FIX", "the kernel is too old" },
      { VL_VIRTGPU_PARAM_RESOURCE_BLOB, "RESOURCE_BLOB",
        "the VMM's device has no blob resources (QEMU: blob=true)" },
      { VL_VIRTGPU_PARAM_CONTEXT_INIT, "CONTEXT_INIT",
        "the kernel is older than Linux 5.16 or the VMM does not offer context types" },
      { VL_VIRTGPU_PARAM_HOST_VISIBLE, "HOST_VISIBLE",
        "the VMM's device has no host-visible memory region (QEMU: hostmem=1G)" },
   };
   for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
      uint64_t value;
      if (!get_param(t->fd, required[i].param, &value) || !value) {
         snprintf(err, err_size, "the virtio-gpu device %s lacks %s: %s", path, required[i].name,
                  required[i].what);
         goto fail;
      }
   }
   uint64_t capsets = 0;
   if (get_param(t->fd, VL_VIRTGPU_PARAM_SUPPORTED_CAPSET_IDS, &capsets) &&
       !(capsets & (1ull << VL_VIRGL_RENDERER_CAPSET_VENUS))) {
      snprintf(err, err_size,
               "the virtio-gpu device %s offers no venus capset (QEMU 9.2+: venus=true on "
               "virtio-gpu-gl-pci, with a virglrenderer built with venus and its render server)",
               path);
      goto fail;
   }
   memset(&t->caps, 0, sizeof(t->caps));
   struct vl_virtgpu_get_caps caps = {
      .cap_set_id = VL_VIRGL_RENDERER_CAPSET_VENUS,
      .addr = (uint64_t)(uintptr_t)&t->caps,
      .size = sizeof(t->caps),
   };
   if (xioctl(t->fd, VL_IOCTL_VIRTGPU_GET_CAPS, &caps) || !t->caps.vk_xml_version) {
      snprintf(err, err_size, "the virtio-gpu device %s offers no venus capset (%s)", path,
               strerror(errno));
      goto fail;
   }
   t->base.wire_formats = (uint8_t)VL_WIRE_FORMAT_BIT(t->caps.wire_format_version);
   if (!t->base.wire_formats) {
      snprintf(err, err_size,
               "the host renderer behind %s speaks Venus wire format %u; this driver speaks 0 "
               "and 1 (a newer host needs a newer venus-loopback)",
               path, t->caps.wire_format_version);
      goto fail;
   }
   if (t->caps.vk_xml_version < VK_API_VERSION_1_1) {
      snprintf(err, err_size,
               "the host renderer behind %s implements Vulkan %u.%u; Venus needs 1.1", path,
               VK_API_VERSION_MAJOR(t->caps.vk_xml_version),
               VK_API_VERSION_MINOR(t->caps.vk_xml_version));
      goto fail;
   }
   if (!t->caps.supports_blob_id_0) {
      snprintf(err, err_size,
               "the host renderer behind %s cannot make shared memory blobs (blob id 0: "
               "virglrenderer's render server has them)",
               path);
      goto fail;
   }
   return true;
fail:
   close(t->fd);
   t->fd = -1;
   return false;
}

/* The first virtio-gpu render node that passes probe(). */
static bool
find_device(struct virtgpu *t, char *err, size_t err_size)
{
   drmDevicePtr devices[64];
   const int n = drmGetDevices2(0, devices, 64);
   bool found = false, any = false;
   char first_err[512] = "";
   for (int i = 0; i < n && !found; i++) {
      const drmDevicePtr d = devices[i];
      if (!(d->available_nodes & (1 << DRM_NODE_RENDER)))
         continue;
      const bool pci = d->bustype == DRM_BUS_PCI &&
                       d->deviceinfo.pci->vendor_id == VIRTIO_PCI_VENDOR &&
                       d->deviceinfo.pci->device_id == VIRTIO_GPU_DEVICE;
      if (!pci && d->bustype != DRM_BUS_PLATFORM)
         continue;
      any = true;
      char why[512];
      found = probe(t, d->nodes[DRM_NODE_RENDER], why, sizeof(why));
      if (!found && !first_err[0])
         snprintf(first_err, sizeof(first_err), "%s", why);
   }
   if (n > 0)
      drmFreeDevices(devices, n);
   if (!found) {
      if (any)
         snprintf(err, err_size, "VL_TRANSPORT=virtgpu: no usable virtio-gpu render node: %s",
                  first_err);
      else
         snprintf(err, err_size,
                  "VL_TRANSPORT=virtgpu: no virtio-gpu render node (this is not a virtual machine "
                  "with a virtio-gpu device: QEMU needs -device "
                  "virtio-gpu-gl-pci,blob=true,hostmem=1G,venus=true; VL_VIRTGPU_DEVICE=/dev/dri/"
                  "renderD... names a node; VL_TRANSPORT=ring runs in-process)");
   }
   return found;
}

static bool
context_init(struct virtgpu *t, char *err, size_t err_size)
{
   const struct vl_virtgpu_context_set_param params[] = {
      { VL_VIRTGPU_CONTEXT_PARAM_CAPSET_ID, VL_VIRGL_RENDERER_CAPSET_VENUS },
      { VL_VIRTGPU_CONTEXT_PARAM_NUM_RINGS, NUM_RINGS },
      { VL_VIRTGPU_CONTEXT_PARAM_POLL_RINGS_MASK, 0 },
   };
   struct vl_virtgpu_context_init init = {
      .num_params = sizeof(params) / sizeof(params[0]),
      .ctx_set_params = (uint64_t)(uintptr_t)params,
   };
   if (xioctl(t->fd, VL_IOCTL_VIRTGPU_CONTEXT_INIT, &init)) {
      snprintf(err, err_size, "VL_TRANSPORT=virtgpu: initializing a venus context on %s failed: %s",
               t->node, strerror(errno));
      return false;
   }
   return true;
}

struct vl_transport *
vl_transport_virtgpu_create(const struct vl_transport_options *o, char *err, size_t err_size)
{
   struct virtgpu *t = calloc(1, sizeof(*t));
   if (!t) {
      snprintf(err, err_size, "out of memory");
      return NULL;
   }
   t->base.ops = &virtgpu_ops;
   t->base.serialized_waits = true;
   t->base.stats = o->stats;
   t->timeout_s = o->vtest_timeout_s;
   t->fd = -1;
   pthread_mutex_init(&t->call_lock, NULL);
   pthread_mutex_init(&t->map_lock, NULL);
   atomic_init(&t->lost, false);
   atomic_init(&t->reported, false);

   if (o->virtgpu_device) {
      char why[512];
      if (!probe(t, o->virtgpu_device, why, sizeof(why))) {
         snprintf(err, err_size, "VL_VIRTGPU_DEVICE=%s: %s", o->virtgpu_device, why);
         goto fail;
      }
   } else if (!find_device(t, err, err_size)) {
      goto fail;
   }
   if (!context_init(t, err, err_size))
      goto fail;
   return &t->base;

fail:
   virtgpu_destroy(&t->base);
   return NULL;
}
