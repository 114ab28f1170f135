/*
 * The project's one hash table: open addressing with linear probing over
 * pointers to the caller's entries, which hold their own keys (the renderer's
 * object table, the layer's handle map, the ICD's memory-requirements cache).
 *
 * The caller hashes (vl_hash_u64 mixes an id or an address) and says what a
 * match is; finds are inline, so a constant eq function inlines with them.
 * Entries are never moved or freed by the table.  Not thread-safe.
 */
#ifndef VL_HASH_TABLE_H
#define VL_HASH_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VL_HASH_TOMBSTONE ((void *)(uintptr_t)1)

struct vl_hash_table {
   void **slots;
   size_t capacity; /* a power of two, or 0 */
   size_t count;
   size_t tombstones;
};

/* Ids are counters and handles are addresses: mixed, both spread. */
static inline size_t
vl_hash_u64(uint64_t x)
{
   x ^= x >> 33;
   x *= 0xff51afd7ed558ccdull;
   x ^= x >> 33;
   return (size_t)x;
}

/* The entry eq(entry, key) accepts, among those inserted under hash; NULL
 * if there is none. */
static inline void *
vl_hash_table_find(const struct vl_hash_table *t, size_t hash,
                   bool (*eq)(const void *entry, const void *key), const void *key)
{
   if (!t->capacity)
      return NULL;
   const size_t mask = t->capacity - 1;
   for (size_t i = hash & mask;; i = (i + 1) & mask) {
      void *e = t->slots[i];
      if (!e)
         return NULL;
      if (e != VL_HASH_TOMBSTONE && eq(e, key))
         return e;
   }
}

/* The slow half of vl_hash_table_reserve: a new, larger slot array. */
bool vl_hash_table_grow(struct vl_hash_table *t, size_t (*hash_of)(const void *entry));

/* Room for one more entry (grows when live and dead entries would pass half
 * the capacity; hash_of rehashes the live ones); false when memory runs out. */
static inline bool
vl_hash_table_reserve(struct vl_hash_table *t, size_t (*hash_of)(const void *entry))
{
   if ((t->count + t->tombstones + 1) * 2 <= t->capacity)
      return true;
   return vl_hash_table_grow(t, hash_of);
}

/* Inserts entry under hash, after vl_hash_table_reserve, unless an entry eq
 * accepts is there already (then false): a lookup and an insert in one probe.
 * eq NULL: no such check. */
static inline bool
vl_hash_table_insert_unique(struct vl_hash_table *t, size_t hash, void *entry,
                            bool (*eq)(const void *entry, const void *key), const void *key)
{
   const size_t mask = t->capacity - 1;
   size_t free_slot = SIZE_MAX;
   for (size_t i = hash & mask;; i = (i + 1) & mask) {
      void *e = t->slots[i];
      if (!e) {
         if (free_slot == SIZE_MAX)
            free_slot = i;
         break;
      }
      if (e == VL_HASH_TOMBSTONE) {
         if (free_slot == SIZE_MAX)
            free_slot = i;
         if (!eq)
            break;
      } else if (eq && eq(e, key)) {
         return false;
      }
   }
   if (t->slots[free_slot] == VL_HASH_TOMBSTONE)
      t->tombstones--;
   t->slots[free_slot] = entry;
   t->count++;
   return true;
}

/* Inserts entry under hash, after vl_hash_table_reserve. */
static inline void
vl_hash_table_insert(struct vl_hash_table *t, size_t hash, void *entry)
{
   vl_hash_table_insert_unique(t, hash, entry, NULL, NULL);
}
/* Removes entry (this very pointer), inserted under hash; false if absent. */
bool vl_hash_table_remove(struct vl_hash_table *t, size_t hash, const void *entry);
/* Calls fn on every entry (the order is the table's). */
void vl_hash_table_each(const struct vl_hash_table *t, void (*fn)(void *entry, void *data),
                        void *data);
/* Frees the slots (not the entries). */
void vl_hash_table_finish(struct vl_hash_table *t);

#endif
