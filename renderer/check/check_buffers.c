/*
 * Buffers: sizes and bound memory, and every command that addresses a
 * buffer by offset (copies, fills, updates, indirect draws and dispatches,
 * index and vertex buffers, views, conditional rendering).
 */
#include <inttypes.h>
#include <stdlib.h>

#include "vlr_check.h"

bool
vlr_check_buffer_range(struct vlr_exec *x, const char *role, VkBuffer handle, VkDeviceSize offset,
                       uint64_t count, uint64_t stride, VkDeviceSize size)
{
   return vlr_check_buffer_state_range(x, role, vlr_buffer_state(x, handle), offset, count, stride,
                                       size);
}

bool
vlr_check_buffer_state_range(struct vlr_exec *x, const char *role, const struct vlr_buffer *b,
                             VkDeviceSize offset, uint64_t count, uint64_t stride,
                             VkDeviceSize size)
{
   if (!b)
      return vlr_guard(x, "buffer-unknown", "the %s buffer is VK_NULL_HANDLE or unknown", role);
   if (b->sparse)
      return true;
   if (!b->bound)
      return vlr_guard(x, "buffer-unbound", "the %s buffer has no memory bound", role);
   if (vlr_span_inside(b->size, offset, count, stride, size))
      return true;
   if (count == 1)
      return vlr_guard(x, "buffer-range",
                       "the %s range (%" PRIu64 " bytes at offset %" PRIu64
                       ") leaves the buffer's %" PRIu64 " bytes",
                       role, size, offset, b->size);
   return vlr_guard(x, "buffer-range",
                    "the %s range (%" PRIu64 " records of %" PRIu64 " bytes, stride %" PRIu64
                    ", at offset %" PRIu64 ") leaves the buffer's %" PRIu64 " bytes",
                    role, count, size, stride, offset, b->size);
}

/* ---- creation, memory ------------------------------------------------------------------- */

void
vlr_record_vkCreateBuffer(struct vlr_exec *x, const struct vl_args_vkCreateBuffer *a)
{
   struct vlr_buffer *b =
      vlr_state_attach(x, (uint64_t)(uintptr_t)*a->pBuffer, VK_OBJECT_TYPE_BUFFER, sizeof(*b));
   if (!b)
      return;
   b->size = a->pCreateInfo->size;
   b->sparse = a->pCreateInfo->flags & VK_BUFFER_CREATE_SPARSE_BINDING_BIT;
}

void
vlr_forget_vkDestroyBuffer(struct vlr_exec *x, const struct vl_args_vkDestroyBuffer *a)
{
   (void)a;
   vlr_state_forget(x);
}

static bool
bind_ok(struct vlr_exec *x, VkBuffer buffer, VkDeviceMemory memory, VkDeviceSize offset)
{
   const struct vlr_buffer *b = vlr_buffer_state(x, buffer);
   const struct vlr_memory *mem = VLR_STATE(x, VK_OBJECT_TYPE_DEVICE_MEMORY, memory);
   if (!b || !mem)
      return vlr_guard(x, "bind-unknown", "a VK_NULL_HANDLE or unknown buffer or memory");
   if (b->bound)
      return vlr_guard(x, "bind-twice", "the buffer already has memory");
   if (!vlr_span_inside(mem->size, offset, 1, 0, b->size))
      return vlr_guard(x, "bind-range",
                       "a %" PRIu64 "-byte buffer at offset %" PRIu64
                       " leaves the memory's %" PRIu64 " bytes",
                       b->size, offset, mem->size);
   return true;
}

static void
mark_bound(struct vlr_exec *x, VkBuffer buffer)
{
   struct vlr_buffer *b = vlr_buffer_state(x, buffer);
   if (b)
      b->bound = true;
}

bool
vlr_check_vkBindBufferMemory(struct vlr_exec *x, const struct vl_args_vkBindBufferMemory *a)
{
   return bind_ok(x, a->buffer, a->memory, a->memoryOffset);
}

void
vlr_record_vkBindBufferMemory(struct vlr_exec *x, const struct vl_args_vkBindBufferMemory *a)
{
   mark_bound(x, a->buffer);
}

bool
vlr_check_vkBindBufferMemory2(struct vlr_exec *x, const struct vl_args_vkBindBufferMemory2 *a)
{
   for (uint32_t i = 0; i < a->bindInfoCount; i++) {
      const VkBindBufferMemoryInfo *b = &a->pBindInfos[i];
      if (!bind_ok(x, b->buffer, b->memory, b->memoryOffset))
         return false;
   }
   return true;
}

void
vlr_record_vkBindBufferMemory2(struct vlr_exec *x, const struct vl_args_vkBindBufferMemory2 *a)
{
   for (uint32_t i = 0; i < a->bindInfoCount; i++)
      mark_bound(x, a->pBindInfos[i].buffer);
}

bool
vlr_check_vkCreateBufferView(struct vlr_exec *x, const struct vl_args_vkCreateBufferView *a)
{
   const VkBufferViewCreateInfo *info = a->pCreateInfo;
   return vlr_check_buffer_range(x, "viewed", info->buffer, info->offset, 1, 0,
                                 info->range == VK_WHOLE_SIZE ? 0 : info->range);
}

/* ---- transfers ---------------------------------------------------------------------------- */

bool
vlr_check_vkCmdUpdateBuffer(struct vlr_exec *x, const struct vl_args_vkCmdUpdateBuffer *a)
{
   return vlr_check_buffer_range(x, "destination", a->dstBuffer, a->dstOffset, 1, 0, a->dataSize);
}

bool
vlr_check_vkCmdFillBuffer(struct vlr_exec *x, const struct vl_args_vkCmdFillBuffer *a)
{
   return vlr_check_buffer_range(x, "destination", a->dstBuffer, a->dstOffset, 1, 0,
                                 a->size == VK_WHOLE_SIZE ? 0 : a->size);
}

/* Intervals [offset, offset + size), sorted by offset. */
struct interval {
   VkDeviceSize offset, size;
};

static int
interval_cmp(const void *a, const void *b)
{
   const struct interval *p = a, *q = b;
   return p->offset < q->offset ? -1 : p->offset > q->offset;
}

/* Whether any of a[] meets any of b[] (both sorted in place). */
static bool
intervals_meet(struct interval *a, size_t na, struct interval *b, size_t nb)
{
   qsort(a, na, sizeof(*a), interval_cmp);
   qsort(b, nb, sizeof(*b), interval_cmp);
   for (size_t i = 0, j = 0; i < na && j < nb;) {
      if (a[i].size && b[j].size && a[i].offset < b[j].offset + b[j].size &&
          b[j].offset < a[i].offset + a[i].size)
         return true;
      if (a[i].offset + a[i].size <= b[j].offset + b[j].size)
         i++;
      else
         j++;
   }
   return false;
}

/* A copy within one buffer: the union of the sources and the union of the
 * destinations must not meet (VUID-vkCmdCopyBuffer-pRegions-00117; the host
 * copies with memcpy).  n regions at src/dst/size, stride bytes apart; the
 * ranges were checked to lie inside the buffer, so sums cannot overflow. */
static bool
copy_within_ok(struct vlr_exec *x, uint32_t n, const VkDeviceSize *src, const VkDeviceSize *dst,
               const VkDeviceSize *size, size_t stride)
{
   if (!n)
      return true;
   struct interval *iv = calloc(2 * (size_t)n, sizeof(*iv));
   if (!iv) {
      vlr_exec_fail(x, "out of memory checking a copy");
      return false;
   }
   for (uint32_t i = 0; i < n; i++) {
      const size_t at = i * stride;
      const VkDeviceSize sz = *(const VkDeviceSize *)((const char *)size + at);
      iv[i] = (struct interval){ *(const VkDeviceSize *)((const char *)src + at), sz };
      iv[n + i] = (struct interval){ *(const VkDeviceSize *)((const char *)dst + at), sz };
   }
   const bool meet = intervals_meet(iv, n, iv + n, n);
   free(iv);
   return !meet || vlr_guard(x, "copy-overlap",
                             "a copy within one buffer whose source and destination overlap");
}

bool
vlr_check_vkCmdCopyBuffer(struct vlr_exec *x, const struct vl_args_vkCmdCopyBuffer *a)
{
   for (uint32_t i = 0; i < a->regionCount; i++) {
      const VkBufferCopy *r = &a->pRegions[i];
      if (!vlr_check_buffer_range(x, "source", a->srcBuffer, r->srcOffset, 1, 0, r->size) ||
          !vlr_check_buffer_range(x, "destination", a->dstBuffer, r->dstOffset, 1, 0, r->size))
         return false;
   }
   return a->srcBuffer != a->dstBuffer || !a->regionCount ||
          copy_within_ok(x, a->regionCount, &a->pRegions[0].srcOffset, &a->pRegions[0].dstOffset,
                         &a->pRegions[0].size, sizeof(VkBufferCopy));
}

bool
vlr_check_vkCmdCopyBuffer2(struct vlr_exec *x, const struct vl_args_vkCmdCopyBuffer2 *a)
{
   const VkCopyBufferInfo2 *info = a->pCopyBufferInfo;
   for (uint32_t i = 0; i < info->regionCount; i++) {
      const VkBufferCopy2 *r = &info->pRegions[i];
      if (!vlr_check_buffer_range(x, "source", info->srcBuffer, r->srcOffset, 1, 0, r->size) ||
          !vlr_check_buffer_range(x, "destination", info->dstBuffer, r->dstOffset, 1, 0, r->size))
         return false;
   }
   return info->srcBuffer != info->dstBuffer || !info->regionCount ||
          copy_within_ok(x, info->regionCount, &info->pRegions[0].srcOffset,
                         &info->pRegions[0].dstOffset, &info->pRegions[0].size,
                         sizeof(VkBufferCopy2));
}

/* ---- indirect commands -------------------------------------------------------------------- */

bool
vlr_check_vkCmdDrawIndirect(struct vlr_exec *x, const struct vl_args_vkCmdDrawIndirect *a)
{
   return vlr_check_buffer_range(x, "indirect", a->buffer, a->offset, a->drawCount, a->stride,
                                 sizeof(VkDrawIndirectCommand));
}

bool
vlr_check_vkCmdDrawIndexedIndirect(struct vlr_exec *x,
                                   const struct vl_args_vkCmdDrawIndexedIndirect *a)
{
   return vlr_check_buffer_range(x, "indirect", a->buffer, a->offset, a->drawCount, a->stride,
                                 sizeof(VkDrawIndexedIndirectCommand));
}

bool
vlr_check_vkCmdDrawIndirectCount(struct vlr_exec *x, const struct vl_args_vkCmdDrawIndirectCount *a)
{
   return vlr_check_buffer_range(x, "indirect", a->buffer, a->offset, a->maxDrawCount, a->stride,
                                 sizeof(VkDrawIndirectCommand)) &&
          vlr_check_buffer_range(x, "count", a->countBuffer, a->countBufferOffset, 1, 0,
                                 sizeof(uint32_t));
}

bool
vlr_check_vkCmdDrawIndexedIndirectCount(struct vlr_exec *x,
                                        const struct vl_args_vkCmdDrawIndexedIndirectCount *a)
{
   return vlr_check_buffer_range(x, "indirect", a->buffer, a->offset, a->maxDrawCount, a->stride,
                                 sizeof(VkDrawIndexedIndirectCommand)) &&
          vlr_check_buffer_range(x, "count", a->countBuffer, a->countBufferOffset, 1, 0,
                                 sizeof(uint32_t));
}

bool
vlr_check_vkCmdDispatchIndirect(struct vlr_exec *x, const struct vl_args_vkCmdDispatchIndirect *a)
{
   return vlr_check_buffer_range(x, "indirect", a->buffer, a->offset, 1, 0,
                                 sizeof(VkDispatchIndirectCommand));
}

bool
vlr_check_vkCmdBeginConditionalRenderingEXT(
   struct vlr_exec *x, const struct vl_args_vkCmdBeginConditionalRenderingEXT *a)
{
   const VkConditionalRenderingBeginInfoEXT *info = a->pConditionalRenderingBegin;
   return vlr_check_buffer_range(x, "condition", info->buffer, info->offset, 1, 0,
                                 sizeof(uint32_t));
}

/* ---- index and vertex buffers ------------------------------------------------------------ */

bool
vlr_check_vkCmdBindIndexBuffer(struct vlr_exec *x, const struct vl_args_vkCmdBindIndexBuffer *a)
{
   return vlr_check_buffer_range(x, "index", a->buffer, a->offset, 1, 0, 1);
}

/* Bindings [first, first + count) of the host's table, and each buffer's
 * offset (and size) inside it. */
static bool
vertex_buffers_ok(struct vlr_exec *x, const struct vl_object *owner, uint32_t first, uint32_t count,
                  const VkBuffer *buffers, const VkDeviceSize *offsets, const VkDeviceSize *sizes)
{
   const VkPhysicalDeviceLimits *l = vlr_limits_of(owner);
   if (l && !vlr_check_index(x, "vertex bindings", first, count, l->maxVertexInputBindings))
      return false;
   for (uint32_t i = 0; buffers && i < count; i++) {
      const VkDeviceSize size = sizes && sizes[i] != VK_WHOLE_SIZE ? sizes[i] : (VkDeviceSize)1;
      if (buffers[i] &&
          !vlr_check_buffer_range(x, "vertex", buffers[i], offsets ? offsets[i] : 0, 1, 0, size))
         return false;
   }
   return true;
}

bool
vlr_check_vkCmdBindVertexBuffers(struct vlr_exec *x, const struct vl_args_vkCmdBindVertexBuffers *a)
{
   return vertex_buffers_ok(x, a->owner, a->firstBinding, a->bindingCount, a->pBuffers, a->pOffsets,
                            NULL);
}

bool
vlr_check_vkCmdBindVertexBuffers2(struct vlr_exec *x,
                                  const struct vl_args_vkCmdBindVertexBuffers2 *a)
{
   return vertex_buffers_ok(x, a->owner, a->firstBinding, a->bindingCount, a->pBuffers, a->pOffsets,
                            a->pSizes);
}
