/*
 * The capture file (VL_DEBUG=capture, docs/capture.md): records one after
 * the other, each a 40-byte header and its payload, little-endian.  The
 * renderer writes them; tools/ (vl-dump, its replay, the fuzz seed maker)
 * read them.
 */
#ifndef VL_CAPTURE_FORMAT_H
#define VL_CAPTURE_FORMAT_H

#include <stdint.h>
#include <string.h>

#define VL_CAPTURE_MAGIC   "VKRD"
#define VL_CAPTURE_VERSION 1

enum vl_record_kind {
   VL_RECORD_RING = 1,     /* a ring's commands; ring: the ring's id */
   VL_RECORD_DIRECT = 2,   /* a stream submitted directly; ring: the thread's number */
   VL_RECORD_INDIRECT = 3, /* run by vkExecuteCommandStreamsMESA; ref: that stream's seq */
   VL_RECORD_REPLY = 4,    /* the replies of stream ref */
   VL_RECORD_INDEX = 5,
};

struct vl_capture_header {
   char magic[4];    /* VL_CAPTURE_MAGIC */
   uint16_t version; /* VL_CAPTURE_VERSION */
   uint16_t kind;    /* enum vl_record_kind */
   uint64_t seq;     /* per context, in file order */
   uint64_t ring;
   uint32_t length; /* payload bytes */
   uint32_t tag;    /* the context: process id << 16 | a per-process count */
   uint64_t ref;
};

#define VL_RECORD_HEADER_SIZE 40
_Static_assert(sizeof(struct vl_capture_header) == VL_RECORD_HEADER_SIZE,
               "a capture record header is 40 bytes");

static inline void
vl_capture_header_write(uint8_t out[VL_RECORD_HEADER_SIZE], uint16_t kind, uint64_t seq,
                        uint64_t ring, uint32_t length, uint32_t tag, uint64_t ref)
{
   const struct vl_capture_header h = {
      .magic = { 'V', 'K', 'R', 'D' },
      .version = VL_CAPTURE_VERSION,
      .kind = kind,
      .seq = seq,
      .ring = ring,
      .length = length,
      .tag = tag,
      .ref = ref,
   };
   memcpy(out, &h, sizeof(h));
}

static inline void
vl_capture_header_read(const uint8_t *in, struct vl_capture_header *h)
{
   memcpy(h, in, sizeof(*h));
}

#endif
