/*
 * Layer mode: the application's dispatchable handles -> our structs.
 *
 * In the layer the application's VkInstance, VkPhysicalDevice, VkDevice,
 * VkQueue and VkCommandBuffer are objects of the loader's chain below us, so
 * our state cannot hang off them: it is found here.  One hash table
 * (common/vl_hash_table.h) keyed by handle, under a reader-writer lock.  Every vkCmd* looks its
 * command buffer up, so each thread first checks the last handle it found;
 * that answer stays good until an entry is removed or replaced anywhere,
 * which bumps a generation counter.
 *
 * Invariants: keys are nonzero; an entry's type is the VkObjectType it was
 * registered with.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vl_hash_table.h"
#include "vl_icd.h"
#include "vl_tls.h"

struct entry {
   uint64_t handle;
   VkObjectType type;
   void *object;
};

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static struct vl_hash_table table; /* of struct entry, by handle */
static atomic_uint_fast64_t generation = 1;

static VL_TLS struct {
   uint64_t handle, generation;
   VkObjectType type;
   void *object;
} last;

static bool
has_handle(const void *entry, const void *key)
{
   return ((const struct entry *)entry)->handle == *(const uint64_t *)key;
}

static size_t
hash_of(const void *entry)
{
   return vl_hash_u64(((const struct entry *)entry)->handle);
}

static struct entry *
find_locked(uint64_t handle)
{
   return vl_hash_table_find(&table, vl_hash_u64(handle), has_handle, &handle);
}

static const char *
type_name(VkObjectType type)
{
   switch (type) {
   case VK_OBJECT_TYPE_INSTANCE:
      return "VkInstance";
   case VK_OBJECT_TYPE_PHYSICAL_DEVICE:
      return "VkPhysicalDevice";
   case VK_OBJECT_TYPE_DEVICE:
      return "VkDevice";
   case VK_OBJECT_TYPE_QUEUE:
      return "VkQueue";
   case VK_OBJECT_TYPE_COMMAND_BUFFER:
      return "VkCommandBuffer";
   default:
      return "handle";
   }
}

void *
vl_handle_lookup(uint64_t handle, VkObjectType type)
{
   if (!handle)
      return NULL;
   const uint64_t gen = atomic_load_explicit(&generation, memory_order_acquire);
   if (last.handle == handle && last.generation == gen && last.type == type)
      return last.object;
   pthread_rwlock_rdlock(&lock);
   const struct entry *e = find_locked(handle);
   const VkObjectType found = e ? e->type : VK_OBJECT_TYPE_UNKNOWN;
   void *object = e ? e->object : NULL;
   pthread_rwlock_unlock(&lock);
   if (!object || found != type) {
      /* Nothing sensible can follow; the loader aborts on bad handles too. */
      if (object)
         vl_icd_log("the application passed %s 0x%" PRIx64 " where a %s belongs; aborting",
                    type_name(found), handle, type_name(type));
      else
         vl_icd_log("the application passed %s 0x%" PRIx64 ", which the venus-loopback layer "
                    "did not create (destroyed already, or not a handle); aborting",
                    type_name(type), handle);
      abort();
   }
   last.handle = handle;
   last.generation = gen;
   last.type = type;
   last.object = object;
   return object;
}

bool
vl_handle_register(uint64_t handle, VkObjectType type, void *object)
{
   if (!handle)
      return false;
   bool ok = true;
   pthread_rwlock_wrlock(&lock);
   struct entry *e = find_locked(handle);
   if (e) {
      /* The host destroyed the old object and reused its address before we
       * forgot it (another thread's free): the new one wins. */
      e->type = type;
      e->object = object;
      atomic_fetch_add_explicit(&generation, 1, memory_order_release);
      goto out;
   }
   struct entry *fresh = malloc(sizeof(*fresh));
   if (!fresh || !vl_hash_table_reserve(&table, hash_of)) {
      free(fresh);
      ok = false;
      goto out;
   }
   *fresh = (struct entry){ handle, type, object };
   vl_hash_table_insert(&table, vl_hash_u64(handle), fresh);
out:
   pthread_rwlock_unlock(&lock);
   return ok;
}

void
vl_handle_unregister(uint64_t handle, const void *object)
{
   if (!handle)
      return;
   pthread_rwlock_wrlock(&lock);
   struct entry *e = find_locked(handle);
   if (e && e->object == object) {
      vl_hash_table_remove(&table, vl_hash_u64(handle), e);
      free(e);
      atomic_fetch_add_explicit(&generation, 1, memory_order_release);
   }
   pthread_rwlock_unlock(&lock);
}

uint64_t
vl_adopt(struct vl_transport *t, void *object, VkObjectType type)
{
   uint64_t host = 0;
   if (!t->ops->adopt_host_handle) {
      vl_icd_log("the transport cannot rename objects; the layer needs the in-process transport");
      return 0;
   }
   if (!t->ops->adopt_host_handle(t, (uint64_t)(uintptr_t)object, &host) || !host)
      return 0;
   if (!vl_handle_register(host, type, object)) {
      vl_icd_log("out of memory for the handle map");
      return 0;
   }
   return host;
}
