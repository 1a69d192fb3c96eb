#ifndef SC_GPU_COMPUTE_PIPELINE_H
#define SC_GPU_COMPUTE_PIPELINE_H
#include <stdbool.h>
#include <vulkan/vulkan.h>

#include "gpu/vk_device.h"

/* A compute pipeline from the embedded SPIR-V module `name` (shaders/NAME.comp). */
bool sc_compute_pipeline_create(struct sc_vk_device *dev, VkPipelineLayout layout,
                                const char *name, const VkSpecializationInfo *spec,
                                VkPipeline *pipeline);

#endif
