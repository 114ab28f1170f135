/*
 * The layout of a Venus ring in shared memory (../shared/venus/ring.md), as
 * both sides of this project use it.  Each control word sits on its own
 * 64-byte line, as Mesa lays it out.
 *
 * The extra region holds two u32 words: word 0 is Mesa's round-trip sequence
 * number (written by vkWriteRingExtraMESA); word 1 is a loopback addition that
 * Venus peers never read: the number of guest threads sleeping on the head
 * word, so that our renderer wakes them after it advances the head.
 */
#ifndef VL_RING_LAYOUT_H
#define VL_RING_LAYOUT_H

#include <stdint.h>

#define VL_RING_HEAD_OFFSET   0
#define VL_RING_TAIL_OFFSET   64
#define VL_RING_STATUS_OFFSET 128
#define VL_RING_BUFFER_OFFSET 192
#define VL_RING_EXTRA_SIZE    8

/* Status bits (VkRingStatusFlagBitsMESA).  IDLE: the renderer thread is
 * going to sleep and needs a notify.  FATAL: the context is lost; nothing on
 * this ring will execute.  ALIVE: set by the renderer at least every period
 * a VkRingMonitorInfoMESA asked for (wire format 1); the guest clears it and
 * checks that it comes back. */
#define VL_RING_STATUS_IDLE  0x1u
#define VL_RING_STATUS_FATAL 0x2u
#define VL_RING_STATUS_ALIVE 0x4u

/* The largest ring buffer a Venus renderer accepts. */
#define VL_RING_MAX_BUFFER_SIZE (16u << 20)

static inline uint64_t
vl_ring_area_size(uint32_t buffer_size)
{
   return VL_RING_BUFFER_OFFSET + (uint64_t)buffer_size + VL_RING_EXTRA_SIZE;
}

#endif
