/*
 * Work in flight on the host driver (see vlr_inflight.c): the generated
 * executors call these around the commands that submit work, prove it
 * complete, or destroy, free or re-record what it may use.
 */
#ifndef VLR_INFLIGHT_H
#define VLR_INFLIGHT_H

#include <stdbool.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

struct vlr_context;
struct vlr_device;
struct vlr_exec;
struct vl_object;

/* Before a queue command: refuses semaphore waits the host driver would
 * block on inside the call.  Before a command that destroys, frees, resets
 * or records: waits for the
 * device to go idle when the objects may be used by pending work.  False
 * (and the context lost) when the work does not complete. */
bool vlr_inflight_before(struct vlr_exec *x, int32_t id, struct vl_object *owner, const void *args);
/* Waits, bounded, for everything submitted to the device to complete,
 * releasing waits no command will end if it must (context teardown, device
 * destruction): false when the device still does not go idle, and must then
 * be left alone. */
bool vlr_inflight_idle(struct vlr_context *ctx, struct vl_object *device);
/* A timeline semaphore (host drivers call through a NULL pointer when a
 * timeline-only command gets a binary one). */
bool vlr_inflight_timeline(const struct vl_object *semaphore);
/* A host vkSignalSemaphore is above the semaphore's value and below every
 * value a queue batch is still to signal (else the context is lost). */
bool vlr_inflight_host_signal_ok(struct vlr_exec *x, const VkSemaphoreSignalInfo *info);
/* Frees the device's record of held batches (device destruction). */
void vlr_inflight_finish(struct vlr_device *dev);
/* After a command that submits work, signals a semaphore or proves work
 * complete. */
void vlr_inflight_after(struct vlr_exec *x, int32_t id, struct vl_object *owner, const void *args);

/* Fence feedback's part in a vkQueueSubmit or vkQueueSubmit2 (vlr_feedback.c),
 * called by the hooks above: before the host call, the fence of a
 * submission that vkQueueFenceFeedbackNextVL announced becomes one of the
 * renderer's (false: the context failed); after it, that fence goes to the
 * waiter, or, if the submission failed or named another fence, an empty
 * batch reports instead. */
bool vlr_feedback_before_submit(struct vlr_exec *x, struct vl_object *queue, VkFence *fence);
void vlr_feedback_after_submit(struct vlr_exec *x, struct vl_object *queue, VkResult result);

#endif
