/* The renderer's object table (see vl_object_table.h), on common/'s hash table. */
#include "vl_object_table.h"

#include <stdlib.h>
#include <string.h>

#include "vl_asan.h"

/* Entries live in slabs of SLAB_SIZE bytes aligned to their size, each entry
 * on whole cache lines of its own: one allocation per SLAB_ENTRIES objects
 * (an aligned allocation per object cost level-load 3 % more instructions
 * in glibc), and no entry shares a line with memory another thread writes
 * (an entry made while the application's thread executed a command inline
 * sat beside the ICD's own allocations, and the renderer thread's lookups of
 * it missed the cache).  Free entries are poisoned under AddressSanitizer
 * but for their free-list link, so that a stale pointer to one is caught
 * until it is reused.  A slab whose entries are all free goes back to
 * malloc while more than SPARE_MAX entries are free. */
#define SLAB_SIZE    8192u
#define SLAB_HEADER  64u
#define ENTRY_STRIDE 128u
#define SLAB_ENTRIES ((SLAB_SIZE - SLAB_HEADER) / ENTRY_STRIDE)
#define SPARE_MAX    1024u

_Static_assert(sizeof(struct vl_object) <= ENTRY_STRIDE, "an entry outgrew its stride");

struct slab {
   struct vl_list link; /* in the table's slabs */
   uint32_t free;       /* of its entries, on the free list */
};

static struct slab *
slab_of(const struct vl_object *o)
{
   return (struct slab *)((uintptr_t)o & ~(uintptr_t)(SLAB_SIZE - 1));
}

static struct vl_object *
slab_entry(struct slab *s, uint32_t i)
{
   return (struct vl_object *)((unsigned char *)s + SLAB_HEADER + i * ENTRY_STRIDE);
}

static void
list_ready(struct vl_list *l)
{
   if (!l->next)
      vl_list_init(l);
}

static void
list_push(struct vl_list *head, struct vl_list *l)
{
   l->next = head->next;
   l->prev = head;
   head->next->prev = l;
   head->next = l;
}

static void
list_unlink(struct vl_list *l)
{
   l->prev->next = l->next;
   l->next->prev = l->prev;
}

/* A free entry: only its free-list link may be touched. */
static void
poison_but_link(struct vl_object *o)
{
   const size_t at = offsetof(struct vl_object, link), end = at + sizeof(o->link);
   VL_POISON(o, at);
   VL_POISON((unsigned char *)o + end, ENTRY_STRIDE - end);
   (void)end;
}

/* Onto the free list, poisoned but for the link. */
static void
entry_free(struct vl_object_table *t, struct vl_object *o)
{
   list_push(&t->free_entries, &o->link);
   poison_but_link(o);
   t->spare_count++;
   struct slab *s = slab_of(o);
   if (++s->free < SLAB_ENTRIES || t->spare_count <= SPARE_MAX)
      return;
   for (uint32_t i = 0; i < SLAB_ENTRIES; i++)
      list_unlink(&slab_entry(s, i)->link);
   t->spare_count -= SLAB_ENTRIES;
   list_unlink(&s->link);
   VL_UNPOISON(s, SLAB_SIZE);
   free(s);
}

/* A zeroed entry; NULL when memory runs out. */
static struct vl_object *
entry_new(struct vl_object_table *t)
{
   list_ready(&t->free_entries);
   list_ready(&t->slabs);
   if (vl_list_empty(&t->free_entries)) {
      struct slab *s = aligned_alloc(SLAB_SIZE, SLAB_SIZE);
      if (!s)
         return NULL;
      memset(s, 0, SLAB_HEADER);
      list_push(&t->slabs, &s->link);
      for (uint32_t i = SLAB_ENTRIES; i-- > 0;) {
         struct vl_object *o = slab_entry(s, i);
         list_push(&t->free_entries, &o->link);
         poison_but_link(o);
      }
      s->free = SLAB_ENTRIES;
      t->spare_count += SLAB_ENTRIES;
   }
   struct vl_list *l = t->free_entries.next;
   list_unlink(l);
   struct vl_object *o = vl_object_from_link(l);
   slab_of(o)->free--;
   t->spare_count--;
   VL_UNPOISON(o, ENTRY_STRIDE);
   memset(o, 0, sizeof(*o));
   return o;
}

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

void
vl_object_table_init(struct vl_object_table *t)
{
   *t = (struct vl_object_table){ 0 };
}

void
vl_object_table_finish(struct vl_object_table *t)
{
   /* every entry, live or free, goes with its slab */
   while (t->slabs.next && !vl_list_empty(&t->slabs)) {
      struct slab *s = (struct slab *)t->slabs.next;
      list_unlink(&s->link);
      VL_UNPOISON(s, SLAB_SIZE);
      free(s);
   }
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
   struct vl_object *o = entry_new(t);
   if (!o)
      return NULL;
   o->id = id;
   /* the id's lookup and insertion in one probe */
   if (!vl_hash_table_insert_unique(&t->by_id, vl_hash_u64(id), o, vl_object_has_id, &id)) {
      entry_free(t, o);
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

void
vl_object_table_remove_tree(struct vl_object_table *t, struct vl_object *obj)
{
   while (!vl_list_empty(&obj->children))
      vl_object_table_remove_tree(t, vl_object_from_link(obj->children.next));
   vl_object_free_data(obj);
   vl_object_table_remove(t, obj);
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
   if (vl_object_type_dispatchable(obj->type))
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
   entry_free(t, obj);
}
