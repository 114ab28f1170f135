/*
 * The host side's own small Vulkan loader.
 *
 * The renderer cannot go back through the Khronos loader: it is called from
 * inside that loader (the application's vkCreateInstance is still running when
 * the host instance is created) and VK_ICD_FILENAMES names our own ICD.  So it
 * opens the host ICD named by a manifest itself, negotiates the loader-ICD
 * interface, and, when asked, builds a layer chain above it (the Khronos
 * validation layer) following the loader-layer interface, with a terminator
 * that does what the loader does for dispatchable objects.
 *
 * Chain mode (the venus-loopback layer): the host is the next element of the
 * Khronos loader's own chain, and the loader's terminator looks after the
 * dispatchable objects.  The validation layer, when asked for, goes between
 * the renderer and that element; it is loaded into a namespace of its own
 * (dlmopen), because the application's copy above the layer keys its state by
 * the same dispatch pointers.
 */
#ifndef VLR_HOST_H
#define VLR_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

struct vlr_host;
#include "vlr_renderer.h"

/* The host for this manifest (NULL: lavapipe's) with or without the
 * validation layer; loaded once per process and kept.  NULL with a reason. */
struct vlr_host *vlr_host_get(const char *manifest, bool validation, char *err, size_t err_size);

/* Chain mode: a host of its own for one layer instance, whose next element
 * chain names; chain's create-time parts are used by the one
 * vlr_host_create_instance that follows.  NULL with a reason. */
struct vlr_host *vlr_host_chain(const struct vlr_chain *chain, bool validation, char *err,
                                size_t err_size);
bool vlr_host_is_chain(const struct vlr_host *host);
/* The loader's link for the creation of device id (chain mode). */
void vlr_host_set_device_chain(struct vlr_host *host, uint64_t id, const struct vlr_chain *chain);
/* Frees a chain-mode host; the process-wide ones stay. */
void vlr_host_release(struct vlr_host *host);

/* Top of the chain: what the renderer calls. */
PFN_vkVoidFunction vlr_host_get_instance_proc_addr(struct vlr_host *host, VkInstance instance,
                                                   const char *name);
const char *vlr_host_library(const struct vlr_host *host);
bool vlr_host_has_validation(const struct vlr_host *host);

/* Instance and device creation through the chain (layers need the loader's
 * link structs, which are added here).  The caller's pNext is kept. */
VkResult vlr_host_create_instance(struct vlr_host *host, const VkInstanceCreateInfo *info,
                                  VkInstance *instance);
/* destroy: the instance's vkDestroyInstance from its table (NULL: looked up
 * now, which chain mode allows only while the instance is being created) */
void vlr_host_destroy_instance(struct vlr_host *host, VkInstance instance,
                               PFN_vkDestroyInstance destroy);
/* id: the guest's id of the device (chain mode finds its link by it) */
VkResult vlr_host_create_device(struct vlr_host *host, VkInstance instance,
                                VkPhysicalDevice physical_device, const VkDeviceCreateInfo *info,
                                uint64_t id, VkDevice *device, PFN_vkGetDeviceProcAddr *gdpa);
/* destroy is the device's own vkDestroyDevice (the top of its chain) */
void vlr_host_destroy_device(struct vlr_host *host, VkDevice device, PFN_vkDestroyDevice destroy);
/* After the host gave out dispatchable children of a device (queues, command
 * buffers): what the Khronos loader's trampolines do to them. */
void vlr_host_set_device_child(VkDevice device, void *child);

#endif
