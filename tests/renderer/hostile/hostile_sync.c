/*
 * Work in flight, semaphores and waits (vlr_inflight.c, renderer/check/check_sync.c).
 */
#include <stdatomic.h>
#include <time.h>

#include "hostile.h"

/* ---- work in flight ------------------------------------------------------------------- */

static void create_semaphore(uint64_t id, VkSemaphoreType type);
static void submit_wait(VkSemaphore b);

#define POOL 0x300
#define CB   0x301

/* A command buffer that waits for an event, submitted. */
static void
submit_waiting_for(VkEvent event, VkSemaphore wait)
{
   const VkCommandPoolCreateInfo pci = { .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO };
   VkCommandPool pool = (VkCommandPool)(uintptr_t)POOL;
   vl_encode_vkCreateCommandPool(&g.enc, 0, device(), &pci, NULL, &pool);
   const VkCommandBufferAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                            .commandPool = pool,
                                            .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                            .commandBufferCount = 1 };
   VkCommandBuffer cb = (VkCommandBuffer)(uintptr_t)CB;
   vl_encode_vkAllocateCommandBuffers(&g.enc, 0, device(), &ai, &cb);
   const VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
   vl_encode_vkBeginCommandBuffer(&g.enc, 0, cb, &bi);
   if (event)
      vl_encode_vkCmdWaitEvents(&g.enc, 0, cb, 1, &event, VK_PIPELINE_STAGE_HOST_BIT,
                                VK_PIPELINE_STAGE_TRANSFER_BIT, 0, NULL, 0, NULL, 0, NULL);
   vl_encode_vkEndCommandBuffer(&g.enc, 0, cb);
   const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
   const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .waitSemaphoreCount = wait ? 1 : 0,
                             .pWaitSemaphores = wait ? &wait : NULL,
                             .pWaitDstStageMask = wait ? &stage : NULL,
                             .commandBufferCount = 1,
                             .pCommandBuffers = &cb };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &si, VK_NULL_HANDLE);
}

static double
seconds(void)
{
   struct timespec ts;
   clock_gettime(CLOCK_MONOTONIC, &ts);
   return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_destroy_what_pending_work_uses(void **state)
{
   (void)state;
   /* Work waits for an event the guest never sets, then the guest destroys
    * the event and re-records the command buffer: the renderer releases
    * the work (sets the event) before it lets either happen. */
   const VkEventCreateInfo eci = { .sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO };
   VkEvent event = (VkEvent)(uintptr_t)0x302;
   vl_encode_vkCreateEvent(&g.enc, 0, device(), &eci, NULL, &event);
   submit_waiting_for(event, VK_NULL_HANDLE);
   assert_true(submit());
   const double start = seconds();
   begin();
   vl_encode_vkDestroyEvent(&g.enc, 0, device(), event, NULL);
   const VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
   vl_encode_vkBeginCommandBuffer(&g.enc, 0, (VkCommandBuffer)(uintptr_t)CB, &bi);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   assert_true(seconds() - start < 5.0);
   /* the event is gone */
   begin();
   vl_encode_vkDestroyEvent(&g.enc, 0, device(), event, NULL);
   expect_lost("unknown object id 0x302");
}

static void
test_rerecord_in_flight_in_the_stream_that_submitted_it(void **state)
{
   (void)state;
   /* One stream records a command buffer, submits it (its work waits for an
    * event nobody sets) and begins it again.  Every command before the
    * second vkBeginCommandBuffer found that command buffer idle; the
    * renderer must not trust that past the submission: it releases the
    * work (sets the event) before the host re-records it. */
   const VkEventCreateInfo eci = { .sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO };
   VkEvent event = (VkEvent)(uintptr_t)0x306;
   vl_encode_vkCreateEvent(&g.enc, 0, device(), &eci, NULL, &event);
   submit_waiting_for(event, VK_NULL_HANDLE);
   const VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
   vl_encode_vkBeginCommandBuffer(&g.enc, 0, (VkCommandBuffer)(uintptr_t)CB, &bi);
   vl_encode_vkEndCommandBuffer(&g.enc, 0, (VkCommandBuffer)(uintptr_t)CB);
   vl_encode_vkSeekReplyCommandStreamMESA(&g.enc, 0, 0);
   vl_encode_vkGetEventStatus(&g.enc, VK_COMMAND_GENERATE_REPLY_BIT_EXT, device(), event);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   struct vl_decoder dec;
   vl_dec_init(&dec, g.reply, REPLY_SIZE, NULL, NULL);
   assert_int_equal(vl_decode_vkGetEventStatus_reply(&dec, device(), event), VK_EVENT_SET);
   assert_null(dec.error);
}

static void
test_wait_for_binary_semaphore_never_signaled(void **state)
{
   (void)state;
   /* valid: a wait for a binary semaphore the batch before signals */
   const VkSemaphore signaled = H(VkSemaphore, new_id());
   create_semaphore((uint64_t)(uintptr_t)signaled, VK_SEMAPHORE_TYPE_BINARY);
   const VkSubmitInfo signal = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                 .signalSemaphoreCount = 1,
                                 .pSignalSemaphores = &signaled };
   vl_encode_vkQueueSubmit(&g.enc, 0, queue(), 1, &signal, VK_NULL_HANDLE);
   submit_wait(signaled);
   expect_accepted();
   const VkSemaphoreCreateInfo sci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO };
   VkSemaphore sem = (VkSemaphore)(uintptr_t)0x303;
   vl_encode_vkCreateSemaphore(&g.enc, 0, device(), &sci, NULL, &sem);
   submit_waiting_for(VK_NULL_HANDLE, sem);
   /* the host driver would wait inside vkQueueSubmit for a signal that
    * cannot come any more */
   expect_lost("waits for a binary semaphore that nothing has signaled");
}

static void
test_binary_semaphore_signaled_then_waited(void **state)
{
   (void)state;
   /* the valid order: a submit signals, the next one waits, and the wait
    * consumes the signal: a second wait is refused */
   const VkSemaphoreCreateInfo sci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO };
   VkSemaphore sem = (VkSemaphore)(uintptr_t)0x305;
   vl_encode_vkCreateSemaphore(&g.enc, 0, device(), &sci, NULL, &sem);
   const VkSubmitInfo signal = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                 .signalSemaphoreCount = 1,
                                 .pSignalSemaphores = &sem };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &signal, VK_NULL_HANDLE);
   submit_waiting_for(VK_NULL_HANDLE, sem);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   begin();
   const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
   const VkSubmitInfo wait = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                               .waitSemaphoreCount = 1,
                               .pWaitSemaphores = &sem,
                               .pWaitDstStageMask = &stage };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &wait, VK_NULL_HANDLE);
   expect_lost("waits for a binary semaphore that nothing has signaled");
}

static void
create_semaphore(uint64_t id, VkSemaphoreType type)
{
   const VkSemaphoreTypeCreateInfo tci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                           .semaphoreType = type };
   const VkSemaphoreCreateInfo sci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                       .pNext = &tci };
   VkSemaphore sem = (VkSemaphore)(uintptr_t)id;
   vl_encode_vkCreateSemaphore(&g.enc, 0, device(), &sci, NULL, &sem);
}

/* A batch waiting for a value of the timeline semaphore t nothing has
 * signaled (the host holds the batch back) that signals the binary
 * semaphore b. */
static void
submit_held_signal(VkSemaphore t, uint64_t value, VkSemaphore b)
{
   const VkTimelineSemaphoreSubmitInfo ts = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .waitSemaphoreValueCount = 1,
      .pWaitSemaphoreValues = &value,
   };
   const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
   const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .pNext = &ts,
                             .waitSemaphoreCount = 1,
                             .pWaitSemaphores = &t,
                             .pWaitDstStageMask = &stage,
                             .signalSemaphoreCount = 1,
                             .pSignalSemaphores = &b };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &si, VK_NULL_HANDLE);
}

static void
submit_wait(VkSemaphore b)
{
   const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
   const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .waitSemaphoreCount = 1,
                             .pWaitSemaphores = &b,
                             .pWaitDstStageMask = &stage };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &si, VK_NULL_HANDLE);
}

static void
test_binary_wait_behind_held_batch(void **state)
{
   (void)state;
   /* The signal of b waits for a timeline value nobody signals: the host
    * driver (Mesa's queue code) would block inside vkQueueSubmit until it
    * is, and only this stream could signal it (the fuzzer's hang). */
   /* valid: the same with the held batch released first (the host signals
    * exactly the value it waits for) */
   const VkSemaphore t2 = H(VkSemaphore, new_id()), b2 = H(VkSemaphore, new_id());
   create_semaphore((uint64_t)(uintptr_t)t2, VK_SEMAPHORE_TYPE_TIMELINE);
   create_semaphore((uint64_t)(uintptr_t)b2, VK_SEMAPHORE_TYPE_BINARY);
   submit_held_signal(t2, 5, b2);
   const VkSemaphoreSignalInfo release = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                           .semaphore = t2,
                                           .value = 5 };
   vl_encode_vkSignalSemaphore(&g.enc, 0, device(), &release);
   submit_wait(b2);
   expect_accepted();
   const VkSemaphore t = (VkSemaphore)(uintptr_t)0x306, b = (VkSemaphore)(uintptr_t)0x307;
   create_semaphore(0x306, VK_SEMAPHORE_TYPE_TIMELINE);
   create_semaphore(0x307, VK_SEMAPHORE_TYPE_BINARY);
   submit_held_signal(t, 5, b);
   submit_wait(b);
   const double start = seconds();
   expect_lost("whose signal is itself held back");
   assert_true(seconds() - start < 5.0);
}

static void
test_binary_wait_after_held_batch_released(void **state)
{
   (void)state;
   /* The same, valid: the host signals the timeline value first, so the
    * batch that signals b reaches the driver and the wait is accepted. */
   const VkSemaphore t = (VkSemaphore)(uintptr_t)0x306, b = (VkSemaphore)(uintptr_t)0x307;
   create_semaphore(0x306, VK_SEMAPHORE_TYPE_TIMELINE);
   create_semaphore(0x307, VK_SEMAPHORE_TYPE_BINARY);
   submit_held_signal(t, 5, b);
   const VkSemaphoreSignalInfo signal = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                          .semaphore = t,
                                          .value = 5 };
   vl_encode_vkSignalSemaphore(&g.enc, 0, device(), &signal);
   submit_wait(b);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   /* a value below the wait releases nothing */
   begin();
   submit_held_signal(t, 8, b);
   const VkSemaphoreSignalInfo low = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                       .semaphore = t,
                                       .value = 7 };
   vl_encode_vkSignalSemaphore(&g.enc, 0, device(), &low);
   submit_wait(b);
   expect_lost("whose signal is itself held back");
}

static void
test_counter_value_of_a_binary_semaphore(void **state)
{
   (void)state;
   /* valid: the counter value of a timeline semaphore */
   create_semaphore(0x306, VK_SEMAPHORE_TYPE_TIMELINE);
   uint64_t value = 0;
   vl_encode_vkGetSemaphoreCounterValue(&g.enc, 0, device(), (VkSemaphore)(uintptr_t)0x306, &value);
   expect_accepted();
   /* lavapipe calls a NULL function for it (the fuzzer's SEGV) */
   create_semaphore(0x307, VK_SEMAPHORE_TYPE_BINARY);
   vl_encode_vkGetSemaphoreCounterValue(&g.enc, 0, device(), (VkSemaphore)(uintptr_t)0x307, &value);
   expect_lost("a binary semaphore where only timeline semaphores are valid");
}

static void
test_signal_a_binary_semaphore_from_the_host(void **state)
{
   (void)state;
   create_semaphore(0x306, VK_SEMAPHORE_TYPE_TIMELINE);
   create_semaphore(0x307, VK_SEMAPHORE_TYPE_BINARY);
   VkSemaphoreSignalInfo signal = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                    .semaphore = (VkSemaphore)(uintptr_t)0x306,
                                    .value = 1 };
   vl_encode_vkSignalSemaphore(&g.enc, 0, device(), &signal);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   begin();
   signal.semaphore = (VkSemaphore)(uintptr_t)0x307;
   vl_encode_vkSignalSemaphore(&g.enc, 0, device(), &signal);
   expect_lost("a binary semaphore where only timeline semaphores are valid");
}

/* A batch signaling value of the timeline semaphore t. */
static void
submit_timeline_signal(VkSemaphore t, uint64_t value)
{
   const VkTimelineSemaphoreSubmitInfo ts = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .signalSemaphoreValueCount = 1,
      .pSignalSemaphoreValues = &value,
   };
   const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .pNext = &ts,
                             .signalSemaphoreCount = 1,
                             .pSignalSemaphores = &t };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &si, VK_NULL_HANDLE);
}

static void
test_timeline_values_that_do_not_increase(void **state)
{
   (void)state;
   /* lavapipe loses its device over it, and its queue then blocks the next
    * wait for a binary semaphore inside vkQueueSubmit */
   const VkSemaphore t = (VkSemaphore)(uintptr_t)0x306;
   create_semaphore(0x306, VK_SEMAPHORE_TYPE_TIMELINE);
   submit_timeline_signal(t, 5);
   if (!submit())
      fail_msg("refused: %s", vlr_context_lost_message(g.ctx));
   begin();
   submit_timeline_signal(t, 5);
   expect_lost("signals a timeline semaphore with a value not above one already signaled");
}

static void
test_host_signal_above_a_pending_queue_signal(void **state)
{
   (void)state;
   /* valid: the same batch on another semaphore, released by a host
    * signal of 7, the highest below the 8 it is to signal */
   const VkSemaphore other = H(VkSemaphore, new_id());
   create_semaphore((uint64_t)(uintptr_t)other, VK_SEMAPHORE_TYPE_TIMELINE);
   {
      const uint64_t five = 5, eight = 8;
      const VkTimelineSemaphoreSubmitInfo ts = {
         .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
         .waitSemaphoreValueCount = 1,
         .pWaitSemaphoreValues = &five,
         .signalSemaphoreValueCount = 1,
         .pSignalSemaphoreValues = &eight,
      };
      const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
      const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                .pNext = &ts,
                                .waitSemaphoreCount = 1,
                                .pWaitSemaphores = &other,
                                .pWaitDstStageMask = &stage,
                                .signalSemaphoreCount = 1,
                                .pSignalSemaphores = &other };
      vl_encode_vkQueueSubmit(&g.enc, 0, queue(), 1, &si, VK_NULL_HANDLE);
      const VkSemaphoreSignalInfo seven = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                            .semaphore = other,
                                            .value = 7 };
      vl_encode_vkSignalSemaphore(&g.enc, 0, device(), &seven);
      expect_accepted();
   }
   /* a batch held back by a wait for 5 will signal 8: the host may signal
    * 5 (releasing it), not 8 */
   const VkSemaphore t = (VkSemaphore)(uintptr_t)0x306;
   create_semaphore(0x306, VK_SEMAPHORE_TYPE_TIMELINE);
   const uint64_t five = 5, eight = 8;
   const VkTimelineSemaphoreSubmitInfo ts = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .waitSemaphoreValueCount = 1,
      .pWaitSemaphoreValues = &five,
      .signalSemaphoreValueCount = 1,
      .pSignalSemaphoreValues = &eight,
   };
   const VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
   const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .pNext = &ts,
                             .waitSemaphoreCount = 1,
                             .pWaitSemaphores = &t,
                             .pWaitDstStageMask = &stage,
                             .signalSemaphoreCount = 1,
                             .pSignalSemaphores = &t };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &si, VK_NULL_HANDLE);
   VkSemaphoreSignalInfo signal = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO,
                                    .semaphore = t,
                                    .value = 8 };
   vl_encode_vkSignalSemaphore(&g.enc, 0, device(), &signal);
   expect_lost("vkSignalSemaphore to 8, not below the value 8 a queue batch is still to signal");
}

static void
test_timeline_semaphore_without_the_feature(void **state)
{
   (void)state;
   /* valid: a device with the feature through VkPhysicalDeviceVulkan12Features */
   const VkPhysicalDeviceVulkan12Features v12 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
      .timelineSemaphore = VK_TRUE,
   };
   const VkDevice with = H(VkDevice, new_id());
   create_device((uint64_t)(uintptr_t)with, NULL, &v12);
   {
      const VkSemaphoreTypeCreateInfo tci = {
         .sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
         .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE,
      };
      const VkSemaphoreCreateInfo sci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                          .pNext = &tci };
      VkSemaphore sem = H(VkSemaphore, new_id());
      vl_encode_vkCreateSemaphore(&g.enc, 0, with, &sci, NULL, &sem);
      expect_accepted();
   }
   /* The renderer could not release work waiting on it (no host
    * vkSignalSemaphore is promised without the feature). */
   const float priority = 1.0f;
   const VkDeviceQueueCreateInfo qci = { .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                         .queueCount = 1,
                                         .pQueuePriorities = &priority };
   const VkDeviceCreateInfo dci = { .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                    .queueCreateInfoCount = 1,
                                    .pQueueCreateInfos = &qci };
   VkDevice other = (VkDevice)(uintptr_t)0x109;
   vl_encode_vkCreateDevice(&g.enc, 0, (VkPhysicalDevice)(uintptr_t)PHYSICAL, &dci, NULL, &other);
   const VkSemaphoreTypeCreateInfo tci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
                                           .semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE };
   const VkSemaphoreCreateInfo sci = { .sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                       .pNext = &tci };
   VkSemaphore sem = (VkSemaphore)(uintptr_t)0x309;
   vl_encode_vkCreateSemaphore(&g.enc, 0, other, &sci, NULL, &sem);
   expect_lost("without the timelineSemaphore feature");
}

static void
test_timeline_values_fewer_than_semaphores(void **state)
{
   (void)state;
   /* The host reads one value per semaphore: past the end of this array. */
   const VkSemaphore sems[2] = { (VkSemaphore)(uintptr_t)0x306, (VkSemaphore)(uintptr_t)0x308 };
   create_semaphore(0x306, VK_SEMAPHORE_TYPE_TIMELINE);
   create_semaphore(0x308, VK_SEMAPHORE_TYPE_TIMELINE);
   /* valid: as many values as semaphores, on two others */
   {
      const VkSemaphore two[2] = { H(VkSemaphore, new_id()), H(VkSemaphore, new_id()) };
      create_semaphore((uint64_t)(uintptr_t)two[0], VK_SEMAPHORE_TYPE_TIMELINE);
      create_semaphore((uint64_t)(uintptr_t)two[1], VK_SEMAPHORE_TYPE_TIMELINE);
      const uint64_t values[2] = { 1, 1 };
      const VkTimelineSemaphoreSubmitInfo ts = {
         .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
         .signalSemaphoreValueCount = 2,
         .pSignalSemaphoreValues = values,
      };
      const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                .pNext = &ts,
                                .signalSemaphoreCount = 2,
                                .pSignalSemaphores = two };
      vl_encode_vkQueueSubmit(&g.enc, 0, queue(), 1, &si, VK_NULL_HANDLE);
      expect_accepted();
   }
   const uint64_t zero = 0;
   const VkTimelineSemaphoreSubmitInfo ts = {
      .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
      .signalSemaphoreValueCount = 1,
      .pSignalSemaphoreValues = &zero,
   };
   const VkSubmitInfo si = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .pNext = &ts,
                             .signalSemaphoreCount = 2,
                             .pSignalSemaphores = sems };
   vl_encode_vkQueueSubmit(&g.enc, 0, (VkQueue)(uintptr_t)QUEUE, 1, &si, VK_NULL_HANDLE);
   expect_lost("fewer signal values than the batch has signal semaphores");
}

static void
test_blocking_wait_on_transport_stream(void **state)
{
   (void)state;
   /* A fence wait that may block, on a stream of the transport: it would
    * hold the context's thread for ever if nothing else could signal. */
   create_fence(0x304);
   const VkFence fence = (VkFence)(uintptr_t)0x304;
   /* valid: a wait that cannot block (a zero timeout: a poll) */
   vl_encode_vkSeekReplyCommandStreamMESA(&g.enc, 0, 0);
   vl_encode_vkWaitForFences(&g.enc, VK_COMMAND_GENERATE_REPLY_BIT_EXT, device(), 1, &fence,
                             VK_TRUE, 0);
   expect_accepted();
   vl_encode_vkWaitForFences(&g.enc, VK_COMMAND_GENERATE_REPLY_BIT_EXT, device(), 1, &fence,
                             VK_TRUE, UINT64_MAX);
   expect_lost("a wait that may block, in a direct stream");
}

/* ---- fence feedback (renderer/vlr_feedback.c) ------------------------------------------ */

#define FEEDBACK_SLOT 64

/* A page shared with the context for fence feedback: its resource id; the
 * page is freed at exit (the context may still name it until teardown). */
static uint32_t
feedback_page(_Atomic uint64_t **slot)
{
   static _Alignas(64) uint8_t page[4096];
   memset(page, 0, sizeof(page));
   const uint32_t res = vlr_context_resource_create(g.ctx, page, sizeof(page));
   assert_int_not_equal(res, 0);
   *slot = (_Atomic uint64_t *)(page + FEEDBACK_SLOT);
   return res;
}

/* Whether the renderer stores serial into the slot within 5 s. */
static bool
slot_reaches(_Atomic uint64_t *slot, uint64_t serial)
{
   const double start = seconds();
   while (atomic_load(slot) < serial) {
      if (seconds() - start > 5.0)
         return false;
      struct timespec ts = { 0, 100000 };
      nanosleep(&ts, NULL);
   }
   return atomic_load(slot) == serial;
}

static void
test_fence_feedback_for_the_next_submission(void **state)
{
   (void)state;
   _Atomic uint64_t *slot;
   const uint32_t res = feedback_page(&slot);
   const uint64_t id = new_id();
   create_fence(id);
   const VkFence fence = (VkFence)(uintptr_t)id;
   /* valid: announced just before the submission that names the fence, a
    * request per submission, the fence reset in between */
   for (uint64_t serial = 1; serial <= 3; serial++) {
      vl_encode_vkQueueFenceFeedbackNextVL(&g.enc, 0, queue(), fence, res, FEEDBACK_SLOT, serial);
      vl_encode_vkQueueSubmit(&g.enc, 0, queue(), 0, NULL, fence);
      expect_accepted();
      assert_true(slot_reaches(slot, serial));
      vl_encode_vkResetFences(&g.enc, 0, device(), 1, &fence);
   }
   /* two requests for one submission */
   vl_encode_vkQueueFenceFeedbackNextVL(&g.enc, 0, queue(), fence, res, FEEDBACK_SLOT, 4);
   vl_encode_vkQueueFenceFeedbackNextVL(&g.enc, 0, queue(), fence, res, FEEDBACK_SLOT, 5);
   expect_lost("a second request before the queue's next submission");
}

static void
test_fence_feedback_announced_for_another_fence(void **state)
{
   (void)state;
   /* Not what the ICD sends, and not refused: the submission keeps its own
    * fence, and an empty batch after it reports (as for
    * vkQueueFenceFeedbackVL). */
   _Atomic uint64_t *slot;
   const uint32_t res = feedback_page(&slot);
   const uint64_t a = new_id(), b = new_id();
   create_fence(a);
   create_fence(b);
   vl_encode_vkQueueFenceFeedbackNextVL(&g.enc, 0, queue(), (VkFence)(uintptr_t)a, res,
                                        FEEDBACK_SLOT, 9);
   vl_encode_vkQueueSubmit(&g.enc, 0, queue(), 0, NULL, (VkFence)(uintptr_t)b);
   expect_accepted();
   assert_true(slot_reaches(slot, 9));
   /* and the request after it is served by its own submission */
   vl_encode_vkQueueFenceFeedbackNextVL(&g.enc, 0, queue(), (VkFence)(uintptr_t)a, res,
                                        FEEDBACK_SLOT, 10);
   vl_encode_vkQueueSubmit(&g.enc, 0, queue(), 0, NULL, (VkFence)(uintptr_t)a);
   expect_accepted();
   assert_true(slot_reaches(slot, 10));
}

static void
test_fence_feedback_without_a_fence(void **state)
{
   (void)state;
   _Atomic uint64_t *slot;
   const uint32_t res = feedback_page(&slot);
   vl_encode_vkQueueFenceFeedbackNextVL(&g.enc, 0, queue(), VK_NULL_HANDLE, res, FEEDBACK_SLOT, 1);
   expect_lost("VK_NULL_HANDLE where a handle is required");
}

static void
test_fence_feedback_outside_its_resource(void **state)
{
   (void)state;
   _Atomic uint64_t *slot;
   const uint32_t res = feedback_page(&slot);
   const uint64_t id = new_id();
   create_fence(id);
   vl_encode_vkQueueFenceFeedbackNextVL(&g.enc, 0, queue(), (VkFence)(uintptr_t)id, res, 4096, 1);
   expect_lost("slot offset 4096 outside the 4096 bytes of resource");
}

const struct CMUnitTest hostile_sync_tests[] = {
   HOSTILE_TEST(test_destroy_what_pending_work_uses),
   HOSTILE_TEST(test_rerecord_in_flight_in_the_stream_that_submitted_it),
   HOSTILE_TEST(test_wait_for_binary_semaphore_never_signaled),
   HOSTILE_TEST(test_binary_semaphore_signaled_then_waited),
   HOSTILE_TEST(test_binary_wait_behind_held_batch),
   HOSTILE_TEST(test_binary_wait_after_held_batch_released),
   HOSTILE_TEST(test_timeline_values_fewer_than_semaphores),
   HOSTILE_TEST(test_timeline_semaphore_without_the_feature),
   HOSTILE_TEST(test_timeline_values_that_do_not_increase),
   HOSTILE_TEST(test_host_signal_above_a_pending_queue_signal),
   HOSTILE_TEST(test_counter_value_of_a_binary_semaphore),
   HOSTILE_TEST(test_signal_a_binary_semaphore_from_the_host),
   HOSTILE_TEST(test_blocking_wait_on_transport_stream),
   HOSTILE_TEST(test_fence_feedback_for_the_next_submission),
   HOSTILE_TEST(test_fence_feedback_announced_for_another_fence),
   HOSTILE_TEST(test_fence_feedback_without_a_fence),
   HOSTILE_TEST(test_fence_feedback_outside_its_resource),
};
const size_t hostile_sync_count = sizeof(hostile_sync_tests) / sizeof(hostile_sync_tests[0]);
