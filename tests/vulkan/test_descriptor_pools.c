/*
 * Descriptor set allocation answers as natively.  The ICD sends an
 * allocation one-way when fragmentation cannot make it fail (no
 * FREE_DESCRIPTOR_SET, or all the pool's sets alike) and its declared counts
 * have room, and asks the host otherwise; both kinds run here, and then what
 * the application sees is compared with a run of the same scenario on the
 * native driver:
 *
 *  - allocations within the counts, one set at a time and several at once;
 *  - allocations past maxSets and past a type's count (whatever the host
 *    driver answers, the loopback must answer the same);
 *  - the counts start again after vkResetDescriptorPool;
 *  - a pool with FREE_DESCRIPTOR_SET: sets all alike, allocated, written and
 *    freed again and again (their descriptors come back to the count), past
 *    maxSets; then sets of two sizes (asked of the host from then on);
 *  - a layout with binding flags;
 *  - a buffer write whose pImageInfo and pTexelBufferView, which the spec
 *    says it ignores, point at junk (the ICD must not send them; it sends a
 *    write without them as the application gave it).
 *
 * That the sets allocated one-way exist on the host and hold their writes is
 * what test_compute and test_graphics show: their pools are of this kind.
 */
#include <string.h>
#include <unistd.h>

#include "vkt.h"

static VkDescriptorSetLayout
ubo_layout(struct vkt *t, uint32_t count, const void *next)
{
   const VkDescriptorSetLayoutBinding b = { 0, VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, count,
                                            VK_SHADER_STAGE_COMPUTE_BIT, NULL };
   const VkDescriptorSetLayoutCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
      .pNext = next,
      .bindingCount = 1,
      .pBindings = &b,
   };
   VkDescriptorSetLayout l;
   VKT_VK(vkCreateDescriptorSetLayout(t->device, &ci, NULL, &l));
   return l;
}

static VkDescriptorPool
ubo_pool(struct vkt *t, uint32_t sets, uint32_t descriptors, VkDescriptorPoolCreateFlags flags)
{
   const VkDescriptorPoolSize size = { VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, descriptors };
   const VkDescriptorPoolCreateInfo ci = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
      .flags = flags,
      .maxSets = sets,
      .poolSizeCount = 1,
      .pPoolSizes = &size,
   };
   VkDescriptorPool p;
   VKT_VK(vkCreateDescriptorPool(t->device, &ci, NULL, &p));
   return p;
}

/* The loopback's statistics hook (icd/vl_icd.c), NULL on other drivers. */
typedef void(VKAPI_PTR *PFN_vlGetLoopbackStats)(VkDevice device, uint64_t *round_trips);

static VkResult
alloc(struct vkt *t, VkDescriptorPool pool, uint32_t n, const VkDescriptorSetLayout *layouts,
      VkDescriptorSet *sets)
{
   const VkDescriptorSetAllocateInfo ai = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
      .descriptorPool = pool,
      .descriptorSetCount = n,
      .pSetLayouts = layouts,
   };
   return vkAllocateDescriptorSets(t->device, &ai, sets);
}

/* Writes 256 bytes of buffer at offset into the set's binding 0 (a UBO). */
static void
write_ubo(struct vkt *t, VkDescriptorSet set, VkBuffer buffer, VkDeviceSize offset)
{
   const VkDescriptorBufferInfo bi = { buffer, offset, 256 };
   const VkWriteDescriptorSet w = { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                    .dstSet = set,
                                    .descriptorCount = 1,
                                    .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
                                    .pBufferInfo = &bi };
   vkUpdateDescriptorSets(t->device, 1, &w, 0, NULL);
}

/* Writes one line per allocation: what the application saw. */
static int
scenario(const char *out_path)
{
   FILE *out = fopen(out_path, "w");
   VKT_CHECK(out);
   struct vkt t;
   vkt_init(&t, "descriptor pools (scenario)");
   struct vkt_buffer ubo;
   vkt_buffer(&t, 4096, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT, 0, &ubo);
   const VkDescriptorSetLayout one = ubo_layout(&t, 1, NULL), two = ubo_layout(&t, 2, NULL);
   const VkDescriptorSetLayout l3[3] = { one, one, one };
   VkDescriptorSet sets[4] = { 0 };

   const VkDescriptorPool pool = ubo_pool(&t, 3, 4, 0);
   for (int round = 0; round < 2; round++) {
      fprintf(out, "round %d: one %d", round, alloc(&t, pool, 1, &one, &sets[0]));
      fprintf(out, ", two at once %d", alloc(&t, pool, 2, l3, &sets[1]));
      /* every write must reach a set the host has */
      for (int i = 0; i < 3; i++)
         write_ubo(&t, sets[i], ubo.buffer, 256u * (uint32_t)i);
      /* past maxSets (3 taken), then past the count (4 UBOs, 3 taken) */
      VkDescriptorSet extra = VK_NULL_HANDLE;
      fprintf(out, ", past maxSets %d", alloc(&t, pool, 1, &one, &extra));
      VKT_VK(vkResetDescriptorPool(t.device, pool, 0));
      fprintf(out, ", after reset %d", alloc(&t, pool, 1, &two, &sets[0]));
      fprintf(out, ", past the count %d", alloc(&t, pool, 1, &two, &sets[1]));
      fprintf(out, "\n");
      VKT_VK(vkResetDescriptorPool(t.device, pool, 0));
   }
   vkDestroyDescriptorPool(t.device, pool, NULL);

   /* FREE_DESCRIPTOR_SET, all sets alike: they cannot fragment it */
   const VkDescriptorPool freeing =
      ubo_pool(&t, 2, 2, VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT);
   for (int i = 0; i < 3; i++) {
      fprintf(out, "free pool %d: %d", i, alloc(&t, freeing, 2, l3, sets));
      VKT_VK(vkFreeDescriptorSets(t.device, freeing, 2, sets));
      fprintf(out, ", one by one %d", alloc(&t, freeing, 1, &one, &sets[0]));
      fprintf(out, " %d", alloc(&t, freeing, 1, &one, &sets[1]));
      for (int j = 0; j < 2; j++)
         write_ubo(&t, sets[j], ubo.buffer, 256u * (uint32_t)j);
      VkDescriptorSet extra = VK_NULL_HANDLE;
      fprintf(out, ", past maxSets %d", alloc(&t, freeing, 1, &one, &extra));
      if (extra)
         VKT_VK(vkFreeDescriptorSets(t.device, freeing, 1, &extra));
      VKT_VK(vkFreeDescriptorSets(t.device, freeing, 1, &sets[1]));
      VKT_VK(vkFreeDescriptorSets(t.device, freeing, 1, &sets[0]));
      fprintf(out, "\n");
   }
   /* A freed set gives its descriptors back to the guest's count: allocating
    * and freeing one set again and again never needs to ask the host
    * (through the loopback; natively there is no count to read). */
   PFN_vlGetLoopbackStats stats =
      (PFN_vlGetLoopbackStats)vkGetDeviceProcAddr(t.device, "vlGetLoopbackStats");
   uint64_t trips[2] = { 0, 0 };
   if (stats)
      stats(t.device, &trips[0]);
   for (int i = 0; i < 100; i++) {
      VKT_VK(alloc(&t, freeing, 1, &one, &sets[0]));
      VKT_VK(vkFreeDescriptorSets(t.device, freeing, 1, &sets[0]));
   }
   if (stats)
      stats(t.device, &trips[1]);
   if (trips[1] != trips[0])
      vkt_fail("100 allocations and frees of one set in a freeing pool took %llu round trips",
               (unsigned long long)(trips[1] - trips[0]));
   vkDestroyDescriptorPool(t.device, freeing, NULL);

   /* FREE_DESCRIPTOR_SET with sets of two sizes: asked of the host */
   const VkDescriptorPool mixed =
      ubo_pool(&t, 3, 4, VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT);
   fprintf(out, "mixed pool: one %d", alloc(&t, mixed, 1, &one, &sets[0]));
   fprintf(out, ", two %d", alloc(&t, mixed, 1, &two, &sets[1]));
   VKT_VK(vkFreeDescriptorSets(t.device, mixed, 1, &sets[0]));
   fprintf(out, ", one again %d", alloc(&t, mixed, 1, &one, &sets[0]));
   fprintf(out, ", two again %d", alloc(&t, mixed, 1, &two, &sets[2]));
   fprintf(out, "\n");
   vkDestroyDescriptorPool(t.device, mixed, NULL);

   /* a layout with binding flags is not counted guest-side */
   const VkDescriptorBindingFlags flags = 0;
   const VkDescriptorSetLayoutBindingFlagsCreateInfo fi = {
      .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_BINDING_FLAGS_CREATE_INFO,
      .bindingCount = 1,
      .pBindingFlags = &flags,
   };
   const VkDescriptorSetLayout flagged = ubo_layout(&t, 1, &fi);
   const VkDescriptorPool small = ubo_pool(&t, 1, 1, 0);
   fprintf(out, "flagged layout: %d", alloc(&t, small, 1, &flagged, &sets[0]));
   fprintf(out, ", then a counted one %d\n", alloc(&t, small, 1, &one, &sets[1]));
   vkDestroyDescriptorPool(t.device, small, NULL);

   /* the arrays a buffer write ignores may point anywhere */
   const VkDescriptorPool junk_pool = ubo_pool(&t, 1, 1, 0);
   VKT_VK(alloc(&t, junk_pool, 1, &one, &sets[0]));
   const VkDescriptorImageInfo junk_image = { (VkSampler)(uintptr_t)0xdead0,
                                              (VkImageView)(uintptr_t)0xdead8,
                                              VK_IMAGE_LAYOUT_GENERAL };
   const VkBufferView junk_view = (VkBufferView)(uintptr_t)0xdeae0;
   const VkDescriptorBufferInfo bi = { ubo.buffer, 0, 256 };
   /* each alone, then both */
   VkWriteDescriptorSet junk = { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                 .dstSet = sets[0],
                                 .descriptorCount = 1,
                                 .descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,
                                 .pImageInfo = &junk_image,
                                 .pBufferInfo = &bi };
   vkUpdateDescriptorSets(t.device, 1, &junk, 0, NULL);
   junk.pImageInfo = NULL;
   junk.pTexelBufferView = &junk_view;
   vkUpdateDescriptorSets(t.device, 1, &junk, 0, NULL);
   junk.pImageInfo = &junk_image;
   vkUpdateDescriptorSets(t.device, 1, &junk, 0, NULL);
   fprintf(out, "ignored arrays: %d\n", vkDeviceWaitIdle(t.device));
   vkDestroyDescriptorPool(t.device, junk_pool, NULL);

   vkDestroyDescriptorSetLayout(t.device, flagged, NULL);
   vkDestroyDescriptorSetLayout(t.device, one, NULL);
   vkDestroyDescriptorSetLayout(t.device, two, NULL);
   vkt_buffer_destroy(&t, &ubo);
   vkt_finish(&t);
   fclose(out);
   return 0;
}

static const char *
slurp(const char *path, char *buf, size_t size)
{
   FILE *f = fopen(path, "r");
   buf[0] = 0;
   if (f) {
      buf[fread(buf, 1, size - 1, f)] = 0;
      fclose(f);
   }
   return buf;
}

int
main(int argc, char **argv)
{
   if (argc == 3 && !strcmp(argv[1], "--scenario"))
      return scenario(argv[2]);
   struct vkt t;
   vkt_init(&t, "descriptor set allocation answers as natively (one-way within a pool's counts)");
   vkt_finish(&t);
   const char *icd = getenv("VK_ICD_FILENAMES");
   VKT_CHECK(icd);
   char native_path[] = "/tmp/vl-pools-native-XXXXXX", ours_path[] = "/tmp/vl-pools-ours-XXXXXX";
   close(mkstemp(native_path));
   close(mkstemp(ours_path));
   const bool native_ran = vkt_run_native_child(argv[0], "--scenario", native_path);
   const bool ours_ran = vkt_run_child(argv[0], icd, "--scenario", ours_path);
   static char native[4096], ours[4096];
   slurp(native_path, native, sizeof(native));
   slurp(ours_path, ours, sizeof(ours));
   unlink(native_path);
   unlink(ours_path);
   printf("native:\n%s\nthis driver:\n%s", native, ours);
   if (!native_ran || !ours_ran)
      vkt_fail("the %s run failed", native_ran ? "second" : "native");
   /* within the counts every driver succeeds */
   VKT_CHECK(strstr(native, "round 0: one 0, two at once 0"));
   VKT_CHECK(strstr(native, "round 1: one 0, two at once 0"));
   if (strcmp(native, ours))
      vkt_fail("the application saw other results than natively");
   vkt_pass(&t);
   return 0;
}
