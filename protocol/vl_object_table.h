/*
 * The renderer's object table: guest object id -> host handle and type.
 *
 * The guest chooses every id; the table is the only way a stream can name a
 * host object, so every handle the decoder reads goes through a lookup that
 * checks existence and type.  Entries have stable addresses (they live in
 * slabs, vl_object_table.c) and are linked to their parent, so that
 * destroying a device or a pool can release everything under it.  Not
 * thread-safe: the renderer context serializes access.
 */
#ifndef VL_OBJECT_TABLE_H
#define VL_OBJECT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <vulkan/vulkan_core.h>

#include "vl_hash_table.h"

struct vl_list {
   struct vl_list *prev, *next;
};

struct vl_object {
   uint64_t id;
   uint64_t host; /* the host handle (dispatchable: a pointer) */
   int32_t type;  /* VkObjectType */
   uint32_t flags;
   struct vl_object *parent; /* instance, device or pool that owns it */
   struct vl_list children;  /* objects whose parent this is */
   struct vl_list link;      /* in parent->children */
   void *data;               /* per-type renderer state */
   const void *table;        /* dispatchable objects: the host entry points to call */
   /* Small per-type state lives here instead of an allocation of its own
    * (data then points to it); vl_object_free_data knows the difference. */
   _Alignas(8) unsigned char inline_data[40];
};

struct vl_object_table {
   struct vl_hash_table by_id;
   struct vl_hash_table by_host; /* the same entries keyed by (type, host handle) */
   /* Bumped whenever a dispatchable object's entry goes away, or any entry
    * changes id: a dispatchable object cached under an older generation may
    * be freed memory.  (Only dispatchable objects are cached: buffers and
    * descriptor sets come and go all the time and would defeat the cache.) */
   uint64_t generation;
   /* Free entries (linked through their `link`), and the slabs they live
    * in: an engine creating and destroying objects all the time pays no
    * malloc for them.  Zeroed lists are empty ones. */
   struct vl_list free_entries;
   struct vl_list slabs;
   size_t spare_count; /* entries on free_entries */
};

/* Dispatchable object types (a decoder caches their entries, vl_dec_dispatch_handle). */
static inline bool
vl_object_type_dispatchable(int32_t type)
{
   switch (type) {
   case VK_OBJECT_TYPE_INSTANCE:
   case VK_OBJECT_TYPE_PHYSICAL_DEVICE:
   case VK_OBJECT_TYPE_DEVICE:
   case VK_OBJECT_TYPE_QUEUE:
   case VK_OBJECT_TYPE_COMMAND_BUFFER:
      return true;
   default:
      return false;
   }
}

/* Frees an object's per-type state, wherever it lives. */
static inline void
vl_object_free_data(struct vl_object *o)
{
   if (o->data != (void *)o->inline_data)
      free(o->data);
   o->data = NULL;
}

static inline bool
vl_object_has_id(const void *entry, const void *key)
{
   return ((const struct vl_object *)entry)->id == *(const uint64_t *)key;
}

/* A guest id's entry: inline, since every handle a stream names is one. */
static inline struct vl_object *
vl_object_table_lookup(const struct vl_object_table *t, uint64_t id)
{
   return id ? (struct vl_object *)vl_hash_table_find(&t->by_id, vl_hash_u64(id), vl_object_has_id,
                                                      &id)
             : NULL;
}

void vl_object_table_init(struct vl_object_table *t);
/* Frees the table and every entry still in it (not the host objects). */
void vl_object_table_finish(struct vl_object_table *t);

/* The entry of a host object (the renderer translating host answers back). */
struct vl_object *vl_object_table_lookup_host(const struct vl_object_table *t, int32_t type,
                                              uint64_t host);

/* Adds an entry; NULL if id is 0, already present, or memory runs out. */
struct vl_object *vl_object_table_add(struct vl_object_table *t, uint64_t id, int32_t type,
                                      uint64_t host, struct vl_object *parent);

/* Gives an entry a new id (layer mode: dispatchable objects take their host
 * handle as id); false if id is 0 or in use, or memory runs out. */
bool vl_object_table_rename(struct vl_object_table *t, struct vl_object *obj, uint64_t id);

/* Removes and frees one entry; its children are re-parented to nothing. */
void vl_object_table_remove(struct vl_object_table *t, struct vl_object *obj);
/* Removes an object with its children, theirs first, freeing their
 * renderer state (the host objects are the caller's to destroy). */
void vl_object_table_remove_tree(struct vl_object_table *t, struct vl_object *obj);

static inline void
vl_list_init(struct vl_list *l)
{
   l->prev = l->next = l;
}

static inline bool
vl_list_empty(const struct vl_list *l)
{
   return l->next == l;
}

#define vl_object_from_link(l) ((struct vl_object *)((char *)(l)-offsetof(struct vl_object, link)))

#endif
