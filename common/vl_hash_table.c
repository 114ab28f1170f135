#include "vl_hash_table.h"

#include <stdlib.h>

#include "vl_cacheline.h"

bool
vl_hash_table_grow(struct vl_hash_table *t, size_t (*hash_of)(const void *entry))
{
   size_t cap = t->capacity ? t->capacity : 64;
   /* live entries at most a quarter after growing; tombstones go */
   while ((t->count + 1) * 4 > cap)
      cap *= 2;
   void **slots = vl_calloc_lines(cap * sizeof(*slots));
   if (!slots)
      return false;
   for (size_t i = 0; i < t->capacity; i++) {
      void *e = t->slots[i];
      if (!e || e == VL_HASH_TOMBSTONE)
         continue;
      size_t j = hash_of(e) & (cap - 1);
      while (slots[j])
         j = (j + 1) & (cap - 1);
      slots[j] = e;
   }
   free(t->slots);
   t->slots = slots;
   t->capacity = cap;
   t->tombstones = 0;
   return true;
}

bool
vl_hash_table_remove(struct vl_hash_table *t, size_t hash, const void *entry)
{
   if (!t->capacity)
      return false;
   const size_t mask = t->capacity - 1;
   for (size_t i = hash & mask;; i = (i + 1) & mask) {
      if (!t->slots[i])
         return false;
      if (t->slots[i] == entry) {
         t->count--;
         t->slots[i] = VL_HASH_TOMBSTONE;
         t->tombstones++;
         /* Tombstones that end a probe run (only free slots after them)
          * end no search: they become free slots again, so that churn
          * leaves none behind and never forces a rehash. */
         size_t j = (i + 1) & mask;
         while (t->slots[j] == VL_HASH_TOMBSTONE)
            j = (j + 1) & mask;
         if (!t->slots[j]) {
            for (j = (j - 1) & mask; t->slots[j] == VL_HASH_TOMBSTONE; j = (j - 1) & mask) {
               t->slots[j] = NULL;
               t->tombstones--;
            }
         }
         return true;
      }
   }
}

void
vl_hash_table_each(const struct vl_hash_table *t, void (*fn)(void *entry, void *data), void *data)
{
   for (size_t i = 0; i < t->capacity; i++) {
      if (t->slots[i] && t->slots[i] != VL_HASH_TOMBSTONE)
         fn(t->slots[i], data);
   }
}

void
vl_hash_table_finish(struct vl_hash_table *t)
{
   free(t->slots);
   *t = (struct vl_hash_table){ 0 };
}
