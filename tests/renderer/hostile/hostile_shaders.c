/*
 * Shader code (renderer/check/check_shaders.c).
 */
#include "hostile.h"

static void
test_malformed_spirv(void **state)
{
   (void)state;
   /* valid: a compute shader, a vertex shader, a fragment shader */
   shader_module_on(device(), hostile_compute_spirv, hostile_compute_spirv_size);
   shader_module_on(device(), hostile_vertex_spirv, hostile_vertex_spirv_size);
   shader_module_on(device(), hostile_fragment_spirv, hostile_fragment_spirv_size);
   expect_accepted();
   /* a SPIR-V header, then an instruction whose word count runs past the end */
   const uint32_t code[] = { 0x07230203, 0x00010000, 0, 8, 0, 0x00050011 };
   const VkShaderModuleCreateInfo info = { .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                           .codeSize = sizeof(code),
                                           .pCode = code };
   VkShaderModule module = (VkShaderModule)(uintptr_t)0x430;
   vl_encode_vkCreateShaderModule(&g.enc, 0, device(), &info, NULL, &module);
   expect_lost("invalid SPIR-V (");
}

const struct CMUnitTest hostile_shaders_tests[] = {
   HOSTILE_TEST(test_malformed_spirv),
};
const size_t hostile_shaders_count =
   sizeof(hostile_shaders_tests) / sizeof(hostile_shaders_tests[0]);
