/*
 * Pool-allocated objects, host side: command buffers and descriptor sets get
 * guest ids in arrays, are tracked under their pool, and go when the pool is
 * reset or destroyed.  Pipelines are here too: one id per create info, and an
 * entry that fails on the host comes back as id 0.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vlr_check.h"
#include "vlr_context.h"

static void
remove_children(struct vlr_exec *x, struct vl_object *parent)
{
   while (!vl_list_empty(&parent->children)) {
      struct vl_object *child = vl_object_from_link(parent->children.next);
      vl_object_free_data(child);
      vlr_exec_remove_object(x, child);
   }
}

static struct vl_object *
pool_object(struct vlr_exec *x, int32_t type, uint64_t host)
{
   struct vl_object *pool = vl_object_table_lookup_host(&x->ctx->objects, type, host);
   if (!pool)
      vlr_exec_fail(x, "unknown pool");
   return pool;
}

/* Registers ids[i] for hosts[i]; the ids were checked before the host call. */
static bool
check_new_ids(struct vlr_exec *x, const uint64_t *ids, uint32_t n)
{
   for (uint32_t i = 0; i < n; i++) {
      if (!vlr_exec_check_new_id(x, ids[i]))
         return false;
      for (uint32_t j = 0; j < i; j++) {
         if (ids[j] == ids[i]) {
            vlr_exec_failf(x, "id 0x%" PRIx64 " given twice", ids[i]);
            return false;
         }
      }
   }
   return true;
}

void
vlr_handle_vkAllocateCommandBuffers(struct vlr_exec *x,
                                    struct vl_args_vkAllocateCommandBuffers *args)
{
   const VkCommandBufferAllocateInfo *info = args->pAllocateInfo;
   struct vl_object *pool =
      pool_object(x, VK_OBJECT_TYPE_COMMAND_POOL, (uint64_t)(uintptr_t)info->commandPool);
   if (!pool)
      return;
   const uint32_t n = info->commandBufferCount;
   const uint64_t *ids = (const uint64_t *)args->pCommandBuffers;
   if (!check_new_ids(x, ids, n))
      return;
   VkCommandBuffer *host = vlr_exec_args(x, sizeof(*host) * (n ? n : 1));
   if (!host)
      return;
   const struct vlr_host_device_table *vk = vlr_object_device_table(args->owner);
   args->ret = vk->AllocateCommandBuffers(args->device, info, host);
   if (args->ret != VK_SUCCESS) {
      vlr_exec_create_failed(x, args->ret, n ? ids[0] : 0);
      return;
   }
   for (uint32_t i = 0; i < n; i++) {
      struct vl_object *obj = vlr_exec_add_object(x, ids[i], VK_OBJECT_TYPE_COMMAND_BUFFER,
                                                  (uint64_t)(uintptr_t)host[i], pool);
      if (!obj)
         return;
      obj->table = args->owner->table;
   }
}

void
vlr_handle_vkFreeCommandBuffers(struct vlr_exec *x, struct vl_args_vkFreeCommandBuffers *args)
{
   const struct vlr_host_device_table *vk = vlr_object_device_table(args->owner);
   if (args->commandBufferCount && !args->pCommandBuffers) {
      vlr_exec_fail(x, "command buffers to free are missing");
      return;
   }
   for (uint32_t i = 0; i < args->commandBufferCount; i++) {
      struct vl_object *obj = vlr_exec_lookup_host(x, VK_OBJECT_TYPE_COMMAND_BUFFER,
                                                   (uint64_t)(uintptr_t)args->pCommandBuffers[i]);
      if (obj)
         vlr_exec_remove_object(x, obj);
   }
   vk->FreeCommandBuffers(args->device, args->commandPool, args->commandBufferCount,
                          args->pCommandBuffers);
}

void
vlr_handle_vkDestroyCommandPool(struct vlr_exec *x, struct vl_args_vkDestroyCommandPool *args)
{
   struct vl_object *pool = x->dec.last_object;
   const struct vlr_host_device_table *vk = vlr_object_device_table(args->owner);
   vk->DestroyCommandPool(args->device, args->commandPool, NULL);
   if (pool) {
      remove_children(x, pool);
      vlr_exec_remove_object(x, pool);
   }
}

void
vlr_handle_vkAllocateDescriptorSets(struct vlr_exec *x,
                                    struct vl_args_vkAllocateDescriptorSets *args)
{
   const VkDescriptorSetAllocateInfo *info = args->pAllocateInfo;
   struct vl_object *pool =
      pool_object(x, VK_OBJECT_TYPE_DESCRIPTOR_POOL, (uint64_t)(uintptr_t)info->descriptorPool);
   if (!pool)
      return;
   const uint32_t n = info->descriptorSetCount;
   const uint64_t *ids = (const uint64_t *)args->pDescriptorSets;
   if (!check_new_ids(x, ids, n))
      return;
   VkDescriptorSet *host = vlr_exec_args(x, sizeof(*host) * (n ? n : 1));
   if (!host)
      return;
   const struct vlr_host_device_table *vk = vlr_object_device_table(args->owner);
   args->ret = vk->AllocateDescriptorSets(args->device, info, host);
   if (args->ret != VK_SUCCESS) {
      vlr_exec_create_failed(x, args->ret, n ? ids[0] : 0);
      return;
   }
   for (uint32_t i = 0; i < n; i++) {
      struct vl_object *set = vlr_exec_add_object(x, ids[i], VK_OBJECT_TYPE_DESCRIPTOR_SET,
                                                  (uint64_t)(uintptr_t)host[i], pool);
      if (!set)
         return;
      vlr_set_layout_copy(x, set, info->pSetLayouts[i]);
   }
}

void
vlr_handle_vkFreeDescriptorSets(struct vlr_exec *x, struct vl_args_vkFreeDescriptorSets *args)
{
   const struct vlr_host_device_table *vk = vlr_object_device_table(args->owner);
   if (args->descriptorSetCount && !args->pDescriptorSets) {
      vlr_exec_fail(x, "descriptor sets to free are missing");
      return;
   }
   for (uint32_t i = 0; i < args->descriptorSetCount; i++) {
      struct vl_object *obj = vlr_exec_lookup_host(x, VK_OBJECT_TYPE_DESCRIPTOR_SET,
                                                   (uint64_t)(uintptr_t)args->pDescriptorSets[i]);
      if (obj) {
         vl_object_free_data(obj);
         vlr_exec_remove_object(x, obj);
      }
   }
   vk->FreeDescriptorSets(args->device, args->descriptorPool, args->descriptorSetCount,
                          args->pDescriptorSets);
   args->ret = VK_SUCCESS;
}

void
vlr_handle_vkResetDescriptorPool(struct vlr_exec *x, struct vl_args_vkResetDescriptorPool *args)
{
   struct vl_object *pool = x->dec.last_object;
   const struct vlr_host_device_table *vk = vlr_object_device_table(args->owner);
   if (pool)
      remove_children(x, pool);
   args->ret = vk->ResetDescriptorPool(args->device, args->descriptorPool, args->flags);
}

void
vlr_handle_vkDestroyDescriptorPool(struct vlr_exec *x, struct vl_args_vkDestroyDescriptorPool *args)
{
   struct vl_object *pool = x->dec.last_object;
   const struct vlr_host_device_table *vk = vlr_object_device_table(args->owner);
   vk->DestroyDescriptorPool(args->device, args->descriptorPool, NULL);
   if (pool) {
      remove_children(x, pool);
      vlr_exec_remove_object(x, pool);
   }
}

/* ---- pipelines ---------------------------------------------------------------- */

#define CREATE_PIPELINES(kind, Info)                                                               \
   void vlr_handle_vkCreate##kind##Pipelines(struct vlr_exec *x,                                   \
                                             struct vl_args_vkCreate##kind##Pipelines *args)       \
   {                                                                                               \
      const uint32_t n = args->createInfoCount;                                                    \
      uint64_t *ids = (uint64_t *)args->pPipelines;                                                \
      if (!check_new_ids(x, ids, n))                                                               \
         return;                                                                                   \
      VkPipeline *host = vlr_exec_args(x, sizeof(*host) * (n ? n : 1));                            \
      if (!host)                                                                                   \
         return;                                                                                   \
      const struct vlr_host_device_table *vk = vlr_object_device_table(args->owner);               \
      args->ret = vk->Create##kind##Pipelines(args->device, args->pipelineCache, n,                \
                                              args->pCreateInfos, NULL, host);                     \
      for (uint32_t i = 0; i < n; i++) {                                                           \
         if (host[i]) {                                                                            \
            if (!vlr_exec_add_object(x, ids[i], VK_OBJECT_TYPE_PIPELINE,                           \
                                     (uint64_t)(uintptr_t)host[i], args->owner))                   \
               return;                                                                             \
         } else {                                                                                  \
            ids[i] = 0; /* failed entries come back as 0 */                                        \
         }                                                                                         \
      }                                                                                            \
   }

CREATE_PIPELINES(Graphics, VkGraphicsPipelineCreateInfo)
CREATE_PIPELINES(Compute, VkComputePipelineCreateInfo)
