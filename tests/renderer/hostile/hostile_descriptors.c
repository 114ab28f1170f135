/*
 * Descriptor sets (renderer/check/check_descriptors.c), and a set or a command
 * buffer named twice in one free (check_common.c).
 */
#include "hostile.h"

/* A set of storage buffer descriptors, binding 0 of one, binding 1 of
 * two (or binding 0 alone): its id. */
static VkDescriptorSet
storage_set_of(uint32_t binding_count)
{
   const VkDescriptorSetLayoutBinding bindings[2] = {
      { .binding = 0,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .descriptorCount = 1,
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT },
      { .binding = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .descriptorCount = 2,
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT },
   };
   const VkDescriptorSetLayoutCreateInfo lci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .bindingCount = binding_count,
      .pBindings = bindings
   };
   VkDescriptorSetLayout layout = H(VkDescriptorSetLayout, new_id());
   vl_encode_vkCreateDescriptorSetLayout(&g.enc, 0, device(), &lci, NULL, &layout);
   const VkDescriptorPoolSize size = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 3 };
   const VkDescriptorPoolCreateInfo pci = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                            .maxSets = 1,
                                            .poolSizeCount = 1,
                                            .pPoolSizes = &size };
   VkDescriptorPool pool = H(VkDescriptorPool, new_id());
   vl_encode_vkCreateDescriptorPool(&g.enc, 0, device(), &pci, NULL, &pool);
   const VkDescriptorSetAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                            .descriptorPool = pool,
                                            .descriptorSetCount = 1,
                                            .pSetLayouts = &layout };
   VkDescriptorSet set = H(VkDescriptorSet, new_id());
   vl_encode_vkAllocateDescriptorSets(&g.enc, 0, device(), &ai, &set);
   return set;
}

static VkDescriptorSet
storage_set(void)
{
   return storage_set_of(2);
}

/* A layout of one storage buffer descriptor at binding 0, as object id. */
static VkDescriptorSetLayout
storage_layout(uint64_t id)
{
   const VkDescriptorSetLayoutBinding binding = { .binding = 0,
                                                  .descriptorType =
                                                     VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                                  .descriptorCount = 1,
                                                  .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT };
   const VkDescriptorSetLayoutCreateInfo lci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .bindingCount = 1,
      .pBindings = &binding
   };
   VkDescriptorSetLayout layout = H(VkDescriptorSetLayout, id);
   vl_encode_vkCreateDescriptorSetLayout(&g.enc, 0, device(), &lci, NULL, &layout);
   return layout;
}

/* A storage buffer descriptor set (binding 0) and a write of 4096 bytes at
 * 1024 of a 4096-byte buffer into binding_to_write. */
static void
write_storage_descriptor(uint32_t binding_to_write)
{
   buffer_with_memory(true, 0);
   const VkDescriptorSetLayout layout = storage_layout(0x432);
   const VkDescriptorPoolSize size = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1 };
   const VkDescriptorPoolCreateInfo pci = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                            .maxSets = 1,
                                            .poolSizeCount = 1,
                                            .pPoolSizes = &size };
   VkDescriptorPool pool = (VkDescriptorPool)(uintptr_t)0x433;
   vl_encode_vkCreateDescriptorPool(&g.enc, 0, device(), &pci, NULL, &pool);
   const VkDescriptorSetAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                            .descriptorPool = pool,
                                            .descriptorSetCount = 1,
                                            .pSetLayouts = &layout };
   VkDescriptorSet set = (VkDescriptorSet)(uintptr_t)0x434;
   vl_encode_vkAllocateDescriptorSets(&g.enc, 0, device(), &ai, &set);
   const VkDescriptorBufferInfo bi = { (VkBuffer)(uintptr_t)BUF, 1024, 4096 };
   const VkWriteDescriptorSet w = { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                    .dstSet = set,
                                    .dstBinding = binding_to_write,
                                    .descriptorCount = 1,
                                    .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                    .pBufferInfo = &bi };
   vl_encode_vkUpdateDescriptorSets(&g.enc, 0, device(), 1, &w, 0, NULL);
}

static void
test_descriptor_range_past_the_end(void **state)
{
   (void)state;
   /* valid: ranges that end at the end of a storage buffer, by size and by
    * VK_WHOLE_SIZE */
   const VkDescriptorSet set = storage_set();
   const VkBuffer storage = H(VkBuffer, bound_buffer(4096, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT));
   const VkDescriptorBufferInfo ends[2] = { { storage, 1024, 4096 - 1024 },
                                            { storage, 1024, VK_WHOLE_SIZE } };
   const VkWriteDescriptorSet w = { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                    .dstSet = set,
                                    .dstBinding = 1,
                                    .descriptorCount = 2,
                                    .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                    .pBufferInfo = ends };
   vl_encode_vkUpdateDescriptorSets(&g.enc, 0, device(), 1, &w, 0, NULL);
   expect_accepted();
   write_storage_descriptor(0);
   expect_lost("the descriptor range (4096 bytes at offset 1024) leaves the buffer's 4096 bytes");
}

static void
test_descriptor_write_to_a_binding_not_in_the_layout(void **state)
{
   (void)state;
   /* valid: the last element of the layout's last binding; and a write
    * from binding 0 that runs on through binding 1 to the set's last
    * descriptor (consecutive binding updates) */
   const VkDescriptorSet set = storage_set();
   const VkBuffer storage = H(VkBuffer, bound_buffer(4096, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT));
   const VkDescriptorBufferInfo infos[3] = { { storage, 0, 16 },
                                             { storage, 16, 16 },
                                             { storage, 32, 16 } };
   const VkWriteDescriptorSet w[2] = {
      { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = set,
        .dstBinding = 1,
        .dstArrayElement = 1,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = infos },
      { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = set,
        .dstBinding = 0,
        .descriptorCount = 3,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = infos },
   };
   vl_encode_vkUpdateDescriptorSets(&g.enc, 0, device(), 2, w, 0, NULL);
   expect_accepted();
   /* lavapipe indexes its binding table with dstBinding (the fuzzer's SEGV) */
   write_storage_descriptor(65537);
   expect_lost("the written binding 65537 is not in the descriptor set's layout");
}

/* One update writing two sets through two buffers: each write is checked
 * against its own set and buffer (the checks look each one up once in a
 * row, not once per update). */
static void
test_descriptor_writes_to_two_sets(void **state)
{
   (void)state;
   const VkDescriptorSet wide = storage_set(), narrow = storage_set_of(1);
   const VkBuffer big = H(VkBuffer, bound_buffer(4096, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT));
   const VkBuffer small = H(VkBuffer, bound_buffer(256, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT));
   VkDescriptorBufferInfo infos[2] = { { big, 0, 4096 }, { small, 0, 256 } };
   VkWriteDescriptorSet w[2] = {
      { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = wide,
        .dstBinding = 1,
        .dstArrayElement = 1,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &infos[0] },
      { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = narrow,
        .dstBinding = 0,
        .descriptorCount = 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = &infos[1] },
   };
   /* valid: each write within its own set and buffer */
   vl_encode_vkUpdateDescriptorSets(&g.enc, 0, device(), 2, w, 0, NULL);
   expect_accepted();
   /* the second set has no binding 1, though the first has */
   w[1].dstBinding = 1;
   vl_encode_vkUpdateDescriptorSets(&g.enc, 0, device(), 2, w, 0, NULL);
   expect_lost("the written binding 1 is not in the descriptor set's layout");
}

static void
test_descriptor_writes_through_two_buffers(void **state)
{
   (void)state;
   const VkDescriptorSet set = storage_set();
   const VkBuffer big = H(VkBuffer, bound_buffer(4096, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT));
   const VkBuffer small = H(VkBuffer, bound_buffer(256, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT));
   /* the second buffer is smaller than the range, which the first holds */
   const VkDescriptorBufferInfo infos[3] = { { big, 0, 1024 },
                                             { big, 1024, 1024 },
                                             { small, 0, 1024 } };
   const VkWriteDescriptorSet w = { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                    .dstSet = set,
                                    .dstBinding = 0,
                                    .descriptorCount = 3,
                                    .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                    .pBufferInfo = infos };
   /* valid first: the same three descriptors through the big buffer only */
   const VkDescriptorBufferInfo fits[3] = { { big, 0, 1024 },
                                            { big, 1024, 1024 },
                                            { big, 2048, 1024 } };
   VkWriteDescriptorSet ok = w;
   ok.pBufferInfo = fits;
   vl_encode_vkUpdateDescriptorSets(&g.enc, 0, device(), 1, &ok, 0, NULL);
   expect_accepted();
   vl_encode_vkUpdateDescriptorSets(&g.enc, 0, device(), 1, &w, 0, NULL);
   expect_lost("the descriptor range (1024 bytes at offset 0) leaves the buffer's 256 bytes");
}

/* Two sets of one storage buffer descriptor, allocated one by one from a
 * pool that frees sets. */
static void
two_freeable_sets(VkDescriptorPool *pool, VkDescriptorSet sets[2])
{
   const VkDescriptorSetLayout layout = storage_layout(new_id());
   const VkDescriptorPoolSize size = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2 };
   const VkDescriptorPoolCreateInfo pci = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                            .flags =
                                               VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT,
                                            .maxSets = 2,
                                            .poolSizeCount = 1,
                                            .pPoolSizes = &size };
   *pool = H(VkDescriptorPool, new_id());
   vl_encode_vkCreateDescriptorPool(&g.enc, 0, device(), &pci, NULL, pool);
   const VkDescriptorSetAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                            .descriptorPool = *pool,
                                            .descriptorSetCount = 1,
                                            .pSetLayouts = &layout };
   for (int i = 0; i < 2; i++) {
      sets[i] = H(VkDescriptorSet, new_id());
      vl_encode_vkAllocateDescriptorSets(&g.enc, 0, device(), &ai, &sets[i]);
   }
}

static void
test_descriptor_sets_freed_together(void **state)
{
   (void)state;
   /* The renderer finds a set to free by its host handle, trying first the
    * object the decoder resolved last (here the second set): the first set
    * must go too, not the second twice. */
   VkDescriptorPool pool;
   VkDescriptorSet sets[2];
   two_freeable_sets(&pool, sets);
   vl_encode_vkFreeDescriptorSets(&g.enc, 0, device(), pool, 2, sets);
   expect_accepted();
   const VkWriteDescriptorSet w = { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                    .dstSet = sets[0],
                                    .dstBinding = 0,
                                    .descriptorCount = 0,
                                    .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER };
   vl_encode_vkUpdateDescriptorSets(&g.enc, 0, device(), 1, &w, 0, NULL);
   expect_lost("unknown object id");
}

/* Frees two sets in one call of n handles, the others VK_NULL_HANDLE (which
 * may repeat), then one set twice in the same way: the host would free it
 * twice.  Above 32 handles the renderer sorts them to compare. */
static void
free_one_set_twice(uint32_t n)
{
   VkDescriptorPool pool;
   VkDescriptorSet sets[2];
   VkDescriptorSet handles[40] = { 0 };
   assert_true(n >= 2 && n <= 40);
   two_freeable_sets(&pool, sets);
   handles[0] = sets[0];
   handles[n - 1] = sets[1];
   vl_encode_vkFreeDescriptorSets(&g.enc, 0, device(), pool, n, handles);
   expect_accepted();
   two_freeable_sets(&pool, sets);
   handles[n - 1] = handles[0] = sets[1];
   vl_encode_vkFreeDescriptorSets(&g.enc, 0, device(), pool, n, handles);
   expect_lost("one descriptor set is freed twice in one call");
}

static void
test_descriptor_set_freed_twice_in_one_call(void **state)
{
   (void)state;
   free_one_set_twice(4);
}

static void
test_descriptor_set_freed_twice_among_many(void **state)
{
   (void)state;
   free_one_set_twice(40);
}

static void
test_command_buffer_freed_twice_in_one_call(void **state)
{
   (void)state;
   /* valid first: two command buffers and a VK_NULL_HANDLE freed in one
    * call; then one command buffer named twice, which the host would free
    * twice */
   const VkCommandPoolCreateInfo pci = { .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO };
   VkCommandPool pool = H(VkCommandPool, new_id());
   vl_encode_vkCreateCommandPool(&g.enc, 0, device(), &pci, NULL, &pool);
   const VkCommandBufferAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                            .commandPool = pool,
                                            .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                            .commandBufferCount = 2 };
   VkCommandBuffer cbs[3] = { H(VkCommandBuffer, new_id()), H(VkCommandBuffer, new_id()), NULL };
   vl_encode_vkAllocateCommandBuffers(&g.enc, 0, device(), &ai, cbs);
   cbs[2] = cbs[1];
   cbs[1] = NULL;
   vl_encode_vkFreeCommandBuffers(&g.enc, 0, device(), pool, 3, cbs);
   expect_accepted();
   cbs[0] = H(VkCommandBuffer, new_id());
   cbs[1] = H(VkCommandBuffer, new_id());
   vl_encode_vkAllocateCommandBuffers(&g.enc, 0, device(), &ai, cbs);
   cbs[2] = cbs[0];
   vl_encode_vkFreeCommandBuffers(&g.enc, 0, device(), pool, 3, cbs);
   expect_lost("one command buffer is freed twice in one call");
}

const struct CMUnitTest hostile_descriptors_tests[] = {
   HOSTILE_TEST(test_descriptor_sets_freed_together),
   HOSTILE_TEST(test_descriptor_set_freed_twice_in_one_call),
   HOSTILE_TEST(test_descriptor_set_freed_twice_among_many),
   HOSTILE_TEST(test_command_buffer_freed_twice_in_one_call),
   HOSTILE_TEST(test_descriptor_writes_to_two_sets),
   HOSTILE_TEST(test_descriptor_writes_through_two_buffers),
   HOSTILE_TEST(test_descriptor_range_past_the_end),
   HOSTILE_TEST(test_descriptor_write_to_a_binding_not_in_the_layout),
};
const size_t hostile_descriptors_count =
   sizeof(hostile_descriptors_tests) / sizeof(hostile_descriptors_tests[0]);
