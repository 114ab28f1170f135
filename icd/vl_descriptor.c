/*
 * Descriptor set layouts, pools, sets, updates and update templates, guest
 * side.
 *
 * The encoder sends every non-NULL pointer and every handle it is given, and
 * the renderer looks up every handle, so what the spec calls "ignored" must be
 * cleared before encoding (wire-format.md §9): the arrays that do not match a
 * write's descriptor type, the sampler of image writes that take none or whose
 * binding has immutable samplers, the image view of sampler writes.  That
 * needs each set's layout, which the guest keeps.
 *
 * Update templates are the application's own layout of descriptor data; the
 * renderer never sees one: the guest turns template updates into ordinary
 * writes.
 */
#include <string.h>

#include "vl_asan.h"
#include "vl_icd.h"
#include "vl_icd_calls.h"

/* When an allocation cannot fail, it is sent one-way; anything else, and any
 * allocation the pool's declared counts do not cover, asks the host and
 * returns its answer, as natively.  The spec says when fragmentation cannot
 * make an allocation fail (vkAllocateDescriptorSets): in a pool without
 * VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT (as Mesa's venus guest
 * reasons), and in one with it as long as every set allocated since the pool
 * was created or reset, and the new ones, take the same number of
 * descriptors of each type (an engine's pool of like sets).  The guest
 * counts what the pool's sets take, and gives it back when they are freed. */
struct vl_descriptor_pool {
   struct vl_pool_set *sets;
   /* freed sets kept for the next allocations (poisoned under
    * AddressSanitizer): a pool is externally synchronized, so its own list
    * needs no lock, where malloc and free cost a set cycle 120 instructions */
   struct vl_pool_set *spare;
   uint32_t spare_count;
   bool counted;
   bool frees;   /* FREE_DESCRIPTOR_SET */
   bool uniform; /* frees: every set so far had `shape` */
   bool shaped;  /* frees: shape is set */
   uint32_t shape[VL_POOL_TYPES];
   uint32_t max_sets, used_sets;
   uint32_t capacity[VL_POOL_TYPES], used[VL_POOL_TYPES];
};

/* A descriptor set and its place in its pool's list. */
struct vl_pool_set {
   struct vl_descriptor_set base;
   struct vl_pool_set *next, *prev;
   struct vl_descriptor_pool *pool;
   bool counted; /* it takes its layout's counts from a counted pool */
};

/* ---- layouts ------------------------------------------------------------------ */

static void unref_layout(struct vl_descriptor_set_layout *layout);

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreateDescriptorSetLayout(VkDevice device, const VkDescriptorSetLayoutCreateInfo *info,
                             const VkAllocationCallbacks *alloc, VkDescriptorSetLayout *out)
{
   (void)alloc;
   struct vl_descriptor_set_layout *layout = calloc(1, sizeof(*layout));
   if (!layout)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   atomic_init(&layout->refs, 1);
   layout->countable = !info->pNext && !info->flags;
   for (uint32_t i = 0; i < info->bindingCount; i++) {
      const VkDescriptorSetLayoutBinding *b = &info->pBindings[i];
      if ((uint32_t)b->descriptorType < VL_POOL_TYPES)
         layout->counts[b->descriptorType] += b->descriptorCount;
      else
         layout->countable = false;
   }
   for (uint32_t t = 0; t < VL_POOL_TYPES; t++) {
      if (layout->counts[t])
         layout->types[layout->type_count++] = (uint8_t)t;
   }
   layout->binding_count = info->bindingCount;
   layout->bindings =
      calloc(info->bindingCount ? info->bindingCount : 1, sizeof(*layout->bindings));
   if (!layout->bindings) {
      free(layout);
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   }
   for (uint32_t i = 0; i < info->bindingCount; i++) {
      const VkDescriptorSetLayoutBinding *b = &info->pBindings[i];
      layout->bindings[i].binding = b->binding;
      layout->bindings[i].type = b->descriptorType;
      layout->bindings[i].immutable_samplers =
         b->pImmutableSamplers && (b->descriptorType == VK_DESCRIPTOR_TYPE_SAMPLER ||
                                   b->descriptorType == VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER);
   }
   /* pImmutableSamplers only counts for sampler types. */
   VkDescriptorSetLayoutCreateInfo clean = *info;
   VkDescriptorSetLayoutBinding local[16];
   VkDescriptorSetLayoutBinding *bindings =
      info->bindingCount <= 16 ? local : malloc(info->bindingCount * sizeof(*bindings));
   if (!bindings) {
      free(layout->bindings);
      free(layout);
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   }
   for (uint32_t i = 0; i < info->bindingCount; i++) {
      bindings[i] = info->pBindings[i];
      if (!layout->bindings[i].immutable_samplers)
         bindings[i].pImmutableSamplers = NULL;
   }
   clean.pBindings = info->bindingCount ? bindings : NULL;
   VkDescriptorSetLayout handle = VL_TO_HANDLE(VkDescriptorSetLayout, layout);
   VkResult r = vl_send_vkCreateDescriptorSetLayout(vl_device(device)->transport, device, &clean,
                                                    NULL, &handle);
   if (bindings != local)
      free(bindings);
   if (r != VK_SUCCESS) {
      free(layout->bindings);
      free(layout);
      return r;
   }
   *out = handle;
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroyDescriptorSetLayout(VkDevice device, VkDescriptorSetLayout setLayout,
                              const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   if (!setLayout)
      return;
   vl_send_vkDestroyDescriptorSetLayout(vl_device(device)->transport, device, setLayout, NULL);
   /* Sets and pipeline layouts made with it keep it alive. */
   unref_layout(VL_FROM_HANDLE(struct vl_descriptor_set_layout, setLayout));
}

static bool
binding_has_immutable_samplers(const struct vl_descriptor_set_layout *layout, uint32_t binding)
{
   for (uint32_t i = 0; layout && i < layout->binding_count; i++) {
      if (layout->bindings[i].binding == binding)
         return layout->bindings[i].immutable_samplers;
   }
   return false;
}

/* ---- pipeline layouts: the set layouts, for push-descriptor templates ------------ */

/* A reference to a layout for a set or a pipeline layout (an empty layout
 * for none); NULL when memory runs out. */
static struct vl_descriptor_set_layout *
ref_layout(struct vl_descriptor_set_layout *layout)
{
   if (layout) {
      atomic_fetch_add_explicit(&layout->refs, 1, memory_order_relaxed);
      return layout;
   }
   struct vl_descriptor_set_layout *empty = calloc(1, sizeof(*empty));
   if (!empty)
      return NULL;
   empty->bindings = calloc(1, sizeof(*empty->bindings));
   if (!empty->bindings) {
      free(empty);
      return NULL;
   }
   atomic_init(&empty->refs, 1);
   return empty;
}

static void
unref_layout(struct vl_descriptor_set_layout *layout)
{
   if (layout && atomic_fetch_sub_explicit(&layout->refs, 1, memory_order_acq_rel) == 1) {
      free(layout->bindings);
      free(layout);
   }
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreatePipelineLayout(VkDevice device, const VkPipelineLayoutCreateInfo *info,
                        const VkAllocationCallbacks *alloc, VkPipelineLayout *out)
{
   (void)alloc;
   struct vl_pipeline_layout *pl = calloc(1, sizeof(*pl));
   if (!pl)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   pl->set_count = info->setLayoutCount;
   pl->sets = calloc(pl->set_count ? pl->set_count : 1, sizeof(*pl->sets));
   if (!pl->sets) {
      free(pl);
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   }
   for (uint32_t i = 0; i < pl->set_count; i++)
      pl->sets[i] =
         ref_layout(VL_FROM_HANDLE(struct vl_descriptor_set_layout, info->pSetLayouts[i]));
   VkPipelineLayout handle = VL_TO_HANDLE(VkPipelineLayout, pl);
   VkResult r =
      vl_send_vkCreatePipelineLayout(vl_device(device)->transport, device, info, NULL, &handle);
   if (r != VK_SUCCESS) {
      for (uint32_t i = 0; i < pl->set_count; i++)
         unref_layout(pl->sets[i]);
      free(pl->sets);
      free(pl);
      return r;
   }
   *out = handle;
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroyPipelineLayout(VkDevice device, VkPipelineLayout pipelineLayout,
                         const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   if (!pipelineLayout)
      return;
   struct vl_device *dev = vl_device(device);
   struct vl_pipeline_layout *pl = VL_FROM_HANDLE(struct vl_pipeline_layout, pipelineLayout);
   for (uint32_t i = 0; i < pl->set_count; i++)
      unref_layout(pl->sets[i]);
   free(pl->sets);
   pl->sets = NULL;
   pl->set_count = 0;
   /* A primary command buffer reaches the host only with its submission, and
    * a layout may be destroyed before that: after vkEndCommandBuffer (valid
    * Vulkan), or while recording (the CTS does it; lavapipe copes).  The
    * host destroy waits for the next submission, behind the streams it hands
    * over; the struct, whose address is the id, lives until then so that no
    * new object takes the id. */
   pthread_mutex_lock(&dev->flush_lock);
   pl->next_doomed = dev->doomed;
   dev->doomed = pl;
   pthread_mutex_unlock(&dev->flush_lock);
}

void
vl_device_send_doomed(struct vl_device *dev)
{
   if (!__atomic_load_n(&dev->doomed, __ATOMIC_RELAXED))
      return;
   pthread_mutex_lock(&dev->flush_lock);
   struct vl_pipeline_layout *pl = dev->doomed;
   dev->doomed = NULL;
   pthread_mutex_unlock(&dev->flush_lock);
   const VkDevice device = vl_device_handle(dev);
   while (pl) {
      struct vl_pipeline_layout *next = pl->next_doomed;
      vl_send_vkDestroyPipelineLayout(dev->transport, device, VL_TO_HANDLE(VkPipelineLayout, pl),
                                      NULL);
      free(pl);
      pl = next;
   }
}

/* ---- pools and sets --------------------------------------------------------------- */

/* How many freed sets a pool keeps for reuse. */
#define SPARE_SETS 64u

static void
free_set(struct vl_pool_set *set)
{
   struct vl_descriptor_pool *pool = set->pool;
   if (set->prev)
      set->prev->next = set->next;
   else
      pool->sets = set->next;
   if (set->next)
      set->next->prev = set->prev;
   unref_layout(set->base.layout);
   if (pool->spare_count < SPARE_SETS) {
      set->next = pool->spare;
      pool->spare = set;
      pool->spare_count++;
      VL_POISON(set, sizeof(*set));
   } else {
      free(set);
   }
}

/* A set object: a spare one, or a new one. */
static struct vl_pool_set *
take_set(struct vl_descriptor_pool *pool)
{
   struct vl_pool_set *set = pool->spare;
   if (!set)
      return malloc(sizeof(*set)); /* not calloc: glibc's skips its per-thread cache */
   VL_UNPOISON(set, sizeof(*set));
   pool->spare = set->next;
   pool->spare_count--;
   return set;
}

static void
free_spare_sets(struct vl_descriptor_pool *pool)
{
   while (pool->spare) {
      struct vl_pool_set *set = pool->spare;
      VL_UNPOISON(set, sizeof(*set));
      pool->spare = set->next;
      free(set);
   }
   pool->spare_count = 0;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreateDescriptorPool(VkDevice device, const VkDescriptorPoolCreateInfo *info,
                        const VkAllocationCallbacks *alloc, VkDescriptorPool *out)
{
   (void)alloc;
   struct vl_descriptor_pool *pool = calloc(1, sizeof(*pool));
   if (!pool)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   pool->frees = info->flags & VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT;
   pool->counted =
      !info->pNext && !(info->flags & ~VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT);
   pool->uniform = true;
   pool->max_sets = info->maxSets;
   for (uint32_t i = 0; i < info->poolSizeCount; i++) {
      const VkDescriptorPoolSize *size = &info->pPoolSizes[i];
      if ((uint32_t)size->type < VL_POOL_TYPES)
         pool->capacity[size->type] += size->descriptorCount;
      else
         pool->counted = false;
   }
   VkDescriptorPool handle = VL_TO_HANDLE(VkDescriptorPool, pool);
   VkResult r =
      vl_send_vkCreateDescriptorPool(vl_device(device)->transport, device, info, NULL, &handle);
   if (r != VK_SUCCESS) {
      free(pool);
      return r;
   }
   *out = handle;
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroyDescriptorPool(VkDevice device, VkDescriptorPool descriptorPool,
                         const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   if (!descriptorPool)
      return;
   vl_send_vkDestroyDescriptorPool(vl_device(device)->transport, device, descriptorPool, NULL);
   struct vl_descriptor_pool *pool = VL_FROM_HANDLE(struct vl_descriptor_pool, descriptorPool);
   while (pool->sets)
      free_set(pool->sets);
   free_spare_sets(pool);
   free(pool);
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_ResetDescriptorPool(VkDevice device, VkDescriptorPool descriptorPool,
                       VkDescriptorPoolResetFlags flags)
{
   struct vl_descriptor_pool *pool = VL_FROM_HANDLE(struct vl_descriptor_pool, descriptorPool);
   while (pool->sets)
      free_set(pool->sets);
   pool->used_sets = 0;
   memset(pool->used, 0, sizeof(pool->used));
   pool->uniform = true;
   pool->shaped = false;
   return vl_send_vkResetDescriptorPool(vl_device(device)->transport, device, descriptorPool,
                                        flags);
}

/* Whether a set of this layout keeps a freeing pool's sets all alike. */
static bool
same_shape(const struct vl_descriptor_pool *pool, const struct vl_descriptor_set_layout *layout)
{
   return !pool->frees || !pool->shaped ||
          !memcmp(pool->shape, layout->counts, sizeof(pool->shape));
}

/* Adds the sets (allocated: out) to the pool's use (a pool that was not
 * counted, or a layout that cannot be, makes the pool uncounted from now
 * on).  variable: the allocation gave some sets fewer descriptors than
 * their layouts (counted as the layouts say, which is never too few; but the
 * sets are then not alike). */
static void
count_sets(struct vl_descriptor_pool *pool, const VkDescriptorSetAllocateInfo *info,
           const VkDescriptorSet *out, bool variable)
{
   for (uint32_t i = 0; pool->counted && i < info->descriptorSetCount; i++) {
      const struct vl_descriptor_set_layout *layout =
         VL_FROM_HANDLE(struct vl_descriptor_set_layout, info->pSetLayouts[i]);
      if (!layout->countable) {
         pool->counted = false;
         return;
      }
      if (!same_shape(pool, layout) || variable)
         pool->uniform = false;
      if (!pool->shaped) {
         memcpy(pool->shape, layout->counts, sizeof(pool->shape));
         pool->shaped = true;
      }
      VL_FROM_HANDLE(struct vl_pool_set, out[i])->counted = true;
      pool->used_sets++;
      for (uint32_t k = 0; k < layout->type_count; k++)
         pool->used[layout->types[k]] += layout->counts[layout->types[k]];
   }
}

/* Whether the allocation cannot fail: it fits what the pool has left by its
 * declared counts, and the pool cannot fragment or its sets are all alike;
 * if so, it is counted. */
static bool
fits_counted_pool(struct vl_descriptor_pool *pool, const VkDescriptorSetAllocateInfo *info,
                  const VkDescriptorSet *out)
{
   if (!pool->counted || info->pNext || (pool->frees && !pool->uniform) ||
       (uint64_t)pool->used_sets + info->descriptorSetCount > pool->max_sets)
      return false;
   _Static_assert(VL_POOL_TYPES <= 32, "a type's bit in a uint32_t");
   uint64_t need[VL_POOL_TYPES] = { 0 };
   uint32_t needed = 0; /* bit t: need[t] is not 0 */
   const struct vl_descriptor_set_layout *first = NULL;
   for (uint32_t i = 0; i < info->descriptorSetCount; i++) {
      const struct vl_descriptor_set_layout *layout =
         VL_FROM_HANDLE(struct vl_descriptor_set_layout, info->pSetLayouts[i]);
      if (!layout->countable || !same_shape(pool, layout) ||
          (pool->frees && first && memcmp(first->counts, layout->counts, sizeof(first->counts))))
         return false;
      first = first ? first : layout;
      for (uint32_t k = 0; k < layout->type_count; k++) {
         const uint32_t t = layout->types[k];
         need[t] += layout->counts[t];
         needed |= 1u << t;
      }
   }
   for (; needed; needed &= needed - 1) {
      const uint32_t t = (uint32_t)__builtin_ctz(needed);
      if (pool->used[t] + need[t] > pool->capacity[t])
         return false;
   }
   count_sets(pool, info, out, false);
   return true;
}

/* A counted pool gets a freed set's descriptors back. */
static void
uncount_set(struct vl_pool_set *set)
{
   struct vl_descriptor_pool *pool = set->pool;
   if (!pool->counted || !set->counted)
      return;
   pool->used_sets -= pool->used_sets ? 1 : 0;
   const struct vl_descriptor_set_layout *layout = set->base.layout;
   for (uint32_t k = 0; k < layout->type_count; k++) {
      const uint32_t t = layout->types[k], n = layout->counts[t];
      pool->used[t] -= n < pool->used[t] ? n : pool->used[t];
   }
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_AllocateDescriptorSets(VkDevice device, const VkDescriptorSetAllocateInfo *info,
                          VkDescriptorSet *out)
{
   struct vl_descriptor_pool *pool =
      VL_FROM_HANDLE(struct vl_descriptor_pool, info->descriptorPool);
   for (uint32_t i = 0; i < info->descriptorSetCount; i++) {
      struct vl_pool_set *set = take_set(pool);
      if (set)
         *set = (struct vl_pool_set){
            .base.layout =
               ref_layout(VL_FROM_HANDLE(struct vl_descriptor_set_layout, info->pSetLayouts[i])),
         };
      if (!set || !set->base.layout) {
         free(set);
         for (uint32_t j = 0; j < i; j++)
            free_set(VL_FROM_HANDLE(struct vl_pool_set, out[j]));
         for (uint32_t j = 0; j < info->descriptorSetCount; j++)
            out[j] = VK_NULL_HANDLE;
         return VK_ERROR_OUT_OF_HOST_MEMORY;
      }
      set->pool = pool;
      set->next = pool->sets;
      if (pool->sets)
         pool->sets->prev = set;
      pool->sets = set;
      out[i] = VL_TO_HANDLE(VkDescriptorSet, set);
   }
   VkResult r;
   if (fits_counted_pool(pool, info, out)) {
      /* cannot fail for lack of room: one-way, no round trip */
      r = vl_send_vkAllocateDescriptorSets(vl_device(device)->transport, device, info, out);
   } else {
      r = vl_call_vkAllocateDescriptorSets(vl_device(device)->transport, device, info, out);
      if (r == VK_SUCCESS)
         count_sets(pool, info, out, info->pNext != NULL);
   }
   if (r != VK_SUCCESS) {
      for (uint32_t i = 0; i < info->descriptorSetCount; i++) {
         free_set(VL_FROM_HANDLE(struct vl_pool_set, out[i]));
         out[i] = VK_NULL_HANDLE;
      }
   }
   return r;
}

VKAPI_ATTR VkResult VKAPI_CALL
vl_FreeDescriptorSets(VkDevice device, VkDescriptorPool descriptorPool, uint32_t count,
                      const VkDescriptorSet *sets)
{
   VkResult r = vl_send_vkFreeDescriptorSets(vl_device(device)->transport, device, descriptorPool,
                                             count, sets);
   for (uint32_t i = 0; i < count; i++) {
      if (sets[i]) {
         uncount_set(VL_FROM_HANDLE(struct vl_pool_set, sets[i]));
         free_set(VL_FROM_HANDLE(struct vl_pool_set, sets[i]));
      }
   }
   return r;
}

/* ---- writes ------------------------------------------------------------------------ */

enum info_kind { INFO_IMAGE, INFO_BUFFER, INFO_TEXEL, INFO_NONE };

static enum info_kind
info_kind(VkDescriptorType type)
{
   switch (type) {
   case VK_DESCRIPTOR_TYPE_SAMPLER:
   case VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER:
   case VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE:
   case VK_DESCRIPTOR_TYPE_STORAGE_IMAGE:
   case VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT:
      return INFO_IMAGE;
   case VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER:
   case VK_DESCRIPTOR_TYPE_STORAGE_BUFFER:
   case VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER_DYNAMIC:
   case VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC:
      return INFO_BUFFER;
   case VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER:
   case VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER:
      return INFO_TEXEL;
   default:
      return INFO_NONE; /* inline uniform blocks travel in the pNext chain */
   }
}

/* Cleans one image info for a write of this type. */
static VkDescriptorImageInfo
clean_image_info(VkDescriptorImageInfo info, VkDescriptorType type, bool immutable)
{
   switch (type) {
   case VK_DESCRIPTOR_TYPE_SAMPLER:
      info.imageView = VK_NULL_HANDLE;
      info.imageLayout = VK_IMAGE_LAYOUT_UNDEFINED;
      if (immutable)
         info.sampler = VK_NULL_HANDLE;
      break;
   case VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER:
      if (immutable)
         info.sampler = VK_NULL_HANDLE;
      break;
   default:
      info.sampler = VK_NULL_HANDLE;
      break;
   }
   return info;
}

/*
 * Cleans writes into scratch storage.  The layout of each write's set comes
 * from set_layout(write): a descriptor set for vkUpdateDescriptorSets, the
 * pipeline layout's set for push descriptors.  Consecutive bindings are
 * followed as the spec's array-element overflow rule does.
 */
struct clean_writes {
   const VkWriteDescriptorSet *writes; /* the application's own when clean */
   VkWriteDescriptorSet *owned;        /* the cleaned copies, or NULL */
   VkDescriptorImageInfo *images;
   size_t image_count;
   /* most updates are a few writes: no allocation for them */
   VkWriteDescriptorSet local_writes[8];
   VkDescriptorImageInfo local_images[16];
};

static void
clean_writes_finish(struct clean_writes *c)
{
   if (c->owned != c->local_writes)
      free(c->owned);
   if (c->images != c->local_images)
      free(c->images);
}

static bool
clean_writes(uint32_t count, const VkWriteDescriptorSet *in,
             const struct vl_descriptor_set_layout *(*set_layout)(const VkWriteDescriptorSet *,
                                                                  const void *),
             const void *data, struct clean_writes *out)
{
   size_t images = 0;
   bool clean = true; /* no array the type ignores is given, and no image info */
   for (uint32_t i = 0; i < count; i++) {
      const enum info_kind kind = info_kind(in[i].descriptorType);
      if (kind == INFO_IMAGE && in[i].pImageInfo)
         images += in[i].descriptorCount;
      clean = clean && !in[i].pImageInfo && (kind == INFO_BUFFER || !in[i].pBufferInfo) &&
              (kind == INFO_TEXEL || !in[i].pTexelBufferView);
   }
   out->image_count = 0;
   out->images = out->local_images;
   if (clean) {
      /* the common buffer write: sent as the application gave it */
      out->writes = in;
      out->owned = NULL;
      return true;
   }
   out->owned = count <= 8 ? out->local_writes : malloc(count * sizeof(*out->owned));
   out->images = images <= 16 ? out->local_images : malloc(images * sizeof(*out->images));
   out->writes = out->owned;
   if (!out->owned || !out->images) {
      clean_writes_finish(out);
      return false;
   }
   for (uint32_t i = 0; i < count; i++) {
      VkWriteDescriptorSet w = in[i];
      const enum info_kind kind = info_kind(w.descriptorType);
      if (kind != INFO_IMAGE)
         w.pImageInfo = NULL;
      if (kind != INFO_BUFFER)
         w.pBufferInfo = NULL;
      if (kind != INFO_TEXEL)
         w.pTexelBufferView = NULL;
      if (kind == INFO_IMAGE && w.pImageInfo) {
         const struct vl_descriptor_set_layout *layout = set_layout(&in[i], data);
         VkDescriptorImageInfo *dst = out->images + out->image_count;
         /* Descriptors may run on into the following bindings. */
         uint32_t binding = w.dstBinding;
         for (uint32_t k = 0; k < w.descriptorCount; k++) {
            const bool immutable = binding_has_immutable_samplers(layout, binding);
            dst[k] = clean_image_info(w.pImageInfo[k], w.descriptorType, immutable);
         }
         w.pImageInfo = dst;
         out->image_count += w.descriptorCount;
      }
      out->owned[i] = w;
   }
   return true;
}

static const struct vl_descriptor_set_layout *
layout_of_set(const VkWriteDescriptorSet *w, const void *data)
{
   (void)data;
   const struct vl_pool_set *set = VL_FROM_HANDLE(struct vl_pool_set, w->dstSet);
   return set ? set->base.layout : NULL;
}

VKAPI_ATTR void VKAPI_CALL
vl_UpdateDescriptorSets(VkDevice device, uint32_t writeCount, const VkWriteDescriptorSet *writes,
                        uint32_t copyCount, const VkCopyDescriptorSet *copies)
{
   struct clean_writes c;
   if (!clean_writes(writeCount, writes, layout_of_set, NULL, &c))
      return;
   vl_send_vkUpdateDescriptorSets(vl_device(device)->transport, device, writeCount,
                                  writeCount ? c.writes : NULL, copyCount, copies);
   clean_writes_finish(&c);
}

struct push_layout {
   const struct vl_pipeline_layout *layout;
   uint32_t set;
};

static const struct vl_descriptor_set_layout *
layout_of_push(const VkWriteDescriptorSet *w, const void *data)
{
   (void)w;
   const struct push_layout *p = data;
   return p->layout && p->set < p->layout->set_count ? p->layout->sets[p->set] : NULL;
}

VKAPI_ATTR void VKAPI_CALL
vl_CmdPushDescriptorSetKHR(VkCommandBuffer commandBuffer, VkPipelineBindPoint bindPoint,
                           VkPipelineLayout layout, uint32_t set, uint32_t writeCount,
                           const VkWriteDescriptorSet *writes)
{
   const struct push_layout p = { VL_FROM_HANDLE(struct vl_pipeline_layout, layout), set };
   struct clean_writes c;
   struct vl_command_buffer *cmd = vl_command_buffer(commandBuffer);
   if (!clean_writes(writeCount, writes, layout_of_push, &p, &c)) {
      cmd->error = VK_ERROR_OUT_OF_HOST_MEMORY;
      return;
   }
   struct vl_encoder *enc =
      vl_cmd_reserve(cmd, vl_sizeof_vkCmdPushDescriptorSetKHR(commandBuffer, bindPoint, layout, set,
                                                              writeCount, c.writes));
   if (enc)
      vl_encode_vkCmdPushDescriptorSetKHR(enc, 0, commandBuffer, bindPoint, layout, set, writeCount,
                                          c.writes);
   clean_writes_finish(&c);
}

/* ---- update templates --------------------------------------------------------------- */

VKAPI_ATTR VkResult VKAPI_CALL
vl_CreateDescriptorUpdateTemplate(VkDevice device, const VkDescriptorUpdateTemplateCreateInfo *info,
                                  const VkAllocationCallbacks *alloc,
                                  VkDescriptorUpdateTemplate *out)
{
   (void)alloc;
   struct vl_update_template *t = calloc(1, sizeof(*t));
   if (!t)
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   t->type = info->templateType;
   t->set_layout = info->descriptorSetLayout;
   t->pipeline_layout = info->pipelineLayout;
   t->set = info->set;
   t->bind_point = info->pipelineBindPoint;
   t->entry_count = info->descriptorUpdateEntryCount;
   t->entries = malloc((t->entry_count ? t->entry_count : 1) * sizeof(*t->entries));
   if (!t->entries) {
      free(t);
      return VK_ERROR_OUT_OF_HOST_MEMORY;
   }
   memcpy(t->entries, info->pDescriptorUpdateEntries, t->entry_count * sizeof(*t->entries));
   /* The host keeps a template too (nothing on the wire uses it, but the
    * handle must name a real object). */
   VkDescriptorUpdateTemplateCreateInfo clean = *info;
   if (clean.templateType == VK_DESCRIPTOR_UPDATE_TEMPLATE_TYPE_DESCRIPTOR_SET)
      clean.pipelineLayout = VK_NULL_HANDLE;
   else
      clean.descriptorSetLayout = VK_NULL_HANDLE;
   VkDescriptorUpdateTemplate handle = VL_TO_HANDLE(VkDescriptorUpdateTemplate, t);
   VkResult r = vl_send_vkCreateDescriptorUpdateTemplate(vl_device(device)->transport, device,
                                                         &clean, NULL, &handle);
   if (r != VK_SUCCESS) {
      free(t->entries);
      free(t);
      return r;
   }
   *out = handle;
   return VK_SUCCESS;
}

VKAPI_ATTR void VKAPI_CALL
vl_DestroyDescriptorUpdateTemplate(VkDevice device, VkDescriptorUpdateTemplate descriptorTemplate,
                                   const VkAllocationCallbacks *alloc)
{
   (void)alloc;
   if (!descriptorTemplate)
      return;
   vl_send_vkDestroyDescriptorUpdateTemplate(vl_device(device)->transport, device,
                                             descriptorTemplate, NULL);
   struct vl_update_template *t = VL_FROM_HANDLE(struct vl_update_template, descriptorTemplate);
   free(t->entries);
   free(t);
}

/* Turns template data into writes (storage owned by the caller's arrays). */
static bool
template_writes(const struct vl_update_template *t, VkDescriptorSet set, const void *data,
                VkWriteDescriptorSet **out_writes, void **out_storage)
{
   size_t images = 0, buffers = 0, texels = 0, inline_bytes = 0, inline_count = 0;
   for (uint32_t i = 0; i < t->entry_count; i++) {
      const VkDescriptorUpdateTemplateEntry *e = &t->entries[i];
      switch (info_kind(e->descriptorType)) {
      case INFO_IMAGE:
         images += e->descriptorCount;
         break;
      case INFO_BUFFER:
         buffers += e->descriptorCount;
         break;
      case INFO_TEXEL:
         texels += e->descriptorCount;
         break;
      default:
         inline_bytes += e->descriptorCount;
         inline_count++;
         break;
      }
   }
   VkWriteDescriptorSet *writes = calloc(t->entry_count ? t->entry_count : 1, sizeof(*writes));
   uint8_t *storage =
      malloc(images * sizeof(VkDescriptorImageInfo) + buffers * sizeof(VkDescriptorBufferInfo) +
             texels * sizeof(VkBufferView) +
             inline_count * sizeof(VkWriteDescriptorSetInlineUniformBlock) + 8);
   if (!writes || !storage) {
      free(writes);
      free(storage);
      return false;
   }
   VkDescriptorImageInfo *img = (VkDescriptorImageInfo *)storage;
   VkDescriptorBufferInfo *buf = (VkDescriptorBufferInfo *)(img + images);
   VkBufferView *tex = (VkBufferView *)(buf + buffers);
   VkWriteDescriptorSetInlineUniformBlock *inl =
      (VkWriteDescriptorSetInlineUniformBlock *)(tex + texels);
   (void)inline_bytes;
   for (uint32_t i = 0; i < t->entry_count; i++) {
      const VkDescriptorUpdateTemplateEntry *e = &t->entries[i];
      const uint8_t *src = (const uint8_t *)data + e->offset;
      VkWriteDescriptorSet *w = &writes[i];
      *w = (VkWriteDescriptorSet){
         .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
         .dstSet = set,
         .dstBinding = e->dstBinding,
         .dstArrayElement = e->dstArrayElement,
         .descriptorCount = e->descriptorCount,
         .descriptorType = e->descriptorType,
      };
      switch (info_kind(e->descriptorType)) {
      case INFO_IMAGE:
         w->pImageInfo = img;
         for (uint32_t k = 0; k < e->descriptorCount; k++)
            memcpy(img++, src + k * e->stride, sizeof(*img));
         break;
      case INFO_BUFFER:
         w->pBufferInfo = buf;
         for (uint32_t k = 0; k < e->descriptorCount; k++)
            memcpy(buf++, src + k * e->stride, sizeof(*buf));
         break;
      case INFO_TEXEL:
         w->pTexelBufferView = tex;
         for (uint32_t k = 0; k < e->descriptorCount; k++)
            memcpy(tex++, src + k * e->stride, sizeof(*tex));
         break;
      default:
         /* inline uniform block: descriptorCount is a byte count */
         *inl = (VkWriteDescriptorSetInlineUniformBlock){
            .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET_INLINE_UNIFORM_BLOCK,
            .dataSize = e->descriptorCount,
            .pData = src,
         };
         w->pNext = inl++;
         break;
      }
   }
   *out_writes = writes;
   *out_storage = storage;
   return true;
}

VKAPI_ATTR void VKAPI_CALL
vl_UpdateDescriptorSetWithTemplate(VkDevice device, VkDescriptorSet set,
                                   VkDescriptorUpdateTemplate descriptorTemplate, const void *data)
{
   const struct vl_update_template *t =
      VL_FROM_HANDLE(struct vl_update_template, descriptorTemplate);
   VkWriteDescriptorSet *writes;
   void *storage;
   if (!template_writes(t, set, data, &writes, &storage))
      return;
   vl_UpdateDescriptorSets(device, t->entry_count, writes, 0, NULL);
   free(writes);
   free(storage);
}

VKAPI_ATTR void VKAPI_CALL
vl_CmdPushDescriptorSetWithTemplateKHR(VkCommandBuffer commandBuffer,
                                       VkDescriptorUpdateTemplate descriptorTemplate,
                                       VkPipelineLayout layout, uint32_t set, const void *data)
{
   const struct vl_update_template *t =
      VL_FROM_HANDLE(struct vl_update_template, descriptorTemplate);
   VkWriteDescriptorSet *writes;
   void *storage;
   if (!template_writes(t, VK_NULL_HANDLE, data, &writes, &storage)) {
      vl_command_buffer(commandBuffer)->error = VK_ERROR_OUT_OF_HOST_MEMORY;
      return;
   }
   vl_CmdPushDescriptorSetKHR(commandBuffer, t->bind_point, layout, set, t->entry_count, writes);
   free(writes);
   free(storage);
}
