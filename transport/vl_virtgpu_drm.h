/*
 * The virtio-gpu DRM ioctls a Venus guest uses, as the kernel defines them
 * (include/uapi/drm/virtgpu_drm.h of Linux 6.6+).  Debian 12's libdrm ships
 * an older copy of that header without context initialization, ring
 * indices and blob commands, so the layouts are spelled here; the DRM core
 * zero-fills the tail of a struct an older kernel does not know and ignores
 * one it does not expect, so these work from Linux 5.16 on.
 */
#ifndef VL_VIRTGPU_DRM_H
#define VL_VIRTGPU_DRM_H

#include <drm.h>
#include <stdint.h>

#define VL_VIRTGPU_PARAM_3D_FEATURES          1
#define VL_VIRTGPU_PARAM_CAPSET_QUERY_FIX     2
#define VL_VIRTGPU_PARAM_RESOURCE_BLOB        3
#define VL_VIRTGPU_PARAM_HOST_VISIBLE         4
#define VL_VIRTGPU_PARAM_CROSS_DEVICE         5
#define VL_VIRTGPU_PARAM_CONTEXT_INIT         6
#define VL_VIRTGPU_PARAM_SUPPORTED_CAPSET_IDS 7

struct vl_virtgpu_getparam {
   uint64_t param;
   uint64_t value; /* pointer to a u64; the kernel writes its low 32 bits */
};

struct vl_virtgpu_get_caps {
   uint32_t cap_set_id;
   uint32_t cap_set_ver;
   uint64_t addr;
   uint32_t size;
   uint32_t pad;
};

#define VL_VIRTGPU_CONTEXT_PARAM_CAPSET_ID       1
#define VL_VIRTGPU_CONTEXT_PARAM_NUM_RINGS       2
#define VL_VIRTGPU_CONTEXT_PARAM_POLL_RINGS_MASK 3

struct vl_virtgpu_context_set_param {
   uint64_t param;
   uint64_t value;
};

struct vl_virtgpu_context_init {
   uint32_t num_params;
   uint32_t pad;
   uint64_t ctx_set_params; /* pointer to num_params vl_virtgpu_context_set_param */
};

#define VL_VIRTGPU_BLOB_MEM_HOST3D    2
#define VL_VIRTGPU_BLOB_FLAG_MAPPABLE 1

struct vl_virtgpu_resource_create_blob {
   uint32_t blob_mem;
   uint32_t blob_flags;
   uint32_t bo_handle;  /* out: the GEM handle */
   uint32_t res_handle; /* out: the resource id Venus commands name */
   uint64_t size;
   uint32_t pad;
   uint32_t cmd_size;
   uint64_t cmd;
   uint64_t blob_id; /* HOST3D: 0 for shared memory, else a VkDeviceMemory's id */
};

struct vl_virtgpu_map {
   uint64_t offset; /* out: the mmap offset on the render node */
   uint32_t handle;
   uint32_t pad;
};

#define VL_VIRTGPU_EXECBUF_FENCE_FD_OUT 0x02u
#define VL_VIRTGPU_EXECBUF_RING_IDX     0x04u

struct vl_virtgpu_execbuffer {
   uint32_t flags;
   uint32_t size; /* bytes of the Venus stream, a multiple of 4 */
   uint64_t command;
   uint64_t bo_handles;
   uint32_t num_bo_handles;
   int32_t fence_fd; /* out with FENCE_FD_OUT: a sync_file */
   uint32_t ring_idx;
   uint32_t syncobj_stride;
   uint32_t num_in_syncobjs;
   uint32_t num_out_syncobjs;
   uint64_t in_syncobjs;
   uint64_t out_syncobjs;
};

#define VL_IOCTL_VIRTGPU_MAP        DRM_IOWR(DRM_COMMAND_BASE + 0x01, struct vl_virtgpu_map)
#define VL_IOCTL_VIRTGPU_EXECBUFFER DRM_IOWR(DRM_COMMAND_BASE + 0x02, struct vl_virtgpu_execbuffer)
#define VL_IOCTL_VIRTGPU_GETPARAM   DRM_IOWR(DRM_COMMAND_BASE + 0x03, struct vl_virtgpu_getparam)
#define VL_IOCTL_VIRTGPU_GET_CAPS   DRM_IOWR(DRM_COMMAND_BASE + 0x09, struct vl_virtgpu_get_caps)
#define VL_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB                                                      \
   DRM_IOWR(DRM_COMMAND_BASE + 0x0a, struct vl_virtgpu_resource_create_blob)
#define VL_IOCTL_VIRTGPU_CONTEXT_INIT                                                              \
   DRM_IOWR(DRM_COMMAND_BASE + 0x0b, struct vl_virtgpu_context_init)

_Static_assert(sizeof(struct vl_virtgpu_execbuffer) == 64, "the 6.6+ execbuffer is 64 bytes");
_Static_assert(sizeof(struct vl_virtgpu_resource_create_blob) == 48, "create_blob is 48 bytes");
_Static_assert(sizeof(struct vl_virtgpu_get_caps) == 24, "get_caps is 24 bytes");

#endif
