/* The renderer's object table (see vl_object_table.h), on common/'s hash table. */
#include "vl_object_table.h"

#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan_core.h>

#include "vl_asan.h"

/* How many removed entries are kept for reuse.  They are poisoned under
 * AddressSanitizer, so that a stale pointer to one is still caught until the
 * entry is reused. */
#define SPARE_MAX 1024u

struct host_key {
   int32_t type;
   uint64_t host;
};

static size_t
hash_host(int32_t type, uint64_t host)
{
   return vl_hash_u64(host ^ ((uint64_t)(uint32_t)type << 40));
}

static size_t
id_hash_of(const void *entry)
{
   return vl_hash_u64(((const struct vl_object *)entry)->id);
}

static size_t
host_hash_of(const void *entry)
{
   const struct vl_object *o = entry;
   return hash_host(o->type, o->host);
}

static bool
has_host(const void *entry, const void *key)
{
   const struct vl_object *o = entry;
   const struct host_key *k = key;
   return o->host == k->host && o->type == k->type;
}

/* The types whose entries a decoder caches (vl_dec_dispatch_handle) */
static bool
dispatchable(int32_t type)
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

void
vl_object_table_init(struct vl_object_table *t)
{
   *t = (struct vl_object_table){ 0 };
}

static void
free_entry(void *entry, void *data)
{
   (void)data;
   free(entry);
}

void
vl_object_table_finish(struct vl_object_table *t)
{
   while (t->spare) {
      struct vl_object *o = t->spare;
      VL_UNPOISON(o, sizeof(*o));
      t->spare = o->parent;
      free(o);
   }
   vl_hash_table_each(&t->by_id, free_entry, NULL);
   vl_hash_table_finish(&t->by_id);
   vl_hash_table_finish(&t->by_host);
   vl_object_table_init(t);
}

struct vl_object *
vl_object_table_lookup_host(const struct vl_object_table *t, int32_t type, uint64_t host)
{
   const struct host_key k = { type, host };
   return vl_hash_table_find(&t->by_host, hash_host(type, host), has_host, &k);
}

struct vl_object *
vl_object_table_add(struct vl_object_table *t, uint64_t id, int32_t type, uint64_t host,
                    struct vl_object *parent)
{
   if (!id)
      return NULL;
   if (!vl_hash_table_reserve(&t->by_id, id_hash_of) ||
       !vl_hash_table_reserve(&t->by_host, host_hash_of))
      return NULL;
   struct vl_object *o = t->spare;
   if (o) {
      VL_UNPOISON(o, sizeof(*o));
      t->spare = o->parent;
      t->spare_count--;
      memset(o, 0, sizeof(*o));
   } else {
      o = calloc(1, sizeof(*o));
      if (!o)
         return NULL;
   }
   o->id = id;
   /* the id's lookup and insertion in one probe */
   if (!vl_hash_table_insert_unique(&t->by_id, vl_hash_u64(id), o, vl_object_has_id, &id)) {
      o->parent = t->spare;
      t->spare = o;
      t->spare_count++;
      VL_POISON(o, sizeof(*o));
      return NULL;
   }
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
   vl_hash_table_insert(&t->by_host, hash_host(type, host), o);
   return o;
}

bool
vl_object_table_rename(struct vl_object_table *t, struct vl_object *obj, uint64_t id)
{
   if (!id || vl_object_table_lookup(t, id) || !vl_hash_table_reserve(&t->by_id, id_hash_of))
      return false;
   vl_hash_table_remove(&t->by_id, vl_hash_u64(obj->id), obj);
   t->generation++;
   obj->id = id;
   vl_hash_table_insert(&t->by_id, vl_hash_u64(id), obj);
   return true;
}

void
vl_object_table_remove(struct vl_object_table *t, struct vl_object *obj)
{
   vl_hash_table_remove(&t->by_id, vl_hash_u64(obj->id), obj);
   vl_hash_table_remove(&t->by_host, hash_host(obj->type, obj->host), obj);
   if (dispatchable(obj->type))
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
   if (t->spare_count < SPARE_MAX) {
      obj->parent = t->spare; /* the spare list's link */
      t->spare = obj;
      t->spare_count++;
      VL_POISON(obj, sizeof(*obj));
   } else {
      free(obj);
   }
}
