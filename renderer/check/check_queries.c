/*
 * Queries and transform feedback: lavapipe indexes a pool's array with the
 * query numbers it is given and writes every result at its stride, whatever
 * the storage's size (a vkGetQueryPoolResults with a 2^40 stride wrote
 * there).  Pools keep their size and the values of one result; query ranges,
 * result storage and copy destinations are checked against them.  Transform
 * feedback streams and buffers index fixed tables: checked against the
 * extension's limits.
 */
#include <inttypes.h>

#include "vlr_check.h"

/* lavapipe's vkDestroyQueryPool visits every query: a pool of 2^32 queries
 * would take minutes and touch 32 GiB.  Far above what applications use. */
#define MAX_QUERIES (1u << 20)

/* The statistics Vulkan 1.0 defines (bits 0..10): the host reads a fixed
 * table of counters with the index of every bit set. */
#define CORE_STATISTICS                                                                            \
   ((VkQueryPipelineStatisticFlags)VK_QUERY_PIPELINE_STATISTIC_COMPUTE_SHADER_INVOCATIONS_BIT *    \
       2 -                                                                                         \
    1)

/* The values one query's result holds (availability apart); false for a
 * type whose results the renderer cannot size. */
static bool
query_values(const VkQueryPoolCreateInfo *info, uint32_t *values)
{
   switch (info->queryType) {
   case VK_QUERY_TYPE_OCCLUSION:
   case VK_QUERY_TYPE_TIMESTAMP:
   case VK_QUERY_TYPE_PRIMITIVES_GENERATED_EXT:
      *values = 1;
      return true;
   case VK_QUERY_TYPE_TRANSFORM_FEEDBACK_STREAM_EXT:
      *values = 2; /* primitives written, storage needed */
      return true;
   case VK_QUERY_TYPE_PIPELINE_STATISTICS:
      *values = (uint32_t)__builtin_popcount(info->pipelineStatistics);
      return true;
   default:
      return false;
   }
}

bool
vlr_check_vkCreateQueryPool(struct vlr_exec *x, const struct vl_args_vkCreateQueryPool *a)
{
   const VkQueryPoolCreateInfo *info = a->pCreateInfo;
   uint32_t values;
   if (!query_values(info, &values))
      return vlr_guard(x, "query-type",
                       "query type %d is not one whose results the renderer can size",
                       (int)info->queryType);
   if (info->queryType == VK_QUERY_TYPE_PIPELINE_STATISTICS &&
       (info->pipelineStatistics & ~CORE_STATISTICS))
      return vlr_guard(x, "query-statistics",
                       "pipeline statistics 0x%x include bits the host does not count (known: "
                       "0x%x)",
                       info->pipelineStatistics, (unsigned)CORE_STATISTICS);
   if (info->queryCount > MAX_QUERIES)
      return vlr_guard(x, "query-count", "%u queries; the renderer takes at most %u per pool",
                       info->queryCount, MAX_QUERIES);
   return true;
}

void
vlr_record_vkCreateQueryPool(struct vlr_exec *x, const struct vl_args_vkCreateQueryPool *a)
{
   uint32_t values;
   if (!query_values(a->pCreateInfo, &values))
      return; /* reported, and not sized: its commands are not checked */
   struct vlr_query_pool *p = vlr_state_attach(x, (uint64_t)(uintptr_t)*a->pQueryPool,
                                               VK_OBJECT_TYPE_QUERY_POOL, sizeof(*p));
   if (!p)
      return;
   p->count = a->pCreateInfo->queryCount;
   p->values = values;
}

void
vlr_forget_vkDestroyQueryPool(struct vlr_exec *x, const struct vl_args_vkDestroyQueryPool *a)
{
   (void)a;
   vlr_state_forget(x);
}

/* Queries [first, first + count) of a pool; *pool is its state, or NULL
 * when the renderer keeps none (then nothing more is checked). */
static bool
queries_ok(struct vlr_exec *x, VkQueryPool handle, uint32_t first, uint32_t count,
           const struct vlr_query_pool **pool)
{
   const struct vlr_query_pool *p = vlr_query_pool_state(x, handle);
   if (pool)
      *pool = p;
   if (!p || (uint64_t)first + count <= p->count)
      return true;
   if (pool)
      *pool = NULL;
   return vlr_guard(x, "query-range", "queries %u..%" PRIu64 " are outside the pool's %u", first,
                    (uint64_t)first + count - 1, p->count);
}

/* Bytes of one query's result written with these flags. */
static VkDeviceSize
result_size(const struct vlr_query_pool *p, VkQueryResultFlags flags)
{
   const bool status =
      flags & (VK_QUERY_RESULT_WITH_AVAILABILITY_BIT | VK_QUERY_RESULT_WITH_STATUS_BIT_KHR);
   return (VkDeviceSize)(p->values + status) * (flags & VK_QUERY_RESULT_64_BIT ? 8 : 4);
}

bool
vlr_check_vkGetQueryPoolResults(struct vlr_exec *x, const struct vl_args_vkGetQueryPoolResults *a)
{
   const struct vlr_query_pool *p;
   if (!queries_ok(x, a->queryPool, a->firstQuery, a->queryCount, &p))
      return false;
   if (!p)
      return true;
   const VkDeviceSize size = result_size(p, a->flags);
   if (vlr_span_inside(a->dataSize, 0, a->queryCount, a->stride, size))
      return true;
   return vlr_guard(x, "query-results",
                    "%u results of %" PRIu64 " bytes, stride %" PRIu64
                    ", leave the %zu bytes of pData",
                    a->queryCount, size, a->stride, a->dataSize);
}

bool
vlr_check_vkCmdCopyQueryPoolResults(struct vlr_exec *x,
                                    const struct vl_args_vkCmdCopyQueryPoolResults *a)
{
   const struct vlr_query_pool *p;
   if (!queries_ok(x, a->queryPool, a->firstQuery, a->queryCount, &p))
      return false;
   return !p || vlr_check_buffer_range(x, "destination", a->dstBuffer, a->dstOffset, a->queryCount,
                                       a->stride, result_size(p, a->flags));
}

bool
vlr_check_vkResetQueryPool(struct vlr_exec *x, const struct vl_args_vkResetQueryPool *a)
{
   return queries_ok(x, a->queryPool, a->firstQuery, a->queryCount, NULL);
}

bool
vlr_check_vkCmdResetQueryPool(struct vlr_exec *x, const struct vl_args_vkCmdResetQueryPool *a)
{
   return queries_ok(x, a->queryPool, a->firstQuery, a->queryCount, NULL);
}

bool
vlr_check_vkCmdBeginQuery(struct vlr_exec *x, const struct vl_args_vkCmdBeginQuery *a)
{
   return queries_ok(x, a->queryPool, a->query, 1, NULL);
}

bool
vlr_check_vkCmdEndQuery(struct vlr_exec *x, const struct vl_args_vkCmdEndQuery *a)
{
   return queries_ok(x, a->queryPool, a->query, 1, NULL);
}

bool
vlr_check_vkCmdWriteTimestamp(struct vlr_exec *x, const struct vl_args_vkCmdWriteTimestamp *a)
{
   return queries_ok(x, a->queryPool, a->query, 1, NULL);
}

bool
vlr_check_vkCmdWriteTimestamp2(struct vlr_exec *x, const struct vl_args_vkCmdWriteTimestamp2 *a)
{
   return queries_ok(x, a->queryPool, a->query, 1, NULL);
}

/* ---- transform feedback ------------------------------------------------------------------- */

/* A vertex stream: lavapipe indexes its table of streams with it. */
static bool
stream_ok(struct vlr_exec *x, const struct vl_object *owner, uint32_t index)
{
   const struct vlr_device *dev = vlr_device_of(owner);
   const uint32_t streams = dev && dev->xfb_streams ? dev->xfb_streams : 1;
   return index < streams ||
          vlr_guard(x, "vertex-stream", "vertex stream %u; the device has %u", index, streams);
}

bool
vlr_check_vkCmdBeginQueryIndexedEXT(struct vlr_exec *x,
                                    const struct vl_args_vkCmdBeginQueryIndexedEXT *a)
{
   return queries_ok(x, a->queryPool, a->query, 1, NULL) && stream_ok(x, a->owner, a->index);
}

bool
vlr_check_vkCmdEndQueryIndexedEXT(struct vlr_exec *x,
                                  const struct vl_args_vkCmdEndQueryIndexedEXT *a)
{
   return queries_ok(x, a->queryPool, a->query, 1, NULL) && stream_ok(x, a->owner, a->index);
}

bool
vlr_check_vkCmdSetRasterizationStreamEXT(struct vlr_exec *x,
                                         const struct vl_args_vkCmdSetRasterizationStreamEXT *a)
{
   return stream_ok(x, a->owner, a->rasterizationStream);
}

/* Transform feedback buffers [first, first + count): its table of them. */
static bool
xfb_buffers_ok(struct vlr_exec *x, const struct vl_object *owner, uint32_t first, uint32_t count)
{
   const struct vlr_device *dev = vlr_device_of(owner);
   return vlr_check_index(x, "transform feedback buffers", first, count,
                          dev ? dev->xfb_buffers : 0);
}

bool
vlr_check_vkCmdBindTransformFeedbackBuffersEXT(
   struct vlr_exec *x, const struct vl_args_vkCmdBindTransformFeedbackBuffersEXT *a)
{
   if (!xfb_buffers_ok(x, a->owner, a->firstBinding, a->bindingCount))
      return false;
   for (uint32_t i = 0; a->pBuffers && i < a->bindingCount; i++) {
      const VkDeviceSize size =
         a->pSizes && a->pSizes[i] != VK_WHOLE_SIZE ? a->pSizes[i] : (VkDeviceSize)0;
      if (!vlr_check_buffer_range(x, "transform feedback", a->pBuffers[i],
                                  a->pOffsets ? a->pOffsets[i] : 0, 1, 0, size))
         return false;
   }
   return true;
}

/* The counter buffers of vkCmdBegin/EndTransformFeedbackEXT: their slots,
 * and the 4 bytes the host reads or writes in each. */
static bool
xfb_counters_ok(struct vlr_exec *x, const struct vl_object *owner, uint32_t first, uint32_t count,
                const VkBuffer *buffers, const VkDeviceSize *offsets)
{
   if (!xfb_buffers_ok(x, owner, first, count))
      return false;
   for (uint32_t i = 0; buffers && i < count; i++) {
      if (buffers[i] && !vlr_check_buffer_range(x, "counter", buffers[i], offsets ? offsets[i] : 0,
                                                1, 0, sizeof(uint32_t)))
         return false;
   }
   return true;
}

bool
vlr_check_vkCmdBeginTransformFeedbackEXT(struct vlr_exec *x,
                                         const struct vl_args_vkCmdBeginTransformFeedbackEXT *a)
{
   return xfb_counters_ok(x, a->owner, a->firstCounterBuffer, a->counterBufferCount,
                          a->pCounterBuffers, a->pCounterBufferOffsets);
}

bool
vlr_check_vkCmdEndTransformFeedbackEXT(struct vlr_exec *x,
                                       const struct vl_args_vkCmdEndTransformFeedbackEXT *a)
{
   return xfb_counters_ok(x, a->owner, a->firstCounterBuffer, a->counterBufferCount,
                          a->pCounterBuffers, a->pCounterBufferOffsets);
}

bool
vlr_check_vkCmdDrawIndirectByteCountEXT(struct vlr_exec *x,
                                        const struct vl_args_vkCmdDrawIndirectByteCountEXT *a)
{
   if (!a->vertexStride &&
       !vlr_guard(x, "vertex-stride", "a vertex stride of 0 (the byte count is divided by it)"))
      return false;
   return vlr_check_buffer_range(x, "counter", a->counterBuffer, a->counterBufferOffset, 1, 0,
                                 sizeof(uint32_t));
}
