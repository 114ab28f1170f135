/*
 * Buffer ranges the host driver trusts.
 *
 * A driver takes valid usage as given: lavapipe executes vkCmdUpdateBuffer
 * with an offset past the end of the buffer as a memcpy past the end of the
 * memory, in this process (the renderer fuzzer found exactly that).  So the
 * renderer keeps what it needs to check the commands that address buffer
 * memory by offset: each buffer's size (vkCreateBuffer) and whether memory
 * large enough for it is bound (vkBindBufferMemory*, checked against the
 * allocation's size).  A command whose range leaves the buffer, or that uses
 * a buffer without memory, loses the context before the host sees it.
 *
 * The generator calls vlr_bounds_before/after for the commands listed in
 * protocol/gen/emit_renderer.py (BOUNDS_BEFORE, BOUNDS_AFTER).  Not covered
 * (the host driver still trusts them): the buffer side of buffer<->image
 * copies, image regions, descriptor ranges, the index and vertex ranges a
 * draw reads, and memory freed while a recorded command buffer still uses it.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "vl_protocol_defs.h"
#include "vlr_bounds.h"
#include "vlr_context.h"

/* obj->data of a VK_OBJECT_TYPE_BUFFER (freed with the object) */
struct vlr_buffer {
   VkDeviceSize size;
   bool sparse; /* bound through sparse binding: not tracked here */
   bool bound;
};

static const struct vlr_buffer *
buffer_of(struct vlr_exec *x, VkBuffer handle)
{
   const struct vl_object *obj =
      handle ? vl_object_table_lookup_host(&x->ctx->objects, VK_OBJECT_TYPE_BUFFER,
                                           (uint64_t)(uintptr_t)handle)
             : NULL;
   return obj ? obj->data : NULL;
}

/* [offset, offset + count * stride - stride + size) inside a buffer of
 * `total` bytes, without overflow; count 0 is an empty range at offset. */
static bool
span_inside(VkDeviceSize total, VkDeviceSize offset, uint64_t count, uint64_t stride,
            VkDeviceSize size)
{
   if (offset > total)
      return false;
   if (!count)
      return true;
   const VkDeviceSize left = total - offset;
   if (size > left)
      return false;
   return !stride || (count - 1) <= (left - size) / stride;
}

/* A buffer the command reads or writes through [offset, ... size): it must
 * exist, have memory and hold the range.  `role` names the buffer in the
 * message ("destination", "count buffer", ...). */
static bool
check(struct vlr_exec *x, const char *role, VkBuffer handle, VkDeviceSize offset, uint64_t count,
      uint64_t stride, VkDeviceSize size)
{
   const struct vlr_buffer *b = buffer_of(x, handle);
   if (!b) {
      vlr_exec_failf(x, "the %s buffer is unknown", role);
      return false;
   }
   if (b->sparse)
      return true;
   if (!b->bound) {
      vlr_exec_failf(x, "the %s buffer has no memory bound", role);
      return false;
   }
   if (span_inside(b->size, offset, count, stride, size))
      return true;
   if (count == 1)
      vlr_exec_failf(x,
                     "the %s range (%" PRIu64 " bytes at offset %" PRIu64
                     ") leaves the buffer's %" PRIu64 " bytes",
                     role, size, offset, b->size);
   else
      vlr_exec_failf(x,
                     "the %s range (%" PRIu64 " records of %" PRIu64 " bytes, stride %" PRIu64
                     ", at offset %" PRIu64 ") leaves the buffer's %" PRIu64 " bytes",
                     role, count, size, stride, offset, b->size);
   return false;
}

static bool
check_bind(struct vlr_exec *x, VkBuffer buffer, VkDeviceMemory memory, VkDeviceSize offset)
{
   const struct vlr_buffer *b = buffer_of(x, buffer);
   const struct vl_object *m =
      memory ? vl_object_table_lookup_host(&x->ctx->objects, VK_OBJECT_TYPE_DEVICE_MEMORY,
                                           (uint64_t)(uintptr_t)memory)
             : NULL;
   const struct vlr_memory *mem = m ? m->data : NULL;
   if (!b || !mem) {
      vlr_exec_fail(x, "unknown buffer or memory");
      return false;
   }
   if (b->bound) {
      vlr_exec_fail(x, "the buffer already has memory");
      return false;
   }
   if (!span_inside(mem->size, offset, 1, 0, b->size)) {
      vlr_exec_failf(
         x, "a %" PRIu64 "-byte buffer at offset %" PRIu64 " leaves the memory's %" PRIu64 " bytes",
         b->size, offset, mem->size);
      return false;
   }
   return true;
}

static void
mark_bound(struct vlr_exec *x, VkBuffer buffer)
{
   struct vlr_buffer *b = (struct vlr_buffer *)buffer_of(x, buffer);
   if (b)
      b->bound = true;
}

bool
vlr_bounds_before(struct vlr_exec *x, int32_t id, const void *args)
{
   switch (id) {
   case VL_CMD_vkDestroyBuffer:
      if (x->destroyed) {
         free(x->destroyed->data);
         x->destroyed->data = NULL;
      }
      return true;
   case VL_CMD_vkBindBufferMemory: {
      const struct vl_args_vkBindBufferMemory *a = args;
      return check_bind(x, a->buffer, a->memory, a->memoryOffset);
   }
   case VL_CMD_vkBindBufferMemory2: {
      const struct vl_args_vkBindBufferMemory2 *a = args;
      for (uint32_t i = 0; i < a->bindInfoCount; i++) {
         const VkBindBufferMemoryInfo *b = &a->pBindInfos[i];
         if (!check_bind(x, b->buffer, b->memory, b->memoryOffset))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdUpdateBuffer: {
      const struct vl_args_vkCmdUpdateBuffer *a = args;
      return check(x, "destination", a->dstBuffer, a->dstOffset, 1, 0, a->dataSize);
   }
   case VL_CMD_vkCmdFillBuffer: {
      const struct vl_args_vkCmdFillBuffer *a = args;
      return check(x, "destination", a->dstBuffer, a->dstOffset, 1, 0,
                   a->size == VK_WHOLE_SIZE ? 0 : a->size);
   }
   case VL_CMD_vkCmdCopyBuffer: {
      const struct vl_args_vkCmdCopyBuffer *a = args;
      for (uint32_t i = 0; i < a->regionCount; i++) {
         const VkBufferCopy *r = &a->pRegions[i];
         if (!check(x, "source", a->srcBuffer, r->srcOffset, 1, 0, r->size) ||
             !check(x, "destination", a->dstBuffer, r->dstOffset, 1, 0, r->size))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdCopyBuffer2: {
      const VkCopyBufferInfo2 *info =
         ((const struct vl_args_vkCmdCopyBuffer2 *)args)->pCopyBufferInfo;
      for (uint32_t i = 0; i < info->regionCount; i++) {
         const VkBufferCopy2 *r = &info->pRegions[i];
         if (!check(x, "source", info->srcBuffer, r->srcOffset, 1, 0, r->size) ||
             !check(x, "destination", info->dstBuffer, r->dstOffset, 1, 0, r->size))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdDrawIndirect: {
      const struct vl_args_vkCmdDrawIndirect *a = args;
      return check(x, "indirect", a->buffer, a->offset, a->drawCount, a->stride,
                   sizeof(VkDrawIndirectCommand));
   }
   case VL_CMD_vkCmdDrawIndexedIndirect: {
      const struct vl_args_vkCmdDrawIndexedIndirect *a = args;
      return check(x, "indirect", a->buffer, a->offset, a->drawCount, a->stride,
                   sizeof(VkDrawIndexedIndirectCommand));
   }
   case VL_CMD_vkCmdDrawIndirectCount: {
      const struct vl_args_vkCmdDrawIndirectCount *a = args;
      return check(x, "indirect", a->buffer, a->offset, a->maxDrawCount, a->stride,
                   sizeof(VkDrawIndirectCommand)) &&
             check(x, "count", a->countBuffer, a->countBufferOffset, 1, 0, sizeof(uint32_t));
   }
   case VL_CMD_vkCmdDrawIndexedIndirectCount: {
      const struct vl_args_vkCmdDrawIndexedIndirectCount *a = args;
      return check(x, "indirect", a->buffer, a->offset, a->maxDrawCount, a->stride,
                   sizeof(VkDrawIndexedIndirectCommand)) &&
             check(x, "count", a->countBuffer, a->countBufferOffset, 1, 0, sizeof(uint32_t));
   }
   case VL_CMD_vkCmdDispatchIndirect: {
      const struct vl_args_vkCmdDispatchIndirect *a = args;
      return check(x, "indirect", a->buffer, a->offset, 1, 0, sizeof(VkDispatchIndirectCommand));
   }
   case VL_CMD_vkCmdCopyQueryPoolResults: {
      /* The smallest result a query writes; pipeline statistics write more,
       * which the pool's type would tell (not tracked). */
      const struct vl_args_vkCmdCopyQueryPoolResults *a = args;
      const VkDeviceSize value = a->flags & VK_QUERY_RESULT_64_BIT ? 8 : 4;
      const VkDeviceSize n = a->flags & VK_QUERY_RESULT_WITH_AVAILABILITY_BIT ? 2 : 1;
      return check(x, "destination", a->dstBuffer, a->dstOffset, a->queryCount, a->stride,
                   value * n);
   }
   case VL_CMD_vkCmdBindIndexBuffer: {
      const struct vl_args_vkCmdBindIndexBuffer *a = args;
      return check(x, "index", a->buffer, a->offset, 1, 0, 1);
   }
   case VL_CMD_vkCmdBindVertexBuffers: {
      const struct vl_args_vkCmdBindVertexBuffers *a = args;
      for (uint32_t i = 0; i < a->bindingCount; i++) {
         if (a->pBuffers[i] && !check(x, "vertex", a->pBuffers[i], a->pOffsets[i], 1, 0, 1))
            return false;
      }
      return true;
   }
   case VL_CMD_vkCmdBindVertexBuffers2: {
      const struct vl_args_vkCmdBindVertexBuffers2 *a = args;
      for (uint32_t i = 0; i < a->bindingCount; i++) {
         const VkDeviceSize size =
            a->pSizes && a->pSizes[i] != VK_WHOLE_SIZE ? a->pSizes[i] : (VkDeviceSize)1;
         if (a->pBuffers[i] && !check(x, "vertex", a->pBuffers[i], a->pOffsets[i], 1, 0, size))
            return false;
      }
      return true;
   }
   default:
      return true;
   }
}

void
vlr_bounds_after(struct vlr_exec *x, int32_t id, const void *args)
{
   switch (id) {
   case VL_CMD_vkCreateBuffer: {
      const struct vl_args_vkCreateBuffer *a = args;
      if (a->ret != VK_SUCCESS)
         return;
      struct vl_object *obj =
         vl_object_table_lookup(&x->ctx->objects, (uint64_t)(uintptr_t)*a->pBuffer);
      struct vlr_buffer *b = obj ? calloc(1, sizeof(*b)) : NULL;
      if (!b) {
         vlr_exec_fail(x, "out of memory for the buffer's bookkeeping");
         return;
      }
      b->size = a->pCreateInfo->size;
      b->sparse = a->pCreateInfo->flags & VK_BUFFER_CREATE_SPARSE_BINDING_BIT;
      obj->data = b;
      return;
   }
   case VL_CMD_vkBindBufferMemory: {
      const struct vl_args_vkBindBufferMemory *a = args;
      if (a->ret == VK_SUCCESS)
         mark_bound(x, a->buffer);
      return;
   }
   case VL_CMD_vkBindBufferMemory2: {
      const struct vl_args_vkBindBufferMemory2 *a = args;
      if (a->ret == VK_SUCCESS)
         for (uint32_t i = 0; i < a->bindInfoCount; i++)
            mark_bound(x, a->pBindInfos[i].buffer);
      return;
   }
   default:
      return;
   }
}
