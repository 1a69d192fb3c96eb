#include "gpu/compute_pipeline.h"

#include <string.h>

#include "gpu/vk_result.h"
#include "shaders/spirv.h"
#include "util/log.h"

bool sc_compute_pipeline_create(struct sc_vk_device *dev, VkPipelineLayout layout,
                                const char *name, const VkSpecializationInfo *spec,
                                VkPipeline *pipeline)
{
	const struct sc_spirv *mod = sc_spirv_modules;
	while (mod->name && strcmp(mod->name, name) != 0)
		mod++;
	if (!mod->name) {
		sc_err("no SPIR-V module named '%s' in this build", name);
		return false;
	}
	VkShaderModuleCreateInfo smci = {
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = mod->size,
		.pCode = mod->code,
	};
	VkShaderModule module;
	if (!sc_vk_ok(vkCreateShaderModule(dev->device, &smci, NULL, &module), "vkCreateShaderModule"))
		return false;
	VkComputePipelineCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage = {
			.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			.stage = VK_SHADER_STAGE_COMPUTE_BIT,
			.module = module,
			.pName = "main",
			.pSpecializationInfo = spec,
		},
		.layout = layout,
	};
	VkResult r = vkCreateComputePipelines(dev->device, VK_NULL_HANDLE, 1, &ci, NULL, pipeline);
	vkDestroyShaderModule(dev->device, module, NULL);
	if (r != VK_SUCCESS) {
		sc_err("compute pipeline '%s': %s", name, sc_vk_result_str(r));
		return false;
	}
	return true;
}
