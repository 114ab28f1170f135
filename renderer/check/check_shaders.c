/*
 * Shader code: host compilers take SPIR-V as valid, and a malformed module
 * crashed lavapipe's compiler under the renderer fuzzer.  SPIRV-Tools
 * validates each module first, structurally: the universal environment
 * (every SPIR-V version) with the block layout rules off, since which
 * layout rules apply depends on features the validator is not told about
 * and a layout the host does not support is no memory hazard.  Neither
 * choice can make a finding of a module the Vulkan rules accept.
 */
#include <pthread.h>
#include <spirv-tools/libspirv.h>

#include "vlr_check.h"

static spv_context spv_ctx;
static spv_validator_options spv_options;

static void
spv_init(void)
{
   spv_ctx = spvContextCreate(SPV_ENV_UNIVERSAL_1_6);
   spv_options = spvValidatorOptionsCreate();
   if (spv_options)
      spvValidatorOptionsSetSkipBlockLayout(spv_options, true);
}

bool
vlr_check_vkCreateShaderModule(struct vlr_exec *x, const struct vl_args_vkCreateShaderModule *a)
{
   static pthread_once_t once = PTHREAD_ONCE_INIT;
   const VkShaderModuleCreateInfo *info = a->pCreateInfo;
   if (!info->codeSize || info->codeSize % 4 || !info->pCode)
      return vlr_guard(x, "spirv", "%zu bytes of code are no SPIR-V module", info->codeSize);
   pthread_once(&once, spv_init);
   if (!spv_ctx || !spv_options) {
      /* No validator (out of memory at its creation): nothing checked. */
      return vlr_guard(x, "spirv", "the SPIR-V validator is not available");
   }
   spv_const_binary_t binary = { info->pCode, info->codeSize / 4 };
   spv_diagnostic diag = NULL;
   bool ok = spvValidateWithOptions(spv_ctx, spv_options, &binary, &diag) == SPV_SUCCESS;
   if (!ok)
      ok = vlr_guard(x, "spirv", "invalid SPIR-V (%s)",
                     diag && diag->error ? diag->error : "no diagnostic");
   spvDiagnosticDestroy(diag);
   return ok;
}

/* After validation: an OpVariable (opcode 59: type, id, storage class) in the
 * PushConstant storage class (9) is a declared push constant block. */
void
vlr_record_vkCreateShaderModule(struct vlr_exec *x, const struct vl_args_vkCreateShaderModule *a)
{
   struct vlr_shader_module *m = vlr_state_attach(x, (uint64_t)(uintptr_t)*a->pShaderModule,
                                                  VK_OBJECT_TYPE_SHADER_MODULE, sizeof(*m));
   if (!m)
      return;
   const uint32_t *code = a->pCreateInfo->pCode;
   const size_t words = a->pCreateInfo->codeSize / 4;
   for (size_t at = 5; at < words;) {
      const uint32_t count = code[at] >> 16, opcode = code[at] & 0xffff;
      if (!count || count > words - at)
         break;
      if (opcode == 59 && count >= 4 && code[at + 3] == 9)
         m->push_constants = true;
      at += count;
   }
}

void
vlr_forget_vkDestroyShaderModule(struct vlr_exec *x, const struct vl_args_vkDestroyShaderModule *a)
{
   (void)a;
   vlr_state_forget(x);
}
