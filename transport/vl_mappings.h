/*
 * Host-visible memory a transport has mapped into the guest, by
 * VkDeviceMemory id (vtest and virtio-gpu: one blob resource each).
 * Not locked: the transport's map lock guards it.
 */
#ifndef VL_MAPPINGS_H
#define VL_MAPPINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vl_mapping {
   uint64_t memory_id;
   uint32_t res;    /* the blob's resource id */
   uint32_t handle; /* the transport's handle of it (virtio-gpu: GEM handle) */
   void *map;
   size_t size;
};

struct vl_mappings {
   struct vl_mapping *v;
   size_t count, cap;
};

static inline struct vl_mapping *
vl_mappings_find(struct vl_mappings *m, uint64_t memory_id)
{
   for (size_t i = 0; i < m->count; i++) {
      if (m->v[i].memory_id == memory_id)
         return &m->v[i];
   }
   return NULL;
}

/* Room for one more; false when out of memory. */
bool vl_mappings_reserve(struct vl_mappings *m);
/* Adds one (after vl_mappings_reserve). */
void vl_mappings_add(struct vl_mappings *m, const struct vl_mapping *entry);
/* Takes the one of memory_id out into *out; false when there is none. */
bool vl_mappings_take(struct vl_mappings *m, uint64_t memory_id, struct vl_mapping *out);
/* Unmaps every mapping and frees the table (the resources go with the
 * connection). */
void vl_mappings_finish(struct vl_mappings *m);

#endif
