/* Open-addressing hash table of renderer objects (see vl_object_table.h). */
#include "vl_object_table.h"

#include <stdlib.h>

#define TOMBSTONE ((struct vl_object *)(uintptr_t)1)

static inline size_t
hash_id(uint64_t id)
{
   /* Guest ids are counters or addresses; mix them so both spread. */
   id ^= id >> 33;
   id *= 0xff51afd7ed558ccdull;
   id ^= id >> 33;
   return (size_t)id;
}

static inline size_t
hash_host(int32_t type, uint64_t host)
{
   return hash_id(host ^ ((uint64_t)(uint32_t)type << 40));
}

void
vl_object_table_init(struct vl_object_table *t)
{
   t->slots = NULL;
   t->host_slots = NULL;
   t->capacity = 0;
   t->count = 0;
   t->tombstones = 0;
   t->host_tombstones = 0;
   t->generation = 0;
}

void
vl_object_table_finish(struct vl_object_table *t)
{
   for (size_t i = 0; i < t->capacity; i++) {
      if (t->slots[i] && t->slots[i] != TOMBSTONE)
         free(t->slots[i]);
   }
   free(t->slots);
   free(t->host_slots);
   vl_object_table_init(t);
}

struct vl_object *
vl_object_table_lookup(const struct vl_object_table *t, uint64_t id)
{
   if (!t->capacity || !id)
      return NULL;
   const size_t mask = t->capacity - 1;
   for (size_t i = hash_id(id) & mask;; i = (i + 1) & mask) {
      struct vl_object *o = t->slots[i];
      if (!o)
         return NULL;
      if (o != TOMBSTONE && o->id == id)
         return o;
   }
}

struct vl_object *
vl_object_table_lookup_host(const struct vl_object_table *t, int32_t type, uint64_t host)
{
   if (!t->capacity)
      return NULL;
   const size_t mask = t->capacity - 1;
   for (size_t i = hash_host(type, host) & mask;; i = (i + 1) & mask) {
      struct vl_object *o = t->host_slots[i];
      if (!o)
         return NULL;
      if (o != TOMBSTONE && o->host == host && o->type == type)
         return o;
   }
}

static bool
grow(struct vl_object_table *t)
{
   size_t cap = t->capacity ? t->capacity : 64;
   /* Keep the load (live + tombstones) under 1/2. */
   while ((t->count + 1) * 2 > cap)
      cap *= 2;
   struct vl_object **slots = calloc(cap, sizeof(*slots));
   struct vl_object **host_slots = calloc(cap, sizeof(*host_slots));
   if (!slots || !host_slots) {
      free(slots);
      free(host_slots);
      return false;
   }
   for (size_t i = 0; i < t->capacity; i++) {
      struct vl_object *o = t->slots[i];
      if (!o || o == TOMBSTONE)
         continue;
      size_t j = hash_id(o->id) & (cap - 1);
      while (slots[j])
         j = (j + 1) & (cap - 1);
      slots[j] = o;
      j = hash_host(o->type, o->host) & (cap - 1);
      while (host_slots[j])
         j = (j + 1) & (cap - 1);
      host_slots[j] = o;
   }
   free(t->slots);
   free(t->host_slots);
   t->slots = slots;
   t->host_slots = host_slots;
   t->capacity = cap;
   t->tombstones = 0;
   t->host_tombstones = 0;
   return true;
}

struct vl_object *
vl_object_table_add(struct vl_object_table *t, uint64_t id, int32_t type, uint64_t host,
                    struct vl_object *parent)
{
   if (!id || vl_object_table_lookup(t, id))
      return NULL;
   if ((t->count + t->tombstones + t->host_tombstones + 1) * 2 > t->capacity && !grow(t))
      return NULL;
   struct vl_object *o = calloc(1, sizeof(*o));
   if (!o)
      return NULL;
   o->id = id;
   o->type = type;
   o->host = host;
   o->parent = parent;
   vl_list_init(&o->children);
   vl_list_init(&o->link);
   if (parent) {
      o->link.next = &parent->children;
      o->link.prev = parent->children.prev;
      parent->children.prev->next = &o->link;
      parent->children.prev = &o->link;
   }
   const size_t mask = t->capacity - 1;
   size_t i = hash_id(id) & mask;
   while (t->slots[i] && t->slots[i] != TOMBSTONE)
      i = (i + 1) & mask;
   if (t->slots[i] == TOMBSTONE)
      t->tombstones--;
   t->slots[i] = o;
   i = hash_host(type, host) & mask;
   while (t->host_slots[i] && t->host_slots[i] != TOMBSTONE)
      i = (i + 1) & mask;
   if (t->host_slots[i] == TOMBSTONE)
      t->host_tombstones--;
   t->host_slots[i] = o;
   t->count++;
   return o;
}

bool
vl_object_table_rename(struct vl_object_table *t, struct vl_object *obj, uint64_t id)
{
   if (!id || vl_object_table_lookup(t, id))
      return false;
   if ((t->count + t->tombstones + t->host_tombstones + 1) * 2 > t->capacity && !grow(t))
      return false;
   const size_t mask = t->capacity - 1;
   size_t i = hash_id(obj->id) & mask;
   while (t->slots[i] != obj)
      i = (i + 1) & mask;
   t->slots[i] = TOMBSTONE;
   t->tombstones++;
   t->generation++;
   obj->id = id;
   i = hash_id(id) & mask;
   while (t->slots[i] && t->slots[i] != TOMBSTONE)
      i = (i + 1) & mask;
   if (t->slots[i] == TOMBSTONE)
      t->tombstones--;
   t->slots[i] = obj;
   return true;
}

void
vl_object_table_remove(struct vl_object_table *t, struct vl_object *obj)
{
   const size_t mask = t->capacity - 1;
   size_t i = hash_id(obj->id) & mask;
   while (t->slots[i] != obj)
      i = (i + 1) & mask;
   t->slots[i] = TOMBSTONE;
   t->count--;
   t->tombstones++;
   i = hash_host(obj->type, obj->host) & mask;
   while (t->host_slots[i] != obj)
      i = (i + 1) & mask;
   t->host_slots[i] = TOMBSTONE;
   t->host_tombstones++;
   t->generation++;

   obj->link.prev->next = obj->link.next;
   obj->link.next->prev = obj->link.prev;
   while (!vl_list_empty(&obj->children)) {
      struct vl_list *l = obj->children.next;
      struct vl_object *child = vl_object_from_link(l);
      l->prev->next = l->next;
      l->next->prev = l->prev;
      vl_list_init(l);
      child->parent = NULL;
   }
   free(obj);
}
