/*
 * A host call that may block inside the host driver (vlr_watchdog.c).
 */
#ifndef VLR_WATCHDOG_H
#define VLR_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

struct vlr_context;
struct vlr_watchdog;

/* Before the host call: every timeout_ns while it has not returned, the
 * watchdog's thread asks the host driver (counter, of the first of the
 * count timeline semaphores of device) whether the device is lost; once it
 * is, it signals each semaphore to its largest value.  Takes sems
 * (malloc'd).  False (nothing armed, sems freed) when the watchdog cannot
 * start. */
bool vlr_watchdog_arm(struct vlr_context *ctx, VkDevice device, PFN_vkSignalSemaphore signal,
                      PFN_vkGetSemaphoreCounterValue counter, VkSemaphore *sems, uint32_t count,
                      uint64_t timeout_ns);
/* After the command: true when the watchdog had to release the call. */
bool vlr_watchdog_disarm(struct vlr_watchdog *w);
void vlr_watchdog_destroy(struct vlr_watchdog *w);

#endif
