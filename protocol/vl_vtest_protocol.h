/*
 * The vtest socket protocol as Venus peers speak it (../shared/venus/vtest.md):
 * message framing, command ids and the venus capset, shared by the vtest
 * transport (client), the vtest server (tools/vtest) and the tests that talk
 * to a server raw.
 *
 * Every message is two u32 words, a length in 32-bit words (in bytes for
 * CREATE_RENDERER) and a command id, followed by the payload.  File
 * descriptors travel as SCM_RIGHTS on one dummy byte right after a reply.
 *
 * Two additions are loopback-private and negotiated, so that neither side
 * ever sends them to a peer that does not know them: a GET_PARAM a foreign
 * server answers "invalid", and an error report our server sends before it
 * closes the connection of a client that asked for that parameter.
 */
#ifndef VL_VTEST_PROTOCOL_H
#define VL_VTEST_PROTOCOL_H

#include <stdint.h>

#define VL_VTEST_DEFAULT_SOCKET "/tmp/.virgl_test"
/* How long the guest waits for an answer before it counts the server as gone
 * (VL_VTEST_TIMEOUT): virglrenderer 1.x keeps the socket of a context it
 * marked fatal open and never answers again. */
#define VL_VTEST_DEFAULT_TIMEOUT_S 60u

#define VL_VTEST_HDR_SIZE 2 /* words */
#define VL_VTEST_CMD_LEN  0
#define VL_VTEST_CMD_ID   1

enum vl_vtest_cmd {
   VL_VCMD_GET_CAPS = 1,
   VL_VCMD_RESOURCE_CREATE = 2,
   VL_VCMD_RESOURCE_UNREF = 3,
   VL_VCMD_TRANSFER_GET = 4,
   VL_VCMD_TRANSFER_PUT = 5,
   VL_VCMD_SUBMIT_CMD = 6,
   VL_VCMD_RESOURCE_BUSY_WAIT = 7,
   VL_VCMD_CREATE_RENDERER = 8,
   VL_VCMD_GET_CAPS2 = 9,
   VL_VCMD_PING_PROTOCOL_VERSION = 10,
   VL_VCMD_PROTOCOL_VERSION = 11,
   VL_VCMD_RESOURCE_CREATE2 = 12,
   VL_VCMD_TRANSFER_GET2 = 13,
   VL_VCMD_TRANSFER_PUT2 = 14,
   VL_VCMD_GET_PARAM = 15,
   VL_VCMD_GET_CAPSET = 16,
   VL_VCMD_CONTEXT_INIT = 17,
   VL_VCMD_RESOURCE_CREATE_BLOB = 18,
   VL_VCMD_SYNC_CREATE = 19,
   VL_VCMD_SYNC_UNREF = 20,
   VL_VCMD_SYNC_READ = 21,
   VL_VCMD_SYNC_WRITE = 22,
   VL_VCMD_SYNC_WAIT = 23,
   VL_VCMD_SUBMIT_CMD2 = 24,
   /* loopback-private: the server's last message before it closes the
    * connection, a NUL-terminated reason padded to whole words (only to
    * clients that asked for VL_VCMD_PARAM_LOOPBACK) */
   VL_VCMD_LOOPBACK_ERROR = 0x564C0001,
   /* loopback-private: the reply to a RESOURCE_CREATE_BLOB of device memory
    * that cannot be shared is res_id 0, no fd, then this message with the
    * reason (same form); the connection stays open */
   VL_VCMD_LOOPBACK_BLOB_REFUSED = 0x564C0002,
};

/* The protocol version Venus needs (syncs, blobs, SUBMIT_CMD2, capsets). */
#define VL_VTEST_PROTOCOL_VERSION 3

#define VL_VCMD_PARAM_MAX_TIMELINE_COUNT 1
/* loopback-private parameter: a foreign server answers "invalid"; ours
 * answers the VL_VTEST_LOOPBACK_* feature bits */
#define VL_VCMD_PARAM_LOOPBACK 0x564C0001u
/* host-visible VkDeviceMemory can be shared as a mappable fd (HOST3D blob) */
#define VL_VTEST_LOOPBACK_MAPPABLE_MEMORY 0x1u
/* fatal errors are reported with VL_VCMD_LOOPBACK_ERROR before closing */
#define VL_VTEST_LOOPBACK_ERROR_REPORTS 0x2u

#define VL_VCMD_BLOB_TYPE_GUEST        1
#define VL_VCMD_BLOB_TYPE_HOST3D       2
#define VL_VCMD_BLOB_TYPE_HOST3D_GUEST 3

#define VL_VCMD_BLOB_FLAG_MAPPABLE     0x1u
#define VL_VCMD_BLOB_FLAG_SHAREABLE    0x2u
#define VL_VCMD_BLOB_FLAG_CROSS_DEVICE 0x4u

#define VL_VCMD_SUBMIT_CMD2_FLAG_RING_IDX 0x1u
/* words of one batch header as recent Mesa writes it (the 2021 Mesa wrote 8) */
#define VL_VCMD_SUBMIT_CMD2_BATCH_WORDS 6

#define VL_VCMD_SYNC_WAIT_FLAG_ANY 0x1u

#define VL_VIRGL_RENDERER_CAPSET_VENUS 4

/* struct virgl_renderer_capset_venus as it travels (u32 little-endian
 * fields): 156 bytes from virglrenderer 0.10.4 (wire format 0), 160 from
 * 1.x (wire format 1, use_guest_vram added).  A server may send a longer
 * one (its tail is dropped) but never one shorter than 156 bytes. */
struct vl_vtest_capset_venus {
   uint32_t wire_format_version;
   uint32_t vk_xml_version;
   uint32_t vk_ext_command_serialization_spec_version;
   uint32_t vk_mesa_venus_protocol_spec_version;
   uint32_t supports_blob_id_0;
   uint32_t vk_extension_mask1[32];
   uint32_t allow_vk_wait_syncs;
   uint32_t supports_multiple_timelines;
   uint32_t use_guest_vram; /* wire format 1 */
};

#define VL_VTEST_CAPSET_VENUS_MIN_SIZE 156u

_Static_assert(sizeof(struct vl_vtest_capset_venus) == 160, "the venus capset is 160 bytes");

/* Timelines a server offers (vtest's VCMD_PARAM_MAX_TIMELINE_COUNT): ring
 * index 0 is the CPU timeline, 1 ... 63 the VkQueues a guest binds with
 * VkDeviceQueueTimelineInfoMESA (virglrenderer and Mesa use 64). */
#define VL_VTEST_MAX_TIMELINE_COUNT 64u

#endif
