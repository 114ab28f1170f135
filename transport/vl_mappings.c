#include "vl_mappings.h"

#include <stdlib.h>
#include <sys/mman.h>

bool
vl_mappings_reserve(struct vl_mappings *m)
{
   if (m->count < m->cap)
      return true;
   if (m->cap > SIZE_MAX / sizeof(*m->v) / 4)
      return false;
   const size_t cap = m->cap ? m->cap * 2 : 16;
   struct vl_mapping *v = realloc(m->v, cap * sizeof(*v));
   if (!v)
      return false;
   m->v = v;
   m->cap = cap;
   return true;
}

void
vl_mappings_add(struct vl_mappings *m, const struct vl_mapping *entry)
{
   m->v[m->count++] = *entry;
}

bool
vl_mappings_take(struct vl_mappings *m, uint64_t memory_id, struct vl_mapping *out)
{
   struct vl_mapping *e = vl_mappings_find(m, memory_id);
   if (!e)
      return false;
   *out = *e;
   *e = m->v[--m->count];
   return true;
}

void
vl_mappings_finish(struct vl_mappings *m)
{
   for (size_t i = 0; i < m->count; i++)
      munmap(m->v[i].map, m->v[i].size);
   free(m->v);
   *m = (struct vl_mappings){ 0 };
}
