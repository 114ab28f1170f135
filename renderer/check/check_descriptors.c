/*
 * Descriptors: set layouts keep their bindings and each set a copy, so that
 * writes and copies name a binding of the set and stay within the
 * descriptors from that binding on (lavapipe indexes its binding table with
 * dstBinding: binding 65537 of a two-binding set crashed it); buffer ranges
 * of writes lie inside their buffers; set indices stay within the host's
 * table of bound sets.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vlr_check.h"

static int
by_binding(const void *a, const void *b)
{
   const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
   return x < y ? -1 : x > y;
}

void
vlr_record_vkCreateDescriptorSetLayout(struct vlr_exec *x,
                                       const struct vl_args_vkCreateDescriptorSetLayout *a)
{
   const VkDescriptorSetLayoutCreateInfo *info = a->pCreateInfo;
   const uint32_t n = info->pBindings ? info->bindingCount : 0;
   struct vlr_set_layout *l =
      vlr_state_attach(x, (uint64_t)(uintptr_t)*a->pSetLayout, VK_OBJECT_TYPE_DESCRIPTOR_SET_LAYOUT,
                       sizeof(*l) + n * sizeof(l->b[0]));
   if (!l)
      return;
   l->count = n;
   for (uint32_t i = 0; i < n; i++) {
      l->b[i].binding = info->pBindings[i].binding;
      l->b[i].descriptors = info->pBindings[i].descriptorCount;
   }
   qsort(l->b, n, sizeof(l->b[0]), by_binding);
}

void
vlr_forget_vkDestroyDescriptorSetLayout(struct vlr_exec *x,
                                        const struct vl_args_vkDestroyDescriptorSetLayout *a)
{
   (void)a;
   vlr_state_forget(x);
}

/* lavapipe frees each set it is given, a repeated one twice (a crash). */
bool
vlr_check_vkFreeDescriptorSets(struct vlr_exec *x, const struct vl_args_vkFreeDescriptorSets *a)
{
   return !a->pDescriptorSets ||
          vlr_check_freed_once(x, "descriptor set", a->pDescriptorSets, a->descriptorSetCount);
}

void
vlr_set_layout_copy(struct vlr_exec *x, struct vl_object *set, VkDescriptorSetLayout layout)
{
   const struct vlr_set_layout *l = VLR_STATE(x, VK_OBJECT_TYPE_DESCRIPTOR_SET_LAYOUT, layout);
   if (!l)
      return;
   const size_t size = sizeof(*l) + l->count * sizeof(l->b[0]);
   void *copy = size <= sizeof(set->inline_data) ? set->inline_data : malloc(size);
   if (copy)
      memcpy(copy, l, size);
   set->data = copy;
}

/* The array elements [element, element + count) of binding and the
 * bindings after it exist in the set whose layout copy is l (a write may
 * run on into the next bindings). */
static bool
layout_range_ok(struct vlr_exec *x, const char *role, const struct vlr_set_layout *l,
                uint32_t binding, uint32_t element, uint32_t count)
{
   if (!l)
      return true;
   uint32_t i = 0;
   while (i < l->count && l->b[i].binding != binding)
      i++;
   if (i == l->count)
      return vlr_guard(x, "descriptor-binding",
                       "the %s binding %u is not in the descriptor set's layout", role, binding);
   uint64_t room = 0;
   for (uint32_t k = i; k < l->count; k++)
      room += l->b[k].descriptors;
   if ((uint64_t)element + count <= room)
      return true;
   return vlr_guard(x, "descriptor-range",
                    "the %s descriptors %u+%u of binding %u leave the %" PRIu64
                    " the set has from that binding on",
                    role, element, count, binding, room);
}

static bool
set_range_ok(struct vlr_exec *x, const char *role, VkDescriptorSet set, uint32_t binding,
             uint32_t element, uint32_t count)
{
   return layout_range_ok(x, role, VLR_STATE(x, VK_OBJECT_TYPE_DESCRIPTOR_SET, set), binding,
                          element, count);
}

/* Descriptor writes: the arrays the type needs are there, and buffer
 * ranges lie inside their buffers (a shader reads and writes through them).
 * Writes often name one buffer (at offsets into it): each distinct buffer
 * is looked up once in a row. */
static bool
writes_ok(struct vlr_exec *x, uint32_t n, const VkWriteDescriptorSet *w)
{
   VkBuffer last = VK_NULL_HANDLE;
   const struct vlr_buffer *state = NULL;
   for (uint32_t i = 0; w && i < n; i++) {
      const VkWriteDescriptorSet *d = &w[i];
      bool image = false, buffer = false, texel = false;
      switch (d->descriptorType) {
      case VK_DESCRIPTOR_TYPE_SAMPLER:
      case VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER:
      case VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE:
      case VK_DESCRIPTOR_TYPE_STORAGE_IMAGE:
      case VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT:
         image = true;
         break;
      case VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER:
      case VK_DESCRIPTOR_TYPE_STORAGE_BUFFER:
      case VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER_DYNAMIC:
      case VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC:
         buffer = true;
         break;
      case VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER:
      case VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER:
         texel = true;
         break;
      default:
         break; /* inline uniform blocks and the like carry their data in pNext */
      }
      if (d->descriptorCount &&
          ((image && !d->pImageInfo) || (buffer && !d->pBufferInfo) ||
           (texel && !d->pTexelBufferView)) &&
          !vlr_guard(x, "descriptor-array", "a descriptor write of type %d without its array",
                     d->descriptorType))
         return false;
      for (uint32_t k = 0; buffer && d->pBufferInfo && k < d->descriptorCount; k++) {
         const VkDescriptorBufferInfo *b = &d->pBufferInfo[k];
         if (!b->buffer)
            continue;
         if (b->buffer != last) {
            last = b->buffer;
            state = vlr_buffer_state(x, b->buffer);
         }
         if (!vlr_check_buffer_state_range(x, "descriptor", state, b->offset, 1, 0,
                                           b->range == VK_WHOLE_SIZE ? 0 : b->range))
            return false;
      }
   }
   return true;
}

bool
vlr_check_vkUpdateDescriptorSets(struct vlr_exec *x, const struct vl_args_vkUpdateDescriptorSets *a)
{
   /* an update's writes mostly name one set: looked up once in a row */
   VkDescriptorSet last = VK_NULL_HANDLE;
   const struct vlr_set_layout *layout = NULL;
   for (uint32_t i = 0; a->pDescriptorWrites && i < a->descriptorWriteCount; i++) {
      const VkWriteDescriptorSet *w = &a->pDescriptorWrites[i];
      if (i == 0 || w->dstSet != last) {
         last = w->dstSet;
         layout = VLR_STATE(x, VK_OBJECT_TYPE_DESCRIPTOR_SET, w->dstSet);
      }
      if (!layout_range_ok(x, "written", layout, w->dstBinding, w->dstArrayElement,
                           w->descriptorCount))
         return false;
   }
   for (uint32_t i = 0; a->pDescriptorCopies && i < a->descriptorCopyCount; i++) {
      const VkCopyDescriptorSet *c = &a->pDescriptorCopies[i];
      if (!set_range_ok(x, "copied", c->srcSet, c->srcBinding, c->srcArrayElement,
                        c->descriptorCount) ||
          !set_range_ok(x, "copied-to", c->dstSet, c->dstBinding, c->dstArrayElement,
                        c->descriptorCount))
         return false;
   }
   return writes_ok(x, a->descriptorWriteCount, a->pDescriptorWrites);
}

bool
vlr_check_vkCmdPushDescriptorSetKHR(struct vlr_exec *x,
                                    const struct vl_args_vkCmdPushDescriptorSetKHR *a)
{
   const VkPhysicalDeviceLimits *l = vlr_limits_of(a->owner);
   if (l && !vlr_check_index(x, "descriptor set", a->set, 1, l->maxBoundDescriptorSets))
      return false;
   return writes_ok(x, a->descriptorWriteCount, a->pDescriptorWrites);
}

bool
vlr_check_vkCmdBindDescriptorSets(struct vlr_exec *x,
                                  const struct vl_args_vkCmdBindDescriptorSets *a)
{
   const VkPhysicalDeviceLimits *l = vlr_limits_of(a->owner);
   return !l || (vlr_check_index(x, "descriptor sets", a->firstSet, a->descriptorSetCount,
                                 l->maxBoundDescriptorSets) &&
                 vlr_check_index(x, "dynamic offsets", 0, a->dynamicOffsetCount,
                                 (uint64_t)l->maxDescriptorSetUniformBuffersDynamic +
                                    l->maxDescriptorSetStorageBuffersDynamic));
}
