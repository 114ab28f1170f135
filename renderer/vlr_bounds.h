/*
 * Buffer ranges the host driver trusts (see vlr_bounds.c): called by the
 * generated dispatch around the commands protocol/gen/emit_renderer.py lists.
 */
#ifndef VLR_BOUNDS_H
#define VLR_BOUNDS_H

#include <stdbool.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

struct vlr_exec;

struct vl_object;

/* false: the command leaves a buffer or image, or exceeds a host limit (the
 * context is lost; do not run it) */
bool vlr_bounds_before(struct vlr_exec *x, int32_t id, const struct vl_object *owner,
                       const void *args);
void vlr_bounds_after(struct vlr_exec *x, int32_t id, const void *args);
/* A copy of what the renderer knows of a descriptor set layout, for a
 * descriptor set allocated with it (vl_object.data, freed with the set);
 * NULL when there is none. */
void *vlr_bounds_set_layout_copy(struct vlr_exec *x, VkDescriptorSetLayout layout);

#endif
