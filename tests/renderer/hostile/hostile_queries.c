/*
 * Queries and transform feedback (renderer/check/check_queries.c).
 */
#include "hostile.h"

/* ---- queries ----------------------------------------------------------------------- */

#define QUERIES 0x430

static void
create_query_pool_on(VkDevice dev, VkQueryType type, VkQueryPipelineStatisticFlags statistics,
                     uint32_t count)
{
   const VkQueryPoolCreateInfo info = { .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                        .queryType = type,
                                        .queryCount = count,
                                        .pipelineStatistics = statistics };
   VkQueryPool pool = (VkQueryPool)(uintptr_t)QUERIES;
   vl_encode_vkCreateQueryPool(&g.enc, 0, dev, &info, NULL, &pool);
}

static void
create_query_pool(VkQueryType type, VkQueryPipelineStatisticFlags statistics, uint32_t count)
{
   create_query_pool_on(device(), type, statistics, count);
}

/* A device with the core features at `features` (VkPhysicalDeviceFeatures2,
 * or a feature structure) and hostQueryReset enabled: its id. */
static VkDevice
query_device(const char *extension, void *features)
{
   VkPhysicalDeviceHostQueryResetFeatures reset = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_HOST_QUERY_RESET_FEATURES,
      .pNext = features,
      .hostQueryReset = VK_TRUE,
   };
   const VkDevice dev = H(VkDevice, new_id());
   create_device((uint64_t)(uintptr_t)dev, extension, &reset);
   return dev;
}

/* A query pool of `dev`: its id. */
static VkQueryPool
query_pool_on(VkDevice dev, VkQueryType type, VkQueryPipelineStatisticFlags statistics,
              uint32_t count)
{
   const VkQueryPoolCreateInfo info = { .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                        .queryType = type,
                                        .queryCount = count,
                                        .pipelineStatistics = statistics };
   VkQueryPool pool = H(VkQueryPool, new_id());
   vl_encode_vkCreateQueryPool(&g.enc, 0, dev, &info, NULL, &pool);
   return pool;
}

#define XFB_DEVICE 0x440
#define XFB_POOL   0x441
#define XFB_CB     0x442

/* A second device, with VK_EXT_transform_feedback enabled, and a command
 * buffer of it in the recording state. */
static VkCommandBuffer
transform_feedback_recording(void)
{
   const float priority = 1.0f;
   const VkDeviceQueueCreateInfo qci = { .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                         .queueCount = 1,
                                         .pQueuePriorities = &priority };
   const char *ext = VK_EXT_TRANSFORM_FEEDBACK_EXTENSION_NAME;
   const VkDeviceCreateInfo dci = { .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                    .queueCreateInfoCount = 1,
                                    .pQueueCreateInfos = &qci,
                                    .enabledExtensionCount = 1,
                                    .ppEnabledExtensionNames = &ext };
   VkDevice dev = (VkDevice)(uintptr_t)XFB_DEVICE;
   vl_encode_vkCreateDevice(&g.enc, 0, (VkPhysicalDevice)(uintptr_t)PHYSICAL, &dci, NULL, &dev);
   const VkCommandPoolCreateInfo pci = { .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO };
   VkCommandPool pool = (VkCommandPool)(uintptr_t)XFB_POOL;
   vl_encode_vkCreateCommandPool(&g.enc, 0, dev, &pci, NULL, &pool);
   const VkCommandBufferAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                            .commandPool = pool,
                                            .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                            .commandBufferCount = 1 };
   VkCommandBuffer cb = (VkCommandBuffer)(uintptr_t)XFB_CB;
   vl_encode_vkAllocateCommandBuffers(&g.enc, 0, dev, &ai, &cb);
   const VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
   vl_encode_vkBeginCommandBuffer(&g.enc, 0, cb, &bi);
   return cb;
}

static void
test_query_results_past_their_storage(void **state)
{
   (void)state;
   /* lavapipe writes queryCount results at stride into pData, whatever
    * dataSize says (the CI fuzz run's SEGV) */
   create_query_pool(VK_QUERY_TYPE_TIMESTAMP, 0, 4);
   const VkQueryPool pool = (VkQueryPool)(uintptr_t)QUERIES;
   uint64_t data[4];
   vl_encode_vkGetQueryPoolResults(&g.enc, 0, device(), pool, 0, 2, 16, data, 8,
                                   VK_QUERY_RESULT_64_BIT);
   assert_true(submit());
   begin();
   vl_encode_vkGetQueryPoolResults(&g.enc, 0, device(), pool, 0, 4, 16, data, 1ull << 40,
                                   VK_QUERY_RESULT_64_BIT);
   expect_lost("4 results of 8 bytes, stride 1099511627776, leave the 16 bytes of pData");
}

static void
test_query_results_with_availability_one_value_short(void **state)
{
   (void)state;
   /* valid: two 32-bit results with availability in 16 bytes, of queries
    * reset on the host */
   const VkDevice dev = query_device(NULL, NULL);
   const VkQueryPool reset = query_pool_on(dev, VK_QUERY_TYPE_OCCLUSION, 0, 4);
   vl_encode_vkResetQueryPool(&g.enc, 0, dev, reset, 0, 4);
   uint32_t exact[4];
   vl_encode_vkGetQueryPoolResults(&g.enc, 0, dev, reset, 2, 2, 16, exact, 8,
                                   VK_QUERY_RESULT_WITH_AVAILABILITY_BIT);
   expect_accepted();
   create_query_pool(VK_QUERY_TYPE_OCCLUSION, 0, 4);
   uint32_t data[4];
   /* two 32-bit results with availability: 8 + 8 bytes, stride 8 */
   vl_encode_vkGetQueryPoolResults(&g.enc, 0, device(), (VkQueryPool)(uintptr_t)QUERIES, 0, 2, 12,
                                   data, 8, VK_QUERY_RESULT_WITH_AVAILABILITY_BIT);
   expect_lost("2 results of 8 bytes, stride 8, leave the 12 bytes of pData");
}

static void
test_queries_outside_the_pool(void **state)
{
   (void)state;
   /* lavapipe indexes the pool's array of queries with them */
   create_query_pool(VK_QUERY_TYPE_OCCLUSION, 0, 4);
   const VkQueryPool pool = (VkQueryPool)(uintptr_t)QUERIES;
   vl_encode_vkResetQueryPool(&g.enc, 0, device(), pool, 0, 4);
   assert_true(submit());
   begin();
   const VkCommandBuffer cb = recording();
   vl_encode_vkCmdResetQueryPool(&g.enc, 0, cb, pool, 2, 3);
   expect_lost("queries 2..4 are outside the pool's 4");
}

static void
test_query_index_wraps(void **state)
{
   (void)state;
   /* valid: the whole pool, and its last query, reset on the host */
   const VkDevice dev = query_device(NULL, NULL);
   const VkQueryPool reset = query_pool_on(dev, VK_QUERY_TYPE_TIMESTAMP, 0, 4);
   vl_encode_vkResetQueryPool(&g.enc, 0, dev, reset, 0, 4);
   vl_encode_vkResetQueryPool(&g.enc, 0, dev, reset, 3, 1);
   expect_accepted();
   create_query_pool(VK_QUERY_TYPE_TIMESTAMP, 0, 4);
   /* first + count wraps around 2^32 to 3 */
   vl_encode_vkResetQueryPool(&g.enc, 0, device(), (VkQueryPool)(uintptr_t)QUERIES, 4, UINT32_MAX);
   expect_lost("queries 4..4294967298 are outside the pool's 4");
}

static void
test_begin_query_past_the_pool(void **state)
{
   (void)state;
   create_query_pool(VK_QUERY_TYPE_OCCLUSION, 0, 4);
   const VkCommandBuffer cb = recording();
   /* valid: the pool's last query, reset first */
   vl_encode_vkCmdResetQueryPool(&g.enc, 0, cb, (VkQueryPool)(uintptr_t)QUERIES, 3, 1);
   vl_encode_vkCmdBeginQuery(&g.enc, 0, cb, (VkQueryPool)(uintptr_t)QUERIES, 3, 0);
   vl_encode_vkCmdEndQuery(&g.enc, 0, cb, (VkQueryPool)(uintptr_t)QUERIES, 3);
   expect_accepted();
   vl_encode_vkCmdBeginQuery(&g.enc, 0, cb, (VkQueryPool)(uintptr_t)QUERIES, 4, 0);
   expect_lost("queries 4..4 are outside the pool's 4");
}

static void
test_timestamp_past_the_pool(void **state)
{
   (void)state;
   /* valid, on a device with synchronization2: the pool's last query */
   const VkPhysicalDeviceSynchronization2Features sync2 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SYNCHRONIZATION_2_FEATURES,
      .synchronization2 = VK_TRUE,
   };
   const VkDevice dev = H(VkDevice, new_id());
   create_device((uint64_t)(uintptr_t)dev, VK_KHR_SYNCHRONIZATION_2_EXTENSION_NAME, &sync2);
   const VkQueryPool last = query_pool_on(dev, VK_QUERY_TYPE_TIMESTAMP, 0, 4);
   const VkCommandBuffer other = recording_on(dev);
   vl_encode_vkCmdResetQueryPool(&g.enc, 0, other, last, 3, 1);
   vl_encode_vkCmdWriteTimestamp2(&g.enc, 0, other, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT, last, 3);
   expect_accepted();
   create_query_pool(VK_QUERY_TYPE_TIMESTAMP, 0, 4);
   const VkCommandBuffer cb = recording();
   vl_encode_vkCmdWriteTimestamp2(&g.enc, 0, cb, VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT,
                                  (VkQueryPool)(uintptr_t)QUERIES, 70000);
   expect_lost("queries 70000..70000 are outside the pool's 4");
}

static void
test_statistics_copy_sized_by_the_pool(void **state)
{
   (void)state;
   /* three counters: 24 bytes per 64-bit result, not 8 */
   create_query_pool(VK_QUERY_TYPE_PIPELINE_STATISTICS,
                     VK_QUERY_PIPELINE_STATISTIC_INPUT_ASSEMBLY_VERTICES_BIT |
                        VK_QUERY_PIPELINE_STATISTIC_INPUT_ASSEMBLY_PRIMITIVES_BIT |
                        VK_QUERY_PIPELINE_STATISTIC_VERTEX_SHADER_INVOCATIONS_BIT,
                     2);
   buffer_with_memory(true, 0);
   const VkCommandBuffer cb = recording();
   const VkQueryPool pool = (VkQueryPool)(uintptr_t)QUERIES;
   vl_encode_vkCmdCopyQueryPoolResults(&g.enc, 0, cb, pool, 0, 2, (VkBuffer)(uintptr_t)BUF,
                                       4096 - 48, 24, VK_QUERY_RESULT_64_BIT);
   assert_true(submit());
   begin();
   vl_encode_vkCmdCopyQueryPoolResults(&g.enc, 0, cb, pool, 0, 1, (VkBuffer)(uintptr_t)BUF,
                                       4096 - 16, 24, VK_QUERY_RESULT_64_BIT);
   expect_lost("the destination range (24 bytes at offset 4080) leaves the buffer's 4096 bytes");
}

static void
test_statistics_the_host_does_not_count(void **state)
{
   (void)state;
   /* valid, with the pipelineStatisticsQuery feature: every statistic of
    * Vulkan 1.0, up to the compute shader invocations (bit 10) */
   VkPhysicalDeviceFeatures2 features = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
      .features = { .pipelineStatisticsQuery = VK_TRUE },
   };
   const VkDevice dev = query_device(NULL, &features);
   query_pool_on(dev, VK_QUERY_TYPE_PIPELINE_STATISTICS,
                 VK_QUERY_PIPELINE_STATISTIC_COMPUTE_SHADER_INVOCATIONS_BIT * 2 - 1, 1);
   expect_accepted();
   /* lavapipe reads a fixed table of counters at the index of every bit */
   create_query_pool(VK_QUERY_TYPE_PIPELINE_STATISTICS, 0x80000001u, 1);
   expect_lost("pipeline statistics 0x80000001 include bits the host does not count");
}

static void
test_query_type_unknown(void **state)
{
   (void)state;
   /* valid: the last query type the renderer sizes, with its extension
    * and feature */
   VkPhysicalDevicePrimitivesGeneratedQueryFeaturesEXT generated = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PRIMITIVES_GENERATED_QUERY_FEATURES_EXT,
      .primitivesGeneratedQuery = VK_TRUE,
   };
   const VkPhysicalDeviceTransformFeedbackFeaturesEXT xfb = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TRANSFORM_FEEDBACK_FEATURES_EXT,
      .transformFeedback = VK_TRUE,
   };
   generated.pNext = (void *)&xfb;
   const char *const needs[2] = { VK_EXT_PRIMITIVES_GENERATED_QUERY_EXTENSION_NAME,
                                  VK_EXT_TRANSFORM_FEEDBACK_EXTENSION_NAME };
   const VkDevice dev = H(VkDevice, new_id());
   create_device_with((uint64_t)(uintptr_t)dev, 2, needs, &generated);
   query_pool_on(dev, VK_QUERY_TYPE_PRIMITIVES_GENERATED_EXT, 0, 1);
   expect_accepted();
   create_query_pool((VkQueryType)77, 0, 1);
   expect_lost("a VkQueryType value that Vulkan does not define: 0x4d");
}

static void
test_query_pool_too_large(void **state)
{
   (void)state;
   /* valid: the most queries the renderer takes */
   query_pool_on(device(), VK_QUERY_TYPE_TIMESTAMP, 0, 1u << 20);
   expect_accepted();
   create_query_pool(VK_QUERY_TYPE_TIMESTAMP, 0, UINT32_MAX);
   expect_lost("4294967295 queries; the renderer takes at most 1048576 per pool");
}

static void
test_query_of_a_vertex_stream_the_device_lacks(void **state)
{
   (void)state;
   /* lavapipe indexes its table of streams with it */
   const VkCommandBuffer cb = transform_feedback_recording();
   create_query_pool_on((VkDevice)(uintptr_t)XFB_DEVICE,
                        VK_QUERY_TYPE_TRANSFORM_FEEDBACK_STREAM_EXT, 0, 1);
   const VkQueryPool pool = (VkQueryPool)(uintptr_t)QUERIES;
   vl_encode_vkCmdBeginQueryIndexedEXT(&g.enc, 0, cb, pool, 0, 0, 0);
   vl_encode_vkCmdEndQueryIndexedEXT(&g.enc, 0, cb, pool, 0, 0);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   begin();
   vl_encode_vkCmdBeginQueryIndexedEXT(&g.enc, 0, cb, pool, 0, 0, 1000);
   expect_lost("vertex stream 1000; the device has");
}

static void
test_transform_feedback_buffers_past_the_limit(void **state)
{
   (void)state;
   /* lavapipe keeps them in a fixed table */
   const VkCommandBuffer cb = transform_feedback_recording();
   const VkBuffer none = VK_NULL_HANDLE;
   const VkDeviceSize offset = 0;
   /* the last of the host's 4 (maxTransformFeedbackBuffers; recorded
    * without the pipeline state the command also needs) */
   vl_encode_vkCmdBeginTransformFeedbackEXT(&g.enc, 0, cb, 3, 1, &none, &offset);
   vl_encode_vkCmdEndTransformFeedbackEXT(&g.enc, 0, cb, 3, 1, &none, &offset);
   expect_accepted();
   vl_encode_vkCmdBeginTransformFeedbackEXT(&g.enc, 0, cb, UINT32_MAX, 1, &none, &offset);
   expect_lost("transform feedback buffers 4294967295+1 exceed the host's limit of");
}

static void
test_draw_byte_count_with_stride_zero(void **state)
{
   (void)state;
   /* the host divides the byte count by the stride */
   buffer_with_memory(true, 0);
   const VkCommandBuffer cb = recording();
   /* valid, on a device with transform feedback, in a render pass with a
    * pipeline: the smallest stride, and the counter in the buffer's last 4
    * bytes */
   const VkPhysicalDeviceTransformFeedbackFeaturesEXT xfb = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TRANSFORM_FEEDBACK_FEATURES_EXT,
      .transformFeedback = VK_TRUE,
   };
   const VkDevice dev = H(VkDevice, new_id());
   create_device((uint64_t)(uintptr_t)dev, VK_EXT_TRANSFORM_FEEDBACK_EXTENSION_NAME, &xfb);
   const VkCommandBuffer other = recording_on(dev);
   const VkBuffer counter =
      H(VkBuffer, bound_buffer_on(dev, 4096, VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT));
   drawing_on(dev, other);
   vl_encode_vkCmdDrawIndirectByteCountEXT(&g.enc, 0, other, 1, 0, counter, 4096 - 4, 0, 1);
   expect_accepted();
   vl_encode_vkCmdDrawIndirectByteCountEXT(&g.enc, 0, cb, 1, 0, (VkBuffer)(uintptr_t)BUF, 0, 0, 0);
   expect_lost("a vertex stride of 0 (the byte count is divided by it)");
}

const struct CMUnitTest hostile_queries_tests[] = {
   HOSTILE_TEST(test_query_results_past_their_storage),
   HOSTILE_TEST(test_query_results_with_availability_one_value_short),
   HOSTILE_TEST(test_queries_outside_the_pool),
   HOSTILE_TEST(test_query_index_wraps),
   HOSTILE_TEST(test_begin_query_past_the_pool),
   HOSTILE_TEST(test_timestamp_past_the_pool),
   HOSTILE_TEST(test_statistics_copy_sized_by_the_pool),
   HOSTILE_TEST(test_statistics_the_host_does_not_count),
   HOSTILE_TEST(test_query_type_unknown),
   HOSTILE_TEST(test_query_pool_too_large),
   HOSTILE_TEST(test_query_of_a_vertex_stream_the_device_lacks),
   HOSTILE_TEST(test_transform_feedback_buffers_past_the_limit),
   HOSTILE_TEST(test_draw_byte_count_with_stride_zero),
};
const size_t hostile_queries_count =
   sizeof(hostile_queries_tests) / sizeof(hostile_queries_tests[0]);
